"""`serve` builds edit after edit in one process, keeping what the last build made (the pages it
loaded, each output's key and what the key was made from): after any change the output is the one
a build from nothing makes of the same sources, byte for byte, and only what the change touched is
made again."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, KeysView
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from servicebook import routes
from servicebook.cache.digest import digest
from servicebook.cache.store import Store, store_file
from servicebook.catalog import model
from servicebook.errors import BuildFailed
from servicebook.git import diff, history, snapshots
from servicebook.site import build as build_stage
from servicebook.site import buildcache, changes, fresh, heap, links, pagekeys, paging, releases, render, views, write
from servicebook.site import load as load_stage
from servicebook.site import outputs as site_outputs
from servicebook.site import store as site_store
from servicebook.site import tally as tally_stage
from servicebook.site.build import Options, build
from servicebook.site.fresh import PageMemory
from servicebook.site.search.records import (
    _URL,
    _kinds,
    _made_of,
    _made_one,
    _offering_records,
    _policy_ids,
    _tool_record,
)
from servicebook.site.templates import PageSpec

from .conftest import FIXED_EPOCH
from .searchstages import patch_stage
from .sitefiles import clean_build, generated_site, reachable_strings, serving, tree

HANDBOOK = "---\ntitle: On-call handbook\n---\n\n## Paging\n\nSee [approvals](change-approval.md#{anchor}).\n"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _anchor(site: Path) -> str:
    """The id of change-approval.md's first second-level heading, as the built page has it."""
    html = (site / "public" / "policies" / "change-approval" / "index.html").read_text()
    start = html.index('<h2 id="') + len('<h2 id="')
    return html[start : html.index('"', start)]


