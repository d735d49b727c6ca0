"""The search index's stages (site/search/: a module each) for the tests that look inside them:
each stage imports what it uses of the others by name, so a spy put in place of a function is
put in every stage that holds it."""

from __future__ import annotations

from types import ModuleType

import pytest

from servicebook.site.search import carried, files, fragments, postings, records, runs, spill, text

STAGES: tuple[ModuleType, ...] = (text, carried, records, postings, runs, spill, fragments, files)


def patch_stage(monkeypatch: pytest.MonkeyPatch, name: str, value: object) -> None:
    """`value` in place of `name` in every stage that holds the very object its defining stage
    does (the one that defines it, and those that import it)."""
    real = [vars(m)[name] for m in STAGES if name in vars(m)]
    if not real:
        raise AttributeError(f"no stage of the search index has {name!r}")
    for module in STAGES:
        if name in vars(module) and vars(module)[name] is real[0]:
            monkeypatch.setattr(module, name, value)
