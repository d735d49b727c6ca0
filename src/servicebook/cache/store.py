"""The one cache store: an SQLite file in the site's folder, `.servicebook-cache/store/<code>.sqlite`
(one per servicebook code, cache/sets.py: two servicebooks alternating on one site each keep
theirs, and an upgrade's old one goes as the policy says), shared by every build of the site by
that servicebook (into any output, of the current catalog and of every release, and `serve`'s
previews), with one policy for opening, resetting, locking and failing.

It holds two kinds of rows, both plain text (JSON and HTML, never pickle, so a store someone
else wrote cannot run code):

- **entries**, content-addressed: a kind ("page", "catalog", "rendered", …) and a key that is a
  digest of everything the value depends on. Each carries a checksum of its value; one that does
  not match is reported as damaged and is a miss;
- **manifests**, one per output folder: what the last successful build into it produced (the
  build decides what that is: site/fresh.py), a text stored in parts as the build makes it, so
  that neither the build nor SQLite holds all of it at once (tens of MiB at 20,000 pages).

The policy, in one place:

- *open*: WAL mode; a shared lock on `<code>.lock` beside it while it is open (cache/sets.py
  `hold`: another servicebook's build does not remove a store in use); the file's format is this
  servicebook's code digest, and a file of another format (a servicebook's files copied by hand)
  is emptied; a file that is not a database is deleted and made again;
- *lock*: a build waits a few seconds for another one's write and then goes on without the
  store (entries are only an optimisation; the output is the same without them);
- *fail*: any error reading or writing is 'not cached', never a failed build. After a failure
  the store gives back the disk space it took (`give_back_space`): a write cut short by a full
  disk leaves no write-ahead log holding that space for the next build;
- *prune*: after a successful build, entries that neither this build, the one before it, nor
  the last two builds that built a past release used are dropped (so a release built next
  still finds what the last one stored, and an editing session does not grow it without end).
  A `check` opens the store without counting as a build (`counted=False`): what it stores is
  marked used as by the last build, and what it reads is not marked at all, so that a check
  between two builds never makes the second drop what the first stored (the releases' pages,
  the kept outputs' memo) nor moves the marks `serve`'s builds carry; a check never prunes,
  the next build does. But a store no build has opened (a pre-commit hook that only ever
  checks) has no build to prune it: there a check counts as one, marks what it reads, and
  prunes as a build does (`prune_checked`), or the store would grow with every edit.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from servicebook.cache.digest import code_digest, digest
from servicebook.cache.folder import CACHE_DIR, owned, prepare, site_folder
from servicebook.cache.sets import LOCK, Listing, Sets, code_folder, hold

STORES = "store"  # the folder of the stores in a cache folder, one per servicebook code
LEGACY_FILE = "store.sqlite"  # the one store of a servicebook from before they were kept apart
_SQLITE = ".sqlite"
_SIDECARS = ("-wal", "-shm")
SCHEMA = 6  # bump when the tables change shape, entries are named differently, or what a checksum is of
BUSY_SECONDS = 5  # how long a build waits for another build's write before going on without
WAL_LIMIT = 4 * 1024 * 1024  # bytes of write-ahead log kept on disk after a checkpoint
_CHUNK = 500  # keys per SELECT … IN (…)


def _rows(db: sqlite3.Connection, columns: str, names: Iterable[str]) -> Iterator[tuple[Any, ...]]:
    """`key` and `columns` of the entries stored under `names`, asked _CHUNK keys at a time."""
    names = list(names)
    for start in range(0, len(names), _CHUNK):
        chunk = names[start : start + _CHUNK]
        yield from db.execute(
            f"SELECT key, {columns} FROM entries WHERE key IN ({','.join('?' * len(chunk))})",  # noqa: S608
            chunk,
        ).fetchall()


_NAMED_AS_IS = 64  # a key up to this long names its entry as it is (_key)
_PART = 256 * 1024  # characters of a manifest per row (at least: a part the build made is not cut)


@dataclass(frozen=True, slots=True)
class Entry:
    data: str
    html: str = ""
    text: str = ""


class Store:
    """The store of one site. Every failure to read or write it means 'not stored'; `damaged`
    lists the entries that were found altered (their checksum does not match)."""

    def __init__(self, path: Path | None, *, counted: bool = True) -> None:
        self.path = path
        self.counted = counted  # a build's opening: a generation of its own (see the module's *prune*)
        self.building = counted  # asked to count: a build's opening (a check's counts where no build opened it)
        self.generation = 0
        self.damaged: list[tuple[str, str]] = []  # (kind, key) of entries that did not match their checksum
        self._db: sqlite3.Connection | None = None
        self._off = False  # a read or write failed: the rest of the build does without the store
        self.marked: set[str] | None = None  # the entries this build marked used, when it keeps them (`carry`)
        self._carried: tuple[int, Set[str]] | None = None  # see `carry`
        self._chain: int | None = None  # the generation the last build's rows are under (`carry`)
        self._fresh: list[str] = []  # the rows this build marked under its own generation, when carrying
        self._pid = os.getpid()  # the process whose connection `_db` is (see `html`)
        self._held: int | None = None  # the shared lock on the store's lock file (cache/sets.py `hold`)
        self._file: tuple[int, int] | None = None  # (device, inode) of the file `_db` opened (see `reopened`)
        if path is None:
            return
        self._held = hold(path.with_suffix(LOCK), path.parent)
        if _not_files(path):  # a FIFO there would block the open or the first read for ever
            self._reset(path)
            if self._db is None:
                self.give_back_space()
            return
        try:
            self._db = self._open(path)
        except sqlite3.OperationalError as exc:
            if _busy(exc):  # another build is writing it: do without
                return
            if not _full(exc):
                self._reset(path)
        except (OSError, sqlite3.Error):
            self._reset(path)
        if self._db is None:
            self.give_back_space()

    @classmethod
    def for_site(cls, source: Path, *, enabled: bool = True, counted: bool = True, kept: Store | None = None) -> Store:
        """The store of the site at `source`; `kept`: the one a long-running process kept open after
        its last build (`keep`), opened again for this one when it is this site's (`reopened`)."""
        path = store_file(site_folder(source)) if enabled else None
        if kept is not None:
            if path is not None and kept.path == path and counted:
                return kept.reopened()
            kept.close()
        return cls(path, counted=counted)

    @property
    def usable(self) -> bool:
        return self._live is not None

    @property
    def _live(self) -> sqlite3.Connection | None:
        return None if self._off else self._db

    def _open(self, path: Path) -> sqlite3.Connection:
        prepare(path.parent)
        # (not bound to the thread that opened it: `serve` keeps it for builds its watcher's thread
        # runs, one at a time, `keep`)
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            self._begin(db)
            self._file = _file_identity(path)
        except BaseException:
            db.close()
            raise
        return db

    def _begin(self, db: sqlite3.Connection) -> None:
        """A build's opening of the connection `db`: the tables made where they are not, the file's
        format checked (another's emptied), and, for a build that counts, a generation of its own."""
        db.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT value FROM state WHERE name = 'format'").fetchone()
        if row is None or row[0] != _format():  # another servicebook wrote it: forget all of it
            for table in ("entries", "used", "manifests", "stamps"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute("DELETE FROM state")
            db.execute("INSERT INTO state VALUES ('format', ?)", (_format(),))
        # the HTML last: a row's columns after it are read by walking its overflow pages, and a
        # rebuild reads every page's data, text and checksum but none of their HTML (`get_unchecked`)
        db.execute(
            "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, data TEXT NOT NULL, text TEXT NOT NULL, "
            "checksum TEXT NOT NULL, html TEXT NOT NULL)"
        )
        # when each entry was last used, apart from the entries: marking a large entry used
        # would otherwise write all of it again
        db.execute("CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, generation INTEGER NOT NULL) WITHOUT ROWID")
        db.execute(
            "CREATE TABLE IF NOT EXISTS manifests (output TEXT NOT NULL, part INTEGER NOT NULL, "
            "text TEXT NOT NULL, PRIMARY KEY (output, part))"
        )
        # one per output, beside its manifest: what lets a build tell at a glance that nothing
        # changed since (site/fresh.py); forgotten with the manifest
        db.execute("CREATE TABLE IF NOT EXISTS stamps (output TEXT PRIMARY KEY, text TEXT NOT NULL)")
        built = _number(db, "built") > 0
        self.counted = self.building or not built  # a check counts where no build opened the store
        self.generation = _number(db, "generation") + (1 if self.counted else 0)
        if self.counted:
            db.execute("INSERT OR REPLACE INTO state VALUES ('generation', ?)", (str(self.generation),))
        if self.building and not built:
            db.execute("INSERT OR REPLACE INTO state VALUES ('built', '1')")
        db.execute("COMMIT")

    def _reset(self, path: Path) -> None:
        """A file that cannot be used as it is (not a database, damaged): start again from nothing."""
        _remove(path)
        if _not_files(path):  # still there (a folder, or in a read-only one): do without a store
            return
        with contextlib.suppress(OSError, sqlite3.Error):
            self._db = self._open(path)

    def keep(self) -> bool:
        """For a long-running process (`serve`), in place of `close` after a build: what was
        written committed, and the connection and the lock kept for the process's next build
        (`reopened`), so that no build opens the file again, nor writes the write-ahead log back
        into it and removes the log as the last connection's close does (a checkpoint SQLite
        then makes as the log grows: every few builds). False, and nothing kept, when there is
        no connection to keep, or after a failure (the caller closes it then)."""
        db = self._live
        if db is None or os.getpid() != self._pid:
            return False
        try:
            if db.in_transaction:
                db.execute("COMMIT")
        except sqlite3.Error:
            self._failed()
            return False
        return True

    def reopened(self) -> Store:
        """This store, kept open after a build (`keep`), opened for the next build of the same
        process as `Store(path)` opens it (`_begin`: its format checked, a generation of its own,
        read from the file: another build may have counted one since), on the connection kept,
        while the file at its path is the one that connection has open; else, or when that fails,
        closed and the file opened anew. Between two builds the connection holds no transaction:
        another process's build writes and prunes the store as it does when none is open, and one
        that removed the file (to make it again) leaves this connection on a file that is no
        longer the store's (SQLite neither checkpoints into it nor removes its log by name then),
        which the next build does not use (its identity)."""
        db, path = self._db, self.path
        if (
            db is not None
            and path is not None
            and not self._off
            and os.getpid() == self._pid
            and self._file is not None
            and not _not_files(path)
            and _file_identity(path) == self._file
        ):
            self.damaged = []
            self.marked, self._carried, self._chain, self._fresh = None, None, None, []
            self.counted = self.building = True
            try:
                self._begin(db)
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and _busy(exc):  # another build is writing it:
                    self.close()  # this one does without, as `Store(path)` would after as long a wait
                    return Store(None)
            else:
                if self._held is not None:
                    with contextlib.suppress(OSError):
                        os.utime(self._held)  # used now (cache/sets.py `hold`)
                return self
        self.close()
        return Store(path)

    # -- entries ------------------------------------------------------------------------------

    def get(self, kind: str, keys: list[str]) -> dict[str, Entry]:
        """The entries of `kind` stored under `keys` whose checksum matches; marks them used."""
        found: dict[str, Entry] = {}
        for key, (data, html, text, _) in self.get_bytes(kind, keys).items():
            try:
                found[key] = Entry(data, html.decode("utf-8"), text)
            except UnicodeDecodeError:  # altered on disk, its checksum too
                self.damaged.append((kind, key))
        return found

    def get_bytes(self, kind: str, keys: list[str]) -> dict[str, tuple[str, bytes, str, str]]:
        """`get`, with each entry's `html` as the UTF-8 bytes stored, and their SHA-256 (what the
        checksum was checked with, see `checksum`): a rebuild reads back every page's HTML (39 MB
        at 5k pages) only to check it against the SHA-256 the page keeps of it and to copy it into
        a file (load.BodySpool), which a text would have to be made of and encoded again for, and
        hashed twice. Bytes that are not UTF-8 (altered, their checksum too) are the caller's to
        refuse: a page's are (site/buildcache.py `decode_page`)."""
        db = self._live
        if db is None or not keys:
            return {}
        stored = {_key(kind, k): k for k in keys}
        found: dict[str, tuple[str, bytes, str, str]] = {}
        try:
            for key, data, html, text, stored_checksum in _rows(db, "data, CAST(html AS BLOB), text, checksum", stored):
                if isinstance(data, str) and isinstance(html, bytes) and isinstance(text, str):
                    html_sha256 = hashlib.sha256(html).hexdigest()
                    if stored_checksum == _checksum(data, html_sha256, text):
                        found[stored[key]] = (data, html, text, html_sha256)
                        continue
                self.damaged.append((kind, stored[key]))
            self._mark([name for name, key in stored.items() if key in found])
        except sqlite3.Error:
            self._failed()
            return {}
        return found

    def get_unchecked(self, kind: str, keys: list[str]) -> dict[str, tuple[str, str, str]]:
        """The entries of `kind` stored under `keys` without their HTML: each one's data, text and
        checksum, which the caller checks (`matches`) with the SHA-256 its data says the HTML has
        (a stored page keeps it: model.Page `html_sha256`), then reads the HTML, if ever, by
        `html` and checks it against that SHA-256. A one-page rebuild reads back every page and
        reads none of their HTML (39 MB at 5k pages). Marks them used."""
        db = self._live
        if db is None or not keys:
            return {}
        stored = {_key(kind, k): k for k in keys}
        found: dict[str, tuple[str, str, str]] = {}
        try:
            for key, data, text, stored_checksum in _rows(db, "data, text, checksum", stored):
                if isinstance(data, str) and isinstance(text, str) and isinstance(stored_checksum, str):
                    found[stored[key]] = (data, text, stored_checksum)
                else:
                    self.damaged.append((kind, stored[key]))
            self._mark([name for name, key in stored.items() if key in found])
        except sqlite3.Error:
            self._failed()
            return {}
        return found

    def matches(self, kind: str, key: str, entry: tuple[str, str, str], html_sha256: str) -> bool:
        """Whether an entry `get_unchecked` gave is as stored, its HTML being the one whose SHA-256
        is `html_sha256`; one that is not is listed as damaged."""
        data, text, stored_checksum = entry
        if stored_checksum == _checksum(data, html_sha256, text):
            return True
        self.damaged.append((kind, key))
        return False

    def html(self, kind: str, key: str) -> bytes | None:
        """The HTML of one entry, as the UTF-8 bytes stored, unchecked: the caller holds the
        SHA-256 it must have (`get_unchecked`). Read even after a failure turned the store off
        for the rest of the build (that undid only this build's writes; an entry read back was
        there before it). None when it is not there or cannot be read; in a process forked from
        the one that opened the store (whose connection it must not use), always None."""
        db = self._db
        if db is None or os.getpid() != self._pid:
            return None
        try:
            row = db.execute("SELECT CAST(html AS BLOB) FROM entries WHERE key = ?", (_key(kind, key),)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row is not None and isinstance(row[0], bytes) else None

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is stored under `key` (without reading it; it may still be damaged)."""
        db = self._live
        if db is None:
            return False
        try:
            return db.execute("SELECT 1 FROM entries WHERE key = ?", (_key(kind, key),)).fetchone() is not None
        except sqlite3.Error:
            self._failed()
            return False

    def present(self, kind: str, keys: list[str]) -> set[str]:
        """Which of `keys` an entry of `kind` is stored under, without reading them (each may
        still be damaged: `get` tells, as it reads one) and without marking them used."""
        db = self._live
        if db is None or not keys:
            return set()
        stored = {_key(kind, k): k for k in keys}
        try:
            return {stored[key] for key, _ in _rows(db, "1", stored) if key in stored}
        except sqlite3.Error:
            self._failed()
            return set()

    def put(self, kind: str, key: str, entry: Entry, html_sha256: str | None = None) -> None:
        """Store `entry` (in a transaction committed by `commit`, `record` or `close`);
        `html_sha256`, when the caller has it, is the SHA-256 of its HTML in UTF-8 (not hashed
        again: a cold build stores every page, and its parent does this one page at a time)."""
        name = _key(kind, key)
        sums = (
            checksum(entry.data, entry.html, entry.text)
            if html_sha256 is None
            else _checksum(entry.data, html_sha256, entry.text)
        )
        row = (name, entry.data, entry.html, entry.text, sums)
        self._write("INSERT OR REPLACE INTO entries (key, data, html, text, checksum) VALUES (?, ?, ?, ?, ?)", [row])
        self._mark([name], carried=False)  # (its row may have been forgotten since the last build)

    def touch(self, kind: str, keys: list[str]) -> None:
        """Count entries as used by this build without reading them (pruning keeps them)."""
        self._mark(names(kind, keys))

    def touch_names(self, named: list[str]) -> None:
        """`touch` of the entries whose names (`names`) the caller kept: the very strings, their
        hashes made once (`serve`: the pages it carries, 20,000 names made and hashed again a
        rebuild at 20,000 pages)."""
        self._mark(named)

    def carry(self, last: tuple[int, Set[str]] | None) -> None:
        """For the builds of one long-running process (`serve`): this build keeps the names of the
        entries it marks used (`marked`), and, when `last` is what the process's last build marked
        at the generation just before this one's (no other build opened the store since), does not
        mark those again one by one, nor moves their rows: they stay under the generation of the
        first build of the run of such builds (a chain, `_chains`), which `record` says now runs
        through this build, and the few rows this build marked that the last did not are put
        under it too; those the last build marked and this one did not are put back to the last
        build's. Pruning drops what it would have dropped (a one-page edit of a 20,000-page site
        wrote ~25,000 rows again, to move them from one generation to the next)."""
        self.marked = set()
        self._carried = last if last is not None and last[0] == self.generation - 1 else None
        self._fresh = []
        self._chain = None
        if self._carried is not None:
            # the last build's rows: under its chain's first build's generation, if it continued one
            self._chain = self._last_chain()

    @property
    def carrying(self) -> bool:
        """Whether this build carries what the build just before it marked used (`carry`): marking
        again an entry that build marked writes no row (a lookup in a set), and one it marked that
        this build does not is put back to its generation by a write (`record`)."""
        return self._carried is not None

    def carry_stored(self) -> None:
        """`carry` for a build in a process of its own (the command line), of what the build just
        before it marked, read from the store: the names of the rows that count as that build's
        generation (`_chains`), whatever process built it. Nothing is carried when there are none
        (a first build, or a command that opened the store and marked nothing): this build then
        marks all it uses, as without `carry`. A one-page rebuild of a 5,000-page site wrote again
        the ~5,400 rows of what it kept, to move them to its generation."""
        db = self._live
        if db is None:
            return
        chain = self._last_chain()
        try:
            names = {name for (name,) in db.execute("SELECT key FROM used WHERE generation = ?", (chain,))}
        except sqlite3.Error:
            self._failed()
            return
        if names:
            self.carry((self.generation - 1, names))

    def _last_chain(self) -> int:
        """The generation the rows of the build before this one are under: the first build's of
        the chain that runs through it, if one does, else its own (`_chains`)."""
        base = [first for first, through in self._chains().items() if through == self.generation - 1]
        return base[0] if base else self.generation - 1

    def _mark(self, names: list[str], *, carried: bool = True) -> None:
        if carried and not self.counted:  # what a check reads (see the module's *prune*)
            return
        if self.marked is not None:
            self.marked.update(names)
            if carried and self._carried is not None:  # marked by the last build: its row stands
                # (the few others picked out: a set of all 20,000 pages' names is not made for them)
                names = list(itertools.filterfalse(self._carried[1].__contains__, names))
            if self._chain is not None:
                self._fresh += names  # put under the chain by `record`
        self._write("INSERT OR REPLACE INTO used VALUES (?, ?)", [(name, self.generation) for name in names])

    def _move_carried(self) -> None:
        """What `carry` spared marking: the rows this build marked that the last did not put under
        the chain's first generation, those the last marked and this one did not put back to the
        last build's (as its negative: see `_chains`), and the chain said to run through this build."""
        if self._carried is None or self.marked is None or self._chain is None:
            return
        last, names = self._carried
        first = self._chain
        self._write(
            "UPDATE used SET generation = ? WHERE key = ?", [(first, name) for name in dict.fromkeys(self._fresh)]
        )
        self._write("UPDATE used SET generation = ? WHERE key = ?", [(-last, name) for name in names - self.marked])
        chains = self._chains()
        chains[first] = self.generation
        self._set_chains(chains)

    def _chains(self) -> dict[int, int]:
        """The runs of builds of one process that did not move their rows (`carry`): the generation
        of a run's first build, under which the rows its last build marked are, and the generation
        of its last build, which they count as. Any other row counts as its generation, or, when
        that is negative, as the generation it is the negative of (a row put back to the build
        before: not under a chain's generation, whatever runs on from it)."""
        try:
            text = self._state("chains")
        except sqlite3.Error:
            return {}
        chains: dict[int, int] = {}
        for part in text.split():
            first, _, through = part.partition(":")
            if first.isdigit() and through.isdigit():
                chains[int(first)] = int(through)
        return chains

    def _set_chains(self, chains: dict[int, int]) -> None:
        text = " ".join(f"{first}:{through}" for first, through in sorted(chains.items()))
        self._write("INSERT OR REPLACE INTO state VALUES ('chains', ?)", [(text,)])

    def forget(self, kind: str, key: str) -> None:
        name = _key(kind, key)
        self._write("DELETE FROM entries WHERE key = ?", [(name,)])
        self._write("DELETE FROM used WHERE key = ?", [(name,)])

    # -- manifests ----------------------------------------------------------------------------

    def manifest(self, output: str) -> str | bytes | None:
        """The manifest recorded for `output`, its rows joined (each a text, or each bytes, as
        `record` was given its parts); None when there is none or its rows are of both kinds."""
        db = self._live
        if db is None:
            return None
        try:
            rows = db.execute("SELECT text FROM manifests WHERE output = ? ORDER BY part", (output,)).fetchall()
        except sqlite3.Error:
            self._failed()
            return None
        if rows and all(isinstance(text, str) for (text,) in rows):
            return "".join(text for (text,) in rows)
        if rows and all(isinstance(data, bytes) for (data,) in rows):
            return b"".join(data for (data,) in rows)
        return None

    def forget_manifest(self, output: str) -> None:
        """Before the output is replaced: until the new manifest is recorded, it describes nothing."""
        self._write("DELETE FROM manifests WHERE output = ?", [(output,)])
        self._write("DELETE FROM stamps WHERE output = ?", [(output,)])
        self.commit()

    def stamp(self, output: str) -> str | bytes | None:
        """The stamp recorded for `output` since its manifest (`record_stamp`), if any."""
        db = self._live
        if db is None:
            return None
        try:
            row = db.execute("SELECT text FROM stamps WHERE output = ?", (output,)).fetchone()
        except sqlite3.Error:
            self._failed()
            return None
        return row[0] if row is not None and isinstance(row[0], str | bytes) else None

    def record_stamp(self, output: str, text: str | bytes) -> None:
        """A text or bytes the build decides on (site/fresh.py) kept with the manifest of `output`:
        recording or forgetting the manifest forgets it (`read_stamp` reads it)."""
        self._write(
            "INSERT OR REPLACE INTO stamps SELECT ?, ? WHERE EXISTS (SELECT 1 FROM manifests WHERE output = ?)",
            [(output, text, output)],
        )
        self.commit()

    def record(self, output: str, manifest: Iterable[str] | Iterable[bytes] | None, *, built_release: bool) -> None:
        """After a successful build into `output`: its manifest, the text of the parts `manifest`
        gives one after the other (None: none, the build keeps it: `serve`'s), and the pruning
        (see the module)."""
        if self._live is None:
            return
        self._write("DELETE FROM manifests WHERE output = ?", [(output,)])
        self._write("DELETE FROM stamps WHERE output = ?", [(output,)])
        try:
            if manifest is not None:
                self._write_manifest(output, manifest)
        except BaseException:  # (interrupted while making it) no part of it is left to commit
            self._write("DELETE FROM manifests WHERE output = ?", [(output,)])
            raise
        try:
            releases = [int(g) for g in self._state("releases").split()]
        except (ValueError, sqlite3.Error):
            releases = []
        if built_release:
            releases = [*releases, self.generation][-2:]
        self._move_carried()
        oldest = min([self.generation - 1, *releases[:1]])
        self._prune(oldest)
        self._write("INSERT OR REPLACE INTO state VALUES ('releases', ?)", [(" ".join(map(str, releases)),)])
        stale = [(o,) for o in self._outputs() if o != output and not Path(o).is_dir()]
        self._write("DELETE FROM manifests WHERE output = ?", stale)  # outputs since removed (serve's)
        self._write("DELETE FROM stamps WHERE output = ?", stale)
        self.commit()

    def _write_manifest(self, output: str, parts: Iterable[str] | Iterable[bytes]) -> None:
        """Each row as soon as the parts make `_PART` characters (or bytes): only one row's worth
        is held. Parts of one kind: texts, or bytes (a row of bytes is kept as they are)."""
        held: list[Any] = []
        size = row = 0
        for part in parts:
            held.append(part)
            size += len(part)
            if size >= _PART:
                self._write("INSERT INTO manifests VALUES (?, ?, ?)", [(output, row, _joined(held))])
                held, size, row = [], 0, row + 1
        if held or row == 0:
            self._write("INSERT INTO manifests VALUES (?, ?, ?)", [(output, row, _joined(held))])

    def prune_checked(self) -> None:
        """After a check that counted as a build (no build has opened the store, see the module's
        *prune*): drop what neither it nor the check before it used, as a build's `record` does."""
        if self.building or not self.counted or self._live is None:
            return
        self._prune(self.generation - 1)

    def _prune(self, oldest: int) -> None:
        """Drop what no build since generation `oldest` used: the `used` rows that count as older
        than that (`_chains`), and the entries under their keys. Every entry has a `used` row
        (`put` and `get` write one in the same transaction, `forget` deletes both), so the
        entries are found from the rows deleted, without comparing every entry with every row
        (20 ms a 5k serve rebuild)."""
        db = self._live
        if db is None:
            return
        chains = self._chains()
        live = {first: through for first, through in chains.items() if through >= oldest}
        # older than `oldest`, or put back to a build older than it, but not under a chain that runs on
        where = "generation < ? AND generation > ?" + " AND generation <> ?" * len(live)
        bounds = (oldest, -oldest, *sorted(live))
        try:  # (not DELETE … RETURNING: SQLite 3.35 and later only, and Pythons link older ones)
            if not db.in_transaction:
                db.execute("BEGIN")
            gone = db.execute(f"SELECT key FROM used WHERE {where}", bounds).fetchall()  # noqa: S608
        except sqlite3.Error:
            self._failed()
            return
        # the rows found, by their keys: the table is not scanned again (~1.3 ms at 20,000 pages)
        self._write("DELETE FROM used WHERE key = ?", gone)
        self._write("DELETE FROM entries WHERE key = ?", gone)
        if live != chains:
            self._set_chains(live)

    def outputs(self) -> list[str]:
        """The output folders a manifest is recorded for."""
        return self._outputs()

    def _outputs(self) -> list[str]:
        db = self._live
        if db is None:
            return []
        try:
            return [str(o) for (o,) in db.execute("SELECT DISTINCT output FROM manifests")]
        except sqlite3.Error:
            return []

    def _state(self, name: str) -> str:
        db = self._live
        if db is None:
            return ""
        row = db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
        return "" if row is None else str(row[0])

    # -- transactions and failure -------------------------------------------------------------

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        db = self._live
        if db is None or not rows:
            return
        try:
            if not db.in_transaction:
                db.execute("BEGIN")
            db.executemany(sql, rows)
        except sqlite3.Error:
            self._failed()

    def commit(self) -> None:
        """Make what was stored so far durable (after each release, so a killed build keeps it)."""
        db = self._live
        if db is None:
            return
        try:
            if db.in_transaction:
                db.execute("COMMIT")
        except sqlite3.Error:
            self._failed()

    def _failed(self) -> None:
        """A read or write failed (a full disk, a lock held too long, a damaged file): what is not
        committed is undone and the rest of this build does without the store; the space its
        writes took is given back when it is closed (after the build removed its own files)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
        self._off = True

    def give_back_space(self) -> None:
        """Undo what is not committed and shrink the write-ahead log to nothing, so a build that
        failed (a full disk) leaves no space held for the next one; when the log cannot be
        written into the database (no room for it either), the store is deleted: it is only a
        cache. The store is closed afterwards."""
        db, self._db = self._db, None
        path = self.path
        if path is None:
            return
        try:
            self._give_back(db, path)
        finally:
            self._let_go()

    def _give_back(self, db: sqlite3.Connection | None, path: Path) -> None:
        if db is not None:
            try:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error:
                busy = 1
            with contextlib.suppress(sqlite3.Error):
                db.close()
            if not busy and _size(_wal(path)) == 0:
                return
        elif not _wal(path).exists():
            return
        if not _in_use(path):
            _remove(path)

    def close(self) -> None:
        """Commit what was written (entries stored by a build that then failed are right for their
        keys, so they are kept) and close; after a failure, give the space back."""
        if self._db is None:
            return
        if self._off:
            self.give_back_space()
            return
        try:
            if self._db.in_transaction:
                self._db.execute("COMMIT")
        except sqlite3.Error:
            self._failed()
            self.give_back_space()
            return
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._db = None
        self._let_go()

    def _let_go(self) -> None:
        """Let go of the store's lock (closed: another servicebook's build may remove it now)."""
        if self._held is not None and os.getpid() == self._pid:
            os.close(self._held)
        self._held = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def read_stamp(source: Path, output: str) -> str | bytes | None:
    """What `Store.stamp` gives for `output` in the store of the site at `source`, read without
    opening the store for writing (opening it counts a build, see `Store`): a build that the stamp
    shows has nothing to do writes nothing. None when there is no store, or one another
    servicebook wrote (its format), or no stamp, or reading it fails or would have to wait."""
    path = store_file(source / CACHE_DIR)
    if not owned(path.parent, source / CACHE_DIR) or _not_files(path):  # (no link followed: `_not_files`)
        return None
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=0, isolation_level=None)
    except (sqlite3.Error, ValueError):
        return None
    try:
        row = db.execute("SELECT value FROM state WHERE name = 'format'").fetchone()
        if row is None or row[0] != _format():
            return None
        row = db.execute("SELECT text FROM stamps WHERE output = ?", (output,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return row[0] if row is not None and isinstance(row[0], str | bytes) else None


def store_file(cache_root: Path) -> Path:
    """This servicebook's store in the cache folder `cache_root` (a site's `.servicebook-cache`)."""
    return cache_root / STORES / f"{code_folder()}{_SQLITE}"


def prune_stores(cache_root: Path, now: float) -> list[str]:
    """After a successful build: remove the stores of other servicebooks that the policy no
    longer keeps (cache/sets.py), never one open in a running build, and the one store of a
    servicebook from before they were kept apart (`store.sqlite`, ranked by its last write) on
    the same terms, unless a build is writing it; the codes removed."""
    stores = Sets(cache_root / STORES, _SQLITE, _SIDECARS)
    legacy = cache_root / LEGACY_FILE

    def last_written(_names: tuple[str, ...]) -> float | None:
        times = [t for t in (_mtime(legacy), _mtime(_wal(legacy))) if t is not None]
        return max(times) if times else None

    def remove_legacy(_listing: Listing) -> bool:
        if _not_files(legacy) or _in_use(legacy):
            return False
        _remove(legacy)
        return True

    return stores.prune(stores.look(now, last_written), remove_legacy)


def _file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None when there is none."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _format() -> str:
    return digest(f"store {SCHEMA}", code_digest())


def checksum(data: str, html: str | bytes, text: str) -> str:
    """What an entry's checksum is of: its data and text, and its HTML by the HTML's SHA-256 in
    UTF-8 (or of the bytes stored), which is what a stored page keeps of its HTML (model.Page
    `html_sha256`): a reader checks a page's HTML with one hash, not two (`get_bytes`)."""
    raw = html if isinstance(html, bytes) else html.encode("utf-8", "surrogatepass")
    return _checksum(data, hashlib.sha256(raw).hexdigest(), text)


