"""What one search index leaves for the next: the state the store holds (`_State`, under the
store kinds named here), the words as the next index starts from them (`IndexWords`, with the
last fragments' texts), and what `serve` keeps of the whole index (`SearchMemory`)."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol

from servicebook.cache.codec import read_json
from servicebook.cache.store import Store
from servicebook.catalog import model

# the records of an index by address: (record, its JSON text, its page's HTML digest, its key);
# `serve`'s hold no text (None): a records file is made again of its records where it changed
# (`_RecordsFile`), and the texts were 4.1 MiB of what it kept at 5,000 pages
RecordTexts = dict[str, tuple[dict[str, Any], str | None, str, str]]


# the records of the policy pages of a process's last index: (page, its record) by id(page)
PolicyRecords = dict[int, tuple[model.Page, dict[str, Any]]]


# the files of a process's last index, each with what it was made of: a records or words file by
# site path (its records' keys, its digest), a text fragment by its record's id (its page)
KeptFiles = dict[Any, tuple[object, Any]]


@dataclass(slots=True)
class SearchMemory:
    """What the last search index of a long-running process was made of, for the next to start
    from (`files.index_files`): its records with their texts and keys, by address
    (`RecordTexts`), its words (None before the first index), and more of it by what each
    part was made of."""

    records: RecordTexts = field(default_factory=dict)
    words: IndexWords | None = None
    policies: PolicyRecords = field(default_factory=dict)  # its policy pages' records, by page
    # its offerings' and tools' records, by view: (the view, what was made of it) by id(view)
    catalog_records: dict[int, tuple[object, Any]] = field(default_factory=dict)
    files: KeptFiles = field(default_factory=dict)  # its records and words files, by site path
    texts: KeptFiles = field(default_factory=dict)  # its text fragments, by record id
    made_as: object = None  # what its files were made as (`index_files`' `file`)
    # what its records were made of (`_made_of`): the record count, the policy pages' record ids,
    # the pages, and what each record was made of
    made: tuple[int, list[int], list[model.Page], list[str]] | None = None
    # its policy pages in order, and their records (`_policy_records`)
    policy_order: tuple[tuple[model.Page, ...], list[dict[str, Any]]] | None = None
    # its records in order, with each one's key (`_record_texts`), as `records` holds them
    listed: tuple[list[dict[str, Any]], list[str]] | None = None
    # the makers of its records files that hold the texts its index made (`_RecordsFile`): let go
    # by the next index, once the files were made (held by its files, they would hold them all)
    holding: list[Any] = field(default_factory=list)
    # what `files` were made of: each record's key and each words fragment's digest, in order
    # (set with `files`: the next index looks again only at the chunks and fragments that differ)
    files_of: tuple[list[str], list[str]] | None = None
    # its records, their kinds, the policy pages' record ids and the pages by them, and the site
    # view's pages they were taken from (`_kinds_and_pages`)
    kinds_of: (
        tuple[list[dict[str, Any]], list[list[object]], list[int], dict[int, model.Page], tuple[model.Page, ...]] | None
    ) = None
    # what `texts` holds, in the order of the policy pages' records: the records' kinds (which say
    # the policy pages' ids, `_policy_ids`), their pages (the site view's very tuple) and their
    # files (set with `texts`; the next index patches them where a page changed)
    texts_of: tuple[list[list[object]], tuple[model.Page, ...], list[Any]] | None = None


_POSTINGS = "search-postings"  # a record's postings, under its key


_FRAGMENT = "search-words"  # a words fragment's text, under its digest


_STATE = "search-state"  # an index's _State, under its digest


_BLOCK_KEYS = "search-block-keys"  # a run of an index's records (`_Blocks`): their keys, under a digest of them


_BUNDLE = "search-bundle"  # the same run: each record's postings as stored (a list of them), under the same digest


_LATEST = "search-latest"  # the digest of the last _State made, under LATEST_KEY


LATEST_KEY = "latest"  # a fixed key: the next index starts from whichever was made last (any is right)


@dataclass(slots=True)
class _State:
    """What the next index is made from: each record's key, the words in order with the size each
    counts for when the words are cut into ranges, where each range starts, its text's digest;
    and the records in runs (`_Blocks`), each run's digest and length. Stored with the runs in
    place of the records' keys: the keys of a run are stored under its digest (_BLOCK_KEYS), so
    that an index after an edit stores the keys of the run that changed, not of every record."""

    records: list[str]
    words: list[str]
    sizes: list[int]
    starts: list[int]
    digests: list[str]
    blocks: list[tuple[str, int]] = field(default_factory=list)
    # what each record is made of, beside its key (`_made_of`; "" where not known), read from its
    # blocks with their keys
    made: list[str] = field(default_factory=list)
    # `words` as JSON, once written (`to_json`): the next state of the process that has the very
    # same list of words (an edit that brought no word in and took none out) writes it as it is
    words_json: str | None = None
    # `sizes` as JSON without its brackets, a part for each range of words (`starts`), when known
    # (`_Words._cut`: a range that is the last state's, of the same words, takes its part as it is)
    sizes_parts: list[str] | None = None

    def to_json(self) -> str:
        """`json.dumps({"search": [blocks, words, sizes, starts, digests]}, ensure_ascii=False)`,
        the words written once for the list (most of the state: ~100,000 words at 20,000 pages),
        the sizes joined of their ranges' parts where those are known."""
        if self.words_json is None:
            self.words_json = json.dumps(self.words, ensure_ascii=False)
        # (a part is `json.dumps` of its range's sizes, less its brackets)
        sizes = json.dumps(self.sizes) if self.sizes_parts is None else "[" + ", ".join(self.sizes_parts) + "]"
        parts = [json.dumps(part, ensure_ascii=False) for part in (self.blocks, self.starts, self.digests)]
        return '{"search": [' + ", ".join([parts[0], self.words_json, sizes, *parts[1:]]) + "]}"

    @classmethod
    def from_json(cls, text: str) -> _State:
        """The state stored, without its records' keys (`records` is empty: they are read from
        its blocks')."""
        blocks, words_, sizes, starts, digests = read_json(text)["search"]
        if not all(isinstance(part, list) for part in (blocks, words_, sizes, starts, digests)):
            raise ValueError("a search state's parts are not lists")
        if not (len(words_) == len(sizes) and len(starts) == len(digests)):
            raise ValueError("inconsistent search state")
        runs = [(key, n) for key, n in blocks]
        if not all(isinstance(key, str) and type(n) is int and n > 0 for key, n in runs):
            raise ValueError("a search state's blocks are not runs of records")
        # what this code writes (the store may hold what anyone wrote): words that are texts, sizes
        # that are counts, ranges that start at the first word and each after the one before
        if not (all(isinstance(w, str) for w in words_) and all(type(n) is int for n in sizes)):
            raise ValueError("a search state's words are not words")
        if not all(isinstance(d, str) for d in digests) or starts[:1] != ([0] if words_ else []):
            raise ValueError("a search state's ranges are not ranges of its words")
        if not all(type(a) is int for a in starts) or not all(a < b < len(words_) for a, b in pairwise(starts)):
            raise ValueError("a search state's ranges are not ranges of its words")
        return cls([], words_, sizes, starts, digests, runs)


