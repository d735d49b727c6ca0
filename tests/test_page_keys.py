"""A rebuild renders again exactly the pages whose inputs changed (site/pagekeys.py): a change to
one catalog record, to the federation lock or to one policy page does not render every page again,
and the site is still byte for byte the one a clean build makes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import servicebook.site.build
from servicebook.catalog import model
from servicebook.catalog.basics import BuildInfo
from servicebook.git.history import load_timeline
from servicebook.git.repo import open_repo
from servicebook.git.versions import Release
from servicebook.site import pagekeys, render, templates
from servicebook.site.build import Options, build, gather
from servicebook.site.buildcache import BuildCache
from servicebook.site.changes import EntryView, HistoryView
from servicebook.site.fresh import PageMemory
from servicebook.site.stamps import (
    Footer,
    FooterTexts,
    _Catalog,
    _Name,
    _Names,
    _OfferingName,
    _Team,
    _ToolName,
    restamp,
)
from servicebook.site.views import site_view
from servicebook.site.write import Spooled

from .conftest import FIXED_EPOCH, GitSite
from .sitefiles import clean_build, generated_site, tree

ENV = {"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": "1"}
# what every page lists of the others: rendered again whenever the catalog changes
LISTS = {
    "index.html",
    "offerings/index.html",
    "tools/index.html",
    "policies/index.html",
    "slos/index.html",
    "support/index.html",
    "unsupported/index.html",
    "catalog/index.html",
    "search/index.html",
    "404.html",
    "changes/index.html",
}
# what an uncommitted edit of a policy page in a clean working tree (and its undoing) renders
# besides that page: the changes list and the pages that show the build (its stamp says
# uncommitted changes); every other list is kept with the new footer and its own "Last changed"
# filled in, as the offering, tool and policy pages are kept with the new footer
WORKING_TREE = {"index.html", "changes/index.html", "catalog/index.html", "versions/index.html"}
# what a commit of one policy page renders besides that page: those, and the policies list, where
# the page's "Last changed" is shown (the untagged release moving to the new commit changes no list:
# a list shows of the releases only that there are some)
COMMITTED = {"policies/index.html", *WORKING_TREE}


class Builds:
    """In-process builds of one site, saying which pages each rendered rather than kept."""

    def __init__(self, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.site = site
        self.caches: list[BuildCache] = []
        real = BuildCache.for_output

        def spy(survey):  # type: ignore[no-untyped-def]
            cache = real(survey)
            self.caches.append(cache)
            return cache

        monkeypatch.setattr(BuildCache, "for_output", staticmethod(spy))

    def cache_of(self, site: Path) -> BuildCache:
        """Builds `site` into its public/ and returns that build's cache (its keys, what it kept)."""
        self.caches.clear()
        build(Options(source=site, output=site / "public", env=ENV))
        (cache,) = self.caches
        return cache

    def rendered(self, suffix: str = ".html") -> set[str]:
        """The HTML pages the next build rendered (every other page was kept from the last one),
        or the files made by code with another `suffix`."""
        cache = self.cache_of(self.site)
        return {path for path in cache.keys if path.endswith(suffix) and path not in cache.reused}


@pytest.fixture
def builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Builds:
    site = generated_site(tmp_path / "site", pages=30)
    b = Builds(site, monkeypatch)
    assert len(b.rendered()) > 50  # the first build renders everything
    return b


def _is_policy_page(path: str) -> bool:
    return path.startswith("policies/") and not path.startswith("policies/index")


def _policies(site: Path, **meta: str) -> set[str]:
    """The policy pages whose front matter lists `offerings` or `tools` with this id."""
    found = set()
    for page in (site / "content").rglob("*.md"):
        front = page.read_text().split("---")[1]
        for field, ident in meta.items():
            if re.search(rf"^{field}:.*\b{re.escape(ident)}\b", front, re.M):
                found.add(f"policies/{page.relative_to(site / 'content').with_suffix('').as_posix()}/index.html")
    return found


def _offering_entry(site: Path, ident: str) -> tuple[str, int, int]:
    text = (site / "catalog.yaml").read_text()
    start = text.index(f"  - id: {ident}\n")
    end = text.find("\n  - id: ", start + 1)
    return text, start, end


def test_an_slo_objective_changed_renders_its_offering_page_and_the_lists_only(builds: Builds, tmp_path: Path) -> None:
    site = builds.site
    text, start, end = _offering_entry(site, "branch-queue-00001")
    entry = text[start:end]
    objective = re.search(r"objective: ([0-9.]+)", entry)
    assert objective is not None
    changed = entry.replace(objective[0], "objective: 97.5", 1)
    (site / "catalog.yaml").write_text(text[:start] + changed + text[end:])
    assert builds.rendered() == {"offerings/branch-queue-00001/index.html", *LISTS}
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)


