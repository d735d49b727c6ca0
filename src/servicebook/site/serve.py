"""The preview server: build into a temporary folder, serve it on 127.0.0.1, rebuild whenever
catalog.yaml, servicebook.lock, content/, layouts/ or measurements/ change, and make open pages reload themselves.

A failed rebuild never stops the server: the errors (file:line:col) go to the terminal and to the
top of every page, and the last good build stays on show until the sources are fixed. The reload
script and its style sheet are files served by the preview itself, so the site's
Content-Security-Policy (`script-src 'self'`) holds unchanged; nothing is injected into `public/`.
"""

from __future__ import annotations

import errno
import html
import io
import json
import os
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from servicebook.errors import BuildFailed, Problem, ServicebookError, UsageProblem, alike
from servicebook.git.head import HeadFiles
from servicebook.git.repo import BUILD_INPUTS, CONTENT_DIR, LAYOUTS_DIR, MEASUREMENTS_DIR
from servicebook.progress import Phases
from servicebook.report import shown_from
from servicebook.site.build import Options, Report, build
from servicebook.site.fresh import PageMemory, of_releases
from servicebook.site.heap import large_blocks_apart
from servicebook.site.previews import PreviewFolder, sweep

HOST = "127.0.0.1"
# The names a page of the preview may be asked for by (the Host header), besides the address it is
# bound to: anything else is a page of some other site that resolved its own name to this machine
# (DNS rebinding) and must not read the preview.
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
BACKLOG = 1024  # connections the kernel queues before the server accepts them (socketserver: 5; capped by somaxconn)
PREFIX = "/__servicebook/"
WATCHED_DIRS = (CONTENT_DIR, LAYOUTS_DIR, MEASUREMENTS_DIR)
WATCHED_FILES = tuple(path for path in BUILD_INPUTS if path not in WATCHED_DIRS)  # catalog.yaml, servicebook.lock
POLL_MS = 400
HEAD_MOVED = "git's HEAD or tags moved"  # what the log line says changed after a commit
WATCH_ROUND_MS = 100  # how soon the watcher reports that it is watching (then: a wake-up per round)

RELOAD_JS = f"""/* servicebook serve: reload when the preview has rebuilt. Not part of the published site. */
(function () {{
  "use strict";
  var me = document.currentScript;
  var seen = me ? me.getAttribute("data-generation") : null;
  function poll() {{
    fetch("{PREFIX}version", {{ cache: "no-store" }})
      .then(function (r) {{ return r.json(); }})
      .then(function (v) {{
        if (seen !== null && String(v.generation) !== seen) {{ window.location.reload(); return; }}
        window.setTimeout(poll, {POLL_MS});
      }}, function () {{ window.setTimeout(poll, {POLL_MS * 5}); }});
  }}
  poll();
}})();
"""

SERVE_CSS = """/* servicebook serve: how build errors are shown on top of the last good build. */
.sb-serve-errors { margin: 0; padding: .8rem 1rem; background: #4a1618; color: #fff; border-bottom: 4px solid #ff9492;
  font: 14px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.sb-serve-errors p { margin: 0 0 .4rem; font-weight: 700; }
.sb-serve-errors pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
"""


