"""Releases from git are published under v/<version>/, indexed, bannered and verifiable."""

from __future__ import annotations

import ast
import json
import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from servicebook.cache.folder import flat_name
from servicebook.cache.store import read_stamp, store_file
from servicebook.catalog.read import CatalogRead
from servicebook.catalog.records import RecordCache
from servicebook.cli import main
from servicebook.git.versions import Candidate, Note, Tag, names_version, outcome_notes, select_releases
from servicebook.site import fresh
from servicebook.site.links import check_links
from servicebook.site.releases import COMPLETE, INPUTS
from servicebook.site.search.files import _text_file
from servicebook.source.yaml import SourceText

from .conftest import FIXED_EPOCH, SITES, GitSite, catalog_at
from .searchstages import patch_stage

pytestmark = pytest.mark.git


def _repo(root: Path) -> GitSite:
    root.mkdir(parents=True, exist_ok=True)
    return GitSite(root)


@pytest.fixture(scope="module")
def built(_three_releases: GitSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three releases built once, as `run` builds them, for the tests that only read what it
    built (its public/)."""
    site = _three_releases.copy_to(tmp_path_factory.mktemp("built") / "site")
    result = CliRunner().invoke(
        main, ["build", "--source", str(site.root)], env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return site.root / "public"


def test_each_release_is_published_under_its_version(built: Path) -> None:
    public = built
    assert sorted(p.name for p in (public / "v").iterdir()) == ["1.0", "1.1", "2.0"]
    assert "artifacts" not in (public / "v/1.0/catalog.json").read_text()
    assert (public / "v/1.1/offerings/artifacts/index.html").exists()
    assert "A later edit, still 1.1." in (public / "v/1.1/policies/welcome/index.html").read_text()
    assert "99.9 %" in (public / "v/2.0/offerings/ci/index.html").read_text()


def test_versions_index_is_mike_compatible_newest_first(built: Path) -> None:
    index = json.loads((built / "versions.json").read_text())
    assert [(v["version"], v["title"], v["aliases"], v["tag"]) for v in index] == [
        ("2.0", "2.0", ["latest"], "v2.0"),
        ("1.1", "1.1", [], None),
        ("1.0", "1.0", [], "v1.0"),
    ]
    assert [v["path"] for v in index] == ["v/2.0/", "v/1.1/", "v/1.0/"]


def test_versions_page_lists_releases_with_what_changed(built: Path) -> None:
    html = (built / "versions/index.html").read_text()
    assert html.index('id="v-2.0"') < html.index('id="v-1.1"') < html.index('id="v-1.0"')
    # 1.1 (its last commit) added an offering and changed the welcome page's text, nothing else of it
    row = {v: html.split(f'id="v-{v}"', 1)[1].split("</tr>", 1)[0] for v in ("1.0", "1.1", "2.0")}
    assert "<td>Offering “Artifact registry” (artifacts) added: ga, tier 2; 1 policy page changed.</td>" in row["1.1"]
    assert "First release." in row["1.0"]
    assert "<td>SLO “Pipeline availability” of “CI pipelines” raised from 99.5 % to 99.9 %" in row["2.0"]


def test_a_release_summary_names_weakened_commitments_first_in_the_diffs_words(run, repo: GitSite) -> None:
    """versions/ said "1 offering changed"; an auditor needs what changed, weakened first."""
    text = catalog_at("3.0", extra_offering=True).replace("objective: 99.5", "objective: 99")
    repo.write("catalog.yaml", text.replace("name: Artifact registry", "name: Artifact store"))
    repo.commit("Lower the CI objective; rename the registry")
    repo.tag("v3.0")
    run("build", "--source", repo.root)
    html = (repo.root / "public/versions/index.html").read_text()
    row = html.split('id="v-3.0"', 1)[1].split("</tr>", 1)[0]
    summary = row.split("<td>")[-1].split("</td>")[0]
    assert summary.startswith(
        "Weakens a commitment: SLO “Pipeline availability” of “CI pipelines” lowered from 99.9 % to 99 %"
    )
    assert "Artifact store" in summary and summary.index("Artifact store") > summary.index("Weakens")
    assert "Catalog version" not in summary


def test_archived_pages_carry_a_banner_and_the_current_site_does_not(built: Path) -> None:
    public = built
    old = (public / "v/1.0/offerings/ci/index.html").read_text()
    assert "You are reading <strong>version 1.0</strong> of this catalog" in old
    assert '<a class="to-current" href="../../../../">read the current catalog</a>' in old
    home = (public / "v/1.0/index.html").read_text()
    assert '<a class="to-current" href="../../">read the current catalog</a>' in home
    assert 'data-root="../../" data-version="1.0"' in home
    current = (public / "offerings/ci/index.html").read_text()
    assert "You are reading" not in current
    assert 'data-version="" data-path="offerings/ci/index.html"' in current


def test_switcher_data_tells_which_versions_have_a_page(built: Path) -> None:
    pages = json.loads((built / "versions/pages.json").read_text())
    assert "offerings/artifacts/index.html" not in pages["1.0"]
    assert "offerings/artifacts/index.html" in pages["1.1"]
    assert "offerings/artifacts/index.html" in pages[""]
    assert "versions/index.html" in pages[""]
    # a release's changes page only sends readers on to the root's: the switcher does not offer it
    assert "changes/index.html" in pages[""] and "changes/index.html" not in pages["1.0"]


def test_release_output_depends_only_on_its_commit(run, repo: GitSite, tmp_path: Path) -> None:
    run("build", "--source", repo.root)
    first = (repo.root / "public/v/1.0/offerings/ci/index.html").read_bytes()
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    repo.commit("Another release")
    shutil.rmtree(repo.root / ".servicebook-cache")
    assert run("build", "--source", repo.root).exit_code == 0
    assert (repo.root / "public/v/1.0/offerings/ci/index.html").read_bytes() == first
    assert (repo.root / "public/v/3.0").is_dir()


def test_verify_accepts_an_untouched_site_and_catches_a_tampered_file(run, repo: GitSite) -> None:
    run("build", "--source", repo.root)
    ok = run("verify", "--source", repo.root)
    assert ok.exit_code == 0, ok.output
    head = repo.git("rev-parse", "HEAD").strip()[:12]
    assert ok.output.strip() == (
        f"Verified the current catalog and 3 release(s) (2.0, 1.1, 1.0) against a rebuild of commit {head}: "
        "every file matches a rebuild."
    )
    page = repo.root / "public/v/1.1/support/index.html"
    page.write_text(page.read_text().replace("30 min", "4 h"))
    bad = run("verify", "--source", repo.root, "--version", "1.1")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[0] == "error: v/1.1/support/index.html: differs from a rebuild"


def test_tampering_with_published_output_does_not_poison_the_cache(run, repo: GitSite) -> None:
    run("build", "--source", repo.root)
    page = repo.root / "public/v/1.0/index.html"
    original = page.read_bytes()
    with page.open("ab") as handle:  # an in-place edit reaches the cache through the hard link
        handle.write(b"<!-- tampered -->")
    assert run("build", "--source", repo.root).exit_code == 0
    assert (repo.root / "public/v/1.0/index.html").read_bytes() == original


def test_unreadable_release_is_reported_not_dropped(run, repo: GitSite) -> None:
    repo.write("catalog.yaml", catalog_at("2.1", extra_offering=True).replace("lifecycle: ga", "lifecycle: gaa", 1))
    repo.commit("A broken release")
    repo.write("catalog.yaml", catalog_at("2.2", extra_offering=True))
    repo.commit("Fixed")
    relaxed = run("build", "--source", repo.root)
    assert relaxed.exit_code == 0
    assert "release 2.1 (" in relaxed.stderr
    assert "warning: release cannot be built (1 error): catalog.yaml:" in relaxed.stderr
    assert not (repo.root / "public/v/2.1").exists()
    strict = run("build", "--strict", "--source", repo.root)
    assert strict.exit_code == 1
    assert "error: release cannot be built" in strict.stderr


@pytest.mark.parametrize("target", ["/etc/hostname", "../../outside.md"])
def test_a_release_with_a_link_out_of_its_folder_is_reported_not_a_crash(run, repo: GitSite, target: str) -> None:
    """A release whose committed sources hold a symbolic link leading out of the site (absolute,
    or up past its top) cannot be built, as the working tree's would not be: a warning naming the
    link, and the rest of the site is built; nothing from outside is read."""
    repo.write("catalog.yaml", catalog_at("2.1", extra_offering=True))
    (repo.root / "content/leak.md").symlink_to(target)
    repo.commit("A link out of the site")
    (repo.root / "content/leak.md").unlink()
    repo.write("catalog.yaml", catalog_at("2.2", extra_offering=True))
    repo.commit("The link removed")
    relaxed = run("build", "--source", repo.root)
    assert relaxed.exit_code == 0, relaxed.output
    assert "release 2.1 (" in relaxed.stderr
    assert "warning: release cannot be built: content/leak.md is a symbolic link" in relaxed.stderr
    assert not (repo.root / "public/v/2.1").exists()
    assert (repo.root / "public/v/2.2/index.html").is_file()
    strict = run("build", "--strict", "--source", repo.root)
    assert strict.exit_code == 1
    assert "error: release cannot be built: content/leak.md" in strict.stderr


def test_source_outside_git_builds_without_versions(run, site_copy) -> None:
    site = site_copy("minimal")
    assert run("build", "--source", site).exit_code == 0
    assert not (site / "public/v").exists()
    assert not (site / "public/versions.json").exists()


def _candidates(*versions: str | None) -> list[Candidate]:
    import datetime as dt

    return [Candidate(f"c{i}", dt.datetime(2026, 1, i + 1, tzinfo=dt.UTC), v) for i, v in enumerate(versions)]


def test_untagged_release_is_the_last_commit_carrying_the_version() -> None:
    choices, notes = select_releases(_candidates("1.0", "1.0", "1.1", None, "1.1", "1.2"), [], "v*")
    assert [(c.release.version, c.release.commit) for c in choices] == [("1.0", "c1"), ("1.1", "c4"), ("1.2", "c5")]
    assert notes == []


def test_the_earliest_tag_wins_then_later_tags_then_the_untagged_commit() -> None:
    choices, notes = select_releases(
        _candidates("1.0", "1.0", "1.0", "1.1"),
        [Tag("v1.0.1", "c1"), Tag("v1.0", "c0"), Tag("other", "c3"), Tag("v9", "elsewhere")],
        "v*",
    )
    assert [[(o.commit, o.tag) for o in c.options] for c in choices] == [
        [("c0", "v1.0"), ("c1", "v1.0.1"), ("c2", None)],
        [("c3", None)],
    ]
    assert notes == [Note("tag v9 is not on the first-parent history of the built branch; skipped")]
    # published from the earliest tag: the later one is reported, the untagged commit is not
    later = outcome_notes(choices[0], choices[0].options[0], {})
    assert later == [
        Note(
            "tags v1.0 and v1.0.1 both carry catalog version 1.0; v1.0, the earlier, stays published as v/1.0/ "
            "and v1.0.1 is ignored",
            "a published release is never changed: bump `version` in catalog.yaml for a new release",
        )
    ]
    # the earliest tag's commit does not build: the next option publishes and the tag is reported
    skipped = outcome_notes(choices[0], choices[0].options[1], {"c0": "cannot be built (1 error): x"})
    assert [n.message for n in skipped] == [
        "tag v1.0 (commit c0) was skipped: release 1.0 there cannot be built (1 error): x; "
        "1.0 is published from commit c1 (tag v1.0.1)",
        "tag v1.0.1 is on commit c1, whose catalog carries version 1.0: the tag's name does not say the version it "
        "releases (published as v/1.0/)",
    ]


def test_a_tag_named_after_its_version_is_preferred_and_others_on_its_commit_are_reported() -> None:
    choices, _ = select_releases(_candidates("0.4"), [Tag("v0.3", "c0"), Tag("v0.4", "c0")], "v*")
    assert [o.tag for o in choices[0].options] == ["v0.4", "v0.3"]
    assert [n.message for n in outcome_notes(choices[0], choices[0].release, {})] == [
        "tag v0.3 is on commit c0, whose catalog carries version 0.4: the tag's name does not say the version it "
        "releases (published as v/0.4/)"
    ]


@pytest.mark.parametrize(
    ("tag", "version", "pattern", "named"),
    [
        ("v0.4", "0.4", "v*", True),
        ("v0.4.0", "0.4", "v*", True),
        ("v1", "1.0.0", "v*", True),
        ("release-2.1", "2.1", "release-*", True),
        ("2.1", "2.1", "*", True),
        ("v2.1", "2.1", "*", True),
        ("v9.9", "0.4", "v*", False),
        ("v0.4.1", "0.4", "v*", False),
        ("v0.5-rc", "0.5", "v*", False),
        ("release-2.1", "2.1", "v*", False),
    ],
)
def test_whether_a_tag_names_its_version(tag: str, version: str, pattern: str, named: bool) -> None:
    assert names_version(tag, version, pattern) is named


def test_site_in_a_subfolder_of_the_repository_publishes_its_releases(run, tmp_path: Path) -> None:
    r = _repo(tmp_path / "monorepo")
    r.write("README.md", "A monorepo.\n")
    shutil.copytree(SITES / "minimal", r.root / "docs/catalog")
    r.commit("Catalog 0.1")
    repository = "  title: Platform services\n  repository: https://gitlab.example.com/acme/mono\n"
    r.write("docs/catalog/catalog.yaml", catalog_at("0.2").replace("  title: Platform services\n", repository))
    commit = r.commit("Catalog 0.2")
    result = run("build", "--source", r.root / "docs/catalog")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    public = r.root / "docs/catalog/public"
    assert sorted(p.name for p in (public / "v").iterdir()) == ["0.1", "0.2"]
    # an archived page links to its source at the release's commit, inside the sub-folder
    source = f"https://gitlab.example.com/acme/mono/-/blob/{commit}/docs/catalog/content/welcome.md"
    archived = (public / "v/0.2/policies/welcome/index.html").read_text()
    assert f'<a href="{source}">Source at this commit</a>' in archived
    assert "Edit this page" not in archived
    current = (public / "policies/welcome/index.html").read_text()
    edit = "https://gitlab.example.com/acme/mono/-/edit/main/docs/catalog/content/welcome.md"
    assert f'<a href="{edit}">Edit this page</a>' in current
    assert "Source at this commit" not in current


def test_verify_catches_a_tampered_file_of_the_current_catalog(run, repo: GitSite) -> None:
    run("build", "--source", repo.root)
    page = repo.root / "public/offerings/ci/index.html"
    page.write_text(page.read_text().replace("99.9 %", "99.99 %"))
    result = run("verify", "--source", repo.root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: offerings/ci/index.html: differs from a rebuild"


# -- the content-addressed store shared by the releases (store.py) ----------------------------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".servicebook-build"
    }


def _forget_all_but_the_store(root: Path) -> None:
    """Delete the output, the release cache and the site a rebuild starts from; keep the store."""
    shutil.rmtree(root / "public")
    shutil.rmtree(root / ".servicebook-cache/releases")
    shutil.rmtree(root / ".servicebook-cache/build", ignore_errors=True)
    assert (store_file(root / ".servicebook-cache")).is_file()


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of pages whose Markdown is rendered (in this process: one worker)."""
    from servicebook.site import load

    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    seen: list[str] = []
    real = load._load_one

    def counting(universe: object, job: tuple[str, str]) -> object:
        seen.append(job[0])
        return real(universe, job)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "_load_one", counting)
    return seen


