"""Appending to the audit chain, capturing what must be audited, and verifying the chain.

Every record carries the hash of the record before it; its own hash covers all its fields and that
previous hash, so editing, deleting or reordering any record breaks a link that `verify_chain()`
finds. Records are appended in the transaction of the change they describe: an application event or
a document read that rolls back leaves no record, and a record never exists without its change.

What is captured without callers having to remember: every inserted `ApplicationEvent` (every
lifecycle transition writes one) and every inserted `DocumentAccess` (every document read writes
one), noted by a session hook at flush time. Other services call `record()` (staff account changes).
Everything a transaction audited is appended just before it commits (`_append_pending`).
"""

import enum
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from onestop import handoff
from onestop.audit.models import AuditHead, AuditRecord
from onestop.datastore.models import DocumentAccess
from onestop.extensions import db
from onestop.models import utcnow
from onestop.procedures.models import ApplicationEvent

# What the first record links to.
GENESIS_HASH = "0" * 64
# The one PostgreSQL advisory lock serialising appends ("audit" in ASCII).
CHAIN_LOCK = 0x6175646974
HEAD_ID = 1
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_records = AuditRecord.__table__
_head = AuditHead.__table__


@dataclass(frozen=True)
class Entry:
    """What happened, before it is numbered and sealed."""

    action: str
    subject_type: str
    subject_id: int | None
    actor_id: int | None
    payload: dict


# --- sealing -----------------------------------------------------------------------------------


