"""`make bench`: the reader's search on the large bench site (2,000 offerings, 5,000 tool
decisions, 2,000 policy pages), servicebook's index beside Pagefind's on the same pages.

    python bench/search_bench.py [--site FOLDER] [--runs 3]

It builds the site with servicebook (generated under bench/out/search-large/ when missing),
indexes the same built pages with Pagefind (`pagefind[extended]`, the `bench` extra; only the
`<main>` of each page, which is what servicebook's index covers), and drives both in headless
Chromium (Debian's, through Playwright, as the browser tests do), each query in a fresh browser
context (nothing cached):

- bytes fetched by the search for a first query (index files only: the page and its script are
  the same for both and not counted; Pagefind's own script and WebAssembly are counted, since
  servicebook's search script is part of every page anyway);
- time from the keystroke to the first result painted (the next animation frame after it is in
  the page), on a normal CPU and with the CPU slowed 4x (Chrome's CPU throttling); for the
  header's box twice: the keystroke at the moment of the focus (cold: the script and the manifest
  are fetched after it) and 300 ms after it (a reader's pause between the click and the first key);
- the largest HTML pages of the site (the issue's target: none over 1 MB).

The search page too is measured twice: the keystroke as soon as its script has come (at once) and
300 ms later. Figures are medians over `--runs` runs of each query; bench/README.md records them.

    python bench/search_bench.py --against OLD_PUBLIC [--breakdown] [--runs 3]

measures the header's box (after a pause) and the search page on this code's build of the site and
on OLD_PUBLIC (the same site built by other code, e.g. `git worktree add /tmp/old REV` and a build
there, or a copy of public/ made before a change), alternating, and prints old → new (new/old).
It also prints, for each, the rounds of index requests the first result waited on (requests
overlapping in time are one round) and the index KB fetched: figures the machine's load does not move.
With --breakdown, further runs of the search page are traced (Chromium's performance trace) and the
main thread's CPU time from the keystroke to the first result painted is told by kind: script,
address (history.replaceState), loading, style, layout, paint, other; "waiting" is the rest of the
wall time.

    python bench/search_bench.py --making SITE

measures instead what making the index costs on a built bench site (bench/out/5k/site after
`make bench`), in this process, CPU seconds: from nothing, then from the last index in a store
(site/search.py) with nothing changed, after one page's text changed, and after a page was
removed (every later record's id moves).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

EPOCH = "1790000000"
CHROMIUM = os.environ.get("SERVICEBOOK_CHROMIUM", "/usr/bin/chromium")
# a tool by name, a word in policy pages' text, two words, a word typed half-way
QUERIES = ["gateway", "rollback", "error budget", "terraf"]
PAUSE_MS = 300  # between clicking the header's box and the first key, for the "paused" figures

# servicebook: a query typed into the header's box of an offering page (search.js comes on focus),
# or into the search page's box (the A to Z list of everything is what that page holds).
POPUP = """async ([query, pause]) => {
  WAITED

  const input = document.querySelector('#site-search-q');
  input.focus();
  if (pause) await new Promise(r => setTimeout(r, pause));
  performance.mark('keystroke');
  const t0 = performance.now();
  input.value = query;
  input.dispatchEvent(new Event('input'));
  while (!document.querySelector('#site-search-results .result')) {
    if (performance.now() - t0 > 30000) throw new Error('no result for ' + query);
    await new Promise(r => setTimeout(r, 1));
  }
  const inPage = performance.now();
  await new Promise(r => requestAnimationFrame(() => r()));
  performance.mark('painted');
  return {ms: performance.now() - t0, title: document.querySelector('#site-search-results .result a').textContent, spans: waited(t0, inPage)};
}"""
OURS = """async ([query, pause]) => {
  WAITED

  const input = document.querySelector('#search-q');
  while (!window.performance.getEntriesByType('resource').some(e => e.name.endsWith('search.js'))) {
    await new Promise(r => setTimeout(r, 5));
  }
  if (pause) await new Promise(r => setTimeout(r, pause));
  performance.mark('keystroke');
  const t0 = performance.now();
  input.value = query;
  input.dispatchEvent(new Event('input'));
  while (!document.querySelector('#search-results .result')) {
    if (performance.now() - t0 > 30000) throw new Error('no result for ' + query + ': ' + document.querySelector('#search-status').textContent);
    await new Promise(r => setTimeout(r, 1));
  }
  const inPage = performance.now();
  await new Promise(r => requestAnimationFrame(() => r()));
  performance.mark('painted');
  return {ms: performance.now() - t0, title: document.querySelector('#search-results .result a').textContent, spans: waited(t0, inPage)};
}"""

# Pagefind: its JavaScript API (what its UI calls), the first result's fragment loaded and shown.
PAGEFIND_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pagefind</title></head>
<body><input id="q"><ol id="results"></ol></body></html>
"""
# (start, end) of each request for the index still under way at the keystroke or made after it,
# and asked for before the first result was in the page: what that result waited on
WAITED = """const waited = (t0, inPage) => performance.getEntriesByType('resource')
    .filter(e => /\\/search\\/.*\\.json$/.test(e.name) && e.responseEnd > t0 && e.startTime < inPage)
    .map(e => [e.startTime - t0, e.responseEnd - t0]);"""