def test_releases_built_from_a_warm_store_are_identical_to_a_cold_build(run, repo: GitSite, loads: list[str]) -> None:
    assert run("build", "--source", repo.root).exit_code == 0
    cold = _tree(repo.root / "public")
    assert loads  # the cold build rendered the pages' Markdown
    _forget_all_but_the_store(repo.root)
    loads.clear()
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    assert loads == []  # every page of the root and of the three releases came from the store
    warm = _tree(repo.root / "public")
    assert sorted(warm) == sorted(cold)
    assert [p for p in cold if warm[p] != cold[p]] == []
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_cold_build_is_identical_to_one_from_a_warm_store(run, repo: GitSite) -> None:
    assert run("build", "--source", repo.root).exit_code == 0
    _forget_all_but_the_store(repo.root)
    assert run("build", "--source", repo.root).exit_code == 0
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_one_new_release_loads_only_what_changed(run, repo: GitSite, loads: list[str]) -> None:
    assert run("build", "--source", repo.root).exit_code == 0
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\nNew in 3.0.\n")
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    repo.commit("Release 3.0")
    loads.clear()
    assert run("build", "--source", repo.root).exit_code == 0
    # the root loads the edited page; the 3.0 release (the same commit) takes it from the store
    assert loads == ["welcome"]
    assert "New in 3.0." in (repo.root / "public/v/3.0/policies/welcome/index.html").read_text()
    # the pages kept with 3.0 filled in (pagekeys.py) are those a build from nothing makes
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def _assert_a_build_from_nothing_makes(run, repo: GitSite, built: dict[str, bytes]) -> None:
    """A build with no cache and no output makes exactly the files of `built`, byte for byte."""
    shutil.rmtree(repo.root / ".servicebook-cache")
    shutil.rmtree(repo.root / "public")
    assert run("build", "--source", repo.root).exit_code == 0
    cold = _tree(repo.root / "public")
    assert sorted(cold) == sorted(built)
    assert [p for p in cold if built[p] != cold[p]] == []


@pytest.mark.parametrize("damage", ["garbage file", "truncated file", "altered entry", "undecodable entry"])
def test_a_damaged_store_is_a_miss_never_an_error(run, repo: GitSite, damage: str) -> None:
    import sqlite3

    from servicebook.cache.store import checksum

    assert run("build", "--source", repo.root).exit_code == 0
    cold = _tree(repo.root / "public")
    store = store_file(repo.root / ".servicebook-cache")
    if damage == "garbage file":
        store.write_bytes(b"not a database\n" * 100)
    elif damage == "truncated file":
        with sqlite3.connect(store) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    else:
        with sqlite3.connect(store) as db:
            for key, data, html in db.execute("SELECT key, data, html FROM entries").fetchall():
                if damage == "altered entry":  # the checksum no longer matches
                    db.execute("UPDATE entries SET html = ? WHERE key = ?", (html + "<p>injected</p>", key))
                else:  # a matching checksum over data that is not what the reader expects
                    bad = '{"page": [1, 2]}' if data else ""
                    db.execute(
                        "UPDATE entries SET data = ?, checksum = ? WHERE key = ?",
                        (bad, checksum(bad, html, ""), key),
                    )
                    db.execute("UPDATE entries SET text = '' WHERE key = ?", (key,))
    _forget_all_but_the_store(repo.root)
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    warm = _tree(repo.root / "public")
    assert sorted(warm) == sorted(cold)
    assert [p for p in cold if warm[p] != cold[p]] == []


@pytest.mark.parametrize("damaged", ["", "releases", "releases/*"])
def test_a_file_where_a_folder_of_the_release_cache_goes_is_a_miss_never_an_error(
    run, repo: GitSite, damaged: str
) -> None:
    """The cache folder, its releases folder or the folder of this servicebook's releases made a
    file (by hand, a bad restore): the releases are built and stored again, with no internal error,
    and the site is the one a build from nothing makes."""
    assert run("build", "--source", repo.root).exit_code == 0
    cold = _tree(repo.root / "public")
    cache = repo.root / ".servicebook-cache"
    # (the folder itself: beside this servicebook's folder of releases lies its lock file, cache/releases.py)
    target = next(path for path in cache.glob(damaged) if path.is_dir()) if damaged else cache
    shutil.rmtree(target)
    target.write_text("not a folder\n")
    shutil.rmtree(repo.root / "public")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    assert target.is_dir()
    warm = _tree(repo.root / "public")
    assert sorted(warm) == sorted(cold)
    assert [p for p in cold if warm[p] != cold[p]] == []


