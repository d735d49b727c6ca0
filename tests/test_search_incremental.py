"""The search index is made from the last one the store holds (site/search/files.py `search_index`): a
page changed, added or removed costs that page's words, and the index is still, byte for byte,
the one made from nothing."""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
import re
import sqlite3
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicebook import routes
from servicebook.cache.digest import digest
from servicebook.cache.store import Store, _key, store_file
from servicebook.site import outputs, search
from servicebook.site.build import Options, build
from servicebook.site.fresh import PageMemory
from servicebook.site.load import load
from servicebook.site.search import SearchMemory
from servicebook.site.search.carried import _BUNDLE, _POSTINGS, PackedFragments, _State
from servicebook.site.search.fragments import _reordered, _spliced, _starts, _Words, _written
from servicebook.site.search.postings import _record_words
from servicebook.site.search.records import _policy_record, _record_keys, _record_text, _record_texts
from servicebook.site.search.runs import _block_ends, _runs
from servicebook.site.search.text import _compact, _order
from servicebook.site.views import SiteView, site_view

from .conftest import FIXED_EPOCH
from .searchstages import patch_stage
from .sitefiles import clean_build, generated_site, reachable_strings, tree

ENV = {"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": "1"}


def view_of(site: Path) -> SiteView:
    loaded = load(site, ENV)
    assert loaded.site is not None, loaded.problems
    return site_view(loaded.site)


class Indexes:
    """Indexes of one site made one after the other from the same store, each checked against
    the index made from nothing; `read` is the records read for their words by the last one.
    With a `memory`, they are made by one process that keeps what the last was made of (`serve`);
    without, each by a process of its own, from what the store holds."""

    def __init__(self, site: Path, store: Store, monkeypatch: pytest.MonkeyPatch, memory: SearchMemory | None) -> None:
        self.site = site
        self.store = store
        self.read: list[str] = []
        self.last: dict[str, bytes] = {}
        self.memory = memory
        real = _record_words  # once for each record whose postings are made

        def spy(record):  # type: ignore[no-untyped-def]
            self.read.append(record["t"])
            return real(record)

        patch_stage(monkeypatch, "_record_words", spy)

    def make(self) -> dict[str, bytes]:
        view = view_of(self.site)
        self.read.clear()
        made = search.search_files(view, self.store, memory=self.memory)
        self.store.commit()
        read = list(self.read)
        assert made == search.search_files(view), "an index made from the last one differs from one made from nothing"
        self.read = read
        changed = {path for path, data in made.items() if self.last.get(path) != data}
        self.last = made
        return {path: made[path] for path in changed}


@pytest.fixture(params=["one process", "a process each"])
def indexes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Indexes:
    site = generated_site(tmp_path / "site", pages=40)
    with Store(tmp_path / "store.sqlite") as store:
        yield Indexes(site, store, monkeypatch, SearchMemory() if request.param == "one process" else None)