class Preview:
    """The state of one preview: where the current build is, whether the last attempt failed,
    and a generation number that open pages compare against to know when to reload."""

    def __init__(
        self,
        source: Path,
        env: Mapping[str, str],
        out: Callable[[str], None],
        err: Callable[[str], None],
        *,
        now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.now = now  # the time of day each log line starts with (the terminal's, local)
        self.clock = clock  # what each rebuild is timed with
        self.source = source.resolve()
        self.env = dict(env)
        self.out = out
        self.err = err
        sweep()  # what killed serves left in the temporary folder
        large_blocks_apart()  # a process that builds for hours: its large buffers given back when freed
        self.folder = PreviewFolder()  # in the temporary folder, which only its builds write
        self.workdir = self.folder.path
        self.output = self.workdir / "site"
        self._lock = threading.Lock()
        self._generation = 0
        self._errors: str | None = None
        self._built = False
        self.show = shown_from(self.source, Path.cwd())  # files named as `check` and `build` name them
        self.memory = PageMemory()  # each rebuild decodes only the pages it did not load before
        self._warned: set[tuple[object, ...]] = set()  # warning_keys() of every warning shown so far
        # A commit, a checkout or a new tag moves no source file: the files git keeps them in are
        # looked at on each quiet round (follow_head), marked as they were when a build began.
        self._head = HeadFiles.of(self.source)
        self._head_marks = self._head.marks() if self._head is not None else ()

    def state(self) -> tuple[int, str | None, bool]:
        """(generation, error text of the last attempt or None, whether any build succeeded)."""
        with self._lock:
            return self._generation, self._errors, self._built

    def rebuild(self, changed: Iterable[str | Path] = (), *, quiet_if_unchanged: bool = False, cause: str = "") -> bool:
        """Build once (after the `changed` files changed, if any); on any failure keep the previous
        build and remember why. Never raises. `quiet_if_unchanged`: a build that finds nothing
        changed since the last one says nothing (a check, not an edit the author made). `cause`:
        what the log line says changed, when no file did."""

        show = self.show
        repeated = 0  # warnings of this build already shown earlier in the session
        changed = list(changed)
        cause = self._changed(changed) or cause
        if self._head is not None:
            self._head_marks = self._head.marks()  # what this build sees (or sees later still)
        # the survey looks at these alone (fresh.rescan), and at those of a rebuild that failed
        # before its survey looked at them
        relative, pending = self._relative(changed), self.memory.changed
        self.memory.changed = relative if relative is None or pending is None else relative | pending
        progress = Phases(clock=self.clock)
        try:
            options = Options(
                source=self.source, output=self.output, env=self.env, memory=self.memory, progress=progress
            )
            report = build(options)
        except ServicebookError as exc:
            errors: str | None = (exc.shown_as(show) if isinstance(exc, BuildFailed) else exc).format_message()
        except Exception:  # a bug of ours must not take the preview down either
            errors = traceback.format_exc() + "internal error: this is a bug in servicebook, not in your catalog."
        else:
            errors = None
            keys = warning_keys(report.warnings)
            new = [warning for warning, key in zip(report.warnings, keys, strict=True) if key not in self._warned]
            for warning in alike(new):  # of many alike, the first few and a count of the rest
                self.err(warning.shown_as(show).format())
            repeated = sum(1 for key in keys if key in self._warned)
            self._warned.update(keys)
        with self._lock:
            self._generation += 1
            self._errors = errors
            self._built = self._built or errors is None
            built = self._built
        stamp = f"[{self.now():%H:%M:%S}]"
        if errors is None and quiet_if_unchanged and report.work is not None and report.work.unchanged:
            return True
        if errors is None:
            self.out(f"{stamp} {rebuilt_line(cause, report)}{_still_applies(repeated)}.")
        else:
            self.err(errors)
            failed = f"{stamp} {cause + ': ' if cause else ''}the build failed. "
            self.err(
                failed + ("Serving the last good build until this is fixed." if built else "Nothing to serve yet.")
            )
        return errors is None

    def verify(self) -> None:
        """After a rebuild that took the file watcher's word for what changed: the sources
        surveyed in full, and the site rebuilt if any other file changed (an event the watcher
        missed), so that no edit leaves the preview stale. Does nothing after a full survey."""
        missed = self.memory.unreported(self.source)
        if missed:
            self.rebuild([self.source / path for path in missed])

    def follow_head(self) -> None:
        """When git's HEAD or tags moved since the last build began (a commit, an amend, a reset,
        a checkout, a pull, a new tag), the site is built again: the changes page, each History
        and the releases show what git holds now. Three `stat`s and a read of `HEAD`."""
        if self._head is not None and self._head.marks() != self._head_marks:
            self.rebuild(quiet_if_unchanged=True, cause=HEAD_MOVED)

    def _relative(self, paths: list[str | Path]) -> frozenset[str] | None:
        """`paths` relative to the source, as the survey names files; None (survey every file)
        when there are none or one is not under the source as its path says."""
        found = set()
        for path in paths:
            given = Path(path)
            try:
                absolute = given.parent.resolve() / given.name  # the file itself as named, not where a link leads
            except OSError:
                return None
            if not absolute.is_relative_to(self.source) or absolute == self.source or given.name in ("", "..", "."):
                return None
            found.add(absolute.relative_to(self.source).as_posix())
        return frozenset(found) or None

    def _changed(self, paths: Iterable[str | Path]) -> str:
        """What a log line says changed: the files, as `check` names them, "" for none."""
        names = []
        for path in paths:
            try:
                relative = Path(path).resolve().relative_to(self.source).as_posix()
            except (ValueError, OSError):
                continue
            names.append(self.show(relative))
        if not names:
            return ""
        names = sorted(set(names))
        shown = ", ".join(names[:SHOWN_CHANGES])
        if len(names) > SHOWN_CHANGES:
            shown += f" and {len(names) - SHOWN_CHANGES} more"
        return f"{shown} changed"

    def close(self) -> None:
        """Stop at once: the preview's folder is removed by a detached process (previews.py)."""
        self.memory.close()
        self.folder.discard()


def warning_keys(warnings: tuple[Problem, ...]) -> list[tuple[object, ...]]:
    """What makes each warning distinct for the preview, which shows each once per session (a
    shallow clone's warning would otherwise come back on every save): the warning without its line
    and column, so that one moved by an edit above it is not shown again, numbered among its
    identical twins of the same build, so that two of them are both shown."""
    seen: dict[tuple[object, ...], int] = {}
    out: list[tuple[object, ...]] = []
    for w in warnings:
        key = (w.severity, w.location.path, w.message, w.hint, w.source_line)
        seen[key] = seen.get(key, 0) + 1
        out.append((*key, seen[key]))
    return out


SHOWN_CHANGES = 3  # changed files named in a log line; the others are counted


def rebuilt_line(cause: str, report: Report) -> str:
    """What a successful (re)build says: what changed, the pages rendered again out of all,
    and how long it took."""
    seconds = sum(p.seconds for p in report.phases)
    work = report.work
    if work is None or not cause:
        return f"Built {report.pages} pages in {seconds:.2f} s{of_releases(report)}"
    if work.unchanged:
        return f"{cause}: nothing to rebuild, the site is the same ({seconds:.2f} s)"
    again = sum(n for kind, n in work.rendered.items() if kind != "data files")
    return f"{cause}: rebuilt {again} of {report.pages} pages in {seconds:.2f} s"


def _still_applies(repeated: int) -> str:
    if not repeated:
        return ""
    return (
        " (1 warning shown before still applies)"
        if repeated == 1
        else f" ({repeated} warnings shown before still apply)"
    )


LAST_GOOD = "the sources have errors; this is the last good build."


def inject(page: str, generation: int, errors: str | None, lead: str = LAST_GOOD) -> str:
    """The page as the preview serves it: with the reload script, and the errors on top if any,
    after `lead`, what the page below them is."""
    head = (
        f'<link rel="stylesheet" href="{PREFIX}serve.css">'
        f'<script src="{PREFIX}reload.js" data-generation="{generation}" defer></script>'
    )
    page = page.replace("</head>", head + "</head>", 1) if "</head>" in page else head + page
    if errors is not None:
        box = (
            '<div class="sb-serve-errors" role="alert"><p>servicebook serve: '
            + html.escape(lead)
            + "</p><pre>"
            + html.escape(errors)
            + "</pre></div>"
        )
        start = page.find("<body")
        end = page.find(">", start) + 1 if start != -1 else 0
        page = page[:end] + box + page[end:]
    return page


def error_page(generation: int, errors: str | None) -> str:
    """What every address shows while no build has succeeded yet: there is no last good build."""
    lead = (
        "the sources have errors and no build has succeeded yet; this page reloads once they are fixed."
        if errors
        else "the first build is not done yet; this page reloads when it is."
    )
    return inject(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>servicebook serve: errors</title></head>"
        "<body></body></html>",
        generation,
        errors or "building…",
        lead,
    )


# A Host header as RFC 9110 has it: a name or IPv4 address, or an IPv6 address in brackets, and an
# optional port, nothing else (`127.0.0.1:8765@evil`, `localhost:80:80`, `a b` name no host here).
_HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+(?:%25[0-9a-z._~-]+)?\]|[0-9a-z._~-]+)(?::[0-9]{0,5})?")