# -- pages rendered once for every release that shares their inputs (stamps.py) -----------------------


@pytest.fixture
def stamped_repo(repo: GitSite) -> GitSite:
    """The three releases, then 2.1, which names the repository (commit links on every page),
    and 2.2, which edits one offering only."""
    text = catalog_at("2.1", extra_offering=True).replace("objective: 99.5", "objective: 99.9")
    text = text.replace(
        "  title: Platform services\n", "  title: Platform services\n  repository: https://github.com/acme/catalog\n"
    )
    repo.write("catalog.yaml", text)
    repo.commit("Name the repository")
    signed = text.replace("Stores build outputs.", "Stores and signs build outputs.")
    repo.write("catalog.yaml", signed.replace('version: "2.1"', 'version: "2.2"'))
    repo.commit("Sign artifacts in 2.2")
    return repo


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output paths of pages rendered through a template (in this process: one worker)."""
    from servicebook.site import templates as render

    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    seen: list[str] = []
    real = render._render_page

    def counting(env: object, spec: render.PageSpec, common: object, layouts: Path, *rest: object) -> bytes:
        seen.append(spec.path)
        return real(env, spec, common, layouts, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "_render_page", counting)
    return seen


def test_release_pages_with_the_same_inputs_are_rendered_once(run, stamped_repo: GitSite, renders: list[str]) -> None:
    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    public = root / "public"
    releases = sorted(p.name for p in (public / "v").iterdir())
    assert releases == ["1.0", "1.1", "2.0", "2.1", "2.2"]
    # Rendered for the current catalog, then once for each set of releases that show the same:
    # 1.0; 1.1 (an offering added: every page may name it); 2.0 (the CI objective raised; a
    # tool page shows the same as in 1.1); 2.1 and 2.2 (the repository named: commit links).
    assert renders.count("offerings/ci/index.html") == 1 + 4
    assert renders.count("tools/shared-pipelines/index.html") == 1 + 3
    # each shows its own version, commit, date and commit link
    index = {v["version"]: v for v in json.loads((public / "versions.json").read_text())}
    for version in ("2.1", "2.2"):
        page = (public / f"v/{version}/offerings/ci/index.html").read_text()
        commit = index[version]["commit"]
        assert f'<a href="https://github.com/acme/catalog/commit/{commit}"><code>{commit[:12]}</code></a>' in page
        assert f"You are reading <strong>version {version}</strong>" in page
        assert f'<strong class="catalog-version">{version}</strong>' in page
        assert f"as published on {index[version]['date']}" in page
        source = f"https://github.com/acme/catalog/blob/{commit}/catalog.yaml"
        assert f'<a href="{source}">Source at this commit</a>' in page
    # what changed is rendered again: the artifacts offering in 2.2
    assert "Stores and signs build outputs." in (public / "v/2.2/offerings/artifacts/index.html").read_text()
    assert "Stores and signs" not in (public / "v/2.1/offerings/artifacts/index.html").read_text()
    # and every file of every release is what an ordinary render of it gives
    verified = run("verify", "--source", root)
    assert verified.exit_code == 0, verified.output


def test_a_release_renders_only_the_lists_whose_inputs_an_earlier_release_did_not_have(
    run, stamped_repo: GitSite, renders: list[str]
) -> None:
    from servicebook.site.stamps import LISTS

    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    built = _tree(root / "public")
    lists = {"index.html", "search/index.html", "offerings/index.html", "slos/index.html"}
    lists |= {"unsupported/index.html", "policies/index.html", "support/index.html", "tools/index.html"}
    assert len(lists) == len(LISTS)
    # once for the current catalog, then in 1.0, 1.1 (an offering added, which every page may
    # name) and 2.1 (the repository named: commit links); in 2.0 (the CI offering's objective
    # raised) the SLOs alone: the lists that show each offering in a row (home, offerings,
    # support) do not show its objective (stamps.ROWS); in 2.2 (the artifacts offering's summary
    # edited, which has no SLO) those three and the A to Z list (its entry's note). The policies,
    # the tools matrix and the unsupported tools are rendered in 1.0, 1.1 and 2.1 only.
    offerings = {"index.html", "offerings/index.html", "support/index.html"}
    in_2_0, in_2_2 = {"slos/index.html"}, {*offerings, "search/index.html"}
    expected = {path: 1 + 3 + (path in in_2_0) + (path in in_2_2) for path in lists}
    assert {path: renders.count(path) for path in lists} == expected
    assert sum(expected.values()) == 8 * 4 + 5  # not 8 * 6
    # each release's lists are what an ordinary render of it gives, and what a build from nothing makes
    assert run("verify", "--source", root).exit_code == 0
    _assert_a_build_from_nothing_makes(run, stamped_repo, built)


def test_a_release_that_changes_a_tool_decision_or_an_objective_renders_no_list_of_the_offerings_again(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch, renders: list[str]
) -> None:
    from servicebook.site import stamps

    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")
    stamped: list[str] = []  # the pages a release renders from its stamped context
    real = stamps.render_one

    def counting(renderer: stamps.Renderer, index: int) -> object:
        stamped.append(renderer.specs[index].path)
        return real(renderer, index)

    monkeypatch.setattr(stamps, "render_one", counting)
    root = repo.root
    assert run("build", "--source", root).exit_code == 0
    # 3.0 rewords the CI offering's supported tool's reason and lowers its objective: the
    # offering's view (its tools, its SLOs) and the tool's page change; what the home page, the
    # offerings and the support page show of the offering does not (stamps.ROWS)
    text = catalog_at("3.0", extra_offering=True).replace("objective: 99.5", "objective: 99.7")
    repo.write("catalog.yaml", text.replace("One template we maintain", "One template we maintain and review"))
    repo.commit("Release 3.0")
    stamped.clear()
    renders.clear()
    assert run("build", "--source", root).exit_code == 0
    assert "objective" not in (root / "public/v/3.0/offerings/index.html").read_text()
    assert {"offerings/ci/index.html", "tools/shared-pipelines/index.html", "slos/index.html"} <= set(stamped)
    assert not {"index.html", "offerings/index.html", "support/index.html", "tools/index.html"} & set(stamped)
    # the tools matrix does not show a reason: rendered for the current catalog, taken for 3.0
    assert renders.count("tools/index.html") == 1
    assert run("verify", "--source", root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, repo, _tree(root / "public"))


def test_a_list_of_offerings_that_shows_more_than_their_rows_is_rendered_the_ordinary_way(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import stamps

    # the whole catalog shows each offering's SLOs and tools, which its row (`_OfferingRow`) does
    # not hold: from the rows it cannot render, and the page is rendered from the whole view
    monkeypatch.setattr(stamps, "LISTS", {**stamps.LISTS, "catalog.html": ("offerings", "support")})
    monkeypatch.setattr(stamps, "ROWS", stamps.ROWS | {"catalog.html"})
    assert run("build", "--source", repo.root).exit_code == 0
    shown = run("verify", "--source", repo.root)
    assert shown.exit_code == 0, shown.output
    assert "Pipeline availability" in (repo.root / "public/v/2.0/catalog/index.html").read_text()


def test_a_release_digests_only_the_a_to_z_entries_that_the_release_before_did_not_have(
    run, stamped_repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import render, stamps

    digested: list[str] = []  # the A to Z entries digested for the lists' keys (by title), each release marked
    real_digest, real_render = stamps.digest, render.render_stamped

    def counting(*parts: str) -> str:
        if parts[0] == "IndexEntry":
            digested.append(parts[1].removeprefix("s"))
        return real_digest(*parts)

    def marking(*args: Any, **kwargs: Any) -> list[render.PageSpec]:
        digested.append("v" + args[4]["catalog"].version)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(stamps, "digest", counting)
    monkeypatch.setattr(render, "render_stamped", marking)
    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    at = [i for i, d in enumerate(digested) if d.startswith("v")]
    by_release = {digested[i]: digested[i + 1 : j] for i, j in zip(at, [*at[1:], len(digested)], strict=True)}
    # 1.0 digests its four entries; 1.1 the offering it adds, not the four it shares with 1.0; 2.0
    # (an objective raised: the CI offering's record is another object) none, its entries equal
    # 1.1's (paging._a_to_z keeps those objects) nor 2.1's. 2.2 edits an offering's summary: its
    # entry, and the others again, whose digests went with 2.0 (2.1 took the list's part whole)
    assert sorted(by_release["v1.0"]) == [
        "CI pipelines",
        "Hand-rolled CI scripts",
        "How we work",
        "Shared pipeline templates",
    ]
    assert by_release["v1.1"] == ["Artifact registry"]
    assert by_release["v2.0"] == by_release["v2.1"] == []
    assert "Artifact registry" in by_release["v2.2"]
    assert run("verify", "--source", root).exit_code == 0
    _assert_a_build_from_nothing_makes(run, stamped_repo, _tree(root / "public"))


def test_a_release_keys_anew_only_the_pages_whose_views_the_release_before_did_not_have(
    run, stamped_repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import render, stamps

    keyed: list[str] = []  # the pages whose key was made from their context, each release marked
    real_key, real_render = stamps.page_key, render.render_stamped

    def counting(stamping: stamps.Stamping, spec: render.PageSpec) -> str | None:
        keyed.append(spec.path)
        return real_key(stamping, spec)

    def marking(*args: Any, **kwargs: Any) -> list[render.PageSpec]:
        keyed.append("v" + args[4]["catalog"].version)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(stamps, "page_key", counting)
    monkeypatch.setattr(render, "render_stamped", marking)
    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    at = [i for i, k in enumerate(keyed) if k.startswith("v")]
    by_release = {keyed[i]: keyed[i + 1 : j] for i, j in zip(at, [*at[1:], len(keyed)], strict=True)}
    welcome = "policies/welcome/index.html"
    # 1.0 keys its five pages; 1.1 and 2.1 too (an offering added, the repository named: what
    # every page may show); 2.0 and 2.2 not the policy page, whose page object, title and place
    # are the release before's: its key is carried, not made again
    assert welcome in by_release["v1.0"] and welcome in by_release["v1.1"] and welcome in by_release["v2.1"]
    assert welcome not in by_release["v2.0"] and welcome not in by_release["v2.2"]
    assert "offerings/artifacts/index.html" not in by_release["v2.0"]
    assert "offerings/artifacts/index.html" in by_release["v2.2"]  # its summary edited
    assert run("verify", "--source", root).exit_code == 0
    _assert_a_build_from_nothing_makes(run, stamped_repo, _tree(root / "public"))


def test_a_release_takes_the_stamped_pages_it_shares_with_the_release_before_without_reading_them_again(
    run, stamped_repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site.buildcache import BuildCache

    asked: list[int] = []  # how many stamped pages each release asked the store for
    kept: list[int] = []  # how many it took from the release before (counted as used, not read)
    real_get, real_keep = BuildCache.get_rendered, BuildCache.keep_rendered

    def get(self: BuildCache, keys: list[str]) -> dict[str, tuple[str, str]]:
        asked.append(len(keys))
        return real_get(self, keys)

    def keep(self: BuildCache, keys: list[str]) -> None:
        kept.append(len(keys))
        real_keep(self, keys)

    monkeypatch.setattr(BuildCache, "get_rendered", get)
    monkeypatch.setattr(BuildCache, "keep_rendered", keep)
    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    pages = len(list((root / "public/v/2.2").glob("*/*/index.html")))  # offering, tool, policy pages
    pages += 8  # and the lists (stamps.LISTS), each one page long here
    assert [a + k for a, k in zip(asked, kept, strict=True)] == [pages - 1, pages, pages, pages, pages]
    # 1.0 first; 1.1 adds an offering (every page may name it); 2.0 raises an objective: the tool
    # pages are 1.1's; 2.1 names the repository (every page links its commit); 2.2 edits one
    # offering's summary: its page and the four lists that show it (home, offerings, support,
    # the A to Z list); the policies, the SLOs and the unsupported tools are 2.1's
    assert kept[0] == 0 and kept[1] == 0 and kept[3] == 0
    assert 0 < kept[2] < pages and asked[4] == 1 + 4 and kept[4] == pages - 1 - 4
    assert run("verify", "--source", root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, stamped_repo, _tree(root / "public"))


def test_the_last_release_built_keeps_no_stamped_pages_for_a_release_after_it(
    run, stamped_repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import render

    carried: list[tuple[str, int]] = []  # each release built, and how many of its pages it carries on
    real_render = render.render_stamped

    def marking(*args: Any, **kwargs: Any) -> list[render.PageSpec]:
        left = real_render(*args, **kwargs)
        carried.append((args[4]["catalog"].version, len(args[8].pages)))
        return left

    monkeypatch.setattr(render, "render_stamped", marking)
    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    # each release carries its stamped pages to the next (which takes those it shares without
    # reading them, the test above); the last one built has no next, and holds none for it
    assert [version for version, _ in carried] == ["1.0", "1.1", "2.0", "2.1", "2.2"]
    assert all(pages > 0 for _, pages in carried[:-1]) and carried[-1] == ("2.2", 0)
    assert run("verify", "--source", root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, stamped_repo, _tree(root / "public"))


def test_the_last_release_built_lets_go_of_its_digests_once_its_pages_are_keyed(
    run, stamped_repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import render
    from servicebook.site.buildcache import BuildCache
    from servicebook.site.stamps import Carried

    building: list[tuple[str, Carried]] = []  # the release being built, and what it carries
    held: dict[str, set[int]] = {}  # release → digests, keys and rows held as each page is taken in
    real_render, real_put = render.render_stamped, BuildCache.put_rendered

    def marking(*args: Any, **kwargs: Any) -> list[render.PageSpec]:
        building.append((args[4]["catalog"].version, args[8]))
        return real_render(*args, **kwargs)

    def put(self: BuildCache, key: str, html: str, data: str) -> None:
        version, carried = building[-1]
        held.setdefault(version, set()).add(len(carried.last) + len(carried.keys) + len(carried.rows))
        real_put(self, key, html, data)

    monkeypatch.setattr(render, "render_stamped", marking)
    monkeypatch.setattr(BuildCache, "put_rendered", put)
    root = stamped_repo.root
    assert run("build", "--source", root).exit_code == 0
    # each release keys its pages from what the one before digested (carried to the next); the
    # last one built has no next: what its pages were keyed from is gone before they are rendered
    assert list(held) == ["1.0", "1.1", "2.0", "2.1", "2.2"]
    assert all(0 not in held[v] for v in ("1.0", "1.1", "2.0", "2.1")) and held["2.2"] == {0}
    assert run("verify", "--source", root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, stamped_repo, _tree(root / "public"))


def test_a_page_that_reaches_beyond_its_stamped_context_is_rendered_the_ordinary_way(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import stamps

    # the home page lists every offering: from the stamped context (names only) it cannot render
    monkeypatch.setattr(stamps, "TEMPLATES", frozenset({*stamps.TEMPLATES, "home.html", "tools.html"}))
    assert run("build", "--source", repo.root).exit_code == 0
    shown = run("verify", "--source", repo.root)
    assert shown.exit_code == 0, shown.output
    assert "You are reading <strong>version 1.0</strong>" in (repo.root / "public/v/1.0/index.html").read_text()


def test_release_catalogs_are_read_record_by_record(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from servicebook.site import load

    whole: list[str] = []  # the catalogs the build's load read whole
    real_read = load.read_catalog

    def counting(source: SourceText, records: RecordCache | None = None) -> CatalogRead:
        read = real_read(source, records)
        if read.node is not None:
            whole.append(source.text)
        return read

    monkeypatch.setattr(load, "read_catalog", counting)
    assert run("build", "--source", repo.root).exit_code == 0
    # the current catalog is read record by record too (its records are the releases'); 2.0 is the
    # same catalog (from the store); 1.0 and 1.1 are read record by record, each record once
    assert whole == []
    built = _tree(repo.root / "public")
    # and the releases are what reading every catalog whole gives
    monkeypatch.setattr(load, "read_catalog", lambda source, records=None: real_read(source))
    shutil.rmtree(repo.root / ".servicebook-cache")
    shutil.rmtree(repo.root / "public")
    assert run("build", "--source", repo.root, "--output", tmp_path / "plain").exit_code == 0
    assert _tree(tmp_path / "plain") == built


def test_a_release_takes_the_data_files_made_of_the_same_inputs_from_the_release_before(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import outputs

    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")  # every file made in this process
    schemas: list[str] = []  # schema.json is made of the code alone
    texts: list[str] = []  # a policy page's text fragment of the search index, of its HTML
    real_schema, real_text = outputs.json_schema, _text_file

    def schema() -> object:
        schemas.append("schema")
        return real_schema()

    def text(page: object) -> bytes:
        texts.append(page.slug)  # type: ignore[attr-defined]
        return real_text(page)  # type: ignore[arg-type]

    monkeypatch.setattr(outputs, "json_schema", schema)
    patch_stage(monkeypatch, "_text_file", text)
    assert run("build", "--source", repo.root).exit_code == 0
    # the current catalog's, then 1.0's only: 1.1 and 2.0 take them from the release before
    assert len(schemas) == 2
    # welcome: the current catalog's, 1.0's, 1.1's (edited); 2.0 shows it as 1.1 does
    assert texts.count("welcome") == 3
    assert run("verify", "--source", repo.root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_a_same_size_edit_of_a_published_file_does_not_poison_the_cache(run, repo: GitSite) -> None:
    run("build", "--source", repo.root)
    page = repo.root / "public/v/1.0/index.html"
    original = page.read_bytes()
    with page.open("r+b") as handle:  # same size, same inode: only the modification time moves
        handle.write(b"<!-- x -->")
    assert page.read_bytes() != original
    assert run("build", "--source", repo.root).exit_code == 0
    assert (repo.root / "public/v/1.0/index.html").read_bytes() == original


def test_untouched_cached_releases_are_not_read_again(run, repo: GitSite, monkeypatch: pytest.MonkeyPatch) -> None:
    from servicebook.site import releases

    assert run("build", "--source", repo.root).exit_code == 0
    read: list[Path] = []
    real = releases.read_tree
    monkeypatch.setattr(releases, "read_tree", lambda tree: read.append(tree) or real(tree))
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    repo.commit("Release 3.0")
    assert run("build", "--source", repo.root).exit_code == 0
    assert read == []  # 1.0, 1.1 and 2.0 are as they were stored: their files are not hashed again
    assert (repo.root / "public/v/3.0/index.html").is_file()


def _release_trees(root: Path) -> list[Path]:
    return sorted((root / ".servicebook-cache/releases").glob("*/*"))


def _stored(tree: Path) -> dict[str, Path]:
    """path → file of a cached release tree (flat: each file named by its path, but a path too
    long for a name), its marker and the record of its data files' inputs beside it aside."""
    from servicebook.cache.folder import flat_path
    from servicebook.site.releases import COMPLETE

    found = {flat_path(p.name): p for p in tree.iterdir() if p.is_file() and not p.name.startswith(COMPLETE)}
    return {path: p for path, p in found.items() if path is not None}


