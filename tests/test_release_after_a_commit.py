"""A commit to the catalog's sources makes a new release of HEAD's version (the last commit that
carries it, while it has no tag): what did not change is taken from that version's last build,
and the release is, byte for byte, what a build from nothing of the same commit makes."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from servicebook.cache.folder import flat_name
from servicebook.site.search.files import _text_file

from .conftest import GitSite, catalog_at
from .searchstages import patch_stage

pytestmark = pytest.mark.git

PAGES = ("alpha", "beta", "gamma")


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".servicebook-build"
    }


def _untagged_release(run, repo: GitSite) -> None:
    """Version 3.0, with three policy pages more, released by its last commit (no tag), built."""
    repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True))
    for name in PAGES:
        page = f"---\ntitle: Page {name}\nsummary: A page.\n---\n\n## What {name} says\n\nIt says it at some length.\n"
        repo.write(f"content/{name}.md", page)
    repo.commit("Version 3.0")
    built = run("build", "--source", repo.root)
    assert built.exit_code == 0, built.output


def _commit_an_edit(repo: GitSite) -> None:
    repo.write("content/alpha.md", (repo.root / "content/alpha.md").read_text() + "\nA committed edit.\n")
    repo.commit("Edit alpha")


def _cold_build_of_the_same_commit(run, repo: GitSite, tmp_path: Path) -> dict[str, bytes]:
    """The output of a build with no cache and no output of a clone of the repository's HEAD."""
    clone = tmp_path / "clone"
    repo.git("clone", "-q", str(repo.root), str(clone))
    assert run("build", "--source", clone).exit_code == 0
    return _tree(clone / "public")


def test_a_commit_to_one_page_takes_the_other_pages_search_texts_from_the_release_before(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _untagged_release(run, repo)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")  # every file made in this process
    made: list[str] = []

    def text(page: object) -> bytes:
        made.append(page.slug)  # type: ignore[attr-defined]
        return _text_file(page)  # type: ignore[arg-type]

    patch_stage(monkeypatch, "_text_file", text)
    _commit_an_edit(repo)
    built = run("build", "--source", repo.root)
    assert built.exit_code == 0, built.output
    assert re.search(r"^  releases +1 +3$", built.stdout, re.MULTILINE)  # 3.0 of the new commit; 1.0, 1.1, 2.0
    # the edited page's text fragment alone is made (the current catalog's and 3.0's); the
    # release's others are the last build's of 3.0, whose pages are as they were
    assert sorted(set(made)) == ["alpha"]
    assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, tmp_path)
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_release_file_edited_in_place_since_is_not_taken_for_the_next_commit(
    run, repo: GitSite, tmp_path: Path
) -> None:
    """A published file is a hard link to its release's tree in the cache: one edited in place
    (the same size: its modification time alone tells) is not the bytes the tree recorded, and
    the next commit's release makes its own."""
    _untagged_release(run, repo)
    tree = next((repo.root / ".servicebook-cache/releases").glob(f"*/{repo.head()}"))
    inputs = json.loads((tree / ".complete-inputs").read_text())["inputs"]
    fragments = [p for p in inputs if p.startswith("search/t/")]
    assert fragments  # (the search index's text fragments are recorded with their inputs)
    for path in fragments:
        published = repo.root / "public/v/3.0" / path
        assert published.samefile(tree / flat_name(path))
        data = published.read_bytes()
        with published.open("r+b") as handle:
            handle.write(data.replace(b"says", b"SAYS"))
    _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0
    built = _tree(repo.root / "public")
    assert not any(b"SAYS" in data for data in built.values())
    assert built == _cold_build_of_the_same_commit(run, repo, tmp_path)