CHANGES: list[tuple[str, Callable[[Path], None]]] = [
    (
        "a page's body",
        lambda s: _edit(s / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n"),
    ),
    ("a page's title", lambda s: _edit(s / "content" / "change-approval.md", "title: ", "title: Revised ")),
    ("a page added", lambda s: (s / "content" / "on-call-handbook.md").write_text(HANDBOOK.format(anchor=_anchor(s)))),
    (
        "a heading another page links to",
        lambda s: _edit(s / "content" / "on-call-handbook.md", "## Paging", "## Paging and escalation"),
    ),
    (
        "a link to another page's heading",
        lambda s: _edit(
            s / "content" / "on-call-handbook.md",
            "(change-approval.md#",
            "(backups-and-restore.md#requesting-a-restore)(#",
        ),
    ),
    ("a page renamed", lambda s: (s / "content" / "on-call-handbook.md").rename(s / "content" / "paging-handbook.md")),
    ("a page deleted", lambda s: (s / "content" / "paging-handbook.md").unlink()),
    (
        "an SLO's objective in catalog.yaml",
        lambda s: _edit(s / "catalog.yaml", "objective: 99.9\n", "objective: 99.95\n"),
    ),
    (
        "an offering's name, which policy pages list",
        lambda s: _edit(s / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines"),
    ),
    ("nothing", lambda s: None),
]


@pytest.mark.slow
def test_each_serve_rebuild_equals_a_build_from_nothing(run, site_copy, tmp_path) -> None:
    site = site_copy("example")
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change in CHANGES:
            change(site)
            build(options)
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_publishes_the_theme_s_style_sheets_and_scripts_without_minifying_them_again(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The theme's style sheets and scripts are minified once for their bytes, not at every
    rebuild of a `serve` process: a rebuild after an edit publishes them as the first build did,
    and its output equals a build from nothing. Other bytes are minified as such."""
    site = site_copy("example")
    minified: list[str] = []
    css, js = render.minify_css, render.minify_js
    monkeypatch.setattr(render, "minify_css", lambda text: minified.append("css") or css(text))
    monkeypatch.setattr(render, "minify_js", lambda text: minified.append("js") or js(text))
    with serving(site, site / "public") as (options, _):
        build(options)
        minified.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert minified == []
        assert tree(site / "public") == clean_build(run, site, tmp_path)
    assert render.published_asset("x.css", b"a { color: red; }") == b"a{color: red}\n"
    assert render.published_asset("x.css", b"b { color: red; }") == b"b{color: red}\n"
    assert render.published_asset("x.js", b"// a comment\nvar a;\n") == b"var a;\n"
    assert render.published_asset("x.svg", b"<svg/>  ") == b"<svg/>  "


def test_a_serve_rebuild_gives_back_the_memory_its_stages_freed_before_its_render_and_before_writing(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A serve rebuild gives the free memory back to the system at its end, and within only
    where its resident set peaks: as its render begins (in a site's own repository the first
    edits' render is as high as the write stage: 5,000 pages, 0.7–2 MiB lower so) and as its
    write stage begins (heap.py). The trims are the C library's own, made through; its output
    equals a build from nothing."""
    site = site_copy("example")
    events: list[str] = []
    real_function, real_render = heap.function, render._render_pages

    def function(name: str):  # type: ignore[no-untyped-def]
        found = real_function(name)
        if name != "malloc_trim" or found is None:
            return found
        return lambda pad: events.append("trim") or found(pad)

    monkeypatch.setattr(heap, "function", function)
    monkeypatch.setattr(render, "_render_pages", lambda *a, **k: events.append("render") or real_render(*a, **k))
    monkeypatch.setattr(build_stage, "write_site", lambda *a, **k: events.append("write") or write.write_site(*a, **k))
    with serving(site, site / "public") as (options, _):
        build(options)
        events.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        given_back = real_function("malloc_trim") is not None  # (elsewhere than glibc: nothing to give back)
        assert events == (["trim", "render", "trim", "write", "trim"] if given_back else ["render", "write"]), events
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_without_releases_makes_no_dict_of_its_pages_by_key(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The pages the load took are kept for the releases' loads as the load holds them (by slug,
    with their keys): made into a dict by key only when a release's load asks for one, never in a
    build that builds no release (a `serve` rebuild outside git: 20,000 pages made into a dict and
    copied, for nothing). Each rebuild equals a build from nothing."""
    site = site_copy("example")
    made: list[int] = []
    real = buildcache.BuildCache._own_pages

    def counted(self: buildcache.BuildCache) -> dict[str, object]:
        pages = real(self)
        made.append(len(pages))
        return pages

    monkeypatch.setattr(buildcache.BuildCache, "_own_pages", counted)
    with serving(site, site / "public") as (options, _):
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert made == []
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_makes_again_only_the_keys_whose_inputs_changed(site_copy, monkeypatch) -> None:
    site = site_copy("example")
    made: list[tuple[str, ...]] = []
    real = pagekeys.digest

    def counted(*parts: str) -> str:
        made.append(parts)
        return real(*parts)

    def policy_keys_made() -> set[str]:
        return {parts[1] for parts in made if len(parts) > 2 and parts[2] == "policy.html"}

    monkeypatch.setattr(pagekeys, "digest", counted)
    pages = sorted(p.stem for p in (site / "content").glob("*.md"))
    with serving(site, site / "public") as (options, _):
        build(options)
        assert len(policy_keys_made()) == len(pages)  # the first build makes every key
        made.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert policy_keys_made() == {"policies/change-approval/index.html"}
        made.clear()
        # every policy page lists the names of the offerings it applies to: a renamed offering
        # changes what they are made from
        _edit(site / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines")
        build(options)
        assert len(policy_keys_made()) == len(pages)


def test_a_serve_rebuild_takes_catalog_json_s_catalog_sections_from_its_memory_while_the_catalog_is_unchanged(
    site_copy, monkeypatch
) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    made: list[object] = []
    listed: list[str] = []
    real, real_page = site_outputs.catalog_settings, site_outputs.document_page
    monkeypatch.setattr(site_outputs, "catalog_settings", lambda catalog: made.append(catalog) or real(catalog))
    monkeypatch.setattr(site_outputs, "document_page", lambda page: listed.append(page.slug) or real_page(page))
    pages = len(list((site / "content").glob("*.md")))
    try:
        build(options)
        assert len(made) == 1 and len(listed) == pages
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)  # its pages are the memory's from here on (the first build's are copies)
        listed.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nAnother sentence.\n\n")
        build(options)
        # catalog.json is made again (it lists the pages' digests): its catalog part and the
        # other pages' lines are kept
        assert len(made) == 1 and listed == ["change-approval"]
        (site / "content" / "extra.md").write_text("---\ntitle: Extra\n---\n\nA page added, then deleted.\n")
        build(options)
        # a line for each page it lists now, held once (as bytes, in their order)
        assert memory.catalog_lines is not None and len(memory.catalog_lines.encoded) == pages + 1
        (site / "content" / "extra.md").unlink()
        build(options)
        assert len(memory.catalog_lines.encoded) == pages
        _edit(site / "catalog.yaml", "objective: 99.9\n", "objective: 99.95\n")
        build(options)
        assert len(made) == 2 and made[1] is not made[0]
        assert memory.catalog_lines is not None and memory.catalog_lines.catalog is made[1]
    finally:
        memory.close()
    assert memory.catalog_lines is None  # a closed memory holds no catalog


def test_a_serve_rebuild_trusts_its_own_output_without_asking_the_file_system_of_each_kept_file(
    site_copy, monkeypatch
) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    asked: list[str] = []
    real = buildcache.file_identity

    def spied(path: str) -> list[int] | None:
        asked.append(path)
        return real(path)

    monkeypatch.setattr(buildcache, "file_identity", spied)
    try:
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        asked.clear()
        report = build(options)
        assert report.work is not None and sum(report.work.kept.values()) > 20
        assert [p for p in asked if p.endswith(".html")] == []  # the pages kept: none asked
    finally:
        memory.close()
    # a build without the memory (the command line) checks each kept file against its record
    # (the memory's builds recorded none in the store: it kept the manifest itself)
    cli = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    build(cli)
    _edit(site / "content" / "change-approval.md", "A sentence added", "A sentence changed")
    build(cli)
    assert len(asked) > 20


def test_a_serve_build_keeps_its_manifest_in_its_memory_and_records_none_in_the_store(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """No other process builds into serve's output: its manifest is kept in its memory, not made
    into bytes, written into the store and read back by every rebuild; a rebuild still keeps what
    it may and equals a build from nothing."""
    site = site_copy("example")
    output = site / "public"

    def refused(*_: object) -> None:
        raise AssertionError("a manifest made or read back")

    with serving(site, output) as (options, _):
        build(options)
        for what, change in CHANGES[:3]:
            change(site)
            with monkeypatch.context() as refusing:  # (a build from nothing, below, makes its own)
                refusing.setattr(fresh.Manifest, "parts", refused)
                refusing.setattr(fresh, "_read_manifest", refused)
                report = build(options)
            assert report.work is not None and sum(report.work.kept.values()) > 20, what
            assert tree(output) == clean_build(run, site, tmp_path), what
        with Store.for_site(site) as store:
            assert store.manifest(str(output)) is None


def test_a_serve_rebuild_asks_the_build_cache_output_by_output_only_for_what_an_edit_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The policy pages and the search index's files whose own input is the last build's are
    kept in one go with the last build's keys (fresh.KeptMemo, BuildCache.reuse_many): after a
    body edit, only the edited page among them is asked for by itself, and the output is a build
    from nothing's."""
    site = site_copy("example")
    asked: list[str] = []
    real = buildcache.BuildCache.reuse

    def spied(self: buildcache.BuildCache, path: str, key: str) -> str | None:
        asked.append(path)
        return real(self, path, key)

    monkeypatch.setattr(buildcache.BuildCache, "reuse", spied)
    with serving(site, site / "public") as (options, _):
        build(options)
        outputs = len(asked)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)  # its pages are the memory's from here on (the first build's are copies)
        asked.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nAnother sentence.\n\n")
        report = build(options)
        policy_pages = [p for p in asked if p.startswith("policies/") and p.count("/") == 2]  # not their lists
        assert policy_pages == ["policies/change-approval/index.html"]
        assert len([p for p in asked if p.startswith("search/")]) < outputs / 20 and report.work is not None
        assert report.work.kept["policy pages"] == len(list((site / "content").glob("*.md"))) - 1
        assert report.work.rendered["policy pages"] == 1
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        # a title is shown by the lists: asked again, and still a build from nothing's
        _edit(site / "content" / "change-approval.md", "title: ", "title: Revised ")
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def _front_matter(page: Path) -> dict[str, list[str]]:
    return yaml.safe_load(page.read_text().split("---\n")[1])  # type: ignore[no-any-return]


def test_a_serve_rebuild_keeps_the_offering_and_tool_pages_whose_view_is_the_last_ones_in_one_go(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """An offering's or a tool's page whose view is the very object its last build's page was
    made of (views.ViewMemo) is kept in one go with its last key (pagekeys._Carried: its view its
    own input), not keyed again and asked for by itself: after a policy page's body edit none of
    them is; after an offering's name changed, those whose view shows it are, the others are not;
    each output a build from nothing's."""
    site = site_copy("example")
    asked: list[str] = []
    real = buildcache.BuildCache.reuse

    def spied(self: buildcache.BuildCache, path: str, key: str) -> str | None:
        asked.append(path)
        return real(self, path, key)

    def viewed(paths: list[str]) -> list[str]:
        return [p for p in paths if p.startswith(("offerings/", "tools/")) and p.count("/") == 2]

    monkeypatch.setattr(buildcache.BuildCache, "reuse", spied)
    with serving(site, site / "public") as (options, memory):
        build(options)
        every = viewed(asked)
        assert len(every) > 20
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        asked.clear()
        assert memory.paging is not None
        specs_then = memory.paging.viewed_specs["offering"][2]
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nAnother sentence.\n\n")
        report = build(options)
        # the page spec of each view that is the last one's is the very spec (render._viewed_specs)
        specs_now = memory.paging.viewed_specs["offering"][2]
        same = [s.path for s, then in zip(specs_now, specs_then, strict=True) if s is then]
        assert sorted(same) == sorted(p for p in every if p.startswith("offerings/") and p not in asked)
        # those whose view shows the edited page alone (it is another object, so their views are
        # made again): the offerings and tools it names, and an offering showing one of those tools
        named = _front_matter(site / "content" / "change-approval.md")
        lists = {f"offerings/{i}/index.html" for i in named["offerings"]} | {
            f"tools/{i}/index.html" for i in named["tools"]
        }
        assert lists <= set(viewed(asked)) and len(viewed(asked)) <= len(lists) + 2 < len(every) / 3
        assert report.work is not None and report.work.kept["offerings"] == len(
            [p for p in every if p.startswith("offerings/")]
        )
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        asked.clear()
        _edit(site / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines")
        build(options)
        again = viewed(asked)
        assert "offerings/ci-pipelines/index.html" in again  # (and every page that names it)
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_takes_the_kept_files_hashes_from_its_memory_not_from_the_manifest_file(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """manifest.sha256 lists every file's SHA-256: a serve rebuild takes the kept files' from
    the hashes its last build's manifest was made of, without reading and parsing that file
    again, and the file is still a build from nothing's after edits of every kind."""
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)

    def refused(self: buildcache.BuildCache) -> dict[str, str]:
        raise AssertionError("manifest.sha256 read back")

    try:
        build(options)
        monkeypatch.setattr(buildcache.BuildCache, "_recorded_hashes", refused)
        for what, change in CHANGES[:3]:
            change(site)
            build(options)
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
    finally:
        memory.close()
    assert memory.published is None  # a closed memory holds no hashes


def test_a_serve_rebuild_marks_again_only_what_its_last_build_did_not_use_and_pruning_drops_the_same(
    site_copy, monkeypatch
) -> None:
    """Every build marks the store's entries it uses, and pruning drops those that neither it nor
    the build before it used. A serve rebuild does not mark again one by one what its last build
    marked (Store.carry: moved in one statement, those it did not use put back): after edits of
    one page, the store holds every page's entry and the edited page's last two versions, as it
    does when every build marks all it uses."""
    site = site_copy("example")
    with serving(site, site / "public") as (options, memory):
        marked: list[object] = []  # the pages' entries marked used one by one
        real = Store._write

        def spied(self: Store, sql: str, rows: list[tuple[object, ...]]) -> None:
            if sql.startswith("INSERT OR REPLACE INTO used"):
                marked.extend(row[0] for row in rows if str(row[0]).startswith("4.page:"))
            real(self, sql, rows)

        monkeypatch.setattr(Store, "_write", spied)
        pages = len(list((site / "content").glob("*.md")))

        def stored() -> tuple[int, int, set[int]]:
            """The pages' entries, and the generations of the pages' `used` rows of the last build."""
            db = sqlite3.connect(store_file(site / ".servicebook-cache"))
            try:
                entries = db.execute("SELECT count(*) FROM entries WHERE key LIKE '4.page:%'").fetchone()[0]
                (generation,) = db.execute("SELECT value FROM state WHERE name = 'generation'").fetchone()
                names = [f"4.page:{key}" for key in memory.pages]
                # a row counts as the build its generation says, or, under the first build of a run of
                # `serve` rebuilds, as the last of the run (Store._chains)
                row = db.execute("SELECT value FROM state WHERE name = 'chains'").fetchone()
                chains = {
                    int(first): int(through) for first, through in (p.split(":") for p in (row or ("",))[0].split())
                }
                used = {
                    chains.get(g, abs(g))
                    for (g,) in db.execute(
                        f"SELECT generation FROM used WHERE key IN ({','.join('?' * len(names))})", names
                    )
                }
            finally:
                db.close()
            return entries, int(generation), used

        build(options)
        assert len(marked) >= pages
        for n in range(4):
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nSentence {n} added in the preview.\n\n")
            marked.clear()
            build(options)
            assert len(set(marked)) == 1  # the edited page's new entry
            entries, generation, used = stored()
            assert used == {generation}  # every page this build used: marked by this build
            assert entries == pages + 1  # and the edited page's version before this one


def test_a_serve_rebuild_opens_the_store_on_the_connection_its_last_build_kept(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """`serve` keeps the store's connection (and lock) from one build to the next (Store.keep,
    `reopened`): no rebuild opens the file again, nor checkpoints and removes its write-ahead log
    on closing it. Each build still counts a generation of its own, read from the file (another
    build in the same folder between two rebuilds counted one: nothing is carried over it), a
    rebuild in another thread (the watcher's) uses it, one after the file was removed and made
    again by another build opens the new file, and each rebuild equals a build from nothing."""
    site = site_copy("example")
    page = site / "content" / "change-approval.md"
    path = store_file(site / ".servicebook-cache")
    opened: list[str] = []
    real_connect = sqlite3.connect

    def connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if str(database) == str(path):
            opened.append(str(database))
        return real_connect(database, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", connect)

    def generation() -> int:
        db = real_connect(path)
        try:
            return int(db.execute("SELECT value FROM state WHERE name = 'generation'").fetchone()[0])
        finally:
            db.close()

    with serving(site, site / "public") as (options, memory):
        build(options)
        kept = memory.store
        assert kept is not None and kept.usable and len(opened) == 1
        connection, first = kept._db, kept.generation
        for n in range(2):
            _edit(page, "\n\n", f"\n\nSentence {n} added in the preview.\n\n")
            build(options)
            assert memory.store is kept and kept._db is connection and len(opened) == 1
            assert kept.generation == generation() == first + 1 + n
            assert memory.used is not None and memory.used[0] == kept.generation
        # in the watcher's thread, as `serve` runs every rebuild after its first
        _edit(page, "\n\n", "\n\nA sentence added from another thread.\n\n")
        failed: list[BaseException] = []
        thread = threading.Thread(target=lambda: _run_into(failed, build, options))
        thread.start()
        thread.join()
        assert not failed and memory.store is kept and kept._db is connection and kept.usable
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        # another build of the site, into another output, between two rebuilds: its generation counted
        other = Options(source=site, output=tmp_path / "other", env=options.env)
        build(other)
        between = generation()
        carried: list[object] = []
        real_carry = Store.carry

        def carry(self: Store, last: tuple[int, set[str]] | None) -> None:
            real_carry(self, last)
            carried.append(self._carried)

        monkeypatch.setattr(Store, "carry", carry)
        _edit(page, "\n\n", "\n\nA sentence added after another build.\n\n")
        before = len(opened)
        build(options)
        assert len(opened) == before and kept._db is connection and kept.generation == between + 1 == generation()
        assert carried == [None]  # the last serve build's marks are not this one's generation's but one
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        # the store removed and made again by another build (as one that found it damaged does)
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        build(other)
        _edit(page, "\n\n", "\n\nA sentence added after the store was made again.\n\n")
        before = len(opened)
        build(options)
        assert memory.store is not None and memory.store._db is not connection and len(opened) == before + 1
        db = real_connect(path)
        try:  # what this rebuild stored went into the file that is the store now
            stored = db.execute("SELECT count(*) FROM entries WHERE key LIKE '4.page:%'").fetchone()[0]
        finally:
            db.close()
        assert stored >= len(list((site / "content").glob("*.md")))
        assert tree(site / "public") == clean_build(run, site, tmp_path)
    assert memory.store is None
    assert not path.with_name(path.name + "-wal").exists()  # closed: the last connection's checkpoint


def _run_into(failed: list[BaseException], build_: Callable[[Options], object], options: Options) -> None:
    try:
        build_(options)
    except BaseException as exc:  # (handed to the test's thread)
        failed.append(exc)


def test_a_serve_rebuild_writes_no_used_row_again_for_what_its_last_build_marked_and_it_used_again(
    run, tmp_path
) -> None:
    """The store's rows of what a rebuild's last build marked used and it used again stay as they
    are (Store.carry: under the first build of the run of rebuilds), not moved to its generation
    one by one (~25,000 rows written again a one-page rebuild at 20,000 pages): the pages'
    rows but the edited page's are as they were; each rebuild equals a build from nothing."""
    site = generated_site(tmp_path / "site", pages=80)

    def pages_rows() -> dict[str, int]:
        db = sqlite3.connect(store_file(site / ".servicebook-cache"))
        try:
            return dict(db.execute("SELECT key, generation FROM used WHERE key LIKE '4.page:%'").fetchall())
        finally:
            db.close()

    pages = len(list((site / "content").glob("*.md")))
    page = sorted((site / "content").glob("*.md"))[40]
    with serving(site, site / "public") as (options, _):
        build(options)
        for n in range(3):
            before = pages_rows()
            page.write_text(page.read_text() + f"\nSentence {n} added in the preview.\n")
            build(options)
            after = pages_rows()
            # but the edited page's: its last text's row put back to the last build, its new text's made
            assert len([k for k, g in before.items() if after.get(k) == g]) == pages - 1
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def _search_state_entries(site: Path) -> tuple[set[str], set[str]]:
    """The names of the store's entries, and of those the last search index's state names (its
    runs' keys and postings, its words fragments)."""
    db = sqlite3.connect(store_file(site / ".servicebook-cache"))
    try:
        stored = {key for (key,) in db.execute("SELECT key FROM entries")}
        (pointer,) = db.execute("SELECT data FROM entries WHERE key = '13.search-latest:latest'").fetchone()
        name = "12.search-state:" + json.loads(pointer)["state"]
        (text,) = db.execute("SELECT data FROM entries WHERE key = ?", (name,)).fetchone()
    finally:
        db.close()
    blocks, _, _, _, digests = json.loads(text)["search"]
    named = {f"{kind}:{key}" for key, _ in blocks for kind in ("17.search-block-keys", "13.search-bundle")}
    return stored, named | {f"12.search-words:{key}" for key in digests}


def test_a_serve_rebuild_writes_no_used_row_for_the_search_index_s_runs_and_fragments_it_did_not_make(
    run, tmp_path, monkeypatch
) -> None:
    """The search index's runs and words fragments that a rebuild did not make again (all but the
    few an edit touched) are marked used in every build whose store carries its last build's
    marks (Store `carrying`): no `used` row of theirs is written (only those of what it made, and
    of what the last index had and this one no longer has, put back to the last build's
    generation), where marking them in one build of two wrote each row back to the last build's
    generation in one and again in the next (~2,900 rows each rebuild at 20,000 pages). The store
    still holds every entry the index's state names, and each rebuild equals a build from nothing."""
    site = generated_site(tmp_path / "site", pages=80)
    put: set[str] = set()
    written: list[str] = []
    real_write = Store._write

    def spied(self: Store, sql: str, rows: list[tuple[object, ...]]) -> None:
        if sql.startswith("INSERT OR REPLACE INTO entries"):
            put.update(str(row[0]) for row in rows)
        elif sql.startswith("INSERT OR REPLACE INTO used"):
            written.extend(str(row[0]) for row in rows)
        elif sql.startswith("UPDATE used"):
            written.extend(str(row[-1]) for row in rows)
        real_write(self, sql, rows)

    monkeypatch.setattr(Store, "_write", spied)
    page = sorted((site / "content").glob("*.md"))[40]
    with serving(site, site / "public") as (options, _):
        build(options)
        for n in range(4):
            put.clear()
            written.clear()
            page.write_text(page.read_text() + f"\nSentence {n} added in the preview.\n")
            build(options)
            stored, named = _search_state_entries(site)
            assert named <= stored, n
            made = named & put
            assert made, n  # (what the edit made again)
            assert [name for name in written if name in named - made] == [], n
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_checks_the_output_paths_again_only_when_they_are_not_the_last_builds(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    site = site_copy("example")
    asked: list[str] = []
    real = links.safe_path
    monkeypatch.setattr(links, "safe_path", lambda path: asked.append(path) or real(path))
    with serving(site, site / "public") as (options, _):
        build(options)
        assert len(asked) > 100
        for what, change in CHANGES[:3]:  # a body, a title: the same paths; a page added: one more
            asked.clear()
            change(site)
            build(options)
            assert (len(asked) > 100) == (what == "a page added"), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_digests_every_source_for_the_lists_keys_only_when_what_they_read_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The keys of the lists and of most data files hold a digest of every source but the pages'
    Markdown and of what each page shows the others: a body edit takes the last build's, a
    title edit makes it again (the lists show titles), and each rebuild equals a build from nothing."""
    site = site_copy("example")
    made: list[str] = []  # the digests of every source and of every page's digest made (pagekeys._Named)
    sources, pages = pagekeys._Named.sources, pagekeys._Named.pages
    monkeypatch.setattr(pagekeys._Named, "sources", lambda named: made.append("sources") or sources(named))
    monkeypatch.setattr(pagekeys._Named, "pages", lambda named: made.append("pages") or pages(named))
    with serving(site, site / "public") as (options, _):
        build(options)
        assert made
        for what, change in CHANGES[:2]:
            made.clear()
            change(site)
            build(options)
            assert bool(made) == (what == "a page's title"), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_writes_the_offering_and_tool_views_out_again_only_when_what_they_show_changed(
    site_copy, monkeypatch
) -> None:
    site = site_copy("example")
    written: list[str] = []
    real = pagekeys.shown

    def spied(value: object, memo: dict[int, tuple[object, str]] | None = None) -> str:
        written.append(type(value).__name__)
        return real(value, memo)

    monkeypatch.setattr(pagekeys, "shown", spied)
    with serving(site, site / "public") as (options, _):
        build(options)
        assert {"OfferingView", "ToolView"} <= set(written)
        written.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        assert "OfferingView" not in written and "ToolView" not in written  # a body: no view shows it
        _edit(site / "content" / "change-approval.md", "title: ", "title: Revised ")
        build(options)
        assert "OfferingView" in written  # a title: the views list the page by it
        written.clear()
        _edit(site / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines")
        build(options)
        assert "ToolView" in written  # the catalog


def _layout(root: Path) -> tuple[dict[str, bytes], list[str]]:
    """Every file of `root` with its bytes, and every folder in it, an empty one too."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    return files, sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


@pytest.mark.slow
@pytest.mark.parametrize("spooled", [False, True], ids=["in-memory", "spooled"])
def test_serve_rebuilds_look_only_at_what_changed_and_leave_the_tree_a_build_from_nothing_makes(
    run, site_copy, tmp_path, monkeypatch, spooled
) -> None:
    """The write stage of a serve rebuild does not list the spare it starts from (write.py's
    journal says where it may differ): after edits, a page added, renamed and deleted, the output
    still holds exactly a build from nothing's files and folders, nothing left behind; also when
    the pages are rendered into a staging folder (as a large site's are)."""
    if spooled:
        monkeypatch.setattr(build_stage, "SPOOL_FROM", 1)
    site = site_copy("example")
    listed: list[str] = []  # the folders of the spare listed (write._prune lists it, folder by folder)
    real_prune = write._prune
    monkeypatch.setattr(write, "_prune", lambda *args: listed.append(args[0]) or real_prune(*args))
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change in CHANGES:
            change(site)
            build(options)
            assert listed == [], what
            clean_build(run, site, tmp_path)
            assert _layout(site / "public") == _layout(tmp_path / "fresh" / "public"), what


@pytest.mark.git
def test_serve_in_a_git_site_reads_the_commits_once_per_head_and_each_rebuild_equals_a_build_from_nothing(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """In a site under git, a serve rebuild after an uncommitted edit reads the history of the
    commits from its memory (history.TimelineMemo) and only the working tree anew; a commit made
    while it runs is read at the next rebuild. Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.commit("Lower the CI objective")
    git_site.edit("## What we support\n", "## What we support\n\nReviewed.\n", "content/welcome.md")
    git_site.commit("Review the welcome page")
    replayed: list[int] = []
    real = history._replay
    monkeypatch.setattr(
        history,
        "_replay",
        lambda reader, repo, commits, *a: replayed.append(len(commits)) or real(reader, repo, commits, *a),
    )
    diffed: list[object] = []  # catalogs compared (snapshots.diff_catalogs)
    real_diff = snapshots.diff_catalogs
    monkeypatch.setattr(snapshots, "diff_catalogs", lambda *a, **k: diffed.append(a) or real_diff(*a, **k))
    edits: list[tuple[str, Callable[[], object], list[int]]] = [
        (
            "a page edited, not committed",
            lambda: git_site.edit("Reviewed.", "Reviewed twice.", "content/welcome.md"),
            [],
        ),
        ("the same page again", lambda: git_site.edit("twice", "three times", "content/welcome.md"), []),
        ("an SLO edited, not committed", lambda: git_site.edit("objective: 99.0", "objective: 99.9"), []),
        ("a page edited while the SLO is", lambda: git_site.edit("three", "four", "content/welcome.md"), []),
        ("the SLO as committed again", lambda: git_site.edit("objective: 99.9", "objective: 99.0"), []),
        ("the page committed while serve runs", lambda: git_site.commit("Review it again"), [4]),
        (
            "a page added, not committed",
            lambda: git_site.write("content/paging.md", "---\ntitle: Paging\n---\n\nHi.\n"),
            [],
        ),
        ("nothing", lambda: None, []),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        assert replayed == [3]
        for what, change, replays in edits:
            replayed.clear()
            diffed.clear()
            change()
            build(options)
            assert replayed == replays, what
            if what == "a page edited while the SLO is":  # the same two catalogs as the last rebuild's
                assert diffed == [], what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_a_serve_rebuild_views_the_committed_history_once_per_head_and_the_working_tree_entry_alone(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The pages show a view of the history (changes.history_view: each commit's entry, each
    entity's events). A serve rebuild at the same commit takes the committed entries' view as
    its last build made it and views the working tree's entry alone; a commit made while it runs
    views them all again, and so does a working-tree change that renames a page (its new name
    applies to the older entries). Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.commit("Lower the CI objective")
    viewed: list[str | None] = []  # the commit of each entry viewed (None: the working tree's)
    real = changes._entry_view
    monkeypatch.setattr(changes, "_entry_view", lambda entry, *a: viewed.append(entry.commit) or real(entry, *a))
    welcome = "content/welcome.md"
    edits: list[tuple[str, Callable[[], object], int | None]] = [  # committed entries viewed (None: all)
        # the working tree's entry comes on top: every committed entry is one place further down
        (
            "a page edited, not committed",
            lambda: git_site.edit("## What we support", "## What we offer", welcome),
            None,
        ),
        ("the same page again", lambda: git_site.edit("we offer", "we provide", welcome), 0),
        ("an SLO edited, not committed", lambda: git_site.edit("objective: 99.0", "objective: 99.9"), 0),
        ("the edits committed while serve runs", lambda: git_site.commit("Edit the welcome page and the SLO"), None),
        (
            "a page added, not committed",
            lambda: git_site.write("content/paging.md", "---\ntitle: Paging\n---\n\nHi.\n"),
            None,
        ),
        ("it edited", lambda: git_site.edit("Hi.", "Hello.", "content/paging.md"), 0),
        ("it committed", lambda: git_site.commit("Add the paging page"), None),
        ("a page edited, not committed, again", lambda: git_site.edit("we provide", "we run", welcome), None),
        ("the paging page renamed", lambda: (site / "content/paging.md").rename(site / "content/on-call.md"), None),
        ("the welcome page edited after it", lambda: git_site.edit("we run", "we operate", welcome), None),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change, committed in edits:
            change()
            viewed.clear()
            build(options)
            heads = [c for c in viewed if c is not None]
            if committed is None:
                assert heads == git_site.git("log", "--format=%H").split(), what
            else:
                assert heads == [], what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_a_serve_rebuild_writes_out_the_committed_history_for_the_page_keys_once_per_head(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The page keys hold the history as text (pagekeys.py: the whole history, and each offering's
    and tool's events). A serve rebuild at the same commit takes the committed entries' text, and
    each subject's events' text, as its last build wrote them while they are the very objects
    (history.TimelineMemo, changes.HistoryMemo keep them while HEAD is the same): it writes out
    the working tree's entry and the events of the subjects it changes alone. A commit made while
    it runs is written out again. Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.commit("Lower the CI objective")
    histories: list[str] = []  # the committed entries written out (repr), by commit
    real_repr = history.Entry.__repr__
    monkeypatch.setattr(history.Entry, "__repr__", lambda e: (e.commit and histories.append(e.commit)) or real_repr(e))
    tables: list[str | None] = []  # the entry of each subject's event written out, by commit (None: the working tree)
    real_shown = pagekeys._entry_shown
    monkeypatch.setattr(pagekeys, "_entry_shown", lambda entry: tables.append(entry.commit) or real_shown(entry))
    with serving(site, site / "public") as (options, _):
        welcome = "content/welcome.md"
        build(options)
        commits = git_site.git("log", "--format=%H").split()
        assert histories == commits  # every committed entry, once
        shown = len(tables)  # every event of every offering and tool, once (their pages show them)
        assert shown > len(commits) and set(tables) == set(commits)
        ci = [None, *commits]  # the CI offering's events once its SLO is edited: the working tree's on top
        edits: list[tuple[str, Callable[[], object], bool, list[str | None] | None]] = [
            # (whether the committed entries are written out again, and the events written out: None, all)
            # the working tree's entry comes on top: every committed entry's view is made again (its
            # place on the changes pages moves), not the entries themselves
            (
                "a page edited, not committed",
                lambda: git_site.edit("## What we support", "## What we offer", welcome),
                False,
                None,
            ),
            ("the same page again", lambda: git_site.edit("we offer", "we provide", welcome), False, []),
            ("an SLO edited, not committed", lambda: git_site.edit("objective: 99.0", "objective: 99.9"), False, ci),
            ("the SLO edited again", lambda: git_site.edit("objective: 99.9", "objective: 99.95"), False, ci),
            ("nothing", lambda: None, False, []),
            (
                "the edits committed while serve runs",
                lambda: git_site.commit("Edit the welcome page and the SLO"),
                True,
                None,
            ),
            ("a page edited after the commit", lambda: git_site.edit("we provide", "we run", welcome), False, None),
            ("it again", lambda: git_site.edit("we run", "we operate", welcome), False, []),
        ]
        for what, change, written, events in edits:
            change()
            histories.clear()
            tables.clear()
            build(options)
            assert histories == (git_site.git("log", "--format=%H").split() if written else []), what
            if events is None:
                assert len(tables) >= shown and set(tables) >= set(commits), what
            else:
                assert tables == events, what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def _strings(value: object) -> list[str]:
    """Every string in `value`, through its tuples, lists and dicts' keys and values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for pair in value.items() for item in pair for s in _strings(item)]
    if isinstance(value, tuple | list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.git
def test_serve_keeps_the_committed_historys_digest_for_its_page_keys_not_its_text(run, git_site, tmp_path) -> None:
    """What serve keeps of its last build's page keys (PageMemory `keys`) holds the committed
    history, which a rebuild at the same commit compares by, as its digest: no text of its
    entries (2.7 MB at 5,000 pages in one commit, held for the whole session), nor a copy joined
    to the working tree's part. A commit changes it. The output stays a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.commit("Lower the CI objective")
    digests = []
    with serving(site, site / "public") as (options, memory):
        for edit in (
            lambda: None,
            lambda: git_site.edit("objective: 99.0", "objective: 99.9"),
            lambda: git_site.commit("Raise the CI objective"),
        ):
            edit()
            build(options)
            committed = memory.keys[pagekeys._HISTORY][1]
            assert len(committed) == 40  # a digest (cache.digest)
            assert not [text for text in _strings(memory.keys) if "Lower the CI objective" in text]
            digests.append(committed)
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        assert digests[0] == digests[1] != digests[2]


def _rules(git_site) -> None:
    """Three policy pages whose headings are alike ("Scope", "Details" twice: as a team's pages
    written from one template are), committed, the output and the cache ignored."""
    (git_site.root / ".gitignore").write_text("public*/\n.servicebook-cache/\n")
    for n in range(3):
        git_site.write(
            f"content/rule-{n}.md",
            f"---\ntitle: Rule {n}\n---\n\nWhy rule {n}.\n\n## Scope\n\nScope {n}.\n\n"
            f"### Details\n\nFirst {n}.\n\n### Details\n\nSecond {n}.\n",
        )
    git_site.commit("Three rules")


@pytest.mark.git
def test_serve_holds_each_title_and_anchor_of_its_pages_outlines_once(run, git_site, tmp_path) -> None:
    """In a site in git, serve holds every page's outline for the history (PageResult
    `sections`: anchor, title, digest of each section) for as long as it runs: each title and
    anchor that several pages share is one string, whether the page was rendered or read back
    from the store (a second serve of the same site). 55,000 sections at 5,000 pages, of 16
    titles. The output stays a build from nothing's."""
    _rules(git_site)
    site = git_site.root
    for output in ("public", "public-again"):  # the second reads every page back from the store
        with serving(site, site / output) as (options, memory):
            build(options)
            named = [part for result in memory.pages.values() for section in result.sections for part in section[:2]]
            assert {"Scope", "scope", "Details", "details", "details-2"} <= set(named)
            assert len({id(part) for part in named}) == len(set(named))  # one string each
            assert tree(site / output) == clean_build(run, site, tmp_path / output)


@pytest.mark.git
def test_serve_holds_each_section_digest_of_its_pages_outlines_as_its_32_bytes(run, git_site, tmp_path) -> None:
    """The digest of each section that serve keeps in every page's outline for the history is
    the SHA-256's 32 bytes, not its 64 hex characters (a block of 80 bytes where the text took
    128: 55,000 sections at 5,000 pages), whether the page was rendered or read back from the
    store; the history's PageInfo made of an outline is the one `servicebook diff` reads of the
    page's bytes (hex digests), so an edited section is told changed and the others not, and
    the output stays a build from nothing's."""
    _rules(git_site)
    site = git_site.root
    for output in ("public", "public-again"):  # the second reads every page back from the store
        with serving(site, site / output) as (options, memory):
            build(options)
            digests = [section[2] for result in memory.pages.values() for section in result.sections]
            assert digests and all(type(d) is bytes and len(d) == 32 for d in digests)
            for result in memory.pages.values():
                outline = load_stage._outline(result)
                data = (site / outline.path).read_bytes()
                assert snapshots._outline_info(outline) == diff.page_info(
                    outline.path, snapshots.page_slug(outline.path), data
                )
            git_site.edit("Scope 1.", "Scope one.", "content/rule-1.md")  # not committed
            build(options)
            assert tree(site / output) == clean_build(run, site, tmp_path / output)
            assert "Scope” changed" in (site / output / "changes" / "index.html").read_text()
            git_site.edit("Scope one.", "Scope 1.", "content/rule-1.md")


@pytest.mark.git
def test_serve_holds_each_pages_outline_as_its_names_and_its_digests_not_a_tuple_a_section(
    run, git_site, tmp_path
) -> None:
    """The outline serve keeps of every page for the history is two objects, whether the page
    was rendered or read back from the store: its anchors and titles in one tuple (each the one
    string BodySpool keeps), its sections' SHA-256s in one bytes, 32 a section; not a tuple and a
    bytes a section (55,000 sections at 5,000 pages: 160 bytes each where the two take ~1/3 of
    that). Iterated, it is the (anchor, title, digest) of each section, as `diff` reads them of
    the page's bytes; the output stays a build from nothing's."""
    _rules(git_site)
    site = git_site.root
    for output in ("public", "public-again"):  # the second reads every page back from the store
        with serving(site, site / output) as (options, memory):
            build(options)
            outlines = [result.sections for result in memory.pages.values()]
            assert sum(len(outline) for outline in outlines) >= 9
            for outline in outlines:
                assert type(outline.names) is tuple and type(outline.digests) is bytes
                assert len(outline.names) == 2 * len(outline) and len(outline.digests) == 32 * len(outline)
                assert not [part for part in outline.names if type(part) is not str]
            rule = memory.pages[next(k for k, r in memory.pages.items() if r.page and r.page.slug == "rule-1")]
            data = (site / "content" / "rule-1.md").read_bytes()
            read = diff.page_info("content/rule-1.md", "rule-1", data)
            assert [(a, t, d.hex()) for a, t, d in rule.sections] == [
                (s.anchor, s.title, s.digest) for s in read.sections
            ]
            assert tree(site / output) == clean_build(run, site, tmp_path / output)


@pytest.mark.git
def test_serve_holds_each_page_or_file_its_pages_links_asked_about_once(run, git_site, tmp_path) -> None:
    """What each page's links asked about (PageResult `asked`: whether each page or file they
    name is there, so that a page is judged again when one comes or goes) that several pages ask
    too is one string in the pages serve holds, rendered or read back from the store: most pages
    link to the same few pages (~30,000 entries at 5,000 pages). The output stays a build from
    nothing's."""
    _rules(git_site)
    for n in range(3):
        git_site.edit(
            "Why rule", "See [the welcome](welcome.md) and [rule 0](rule-0.md). Why rule", f"content/rule-{n}.md"
        )
    git_site.commit("Rules link to the welcome page")
    site = git_site.root
    for output in ("public", "public-again"):  # the second reads every page back from the store
        with serving(site, site / output) as (options, memory):
            build(options)
            asked = [entry for result in memory.pages.values() for entry in result.asked]
            assert asked.count("+pwelcome") == 3 and asked.count("+prule-0") == 3
            assert len({id(entry) for entry in asked}) == len(set(asked))  # one string each
            assert tree(site / output) == clean_build(run, site, tmp_path / output)


@pytest.mark.git
def test_serve_makes_the_history_s_page_infos_of_its_outlines_when_asked_and_keeps_an_edited_page_s_committed_one(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The history's reader that serve keeps (TimelineMemo `reader`) holds each loaded page's
    outline, not a PageInfo made of it beside it (6 MiB at 5,000 pages); when a page is edited,
    the PageInfo of its committed bytes is kept, so that the history's "uncommitted changes"
    compare with it without reading the page from git again. Each rebuild is a build from
    nothing's."""
    _rules(git_site)
    site = git_site.root
    read: list[str] = []
    real = snapshots.Blobs.get
    monkeypatch.setattr(snapshots.Blobs, "get", lambda self, name: read.append(name) or real(self, name))
    with serving(site, site / "public") as (options, memory):
        build(options)
        assert memory.timeline is not None and memory.timeline.reader is not None
        reader = memory.timeline.reader
        assert len(reader.outlines) == 2 * 4  # four pages, by git's id and the working tree's
        assert reader.pages == {}
        committed = git_site.git("rev-parse", "HEAD:content/rule-1.md").strip()
        for n, (old, new) in enumerate((("Scope 1.", "Scope one."), ("Scope one.", "Scope 1, now."))):
            git_site.edit(old, new, "content/rule-1.md")
            read.clear()
            build(options)
            reader = memory.timeline.reader
            assert committed not in read  # the committed page's outline, kept as its PageInfo
            assert (committed, "content/rule-1.md") in reader.pages
            assert len(reader.pages) == 1 + n  # (and the first edit's, as before)
            shown = tree(site / "public")
            assert "uncommitted" in shown["policies/rule-1/index.html"].decode().lower()
            assert shown == clean_build(run, site, tmp_path / f"clean-{n}")


@pytest.mark.git
def test_serve_keys_the_history_s_working_tree_outlines_by_the_outlines_own_sha256(git_site) -> None:
    """The history's reader that serve keeps holds each loaded page's outline under its working
    tree's id too: keyed by the SHA-256 string the outline holds, not by a string "wt-" + SHA-256
    of its own (0.6 MiB at 5,000 pages); a page edited is still found by its working tree's id."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    with serving(site, site / "public") as (options, memory):
        build(options)
        assert memory.timeline is not None and memory.timeline.reader is not None
        reader = memory.timeline.reader
        worktree = [(key, outline) for key, outline in reader.outlines.items() if len(key) == 3]
        assert len(worktree) == len(reader.outlines) // 2 == 1  # (the one page, by both ids)
        assert all(key[1] is outline.sha256 for key, outline in worktree)
        assert not any(part.startswith("wt-") for key in reader.outlines for part in key)
        page = site / "content/welcome.md"
        page.write_text(page.read_text() + "\nEdited.\n")
        data = page.read_bytes()
        assert reader.knows("content/welcome.md", snapshots.worktree_blob_id(data)) is False
        build(options)
        reader = memory.timeline.reader
        assert reader.knows("content/welcome.md", snapshots.worktree_blob_id(data))


@pytest.mark.git
def test_a_serve_rebuild_in_a_git_site_reads_only_the_working_tree_files_whose_hash_changed(
    git_site, monkeypatch
) -> None:
    """The history's working-tree entry takes the ids of the files the survey found unchanged
    from the last build's, and of the pages as committed from the commit: after a one-page edit it
    reads (and hashes) that page alone."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    git_site.write("content/paging.md", "---\ntitle: Paging\n---\n\nHi.\n")  # uncommitted
    read: list[bytes] = []
    real = history.worktree_blob_id
    monkeypatch.setattr(history, "worktree_blob_id", lambda data: read.append(data) or real(data))
    with serving(site, site / "public") as (options, _):
        build(options)
        # catalog.yaml and the uncommitted page: the committed one is known by git's id, unread
        assert sorted(read) == sorted([(site / f).read_bytes() for f in ("catalog.yaml", "content/paging.md")])
        read.clear()
        git_site.edit("Hi.", "Hello.", "content/paging.md")
        build(options)
        assert read == [(site / "content" / "paging.md").read_bytes()]


def _replaced(file: Path, data: bytes) -> None:
    """`file` replaced by another holding `data`, as an editor that saves by renaming does."""
    spare = file.with_name(file.name + ".new")
    spare.write_bytes(data)
    spare.replace(file)


def _rewritten_marker(tree: Path) -> None:
    """The release's marker written again with what it holds, as another process's check does."""
    _replaced(tree / releases.COMPLETE, (tree / releases.COMPLETE).read_bytes())


RELEASE_DAMAGE: list[tuple[str, Callable[[Path], None]]] = [
    ("a file of the release removed", lambda tree: (tree / "index.html").unlink()),
    ("a file of the release replaced", lambda tree: _replaced(tree / "index.html", b"<p>Defaced</p>\n")),
    ("a file added beside the release's", lambda tree: (tree / "stray.html").write_text("<p>Stray</p>\n")),
    ("the release's marker written again", _rewritten_marker),
    ("the release removed (the cache deleted)", lambda tree: shutil.rmtree(tree.parent.parent)),
]


@pytest.mark.git
def test_a_serve_rebuild_takes_the_release_it_stored_or_checked_and_its_links_as_it_left_them_and_finds_a_changed_one(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The release that HEAD's catalog version makes is built and stored by serve's first build
    (in a site's own repository, from nothing), or checked against its record (a `stat` of each
    of its files: releases._intact) by the serve build that first takes it from the cache; later
    rebuilds at the same commit, with the same code, take it as that build left it, while its
    tree's folder and its marker are as they were, and the write stage takes the links to its
    files that it made then (write._known_tree_links, a link a file): the first edit after the
    first build neither reads the release's record again nor holds a second copy of it. A file of
    the tree removed, replaced or added, the marker written again, or the whole cache deleted
    between two rebuilds is found: the release is checked again, or built again, its links made
    again, and each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    checked: list[Path] = []
    real = releases._intact
    monkeypatch.setattr(releases, "_intact", lambda tree: checked.append(tree) or real(tree))
    linked: list[str] = []  # the trees whose links were made
    real_links = write._known_tree_links
    monkeypatch.setattr(write, "_known_tree_links", lambda folder, *a: linked.append(folder) or real_links(folder, *a))
    page = "content/welcome.md"
    with serving(site, site / "public") as (options, _):
        build(options)  # the release built and stored
        trees = list((site / ".servicebook-cache" / "releases").glob("*/*"))
        assert len(trees) == 1 and checked == [] and linked == [str(trees[0])]
        folder = trees[0]
        for n in range(3):
            linked.clear()
            git_site.edit("## What we support\n", f"## What we support\n\nEdit {n}.\n", page)  # not committed
            build(options)
            assert checked == [], n  # taken as the first build stored it
            assert linked == [], n  # its links as the first build made them
            assert tree(site / "public") == clean_build(run, site, tmp_path), n
            git_site.edit(f"\n\nEdit {n}.\n", "\n", page)
        for what, damage in RELEASE_DAMAGE:
            build(options)
            checked.clear()
            linked.clear()
            damage(folder)
            git_site.edit("## What we support\n", "## What we support\n\nEdited.\n", page)
            build(options)
            assert checked == ([] if what.startswith("the release removed") else [folder]), what
            assert linked == [str(folder)], what
            assert os.path.isfile(folder / releases.COMPLETE), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
            checked.clear()
            linked.clear()
            git_site.edit("\n\nEdited.\n", "\n", page)
            build(options)  # the release as the rebuild before checked it, or stored it again
            assert checked == [] and linked == [], what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_serve_keeps_a_release_tree_s_links_without_holding_a_path_into_the_tree_for_each_file(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The links to a release tree's files that serve's last build made, which the next build
    takes (write.SpareJournal `tree_links`), are made when asked for, of the tree's folder and
    each file's name: no path into the tree is held for any of its files (at 5k, 11,000 of
    them, with an output path and a tuple each, were 4.2 MiB of what serve kept between edits).
    Each link asked for is its file; the tree's files are not looked up one by one among the
    paths a rebuild's output no longer has (thousands: ~10 ms a rebuild at 5k); each rebuild's
    output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    page = "content/welcome.md"
    looked: list[str] = []  # the paths looked up among a tree's links
    real = write._TreeFileLinks._path
    monkeypatch.setattr(write._TreeFileLinks, "_path", lambda self, path: looked.append(path) or real(self, path))
    with serving(site, site / "public") as (options, memory):
        build(options)  # the release built and stored, its tree linked into the output
        for n in range(3):
            git_site.edit("## What we support\n", f"## What we support\n\nEdit {n}.\n", page)  # not committed
            looked.clear()
            build(options)
            if n:  # (the first edit's write stage looks at each of the tree's files once: `_at_places`)
                # none looked up one by one among the output's paths gone from the site (`_changes`)
                assert not [path for path in looked if path.startswith("v/")], n
            kept = memory.spare.tree_links
            assert len(kept) == 1, n
            held = reachable_strings(kept)
            for (folder, at), (_, links) in kept.items():
                in_tree = {str(p) for p in Path(folder).rglob("*") if p.is_file()}
                assert len(in_tree) > 10 and in_tree.isdisjoint(held), n
                published = {f for f in in_tree if not Path(f).name.startswith(".")}  # (not its markers)
                assert len(links) == len(list(links)) == len(published), n
                assert {links[path][3] for path in links} == published, n
                for path in links:
                    assert path.startswith(at) and path in links, path
                    inode, _, identity, source = links[path]
                    assert source in in_tree and os.lstat(source).st_ino == inode == identity[2], path
                    assert os.path.samefile(source, site / "public" / path), path
                assert f"{at}no-such-page.html" not in links and "elsewhere.html" not in links
            assert tree(site / "public") == clean_build(run, site, tmp_path), n
            git_site.edit(f"\n\nEdit {n}.\n", "\n", page)


@pytest.mark.git
def test_a_serve_rebuild_tells_what_changed_beside_a_release_without_looking_at_each_of_its_files(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """With a release in the site, a serve rebuild's write stage tells the paths that changed by
    set operations, as it does without one (write._changes), while the release's links are those
    its last build made and each of them was found then to be a file of the output at its place
    (write.SpareJournal.placed); no link is made for each kept page or each file of the release.
    A release found changed between two rebuilds (a file of it removed, replaced or added, its
    marker written again, the cache deleted) has its links made again and looked at one by one
    by the rebuild that finds it (and by the one that checks it once stored again), and told at
    once again after that. Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    at_once: list[bool] = []  # each write stage's: whether it told what changed by set operations
    real = write._all_known
    monkeypatch.setattr(write, "_all_known", lambda *a: at_once.append(real(*a)) or at_once[-1])
    page = "content/welcome.md"
    with serving(site, site / "public") as (options, _):
        build(options)  # the release built and stored
        (folder,) = (site / ".servicebook-cache" / "releases").glob("*/*")
        for n in range(3):
            at_once.clear()
            git_site.edit("## What we support\n", f"## What we support\n\nEdit {n}.\n", page)  # not committed
            build(options)
            # the release and its links as the first build stored and made them (see the test above)
            assert at_once == [True], n
            assert tree(site / "public") == clean_build(run, site, tmp_path), n
            git_site.edit(f"\n\nEdit {n}.\n", "\n", page)
        for what, damage in RELEASE_DAMAGE:
            build(options)
            damage(folder)
            git_site.edit("## What we support\n", "## What we support\n\nEdited.\n", page)
            at_once.clear()
            build(options)
            assert at_once == [], what  # the release's links made again: each looked at
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
            git_site.edit("\n\nEdited.\n", "\n", page)
            build(options)  # (a release stored again is taken as it was stored: see the test above)
            at_once.clear()
            git_site.edit("## What we support\n", "## What we support\n\nAgain.\n", page)
            build(options)
            assert at_once == [True], what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
            git_site.edit("\n\nAgain.\n", "\n", page)


@pytest.mark.git
def test_the_history_names_the_pages_of_a_step_as_the_step_before_while_no_page_is_added_or_removed(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """Each step of the history (a commit, the working tree) checks its catalog against the
    slugs of the pages it has (history._step: a catalog key names them, sorted). A step whose
    pages are the paths of the step before's takes that step's slugs as they are, not made and
    sorted again (20,000 at 20,000 pages, each serve rebuild with an uncommitted edit); a page
    added or removed makes them again. The history, and each output, is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    named: list[str] = []
    real = history.page_slug
    monkeypatch.setattr(history, "page_slug", lambda path: named.append(path) or real(path))
    pages = len(list((site / "content").glob("*.md")))
    page = "content/welcome.md"
    steps: list[tuple[str, Callable[[], object], int]] = [  # the slugs made by the rebuild
        ("a page edited, not committed", lambda: git_site.edit("## What we support", "## Support", page), 0),
        ("edited again", lambda: git_site.edit("## Support", "## Supported", page), 0),
        ("an SLO edited, not committed", lambda: git_site.edit("objective: 99.5", "objective: 99.0"), 0),
        (
            "a page added, not committed",
            lambda: git_site.write("content/paging.md", "---\ntitle: Paging\n---\n\nHi.\n"),
            pages + 1,
        ),
        ("the page removed again", (site / "content" / "paging.md").unlink, 0),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change, made in steps:
            named.clear()
            change()
            build(options)
            assert len(named) == made, what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def _worktree_steps(git_site, page: str) -> list[tuple[str, Callable[[], object], bool]]:
    """Changes to a site in git of thirty notes, in order, each with whether the serve rebuild after it
    makes the history's working-tree entry afresh (every page looked at)."""
    site = git_site.root
    return [
        # (the first build's tree was clean: no working-tree entry made yet)
        ("a page edited, not committed", lambda: git_site.edit("## What we support", "## Support", page), True),
        ("edited again", lambda: git_site.edit("## Support", "## Supported", page), False),
        (
            "another page edited",
            lambda: git_site.write("content/note-07.md", "---\ntitle: Seven\n---\n\nSeven.\n"),
            False,
        ),
        ("an SLO edited, not committed", lambda: git_site.edit("objective: 99.5", "objective: 99.0"), False),
        ("a page added", lambda: git_site.write("content/paging.md", "---\ntitle: Paging\n---\n\nHi.\n"), False),
        ("a page removed", (site / "content" / "note-03.md").unlink, False),
        ("the page added removed again", (site / "content" / "paging.md").unlink, False),
        ("a page as committed again", lambda: git_site.git("checkout", "--", "content/note-07.md"), False),
        ("a commit while serving", lambda: git_site.commit("Edits"), True),
        ("an edit after it", lambda: git_site.edit("## Supported", "## What we support", page), True),
        ("and another", lambda: git_site.edit("## What we support", "## We support", page), False),
    ]


@pytest.mark.git
def test_a_serve_rebuild_compares_with_the_commit_only_the_pages_it_knew_to_differ_and_those_whose_hash_changed(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The history's working-tree entry compares the pages as committed with those on disk
    (history._page_changes): a serve rebuild at the same commit takes the paths its last build
    found not as committed and puts them right at the paths whose hash changed (TimelineMemo
    `worktree_differ`), instead of comparing every page's blob with the commit's (20,000 twice at
    20,000 pages); a commit made while serving finds them all again. After each step the paths
    are those a comparison of every page finds, and each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    for n in range(30):
        git_site.write(f"content/note-{n:02d}.md", f"---\ntitle: Note {n}\n---\n\nNote {n}.\n")
    git_site.commit("Thirty notes")
    compared: list[int] = []  # each comparison of every page (its number of pages)
    real = history._differing
    monkeypatch.setattr(history, "_differing", lambda before, after: compared.append(len(after)) or real(before, after))
    page = "content/welcome.md"
    steps = _worktree_steps(git_site, page)  # each with whether every page is compared
    with serving(site, site / "public") as (options, memory):
        build(options)
        for what, change, every in steps:
            change()
            compared.clear()
            build(options)
            assert bool(compared) == every, (what, compared)
            memo = memory.timeline
            assert memo is not None and memo.worktree_ids is not None and memo.state is not None, what
            # (a clean tree after the commit: no working-tree entry, the last one's ids stand)
            assert (memo.worktree_ids[1] is memo.state.pages) == (what != "a commit while serving"), what
            if what != "a commit while serving":
                on_disk = {p: b for p, b in memo.worktree_ids[2].items() if p != "catalog.yaml"}
                assert memo.worktree_differ == real(memo.state.pages, on_disk), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_a_serve_rebuild_looks_at_the_working_tree_files_whose_hash_changed_alone_for_the_history(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The history's working-tree entry (history._worktree_ids) is made of the ids of catalog.yaml
    and every page as they are on disk. A serve rebuild at the same commit takes the ids its last
    build made and looks again only at the files whose hash the survey found changed (edited,
    added, removed) and at those that are not as committed, not at every page (20,000 at 20,000
    pages); a commit made while serving makes them all again. The history, and each output, is
    a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    for n in range(30):
        git_site.write(f"content/note-{n:02d}.md", f"---\ntitle: Note {n}\n---\n\nNote {n}.\n")
    git_site.commit("Thirty notes")
    looked: list[str] = []  # each path history.py asks whether it is a page
    real = history.is_page
    monkeypatch.setattr(history, "is_page", lambda path: looked.append(path) or real(path))
    page = "content/welcome.md"
    steps = _worktree_steps(git_site, page)  # each with whether every page is looked at
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change, every in steps:
            change()
            looked.clear()
            build(options)
            pages = len(list((site / "content").glob("*.md")))
            assert (len(looked) >= pages) == every, (what, len(looked))
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_the_release_links_are_looked_at_one_by_one_by_the_next_build_of_the_process_alone(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """Whether each of a release tree's links is a file of the output at its place (which lets a
    serve rebuild tell what changed by set operations, see the test above) is looked at by the
    build that takes those links from the build before it in the same process, once; a
    command-line build, whose process makes no other build, does not look (~11,000 links at
    5,000 pages, for nothing), and tells what changed from the dict of every link (`_links`),
    not from links made as asked for (~40 ms slower at 5,000 pages when each is asked for). Each
    output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    looked: list[int] = []  # the links looked at one by one, a tree at a time
    real = write._at_places
    monkeypatch.setattr(write, "_at_places", lambda links, *a: looked.append(len(links)) or real(links, *a))
    every: list[bool] = []  # each write stage's: whether it made the dict of every link
    real_links = write._links
    monkeypatch.setattr(write, "_links", lambda *a: every.append(True) or real_links(*a))
    page = "content/welcome.md"
    command_line = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    for n in range(3):
        git_site.edit("## What we support\n", f"## What we support\n\nEdit {n}.\n", page)  # not committed
        every.clear()
        build(command_line)
        assert looked == [] and every == [True], n
        assert tree(site / "public") == clean_build(run, site, tmp_path), n
        git_site.edit(f"\n\nEdit {n}.\n", "\n", page)
    memory = PageMemory()
    serve = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    try:
        build(serve)
        for n in range(4):
            looked.clear()
            git_site.edit("## What we support\n", f"## What we support\n\nServed {n}.\n", page)
            build(serve)
            # the first rebuild checks the release and makes its links again; the next looks at them
            assert len(looked) == (1 if n == 1 else 0) and all(looked), n
            assert tree(site / "public") == clean_build(run, site, tmp_path), n
            git_site.edit(f"\n\nServed {n}.\n", "\n", page)
    finally:
        memory.close()


@pytest.mark.git
def test_serve_holds_the_release_trees_paths_as_the_releases_own_sets_not_joined_to_their_folders(
    run, git_site, tmp_path
) -> None:
    """The paths of the release trees in the site that serve keeps for its next rebuilds (the
    link check's targets, counted in the report) are looked up in each release's own set of
    paths under its folder (`v/0.1/`), not held as a set of every path joined to its folder
    (11,000 strings at 5,000 pages). Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    with serving(site, site / "public") as (options, memory):
        for n in range(2):
            build(options)
            assert memory.mounted is not None
            made_of, mounted, pages = memory.mounted
            folders = {folder for folder, _ in made_of}
            assert folders == {routes.release("0.1")} and all(paths for _, paths in made_of)
            assert not [s for s in reachable_strings(mounted) if s.startswith(routes.RELEASES) and s not in folders]
            joined = {folder + path for folder, paths in made_of for path in paths}
            assert all(path in mounted for path in joined) and set(mounted) == joined and len(mounted) == len(joined)
            assert "v/0.1/no-such-page/index.html" not in mounted and "offerings/index.html" not in mounted
            assert pages == sum(path.endswith(".html") for path in joined) > 0
            assert tree(site / "public") == clean_build(run, site, tmp_path / str(n))
            welcome = site / "content" / "welcome.md"
            welcome.write_text(welcome.read_text() + f"\nServed {n}.\n")


@pytest.mark.git
def test_a_serve_rebuild_takes_the_release_paths_and_their_page_list_as_its_last_build_made_them(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """What the site makes of a release's paths (all of them under its version's folder, which
    the link check and the report count; its sorted list of pages in pages-by-version.json:
    tens of thousands of paths on a large site) is taken by a serve rebuild as its last build
    made it while the release is the one that build stored or took as it was
    (releases.CheckedReleases): from the first edit after the first build on; a release found
    changed (a file of it removed) is made of again. Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    listed: list[object] = []  # each version's list of pages made (the root's, a release's)
    real = site_outputs.version_pages
    monkeypatch.setattr(site_outputs, "version_pages", lambda paths: listed.append(paths) or real(paths))
    page = "content/welcome.md"
    trees = site / ".servicebook-cache" / "releases"
    steps: list[tuple[str, Callable[[], object], bool]] = [  # whether the release is made of again
        (
            "a page edited (the release as stored)",
            lambda: git_site.edit("## What we support", "## Support", page),
            False,
        ),
        ("edited again", lambda: git_site.edit("## Support", "## Supported", page), False),
        ("and again", lambda: git_site.edit("## Supported", "## What we support", page), False),
        (
            "a file of the release removed, a page edited",
            lambda: (next(trees.glob("*/*/index.html")).unlink(), git_site.edit("## What we", "## All we", page)),
            True,
        ),
        # (the release was stored again: the rebuild after that takes it as stored, as after the first build)
        ("a page edited after it", lambda: git_site.edit("## All we", "## What we", page), False),
        ("and again after it", lambda: git_site.edit("## What we", "## All we", page), False),
    ]
    with serving(site, site / "public") as (options, memory):
        build(options)
        assert memory.mounted is not None
        for what, change, again in steps:
            last = memory.mounted[1]
            listed.clear()
            change()
            build(options)
            assert len(listed) == (1 if again else 0), what  # (the root's paths are the same: see below)
            assert (memory.mounted[1] is last) is not again, what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def _manifest_lines(output: Path) -> Iterator[tuple[str, str]]:
    """(path, SHA-256) of each line of the output's manifest.sha256."""
    for line in (output / routes.MANIFEST).read_text().splitlines():
        sha, path = line.split("  ", 1)
        yield path, sha


@pytest.mark.git
def test_a_serve_rebuild_takes_its_last_record_of_the_output_and_its_last_hashes_not_copies_of_the_kept_files_ones(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The write stage compares the spare's files with the identities of the files a rebuild
    keeps: a serve rebuild hands it its last build's record of the output itself (every file's,
    the release tree's among them: 85,000 at 20,000 pages), not a copy less the files not kept,
    and the write stage, finding it the very record its journal holds, tells what changed by
    set operations as it did with the copy. The manifest's hashes of the kept files are the
    last build's published hashes, the very dict less the files not kept, not a copy of it.
    After page edits, a file of the release removed, a page added and one removed, each output
    is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    handed: list[object] = []  # what each rebuild's write stage was given as the kept files' identities
    real_write = build_stage.write_site
    monkeypatch.setattr(build_stage, "write_site", lambda *a, **k: handed.append(k["known"]) or real_write(*a, **k))
    at_once: list[bool] = []  # whether the write stage told what changed by set operations
    real_changes = write._changes
    monkeypatch.setattr(write, "_changes", lambda *a: at_once.append(a[5] is not None) or real_changes(*a))
    linked: list[bool] = []  # whether the kept pages' links are of the kept set itself, not a copy
    real_kept_links = write._kept_links

    def kept_links(files: object, output: Path, unchanged: object, *rest: object) -> object:
        links = real_kept_links(files, output, unchanged, *rest)  # type: ignore[arg-type]
        linked.append(links is not None and links.paths is unchanged)
        return links

    monkeypatch.setattr(write, "_kept_links", kept_links)
    page = "content/welcome.md"
    trees = site / ".servicebook-cache" / "releases"
    # and whether the write stage tells what changed at once: not where the release was stored
    # again (its tree's links not known to be the output's files at their places)
    steps: list[tuple[str, Callable[[], object], bool]] = [
        ("a page edited", lambda: git_site.edit("## What we support", "## Support", page), True),
        ("edited again", lambda: git_site.edit("## Support", "## Supported", page), True),
        (
            "a file of the release removed, a page edited",
            lambda: (next(trees.glob("*/*/index.html")).unlink(), git_site.edit("## Supported", "## All we", page)),
            False,
        ),
        ("a page edited after it", lambda: git_site.edit("## All we", "## What we", page), True),
        (
            "a page added",
            lambda: (site / "content" / "added.md").write_text("---\ntitle: Added\n---\n\nNew.\n"),
            True,
        ),
        ("a page removed", (site / "content" / "added.md").unlink, True),
        ("a page edited at last", lambda: git_site.edit("## What we", "## All we", page), True),
    ]
    with serving(site, site / "public") as (options, memory):
        build(options)
        for what, change, told_at_once in steps:
            last, hashes = memory.manifest, memory.published
            assert last is not None and hashes is not None, what
            handed.clear()
            at_once.clear()
            linked.clear()
            change()
            build(options)
            assert len(handed) == 1 and handed[0] is last.outputs, what
            assert at_once == [told_at_once], what
            assert linked == [told_at_once], what  # (none where the release was stored again)
            assert memory.published is not None and memory.published[1] is hashes[1], what
            assert memory.published[1] == dict(_manifest_lines(site / "public")), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_a_serve_rebuild_takes_the_root_s_page_list_as_its_last_build_made_it_while_the_site_has_the_same_paths(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """pages-by-version.json lists the root site's pages beside each release's (20,000 sorted
    paths, written out, at 20,000 pages): a serve rebuild takes the root's part as its last build
    made it while the site's files have the very paths they had then (a page edited), and makes
    it again when a page is added or removed. Each output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    listed: list[bool] = []  # each list of pages made: whether it is the root's (a release's is of a generator)
    real = site_outputs.version_pages
    monkeypatch.setattr(
        site_outputs, "version_pages", lambda paths: listed.append(not isinstance(paths, Iterator)) or real(paths)
    )
    page, added = "content/welcome.md", site / "content" / "added-page.md"
    steps: list[tuple[str, Callable[[], object], bool]] = [  # whether the root's list is made again
        ("a page edited", lambda: git_site.edit("## What we support", "## Support", page), False),
        ("edited again", lambda: git_site.edit("## Support", "## Supported", page), False),
        ("a page added", lambda: added.write_text("---\ntitle: Added\n---\n\nA page.\n"), True),
        ("the page edited", lambda: added.write_text("---\ntitle: Added\n---\n\nThe page.\n"), False),
        ("the page removed", added.unlink, True),
        ("nothing", lambda: None, False),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change, again in steps:
            listed.clear()
            change()
            build(options)
            assert listed.count(True) == (1 if again else 0), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_a_serve_rebuild_asks_git_for_the_releases_only_when_head_or_the_tags_changed(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """Finding the releases (git.releases.discover: three git processes) is asked by a serve
    build when HEAD's commit or the tags are not those of the last build; after an edit alone the
    releases the last build found are taken. A tag added, a commit made: found again, and each
    output is a build from nothing's."""
    site = git_site.root
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    git_site.commit("Ignore the output")
    asked: list[object] = []
    real = build_stage.discover
    monkeypatch.setattr(build_stage, "discover", lambda *a, **k: asked.append(a) or real(*a, **k))
    page = "content/welcome.md"
    steps: list[tuple[str, Callable[[], object], int]] = [
        ("a page edited, not committed", lambda: git_site.edit("## What we support\n", "## Support\n", page), 0),
        ("edited again", lambda: git_site.edit("## Support\n", "## What we support today\n", page), 0),
        ("a tag added", lambda: git_site.tag("v0.1"), 1),
        ("the edit committed", lambda: git_site.commit("Rename a heading"), 1),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        assert len(asked) == 1
        for what, change, times in steps:
            asked.clear()
            change()
            build(options)
            assert len(asked) == times, what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_a_serve_rebuild_gives_the_history_the_outlines_of_the_pages_that_changed_alone(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """The history is given the outline of each page the build loaded (snapshots.Reader
    `outlined`), so that it parses none again. A serve rebuild gives it those of the pages whose
    outline is not the one it gave it last (the load's very object while a page is unchanged):
    here a site in a folder its repository ignores (as the benchmark's), whose pages no commit
    holds. The output is a build from nothing's (in a copy of the repository)."""
    repo = git_site.root
    PAGE = "---\ntitle: {}\n---\n\n## About\n\nHi.\n"
    (repo / ".gitignore").write_text("docs/\n")
    git_site.commit("Ignore the site")
    site = repo / "docs"
    site.mkdir()
    for name in ("catalog.yaml", "content"):
        (repo / name).rename(site / name)
    for name in ("paging", "backups"):
        (site / "content" / f"{name}.md").write_text(PAGE.format(name.title()))
    outlined: list[str] = []
    real = snapshots.Reader.outlined
    monkeypatch.setattr(snapshots.Reader, "outlined", lambda self, o: outlined.append(o.path) or real(self, o))

    def fresh() -> dict[str, bytes]:  # the repository copied as it is, its site built from nothing
        copy = tmp_path / "fresh"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
        assert run("build", "--source", copy / "docs").exit_code == 0
        return tree(copy / "docs" / "public")

    every = ["backups.md", "paging.md", "welcome.md"]  # (by name: the outlines' paths are the repository's)
    edits: list[tuple[str, Callable[[], object], list[str]]] = [
        ("a page edited", lambda: _edit(site / "content/paging.md", "Hi.", "Hello."), ["paging.md"]),
        ("its title", lambda: _edit(site / "content/paging.md", "Paging", "Paging at night"), ["paging.md"]),
        ("another page", lambda: _edit(site / "content/backups.md", "Hi.", "Hey."), ["backups.md"]),
        ("its text as it was", lambda: _edit(site / "content/paging.md", "Hello.", "Hi."), ["paging.md"]),
        (
            "a page added",
            lambda: (site / "content/secrets.md").write_text(PAGE.format("Secrets")),
            sorted([*every, "secrets.md"]),
        ),
        ("it edited", lambda: _edit(site / "content/secrets.md", "Hi.", "Vault."), ["secrets.md"]),
        ("a page removed", (site / "content/backups.md").unlink, ["paging.md", "secrets.md", "welcome.md"]),
    ]
    compared = {"its title", "its text as it was", "a page removed"}  # (each a build from nothing)
    with serving(site, site / "public") as (options, _):
        build(options)
        assert sorted(path.rsplit("/", 1)[-1] for path in outlined) == every
        for what, change, given in edits:
            outlined.clear()
            change()
            build(options)
            assert sorted(path.rsplit("/", 1)[-1] for path in outlined) == given, what
            if what in compared:
                assert tree(site / "public") == fresh(), what


def test_a_serve_rebuild_cuts_again_only_the_paged_lists_and_weighs_only_the_items_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)
    listed: list[object] = []
    weighed: list[str] = []
    real_a_to_z, real_policy = paging.a_to_z, paging.WEIGHTS["policies"]
    monkeypatch.setattr(paging, "a_to_z", lambda view: listed.append(view) or real_a_to_z(view))
    monkeypatch.setitem(paging.WEIGHTS, "policies", lambda p: weighed.append(p.slug) or real_policy(p))
    search_page = site / "public" / "search" / "index.html"
    try:
        build(options)
        assert len(listed) == 1 and "change-approval" in weighed
        pages = len(weighed)
        listed.clear()
        weighed.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        # a body: the A to Z list is the last one, and only the edited page is weighed again
        assert listed == [] and weighed == ["change-approval"]
        before = search_page.read_bytes()
        _edit(site / "content" / "change-approval.md", "title: ", "title: Revised ")
        build(options)
        # a title: the A to Z list is made again and shows it, as a build from nothing does
        assert len(listed) == 1 and b"Revised " in search_page.read_bytes() != before
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        listed.clear()
        _edit(site / "catalog.yaml", "name: CI/CD pipelines", "name: Pipelines")
        build(options)
        assert len(listed) == 1 and b"Pipelines" in search_page.read_bytes()  # the catalog: made again
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        listed.clear()
        weighed.clear()
        _edit(site / "content" / "change-approval.md", "A sentence added", "A sentence changed")
        build(options)
        assert listed == [] and weighed == ["change-approval"]
        assert memory.paging is not None and len(memory.paging.lists["policies"][0]) == pages
    finally:
        memory.close()
    assert memory.paging is None and memory.views is None  # a closed memory holds no lists


def test_a_serve_rebuild_takes_the_pages_whose_key_is_unchanged_from_its_last_load_without_a_look_at_each(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A serve rebuild after an edit knows from the survey's hashes which pages' keys changed
    (load._rekeyed): the others are the last load's results, taken as they are, not asked of the
    memory of pages one by one nor checked again against the pages and files their links asked
    about (`_still`, whose answers are those of the same universe). After a page is added (another
    universe) every page is looked at again; each rebuild equals a build from nothing."""
    site = site_copy("example")
    asked: list[str] = []
    real = site_store.Remembering.get_many

    def spied(self: site_store.Remembering, keys: list[str], spool: object = None) -> dict[str, object]:
        asked.extend(keys)
        return real(self, keys, spool)  # type: ignore[arg-type]

    def refused(*_: object) -> bool:
        raise AssertionError("a kept page's links looked at again")

    pages = len(list((site / "content").glob("*.md")))
    with serving(site, site / "public") as (options, _):
        build(options)
        monkeypatch.setattr(site_store.Remembering, "get_many", spied)
        for n in range(2):
            asked.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            with monkeypatch.context() as refusing:
                refusing.setattr(load_stage, "_still", refused)
                report = build(options)
            assert len(asked) == 1  # the edited page's new key
            assert report.work is not None and report.work.rendered["policy pages"] == 1
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        asked.clear()
        CHANGES[2][1](site)  # a page added: every page's links may lead elsewhere now
        build(options)
        assert len(asked) == pages + 1
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        for what, change in CHANGES[3:7]:  # its heading and links changed, renamed, deleted
            change(site)
            build(options)
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_makes_manifest_sha256_from_its_last_lines_with_those_of_the_files_made_again(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """manifest.sha256 has a line for every file: a serve rebuild takes its last manifest's lines
    and puts right only those of the files it made again (outputs.ManifestLines), without making,
    sorting and joining a line for each file; when the files are other paths (a page added or
    renamed) it makes them all. Either way it is a build from nothing's."""
    site = site_copy("example")
    memory = PageMemory()
    output = site / "public"
    options = Options(source=site, output=output, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, memory=memory)

    def refused(*_: object) -> bytes:
        raise AssertionError("a line made for every file")

    try:
        build(options)
        for what, change in CHANGES:
            change(site)
            # the same files as the last build's: the lines patched
            same = what in ("a page's body", "a page's title", "a heading another page links to", "nothing")
            with monkeypatch.context() as refusing:
                if same:
                    refusing.setattr(site_outputs, "manifest", refused)
                build(options)
            assert tree(output) == clean_build(run, site, tmp_path), what
        # what an edit elsewhere put in the lines it patched
        lines = (output / "manifest.sha256").read_bytes()
        assert memory.manifest_lines is not None and b"".join(memory.manifest_lines.lines) == lines
    finally:
        memory.close()
    assert memory.manifest_lines is None


def test_a_serve_rebuild_makes_catalog_json_s_pages_from_its_last_lines_with_those_of_the_pages_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """catalog.json has a line for every page: while there are as many pages, a serve rebuild
    takes its last build's lines, in their order and already encoded, and makes again only the
    line of a page that is not the very object at its place (outputs.CatalogLines.page_block),
    without a look at each page's line by itself; the file is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    documented: list[str] = []
    real = site_outputs.document_page

    def spied(page: object) -> dict[str, object]:
        documented.append(page.slug)  # type: ignore[attr-defined]
        return real(page)  # type: ignore[arg-type]

    def refused(*_: object) -> list[str]:
        raise AssertionError("every page's line looked at")

    monkeypatch.setattr(site_outputs, "document_page", spied)
    with serving(site, output) as (options, _):
        build(options)
        for what, change in CHANGES:
            change(site)
            documented.clear()
            with monkeypatch.context() as refusing:
                if what in ("a page's body", "a page's title", "a heading another page links to"):
                    refusing.setattr(site_outputs.CatalogLines, "page_lines", refused)
                build(options)
            if what == "a page's body":
                assert documented == ["change-approval"]
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_makes_the_spec_of_a_policy_page_again_only_when_the_page_is_not_the_last_builds(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """Every policy page has a spec (its path, template, title, context): a serve rebuild takes the
    last build's list and makes again the spec of each page that is not the very object at its
    place (render._policy_specs): after a body edit, the edited page's alone; after a page is
    added, all of them. The output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    made: list[str] = []
    real = render.PageSpec

    def spied(path: str, template: str, *rest: object) -> object:
        if template == "policy.html":
            made.append(path)
        return real(path, template, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "PageSpec", spied)
    pages = len(list((site / "content").glob("*.md")))
    with serving(site, output) as (options, _):
        build(options)
        assert len(made) == pages
        for what, change in CHANGES[:3]:
            made.clear()
            change(site)
            build(options)
            if what == "a page's body":
                assert made == ["policies/change-approval/index.html"]
            if what == "a page added":
                assert len(made) == pages + 1
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_makes_the_pages_at_policy_pages_earlier_addresses_again_only_when_a_changed_page_has_one(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A policy page's earlier addresses (`renamed_from`) each have a page sending readers on: a
    serve rebuild takes the last build's list of them while no page that is not the very object
    at its place had or has one (render._moved_specs), and makes it again when one does: an
    earlier address added, a body edit of the page that has it, another page's edit, the address
    taken away. After each step the output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    made: list[str] = []  # the paths of the pages at earlier addresses whose specs were made
    real = render.PageSpec

    def spied(path: str, template: str, *rest: object) -> object:
        if template == render.MOVED_TEMPLATE:
            made.append(path)
        return real(path, template, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "PageSpec", spied)
    page, other = site / "content" / "change-approval.md", site / "content" / "backups-and-restore.md"
    steps: list[tuple[str, Callable[[], None], list[str]]] = [
        ("another page's body", lambda: _edit(other, "\n\n", "\n\nA sentence added.\n\n"), []),
        (
            "an earlier address added",
            lambda: _edit(page, "title: ", "renamed_from: [approving-changes]\ntitle: "),
            ["policies/approving-changes/index.html"],
        ),
        ("another page's body again", lambda: _edit(other, "A sentence added.", "A sentence."), []),
        (
            "its own body",
            lambda: _edit(page, "\n\n", "\n\nA sentence added.\n\n"),
            ["policies/approving-changes/index.html"],
        ),
        ("and its title", lambda: _edit(page, "title: ", "title: Revised "), ["policies/approving-changes/index.html"]),
        ("the earlier address taken away", lambda: _edit(page, "renamed_from: [approving-changes]\n", ""), []),
        ("another page's body at last", lambda: _edit(other, "A sentence.", "A sentence, edited."), []),
    ]
    with serving(site, output) as (options, _):
        build(options)
        assert made == []
        for what, change, again in steps:
            made.clear()
            change()
            build(options)
            assert made == again, what
            assert (output / "policies" / "approving-changes" / "index.html").exists() == (
                "renamed_from" in page.read_text()
            ), what
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_load_takes_the_last_loads_pages_with_earlier_addresses_while_no_changed_page_had_or_has_one(
    run, site_copy, tmp_path
) -> None:
    """The old names a serve load checks (`renamed_from`: load._renaming) are those of the pages
    its last load found with one, the very list, while no page that is not the very object at its
    place had or has one; looked for among every page again when one does: an earlier address
    added, the page that has it edited, one it may not claim (its own name: the build fails as a
    build from nothing does), the address taken away. After each step that builds, the output is
    a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    page, other = site / "content" / "change-approval.md", site / "content" / "backups-and-restore.md"
    steps: list[tuple[str, Callable[[], None], bool]] = [  # (what, the change, the last load's list taken)
        ("another page's body", lambda: _edit(other, "\n\n", "\n\nA sentence added.\n\n"), True),
        (
            "an earlier address added",
            lambda: _edit(page, "title: ", "renamed_from: [approving-changes]\ntitle: "),
            False,
        ),
        ("another page's body again", lambda: _edit(other, "A sentence added.", "A sentence."), True),
        ("its own body", lambda: _edit(page, "\n\n", "\n\nA sentence added.\n\n"), False),
        (
            "its own name claimed",
            lambda: _edit(
                page, "renamed_from: [approving-changes]", "renamed_from: [approving-changes, change-approval]"
            ),
            False,
        ),
        ("put right", lambda: _edit(page, ", change-approval]", ", approving-change-requests]"), False),
        ("another page's body once more", lambda: _edit(other, "A sentence.", "A sentence, edited."), True),
        (
            "the earlier addresses taken away",
            lambda: _edit(page, "renamed_from: [approving-changes, approving-change-requests]\n", ""),
            False,
        ),
        ("another page's body at last", lambda: _edit(other, "A sentence, edited.", "A sentence."), True),
    ]
    with serving(site, output) as (options, memory):
        build(options)
        for what, change, taken in steps:
            assert memory.load is not None and memory.load.renaming is not None
            last = memory.load.renaming[1]
            change()
            if "claimed" in what:
                with pytest.raises(BuildFailed) as failed:
                    build(options)
                with pytest.raises(BuildFailed) as cold:
                    build(Options(source=site, output=tmp_path / "cold", env=options.env))
                assert [str(p) for p in failed.value.problems] == [str(p) for p in cold.value.problems], what
                assert any("this page's own name" in str(p) for p in failed.value.problems), what
                continue
            build(options)
            assert memory.load.renaming is not None
            assert (memory.load.renaming[1] is last) == taken, what
            assert [p.slug for p in memory.load.renaming[1]] == (
                ["change-approval"] if "renamed_from" in page.read_text() else []
            ), what
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_spooled_render_knows_the_sites_paths_from_the_files_it_put_in_not_a_set_made_of_every_output(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A spooled render (build.SPOOL_FROM) puts every page and data file into its SiteFiles before
    it renders one (SiteFiles.put_kept), so the paths a link needs no later check to (Renderer
    `known`) are those files' and the theme's assets (render._Known), not a set of every output's
    path made again each build (45,000 at 20,000 pages); every file of the output is one of them,
    and each rebuild is a build from nothing's."""
    monkeypatch.setattr(build_stage, "SPOOL_FROM", 0)
    site = site_copy("example")
    output = site / "public"
    known: list[object] = []
    real = render.Renderer

    def spied(*args: object, **kwargs: object) -> object:
        made = real(*args, **kwargs)  # type: ignore[arg-type]
        known.append(made.known)
        return made

    monkeypatch.setattr(render, "Renderer", spied)
    with serving(site, output) as (options, _):
        for change in (None, lambda: _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence.\n\n")):
            if change is not None:
                change()
            known.clear()
            build(options)
            assert len(known) == 1 and not isinstance(known[0], frozenset)
            paths = tree(output).keys() - {write.MARKER}
            assert [p for p in paths if p not in known[0]] == []  # type: ignore[operator]
            assert tree(output) == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_of_a_spooled_site_carries_what_an_edit_did_not_touch_and_equals_a_build_from_nothing(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A large site's pages are spooled (build.SPOOL_FROM): a serve rebuild after a body edit puts
    its kept files in at once (SiteFiles.put_kept), not one by one; answers the outputs whose
    spec is the very one its last build kept without a look at each (pagekeys._Carried, KeptMemo
    `specs`): of the policy pages, the edited page's alone; takes the A to Z list's and the
    catalog's page specs from the last build where their parts are the same. After every change
    the output is a build from nothing's."""
    monkeypatch.setattr(build_stage, "SPOOL_FROM", 0)
    site = site_copy("example")
    output = site / "public"
    put: list[str] = []
    looked: list[str] = []
    real_put, real_page = write.SiteFiles.put_file, pagekeys._Carried._page

    def spied_put(self: write.SiteFiles, path: str, file: object, *, movable: bool) -> None:
        put.append(path)
        real_put(self, path, file, movable=movable)  # type: ignore[arg-type]

    def spied_page(self: pagekeys._Carried, spec: object) -> object:
        looked.append(spec.path)  # type: ignore[attr-defined]
        return real_page(self, spec)  # type: ignore[arg-type]

    monkeypatch.setattr(write.SiteFiles, "put_file", spied_put)
    monkeypatch.setattr(pagekeys._Carried, "_page", spied_page)
    with serving(site, output) as (options, _):
        build(options)
        outputs = len(put)
        for what, change in CHANGES:
            change(site)
            build(options)  # its pages are the memory's from the second build on (the first's are copies)
            assert tree(output) == clean_build(run, site, tmp_path), what
        for n in range(3):  # (the first after a change of what the policy pages share looks at each)
            put.clear()
            looked.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence, number {n}.\n\n")
            with monkeypatch.context() as patched:
                if n == 2:  # the A to Z list's specs carried
                    fail = lambda *_args: pytest.fail("made again")  # noqa: E731
                    patched.setattr(render, "a_to_z_part", fail)
                    patched.setattr(render, "letters", fail)
                report = build(options)
            assert report.work is not None and report.work.rendered["policy pages"] == 1
            assert report.work.why[0][1] == "changed: content/change-approval.md (its source)"
            assert 0 < len(put) < outputs / 4
            assert n == 0 or looked == ["policies/change-approval/index.html"]
        assert tree(output) == clean_build(run, site, tmp_path)


class _Asked(dict):  # type: ignore[type-arg]
    """A dict that notes each key it is asked for with `get`."""

    def __init__(self, items: dict, asked: list[object]) -> None:  # type: ignore[type-arg]
        super().__init__(items)
        self.asked = asked

    def get(self, key: object, default: object = None) -> object:
        self.asked.append(key)
        return super().get(key, default)


def test_a_serve_rebuild_takes_the_search_index_s_policy_records_and_texts_from_its_last_index_at_once(
    run, site_copy, tmp_path
) -> None:
    """The search index's policy records, their texts and keys, and the pages' text fragments are
    the last index's where the page is the very object at its place (search.SearchMemory): after a
    body edit only the edited page's are looked up, not every page's; the output is a build from
    nothing's."""
    site = site_copy("example")
    pages = len(list((site / "content").glob("*.md")))
    with serving(site, site / "public") as (options, memory):
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)  # its pages are the memory's from here on (the first build's are copies)
        search = memory.search
        assert search is not None
        policies: list[object] = []
        records: list[object] = []
        texts: list[object] = []
        search.policies = _Asked(search.policies, policies)
        search.records = _Asked(search.records, records)
        search.texts = _Asked(search.texts, texts)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nAnother sentence.\n\n")
        build(options)
        assert len(policies) == 1 and len(texts) == 1 and pages > 3
        assert [url for url in records if str(url).startswith("policies/")] == ["policies/change-approval/"]
        assert tree(site / "public") == clean_build(run, site, tmp_path)


class _Put(dict):  # type: ignore[type-arg]
    """A dict that notes each key put in it by `update`, and each time it is cleared (as None)."""

    def __init__(self, items: dict, put: list[object]) -> None:  # type: ignore[type-arg]
        super().__init__(items)
        self.put = put

    def update(self, *args: object) -> None:  # type: ignore[override]
        items = dict(*args)  # type: ignore[call-overload]
        self.put.extend(items)
        super().update(items)

    def clear(self) -> None:
        self.put.append(None)
        super().clear()


def test_a_serve_rebuild_puts_right_the_search_records_of_the_policy_pages_that_changed_alone(
    run, site_copy, tmp_path
) -> None:
    """The search index's policy records by page (search.SearchMemory `policies`) are put right
    for the pages that are not the very objects they were alone, not made again of every page
    (20,000 at 20,000 pages); a page added puts every page in again. Each rebuild equals a build
    from nothing."""
    site = site_copy("example")
    pages = len(list((site / "content").glob("*.md")))
    put: list[object] = []
    with serving(site, site / "public") as (options, memory):
        build(options)
        for n in range(3):
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            search = memory.search
            assert search is not None
            search.policies = _Put(search.policies, put)
            put.clear()
            build(options)
            assert len(put) == 1 or n == 0  # (the first build's pages are copies: the memory's from here on)
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        put.clear()
        CHANGES[2][1](site)  # a page added: every page at another place
        build(options)
        assert len(put) >= pages and tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_gathers_its_load_from_the_last_one_with_the_edited_pages_put_right(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """What the load gathers of every page's result (its problems, links, files, digest, the
    pages themselves) is, after an edit of pages that loaded and still load cleanly, the last
    load's with the results that are not the very objects put right (load._fold), not gathered
    result by result again; after a page is added, renamed or removed it is gathered again. Each
    rebuild equals a build from nothing."""
    site = site_copy("example")
    gathered: list[int] = []
    real = load_stage._fold_anew

    def counted(slugs: list[str], results: list[load_stage.PageResult]) -> load_stage._Folded:
        gathered.append(len(results))
        return real(slugs, results)

    monkeypatch.setattr(load_stage, "_fold_anew", counted)
    with serving(site, site / "public") as (options, _):
        build(options)
        assert gathered
        for what, change in [
            *[
                (
                    f"a body edit, number {n}",
                    lambda s, n=n: _edit(s / "content" / "change-approval.md", "\n\n", f"\n\nAdded {n}.\n\n"),
                )
                for n in range(2)
            ],
            CHANGES[1],  # a page's title
        ]:
            gathered.clear()
            change(site)
            build(options)
            assert gathered == [], what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
        for what, change in CHANGES[2:7]:  # a page added, its heading and links changed, renamed, deleted
            gathered.clear()
            change(site)
            build(options)
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
            if what in ("a page added", "a page renamed", "a page deleted"):
                assert gathered, what


_PATHS = st.sampled_from([f"content/page-{n}.md" for n in range(8)] + ["catalog.yaml", "layouts/base.html"])


@given(st.lists(st.dictionaries(_PATHS, st.sampled_from(["a1", "b2", "c3"])), min_size=1, max_size=6))
def test_the_sources_fingerprint_from_the_last_lines_is_the_one_made_from_nothing(rounds: list[dict[str, str]]) -> None:
    """fresh.SourceLines, survey after survey, gives the digest made of every source's line."""
    lines = fresh.SourceLines()
    context = ("code", "info", "settings")
    for hashes in rounds:
        assert lines.digest(context, hashes) == digest(*context, *(f"{p}\0{h}" for p, h in sorted(hashes.items())))


@given(st.lists(st.dictionaries(_PATHS, st.sampled_from(["a1", "b2", "c3"])), min_size=1, max_size=6), st.data())
def test_the_sources_fingerprint_told_which_paths_may_differ_is_the_one_made_from_nothing(
    rounds: list[dict[str, str]], data: st.DataObject
) -> None:
    """Told the hashes of its last digest and the paths that alone may differ from them (each
    such path, and maybe others), fresh.SourceLines gives the digest made of every source's line;
    told of other hashes than its last, too."""
    lines = fresh.SourceLines()
    context = ("code", "info", "settings")
    last: dict[str, str] = {}
    for hashes in rounds:
        differ = {p for p in last.keys() | hashes.keys() if last.get(p) != hashes.get(p)}
        more = data.draw(st.sets(_PATHS))
        given_last = last if data.draw(st.booleans()) else dict(last)  # (another object: not its last)
        found = lines.digest(context, hashes, (given_last, frozenset(differ | more)))
        assert found == digest(*context, *(f"{p}\0{h}" for p, h in sorted(hashes.items())))
        last = hashes


def test_a_serve_rebuild_s_survey_encodes_again_only_the_lines_of_the_sources_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The survey's fingerprint of the sources (what tells a rebuild with nothing to do) is made,
    after a one-page edit, from the last one's lines with the edited page's put right, not from a
    line for every source; a page added makes every line again. Each rebuild equals a build from
    nothing, and a rebuild after no change finds nothing to do."""
    site = site_copy("example")
    lines: list[str] = []
    real = fresh.encoded

    def counted(part: bytes | str) -> bytes:
        if isinstance(part, str) and "\0" in part:
            lines.append(part)
        return real(part)

    monkeypatch.setattr(fresh, "encoded", counted)
    sources = len(
        [p for p in site.rglob("*") if p.is_file() and "public" not in p.parts and ".servicebook-cache" not in p.parts]
    )
    with serving(site, site / "public") as (options, memory):
        build(options)
        for what, change in [CHANGES[0], CHANGES[1]]:
            lines.clear()
            assert memory.source_lines is not None
            held = memory.source_lines.hashes
            change(site)
            memory.changed = frozenset({"content/change-approval.md"})  # as serve's file watcher tells it
            build(options)
            assert lines == [
                "content/change-approval.md\0" + memory.source_lines.hashes["content/change-approval.md"]
            ], what
            # told by the watcher which file changed: its hash put right in place, no other compared or copied
            assert memory.source_lines.hashes is held and held == memory.scanned[0], what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
        lines.clear()
        CHANGES[2][1](site)  # a page added
        build(options)
        assert len(lines) >= sources
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        report = build(options)  # nothing changed
        assert report.work is not None and report.work.unchanged


def test_a_serve_rebuild_tells_what_the_search_records_are_made_of_only_for_the_pages_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """What each search record is made of (kept with the index's words for the command line's
    next rebuild, search._made_of) is the last index's for every page that is the very object
    with the very digest it had: a body edit tells it again for the edited page alone, a page
    added for every page. The output is a build from nothing's."""
    site = site_copy("example")
    told: list[str] = []
    real = _made_one

    def counted(page: model.Page, seen: str | None) -> str:
        told.append(page.slug)
        return real(page, seen)

    patch_stage(monkeypatch, "_made_one", counted)
    pages = len(list((site / "content").glob("*.md")))
    with serving(site, site / "public") as (options, _):
        build(options)
        assert len(told) == pages
        for n in range(2):
            told.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            assert told == ["change-approval"]
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        told.clear()
        CHANGES[2][1](site)  # a page added: the record ids move
        build(options)
        assert len(told) == pages + 1
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_makes_the_search_records_of_the_offerings_and_tools_again_only_for_views_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """An offering's search record (and its SLOs') and a tool's are made of its view alone, and a
    serve rebuild's site view keeps each view that shows what it showed (views.ViewMemo): a
    page's body edit makes again only the records of the views that are not the very ones (those
    the page's edit reaches; they were all made again at every rebuild, and compared with the
    last index's one by one). The output is a build from nothing's."""
    site = site_copy("example")
    made: list[str] = []
    real_tool, real_offering = _tool_record, _offering_records
    patch_stage(monkeypatch, "_tool_record", lambda t: made.append(t.tool.id) or real_tool(t))
    patch_stage(monkeypatch, "_offering_records", lambda o: made.append(o.offering.id) or real_offering(o))
    with serving(site, site / "public") as (options, memory):
        build(options)
        assert made
        for n in range(2):
            assert memory.views is not None and memory.views.site is not None
            last = memory.views.site.view
            made.clear()
            _edit(site / "content" / "deprecation-and-tool-choice.md", "\n\n", f"\n\nA sentence, number {n}.\n\n")
            build(options)
            assert memory.views.site is not None
            now = memory.views.site.view
            assert now is not last
            anew = [o.offering.id for o in now.offerings if not any(o is x for x in last.offerings)]
            anew += [t.tool.id for t in now.tools if not any(t is x for x in last.tools)]
            assert made == anew and len(made) < len(now.offerings) + len(now.tools)
            assert tree(site / "public") == clean_build(run, site, tmp_path)


class _CountedDigests(dict[str, str]):
    """load.Loaded `page_digests` that counts the slugs looked up in it into `asked`."""

    def __init__(self, digests: dict[str, str], asked: list[str]) -> None:
        super().__init__(digests)
        self.asked = asked

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.append(key)
        return super().get(key, default)


def test_a_serve_rebuild_looks_up_the_digest_of_the_pages_that_changed_alone(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A page's digest (load.Loaded `page_digests`) is of its own fields: a serve rebuild takes
    what the search record of a page that is the very object it was is made of (search._made_of)
    as its last index had it, not asking for the page's digest again (a slug read and a lookup
    for each of 20,000 pages a rebuild); a body edit asks for the edited page's alone, a page
    added for every page. The output is a build from nothing's."""
    site = site_copy("example")
    with serving(site, site / "public") as (options, _):
        asked: list[str] = []
        real = _made_of

        def counted(count, pages, digests, memory=None):  # type: ignore[no-untyped-def]
            return real(count, pages, _CountedDigests(digests, asked), memory)

        patch_stage(monkeypatch, "_made_of", counted)
        pages = len(list((site / "content").glob("*.md")))
        build(options)
        assert len(asked) == pages
        for n in range(2):
            asked.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            assert asked == ["change-approval"]
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        asked.clear()
        CHANGES[2][1](site)  # a page added: the record ids move
        build(options)
        assert len(asked) == pages + 1
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_puts_right_the_search_texts_of_the_records_that_changed_alone(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """`serve` keeps each search record's text and key by its address (search.SearchMemory
    `records`): after an edit, the entries of the records that are not the very objects they
    were are put right at their addresses, not a dict of every record's address made again
    (20,000 at 20,000 pages); after a page is added (the addresses move) it is made again, and
    the next edit puts it right again. The output is a build from nothing's."""
    site = site_copy("example")
    addressed: list[str] = []
    real = _URL
    patch_stage(monkeypatch, "_URL", lambda record: addressed.append(record["u"]) or real(record))
    with serving(site, site / "public") as (options, _):
        build(options)
        for n in range(2):
            addressed.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            assert addressed == []
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        CHANGES[2][1](site)  # a page added: the record ids move
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        addressed.clear()
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added once more.\n\n")
        build(options)
        assert addressed == []
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_takes_the_ids_of_a_kept_page_linked_to_as_an_earlier_build_read_them(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A link to a heading of another page is checked against that page's ids: those of a page
    the build rendered are known, those of a page kept from the last build are read from its
    file. A serve rebuild takes them as an earlier build read them while the page has been kept
    since (its bytes are those they were read from); rendered again, the page's ids are read
    again when it is next kept. A link to a heading that is not there is reported all the same,
    and each rebuild that succeeds equals a build from nothing."""
    site = site_copy("example")
    page, target = site / "content" / "change-approval.md", site / "content" / "backups-and-restore.md"
    _edit(page, "\n\n", "\n\nSee [the restore](backups-and-restore.md#requesting-a-restore).\n\n")
    target_html = site / "public" / "policies" / "backups-and-restore" / "index.html"
    read: list[bytes] = []  # the pages whose ids (and links) were read
    real = links.read_refs
    monkeypatch.setattr(links, "read_refs", lambda data: read.append(data) or real(data))
    steps: list[tuple[str, Callable[[], object], int]] = [  # how often the linked page's ids are read
        ("the linking page edited", lambda: _edit(page, "See [the", "Read [the"), 1),
        ("edited again", lambda: _edit(page, "Read [the", "See [the"), 0),
        ("the linked page edited (rendered)", lambda: _edit(target, "\n\n", "\n\nA note.\n\n"), 0),
        ("the linking page edited after it", lambda: _edit(page, "See [the", "Read [the"), 1),
        ("and again", lambda: _edit(page, "Read [the", "See [the"), 0),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        assert target_html.is_file()
        for what, change, times in steps:
            read.clear()
            change()
            build(options)
            assert read.count(target_html.read_bytes()) == times, what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what
        _edit(page, "#requesting-a-restore", "#nowhere")
        with pytest.raises(BuildFailed) as failed:
            build(options)
        assert any("nowhere" in p.message for p in failed.value.problems)
        _edit(page, "#nowhere", "#requesting-a-restore")
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_looks_at_the_links_to_headings_of_the_pages_that_changed_alone(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """While every page's links to headings lead somewhere and no page's headings change, a serve
    rebuild looks at the links of the pages that are not the very objects they were alone (load
    `_anchors_again`), not at a dict of every page made again (20,000 at 20,000 pages); a link
    to a heading that is not there, added or left by a heading renamed, is reported all the
    same. Each rebuild that succeeds equals a build from nothing."""
    site = site_copy("example")
    looked: list[str] = []
    real = load_stage._SLUG
    monkeypatch.setattr(load_stage, "_SLUG", lambda page: looked.append(page.slug) or real(page))
    page, target = site / "content" / "change-approval.md", site / "content" / "backups-and-restore.md"
    with serving(site, site / "public") as (options, _):
        build(options)
        for n in range(2):
            looked.clear()
            _edit(page, "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            assert looked == [] or n == 0  # (the first build's pages are copies: the memory's from here on)
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        _edit(page, "\n\n", "\n\nSee [the restore](backups-and-restore.md#nowhere).\n\n")
        with pytest.raises(BuildFailed) as failed:
            build(options)
        assert {p.location.path for p in failed.value.problems if "nowhere" in p.message} == {
            "content/change-approval.md"
        }
        _edit(page, "backups-and-restore.md#nowhere", "backups-and-restore.md#requesting-a-restore")
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        _edit(target, "## Requesting a restore", "## Asking for a restore")
        with pytest.raises(BuildFailed) as failed:
            build(options)
        assert {p.location.path for p in failed.value.problems if "requesting-a-restore" in p.message} == {
            "content/change-approval.md"
        }
        _edit(target, "## Asking for a restore", "## Requesting a restore")
        looked.clear()
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        for n in range(2):  # (the first after the failures looks at every page: the last load's were not all settled)
            looked.clear()
            _edit(page, "\n\n", f"\n\nOne more sentence, number {n}.\n\n")
            build(options)
            assert looked == [] or n == 0
            assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_keys_the_policy_pages_of_the_tools_of_the_pages_that_changed_alone(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A tool view is taken again when it is made of the very same inputs (views.ViewMemo); its
    policy pages are the very tuple while none of them changed (views._pages_made), whose key is
    kept, not each page's id taken again for each tool (~80 a tool at 20,000 pages): after a body
    edit, only the tuples of the edited page's tools are keyed. Each rebuild equals a build from
    nothing."""
    monkeypatch.setattr(views, "_LONG", 1, raising=False)  # (the example's tools have a few pages each)
    keyed: list[tuple[str, ...]] = []
    real = views._by_identity

    def spied(value: object) -> object:
        made = memory.views.pages if memory.views is not None else None
        if made is not None and any(value is pages for pages in made.by_tool.values()):  # a tool's
            keyed.append(tuple(p.slug for p in value))  # type: ignore[attr-defined]
        return real(value)

    monkeypatch.setattr(views, "_by_identity", spied)
    site = site_copy("example")
    with serving(site, site / "public") as (options, memory):
        build(options)
        for n in range(3):
            keyed.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            if n > 0:  # (the first build's pages are copies: the memory's from here on)
                assert keyed and all("change-approval" in slugs for slugs in keyed)
            assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_reads_what_the_views_and_the_a_to_z_list_show_of_a_page_only_for_the_pages_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The offering and tool views' token (pagekeys._views_token) and the A to Z list's entries
    (paging._a_to_z) are made from what each policy page shows of itself: a serve rebuild reads
    it again only of the pages that are not the very object its last build read it from (after
    a body edit, the edited page's alone; after a page is added, every page's), and a title edit
    still makes the lists again. Each output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    read: dict[str, list[str]] = {"views": [], "a to z": []}
    real_shows, real_shown = pagekeys._PAGE_SHOWS, paging._PAGE_SHOWN

    def views(page: model.Page) -> object:
        read["views"].append(page.slug)
        return real_shows(page)

    def a_to_z(page: model.Page) -> object:
        read["a to z"].append(page.slug)
        return real_shown(page)

    monkeypatch.setattr(pagekeys, "_PAGE_SHOWS", views)
    monkeypatch.setattr(paging, "_PAGE_SHOWN", a_to_z)
    pages = len(list((site / "content").glob("*.md")))
    with serving(site, output) as (options, _):
        build(options)
        assert len(read["views"]) == len(read["a to z"]) == pages
        for what, change in CHANGES[:3]:
            read = {"views": [], "a to z": []}
            change(site)
            build(options)
            if what in ("a page's body", "a page's title"):
                assert read == {"views": ["change-approval"], "a to z": ["change-approval"]}, what
            if what == "a page added":
                assert len(read["views"]) == len(read["a to z"]) == pages + 1
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_tells_each_output_carried_with_its_last_key_by_its_path_once(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The outputs a serve rebuild keeps with their last keys (pagekeys._Carried.many) are handed
    to the build cache (BuildCache.reuse_many) with the paths and keys found when they were told
    carried: no output's path is read off its spec a second time (40,000 outputs at 20,000
    pages), and the output is a build from nothing's. (As when the last build's answers do not
    hold, BuildCache.reuse_again made to say so; while they do, see below.)"""
    site = site_copy("example")
    output = site / "public"
    told: list[object] = []
    handed: list[int] = []
    real_path, real_many = pagekeys._PATH, buildcache.BuildCache.reuse_many

    def path(spec: object) -> object:
        told.append(spec)
        return real_path(spec)

    def many(self: buildcache.BuildCache, paths: list[str], keys: list[str]) -> list[str | None]:
        handed.append(len(paths))
        return real_many(self, paths, keys)

    monkeypatch.setattr(pagekeys, "_PATH", path)
    monkeypatch.setattr(buildcache.BuildCache, "reuse_many", many)
    monkeypatch.setattr(buildcache.BuildCache, "reuse_again", lambda *_: False)
    with serving(site, output) as (options, _):
        build(options)
        for sentence in ("A sentence added in the preview.", "Another sentence."):
            told.clear()
            handed.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\n{sentence}\n\n")
            build(options)
            assert tree(output) == clean_build(run, site, tmp_path)
        assert handed and handed[0] > 10  # (the last rebuild carried most outputs)
        assert len(told) == len(set(map(id, told))) <= handed[0]


def test_a_serve_rebuild_takes_the_outputs_its_last_build_kept_with_their_keys_as_it_left_them(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """After a body edit, the outputs the last rebuild kept with their last keys are kept again in
    one go as it left them (fresh.KeptAnswers, BuildCache.reuse_again): no policy page among them
    is told path by path to the build cache (`reuse_many`, made to refuse any but the page the
    last build rendered, kept now by its own input) nor has its path
    read off its spec again (only the data files, whose specs are made again by every build, and
    the offering and tool pages whose view shows the edited page, a view made again, are looked at
    one by one), and the output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    told: list[object] = []
    real_path, real_many = pagekeys._PATH, buildcache.BuildCache.reuse_many

    def path(spec: object) -> object:
        told.append(spec)
        return real_path(spec)

    def refused(self: buildcache.BuildCache, paths: list[str], keys: list[str]) -> list[str | None]:
        pages = [p for p in paths if p.startswith("policies/")]
        if len(pages) > 1:
            raise AssertionError(f"{len(pages)} policy pages told to the build cache one by one")
        return real_many(self, paths, keys)

    with serving(site, output) as (options, _):
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        for page, sentence in (("change-approval", "Another sentence."), ("backups-and-restore", "A third.")):
            _edit(site / "content" / f"{page}.md", "\n\n", f"\n\n{sentence}\n\n")
            told.clear()
            with monkeypatch.context() as refusing:
                refusing.setattr(pagekeys, "_PATH", path)
                refusing.setattr(buildcache.BuildCache, "reuse_many", refused)
                report = build(options)
            assert report.work is not None and report.work.rendered["policy pages"] == 1
            assert report.work.kept["policy pages"] == len(list((site / "content").glob("*.md"))) - 1
            assert len([s for s in told if isinstance(s, PageSpec) and s.template == "policy.html"]) <= 1, page
            assert tree(output) == clean_build(run, site, tmp_path), page


def test_a_serve_rebuild_takes_over_the_kept_outputs_keys_and_paths_its_last_build_left_not_copies_of_them(
    run, site_copy, tmp_path
) -> None:
    """The outputs a serve rebuild keeps in one go (fresh.KeptAnswers: their keys by path and
    their set, 45,000 each at 20,000 pages) are the last build's dict and set, put right where
    the edit changed an output, not copies of them; after each of `CHANGES` the output is a build
    from nothing's."""
    site = site_copy("example")
    output = site / "public"
    with serving(site, output) as (options, memory):
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        for n in range(2):
            last = memory.kept.answered if memory.kept is not None else None
            assert last is not None
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nSentence {n}.\n\n")
            build(options)
            now = memory.kept.answered
            assert now is not None and now.keys is last.keys and now.kept is last.kept, n
            assert now.kept == {p for p, key in now.keys.items() if key != pagekeys.NOT_KEPT}, n
            assert tree(output) == clean_build(run, site, tmp_path), n
        for what, change in CHANGES:
            change(site)
            build(options)
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_deletes_no_key_from_the_kept_outputs_keys_it_takes_over_but_marks_the_ones_rendered(
    run, site_copy, tmp_path
) -> None:
    """The kept outputs' keys a serve rebuild takes over (fresh.KeptAnswers `keys`, which the build
    cache copies each rebuild: 42,600 at 20,000 pages) never lose an entry: an output the last
    rebuild kept that this one renders (a page edited again) stays in them as NOT_KEPT (CPython
    copies a dict that never had an entry deleted by cloning its table, ~1.4 ms there, ~4 once
    one was), and is kept again by a later rebuild; the build cache's own keys hold no NOT_KEPT,
    and after each edit, two pages edited in turn and an edit put back, the output is a build
    from nothing's."""
    site = site_copy("example")
    output = site / "public"
    pages = {slug: site / "content" / f"{slug}.md" for slug in ("change-approval", "backups-and-restore")}
    originals = {slug: page.read_text(encoding="utf-8") for slug, page in pages.items()}
    with serving(site, output) as (options, memory):
        build(options)
        sizes: list[int] = []
        edits = [("change-approval", "One."), ("backups-and-restore", "Two."), ("change-approval", "Three.")]
        edits += [("backups-and-restore", ""), ("change-approval", "Four.")]  # (an edit put back)
        for n, (slug, text) in enumerate(edits):
            pages[slug].write_text(originals[slug] + (f"\n{text}\n" if text else ""), encoding="utf-8")
            build(options)
            answered = memory.kept.answered if memory.kept is not None else None
            assert answered is not None and memory.manifest is not None
            sizes.append(len(answered.keys))
            edited, other = (routes.output_path(routes.policy(s)) for s in sorted(pages, key=(slug).__ne__))
            if n >= 2:  # (kept by the rebuild before)
                assert answered.keys[edited] == pagekeys.NOT_KEPT and edited not in answered.kept, n
            if n >= 1:
                assert answered.keys[other] != pagekeys.NOT_KEPT and other in answered.kept, n
            assert pagekeys.NOT_KEPT not in memory.manifest.keys.values(), n
            assert tree(output) == clean_build(run, site, tmp_path), n
        assert sizes == sorted(sizes)  # (none deleted)


def test_a_serve_rebuild_after_a_failed_one_or_a_build_of_the_command_line_tells_the_kept_outputs_again(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The last build's answers hold only while the output and the manifest are the ones the build
    that made them left: after a rebuild that failed once its answers were told (a broken link
    found after rendering), and after a build of the command line into the output, the next
    rebuild does not take them (BuildCache.reuse_again says no), tells the outputs as any rebuild
    does, and equals a build from nothing."""
    site = site_copy("example")
    output = site / "public"
    taken: list[bool] = []
    handed: list[int] = []
    real_again, real_many = buildcache.BuildCache.reuse_again, buildcache.BuildCache.reuse_many

    def again(self: buildcache.BuildCache, *args: object) -> bool:
        taken.append(real_again(self, *args))  # type: ignore[arg-type]
        return taken[-1]

    def many(self: buildcache.BuildCache, paths: list[str], keys: list[str]) -> list[str | None]:
        handed.append(len(paths))
        return real_many(self, paths, keys)

    monkeypatch.setattr(buildcache.BuildCache, "reuse_again", again)
    monkeypatch.setattr(buildcache.BuildCache, "reuse_many", many)
    page = site / "content" / "change-approval.md"
    with serving(site, output) as (options, _):
        build(options)
        _edit(page, "\n\n", "\n\nSee [support](site:support#nowhere).\n\n")
        taken.clear()
        with pytest.raises(BuildFailed):
            build(options)
        assert taken == [True]  # (the failed rebuild took them, and told its own)
        _edit(page, "site:support#nowhere", "site:support")
        taken.clear()
        handed.clear()
        build(options)
        assert taken == [False] and max(handed) > 20
        assert tree(output) == clean_build(run, site, tmp_path)
        _edit(page, "\n\n", "\n\nA sentence added in the preview.\n\n")
        taken.clear()
        build(options)
        assert taken == [True]  # (held again)
        # a build of the command line into serve's output: it swapped in an output of its own
        _edit(page, "A sentence added", "A sentence changed")
        build(Options(source=site, output=output, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
        _edit(page, "A sentence changed", "A sentence changed again")
        taken.clear()
        handed.clear()
        build(options)
        assert taken == [False]
        assert tree(output) == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_makes_the_whole_catalog_s_row_of_a_policy_page_only_for_the_pages_that_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The whole-catalog page's rows (paging.catalog_parts) hold one of each policy page: a
    rebuild takes the last build's rows of the pages that are the very page at their place and
    makes the edited page's alone (`_policy_row`, counted), not a row of every page; a title
    edit shows on the catalog page, and the output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    made: list[str] = []
    real = paging._policy_row
    monkeypatch.setattr(paging, "_policy_row", lambda page: made.append(page.slug) or real(page))
    pages = len(list((site / "content").glob("*.md")))
    with serving(site, output) as (options, _):
        build(options)
        assert len(made) == pages
        for edit, new in (("\n\n", "\n\nA sentence added in the preview.\n\n"), ("title: ", "title: Revised ")):
            made.clear()
            _edit(site / "content" / "change-approval.md", edit, new)
            build(options)
            assert made == ["change-approval"]
            assert tree(output) == clean_build(run, site, tmp_path)
        assert b"Revised " in (output / "catalog" / "index.html").read_bytes()
        made.clear()
        (site / "content" / "on-call-handbook.md").write_text(HANDBOOK.format(anchor=_anchor(site)))
        build(options)  # a page added: every page's row made again
        assert len(made) == pages + 1
        assert tree(output) == clean_build(run, site, tmp_path)


class _Refusing(dict[str, str]):
    """ManifestLines' digests, made to refuse to be compared whole with the kept files' hashes."""

    def items(self):  # type: ignore[override]
        raise AssertionError("every kept file's hash compared with its line")


def test_a_serve_rebuild_puts_right_the_manifest_lines_of_the_files_not_kept_without_comparing_every_kept_hash(
    run, site_copy, tmp_path
) -> None:
    """The kept files' hashes of a serve rebuild are those its last build published less the
    files not kept (BuildCache.kept_hashes): while the manifest's lines are that build's
    (ManifestLines `published`), each of those hashes is the one its line says and the lines to
    put right are the files not kept, neither found again of every file (the lines' digests made
    to refuse a whole comparison). After a rebuild that failed once it had made its lines, the
    page edited back to what the last good build kept (and another page edited): the lines are
    not taken on trust, and manifest.sha256 is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    page = site / "content" / "change-approval.md"
    with serving(site, output) as (options, memory):
        build(options)
        _edit(page, "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        lines = memory.manifest_lines
        assert lines is not None
        lines.digests = _Refusing(lines.digests)
        _edit(page, "A sentence added", "A sentence changed")
        build(options)
        assert tree(output) == clean_build(run, site, tmp_path)
        lines.digests = dict(lines.digests)
        good = page.read_text()
        _edit(page, "A sentence changed", "A sentence changed, see [support](site:support#nowhere)")
        with pytest.raises(BuildFailed):
            build(options)  # (after its lines were made: the link check comes later)
        page.write_text(good)  # kept from the output as the last good build left it
        _edit(site / "content" / "backups-and-restore.md", "\n\n", "\n\nA sentence elsewhere.\n\n")
        report = build(options)
        assert report.work is not None and report.work.rendered["policy pages"] == 1
        assert tree(output) == clean_build(run, site, tmp_path)


class _WholeRefused(KeysView[str]):
    """The paths of a site's files (SiteFiles.paths), made to refuse `&` and `-`: each makes a
    set of every file of the site before it compares (45,000 at 20,000 pages); `in`, `len`, `<=`
    and a pass over them are allowed."""

    def _refused(self, other: object) -> set[str]:
        raise AssertionError("a set made of every path")

    __and__ = __rand__ = __sub__ = __rsub__ = _refused


def test_a_serve_rebuild_tells_the_files_not_kept_without_making_a_set_of_every_file(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """What a serve rebuild keeps of its last output is told by the few files not kept, picked
    out one by one: the write stage's kept links and the paths it looks at, and the pages whose
    links are checked, none by a set made of every file of the site and the kept ones taken
    away; the kept links' paths are compared with the kept identities once. Each output is a
    build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    compared: list[int] = []
    real_paths = write._link_paths

    def counted(links: object) -> object:
        compared.append(1)
        return real_paths(links)  # type: ignore[arg-type]

    with serving(site, output) as (options, _):
        build(options)
        monkeypatch.setattr(write.SiteFiles, "paths", lambda files: _WholeRefused(files._data))
        monkeypatch.setattr(write, "_link_paths", counted)
        for what, change in CHANGES[:3]:
            compared.clear()
            change(site)
            report = build(options)
            assert report.work is not None and not report.work.unchanged
            assert compared == [1], what  # (the paths of the links that are not the kept files')
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_does_not_key_by_every_input_the_pages_keyed_by_their_own(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A page keyed by its own inputs (a policy page, an offering's, a tool's) is not also keyed
    by every input of the site for nothing: that key (`digest(whole, path, template, title,
    section)`) is made only for a page that has no key of its own."""
    site = site_copy("example")
    output = site / "public"
    made: list[tuple[str, ...]] = []
    real = pagekeys.digest

    def counted(*parts: str) -> str:
        made.append(parts)
        return real(*parts)

    with serving(site, output) as (options, _):
        build(options)
        monkeypatch.setattr(pagekeys, "digest", counted)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added in the preview.\n\n")
        build(options)
        by_every = {parts[2] for parts in made if len(parts) == 5 and parts[2].endswith(".html")}
        assert by_every & {"policy.html", "offering.html", "tool.html"} == set()
        assert tree(output) == clean_build(run, site, tmp_path)


class _PutInRefused(dict[str, object]):
    """What a build's Remembering holds, made to refuse the carried pages put in one by one."""

    def update(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the carried pages put in one by one")


def test_a_serve_rebuild_remembers_the_pages_it_carries_from_its_last_load_as_they_are_given(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The pages a serve rebuild carries from its last load (all but the edited ones) are what
    it remembers, the dict the load made of them, not put one by one into another (20,000 at
    20,000 pages); the pages it loads again are added to them. Each output is a build from
    nothing's."""
    site = site_copy("example")
    output = site / "public"
    real_init = site_store.Remembering.__init__

    def refusing(self: site_store.Remembering, *args: object) -> None:
        real_init(self, *args)  # type: ignore[arg-type]
        self.loaded = _PutInRefused()  # type: ignore[assignment]

    with serving(site, output) as (options, memory):
        build(options)
        monkeypatch.setattr(site_store.Remembering, "__init__", refusing)
        for what, change in CHANGES[:2]:
            change(site)
            build(options)
            assert len(memory.pages) == len(list((site / "content").glob("*.md"))), what
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_carries_its_last_load_s_pages_by_key_without_making_them_again(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A serve rebuild counts the pages it carries from its last load as used, by their keys:
    the last load's pages by key less those gone (a page whose key is the one it had is under it
    there), not a dict made again of every carried page; the pages loaded again are put in beside
    them. After every kind of change the pages by key are those the load's results and keys make
    from nothing, the memory of pages holds those, and each output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    carried: list[int] = []
    real = site_store.Remembering.carry

    def counted(self: site_store.Remembering, found: dict[str, load_stage.PageResult]) -> None:
        carried.append(len(found))
        real(self, found)

    monkeypatch.setattr(site_store.Remembering, "carry", counted)
    with serving(site, output) as (options, memory):
        build(options)
        for what, change in CHANGES:
            carried.clear()
            change(site)
            build(options)
            assert memory.load is not None and memory.load.results is not None, what
            _, keys, results, by_key = memory.load.results
            assert by_key == {keys[slug]: result for slug, result in results.items() if slug in keys}, what
            assert all(memory.pages[key] is result for key, result in by_key.items()), what
            if what == "a page's body":  # all but the edited page carried
                assert carried == [len(results) - 1]
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_marks_the_pages_it_carries_used_by_the_names_its_memory_kept(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The pages a serve rebuild carries from its last load are counted as used in the store by
    their entries' names as the memory of pages kept them (the very strings), not named and
    hashed again for each page: only the pages its last build loaded (an edited page's new key)
    are named. The names are those the store gives each key, the memory keeps no more than
    twice the names of the pages it holds, and each output is a build from nothing's."""
    from servicebook.cache import store as cache_store

    site = site_copy("example")
    output = site / "public"
    named: list[int] = []  # how many pages' names each carry made
    marked: list[tuple[list[str], list[str]]] = []  # (the names marked, those the store gives the keys)
    real_names, real_carry = cache_store.names, site_store.Remembering.carry

    def naming(kind: str, keys: list[str]) -> list[str]:
        named.append(len(keys))
        return real_names(kind, keys)

    def carrying(self: site_store.Remembering, found: dict[str, load_stage.PageResult]) -> None:
        store = self.then.store  # (serve's, kept from one build to the next: the class's method, not the last spy)

        def spied(names: list[str]) -> None:
            marked.append((names, real_names("page", list(found))))
            cache_store.Store.touch_names(store, names)

        store.touch_names = spied  # type: ignore[method-assign]
        real_carry(self, found)

    monkeypatch.setattr(buildcache, "entry_names", naming)
    monkeypatch.setattr(site_store.Remembering, "carry", carrying)
    pages = ["change-approval.md", "backups-and-restore.md", "change-approval.md"]
    with serving(site, output) as (options, memory):
        build(options)
        for n, name in enumerate(pages):
            named.clear()
            marked.clear()
            _edit(site / "content" / name, "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            assert len(marked) == 1 and marked[0][0] == marked[0][1]
            carried = len(marked[0][0])
            # the first rebuild names every page it carries; the next, the page the last one loaded
            assert named == ([carried] if n == 0 else [1]), name
            assert all(memory.page_names[key] == real_names("page", [key])[0] for key in memory.page_names)
            assert tree(output) == clean_build(run, site, tmp_path), name
        assert len(memory.page_names) <= 2 * len(memory.pages) + site_store.PAGE_NAMES_SPARE


def test_a_serve_rebuild_gives_its_memory_back_as_it_begins_writing_and_at_its_end_and_a_first_build_between_stages(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """What a serve rebuild's stages free its next stages and rebuilds take again: it hands the
    free memory back to the system at its end (heap.py), and as its render and its write stage
    begin, where its resident set peaks (what the stages before them freed, they mostly do not
    take again), not between its other stages, each page handed back faulted in again; the process's
    first build gives back between its stages too. A command-line build gives back between
    stages as before. Each output is a build from nothing's."""
    from servicebook.site import heap

    trims: list[int] = []
    monkeypatch.setattr(heap, "function", lambda name: trims.append if name == "malloc_trim" else None)
    site = site_copy("example")
    output = site / "public"
    with serving(site, output) as (options, _):
        build(options)
        assert len(trims) > 1  # the first build's stages
        for what, change in CHANGES[:3]:
            trims.clear()
            change(site)
            build(options)
            assert trims == [0, 0, 0], what  # as it begins rendering, as it begins writing, and at its end
            assert tree(output) == clean_build(run, site, tmp_path), what
    trims.clear()
    _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence for the command line.\n\n")
    build(Options(source=site, output=output, env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}))
    assert len(trims) > 1


@pytest.mark.git
def test_the_working_tree_entry_reads_only_the_pages_that_differ_from_the_last_commit(
    run, git_site, tmp_path, monkeypatch
) -> None:
    """A site with one uncommitted edit: the history's working-tree entry compares the committed
    pages with the working tree's, and a page whose bytes are the commit's (the survey's hash is
    git's id of them) is that commit's page — the entry asks the reader for the pages that differ
    alone, not for every page of the site on every rebuild of `serve`. Each
    output is a build from nothing's: pages edited, put back as committed, added, removed, a
    commit made while serve runs."""
    site = git_site.root
    page = "---\ntitle: {}\n---\n\n## About\n\nHi.\n"
    (site / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    for name in ("paging", "backups", "secrets", "vpn", "dns"):
        git_site.write(f"content/{name}.md", page.format(name.title()))
    git_site.commit("Five more pages")
    asked: list[str] = []  # the pages the working-tree entry asked the reader for (Reader.page)
    real = snapshots.Reader.page
    monkeypatch.setattr(
        snapshots.Reader, "page", lambda self, path, blob, data=None: asked.append(path) or real(self, path, blob, data)
    )
    edits: list[tuple[str, Callable[[], object], set[str] | None]] = [
        ("a page edited", lambda: git_site.edit("Hi.", "Hello.", "content/paging.md"), {"content/paging.md"}),
        (
            "another page",
            lambda: git_site.edit("Hi.", "Hey.", "content/backups.md"),
            {"content/paging.md", "content/backups.md"},
        ),
        ("the first as committed", lambda: git_site.edit("Hello.", "Hi.", "content/paging.md"), {"content/backups.md"}),
        (
            "a page added",
            lambda: git_site.write("content/vault.md", page.format("Vault")),
            {"content/backups.md", "content/vault.md"},
        ),
        (
            "a page removed",
            (site / "content/secrets.md").unlink,
            {"content/backups.md", "content/vault.md", "content/secrets.md"},
        ),
        ("the edits committed while serve runs", lambda: git_site.commit("Edits"), None),
        ("a page edited after it", lambda: git_site.edit("Hi.", "Hello.", "content/dns.md"), {"content/dns.md"}),
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change, looked in edits:
            change()
            asked.clear()
            build(options)
            if looked is not None:  # (None: a commit, whose pages the history reads as a commit's)
                assert set(asked) <= looked, what
                assert looked - {"content/secrets.md"} <= set(asked), what  # (a removed page is read at its commit)
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_checks_the_catalog_s_records_again_only_when_the_catalog_or_the_pages_slugs_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """The rules across the catalog's records (validate.check_catalog: ids, references, the
    tool-decision ladder, review dates) are a pure function of the catalog, the pages' slugs,
    the day and the members' ids: a serve rebuild after a page's edit takes the problems its
    last load found (load._catalog_checked) while the catalog is the very object it checked and
    the slugs are the same; a page that the catalog names deleted, or the catalog edited, has
    them found again (a failed build's load is not its memory's). Each rebuild equals a build
    from nothing."""
    site = site_copy("example")
    checks: list[int] = []
    real = load_stage.check_catalog

    def counted(*args: object, **kwargs: object) -> object:
        checks.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load_stage, "check_catalog", counted)
    page = site / "content" / "security-scanning.md"  # an offering's `policies` names it
    with serving(site, site / "public") as (options, _):
        build(options)
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nA sentence added first.\n\n")
        build(options)  # (the first build's catalog was located by its YAML nodes; a rebuild's by the file)
        for n in range(2):
            checks.clear()
            _edit(site / "content" / "change-approval.md", "\n\n", f"\n\nA sentence added, number {n}.\n\n")
            build(options)
            assert checks == []
            assert tree(site / "public") == clean_build(run, site, tmp_path)
        text = page.read_text()
        page.unlink()
        with pytest.raises(BuildFailed) as failed:
            build(options)
        assert checks
        assert "security-scanning" in failed.value.format_message()
        page.write_text(text)  # back: the slugs of the last load that succeeded
        build(options)
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        checks.clear()
        CHANGES[7][1](site)  # an SLO's objective in catalog.yaml
        build(options)
        assert checks == [1]
        assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_serve_rebuild_makes_the_search_index_s_files_again_only_where_their_records_or_pages_changed(
    run, site_copy, tmp_path, monkeypatch
) -> None:
    """A serve rebuild's search index takes the last index's records, words and text files in
    their order and looks again only at the chunks of records whose key is not the very one it
    was, the words fragments whose digest changed and the text fragments whose page is not the
    very object: no other file's path is made, nor its entry looked up (at 20,000 pages, 2,300
    records and words files and 20,000 text fragments a rebuild); and the records' kinds and the
    pages by record id are the last index's, put right where a page changed, while the records
    that changed are of the kinds they were (not each record's kind read again). After every kind
    of change what the memory holds is what its files were made of, and each output is a build
    from nothing's."""
    site = site_copy("example")
    output = site / "public"
    asked: list[str] = []  # the kinds of the index's fragments whose paths were made
    real, real_kinds = routes.search_fragment, _kinds
    kinds_read: list[int] = []

    def spy(kind: routes.Fragment, number: int) -> str:
        asked.append(kind)
        return real(kind, number)

    def reading(records: list[dict[str, object]]) -> list[list[object]]:
        kinds_read.append(len(records))
        return real_kinds(records)

    monkeypatch.setattr(routes, "search_fragment", spy)
    patch_stage(monkeypatch, "_kinds", reading)
    with serving(site, output) as (options, memory):
        build(options)
        for what, change in CHANGES:
            asked.clear()
            kinds_read.clear()
            change(site)
            build(options)
            kept = memory.search
            assert kept is not None and kept.files_of is not None and kept.texts_of is not None, what
            assert kept.listed is not None and kept.files_of[0] == kept.listed[1], what
            words = [key for path, (key, _) in kept.files.items() if path.startswith("search/w/")]
            assert kept.files_of[1] == words, what
            assert kept.texts_of[2] == [made for _, made in kept.texts.values()], what
            assert [page for page, _ in kept.texts.values()] == list(kept.texts_of[1]), what
            assert kept.kinds_of is not None, what
            records, kinds, policy, pages, shown = kept.kinds_of
            assert kinds == real_kinds(records) and policy == _policy_ids(kinds, len(records)), what
            assert list(pages) == policy and list(pages.values()) == list(shown), what
            if what == "a page's body":  # its text fragment alone
                assert asked == ["t"], what
                assert kinds_read == [], what
            if what == "nothing":
                assert asked == [], what
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_patches_the_part_of_a_paged_list_that_holds_the_edited_page_and_equals_a_build_from_nothing(
    run, tmp_path, monkeypatch
) -> None:
    """A body edit leaves the page's weight in the paged lists as it was: the policy pages' list
    keeps its last parts but the one holding the page (paging._patched), the whole catalog's
    those that do not hold a row that changed. A title that makes the
    page weigh more, a page added and one removed cut the list again; each rebuild's output is
    a build from nothing's."""
    monkeypatch.setattr(paging, "PART_BYTES", 3000)  # several parts of a small site's lists
    monkeypatch.setattr(paging, "A_TO_Z_BYTES", 2000)
    site = generated_site(tmp_path / "site", pages=40)
    pages = sorted((site / "content").glob("*.md"))
    page, added = pages[20], site / "content" / "policy-00020-b-added.md"
    with serving(site, site / "public") as (options, memory):
        build(options)
        assert memory.paging is not None
        first = memory.paging.lists["policies"][1]
        assert len(first) > 3
        steps: list[tuple[str, Callable[[], object], bool]] = [
            ("a body edit", lambda: _edit(page, "\n\n", "\n\nA sentence added in the preview.\n\n"), True),
            ("another", lambda: _edit(page, "A sentence added", "A sentence changed"), True),
            ("a longer title", lambda: _edit(page, 'title: "', 'title: "A much longer title: '), False),
            ("a page added", lambda: added.write_text("---\ntitle: Added\n---\n\nHi.\n"), False),
            ("the page added edited", lambda: _edit(added, "Hi.", "Hello."), True),
            ("the page added removed", added.unlink, False),
        ]
        for what, change, patched in steps:
            last = memory.paging.lists["policies"][1]
            assert memory.paging.catalog is not None
            catalog = memory.paging.catalog[2]
            change()
            build(options)
            now = memory.paging.lists["policies"][1]
            if patched:  # the part holding the page made again, the others the last ones
                assert len(now) == len(last) and sum(p is not q for p, q in zip(now, last, strict=True)) == 1, what
                # and so on the whole catalog's page (the parts holding the page's row, and its views')
                assert any(p is q for p, q in zip(memory.paging.catalog[2], catalog, strict=True)), what
            else:
                assert all(p is not q for p, q in zip(now, last, strict=False)), what
            assert tree(site / "public") == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_counts_the_outputs_it_took_as_they_were_by_template_and_those_it_looked_at_alone(
    site_copy, monkeypatch
) -> None:
    """The build report's counts of what a rebuild kept and rendered again, by kind: where the
    last build's answers are taken as they were (pagekeys._Carried `taken`), the outputs at the
    other places are counted by the template counts the memory carries, and only those it looked
    at are counted one by one. After each of `CHANGES` and body edits, each count equals one of
    every output and its answer."""
    site = site_copy("example")
    taken: list[bool] = []
    real = tally_stage._Counted.many

    def counted(self: tally_stage._Counted, specs: list[object]) -> list[object]:
        kept_before, rendered_before = dict(self.tally.kept), dict(self.tally.rendered)
        kept = real(self, specs)  # type: ignore[arg-type]
        every = [(tally_stage.kind_of(spec), answer is not None) for spec, answer in zip(specs, kept, strict=True)]  # type: ignore[arg-type]
        for kind in fresh.KINDS:
            assert self.tally.kept[kind] - kept_before[kind] == every.count((kind, True)), kind
            assert self.tally.rendered[kind] - rendered_before[kind] == every.count((kind, False)), kind
        taken.append(isinstance(self.reuse, pagekeys.Keys) and self.reuse.taken is not None)
        return kept

    monkeypatch.setattr(tally_stage._Counted, "many", counted)
    edits = [
        (f"a body edit {n}", lambda s, n=n: _edit(s / "content" / "change-approval.md", "\n\n", f"\n\nEdit {n}.\n\n"))
        for n in range(2)
    ]
    with serving(site, site / "public") as (options, _):
        build(options)
        for what, change in [*edits, *CHANGES, *edits]:
            taken.clear()
            change(site)
            report = build(options)
            assert report.work is not None and (report.work.unchanged or sum(report.work.kept.values()) > 0), what
            if what.startswith("a body edit"):
                assert taken == [True], what  # the carried counts were used


def test_a_serve_rebuild_told_what_changed_names_the_changed_inputs_from_those_files_alone(
    site_copy, monkeypatch
) -> None:
    """Why a rebuild made a file again names the source files that changed since the last build
    (tally.Tally). In `serve`, when its survey looked again only at the files its watcher named
    (fresh.Survey `rescanned`), those are the only ones compared with the last build's sources,
    not every source's hash twice (20,000 at 20,000 pages); told nothing, every source is
    compared (`changed_between`). Either way the reasons name what changed: an edit, a page added,
    renamed or deleted, catalog.yaml."""
    site = site_copy("example")
    told = {
        "a page's body": {"content/change-approval.md"},
        "a page added": {"content/on-call-handbook.md"},
        "a page renamed": {"content/on-call-handbook.md", "content/paging-handbook.md"},
        "a page deleted": {"content/paging-handbook.md"},
        "an SLO's objective in catalog.yaml": {"catalog.yaml"},
    }
    real = tally_stage.changed_between
    with serving(site, site / "public") as (options, memory):
        build(options)
        for what, change in CHANGES:
            if what not in told:
                continue
            assert memory.manifest is not None and memory.scanned is not None
            last_sources, last_hashes = memory.manifest.sources, memory.scanned[0]
            change(site)
            memory.changed = frozenset(told[what])  # as serve's file watcher tells it
            with monkeypatch.context() as patched:
                patched.setattr(tally_stage, "changed_between", lambda *_: pytest.fail("every source compared"))
                report = build(options)
            assert memory.scanned is not None
            expected = real(last_sources, memory.scanned[0])
            assert expected and set(expected) == {
                p for p in told[what] if last_hashes.get(p) != memory.scanned[0].get(p)
            }, what
            assert report.work is not None and report.work.why, what
            shown = ", ".join(expected[:3]) + (f" and {len(expected) - 3} more input" if len(expected) > 3 else "")
            reasons = {reason for _, reason in report.work.why} - {"a new page"}
            assert reasons and reasons <= {f"changed: {shown}", *(f"changed: {p} (its source)" for p in expected)}, what
        _edit(site / "content" / "change-approval.md", "\n\n", "\n\nTold nothing.\n\n")  # a full survey
        report = build(options)
        assert report.work is not None
        assert ("policies/change-approval/index.html", "changed: content/change-approval.md (its source)") in (
            report.work.why
        )


@pytest.mark.parametrize("spooled", [True, False])
def test_a_serve_rebuild_takes_catalog_json_s_sha256_as_made_not_read_back_and_hashed(
    run, site_copy, tmp_path, monkeypatch, spooled
) -> None:
    """The manifest's line for catalog.json (8 MB at 20,000 pages) has the SHA-256 the rebuild
    made with the document (outputs.CatalogLines `digest`, resumed from the last one's), not the
    file's read back (spooled) or its bytes hashed again (write.SiteFiles.sha256). After each
    change, the output is a build from nothing's."""
    if spooled:
        monkeypatch.setattr(build_stage, "SPOOL_FROM", 0)
    site = site_copy("example")
    output = site / "public"
    asked: list[str] = []
    real = write.SiteFiles.sha256

    def spied(self: write.SiteFiles, path: str) -> str:
        asked.append(path)
        return real(self, path)

    monkeypatch.setattr(write.SiteFiles, "sha256", spied)
    edits = [
        (f"a body edit {n}", lambda s, n=n: _edit(s / "content" / "change-approval.md", "\n\n", f"\n\nEdit {n}.\n\n"))
        for n in range(2)
    ]
    with serving(site, output) as (options, _):
        build(options)
        for what, change in [*edits, CHANGES[1], CHANGES[2], CHANGES[7], *edits]:
            asked.clear()
            change(site)
            build(options)
            assert routes.CATALOG_JSON not in asked, what
            assert tree(output) == clean_build(run, site, tmp_path), what


def test_a_serve_rebuild_does_not_read_back_the_manifest_it_wrote(run, site_copy, tmp_path, monkeypatch) -> None:
    """`serve` holds its last manifest in its memory and tells it by the memory's own, so its
    rebuilds do not read the manifest.sha256 they wrote back to hash it (4 MB at 20,000 pages):
    its `published` is no SHA-256 (buildcache.HELD), and an output that is not the one it swapped
    in has no manifest it trusts. After each change, the output is a build from nothing's."""
    site = site_copy("example")
    output = site / "public"
    read: list[str] = []
    real = Path.read_bytes

    def spied(self: Path) -> bytes:
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spied)
    with serving(site, output) as (options, memory):
        build(options)
        for what, change in [*CHANGES[:3], CHANGES[7]]:
            read.clear()
            change(site)
            build(options)
            assert routes.MANIFEST not in read, what
            assert memory.manifest is not None and memory.manifest.published == buildcache.HELD, what
            assert tree(output) == clean_build(run, site, tmp_path), what