def test_an_offering_renamed_renders_the_pages_that_name_it(builds: Builds, tmp_path: Path) -> None:
    site = builds.site
    text, start, end = _offering_entry(site, "branch-queue-00001")
    name = re.search(r"\n    name: (.*)\n", text[start:end])
    assert name is not None
    (site / "catalog.yaml").write_text(
        text[:start] + text[start:end].replace(name[0], "\n    name: Renamed\n", 1) + text[end:]
    )
    policies = _policies(site, offerings="branch-queue-00001")
    assert policies  # the generated site's pages apply to it
    rendered = builds.rendered()
    assert policies | {"offerings/branch-queue-00001/index.html"} | LISTS <= rendered
    untouched = {p for p in _all_policies(site) if p not in policies}
    assert untouched and not untouched & rendered  # the other policy pages were kept
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)


def test_a_lock_file_changed_renders_no_policy_page(builds: Builds) -> None:
    # servicebook.lock is a source of every build; an organisation site's members are read at the
    # commits it names. The policy pages show nothing of it, and are kept.
    site = builds.site
    (site / "servicebook.lock").write_text("# servicebook.lock: members at their commits\n")
    rendered = builds.rendered()
    assert not rendered & _all_policies(site)
    assert rendered <= LISTS


@pytest.mark.git
def test_in_a_git_repository_a_change_renders_the_pages_whose_history_it_enters(builds: Builds, tmp_path: Path) -> None:
    # Each page shows the newest change to its own subject, an offering's page its history: an
    # uncommitted SLO change enters the working tree's entry of the history, which the offering's
    # page and the lists show, not every page (the whole history was in every key before).
    site = builds.site
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    page = sorted((site / "content").rglob("*.md"))[3]
    page.write_text(page.read_text() + "\nAn uncommitted sentence.\n")
    builds.rendered()  # the first uncommitted change: every page's stamp says so
    text, start, end = _offering_entry(site, "branch-queue-00001")
    objective = re.search(r"objective: ([0-9.]+)", text[start:end])
    assert objective is not None
    (site / "catalog.yaml").write_text(
        text[:start] + text[start:end].replace(objective[0], "objective: 97.5", 1) + text[end:]
    )
    # versions/ is a list too (of the releases, and whether the working tree is one)
    assert builds.rendered() == {"offerings/branch-queue-00001/index.html", "versions/index.html", *LISTS}
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)


@pytest.mark.git
def test_a_new_commit_of_one_policy_page_renders_that_page_and_the_lists_not_every_page(
    builds: Builds, tmp_path: Path
) -> None:
    # The build's commit and date are on the pages that change with every build anyway (the home
    # page, the catalog on one page, the versions page); every other page shows its own "Last
    # changed", so a CI build of the next commit renders what the commit changed and the lists.
    site = builds.site
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    builds.rendered()
    first = sorted((site / "content").rglob("*.md"))[2]
    first.write_text(first.read_text() + "\nA committed sentence.\n")
    # the generated catalog's version is released at its newest commit (it has no release tags):
    # the entries of the commit this one follows lose the release's mark, and the pages listing them
    repo.commit("One more sentence")
    builds.rendered()
    page = sorted((site / "content").rglob("*.md"))[3]
    page.write_text(page.read_text() + "\nA committed sentence.\n")
    repo.commit("And another")
    slug = page.relative_to(site / "content").with_suffix("").as_posix()
    assert builds.rendered() == {f"policies/{slug}/index.html", *COMMITTED}
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
    # a commit that changes no source (a release's CHANGELOG, say) renders only the stamped pages
    (site / "NOTES.txt").write_text("Not a source of the site.\n")
    repo.commit("Notes")
    assert builds.rendered() == {"index.html", "catalog/index.html", "versions/index.html"}
    home = (site / "public/index.html").read_text()
    head = repo.git("rev-parse", "HEAD").strip()
    assert "built from commit" in home and f"<code>{head[:12]}</code>" in home
    policy = (site / f"public/policies/{slug}/index.html").read_text()
    assert "built from commit" not in policy and head[:12] not in policy
    assert "Last changed: " in policy
    # uncommitted changes are said on every page: nobody takes such a build for a published one
    page.write_text(page.read_text() + "\nAn uncommitted sentence.\n")
    builds.rendered()
    other = sorted((site / "content").rglob("*.md"))[5]
    kept = (site / "public/policies" / other.relative_to(site / "content").with_suffix("") / "index.html").read_text()
    assert "built from a working tree with uncommitted changes" in kept