def pages_of(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


def removable(site: Path) -> list[Path]:
    """The pages the catalog does not name (`remove` takes the links of other pages to one away)."""
    catalog = (site / "catalog.yaml").read_text()
    return [p for p in pages_of(site) if p.stem not in catalog]


def remove(page: Path) -> set[str]:
    """Remove a page, and the links of the other pages to it (their text stays); the titles of
    the pages that linked to it."""
    page.unlink()
    link = re.compile(r"\[([^\]]*)\]\(" + re.escape(page.name) + r"(#[^)]*)?\)")
    linked = set()
    for other in sorted(page.parent.rglob("*.md")):
        text = other.read_text()
        if link.search(text):
            other.write_text(link.sub(r"\1", text))
            linked.add(title_of(text))
    return linked


def title_of(text: str) -> str:
    found = re.search(r"^title: (.*)$", text, re.M)
    assert found is not None
    return found[1].strip("\"'")


def words_fragments(changed: dict[str, bytes]) -> set[str]:
    return {p for p in changed if p.startswith(routes.search_fragment("w", 0).rsplit("/", 1)[0])}


def test_a_page_body_edit_reads_that_page_alone_and_remakes_only_the_fragments_of_its_new_words(indexes) -> None:
    first = indexes.make()
    assert len(indexes.read) > 40  # every record, read once
    page = pages_of(indexes.site)[17]
    page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n")
    changed = indexes.make()
    assert len(indexes.read) == 1
    fragments = words_fragments(first)
    assert 1 <= len(words_fragments(changed)) < len(fragments) / 2
    assert any(b'"quokkaplatypus"' in data for data in changed.values())
    unchanged = indexes.make()
    assert indexes.read == []
    assert unchanged == {}


def test_an_edit_reads_each_run_of_the_last_index_it_needs_once(indexes, monkeypatch) -> None:
    # The run of records a changed record left is read for that record's postings, then for
    # those of the records around it, which its new run is stored with: once, not twice (a run
    # is ~50 KB of JSON at 20,000 pages, checked and parsed each time it is read).
    asked: list[str] = []
    real = Store.get

    def spied(self: Store, kind: str, keys: list[str]):  # type: ignore[no-untyped-def]
        if kind == _BUNDLE:
            asked.extend(keys)
        return real(self, kind, keys)

    monkeypatch.setattr(Store, "get", spied)
    indexes.make()
    for page in pages_of(indexes.site)[5:8]:
        page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n")
        asked.clear()
        assert indexes.make()  # (the same as an index made from nothing: `Indexes.make`)
        assert len(asked) == len(set(asked))
        # (one process takes the runs its last index stored as it stored them: the test below)
        assert asked or indexes.memory is not None


def test_a_process_takes_the_runs_its_last_index_stored_as_it_stored_them_not_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `serve` edits a page, then edits it again: the run the record leaves the second time is the
    # one the process stored the first time (~50 KB of JSON at 20,000 pages), taken as it was
    # stored, not read back, checked and parsed; each index is still the one made from nothing.
    # (The first edit's run is one of the first build's, which kept them all: a few runs here.)
    asked: list[str] = []
    real = Store.get

    def spied(self: Store, kind: str, keys: list[str]):  # type: ignore[no-untyped-def]
        if kind == _BUNDLE:
            asked.extend(keys)
        return real(self, kind, keys)

    site = generated_site(tmp_path / "site", pages=40)
    with Store(tmp_path / "store.sqlite") as store:
        indexes = Indexes(site, store, monkeypatch, SearchMemory())
        monkeypatch.setattr(Store, "get", spied)
        indexes.make()
        pages = pages_of(site)
        for page in [pages[5], pages[5], pages[5]]:
            page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n")
            asked.clear()
            assert indexes.make()  # (the same as an index made from nothing: `Indexes.make`)
            assert asked == []


def test_a_process_writes_the_words_of_its_search_state_once_while_no_word_comes_or_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The search state's words (~100,000 at 20,000 pages, most of its 419 KB) are written as JSON
    # once for the list: an edit that brings no word in and takes none out keeps the very list,
    # and its text. The state stored is still what json.dumps writes of it.
    site = generated_site(tmp_path / "site", pages=40)
    with Store(tmp_path / "store.sqlite") as store:
        memory = SearchMemory()
        indexes = Indexes(site, store, monkeypatch, memory)
        indexes.make()
        page = pages_of(site)[5]
        for _ in range(2):
            assert memory.words is not None
            before = memory.words.state
            text = page.read_text()
            prose = [line for line in text.splitlines() if line[:1].isalpha() and not set(line) & set("[`|:")]
            page.write_text(text + "\n" + prose[-1] + "\n")  # a line of its own prose again: no word new
            indexes.make()
            state = memory.words.state
            assert state.words is before.words and state.words_json is before.words_json is not None
            whole = [state.blocks, state.words, state.sizes, state.starts, state.digests]
            stored = _Words.stored(store)
            assert stored is not None
            assert state.to_json() == json.dumps({"search": whole}, ensure_ascii=False)
            assert stored.state.words == state.words and stored.state.blocks == state.blocks


@given(st.lists(st.text(), max_size=20), st.lists(st.integers(), max_size=5))
def test_a_search_state_is_written_as_json_dumps_writes_it(words: list[str], sizes: list[int]) -> None:
    state = _State([], words, sizes, [0], ["d\u00e9j\u00e0"], [('k"ey', 3)])
    whole = [state.blocks, state.words, state.sizes, state.starts, state.digests]
    assert state.to_json() == json.dumps({"search": whole}, ensure_ascii=False)
    assert state.to_json() == json.dumps({"search": whole}, ensure_ascii=False)  # (the words' text kept)


def test_an_edit_finds_the_runs_of_the_last_index_around_the_record_it_changed_alone(indexes, monkeypatch) -> None:
    # Where each run of records ends, and its digest, are the last index's but around the record
    # that changed: not found again over every record's key (~300 digests at 20,000 pages).
    indexes.make()
    looked: list[int] = []
    real = _block_ends
    patch_stage(monkeypatch, "_block_ends", lambda keys: looked.append(len(keys)) or real(keys))
    page = pages_of(indexes.site)[9]
    page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n")
    assert indexes.make()
    assert looked == []


def test_pages_added_and_removed_including_the_only_page_with_a_word(indexes) -> None:
    indexes.make()
    pages = removable(indexes.site)
    assert len(pages) >= 5
    lonely = pages[0]
    lonely.write_text(lonely.read_text() + "\nOnly here: zyzzyvaword.\n")
    indexes.make()
    assert any(b'"zyzzyvaword"' in data for data in indexes.last.values())
    linked = remove(lonely)  # the only page with that word
    indexes.make()
    assert set(indexes.read) == linked  # the others' words came from the store
    assert not any(b"zyzzyvaword" in data for data in indexes.last.values())
    added = indexes.site / "content" / "aaa-first-of-all.md"
    added.write_text("---\ntitle: First of all\n---\n\n## Why\n\nAbout wombatfirst and pipelines.\n")
    indexes.make()
    assert indexes.read == ["First of all"]
    last = indexes.site / "content" / "zzz-last-of-all.md"
    last.write_text("---\ntitle: Last of all\n---\n\nAbout wombatlast.\n")
    indexes.make()
    gone = {title_of(page.read_text()) for page in pages[2:5]}
    linked = set().union(*(remove(page) for page in pages[2:5]))
    indexes.make()
    assert set(indexes.read) == linked - gone


def test_a_catalog_change_and_a_title_change_rework_their_records_only(indexes) -> None:
    indexes.make()
    catalog = indexes.site / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(re.sub(r"(reason: [\"']?)", r"\1Replaced by gizmotron. ", text, count=1))
    indexes.make()
    assert len(indexes.read) == 1
    page = pages_of(indexes.site)[3]
    page.write_text(re.sub(r"^title: .*$", "title: A title of its own", page.read_text(), count=1, flags=re.M))
    indexes.make()
    assert indexes.read == ["A title of its own"]


def test_an_index_starts_from_nothing_when_the_store_lost_what_it_kept(indexes, tmp_path: Path) -> None:
    indexes.make()
    with Store(tmp_path / "other.sqlite") as empty:
        view = view_of(indexes.site)
        assert search.search_files(view, empty) == search.search_files(view)


def test_a_rebuild_after_pages_came_and_went_publishes_the_clean_builds_index(run, tmp_path: Path) -> None:
    site = generated_site(tmp_path / "site", pages=30)
    assert run("build", "--source", site).exit_code == 0
    page = removable(site)[1]
    page.write_text(page.read_text() + "\nSay xylophonic twice: xylophonic.\n")
    assert run("build", "--source", site).exit_code == 0
    remove(page)
    (site / "content" / "new-page.md").write_text("---\ntitle: New page\n---\n\nBrand newword here.\n")
    assert run("build", "--source", site).exit_code == 0
    built = tree(site / "public")
    clean = clean_build(run, site, tmp_path)
    search_files = [p for p in clean if p.startswith("search/")]
    assert {p: built.get(p) for p in search_files} == {p: clean[p] for p in search_files}
    assert b"xylophonic" not in b"".join(built[p] for p in search_files)


def test_an_index_whose_new_words_are_encoded_a_few_postings_at_a_time_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word's postings are encoded a batch at a time as records come (_Fresh); where a
    batch ends (after any record, at any word) changes no byte of the index, from nothing or
    from the last one."""
    site = generated_site(tmp_path / "site", pages=40)
    view = view_of(site)
    whole = search.search_files(view)
    patch_stage(monkeypatch, "FRESH_BATCH", 7)
    assert search.search_files(view) == whole
    with Store(tmp_path / "store.sqlite") as store:
        assert search.search_files(view, store) == whole
        page = pages_of(site)[3]
        page.write_text(page.read_text() + "\nZanzibar quokka words new to the index.\n")
        changed = view_of(site)
        patch_stage(monkeypatch, "FRESH_BATCH", 1 << 16)
        expected = search.search_files(changed)
        patch_stage(monkeypatch, "FRESH_BATCH", 2)
        assert search.search_files(changed, store) == expected


def test_the_process_keeps_its_last_index_s_records_by_their_keys_not_their_texts(tmp_path: Path) -> None:
    """`serve` keeps each record of its last index with its key, not its JSON text (4.1 MiB of
    what it kept at 5,000 pages): once the next index is made, no record's text is reachable
    from what it keeps; a records file made again (not kept, or a record in it changed) is made
    of its records, and each index is the one made from nothing."""
    site = generated_site(tmp_path / "site", pages=40)
    view = view_of(site)
    memory = SearchMemory()
    first = search.search_files(view, memory=memory)
    assert first == search.search_files(view)
    texts = {_record_text(record, None) for record in search.search_records(view, headings=True)}
    assert len(texts) > 40 and all(records_texts(first).get(text) for text in texts)
    assert search.search_files(view, memory=memory) == first  # its records files kept whole
    assert texts.isdisjoint(reachable_strings(memory))
    memory.files.clear()
    memory.texts.clear()
    assert search.search_files(view, memory=memory) == first  # every records file made of its records
    assert texts.isdisjoint(reachable_strings(memory))
    page = pages_of(site)[17]
    page.write_text(page.read_text() + "\nA closing line of its own.\n")
    view = view_of(site)
    assert search.search_files(view, memory=memory) == search.search_files(view)


def records_texts(files: dict[str, bytes]) -> dict[str, bool]:
    """Each record's JSON text, as the index's records files have it."""
    found: dict[str, bool] = {}
    for path, data in files.items():
        if path.startswith("search/r/"):
            for record in json.loads(data)["records"]:
                found[json.dumps(record, ensure_ascii=False, separators=(",", ":"))] = True
    return found


def test_an_index_of_the_process_starts_from_what_it_kept_and_reads_no_words_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve`: the next index starts from the state and the fragments of the last in memory,
    not read back from the store (a body edit, a page added, a page removed, a title changed),
    and each is the index made from nothing."""
    site = generated_site(tmp_path / "site", pages=30)
    asked: list[str] = []
    with Store(tmp_path / "store.sqlite") as store:
        real = store.get

        def get(kind: str, keys: list[str]):  # type: ignore[no-untyped-def]
            asked.append(kind)
            return real(kind, keys)

        monkeypatch.setattr(store, "get", get)
        memory = SearchMemory()
        search.search_files(view_of(site), store, memory=memory)
        page = removable(site)[2]
        edits = [
            lambda: page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n"),
            lambda: (site / "content" / "aaa-first.md").write_text("---\ntitle: First\n---\n\nAbout wombats.\n"),
            lambda: remove(removable(site)[5]),
            lambda: page.write_text(re.sub(r"^title: .*$", "title: Retitled", page.read_text(), count=1, flags=re.M)),
        ]
        for edit in edits:
            edit()
            asked.clear()
            view = view_of(site)
            assert search.search_files(view, store, memory=memory) == search.search_files(view)
            assert not {"search-state", "search-latest", "search-words"} & set(asked)


def test_an_index_of_the_process_keeps_its_words_fragments_packed_and_unpacks_those_an_edit_changes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` keeps each words fragment of its last index for the next to start from, packed
    (5.7 MB of text held as 1.3 MB at 5,000 pages): no fragment's text is held as a str; an edit
    unpacks only fragments its words land in, which the next index makes again, each once (read
    for the postings of a word that changed, and for the words around it); each index is the one
    made from nothing."""
    site = generated_site(tmp_path / "site", pages=40)
    unpacked: list[str] = []
    real = PackedFragments.text

    def spy(self: PackedFragments, name: str) -> str:
        text = real(self, name)
        unpacked.append(digest(text))
        return text

    monkeypatch.setattr(PackedFragments, "text", spy)
    with Store(tmp_path / "store.sqlite") as store:
        memory = SearchMemory()
        view = view_of(site)
        files = search.search_files(view, store, memory=memory)
        store.commit()
        assert files == search.search_files(view)
        texts = {data.decode() for path, data in files.items() if path in words_fragments(files)}
        assert memory.words is not None and isinstance(memory.words.texts, PackedFragments)
        kept = memory.words.texts.packs.values()
        assert len(kept) > 1
        assert all(isinstance(packed, bytes) for packed in kept)
        assert sum(map(len, kept)) * 2 < sum(map(len, texts))
        assert texts.isdisjoint(reachable_strings(memory))
        page = pages_of(site)[17]
        # a word of another page's, not of this one's: its postings are read from its fragment
        known = next(w for w in search.words(pages_of(site)[3].read_text()) if w not in search.words(page.read_text()))
        for note in ("quokkaplatypus rotation", "wombat migration", f"{known} habits"):
            last = set(memory.words.state.digests)
            page.write_text(page.read_text() + f"\nA note on {note}.\n")
            unpacked.clear()
            view = view_of(site)
            assert search.search_files(view, store, memory=memory) == search.search_files(view)
            store.commit()
            assert unpacked and set(unpacked) <= last - set(memory.words.state.digests)
            assert len(unpacked) == len(set(unpacked)), "a fragment unpacked twice"
            assert isinstance(memory.words.texts, PackedFragments)
            assert all(isinstance(packed, bytes) for packed in memory.words.texts.packs.values())
        # a page added moves the ids after it: every fragment is read, for its words' postings
        # spliced and for the words around those that changed, once
        (page.parent / "an-added-page.md").write_text(f"---\ntitle: An added page\n---\n\nOn {known} habits.\n")
        unpacked.clear()
        view = view_of(site)
        assert search.search_files(view, store, memory=memory) == search.search_files(view)
        assert unpacked and len(unpacked) == len(set(unpacked)), "a fragment unpacked twice"


def test_an_edit_puts_the_postings_of_the_words_it_changed_into_the_last_fragments_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit of a page (no record id moves) changes the postings of a few words: each is found
    in the text of the last index's fragment that holds it and put in there, the fragment's
    other words neither split out nor written again (at 20,000 pages a fragment of common words
    holds hundreds of thousands of postings). A page added splits the fragments into their words
    (every id after it moves). Each index is the one made from nothing, in one process and from
    the store."""
    site = generated_site(tmp_path / "site", pages=40)
    split: list[int] = []
    real = _written
    patch_stage(monkeypatch, "_written", lambda text: split.append(len(text)) or real(text))
    page = pages_of(site)[17]
    # words of other pages', not of this one's (a word new to the index moves the others)
    known = [
        w for w in dict.fromkeys(search.words(pages_of(site)[3].read_text())) if w not in search.words(page.read_text())
    ]
    for memory in (SearchMemory(), None):
        with Store(tmp_path / f"{memory is None}.sqlite") as store:
            view = view_of(site)
            search.search_files(view, store, memory=memory)
            store.commit()
            for note in (known[0], f"{known[1]} {known[2]}"):
                page.write_text(page.read_text() + f"\n{note}.\n")
                split.clear()
                view = view_of(site)
                assert search.search_files(view, store, memory=memory) == search.search_files(view)
                store.commit()
                assert split == [], note
    (page.parent / "an-added-page.md").write_text(f"---\ntitle: An added page\n---\n\nOn {known[0]}.\n")
    with Store(tmp_path / "True.sqlite") as store:
        view = view_of(site)
        assert search.search_files(view, store) == search.search_files(view)
    assert split


def test_an_index_of_the_process_keeps_its_records_without_their_headings_written_from_the_pages(
    tmp_path: Path,
) -> None:
    """`serve` keeps every policy page's record for its next index without its headings (as tuples
    they were 3.3 MiB of what it kept at 5,000 pages, 55,000 of them): each records file writes
    them from the record's page, as the JSON arrays a build from nothing writes, and a records
    file made again of its records (not kept) has them too."""
    site = generated_site(tmp_path / "site", pages=20)
    view = view_of(site)
    memory = SearchMemory()
    files = search.search_files(view, memory=memory)
    assert files == search.search_files(view)
    assert memory.records and not [record for record, *_ in memory.records.values() if "h" in record]
    written = [json.loads(line) for path, data in files.items() if path.startswith("search/r/") for line in [data]]
    assert any(isinstance(h, list) and isinstance(h[0], list) for doc in written for h in _arrays_of(doc, "h"))
    memory.files.clear()
    assert search.search_files(view, memory=memory) == files


def _arrays_of(doc: object, key: str) -> list[object]:
    """Every value under `key` in a JSON document."""
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k == key] + [x for v in doc.values() for x in _arrays_of(v, key)]
    if isinstance(doc, list):
        return [x for v in doc for x in _arrays_of(v, key)]
    return []


def test_an_index_of_the_process_over_the_same_pages_makes_no_record_and_no_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = generated_site(tmp_path / "site", pages=10)
    view = view_of(site)
    memory = SearchMemory()
    first = search.search_index(view, memory=memory)
    made: list[str] = []
    real = _policy_record

    def spy(page, *more):  # type: ignore[no-untyped-def]
        made.append(page.slug)
        return real(page, *more)

    patch_stage(monkeypatch, "_policy_record", spy)
    again = search.search_index(view, memory=memory)
    assert made == []
    assert [f.path for f in again] == [f.path for f in first]
    assert all(a is b for a, b in zip(again[1:], first[1:], strict=True))  # all but the manifest
    assert {f.path: f.make() for f in again} == search.search_files(view)


def test_what_a_serve_rebuild_kept_in_memory_is_kept_in_the_store_for_the_next_build(
    site_copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuilds of `serve` read no words fragments from the store: they still count them as
    used, so a build after them (a later `serve`, `servicebook build`) starts from the last
    index rather than from nothing."""
    site = site_copy("example")
    memory = PageMemory()
    options = Options(source=site, output=site / "public", env=ENV, memory=memory)
    page = site / "content" / "change-approval.md"
    try:
        build(options)
        for n in range(4):  # more builds than the store keeps an unused entry for
            page.write_text(page.read_text() + f"\nA note, number {n}.\n")
            build(options)
    finally:
        memory.close()
    bases: list[object] = []
    real = _Words.stored

    def spy(store):  # type: ignore[no-untyped-def]
        base = real(store)
        bases.append(base)
        return base

    monkeypatch.setattr(_Words, "stored", staticmethod(spy))
    page.write_text(page.read_text() + "\nThe last note.\n")
    build(dataclasses.replace(options, memory=None))
    assert bases and bases[-1] is not None


def test_a_cold_index_holds_its_words_and_records_files_in_a_temporary_file_not_in_memory(tmp_path: Path) -> None:
    # at 20,000 pages they are 34 MB, held from the index's making until the render workers make
    # the data files: what the build holds when its render workers are forked
    view = view_of(generated_site(tmp_path / "site", pages=300))
    search.search_index(view)  # what a first index leaves behind (compiled expressions, interned words)
    gc.collect()
    # what the index's own code allocated and still holds, counted by the frames that allocated it:
    # not what another thread of the test process (a server an earlier test left to stop) did meanwhile
    ours = [tracemalloc.Filter(True, str(Path(search.__file__).parent / "*"), all_frames=True)]
    tracemalloc.start(4)
    try:
        before = tracemalloc.take_snapshot().filter_traces(ours)
        files = search.search_index(view)
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    spilled = sum(len(f.make()) for f in files if f.path.startswith(("search/w/", "search/r/")))
    assert held < spilled / 2  # the texts, as they were held before: 1.3 times their size
    # and they are the very bytes an index of `serve`, which keeps its texts, makes
    assert [f.make() for f in files] == [f.make() for f in search.search_index(view, memory=SearchMemory())]


def test_a_cold_index_without_a_temporary_folder_holds_its_files_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no temporary file can be made (the folder is gone, the disk is full): the same index, no error
    view = view_of(generated_site(tmp_path / "site", pages=40))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    files = search.search_index(view)
    assert [f.make() for f in files] == [f.make() for f in search.search_index(view, memory=SearchMemory())]


def test_indexes_of_builds_one_after_the_other_start_from_the_last_through_the_stores_pruning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each build opens the store (a generation of its own) and prunes what neither it nor the
    build before it used. The postings of the last index's records are kept by marking a few
    runs of records used (`_Blocks`), in one build of two, never each record's: a page edited
    again three builds later is taken out of the index with the postings its run kept."""
    site = generated_site(tmp_path / "site", pages=40)
    read: list[str] = []
    real = _record_words

    def spy(record):  # type: ignore[no-untyped-def]
        read.append(record["t"])
        return real(record)

    patch_stage(monkeypatch, "_record_words", spy)
    touched: list[tuple[str, int]] = []
    real_touch = Store.touch

    def touch(self: Store, kind: str, keys: list[str]) -> None:
        if kind == _POSTINGS:
            raise AssertionError("every record's postings marked used")
        touched.append((kind, len(keys)))
        real_touch(self, kind, keys)

    monkeypatch.setattr(Store, "touch", touch)
    pages = pages_of(site)[:3]
    for n in range(7):
        page = pages[n % 3]
        page.write_text(page.read_text() + f"\nEdit {n}: wombat{n} and numbat.\n")
        view = view_of(site)
        read.clear()
        touched.clear()
        with Store(tmp_path / "store.sqlite") as store:
            made = search.search_files(view, store)
            store.record(str(tmp_path / "public"), [], built_release=False)  # the build's end: pruned
        words_read = list(read)
        assert made == search.search_files(view), "an index made from the last one differs from one made from nothing"
        if n:
            assert words_read == [title_of(page.read_text())]  # the edited page's words, no others
            # what the state names is marked in one build of two: a few runs and the fragments
            assert bool(touched) == (n % 2 == 0)
            assert sum(count for _, count in touched) < len(view.pages)


def test_a_serve_index_after_an_edit_makes_the_jobs_of_the_files_that_changed_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` keeps each file of its last index as the very job it was (the index's 22,000
    files at 20,000 pages): an edit makes the jobs of the files it changed, no others."""
    site = generated_site(tmp_path / "site", pages=60)
    made: list[str] = []
    real = outputs._search_file

    def spy(path: str, inputs: str, make):  # type: ignore[no-untyped-def]
        made.append(path)
        return real(path, inputs, make)

    monkeypatch.setattr(outputs, "_search_file", spy)
    memory = PageMemory()
    options = Options(source=site, output=tmp_path / "public", env=ENV, memory=memory)
    try:
        build(options)
        files = len(made)
        page = pages_of(site)[30]
        page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n")
        made.clear()
        build(options)
    finally:
        memory.close()
    published = {
        str(p.relative_to(tmp_path / "public")): p.read_bytes() for p in (tmp_path / "public/search").rglob("*.json")
    }
    assert published == search.search_files(view_of(site))
    # the manifest, the edited page's records file and text fragment, the words fragments of its words
    assert routes.SEARCH_INDEX in made and routes.search_fragment("r", 2) in made
    assert 3 <= len(made) < files / 8


def _greedy_starts(sizes: list[int], fragments: int) -> list[int]:
    """How the words were cut into ranges before `_starts`: a word at a time."""
    target = sum(sizes) / fragments if sizes else 0
    starts: list[int] = [0] if sizes else []
    size = 0
    for i, s in enumerate(sizes):
        if size >= target and len(starts) < fragments:
            starts.append(i)
            size = 0
        size += s
    return starts


@given(st.lists(st.integers(min_value=4, max_value=400), max_size=300), st.sampled_from([4, 8, 16, 64]))
def test_words_cut_by_bisection_are_cut_where_a_word_at_a_time_cut_them(sizes: list[int], fragments: int) -> None:
    assert _starts(sizes, fragments) == _greedy_starts(sizes, fragments)


_WORDS = st.text(alphabet="abcxyzéü09\u4e2d\U0001f600", min_size=1, max_size=4)


@given(st.sets(_WORDS, max_size=60), st.sets(_WORDS, max_size=12), st.data())
def test_words_put_in_and_taken_out_are_in_the_order_of_words_sorted_again(
    old: set[str], new: set[str], data: st.DataObject
) -> None:
    words = sorted(old, key=_order)
    state = _State([], words, [len(w) + 10 for w in words], [], [])
    index = {w: i for i, w in enumerate(words)}
    gone = data.draw(st.sets(st.sampled_from(words), max_size=5)) if words else set()
    changed = data.draw(st.sets(st.sampled_from(words), max_size=5)) if words else set()
    encoded = {w: b"[1,2,3]" for w in (new - gone) | (changed - gone)}
    work = gone | set(encoded)
    ordered, sizes, same = _reordered(state, work, encoded, index)
    expected = sorted((set(words) - gone) | set(encoded), key=_order)
    assert ordered == expected
    assert sizes == [len(w) + 11 if w in encoded else len(w) + 10 for w in expected]
    assert same == (ordered is words)


def test_a_command_line_rebuild_writes_the_records_of_the_pages_that_changed_alone(
    tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild from the command line (a process of its own: no memory of the last index) takes
    the key of each policy page's record from the last index's state when the page's record is
    made of what that one's was (its front matter, headings and HTML: _made_of), and writes
    out the JSON text of the others alone: the page edited, those whose summary it does not have
    (its text), and the records that are not policy pages'. After a body edit, a title edit, a
    heading added, a summary removed, a page added and one removed, each build's site is the one
    built from nothing."""
    site = generated_site(tmp_path / "site", pages=40)
    assert run("build", "--source", site).exit_code == 0
    written: list[str] = []
    real = _record_text
    keying = [False]  # the texts written to find the records' keys (not the records files made, 16 records each)

    def spy(record, page):  # type: ignore[no-untyped-def]
        if record["k"] == "policy" and keying[0]:
            written.append(record["u"])
        return real(record, page)

    def keys(make):  # type: ignore[no-untyped-def]
        def keyed(*args):  # type: ignore[no-untyped-def]
            keying[0] = True
            try:
                return make(*args)
            finally:
                keying[0] = False

        return keyed

    patch_stage(monkeypatch, "_record_text", spy)
    patch_stage(monkeypatch, "_record_texts", keys(_record_texts))
    patch_stage(monkeypatch, "_record_keys", keys(_record_keys))
    pages = pages_of(site)

    def rebuilt() -> set[str]:
        written.clear()
        assert run("build", "--source", site).exit_code == 0
        found = set(written)
        assert tree(site / "public") == clean_build(run, site, tmp_path)
        return found

    def address(page: Path) -> str:
        return routes.policy(page.stem)

    body = pages[7]
    body.write_text(body.read_text() + "\nA note on quokkaplatypus rotation.\n")
    assert rebuilt() == {address(body)}  # every page's record before
    title = pages[11]
    title.write_text(re.sub(r"^title: .*$", 'title: "Quokka rotation"', title.read_text(), count=1, flags=re.M))
    assert rebuilt() == {address(title)}
    heading = pages[13]
    heading.write_text(heading.read_text() + "\n## Quokkas at night\n\nThey rotate too.\n")
    assert rebuilt() == {address(heading)}
    plain = pages[17]
    plain.write_text(re.sub(r"^summary: .*\n", "", plain.read_text(), count=1, flags=re.M))
    assert address(plain) in rebuilt()
    text = plain.read_text()
    plain.write_text(text.replace("\n---\n\n", "\n---\n\nQuokkas first. ", 1))  # its record's summary: its text
    assert address(plain) in rebuilt()
    added = site / "content" / "quokka-rotation.md"
    added.write_text(body.read_text().replace("quokkaplatypus", "wombat"))
    assert rebuilt() == {address(added), address(plain)}  # ids moved: a page without a summary is written again
    gone = removable(site)[0]
    remove(gone)
    assert address(gone) not in rebuilt()


def test_a_command_line_rebuild_after_serve_writes_the_records_of_the_page_that_changed_alone(
    tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` stores the runs of the index it changes with what each record is made of, as the
    command line does: the command line's next rebuild takes the other pages' records' keys from
    them, rather than writing out every policy page's record once more."""
    site = generated_site(tmp_path / "site", pages=40)
    assert run("build", "--source", site).exit_code == 0
    pages = pages_of(site)
    memory = PageMemory()
    served = Options(source=site, output=tmp_path / "serve" / "site", env=ENV, memory=memory)
    try:
        build(served)
        for n in (3, 5):
            pages[n].write_text(pages[n].read_text() + "\nA note made in the preview.\n")
            build(served)
    finally:
        memory.close()
    written: list[str] = []
    real, real_keys = _record_text, _record_keys
    keying = [False]

    def spy(record, page):  # type: ignore[no-untyped-def]
        if record["k"] == "policy" and keying[0]:
            written.append(record["u"])
        return real(record, page)

    def keys(*args):  # type: ignore[no-untyped-def]
        keying[0] = True
        try:
            return real_keys(*args)
        finally:
            keying[0] = False

    patch_stage(monkeypatch, "_record_text", spy)
    patch_stage(monkeypatch, "_record_keys", keys)
    body = pages[7]
    body.write_text(body.read_text() + "\nA note on quokkaplatypus rotation.\n")
    assert run("build", "--source", site).exit_code == 0
    assert set(written) == {routes.policy(body.stem)}  # every policy page's before
    assert tree(site / "public") == clean_build(run, site, tmp_path)


@given(
    st.lists(st.sampled_from([0x00, 0x40, 0x01, 0x02, 0x03]), min_size=1, max_size=400),
    st.lists(st.tuples(st.integers(0, 399), st.sampled_from([0x80, 0xC0, 0x05])), max_size=12),
)
def test_the_runs_after_records_changed_in_place_are_the_runs_made_from_nothing(
    old_ends: list[int], changes: list[tuple[int, int]]
) -> None:
    # A run's end is a key ending in one of sixteen endings (`_Blocks`: 0x00, 0x40 here): the runs of the keys after a
    # few records changed at their ids, made from the last index's around the changed ones, are
    # those made of every key, digest and all.
    def key(n: int, ending: int) -> str:
        return f"{n:038x}{ending:02x}"

    keys = [key(n, e) for n, e in enumerate(old_ends)]
    old = _State(keys, [], [], [], [])
    runs = list(_runs(keys, old, None))
    old.blocks = [(k, e - s) for s, (e, k) in zip([0, *[e for e, _ in runs[:-1]]], runs, strict=True)]
    new = list(keys)
    changed = sorted({rid for rid, _ in changes if rid < len(keys)})
    for rid, ending in changes:
        if rid < len(keys):
            new[rid] = key(rid + 1000, ending)
    assert list(_runs(new, old, changed)) == list(_runs(new, old, None))
    assert [e for e, _ in _runs(new, old, None)] == _block_ends(new)


def test_the_run_an_edited_record_is_in_holds_some_thirty_records_not_a_hundred() -> None:
    # A one-page edit stores the run its record is in again, whole (`_Blocks`), and a run is as
    # long as its keys fall: with one key in 64 ending a run, the 20k bench site's middle page was
    # in a run of ~500 records (1.14 MB stored at every edit of it). One in 16: runs of 16 records
    # on average, and the run a record is in (longer runs hold more records) ~32.
    keys = [digest(str(n)) for n in range(20_000)]
    ends = _block_ends(keys)
    lengths = [end - start for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    assert 14 < len(keys) / len(lengths) < 18
    assert sum(n * n for n in lengths) / len(keys) < 40  # the run's length, over the records
    assert max(lengths) < 250


def _postings_entries(site: Path) -> int:
    """The entries of the site's store that hold one record's postings each."""
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        (count,) = db.execute("SELECT count(*) FROM entries WHERE key LIKE ?", [f"{_key(_POSTINGS, '')}%"]).fetchone()
    return int(count)


def test_a_build_from_nothing_keeps_its_records_postings_in_their_runs_alone(run, tmp_path: Path) -> None:
    """An index made from nothing stores every record's postings in the runs (`_Blocks`) that the
    next index reads a changed record's from, and not each under its own key as well: no build
    read those but one that put an edit back, and the second build after dropped them all (20,000
    entries at 20,000 pages). An index made from the last one stores the records that came in."""
    site = generated_site(tmp_path / "site", pages=30)
    assert run("build", "--source", site).exit_code == 0
    assert _postings_entries(site) == 0
    page = removable(site)[1]
    page.write_text(page.read_text() + "\nSay xylophonic twice: xylophonic.\n")
    assert run("build", "--source", site).exit_code == 0
    assert _postings_entries(site) == 1  # the edited page's record
    page.write_text(page.read_text() + "\nAnd quokka once.\n")
    assert run("build", "--source", site).exit_code == 0
    built = tree(site / "public")
    assert built == clean_build(run, site, tmp_path)


def test_records_put_back_where_ids_moved_take_their_postings_from_the_last_indexs_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page removed (or added) moves the ids of every record after it, and the records between
    the first and the last that changed are taken out and put back: those whose key is the
    same take the postings the last index's runs held for them, not their pages' words read
    again, also once the store has pruned what each record's own entry was (two builds on)."""
    site = generated_site(tmp_path / "site", pages=40)
    read: list[str] = []
    real = _record_words

    def spy(record):  # type: ignore[no-untyped-def]
        read.append(record["t"])
        return real(record)

    patch_stage(monkeypatch, "_record_words", spy)

    def build_index() -> list[str]:
        """The records read for their words by an index made from the last one (checked against
        the index made from nothing)."""
        view = view_of(site)
        read.clear()
        with Store(tmp_path / "store.sqlite") as store:
            made = search.search_files(view, store)
            store.record(str(tmp_path / "public"), [], built_release=False)  # the build's end: pruned
        words_read = list(read)
        assert made == search.search_files(view), "an index made from the last one differs from one made from nothing"
        return words_read

    build_index()
    pages = removable(site)
    for n in range(3):  # three builds: what only the first build stored is pruned
        pages[n].write_text(pages[n].read_text() + f"\nEdit {n}: wombat{n}.\n")
        build_index()
    lonely = pages[4]
    linked = remove(lonely)
    assert len(linked) >= 2
    assert set(build_index()) == linked  # the pages that linked to it, whose text changed: no others


def _postings_encoded(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The postings lists `_compact` writes from now on (each word's, as ids' differences,
    wheres and sections: lists of numbers alone), as they come."""
    encoded: list[list[int]] = []
    real = _compact

    def spy(data: object) -> bytes:
        if isinstance(data, list) and data and all(type(n) is int for n in data):
            encoded.append(data)
        return real(data)

    patch_stage(monkeypatch, "_compact", spy)
    return encoded


@pytest.mark.parametrize("change", ["added", "removed"])
def test_a_page_added_or_removed_splices_the_postings_as_written_encoding_its_new_words_alone(
    indexes, monkeypatch, change
) -> None:
    indexes.make()
    # its title puts its record among the others: the ids of those after it move
    middle = indexes.site / "content" / "mmm-in-the-middle.md"
    middle.write_text("---\ntitle: Middle of all\n---\n\nAbout wombatmiddle and pipelines.\n")
    if change == "removed":  # (no other page links to it: the others' records stay as they were)
        indexes.make()
        middle.unlink()
    view = view_of(indexes.site)
    encoded = _postings_encoded(monkeypatch)
    made = search.search_files(view, indexes.store, memory=indexes.memory)
    encoded_again = len(encoded)
    assert made == search.search_files(view)  # as the index made from nothing
    # not every word whose postings' ids moved (425 words of 40 pages, each decoded, spliced and
    # encoded again): those new to the index alone, of which the page added has a few
    assert encoded_again <= 8 if change == "added" else encoded_again == 0, encoded_again


def test_postings_spliced_as_written_are_those_encoded_again() -> None:
    written = '"wombat":[2,1,0,3,8,0,4,2,1]'  # ids 2, 5 and 9 (differences 2, 3, 4), each with where and section
    # a record put in at 5: ids 5 and 9 move to 6 and 10
    assert _spliced(written, (5, 5, 5, 6), [5, 4, 0]) == b"[2,1,0,3,4,0,1,8,0,4,2,1]"
    # the record of id 5 taken out: 9 moves to 8
    assert _spliced(written, (5, 6, 5, 5), []) == b"[2,1,0,6,2,1]"
    # records without the word put in before 5: the first difference after them changes alone
    assert _spliced(written, (3, 3, 3, 5), []) == b"[2,1,0,5,8,0,4,2,1]"
    assert _spliced(written, (0, 0, 0, 1), []) == b"[3,1,0,3,8,0,4,2,1]"
    # two records taken out for one put in, the word in the second and in the new one
    assert _spliced(written, (4, 6, 4, 5), [4, 16, 1]) == b"[2,1,0,2,16,1,4,2,1]"
    # nothing in or after the span: as written; the only record with the word taken out: none left
    assert _spliced(written, (10, 10, 10, 11), []) is None
    assert _spliced('"wombat":[5,1,0]', (5, 6, 5, 5), []) == b""
    for span, came in [((5, 5, 5, 6), [5, 4, 0]), ((5, 6, 5, 5), []), ((3, 3, 3, 5), []), ((4, 6, 4, 5), [4, 16, 1])]:
        assert _spliced(written, span, came) == _spliced_by_lists([2, 1, 0, 5, 8, 0, 9, 2, 1], span, came)


def _spliced_by_lists(postings: list[int], span: tuple[int, int, int, int], came: list[int]) -> bytes:
    """The same splice made on whole lists of ids, then encoded as a words fragment writes them."""
    old_lo, old_hi, _, new_hi = span
    triples = [postings[k : k + 3] for k in range(0, len(postings), 3)]
    before = [t for t in triples if t[0] < old_lo]
    after = [[t[0] + new_hi - old_hi, *t[1:]] for t in triples if t[0] >= old_hi]
    merged = [*before, *(came[k : k + 3] for k in range(0, len(came), 3)), *after]
    ids = [t[0] for t in merged]
    deltas = [b - a for a, b in itertools.pairwise([0, *ids])]
    return _compact([n for d, t in zip(deltas, merged, strict=True) for n in (d, *t[1:])])[:-1]


def test_an_index_of_the_process_writes_the_sizes_in_its_state_from_the_parts_of_the_last_where_their_words_are(
    tmp_path: Path,
) -> None:
    """`serve`: the state kept after each index writes its words' sizes joined of a part for each
    range of words, the last state's very part where the range is the last's with none of its
    words changed (a one-page edit's state wrote 100,000 sizes again at 20,000 pages); its text
    is the one written of the whole list, and each index is the one made from nothing."""
    site = generated_site(tmp_path / "site", pages=60)
    with Store(tmp_path / "store.sqlite") as store:
        memory = SearchMemory()
        search.search_files(view_of(site), store, memory=memory)
        page = removable(site)[2]
        edits = [
            ("a body", lambda: page.write_text(page.read_text() + "\nA note on quokkaplatypus rotation.\n")),
            ("the same words", lambda: page.write_text(page.read_text() + "\nA note on rotation.\n")),
            (
                "a page added",
                lambda: (site / "content" / "aaa-first.md").write_text("---\ntitle: First\n---\n\nWombats.\n"),
            ),
            ("a page removed", lambda: remove(removable(site)[5])),
            (
                "a title",
                lambda: page.write_text(
                    re.sub(r"^title: .*$", "title: Retitled", page.read_text(), count=1, flags=re.M)
                ),
            ),
        ]
        for what, edit in edits:
            assert memory.words is not None
            before = memory.words.state
            edit()
            view = view_of(site)
            assert search.search_files(view, store, memory=memory) == search.search_files(view), what
            state = memory.words.state
            assert state.sizes_parts is not None and len(state.sizes_parts) == len(state.starts), what
            assert state.to_json() == dataclasses.replace(state, sizes_parts=None, words_json=None).to_json(), what
            assert json.loads(state.to_json())["search"][2] == state.sizes, what
            if what == "a body":  # the ranges that are the last's take their parts as they were
                assert before.sizes_parts is not None
                taken = [part for part in state.sizes_parts if any(part is old for old in before.sizes_parts)]
                assert 0 < len(taken) < len(state.sizes_parts), what
