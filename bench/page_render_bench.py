"""What a render worker spends on each page, template and link scan apart, in one process:
`python bench/page_render_bench.py [--src SRC] [--site 1k] [--runs 3] [--profile]`.

Builds a bench site (bench/run.py's) from nothing with one worker and the code in SRC (default:
this working tree's `src`), and, where the build hands its pages to the render workers, renders
every page again in this process with the build's own renderer (templates.Renderer): each
policy page's template (`templates._render_page`), then its link scan (`templates.scan_page`,
with the body's links and ids as the build spooled them), and the same for the other pages. CPU
clock, the lowest of `--runs` passes, in CPU ms a page; run it with the code of another revision
(`--src` of an unpacked `git archive REV src`) alternately to compare. `--profile`: cProfile (CPU
clock) of one more pass over the policy pages' templates, the top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import EPOCH, ensure_site  # noqa: E402


def _measure(templates: Any, renderer: Any, items: list[int], runs: int, profile: bool) -> dict[str, float]:
    """CPU ms a page of each kind's template and link scan, the lowest of `runs` passes."""
    kinds = {
        "policy pages": [i for i in items if renderer.specs[i].template == "policy.html"],
        "other pages": [i for i in items if renderer.specs[i].template != "policy.html"],
    }
    best: dict[str, float] = {}
    made: dict[str, bytes] = {}
    for _ in range(runs):
        for kind, chosen in kinds.items():
            if not chosen:
                continue
            start = time.process_time()
            for i in chosen:
                spec = renderer.specs[i]
                made[spec.path] = templates._render_page(
                    renderer.env, spec, renderer.common, renderer.layouts, renderer.urls
                )
            middle = time.process_time()
            for i in chosen:
                spec = renderer.specs[i]
                templates.scan_page(spec.path, made[spec.path], renderer.known, renderer.links, templates._body(spec))
            end = time.process_time()
            for label, seconds in ((f"{kind}: template", middle - start), (f"{kind}: link scan", end - middle)):
                best[label] = min(best.get(label, seconds), seconds * 1000 / len(chosen))
    if profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for i in kinds["policy pages"]:
            spec = renderer.specs[i]
            templates._render_page(renderer.env, spec, renderer.common, renderer.layouts, renderer.urls)
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(30)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=HERE.parent / "src")
    parser.add_argument("--site", default="1k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one pass over the policy pages' templates")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    root = ensure_site(args.site)
    os.environ["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    os.environ["SERVICEBOOK_WORKERS"] = "1"
    import servicebook.site.render as render
    import servicebook.site.templates as templates
    from servicebook.cli import main as cli

    found: dict[str, float] = {}
    original = render.map_shared

    def map_shared(fn, shared, items, workers, *more, **kwargs):  # type: ignore[no-untyped-def]
        # the pages' pool (not the data files'): measured here, while the build's spool is open
        if fn is templates.render_one and items and items[0] < len(shared.specs):
            found.update(_measure(templates, shared, list(items), args.runs, args.profile))
        return original(fn, shared, items, workers, *more, **kwargs)

    render.map_shared = map_shared
    with tempfile.TemporaryDirectory(prefix="page-render-") as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(root / "site", site, ignore=shutil.ignore_patterns(".servicebook-cache", "public"))
        cli(["build", "--source", str(site), "--output", str(Path(tmp) / "public")], standalone_mode=False)
    print(f"{args.src} ({args.site}): CPU ms a page, lowest of {args.runs}")
    for label, ms in found.items():
        print(f"  {label:<28} {ms:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