def test_a_commit_s_release_starts_from_the_sources_the_last_build_left_not_an_export(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release's sources are those the last build left (`.servicebook-cache/sources/`), each
    file compared with the commit's and the one that differs written: no `git archive` of them
    all; and what is there is trusted in nothing (a file changed, one added, one removed)."""
    from servicebook.git import releases

    _untagged_release(run, repo)
    exports: list[str] = []
    real = releases.export

    def export(repo_: object, commit: str, dest: Path) -> None:
        exports.append(commit)
        real(repo_, commit, dest)  # type: ignore[arg-type]

    monkeypatch.setattr(releases, "export", export)
    from servicebook.site import releases as built_releases

    scans: list[Path] = []
    real_scan = built_releases.scan_sources

    def scan(root: Path, *args: object) -> object:
        scans.append(root)
        return real_scan(root, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(built_releases, "scan_sources", scan)
    _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0
    assert exports == []
    # (nor a scan of them: the ids of the files the sync wrote are git's own)
    assert not any(".servicebook-cache" in str(root) for root in scans), scans
    assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, tmp_path)
    exports.clear()  # (the clone's build from nothing exports its sources)
    # the sources left behind, damaged: the next commit's release is still its commit's
    kept = repo.root / ".servicebook-cache/sources/last"
    (kept / "content/beta.md").write_text("---\ntitle: Not beta\n---\n\nInjected.\n")
    (kept / "content/stray.md").write_text("---\ntitle: Stray\n---\n\nNot in any commit.\n")
    (kept / "content/gamma.md").unlink()
    repo.write("content/alpha.md", (repo.root / "content/alpha.md").read_text() + "\nAnother edit.\n")
    repo.commit("Edit alpha again")
    assert run("build", "--source", repo.root).exit_code == 0
    assert exports == []
    built = _tree(repo.root / "public")
    assert not any(b"Injected" in data or b"Not in any commit" in data for data in built.values())
    assert built == _cold_build_of_the_same_commit(run, repo, tmp_path / "again")
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_policy_page_is_keyed_by_its_html_s_digest_and_its_html_read_once_a_servicebook() -> None:
    """A policy page's stamped page is keyed by its HTML as the SHA-256 the page holds of it
    (stamps._Fingerprints `whole`): the same key wherever the build keeps the HTML. The HTML is
    read (for the placeholders' character) only when no build of this servicebook read the same
    HTML before (stamps.Carried `clean`, kept with each release's tree); another HTML is another
    key, and one that holds the character is never stamped."""
    import dataclasses
    import hashlib

    from servicebook.catalog import model
    from servicebook.site.stamps import Carried, _Fingerprints, _Marked

    html = "<h2>What we support</h2><p>CI pipelines.</p>"
    sha256 = hashlib.sha256(html.encode()).hexdigest()
    held = model.Page(
        slug="welcome",
        source="content/welcome.md",
        meta=model.PageMeta(title="How we work"),
        body=html,
        text="What we support CI pipelines.",
        headings=(),
        html_sha256=sha256,
    )
    # kept where no build keeps it any more: reading its HTML raises (model.Page `html`)
    gone = dataclasses.replace(held, body="", spooled=(-987654, 0, 0))
    with pytest.raises(OSError, match="no longer where the build kept it"):
        _Fingerprints().whole(gone)  # never looked at: read
    looked = Carried()
    assert _Fingerprints(carried=looked).whole(held) == _Fingerprints().whole(held)
    assert looked.clean == {sha256}
    assert _Fingerprints(carried=Carried(clean={sha256})).whole(gone) == _Fingerprints().whole(held)
    other = dataclasses.replace(held, body=html + "<p>More.</p>", html_sha256=hashlib.sha256(b"other").hexdigest())
    assert _Fingerprints().whole(other) != _Fingerprints().whole(held)
    marked = html + "\ue0003\ue000"
    holding = dataclasses.replace(held, body=marked, html_sha256=hashlib.sha256(marked.encode()).hexdigest())
    with pytest.raises(_Marked):
        _Fingerprints().whole(holding)
    # digested where the placeholders are expected (the stamped context's own): never noted clean
    seen = Carried()
    _Fingerprints(strict=False, carried=seen).whole(holding)
    assert seen.clean == set()
    with pytest.raises(_Marked):
        _Fingerprints(carried=seen).whole(holding)


def _stamped_pages_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the stamped pages whose HTML the build reads back from the store."""
    from servicebook.site.buildcache import BuildCache

    asked: list[str] = []
    real = BuildCache.get_rendered

    def recording(self: BuildCache, keys: list[str]) -> dict[str, tuple[str, str, str]]:
        asked.extend(keys)
        return real(self, keys)

    monkeypatch.setattr(BuildCache, "get_rendered", recording)
    return asked


def _release_tree(repo: GitSite) -> Path:
    return next((repo.root / ".servicebook-cache/releases").glob(f"*/{repo.head()}"))


def _link_to_alpha(repo: GitSite) -> None:
    """gamma links to alpha's heading (a kept page's link to an edited page)."""
    gamma = repo.root / "content/gamma.md"
    gamma.write_text(gamma.read_text() + "\nSee [what alpha says](alpha.md#what-alpha-says).\n")


def _rename(repo: GitSite, old: str, new: str) -> None:
    (repo.root / f"content/{old}.md").rename(repo.root / f"content/{new}.md")


CHANGES = {
    "a page edited": _commit_an_edit,
    "a page added": lambda repo: (
        repo.write(
            "content/delta.md", "---\ntitle: Page delta\nsummary: New.\n---\n\n## What delta says\n\nIt is new.\n"
        ),
        repo.commit("Add delta"),
    ),
    "a page removed": lambda repo: ((repo.root / "content/beta.md").unlink(), repo.commit("Remove beta")),
    "a page renamed": lambda repo: (_rename(repo, "beta", "delta"), repo.commit("Rename beta")),
    "the catalog changed": lambda repo: (
        repo.write("catalog.yaml", catalog_at("3.0", extra_offering=True).replace("Stores build", "Keeps build")),
        repo.commit("A summary"),
    ),
    "a heading renamed, and a link to it": lambda repo: (
        repo.edit("## What alpha says", "## What alpha said", "content/alpha.md"),
        repo.edit("#what-alpha-says", "#what-alpha-said", "content/gamma.md"),
        repo.commit("Rename alpha's heading"),
    ),
    "the version changed": lambda repo: (
        repo.write("catalog.yaml", catalog_at("3.1", extra_offering=True)),
        repo.commit("Version 3.1"),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_commit_s_release_restamped_from_the_last_build_is_a_build_from_nothing_s(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The release of the new commit takes each stamped page whose key is the last build's from
    that build's tree, its stamp replaced, and is byte for byte a build from nothing's of the
    same commit (its files, its manifest), two commits in a row; `verify` passes."""
    _untagged_release(run, repo)
    _link_to_alpha(repo)
    repo.commit("Link to alpha")
    assert run("build", "--source", repo.root).exit_code == 0
    for n, step in enumerate((CHANGES[change], _commit_an_edit)):
        step(repo)
        built = run("build", "--source", repo.root)
        cold = tmp_path / f"cold{n}"
        cold.mkdir()
        clone = cold / "clone"
        repo.git("clone", "-q", str(repo.root), str(clone))
        from_nothing = run("build", "--source", clone)
        assert (built.exit_code, from_nothing.exit_code) == (0, 0), built.output + from_nothing.output
        assert _tree(repo.root / "public") == _tree(clone / "public")
        assert run("verify", "--source", repo.root).exit_code == 0


def test_a_commit_to_one_page_reads_back_from_the_store_only_the_pages_whose_key_changed(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every other stamped page of the release is the last build's file with the stamp replaced
    (stamps.Restamp): its HTML is not read back from the store, split and joined again."""
    _untagged_release(run, repo)
    asked = _stamped_pages_asked(monkeypatch)
    _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0
    # the edited page, the lists of policy pages, and the offering listing them: not one more
    assert 0 < len(asked) <= 5, len(asked)
    record = json.loads((_release_tree(repo) / ".complete-inputs").read_text())
    assert len(record["pages"]) > 10  # (offering, tool and policy pages, the lists)
    assert record["stamp"]["3"] == repo.head()  # the commit, where each page shows it
    assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, tmp_path)


@pytest.mark.parametrize("case", ["one page edited", "the record's keys altered", "the catalog changed"])
def test_a_commit_s_release_keys_only_the_pages_made_of_what_changed_since_the_last_tree(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """A build after a commit takes each stamped page's key from the last tree's record where
    the page is made of the same as then (stamps._views and `_made_of`: the catalog, what each
    policy page shows of itself to the others, and a policy page's own HTML): a commit to one
    page's body keys that page alone, in a new process; a record altered, or the catalog
    changed, keys every page again. Each release is a build from nothing's, byte for byte."""
    from servicebook.site import stamps

    _untagged_release(run, repo)
    keyed: list[str] = []
    page_key, list_key = stamps.page_key, stamps.list_key

    def counting(stamping: object, spec: stamps.PageSpec, *args: object) -> str | None:
        keyed.append(spec.path)
        return (list_key if args else page_key)(stamping, spec, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(stamps, "page_key", counting)
    monkeypatch.setattr(stamps, "list_key", counting)
    record_file = _release_tree(repo) / ".complete-inputs"
    record = json.loads(record_file.read_text())
    if case == "the record's keys altered":
        for page in record["pages"].values():
            page[0] = page[0][::-1]
        record_file.write_text(json.dumps(record))
    if case == "the catalog changed":
        CHANGES[case](repo)
    else:
        _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0
    if case == "one page edited":
        assert keyed == ["policies/alpha/index.html"]
    else:
        assert len(keyed) == len(record["pages"]) > 10
    assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, tmp_path)
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_commit_s_release_manifest_reads_back_none_of_the_pages_it_restamped(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restamped page's SHA-256 is taken from the bytes written (stamps.Carried `hashed`): the
    release's manifest reads back only the files it did not make so, and is a build from
    nothing's."""
    from servicebook.site.write import SiteFiles

    _untagged_release(run, repo)
    read: list[str] = []
    real = SiteFiles.sha256

    def sha256(self: SiteFiles, path: str) -> str:
        where = self._data.get(path)
        if isinstance(where, str) and "/.servicebook-cache/releases/" in where:  # a file of the release's
            read.append(path)
        return real(self, path)

    monkeypatch.setattr(SiteFiles, "sha256", sha256)
    _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0
    record = json.loads((_release_tree(repo) / ".complete-inputs").read_text())
    restamped = set(record["pages"]) - {"policies/alpha/index.html"}
    assert len(restamped) > 10 and read  # (its other files are read: its data files)
    assert not restamped & set(read)
    assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, tmp_path)


@pytest.mark.parametrize("damage", ["a page edited in place", "the record's places moved", "the record's stamp"])
def test_a_restamped_page_is_taken_only_while_the_last_tree_and_its_record_are_as_written(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """A page of the last tree edited in place through its published hard link (the same size:
    its modification time tells), or a record whose places or stamp are not the file's: the
    page is filled in from the store instead, and the release is still its commit's."""
    _untagged_release(run, repo)
    tree = _release_tree(repo)
    record_file = tree / ".complete-inputs"
    record = json.loads(record_file.read_text())
    beta = next(p for p in record["pages"] if "beta" in p)
    if damage == "a page edited in place":
        published = repo.root / "public/v/3.0" / beta
        assert published.samefile(tree / flat_name(beta))
        data = published.read_bytes()
        with published.open("r+b") as handle:
            handle.write(data.replace(b"says", b"SAYS"))
    elif damage == "the record's places moved":
        for page in record["pages"].values():
            page[2] = " ".join(str(int(n) + (i % 2)) for i, n in enumerate(page[2].split()))
    else:
        record["stamp"]["3"] = "0" * 40
    record_file.write_text(json.dumps(record))
    asked = _stamped_pages_asked(monkeypatch)
    _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0
    built = _tree(repo.root / "public")
    assert not any(b"SAYS" in data for data in built.values())
    assert built == _cold_build_of_the_same_commit(run, repo, tmp_path)
    assert len(asked) > (len(record["pages"]) if damage != "a page edited in place" else 1)
    assert run("verify", "--source", repo.root).exit_code == 0


def test_a_commit_s_build_moves_the_spare_s_replaced_pages_and_the_last_tree_away_rather_than_unlinking_them(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a commit the spare (the site of two builds back) holds the release pages of a
    commit whose tree is gone: each its file's last link, whose unlink the build waited for.
    They are renamed into a trash beside the output (a detached process removes it), not
    unlinked by the build; and the last commit's tree, no release's now, is renamed away and
    removed by a detached process too. The site is a build from nothing's, and the next
    commit's build, from the spare so left, is too."""
    from servicebook.site import write

    monkeypatch.setattr(write, "TRASH_FROM", 0)  # (a site of thousands: past the first few)
    _untagged_release(run, repo)
    _commit_an_edit(repo)
    assert run("build", "--source", repo.root).exit_code == 0  # the spare: the first commit's site
    unlinked: list[str] = []
    real_unlink, real_rmtree = os.unlink, shutil.rmtree

    def unlink(path: object, *args: object, **kwargs: object) -> None:
        unlinked.append(str(path))
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    def rmtree(path: object, *args: object, **kwargs: object) -> None:
        unlinked.append(str(path))
        real_rmtree(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(shutil, "rmtree", rmtree)
    for n in range(2):
        last_tree = _release_tree(repo)
        repo.write("content/beta.md", (repo.root / "content/beta.md").read_text() + f"\nEdit {n}.\n")
        repo.commit(f"Edit beta, {n}")
        unlinked.clear()
        built = run("build", "--source", repo.root)
        assert built.exit_code == 0, built.output
        # (but the marker, rewritten: never written into, as it may be shared)
        in_the_spare = [p for p in unlinked if "/.public.new-" in p and not p.endswith("/.servicebook-build")]
        assert in_the_spare == []
        assert not last_tree.exists()  # renamed away at once
        assert not [p for p in unlinked if "/.gone-" in p]  # and not removed by the build
        cold = tmp_path / f"cold{n}"
        cold.mkdir()
        assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, cold)
        assert run("verify", "--source", repo.root).exit_code == 0


def test_the_spare_s_trash_takes_files_and_folders_by_a_rename_and_leaves_the_live_site_s_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first TRASH_FROM removals are done in place; the rest are renamed into one folder
    beside the output, named so that `recover` finishes its removal, and a file the live site
    shares (a hard link) is the live site's still."""
    from servicebook.site import write

    monkeypatch.setattr(write, "TRASH_FROM", 1)
    output, spare = tmp_path / "public", tmp_path / ".public.new-x"
    (output / "p").mkdir(parents=True)
    (spare / "p").mkdir(parents=True)
    (spare / "gone" / "deep").mkdir(parents=True)
    (output / "p/index.html").write_text("live")
    for name in ("a", "b"):
        (spare / name).write_text(name)
    os.link(output / "p/index.html", spare / "p/index.html")
    (spare / "gone/deep/x").write_text("x")
    started: list[Path] = []
    monkeypatch.setattr(write, "_remove_in_background", started.append)
    trash = write._Trash(output)
    for path, folder in (("a", False), ("b", False), ("p/index.html", False), ("gone", True)):
        trash.remove(f"{spare}/{path}", folder=folder)
    assert sorted(p.relative_to(spare).as_posix() for p in spare.rglob("*")) == ["p"]
    assert (output / "p/index.html").read_text() == "live"
    (folder,) = tmp_path.glob(f"{write.TRASH_PREFIX}public-*")
    assert sorted(p.name for p in folder.iterdir()) == ["2", "3", "4"]  # the first in place
    assert (folder / "3").samefile(output / "p/index.html")
    assert (folder / "4/deep/x").read_text() == "x"
    trash.empty()
    assert started == [folder]
    write.recover(output)  # (a removal cut short: started again)
    assert started == [folder, folder]


def test_a_commit_s_release_takes_the_theme_s_compiled_templates_from_the_user_s_cache(
    run, repo: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release is rendered before the current catalog's pages, which a one-page commit mostly
    keeps: its templates' code is the compiled code the user's cache keeps (templates.environment),
    not each template compiled from its text again in every build."""
    import jinja2

    from servicebook.site import templates

    templates._theme_environment.cache_clear()  # (a test before may have made it without the user's cache)
    _untagged_release(run, repo)
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")  # every template rendered in this process
    compiled: list[str | None] = []
    real = jinja2.Environment.compile

    def compile(self: jinja2.Environment, source: str, name: str | None = None, *args: object) -> object:
        compiled.append(name)
        return real(self, source, name, *args)  # type: ignore[call-overload]

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    _commit_an_edit(repo)
    templates._theme_environment.cache_clear()  # as a new process starts (CI's job, a hook)
    built = run("build", "--source", repo.root)
    assert built.exit_code == 0, built.output
    assert compiled == []
    assert _tree(repo.root / "public") == _cold_build_of_the_same_commit(run, repo, tmp_path)