_PACKING = 1  # zlib's fastest level: 4.6 times smaller at 5,000 pages, 9 times faster than the default


def _packed(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), _PACKING)


class FragmentSource(Protocol):
    """The last index's words fragments, by digest, as the next index reads them: `serve` keeps
    them packed in memory (`PackedFragments`), the command line reads them from the store
    (`StoredFragments`). A fragment gone or not as written is a KeyError (the index is then made
    from nothing: fragments.py `_UNLIKE_WRITTEN`)."""

    def fetch(self, names: Collection[str]) -> None:
        """Those of `names` the index is about to read, read at once where that is cheaper."""

    def text(self, name: str) -> str:
        """Fragment `name`'s text (the index reads each once: fragments.py `_Words._fragment`)."""

    def packed(self, name: str) -> bytes:
        """Fragment `name` as `serve` keeps it for its next index (`_packed`)."""


class PackedFragments:
    """`serve`'s: each words fragment of its last index UTF-8 compressed (`_packed`), by digest.
    Packed, they are a fifth of their size (5.7 MB of text at 5,000 pages held as 1.3 MB); the
    next index unpacks only the few fragments an edit's words land in, and the others go to the
    output as they are."""

    __slots__ = ("packs",)

    def __init__(self, packs: dict[str, bytes]) -> None:
        self.packs = packs

    def fetch(self, names: Collection[str]) -> None:
        """Nothing to do: they are all in memory."""

    def text(self, name: str) -> str:
        return zlib.decompress(self.packs[name]).decode("utf-8")

    def packed(self, name: str) -> bytes:
        return self.packs[name]


