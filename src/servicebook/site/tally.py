"""What a build rendered again and what it kept from the last build, per kind of file, and why each
file was rendered again (which input changed): the build report's table and `build --verbose`.

It watches the build cache's answers (buildcache.BuildCache.reuse, through build._reuse) rather
than deciding anything itself, and explains them from what the last build's manifest recorded
(fresh.Manifest: every page's key and every source file's hash).
"""

from __future__ import annotations

import collections
import itertools
import operator
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from servicebook.catalog.model import Page
from servicebook.site.buildcache import BuildCache
from servicebook.site.fresh import KINDS, Work, marker_identity
from servicebook.site.pagekeys import Keys
from servicebook.site.templates import DataSpec, PageSpec, ReuseAll
from servicebook.site.write import MARKER

_KIND_OF_TEMPLATE = {"offering.html": "offerings", "tool.html": "tools", "policy.html": "policy pages"}
SHOWN_INPUTS = 3  # changed inputs named in one reason; the others are counted


def kind_of(spec: PageSpec | DataSpec) -> str:
    """The report's kind of an output file (one of fresh.KINDS)."""
    if isinstance(spec, DataSpec):
        return "data files"
    return _KIND_OF_TEMPLATE.get(spec.template, "other pages")


class Tally:
    """Counts, for one build of the current catalog, each file it rendered and each it kept."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.rendered: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.kept: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._rendered: list[tuple[str, str | None]] = []  # (output path, its own source file or None)
        self.releases = 0  # releases the site publishes (built or taken from the release cache)
        # asked before the build replaces the output (the reasons are given after)
        previous, output = cache.previous, cache.output
        self._same_output = (
            previous is not None and output is not None and previous.marker == marker_identity(output / MARKER)
        )

    def watch(
        self, reuse: Callable[[PageSpec | DataSpec], str | bytes | None] | None
    ) -> Callable[[PageSpec | DataSpec], str | bytes | None]:
        """`reuse` (None: keep nothing), counting what it answers (a page kept with the catalog's
        new version filled in counts as kept); asked for many outputs at once (templates.ReuseAll)
        when `reuse` can answer so."""
        return _Counted(self, reuse)

    def _count(self, spec: PageSpec | DataSpec, kept: str | bytes | None) -> None:
        kind = kind_of(spec)
        if kept is not None:
            self.kept[kind] += 1
        else:
            self.rendered[kind] += 1
            page = spec.context.get("page") if isinstance(spec, PageSpec) else None
            self._rendered.append((spec.path, page.source if isinstance(page, Page) else None))

    def work(self) -> Work:
        built = min(self.cache.built, self.releases)
        return Work(
            rendered=self.rendered,
            kept=self.kept,
            releases_built=built,
            releases_kept=self.releases - built,
            why=tuple((path, self._why(path, source)) for path, source in self._rendered),
        )

    def _why(self, path: str, source: str | None) -> str:
        cache = self.cache
        previous = cache.previous
        if previous is None or cache.output is None:
            return "no earlier build into this output by this servicebook to keep files from"
        before = previous.keys.get(path)
        if before is None:
            return "a new page"
        if before == cache.keys.get(path):  # rendered from the same inputs: its file was not there to keep
            if not self._same_output:
                return "the output folder is not the one the last build wrote"
            return "its file in the output was changed or removed since the last build"
        changed = self._changed_inputs
        if source is not None and source in changed:
            return f"changed: {source} (its source)"
        if not changed:
            return "servicebook, the build's settings, its commit or the git history changed"
        shown = ", ".join(changed[:SHOWN_INPUTS])
        more = len(changed) - SHOWN_INPUTS
        return f"changed: {shown}" + (f" and {more} more input{'s' if more != 1 else ''}" if more > 0 else "")

    @cached_property
    def _changed_inputs(self) -> list[str]:
        """Source files added, removed or edited since the last build, sorted."""
        previous = self.cache.previous
        now: Mapping[str, str] = self.cache.hashes or {}
        sources = previous.sources if previous else {}
        rescanned = self.cache.rescanned
        if rescanned is not None and sources is rescanned[1] and len(sources) == len(rescanned[0]):
            # `serve`, its survey told by the watcher: the last build's sources are the last
            # survey's (the very dict), each file's hash the one the last survey's hashes say (as
            # many: no file of those hashes without an entry of its own), and only the files
            # looked at again may have another now: those alone compared (not 20,000 pairs twice)
            return sorted({path for path in rescanned[2] if _hash(sources.get(path)) != now.get(path)})
        return changed_between(sources, now)


def changed_between(sources: Mapping[str, list[Any]], now: Mapping[str, str]) -> list[str]:
    """The files whose hash in `now` is not the one their entry in `sources` (fresh.Manifest
    `sources`) says, or that one of them has and the other has not, sorted."""
    before = dict(zip(sources, map(operator.itemgetter(3), sources.values()), strict=True))
    # those whose (path, hash) one side has and the other has not: found at once (20,000 at 20,000 pages)
    return sorted({path for path, _ in before.items() ^ now.items()})


def _hash(source: list[Any] | None) -> str | None:
    """The hash a source's entry (fresh.Manifest `sources`) says, None for none."""
    return None if source is None else source[3]


class _Counted:
    """`reuse` as Tally.watch counts its answers (templates.ReuseAll)."""

    def __init__(self, tally: Tally, reuse: Callable[[PageSpec | DataSpec], str | bytes | None] | None) -> None:
        self.tally = tally
        self.reuse = reuse

    def __call__(self, spec: PageSpec | DataSpec) -> str | bytes | None:
        kept = self.reuse(spec) if self.reuse is not None else None
        self.tally._count(spec, kept)
        return kept

    def many(self, specs: list[PageSpec | DataSpec]) -> list[str | bytes | None]:
        reuse = self.reuse
        if reuse is None:
            kept: list[str | bytes | None] = [None] * len(specs)
        elif isinstance(reuse, ReuseAll):
            kept = reuse.many(specs)
        else:
            kept = [reuse(spec) for spec in specs]
        tally = self.tally
        taken = reuse.taken if isinstance(reuse, Keys) else None
        if taken is not None:
            # `serve`: the outputs whose answers are the last build's are each kept, counted by
            # template by pagekeys._Carried; those at the places it looked at are counted here
            # (not 45,000 outputs at 20,000 pages looked at again for one page's edit)
            looked, templates = taken  # (a copy of its own)
            for i in looked:
                if kept[i] is None:
                    tally._count(specs[i], None)
                else:
                    templates[getattr(specs[i], "template", None)] += 1
        else:
            for i in itertools.compress(range(len(kept)), map(operator.is_, kept, itertools.repeat(None))):
                tally._count(specs[i], None)  # made again
            # the kept ones by template (a data file has none), counted without a call for each
            templates = collections.Counter(
                itertools.compress(
                    map(getattr, specs, itertools.repeat("template"), itertools.repeat(None)),
                    map(operator.is_not, kept, itertools.repeat(None)),
                )
            )
        for template, n in templates.items():
            tally.kept["data files" if template is None else _KIND_OF_TEMPLATE.get(template, "other pages")] += n
        return kept