@pytest.mark.git
@pytest.mark.parametrize("forge", [True, False], ids=["commit URL", "no repository"])
def test_a_commit_fills_the_lists_last_changed_into_them_and_renders_none_of_them_again(
    builds: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forge: bool
) -> None:
    # A list shows of the history its own "Last changed" (base.html), which for the policies
    # list is the newest change to any policy page: every commit that edits a page's body. Its
    # key leaves that out (stamps.Footer `changed`) and the new paragraph is filled into the kept
    # page, linked to the commit when the site has a repository, or to the working tree's entry
    # of uncommitted changes; the site is the one a build from nothing makes, byte for byte.
    site = builds.site
    if not forge:  # no repository: the commit is shown, not linked
        catalog = site / "catalog.yaml"
        text = catalog.read_text()
        line = "  repository: https://git.example.org/platform/catalog\n"
        assert text.count(line) == 1
        catalog.write_text(text.replace(line, ""))
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n/.servicebook-trash-*\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    repo.git("tag", "v2026.11")  # (an untagged release moves to every new commit: the lists show it)
    builds.rendered()
    listed = "policies/index.html"
    real = templates._render_page

    def render(env, spec, common, *args, **kwargs):  # type: ignore[no-untyped-def]
        # (a release's pages, under v/, are rendered from their release's sources)
        assert spec.path != listed or common["versioning"].current is not None, "the policies list rendered again"
        return real(env, spec, common, *args, **kwargs)

    page = sorted((site / "content").rglob("*.md"))[3]
    slug = page.relative_to(site / "content").with_suffix("").as_posix()
    before = (site / "public" / listed).read_text()
    for step in ("committed", "uncommitted", "committed again"):
        page.write_text(page.read_text() + f"\nA sentence, {step}.\n")
        if step != "uncommitted":
            repo.commit(f"A sentence, {step}")
        with monkeypatch.context() as patched:
            patched.setattr(templates, "_render_page", render)
            cache = builds.cache_of(site)
        assert listed in cache.restamped, step
        assert f"policies/{slug}/index.html" not in cache.reused | cache.restamped.keys()
        now = (site / "public" / listed).read_text()
        assert now != before
        before = now
        shown = re.findall(r'<p class="last-changed">.*</p>', now)
        assert len(shown) == 1
        if step == "uncommitted":
            assert "Last changed: uncommitted changes (working tree) · " in shown[0]
        else:
            head = repo.git("rev-parse", "HEAD").strip()
            linked = f'<a href="https://git.example.org/platform/catalog/commit/{head}"><code>{head[:7]}'
            assert (linked in shown[0]) is forge and head[:7] in shown[0]
        assert tree(site / "public") == clean_build(_cli(), site, tmp_path)


def test_a_lists_last_changed_is_not_filled_in_when_it_is_not_found_once_or_not_plain_text() -> None:
    # any doubt renders the page again: the old paragraph not found exactly once, or a value
    # that HTML escaping would change
    entry = ("a" * 40, "aaaaaaa", None, "2026-05-28 01:00 UTC", "changes/", "c-aaaaaaa")
    newer = ("b" * 40, "bbbbbbb", None, "2026-05-28 02:00 UTC", "changes/", "c-bbbbbbb")
    old, new = Footer("1", changed=entry), Footer("1", changed=newer)
    shown = old.last_changed("policies/index.html")
    assert shown == (
        '<p class="last-changed">Last changed: 2026-05-28 01:00 UTC in <code>aaaaaaa</code> · '
        '<a href="../changes/#c-aaaaaaa">what changed</a></p>'
    )
    page = f"<html>{shown}</html>".encode()
    filled = f"<html>{new.last_changed('policies/index.html')}</html>".encode()
    assert restamp(page, "policies/index.html", old, new) == filled
    assert restamp(page * 2, "policies/index.html", old, new) is None  # found twice
    assert restamp(b"<html></html>", "policies/index.html", old, new) is None  # not found
    assert restamp(page, "policies/index.html", old, Footer("1", changed=())) is None  # none shown now
    odd = Footer("1", changed=(*newer[:3], "2026-05-28 <b>", *newer[4:]))
    assert restamp(page, "policies/index.html", old, odd) is None
    assert Footer.read(new.text) == new and Footer.read(Footer("1", changed=()).text) == Footer("1", changed=())


