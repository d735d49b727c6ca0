"""The search index's files in their fixed order (`index_files`: the manifest, the records, the
words, the texts), each carried from the last index of the process where what it is made of
is the same."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import compress
from typing import Any, TypeVar, cast

from servicebook import routes
from servicebook.cache.digest import digest
from servicebook.cache.store import Store
from servicebook.catalog import model
from servicebook.site.search.carried import IndexWords, KeptFiles, SearchMemory
from servicebook.site.search.fragments import _Words
from servicebook.site.search.postings import spooled_parts
from servicebook.site.search.records import (
    _FIRST,
    _KIND,
    _kinds,
    _made_of,
    _policy_ids,
    _record_keys,
    _record_text,
    _record_texts,
    _records_file,
    _records_file_of,
    _texts_again,
    search_records,
)
from servicebook.site.search.spill import _Spill
from servicebook.site.search.text import _compact, page_sections
from servicebook.site.views import SiteView

INDEX_VERSION = 2


CHUNK = 16  # records per records fragment


def search_files(
    view: SiteView, store: Store | None = None, workers: int = 1, memory: SearchMemory | None = None
) -> dict[str, bytes]:
    """Every file of the index, by site path, made at once (`search_index` makes them lazily)."""
    return {f.path: f.make() for f in search_index(view, store, workers, memory)}


@dataclass(frozen=True, slots=True)
class IndexFile:
    """One file of the index: where it goes, a digest of its bytes (or of all they are made
    from), and what makes them (in a render worker: it reads no store)."""

    path: str
    inputs: str
    make: Callable[[], bytes]


def search_index(
    view: SiteView, store: Store | None = None, workers: int = 1, memory: SearchMemory | None = None
) -> tuple[IndexFile, ...]:
    """The index's files in a fixed order: the manifest, the records, the words, the texts (see
    `index_files`)."""
    return index_files(view, IndexFile, store, workers, memory)


F = TypeVar("F")


def index_files(
    view: SiteView,
    file: Callable[[str, str, Callable[[], bytes]], F],
    store: Store | None = None,
    workers: int = 1,
    memory: SearchMemory | None = None,
    made_of: Mapping[str, str] | None = None,
) -> tuple[F, ...]:
    """The index's files in a fixed order: the manifest, the records, the words, the texts, each
    made as `file(path, inputs, make)`: where it goes, a digest of its bytes (or of all they are
    made from), and what makes them (in a render worker: it reads no store).

    Each record's words ("postings": word, where, section) are kept in `store` under a digest
    of the record and, for a policy page, of its HTML, so a page is read for its words once in
    the life of the store whatever the build (the current catalog, any release, `serve`). The
    words of the last index made (`_State`: each record's key, each word's encoded size, each
    fragment's text) are kept there too, and the next index is made from it: only the records
    whose key changed are taken out and put in, only their words' postings are encoded again,
    and only the fragments those words (or a moved cut between ranges) land in are made again;
    the others are the very bytes of the last index. The result is the same, byte for byte, as
    an index made from nothing (tests/test_search_incremental.py).

    `memory` (`serve`: fresh.PageMemory.search) holds what the last index the process made was
    made of: its records, with their texts and keys, its words (`IndexWords`), which the next
    index starts from instead of what the store holds, and its files, each the very object
    `file` made while what it is made of is the same; it is left holding this index's.
    Without `memory`, the records and words files are made as the index is, into a temporary
    file (`_Spill`), and read from there when asked for.

    `made_of` (the command line: load.Loaded `page_digests`, each policy page's slug, source,
    front matter and headings as a digest) says what each policy page's record is made of: with
    its HTML's digest, what the last index's state stored beside each record's key (`_Blocks`),
    so that a page whose record is the last index's has that record's key without its text
    being written out and digested again (most of them, in a rebuild), and its records file is
    written only if asked for."""
    # policy records are made without their headings, which only their texts need (written from
    # the page: `_record_text`): as lists they were two thirds of what a cold build's records held
    # (16 MiB at 20,000 pages); as tuples, 3.3 MiB of what `serve` kept between edits at 5,000
    # the command line, with what the records are made of: the policy pages' records made only
    # where their key is not the last index's (`_record_keys`), or their file or words are made
    usable = store if store is not None and store.usable else None
    keyed = memory is None and made_of is not None and usable is not None and view.site.federation is None
    records = search_records(
        view, memory.policies if memory is not None else None, headings=False, unmade=keyed, memory=memory
    )
    kinds, policy, pages = _kinds_and_pages(records, view, memory)
    base: IndexWords | None = None
    made: list[str] | None = None  # what each record is made of (`_made_of`; "" for the others)
    if made_of is not None and usable is not None and view.site.federation is None:
        # stored with the runs by `serve` too, for the command line's next rebuild to key by
        made = _made_of(len(records), pages, made_of, memory)
        if keyed:
            base = _Words.stored(usable)
    written: list[str | None] = []
    all_texts: list[str | None] = []  # (`serve`: the texts made now, each chunk's file made of them where it changed)
    if memory is not None:
        for maker in memory.holding:  # (the last index's files are made: what they were made of goes)
            maker.texts = None
        memory.holding = []
        again = _texts_again(records, pages, memory)
        all_texts, keys = again if again is not None else _record_texts(records, pages, memory.records)
        memory.listed = (records, keys)
    else:
        written, keys = _record_keys(records, pages, made, base)
    spill = _Spill() if memory is None else None  # `serve` keeps the texts for its next index
    records_files: list[Callable[[], bytes]] = []
    if spill is not None:
        for n in range(0, len(records), CHUNK):
            chunk = written[n : n + CHUNK]
            if None in chunk:  # records whose text was not written: written if the file is asked for
                records_files.append(partial(_records_file_of, records, pages, n, chunk))
            else:
                records_files.append(spill.keep(_records_file(cast(list[str], chunk))))
    del written  # in a cold build, in the spill: not held while the words are made
    start = memory.words if memory is not None else base
    words = _Words(records, pages, keys, store, workers, start, spill, made, read=base is not None)
    words_made = words.make()
    # a file the last index of the process made of the same keys, the same text, the same page
    # object is that index's (the same bytes, the same object), not made again
    same_kind = memory is not None and memory.made_as is file
    last: KeptFiles = memory.files if memory is not None and same_kind else {}
    last_texts: KeptFiles = memory.texts if memory is not None and same_kind else {}
    kept: KeptFiles = {}  # each file and what it was made of, for the next index of the process
    manifest = _compact(
        {
            "servicebook_search": INDEX_VERSION,
            "catalog_version": view.site.catalog.version,
            "records": len(records),
            "chunk": CHUNK,
            "words": words_made.firsts,
            "kinds": kinds,
        }
    )
    files = [file(routes.SEARCH_INDEX, digest(manifest), partial(bytes, manifest))]
    digests = [key for key, _ in words_made.fragments]
    carried = (
        _kept_files(memory, last, keys, words_made.fragments, file, (records, pages, all_texts))
        if memory is not None and same_kind
        else None
    )
    if carried is not None:
        kept = carried
    else:
        for n in range(0, len(records), CHUNK):
            chunk_keys = keys[n : n + CHUNK]  # a record's key covers its text
            path = routes.search_fragment("r", n // CHUNK)
            known = last.get(path)
            if known is None or known[0] != chunk_keys:
                maker = (
                    records_files[n // CHUNK]
                    if spill is not None
                    else _RecordsFile.of(records, pages, all_texts, n, memory)
                )
                known = (chunk_keys, file(path, digest("\n".join(chunk_keys)), maker))
            kept[path] = known
        for n, (key, body) in enumerate(words_made.fragments):
            path = routes.search_fragment("w", n)
            known = last.get(path)
            if known is None or known[0] != key:
                known = (key, file(path, key, body))
            kept[path] = known
    files += [made for _, made in kept.values()]
    if memory is None:  # a file each, kept by nothing (20,000 at 20,000 pages)
        files += _text_files(pages, file)
        return tuple(files)
    memory.files_of = None  # (until `files` is this index's too)
    memory.files = kept
    memory.files_of = (keys, digests)
    texts, listed = _text_fragments(view, kinds, policy, pages, memory, last_texts, file)
    files += listed
    memory.words = words_made.words
    memory.texts = texts
    memory.made_as = file
    return tuple(files)


def _kinds_and_pages(
    records: list[dict[str, Any]], view: SiteView, memory: SearchMemory | None
) -> tuple[list[list[object]], list[int], dict[int, model.Page]]:
    """The records' kinds (`_kinds`), the policy pages' record ids in the order of `view.pages`
    (`_policy_ids`) and the pages by those ids. With a `memory` (`serve`), the last index's
    (`SearchMemory.kinds_of`) while each record that is not the very one at its place is of the
    same kind as that one, with the pages put right where the page is not the very object (found
    at once: each of 20,000 records' kind read and a dict of 20,000 pages made, a rebuild);
    `memory` is left holding these."""
    last = memory.kinds_of if memory is not None else None
    if memory is not None:
        memory.kinds_of = None  # (until it holds these, below)
    found: tuple[list[list[object]], list[int], dict[int, model.Page]] | None = None
    if last is not None and len(last[0]) == len(records) and len(last[4]) == len(view.pages):
        old, kinds, policy, old_pages, shown = last
        moved = compress(range(len(records)), map(operator.is_not, records, old))
        if all(_KIND(records[rid]) == _KIND(old[rid]) for rid in moved):
            pages = dict(old_pages)  # (a copy at once: the last index's stands while this one is made)
            for at in compress(range(len(policy)), map(operator.is_not, view.pages, shown)):
                pages[policy[at]] = view.pages[at]
            found = (kinds, policy, pages)
    if found is None:
        kinds = _kinds(records)  # (a policy page's record made later is one still: `_UNMADE`)
        policy = _policy_ids(kinds, len(records))
        found = (kinds, policy, dict(zip(policy, view.pages, strict=True)))
    if memory is not None:
        memory.kinds_of = (records, *found, view.pages)
    return found


def _text_fragments(
    view: SiteView,
    kinds: list[list[object]],
    policy: list[int],
    pages: dict[int, model.Page],
    memory: SearchMemory,
    last_texts: KeptFiles,
    file: Callable[[str, str, Callable[[], bytes]], F],
) -> tuple[KeptFiles, list[Any]]:
    """`serve`: the index's text fragments, a file each policy page's record (`pages`, by its id,
    in the order of `view.pages`; `policy`, their ids in that order), the last index's
    (`last_texts`) where the page is the very object it was; and the files in that order. When
    the last index's are of the records of the same kinds at the same places (`kinds`, which say
    the policy pages' ids) and of as many pages (`SearchMemory.texts_of`), its files are taken in
    order and put right where the page is not the one it held (pages compared by identity at
    once, not each entry looked at: 20,000 at 20,000 pages); `last_texts` is then patched in
    place."""
    fragment = routes.search_fragment
    texts: KeptFiles = {}
    look: Iterable[int] = policy
    texts_of = memory.texts_of if last_texts else None
    memory.texts_of = None  # (until `texts` is this index's, below)
    listed: list[Any] | None = None
    if texts_of is not None and texts_of[0] == kinds and len(texts_of[1]) == len(view.pages) == len(last_texts):
        # the last text fragments in order, put right where the page is not the very object: the
        # pages compared by identity with those the last index held, not each one's entry looked at
        texts, listed = last_texts, texts_of[2]  # (each patched in place: `texts_of` is None meanwhile)
        changed = list(compress(range(len(policy)), map(operator.is_not, view.pages, texts_of[1])))
        for at in changed:
            rid, page = policy[at], view.pages[at]
            known = texts.get(rid)
            if known is None or known[0] is not page:
                known = (page, file(fragment("t", rid), page.html_sha256, partial(_text_file, page)))
                texts[rid] = known
            listed[at] = known[1]
        look = ()
    elif len(last_texts) == len(policy) and list(last_texts) == policy:
        # the last text fragments, but where the page is not the very object (found at once)
        texts = dict(last_texts)
        olds = map(_FIRST, last_texts.values())
        look = list(compress(policy, map(operator.is_not, view.pages, olds)))  # (`pages`: `policy`'s, in order)
    for rid in look:
        page = pages[rid]
        known = last_texts.get(rid)
        if known is None or known[0] is not page:
            known = (page, file(fragment("t", rid), page.html_sha256, partial(_text_file, page)))
        texts[rid] = known
    if listed is None:
        listed = [made for _, made in texts.values()]
    memory.texts_of = (kinds, view.pages, listed)
    return texts, listed


def _kept_files(
    memory: SearchMemory,
    last: KeptFiles,
    keys: list[str],
    fragments: list[tuple[str, Callable[[], bytes]]],
    file: Callable[[str, str, Callable[[], bytes]], F],
    made: tuple[list[dict[str, Any]], dict[int, model.Page], list[str | None]],
) -> KeptFiles | None:
    """`serve`: the records and words files of the index (`index_files`' `kept`), the last
    index's (`last`, in its order: the records files, then the words files) but for the chunks
    of records with a key that is not the very one the last had at its place and the words
    fragments whose digest is not the last's, each of them made again where what it is made of
    differs (`made`: this index's records, their pages by record id, and the texts it made).
    Found by comparing the keys and digests with those the last files were made of
    (`SearchMemory.files_of`), at once, not each file's path made and its entry looked at (at
    20,000 pages, 1,250 records files and 1,024 words files a rebuild). None when the last
    index's files are not those of as many records and fragments."""
    made_of = memory.files_of
    listed = memory.listed
    chunks = -(-len(keys) // CHUNK)
    digests = [key for key, _ in fragments]
    if made_of is None or listed is None or len(made_of[0]) != len(keys) or len(made_of[1]) != len(digests):
        return None
    if len(last) != chunks + len(digests):
        return None
    old_keys, old_digests = made_of
    paths = list(last)  # (the records files' paths in order, then the words files')
    kept = dict(last)
    records, pages, texts = made
    for c in sorted({rid // CHUNK for rid in compress(range(len(keys)), map(operator.is_not, keys, old_keys))}):
        path, n = paths[c], c * CHUNK
        chunk_keys = keys[n : n + CHUNK]
        if kept[path][0] != chunk_keys:
            maker = _RecordsFile.of(records, pages, texts, n, memory)
            kept[path] = (chunk_keys, file(path, digest("\n".join(chunk_keys)), maker))
    for n in compress(range(len(digests)), map(operator.ne, digests, old_digests)):
        path = paths[chunks + n]
        key, body = fragments[n]
        if kept[path][0] != key:
            kept[path] = (key, file(path, key, body))
    return kept


class _RecordsFile:
    """The maker of a records file of `serve`'s index, which its next indexes keep with the file
    while its records are the same: the file made of the texts its index made for its keys, while
    it holds them (until the next index: SearchMemory `holding`), else of its records again. Its
    own records and pages alone (a file kept through a day of edits holds no build's lists)."""

    __slots__ = ("pages", "records", "texts")

    def __init__(
        self, records: list[dict[str, Any]], pages: list[model.Page | None], texts: list[str | None] | None
    ) -> None:
        self.records, self.pages, self.texts = records, pages, texts

    @classmethod
    def of(
        cls,
        records: list[dict[str, Any]],
        pages: Mapping[int, model.Page],
        texts: list[str | None],
        first: int,
        memory: SearchMemory | None,
    ) -> _RecordsFile:
        """The maker of the chunk of records from `first` on, holding their texts made now."""
        end = min(first + CHUNK, len(records))
        held = texts[first:end] if len(texts) == len(records) else None
        maker = cls(records[first:end], [pages.get(rid) for rid in range(first, end)], held)
        if memory is not None and held is not None:
            memory.holding.append(maker)
        return maker

    def __call__(self) -> bytes:
        texts = self.texts or [None] * len(self.records)
        made = (
            t if t is not None else _record_text(r, p) for t, r, p in zip(texts, self.records, self.pages, strict=True)
        )
        return _records_file(list(made))


def text_files(view: SiteView, file: Callable[[str, str, Callable[[], bytes]], F]) -> Iterator[F]:
    """The index's text fragments, a file each policy page, as `index_files` makes them, in its
    order (the same paths, inputs and makers) without the rest of the index: each is its page's
    alone. Not for an organisation site (whose records `index_files` labels by team)."""
    if view.site.federation is not None:
        raise ValueError("an organisation site's text fragments are made with its index")
    records = search_records(view, unmade=True)  # (only their kinds are read: the policy pages' ids)
    return _text_files(dict(zip(_policy_ids(_kinds(records), len(records)), view.pages, strict=True)), file)


def _text_files(pages: dict[int, model.Page], file: Callable[[str, str, Callable[[], bytes]], F]) -> Iterator[F]:
    fragment = routes.search_fragment
    return (file(fragment("t", rid), page.html_sha256, partial(_text_file, page)) for rid, page in pages.items())


def _text_file(page: model.Page) -> bytes:
    # the page, not its HTML: a build keeps that in its spool (model.Page `spooled`), read here,
    # in the render worker that makes this file; the fragment itself when the page's render made it
    parts = spooled_parts(page)
    if parts is not None:
        return parts[1]
    return _compact({"sections": page_sections(page.html)})
