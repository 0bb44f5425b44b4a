"""The mock SMS gateway's own state in a SQLite file (stdlib sqlite3), apart from the portal's database.

A file rather than memory because the demo runs the gateway under gunicorn with several workers and the
delivery-report threads write to it too: every operation opens its own connection, and accepting a message
(read the client's id, then insert) holds the write lock from the start (BEGIN IMMEDIATE), so two workers
given the same client message id at once still send it once.
"""

from pathlib import Path
from typing import Any

from onestop.mockstore import SqliteFileStore, now_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,      -- the provider's id, given in the answer and the delivery report
    account TEXT NOT NULL,
    client_message_id TEXT NOT NULL,
    brandname TEXT NOT NULL,
    phone TEXT NOT NULL,                  -- 84xxxxxxxxx
    text TEXT NOT NULL,
    encoding TEXT NOT NULL,               -- GSM-7 or UCS-2
    segments INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'ACCEPTED',   -- then DELIVERED or FAILED, as the report says
    report_state TEXT NOT NULL DEFAULT 'pending',  -- pending, acknowledged (2xx), gave_up
    created_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (account, client_message_id)
);
CREATE TABLE IF NOT EXISTS report_attempts (
    id INTEGER PRIMARY KEY,
    message_row INTEGER NOT NULL REFERENCES messages (id),
    attempt INTEGER NOT NULL,
    url TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    http_status INTEGER,
    answer TEXT,
    error TEXT
);
"""


class ClientIdReused(Exception):
    """The client message id was already used for another phone, brand name or text."""


class SmsStore(SqliteFileStore):
    """Accepted messages and delivery-report attempts of the mock SMS gateway."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA)

    def accept(self, message: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Record a message to send; for a client message id seen before, the first row and True (a repeat).

        `message` holds every column but the status ones. A repeat that differs in phone, brand name or text
        raises ClientIdReused: the client mixed up its ids, and sending either text could be wrong."""
        with self._write() as connection:
            earlier = connection.execute(
                "SELECT * FROM messages WHERE account = ? AND client_message_id = ?",
                (message["account"], message["client_message_id"]),
            ).fetchone()
            if earlier is not None:
                if (earlier["phone"], earlier["brandname"], earlier["text"]) != (
                    message["phone"],
                    message["brandname"],
                    message["text"],
                ):
                    raise ClientIdReused(message["client_message_id"])
                return dict(earlier), True
            connection.execute(
                "INSERT INTO messages (message_id, account, client_message_id, brandname, phone, text, encoding,"
                " segments, created_at) VALUES (:message_id, :account, :client_message_id, :brandname, :phone,"
                " :text, :encoding, :segments, :created_at)",
                {**message, "created_at": now_text()},
            )
            row = connection.execute("SELECT * FROM messages WHERE message_id = ?", (message["message_id"],)).fetchone()
            return dict(row), False

    def finish(self, row_id: int, status: str) -> str:
        """The handset's outcome is known: DELIVERED or FAILED. Returns the time it was known."""
        done_at = now_text()
        with self._read() as connection:
            connection.execute("UPDATE messages SET status = ?, done_at = ? WHERE id = ?", (status, done_at, row_id))
        return done_at

    def record_report_attempt(self, row_id: int, attempt: int, url: str, **outcome: Any) -> None:
        """Keep what one delivery-report POST got back: `http_status`, `answer` and/or `error`."""
        with self._read() as connection:
            connection.execute(
                "INSERT INTO report_attempts (message_row, attempt, url, sent_at, http_status, answer, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row_id, attempt, url, now_text(), *(outcome.get(name) for name in ("http_status", "answer", "error"))),
            )

    def set_report_state(self, row_id: int, state: str) -> None:
        with self._read() as connection:
            connection.execute("UPDATE messages SET report_state = ? WHERE id = ?", (state, row_id))

    def message(self, message_id: str) -> dict[str, Any] | None:
        with self._read() as connection:
            row = connection.execute("SELECT * FROM messages WHERE message_id = ?", (message_id,)).fetchone()
        return dict(row) if row else None

    def listing(self, limit: int = 500) -> dict[str, list[dict[str, Any]]]:
        """Messages and report attempts, newest first, for the tester page."""
        with self._read() as connection:
            return {
                "messages": [
                    dict(row) for row in connection.execute("SELECT * FROM messages ORDER BY id DESC LIMIT ?", (limit,))
                ],
                "report_attempts": [
                    dict(row)
                    for row in connection.execute(
                        "SELECT a.*, m.message_id FROM report_attempts a JOIN messages m ON m.id = a.message_row"
                        " ORDER BY a.id DESC LIMIT ?",
                        (limit,),
                    )
                ],
            }
