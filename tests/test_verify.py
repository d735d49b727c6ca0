"""`servicebook verify` rebuilds a published site from the repository and trusts nothing the copy
says about itself but the commit it names: not its versions.json, not its manifests."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import servicebook
from servicebook.cli import main
from servicebook.site.verify import first_difference

from .conftest import FIXED_EPOCH, SITES, GitSite, catalog_at

pytestmark = pytest.mark.git
ENV = {"SOURCE_DATE_EPOCH": FIXED_EPOCH}


def cli(*args: str | Path, cwd: Path | None = None) -> Result:
    here = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return CliRunner().invoke(main, [str(a) for a in args], env=ENV, catch_exceptions=False)
    finally:
        os.chdir(here)


def clone(source: Path, dest: Path, *options: str) -> Path:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "clone", "-q", *options, f"file://{source}", str(dest)], check=True, env=env)
    return dest


def rewrite_manifest(site: Path) -> None:
    """What someone who edits a published site also does: make its manifest match again."""
    manifest = site / "manifest.sha256"
    lines = []
    for line in manifest.read_text().splitlines():
        path = line.split("  ", 1)[1]
        lines.append(f"{hashlib.sha256((site / path).read_bytes()).hexdigest()}  {path}\n")
    manifest.write_text("".join(lines))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitSite, Path, Path]]:
    """0.3 (tag v0.3), 0.4 (tag v0.4), a later commit still carrying 0.4 (untagged), 0.5 (HEAD);
    the site built from a full clone, and one built from a `--no-tags` clone (where v/0.4 comes
    from the later commit)."""
    base = tmp_path_factory.mktemp("verify")
    (base / "repo").mkdir()
    repo = GitSite(base / "repo")
    shutil.copytree(SITES / "minimal/content", repo.root / "content")
    repo.write(".gitignore", "/public/\n/.servicebook-cache/\n")
    repo.write("catalog.yaml", catalog_at("0.3"))
    repo.commit("0.3")
    repo.tag("v0.3")
    repo.write("catalog.yaml", catalog_at("0.4"))
    repo.commit("0.4")
    repo.tag("v0.4")
    repo.write("content/welcome.md", (repo.root / "content/welcome.md").read_text() + "\nLater, still 0.4.\n")
    repo.commit("Still 0.4")
    repo.write("catalog.yaml", catalog_at("0.5"))
    repo.commit("0.5")
    assert cli("build", "--source", repo.root).exit_code == 0
    untagged = clone(repo.root, base / "no-tags", "--no-tags")
    assert cli("build", "--source", untagged).exit_code == 0
    yield repo, repo.root / "public", untagged / "public"


@pytest.fixture
def site(published: tuple[GitSite, Path, Path], tmp_path: Path) -> Path:
    """A copy of the correct site, to tamper with."""
    copy = tmp_path / "published"
    shutil.copytree(published[1], copy)
    return copy


def test_an_untouched_site_matches_a_rebuild_of_its_commit(published: tuple[GitSite, Path, Path]) -> None:
    repo, good, _ = published
    head = repo.git("rev-parse", "HEAD").strip()
    result = cli("verify", "--source", repo.root, "--site", good)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Verified the current catalog and 3 release(s) (0.5, 0.4, 0.3) against a rebuild of commit {head[:12]}: "
        "every file matches a rebuild.\n"
    )


def test_a_release_swapped_in_with_its_index_and_manifest_is_caught(
    published: tuple[GitSite, Path, Path], site: Path
) -> None:
    repo, _, untagged = published
    shutil.rmtree(site / "v/0.4")
    shutil.copytree(untagged / "v/0.4", site / "v/0.4")
    shutil.copy(untagged / "versions.json", site / "versions.json")
    rewrite_manifest(site)
    swapped = json.loads((site / "versions.json").read_text())[1]["commit"]
    tagged = repo.git("rev-parse", "v0.4").strip()
    result = cli("verify", "--source", repo.root, "--site", site)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0] == (
        f"error: v/0.4/ is published from commit {swapped[:12]} (no tag), "
        f"but release 0.4 in this repository is commit {tagged[:12]} (tag v0.4)"
    )
    assert "error: versions.json: differs from a rebuild" in errors
    assert "error: manifest.sha256: differs from a rebuild" in errors
    assert any(
        e.startswith("error: v/0.4/: ") and e.endswith("files differ from a rebuild of the repository's release")
        for e in errors
    )
    assert "hint: where they differ, the published copy is not what this repository says was published" in result.stderr
    assert "hint: a release tag added, moved or deleted after the site was built also makes its release differ" in (
        result.stderr
    )
    # --version checks the one release the same way
    only = cli("verify", "--source", repo.root, "--site", site, "--version", "0.4")
    assert only.exit_code == 1
    assert only.stderr.splitlines()[0] == errors[0]


def test_an_edit_of_the_current_catalog_is_caught_even_with_its_manifest_rewritten(
    published: tuple[GitSite, Path, Path], site: Path
) -> None:
    page = site / "offerings/ci/index.html"
    page.write_text(page.read_text().replace("99.5 %", "99.95 %"))
    rewrite_manifest(site)
    result = cli("verify", "--source", published[0].root, "--site", site)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: manifest.sha256: differs from a rebuild",
        "error: offerings/ci/index.html: differs from a rebuild",
    ]
    # what was changed is shown, from the line where the copy departs from the rebuild
    lines = result.stderr.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("error: offerings/ci/index.html"))
    assert re.fullmatch(r"  first at line \d+:", lines[at + 1])
    assert lines[at + 2].startswith("    published: ") and "99.95 %" in lines[at + 2]
    assert lines[at + 3].startswith("    rebuild:   ") and "99.5 %" in lines[at + 3]


def test_a_copy_that_differs_from_a_rebuild_by_a_servicebook_of_the_same_version_says_another_build_of_it_can(
    published: tuple[GitSite, Path, Path], site: Path
) -> None:
    """Every wheel made from servicebook's repository says the same version (newuser17 upgraded
    from one of a day before, both 0.1.0): a copy that the older one published differed from the
    rebuild in its schema.json and manifests, and verify said only to find out how the copy came
    to differ, as of an edited copy. It says that another build of the same version can differ."""
    page = site / "schema.json"
    page.write_text(page.read_text().replace('"type": "object"', '"type":  "object"', 1))
    result = cli("verify", "--source", published[0].root, "--site", site)
    assert result.exit_code == 1
    assert "error: schema.json: differs from a rebuild\n" in result.stderr
    assert (
        f"hint: the site says it was built by servicebook {servicebook.__version__}, as this one is; a servicebook "
        f"{servicebook.__version__} made from another commit of servicebook's repository (an older or newer wheel "
        "of the same version) can make other files too: if the copy was built by one, verify with it"
    ) in result.stderr


def test_missing_and_extra_releases_are_reported(published: tuple[GitSite, Path, Path], site: Path) -> None:
    repo = published[0]
    index = json.loads((site / "versions.json").read_text())
    fake = {**index[0], "version": "0.9", "title": "0.9", "path": "v/0.9/"}
    (site / "versions.json").write_text(json.dumps([fake, *index[:2]], indent=2) + "\n")  # 0.3 dropped, 0.9 added
    shutil.rmtree(site / "v/0.3")
    shutil.copytree(site / "v/0.5", site / "v/0.9")
    result = cli("verify", "--source", repo.root, "--site", site)
    assert result.exit_code == 1
    v03 = repo.git("rev-parse", "v0.3").strip()
    assert f"error: release 0.3 (commit {v03[:12]} (tag v0.3)) is not published\n" in result.stderr
    assert (
        f"error: v/0.9/ is published as release 0.9 (commit {fake['commit'][:12]} (no tag)), but this repository "
        "has no such release on the history the site was built from\n"
    ) in result.stderr


def test_a_site_built_from_uncommitted_changes_is_not_passed_as_verified(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    repo = GitSite(tmp_path / "repo")
    shutil.copytree(SITES / "minimal", repo.root, dirs_exist_ok=True)
    repo.write(".gitignore", "/public/\n/.servicebook-cache/\n")
    repo.commit("0.1")
    repo.edit("objective: 99.5", "objective: 99.7")  # never committed
    assert cli("build", "--source", repo.root).exit_code == 0
    head = repo.git("rev-parse", "HEAD").strip()[:12]
    refused = cli("verify", "--source", repo.root)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"error: the current catalog at the root of {repo.root / 'public'} was built from uncommitted changes on top "
        f"of commit {head}, so git cannot rebuild it and it is not verified: publish a build of a clean checkout "
        "(commit the changes first), or pass --allow-dirty to check its files only against the site's own "
        "manifest.sha256 (which whoever can edit the site can rewrite)\n"
    )
    allowed = cli("verify", "--source", repo.root, "--allow-dirty")
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout == (
        f"Verified 1 release(s) (0.1) against a rebuild from commit {head}: every file matches a rebuild. "
        "The current catalog was built from uncommitted changes: it was only checked against its own manifest "
        "(--allow-dirty).\n"
    )
    page = repo.root / "public/offerings/ci/index.html"
    page.write_text(page.read_text().replace("99.7 %", "99.9 %"))
    tampered = cli("verify", "--source", repo.root, "--allow-dirty")
    assert tampered.exit_code == 1
    assert "error: offerings/ci/index.html: differs from the manifest published with it\n" in tampered.stderr


def test_verify_refuses_a_shallow_clone_and_a_commit_it_does_not_have(
    published: tuple[GitSite, Path, Path], site: Path, tmp_path: Path
) -> None:
    repo = published[0]
    shallow = clone(repo.root, tmp_path / "shallow", "--depth", "1")
    result = cli("verify", "--source", shallow, "--site", site)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {shallow} is a shallow clone: past releases and the history cannot be rebuilt from it; fetch "
        "everything first: `git fetch --unshallow --tags` (in CI: fetch-depth: 0)\n"
    )
    document = json.loads((site / "catalog.json").read_text())
    document["build"]["commit"] = "0" * 40
    (site / "catalog.json").write_text(json.dumps(document))
    unknown = cli("verify", "--source", repo.root, "--site", site)
    assert unknown.exit_code == 2
    assert "says it was built from commit 000000000000, which this repository does not have" in unknown.stderr
    (tmp_path / "download").mkdir()  # an auditor with a downloaded site, outside any clone
    outside = cli("verify", "--site", site, cwd=tmp_path / "download")
    assert (outside.exit_code, outside.stderr) == (
        2,
        "error: . is not in a git repository: verify rebuilds the site from the history of the repository it was "
        "built from; run it in a clone of that repository, or give the clone's folder with --source\n",
    )


def test_verify_rebuilds_from_the_commit_the_site_names_not_from_the_checkout(
    published: tuple[GitSite, Path, Path], tmp_path: Path
) -> None:
    repo, good, _ = published
    later = clone(repo.root, tmp_path / "later")
    (later / "catalog.yaml").write_text(catalog_at("0.6"))
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qam", "0.6"],):
        subprocess.run(["git", "-C", str(later), *args], check=True, env=env)
    result = cli("verify", "--source", later, "--site", good)
    assert result.exit_code == 0, result.output


def test_a_site_built_by_another_servicebook_is_pointed_out(published: tuple[GitSite, Path, Path], site: Path) -> None:
    document = json.loads((site / "catalog.json").read_text())
    document["build"]["generator"] = "servicebook 0.0.1"
    (site / "catalog.json").write_text(json.dumps(document))
    result = cli("verify", "--source", published[0].root, "--site", site)
    assert result.exit_code == 1
    assert "error: catalog.json: differs from a rebuild\n" in result.stderr
    assert "hint: the site says it was built by servicebook 0.0.1 and this is servicebook " in result.stderr
    assert "verify with the servicebook that built it" in result.stderr


@pytest.mark.slow
def test_files_a_host_reads_are_not_differences_but_others_are(
    published: tuple[GitSite, Path, Path], site: Path
) -> None:
    repo = published[0]
    (site / "CNAME").write_text("catalog.acme.example\n")
    (site / ".nojekyll").write_text("")
    passed = cli("verify", "--source", repo.root, "--site", site)
    assert passed.exit_code == 0
    assert "note: not compared, as a publishing job adds them: .nojekyll, CNAME; the host obeys them" in passed.stderr
    (site / "offerings" / "extra.html").write_text("<p>not ours</p>\n")
    result = cli("verify", "--source", repo.root, "--site", site)
    assert result.exit_code == 1
    assert "offerings/extra.html: not produced by a rebuild" in result.output
    assert "error: CNAME" not in result.output and "error: .nojekyll" not in result.output


def test_a_symbolic_link_in_the_published_site_is_a_difference_and_is_not_followed(
    published: tuple[GitSite, Path, Path], site: Path, tmp_path: Path
) -> None:
    """A build never makes a link, and a host may follow one (nginx does): a link added to the
    published site, as a page of its own, in place of a page or as a folder, would publish what
    it points to. verify skipped links, and passed such a site as 'every file matches'."""
    repo = published[0]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=do-not-show\n")
    (site / "offerings" / "extra.html").symlink_to(secret)
    (site / "etc").symlink_to(tmp_path)
    (site / "v" / "0.3" / "index.html").unlink()
    (site / "v" / "0.3" / "index.html").symlink_to(secret)
    result = cli("verify", "--source", repo.root, "--site", site)
    assert result.exit_code == 1, result.output
    assert f"offerings/extra.html: a symbolic link (to '{secret}') in the published site" in result.output
    assert f"etc: a symbolic link (to '{tmp_path}') in the published site" in result.output
    assert "v/0.3/index.html: a symbolic link" in result.output
    assert "do-not-show" not in result.output
    only = cli("verify", "--source", repo.root, "--site", site, "--version", "0.3")
    assert only.exit_code == 1, only.output
    assert "v/0.3/index.html: a symbolic link" in only.output
    assert "offerings/extra.html" not in only.output  # the root is not checked with --version


def test_a_named_pipe_in_the_published_site_is_a_difference_and_is_not_read(
    published: tuple[GitSite, Path, Path], site: Path
) -> None:
    """A build never makes a FIFO, socket or device; verify skipped one (its hashes are of regular
    files) and said 'every file matches', as for a page replaced by one."""
    repo = published[0]
    os.mkfifo(site / "offerings" / "extra.html")
    (site / "v" / "0.3" / "index.html").unlink()
    os.mkfifo(site / "v" / "0.3" / "index.html")
    result = cli("verify", "--source", repo.root, "--site", site)
    assert result.exit_code == 1, result.output
    assert "offerings/extra.html: a named pipe (FIFO) in the published site" in result.output
    assert "v/0.3/index.html: a named pipe (FIFO) in the published site" in result.output
    assert "v/0.3/index.html: missing" not in result.output


def test_a_site_built_without_releases_is_verified_with_no_versions(
    published: tuple[GitSite, Path, Path], tmp_path: Path
) -> None:
    repo = published[0]
    head = repo.git("rev-parse", "HEAD").strip()[:12]
    site = tmp_path / "no-versions"
    assert cli("build", "--source", repo.root, "--output", site, "--no-versions").exit_code == 0
    assert not (site / "v").exists() and not (site / "versions.json").exists()
    result = cli("verify", "--source", repo.root, "--site", site, "--no-versions")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Verified the current catalog, without releases (--no-versions), against a rebuild of commit {head}: "
        "every file matches a rebuild.\n"
    )
    # without the option, every release is missing and the first hint says what to run instead
    plain = cli("verify", "--source", repo.root, "--site", site)
    assert plain.exit_code == 1
    v03 = repo.git("rev-parse", "v0.3").strip()[:12]
    assert f"error: release 0.3 (commit {v03} (tag v0.3)) is not published\n" in plain.stderr
    hints = [line for line in plain.stderr.splitlines() if line.startswith("  hint: ")]
    assert hints[0] == (
        "  hint: the published site has no releases (no versions.json, no v/) and this repository has 3 releases "
        "(0.5, 0.4, 0.3): if the site was built with `servicebook build --no-versions`, check it with "
        "`servicebook verify --no-versions`"
    )
    # an edit is still caught under --no-versions
    page = site / "offerings/ci/index.html"
    page.write_text(page.read_text().replace("99.5 %", "99.95 %"))
    edited = cli("verify", "--source", repo.root, "--site", site, "--no-versions")
    assert edited.exit_code == 1
    assert [line for line in edited.stderr.splitlines() if line.startswith("error:")] == [
        "error: offerings/ci/index.html: differs from a rebuild"
    ]
    assert "`servicebook verify --no-versions`" not in edited.stderr


def test_no_versions_reports_published_releases_and_refuses_version(
    published: tuple[GitSite, Path, Path], site: Path
) -> None:
    repo = published[0]
    v04 = repo.git("rev-parse", "v0.4").strip()[:12]
    result = cli("verify", "--source", repo.root, "--site", site, "--no-versions")
    assert result.exit_code == 1
    assert (
        f"error: v/0.4/ is published as release 0.4 (commit {v04} (tag v0.4)), but --no-versions checks a site "
        "built without releases: verify it without --no-versions\n"
    ) in result.stderr
    assert "`servicebook verify --no-versions`" not in result.stderr  # the site has releases: no such hint
    both = cli("verify", "--source", repo.root, "--site", site, "--no-versions", "--version", "0.4")
    assert both.exit_code == 2
    assert both.stderr == (
        "error: --version checks releases and --no-versions checks a site without any: give one of them\n"
    )


def test_the_first_difference_is_shown_as_a_window_with_controls_escaped() -> None:
    assert first_difference(b"a\n<td>99.5 %</td>\nz", b"a\n<td>99.95 %</td>\nz") == (
        "\n  first at line 2:\n    published: <td>99.95 %</td>\n    rebuild:   <td>99.5 %</td>"
    )
    assert first_difference(b"a\nb", b"a") == (
        "\n  first at line 2:\n    published: (the file ends before this line)\n    rebuild:   b"
    )
    assert "published: b\\u001b[31m" in first_difference(b"a\n", b"a\nb\x1b[31m\n")
    long = first_difference(("x" * 300 + "A" + "y" * 300).encode(), ("x" * 300 + "B" + "y" * 300).encode())
    published = long.splitlines()[2].removeprefix("    published: ")
    assert published == "…" + "x" * 50 + "B" + "y" * 49 + "…"


def test_text_added_after_the_end_of_a_file_is_shown_against_the_end_of_the_rebuild() -> None:
    # files end with a newline: the line after the last one is not an empty line of the rebuild
    assert first_difference(b"<p>a</p>\n", b"<p>a</p>\ntampered\n") == (
        "\n  first at line 2:\n    published: tampered\n    rebuild:   (the file ends before this line)"
    )
    assert first_difference(b"a\n\nb\n", b"a\nX\nb\n").endswith("rebuild:   (an empty line)")
    assert first_difference(b"a\n", b"a").startswith("\n  the lines are the same: they differ in the newline")


def test_a_site_folder_that_does_not_exist_is_named_as_such(published: tuple[GitSite, Path, Path], tmp_path) -> None:
    result = cli("verify", "--source", published[0].root, "--site", tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: there is no folder {tmp_path / 'nope'}: give --site the folder a build wrote (public by default)\n"
    )


def test_one_release_copied_on_its_own_is_verified_with_version(
    published: tuple[GitSite, Path, Path], tmp_path: Path
) -> None:
    """What an auditor downloads is often one release: `v/0.4/` of the site, as an archive unpacked
    somewhere else. `--version 0.4` checks that folder against the release as the repository's
    history (HEAD's) defines it, file by file, naming files as they are in the folder."""
    repo, good, _ = published
    head = repo.git("rev-parse", "HEAD").strip()[:12]
    v03, v04 = (repo.git("rev-parse", f"{tag}^{{commit}}").strip()[:12] for tag in ("v0.3", "v0.4"))
    folder = tmp_path / "download" / "0.4"
    shutil.copytree(good / "v/0.4", folder)
    result = cli("verify", "--source", repo.root, "--site", folder, "--version", "0.4")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Verified 1 release(s) (0.4) against a rebuild from commit {head}: every file matches a rebuild.\n"
    )
    # without --version, the first line says how to check it, before the differences it explains
    # (newuser23: it came after ~15 lines of them)
    plain = cli("verify", "--source", repo.root, "--site", folder)
    assert plain.exit_code == 1
    # the differences past the first ten are counted in words that agree with the count
    more = [line for line in plain.stderr.splitlines() if line.startswith("error: the root: ")]
    assert len(more) == 1 and more[0].endswith(" more files differ from a rebuild"), more
    assert plain.stderr.splitlines()[0] == (
        f"hint: {folder} has no versions.json and no v/, and its catalog.json names commit {v04}, the commit of "
        f"release 0.4: if it is that release's folder (v/0.4/ of a site, copied on its own), check it with "
        f"`servicebook verify --site {folder} --version 0.4`"
    )
    # one file altered, one added: each named as it is in the folder
    page = folder / "offerings/ci/index.html"
    page.write_text(page.read_text().replace("99.5 %", "99.95 %"))
    (folder / "extra.html").write_text("<p>Not from a build.</p>\n")
    edited = cli("verify", "--source", repo.root, "--site", folder, "--version", "0.4")
    assert edited.exit_code == 1
    assert [line for line in edited.stderr.splitlines() if line.startswith("error:")] == [
        "error: extra.html: not produced by a rebuild",
        "error: offerings/ci/index.html: differs from a rebuild",
    ]
    # another release's folder passed off as 0.4
    other = tmp_path / "download" / "0.3"
    shutil.copytree(good / "v/0.3", other)
    swapped = cli("verify", "--source", repo.root, "--site", other, "--version", "0.4")
    assert swapped.exit_code == 1
    assert swapped.stderr.splitlines()[0] == (
        f"error: {other} is a build of commit {v03}, but release 0.4 in this repository is commit {v04} (tag v0.4)"
    )


