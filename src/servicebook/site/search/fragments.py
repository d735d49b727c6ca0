"""The words fragments of an index (the inverted index cut into ranges of words), made from the
last index's state where there is one: only the words an edit touched are made again."""

from __future__ import annotations

import bisect
import json
import operator
import sys
import zlib
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, chain
from typing import Any

from servicebook.cache.codec import read_json
from servicebook.cache.digest import digest
from servicebook.cache.store import Entry, Store
from servicebook.catalog import model
from servicebook.site.parallel import map_shared
from servicebook.site.search.carried import (
    _BLOCK_KEYS,
    _BUNDLE,
    _FRAGMENT,
    _LATEST,
    _POSTINGS,
    _STATE,
    LATEST_KEY,
    FragmentSource,
    IndexWords,
    PackedFragments,
    StoredFragments,
    _packed,
    _State,
)
from servicebook.site.search.postings import (
    _flat,
    _merged,
    _places,
    _postings_of,
    _record_words,
    _tokenise,
    section_postings,
    spooled_parts,
)
from servicebook.site.search.records import _record_of
from servicebook.site.search.runs import _Blocks
from servicebook.site.search.spill import _Spill, _utf8
from servicebook.site.search.text import _compact, _order, page_sections


def word_fragments(records: int) -> int:
    """How many words fragments an index of `records` records has: one per 16 records or so."""
    n = 4
    while n < 1024 and n * 16 < records:
        n *= 2
    return n


POSTINGS_BATCH = 256  # records whose postings are made (or read from the store) at a time


_EMPTY = "{}\n"


# what reading a words fragment or a run of the last index raises when it is not what this code
# wrote (`_Words.make`)
_UNLIKE_WRITTEN = (ValueError, TypeError, KeyError, IndexError, AttributeError)


FRESH_BATCH = 1 << 16  # postings held as lists before they are encoded (about 360 pages' worth)


class _Fresh:
    """The postings of words that are new to the index (every word, in an index made from
    nothing), encoded as they will be written (`_compact` of [id minus the one before, where,
    section, …] without its line end) a batch at a time as they come, in the order of their ids:
    as Python lists, all of them for every word at once were most of a cold build's peak memory
    (24 bytes a posting and the lists' spare room; about 180 postings a page), as text they are
    about 6 bytes a posting."""

    def __init__(self) -> None:
        self.batch: dict[str, list[int]] = {}  # word → [id, where, section, …] not encoded yet
        self._held = 0
        self._text: dict[str, bytearray] = {}  # each word's postings so far, without the brackets
        self._last: dict[str, int] = {}  # the id of each word's last posting encoded

    def took(self, postings: int) -> None:
        """`postings` more were put in `batch` (in the order of their ids, after those before)."""
        self._held += postings
        if self._held >= FRESH_BATCH:
            self._encode()

    def _encode(self) -> None:
        text, last = self._text, self._last
        for w, flat in self.batch.items():
            rids = flat[0::3]
            before = last.get(w)
            flat[0::3] = [rids[0] - (before or 0), *map(operator.sub, rids[1:], rids[:-1])]
            last[w] = rids[-1]
            part = _compact(flat)[1:-2]  # without its brackets and line end
            if before is None:
                text[w] = bytearray(part)
            else:
                text[w] += b"," + part
        self.batch.clear()
        self._held = 0

    def done(self) -> dict[str, bytes]:
        """Each word's encoded postings (`_compact(postings)[:-1]`); this holds none after."""
        self._encode()
        text, self._text = self._text, {}
        self._last.clear()
        return {w: b"[" + text.pop(w) + b"]" for w in list(text)}


@dataclass(frozen=True, slots=True)
class _Made:
    firsts: list[str]  # the first word of each range, for the manifest
    fragments: list[tuple[str, Callable[[], bytes]]]  # (digest, what makes its bytes) of each words fragment
    words: IndexWords  # what the next index starts from


