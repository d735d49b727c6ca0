"""Starts git, the only process servicebook runs: with an environment and configuration that never
prompt, never take optional locks and keep its output the same parseable text in every locale.

Every other module reaches git through `run`, `stream`, `git` or `Pipe`; import-linter and
tests/test_git_door.py keep it so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

from servicebook.errors import UsageProblem

# What the user's environment must not change: messages in another language, a prompt for a
# password (which would hang a build in CI), a pager, or an index refresh that takes a lock
# while someone else commits.
ENV_EXTRA: Mapping[str, str] = {
    "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "GIT_ATTR_NOSYSTEM": "1",  # /etc/gitattributes: not the commit's (core.attributesFile below)
    # A commit is what its id names, whatever the clone says: not the commit a replace ref
    # (refs/replace/, `git replace`) puts in its place, nor with the parents a graft file
    # (.git/info/grafts) gives it. With them a release was published under one commit's id with
    # another's catalog, which nobody else's clone rebuilds. (The graft file is named where none can
    # be: /dev/null is not a folder. A shallow clone's own file, .git/shallow, is read as before.)
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_GRAFT_FILE": "/dev/null/none",
}
# Where a repository is, which servicebook finds from the folder it is given (--source), never from
# the caller's environment: the variables git itself clears before it runs in another repository
# (`git rev-parse --local-env-vars`), but for the configuration ones (GIT_CONFIG_PARAMETERS, set by
# `git -c`, and GIT_CONFIG_COUNT, a job's safe.directory), which are the user's configuration as
# ~/.gitconfig is. A git hook runs with GIT_DIR or GIT_INDEX_FILE set, and a shell may export
# GIT_DIR: with them, a build of one site published another repository's history and releases.
REPOSITORY_ENV: frozenset[str] = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_COMMON_DIR",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_SHALLOW_FILE",
        "GIT_PREFIX",
        "GIT_NAMESPACE",
        "GIT_REPLACE_REF_BASE",
        "GIT_CONFIG",
        "GIT_INTERNAL_SUPER_PREFIX",
    }
)
# What the user's configuration must not change in the output we parse: quoted paths,
# signatures in `git log`, the encoding of names and messages, and the root commit's files in
# `git log --raw` (with log.showRoot=false git lists none, and the first commit of the history
# would seem to add nothing) (tests/test_git_door.py). And the attributes of the user's (and the
# system's) own, which `git archive` would follow (a global `*.md export-ignore` left every policy
# page out of the releases): a release is its commit's, with the commit's own .gitattributes only.
CONFIG: tuple[str, ...] = (
    "-c",
    "core.quotepath=off",
    "-c",
    "log.showSignature=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
    "-c",
    "log.showRoot=true",
    "-c",
    "core.attributesFile=/dev/null",
    "-c",
    "safe.bareRepository=explicit",
)
# git looks for a repository in the folder it is given before the folders above it, and takes one
# holding HEAD, objects/ and refs/ for a bare repository whose config it obeys: a commit can write
# those files beside a catalog, and its config names commands for git to run (core.fsmonitor, run by
# `git status`). So git uses a bare repository only where it is told of one
# (safe.bareRepository=explicit above; git 2.38 and later), and the bare repositories servicebook
# makes itself (a member's store, an empty one borrowing objects) are named with BARE, first of a
# command's arguments.
BARE: tuple[str, ...] = ("--git-dir=.",)
# A bare repository of ours lives in the site's cache (a member's store), which a CI job restores
# from an archive that a job someone else controlled may have written: its hooks never run, and
# its config and attributes may hold nothing but what `git init --bare` writes (altered_store).
BARE_CONFIG: tuple[str, ...] = ("-c", "core.hooksPath=/dev/null")
ARCHIVE_ATTRIBUTES = "* -export-ignore -export-subst\n"  # an empty repository's of ours (git/releases.py)
_STORE_KEYS = frozenset(
    {
        "core.repositoryformatversion",
        "core.filemode",
        "core.bare",
        "core.ignorecase",
        "core.precomposeunicode",
        "core.logallrefupdates",
        "core.symlinks",
        "extensions.objectformat",
        "extensions.refstorage",
    }
)
# git before 2.38 ignores safe.bareRepository, without a word: see layout_refusal.
OLDEST_GIT = (2, 38)
BARE_REFUSED = "cannot use bare repository"  # git's message when it finds one it is not told of
TIME_LIMIT = 600.0  # seconds for one git command; none of ours takes more than a few on a large history
MISSING = "git is not installed (no `git` command on PATH)"


@dataclass(frozen=True, slots=True)
class Done:
    """What a git command that ran said and how it ended."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error(self) -> str:
        """git's own message, for a report."""
        return self.stderr.decode("utf-8", "replace").strip()


