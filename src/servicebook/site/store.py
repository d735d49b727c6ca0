"""What a long-running process (`serve`) keeps in memory between its builds: the pages it loaded
and the catalog it read last, so a rebuild after an edit does not decode them from the store
again (buildcache.py, over cache/store.py, keeps them on disk)."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping
from typing import Any, cast

from servicebook.catalog import model
from servicebook.errors import Problem
from servicebook.site.buildcache import BuildCache
from servicebook.site.fresh import PageMemory
from servicebook.site.load import BodySpool, PageResult

PAGE_NAMES_SPARE = 1024  # names of pages no longer held that PageMemory `page_names` may keep


class Remembering:
    """A `PageStore` that answers from a PageMemory first and then from `then`; what this build
    loads becomes the memory's content when the build has loaded every page (`commit`)."""

    def __init__(self, memory: PageMemory, then: BuildCache) -> None:
        self.memory = memory
        self.then = then
        self.hashes = then.hashes  # read by build.check, as on the build cache
        self.loaded: dict[str, PageResult] = {}

    def get_many(self, keys: list[str], spool: BodySpool | None = None) -> dict[str, Any]:
        known = self.memory.pages
        found: dict[str, Any] = {key: known[key] for key in keys if key in known}
        self.then.keep(list(found))
        missing = [key for key in keys if key not in found]
        if missing:
            found.update(self.then.get_many(missing, spool))
        self.loaded.update((k, self._kept(v)) for k, v in found.items() if isinstance(v, PageResult))
        return found

    def carry(self, found: dict[str, PageResult]) -> None:
        """Pages the load takes as its last load had them (load.LoadMemo), by key: counted as used
        and remembered, as those `get_many` finds in the memory are (`found` itself, which is the
        caller's to give away, when nothing is remembered yet). Their entries' names in the store
        are those the memory kept (PageMemory `page_names`, a pure function of each key), the very
        strings, not made and hashed again for each page."""
        known = self.memory.page_names
        if len(known) > 2 * len(found) + PAGE_NAMES_SPARE:  # (no more than twice the pages it holds)
            known.clear()
        kept = list(map(known.get, found))
        if None in kept:  # the names of the pages the last build loaded (a few), or of all (the first)
            new = list(itertools.compress(found, map(operator.not_, kept)))
            known.update(zip(new, self.then.page_names(new), strict=True))
            kept = list(map(known.get, found))
        self.then.keep_named(cast(list[str], kept))
        if self.loaded:
            self.loaded.update(found)
        else:  # (the first it holds, as most builds carry all but a few pages: 20,000 not put in one by one)
            self.loaded = found

    def put(self, key: str, value: object) -> None:
        self.then.put(key, value)
        if isinstance(value, PageResult):
            self.loaded[key] = self._kept(value)

    def took(self, keys: Mapping[str, str], results: Mapping[str, Any]) -> None:
        """The pages this build's load took, for the releases built after it (BuildCache `took`)."""
        self.then.took(keys, results)

    def _kept(self, result: PageResult) -> PageResult:
        """What the memory holds of a page: its HTML in the memory's spool, when it has one."""
        bodies = self.memory.bodies
        return result if bodies is None else bodies.keep(result)

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None:
        known = self.memory.catalog
        if known is not None and known[0] == key:
            self.then.keep_catalog(key)
            return known[1]
        found = self.then.get_catalog(key)
        if found is not None:
            self.memory.catalog = (key, found)
        return found

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None:
        self.then.put_catalog(key, catalog, problems)
        self.memory.catalog = (key, (catalog, problems))

    def commit(self) -> None:
        self.memory.pages = self.loaded
