"""The state of a mock outside system (the VNPay and SMS gateways) in a SQLite file of its own.

A file rather than memory because the demo runs each mock under gunicorn with several workers, and
their background threads write too: every operation opens its own connection, and the few that read
then write hold the write lock from the start (BEGIN IMMEDIATE).
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteFileStore:
    def __init__(self, path: str | Path, schema: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(schema)

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: each statement commits alone unless a `_write` block opened a transaction.
        connection = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        connection.row_factory = sqlite3.Row
        return connection

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        connection = self._connect()
        try:
            yield connection
        finally:
            connection.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def ping(self) -> None:
        with self._read() as connection:
            connection.execute("SELECT 1")