@pytest.mark.git
@pytest.mark.parametrize("serve", [False, True], ids=["command line", "serve"])
def test_the_first_uncommitted_edit_fills_the_working_trees_footer_into_the_pages_it_keeps(
    builds: Builds, tmp_path: Path, serve: bool
) -> None:
    # Every page's footer says that a build of a commit has uncommitted changes, and (the
    # generated catalog's version being released at HEAD) that the catalog has changed since its
    # release, with a link to it: the first edit in a clean working tree changes every page's
    # bytes. The pages keyed by their own inputs are keyed without that footer (stamps.Footer): the
    # edited page, whose "Last changed" is now the working tree, and the lists are rendered again,
    # every other policy, offering and tool page is kept with the new footer filled in, and back.
    site = builds.site
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n/.servicebook-trash-*\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    memory = PageMemory() if serve else None

    def rendered_and_restamped(new_footer: bool = True) -> tuple[set[str], set[str]]:
        """The pages the next build rendered, and those it kept with another footer filled in
        (when the footer changes every page shows it: none is kept as it was)."""
        builds.caches.clear()
        build(Options(source=site, output=site / "public", env=ENV, memory=memory))
        (cache,) = builds.caches
        pages = {p for p in cache.keys if p.endswith(".html")}
        assert not pages & cache.reused if new_footer else not pages & cache.restamped.keys()
        # held from the render to the end of the write stage, no larger than a dict's keys (a set
        # of the 5,400 pages the first uncommitted edit restamps at 5k: 3.4 times as large)
        assert sys.getsizeof(cache.restamped) <= sys.getsizeof(dict.fromkeys(cache.restamped))
        # and the pages kept, no larger than a set made of them at once (added one by one, a set
        # has up to 4 times the slots: 1 MiB at 5k, at the top of a serve rebuild's memory); a
        # few data files, kept one by one (BuildCache.reuse), may have grown it so
        if len(cache.reused) >= 64:
            assert sys.getsizeof(cache.reused) <= sys.getsizeof(set(cache.reused))
        if memory is not None and memory.kept is not None and memory.kept.answered is not None:
            answered = memory.kept.answered.kept  # (held from one build to the next)
            assert len(answered) < 64 or sys.getsizeof(answered) <= sys.getsizeof(set(answered))
        return pages - cache.restamped.keys() - cache.reused, pages & cache.restamped.keys()

    try:
        rendered_and_restamped()
        page = sorted((site / "content").rglob("*.md"))[3]
        committed = page.read_text()
        slug = page.relative_to(site / "content").with_suffix("").as_posix()
        page.write_text(committed + "\nAn uncommitted sentence.\n")
        rendered, restamped = rendered_and_restamped()
        assert rendered == {f"policies/{slug}/index.html", *WORKING_TREE}
        assert {p.split("/")[0] for p in restamped} >= {"offerings", "tools", "policies"}
        assert restamped >= LISTS - WORKING_TREE  # the lists too: only their footer changed
        kept = (site / "public" / sorted(p for p in restamped if _is_policy_page(p))[0]).read_text()
        assert " · built from a working tree with uncommitted changes" in kept
        assert '<span class="unreleased">(with changes made after <a href="../../v/2026.11/">' in kept
        edited = (site / f"public/policies/{slug}/index.html").read_text()
        assert "Last changed: uncommitted changes (working tree)" in edited
        not_found = (site / "public/404.html").read_text()  # served at any depth: linked from the root
        assert '(with changes made after <a href="/v/2026.11/">its release</a>)' in not_found
        assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
        # a second edit renders that page only: the history's entry of the working tree and the
        # footer are as they were
        page.write_text(committed + "\nAn uncommitted sentence, and another.\n")
        rendered, _ = rendered_and_restamped(new_footer=False)
        assert rendered == {f"policies/{slug}/index.html"}
        assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
        # the working tree as committed again: the footer of a clean build filled back in
        page.write_text(committed)
        rendered, restamped = rendered_and_restamped()
        assert rendered == {f"policies/{slug}/index.html", *WORKING_TREE}
        assert {p.split("/")[0] for p in restamped} >= {"offerings", "tools", "policies"}
        assert restamped >= LISTS - WORKING_TREE
        not_found = (site / "public/404.html").read_text()  # served at any depth: linked from the root
        assert '<span class="unreleased">' not in not_found and "uncommitted" not in not_found
        assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
    finally:
        if memory is not None:
            memory.close()


@pytest.mark.git
@pytest.mark.parametrize("serve", [False, True], ids=["command line", "serve"])
def test_a_spooled_sites_first_uncommitted_edit_writes_each_page_it_fills_the_footer_into_as_it_is_made(
    builds: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serve: bool
) -> None:
    # A large site's pages go into the spool folder (build.SPOOL_FROM). The first uncommitted edit
    # fills the new footer into every offering, tool and policy page it keeps: each is written
    # there as it is made, and answered as its place (write.Spooled), so that the build never
    # holds every such page's bytes at once; the site is the one a build from nothing makes.
    monkeypatch.setattr(servicebook.site.build, "SPOOL_FROM", 0)
    answers: list[object] = []
    real = BuildCache.reuse_restamped

    def spy(self, path, key, footer, spool=None):  # type: ignore[no-untyped-def]
        answer = real(self, path, key, footer) if spool is None else real(self, path, key, footer, spool)
        if answer is not None and path in self.restamped:
            answers.append((answer, spool))
        return answer

    monkeypatch.setattr(BuildCache, "reuse_restamped", spy)
    site = builds.site
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n/.servicebook-trash-*\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    memory = PageMemory() if serve else None
    try:
        build(Options(source=site, output=site / "public", env=ENV, memory=memory))
        page = sorted((site / "content").rglob("*.md"))[3]
        page.write_text(page.read_text() + "\nAn uncommitted sentence.\n")
        answers.clear()
        build(Options(source=site, output=site / "public", env=ENV, memory=memory))
        assert len(answers) > 30  # every offering, tool and policy page but the edited one
        for answer, spool in answers:
            assert isinstance(answer, Spooled) and spool is not None
            assert answer.startswith(f"{spool}/")  # the page's own place in the spool folder
        assert not any(p.name.startswith(".public.new-") for p in site.iterdir())  # the spool is gone
        assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
    finally:
        if memory is not None:
            memory.close()


