"""The slowest Markdown a policy page can hold, as `check` renders it: pages of 255 KiB made of
the patterns that cost markdown-it-py the most, in CPU seconds of a whole `check` (one worker),
less that of the same site with a one-line page.

    python bench/markdown_bench.py [--runs 3]

Link brackets ('[', '![') are the costliest input by far (each starts a link-label scan); a page
with more than content.markdown.MAX_LINK_BRACKETS of them outside code is refused, located, before
it is parsed, so the slowest page that is rendered is made of the costliest other pattern plus
brackets up to the limit. Figures in bench/README.md ("Markdown").
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from servicebook.content.markdown import MAX_LINK_BRACKETS  # noqa: E402

SIZE = 255 * 1024
FRONT = "---\ntitle: Welcome\n---\n\n"


def fill(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def capped(unit: str, filler: str) -> str:
    """`unit` repeated up to the bracket limit, then `filler` to the page size."""
    head = unit * (MAX_LINK_BRACKETS // unit.count("["))
    return head + "\n\n" + fill(filler, SIZE - len(head) - 2)


PAGES = {
    "one line": "Hello.",
    "'*a' runs (the costliest without brackets)": fill("*a"),
    "'_a ' runs": fill("_a "),
    "'[a](' runs, to the limit": capped("[a](", "*a"),
    "'[' runs, to the limit, then '*a'": capped("[", "*a"),
    "'![' runs, to the limit, then '*a'": capped("![", "*a"),
    "'*[' runs, to the limit, then '*a'": capped("*[", "*a"),
    "'[' runs, 255 KiB (refused)": fill("["),
    "'![' runs, 255 KiB (refused)": fill("!["),
    "prose with 2,000 links": fill("We run the [shared runners](welcome.md) for every team. "),
}


def check_cpu(site: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "SERVICEBOOK_WORKERS": "1", "SOURCE_DATE_EPOCH": "1790000000"}
    subprocess.run(
        [sys.executable, "-m", "servicebook", "check", "--source", str(site)], env=env, capture_output=True, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(REPO / "tests/sites/minimal", site)
        results = {}
        for name, body in PAGES.items():
            (site / "content/welcome.md").write_text(FRONT + body + "\n")
            results[name] = statistics.median(check_cpu(site) for _ in range(args.runs))
        base = results["one line"]
        print(f"check of the minimal site with a one-line page: {base:.2f} CPU s (subtracted below)")
        for name, cpu in results.items():
            if name != "one line":
                print(f"{name:48} {cpu - base:6.2f} CPU s")


if __name__ == "__main__":
    main()
