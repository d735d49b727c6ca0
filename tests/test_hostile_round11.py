"""Hostile inputs of 6 Dec 2026 (eleventh round): page names that differ only in how Unicode
writes a letter, a tagged commit whose tree git cannot archive, a git too old to keep a committed
config from being obeyed, and site templates that make huge texts again and again."""

from __future__ import annotations

import os
import shlex
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import jinja2
import jinja2.sandbox
import pytest

from servicebook.git import runner
from servicebook.git.blobs import Blobs, read_blobs
from servicebook.git.releases import LARGEST_SOURCE_FILE
from servicebook.site.sandbox import MAX_WORK, BoundedSandbox, TooLarge, TooMuchText

from .conftest import SITES, GitSite
from .test_hostile_round10 import _committed_as_a_bare_repository

CAFE_NFC = unicodedata.normalize("NFC", "café")
CAFE_NFD = unicodedata.normalize("NFD", "café")


def test_two_page_names_that_differ_only_in_unicode_normalisation_are_shown_apart(run, site_copy) -> None:
    """'café.md' written with one code point for 'é' (NFC, as macOS and most editors type it) and
    with 'e' and a combining accent (NFD) are two files that a terminal shows alike: both errors
    printed the same name, and the author could not tell which file was which. Each is written
    with its code points too, and told the ASCII name to take and that its twin looks the same."""
    site = site_copy("minimal")
    (site / "content" / f"{CAFE_NFC}.md").write_text("# One\n")
    (site / "content" / f"{CAFE_NFD}.md").write_text("# Two\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"page file name '{CAFE_NFC}.md' (written caf\\u00e9.md) cannot become a URL" in result.output
    assert f"page file name '{CAFE_NFD}.md' (written cafe\\u0301.md) cannot become a URL" in result.output
    assert "rename it to cafe.md" in result.output
    assert (
        f"'{CAFE_NFD}.md' (written cafe\\u0301.md) beside it looks the same but is written with other code points "
        "(Unicode NFC and NFD): keep one of them"
    ) in result.output


def test_a_folder_named_with_other_than_ascii_is_shown_with_its_code_points(run, site_copy) -> None:
    site = site_copy("minimal")
    (site / "content" / CAFE_NFD).mkdir()
    (site / "content" / CAFE_NFD / "menu.md").write_text("# Menu\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"folder name '{CAFE_NFD}' (written cafe\\u0301) cannot be part of a URL" in result.output
    assert "rename it to cafe\n" in result.output


@pytest.mark.git
def test_diff_of_a_commit_holding_both_spellings_of_a_page_name_shows_them_apart(run, git_site: GitSite) -> None:
    """`diff` reads a revision's pages from git (a commit can hold both names on any file system)."""
    base = git_site.head()
    git_site.write(f"content/{CAFE_NFC}.md", "# One\n")
    git_site.write(f"content/{CAFE_NFD}.md", "# Two\n")
    git_site.commit("Two pages named alike")
    result = run("diff", "--source", git_site.root, base, "HEAD")
    assert result.exit_code == 1, result.output
    assert "(written caf\\u00e9.md) cannot become a URL" in result.output
    assert "(written cafe\\u0301.md) cannot become a URL" in result.output
    assert "looks the same but is written with other code points" in result.output


@pytest.mark.parametrize(
    ("said", "version"),
    [
        ("git version 2.39.5\n", (2, 39, 5)),
        ("git version 2.37.1 (Apple Git-137.1)\n", (2, 37, 1)),
        ("git version 2.40.0.windows.1\n", (2, 40, 0)),
        ("git version 2.38.0.rc1\n", (2, 38, 0)),
        ("git version 3.0\n", (3, 0)),
        ("git version 2\n", None),
        ("hub version 2.14.2\n", None),
        ("", None),
        ("git version ２.４０\n", None),  # full-width digits: isdigit(), but not what git prints
    ],
)
def test_the_git_version_is_read_from_what_git_version_says(said: str, version: tuple[int, ...] | None) -> None:
    assert runner.parse_version(said) == version


def _bare_layout(folder: Path) -> Path:
    """`folder` holding what makes git take it for a repository's own folder."""
    (folder / "objects").mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "HEAD").write_text("ref: refs/heads/main\n")
    return folder


def test_a_git_older_than_2_38_is_refused_where_a_folder_on_its_way_looks_like_a_repository(tmp_path: Path) -> None:
    """git before 2.38 ignores safe.bareRepository without a word, so a folder committed to look
    like a bare repository had its config obeyed (tests/test_hostile_round10.py). Such a git (or one
    that does not say its version) is refused in a folder where it would find one before the
    repository's .git; it runs everywhere else (Ubuntu 22.04's git is 2.34, Debian 11's 2.30)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    site = _bare_layout(repo / "docs" / "site")
    plain = repo / "other"
    plain.mkdir()
    old = "git version 2.37.1 (Apple Git-137.1)\n"
    assert runner.layout_refusal(site, old) == (
        f"git 2.37.1 is installed, which ignores safe.bareRepository (git 2.38 and later do not), and {site} "
        "holds HEAD, objects/ and refs/ as a repository's own folder does: that git would take it for a "
        "repository and obey its config (a command it names would run); remove them from the folder, or "
        "install git 2.38 or later"
    )
    assert runner.layout_refusal(site / "content", old) is not None  # found on the way up, before .git
    assert runner.layout_refusal(plain, old) is None
    assert runner.layout_refusal(repo, old) is None  # git stops at .git before looking at the folder
    assert runner.layout_refusal(site, "something else\n").startswith(  # type: ignore[union-attr]
        "a git that says 'something else' is installed, which ignores safe.bareRepository"
    )
    for said in ("git version 2.38.0\n", "git version 2.39.5\n", "git version 10.1\n"):
        assert runner.layout_refusal(site, said) is None  # safe.bareRepository=explicit holds


@pytest.mark.git
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_site_folder_committed_as_a_bare_repository_runs_nothing_under_a_git_older_than_2_38(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, forgotten_git_version: None
) -> None:
    """The real git, behind a `git` first on PATH that says it is 2.37 (as Debian 11's, 2.30, or
    Ubuntu 22.04's, 2.34, would): the command is refused before git runs in the site's folder."""
    site = tmp_path / "repo" / "site"
    shutil.copytree(SITES / "minimal", site)
    top = GitSite(tmp_path / "repo")
    ran = tmp_path / "ran"
    _committed_as_a_bare_repository(site, ran)
    top.commit("A site folder that git takes for a repository of its own")
    _git_saying_it_is(tmp_path, monkeypatch, "git version 2.37.1")
    result = run(command, "--source", site)
    assert not ran.exists(), "git ran the command the committed config names"
    assert result.exit_code == 2, result.output
    assert "error: git 2.37.1 is installed, which ignores safe.bareRepository" in result.output
    assert f"and {site.absolute()} holds HEAD, objects/ and refs/" in result.output
    assert "Traceback" not in result.output
    assert not (site / "public").exists()


@pytest.mark.git
def test_a_git_older_than_2_38_builds_a_site_no_folder_of_which_looks_like_a_repository(
    run, git_site: GitSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forgotten_git_version: None
) -> None:
    _git_saying_it_is(tmp_path, monkeypatch, "git version 2.34.1")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (git_site.root / "public" / "index.html").is_file()


def _git_saying_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, said: str) -> None:
    """A `git` first on PATH that answers `git --version` with `said` and runs the real git for
    anything else."""
    real = shutil.which("git")
    assert real is not None
    folder = tmp_path / "old-git"
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = --version ]; then echo {shlex.quote(said)}; exit 0; fi\nexec {shlex.quote(real)} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def forgotten_git_version() -> Iterator[None]:
    """The version servicebook read from git once a process, forgotten before and after the test."""
    runner._installed_version.cache_clear()
    runner._refused_in.cache_clear()
    yield
    runner._installed_version.cache_clear()
    runner._refused_in.cache_clear()


def _commit_with_a_path_no_checkout_holds(site: GitSite, version: str) -> str:
    """A commit on main, after HEAD, whose catalog says `version` and whose content/ holds a file
    named '..' beside its pages (written with git mktree: no checkout, nor `git archive`, can
    write it), the work tree left as the commit has it otherwise; its id."""
    site.edit('version: "0.1"', f'version: "{version}"')
    site.git("add", "-A")
    index = site.git("write-tree").strip()
    blob = site.git("hash-object", "-w", "--stdin", stdin="")
    pages = site.git("ls-tree", f"{index}:content")
    odd_content = site.git("mktree", stdin=f"{pages}100644 blob {blob.strip()}\t..\n").strip()
    top = site.git("ls-tree", index).replace(site.git("rev-parse", f"{index}:content").strip(), odd_content)
    site.clock += 3600
    odd = site.git("commit-tree", site.git("mktree", stdin=top).strip(), "-p", "HEAD", "-m", "content/..").strip()
    site.git("update-ref", "refs/heads/main", odd)
    return odd


@pytest.mark.git
def test_a_tag_on_a_commit_git_cannot_archive_is_skipped_naming_the_tag_and_the_path(run, git_site: GitSite) -> None:
    """A tag on a commit whose tree holds `content/..` (git mktree writes what no checkout can)
    failed every later build: "cannot read the sources of commit X: git archive: error: invalid
    path", naming neither the tag nor what to do. That release is left out, as one whose catalog
    does not build is, with a warning naming the tag, the path and what to do; the rest of the site
    is built (and `--strict` fails, leaving the site as it was)."""
    git_site.tag("v0.1")
    odd = _commit_with_a_path_no_checkout_holds(git_site, "0.2")
    git_site.tag("v0.2")
    git_site.edit('version: "0.2"', 'version: "0.3"')
    git_site.commit("Version 0.3")
    strict = run("build", "--strict", "--source", git_site.root)
    assert strict.exit_code == 1, strict.output
    assert not (git_site.root / "public").exists()
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"warning: tag v0.2 (commit {odd[:12]}) was skipped: release 0.2 there cannot be built: git cannot archive "
        "its sources (invalid path 'content/..'); no commit that carries 0.2 builds"
    ) in result.output
    assert (
        "hint: a release tag must be on a commit whose catalog builds: move the tag to one (`git tag -f v0.2 <commit>`) or delete it"
        in result.output
    )
    assert "Traceback" not in result.output
    published = git_site.root / "public"
    assert sorted(p.name for p in (published / "v").iterdir()) == ["0.1", "0.3"]


def _page(source: str, work: int = MAX_WORK) -> str:
    """A page rendered from `source` by the sandbox a site's layouts/ run in, with a budget of
    `work` characters."""
    env = BoundedSandbox(loader=jinja2.DictLoader({"page.html": source}), autoescape=True, work=work)
    return env.get_template("page.html").render()


BIG = "{% set x = 'ab <i>c</i> http://x.example/ ' * 40000 %}"  # 1.2 million characters


@pytest.mark.parametrize(
    "source",
    [
        BIG + "{% for i in range(1000) %}{% set y = x.replace('a', 'b') %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% set y %}{{ x }}{% endset %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% set y = x ~ '' %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% if 'zz' in x %}{% endif %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% if x == x %}{% endif %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% if x is lower %}{% endif %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% set y = x[1:] %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% set y = x|upper %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% set y = x|urlize %}{% endfor %}",
        BIG + "{% for i in range(1000) %}{% set y = x.split() %}{% endfor %}",
        BIG + "{% macro m() %}{{ x }}{% endmacro %}{% for i in range(1000) %}{% set y = m() %}{% endfor %}",
    ],
    ids=["replace", "a set block", "~", "in", "==", "a test", "a slice", "a filter", "urlize", "split", "a macro"],
)
def test_what_the_templates_of_a_page_work_on_is_bounded(source: str) -> None:
    """Each value a site's template makes is bounded in size (10 million characters) and a page's
    loop iterations and calls in number (2 million), but a step on a text of 10 million characters
    takes milliseconds (urlize: seconds), so a page at those bounds took hours. A page's templates
    have a budget of characters worked on: each value made, given to a call, filter or test,
    compared, sliced, joined or printed counts (slow filters and methods many times)."""
    with pytest.raises(TooMuchText, match="this page's templates worked on more than 50,000,000 characters"):
        _page(source, work=50_000_000)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% set x = 'a' * 10000000 %}{% set y = x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x %}", "'~' would make"),
        ("{% set x = 'a' * 10000000 %}{{ [x] * 1000 }}", "printing a value would make"),
        ("{% set x = 'a' * 1000000 %}{% set y = [[x] * 100] * 100 %}{{ y ~ '' }}", "'~' would make"),
        ("{% set x = 'a' * 1000000 %}{% set y = [[x] * 100] * 100 %}{{ y|string|length }}", "the filter 'string'"),
    ],
    ids=["~ of many texts", "a list of one text many times", "lists in a list joined", "lists in a list as text"],
)
def test_a_text_joined_or_printed_from_many_large_parts_is_refused_before_it_is_made(source: str, message: str) -> None:
    """`~` was not bounded at all (twelve texts of 10 million characters joined made 120 million;
    a thousand, gigabytes), nor printing a list, whose text holds each of its items: a list of
    one text of 10 million characters a thousand times is 10 billion. Each is measured first."""
    with pytest.raises(TooLarge, match=message):
        _page(source)


def test_what_a_page_makes_within_the_budget_is_what_jinja_makes() -> None:
    """`~`, comparisons, slices and tests go through the sandbox's own code now: what they make is
    unchanged."""
    source = (
        "{% set x = [1, 2, 3, 4, 5] %}{{ x[1:] }} {{ x[::2] }} {{ x[:-1] }} {{ 'abc'[1] }} {{ 'abcd'[1:3] }} "
        "{{ x|select('odd')|list }} {{ 'b' in 'abc' }} {{ 1 < 2 < 3 }} {{ 3 not in x }} {{ 'a' ~ 1 ~ [2] ~ '<' }} "
        "{{ 'x' is lower }} {{ ('<b>'|safe) ~ '<' }} {{ x == [1, 2, 3, 4, 5] }} {{ {'a': [1, 'b']} }} {{ none }}"
    )
    plain = jinja2.sandbox.SandboxedEnvironment(loader=jinja2.DictLoader({"page.html": source}), autoescape=True)
    assert _page(source) == plain.get_template("page.html").render()


def test_check_names_the_line_of_a_layout_that_works_on_a_large_text_again_and_again(run, site_copy) -> None:
    """End to end, at the real budget: a layout that replaces in a text of 10 million characters
    in a loop of 100,000 (about half an hour) fails `check` at that line, in seconds."""
    site = site_copy("minimal")
    (site / "layouts").mkdir()
    (site / "layouts" / "offering.html").write_text(
        '{% extends "theme/offering.html" %}\n{% block content %}\n{% set x = "a" * 10000000 %}\n'
        "{% for i in range(100000) %}\n{% set y = x.replace('a', 'b') %}\n{% endfor %}\n{{ super() }}{% endblock %}\n"
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert (
        f"layouts/offering.html:5:1: error: while rendering offerings/ci/index.html: this page's templates worked on "
        f"more than {MAX_WORK:,} characters"
    ) in result.output
    assert "make a large text once, not in a loop" in result.output


@pytest.mark.git
def test_a_release_is_its_commits_own_catalog_whatever_a_replace_ref_of_the_clone_says(run, git_site: GitSite) -> None:
    """`git replace` (a ref under refs/replace/ of one clone) makes git show another commit's
    content under a commit's id: release 0.1 was published as commit X, tag v0.1, with a catalog X
    never held (an objective of 90 % for 99.5 %), which no other clone rebuilds. git is run with
    replace refs off: a commit is what its id names."""
    git_site.tag("v0.1")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("Version 0.2")
    forged = git_site.catalog.read_text().replace('version: "0.2"', 'version: "0.1"').replace("99.5", "90.0")
    blob = git_site.git("hash-object", "-w", "--stdin", stdin=forged).strip()
    listing = git_site.git("ls-tree", "v0.1").replace(git_site.git("rev-parse", "v0.1:catalog.yaml").strip(), blob)
    other = git_site.git("commit-tree", git_site.git("mktree", stdin=listing).strip(), "-m", "Initial catalog").strip()
    git_site.git("replace", "v0.1", other)
    assert "90.0" in git_site.git("show", "v0.1:catalog.yaml")  # as git shows it by default
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    released = (git_site.root / "public" / "v" / "0.1" / "catalog.json").read_text()
    assert "99.5" in released
    assert "90.0" not in released


@pytest.mark.git
def test_the_history_is_the_commits_own_whatever_a_graft_file_of_the_clone_says(run, git_site: GitSite) -> None:
    """.git/info/grafts gives commits other parents in one clone: one making HEAD a root hid
    every release before it. It is not read (a shallow clone's own boundary still is)."""
    git_site.tag("v0.1")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    head = git_site.commit("Version 0.2")
    (git_site.root / ".git" / "info").mkdir(exist_ok=True)
    (git_site.root / ".git" / "info" / "grafts").write_text(f"{head}\n")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (git_site.root / "public" / "v").iterdir()) == ["0.1", "0.2"]
    assert "hint: Support for <GIT_DIR>/info/grafts is deprecated" not in result.output


@pytest.mark.git
def test_a_blob_larger_than_any_source_is_not_read(git_site: GitSite) -> None:
    """git keeps a file of gigabytes of one character in a few megabytes, so a commit of a small
    repository can hold more than the machine's memory: one of 400 MB took a build 3 GB (the
    history's reader and the releases' discovery read every commit's catalog whole). The readers
    of blobs leave one larger than their bound unread."""
    small = git_site.git("hash-object", "-w", "--stdin", stdin="small\n").strip()
    large = git_site.git("hash-object", "-w", "--stdin", stdin="x" * 1000).strip()
    assert read_blobs(git_site.root, [small, large], largest=999) == {small: b"small\n"}
    assert read_blobs(git_site.root, [small, large]) == {small: b"small\n", large: b"x" * 1000}
    with Blobs(git_site.root, largest=999) as blobs:
        assert blobs.get(large) is None
        assert blobs.get(small) == b"small\n"  # the pipe goes on after the bytes it dropped
        assert blobs.skipped == {large}


@pytest.mark.git
def test_a_commit_holding_a_file_larger_than_any_source_builds_the_rest_of_the_site(run, git_site: GitSite) -> None:
    """A commit whose catalog is larger than a catalog may be is in the history as one that does
    not validate, and a tag on a commit holding a file that large is skipped, naming the file and
    its size: neither is read, and the rest of the site is built."""
    git_site.tag("v0.1")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.write("content/huge.pdf", "%" * (LARGEST_SOURCE_FILE + 1))
    big = git_site.commit("A file larger than any source")
    git_site.tag("v0.2")
    (git_site.root / "content" / "huge.pdf").unlink()
    git_site.catalog.write_text(git_site.catalog.read_text() + "#" * (LARGEST_SOURCE_FILE + 1) + "\n")
    git_site.commit("A catalog larger than any")
    git_site.git("checkout", "-q", "v0.2", "--", "catalog.yaml")
    git_site.edit('version: "0.2"', 'version: "0.3"')
    git_site.commit("Version 0.3")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"warning: tag v0.2 (commit {big[:12]}) was skipped: release 0.2 there cannot be built: content/huge.pdf is "
        f"{LARGEST_SOURCE_FILE + 1:,} bytes, more than any source may be ({LARGEST_SOURCE_FILE:,}), so it is not read"
    ) in result.output
    assert sorted(p.name for p in (git_site.root / "public" / "v").iterdir()) == ["0.1", "0.3"]


@pytest.mark.git
def test_diff_against_a_commit_whose_catalog_is_larger_than_any_does_not_read_it(run, git_site: GitSite) -> None:
    """`diff` (which the job that reviews a pull request runs) read both catalogs whole: one of
    400 MB of one character took it 800 MB. One larger than a catalog may be is named, unread."""
    git_site.catalog.write_text(git_site.catalog.read_text() + "#" * (LARGEST_SOURCE_FILE + 1) + "\n")
    big = git_site.commit("A catalog larger than any")
    result = run("diff", "--source", git_site.root, big, "HEAD")
    assert result.exit_code == 1, result.output
    assert (
        f"error: catalog.yaml at {big[:12]} is larger than any source may be ({LARGEST_SOURCE_FILE:,} bytes), so it "
        "is not read; pick another revision"
    ) in result.output