@pytest.mark.git
def test_the_first_uncommitted_edit_of_the_starter_site_renders_what_it_changes_and_says_so(tmp_path: Path) -> None:
    # A new user's first steps: `servicebook init`, a commit, a build, a line added to the welcome
    # page. Every page's footer then says that the build has uncommitted changes and (the starter
    # catalog's version being released at that commit) that the catalog has changed since its
    # release: it is filled into every page that shows nothing else of the edit, the lists among
    # them, and `build --verbose` names the edit as the reason of the pages it does change (its
    # "Last changed", the changes list, the pages that show the build). A second edit renders
    # the welcome page only.
    run = _cli()
    site = tmp_path / "site"
    assert run("init", site).exit_code == 0
    GitSite(site).commit("Start the catalog")
    assert run("build", "--source", site).exit_code == 0
    before = tree(site / "public")
    welcome = site / "content/welcome.md"
    welcome.write_text(welcome.read_text() + "One more line.\n")
    first = _rendered_again(run("build", "--source", site, "--verbose").output)
    after = tree(site / "public")
    assert after == clean_build(run, site, tmp_path)
    pages = {path for path in first if path.endswith(".html")}
    assert pages == {"policies/welcome/index.html", *WORKING_TREE}
    assert set(first.values()) == {"changed: content/welcome.md", "changed: content/welcome.md (its source)"}
    # each page rendered shows more of the edit than the footer; every other page only that
    # (but the policies list, kept with its own "Last changed" filled in too: see
    # test_a_commit_fills_the_lists_last_changed_into_them_and_renders_none_of_them_again)
    old, new = Footer("0.1"), Footer("0.1", "0.1", dirty=True)
    for path in (p for p in before if p.endswith(".html") and not p.startswith("v/")):
        if path != "policies/index.html":
            assert (restamp(before[path], path, old, new) == after[path]) is (path not in pages), path
    welcome.write_text(welcome.read_text() + "And another.\n")
    second = _rendered_again(run("build", "--source", site, "--verbose").output)
    assert {path for path in second if path.endswith(".html")} == {"policies/welcome/index.html"}
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def _rendered_again(output: str) -> dict[str, str]:
    """`build --verbose`'s list of the files it rendered again: path → the reason it gives."""
    listed = output.partition("Rendered again (")[2].splitlines()[1:]
    return dict(line.strip().split(": ", 1) for line in listed if line.startswith("  "))


@pytest.mark.git
def test_each_footer_filled_into_a_kept_page_is_the_one_a_build_from_nothing_renders(tmp_path: Path) -> None:
    # stamps.Footer spells base.html's footer from the version to the team's name: in every
    # state a build can be in (released or changed since, clean or with uncommitted changes, a
    # new version), a page of one state with the footer of another filled in is that state's page.
    site = generated_site(tmp_path / "site", pages=6)
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n/.servicebook-trash-*\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    edited = sorted((site / "content").glob("*.md"))[0]
    states: list[tuple[Footer, dict[str, bytes]]] = []

    def built(footer: Footer) -> None:
        states.append((footer, clean_build(_cli(), site, tmp_path / "builds")))

    built(Footer("2026.11"))  # released at HEAD (no tag: the newest commit that says it)
    edited.write_text(edited.read_text() + "\nAn uncommitted sentence.\n")
    built(Footer("2026.11", "2026.11", dirty=True))
    repo.git("tag", "v2026.11")
    repo.commit("A sentence after the release")
    built(Footer("2026.11", "2026.11"))
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace('version: "2026.11"', 'version: "2026.12"'))
    built(Footer("2026.12", None, dirty=True))
    # the pages whose own inputs no state changes: every policy page but the edited one, the tools
    same = [
        path
        for path in states[0][1]
        if (path.startswith("tools/") or path.startswith("policies/"))
        and path.endswith("/index.html")
        and path.count("/") == 2
        and edited.stem not in path
    ]
    assert len(same) > 10
    assert all(len({pages[path] for _, pages in states}) == len(states) for path in same)  # four footers
    memo: FooterTexts = {}  # as a build fills one footer into many pages
    for old, pages in states:
        for new, expected in states:
            for path in same:
                assert restamp(pages[path], path, old, new) == expected[path], (path, old, new)
                assert restamp(pages[path], path, old, new, memo) == expected[path], (path, old, new)
    assert restamp(states[0][1][same[0]], same[0], Footer("2026.10"), Footer("2026.11")) is None  # not its footer


def test_the_footer_filled_into_many_pages_is_each_pages_own_wherever_it_is() -> None:
    # The footer's texts are made once for the pages a build fills it into (stamps.restamp's memo)
    # and are the same on every page at one depth outside the releases' folder; a page in it, the
    # 404 page (which links from the site's root) and a page at the top each have their own.
    paths = [
        "policies/a/index.html",
        "tools/b/index.html",
        "offerings/index.html",
        "index.html",
        "404.html",
        "v/2026.10/index.html",
        "v/index.html",
        "policies/a/b/c/index.html",
        "policies/a/index.html",
    ]
    memo: FooterTexts = {}
    for root in ("/", "/catalog/"):  # a site's own: where its 404 page links from
        footers = [
            Footer("2026.11", not_found_root=root),
            Footer("2026.11", "2026.11", dirty=True, not_found_root=root),
            Footer("2026.11", "2026.11", not_found_root=root),
            Footer("2026.11", "2026.10", dirty=True, not_found_root=root),
        ]
        for old in footers:
            for new in footers:
                for path in paths:
                    page = f"<footer>{old.shown(path)}</footer>".encode()
                    made = restamp(page, path, old, new, memo)
                    assert made == f"<footer>{new.shown(path)}</footer>".encode(), (path, old, new)


