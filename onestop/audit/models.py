from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime

# 64-bit on PostgreSQL (a chain outlives 2 billion reads); SQLite integers are 64-bit already.
_SEQUENCE = BigInteger().with_variant(Integer, "sqlite")


class AuditRecord(db.Model):
    """One link of the chain: what happened, to what, by whom, sealed with the previous link's hash.

    Rows are only ever inserted (onestop.audit.services). No foreign keys on purpose: deleting a draft,
    a document or an account must neither remove nor rewrite the record of what happened to it.
    """

    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_subject", "subject_type", "subject_id", "sequence"),)

    # Strictly increasing from 1 without gaps, given under the chain lock: a gap means a deleted row.
    sequence: Mapped[int] = mapped_column(_SEQUENCE, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The acting user; None for the system (a worker, a command).
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    payload: Mapped[dict] = mapped_column(JSON)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The newest link, rewritten with every append: without it, deleting the newest records leaves no trace.

    One row (id 1). It is also what SQLite writers lock before they read the head, so that two
    processes never append after the same record.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(_SEQUENCE)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
