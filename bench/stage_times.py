"""Where a policy page's CPU goes in a load worker, stage by stage, against the reference pipeline's
per-page cost (bench/reference.py: front matter, markdown-it-py, one Jinja2 template), in one
process: `python bench/stage_times.py [--src SRC] [--site 1k] [--runs 3]`.

Loads a bench site's pages as a build does (`site.load.load` with a spool, so each page's search
parts are made too) with SERVICEBOOK_WORKERS=1, so that every page is loaded in this process, and
times the stages with the CPU clock (`time.process_time`; a few calls a page, so no cProfile
distortion). Each stage's figure includes the stages listed under it. Then the reference's stages
over the same files. The lowest of `--runs` runs of each, in CPU ms a page; run it with the code
of another revision (`--src` of an unpacked `git archive REV src`) alternately to compare.
Stages a revision does not have, or does not call, are left out.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import reference  # noqa: E402 - bench/reference.py, beside this script
from run import EPOCH, ensure_site  # noqa: E402

# (label, "module:attribute" replaced by a timed wrapper, depth in the printed tree)
STAGES = [
    ("load one page (_load_one)", "servicebook.site.load:_load_one", 0),
    ("read the file", "servicebook.site.load:read_text", 1),
    ("split front matter", "servicebook.site.load:split_front_matter", 1),
    ("front matter: located YAML", "servicebook.site.load:parse_yaml", 1),
    ("front matter: comment traps", "servicebook.site.load:comment_traps", 1),
    ("front matter: typed record", "servicebook.site.load:read_record", 1),
    ("front matter: references", "servicebook.site.load:check_page_meta", 1),
    ("Markdown (markdown.render)", "servicebook.site.load:render", 1),
    ("bracket count", "servicebook.content.markdown:_too_many_brackets", 2),
    ("markdown-it parse", "md:parse", 2),
    ("table labels", "servicebook.content.markdown:_label_cells", 2),
    ("links (_link)", "servicebook.content.markdown:_link", 2),
    ("text (_beginning)", "servicebook.content.markdown:_beginning", 2),
    ("markdown-it render", "md:renderer.render", 2),
    ("sanitizer (nh3)", "servicebook.content.markdown:sanitize", 2),
    ("sanitizer: allow-list check", "servicebook.content.markdown:sanitized_as_is", 2),
    ("sections from tokens", "servicebook.content.markdown:search_sections", 2),
    ("search parts (page_parts)", "servicebook.site.load:page_parts", 1),
    ("sections from HTML", "servicebook.site.search.text:page_sections", 2),
    ("section postings", "servicebook.site.search.postings:section_postings", 2),
    ("text fragment JSON", "servicebook.site.search.text:_compact", 2),
]

TIMES: dict[str, float] = {}
CALLS: dict[str, int] = {}


def _timed(label: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] += time.process_time() - start
            CALLS[label] = CALLS.get(label, 0) + 1

    return timed


def _wrap() -> list[str]:
    markdown = importlib.import_module("servicebook.content.markdown")
    md = markdown.markdown_parser()
    found = []
    for label, where, _ in STAGES:
        module_name, attr = where.split(":")
        owner: Any = md if module_name == "md" else importlib.import_module(module_name)
        while "." in attr:
            first, attr = attr.split(".", 1)
            owner = getattr(owner, first)
        if not hasattr(owner, attr):
            continue
        TIMES[label] = 0.0
        setattr(owner, attr, _timed(label, getattr(owner, attr)))
        found.append(label)
    return found


def _ours(root: Path) -> tuple[dict[str, float], int]:
    load = importlib.import_module("servicebook.site.load")
    parallel = importlib.import_module("servicebook.site.parallel")
    parallel.batch_collections()  # as in a worker
    for label in TIMES:
        TIMES[label] = 0.0
    env = {**os.environ, "SERVICEBOOK_WORKERS": "1"}
    with load.BodySpool() as spool:
        loaded = load.load(root, env, spool=spool)
    assert loaded.site is not None, [str(p) for p in loaded.problems[:5]]
    return dict(TIMES), len(loaded.site.pages)


def _reference(root: Path) -> dict[str, float]:
    times = {"front matter (libyaml)": 0.0, "markdown-it parse": 0.0, "markdown-it render": 0.0, "template": 0.0}
    total = 0.0
    for source in sorted((root / "content").glob("*.md")):
        start = time.process_time()
        _, front, body = source.read_text(encoding="utf-8").split("---\n", 2)
        a = time.process_time()
        title = str(reference.yaml.load(front, Loader=reference.FRONT).get("title", source.stem))
        b = time.process_time()
        tokens = reference.MD.parse(body)
        c = time.process_time()
        html = reference.MD.renderer.render(tokens, reference.MD.options, {})
        d = time.process_time()
        page = reference.PAGE.render(title=title, body=html)
        e = time.process_time()
        assert page
        times["front matter (libyaml)"] += b - a
        times["markdown-it parse"] += c - b
        times["markdown-it render"] += d - c
        times["template"] += e - d
        total += e - start
    times["all (reading the file included)"] = total
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=HERE.parent / "src")
    parser.add_argument("--site", default="1k")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    root = ensure_site(args.site) / "site"
    os.environ["GIT_CEILING_DIRECTORIES"] = str(root.parent)
    found = _wrap()
    best: dict[str, float] = {}
    reference_best: dict[str, float] = {}
    pages = 0
    for _ in range(args.runs):
        times, pages = _ours(root)
        for label, seconds in times.items():
            best[label] = min(best.get(label, seconds), seconds)
        for label, seconds in _reference(root).items():
            reference_best[label] = min(reference_best.get(label, seconds), seconds)
    references = len(list((root / "content").glob("*.md")))
    print(f"{args.src}: {pages} policy pages, CPU ms a page, lowest of {args.runs} runs")
    shown = [(label, depth) for label, _, depth in STAGES if label in found and CALLS.get(label)]
    for n, (label, depth) in enumerate(shown):
        print(f"  {'  ' * depth}{label:<{40 - 2 * depth}} {1000 * best[label] / pages:6.3f}")
        inner = []  # the stages directly under this one, up to the next at its depth or above
        for other, other_depth in shown[n + 1 :]:
            if other_depth <= depth:
                break
            if other_depth == depth + 1:
                inner.append(other)
        if inner:
            rest = best[label] - sum(best[i] for i in inner)
            print(f"  {'  ' * (depth + 1)}{'(the rest of it)':<{38 - 2 * depth}} {1000 * rest / pages:6.3f}")
    print(f"reference pipeline, {references} pages:")
    for label, seconds in reference_best.items():
        print(f"  {label:<40} {1000 * seconds / references:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