def _identities(tree: Path) -> dict[str, list[int]]:
    """path → (size, modification time, inode) of each file of a cached release tree, as its
    record holds them, each found by its path."""
    from servicebook.site.releases import COMPLETE, stored_file

    identities = {}
    for path in json.loads((tree / COMPLETE).read_text()):
        info = stored_file(tree, path).stat()
        identities[path] = [info.st_size, info.st_mtime_ns, info.st_ino]
    return identities


def test_adding_a_release_does_not_list_the_cached_release_trees_again(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cached releases are checked file by file against their record (releases._intact), and
    # the write stage links the files so found: neither lists a release tree's folders.
    from servicebook.site import releases, write

    assert run("build", "--source", repo.root).exit_code == 0
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    repo.commit("Release 3.0")

    def refuse(*args: object) -> None:
        raise AssertionError(f"listed {args[0]}")

    linked: list[str] = []
    real_link_tree = write._link_tree
    monkeypatch.setattr(releases, "_identities", refuse)
    monkeypatch.setattr(write, "_tree_links", refuse)
    monkeypatch.setattr(write, "_link_tree", lambda tree, dest: linked.append(str(tree)) or real_link_tree(tree, dest))
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    assert linked == []
    assert (repo.root / "public/v/3.0/index.html").is_file()
    monkeypatch.undo()
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_a_release_cache_restored_as_copies_is_taken_by_its_record_without_reading_it(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A CI job restores .servicebook-cache/ into a new checkout: every file a copy (a new inode)
    # that kept its size and modification time (a tar archive, `cp -a`). The cached releases are
    # the files their record names: taken without listing, reading and hashing their trees.
    from servicebook.site import releases

    assert run("build", "--source", repo.root).exit_code == 0
    clone = repo.copy_to(tmp_path / "ci")  # shutil.copytree: copies, times kept
    shutil.rmtree(clone.root / ".servicebook-cache/build")

    def refuse(*args: object) -> None:
        raise AssertionError(f"read {args[0]}")

    monkeypatch.setattr(releases, "_identities", refuse)
    monkeypatch.setattr(releases, "read_tree", refuse)
    result = run("build", "--source", clone.root)
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    _assert_a_build_from_nothing_makes(run, clone, _tree(clone.root / "public"))


def test_a_release_cache_restored_as_copies_is_taken_without_writing_its_record_again(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Every CI job restores the cache with new inodes: the record's sizes and times still hold, so
    # the record is not written again (it was, 22,470 files' identities at 5k, in every job), and
    # the next job, restored again, takes the releases as this one did.
    from servicebook.site import releases

    assert run("build", "--source", repo.root).exit_code == 0
    clone = repo.copy_to(tmp_path / "ci")  # shutil.copytree: copies, times kept
    shutil.rmtree(clone.root / ".servicebook-cache/build")
    records = {tree: (tree / releases.COMPLETE).read_bytes() for tree in _release_trees(clone.root)}
    assert records

    def refuse(*args: object) -> None:
        raise AssertionError(f"wrote or read {args[0]}")

    monkeypatch.setattr(releases, "_remember", refuse)
    monkeypatch.setattr(releases, "_identities", refuse)
    monkeypatch.setattr(releases, "read_tree", refuse)
    result = run("build", "--source", clone.root)
    assert result.exit_code == 0, result.output
    assert {tree: (tree / releases.COMPLETE).read_bytes() for tree in _release_trees(clone.root)} == records
    again = clone.copy_to(tmp_path / "ci2")  # the next job: restored again, new inodes again
    shutil.rmtree(again.root / ".servicebook-cache/build")
    result = run("build", "--source", again.root)
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    verified = run("verify", "--source", again.root)  # every release's files as a render of it gives
    assert verified.exit_code == 0, verified.output
    _assert_a_build_from_nothing_makes(run, again, _tree(again.root / "public"))


def test_a_restored_release_file_rewritten_in_place_makes_the_release_checked_again(
    run, repo: GitSite, tmp_path: Path
) -> None:
    # a copy with another modification time (rewritten, or a zip archive's cut times) is not
    # taken on its record: the tree is checked against its manifest, and rebuilt when it differs
    assert run("build", "--source", repo.root).exit_code == 0
    clone = repo.copy_to(tmp_path / "ci")
    shutil.rmtree(clone.root / ".servicebook-cache/build")
    shutil.rmtree(clone.root / "public")
    page = next(t for t in _release_trees(clone.root) if (t / "index.html").is_file()) / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"<body", b"<bodx", 1))
    assert run("build", "--source", clone.root).exit_code == 0
    assert page.read_bytes() == original
    _assert_a_build_from_nothing_makes(run, clone, _tree(clone.root / "public"))


def test_one_more_release_summarises_itself_alone_and_reads_two_catalogs(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A release's summary depends on its commit and the one before: made once, then taken from the
    # store, so that the releases' catalog.json (a MB each on a large catalog) are not parsed again.
    from servicebook.site import build

    assert run("build", "--source", repo.root).exit_code == 0
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True).replace("objective: 99.5", "objective: 99.0"))
    repo.commit("Release 3.0")
    summarised: list[str] = []
    real_summary = build.release_summary
    monkeypatch.setattr(build, "release_summary", lambda *args: summarised.append("") or real_summary(*args))
    parsed: list[str] = []  # the releases' catalog.json, as bytes (the store's entries are text)
    monkeypatch.setattr(
        build,
        "json",
        SimpleNamespace(
            dumps=json.dumps, loads=lambda text: parsed.extend([""] * isinstance(text, bytes)) or json.loads(text)
        ),
    )
    assert run("build", "--source", repo.root).exit_code == 0
    assert summarised == [""]  # 3.0's: 1.0, 1.1 and 2.0 said what they say
    assert len(parsed) == 2  # the catalog.json of 2.0 and 3.0
    monkeypatch.undo()
    versions = (repo.root / "public/versions/index.html").read_text()
    assert "lowered" in versions
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_a_first_build_links_the_release_trees_it_wrote_without_listing_them(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import write

    def refuse(*args: object) -> None:
        raise AssertionError(f"listed {args[0]}")

    linked: list[str] = []
    real_link_tree = write._link_tree
    monkeypatch.setattr(write, "_tree_links", refuse)
    monkeypatch.setattr(write, "_link_tree", lambda tree, dest: linked.append(str(tree)) or real_link_tree(tree, dest))
    assert run("build", "--source", repo.root).exit_code == 0
    assert linked == [str(repo.root / "public")]  # only the spare a first build leaves, of the new site
    built = _tree(repo.root / "public")
    assert {p.split("/")[1] for p in built if p.startswith("v/")} == {"1.0", "1.1", "2.0"}
    monkeypatch.undo()
    shutil.rmtree(repo.root / ".servicebook-cache/build")  # the output then starts from nothing (no spare)
    shutil.rmtree(repo.root / "public")
    assert run("build", "--source", repo.root).exit_code == 0  # the cached trees into a new staging folder
    assert _tree(repo.root / "public") == built
    _assert_a_build_from_nothing_makes(run, repo, built)


def test_a_file_added_to_a_cached_release_tree_is_not_published(run, repo: GitSite) -> None:
    assert run("build", "--source", repo.root).exit_code == 0
    built = _tree(repo.root / "public")
    for tree in _release_trees(repo.root):
        (tree / "stray.html").write_text("not the release's")
        (tree / "policies" / "stray").mkdir(parents=True)
        (tree / "policies" / "stray" / "index.html").write_text("nor this")
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\nAn edit.\n")
    repo.commit("An edit")
    assert run("build", "--source", repo.root).exit_code == 0
    assert not [p for p in _tree(repo.root / "public") if "stray" in p]
    _assert_a_build_from_nothing_makes(run, repo, {**built, **_tree(repo.root / "public")})


@pytest.mark.parametrize(
    "record",
    [
        {"../../../catalog.yaml": [1, 2, 3]},
        {"/etc/hostname": [1, 2, 3]},
        {"index.html": "big"},
        {"index.html": [1, 2]},
        {"index.html": [1.5, 2, 3]},
        {"a//b": [1, 2, 3]},
        {"index\u0000.html": [1, 2, 3]},
        ["index.html"],
        "index.html",
    ],
    ids=[
        "leaves the tree",
        "absolute",
        "not a list",
        "too short",
        "not integers",
        "empty part",
        "a NUL in a path",
        "a list",
        "a text",
    ],
)
def test_a_release_record_of_another_shape_is_a_miss_never_an_error(run, repo: GitSite, record: object) -> None:
    from servicebook.site.releases import COMPLETE

    assert run("build", "--source", repo.root).exit_code == 0
    built = _tree(repo.root / "public")
    for tree in _release_trees(repo.root):
        (tree / COMPLETE).write_text(json.dumps(record))
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\nAn edit.\n")
    repo.commit("An edit")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    now = _tree(repo.root / "public")
    assert {p: b for p, b in now.items() if p.startswith("v/")} == {
        p: b for p, b in built.items() if p.startswith("v/")
    }
    for tree in _release_trees(repo.root):  # checked whole, and recorded again as they are
        assert set(json.loads((tree / COMPLETE).read_text())) == set(_stored(tree))


def test_rebuilds_of_the_current_catalog_keep_what_the_releases_stored(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site.buildcache import BuildCache

    assert run("build", "--source", repo.root).exit_code == 0
    welcome = repo.root / "content/welcome.md"
    for n in range(3):  # a preview rebuilding on every save: no release is built
        welcome.write_text(welcome.read_text() + f"\nDraft {n}.\n")
        assert run("build", "--source", repo.root).exit_code == 0
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True).replace("objective: 99.5", "objective: 99.9"))
    repo.commit("Release 3.0: the same catalog as 2.0, and the drafts")
    asked: list[tuple[int, int]] = []
    real = BuildCache.get_rendered

    def recording(self: BuildCache, keys: list[str]) -> dict[str, tuple[str, str, str]]:
        found = real(self, keys)
        asked.append((len(keys), len(found)))
        return found

    monkeypatch.setattr(BuildCache, "get_rendered", recording)
    assert run("build", "--source", repo.root).exit_code == 0
    # 3.0 shows what 2.0 showed but the edited page's body: the other pages are 2.0's (the
    # release tree this servicebook stored last, stamps.Restamp), their stamp replaced, none read
    # back from the store; the CI offering and the lists show of the edited page its title and
    # summary, not its body (stamps._Fingerprints: their keys hold a page listed by its slug,
    # source, front matter and headings), so they are too: the edited page alone is rendered
    assert asked == [(1, 0)]


