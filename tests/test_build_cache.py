"""The build cache and parallel rendering never change the output: a cached or incremental build
equals a clean build byte for byte, whatever changed, however many workers, whatever the cache."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import posixpath
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from servicebook.cache import store as store_module
from servicebook.cache.digest import code_digest, digest
from servicebook.cache.store import Entry, Store, _key, store_file
from servicebook.cache.store import checksum as checksum_of
from servicebook.content.markdown import NO_OUTLINE, Outline
from servicebook.routes import relative_url, relative_urls
from servicebook.site.buildcache import _kept_sections, _sections
from servicebook.site.fresh import Manifest

from .conftest import BROKEN_LAYOUT_LINK, FIXED_EPOCH, GitSite, add_broken_layout_link
from .sitefiles import clean_build, generated_site, tree

SKIP = {".servicebook-build"}


@pytest.fixture
def built(run, site_copy):
    site = site_copy("example")
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert store_file(site / ".servicebook-cache").is_file()
    return site


def test_no_change_rebuild_leaves_public_as_it_is(run, built) -> None:
    marker = built / "public" / ".servicebook-build"
    before = tree(built / "public")
    inode = marker.stat().st_ino
    result = run("build", "--source", built)
    assert result.exit_code == 0
    assert "Built" in result.output
    assert marker.stat().st_ino == inode  # the very same folder: nothing was swapped in
    assert tree(built / "public") == before


def test_no_change_rebuild_repeats_the_warnings(run, built) -> None:
    catalog = built / "catalog.yaml"
    text = catalog.read_text()
    first_review = text.index("review_by: ") + len("review_by: ")
    catalog.write_text(text[:first_review] + "2026-09-20" + text[first_review + 10 :])
    first = run("build", "--source", built)
    second = run("build", "--source", built)
    assert first.exit_code == second.exit_code == 0
    assert "was due for review" in first.stderr
    assert first.stderr == second.stderr
    page = built / "content" / "change-approval.md"  # the catalog now comes from the cache,
    page.write_text(page.read_text() + "\nMore.\n")  # and its warning is located all the same
    third = run("build", "--source", built)
    assert third.exit_code == 0
    assert third.stderr == first.stderr


def test_edited_public_file_is_rebuilt_not_kept(run, built) -> None:
    page = built / "public" / "support" / "index.html"
    original = page.read_bytes()
    page.write_bytes(original + b"<!-- edited by hand -->")
    assert run("build", "--source", built).exit_code == 0
    assert page.read_bytes() == original


@pytest.mark.parametrize(
    "change",
    [
        "page-body",
        "page-opening",
        "page-title",
        "catalog",
        "layout",
        "page-deleted",
        "page-added",
    ],
)
@pytest.mark.slow
def test_incremental_build_equals_clean_build(run, built, tmp_path, change) -> None:
    content = built / "content"
    page = content / "change-approval.md"
    if change == "page-body":
        page.write_text(page.read_text() + "\nOne more sentence, added in a later commit.\n")
    elif change == "page-opening":  # only the search index's excerpt of a page changes
        handbook = content / "on-call-handbook.md"
        handbook.write_text("---\ntitle: On-call handbook\n---\n\nPage the on-call engineer.\n")
        assert run("build", "--source", built).exit_code == 0
        handbook.write_text("---\ntitle: On-call handbook\n---\n\nCall the duty manager first.\n")
    elif change == "page-title":
        text = page.read_text()
        page.write_text(text.replace("title: ", "title: Revised ", 1))
    elif change == "catalog":
        catalog = built / "catalog.yaml"
        catalog.write_text(catalog.read_text().replace("objective: 99.9\n", "objective: 99.95\n", 1))
    elif change == "layout":
        (built / "layouts").mkdir(exist_ok=True)
        (built / "layouts" / "policy.html").write_text(
            '{% extends "theme/policy.html" %}{% block content %}<p>Internal</p>{{ super() }}{% endblock %}\n'
        )
    elif change == "page-deleted":
        victim = content / "on-call-handbook.md"
        victim.write_text("---\ntitle: On-call handbook\n---\n\n## Paging\n\nSee [approvals](change-approval.md).\n")
        assert run("build", "--source", built).exit_code == 0
        assert (built / "public" / "policies" / "on-call-handbook" / "index.html").is_file()
        victim.unlink()
    elif change == "page-added":
        (content / "on-call-handbook.md").write_text("---\ntitle: On-call handbook\n---\n\n## Paging\n\nPage us.\n")
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    assert tree(built / "public") == clean_build(run, built, tmp_path)
    assert run("build", "--source", built).exit_code == 0  # and the no-change build after it
    assert tree(built / "public") == clean_build(run, built, tmp_path)


def test_corrupt_cache_is_ignored_and_rebuilt(run, built, tmp_path) -> None:
    database = store_file(built / ".servicebook-cache")
    for extra in database.parent.glob(database.name + "-*"):
        extra.unlink()
    database.write_bytes(b"this is not a database" * 100)
    page = built / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nAnother sentence.\n")
    assert run("build", "--source", built).exit_code == 0
    assert tree(built / "public") == clean_build(run, built, tmp_path)


def _poison(database: Path, *, version: str | None) -> None:
    """Every loaded page in the store made to say POISON, checksums and all, as a forger would."""
    with sqlite3.connect(database) as db:
        for key, data, text in db.execute("SELECT key, data, text FROM entries").fetchall():
            stored = json.loads(data)
            if not isinstance(stored, list) or len(stored) != 9 or not isinstance(stored[0], list):
                continue  # a catalog, the search index's words, or a page that did not load
            html = "<p>POISON</p>"
            stored[0][4] = hashlib.sha256(html.encode()).hexdigest()
            forged = json.dumps(stored, separators=(",", ":"))
            db.execute(
                "UPDATE entries SET data = ?, html = ?, checksum = ? WHERE key = ?",
                (forged, html, checksum_of(forged, html, text), key),
            )
        if version is not None:
            db.execute("UPDATE state SET value = ? WHERE name = 'format'", (version,))


def test_cache_written_by_another_servicebook_is_not_used(run, built) -> None:
    database = store_file(built / ".servicebook-cache")
    _poison(database, version="servicebook 0.0.1")
    (built / "catalog.yaml").write_text((built / "catalog.yaml").read_text() + "\n")  # so the build renders
    assert run("build", "--source", built).exit_code == 0
    assert b"POISON" not in b"".join(tree(built / "public").values())


def test_cache_entries_are_what_the_build_reuses(run, built) -> None:
    # The converse of the test above, so that it cannot pass by accident: the same poisoned
    # entries, under this servicebook's own version, do reach the pages.
    _poison(store_file(built / ".servicebook-cache"), version=None)
    (built / "catalog.yaml").write_text((built / "catalog.yaml").read_text() + "\n")
    assert run("build", "--source", built).exit_code == 0
    assert b"POISON" in (built / "public" / "policies" / "change-approval" / "index.html").read_bytes()


@pytest.mark.git
def test_a_cache_committed_to_git_is_refused_by_every_command_before_it_reads_it(run, built, tmp_path) -> None:
    # A pull request can commit a .servicebook-cache/ (`git add -f` past its own .gitignore) whose
    # entries were forged with checksums that match, which the test above shows reach the pages
    # when the cache is taken as the build's own. A clone holding one (a CI job's checkout) is
    # refused with what to do, nothing read or written; out of git again, the site builds clean.
    _poison(store_file(built / ".servicebook-cache"), version=None)
    (built / "catalog.yaml").write_text((built / "catalog.yaml").read_text() + "\n")
    shutil.rmtree(built / "public")
    committed = GitSite(built)
    committed.git("add", "-f", ".servicebook-cache")
    committed.commit("A pull request that also commits a cache")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(built), str(clone)], check=True, capture_output=True)
    store = store_file(clone / ".servicebook-cache").read_bytes()
    for command in (["build"], ["check"], ["export", "openslo"]):
        result = run(*command, "--source", clone)
        assert result.exit_code == 2, (command, result.output)
        assert "git tracks '.servicebook-cache/" in result.output
        assert "git rm -r --cached .servicebook-cache" in result.output
        assert "Traceback" not in result.output
    assert not (clone / "public").exists()
    assert store_file(clone / ".servicebook-cache").read_bytes() == store
    again = GitSite(clone)
    again.git("rm", "-r", "-q", "--cached", ".servicebook-cache")
    again.commit("The cache out of git")
    shutil.rmtree(clone / ".servicebook-cache")
    assert run("build", "--source", clone).exit_code == 0
    assert b"POISON" not in b"".join(tree(clone / "public").values())


def test_every_command_that_takes_a_source_refuses_a_committed_cache() -> None:
    # The refusal rides on the one --source option (commands/options.py): a command given a
    # source option of its own would read the cache unguarded.
    import click

    from servicebook.cli import main
    from servicebook.commands.options import _trusted_source

    def commands(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
        context = click.Context(group)
        for name in group.list_commands(context):  # (the CLI loads its commands when asked)
            command = group.get_command(context, name)
            assert command is not None
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    found = dict(commands(main, ""))
    sourced = {name: p for name, c in found.items() for p in c.params if p.name == "source"}
    assert {"build", "check", "serve", "promised", "verify"} <= set(sourced)
    assert {name for name, p in sourced.items() if p.callback is not _trusted_source} == set()


def _build_in_process(site: Path, output: Path, workers: str, seed: str) -> None:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": FIXED_EPOCH,
        "SERVICEBOOK_WORKERS": workers,
        "PYTHONHASHSEED": seed,
        "GIT_CEILING_DIRECTORIES": str(site.parent),
    }
    done = subprocess.run(
        [sys.executable, "-m", "servicebook.cli", "build", "--source", str(site), "--output", str(output)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_output_does_not_depend_on_workers_hash_seed_or_cache(tmp_path) -> None:
    site = generated_site(tmp_path / "site", pages=70)  # enough pages to use worker processes
    _build_in_process(site, tmp_path / "one", workers="1", seed="1")
    _build_in_process(site, tmp_path / "two", workers="2", seed="2")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    page = sorted((site / "content").glob("*.md"))[3]
    page.write_text(page.read_text() + "\nA later revision.\n")
    _build_in_process(site, tmp_path / "two", workers="2", seed="3")  # incremental, cache warm
    _build_in_process(site, tmp_path / "three", workers="2", seed="4")  # clean
    assert tree(tmp_path / "two") == tree(tmp_path / "three")
    assert tree(tmp_path / "two") != tree(tmp_path / "one")


segment = st.sampled_from(["a", "b", "policies", "x", ".", "..", "", "index.html"])
site_path = st.lists(segment, max_size=5).map("/".join) | st.lists(segment, max_size=4).map(lambda p: "/".join(p) + "/")


def _relative_url_by_relpath(here: str, target: str) -> str:
    rel = posixpath.relpath(target or ".", here or ".")
    if rel == ".":
        return "./"
    if (target == "" or target.endswith("/")) and not rel.endswith("/"):
        rel += "/"
    return rel


@given(site_path, site_path)
def test_relative_url_agrees_with_posixpath_relpath(here: str, target: str) -> None:
    assert relative_url(here, target) == _relative_url_by_relpath(here, target)


@given(st.lists(st.tuples(site_path, st.lists(site_path | st.just("https://x.org/a"), max_size=6)), max_size=8))
@example([("policies/y", ["./policies/x", "/policies/x"]), ("other/z", ["./policies/x", "/policies/x"])])
@example([("a/b", ["../b/c"]), ("a/c", ["../b/c"])])
def test_urls_remembered_across_pages_are_those_of_each_page_alone(pages: list[tuple[str, list[str]]]) -> None:
    # a render remembers the URLs that are the same from every folder at one depth, across its pages
    memo: dict[tuple[int, str], str] = {}
    for here, targets in pages:
        url = relative_urls(here, memo)
        assert [url(target) for target in targets] == [relative_url(here, target) for target in targets]


@pytest.mark.slow
def test_spooled_build_equals_in_memory_build(run, site_copy, tmp_path, monkeypatch) -> None:
    # Large sites render their pages to a spool folder instead of memory: same bytes, before and
    # after an incremental build.
    import servicebook.site.build

    site = site_copy("example")
    in_memory = clean_build(run, site, tmp_path)
    monkeypatch.setattr(servicebook.site.build, "SPOOL_FROM", 0)
    assert run("build", "--source", site).exit_code == 0
    assert tree(site / "public") == in_memory
    page = site / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nA spooled revision.\n")
    assert run("build", "--source", site).exit_code == 0
    monkeypatch.setattr(servicebook.site.build, "SPOOL_FROM", 10**9)
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    assert not list(site.glob(".public.*"))


@pytest.mark.slow
def test_failed_spooled_build_leaves_the_site_and_no_staging_folder(run, site_copy, monkeypatch) -> None:
    # A large site's pages are rendered straight into the staging folder: when the link check
    # then fails, that folder goes, and public/ is exactly the last good build.
    import servicebook.site.build

    monkeypatch.setattr(servicebook.site.build, "SPOOL_FROM", 0)
    site = site_copy("example")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    add_broken_layout_link(site)
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert BROKEN_LAYOUT_LINK in result.stderr
    assert tree(site / "public") == before
    assert not list(site.glob(".public.*"))


def test_stored_front_matter_reads_back_as_it_was_written() -> None:
    # The fast reader of stored front matter knows each field's stored shape; a field added to
    # the model without it would silently take the slow path, or worse, a wrong one.
    import dataclasses

    from servicebook.cache.codec import encode
    from servicebook.catalog import model
    from servicebook.site.buildcache import _PAGE_META_TYPES, _encode_meta, _page_meta

    assert set(_PAGE_META_TYPES) == {f.name for f in dataclasses.fields(model.PageMeta)}
    metas = [
        model.PageMeta(title="Backups"),
        model.PageMeta(title="T", summary="S", owner="O", order=3, offerings=("ci",), tools=("k6", "jmeter")),
    ]
    for meta in metas:
        assert _page_meta(encode(meta)) == meta
        # what a page's front matter is stored as: `encode`'s, key for key and in its order
        assert json.dumps(_encode_meta(meta)) == json.dumps(encode(meta))
    # a stored value of another shape is read the careful way, and refused when it is wrong
    assert _page_meta({**encode(metas[0]), "tools": ("k6",)}) == model.PageMeta(title="Backups", tools=("k6",))
    with pytest.raises((TypeError, ValueError, KeyError)):
        _page_meta({"title": "Backups"})


def test_a_page_is_stored_with_the_hash_its_html_was_given_where_it_was_rendered(tmp_path, monkeypatch) -> None:
    # A cold build's parent stores every page as it comes in from the load workers: the page's
    # HTML was hashed there (model.Page `html_sha256`), and is not hashed again to store it. The
    # page reads back whole and checked, and a page whose HTML is not what its hash says does not.
    from servicebook.catalog import model
    from servicebook.site.buildcache import BuildCache
    from servicebook.site.load import PageResult

    def result(html: str, sha256: str) -> PageResult:
        page = model.Page(
            slug="a",
            source="content/a.md",
            meta=model.PageMeta(title="A", offerings=("ci",)),
            body=html,
            text="A",
            headings=(model.Heading(2, "Scope", "scope"),),
            html_sha256=sha256,
        )
        return PageResult(page=page, problems=(), anchor_refs=PackedRefs(), assets=(), digest="d")

    hashed = store_module.checksum

    def not_again(data: str, html: str | bytes, text: str) -> str:
        if html:
            raise AssertionError("a page's HTML hashed again to store it")
        return hashed(data, html, text)

    from servicebook.content.markdown import PackedRefs

    html = '<h2 id="scope">Scope – ü</h2>'
    right = result(html, hashlib.sha256(html.encode()).hexdigest())
    wrong = result(html, hashlib.sha256(b"other").hexdigest())
    with Store(tmp_path / "store.sqlite") as store:
        cache = BuildCache(store)
        with monkeypatch.context() as patched:
            patched.setattr(store_module, "checksum", not_again)
            cache.put("right", right)
            cache.put("wrong", wrong)
        assert cache.get_many(["right", "wrong"]) == {"right": right}


def test_pages_read_back_share_each_heading_and_read_back_as_they_were_stored() -> None:
    # A rebuild reads back every page of the site; the headings most pages share ("Scope",
    # "Exceptions") are made once for all of them, and each page still reads back as stored.
    import json as json_

    from servicebook.catalog import model
    from servicebook.content.markdown import AnchorRef, PackedRefs
    from servicebook.site.buildcache import decode_page, encode_page
    from servicebook.site.load import PageResult

    refs = PackedRefs.of(
        (
            AnchorRef("b", "scope", "content/a.md", 3, 2, "b.md#scope", 0),
            AnchorRef("c", "exceptions", "content/a.md", 9, 1, "c.md#exceptions", 1),
            AnchorRef("b", "scope", "content/shared.md", 1, 4, "../b.md#scope", 0),
        )
    )

    def page(slug: str, headings: tuple[model.Heading, ...]) -> PageResult:
        html = f"<h2>{slug}</h2>"
        made = model.Page(
            slug=slug,
            source=f"content/{slug}.md",
            meta=model.PageMeta(title=slug),
            body=html,
            text=slug,
            headings=headings,
            html_sha256=hashlib.sha256(html.encode()).hexdigest(),
        )
        outline = Outline.of([("scope", "Scope", b"\xd1" * 32), ("only-here", "Only here", b"\xd2" * 32)])
        return PageResult(page=made, problems=(), anchor_refs=refs, assets=(), digest=slug, sections=outline)

    scope, own = model.Heading(2, "Scope", "scope"), model.Heading(3, "Only here", "only-here")
    shared: dict[object, model.Heading] = {}
    first = decode_page(*encode_page(page("a", (scope, own))), shared)
    second = decode_page(*encode_page(page("b", (scope,))), shared)
    assert first == page("a", (scope, own)) and second == page("b", (scope,))
    assert first.page and second.page and first.page.headings[0] is second.page.headings[0]
    # stored parts that compare equal read back as equal headings; parts cut short are refused
    data, html, text = encode_page(page("c", (scope,)))
    stored = json_.loads(data)
    stored[0][3] = [2.0, "Scope", "scope"]
    assert decode_page(json_.dumps(stored), html, text, shared).page.headings == (scope,)  # type: ignore[union-attr]

    def cut_short(part: int, at: int | None) -> str:  # the stored list loses its last item
        damaged = json_.loads(data)
        (damaged[part] if at is None else damaged[part][at]).pop()
        return json_.dumps(damaged)

    def links(change: Callable[[str], str]) -> str:  # the page's links, stored as one text
        damaged = json_.loads(data)
        damaged[2] = change(damaged[2])
        return json_.dumps(damaged)

    assert decode_page(data, html, text, shared).anchor_refs == refs
    assert list(decode_page(data, html, text, shared).anchor_refs) == list(refs)
    for damaged in (links(lambda t: t.rpartition("|")[0]), cut_short(5, None)):  # ("|" for a NUL: `_links_stored`)
        with pytest.raises(ValueError, match="cut short"):  # the links, the outline
            decode_page(damaged, html, text, shared)
    headings = json_.loads(data)
    headings[0][3] = headings[0][3].rpartition("|")[0]  # (stored as one text: site/buildcache.py `_encode_headings`)
    with pytest.raises(ValueError, match="headings"):
        decode_page(json_.dumps(headings), html, text, shared)
    with pytest.raises(ValueError, match="not links"):
        decode_page(links(lambda t: t.replace("|9|", "|nine|")), html, text, shared)


def test_manifest_takes_kept_pages_hashes_only_from_the_manifest_the_last_build_wrote(run, built, tmp_path) -> None:
    # An incremental build takes the hashes of the pages it keeps from the last manifest rather
    # than reading every page again; a manifest edited since is not believed.
    manifest = built / "public" / "manifest.sha256"
    lines = manifest.read_text().splitlines()
    forged = [("0" * 64 + line[64:]) if line.endswith("support/index.html") else line for line in lines]
    manifest.write_text("\n".join(forged) + "\n")
    page = built / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    assert run("build", "--source", built).exit_code == 0
    assert "0" * 64 not in manifest.read_text()
    assert tree(built / "public") == clean_build(run, built, tmp_path)


@pytest.mark.slow
def test_successive_builds_start_from_the_site_before_last_without_touching_it(run, built, tmp_path) -> None:
    # Each build keeps the site it replaced (the spare) and the next one starts from it, changing
    # only what differs. Files there are shared (hard links) with the live site: they must never
    # be written into, so the site a build replaces is still exactly what it was.
    spare = built / ".servicebook-cache" / "build" / "public.spare"
    content = built / "content"
    page = content / "change-approval.md"
    changes = [  # (change, whether the support page stays the same file)
        (lambda: page.write_text(page.read_text() + "\nA.\n"), True),
        (lambda: (content / "on-call-handbook.md").write_text("---\ntitle: Handbook\n---\n\nPage us.\n"), False),
        (lambda: page.write_text(page.read_text() + "\nB.\n"), True),
        ((content / "on-call-handbook.md").unlink, False),
    ]
    for change, kept in changes:
        before = tree(built / "public")
        change()
        assert run("build", "--source", built).exit_code == 0
        assert tree(spare) == before  # the replaced site, unharmed
        assert tree(built / "public") == clean_build(run, built, tmp_path)
        shared = (built / "public" / "support" / "index.html").stat().st_ino
        assert ((spare / "support" / "index.html").stat().st_ino == shared) == kept  # unchanged: one file


def test_a_spare_that_cannot_be_cleared_is_done_without(run, built, tmp_path, monkeypatch) -> None:
    # The spare is only an optimisation: if it cannot be cleared (files someone else made there),
    # the build starts from nothing instead, and succeeds.
    from servicebook.site import write

    page = built / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nA.\n")
    assert run("build", "--source", built).exit_code == 0  # now there is a spare

    def refuse(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    def unusable(*_: object) -> None:
        raise write._SpareUnusable

    monkeypatch.setattr(write, "_prune", refuse)
    monkeypatch.setattr(write, "_reconcile_known", unusable)  # the spare as its record says it is
    page.write_text(page.read_text() + "\nB.\n")
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    assert tree(built / "public") == clean_build(run, built, tmp_path)
    assert not list(built.glob(".public.*"))


def test_files_added_to_the_output_by_hand_are_removed_by_the_next_build(run, built, tmp_path) -> None:
    (built / "public" / "extra.txt").write_text("not ours")
    (built / "public" / "newdir").mkdir()
    (built / "public" / "newdir" / "a.html").write_text("<p>not ours</p>")
    assert run("build", "--source", built).exit_code == 0  # no source changed
    assert tree(built / "public") == clean_build(run, built, tmp_path)


def test_an_output_inside_a_built_site_is_refused(run, built) -> None:
    result = run("build", "--source", built, "--output", built / "public" / "nested")
    assert result.exit_code == 2
    assert "it is inside" in result.output and "a site servicebook built" in result.output
    assert not (built / "public" / "nested").exists()


def test_a_kept_page_linking_to_a_heading_that_went_away_is_reported_with_its_line(run, built) -> None:
    """backups-and-restore.md comes from the cache; the heading it links to is renamed."""
    target = built / "content" / "change-approval.md"
    target.write_text(target.read_text().replace("\n## Rollback\n", "\n## Rolling back\n"))
    result = run("build", "--source", built)
    assert result.exit_code == 1
    assert (
        "content/backups-and-restore.md:94:63: error: broken link: page 'change-approval' has no heading '#rollback'\n"
        " 94 | - Keep schema migrations reversible; see the [rollback rules](change-approval.md#rollback).\n"
    ) in result.stderr
    assert "did you mean 'rolling-back'?" in result.stderr


def test_a_rebuild_reads_the_links_to_headings_of_the_pages_not_settled_among_the_same_anchors_alone(
    run, built, tmp_path, monkeypatch
) -> None:
    """The command line keeps which pages' links to other pages' headings all led somewhere
    (links.SettledAnchors): a rebuild after a body edit reads the edited page's links alone; a
    heading that goes away (another page's anchors) has every page's looked at, and the page that
    linked to it reported; a page whose link is broken is reported again by the next build."""
    from servicebook.content.markdown import PackedRefs

    read: list[str] = []
    real = PackedRefs.targets

    def targets(self):  # type: ignore[no-untyped-def]
        read.append(self.packed)
        return real(self)

    monkeypatch.setattr(PackedRefs, "targets", targets)
    body = built / "content" / "backups-and-restore.md"
    body.write_text(body.read_text() + "\nOne more line, [with a link](change-approval.md#rollback).\n")
    read.clear()
    assert run("build", "--source", built).exit_code == 0
    assert len(read) == 1 and "backups-and-restore" in read[0]  # every page's links before
    assert tree(built / "public") == clean_build(run, built, tmp_path)
    target = built / "content" / "change-approval.md"
    kept = target.read_text()
    target.write_text(kept.replace("\n## Rollback\n", "\n## Rolling back\n"))
    for _ in range(2):  # reported by every build while it is broken
        result = run("build", "--source", built)
        assert result.exit_code == 1
        assert "backups-and-restore.md:94:63: error: broken link: page 'change-approval' has no heading" in (
            result.stderr
        )
    target.write_text(kept)
    assert run("build", "--source", built).exit_code == 0
    assert tree(built / "public") == clean_build(run, built, tmp_path)


def test_a_build_cache_outside_the_site_folder_is_named_once(run, site_copy, tmp_path) -> None:
    # --output elsewhere puts the cache beside it (it must share the output's file system, since
    # rebuilds hard-link from it): the build says where, so nobody is surprised to find it there
    site = site_copy("minimal")
    output = tmp_path / "elsewhere" / "site"
    for _ in range(2):  # the first build and a rebuild with nothing changed
        result = run("build", "--source", site, "--output", output)
        assert result.exit_code == 0, result.output
        cache = tmp_path / "elsewhere" / ".servicebook-cache"
        assert (
            result.stdout.splitlines()[-1]
            == f"Build cache: {site / '.servicebook-cache'}/ (the store and the releases) and {cache}/ (the site "
            "it replaced, beside the output: rebuilds hard-link from it); both safe to delete"
        )
        assert result.output.count("Build cache:") == 1
        assert (cache / "build").is_dir()  # where the replaced site is kept for the next build
    for inside in (site / "public", site / "out" / "public"):
        result = run("build", "--source", site, "--output", inside)
        assert result.exit_code == 0, result.output
        assert "Build cache" not in result.output


def test_a_cache_folder_linked_elsewhere_is_not_named_as_a_second_folder(run, site_copy, tmp_path) -> None:
    # a site whose .servicebook-cache is a link to a bigger disk: the output is inside the site, so
    # the cache beside it is the site's own, and the build does not name the same folder twice
    site = site_copy("minimal")
    (tmp_path / "big-disk").mkdir()
    (site / ".servicebook-cache").symlink_to(tmp_path / "big-disk")
    for _ in range(2):  # the first build and a rebuild that hard-links from the replaced site
        result = run("build", "--source", site)
        assert result.exit_code == 0, result.output
        assert "Build cache" not in result.output
    assert (tmp_path / "big-disk" / "build").is_dir()


def test_a_source_changed_just_before_a_build_is_read_again_even_if_it_looks_untouched(run, built) -> None:
    """Sources whose size, time and inode are unchanged are not read again; one written within
    the last seconds before a build could change again within the same clock tick unseen, so its
    hash is never reused (git's racy-file rule)."""
    page = built / "content" / "change-approval.md"
    published = built / "public" / "policies" / "change-approval" / "index.html"
    page.write_text(page.read_text() + "\nReviewed by team alpha.\n")
    before = os.stat(page)
    assert run("build", "--source", built).exit_code == 0
    assert "team alpha" in published.read_text()
    page.write_text(page.read_text().replace("team alpha", "team gamma"))  # the same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same time as before
    assert run("build", "--source", built).exit_code == 0
    assert "team gamma" in published.read_text()


def test_history_cache_keys_change_with_servicebook_code(monkeypatch) -> None:
    """A development checkout changes the diff's wording without changing the version: cached
    history entries written by other code must not be reused."""
    from servicebook.cache import digest

    first = digest.cache_key("catalog", "blob")
    monkeypatch.setattr(digest, "code_digest", lambda: "other code")
    assert digest.cache_key("catalog", "blob") != first


def test_a_long_running_build_process_takes_unchanged_pages_from_memory(run, site_copy, tmp_path, monkeypatch) -> None:
    # `serve` builds in one process, edit after edit: the pages it loaded before come from memory,
    # only the edited page is read from the cache or rendered, and the site is still the one a
    # clean build makes. The caches on disk keep every page (a later CLI build decodes them).
    from servicebook.site.build import Options, build
    from servicebook.site.buildcache import BuildCache
    from servicebook.site.fresh import Manifest, PageMemory

    site = site_copy("example")
    env = {"SOURCE_DATE_EPOCH": FIXED_EPOCH}
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env=env, memory=memory)
    build(options)
    pages = sorted((site / "content").rglob("*.md"))
    assert len(memory.pages) == len(pages) > 5
    # it holds each page's outline, its HTML in the spool the process's builds share
    assert memory.bodies is not None and all(r.page and r.page.spooled for r in memory.pages.values())

    asked: list[list[str]] = []
    real = BuildCache.get_many
    monkeypatch.setattr(BuildCache, "get_many", lambda self, keys, *more: asked.append(keys) or real(self, keys, *more))
    monkeypatch.setattr(BuildCache, "get_catalog", lambda self, key: pytest.fail("the catalog was read again"))
    # nor the manifest the last build recorded: the process holds it as it recorded it
    monkeypatch.setattr(Manifest, "from_bytes", lambda data: pytest.fail("the manifest was read again"))
    page = site / "content" / "change-approval.md"
    page.write_text(page.read_text() + "\nOne more sentence, written in the preview.\n")
    build(options)
    monkeypatch.undo()
    assert [len(keys) for keys in asked] == [1]  # the edited page only, not found: rendered
    assert len(memory.pages) == len(pages)
    assert all(r.page and r.page.spooled for r in memory.pages.values())
    memory.close()  # as serve does when it ends
    html = (site / "public" / "policies" / "change-approval" / "index.html").read_text()
    assert "One more sentence, written in the preview." in html
    assert tree(site / "public") == clean_build(run, site, tmp_path)

    db = sqlite3.connect(store_file(site / ".servicebook-cache"))
    try:
        stored = db.execute("SELECT count(*) FROM entries WHERE data LIKE '[%'").fetchone()[0]
        catalogs = db.execute("SELECT count(*) FROM entries WHERE data LIKE '{\"catalog\"%'").fetchone()[0]
    finally:
        db.close()
    # what came from memory was not forgotten on disk; the edited page's earlier text, which the
    # build before used, is kept until the build after next (cache/store.py, "prune")
    assert stored == len(pages) + 1 and catalogs == 1


def test_an_entrys_checksum_is_the_sha256_of_its_data_its_htmls_sha256_and_its_text_each_after_its_length(
    tmp_path,
) -> None:
    # SHA-256, not the cache keys' BLAKE2b: a rebuild checks every kept page's entry, and SHA-256
    # has the processor's own instructions on most machines (bench/README.md, cli9)
    data, html, text = '["é"]', "<p>Ünïcode</p>", "the text"
    html_sha256 = hashlib.sha256(html.encode()).hexdigest()
    whole = b"".join(len(p.encode()).to_bytes(8, "little") + p.encode() for p in (data, html_sha256, text))
    assert checksum_of(data, html, text) == hashlib.sha256(whole).hexdigest()
    with Store(tmp_path / "store.sqlite") as store:
        store.put("page", "k", Entry(data, html, text))
        assert store.get("page", ["k"]) == {"k": Entry(data, html, text)}
    db = sqlite3.connect(tmp_path / "store.sqlite")
    try:
        db.execute("UPDATE entries SET text = 'the text!'")
        db.commit()
    finally:
        db.close()
    with Store(tmp_path / "store.sqlite") as store:
        assert store.get("page", ["k"]) == {}
        assert store.damaged == [("page", "k")]


@pytest.mark.parametrize("checksum", ["left as it was", "forged too", "forged too, not UTF-8"])
def test_a_page_altered_in_the_store_is_rendered_again_with_a_warning_naming_the_store(
    run, built, tmp_path, checksum: str
) -> None:
    # Other valid HTML in a stored page: its checksum, or (when that was forged as well) the
    # page's own html_sha256 no longer matches, so the page is rendered again, not published.
    # Bytes that are not UTF-8 at all, in a text column, are one altered page too, not a store
    # that fails.
    database = store_file(built / ".servicebook-cache")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT key, data, html, text FROM entries WHERE html LIKE '%<h2%'").fetchall()
        key, data, html, text = rows[0]
        altered: str | bytes = html.replace("<h2", "<h2 data-altered", 1) + "<p>Pay the bearer.</p>"
        if checksum == "forged too, not UTF-8":
            altered = html.encode().replace(b"<h2", b"<h2 \xff\xfe", 1) + b"<p>Pay the bearer.</p>"
        new_checksum = checksum_of(data, altered, text) if checksum.startswith("forged too") else "0" * 40
        db.execute(
            "UPDATE entries SET html = CAST(? AS TEXT), checksum = ? WHERE key = ?", (altered, new_checksum, key)
        )
    (built / "catalog.yaml").write_text((built / "catalog.yaml").read_text() + "\n")  # so the build reads the pages
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    assert b"Pay the bearer" not in b"".join(tree(built / "public").values())
    assert tree(built / "public") == clean_build(run, built, tmp_path)
    warning = [line for line in result.stderr.splitlines() if "altered" in line]
    # a command-line build reads a page back without its HTML (buildcache.StoredHtml) and checks
    # the entry with the SHA-256 the page keeps of it: altered, it has read back far enough to name
    # itself, whether its checksum was forged or not
    name = f"page {json.loads(data)[0][0]}"
    assert warning == [f"{database}: warning: 1 cache entry had been altered ({name}): not used, made again"]
    again = run("build", "--source", built)  # the page was stored again, as rendered
    assert again.exit_code == 0 and "altered" not in again.stderr


def test_a_no_change_rebuild_decides_before_importing_the_renderers(built) -> None:
    # Stage 0 (site/fresh.py) answers "nothing to do" without the rest of the pipeline: importing
    # Jinja2, markdown-it, lxml, PyYAML and the renderers was most of a no-change rebuild's time;
    # nor the catalog's model (its dataclasses) or importlib.resources.
    done = _rebuild(built, {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH})
    built_line, report, imported = done.stdout.splitlines()
    assert built_line == f"Built {_pages(built)} pages ({_files(built)} files) into {built / 'public'}"
    assert re.fullmatch(r"Nothing changed since the last build: every file kept \(\d+\.\d\d s\)\.", report)
    assert imported == "[]"


def test_a_no_change_rebuild_that_cannot_judge_review_by_dates_says_so_without_importing_yaml(built) -> None:
    # Outside git and without SOURCE_DATE_EPOCH a build has no date to judge review_by dates by,
    # and says so at the first one, which it finds in the catalog read as text.
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    _rebuild(built, env)  # built again: the build's date is part of what it was built from
    done = _rebuild(built, env)
    assert "warning: review_by dates were not checked: the build has no date" in done.stderr
    built_line, report, imported = done.stdout.splitlines()
    assert built_line == f"Built {_pages(built)} pages ({_files(built)} files) into {built / 'public'}"
    assert re.fullmatch(r"Nothing changed since the last build: every file kept \(\d+\.\d\d s\)\.", report)
    assert imported == "[]"


def test_a_rebuild_collects_garbage_in_batches_from_its_start(built) -> None:
    # The build's collector thresholds (collector.batch_collections) hold from the command's start,
    # before it imports anything of the pipeline: with the defaults, importing it cost a rebuild
    # ~130 collections, one of them of everything. A no-change rebuild imports no pipeline at all.
    code = (
        "import gc, sys\nfrom servicebook.cli import main\n"
        f"try:\n    main(['build', '--source', {str(built)!r}])\nexcept SystemExit:\n    pass\n"
        "print(gc.get_threshold()[0])"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "Nothing changed since the last build" in done.stdout
    assert int(done.stdout.splitlines()[-1]) >= 10_000


def test_a_one_page_rebuild_imports_only_what_it_uses(run, tmp_path) -> None:
    # A one-page rebuild renders one page in this process: it starts no workers (multiprocessing),
    # and a site outside git, without members, releases or portal exports, has no use for the
    # modules that make those; importing them was start-up time of every rebuild. Nor has it for
    # the standard library's modules that only those, or a mistake, need: the Atom feed's XML
    # (history), tar (a release's sources), time zones (a calendar window checked or measured),
    # difflib (a "did you mean"), ctypes.util (looking for the C library, which runs `ldconfig -p`),
    # importlib.resources and zipfile (the theme's folder is the package's, on disk: `init` alone
    # reads its files through importlib.resources). Nor PyYAML: the catalog comes from the cache,
    # and a page's front matter of one `key: value` a line is read without libyaml's events.
    site = generated_site(tmp_path / "site", pages=70)  # enough pages for a cold build to use workers
    assert run("build", "--source", site).exit_code == 0
    page = sorted((site / "content").glob("*.md"))[3]
    page.write_text(page.read_text() + "\nOne more line.\n")
    code = (
        "import sys\nfrom servicebook.cli import main\n"
        f"try:\n    main(['build', '--source', {str(site)!r}])\nexcept SystemExit:\n    pass\n"
        "unused = ('multiprocessing', 'concurrent.futures.process', 'servicebook.federation.review',"
        " 'servicebook.site.releases', 'servicebook.site.portals', 'servicebook.interop.backstage',"
        " 'servicebook.federation.assemble', 'servicebook.federation.members',"
        " 'xml.etree', 'tarfile', 'zoneinfo', 'difflib', 'ctypes.util', 'importlib.resources', 'zipfile',"
        " 'yaml', 'servicebook.source.yaml_events')\n"
        "print(sorted(m for m in sys.modules if m.startswith(unused)))"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Built ") and "policy pages                 1" in done.stdout, done.stdout
    assert lines[-1] == "[]"
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def _rebuild(site: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`build` of `site` in a new process, which then prints the heavy modules it imported."""
    code = (
        "import sys\nfrom servicebook.cli import main\n"
        f"try:\n    main(['build', '--source', {str(site)!r}])\nexcept SystemExit:\n    pass\n"
        "heavy = ('jinja2', 'markupsafe', 'markdown_it', 'lxml', 'xml.etree', 'yaml', 'servicebook.site.build',"
        " 'servicebook.site.render', 'servicebook.site.load', 'servicebook.content', 'servicebook.source.yaml',"
        # the model's dataclasses (stage 0 needs only BuildInfo, catalog/basics.py) and
        # importlib.resources (the code digest walks the package's folder itself)
        " 'servicebook.catalog.model', 'importlib.resources')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)


def _files(site: Path) -> int:
    return sum(1 for p in (site / "public").rglob("*") if p.is_file() and p.name != ".servicebook-build")


def _pages(site: Path) -> int:
    return sum(1 for p in (site / "public").rglob("*.html"))


STORE_KINDS = ("page", "catalog", "rendered", "search-postings", "search-words", "a move of servicebook.lock")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(STORE_KINDS) | st.sampled_from(["page:a", "1.p", "p#", "12"]) | st.text(max_size=8),
            st.text(max_size=90) | st.sampled_from(["a", "a:b", "#", "b", "1.p:x"]),
        ),
        min_size=2,
        max_size=12,
    )
)
def test_no_two_entries_of_the_store_share_a_name(pairs: list[tuple[str, str]]) -> None:
    # an entry is named by its kind and key (without hashing a key that is a digest already):
    # different kinds or keys never meet under one name, whatever either holds
    names = {_key(kind, key): (kind, key) for kind, key in pairs}
    assert len(names) == len(set(pairs))


def test_each_kind_of_entry_is_named_apart_and_read_back_under_its_own_kind(tmp_path) -> None:
    long_key = "k" * 200  # longer than a digest: named by a digest of it
    with Store(tmp_path / "store.sqlite") as store:
        store.put("page", "a:b", Entry("page a:b"))
        store.put("page:a", "b", Entry("page:a b"))
        store.put("catalog", long_key, Entry("long"))
        assert store.get("page", ["a:b"])["a:b"].data == "page a:b"
        assert store.get("page:a", ["b"])["b"].data == "page:a b"
        assert store.get("catalog", [long_key])[long_key].data == "long"
        assert store.get("page", [long_key]) == {} and not store.has("catalog", "k" * 199)


def test_pruning_drops_what_no_recent_build_used_without_comparing_every_entry(tmp_path) -> None:
    # The prune (cache/store.py) follows the `used` rows it deletes: its cost is what is dropped,
    # not a comparison of every entry with every row (20 ms a 5k serve rebuild); what it keeps
    # and drops is the policy's: this build's, the one before's and the last two releases'.
    path = tmp_path / "store.sqlite"
    statements: list[str] = []
    kept_by_release: list[str] = []
    for n in range(6):
        with Store(path) as store:
            assert store._db is not None
            store._db.set_trace_callback(statements.append)
            store.put("page", f"every build {n % 2}", Entry("[]"))  # two keys taking turns
            store.put("page", f"once {n}", Entry("[]"))
            if n == 1:
                store.put("rendered", "release", Entry("[]"))
                kept_by_release.append("release")
            elif n > 1:
                store.touch("rendered", kept_by_release)
            store.touch("page", [f"every build {(n + 1) % 2}"] if n else [])
            store.record(str(tmp_path / "out"), ["{}"], built_release=n == 1)
    db = sqlite3.connect(path)
    try:
        entries = {k for (k,) in db.execute("SELECT key FROM entries")}
        used = {k for (k,) in db.execute("SELECT key FROM used")}
    finally:
        db.close()
    expected = {_key(*name) for name in [("page", "every build 0"), ("page", "every build 1")]}
    # what the release build (the second) and every build since used stays while it is one of
    # the last two release builds; the first build's own page does not
    once = ("once 1", "once 2", "once 3", "once 4", "once 5")
    expected |= {_key("page", k) for k in once} | {_key("rendered", "release")}
    assert entries == used == expected
    assert not any("NOT IN" in s for s in statements)


def test_pruning_scans_the_used_rows_once_and_deletes_those_it_found_by_their_keys(tmp_path) -> None:
    # A prune's SELECT finds the `used` rows no recent build marked; the same transaction's
    # DELETE takes them by their keys, not by scanning the table with the SELECT's condition again
    # (~1.3 ms a serve rebuild at 20,000 pages); what is dropped is the same.
    path = tmp_path / "store.sqlite"
    statements: list[str] = []
    for n in range(4):
        with Store(path) as store:
            assert store._db is not None
            store._db.set_trace_callback(statements.append)
            store.put("page", f"once {n}", Entry("[]"))
            store.record(str(tmp_path / "out"), ["{}"], built_release=False)
    scans = [s for s in statements if "FROM used WHERE generation" in s]
    assert scans and all(s.startswith("SELECT key FROM used") for s in scans)
    assert any(s.startswith("DELETE FROM used WHERE key = ") for s in statements)
    db = sqlite3.connect(path)
    try:
        entries = {k for (k,) in db.execute("SELECT key FROM entries")}
        used = {k for (k,) in db.execute("SELECT key FROM used")}
    finally:
        db.close()
    assert entries == used == {_key("page", "once 2"), _key("page", "once 3")}


# Builds one after the other: (the keys each stores, the stored keys it uses, whether it is a
# rebuild in the `serve` process of the build before it, whether it built a release)
_BUILDS = [
    ("abcd", "", False, False),
    ("e", "abc", True, False),
    ("f", "abe", True, True),
    ("", "af", True, False),
    ("g", "f", False, False),  # another build (the command line): `serve`'s run of rebuilds ends
    ("h", "ag", False, False),  # `serve` started again
    ("", "ah", True, False),
    ("i", "g", True, False),
    ("", "", True, False),
    ("j", "i", True, False),
    ("", "j", False, False),
    ("k", "", False, False),
]


def _kept_after_each(path: Path, *, carry: bool, stored: bool = False) -> list[set[str]]:
    """What the store keeps after each of _BUILDS; with `carry`, `serve`'s rebuilds carry what their
    last build marked (Store.carry); with `stored`, every other build (the command line's) carries
    what the build before it marked as the store holds it (Store.carry_stored)."""
    kept: list[set[str]] = []
    last: tuple[int, object] | None = None
    for stores, uses, rebuild, release in _BUILDS:
        with Store(path) as store:
            if stored and not (carry and rebuild):
                store.carry_stored()
            elif carry:
                store.carry(last if rebuild else None)  # type: ignore[arg-type]
            store.touch("page", list(uses))
            for key in stores:
                store.put("page", key, Entry(key))
            store.record(str(path.parent / "out"), ["{}"], built_release=release)
            last = (store.generation, store.marked) if store.marked is not None else None  # (as `serve` keeps it)
        db = sqlite3.connect(path)
        try:
            kept.append({k for (k,) in db.execute("SELECT key FROM entries")})
        finally:
            db.close()
    return kept


def test_a_serve_rebuild_keeps_and_drops_what_any_build_does_without_moving_its_last_builds_rows(
    tmp_path,
) -> None:
    # A rebuild of `serve` neither marks again nor moves the rows of what its last build marked
    # (Store.carry: a 20,000-page site's ~25,000 rows were written again each rebuild to move
    # them to its generation); what pruning keeps after each build is what it keeps when every
    # build marks all it uses, across runs of rebuilds broken by other builds and a release.
    carried = _kept_after_each(tmp_path / "carried" / "store.sqlite", carry=True)
    marked = _kept_after_each(tmp_path / "marked" / "store.sqlite", carry=False)
    assert carried == marked
    assert [len(k) for k in marked] != [len(k) for k in marked[:1]] * len(marked)  # (pruning did drop some)


def test_a_command_line_build_keeps_and_drops_what_any_build_does_without_moving_the_rows_of_the_build_before(
    tmp_path,
) -> None:
    # A build of the command line carries what the build before it marked, read from the store
    # (Store.carry_stored: a one-page rebuild of 5,000 pages wrote ~5,400 rows again to move them
    # to its generation), between and after `serve`'s runs of rebuilds and a release: what pruning
    # keeps after each build is what it keeps when every build marks all it uses.
    carried = _kept_after_each(tmp_path / "carried" / "store.sqlite", carry=True, stored=True)
    stored = _kept_after_each(tmp_path / "stored" / "store.sqlite", carry=False, stored=True)
    marked = _kept_after_each(tmp_path / "marked" / "store.sqlite", carry=False)
    assert carried == marked
    assert stored == marked


def test_a_one_page_rebuild_from_the_command_line_writes_no_used_row_again_for_what_it_kept(run, tmp_path) -> None:
    """The store's rows of what the build before marked used and a command-line rebuild used again
    stay as they are (Store.carry_stored), not moved to its generation one by one: the pages' rows
    but the edited page's are as they were; each rebuild equals a build from nothing."""
    site = generated_site(tmp_path / "site", pages=60)

    def pages_rows() -> dict[str, int]:
        db = sqlite3.connect(store_file(site / ".servicebook-cache"))
        try:
            return dict(db.execute("SELECT key, generation FROM used WHERE key LIKE '4.page:%'").fetchall())
        finally:
            db.close()

    pages = len(list((site / "content").glob("*.md")))
    page = sorted((site / "content").glob("*.md"))[30]
    assert run("build", "--source", site).exit_code == 0
    for n in range(3):
        before = pages_rows()
        page.write_text(page.read_text() + f"\nSentence {n} added.\n")
        result = run("build", "--source", site)
        assert result.exit_code == 0, result.output
        after = pages_rows()
        # but the edited page's: its last text's row put back to the build before, its new text's made
        assert len(after) == pages + 1
        assert len([k for k, g in before.items() if after.get(k) == g]) == pages - 1
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def _large_manifest(pages: int) -> Manifest:
    outputs = {f"policies/p{n}/index.html": [1000 + n, 1764547200000000000 + n, 4000 + n] for n in range(2 * pages)}
    keys = {f"policies/p{n}/index.html": digest("key", str(n)) for n in range(pages)}
    sources = {f"content/policies/p{n}.md": [100, 1764547200000000000, 7 + n, digest(str(n)), 0] for n in range(pages)}
    return Manifest("inputs", [1, 2, 3], outputs, (), 2 * pages, pages, keys, sources, "published", "/site")


def test_a_manifest_is_stored_part_by_part_as_it_is_made_and_read_back_whole(tmp_path) -> None:
    manifest = _large_manifest(5000)
    whole = manifest.to_bytes()
    assert len(whole) > 4 * store_module._PART
    path = tmp_path / "store.sqlite"
    made: list[int] = []  # how many of the manifest's parts were made when each row was written

    def parts() -> Iterator[bytes]:
        for n, part in enumerate(manifest.parts()):
            made.append(n)
            yield part

    with Store(path) as store:
        assert store._db is not None
        rows: list[int] = []
        store._db.set_trace_callback(
            lambda s: rows.append(len(made)) if s.startswith("INSERT INTO manifests") else None
        )
        store.record(str(tmp_path / "out"), parts(), built_release=False)
    assert len(rows) > 4 and rows[0] < len(made)  # written while the rest was still to be made
    db = sqlite3.connect(path)
    try:
        longest = max(len(text) for (text,) in db.execute("SELECT text FROM manifests"))
    finally:
        db.close()
    assert longest < 2 * store_module._PART
    with Store(path) as store:
        assert store.manifest(str(tmp_path / "out")) == whole
        assert store.outputs() == [str(tmp_path / "out")]
    assert Manifest.from_bytes(whole) == manifest


def test_a_manifest_interrupted_while_it_is_made_is_not_recorded(tmp_path) -> None:
    path = tmp_path / "store.sqlite"
    out = str(tmp_path / "out")
    with Store(path) as store:
        store.record(out, ["{}"], built_release=False)

    def cut_short() -> Iterator[str]:
        yield from itertools.islice(_large_manifest(3000).parts(), 20)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), Store(path) as store:
        store.record(out, cut_short(), built_release=False)
    with Store(path) as store:
        assert store.manifest(out) is None


def test_a_store_whose_manifests_have_the_earlier_shape_is_emptied_and_used(tmp_path) -> None:
    path = tmp_path / "store.sqlite"
    out = str(tmp_path / "out")
    db = sqlite3.connect(path)  # as a servicebook of the same code with store schema 1 left it
    db.execute("CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO state VALUES ('format', ?)", (digest("store 1", code_digest()),))
    db.execute("CREATE TABLE manifests (output TEXT PRIMARY KEY, manifest TEXT NOT NULL)")
    db.execute("INSERT INTO manifests VALUES (?, '{}')", (out,))
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.usable
        assert store.manifest(out) is None
        store.record(out, ['{"a":', "1}"], built_release=False)
    with Store(path) as store:
        assert store.manifest(out) == '{"a":1}'


def _spare_recorded(site: Path) -> bool:
    """Whether the store holds a record of the spare (write.SpareRecord) for the site's public/."""
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        return (
            db.execute("SELECT 1 FROM entries WHERE key = ?", (_key("spare", str(site / "public")),)).fetchone()
            is not None
        )


def _edit(site: Path, note: str) -> None:
    page = site / "content" / "change-approval.md"
    page.write_text(page.read_text() + f"\n{note}\n")


def test_a_rebuild_from_the_command_line_does_not_list_the_spare_it_has_a_record_of(
    run, built, tmp_path, monkeypatch
) -> None:
    # A build records the spare it left (its folders' identities, where it differs from the
    # output); the next build, in another process, changes only what differs in it, without
    # listing it, as `serve` does with its own.
    from servicebook.site import write

    _edit(built, "A.")
    assert run("build", "--source", built).exit_code == 0  # the first with a spare: it is listed
    assert _spare_recorded(built)

    def listed(*_: object) -> None:
        raise AssertionError("the spare was listed")

    monkeypatch.setattr(write, "_prune", listed)
    for note in ("B.", "C."):
        _edit(built, note)
        result = run("build", "--source", built)
        assert result.exit_code == 0, result.output
        assert tree(built / "public") == clean_build(run, built, tmp_path)


def test_the_first_rebuild_after_a_build_from_nothing_does_not_list_the_spare_that_build_left(
    run, built, tmp_path, monkeypatch
) -> None:
    # A build from nothing leaves a spare of links to its own files (write._leave_spare) and
    # records it, its marker's change time after its folders', so the first rebuild after it
    # changes only what differs in the spare, as later rebuilds do, without listing it
    from servicebook.site import write

    assert _spare_recorded(built)

    def listed(*_: object) -> None:
        raise AssertionError("the spare was listed")

    monkeypatch.setattr(write, "_prune", listed)
    for note in ("A.", "B."):
        _edit(built, note)
        result = run("build", "--source", built)
        assert result.exit_code == 0, result.output
        assert tree(built / "public") == clean_build(run, built, tmp_path)


@pytest.mark.parametrize(
    "change",
    ["file-added-to-spare", "file-in-spare-replaced", "folder-added-to-spare", "file-added-to-public", "public-edited"],
)
def test_a_spare_changed_since_its_record_is_listed_and_nothing_of_the_change_is_published(
    run, built, tmp_path, change
) -> None:
    spare = built / ".servicebook-cache" / "build" / "public.spare"
    _edit(built, "A.")
    assert run("build", "--source", built).exit_code == 0
    _edit(built, "B.")
    assert run("build", "--source", built).exit_code == 0
    assert _spare_recorded(built)
    if change == "file-added-to-spare":
        (spare / "support" / "stray.html").write_bytes(b"<p>not ours</p>")
    elif change == "file-in-spare-replaced":
        # another file at the place of an unchanged page, and its folder's time put back: the
        # folder's change time still tells
        folder = spare / "support"
        times = folder.stat()
        (folder / "index.html").unlink()
        (folder / "index.html").write_bytes(b"<p>not ours</p>")
        os.utime(folder, ns=(times.st_atime_ns, times.st_mtime_ns))
    elif change == "folder-added-to-spare":
        (spare / "policies" / "stray").mkdir()
        (spare / "policies" / "stray" / "index.html").write_bytes(b"<p>not ours</p>")
    elif change == "file-added-to-public":  # in the spare after the next build
        (built / "public" / "support" / "stray.html").write_bytes(b"<p>not ours</p>")
        _edit(built, "C.")
        assert run("build", "--source", built).exit_code == 0
    elif change == "public-edited":  # in place: the spare's file is that file
        page = built / "public" / "support" / "index.html"
        with page.open("ab") as edited:
            edited.write(b"<!-- edited by hand -->")
    for note in ("D.", "E."):
        _edit(built, note)
        result = run("build", "--source", built)
        assert result.exit_code == 0, result.output
        assert tree(built / "public") == clean_build(run, built, tmp_path)


@pytest.mark.parametrize("change", ["title", "heading-and-a-link-to-it", "page-deleted", "page-added", "public-edited"])
def test_a_rebuild_from_the_spare_record_equals_a_clean_build(run, built, tmp_path, monkeypatch, change) -> None:
    # What a one-page rebuild decides that other pages show (a title, a heading another page
    # links to, a page gone or new) or that a hand changed, with the spare taken on its record
    from servicebook.site import write

    content = built / "content"
    handbook = content / "on-call-handbook.md"
    if change == "page-deleted":
        handbook.write_text("---\ntitle: On-call handbook\n---\n\n## Paging\n\nSee [approvals](change-approval.md).\n")
    _edit(built, "A.")
    assert run("build", "--source", built).exit_code == 0
    _edit(built, "B.")
    assert run("build", "--source", built).exit_code == 0
    assert _spare_recorded(built)

    def listed(*_: object) -> None:
        raise AssertionError("the spare was listed")

    monkeypatch.setattr(write, "_prune", listed)
    page = content / "change-approval.md"
    if change == "title":
        page.write_text(page.read_text().replace("title: ", "title: Revised ", 1))
    elif change == "heading-and-a-link-to-it":
        page.write_text(page.read_text() + "\n## Emergency changes\n\nAsk the on-call lead.\n")
        other = content / "error-budget-policy.md"
        other.write_text(other.read_text() + "\nSee [emergencies](change-approval.md#emergency-changes).\n")
    elif change == "page-deleted":
        handbook.unlink()
    elif change == "page-added":
        handbook.write_text("---\ntitle: On-call handbook\n---\n\n## Paging\n\nPage us.\n")
    elif change == "public-edited":
        (built / "public" / "support" / "index.html").write_bytes(b"<p>edited by hand</p>")
        _edit(built, "C.")
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    assert tree(built / "public") == clean_build(run, built, tmp_path)


def _placed(monkeypatch) -> list[str]:
    """The SHA-256 of each page's HTML that the build copies into its spool (load.BodySpool)."""
    from servicebook.site.load import BodySpool

    placed: list[str] = []
    place = BodySpool.place

    def recorded(self, html: bytes, html_sha256: str, refs: bytes = b"") -> tuple[int, ...]:
        placed.append(html_sha256)
        return place(self, html, html_sha256, refs)

    monkeypatch.setattr(BodySpool, "place", recorded)
    return placed


@pytest.mark.parametrize("change", ["body", "title", "page-added", "page-deleted"])
def test_a_one_page_rebuild_leaves_the_kept_pages_html_in_the_store(run, built, tmp_path, monkeypatch, change) -> None:
    # Every page is read back from the store, and the HTML of none but the one rendered again is
    # read, hashed or copied into the build's spool (buildcache.StoredHtml): it stays in the store
    # until something reads it. The output is a clean build's.
    content = built / "content"
    handbook = content / "on-call-handbook.md"
    if change == "page-deleted":
        handbook.write_text("---\ntitle: On-call handbook\n---\n\n## Paging\n\nSee [approvals](change-approval.md).\n")
        assert run("build", "--source", built).exit_code == 0
    page = content / "change-approval.md"
    if change == "body":
        page.write_text(page.read_text() + "\nOne more sentence.\n")
    elif change == "title":
        page.write_text(page.read_text().replace("title: ", "title: Revised ", 1))
    elif change == "page-added":
        handbook.write_text("---\ntitle: On-call handbook\n---\n\n## Paging\n\nPage us.\n")
    else:
        handbook.unlink()
    placed = _placed(monkeypatch)
    read: list[str] = []
    get_bytes = Store.get_bytes

    def whole(self, kind: str, keys: list[str]) -> dict[str, tuple[str, bytes, str, str]]:
        read.extend(keys if kind == "page" else ())
        return get_bytes(self, kind, keys)

    monkeypatch.setattr(Store, "get_bytes", whole)
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    assert not read
    if change in ("body", "title"):  # (a page added or deleted changes where links may lead: all read again)
        assert len(placed) == 1
    assert tree(built / "public") == clean_build(run, built, tmp_path)


def _layout_showing_another_page(site: Path) -> None:
    """A site's own policy.html that shows on each page another page's HTML (what `page.html`
    gives, whichever page it is)."""
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts" / "policy.html").write_text(
        '{% extends "theme/policy.html" %}{% block content %}{{ super() }}'
        "{% for other in view.pages if other.slug != page.slug %}{% if loop.first %}"
        '<aside data-from="{{ other.slug }}">{{ other.html|safe }}</aside>{% endif %}{% endfor %}{% endblock %}\n'
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_layout_showing_other_pages_html_reads_it_from_the_store(run, tmp_path, monkeypatch, workers: str) -> None:
    # A site's layouts may read any page's HTML: a page read back reads it from the store when
    # asked (in this process), or (in a worker forked to render many pages) from the spool it was
    # put in before the fork. Either way, the HTML the page was rendered with.
    monkeypatch.setenv("SERVICEBOOK_WORKERS", workers)
    site = generated_site(tmp_path / "site", pages=70)  # enough pages for workers to render them
    assert run("build", "--source", site).exit_code == 0
    _layout_showing_another_page(site)  # every policy page rendered again from the pages read back
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    shown = re.findall(rb'data-from="([^"]+)"', b"".join(tree(site / "public").values()))
    page = site / "content" / f"{max(set(shown), key=shown.count).decode()}.md"  # the page most others show
    page.write_text(page.read_text() + "\nShown on the other pages too.\n")
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    public = tree(site / "public")
    assert sum(b"Shown on the other pages too." in data for data in public.values()) > 2
    assert public == clean_build(run, site, tmp_path)


@pytest.mark.parametrize("where", ["altered in the store", "not in a worker's spool"])
def test_a_stored_pages_html_that_cannot_be_had_is_made_again_from_its_markdown(
    run, tmp_path, monkeypatch, where: str
) -> None:
    # A page read back keeps only the SHA-256 of its HTML: HTML found altered in the store when it
    # is read (its entry's checksum left as it was), or a worker that cannot read it (the store's
    # connection is not for forked processes), has the page's Markdown rendered again, which gives
    # the very HTML (its key covers its inputs). Never other bytes.
    from servicebook.site import buildcache

    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1" if where == "altered in the store" else "2")
    site = generated_site(tmp_path / "site", pages=70)
    assert run("build", "--source", site).exit_code == 0
    database = store_file(site / ".servicebook-cache")
    if where == "altered in the store":
        with sqlite3.connect(database) as db:
            key, html = db.execute("SELECT key, html FROM entries WHERE html LIKE '%<h2%' LIMIT 1").fetchone()
            db.execute("UPDATE entries SET html = ? WHERE key = ?", (html + "<p>Pay the bearer.</p>", key))
    else:
        monkeypatch.setattr(buildcache.StoredHtml, "spool_all", lambda self: None)
    _layout_showing_another_page(site)  # every page rendered again: the pages read back are read
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    public = tree(site / "public")
    assert b"Pay the bearer" not in b"".join(public.values())
    assert public == clean_build(run, site, tmp_path)
    if where == "altered in the store":
        assert "1 cache entry had been altered (page " in result.stderr


def test_a_stored_pages_html_that_cannot_be_had_nor_made_again_fails_the_build_and_publishes_nothing(
    run, tmp_path, monkeypatch
) -> None:
    from servicebook.site import buildcache, load

    monkeypatch.setenv("SERVICEBOOK_WORKERS", "2")
    site = generated_site(tmp_path / "site", pages=70)
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    _layout_showing_another_page(site)
    monkeypatch.setattr(buildcache.StoredHtml, "spool_all", lambda self: None)
    monkeypatch.setattr(load, "_html_again", lambda *_: None)
    result = run("build", "--source", site)
    assert result.exit_code != 0
    assert "is no longer in the cache store" in result.output
    assert tree(site / "public") == before


def _loaded_pages(monkeypatch) -> list[str]:
    """The slugs whose Markdown the builds from here on render (load._load_one), in one process."""
    from servicebook.site import load

    real, loaded = load._load_one, []
    monkeypatch.setattr(load, "_load_one", lambda universe, job: loaded.append(job[0]) or real(universe, job))
    return loaded


def test_adding_a_page_renders_only_the_new_page_and_equals_a_clean_build(run, tmp_path, monkeypatch) -> None:
    site = generated_site(tmp_path / "site", 30)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    assert run("build", "--source", site).exit_code == 0
    first = sorted((site / "content").glob("*.md"))[12]
    new = site / "content" / (first.stem + "a-added.md")
    new.write_text(first.read_text().replace("title: ", "title: Added ", 1))
    loaded = _loaded_pages(monkeypatch)
    result = run("build", "--source", site, "--verbose")
    assert result.exit_code == 0, result.output
    assert loaded == [new.stem]  # not every page because the list of pages changed
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_link_to_a_page_added_or_removed_is_judged_again(run, tmp_path, monkeypatch) -> None:
    """A page's stored result names the pages its links asked about: when one of them comes or
    goes, the page is rendered again (its link is broken, or no longer), not taken from the store."""
    site = generated_site(tmp_path / "site", 30)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    pages = sorted((site / "content").glob("*.md"))
    linking, target = pages[3], site / "content" / "policy-zz-later.md"
    linking.write_text(linking.read_text() + "\nSee [the later policy](policy-zz-later.md).\n")
    result = run("build", "--source", site)
    assert result.exit_code == 1 and "broken link: no page content/policy-zz-later.md" in result.output
    target.write_text(pages[5].read_text().replace("title: ", "title: Later ", 1))
    loaded = _loaded_pages(monkeypatch)
    assert run("build", "--source", site).exit_code == 0
    assert sorted(loaded) == sorted([linking.stem, target.stem])
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    loaded.clear()
    target.unlink()  # gone again: the link is broken again, and said so
    result = run("build", "--source", site)
    assert result.exit_code == 1 and "broken link: no page content/policy-zz-later.md" in result.output
    assert loaded == []  # the page as it was rendered with the page missing, from the store
    target.write_text(pages[5].read_text().replace("title: ", "title: Later ", 1))
    assert run("build", "--source", site).exit_code == 0
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def _keyed(monkeypatch) -> tuple[list[str], list[str], list[set[str]]]:
    """The policy pages whose key a build makes (pagekeys._policy_key, by path), the offering
    and tool views it writes out to key their pages (pagekeys.shown, by the view's kind), and
    the outputs each build kept as they were (BuildCache `reused`)."""
    from servicebook.site import pagekeys
    from servicebook.site.buildcache import BuildCache

    policies: list[str] = []
    views: list[str] = []
    kept: list[set[str]] = []
    real = BuildCache.for_output

    def spy(survey):  # type: ignore[no-untyped-def]
        cache = real(survey)
        kept.append(cache.reused)
        return cache

    monkeypatch.setattr(BuildCache, "for_output", staticmethod(spy))
    policy_key, shown = pagekeys._policy_key, pagekeys.shown

    def keyed(*args: object) -> str:
        policies.append(args[-1][0])  # type: ignore[index]  # `where`: (path, template, title, section)
        return policy_key(*args)  # type: ignore[arg-type]

    def written(value: object, memo: object = None) -> str:
        if type(value).__name__ in ("OfferingView", "ToolView"):
            views.append(type(value).__name__)
        return shown(value, memo)  # type: ignore[arg-type]

    monkeypatch.setattr(pagekeys, "_policy_key", keyed)
    monkeypatch.setattr(pagekeys, "shown", written)
    return policies, views, kept


@pytest.mark.parametrize("change", ["body", "title", "page-added", "offering-renamed", "catalog-spacing"])
def test_a_one_page_rebuild_from_the_command_line_keys_only_what_changed(
    run, built, tmp_path, monkeypatch, change
) -> None:
    # A command-line build keeps its answers for the policy pages and data files (fresh.KeptMemo)
    # in the store with the manifest (BuildCache.kept_memo): the next one asks the kept pages with
    # the last build's keys, a page told unchanged by the store key it was loaded under, and keys
    # again only what changed; the offering and tool pages' views are written out only when what
    # they are made from changed. The output is a clean build's every time.
    _edit(built, "A.")
    assert run("build", "--source", built).exit_code == 0  # (the first build's keys recorded)
    page = built / "content" / "change-approval.md"
    catalog = built / "catalog.yaml"
    if change == "body":
        page.write_text(page.read_text() + "\nOne more sentence.\n")
    elif change == "title":
        page.write_text(page.read_text().replace("title: ", "title: Revised ", 1))
    elif change == "page-added":
        (built / "content" / "on-call-handbook.md").write_text("---\ntitle: On-call handbook\n---\n\nPage us.\n")
    elif change == "offering-renamed":
        catalog.write_text(catalog.read_text().replace("name: CI/CD pipelines", "name: Build pipelines", 1))
    else:  # the catalog's bytes changed, not what it says
        catalog.write_text(catalog.read_text() + "\n")
    policies, views, kept = _keyed(monkeypatch)
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    edited = {"body": ["policies/change-approval/index.html"], "title": ["policies/change-approval/index.html"]}
    if change in edited:
        assert policies == edited[change]
    elif change == "page-added":
        assert policies == ["policies/on-call-handbook/index.html"]
    elif change == "catalog-spacing":
        assert policies == [] and views == []
    else:  # every policy page's key holds the offerings' names
        assert len(policies) == len(list((built / "content").glob("*.md")))
    viewed = {p.relative_to(built / "public").as_posix() for p in (built / "public").glob("[ot][fo]*/*/index.html")}
    assert viewed and all(p.startswith(("offerings/", "tools/")) for p in viewed)
    if change in ("body", "catalog-spacing"):  # what a view shows of a page (title, front matter) is the same
        assert views == [] and viewed <= kept[-1]  # (kept: keyed as the last build keyed them)
    assert tree(built / "public") == clean_build(run, built, tmp_path)
    # and the build after it, with nothing but another body edit
    policies.clear()
    _edit(built, "B.")
    assert run("build", "--source", built).exit_code == 0
    assert policies == ["policies/change-approval/index.html"]
    assert tree(built / "public") == clean_build(run, built, tmp_path)


@pytest.mark.parametrize("change", ["body", "title", "page-added"])
def test_a_one_page_rebuild_writes_out_only_the_parts_of_the_kept_memo_it_changed(
    run, tmp_path, monkeypatch, change
) -> None:
    # The store's record of the last build's keys (BuildCache.kept_memo) is in KEPT_PARTS parts by
    # a hash of the output's path: a one-page rebuild makes the text of the parts holding an
    # output whose entry changed (the edited page's, the data files that show it), not of every
    # part to find those. What it records is the whole memo all the same: the next build keys
    # the edited page alone, and each build's output is a clean build's.
    from servicebook.site import buildcache
    from servicebook.site.buildcache import KEPT_KIND, KEPT_PARTS

    site = generated_site(tmp_path / "site", 70)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    pages = sorted((site / "content").glob("*.md"))
    page = pages[10]
    assert run("build", "--source", site).exit_code == 0
    page.write_text(page.read_text() + "\nA.\n")
    assert run("build", "--source", site).exit_code == 0  # (the memo from the store's keys)
    output = str(site / "public")
    names = [_key(KEPT_KIND, f"{output}\0{n}") for n in range(KEPT_PARTS)]
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        stored = [row for name in names for row in db.execute("SELECT 1 FROM entries WHERE key = ?", (name,))]
    assert len(stored) > KEPT_PARTS // 2  # most parts hold an output
    made: list[object] = []
    text_of = buildcache._kept_part_text

    def spy(part: dict[str, tuple[str, str]]) -> str:
        made.append(part)
        return text_of(part)

    monkeypatch.setattr(buildcache, "_kept_part_text", spy)
    if change == "body":
        page.write_text(page.read_text() + "\nB.\n")
    elif change == "page-added":
        (site / "content" / "policy-zz-added.md").write_text(pages[5].read_text().replace("title: ", "title: New ", 1))
    else:
        page.write_text(page.read_text().replace("title: ", "title: Revised ", 1))
    assert run("build", "--source", site).exit_code == 0
    if change == "body":  # (a page added or retitled changes what many outputs are made from)
        assert 0 < len(made) <= 12  # (64 parts, 100-odd outputs: each changed output's part)
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    policies, _, _ = _keyed(monkeypatch)
    page.write_text(page.read_text() + "\nC.\n")
    assert run("build", "--source", site).exit_code == 0
    assert policies == [f"policies/{page.stem}/index.html"]
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_one_page_rebuild_asks_reuse_only_for_the_outputs_not_as_recorded(run, tmp_path, monkeypatch) -> None:
    # A command-line build asks for the outputs the kept memo has keys for in one pass
    # (BuildCache._reuse_checked: each file's key and identity against the last manifest's), and
    # asks `reuse` one by one only for the others: the edited page's, and a kept file altered in
    # the output, which is rendered again. The output is a clean build's.
    from servicebook.site.buildcache import BuildCache

    site = generated_site(tmp_path / "site", 70)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    pages = sorted((site / "content").glob("*.md"))
    assert run("build", "--source", site).exit_code == 0
    pages[10].write_text(pages[10].read_text() + "\nA.\n")
    assert run("build", "--source", site).exit_code == 0  # (the memo from the store's keys)
    asked: list[str] = []
    reuse = BuildCache.reuse

    def spy(self: BuildCache, path: str, key: str) -> str | None:
        asked.append(path)
        return reuse(self, path, key)

    monkeypatch.setattr(BuildCache, "reuse", spy)
    _, _, kept = _keyed(monkeypatch)
    pages[10].write_text(pages[10].read_text() + "\nB.\n")
    altered = site / "public" / "policies" / pages[30].stem / "index.html"
    altered.write_bytes(altered.read_bytes().replace(b"</body>", b"<p>Pay the bearer</p></body>"))
    assert run("build", "--source", site).exit_code == 0
    policies = {f"policies/{pages[10].stem}/index.html", f"policies/{pages[30].stem}/index.html"}
    assert len(kept[-1]) > 100 and {path for path in asked if path.startswith("policies/policy-")} == policies
    assert b"Pay the bearer" not in altered.read_bytes()
    assert tree(site / "public") == clean_build(run, site, tmp_path)


@pytest.mark.parametrize("damage", ["bytes", "shape", "keys", "gone"])
def test_a_kept_memo_that_is_damaged_or_wrong_never_keeps_a_changed_page(run, built, tmp_path, damage) -> None:
    # The store's record of the last build's keys (BuildCache.kept_memo, in parts) altered on
    # disk is not used (its checksum); one of another shape, forged with its checksum, is not used
    # either; one whose keys are not the last manifest's keeps nothing by them (BuildCache.reuse
    # checks each key against the manifest): those pages are then keyed as before, and the output
    # is a clean build's.
    from servicebook.site.buildcache import KEPT_KIND, KEPT_PARTS

    _edit(built, "A.")
    assert run("build", "--source", built).exit_code == 0
    database = store_file(built / ".servicebook-cache")
    output = str(built / "public")
    names = [_key(KEPT_KIND, name) for name in [output, *(f"{output}\0{n}" for n in range(KEPT_PARTS))]]
    with sqlite3.connect(database) as db:
        rows = [row for name in names for row in db.execute("SELECT key, data FROM entries WHERE key = ?", (name,))]
        assert len(rows) > 2  # what the outputs shared, and the outputs in parts
        for name, data in rows:
            memo = json.loads(data)
            if damage == "bytes":
                db.execute("UPDATE entries SET data = ? WHERE key = ?", (data.replace('"', "'", 3), name))
                continue
            if damage == "gone":
                db.execute("DELETE FROM entries WHERE key = ?", (name,))
                continue
            if isinstance(memo, dict):  # what they shared: left as it is
                continue
            if damage == "shape":
                memo[2] = memo[2][:-1]
            else:  # every output's key made another
                memo[2] = [digest(key) for key in memo[2]]
            altered = json.dumps(memo)
            db.execute(
                "UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (altered, checksum_of(altered, "", ""), name)
            )
    _edit(built, "B.")
    result = run("build", "--source", built)
    assert result.exit_code == 0, result.output
    if damage in ("bytes", "shape"):
        assert "altered" in result.stderr
    assert tree(built / "public") == clean_build(run, built, tmp_path)
    _edit(built, "C.")
    again = run("build", "--source", built)
    assert again.exit_code == 0 and "altered" not in again.stderr
    assert tree(built / "public") == clean_build(run, built, tmp_path)


_SHAPED = Manifest(
    "inputs", [1, 2, 3], {"index.html": [10, 20, 30]}, (), 1, 1, {"index.html": "key"},
    {"content/a.md": [1, 2, 3, "hash", 1]}, "published", "/site",
)  # fmt: skip


def _manifest_parts(data: bytes) -> tuple[list[object], list[bytes]]:
    """A manifest's bytes (Manifest.parts) as its JSON head and its columns."""
    from servicebook.site import fresh

    at = len(fresh._MANIFEST) + 4
    size = int.from_bytes(data[len(fresh._MANIFEST) : at], "little")
    head = json.loads(data[at : at + size])
    columns, at = [], at + size
    for n in head[-1]:
        columns.append(data[at : at + n])
        at += n
    return head, columns


def _manifest_of(head: list[object], columns: list[bytes]) -> bytes:
    from servicebook.site import fresh

    head = [*head[:-1], [len(c) for c in columns]]
    text = json.dumps(head).encode()
    return b"".join([fresh._MANIFEST, len(text).to_bytes(4, "little"), text, *columns])


def _spoiled(what: str) -> bytes:
    data = _SHAPED.to_bytes()
    head, columns = _manifest_parts(data)
    if what == "cut short":
        return data[:-1]
    if what == "one byte more":
        return data + b"x"
    if what == "a path twice":
        head[9] = [2, 1, 1]
        columns[0], columns[1] = b"index.html\0index.html", columns[1] * 2
    elif what == "more outputs counted than there are":
        head[9] = [2, 1, 1]
    elif what == "an identity one number short":
        columns[1] = columns[1][:-8]
    elif what == "a key longer than the keys' text":
        columns[4] = (4).to_bytes(8, "little", signed=True)
    elif what == "a key of a negative length":
        columns[3], columns[4] = b"", (-1).to_bytes(8, "little", signed=True)
    elif what == "a path not in UTF-8":
        columns[0] = b"index\xff.html"
    elif what == "a marker that is not numbers":
        head[1] = ["1", 2, 3]
    elif what == "a count that is not a number":
        head[3] = True
    elif what == "a column fewer":
        columns = columns[:-1]
    return _manifest_of(head, columns)


@pytest.mark.parametrize(
    "what",
    [
        "cut short",
        "one byte more",
        "a path twice",
        "more outputs counted than there are",
        "an identity one number short",
        "a key longer than the keys' text",
        "a key of a negative length",
        "a path not in UTF-8",
        "a marker that is not numbers",
        "a count that is not a number",
        "a column fewer",
    ],
)
def test_a_manifest_of_another_shape_is_no_manifest(what: str) -> None:
    """Its maps are read back as columns (fresh.Manifest.parts): paths, numbers, texts and their
    lengths, each counted. One whose counts or sizes do not add up, or whose head or texts are
    not what the build writes, is refused whole (the build then keeps nothing)."""
    from servicebook.site import fresh

    head, columns = _manifest_parts(_SHAPED.to_bytes())
    assert fresh._read_manifest(_manifest_of(head, columns)) == _SHAPED
    assert fresh._read_manifest(_spoiled(what)) is None


def test_a_manifest_recorded_as_json_by_an_earlier_servicebook_is_no_manifest() -> None:
    """The earlier manifests were JSON (one text): read as no manifest, so the build keeps nothing."""
    from servicebook.site import fresh

    recorded = json.dumps({"inputs": "inputs", "marker": [1, 2, 3], "outputs": {"index.html": [10, 20, 30]}})
    assert fresh._read_manifest(recorded) is None
    assert fresh._read_manifest(recorded.encode()) is None


def test_a_manifest_reads_back_the_texts_and_paths_it_was_made_of() -> None:
    """Keys hold any text (a footer's, after a line end: BuildCache.reuse_restamped), paths any
    character but NUL; each reads back as it was, numbers and hashes in their places."""
    keys = {"index.html": "k1\nfooter \u00e9 \0 \U0001f600", "a/b.html": "", "c.html": "k3"}
    sources = {"content/\u00e9.md": [5, 1764547200000000000, 9, "", 0], "catalog.yaml": [1, 2, 3, "h", 1]}
    outputs = {"index.html": [1, -2, 3], "a/b.html": [0, 0, 0]}
    made = Manifest("inputs", [1, 2, 3], outputs, (), 2, 2, keys, sources, "published", "/site", 1, ("1.0",))
    read = Manifest.from_bytes(made.to_bytes())
    assert read == made
    assert read is not None and list(read.keys) == list(keys) and list(read.sources) == list(sources)


def test_a_one_page_rebuild_reads_the_kept_pages_back_without_checking_the_shape_of_their_parts(
    run, tmp_path, monkeypatch
) -> None:
    # A command-line build checks each kept page's entry by its checksum (its data, its text and
    # the SHA-256 its page keeps of its HTML): one that matches is what the build that stored it
    # wrote, so its front matter and its links are taken as they are (buildcache._kept_page), not
    # checked field by field, which was most of reading 20,000 pages back. Only the edited page is
    # rendered; none is taken for damaged; the output is a clean build's.
    from servicebook.content.markdown import PackedRefs
    from servicebook.site import buildcache

    site = generated_site(tmp_path / "site", 30)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    assert run("build", "--source", site).exit_code == 0
    page = sorted((site / "content").glob("*.md"))[12]
    page.write_text(page.read_text() + "\nOne more sentence.\n")

    def checked(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kept page's parts checked again")

    monkeypatch.setattr(buildcache, "decode_page", checked)
    monkeypatch.setattr(buildcache, "_page_meta", checked)
    monkeypatch.setattr(PackedRefs, "from_text", checked)
    loaded = _loaded_pages(monkeypatch)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert "altered" not in result.stderr
    assert loaded == [page.stem]
    monkeypatch.undo()
    assert tree(site / "public") == clean_build(run, site, tmp_path)


@pytest.mark.parametrize("damage", ["title, checksum left", "shape, checksum forged", "not JSON, checksum forged"])
def test_a_kept_pages_data_altered_in_the_store_is_rendered_again_never_published(
    run, tmp_path, monkeypatch, damage: str
) -> None:
    # What a page's entry says of it (its title, its links, its headings) is taken as it is only
    # when the entry's checksum matches; otherwise, or when a forged checksum matches data that is
    # not what a build writes, the page is rendered again, with a warning, and never a traceback.
    site = generated_site(tmp_path / "site", 30)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    assert run("build", "--source", site).exit_code == 0
    database = store_file(site / ".servicebook-cache")
    with sqlite3.connect(database) as db:
        key, data, html, text = db.execute(
            "SELECT key, data, html, text FROM entries WHERE data LIKE '[[\"policy-%' LIMIT 1 OFFSET 3"
        ).fetchone()
        stored = json.loads(data)
        slug = stored[0][0]
        if damage.startswith("title"):
            stored[0][2]["title"] = "Pay the bearer"
            altered, new_checksum = json.dumps(stored, separators=(",", ":")), None
        else:
            if damage.startswith("shape"):
                stored[0][2] = ["Pay the bearer"]
                altered = json.dumps(stored, separators=(",", ":"))
            else:
                altered = data[:-1]
            new_checksum = checksum_of(altered, html, text)
        db.execute(
            "UPDATE entries SET data = ?, checksum = coalesce(?, checksum) WHERE key = ?", (altered, new_checksum, key)
        )
    page = sorted((site / "content").glob("*.md"))[20]
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    loaded = _loaded_pages(monkeypatch)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert sorted(loaded) == sorted({page.stem, slug})
    assert b"Pay the bearer" not in b"".join(tree(site / "public").values())
    warning = [line for line in result.stderr.splitlines() if "altered" in line]
    name = f"page {slug}" if damage.startswith("title") else "a page"
    assert warning == [f"{database}: warning: 1 cache entry had been altered ({name}): not used, made again"]
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_one_page_rebuild_holds_the_kept_pages_links_as_read_and_asks_each_name_once(
    run, tmp_path, monkeypatch
) -> None:
    # A command-line rebuild holds each kept page's links to headings as the text read from the
    # store (buildcache._kept_page), not copied into the spool, which only the edited page's go
    # into; and it tells whether the pages and files the kept pages asked about are there as they
    # were by each name asked once (load._Answers), not page by page (`_still`). The heading-link
    # check still reads the held links: a heading renamed has the kept page linking to it reported.
    from servicebook.site import load

    site = generated_site(tmp_path / "site", 30)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    assert run("build", "--source", site).exit_code == 0
    page = sorted((site / "content").glob("*.md"))[12]
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    spooled: list[str] = []
    real_refs = load.BodySpool.refs

    def refs(self, packed):  # type: ignore[no-untyped-def]
        if packed.text:
            spooled.append(packed.text)
        return real_refs(self, packed)

    def still(*args: object) -> bool:
        raise AssertionError("a kept page's names asked page by page")

    monkeypatch.setattr(load.BodySpool, "refs", refs)
    monkeypatch.setattr(load, "_still", still)
    asked: list[str] = []
    real_holds = load._holds
    monkeypatch.setattr(load, "_holds", lambda entry, universe: asked.append(entry) or real_holds(entry, universe))
    loaded = _loaded_pages(monkeypatch)
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert loaded == [page.stem]
    assert len(spooled) <= 1 and all(page.stem in text for text in spooled)  # the edited page's alone
    assert asked and len(asked) == len(set(asked))
    monkeypatch.undo()
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    # a heading another page links to renamed: the kept page that links to it is reported
    links = re.finditer(r"\]\((policy-[a-z0-9-]+)\.md#([a-z0-9-]+)\)", page.read_text())
    linked = next(link for link in links if link[1] != page.stem)
    target = site / "content" / f"{linked[1]}.md"
    heading = next(
        line
        for line in target.read_text().splitlines()
        if re.sub(r"[^a-z0-9]+", "-", line.lower()).strip("-") == linked[2]
    )
    target.write_text(target.read_text().replace(f"\n{heading}\n", f"\n{heading} renamed\n"))
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert f"{page.name}" in result.stderr and f"has no heading '#{linked[2]}'" in result.stderr


def test_a_pages_row_in_the_store_holds_its_html_after_what_a_rebuild_reads_of_it(tmp_path) -> None:
    # A one-page rebuild reads every kept page's data, text and checksum and none of their HTML
    # (Store.get_unchecked): SQLite reads a row's columns after a long one by walking that one's
    # overflow pages, so the HTML is the last column, and reading the others reads none of it.
    with Store(tmp_path / "store.sqlite") as store:
        store.put("page", "k", Entry("[1]", "<p>" + "x" * 50_000 + "</p>", "text"))
        store.commit()
        assert store.get_unchecked("page", ["k"])["k"][:2] == ("[1]", "text")
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
    assert columns[-1] == "html" and set(columns) == {"key", "data", "text", "checksum", "html"}


def test_a_kept_pages_outline_is_read_back_as_decode_page_reads_it_with_its_names_shared() -> None:
    """A kept page's outline (a site in git: the history's sections of every page) read back by a
    build of the command line (buildcache `_kept_sections`) equals the one `decode_page` reads
    (`_sections`), each anchor and title the one string the build's spool keeps of it, and is
    refused cut short or with a digest that is not a SHA-256."""
    digests = ["d1" * 32, "d2" * 32, "d3" * 32]
    stored = json.loads(
        json.dumps(["scope", "Scope", digests[0], "rules", "Rules", digests[1], "scope-1", "Scope", digests[2]])
    )
    assert stored[1] is not stored[7]  # (two strings, as JSON reads them)
    names: dict[str, str] = {}
    kept = _kept_sections(list(stored), names.setdefault)
    assert kept == _sections(stored)
    assert list(kept) == [
        ("scope", "Scope", b"\xd1" * 32),
        ("rules", "Rules", b"\xd2" * 32),
        ("scope-1", "Scope", b"\xd3" * 32),
    ]
    again = _kept_sections(json.loads(json.dumps(["rules-2", "Rules", "d4" * 32])), names.setdefault)
    assert again.names[1] is kept.names[3] and kept.names[1] is kept.names[5]  # one string each
    assert _kept_sections([], names.setdefault) is NO_OUTLINE
    with pytest.raises(ValueError, match="cut short"):
        _kept_sections(stored[:-1], names.setdefault)
    with pytest.raises(ValueError, match="SHA-256"):
        _kept_sections(["scope", "Scope", "d1" * 31], names.setdefault)
