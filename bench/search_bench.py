"""How fast the search page answers over the index of a catalog far larger than any real team's
(1,000 offerings, 3,000 SLOs, 3,000 tools, 100 policy pages), in headless Chromium:

    python bench/search_bench.py [--runs 5]

Prints the index size, the first answer (fetch + parse + search, a fresh page each run) and the
next keystroke, as the median and worst of the runs. The test (tests/browser/test_search_scale.py)
checks only that the page answers and the index size; the time is measured here (bench/README.md).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from large_catalog import write_large_catalog  # noqa: E402

from servicebook.site.build import Options, build  # noqa: E402
from servicebook.site.load import load  # noqa: E402
from servicebook.site.search import search_index  # noqa: E402
from servicebook.site.views import site_view  # noqa: E402

EPOCH = "1790000000"
MEASURE = """async (query) => {
  const t0 = performance.now();
  const input = document.querySelector('#search-q');
  input.value = query;
  input.dispatchEvent(new Event('input'));
  const first = () => document.querySelector('#search-results .result');
  while (!first()) { await new Promise(r => setTimeout(r, 5)); }
  const loaded = performance.now() - t0;
  const t1 = performance.now();
  input.value = query + ' 42';
  input.dispatchEvent(new Event('input'));
  while (!document.querySelector('#search-status').textContent.includes('42')) { await new Promise(r => setTimeout(r, 1)); }
  return {first: loaded, next: performance.now() - t1};
}"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("SERVICEBOOK_CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        example = root / "example"
        example.mkdir()
        shutil.copy(REPO / "catalog.yaml", example)
        shutil.copytree(REPO / "content", example / "content")
        public = root / "public"
        build(Options(source=example, output=public, env={"SOURCE_DATE_EPOCH": EPOCH}, versions=False))
        (root / "large").mkdir()
        size = write_large_catalog(root / "large")
        loaded = load(root / "large", {"SOURCE_DATE_EPOCH": EPOCH})
        assert loaded.site is not None, loaded.problems
        raw = json.dumps(search_index(site_view(loaded.site)), ensure_ascii=False, separators=(",", ":")).encode()
        (public / "search/index.json").write_bytes(raw)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(public)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/search/"
        firsts, nexts = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            for _ in range(args.runs):
                context = browser.new_context()
                page = context.new_page()
                page.goto(url)
                timing = page.evaluate(MEASURE, "gateway")
                firsts.append(timing["first"])
                nexts.append(timing["next"])
                context.close()
            browser.close()
        server.shutdown()
    print(
        f"search over {size['offerings']} offerings / {size['slos']} SLOs / {size['tools']} tools / "
        f"{size['pages']} policies: index {len(raw) / 1024:.0f} KB ({len(raw) / 1024 / 1024:.2f} MiB); "
        f"first answer median {statistics.median(firsts):.0f} ms, worst {max(firsts):.0f} ms (fetch+parse+search); "
        f"next keystroke median {statistics.median(nexts):.0f} ms, worst {max(nexts):.0f} ms ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