@pytest.mark.git
@pytest.mark.parametrize("spool", [False, True], ids=["in memory", "spooled"])
def test_a_new_release_fills_its_version_into_the_pages_it_keeps_and_renders_none_of_them_again(
    builds: Builds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spool: bool
) -> None:
    # Every page shows the catalog's version (base.html: the head's meta and the footer), but the
    # pages keyed by their own inputs are keyed without it: a release that changes only the
    # version renders again the lists (the catalog changed) and the pages that show the build or
    # the releases, and fills the new version into every offering, tool and policy page it keeps
    # (into the spool folder, where a large site's rendered pages go, or in memory).
    monkeypatch.setattr(servicebook.site.build, "SPOOL_FROM", 0 if spool else 10**9)
    site = builds.site
    # and the replaced sites that are being removed beside public/ while git looks at the folder
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n/.servicebook-trash-*\n")
    repo = GitSite(site)
    repo.commit("The generated catalog")
    builds.rendered()
    catalog = site / "catalog.yaml"
    assert catalog.read_text().count('version: "2026.11"') == 1
    catalog.write_text(catalog.read_text().replace('version: "2026.11"', 'version: "2026.12"'))
    repo.commit("Release 2026.12")
    cache = builds.cache_of(site)
    rendered = {p for p in cache.keys if p.endswith(".html") and p not in cache.reused | cache.restamped.keys()}
    assert rendered == {"versions/index.html", *LISTS}
    assert {p.split("/")[0] for p in cache.restamped} == {"offerings", "tools", "policies"}
    assert not cache.reused & {p for p in cache.keys if p.endswith(".html")}  # every page shows the version
    kept = (site / "public" / sorted(cache.restamped)[0]).read_text()
    assert '<strong class="catalog-version">2026.12</strong>' in kept and 'content="2026.12"' in kept
    assert 'content="2026.11"' not in kept and ">2026.11<" not in kept
    assert sorted(p.name for p in (site / "public/v").iterdir()) == ["2026.11", "2026.12"]
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
    # the next build, of the same version, keeps every one of them as it is
    (site / "NOTES.txt").write_text("Not a source of the site.\n")
    repo.commit("Notes")
    assert builds.rendered() == {"index.html", "catalog/index.html", "versions/index.html"}


