"""The sites the tests build and what their folders hold: a generated site, a build from nothing,
each file's path (relative, with slashes) and bytes."""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from servicebook.site.build import Options
from servicebook.site.fresh import PageMemory

from .conftest import FIXED_EPOCH, REPO


def tree(root: Path) -> dict[str, bytes]:
    """Every file below `root`, by its path relative to it, in order."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def generated_site(path: Path, pages: int) -> Path:
    """A realistic site from the benchmark's generator (bench/generate.py)."""
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_generate", module)
    spec.loader.exec_module(module)
    module.generate(path, offerings=6, tools=12, pages=pages, seed=7)
    return path


def clean_build(run, site: Path, tmp_path: Path) -> dict[str, bytes]:
    """The same sources built from nothing: a fresh copy, no public/, no cache (an organisation
    site's members fetched at their locked commits first, as its CI does)."""
    fresh = tmp_path / "fresh"
    if fresh.exists():
        shutil.rmtree(fresh)
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".servicebook-cache", ".servicebook-trash-*"))
    if (fresh / "servicebook.lock").exists():
        assert run("federate", "fetch", "--source", fresh).exit_code == 0
    assert run("build", "--source", fresh).exit_code == 0
    return tree(fresh / "public")


@contextlib.contextmanager
def serving(source: Path, output: Path) -> Iterator[tuple[Options, PageMemory]]:
    """The build options of a `serve` process over `source` (its output `output`, the date
    fixed) and the memory its builds share, closed at the end, as `serve` closes it."""
    memory = PageMemory()
    try:
        yield Options(source=source, output=output, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory), memory
    finally:
        memory.close()


def reachable_strings(root: object) -> set[str]:
    """Every str reachable from `root` through the objects the collector can see, classes aside
    (what a class holds, its module's constants among them, is no one's data)."""
    seen: set[int] = set()
    found: set[str] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            found.add(obj)
        elif not isinstance(obj, type):
            stack.extend(gc.get_referents(obj))
    return found