def test_the_newest_release_copied_on_its_own_is_told_to_add_version_first(
    published: tuple[GitSite, Path, Path], tmp_path: Path
) -> None:
    """The release an auditor archives is often the newest, whose commit is HEAD's too: its folder
    has no 404 page (a site's root always has one), so it is no `build --no-versions` of HEAD, and
    the first hint is to name the release (it was to pass --no-versions, which fails as well)."""
    repo, good, _ = published
    head = repo.git("rev-parse", "HEAD").strip()[:12]
    folder = tmp_path / "archive" / "0.5"
    shutil.copytree(good / "v/0.5", folder)
    plain = cli("verify", "--source", repo.root, "--site", folder)
    assert plain.exit_code == 1
    assert plain.stderr.splitlines()[0] == (
        f"hint: {folder} has no versions.json and no v/, and its catalog.json names commit {head}, the commit of "
        f"release 0.5: if it is that release's folder (v/0.5/ of a site, copied on its own), check it with "
        f"`servicebook verify --site {folder} --version 0.5`"
    )
    assert cli("verify", "--source", repo.root, "--site", folder, "--version", "0.5").exit_code == 0


def test_an_archive_given_as_the_site_says_to_unpack_it(published: tuple[GitSite, Path, Path], tmp_path: Path) -> None:
    repo, good, _ = published
    archive = tmp_path / "site.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(good, arcname=".")
    result = cli("verify", "--source", repo.root, "--site", archive)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {archive} is a file, not a folder: if it is an archive of a site or of one release, unpack it "
        f"(`mkdir unpacked && tar -xf {archive} -C unpacked`) and give --site the folder that holds its catalog.json\n",
    )


def test_a_published_file_that_cannot_be_read_is_a_difference_not_a_crash(
    published: tuple[GitSite, Path, Path], site: Path, monkeypatch
) -> None:
    """A copy whose files came with their permissions (an archive unpacked by another user, a
    mode 000 page) is checked by whoever may read it: a file they may not read is named, with
    why, never a traceback. (The read is made to fail here because the tests run as root, whom
    file modes do not stop.)"""
    repo = published[0]
    unreadable = site / "offerings" / "ci" / "index.html"
    opened = Path.open

    def denied(path: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if path == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    result = cli("verify", "--source", repo.root, "--site", site)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        "error: offerings/ci/index.html: cannot be read (Permission denied), so it cannot be compared"
    ]