def canonical(
    sequence: int,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    payload: dict,
    previous_hash: str,
) -> bytes:
    """The bytes a record's hash covers: sorted-key JSON, no spaces, UTC time to the microsecond."""
    return json.dumps(
        {
            "sequence": sequence,
            "created_at": created_at.astimezone(UTC).strftime(TIME_FORMAT),
            "actor_id": actor_id,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "payload": payload,
            "previous_hash": previous_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def seal(sequence: int, serialised: bytes) -> str:
    """SHA-256 of the record, keyed (HMAC) from AUDIT_CHAIN_KEY_SINCE on when AUDIT_CHAIN_KEY is set.

    With a key that only the application servers hold, someone who can write to the database cannot
    recompute the hashes after editing a record; without one, only an anchor kept outside the
    database (`flask audit head`) catches a chain rewritten from the edited record to the end.
    """
    key = current_app.config.get("AUDIT_CHAIN_KEY") or ""
    if key and sequence >= int(current_app.config.get("AUDIT_CHAIN_KEY_SINCE", 1)):
        return hmac.new(key.encode(), serialised, hashlib.sha256).hexdigest()
    return hashlib.sha256(serialised).hexdigest()


def _plain(payload: dict) -> dict:
    """The payload as the database gives it back (enums become strings), so what is sealed is what is read."""
    return json.loads(json.dumps(payload, ensure_ascii=False))


# --- appending ---------------------------------------------------------------------------------


def _lock_chain(connection: Connection) -> None:
    """Let one transaction at a time read the head and append, until it commits or rolls back."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    else:
        # SQLite starts a transaction only on a write, and in WAL mode a read may see an older snapshot:
        # writing first takes the database's single write lock, and a write lock implies the newest data.
        connection.execute(update(_head).where(_head.c.id == HEAD_ID).values(sequence=_head.c.sequence))


def _append(connection: Connection, entries: list[Entry]) -> None:
    _lock_chain(connection)
    head = connection.execute(select(_head.c.sequence, _head.c.hash).where(_head.c.id == HEAD_ID)).first()
    if head is None:
        # First record ever (or the head row was deleted: `verify_chain()` has reported that).
        head = connection.execute(
            select(_records.c.sequence, _records.c.hash).order_by(_records.c.sequence.desc()).limit(1)
        ).first()
        is_new_head = True
    else:
        is_new_head = False
    sequence, previous = head if head is not None else (0, GENESIS_HASH)
    now = utcnow()
    rows = []
    for entry in entries:
        sequence += 1
        payload = _plain(entry.payload)
        digest = seal(
            sequence,
            canonical(
                sequence, now, entry.actor_id, entry.action, entry.subject_type, entry.subject_id, payload, previous
            ),
        )
        rows.append(
            {
                "sequence": sequence,
                "created_at": now,
                "actor_id": entry.actor_id,
                "action": entry.action,
                "subject_type": entry.subject_type,
                "subject_id": entry.subject_id,
                "payload": payload,
                "previous_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    connection.execute(insert(_records), rows)
    values = {"sequence": sequence, "hash": previous, "updated_at": now}
    if is_new_head:
        connection.execute(insert(_head).values(id=HEAD_ID, **values))
    else:
        connection.execute(update(_head).where(_head.c.id == HEAD_ID).values(**values))


# --- capture -----------------------------------------------------------------------------------


def _entry_for(instance) -> Entry:
    if isinstance(instance, ApplicationEvent):
        application = instance.application
        return Entry(
            action=f"application.{instance.action}",
            subject_type="application",
            subject_id=instance.application_id,
            actor_id=instance.actor_id,
            payload={
                "event_id": instance.id,
                "code": application.code if application is not None else None,
                "from_state": instance.from_state,
                "to_state": instance.to_state,
                "reason": instance.reason or "",
            },
        )
    return Entry(
        action="document.read",
        subject_type="document",
        subject_id=instance.document_id,
        actor_id=instance.reader_id,
        payload={"access_id": instance.id, "reason": instance.reason, "application_id": instance.application_id},
    )


_CAPTURED = (ApplicationEvent, DocumentAccess)
_HELD = "audit"


def _keep(session: Session, entries: list[Entry]) -> None:
    """Hold entries until the transaction commits; a savepoint that rolls back takes its own with it."""
    for entry in entries:
        handoff.hold(_HELD, entry, session)


def record(action: str, subject_type: str, subject_id: int | None, actor_id: int | None = None, **payload) -> None:
    """Audit something in the current transaction: appended when it commits, forgotten if it rolls back."""
    _keep(db.session(), [Entry(action, subject_type, subject_id, actor_id, payload)])


@event.listens_for(db.session, "after_flush")
def _capture(session: Session, _context) -> None:
    """Note the history events and document reads this flush inserted, with their new primary keys."""
    # `session.new` still lists what this flush inserted.
    inserted = sorted(
        (instance for instance in session.new if isinstance(instance, _CAPTURED)),
        key=lambda instance: (not isinstance(instance, ApplicationEvent), instance.id),
    )
    if inserted:
        _keep(session, [_entry_for(instance) for instance in inserted])


@event.listens_for(db.session, "before_commit")
def _append_pending(session: Session) -> None:
    """Append what the transaction audited, as its last statements before COMMIT.

    Taking the chain lock here rather than at each flush holds it for the commit alone: audited
    requests wait for each other only that long, and a request holding the lock never waits for a
    row another one has locked, so the lock adds no deadlock.
    """
    if session.in_nested_transaction():  # releasing a savepoint: the outer transaction may still roll back
        return
    session.flush()  # the commit's own flush comes after this hook: what it would insert must be captured now
    pending = handoff.take(_HELD, session)
    if pending:
        _append(session.connection(), pending)


@event.listens_for(db.session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    """The application never edits or deletes a record; PostgreSQL's trigger refuses it below the ORM too."""
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditRecord | AuditHead):
            raise RuntimeError("audit records are append-only")


# --- reading -----------------------------------------------------------------------------------


def audit_records_for(subject_type: str, subject_id: int) -> list[AuditRecord]:
    """The audit trail of one subject ("application", 42), oldest first: for staff views and operators."""
    return list(
        db.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.subject_type == subject_type, AuditRecord.subject_id == subject_id)
            .order_by(AuditRecord.sequence)
        )
    )