@pytest.mark.git
@pytest.mark.slow
def test_a_committed_lock_move_on_the_example_organisation_renders_that_members_pages_and_the_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make org-site`'s organisation, its own repository: a member's new commit, taken in by
    # `federate update` and committed, renders that member's pages that show it and the lists, not
    # the organisation's other pages (every page showed the build's commit before).
    script = Path(__file__).parent.parent / "examples/org/build-org-site.sh"
    servicebook = Path(sys.executable).parent / "servicebook"
    done = subprocess.run(
        ["sh", str(script), str(tmp_path)],
        env={**os.environ, "SERVICEBOOK": str(servicebook)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    org = tmp_path / "org"
    (org / ".gitignore").write_text("/public/\n/.servicebook-cache/\n")
    repo = GitSite(org)
    repo.commit("The organisation's catalog")
    builds = Builds(org, monkeypatch)
    every = builds.rendered()
    member = tmp_path / "db-team"  # the member's own repository, as the script made it
    catalog = member / "catalog.yaml"
    # the organisation's catalog version is released at its newest commit (it has no release
    # tags): the first move takes the release's mark from the first commit, which added every
    # offering and tool, so their pages change; the second shows what a lock move costs
    for objective in ("99.9", "99.8"):
        catalog.write_text(re.sub(r"objective: 99\.[0-9]+", f"objective: {objective}", catalog.read_text(), count=1))
        subprocess.run(
            ["git", "-c", "user.name=DB", "-c", "user.email=db@example.com", "commit", "-qam", "Lower availability"],
            cwd=member,
            env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
            check=True,
        )
        assert _cli()("federate", "update", "--source", org, "db-team").exit_code == 0
        repo.commit(f"Move db-team's lock: availability {objective} %")
        rendered = builds.rendered()
    assert "offerings/db-team/postgres/index.html" in rendered
    listed = {
        p for p in every if p.startswith(("offerings/", "tools/", "policies/")) and p.split("/")[1] != "index.html"
    }
    assert rendered & listed == {"offerings/db-team/postgres/index.html"}  # and its lists
    # the Teams page lists every member's commit; a team's page shows only its own member
    assert {"teams/index.html", "teams/db-team/index.html"} <= rendered
    assert "teams/network-team/index.html" in every and "teams/network-team/index.html" not in rendered
    others = {p for p in listed if "db-team" not in p}
    assert len(others) > 50 and not others & rendered
    assert len(rendered) < len(every) / 4
    # every page rendered afresh (the store is copied too: it holds the members read at the lock)
    fresh = tmp_path / "fresh"
    shutil.copytree(org, fresh, ignore=shutil.ignore_patterns("public", "build"))
    assert _cli()("build", "--source", fresh).exit_code == 0
    assert tree(org / "public") == tree(fresh / "public")


def test_one_policy_page_edited_renders_that_page_only(builds: Builds, tmp_path: Path) -> None:
    site = builds.site
    page = sorted((site / "content").rglob("*.md"))[3]
    page.write_text(page.read_text() + "\nOne more sentence.\n")
    slug = page.relative_to(site / "content").with_suffix("").as_posix()
    assert builds.rendered() == {f"policies/{slug}/index.html"}
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)
    # of the search index's text fragments, one a page, only the edited page's is made again
    page.write_text(page.read_text() + "\nAnd another.\n")
    made = builds.rendered(".json")
    assert len([p for p in made if p.startswith("search/t/")]) == 1
    assert len(list((site / "public" / "search" / "t").iterdir())) == 30
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)


def test_a_heading_added_makes_that_pages_text_fragment_again_not_every_pages(builds: Builds, tmp_path: Path) -> None:
    # every list shows the pages' headings, so the lists render again; of the search index's text
    # fragments, each made from its own page's HTML only, just the edited page's is made again
    site = builds.site
    page = sorted((site / "content").rglob("*.md"))[5]
    page.write_text(page.read_text() + "\n## A heading renamed\n\nIts section.\n")
    made = builds.rendered(".json")
    fragments = [p for p in made if p.startswith("search/t/")]
    assert len(fragments) == 1
    assert "renamed" in (site / "public" / fragments[0]).read_text()
    assert "schema.json" not in made  # made from the code only
    assert len(list((site / "public" / "search" / "t").iterdir())) == 30
    assert tree(site / "public") == clean_build(_cli(), site, tmp_path)


def test_a_site_with_its_own_layouts_renders_every_page_when_the_catalog_changes(builds: Builds) -> None:
    site = builds.site
    (site / "layouts").mkdir()
    (site / "layouts" / "policy.html").write_text('{% extends "theme/policy.html" %}\n')
    builds.rendered()
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text() + "\n")
    assert _all_policies(site) <= builds.rendered()


@pytest.mark.git
def test_policy_offering_and_tool_pages_read_no_more_of_the_history_than_their_keys(site_copy) -> None:
    # The history as pagekeys.py sees it: of each entry, where it is listed, its commit, date and
    # releases, and of an entity's events, their author, contributors and changes. Pages rendered
    # from a history holding only that are the pages rendered from the whole history.
    site = site_copy("example")
    (site / ".gitignore").write_text("/public/\n/.servicebook-cache/\n")
    repo = GitSite(site)
    repo.commit("The example catalog")
    catalog = site / "catalog.yaml"
    catalog.write_text(re.sub(r"objective: ([0-9.]+)", "objective: 97", catalog.read_text(), count=3))
    page = sorted((site / "content").glob("*.md"))[0]
    page.write_text(page.read_text() + "\nA committed sentence.\n")
    repo.commit("Lower three objectives")
    catalog.write_text(catalog.read_text().replace("status: unsupported", "status: deprecated", 1))
    loaded, _ = gather(Options(source=site, output=site / "public", env=ENV))
    assert loaded.site is not None
    timeline = load_timeline(open_repo(site), loaded.site.build, outlines=loaded.outlines)
    view = site_view(loaded.site)
    common = {**render._common_context(view), "versioning": templates.VersionContext(), "source_prefix": ""}
    full = render._history(timeline, common)
    assert full is not None and full.events
    env = templates.environment(None)

    def bare(entry: EntryView) -> EntryView:  # what a key holds of an entry, the rest blanked
        return dataclasses.replace(
            entry,
            author="",
            iso="",
            message="",
            merge=False,
            state="",
            errors=0,
            changes=(),
            weakened=0,
            contributors=(),
        )

    checked = 0
    for spec in render.page_specs(view, full):
        if spec.template not in ("policy.html", "offering.html", "tool.html"):
            continue
        subject = {"offering.html": "offering:{}", "tool.html": "tool:{}"}.get(spec.template, "")
        ident = (
            spec.context["o"].offering.id
            if "o" in spec.context
            else spec.context["t"].tool.id
            if "t" in spec.context
            else ""
        )
        events = full.history_of(subject.format(ident)) if subject else ()
        last = full.last_changed(spec.path)
        narrowed = HistoryView(
            full.available,
            full.shallow,
            (),
            {
                subject.format(ident): tuple(
                    dataclasses.replace(
                        e,
                        entry=dataclasses.replace(
                            bare(e.entry), author=e.entry.author, contributors=e.entry.contributors
                        ),
                    )
                    for e in events
                )
            }
            if subject
            else {},
        )
        narrow = {
            **common,
            "history": narrowed,
            # "Last changed" shows no release marks (the current version's moves to each new commit)
            "last_changed_for": lambda _p, last=last: (
                None if last is None else dataclasses.replace(bare(last), releases=())
            ),
        }
        layouts = site / "layouts"
        assert templates._render_page(env, spec, narrow, layouts) == templates._render_page(
            env, spec, common, layouts
        ), spec.path
        checked += bool(events)
    assert checked  # some page had a history to show


def _stamp(view, build: BuildInfo) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the render context holds of `build` (render._common_context), for the view's site."""
    made = render._common_context(dataclasses.replace(view, site=dataclasses.replace(view.site, build=build)))
    return {k: made[k] for k in ("build", "short_commit", "commit_url", "built_on", "published_on")}


def _all_policies(site: Path) -> set[str]:
    return {
        f"policies/{p.relative_to(site / 'content').with_suffix('').as_posix()}/index.html"
        for p in (site / "content").rglob("*.md")
    }


def _cli():  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from servicebook.cli import main

    return lambda *args: CliRunner().invoke(main, [str(a) for a in args], env=ENV, catch_exceptions=False)


@pytest.mark.parametrize("fixture", ["example", "generated"])
def test_policy_offering_and_tool_pages_read_nothing_their_keys_leave_out(site_copy, tmp_path, fixture) -> None:
    # Each page is rendered again from a context that holds only what pagekeys.py puts in its
    # key: of the catalog, the site's settings, the version and the team's name; of the site
    # view, the names of the offerings and tools a policy page applies to, and nothing for the
    # others (their own view is in their key). A template that reads more fails or differs here.
    site = site_copy("example") if fixture == "example" else generated_site(tmp_path / "generated", pages=12)
    loaded, _ = gather(Options(source=site, output=site / "public", env=ENV))
    assert loaded.site is not None
    view = site_view(loaded.site)
    # the policy pages that offering and tool pages list, as their keys see them: no body
    blank = [dataclasses.replace(p, body="", text="", headings=(), html_sha256="") for p in loaded.site.pages]
    listing = site_view(dataclasses.replace(loaded.site, pages=tuple(blank)))
    catalog = loaded.site.catalog
    common = {**render._common_context(view), "versioning": templates.VersionContext(), "source_prefix": ""}
    render._history(None, common)
    env = templates.environment(None)
    narrow_catalog = _Catalog(catalog.site, _Team(catalog.team.name), catalog.version)
    names = {o.id: o.name for o in catalog.offerings}
    tool_names = {t.id: t.name for t in catalog.tools}
    # of the build, the keys hold whether it is of a commit and has uncommitted changes: these pages
    # are the same whichever commit and date the build has
    built = loaded.site.build
    common |= _stamp(view, dataclasses.replace(built, commit="a" * 40, date=dt.datetime(2026, 5, 1, tzinfo=dt.UTC)))
    other_build = _stamp(view, dataclasses.replace(built, commit="b" * 40, date=dt.datetime(2027, 1, 2, tzinfo=dt.UTC)))
    # of the releases, whether there are any: not which, nor where (a version's release without a
    # tag moves to each new commit that carries it)
    release = Release(catalog.version, "a" * 40, dt.datetime(2026, 5, 1, tzinfo=dt.UTC), None)
    common["versioning"] = templates.VersionContext(releases=(release,))
    moved = dataclasses.replace(release, commit="b" * 40, date=dt.datetime(2027, 1, 2, tzinfo=dt.UTC))
    other_build["versioning"] = templates.VersionContext(releases=(moved,), summaries={catalog.version: "Moved."})
    checked = set()
    for spec, seen in zip(render.page_specs(view), render.page_specs(listing), strict=True):
        if spec.template not in ("policy.html", "offering.html", "tool.html", "moved.html"):
            continue
        seen_spec = spec if spec.template == "policy.html" else seen
        listed = _Names({}, {})
        if isinstance(page := spec.context.get("page"), model.Page):
            listed = _Names(
                {i: _OfferingName(_Name(names[i])) for i in page.meta.offerings},
                {i: _ToolName(_Name(tool_names[i])) for i in page.meta.tools},
            )
        narrow = {**common, **other_build, "view": listed, "catalog": narrow_catalog}
        layouts = site / "layouts"
        narrowed = templates._render_page(env, seen_spec, narrow, layouts)
        assert narrowed == templates._render_page(env, spec, common, layouts)
        checked.add(spec.template)
    assert {"policy.html", "offering.html", "tool.html"} <= checked


@pytest.mark.parametrize("text", ["5", "null", '["1.0", null]', '["1.0", null, "yes"]', "not json"])
def test_a_recorded_footer_of_another_shape_reads_as_none(text: str) -> None:
    # read back from the store, where an earlier servicebook (or anyone) may have left anything
    assert Footer.read(text) is None


def test_a_recorded_footer_reads_back_as_it_was() -> None:
    footer = Footer("2026.11", "2026.10", dirty=True)
    assert Footer.read(footer.text) == footer


def test_no_function_inside_reuse_keys_binds_a_name_reuse_keys_binds() -> None:
    # such a name (a walrus, an assignment) hides the outer one in the whole inner function: a
    # read of it before the assignment fails, and a later edit that means the outer one takes
    # the inner (a first version of the kept keys was caught by `viewed`)
    import symtable

    module = symtable.symtable(Path(pagekeys.__file__).read_text(), pagekeys.__file__, "exec")
    (outer,) = [table for table in module.get_children() if table.get_name() == "reuse_keys"]
    bound = {s.get_name() for s in outer.get_symbols() if s.is_local()}
    for inner in outer.get_children():
        own = {s.get_name() for s in inner.get_symbols() if s.is_local() and not s.is_parameter()}
        assert not own & bound, f"reuse_keys.{inner.get_name()} binds {sorted(own & bound)}"