POPUP = POPUP.replace("WAITED", WAITED)
OURS = OURS.replace("WAITED", WAITED)

THEIRS = """async (query) => {
  const t0 = performance.now();
  const pagefind = await import('/pagefind/pagefind.js');
  const search = await pagefind.search(query);
  const first = await search.results[0].data();
  const li = document.createElement('li');
  li.textContent = first.meta.title + ' ' + first.excerpt.replace(/<[^>]+>/g, '');
  document.querySelector('#results').appendChild(li);
  await new Promise(r => requestAnimationFrame(() => r()));
  return {ms: performance.now() - t0, title: first.meta.title, count: search.results.length};
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a browser context closed mid-reply
            super().handle_error(request, client_address)


@contextmanager
def serve(root: Path) -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def build(site: Path) -> float:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "GIT_CEILING_DIRECTORIES": str(site.parent)}
    start = time.perf_counter()
    servicebook = Path(sys.executable).parent / "servicebook"
    subprocess.run([str(servicebook), "build", "--source", str(site)], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def pagefind(public: Path) -> float:
    shutil.rmtree(public / "pagefind", ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(public), "--root-selector", "main", "--silent"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


# Where the main thread's time between the keystroke and the first result painted goes, from a
# Chromium performance trace: each trace event's own CPU time (its thread time, less that of the
# events inside it) goes to the first kind found from it outwards. CPU time, not wall time, so
# that a machine shared with other work shifts the figures less; "waiting" is the rest of the
# wall time (requests in flight, the CPU given to another process, the 4x slowdown's pauses).
TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink.user_timing",
    "v8",
    "blink",
    "loading",
    "toplevel",
]
KINDS = {
    "script": (
        "FunctionCall",
        "RunMicrotasks",
        "EvaluateScript",
        "v8.callFunction",
        "v8.compile",
        "TimerFire",
        "FireAnimationFrame",
        "EventDispatch",
        "MinorGC",
        "MajorGC",
        "v8.run",
        "V8.GCScavenger",
    ),
    "address": ("FrameLoader::updateForSameDocumentNavigation",),
    "loading": (
        "ResourceFetcher::requestResource",
        "ResponseBodyLoader::DidFinishLoadingBody",
        "SVGImage::DataChanged",
        "ParseHTML",
        "ResourceReceiveResponse",
        "ResourceReceivedData",
        "ResourceFinish",
        "ResourceSendRequest",
    ),
    "style": ("UpdateLayoutTree", "Document::updateStyle", "Document::rebuildLayoutTree", "Document::recalcStyle"),
    "layout": ("Layout", "LocalFrameView::layout"),
    "paint": (
        "PrePaint",
        "Paint",
        "Layerize",
        "Commit",
        "LocalFrameView::RunPaintLifecyclePhase",
        "LocalFrameView::RunCompositingInputsLifecyclePhase",
        "LocalFrameView::RunPrePaintLifecyclePhase",
    ),
}
KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}
TOP = ("RunTask", "ThreadControllerImpl::RunTask")


def breakdown(trace: dict[str, Any]) -> dict[str, float]:
    """ms of the main thread's time by kind between the page's 'keystroke' and 'painted' marks."""
    events = trace["traceEvents"]
    marks = {
        e["name"]: e
        for e in events
        if e.get("name") in ("keystroke", "painted") and e.get("ph") in ("R", "I", "n", "b")
    }
    pid, start, end = marks["keystroke"]["pid"], marks["keystroke"]["ts"], marks["painted"]["ts"]
    main = next(
        e["tid"]
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e["pid"] == pid
        and e["args"]["name"] == "CrRendererMain"
    )
    spans = sorted(
        (
            e
            for e in events
            if e.get("pid") == pid
            and e.get("tid") == main
            and e.get("ph") == "X"
            and "dur" in e
            and e["ts"] < end
            and e["ts"] + e["dur"] > start
        ),
        key=lambda e: (e["ts"], -e["dur"]),
    )
    kinds: dict[str, float] = {kind: 0.0 for kind in (*KINDS, "other")}
    stack: list[tuple[float, str]] = []  # (end, kind) of the events the next one may be inside
    for e in spans:
        s, d = max(e["ts"], start), min(e["ts"] + e["dur"], end)
        # its thread time, the share of it inside the window when it crosses an edge
        cpu = e.get("tdur", e["dur"]) * ((d - s) / e["dur"] if e["dur"] else 1.0)
        while stack and stack[-1][0] <= e["ts"]:
            stack.pop()
        kind = KIND_OF.get(e["name"]) or (stack[-1][1] if stack else "other")
        if stack:
            kinds[stack[-1][1]] -= cpu
        kinds[kind] += cpu
        stack.append((e["ts"] + e["dur"], kind))
    figures = {kind: ms / 1000 for kind, ms in kinds.items()}
    figures["waiting"] = (end - start) / 1000 - sum(figures.values())
    return figures


def measure(
    browser: Any, url: str, script: str, arg: object, fetched: tuple[str, ...], throttle: float, trace: bool = False
) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("load")
    finished: list[Any] = []
    page.on("requestfinished", lambda r: finished.append(r) if any(f in r.url for f in fetched) else None)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    if trace:
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    result = page.evaluate(script, arg)
    if trace:
        result["kinds"] = breakdown(json.loads(browser.stop_tracing()))
    page.wait_for_timeout(200)  # the fetches the result led to (a page's text for its lines) finish
    sizes = [r.sizes()["responseBodySize"] for r in finished]
    context.close()
    return {**result, "bytes": sum(sizes), "files": len(sizes), "rounds": rounds(result.get("spans", []))}


def rounds(spans: list[list[float]]) -> int:
    """How many rounds of requests one after another a keystroke waited on: its index requests
    (start, end) grouped where they overlap in time."""
    count, end = 0, float("-inf")
    for start, finish in sorted(spans):
        if start >= end:
            count += 1
        end = max(end, finish) if start < end else finish
    return count


def largest_pages(public: Path, n: int = 5) -> list[tuple[int, str]]:
    sizes = [(p.stat().st_size, p.relative_to(public).as_posix()) for p in public.rglob("*.html")]
    return sorted(sizes, reverse=True)[:n]


def index_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def making(site: Path) -> None:
    """What making the index costs (see the module's docstring)."""
    import dataclasses
    import tempfile

    from servicebook.cache.store import Store
    from servicebook.site import search
    from servicebook.site.load import load
    from servicebook.site.parallel import batch_collections, worker_count
    from servicebook.site.views import site_view

    batch_collections()  # as a build does
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    loaded = load(site, env)
    assert loaded.site is not None, loaded.problems
    pages = list(loaded.site.pages)
    middle = len(pages) // 2
    edited = pages[middle]
    pages[middle] = dataclasses.replace(
        edited, body=edited.html + "<p>A revision note added by the benchmark.</p>", html_sha256="0" * 64
    )
    views = {
        "nothing changed": site_view(loaded.site),
        "one page's text changed": site_view(dataclasses.replace(loaded.site, pages=tuple(pages))),
        "one page removed": site_view(dataclasses.replace(loaded.site, pages=(*pages[:middle], *pages[middle + 1 :]))),
    }
    workers = worker_count(os.environ)

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def timed(label: str, make: Any) -> None:
        start = cpu()
        make()
        print(f"{label:<48} {cpu() - start:6.2f} CPU s (this process and its workers)")

    print(f"== making the search index of {site} ({len(loaded.site.pages)} policy pages, {workers} workers) ==")
    timed("from nothing, no store", lambda: search.search_index(views["nothing changed"]))
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.sqlite") as store:
        timed(
            "from nothing, words kept in a store", lambda: search.search_index(views["nothing changed"], store, workers)
        )
        for label, view in views.items():
            timed(f"from the last index: {label}", lambda view=view: search.search_index(view, store, workers))
            store.commit()


def med(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def versus(browser: Any, sites: dict[str, str], offering: str, runs: int, trace: bool) -> None:
    """The header's box after a pause and the search page (at once, and after a pause), on two
    builds of the same site (the old code's and this one's), measured alternately."""
    ways = {
        "popup paused": (offering, POPUP, lambda q: [q, PAUSE_MS]),
        "page at once": ("search/", OURS, lambda q: [q, 0]),
        "page paused": ("search/", OURS, lambda q: [q, PAUSE_MS]),
    }
    times: dict[tuple[str, str, float, str], list[dict[str, Any]]] = {}
    for query in QUERIES:
        for throttle in (1, 4):
            for _ in range(runs):
                for name, base in sites.items():
                    for way, (path, script, arg) in ways.items():
                        fetched = ("/search/",) if path == "search/" else ("/search/", "search.js")
                        r = measure(browser, base + path, script, arg(query), fetched, throttle)
                        times.setdefault((query, way, throttle, name), []).append(r)
                        if trace and path == "search/":
                            r = measure(browser, base + path, script, arg(query), fetched, throttle, trace=True)
                            times.setdefault((query, way + " traced", throttle, name), []).append(r)
            print(f"measured {query!r} at {throttle}x", file=sys.stderr)
    old, new = sites
    print(f"== keystroke to first result painted (ms, medians of {runs}): {old} against {new}, alternating ==")
    print(f"{'query':<14}{'CPU':>5}" + "".join(f"{way:>24}" for way in ways))
    for query in QUERIES:
        for throttle in (1, 4):
            cells = []
            for way in ways:
                a, b = med(times[(query, way, throttle, old)], "ms"), med(times[(query, way, throttle, new)], "ms")
                cells.append(f"{a:.0f} → {b:.0f} ({b / a:.2f})")
            print(f"{query:<14}{str(throttle) + 'x':>5}" + "".join(f"{c:>24}" for c in cells))
    print(
        "== rounds of index requests the keystroke waited on, and index KB fetched (medians; the same at 1x and 4x) =="
    )
    print(f"{'query':<14}" + "".join(f"{way:>24}" for way in ways))
    for query in QUERIES:
        cells = []
        for way in ways:
            old_runs, new_runs = times[(query, way, 1, old)], times[(query, way, 1, new)]
            cells.append(
                f"{med(old_runs, 'rounds'):.0f} → {med(new_runs, 'rounds'):.0f}, "
                f"{med(old_runs, 'bytes') / 1024:.0f} → {med(new_runs, 'bytes') / 1024:.0f}"
            )
        print(f"{query:<14}" + "".join(f"{c:>24}" for c in cells))
    if not trace:
        return
    kinds = [*KINDS, "other", "waiting"]
    print(f"== the search page's main thread from keystroke to paint, by kind (ms, medians of {runs}, traced runs) ==")
    print(f"{'query':<14}{'CPU':>5}{'way':>14}{'code':>6}" + "".join(f"{k:>9}" for k in kinds) + f"{'all':>8}")
    for query in QUERIES:
        for throttle in (1, 4):
            for way in ("page at once", "page paused"):
                for name in sites:
                    runs_ = times[(query, way + " traced", throttle, name)]
                    figures = [statistics.median(r["kinds"][k] for r in runs_) for k in kinds]
                    print(
                        f"{query:<14}{str(throttle) + 'x':>5}{way[5:]:>14}{name:>6}"
                        + "".join(f"{f:>9.0f}" for f in figures)
                        + f"{med(runs_, 'ms'):>8.0f}"
                    )


def main() -> None:
    if sys.argv[1:2] == ["--making"]:
        making(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=HERE / "out" / "search-large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pagefind", action="store_true", help="servicebook's figures only (quicker)")
    parser.add_argument(
        "--against",
        type=Path,
        metavar="PUBLIC",
        help="a built copy of the same site made by other code (its public/ folder): the two measured alternately",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="with --against: trace the search page and say where its time goes"
    )
    args = parser.parse_args()
    site: Path = args.site
    if not (site / "catalog.yaml").is_file():
        generate(site, offerings=2000, tools=5000, pages=2000)
    built = build(site)
    public = site / "public"
    if args.against:
        from playwright.sync_api import sync_playwright

        offering = min(
            p.parent.relative_to(public).as_posix() + "/" for p in (public / "offerings").glob("*/index.html")
        )
        with serve(args.against) as old, serve(public) as new, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            versus(browser, {"old": old, "new": new}, offering, args.runs, args.breakdown)
            browser.close()
        return
    ours_total = index_bytes(public / "search") - sum(p.stat().st_size for p in (public / "search").glob("*.html"))
    indexed = 0.0 if args.no_pagefind else pagefind(public)
    (public / "pagefind-bench.html").write_text(PAGEFIND_PAGE)
    from playwright.sync_api import sync_playwright

    offering = min(p.parent.relative_to(public).as_posix() + "/" for p in (public / "offerings").glob("*/index.html"))
    rows = []
    with serve(public) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for query in QUERIES:
            for throttle in (1, 4):
                popup = [
                    measure(browser, base + offering, POPUP, [query, 0], ("/search/", "search.js"), throttle)
                    for _ in range(args.runs)
                ]
                paused = [
                    measure(browser, base + offering, POPUP, [query, PAUSE_MS], ("/search/", "search.js"), throttle)
                    for _ in range(args.runs)
                ]
                ours = [
                    measure(browser, base + "search/", OURS, [query, 0], ("/search/",), throttle)
                    for _ in range(args.runs)
                ]
                ours_paused = [
                    measure(browser, base + "search/", OURS, [query, PAUSE_MS], ("/search/",), throttle)
                    for _ in range(args.runs)
                ]
                if args.no_pagefind:
                    rows.append(
                        (query, throttle, popup, paused, ours, ours_paused, [{"ms": 0, "bytes": 0, "files": 0}])
                    )
                    print(f"measured {query!r} at {throttle}x", file=sys.stderr)
                    continue
                theirs = [
                    measure(browser, base + "pagefind-bench.html", THEIRS, query, ("/pagefind/",), throttle)
                    for _ in range(args.runs)
                ]
                rows.append((query, throttle, popup, paused, ours, ours_paused, theirs))
                print(f"measured {query!r} at {throttle}x", file=sys.stderr)
        browser.close()

    print(f"== search on the large bench site ({site}) ==")
    print(
        f"servicebook build {built:.1f} s (kept from the last run when unchanged); search index {ours_total / 1e6:.1f} MB in all"
    )
    if not args.no_pagefind:
        print(
            f"Pagefind indexing of the same pages {indexed:.1f} s; its bundle {index_bytes(public / 'pagefind') / 1e6:.1f} MB"
        )
    print(
        "first query, bytes fetched (KB, files) and keystroke to first result painted (ms): servicebook's header "
        "search on an offering page (search.js included), the keystroke at the same moment as the focus (cold) "
        f"and {PAUSE_MS} ms after it (a reader's pause between the click and the first key); its search page "
        f"(index only), the keystroke as soon as its script is there (at once) and {PAUSE_MS} ms later (paused); "
        "Pagefind (script, WebAssembly and index)"
    )
    print(
        f"{'query':<14}{'CPU':>5}{'popup KB':>13}{'cold ms':>9}{'paused ms':>11}{'page KB':>9}{'at once':>9}{'paused':>8}"
        f"{'Pagefind KB':>14}{'ms':>7}"
    )
    for query, throttle, popup, paused, ours, ours_paused, theirs in rows:
        print(
            f"{query:<14}{str(throttle) + 'x':>5}"
            f"{med(popup, 'bytes') / 1024:>8.0f} ({med(popup, 'files'):>2.0f}){med(popup, 'ms'):>9.0f}{med(paused, 'ms'):>11.0f}"
            f"{med(ours, 'bytes') / 1024:>9.0f}{med(ours, 'ms'):>9.0f}{med(ours_paused, 'ms'):>8.0f}"
            f"{med(theirs, 'bytes') / 1024:>9.0f} ({med(theirs, 'files'):>2.0f}){med(theirs, 'ms'):>7.0f}"
        )
    print("largest pages: " + ", ".join(f"{path} {size / 1e6:.2f} MB" for size, path in largest_pages(public)))
    shutil.rmtree(public / "pagefind", ignore_errors=True)
    (public / "pagefind-bench.html").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
