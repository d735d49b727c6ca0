"""An index's records in runs (`_Blocks`): how the store keeps each record's postings, so that the
next index reads the few runs an edit touched."""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Mapping
from itertools import accumulate

from servicebook.cache.codec import read_json
from servicebook.cache.digest import digest
from servicebook.cache.store import Entry, Store
from servicebook.site.search.carried import _BLOCK_KEYS, _BUNDLE, _POSTINGS, _State

_RUNS_KEPT = 16  # runs of the last index read for one call of `_Blocks.old_postings` kept for the next, at most


# a run ends at a record whose key ends so: one in 16. A one-page edit stores the run its record is
# in again, whole (with the store's commit and checkpoint), and a run is as long as its keys fall:
# runs four times as long made some edits store a megabyte (bench/README.md, serve20k19)
_BLOCK_ENDS = frozenset(f"{n:02x}" for n in range(0, 256, 16))


class _Blocks:
    """An index's records in runs, each ending at a record whose key ends in one of `_BLOCK_ENDS`
    (one in 16, at random): where a run ends depends on its own records alone, so a record
    changed, put in or taken out changes the run it is in (or the two it joins), and the others
    are the last index's, whatever ids moved. A run's keys and its records' postings are stored
    under a digest of its keys (_BLOCK_KEYS, _BUNDLE), and the next index reads the postings of
    a record that left from there: so the store keeps the postings of an index's records by
    marking a thousand or so runs used, not every record. Each run that is not the last index's is
    stored as its records' postings come in (`took`: a whole run at once, in a build from
    nothing), or at the end (`finish`) with those of the records that did not change read from
    the last index's runs."""

    def __init__(
        self,
        store: Store,
        keys: list[str],
        old: _State,
        made: list[str] | None = None,
        changed: list[int] | None = None,
        stored: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.old = old
        self.made = made  # what each record is made of (`_made_of`), stored with the keys when given
        self.blocks: list[tuple[str, int]] = []
        known = {key: n for n, (key, _) in enumerate(old.blocks)}
        old_firsts = list(accumulate((n for _, n in old.blocks), initial=0))
        self.todo: dict[int, tuple[int, str]] = {}  # first id → (end, digest) of each run to store
        start = 0
        for end, key in _runs(keys, old, changed):
            self.blocks.append((key, end - start))
            if key not in known:
                self.todo[start] = (end, key)
            elif made is not None:  # the last index's run: its keys stored again if what they are made of is not
                at = old_firsts[known[key]]
                if old.made[at : at + end - start] != made[start:end]:
                    self._store_keys(start, end, key)
            start = end
        self.firsts = sorted(self.todo)
        self.held: dict[int, str] = {}  # postings of records in runs to store, by id, until stored
        self.failed = False  # a record's postings were nowhere: the state is not stored
        # the last index's runs read (`old_postings`), each its records' postings as stored (None:
        # not as this code stores them): the run a record that changed left is read for it, then
        # for the records around it, which its new run is stored with (`finish`); those of its
        # runs that the last index of the process stored itself are taken as it stored them
        self._read: dict[str, list[str] | None] = dict(stored) if stored else {}
        # the runs this index stores, as stored, while they are a few (`IndexWords.runs`); None past that
        self.stored: dict[str, list[str]] | None = {}

    def took(self, rid: int, data: str) -> None:
        """The postings of record `rid`, as stored (`_Words._keep`)."""
        at = bisect.bisect_right(self.firsts, rid) - 1
        if at < 0:
            return
        first = self.firsts[at]
        end, key = self.todo.get(first, (0, ""))
        if rid >= end:
            return
        self.held[rid] = data
        if rid == end - 1 and all(r in self.held for r in range(first, end)):  # a whole run came in
            self._store(first, end, key)

    def _store(self, first: int, end: int, key: str) -> None:
        lines = [self.held.pop(r) for r in range(first, end)]
        self._store_keys(first, end, key)
        self.store.put(_BUNDLE, key, Entry(json.dumps({"postings": lines}, ensure_ascii=False)))
        del self.todo[first]
        if self.stored is not None:  # (a build from nothing stores every run: none of them kept)
            self.stored[key] = lines
            if len(self.stored) > _RUNS_KEPT:
                self.stored = None

    def _store_keys(self, first: int, end: int, key: str) -> None:
        run: dict[str, list[str]] = {"keys": self.keys[first:end]}
        if self.made is not None:
            run["made"] = self.made[first:end]
        self.store.put(_BLOCK_KEYS, key, Entry(json.dumps(run)))

    def finish(self) -> None:
        """Store the runs left, each record's postings that did not come in read from the last
        index's runs that are not this one's (by the record's key)."""
        if not self.todo:
            return
        wanted = {self.keys[r] for first, (end, _) in self.todo.items() for r in range(first, end)}
        wanted.difference_update(self.keys[r] for r in self.held)
        now = {key for key, _ in self.blocks}
        found = self.old_postings(wanted, [key for key, _ in self.old.blocks if key not in now])
        if len(found) < len(wanted):  # (a record in two runs, one of them kept whole) stored on its own
            missing = sorted(wanted - found.keys())
            found.update((k, e.data) for k, e in self.store.get(_POSTINGS, missing).items())
        for first, (end, key) in sorted(self.todo.items()):
            for r in range(first, end):
                if r not in self.held:
                    data = found.get(self.keys[r])
                    if data is None:
                        self.failed = True
                        return
                    self.held[r] = data
            self._store(first, end, key)

    def old_postings(self, wanted: set[str], runs: list[str]) -> dict[str, str]:
        """The stored postings (`_Words._keep`'s text) of the records with keys in `wanted`, from
        the last index's `runs` (their digests)."""
        if not wanted:
            return {}
        where: dict[str, tuple[int, int]] = {}
        start = 0
        for key, n in self.old.blocks:
            where[key] = (start, start + n)
            start += n
        unread = sorted(set(runs) - self._read.keys())
        # kept for the next call when they are a few (an edit's): all of them are a whole store's worth
        read = self._read if len(unread) <= _RUNS_KEPT else dict(self._read)
        for key, entry in self.store.get(_BUNDLE, unread).items():
            first, end = where[key]
            try:
                lines = read_json(entry.data)["postings"]
            except (ValueError, TypeError, KeyError):
                lines = None
            ok = isinstance(lines, list) and len(lines) == end - first and all(isinstance(x, str) for x in lines)
            read[key] = lines if ok else None
        found: dict[str, str] = {}
        for key in dict.fromkeys(runs):
            lines = read.get(key)
            if lines is None:
                continue
            first, end = where[key]
            for k, line in zip(self.old.records[first:end], lines, strict=True):
                if k in wanted:
                    found[k] = line
        return found


def _runs(keys: list[str], old: _State, changed: list[int] | None) -> Iterator[tuple[int, str]]:
    """Where each run of `_Blocks` ends (`_block_ends`), and a digest of its keys. With `changed`,
    the ids of the records whose key is not the last index's (`old`'s), every other key being the
    same at the same id: the last index's runs, their ends moved only where a changed key ends a
    run or no longer does, and a run that holds no changed record taken with its digest (a pass
    over 20,000 keys and ~1,250 digests of 16 keys each a rebuild, for one page's run)."""
    old_ends = list(accumulate(n for _, n in old.blocks))
    last: dict[tuple[int, int], str] = {}
    if changed is None or not keys or len(keys) != len(old.records) or old_ends[-1:] != [len(keys)]:
        ends = _block_ends(keys)
    else:
        at = set(old_ends)
        for rid in changed:
            if keys[rid][-2:] in _BLOCK_ENDS:
                at.add(rid + 1)
            else:
                at.discard(rid + 1)
        at.add(len(keys))
        ends = sorted(at)
        last = {(s, e): key for s, e, (key, _) in zip([0, *old_ends[:-1]], old_ends, old.blocks, strict=True)}
    dirty = sorted(changed or ())
    start = 0
    for end in ends:
        key = last.get((start, end))
        if key is None or bisect.bisect_left(dirty, start) != bisect.bisect_left(dirty, end):  # (holds a changed one)
            key = digest("\n".join(keys[start:end]))  # hex digests: one part, not one a key
        yield end, key
        start = end


def _block_ends(keys: list[str]) -> list[int]:
    """Where each run of `_Blocks` ends (the id after its last record)."""
    ends = [i + 1 for i, key in enumerate(keys) if key[-2:] in _BLOCK_ENDS]
    if keys and (not ends or ends[-1] != len(keys)):
        ends.append(len(keys))
    return ends
