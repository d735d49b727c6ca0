"""Hostile inputs of 7 Dec 2026 (twenty-first round): what round 20 left (look-alike letters in the
text a reviewer reads, pages at the extremes, links out of content/ and layouts/, a template that
reaches for files, a forged or damaged cache, history read from the cache without a checksum)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.cache.disk import DiskCache
from servicebook.errors import LOOKALIKE_LETTERS, printable

from .conftest import GitSite, examples


@pytest.mark.git
def test_a_name_changed_only_in_a_look_alike_letter_shows_it_escaped_in_diff(run, git_site: GitSite) -> None:
    """`diff` is what a reviewer reads on a pull request: the team renamed from 'Platform Team' to
    'Platform Tеam' (a Cyrillic 'е') read as a change to the very same name, and a tool renamed to
    'Shаred pipeline templates' as its own name (Trojan Source's homoglyphs). The look-alike
    letter in a Latin word is shown as an escape; a name wholly of another script is shown as
    written, so a catalog in Russian reads as it is."""
    git_site.edit("name: Platform Team\n", "name: Platform T\u0435am\n")
    git_site.edit("name: Shared pipeline templates", "name: Sh\u0430red pipeline templates")
    git_site.edit("name: Hand-rolled CI scripts", "name: \u0421\u043a\u0440\u0438\u043f\u0442\u044b")

    result = run("diff", "HEAD", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "Team: name changed from Platform Team to Platform T\\u0435am" in result.output
    assert "to \u201cSh\\u0430red pipeline templates\u201d" in result.output
    assert "\u0435" not in result.output and "\u0430" not in result.output
    assert "\u201c\u0421\u043a\u0440\u0438\u043f\u0442\u044b\u201d" in result.output  # (Скрипты, as written)


def test_a_look_alike_letter_in_a_refused_value_is_shown_escaped_in_the_message(run, site_copy) -> None:
    """'plаtform@example.com' (a Cyrillic 'а') is no e-mail address, and the message quoting it,
    and the source line under it, showed a value that looked right: the letter is shown as an
    escape, so the message says what is wrong with the value, and the caret stays under it."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("email: platform@", "email: pl\u0430tform@"))

    result = run("build", "--source", site)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "catalog.yaml:14:14: error: 'email' 'pl\\u0430tform@example.com' is not an e-mail address" in result.output
    assert " 14 |       email: pl\\u0430tform@example.com\n    |              ^" in result.output
    assert not (site / "public").exists()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Platform T\u0435am", "Platform T\\u0435am"),  # Cyrillic е in a Latin word
        ("\u0421\u0435rvice", "\\u0421\\u0435rvice"),  # Cyrillic С and е, Latin rvice
        ("k8s \u03bf", "k8s \u03bf"),  # a Greek omicron alone: a word of its own script
        (
            "\u041a\u043e\u043c\u0430\u043d\u0434\u0430 CI",
            "\u041a\u043e\u043c\u0430\u043d\u0434\u0430 CI",
        ),  # Команда CI
        ("Platform Team", "Platform Team"),
    ],
)
def test_only_look_alike_letters_among_latin_ones_are_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


# (printable characters only: an escape's letters would join the word beside it, `\\u200dı`)
_MIXED = st.text(st.sampled_from([*"Teamcopy -_1.", *LOOKALIKE_LETTERS, *"КомандаΩ日"]), max_size=40)


@settings(max_examples=examples(500), deadline=None)
@given(_MIXED)
def test_no_look_alike_letter_is_left_in_a_word_with_latin_letters(text: str) -> None:
    """Whatever the mix, a look-alike letter printable() leaves as it is stands in a word without a
    Latin letter, and a text without look-alike letters is shown as it is."""
    shown = printable(text)
    for word in re.finditer(r"\w+", shown):
        if re.search("[A-Za-z]", word.group()):
            assert not any(ch in LOOKALIKE_LETTERS for ch in word.group()), (text, shown)
    if not any(ch in LOOKALIKE_LETTERS for ch in text):
        assert shown == text


def test_a_damaged_history_entry_is_a_miss_not_what_the_site_shows(tmp_path: Path) -> None:
    """The history parsed from git is kept in the cache as JSON, which a build took as it found it:
    a change's text altered on disk (a flipped byte that leaves it JSON) was published on the
    changes page and the offering's. An entry whose checksum no longer matches is a miss, made
    again from git, as a page of the store is."""
    cache = DiskCache(tmp_path, "history")
    cache.put("k", {"text": "SLO raised from 99.5 to 99.9"})
    assert cache.get("k") == {"text": "SLO raised from 99.5 to 99.9"}
    assert cache.folder is not None
    entry = cache.folder / "k.json"
    entry.write_bytes(entry.read_bytes().replace(b"raised", b"lowered"))

    assert DiskCache(tmp_path, "history").get("k") is None
    entry.write_text(json.dumps({"text": "SLO lowered from 99.5 to 99.9"}))  # written without one
    assert DiskCache(tmp_path, "history").get("k") is None


