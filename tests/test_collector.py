"""The cyclic garbage collector's policy (collector.py): a command-line build holds what it loaded
out of the collector's reach to its end; `serve`, which runs for hours, keeps collecting, so the
cycles each rebuild drops are freed and a long preview does not grow; whatever a process froze
for a command is handed back when the command is done."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from servicebook.collector import (
    BATCHED,
    batch_collections,
    frozen_for_fork,
    held_to_the_end,
    no_collections,
    one_command,
)
from servicebook.progress import Phase, Phases
from servicebook.site import build as pipeline
from servicebook.site.fresh import Options
from servicebook.site.parallel import MIN_ITEMS, map_shared
from servicebook.site.serve import Preview

from .conftest import FIXED_EPOCH, three_releases


class _FrozenAtEachPhase:
    """A progress listener that notes how many objects are frozen as each phase of a build begins,
    and whether the collector was on as it went through its items."""

    def __init__(self) -> None:
        self.frozen: dict[str, int] = {}
        self.collecting: dict[str, set[bool]] = {}
        self.phase = ""

    def started(self, name: str, total: int | None) -> None:
        self.phase = name
        self.frozen.setdefault(name, gc.get_freeze_count())

    def expected(self, name: str, total: int) -> None:
        pass

    def advanced(self, done: int, total: int | None) -> None:
        self.collecting.setdefault(self.phase, set()).add(gc.isenabled())

    def finished(self, phase: Phase) -> None:
        pass


def _edit(site: Path, n: int) -> Path:
    page = sorted((site / "content").glob("*.md"))[0]
    page.write_text(page.read_text() + f"\nA revision note, number {n}.\n")
    return page


def test_a_command_line_build_holds_what_it_loaded_out_of_the_collectors_reach(site_copy, tmp_path) -> None:
    site, output = site_copy("example"), tmp_path / "public"
    env = {"SOURCE_DATE_EPOCH": FIXED_EPOCH}
    pipeline.build(Options(source=site, output=output, env=env))
    _edit(site, 1)
    assert gc.get_freeze_count() == 0
    seen = _FrozenAtEachPhase()
    collections: list[str] = []  # the phase each collection ran in
    gc.callbacks.append(collected := lambda what, _: collections.append(seen.phase) if what == "start" else None)
    try:
        with one_command():  # as commands/build.py runs it
            pipeline.build(Options(source=site, output=output, env=env, progress=Phases(seen)))
            assert gc.get_freeze_count() > 0  # to the command's end
    finally:
        gc.callbacks.remove(collected)
    # none while it loads, nor as the collector comes on again (which would walk all it loaded)
    assert "reading and checking" not in collections
    # nothing frozen while the sources are read, which a rebuild does without collections (its
    # kept pages read back); after, the model and pages (and all else) are, and it collects again
    assert seen.frozen["reading and checking"] == 0
    assert seen.collecting["reading and checking"] == {False}
    assert seen.frozen["rendering"] > 10_000
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # handed back: a process that runs more commands collects them
    assert gc.get_threshold() == BATCHED


def test_what_a_rebuild_loaded_without_collections_is_frozen_before_the_collector_is_on_again() -> None:
    # else the first young collection after the load walks everything it read back, the very
    # walk the load went without collections to avoid
    batch_collections()
    collections: list[int] = []
    gc.callbacks.append(
        collected := lambda what, info: collections.append(info["generation"]) if what == "start" else None
    )
    try:
        with one_command():
            with held_to_the_end(collect=False):
                loaded = [[n] for n in range(BATCHED[0] * 3)]  # more than a young collection waits for
            assert collections == []
            assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.callbacks.remove(collected)


def test_a_first_command_line_build_collects_while_it_loads(site_copy, tmp_path) -> None:
    # a build from nothing renders every page's Markdown (templates, cycles): it collects as it goes
    site = site_copy("example")
    seen = _FrozenAtEachPhase()
    with one_command():
        pipeline.build(Options(source=site, output=tmp_path / "public", env={}, progress=Phases(seen)))
    assert seen.collecting["reading and checking"] == {True}
    assert seen.frozen["rendering"] > 10_000


def test_a_build_outside_a_command_freezes_nothing(site_copy, tmp_path) -> None:
    # the tests' own builds, and any caller that is not the command line: nothing held back
    site = site_copy("example")
    seen = _FrozenAtEachPhase()
    pipeline.build(Options(source=site, output=tmp_path / "public", env={}, progress=Phases(seen)))
    assert set(seen.frozen.values()) == {0}
    assert seen.collecting["reading and checking"] == {True}
    with held_to_the_end(collect=False):
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_serve_rebuild_leaves_everything_to_the_collector(site_copy) -> None:
    site = site_copy("minimal")
    preview = Preview(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lambda _: None, lambda _: None)
    try:
        assert preview.rebuild()
        assert preview.rebuild([_edit(site, 1)])
        assert gc.get_freeze_count() == 0
        assert gc.isenabled()
        assert gc.get_threshold() == BATCHED
    finally:
        preview.close()


def test_serve_frees_its_first_builds_cycles_once_it_is_done(site_copy) -> None:
    # The first build compiles every template and renders every page: the cycles it leaves
    # (Jinja's, exceptions') sit in the oldest generation, which a serve's batched collections
    # reach only after hours; 6 MiB of blocks at 5,000 pages, beside which the first edit allocated.
    site = site_copy("minimal")
    preview = Preview(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lambda _: None, lambda _: None)
    try:
        gc.collect()  # (what the tests before left)
        assert preview.rebuild()
        assert gc.collect() == 0  # nothing left for a collection to find
        assert preview.rebuild([_edit(site, 1)])
        assert gc.get_freeze_count() == 0
        assert gc.isenabled()
    finally:
        preview.close()


def _held_after_collecting() -> int:
    """Every object the collector tracks, frozen ones included (what a collection cannot free)."""
    gc.collect()
    return len(gc.get_objects()) + gc.get_freeze_count()


def test_a_long_serve_does_not_grow_with_its_rebuilds(site_copy) -> None:
    # Each rebuild drops the last one's objects, cycles among them (Jinja's, exceptions'): frozen
    # or left where no collection looks, they would pile up edit after edit, for hours.
    site = site_copy("minimal")
    preview = Preview(site, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, lambda _: None, lambda _: None)
    try:
        assert preview.rebuild()
        for n in range(5):
            assert preview.rebuild([_edit(site, n)])
        settled = _held_after_collecting()
        for n in range(5, 35):
            assert preview.rebuild([_edit(site, n)])
        grown = _held_after_collecting() - settled
    finally:
        preview.close()
    assert grown < 300  # 30 rebuilds; a frozen heap after each grew by ~150 objects a rebuild here


def test_frozen_for_fork_hands_everything_back_after() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[n] for n in range(1000)]
    with frozen_for_fork():
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def _collecting(_shared: object, _item: int) -> bool:
    return gc.isenabled()


def test_workers_forked_while_the_parent_does_not_collect_collect_their_own() -> None:
    with no_collections():
        answers = map_shared(_collecting, None, list(range(MIN_ITEMS * 2)), workers=2)
    assert set(answers) == {True}


def test_no_collections_within_and_the_collector_as_it_was_after() -> None:
    assert gc.isenabled()
    with no_collections():
        assert not gc.isenabled()
        with no_collections():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer one still holds
    assert gc.isenabled()


class _FullCollections:
    """A progress listener that notes the phase each full collection (the oldest generation's)
    was made in, and how many objects each found unreachable."""

    def __init__(self) -> None:
        self.phase = ""
        self.made: list[tuple[str, int]] = []

    def started(self, name: str, total: int | None) -> None:
        self.phase = name

    def expected(self, name: str, total: int) -> None:
        pass

    def advanced(self, done: int, total: int | None) -> None:
        pass

    def finished(self, phase: Phase) -> None:
        pass

    def noted(self, stage: str, info: dict[str, int]) -> None:  # a gc callback
        if stage == "stop" and info["generation"] == 2:
            self.made.append((self.phase, info["collected"]))


@pytest.mark.git
def test_a_build_that_built_a_release_frees_its_cycles_before_it_renders_the_site(tmp_path) -> None:
    # the release's render leaves Jinja's cycles in the oldest generation, which batched
    # collections reach long after: the site's render allocated beside them, and the blocks they
    # held stayed free in the heap after it (`serve` in a site's own repository, 5.4 MiB at 5k)
    site = three_releases(tmp_path / "site")
    seen = _FullCollections()
    thresholds = gc.get_threshold()
    gc.callbacks.append(seen.noted)
    try:
        batch_collections()
        gc.collect()  # (what the tests before left)
        options = Options(
            source=site.root, output=tmp_path / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, progress=Phases(seen)
        )
        pipeline.build(options)
    finally:
        gc.callbacks.remove(seen.noted)
        gc.set_threshold(*thresholds)
    assert sum(n for phase, n in seen.made if phase == "releases") > 100, seen.made