def _checksum(data: str, html_sha256: str, text: str) -> str:
    """The SHA-256 of the three parts, each after its length (as `digest` takes its parts), not
    `digest`'s BLAKE2b: a rebuild checks the entry of every page it keeps (~12 MB at 5,000 pages),
    and SHA-256 has the processor's own instructions on most machines (x86's SHA extensions,
    ARMv8's): 0.020 → 0.014 CPU s for the 5k site's pages (bench/README.md, cli9)."""
    raw = data.encode("utf-8", "surrogatepass")
    sha = html_sha256.encode("utf-8", "surrogatepass")
    more = text.encode("utf-8", "surrogatepass")
    parts = (len(raw).to_bytes(8, "little"), raw, len(sha).to_bytes(8, "little"), sha, len(more).to_bytes(8, "little"))
    return hashlib.sha256(b"".join((*parts, more))).hexdigest()


def names(kind: str, keys: list[str]) -> list[str]:
    """The names of the entries of `kind` under `keys`, as `_key` names each (at once where every
    key is short enough: 20,000 pages' keys)."""
    prefix = f"{len(kind)}.{kind}:"  # as `_key` names them (most keys are short enough)
    if max(map(len, keys), default=0) <= _NAMED_AS_IS:
        return list(map(prefix.__add__, keys))
    return [prefix + k if len(k) <= _NAMED_AS_IS else _key(kind, k) for k in keys]