def host_name(header: str | None) -> str | None:
    """The name a Host header asks for, lower case, without its port or a final dot; None when
    there is none or the header is not a host and port."""
    if not header:
        return None
    match = _HOST_HEADER.fullmatch(header.strip().lower())
    if match is None:
        return None
    name = match[1]
    return name if name.startswith("[") else (name.rstrip(".") or None)


def allowed_hosts(bind: str) -> frozenset[str]:
    """The Host names the preview answers: the local names and the address or name it is bound to."""
    own = bind.lower().rstrip(".")
    return LOCAL_NAMES | {f"[{own}]" if ":" in own and not own.startswith("[") else own}


class PreviewServer(ThreadingHTTPServer):
    """One thread per connection, a deep listen queue, and dropped connections (a reload that
    closed the page mid-reply) reported as one quiet line the first time, instead of a
    traceback each: they are harmless, and a page that reloads often drops many."""

    request_queue_size = BACKLOG
    daemon_threads = True
    dropped: Callable[[str], None] = staticmethod(lambda _line: None)
    hosts: frozenset[str] = LOCAL_NAMES
    drops = 0  # connections dropped so far (only the first is reported)
    _drops_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            with self._drops_lock:
                self.drops += 1
                first = self.drops == 1
            if first:
                self.dropped(
                    f"serve: a browser closed its connection before the reply was sent ({type(exc).__name__}); "
                    "harmless (a page left or reloaded mid-reply), and not reported again"
                )
            return
        super().handle_error(request, client_address)


