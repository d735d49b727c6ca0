"""The content-addressed store shared by every build of a site: what loading (and rendering)
computed, keyed by a digest of everything the result depends on, so that releases which share
most of their sources share the work of building them.

One SQLite file, `.servicebook-cache/store.sqlite` in the site's folder, used by the build of the
current catalog and by the build of every past release:

- each **policy page as loaded**, under the key `load.py` computes for its `PageStore` (the page's
  slug, path and bytes, and the ids its links may name): the same bytes in two releases are
  parsed once;
- each **catalog as read and validated**, keyed by its bytes;
- each **rendered page** whose inputs `releases.py` can name exactly (see `render.py`'s
  `Stamp`), with the commit, date and version left as placeholders that are filled in last.

Entries are JSON and text, never pickle, so a store someone else wrote cannot run code. Every
entry carries a checksum of its value; an entry that does not match it, cannot be decoded, or was
written by another servicebook (its code digest is part of every key and of the file's header)
is a miss, never an error. Entries that neither of the last two builds that built a release used are
dropped.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from servicebook.cache.codec import decode, encode
from servicebook.cache.database import Database
from servicebook.cache.digest import digest
from servicebook.cache.folder import CACHE_DIR
from servicebook.catalog import model
from servicebook.catalog.records import RecordCache
from servicebook.errors import Problem
from servicebook.site.buildcache import BuildCache, code_digest, decode_page, encode_page
from servicebook.site.load import PageResult

STORE_FILE = "store.sqlite"


class SharedStore(Database):
    """The store of one site; every failure to read or write it means 'not stored'."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._generation = 0
        self.built = 0  # releases built from their sources (not taken from the release cache)
        # the records of the catalogs read so far, kept in memory only (see releases.py)
        self.records = RecordCache()
        if path is None:
            return
        try:
            self._db = self._open(path)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):  # another build holds it: do without
                return
        except (OSError, sqlite3.Error):
            pass
        if self._db is None:  # corrupt or unreadable: start again from nothing
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            with contextlib.suppress(OSError, sqlite3.Error):
                self._db = self._open(path)

    @classmethod
    def for_site(cls, source: Path, *, enabled: bool = True) -> SharedStore:
        return cls(source / CACHE_DIR / STORE_FILE if enabled else None)

    def _open(self, path: Path) -> sqlite3.Connection:
        db = self._connect(
            path,
            "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, data TEXT NOT NULL, html TEXT NOT NULL, "
            "text TEXT NOT NULL, checksum TEXT NOT NULL, used INTEGER NOT NULL)",
        )
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM state WHERE name = 'format'").fetchone()
            if row is None or row[0] != code_digest():  # another servicebook wrote it: forget all of it
                db.execute("DELETE FROM state")
                db.execute("DELETE FROM entries")
                db.execute("INSERT INTO state VALUES ('format', ?)", (code_digest(),))
            row = db.execute("SELECT value FROM state WHERE name = 'generation'").fetchone()
            self._generation = int(row[0]) + 1 if row is not None and str(row[0]).isdigit() else 1
            db.execute("INSERT OR REPLACE INTO state VALUES ('generation', ?)", (str(self._generation),))
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    # -- raw entries ------------------------------------------------------------------------------

    def _key(self, kind: str, key: str) -> str:
        return digest(code_digest(), kind, key)

    def _get(self, keys: list[str]) -> dict[str, tuple[str, str, str]]:
        """(data, html, text) of each stored key whose checksum matches; marks them used."""
        if self._db is None or not keys:
            return {}
        found: dict[str, tuple[str, str, str]] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, data, html, text, checksum FROM entries WHERE key IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchall()
                for key, data, html, text, checksum in rows:
                    texts = (data, html, text)
                    if all(isinstance(t, str) for t in texts) and checksum == digest(*texts):
                        found[key] = texts
            self._write("UPDATE entries SET used = ? WHERE key = ?", [(self._generation, k) for k in found])
        except sqlite3.Error:
            return {}
        return found

    def _put(self, key: str, data: str, html: str = "", text: str = "") -> None:
        self._write(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            [(key, data, html, text, digest(data, html, text), self._generation)],
        )

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self._db is None or not rows:
            return
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
            self._db.executemany(sql, rows)
        except sqlite3.Error:
            self.close()

    def commit(self) -> None:
        """Make what was stored so far durable (after each release, so a killed build keeps it)."""
        if self._db is not None:
            try:
                if self._db.in_transaction:
                    self._db.execute("COMMIT")
            except sqlite3.Error:
                self.close()

    def prune(self) -> None:
        """After a successful build that built a release: drop what neither it nor the build
        that last built one used. Builds of the current catalog alone (a preview rebuilding on
        every save) drop nothing, so the next release still finds what the last one stored."""
        if self._db is None or not self.built:
            self.commit()
            return
        try:
            row = self._db.execute("SELECT value FROM state WHERE name = 'pruned'").fetchone()
            previous = int(row[0]) if row is not None and str(row[0]).isdigit() else 0
        except sqlite3.Error:
            previous = 0
        self._write("DELETE FROM entries WHERE used < ?", [(previous,)])
        self._write("INSERT OR REPLACE INTO state VALUES ('pruned', ?)", [(str(self._generation),)])
        self.commit()

    def touch(self, kind: str, keys: list[str]) -> None:
        """Mark entries as used by this build without reading them (what the build cache of the
        current catalog already had), so that pruning keeps them for the next release."""
        self._write("UPDATE entries SET used = ? WHERE key = ?", [(self._generation, self._key(kind, k)) for k in keys])

    # -- pages and catalogs (load.PageStore) ------------------------------------------------------

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """The loaded pages stored under `keys` (missing, damaged or unreadable ones are left out)."""
        stored = {self._key("page", k): k for k in keys}
        found: dict[str, Any] = {}
        for key, (data, html, text) in self._get(list(stored)).items():
            with contextlib.suppress(Exception):  # a damaged entry is a miss
                found[stored[key]] = decode_page(data, html, text)
        return found

    def put(self, key: str, value: object) -> None:
        if isinstance(value, PageResult):
            self._put(self._key("page", key), *encode_page(value))

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None:
        for data, _, _ in self._get([self._key("catalog", key)]).values():
            try:
                raw = json.loads(data)
                found = decode(model.Catalog, raw["catalog"]), tuple(decode(Problem, p) for p in raw["problems"])
            except Exception:  # a damaged entry is a miss
                break
            return found
        return None

    def has_catalog(self, key: str) -> bool:
        """Whether a catalog is stored under `key` (without reading it; it may still be damaged)."""
        if self._db is None:
            return False
        try:
            query = "SELECT 1 FROM entries WHERE key = ?"
            return self._db.execute(query, (self._key("catalog", key),)).fetchone() is not None
        except sqlite3.Error:
            return False

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None:
        data = json.dumps({"catalog": encode(catalog), "problems": [encode(p) for p in problems]})
        self._put(self._key("catalog", key), data)

    # -- rendered pages ---------------------------------------------------------------------------

    def get_rendered(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        """Rendered pages (with their stamp placeholders) and what was stored with them (their
        links, see stamps.py), under `keys`."""
        stored = {self._key("rendered", k): k for k in keys}
        found = {stored[key]: (html, data) for key, (data, html, _) in self._get(list(stored)).items()}
        return found

    def put_rendered(self, key: str, html: str, data: str) -> None:
        self._put(self._key("rendered", key), data, html)


class Layered:
    """A `PageStore` that asks `first` (the build cache of one output) and then `then` (the
    store shared with the releases), and keeps what it is given in both."""

    def __init__(self, first: BuildCache, then: SharedStore, hashes: Mapping[str, str] | None) -> None:
        self.first = first
        self.then = then
        self.hashes = hashes  # read by build.check, as on the build cache

    def keep(self, keys: list[str]) -> None:
        """Keep these entries as used by this build, without reading them (see PageMemory)."""
        self.first.keep(keys)
        self.then.touch("page", keys)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        found = self.first.get_many(keys)
        self.then.touch("page", list(found))
        missing = [k for k in keys if k not in found]
        if missing:
            more = self.then.get_many(missing)
            for key, value in more.items():
                self.first.put(key, value)
            found.update(more)
        return found

    def put(self, key: str, value: object) -> None:
        self.first.put(key, value)
        self.then.put(key, value)

    def keep_catalog(self, key: str) -> None:
        """Keep this catalog entry as used by this build, without reading it (see PageMemory)."""
        self.first.keep([key])
        self.then.touch("catalog", [key])

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None:
        found = self.first.get_catalog(key)
        if found is not None:
            self.then.touch("catalog", [key])
        else:
            found = self.then.get_catalog(key)
            if found is not None:
                self.first.put_catalog(key, *found)
        return found

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None:
        self.first.put_catalog(key, catalog, problems)
        self.then.put_catalog(key, catalog, problems)


class PageMemory:
    """Policy pages as loaded by the earlier builds of one long-running process (`serve`), by
    their store key, and the catalog last read: a rebuild after an edit takes what did not change
    from memory instead of decoding it from the build cache again. It holds the pages of the last
    build only; the caches on disk still record each entry as used, so they keep it too."""

    def __init__(self) -> None:
        self.pages: dict[str, PageResult] = {}
        self.catalog: tuple[str, tuple[model.Catalog, tuple[Problem, ...]]] | None = None  # key, as read

    def over(self, then: Layered) -> Remembering:
        return Remembering(self, then)


class Remembering:
    """A `PageStore` that answers from a PageMemory first and then from `then`; what this build
    loads becomes the memory's content when the build has loaded every page (`commit`)."""

    def __init__(self, memory: PageMemory, then: Layered) -> None:
        self.memory = memory
        self.then = then
        self.hashes = then.hashes  # read by build.check, as on the build cache
        self.loaded: dict[str, PageResult] = {}

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        known = self.memory.pages
        found: dict[str, Any] = {key: known[key] for key in keys if key in known}
        self.then.keep(list(found))
        missing = [key for key in keys if key not in found]
        if missing:
            found.update(self.then.get_many(missing))
        self.loaded.update((k, v) for k, v in found.items() if isinstance(v, PageResult))
        return found

    def put(self, key: str, value: object) -> None:
        self.then.put(key, value)
        if isinstance(value, PageResult):
            self.loaded[key] = value

    def get_catalog(self, key: str) -> tuple[model.Catalog, tuple[Problem, ...]] | None:
        known = self.memory.catalog
        if known is not None and known[0] == key:
            self.then.keep_catalog(key)
            return known[1]
        found = self.then.get_catalog(key)
        if found is not None:
            self.memory.catalog = (key, found)
        return found

    def put_catalog(self, key: str, catalog: model.Catalog, problems: tuple[Problem, ...]) -> None:
        self.then.put_catalog(key, catalog, problems)
        self.memory.catalog = (key, (catalog, problems))

    def commit(self) -> None:
        self.memory.pages = self.loaded