def _key(kind: str, key: str) -> str:
    """The name of an entry in the tables: its kind (after its length, so that no kind runs into
    its key) and its key as it is (a key is a digest, 40 characters, and a build names tens of
    thousands of entries: hashing each name again cost a `serve` rebuild of 5,000 pages 40 ms),
    or a digest of a key that is longer. No two (kind, key) pairs have the same name."""
    if len(key) <= _NAMED_AS_IS:
        return f"{len(kind)}.{kind}:{key}"
    return f"{len(kind)}.{kind}#{digest(key)}"


def _joined(parts: list[Any]) -> str | bytes:
    """Parts of a manifest's row as one: bytes when they are bytes, else a text."""
    return b"".join(parts) if parts and isinstance(parts[0], bytes) else "".join(parts)


def _number(db: sqlite3.Connection, name: str) -> int:
    row = db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row is not None and str(row[0]).isdigit() else 0


def _busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _full(exc: sqlite3.Error) -> bool:
    return "full" in str(exc)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _in_use(path: Path) -> bool:
    """Whether another process is writing the store (then its files are not ours to delete)."""
    if _not_files(path):
        return False
    try:
        db = sqlite3.connect(path, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        db.execute("BEGIN EXCLUSIVE")
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return _busy(exc)
    finally:
        db.close()
    return False


def _not_files(path: Path) -> bool:
    """Whether the store, its write-ahead log or its shared memory is there as something other than
    a file (a FIFO, a folder, a device, a symbolic link): SQLite's open or first read of a FIFO
    waits for a writer for ever, and in C, where no SIGTERM or Ctrl-C reaches it; and through a
    link (restored into the cache from a job someone else controlled) a build would empty the
    tables of any SQLite file the link names, or make one wherever it says."""
    for part in (path, _wal(path), path.with_name(path.name + "-shm")):
        try:
            if not stat.S_ISREG(os.lstat(part).st_mode):
                return True
        except FileNotFoundError:
            continue
        except OSError:  # a loop of links, a name too long: no file either
            return True
    return False


def _remove(path: Path) -> None:
    for leftover in (path, _wal(path), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            leftover.unlink()