class PreviewServer6(PreviewServer):
    address_family = socket.AF_INET6


class _RequestReads(io.RawIOBase):
    """A connection's reads, each waiting no longer than what is left of its handler's deadline for
    the request being read: the socket's own timeout is for each read, and a client sending a byte
    of its headers every few seconds never tripped it."""

    def __init__(self, connection: socket.socket, handler: PreviewHandler) -> None:
        super().__init__()
        self._raw = connection.makefile("rb", buffering=0)
        self._connection = connection
        self._handler = handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._connection.settimeout(min(left, self._handler.timeout or left))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves the current build, with the reload script added to every page."""

    preview: Preview  # set by handler_class
    server: PreviewServer
    deadline = 0.0  # (monotonic) by when the request being read must have arrived whole

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(self.preview.output), **kwargs)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader, replaced by one bounded by the deadline
        self.rfile = io.BufferedReader(_RequestReads(self.connection, self))

    def handle_one_request(self) -> None:
        # A request (its line and headers, or the silence before it on a kept-alive connection)
        # must arrive whole within the read timeout: each connection holds a thread, and clients
        # trickling their headers held them for ever.
        self.deadline = time.monotonic() + self.timeout if self.timeout is not None else float("inf")
        super().handle_one_request()

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers
        self.connection.settimeout(self.timeout)  # the reply is written with the socket's own timeout
        return parsed

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for build results."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _foreign_host(self) -> bool:
        """Answers 421 to a request for another name than the preview's (see LOCAL_NAMES)."""
        asked = self.headers.get_all("Host") or []
        if len(asked) == 1 and host_name(asked[0]) in self.server.hosts:  # two Host headers: none
            return False
        self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "the preview answers only to localhost and its own address")
        return True

    def do_HEAD(self) -> None:
        if self._foreign_host():
            return
        try:
            super().do_HEAD()
        except (OSError, ValueError):  # a name the file system cannot hold (too long, a NUL)
            self.send_error(HTTPStatus.NOT_FOUND)

    def do_GET(self) -> None:
        if self._foreign_host():
            return
        try:
            self._get()
        except (OSError, ValueError) as exc:
            if isinstance(exc, ConnectionError):
                raise
            # A path the file system cannot look up (a segment over its name limit, a NUL byte)
            # names no file of the site.
            self._send(HTTPStatus.NOT_FOUND, "text/html", self._not_found_page())

    def _not_found_page(self) -> bytes:
        generation, errors, _ = self.preview.state()
        page = self.preview.output / "404.html"
        try:
            return inject(page.read_text(encoding="utf-8"), generation, errors).encode("utf-8")
        except OSError:
            return b"<!doctype html><title>404</title><p>Not found."

    def _get(self) -> None:
        path = unquote(urlsplit(self.path).path)
        if path.startswith(PREFIX):
            self._internal(path[len(PREFIX) :])
            return
        generation, errors, built = self.preview.state()
        if not built:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/html", error_page(generation, errors).encode())
            return
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not path.endswith("/"):
                super().do_GET()  # redirects to the address with a slash
                return
            target = target / "index.html"
        status = HTTPStatus.OK
        if not target.is_file():
            target, status = self.preview.output / "404.html", HTTPStatus.NOT_FOUND
            if not target.is_file():
                self.send_error(HTTPStatus.NOT_FOUND)
                return
        if target.suffix != ".html":
            super().do_GET()
            return
        page = inject(target.read_text(encoding="utf-8"), generation, errors)
        self._send(status, "text/html", page.encode("utf-8"))

    def _internal(self, name: str) -> None:
        generation, errors, _ = self.preview.state()
        if name == "version":
            body = json.dumps({"generation": generation, "ok": errors is None})
            self._send(HTTPStatus.OK, "application/json", body.encode())
        elif name == "reload.js":
            self._send(HTTPStatus.OK, "text/javascript", RELOAD_JS.encode())
        elif name == "serve.css":
            self._send(HTTPStatus.OK, "text/css", SERVE_CSS.encode())
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# Seconds a connection may stay silent (no request, or a request's headers stopped half-way), and
# the most a request's line and headers may take to arrive whole, before the preview closes it:
# each holds a thread, and a client that opens connections and sends nothing, or sends its headers
# a byte at a time, held them for ever. A browser's idle keep-alive connection is simply reopened.
READ_TIMEOUT = 30.0