def test_sources_that_use_the_stamps_placeholder_character_are_rendered_the_ordinary_way(run, repo: GitSite) -> None:
    # U+E000 is a private-use character: stamps.py writes its placeholders with it
    odd = "Odd text: \ue0003\ue000 and \ue0001\ue000.\n"
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\n" + odd)
    repo.write(
        "catalog.yaml", catalog_at("3.0", extra_offering=True).replace("Artifact registry", "Artifacts \ue0002\ue000")
    )
    repo.commit("Release 3.0 with private-use characters")
    assert run("build", "--source", repo.root).exit_code == 0
    page = (repo.root / "public/v/3.0/policies/welcome/index.html").read_text()
    assert odd.strip() in page
    assert "Artifacts \ue0002\ue000" in (repo.root / "public/v/3.0/offerings/artifacts/index.html").read_text()
    verified = run("verify", "--source", repo.root)
    assert verified.exit_code == 0, verified.output


def test_a_shallow_clone_says_its_older_releases_are_not_published_and_fails_strict(
    run, repo: GitSite, tmp_path: Path
) -> None:
    clone = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    warning = (
        f"{clone / 'catalog.yaml'}: warning: this is a shallow clone: releases older than the history it holds "
        "cannot be built from it and are not published, and the site's change history is truncated\n"
        "  hint: fetch the whole history and the release tags before building: `git fetch --unshallow --tags`; in "
        'CI, check out with `fetch-depth: 0` (GitHub Actions) or `GIT_DEPTH: "0"` (GitLab CI)\n'
    )
    relaxed = run("build", "--source", clone)
    assert relaxed.exit_code == 0
    assert relaxed.stderr == warning
    assert sorted(p.name for p in (clone / "public/v").iterdir()) == ["2.0"]  # 1.0 and 1.1 are not in the clone
    shutil.rmtree(clone / "public")
    strict = run("build", "--source", clone, "--strict")
    assert strict.exit_code == 1
    assert strict.stderr == warning + "build failed: 1 warning (--strict); nothing was written.\n"
    assert not (clone / "public").exists()
    only = run("build", "--source", clone, "--no-versions")
    assert "warning: this is a shallow clone: the site's change history is truncated\n" in only.stderr
    # with the whole history and the tags, every release is back and nothing is said
    repo.git("-C", str(clone), "fetch", "-q", "--unshallow", "--tags")
    full = run("build", "--source", clone, "--strict")
    assert full.exit_code == 0, full.output
    assert full.stderr == ""
    assert sorted(p.name for p in (clone / "public/v").iterdir()) == ["1.0", "1.1", "2.0"]