def chain_head() -> tuple[int, str]:
    """The newest record's number and hash (0 and the genesis value for an empty chain): the anchor to keep."""
    head = db.session.execute(select(_head.c.sequence, _head.c.hash).where(_head.c.id == HEAD_ID)).first()
    return (head.sequence, head.hash) if head else (0, GENESIS_HASH)


# --- verifying ---------------------------------------------------------------------------------


class Break(enum.StrEnum):
    HASH_MISMATCH = "hash mismatch"
    SEQUENCE_GAP = "sequence gap"
    PREVIOUS_HASH_MISMATCH = "previous-hash mismatch"
    HEAD_MISSING = "head missing"
    HEAD_MISMATCH = "head mismatch"
    ANCHOR_MISMATCH = "anchor mismatch"


@dataclass(frozen=True)
class Verification:
    checked: int
    broken_at: int | None = None
    problem: Break | None = None

    @property
    def is_intact(self) -> bool:
        return self.problem is None


def _stream(upto: int | None, batch_size: int) -> Iterator:
    """Records in sequence order, one batch at a time (keyset pagination): memory stays flat for any length."""
    after = 0
    while True:
        query = select(_records).where(_records.c.sequence > after).order_by(_records.c.sequence).limit(batch_size)
        if upto is not None:
            query = query.where(_records.c.sequence <= upto)
        batch = db.session.execute(query).all()
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1].sequence


def verify_chain(anchors: Iterable[tuple[int, str]] = (), batch_size: int = 2000) -> Verification:
    """Walk the whole chain and report the first broken link, if any.

    Checked for each record: its number follows the previous one (a gap is a deleted record), its
    stored previous hash is the previous record's hash (a replaced or reordered record), and its hash
    matches its content (an edited record). Then the head must name the last record (deleting the
    newest records leaves a head pointing past the end; a head moved back leaves records beyond it),
    and every anchor kept outside the database
    must still be there with the same hash. Records appended while the walk runs are left to the next run.
    """
    anchors = dict(anchors)
    head = db.session.execute(select(_head.c.sequence, _head.c.hash).where(_head.c.id == HEAD_ID)).first()
    expected, previous, checked = 1, GENESIS_HASH, 0

    def broken(at: int, problem: Break) -> Verification:
        return Verification(checked, at, problem)

    for row in _stream(head.sequence if head else None, batch_size):
        if row.sequence != expected:
            return broken(expected, Break.SEQUENCE_GAP)
        serialised = canonical(
            row.sequence,
            row.created_at,
            row.actor_id,
            row.action,
            row.subject_type,
            row.subject_id,
            row.payload,
            row.previous_hash,
        )
        if seal(row.sequence, serialised) != row.hash:
            return broken(row.sequence, Break.HASH_MISMATCH)
        if row.previous_hash != previous:
            return broken(row.sequence, Break.PREVIOUS_HASH_MISMATCH)
        if anchors.get(row.sequence, row.hash) != row.hash:
            return broken(row.sequence, Break.ANCHOR_MISMATCH)
        previous = row.hash
        expected += 1
        checked += 1
    last = expected - 1
    if head is None:
        if last:
            return broken(last, Break.HEAD_MISSING)
    elif (head.sequence, head.hash) != (last, previous):
        return broken(last + 1 if head.sequence > last else last, Break.HEAD_MISMATCH)
    # Records and the head commit together, so a head behind existing records was moved back by hand.
    # (The newest number is read before the head: an append in between only moves the head further.)
    newest = db.session.scalar(select(func.max(_records.c.sequence)))
    now = db.session.scalar(select(_head.c.sequence).where(_head.c.id == HEAD_ID))
    if newest is not None and now is not None and now < newest:
        return broken(now + 1, Break.HEAD_MISMATCH)
    missing = [sequence for sequence in anchors if sequence > last]
    if missing:
        return broken(min(missing), Break.ANCHOR_MISMATCH)
    return Verification(checked)