def handler_class(preview: Preview, read_timeout: float = READ_TIMEOUT) -> type[PreviewHandler]:
    # StreamRequestHandler.timeout: the connection's socket timeout; a request line or header not
    # read in time ends the connection (BaseHTTPRequestHandler logs it, quietly here)
    return type("Handler", (PreviewHandler,), {"preview": preview, "timeout": read_timeout})


def make_server(preview: Preview, bind: str, port: int, read_timeout: float = READ_TIMEOUT) -> PreviewServer:
    """The preview's HTTP server on `bind`:`port` (0: any free port), not yet serving; a
    connection silent for `read_timeout` seconds is closed."""
    if not bind.strip("[] "):  # the socket would take "" for every interface
        raise UsageProblem(
            f"--bind {bind!r} names no address: give the address or name to listen on, e.g. 127.0.0.1 "
            "(0.0.0.0 for every network interface)"
        )
    kind = PreviewServer6 if ":" in bind else PreviewServer
    try:
        server = kind((bind.strip("[]"), port), handler_class(preview, read_timeout))
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        taken = isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE  # (a serve left running, often)
        hint = ": stop what listens there, or give another --port (0: any free port)" if taken else ""
        raise UsageProblem(f"cannot serve on {bind}:{port}: {reason}{hint}") from None
    server.hosts = allowed_hosts(bind)
    server.dropped = preview.err
    return server


def watched_dirs(source: Path) -> tuple[str, ...]:
    """The site folder itself (for catalog.yaml and servicebook.lock) and every folder under
    content/, layouts/ and measurements/.

    Each is watched on its own, without recursion, so that a site kept at the root of a big
    repository (with .git/ and a virtualenv) costs a handful of watches, not thousands.
    """
    found = [str(source)]
    for name in WATCHED_DIRS:
        top = source / name
        if not top.is_dir() or top.is_symlink():
            continue
        for folder, subdirs, _ in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if not (Path(folder) / d).is_symlink())
            found.append(folder)
    return tuple(found)


def is_source(path: Path, source: Path) -> bool:
    """Whether a change to `path` can change the site."""
    try:
        parts = path.relative_to(source).parts
    except ValueError:
        return False
    return bool(parts) and (parts[0] in WATCHED_FILES or parts[0] in WATCHED_DIRS)


