"""A rebuild from the command line leaves the last search index's words fragments in the store
(site/search/carried.py `StoredFragments`): it reads those that hold a word that changed, the others'
files are kept as the last build wrote them, and a file that must be made all the same (not in
the output as it was left) is made from the store, or, where the store no longer holds it as it
was, from nothing; the site is, byte for byte, the one built from nothing."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from servicebook.cache.store import Entry, Store, store_file
from servicebook.site.search.carried import _FRAGMENT, StoredFragments
from servicebook.site.search.spill import _Spill

from .sitefiles import clean_build, generated_site, tree

WORDS = _FRAGMENT  # the store's kind of a words fragment's text


@pytest.fixture
def fragments_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The words fragments' texts each build reads from the store, by digest."""
    read: list[str] = []
    real = Store.get

    def spy(self, kind, keys):  # type: ignore[no-untyped-def]
        if kind == WORDS:
            read.extend(keys)
        return real(self, kind, keys)

    monkeypatch.setattr(Store, "get", spy)
    return read


def _pages(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


def _words_files(site: Path) -> dict[str, bytes]:
    return {p: data for p, data in tree(site / "public").items() if p.startswith("search/w/")}


def _own_prose_again(text: str) -> str:
    """A page's text with a line of its own prose again at its end: no word new to the index."""
    prose = [line for line in text.splitlines() if line[:1].isalpha() and not set(line) & set("[`|:")]
    return text + "\n" + prose[-1] + "\n"


def _store(site: Path) -> Path:
    return store_file(site / ".servicebook-cache")


def test_a_one_page_edit_reads_the_fragments_of_its_changed_words_alone_and_each_build_is_a_clean_one(
    run, tmp_path: Path, fragments_read: list[str]
) -> None:
    site = generated_site(tmp_path / "site", pages=120)  # 138 records: 16 words fragments
    assert run("build", "--source", site).exit_code == 0
    fragments = len(_words_files(site))
    assert fragments >= 16
    pages = _pages(site)

    def rebuilt() -> int:
        fragments_read.clear()
        assert run("build", "--source", site).exit_code == 0
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        return len(set(fragments_read))

    # main read every fragment, checked it and copied it into a temporary file
    edited = pages[7]
    edited.write_text(_own_prose_again(edited.read_text()))  # no word new: their places may move
    assert rebuilt() <= fragments // 4
    edited.write_text(edited.read_text() + "\nA note on quokkaplatypus rotation.\n")
    assert 1 <= rebuilt() <= fragments // 2
    # a page added, removed and renamed (every record after it moves: words read where they are
    # spliced); a catalog edit that every page shows
    added = site / "content" / "quokka-rotation.md"
    added.write_text(edited.read_text().replace("quokkaplatypus", "numbatish"))
    rebuilt()
    renamed = added.rename(added.with_name("numbat-rotation.md"))  # (no page links to it)
    rebuilt()
    renamed.unlink()
    rebuilt()
    catalog = site / "catalog.yaml"
    catalog.write_text(re.sub(r"^(\s*title: )(.*)$", r"\1\2 (renamed)", catalog.read_text(), count=1, flags=re.M))
    rebuilt()


@pytest.mark.parametrize("how", ["altered", "gone"])
def test_a_kept_fragment_whose_file_must_be_made_is_made_from_nothing_where_the_store_no_longer_holds_it(
    run, tmp_path: Path, how: str
) -> None:
    # the output's words files removed (a file not as the last build left it is made again): those
    # the edit did not change are made of what the store holds, which here is altered or gone
    site = generated_site(tmp_path / "site", pages=60)
    assert run("build", "--source", site).exit_code == 0
    with sqlite3.connect(_store(site)) as db:
        if how == "altered":
            db.execute("UPDATE entries SET data = '{}' WHERE key LIKE ?", (f"{len(WORDS)}.{WORDS}:%",))
        else:
            db.execute("DELETE FROM entries WHERE key LIKE ?", (f"{len(WORDS)}.{WORDS}:%",))
    for path in _words_files(site):
        (site / "public" / path).unlink()
    page = _pages(site)[7]
    page.write_text(_own_prose_again(page.read_text()))
    assert run("build", "--source", site).exit_code == 0
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_kept_fragment_is_made_in_a_worker_from_what_was_put_in_the_spill_before_the_fork(tmp_path: Path) -> None:
    # a process forked from the one that opened the store must not use its connection: the
    # fragments left there are put into the spill's file before the fork; one no longer held as
    # it was is made again (here: the text given)
    with Store(tmp_path / "store.sqlite") as store:
        store.put(WORDS, "held", Entry('{"aardvark":[1,1,0]}\n'))
        store.commit()
        left = StoredFragments(store, ["held", "gone"])  # "gone": pruned since, say
        spill = _Spill()
        held = spill.stored(left, "held", lambda: b"made again")
        gone = spill.stored(left, "gone", lambda: b"made again")
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                os.write(writing, held() + b"|" + gone())
            finally:
                os._exit(0)
        os.close(writing)
        with os.fdopen(reading, "rb") as pipe:
            got = pipe.read()
        os.waitpid(pid, 0)
        assert got == b'{"aardvark":[1,1,0]}\n|made again'
        assert held() == b'{"aardvark":[1,1,0]}\n' and gone() == b"made again"  # (in this process)