def test_a_later_tag_of_a_published_version_does_not_change_it(run, repo: GitSite) -> None:
    first = repo.git("rev-parse", "HEAD~2").strip()  # "Add the artifact registry": 1.1
    repo.git("tag", "v1.1", first)
    assert run("build", "--source", repo.root).exit_code == 0
    published = _tree(repo.root / "public/v/1.1")
    later = repo.git("rev-parse", "HEAD~1").strip()  # "Clarify the welcome page": still 1.1
    repo.git("tag", "v1.1.1", later)
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0
    assert _tree(repo.root / "public/v/1.1") == published
    assert "A later edit, still 1.1." not in (repo.root / "public/v/1.1/policies/welcome/index.html").read_text()
    entry = next(e for e in json.loads((repo.root / "public/versions.json").read_text()) if e["version"] == "1.1")
    assert (entry["commit"], entry["tag"]) == (first, "v1.1")
    assert result.stderr == (
        "git: warning: tags v1.1 and v1.1.1 both carry catalog version 1.1; v1.1, the earlier, stays published as "
        "v/1.1/ and v1.1.1 is ignored\n"
        "  hint: a published release is never changed: bump `version` in catalog.yaml for a new release\n"
    )
    assert run("build", "--source", repo.root, "--strict").exit_code == 1


def test_a_tag_named_unlike_the_version_it_carries_is_reported(run, repo: GitSite) -> None:
    v10 = repo.git("rev-parse", "v1.0").strip()
    repo.git("tag", "v9.9", v10)
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0
    assert sorted(p.name for p in (repo.root / "public/v").iterdir()) == ["1.0", "1.1", "2.0"]
    assert result.stderr == (
        f"git: warning: tag v9.9 is on commit {v10[:12]}, whose catalog carries version 1.0: the tag's name does not "
        "say the version it releases (published as v/1.0/)\n"
        "  hint: the catalog's `version:` names a release: delete or rename the tag (`git tag -d v9.9`, and on the "
        "remote), or narrow `site.release_tags` (now 'v*') so that it does not match\n"
    )
    assert run("build", "--source", repo.root, "--strict").exit_code == 1


def test_a_misnamed_tag_on_a_commit_that_changed_no_source_is_named_on_its_own_commit(run, repo: GitSite) -> None:
    """A tag on a commit that changed no source (a README edit, an empty commit) releases the last
    commit before it that did; the warning said the tag was on that earlier commit, which an
    auditor comparing with `git show v9.9` found false."""
    repo.git("checkout", "-q", "-b", "side", "v1.0")
    sources = repo.git("rev-parse", "HEAD").strip()
    repo.git("commit", "-q", "--allow-empty", "-m", "Nothing but a message")
    empty = repo.git("rev-parse", "HEAD").strip()
    repo.git("tag", "v9.9")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0
    assert (
        f"git: warning: tag v9.9 is on commit {empty[:12]} (which changed no source: its sources are commit "
        f"{sources[:12]}'s), whose catalog carries version 1.0: the tag's name does not say the version it releases"
    ) in result.stderr


def test_a_release_tag_on_a_commit_that_does_not_build_does_not_unpublish_its_version(run, repo: GitSite) -> None:
    broken = catalog_at("3.0", extra_offering=True).replace("lifecycle: ga", "lifecycle: gaa", 1)
    repo.write("catalog.yaml", broken)
    candidate = repo.commit("3.0, first try")
    repo.tag("v3.0-rc")
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    head = repo.commit("3.0, fixed")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    index = json.loads((repo.root / "public/versions.json").read_text())
    assert (index[0]["version"], index[0]["commit"], index[0]["tag"]) == ("3.0", head, None)
    assert (repo.root / "public/v/3.0/index.html").is_file()
    warning = result.stderr.splitlines()
    assert warning[0].startswith(
        f"git: warning: tag v3.0-rc (commit {candidate[:12]}) was skipped: release 3.0 there cannot be built "
        "(1 error): catalog.yaml:"
    )
    assert warning[0].endswith(f"; 3.0 is published from commit {head[:12]}")
    assert warning[1] == (
        "  hint: a release tag must be on a commit whose catalog builds: move the tag to one "
        "(`git tag -f v3.0-rc <commit>`) or delete it"
    )
    assert len(warning) == 2
    strict = run("build", "--source", repo.root, "--strict")
    assert strict.exit_code == 1
    assert "was skipped: release 3.0 there cannot be built" in strict.stderr
    verified = run("verify", "--source", repo.root)
    assert verified.exit_code == 0, verified.output


def test_the_readme_init_writes_in_layouts_does_not_stop_stamping(tmp_path: Path) -> None:
    # stamping needs the built-in theme alone; the README.md of `servicebook init` is not a template
    from servicebook.site.stamps import _has_files

    layouts = tmp_path / "layouts"
    layouts.mkdir()
    assert not _has_files(layouts)
    (layouts / "README.md").write_text("How to override a template")
    assert not _has_files(layouts)
    (layouts / "partials").mkdir()
    (layouts / "partials" / "README.md").write_text("a template could include this one")
    assert _has_files(layouts)


def test_the_current_catalog_changed_since_its_tagged_release_says_so(run, repo: GitSite) -> None:
    # 2.0 is tagged; an edit after it, without a new version, is not release 2.0
    assert run("build", "--source", repo.root).exit_code == 0
    public = repo.root / "public"
    assert 'class="unreleased"' not in (public / "index.html").read_text()  # HEAD is the release
    repo.write("README.md", "Not a source.\n")
    repo.commit("A commit that changes no source")
    assert run("build", "--source", repo.root).exit_code == 0
    assert 'class="unreleased"' not in (public / "index.html").read_text()
    repo.edit("objective: 99.9", "objective: 99.5")
    repo.commit("Lower the CI objective, still 2.0")
    assert run("build", "--source", repo.root).exit_code == 0
    footer = (public / "index.html").read_text()
    assert '<span class="unreleased">(with changes made after <a href="v/2.0/">its release</a>)</span>' in footer
    assert "but has changes made since" in (public / "versions/index.html").read_text()
    assert 'class="unreleased"' not in (public / "v/2.0/index.html").read_text()  # the release itself
    assert "99.9 %" in (public / "v/2.0/offerings/ci/index.html").read_text()


def test_uncommitted_changes_are_not_the_release_either(run, repo: GitSite) -> None:
    repo.edit("objective: 99.9", "objective: 99.5")
    assert run("build", "--source", repo.root).exit_code == 0
    assert 'class="unreleased"' in (repo.root / "public/offerings/ci/index.html").read_text()


def test_a_tag_on_a_commit_that_changed_no_source_releases_the_catalog_it_carries(run, repo: GitSite) -> None:
    """Release tags often sit on a CHANGELOG or README commit after the catalog change: that commit
    builds the same catalog, so it releases it; before, it was "not on the first-parent history"."""
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    repo.commit("Catalog 3.0")
    repo.write("README.md", "How to propose a change.\n")
    repo.commit("Say how to propose a change")
    repo.tag("v3.0")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    assert "first-parent" not in result.output
    index = json.loads((repo.root / "public/versions.json").read_text())
    assert (index[0]["version"], index[0]["tag"]) == ("3.0", "v3.0")


def test_a_tag_off_the_first_parent_history_is_still_skipped_and_named(run, repo: GitSite) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.write("README.md", "A side branch.\n")
    repo.commit("Side work")
    repo.tag("v9.0")
    repo.git("checkout", "-q", "main")
    repo.write("README.md", "Main work.\n")
    repo.commit("Main work")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    assert "tag v9.0 is not on the first-parent history of the built branch; skipped" in result.output
    assert "9.0" not in {v["version"] for v in json.loads((repo.root / "public/versions.json").read_text())}