def command(root: Path, args: Iterable[str]) -> list[str]:
    """The command line that runs git subcommand `args` in `root`; refused (UsageProblem) where the
    installed git is older than OLDEST_GIT and would take a folder of the site for a repository
    (layout_refusal). A command on a bare repository of ours names it (BARE): git looks for none."""
    args = list(args)
    if args[:1] != list(BARE):
        refused = _refused_in(root)
        if refused is not None:
            raise UsageProblem(refused)
        return ["git", "-C", str(root), *CONFIG, *args]
    altered = altered_store(root)
    if altered is not None:
        raise UsageProblem(altered)
    return ["git", "-C", str(root), *CONFIG, *BARE_CONFIG, *args]


def parse_version(said: str) -> tuple[int, ...] | None:
    """The version `git --version` says (`git version 2.39.5`, `git version 2.37.1 (Apple
    Git-137.1)`, `git version 2.40.0.windows.1`), as its leading numbers; None when it says none."""
    words = said.split()
    if len(words) < 3 or words[:2] != ["git", "version"]:
        return None
    numbers = []
    for part in words[2].split("."):
        if not part.isdigit() or not part.isascii():
            break
        numbers.append(int(part))
    return tuple(numbers) if len(numbers) >= 2 else None


def looks_bare(folder: Path) -> bool:
    """Whether git would take `folder` for a repository's own folder (a bare repository): it holds
    HEAD, objects/ and refs/."""
    return (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir()


def layout_refusal(root: Path, said: str) -> str | None:
    """Why the git whose `git --version` says `said` is not run in `root`, or None when it may be.
    git before 2.38 (or one that does not say its version) ignores safe.bareRepository without a
    word: looking for the repository from `root` up, it would take a folder on the way that looks
    like a repository's own (a commit can make one: HEAD, objects/, refs/, config) for one, and obey
    its config (a command it names would run). Such a git runs where no folder on the way does."""
    version = parse_version(said)
    if version is not None and version >= OLDEST_GIT:
        return None
    folder = root.absolute()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return None  # git stops at the first .git, before looking at the folder itself
        if looks_bare(candidate):
            found = (
                f"git {'.'.join(map(str, version))}"
                if version is not None
                else f"a git that says {said.strip()[:80]!r}"
            )
            oldest = ".".join(map(str, OLDEST_GIT))
            return (
                f"{found} is installed, which ignores safe.bareRepository (git {oldest} and later do not), and "
                f"{candidate} holds HEAD, objects/ and refs/ as a repository's own folder does: that git would "
                "take it for a repository and obey its config (a command it names would run); remove them from "
                f"the folder, or install git {oldest} or later"
            )
    return None


@cache
def _installed_version() -> str | None:
    """What `git --version` says, asked once a process (None where there is no git to run: each
    command then says so)."""
    try:
        done = subprocess.run(
            ["git", "--version"], capture_output=True, check=False, env=environment(), timeout=TIME_LIMIT
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace")


@cache
def _refused_in(root: Path) -> str | None:
    """layout_refusal of the installed git in `root`, asked once a process and folder."""
    said = _installed_version()
    return None if said is None else layout_refusal(root, said)


def environment() -> dict[str, str]:
    """The caller's environment, less where a repository is (REPOSITORY_ENV), with ENV_EXTRA."""
    return {**{k: v for k, v in os.environ.items() if k not in REPOSITORY_ENV}, **ENV_EXTRA}


def installed() -> bool:
    """Whether there is a git to run (for a clear message where git is required)."""
    return shutil.which("git") is not None


def run(
    root: Path,
    args: Iterable[str],
    stdin: bytes | None = None,
    *,
    time_limit: float = TIME_LIMIT,
    kept: int | None = None,
) -> Done | None:
    """Run git subcommand `args` in `root` (no shell); None when git cannot be started. With
    `kept`, of what git writes to each of stdout and stderr only about that many bytes are kept,
    its first and last whole lines (`_Kept`), the rest read and dropped: for git talking to a
    server someone else runs, whose messages git writes out as they come ("remote: …", 200 MB in
    6 s from a server on this machine) and whose branches `ls-remote` lists."""
    args = list(args)
    if kept is not None and stdin is None:
        return _run_kept(root, args, time_limit, kept)
    try:
        done = subprocess.run(
            command(root, args), capture_output=True, check=False, input=stdin, env=environment(), timeout=time_limit
        )
    except subprocess.TimeoutExpired:
        raise _too_long(root, args, time_limit) from None
    except OSError:  # no git on PATH, or not one that can be run
        return None
    return Done(done.returncode, done.stdout, done.stderr)


def stream(
    root: Path, args: Iterable[str], read: Callable[[IO[bytes]], object], *, time_limit: float = TIME_LIMIT
) -> Done | None:
    """Run git subcommand `args` in `root`, its stdout handed to `read` (a file open for reading) as
    git writes it, never held whole: a release's `git archive` is as large as its sources. What
    `read` leaves unread is read and dropped, so git ends as it would have; Done's stdout is empty.
    An exception `read` raises is raised again once git has ended, unless git failed: then Done
    says why (what `read` saw was what git wrote before it failed). None when git cannot be started."""
    args = list(args)
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: git may fill it while `read` reads
        try:
            proc = subprocess.Popen(command(root, args), stdout=subprocess.PIPE, stderr=errors, env=environment())
        except OSError:  # no git on PATH, or not one that can be run
            return None
        out = proc.stdout
        assert out is not None
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            proc.kill()

        timer = threading.Timer(time_limit, stop)
        timer.start()
        failure: Exception | None = None
        try:
            try:
                read(out)
            except Exception as exc:  # raised again below unless git says why
                failure = exc
            while out.read(_DROPPED):
                pass
            proc.wait()
        finally:
            timer.cancel()
            timer.join()  # no thread left running when the build forks its workers
            if proc.poll() is None:  # interrupted: git goes too
                proc.kill()
                proc.wait()
            out.close()
        if fired.is_set():
            raise _too_long(root, args, time_limit)
        errors.seek(0)
        done = Done(proc.returncode, b"", errors.read())
    if failure is not None and done.ok:
        raise failure
    return done


_DROPPED = 1 << 16  # bytes read at a time of what `stream`'s reader left


_LEFT_OPEN = 10.0  # seconds a pipe is read for after git ended


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop git and the helpers it started (git-remote-https, ssh), which git's own death leaves
    running, still connected to a server that does not answer (where /proc lists them)."""
    helpers = _descendants(proc.pid)
    proc.kill()
    for pid in helpers:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def _descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs, as /proc says (none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_bytes().rpartition(b")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


class _Kept:
    """What a pipe gave, bounded: its first `size // 2` bytes and its last, each cut to whole lines
    where anything between them was dropped."""

    def __init__(self, size: int) -> None:
        self.half = size // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = False

    def add(self, chunk: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.half:
                del self.tail[: len(self.tail) - self.half]
                self.dropped = True

    def drain(self, pipe: IO[bytes]) -> None:
        with pipe:
            while chunk := os.read(pipe.fileno(), _DROPPED):
                self.add(chunk)

    def value(self) -> bytes:
        if not self.dropped:
            return bytes(self.head + self.tail)
        return bytes(self.head[: self.head.rfind(b"\n") + 1] + self.tail[self.tail.find(b"\n") + 1 :])


def _run_kept(root: Path, args: list[str], time_limit: float, kept: int) -> Done | None:
    """`run` with `kept`: stdout and stderr each read as git writes them, into a `_Kept`."""
    try:
        proc = subprocess.Popen(command(root, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    except OSError:  # no git on PATH, or not one that can be run
        return None
    out, err = _Kept(kept), _Kept(kept)
    assert proc.stdout is not None and proc.stderr is not None
    # daemons: a helper git started (git-remote-https) may hold the pipes open after git is killed
    readers = [
        threading.Thread(target=out.drain, args=(proc.stdout,), daemon=True),
        threading.Thread(target=err.drain, args=(proc.stderr,), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=time_limit)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise _too_long(root, args, time_limit) from None
    except BaseException:  # Ctrl-C: git goes too
        proc.kill()
        raise
    for reader in readers:  # (a process git left running may hold a pipe open: not waited for long)
        reader.join(_LEFT_OPEN)
    return Done(proc.returncode, out.value(), err.value())


class TookTooLong(UsageProblem):
    """git did not finish within its time limit (a server that does not answer, a huge repository)."""


def _too_long(root: Path, args: Iterable[str], time_limit: float) -> TookTooLong:
    return TookTooLong(f"`git {' '.join(args)}` in {root} did not finish within {time_limit:g} seconds")


def started(root: Path, *args: str) -> Callable[[], str | None]:
    """`git`, started now and waited for when its answer is asked for (by calling what this
    returns): git commands that do not depend on one another run at once, not one after the
    other (a rebuild with nothing to do asks three; bench/README.md, "A no-change rebuild at
    20,000 pages: the store read-only")."""
    try:
        proc = subprocess.Popen(command(root, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    except OSError:  # no git on PATH, or not one that can be run
        return lambda: None

    def answer() -> str | None:
        try:
            out, _ = proc.communicate(timeout=TIME_LIMIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise _too_long(root, args, TIME_LIMIT) from None
        return out.decode("utf-8", "replace") if proc.returncode == 0 else None

    return answer


def git(root: Path, *args: str) -> str | None:
    """Run git in `root`; its stdout, or None when git fails or `root` is not in a repository."""
    done = run(root, args)
    if done is None or not done.ok:
        return None
    return done.stdout.decode("utf-8", "replace")


class Pipe:
    """A long-running git command that answers one request after another (`git cat-file --batch`):
    requests go to its stdin, answers are read from its stdout; its stderr is discarded."""

    def __init__(self, root: Path, args: Iterable[str]) -> None:
        self._proc = subprocess.Popen(
            command(root, args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment(),
        )

    def ask(self, line: bytes) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(line + b"\n")
        self._proc.stdin.flush()

    def readline(self) -> bytes:
        assert self._proc.stdout is not None
        return self._proc.stdout.readline()

    def read(self, size: int) -> bytes:
        assert self._proc.stdout is not None
        return self._proc.stdout.read(size)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def altered_store(root: Path) -> str | None:
    """Why the bare repository `root` (one of ours: a member's store, or an empty one borrowing
    objects) is not as servicebook makes it, or None. git obeys a repository's own `config`, and
    its `info/attributes` before any `.gitattributes`: a config naming a filter's smudge command
    (which `git archive` runs) with attributes giving every file that filter, or any other key
    than those `git init --bare` writes, or a `commondir` taking the config from elsewhere, would
    have a build run a command of the choosing of whoever wrote the cache a CI job restored."""
    try:
        text = (root / "config").read_text("utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError):
        return _altered(root, "its config cannot be read")
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            head, bracket, line = line[1:].partition("]")
            section, line = head.strip().lower(), line.strip()
            if not bracket or not section.isalnum():
                return _altered(root, f"its config has a section [{head[:40]!s}]")
        if not line or line.startswith(("#", ";")):
            continue
        key = f"{section}.{line.partition('=')[0].strip().lower()}"
        if key not in _STORE_KEYS:
            return _altered(root, f"its config sets {key[:60]!r}")
    for name in ("commondir", "info/attributes"):
        try:
            data = (root / name).read_bytes()
        except FileNotFoundError:
            continue
        except OSError:
            data = b"?"
        if name != "info/attributes" or data.decode("utf-8", "replace") != ARCHIVE_ATTRIBUTES:
            return _altered(root, f"it holds {name}")
    return None


def _altered(root: Path, why: str) -> str:
    return (
        f"the repository {root} in servicebook's cache is not as servicebook made it ({why}), and git "
        "would obey it; delete it (a member's: then run `servicebook federate fetch`)"
    )