@dataclass(frozen=True, slots=True)
class IndexWords:
    """An index's words as the next index starts from them: its state and its words fragments
    (what the store holds of the last index, or what `serve` kept of it, packed)."""

    state: _State
    texts: FragmentSource
    index: dict[str, int] | None = None  # where each word is in `state.words`, when known
    touched: int | None = None  # the store's generation its entries were last all marked used in (`_remember`)
    # the runs of records this index stored (`_Blocks`), each its records' postings as stored, by
    # digest, when they were a few (an edit's, in `serve`): the next index of the process reads a
    # record that left one of them from here, not from the store (a run is ~50 KB at 20,000 pages)
    runs: dict[str, list[str]] = field(default_factory=dict)


# A words fragment's text as this code writes it: each word (letters and digits: no quote, no
# backslash) and its postings (numbers), or none.
_WRITTEN = re.compile(r'\{\}\n|\{"[^"\\]+":\[[0-9]+(?:,[0-9]+)*\](?:,"[^"\\]+":\[[0-9]+(?:,[0-9]+)*\])*\}\n')


class StoredFragments:
    """The command line's: the last index's words fragments as the store holds them, each read
    (and checked against its checksum, by the store) when asked for: a rebuild reads those that
    hold a word that changed (a one-page edit: a few of 242 at 5,000 pages), not every one (5.7
    MB at 5,000 pages), and the others' files are kept as the last build wrote them. Only in the
    process that opened the store (spill.py `_Spill.stored` for the others)."""

    def __init__(self, store: Store, digests: list[str]) -> None:
        self.store = store
        self.digests = frozenset(digests)
        self.read: dict[str, str] = {}  # those fetched
        self.gone: set[str] = set()  # and those found gone or altered (not asked of the store again)

    def fetch(self, names: Collection[str]) -> None:
        """Read those of `names` not read yet, at once (one found gone or altered is not kept: a
        KeyError when it is asked for)."""
        wanted = sorted(k for k in names if k not in self.read and k not in self.gone and k in self.digests)
        if wanted:
            found = self.store.get(_FRAGMENT, wanted)
            self.read.update((k, e.data) for k, e in found.items())
            self.gone.update(k for k in wanted if k not in found)

    def text(self, name: str) -> str:
        """A fragment's text: fetched, or read from the store now and not kept here; one that is
        not what this code writes is a KeyError (`_WRITTEN`: the store's entries are the
        checksums' word alone, and the next index splices the text of those it reads as written,
        without reading every posting)."""
        text = self._as_stored(name)
        if _WRITTEN.fullmatch(text) is None:
            self.gone.add(name)
            self.read.pop(name, None)
            raise KeyError(name)
        return text

    def packed(self, name: str) -> bytes:
        """As `serve` keeps a fragment the next index does not read: as stored."""
        return _packed(self._as_stored(name))

    def _as_stored(self, name: str) -> str:
        text = self.read.get(name)
        if text is not None:
            return text
        entry = self.store.get(_FRAGMENT, [name]).get(name) if name in self.digests and name not in self.gone else None
        if entry is None:
            self.gone.add(name)
            raise KeyError(name)
        return entry.data
