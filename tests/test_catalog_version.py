"""The version a catalog names, as releases read it from every commit of the history
(catalog/read.py `catalog_version`): one line read fast where the whole read would find the same,
the YAML parsed where a line alone cannot say."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.catalog.read import catalog_version, read_catalog
from servicebook.source.yaml import SourceError, decode

from .conftest import SITES, GitSite, examples

MINIMAL = (SITES / "minimal" / "catalog.yaml").read_text()
LINE = 'version: "0.1"\n'
assert MINIMAL.count(LINE) == 1


def named(line: str, *, at_end: bool = False) -> bytes:
    """The minimal catalog with its version line written as `line` (moved to the end of the file)."""
    text = MINIMAL.replace(LINE, "" if at_end else line)
    return (text + line if at_end else text).encode()


def whole_read(data: bytes) -> str | None:
    """The version the whole read gives, when it accepts the catalog with no problem."""
    try:
        read = read_catalog(decode("catalog.yaml", data))
    except SourceError:
        return None
    return read.checked.value.version if read.checked is not None and not read.problems else None


@pytest.mark.parametrize(
    ("line", "version"),
    [
        ('version: "2026.11"\n', "2026.11"),
        ("version: '3.2.0'\n", "3.2.0"),
        ("version: 3.2.0\n", "3.2.0"),
        ("version: 2026.11   # the November release\n", "2026.11"),
        ('version:\t"1.0"\t# tabs\n', "1.0"),
        ("version: 0755\n", "0755"),  # YAML 1.1 would read an octal number; the catalog reads text
        ("version: 1.0-rc.1+build_7\n", "1.0-rc.1+build_7"),
    ],
)
def test_a_version_line_is_read_as_the_whole_read_reads_it(line: str, version: str) -> None:
    assert catalog_version(named(line)) == version == whole_read(named(line))
    assert catalog_version(named(line, at_end=True)) == version  # the line need not come first


@pytest.mark.parametrize(
    "line",
    [
        'version: "two words"\n',  # not a version the format accepts
        "version: 1.0#x\n",  # YAML reads "1.0#x": a '#' is a comment only after a space
        "version: -1\n",
        'version: ""\n',  # (the line reader once failed on an empty quoted value)
        "version: ''\n",
        "version:\n",
        "version: [1, 2]\n",
        "version: &v 1.0\n",  # anchors are refused by the reader
    ],
)
def test_a_catalog_naming_no_acceptable_version_names_none(line: str) -> None:
    assert catalog_version(named(line)) is None


def test_forms_a_line_alone_cannot_read_are_parsed() -> None:
    # an escape in double quotes
    assert catalog_version(named('version: "1.\\u0030"\n')) == "1.0"
    # a quoted key
    assert catalog_version(named('"version": "4.1"\n')) == "4.1"
    # flow style: no `version:` line at all
    assert catalog_version(b'{format: 1, version: "5.0", team: {name: T}}\n') == "5.0"
    # a line that starts with "version:" inside a quoted value, beside the real one
    quoted = named('version: "6.0"\n').replace(b"format: 1\n", b'format: 1\nnote: "a\nversion: 9.9"\n')
    assert catalog_version(quoted) == "6.0"
    # two version keys: the reader refuses it, and no version is named
    assert catalog_version(named('version: "1.0"\nversion: "2.0"\n')) is None
    # not a catalog at all
    assert catalog_version(b"- version: 1.0\n") is None
    assert catalog_version(b"\xff\xfe version") is None
    assert catalog_version(b"") is None


def test_a_nested_version_is_not_the_catalogs() -> None:
    text = MINIMAL.replace(LINE, "").replace("site:\n", 'site:\n  version: "8.0"\n', 1)
    assert catalog_version(text.encode()) is None


VERSIONS = st.from_regex(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}", fullmatch=True)
SPELLINGS = st.sampled_from(['{key}: "{v}"', "{key}: '{v}'", "{key}: {v}", "{key}:  {v}  # note", "{key}:\t'{v}'"])


@settings(max_examples=examples(100), deadline=None)
@given(version=VERSIONS, spelling=SPELLINGS, at_end=st.booleans())
def test_whenever_the_whole_read_accepts_a_catalog_its_version_is_the_one_named(
    version: str, spelling: str, at_end: bool
) -> None:
    data = named(spelling.format(key="version", v=version) + "\n", at_end=at_end)
    expected = whole_read(data)
    if expected is not None:
        assert catalog_version(data) == expected


@pytest.mark.git
def test_a_commit_whose_catalog_names_an_empty_version_does_not_stop_the_build(run, git_site: GitSite) -> None:
    """Every build reads the version of each commit's catalog: one in the history that wrote
    `version: ""` is a commit naming no version, not a crash."""
    git_site.edit('version: "0.1"', 'version: ""')
    git_site.commit("Forget the version")
    git_site.edit('version: ""', 'version: "0.2"')
    git_site.commit("Name it again")
    git_site.tag("v0.2")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (git_site.root / "public/v/0.2/index.html").is_file()