def test_every_link_of_every_release_leads_somewhere_in_the_built_site(run, repo: GitSite) -> None:
    # a release's pages link to its own pages, to the site root's and to the root's versions page;
    # `site:changes` leads to the release's own changes page, which sends readers on to the root's
    repo.write(
        "content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\nSee [changes](site:changes).\n"
    )
    repo.commit("Link the changes page")
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    repo.commit("Release 3.0")
    assert run("build", "--source", repo.root, "--strict").exit_code == 0
    public = repo.root / "public"
    files = {str(p.relative_to(public)): p.read_bytes() for p in public.rglob("*") if p.is_file()}
    releases = sorted({path.split("/")[1] for path in files if path.startswith("v/")})
    assert releases == ["1.0", "1.1", "2.0", "3.0"]
    assert [p.format() for p in check_links(files)] == []  # the HTML parser reads every link of every page
    assert all(f"v/{v}/changes/index.html" in files for v in releases)
    assert 'href="../../changes/"' in files["v/3.0/policies/welcome/index.html"].decode()


def test_no_module_changes_a_link_in_html_it_rendered() -> None:
    """A release's pages are rendered by routes like any other page; the `href` patching that
    releases once did after rendering cannot come back unnoticed."""
    source = Path(__file__).parent.parent / "src/servicebook"
    patched = [
        f"{path.relative_to(source)}:{node.lineno}"
        for path in sorted(source.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"replace", "sub"}
        and "href=" in ast.unparse(node)
    ]
    assert patched == []


