"""The issue's reference point: Markdown pages through markdown-it-py and one Jinja2 template over
two processes, and nothing else (no front-matter checks, no link resolution or link check, no
sanitizer, no catalog, no index pages, search or catalog.json, no staging folder or swap).

    python bench/reference.py SOURCE_CONTENT_DIR OUTPUT_DIR

It shows how fast servicebook could be if Markdown were all it did: `make bench` prints it beside
servicebook's full build. Same parser options as servicebook (CommonMark, tables, strikethrough,
raw HTML escaped), same page URLs (`policies/SLUG/index.html`). Front matter is read with
libyaml (PyYAML's C loader, as servicebook does): the issue's reference spends 93 % of its time in
Markdown, which PyYAML's pure-Python loader (~17 % here) would not leave room for.
"""

from __future__ import annotations

import sys
from multiprocessing import get_context
from pathlib import Path

import jinja2
import yaml
from markdown_it import MarkdownIt

FRONT = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MD = MarkdownIt("js-default", {"html": False})
PAGE = jinja2.Environment(autoescape=True).from_string(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>'
    "<body><main><h1>{{ title }}</h1>{{ body|safe }}</main></body></html>\n"
)


def build_page(job: tuple[Path, Path]) -> None:
    source, output = job
    _, front, body = source.read_text(encoding="utf-8").split("---\n", 2)
    title = str(yaml.load(front, Loader=FRONT).get("title", source.stem))
    target = output / "policies" / source.stem
    target.mkdir(parents=True)
    (target / "index.html").write_text(PAGE.render(title=title, body=MD.render(body)), encoding="utf-8")


def main() -> None:
    content, output = Path(sys.argv[1]), Path(sys.argv[2])
    jobs = [(path, output) for path in sorted(content.glob("*.md"))]
    with get_context("fork").Pool(2) as pool:
        pool.map(build_page, jobs, chunksize=max(1, len(jobs) // 16))


if __name__ == "__main__":
    main()
