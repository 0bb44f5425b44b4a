"""The mock gateway's own state in a SQLite file (stdlib sqlite3), apart from the portal's database.

A file rather than memory because the demo runs the gateway under gunicorn with several workers, and
the IPN threads write to it too: every operation opens its own connection, and the few that read then
write (completing a payment, a refund) hold the write lock from the start (BEGIN IMMEDIATE).
"""

import json
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from onestop.mockstore import SqliteFileStore, now_text
from onestop.payments.vnpay import ApiResponseCode, TransactionType

SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,           -- names the payment page's form; never shown to the merchant
    tmn_code TEXT NOT NULL,
    txn_ref TEXT NOT NULL,
    amount INTEGER NOT NULL,              -- vnp_Amount as sent: VND x 100
    order_info TEXT NOT NULL,
    create_date TEXT NOT NULL,            -- vnp_CreateDate, the key querydr and refund find it by
    return_url TEXT NOT NULL,
    request_json TEXT NOT NULL,
    response_code TEXT,                   -- NULL while the payer has not chosen an outcome
    transaction_status TEXT NOT NULL DEFAULT '01',
    transaction_no TEXT,
    bank_code TEXT,
    pay_date TEXT,
    result_json TEXT,                     -- the signed params sent to the Return URL and the IPN
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_transactions_ref ON transactions (tmn_code, txn_ref);
CREATE TABLE IF NOT EXISTS ipn_attempts (
    id INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES transactions (id),
    round INTEGER NOT NULL,               -- which of the repeated sends
    attempt INTEGER NOT NULL,             -- 1, then retries when the merchant did not acknowledge
    url TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    http_status INTEGER,
    answer TEXT,
    rsp_code TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES transactions (id),
    request_id TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    amount INTEGER NOT NULL,
    transaction_no TEXT NOT NULL,
    create_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_requests (
    tmn_code TEXT NOT NULL,
    request_id TEXT NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (tmn_code, request_id, day)
);
-- Hands out VNPay-style transaction numbers, unique across workers.
CREATE TABLE IF NOT EXISTS numbers (id INTEGER PRIMARY KEY AUTOINCREMENT);
"""

# VNPay transaction numbers are 8 digits in the sandbox; starting here keeps ours the same length.
FIRST_TRANSACTION_NO = 14_000_000


class TxnRefTaken(Exception):
    """The merchant reused a vnp_TxnRef whose payment already has an outcome."""


class GatewayStore(SqliteFileStore):
    """Transactions, IPN attempts, refunds and API request ids of the mock gateway."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA)

    @staticmethod
    def _next_number(connection: sqlite3.Connection) -> str:
        cursor = connection.execute("INSERT INTO numbers DEFAULT VALUES")
        return str(FIRST_TRANSACTION_NO + cursor.lastrowid)

    def open_transaction(self, params: Mapping[str, str], token: str) -> dict[str, Any]:
        """Record a validated payment request, or return the pending one a reload of the same URL made."""
        request_json = json.dumps(dict(sorted(params.items())), ensure_ascii=False)
        with self._write() as connection:
            existing = connection.execute(
                "SELECT * FROM transactions WHERE tmn_code = ? AND txn_ref = ? ORDER BY id DESC LIMIT 1",
                (params["vnp_TmnCode"], params["vnp_TxnRef"]),
            ).fetchone()
            if existing is not None:
                if existing["response_code"] is None and existing["request_json"] == request_json:
                    return dict(existing)
                raise TxnRefTaken(params["vnp_TxnRef"])
            connection.execute(
                "INSERT INTO transactions (token, tmn_code, txn_ref, amount, order_info, create_date, return_url,"
                " request_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token,
                    params["vnp_TmnCode"],
                    params["vnp_TxnRef"],
                    int(params["vnp_Amount"]),
                    params["vnp_OrderInfo"],
                    params["vnp_CreateDate"],
                    params["vnp_ReturnUrl"],
                    request_json,
                    now_text(),
                ),
            )
            return dict(connection.execute("SELECT * FROM transactions WHERE token = ?", (token,)).fetchone())

    def transaction_by_token(self, token: str) -> dict[str, Any] | None:
        with self._read() as connection:
            row = connection.execute("SELECT * FROM transactions WHERE token = ?", (token,)).fetchone()
        return dict(row) if row else None

    def complete(
        self, token: str, is_numbered: bool, build_result: Callable[[dict[str, Any], str], dict[str, str]]
    ) -> dict[str, str] | None:
        """Give a pending transaction its outcome, once; None if it already has one (a double submit).

        `build_result(transaction, transaction_no)` returns the params for the Return URL and IPN. A
        payment the payer abandoned gets no VNPay number ("0"), as the real gateway answers.
        """
        with self._write() as connection:
            row = connection.execute(
                "SELECT * FROM transactions WHERE token = ? AND response_code IS NULL", (token,)
            ).fetchone()
            if row is None:
                return None
            transaction_no = self._next_number(connection) if is_numbered else "0"
            result = build_result(dict(row), transaction_no)
            connection.execute(
                "UPDATE transactions SET response_code = ?, transaction_status = ?, transaction_no = ?,"
                " bank_code = ?, pay_date = ?, result_json = ? WHERE id = ?",
                (
                    result["vnp_ResponseCode"],
                    result["vnp_TransactionStatus"],
                    result["vnp_TransactionNo"],
                    result.get("vnp_BankCode", ""),
                    result["vnp_PayDate"],
                    json.dumps(result, ensure_ascii=False),
                    row["id"],
                ),
            )
            return result

    def record_ipn_attempt(self, transaction_id: int, round_no: int, attempt: int, url: str, **outcome: Any) -> None:
        """Keep what one IPN call got back: `http_status`, `answer`, `rsp_code` and/or `error`."""
        with self._read() as connection:
            connection.execute(
                "INSERT INTO ipn_attempts (transaction_id, round, attempt, url, sent_at, http_status, answer,"
                " rsp_code, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    transaction_id,
                    round_no,
                    attempt,
                    url,
                    now_text(),
                    outcome.get("http_status"),
                    outcome.get("answer"),
                    outcome.get("rsp_code"),
                    outcome.get("error"),
                ),
            )

    def remember_request_id(self, tmn_code: str, request_id: str, day: str) -> bool:
        """Whether this API request id is new for the merchant on that day (VNPay refuses repeats: 94)."""
        with self._read() as connection:
            try:
                connection.execute(
                    "INSERT INTO api_requests (tmn_code, request_id, day) VALUES (?, ?, ?)",
                    (tmn_code, request_id, day),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    def find_transaction(self, tmn_code: str, txn_ref: str, create_date: str) -> dict[str, Any] | None:
        """The payment querydr and refund name by TxnRef and its vnp_CreateDate (their TransactionDate)."""
        with self._read() as connection:
            row = connection.execute(
                "SELECT * FROM transactions WHERE tmn_code = ? AND txn_ref = ? AND create_date = ?"
                " ORDER BY id DESC LIMIT 1",
                (tmn_code, txn_ref, create_date),
            ).fetchone()
        return dict(row) if row else None

    def refunds_of(self, transaction_id: int) -> list[dict[str, Any]]:
        with self._read() as connection:
            rows = connection.execute(
                "SELECT * FROM refunds WHERE transaction_id = ? ORDER BY id", (transaction_id,)
            ).fetchall()
        return [dict(row) for row in rows]

    def refund(
        self, transaction_id: int, request_id: str, transaction_type: str, amount: int, create_by: str
    ) -> tuple[ApiResponseCode, dict[str, Any] | None]:
        """Record a refund if the amount fits what is left; the checks and the insert share one lock."""
        with self._write() as connection:
            original = connection.execute("SELECT amount FROM transactions WHERE id = ?", (transaction_id,)).fetchone()
            earlier = connection.execute(
                "SELECT transaction_type, amount FROM refunds WHERE transaction_id = ?", (transaction_id,)
            ).fetchall()
            if any(row["transaction_type"] == TransactionType.FULL_REFUND for row in earlier):
                return ApiResponseCode.DUPLICATE_REQUEST, None
            remaining = original["amount"] - sum(row["amount"] for row in earlier)
            if transaction_type == TransactionType.FULL_REFUND:
                fits = not earlier and amount == original["amount"]
            else:
                fits = 0 < amount <= remaining
            if not fits:
                return ApiResponseCode.INVALID_FORMAT, None
            refund = {
                "transaction_id": transaction_id,
                "request_id": request_id,
                "transaction_type": transaction_type,
                "amount": amount,
                "transaction_no": self._next_number(connection),
                "create_by": create_by,
                "created_at": now_text(),
            }
            connection.execute(
                "INSERT INTO refunds (transaction_id, request_id, transaction_type, amount, transaction_no, create_by,"
                " created_at) VALUES (:transaction_id, :request_id, :transaction_type, :amount, :transaction_no,"
                " :create_by, :created_at)",
                refund,
            )
            return ApiResponseCode.SUCCESS, refund

    def listing(self) -> dict[str, list[dict[str, Any]]]:
        """Everything, newest first, for the tester page."""
        with self._read() as connection:
            return {
                table: [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY id DESC LIMIT 500")]
                for table in ("transactions", "ipn_attempts", "refunds")
            }