@pytest.mark.git
def test_a_change_altered_in_the_history_cache_is_not_published(run, git_site: GitSite) -> None:
    """End to end: a change's text in the history kept in the cache, altered on disk so that it is
    still JSON, was published on the changes page and the offering's page by the next build that
    rendered them. The history is read from git again, and the site is what a cold build makes."""
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.commit("A higher objective")
    assert run("build", "--source", git_site.root).exit_code == 0
    cache = git_site.root / ".servicebook-cache"
    altered = 0
    for entry in sorted((cache / "history").glob("*/*.json")):
        text = entry.read_bytes()
        if b"raised from 99.5" in text:
            entry.write_bytes(text.replace(b"raised from 99.5", b"ALTERED from 99.5"))
            altered += 1
    assert altered
    for kept in ("store", "build", "releases", "sources"):  # so that the pages are rendered again
        shutil.rmtree(cache / kept, ignore_errors=True)
    shutil.rmtree(git_site.root / "public")

    result = run("build", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    changes = (git_site.root / "public" / "changes" / "index.html").read_text()
    assert "raised from 99.5" in changes
    assert "ALTERED" not in changes
    assert "ALTERED" not in (git_site.root / "public" / "offerings" / "ci" / "index.html").read_text()


@pytest.mark.parametrize(
    ("written", "message", "hint"),
    [
        (
            "sub\\\\other.md",
            "link address 'sub\\other.md' holds a backslash: a link's folders are separated by '/'",
            "with '/' between folders: 'sub/other.md'",
        ),
        (
            "C:\\\\Users\\\\me\\\\welcome.md",
            "link address 'C:\\Users\\me\\welcome.md' is a Windows path, which no reader of the site has",
            "link to a file under content/ by its path from this page's folder, with '/' between folders\n",
        ),
        (
            "C:welcome.md",
            "link scheme 'c:' is not allowed ('C:' reads as a Windows drive, which no reader of the site has)",
            "use https://",
        ),
    ],
    ids=["backslashes", "drive-and-backslashes", "drive"],
)
def test_a_windows_path_in_a_link_is_refused_saying_what_it_is(
    run, site_copy, written: str, message: str, hint: str
) -> None:
    """A page written on Windows links to `sub\\other.md` (a browser reads each backslash as '/',
    git as part of a name): it was refused as an address that "contains spaces, control characters
    or entities", which it does not. The message says what it holds and how to write it."""
    site = site_copy("minimal")
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + f"\nSee [the other page]({written}).\n")

    result = run("build", "--source", site)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"content/welcome.md:16:22: error: {message}" in result.output
    assert hint in result.output
    assert not (site / "public").exists()


@pytest.mark.git
def test_a_change_only_in_look_alike_or_invisible_characters_is_said_in_diff(run, git_site: GitSite) -> None:
    """A change a reviewer cannot see: an SLO renamed from 'Pipeline copy' to 'Pipeline сору' (four
    Cyrillic letters: a word wholly of one script, shown as written), the on-call's instructions
    with a Cyrillic 'о' in them (a change `diff` reports without its text), a zero-width space at
    the end of a tool's name. Each says that it differs only in look-alike or invisible
    characters, and which."""
    git_site.edit("name: Pipeline availability", "name: Pipeline copy")
    git_site.commit("An SLO named as it is")
    git_site.edit("name: Pipeline copy", "name: Pipeline \u0441\u043e\u0440\u0443")
    git_site.edit('how: Page "platform-oncall"', 'how: Page "platf\u043erm-oncall"')
    git_site.edit("name: Hand-rolled CI scripts", 'name: "Hand-rolled CI scripts\\u200b"')

    result = run("diff", "HEAD", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    assert (
        "renamed from \u201cPipeline copy\u201d to \u201cPipeline \u0441\u043e\u0440\u0443\u201d (only in look-alike or "
        "invisible characters: U+0441 CYRILLIC SMALL LETTER ES (like 'c'), U+043E CYRILLIC SMALL LETTER O (like 'o'), "
        "U+0440 CYRILLIC SMALL LETTER ER (like 'p'), U+0443 CYRILLIC SMALL LETTER U (like 'y'))"
    ) in result.output
    assert (
        "Team support: on-call arrangements changed (only in look-alike or invisible characters: "
        "U+043E CYRILLIC SMALL LETTER O (like 'o'))"
    ) in result.output
    assert (
        "to \u201cHand-rolled CI scripts\\u200b\u201d (only in look-alike or invisible characters: "
        "U+200B ZERO WIDTH SPACE)"
    ) in result.output


def test_a_tool_named_like_another_in_look_alike_letters_is_a_warning_at_its_name(run, site_copy) -> None:
    """The unsupported tool named 'Shаred pipeline templates' (a Cyrillic 'а') beside the supported
    'Shared pipeline templates': the site's lists showed two tools of one name, one supported and
    one not, and `check` said nothing. A warning at the name says which letter tells them apart;
    a name of its own in another script is no business of it."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(text.replace("name: Hand-rolled CI scripts", "name: Sh\u0430red pipeline templates"))

    result = run("check", "--source", site)

    assert result.exit_code == 0, result.output
    assert (
        "catalog.yaml:71:11: warning: tool 'hand-rolled-scripts' is named 'Sh\\u0430red pipeline templates', which "
        "reads as the name of tool 'shared-pipelines', 'Shared pipeline templates': the site lists both, and "
        "readers cannot tell them apart\n"
        " 71 |     name: Sh\\u0430red pipeline templates\n"
        "    |           ^\n"
        "  hint: they differ only in U+0430 CYRILLIC SMALL LETTER A (like 'a'): write the name in the letters it is "
        "read in"
    ) in result.output
    assert run("check", "--source", site, "--strict").exit_code == 1

    catalog.write_text(text.replace("name: Hand-rolled CI scripts", "name: \u0421\u043a\u0440\u0438\u043f\u0442\u044b"))
    assert "no errors, no warnings" in run("check", "--source", site).output
