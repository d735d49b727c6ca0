"""An SQLite file that a build reads and writes (the build cache and the store shared by releases
are each one): opened in WAL mode with a `state` table; failing to use it is never an error."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Self

from servicebook.cache.folder import prepare


class Database:
    """An SQLite file a build reads and writes; failing to is never an error, only 'not cached'.
    Closing commits what was written: entries stored by a build that then failed are kept, as
    they are right for their inputs."""

    _db: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("COMMIT")
                self._db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self

    @staticmethod
    def _connect(path: Path, table: str) -> sqlite3.Connection:
        """Open (or create) the file in WAL mode with its `state` table and `table` (SQL); the
        cache folder it is in gets a .gitignore."""
        prepare(path.parent)
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(table)
        except BaseException:
            db.close()
            raise
        return db

    def __exit__(self, *_: object) -> None:
        self.close()