class _Words:
    """The words fragments of one index, from the last index's state where there is one."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        pages: dict[int, model.Page],
        keys: list[str],
        store: Store | None,
        workers: int,
        last: IndexWords | None = None,
        spill: _Spill | None = None,
        made: list[str] | None = None,
        *,
        read: bool = False,
    ) -> None:
        self.records = records
        self.pages = pages
        self.keys = keys
        self.store = store if store is not None and store.usable else None
        self.workers = workers
        # what the last index of the process left (`serve`), or (`read`) what the store held of
        # the last index (`stored`), if any
        self.last = last
        self.read = read
        self.spill = spill  # where the fragments' texts go as each is made (a cold build), not kept
        self.made = made  # what each record is made of (`_made_of`), kept in the state when given
        self.touched: int | None = None  # when the entries of the index made from were last all marked used
        self.blocks: _Blocks | None = None  # its records in runs (None without a store)
        # each record's postings stored under its own key too (`_keep`), not only in its run: not
        # in an index made from nothing, whose runs hold every record's (see `_from`)
        self.each = True
        # the last index's fragments this index read, by digest: each text, and each split into
        # its words (`_written`), read or unpacked once whichever step asks for it
        self.texts_read: dict[str, str] = {}
        self.splits: dict[str, dict[str, str]] = {}

    def make(self) -> _Made:
        base = self.last if self.last is not None or self.read else self.stored(self.store)
        self.touched = base.touched if base is not None else None
        try:
            made = self._from(base) if base is not None else None
        except _UNLIKE_WRITTEN:
            # a words fragment or a run that is not what this code writes: the store's entries
            # are the checksums' word alone, and anyone who can write the cache folder can forge
            # both (a fragment's text is spliced as written, not parsed: `_moved`); the index is
            # made from nothing, as when an entry it needs is no longer stored
            made = None
        if made is None:
            self.touched = None
            made = self._from(None)
        assert made is not None
        return made

    # -- the store ----------------------------------------------------------------------------

    @staticmethod
    def stored(store: Store | None) -> IndexWords | None:
        """The last index's state and its fragments' texts (by digest), when all are stored."""
        if store is None or not store.usable:
            return None
        pointer = store.get(_LATEST, [LATEST_KEY]).get(LATEST_KEY)
        try:
            latest = read_json(pointer.data) if pointer is not None else None
        except ValueError:
            return None
        # the state's digest, and when every entry it needs was last marked used (`_remember`)
        latest, touched = (latest.get("state"), latest.get("touched")) if isinstance(latest, dict) else (latest, None)
        if not isinstance(latest, str):
            return None
        entry = store.get(_STATE, [latest]).get(latest)
        if entry is None or digest(entry.data) != latest:
            return None
        try:
            state = _State.from_json(entry.data)
        except (ValueError, TypeError, KeyError):
            return None
        runs = store.get(_BLOCK_KEYS, sorted({key for key, _ in state.blocks}))
        for key, n in state.blocks:  # the records' keys, a run at a time
            run = runs.get(key)
            try:
                found = read_json(run.data) if run is not None else None
                keys = found["keys"] if found is not None else None
            except (ValueError, TypeError, KeyError):
                return None
            if not isinstance(keys, list) or len(keys) != n or not all(isinstance(k, str) for k in keys):
                return None
            state.records += keys
            made = found.get("made") if isinstance(found, dict) else None  # where the build that stored it said
            ok = isinstance(made, list) and len(made) == n and all(isinstance(m, str) for m in made)
            state.made += made if ok and made is not None else [""] * n
        wanted = sorted(set(state.digests))
        # each read where a word in it changed (`StoredFragments`): here only found stored
        if len(store.present(_FRAGMENT, wanted)) != len(wanted):
            return None
        return IndexWords(state, StoredFragments(store, wanted), touched=touched if isinstance(touched, int) else None)

    def _postings(
        self, rids: list[int], known: Mapping[str, tuple[list[Any], str]] | None = None
    ) -> Iterator[tuple[int, dict[str, list[int]], list[Any], str]]:
        """The postings of these records, in their order, a batch at a time (so that they are not
        all held at once), each as its own fields' words (word → [where, section], all in
        section 0) and the rest of its postings ([word, where, section, …]; `merged_postings`
        makes the record's postings of the two), and their text as stored (`_keep`; "" without a
        store). Those of a record whose key is in `known` (postings and text, by key: those the
        last index's runs held for the records taken out, `_old_postings`), as they are there;
        stored; or made here from the record and what its page's render found (`page_parts`);
        or, for a page whose render this build did not see (read back from the store, a
        release's, a member's), read from its HTML over the workers. Each one made is stored."""
        pages = self.pages
        # a record put back where ids moved (its key the same): what its run held
        keys = self.keys
        rids_known = {rid: known[keys[rid]] for rid in rids if keys[rid] in known} if known else {}
        # pages without parts: their HTML is read, over the workers, all at once (as few as the
        # pages that changed, on a rebuild)
        unread = [rid for rid in rids if rid in pages and not pages[rid].search_spooled and rid not in rids_known]
        read = self._stored(unread)
        read.update(rids_known)
        missing = [rid for rid in unread if rid not in read]
        made = map_shared(_tokenise, (self.records, pages), missing, self.workers)
        for rid, postings in zip(missing, made, strict=True):
            postings[0::3] = map(sys.intern, postings[0::3])  # one string per word, not per posting
            read[rid] = (postings, self._keep(rid, {}, json.dumps(postings, ensure_ascii=False)))
        for n in range(0, len(rids), POSTINGS_BATCH):
            batch = rids[n : n + POSTINGS_BATCH]
            stored = self._stored([rid for rid in batch if rid not in read])
            for rid in batch:
                found = read.pop(rid) if rid in read else stored.get(rid)
                if found is not None:
                    yield rid, {}, found[0], found[1]
                    continue
                own, text = self._made(rid)
                yield rid, own, json.loads(text), self._keep(rid, own, text)

    def _made(self, rid: int) -> tuple[dict[str, list[int]], str]:
        """A record's postings, made in this process: its own fields' words, and the JSON of its
        page's sections' postings as the page's render found them (or, where they are not, its
        HTML read now)."""
        record = _record_of(self.records, self.pages, rid)
        page = self.pages.get(rid)
        if page is None:
            return _record_words(record), "[]"
        parts = spooled_parts(page)
        if parts is None:
            return _record_words(record), json.dumps(section_postings(page_sections(page.html)), ensure_ascii=False)
        return _record_words(record), parts[0].decode()

    def _stored(self, rids: list[int]) -> dict[int, tuple[list[Any], str]]:
        """The postings of these records that the store holds, and their text as stored."""
        if self.store is None or not rids:
            return {}
        stored = self.store.get(_POSTINGS, sorted({self.keys[r] for r in rids}))
        found: dict[int, tuple[list[Any], str]] = {}
        for rid in rids:
            entry = stored.get(self.keys[rid])
            postings = _postings_of(entry.data) if entry is not None else None
            if postings is not None and entry is not None:
                found[rid] = (postings, entry.data)
        return found

    def _keep(self, rid: int, own: dict[str, list[int]], rest: str) -> str:
        """A record's postings as stored: its own fields' words and the JSON of the rest, as they
        are (`_postings_of` reads them), stored under the record's key unless the index is made
        from nothing (`each`: its runs hold them); "" without a store."""
        if self.store is None:
            return ""
        data = f'{{"r":{json.dumps(_flat(own), ensure_ascii=False)},"b":{rest}}}'
        if self.each:
            self.store.put(_POSTINGS, self.keys[rid], Entry(data))
        return data

    def _old_postings(self, state: _State, removed: list[int]) -> dict[str, tuple[list[Any], str]] | None:
        """The postings of the last index's records `removed` (their ids), read from the runs
        that hold them, each with its text as stored, by key; None when one is not stored."""
        if self.blocks is None or not state.blocks:
            return None
        ends = list(accumulate(n for _, n in state.blocks))
        runs = [state.blocks[bisect.bisect_right(ends, rid)][0] for rid in removed]
        keys = {state.records[rid] for rid in removed}
        found: dict[str, tuple[list[Any], str]] = {}
        for k, data in self.blocks.old_postings(keys, runs).items():
            postings = _postings_of(data)
            if postings is None:
                return None
            found[k] = (postings, data)
        return found if len(found) == len(keys) else None

    def _came(
        self, added: list[int], state: _State, out: dict[str, tuple[list[Any], str]], index: Container[str]
    ) -> tuple[dict[str, list[int]], dict[str, bytes], set[str]]:
        """The postings of the records that came in, folded in as each record's are made: of the
        words the last index has (`index`), as lists (word → [id, where, section, …], in the
        order of their ids: `_from` splices them into that index's); of the others, as they
        will be written (`_Fresh`); and the words whose postings change: every word of a record
        that came in or left, except, when ids did not move, those whose place in a record that
        changed stayed the same."""
        same = len(state.records) == len(self.keys)  # then `added` is `removed`: each record that changed
        work: set[str] = set()
        entries: dict[str, list[int]] = {}
        fresh = _Fresh()
        blocks = self.blocks
        for rid, own, rest, data in self._postings(added, out):
            if blocks is not None:
                blocks.took(rid, data)
            if same:
                was = _places(out[state.records[rid]][0])
                now = _places(_merged({w: list(at) for w, at in own.items()}, rest))
                work.update(w for w in was.keys() | now.keys() if was.get(w) != now.get(w))
            fresh_words = fresh.batch  # words new to the index go there, the others to `entries`
            for w, where, section in zip(rest[0::3], rest[1::3], rest[2::3], strict=True):
                into = entries if w in index else fresh_words
                found = into.get(w)
                if found is None:
                    into[w] = [rid, where, section]
                else:
                    found += (rid, where, section)
            for w, (where, section) in own.items():  # all in section 0 (`_merged`)
                into = entries if w in index else fresh_words
                found = into.get(w)
                if found is None:
                    into[w] = [rid, where, section]
                elif found[-3] == rid:  # a word of the rest too: the bits of both, the rest's section
                    found[-2] |= where
                else:
                    found += (rid, where, section)
            fresh.took(len(rest) // 3 + len(own))
        encoded = fresh.done()
        return entries, encoded, work if same else {*state.words, *entries, *encoded}

    # -- the index ----------------------------------------------------------------------------

    def _from(self, base: IndexWords | None) -> _Made | None:
        """The words fragments, made from `base` (None: from nothing); None when `base` cannot be
        used (an entry it needs is no longer stored)."""
        keys = self.keys
        state = base.state if base is not None else _State([], [], [], [], [])
        texts = base.texts if base is not None else PackedFragments({})
        spans = _spans(state.records, keys)
        added = [rid for _, _, lo, hi in spans for rid in range(lo, hi)]
        removed = [rid for lo, hi, _, _ in spans for rid in range(lo, hi)]
        # (as many records: `added` is each record whose key changed, the others' the same)
        changed = added if len(state.records) == len(keys) else None
        # the runs the last index of the process stored, as it stored them (`serve`: not read again)
        stored = base.runs if base is not None and self.spill is None else None
        self.blocks = _Blocks(self.store, keys, state, self.made, changed, stored) if self.store is not None else None
        # An index made from nothing stores every record's postings in its runs, which the next
        # index reads the records that change from: stored each under its own key as well, they
        # were read by no later build but one that put back an edit, and dropped by the second
        # build after (20,000 entries, 0.55 CPU s of a one-page rebuild at 20,000 pages). An
        # index made from the last one stores those of the records that came in (a few).
        self.each = base is not None
        out = self._old_postings(state, removed) if removed else {}
        if out is None:
            return None
        index = base.index if base is not None and base.index is not None else {w: i for i, w in enumerate(state.words)}
        entries, encoded, work = self._came(added, state, out, index)
        texts.fetch(self._fragments_read(state, work, index))  # what is read of them, at once
        parsed: dict[int, dict[str, list[int]]] = {}

        def postings(w: str) -> list[int]:
            """The last index's postings of `w`, from the fragment that holds it."""
            j = bisect.bisect_right(state.starts, index[w]) - 1
            if j not in parsed:
                parsed[j] = read_json(self._fragment(texts, state.digests[j]))
            return parsed[j][w]

        if len(spans) == 1:  # one run of records (one edited, or ids moved after it): postings spliced as written
            work = work - self._moved(state, texts, work, entries, spans[0], encoded, index)
            return self._cut(state, texts, work, encoded, index)
        for w in work:
            if w not in index:  # a word the last index did not have: its postings are those that came (encoded)
                continue
            came = entries.pop(w, [])  # each word's lists go as it is encoded: they are larger than its text
            flat = postings(w)
            rids, fields, sections = list(accumulate(flat[0::3])), flat[1::3], flat[2::3]
            came_rids, came_fields, came_sections = came[0::3], came[1::3], came[2::3]
            for old_lo, old_hi, new_lo, new_hi in reversed(spans):
                a, b = bisect.bisect_left(rids, old_lo), bisect.bisect_left(rids, old_hi)
                if new_hi != old_hi:
                    rids[b:] = [r + new_hi - old_hi for r in rids[b:]]
                c, d = bisect.bisect_left(came_rids, new_lo), bisect.bisect_left(came_rids, new_hi)
                rids[a:b], fields[a:b], sections[a:b] = came_rids[c:d], came_fields[c:d], came_sections[c:d]
            if rids:
                deltas = [rids[0], *map(operator.sub, rids[1:], rids[:-1])]
                encoded[w] = _compact(list(chain.from_iterable(zip(deltas, fields, sections, strict=True))))[:-1]
        return self._cut(state, texts, work, encoded, index)

    def _moved(
        self,
        state: _State,
        texts: FragmentSource,
        work: set[str],
        entries: dict[str, list[int]],
        span: tuple[int, int, int, int],
        encoded: dict[str, bytes],
        index: dict[str, int],
    ) -> set[str]:
        """Where records came or left (one `span` of ids, `_spans`: every id after it moved), or one
        record changed, each word of the last index spliced as its fragment wrote its postings
        (`_spliced`; a few words found in their fragments' texts, `_word_at`): those of
        the records that came put in, those of the records that left taken out, and the
        difference that says the first id after the span changed; the rest of its postings'
        text as written, neither decoded nor encoded again. Each word whose postings changed goes
        into `encoded` (none when none is left: the word is gone); the words whose postings are
        as written are returned. (Decoded, spliced and encoded again, every word cost a page
        added or removed ~0.6 CPU s at 5,000 pages, ~2.4 at 20,000: bench/README.md.)"""
        kept: set[str] = set()
        few = len(work) * 8 < len(index)  # (a few words: each found in its fragment's text, not every word split out)
        for w in work:
            if w not in index:  # a word the last index did not have: its postings are those that came (encoded)
                continue
            key = state.digests[bisect.bisect_right(state.starts, index[w]) - 1]
            if few:
                text = self._fragment(texts, key)
                start, end = _word_at(text, w)
                written = text[start:end]
            else:
                written = self._split(texts, key)[w]
            spliced = _spliced(written, span, entries.pop(w, []))
            if spliced is None:
                kept.add(w)
            elif spliced:
                encoded[w] = spliced
        return kept

    def _cut(
        self,
        state: _State,
        texts: FragmentSource,
        work: set[str],
        encoded: dict[str, bytes],
        index: dict[str, int],
    ) -> _Made:
        """The words cut into ranges of about the same size; each range's fragment is the last
        index's very text when it holds the same words and none of them changed, and a word that
        did not change is written as the last index's fragment wrote it. What it costs beyond the
        words that changed is C's: a copy of the words and their sizes, their running sum, each
        range's end found in it by bisection, each range's words compared with the last's."""

        def written(w: str) -> str:
            """`w` and its postings as the last index's fragment that holds it wrote them."""
            return self._split(texts, state.digests[bisect.bisect_right(state.starts, index[w]) - 1])[w]

        ordered, sizes, same_words = _reordered(state, work, encoded, index)
        fragments = word_fragments(len(self.keys))
        starts = _starts(sizes, fragments)
        old_ranges = {state.words[a]: j for j, a in enumerate(state.starts)}
        ends = [*starts[1:], len(ordered)]
        old_ends = [*state.starts[1:], len(state.words)]
        # the ranges a word that changed is in, and its words that changed (every range, when most
        # words changed)
        dirty: dict[int, list[str]] | None = None
        if same_words and len(work) * 8 < len(ordered):
            dirty = {}
            for w in work:
                dirty.setdefault(bisect.bisect_right(starts, index[w]) - 1, []).append(w)
        made: list[tuple[str, bytes]] = []  # (digest, text) of each fragment: packed, or b"" once spilled
        makers: list[Callable[[], bytes]] = []
        # each range's sizes as JSON (`_State.sizes_parts`): the last state's part for a range of the
        # same words, none of them changed (so of the same sizes); made here for the others
        old_parts = state.sizes_parts if state.sizes_parts is not None and self.spill is None else None
        size_parts: list[str] | None = [] if old_parts is not None else None
        for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
            o = old_ranges.get(ordered[a])
            if o is not None:
                oa, ob = state.starts[o], old_ends[o]
                if same_words:
                    clean = j not in dirty if dirty is not None else work.isdisjoint(ordered[a:b])
                    same = oa == a and ob == b and clean
                else:
                    same = ob - oa == b - a and state.words[oa:ob] == ordered[a:b] and work.isdisjoint(ordered[a:b])
                if same:
                    made.append(self._made_again(state.digests[o], texts, makers, j))
                    if size_parts is not None and old_parts is not None:
                        size_parts.append(old_parts[o])
                    continue
            if size_parts is not None:
                size_parts.append(json.dumps(sizes[a:b])[1:-1])
            text = self._patched(texts, state, (a, b), dirty.get(j, []), encoded) if dirty is not None else None
            if text is None:
                parts = [
                    json.dumps(w, ensure_ascii=False) + ":" + encoded.pop(w).decode()  # each goes as written
                    if w in encoded
                    else written(w)
                    for w in ordered[a:b]
                ]
                text = "{" + ",".join(parts) + "}\n"
            key = digest(text)
            if self.store is not None:
                self.store.put(_FRAGMENT, key, Entry(text))
            made.append(self._made_text(key, text, makers))
        now = _State(self.keys, ordered, sizes, starts, [key for key, _ in made])
        if ordered is state.words:  # (the very list: `_reordered`)
            now.words_json = state.words_json
        if self.spill is None:  # (`serve`'s next index starts from this state: its parts kept for it)
            now.sizes_parts = size_parts if size_parts is not None else _size_parts(sizes, starts)
        now.made = self.made if self.made is not None else []  # (`serve`'s next index compares its runs' with it)
        if self.blocks is not None:
            self.blocks.finish()
            now.blocks = self.blocks.blocks
        touched = self._remember(now, self.touched)
        empty = digest(_EMPTY)
        fragments_made = list(zip(now.digests, makers, strict=True))
        fragments_made += [(empty, partial(_utf8, _EMPTY))] * (fragments - len(made))
        # a spilled index's texts are not kept: it is a cold build's, which no later index starts from
        kept = self.spill is None and self.blocks is not None and not self.blocks.failed
        runs = self.blocks.stored if kept and self.blocks is not None and self.blocks.stored is not None else {}
        packs = PackedFragments(dict(made) if self.spill is None else {})
        words = IndexWords(now, packs, index if same_words else None, touched, runs)
        return _Made([ordered[a] for a in starts], fragments_made, words)

    def _fragments_read(self, state: _State, work: set[str], index: dict[str, int]) -> set[str]:
        """The last index's fragments this one reads: those of the words that changed (when ids
        moved, every word), or (`serve`'s first index, which keeps their texts) all of them."""
        if self.spill is None:
            return set(state.digests)
        starts, digests = state.starts, state.digests
        return {digests[bisect.bisect_right(starts, index[w]) - 1] for w in work if w in index}

    def _patched(
        self, texts: FragmentSource, state: _State, span: tuple[int, int], changed: list[str], encoded: dict[str, bytes]
    ) -> str | None:
        """The fragment of the words `span` (ids in the last index's words: the same words, in the
        same places), the postings of a few of them changed (`changed`, each in `encoded`): the
        texts of the last index's fragments that hold those words, cut where the range begins
        and ends (`_word_at`), with the changed words' postings put in (`_replaced`); no word
        split out or written again. None when a word that changed has no postings now."""
        if not all(w in encoded for w in changed):
            return None
        a, b = span
        words, starts = state.words, state.starts
        pieces: list[str] = []
        j = bisect.bisect_right(starts, a) - 1
        while a < b:
            end = starts[j + 1] if j + 1 < len(starts) else len(words)
            last = min(b, end)
            text = self._fragment(texts, state.digests[j])
            cut_from = 1 if a == starts[j] else _word_at(text, words[a])[0]  # (after "{")
            cut_to = len(text) - 2 if last == end else _word_at(text, words[last - 1])[1]  # (before "}\n")
            pieces.append(text[cut_from:cut_to])
            a, j = last, j + 1
        text = "{" + ",".join(pieces) + "}\n"
        for w in changed:
            text = _replaced(text, w, encoded.pop(w))
        return text

    def _fragment(self, texts: FragmentSource, key: str) -> str:
        """The text of the last index's fragment `key`, read (or unpacked) once for this index."""
        text = self.texts_read.get(key)
        if text is None:
            text = self.texts_read[key] = texts.text(key)
        return text

    def _split(self, texts: FragmentSource, key: str) -> dict[str, str]:
        """The last index's fragment `key` split into its words as written (`_written`), once for
        this index."""
        split = self.splits.get(key)
        if split is None:
            split = self.splits[key] = _written(self._fragment(texts, key))
        return split

    def _made_again(
        self, key: str, texts: FragmentSource, makers: list[Callable[[], bytes]], n: int
    ) -> tuple[str, bytes]:
        """Fragment `n`, the last index's fragment `key` as it was, and what makes its bytes into
        `makers`: kept as `serve` keeps it (packed, not unpacked here); with a spill (the command
        line), put there if this index read it, else left where it is (the store) and read when
        its file is made (`_Spill.stored`)."""
        if self.spill is None:
            packed = texts.packed(key)
            makers.append(partial(zlib.decompress, packed))
            return key, packed
        text = self.texts_read.get(key)
        if text is not None:
            return self._made_text(key, text, makers)
        again = partial(_fragment_anew, self.records, self.pages, self.keys, n)
        makers.append(self.spill.stored(texts, key, again))
        return key, b""

    def _made_text(self, key: str, text: str, makers: list[Callable[[], bytes]]) -> tuple[str, bytes]:
        """A fragment's (digest, text) made now, and what makes its bytes into `makers`: read from
        the spill, where its text goes at once (then not kept: b""), or (`serve`, which keeps it
        for its next index) unpacked from its text packed, which neither holds as a str."""
        if self.spill is None:
            packed = _packed(text)
            makers.append(partial(zlib.decompress, packed))
            return key, packed
        makers.append(self.spill.keep(text.encode("utf-8")))
        return key, b""

    def _remember(self, state: _State, touched: int | None) -> int | None:
        """Keep `state` as the one the next index starts from, and the entries it needs (each
        run's keys and postings, each fragment's text) marked used, so that the store's pruning
        keeps them, in one build of two: the store drops what neither this build nor the one
        before it used; what was marked in build `touched` is kept through build `touched + 1`,
        and every entry this state names that was not in the last one was made or read by this
        build, so they are all marked again only when `touched` is two or more builds ago. In
        every build where the store carries what the build before it marked (Store `carrying`:
        `serve`'s rebuilds, a command-line build right after another): marking again what that
        build marked writes nothing, and leaving it unmarked wrote each of its rows back to that
        build's generation, and the next build each row again (~2,900 runs and fragments a
        one-page rebuild at 20,000 pages). The generation they were last all marked in (None:
        the state is not kept)."""
        store = self.store
        if store is None or self.blocks is None or self.blocks.failed:
            return None
        text = state.to_json()
        key = digest(text)
        store.put(_STATE, key, Entry(text))
        now = store.generation
        if touched is None or not now - 1 <= touched <= now or store.carrying:
            runs = sorted({run for run, _ in state.blocks})
            store.touch(_BLOCK_KEYS, runs)
            store.touch(_BUNDLE, runs)
            # an index made from what the process kept read no fragment from the store: marked here
            store.touch(_FRAGMENT, sorted(set(state.digests)))
            touched = now
        store.put(_LATEST, LATEST_KEY, Entry(json.dumps({"state": key, "touched": touched})))
        return touched


def _fragment_anew(records: list[dict[str, Any]], pages: dict[int, model.Page], keys: list[str], n: int) -> bytes:
    """Words fragment `n` of these records' index made from nothing, in this process: the bytes
    of the one made from the last index (tests/test_search_incremental.py), for a fragment the
    last index had that the store no longer holds as it was when its file is made."""
    return _Words(records, pages, keys, None, 1).make().fragments[n][1]()


def _reordered(
    state: _State, work: set[str], encoded: dict[str, bytes], index: dict[str, int]
) -> tuple[list[str], list[int], bool]:
    """The words of the next index in order (of `_order`), the size each counts for when they are
    cut into ranges, and whether they are the last index's words in the same places (`index`
    then holds for them too): the last index's words, those that changed sized again, those gone
    taken out and those new put in where they go (bisection); sorted again when most changed."""
    sizes = list(state.sizes)
    gone = [index[w] for w in work if w not in encoded]
    new = [w for w in encoded if w not in index]
    for w in work:
        if w in encoded and w in index:
            sizes[index[w]] = len(w) + len(encoded[w]) + 4
    if not gone and not new:
        return state.words, sizes, True
    if (len(gone) + len(new)) * 8 > len(state.words):
        kept = [w for w in state.words if w not in work]
        ordered = sorted(kept + list(encoded), key=_order)
        return ordered, [len(w) + len(encoded[w]) + 4 if w in encoded else sizes[index[w]] for w in ordered], False
    ordered = list(state.words)
    for i in sorted(gone, reverse=True):
        del ordered[i]
        del sizes[i]
    for w in new:
        i = bisect.bisect_left(ordered, _order(w), key=_order)
        ordered.insert(i, w)
        sizes.insert(i, len(w) + len(encoded[w]) + 4)
    return ordered, sizes, False


def _size_parts(sizes: list[int], starts: list[int]) -> list[str]:
    """`sizes` as JSON without its brackets, a part for each range of words beginning at `starts`."""
    return [json.dumps(sizes[a:b])[1:-1] for a, b in zip(starts, [*starts[1:], len(sizes)], strict=True)]


def _starts(sizes: list[int], fragments: int) -> list[int]:
    """Where each range of words begins: a range takes words until it holds at least its share
    (the sum of `sizes` over `fragments`), and there are `fragments` ranges at most. The running
    sum of the sizes, and each range's end found in it by bisection."""
    if not sizes:
        return []
    running = list(accumulate(sizes, initial=0))  # running[i]: the sizes of the words before i
    target = running[-1] / fragments
    starts = [0]
    while len(starts) < fragments:
        # the first word before which the range holds at least its share
        i = bisect.bisect_left(running, running[starts[-1]] + target, lo=starts[-1] + 1, hi=len(sizes))
        if i >= len(sizes):
            break
        starts.append(i)
    return starts


_RUN = 256  # keys compared a run at a time (`_unequal`)


def _unequal(old: list[str], new: list[str]) -> list[int]:
    """Where two lists of as many keys differ: a run of `_RUN` compared at once (a list
    comparison, in C, takes the very same string as equal at once: most of them), and the keys of
    a run that differs one by one (not 20,000 keys and more compared one by one)."""
    found: list[int] = []
    for a in range(0, len(new), _RUN):
        b = a + _RUN
        if old[a:b] != new[a:b]:
            found += [i for i in range(a, min(b, len(new))) if old[i] != new[i]]
    return found


def _spans(old: list[str], new: list[str]) -> list[tuple[int, int, int, int]]:
    """Where the records of `new` differ from those of `old` (each a list of keys), as runs
    (old ids lo to hi, taken out; new ids lo to hi, put in), in order: with as many records, each
    record whose key changed; else the run between the longest common beginning and end (the
    ids after it moved)."""
    m, n = len(old), len(new)
    if m == n:
        return [(i, i + 1, i, i + 1) for i in _unequal(old, new)]
    before = 0
    while before < min(m, n) and old[before] == new[before]:
        before += 1
    tail = 0
    while tail < min(m, n) - before and old[m - 1 - tail] == new[n - 1 - tail]:
        tail += 1
    return [(before, m - tail, before, n - tail)]


def _word_at(fragment: str, word: str) -> tuple[int, int]:
    """Where `word` and its postings (`"word":[…]`) are in a words fragment's text: as `_written`
    reads it, a word is letters and digits, its postings numbers, so `"word":[` is found at that
    word alone and its postings end at the first `]` after it (a ValueError where it is not)."""
    start = fragment.index(f'"{word}":[')
    return start, fragment.index("]", start + len(word) + 3) + 1


def _replaced(fragment: str, word: str, postings: bytes) -> str:
    """A words fragment's text with `word`'s postings those given (`_compact`'s, without its line
    end)."""
    start, end = _word_at(fragment, word)
    return fragment[: start + len(word) + 3] + postings.decode() + fragment[end:]


def _written(fragment: str) -> dict[str, str]:
    """Each word of a words fragment's text and its postings as written there (`"word":[…]`), by
    word. A word is letters and digits, its postings numbers: `],"` is found between two words
    alone."""
    if fragment == _EMPTY:
        return {}
    first, *rest = fragment[2:-3].split('],"')  # without '{"' and "]}\n": each is 'word":[…'
    return {part[: part.index('"')]: f'"{part}]' for part in (first, *rest)}


def _spliced(written: str, span: tuple[int, int, int, int], came: list[int]) -> bytes | None:
    """A word's postings as a words fragment wrote them (`"word":[id, where, section, …]`, each id
    written as the difference from the one before), as `_compact` writes them once the records
    of the old ids lo to hi are taken out and those of the new ids lo to hi put in (`span`; every
    id after it moved with them): those `came` ([id, where, section, …] by new id, within the
    span) written in their place, the difference of the first id after the span changed, the
    numbers before and after as written. None when the postings are as written; empty when
    none is left."""
    old_lo, old_hi, _, new_hi = span
    numbers = written[written.index(":[") + 2 : -1].split(",")
    ids = list(accumulate(map(int, numbers[0::3])))
    a, b = bisect.bisect_left(ids, old_lo), bisect.bisect_left(ids, old_hi)
    if a == b and not came and (b == len(ids) or new_hi == old_hi):
        return None
    parts = numbers[: 3 * a]
    last = ids[a - 1] if a else 0
    for rid, where, section in zip(came[0::3], came[1::3], came[2::3], strict=True):
        parts += (str(rid - last), str(where), str(section))
        last = rid
    if b < len(ids):
        parts.append(str(ids[b] + new_hi - old_hi - last))
        parts += numbers[3 * b + 1 :]
    return ("[" + ",".join(parts) + "]").encode() if parts else b""