def test_a_release_stores_the_files_it_shares_with_the_release_before_as_links_to_them(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.site import releases

    written: list[str] = []
    real_write = releases._write
    monkeypatch.setattr(releases, "_write", lambda path, data: written.append(path) or real_write(path, data))
    assert run("build", "--source", repo.root).exit_code == 0
    trees = {json.loads((t / "catalog.json").read_bytes())["catalog_version"]: t for t in _release_trees(repo.root)}
    first, second = trees["1.0"], trees["1.1"]
    ones, twos = _stored(first), _stored(second)
    shared = [
        path
        for path, p in twos.items()
        if p.suffix != ".html" and path in ones and ones[path].read_bytes() == p.read_bytes()
    ]
    assert "schema.json" in shared and any(p.startswith("assets/") for p in shared)
    for path in shared:  # one file, not written again
        assert twos[path].stat().st_ino == ones[path].stat().st_ino
        assert not [w for w in written if w.endswith(f"/{twos[path].name}") and f".{second.name}." in w]
    assert run("verify", "--source", repo.root).exit_code == 0
    # an edit of a published copy of a shared file is found in both releases, which are built again
    (repo.root / "public/v/1.0/schema.json").write_bytes(b"{}")
    assert run("build", "--source", repo.root).exit_code == 0
    assert (repo.root / "public/v/1.1/schema.json").read_bytes() == (repo.root / "public/schema.json").read_bytes()
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_a_first_build_exports_the_sources_of_its_first_release_alone(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicebook.git import releases

    exported: list[str] = []
    real_export = releases.export
    monkeypatch.setattr(
        releases, "export", lambda r, commit, dest: exported.append(commit) or real_export(r, commit, dest)
    )
    assert run("build", "--source", repo.root).exit_code == 0
    assert len(exported) == 1  # 1.1 and 2.0: the sources of 1.0 moved by what changed
    assert {p.name for p in (repo.root / "public/v").iterdir()} == {"1.0", "1.1", "2.0"}
    assert run("verify", "--source", repo.root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_a_release_is_stored_flat_its_files_named_by_their_paths_long_ones_by_their_record(run, repo: GitSite) -> None:
    """A cached release is one folder (not a folder per page, as the output has: a first build of
    twenty releases made ~34,000 of them), each file named by its path; a path too long for one
    name (a content file deep in folders) is found again by the record when the tree is checked
    whole. What is published is what a build from nothing makes."""
    from servicebook.site.releases import COMPLETE

    deep = "/".join(f"a-folder-with-a-long-name-{'x' * 30}-{n}" for n in range(5)) + "/diagram.png"
    assert len(deep) > 255
    (repo.root / "content" / deep).parent.mkdir(parents=True)
    (repo.root / "content" / deep).write_bytes(b"\x89PNG\r\n\x1a\n not really an image")
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + f"\n![A diagram]({deep})\n")
    repo.write("catalog.yaml", catalog_at("2.1", extra_offering=True).replace("objective: 99.5", "objective: 99.9"))
    repo.commit("Release 2.1, with a diagram")
    result = run("build", "--source", repo.root)
    assert result.exit_code == 0, result.output
    built = _tree(repo.root / "public")
    shown = sorted(p for p in built if p.endswith("diagram.png"))  # the root's and release 2.1's
    assert len(shown) == 2 and shown[1] == f"v/2.1/{shown[0]}" and len(shown[0]) > 255
    trees = _release_trees(repo.root)
    assert len(trees) == 4
    for tree in trees:
        assert [p.name for p in tree.iterdir() if not p.is_file()] == []  # no folder of its own
        record = json.loads((tree / COMPLETE).read_text())
        assert "index.html" in record and "offerings/ci/index.html" in record
        # the record distrusted (every size off by one): the tree is listed, read and hashed whole
        (tree / COMPLETE).write_text(json.dumps({path: [size + 1, *rest] for path, (size, *rest) in record.items()}))
    repo.write("catalog.yaml", catalog_at("2.2", extra_offering=True).replace("objective: 99.5", "objective: 99.9"))
    repo.commit("Release 2.2")
    assert run("build", "--source", repo.root).exit_code == 0
    now = _tree(repo.root / "public")
    assert {p: b for p, b in now.items() if p.startswith("v/") and not p.startswith("v/2.2/")} == {
        p: b for p, b in built.items() if p.startswith("v/")
    }
    for tree in trees:  # kept, not built again: recorded again as found (a long path by its record)
        record = json.loads((tree / COMPLETE).read_text())
        assert {p for p in record if len(p) < 200} == set(_stored(tree)) and record == _identities(tree)
    assert run("verify", "--source", repo.root).exit_code == 0
    _assert_a_build_from_nothing_makes(run, repo, now)


def test_the_build_says_how_many_of_its_pages_are_the_releases(run, repo: GitSite, tmp_path: Path) -> None:
    # A first commit of a catalog with a `version:` publishes that release beside the site: the
    # page count doubles, and the build says why rather than leave a new user wondering.
    built = run("build", "--source", repo.root)
    assert built.exit_code == 0, built.output
    first = built.stdout.splitlines()[0]
    public = repo.root / "public"
    release_pages = sum(1 for f in (public / "v").rglob("*.html"))
    all_pages = sum(1 for f in public.rglob("*.html"))
    assert release_pages > 0
    assert first.startswith(f"Built {all_pages} pages (")
    assert first.endswith(f"; {release_pages} of the pages are the 3 releases'")

    one = _repo(tmp_path / "one")
    shutil.copytree(SITES / "minimal/content", one.root / "content")
    one.write("catalog.yaml", catalog_at("0.1"))
    one.commit("First catalog")
    built = run("build", "--source", one.root)
    assert built.exit_code == 0, built.output
    release_pages = sum(1 for f in (one.root / "public/v").rglob("*.html"))
    assert built.stdout.splitlines()[0].endswith(f"; {release_pages} of the pages are release 0.1's")


def test_a_build_that_finds_nothing_changed_says_the_releases_count_as_the_last_build_did(run, repo: GitSite) -> None:
    # The no-change build's report is the last build's, read from the manifest it recorded or
    # from the stamp: it says how many of the pages are the releases' as the build that wrote them did.
    first = run("build", "--source", repo.root).stdout.splitlines()[0]
    assert "of the pages are the 3 releases'" in first
    again = run("build", "--source", repo.root)  # sources written just now: told by the manifest
    assert again.exit_code == 0 and again.stdout.splitlines()[0] == first
    then = time.time_ns() - 60_000_000_000  # settled: the next no-change build records a stamp
    for path in [repo.root / "catalog.yaml", *(repo.root / "content").rglob("*"), repo.root / "content"]:
        os.utime(path, ns=(then, then))
    run("build", "--source", repo.root)
    stamp = fresh.Stamp.from_bytes(read_stamp(repo.root, str(repo.root / "public")))
    assert stamp is not None and stamp.releases == ("1.0", "1.1", "2.0")
    told = run("build", "--source", repo.root)  # told by the stamp
    assert told.exit_code == 0 and told.stdout.splitlines()[0] == first


def test_a_build_outside_git_says_nothing_of_releases(run, site_copy) -> None:
    site = site_copy("minimal")
    built = run("build", "--source", site)
    assert built.exit_code == 0
    assert built.stdout.splitlines()[0] == f"Built 15 pages (31 files) into {site / 'public'}"


def _staging_folders(root: Path) -> list[Path]:
    """What the release cache holds beside the release trees: staging folders (`.COMMIT.*`)."""
    return sorted((root / ".servicebook-cache/releases").glob("*/.*"))


def test_a_release_tree_holds_exactly_the_files_its_record_names_and_no_staging_folder_is_left(
    run, repo: GitSite
) -> None:
    """A release's stamped pages are written into its tree's staging folder as each is made (not
    held in memory until it is stored): the tree renamed in holds the release's files, its
    record and its data files' inputs (INPUTS), nothing more, and is what `verify` builds again without the cache, byte for byte."""
    assert run("build", "--source", repo.root).exit_code == 0
    trees = _release_trees(repo.root)
    assert len(trees) == 3
    for tree in trees:
        recorded = json.loads((tree / COMPLETE).read_text())
        assert "index.html" in recorded and "404.html" not in recorded
        assert sorted(p.name for p in tree.iterdir()) == sorted([COMPLETE, INPUTS, *map(flat_name, recorded)])
    assert _staging_folders(repo.root) == []
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_release_that_fails_after_its_pages_were_written_leaves_no_staging_folder(run, repo: GitSite) -> None:
    """Release 2.1 renders (its stamped pages written into its staging folder) and then fails
    its link check (an anchor of a built page): it is not published, nothing of it is left in the cache, and the next
    build does not take it either."""
    repo.write("catalog.yaml", catalog_at("2.1", extra_offering=True))
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\n[Gone](offering:ci#gone)\n")
    repo.commit("A link to an anchor that is not there")
    repo.write("catalog.yaml", catalog_at("2.2", extra_offering=True))
    repo.git("checkout", "HEAD~1", "--", "content/welcome.md")
    repo.commit("The link removed")
    built = run("build", "--source", repo.root)
    assert built.exit_code == 0, built.output
    assert "release 2.1 (" in built.stderr and "broken links" in built.stderr, built.stderr
    assert not (repo.root / "public/v/2.1").exists()
    assert len(_release_trees(repo.root)) == 4  # 1.0, 1.1, 2.0, 2.2
    assert _staging_folders(repo.root) == []
    again = run("build", "--source", repo.root)
    assert "release 2.1 (" in again.stderr and not (repo.root / "public/v/2.1").exists()


def test_a_staging_folder_a_killed_build_left_is_removed_when_its_release_is_built_again(run, repo: GitSite) -> None:
    """A build killed (SIGKILL) while it wrote a release leaves that release's staging folder
    (`.COMMIT.xxxxxxxx`, which may hold every stamped page of it). It is never taken as the
    release; the next build of that release removes it once it is old enough to be no other
    build's at work, and leaves one that is being written now."""
    assert run("build", "--source", repo.root).exit_code == 0
    tree = _release_trees(repo.root)[0]
    shutil.rmtree(tree)  # the release was not stored: the killed build was writing it,
    shutil.rmtree(repo.root / "public")  # and published nothing
    left = tree.parent / f".{tree.name}.killed01"
    left.mkdir()
    (left / "index.html").write_text("half a release")
    os.utime(left, (0, 0))
    working = tree.parent / f".{tree.name}.working"  # another build's, at work now
    working.mkdir()
    assert run("build", "--source", repo.root).exit_code == 0
    assert (tree / "index.html").is_file()
    assert not left.exists()
    assert working.is_dir()
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_releases_pages_keep_their_html_and_words_where_the_build_keeps_its_own(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release's pages keep their HTML in the build's spool (load.BodySpool), as the working
    tree's do, not in memory: HEAD's release (2.0) is the working tree's pages again, each
    distinct HTML kept once, and what the search index reads of each page (its words, its text
    fragment) is taken from where the build's own load put it, not read from its HTML again."""
    from servicebook.site import releases
    from servicebook.site.search import spooled_parts

    seen: dict[str, list[tuple[str, bool, bool]]] = {}  # version → (slug, HTML spooled, words kept)
    real_render = releases.render_site

    def looking(site: Any, *args: Any, **kwargs: Any) -> Any:
        seen[site.catalog.version] = [
            (p.slug, p.body == "" and bool(p.spooled), spooled_parts(p) is not None) for p in site.pages
        ]
        return real_render(site, *args, **kwargs)

    monkeypatch.setattr(releases, "render_site", looking)
    assert run("build", "--source", repo.root).exit_code == 0
    assert sorted(seen) == ["1.0", "1.1", "2.0"]
    assert all(spooled for pages in seen.values() for _, spooled, _ in pages)
    assert seen["2.0"] and all(words for _, _, words in seen["2.0"])
    assert run("verify", "--source", repo.root).exit_code == 0  # each release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_a_releases_data_files_are_written_into_its_staging_folder_as_each_is_made(
    run, repo: GitSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release's data files (its search index, catalog.json, …) go into the folder its tree is
    stored from as each comes in from the render, as its stamped pages do, not held as bytes until
    it is stored (but those the release before made of the same inputs, taken as they are:
    releases.LastMade); the last release built keeps none of them for a release after it."""
    from servicebook.site import releases

    held: dict[str, list[str]] = {}  # version → its data files held as bytes, not in its staging folder
    kept: list[str] = []  # the releases that kept their data files for the next
    real_render, real_keep = releases.render_site, releases._Reuse.keep

    def looking(site: Any, *args: Any, **kwargs: Any) -> Any:
        files = real_render(site, *args, **kwargs)
        into = kwargs["into"]
        held[site.catalog.version] = [
            path
            for path in files
            if not path.endswith(".html")
            and not path.startswith("assets/")
            and files.file(path) != into / flat_name(path)
        ]
        return files

    def keeping(self: Any, files: Any) -> None:
        kept.append(files["catalog.json"] and json.loads(files["catalog.json"])["catalog_version"])
        real_keep(self, files)

    monkeypatch.setattr(releases, "render_site", looking)
    monkeypatch.setattr(releases._Reuse, "keep", keeping)
    assert run("build", "--source", repo.root).exit_code == 0
    assert sorted(held) == ["1.0", "1.1", "2.0"]
    assert held["1.0"] == [] and "catalog.json" not in held["1.1"] + held["2.0"]
    trees = {
        json.loads((t / "catalog.json").read_bytes())["catalog_version"]: _stored(t) for t in _release_trees(repo.root)
    }
    for before, version in (("1.0", "1.1"), ("1.1", "2.0")):  # the bytes of the release before, kept
        assert all(trees[version][p].read_bytes() == trees[before][p].read_bytes() for p in held[version])
    assert kept == ["1.0", "1.1"]
    assert _staging_folders(repo.root) == []
    assert run("verify", "--source", repo.root).exit_code == 0
    _assert_a_build_from_nothing_makes(run, repo, _tree(repo.root / "public"))


def test_heads_release_takes_the_pages_the_build_loaded_not_read_back_again(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build from nothing of a site whose HEAD is a release (a team's own repository, nothing
    uncommitted) loads the working tree's pages, then HEAD's release loads the same pages under
    the same keys: it takes the very objects the build's own load took (BuildCache `took`), not
    each read back from the store and decoded again, which held every page twice."""
    from servicebook.site import buildcache, releases

    site = _repo(tmp_path / "site")
    shutil.copytree(SITES / "minimal/content", site.root / "content")
    site.write("catalog.yaml", catalog_at("1.0"))
    site.write(".gitignore", "/public/\n/.servicebook-cache/\n")
    site.commit("The catalog")
    decoded: list[str] = []
    real_decode, real_load = buildcache.decode_page, releases.load

    def decoding(*args: Any, **kwargs: Any) -> Any:
        result = real_decode(*args, **kwargs)
        decoded.append(result.page.slug if result.page is not None else "")
        return result

    loads: list[tuple[str, list[str], int]] = []  # each release's version, the pages its load decoded, of how many

    def loading(*args: Any, **kwargs: Any) -> Any:
        before = len(decoded)
        loaded = real_load(*args, **kwargs)
        loads.append((loaded.site.catalog.version, decoded[before:], len(loaded.site.pages)))
        return loaded

    monkeypatch.setattr(buildcache, "decode_page", decoding)
    monkeypatch.setattr(releases, "load", loading)
    assert run("build", "--source", site.root).exit_code == 0
    assert [(version, names) for version, names, _ in loads] == [("1.0", [])]
    assert loads[0][2] >= 1
    monkeypatch.undo()
    assert run("verify", "--source", site.root).exit_code == 0  # the release as an ordinary build makes it
    _assert_a_build_from_nothing_makes(run, site, _tree(site.root / "public"))


def test_a_tag_named_after_its_version_that_the_pattern_does_not_match_is_reported_where_it_changes_the_release() -> (
    None
):
    """`git tag 1.0` on the commit meant as release 1.0, with release tags `v*`: the release was the
    last commit carrying 1.0, and nothing said the tag was passed over (newuser16)."""
    candidates = _candidates("1.0", "1.0", "1.1")
    choices, notes = select_releases(candidates, [Tag("1.0", "c0"), Tag("1.1", "c2"), Tag("nightly", "c1")], "v*")
    assert [(c.release.version, c.release.commit, c.release.tag) for c in choices] == [
        ("1.0", "c1", None),
        ("1.1", "c2", None),
    ]
    assert notes == [
        Note(
            "tag 1.0 names version 1.0, but site.release_tags ('v*') does not match it: 1.0 is published from "
            "commit c1, the last that carries it, not from the tagged commit c0",
            "to publish the tagged commit, tag it v1.0 (`git tag v1.0 1.0`), or set site.release_tags to a glob "
            "that matches 1.0",
        )
    ]  # 1.1 is tagged on the commit that publishes it anyway: nothing to say
    assert select_releases(candidates, [Tag("1.0", "c0"), Tag("v1.0", "c0")], "v*")[1] == []


@pytest.mark.parametrize("in_git", [False, True], ids=["outside-git", "with-releases"])
def test_the_pages_kept_for_heads_release_are_let_go_before_the_site_is_rendered(
    run, repo: GitSite, site_copy, monkeypatch: pytest.MonkeyPatch, in_git: bool
) -> None:
    from servicebook.site import build
    from servicebook.site.buildcache import BuildCache

    caches: list[BuildCache] = []
    held: list[int] = []  # pages the build cache keeps for a release, as the site is written
    real_took, real_write = BuildCache.took, build.write_site

    def took(self: BuildCache, keys: Any, results: Any) -> None:
        caches.append(self)
        real_took(self, keys, results)

    def write_site(*args: Any, **kwargs: Any) -> Any:
        # what it holds is the point: the pages by key, or what they are made of
        held.append(sum(len(c._took or ()) + len(c._took_from[1] if c._took_from else ()) for c in caches))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(BuildCache, "took", took)
    monkeypatch.setattr(build, "write_site", write_site)
    root = repo.root if in_git else site_copy("minimal")
    assert run("build", "--source", root).exit_code == 0
    # a site outside git has no release to take them: a 20k build held every page to its end (+19 MiB)
    assert caches and held and set(held) == {0}