def changed_sources(changes: Iterable[tuple[object, str]], source: Path) -> list[Path]:
    """The source files a round of the watcher reports changed, without the temporary files that
    came and went within it (`sed -i` and many editors save through one)."""
    from watchfiles import Change

    added = {path for change, path in changes if change == Change.added}
    return sorted(
        {
            Path(path)
            for _, path in changes
            if is_source(Path(path), source) and not (path in added and not os.path.lexists(path))
        }
    )


# File times come from a clock that may lag time.time_ns() by a tick: a file saved just after a
# rebuild began may carry a time just before it.
LATE_MARGIN_NS = 1_000_000_000


def saved_since(folders: Iterable[str], since_ns: int) -> list[Path]:
    """The files in `folders` (not below them: each folder is listed on its own) modified at or
    after `since_ns`."""
    found = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if (
                        entry.is_file(follow_symlinks=False)
                        and entry.stat(follow_symlinks=False).st_mtime_ns >= since_ns
                    ):
                        found.append(Path(entry.path))
        except OSError:
            continue  # gone again: nothing in it to build
    return sorted(found)


def watch_sources(preview: Preview, stop: threading.Event, ready: threading.Event | None = None) -> None:
    """Rebuild on every change until `stop` is set; the set of folders is renewed when it changes.

    `ready` is set once the folders are being watched: a change saved before then would be missed,
    so the server says it is serving only after that (see `serve`)."""
    from watchfiles import watch

    dirs: tuple[str, ...] = ()
    since = 0  # when the last rebuild started (time.time_ns)
    while not stop.is_set():
        before, dirs = dirs, watched_dirs(preview.source)
        added = [d for d in dirs if before and d not in before]  # folders that appeared meanwhile
        try:
            # yield_on_timeout: the first (empty) round comes once the watches are in place
            for changes in watch(
                *dirs,
                recursive=False,
                stop_event=stop,
                debounce=150,
                step=50,
                rust_timeout=WATCH_ROUND_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
            ):
                if ready is not None:
                    ready.set()
                changed = changed_sources(changes, preview.source)
                if added:
                    # The new folders are watched from now on; a file saved in one of them after
                    # the last rebuild began and before this round raised no event of its own.
                    late = [p for p in saved_since(added, since - LATE_MARGIN_NS) if p not in changed]
                    added = []
                    if late:  # said only if the build finds that something did change
                        since = time.time_ns()
                        preview.rebuild([*changed, *late], quiet_if_unchanged=not changed)
                        changed = []
                if changed:
                    since = time.time_ns()
                    preview.rebuild(changed)
                elif not changes:  # a quiet round: check what the last rebuild took on trust
                    preview.verify()
                    preview.follow_head()
                if changes and watched_dirs(preview.source) != dirs:
                    break
        except Exception as exc:  # a folder vanished between listing and watching: list again
            preview.err(f"watching the sources: {exc}; retrying")
            dirs = before  # the folders new since then are still to be caught up with
            if ready is not None:
                ready.set()  # the server goes on serving what it built
            stop.wait(0.5)


def serve(
    source: Path,
    port: int,
    env: Mapping[str, str],
    out: Callable[[str], None],
    err: Callable[[str], None],
    bind: str = HOST,
) -> None:
    """Build, serve and watch until interrupted (KeyboardInterrupt); cleans up after itself."""
    preview = Preview(source, env, out, err)
    try:
        server = make_server(preview, bind, port)
        stop = threading.Event()
        try:
            preview.rebuild()
            watching = threading.Event()
            watcher = threading.Thread(target=watch_sources, args=(preview, stop, watching), name="watch", daemon=True)
            watcher.start()
            while not watching.wait(0.1) and watcher.is_alive():
                pass  # "Rebuilding on changes" must be true once said: an edit made right after is seen
            shown = f"[{bind.strip('[]')}]" if ":" in bind else bind
            url = f"http://{shown}:{server.server_port}/"
            out(f"Serving {preview.source} at {url}")
            out(
                "Rebuilding on changes to catalog.yaml, servicebook.lock, content/, layouts/ and measurements/."
                " Press Ctrl+C to stop."
            )
            server.serve_forever()
        finally:
            stop.set()
            server.server_close()
    finally:
        preview.close()
