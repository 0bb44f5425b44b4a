"""The merchant side of payments: what is due, each trip to the gateway, every IPN, refunds, the ledger.

Rules every table here keeps (issue 6, point 7):
- Amounts are whole đồng in integer columns; the gateway's ×100 form never reaches the database.
- A row is never edited after it is written, except that it moves from one state to the next. That
  move is one conditional UPDATE (`... WHERE state = <expected>`), which is also what makes a
  duplicate IPN harmless: the second UPDATE finds no row in the expected state. The gateway's
  details of a finished attempt or refund are written by that same UPDATE, once.
- Every state change writes a `PaymentEvent`, so the history of an order can be read back.
- The ledger (`LedgerEntry`) is append-only. A unique key per credited attempt and per refund lets the
  database itself refuse a second credit even if a bug slipped past the state checks.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class OrderState(enum.StrEnum):
    DUE = "due"  # the citizen owes it now
    PAID = "paid"
    REFUNDING = "refunding"  # a refund was asked of the gateway and has not been confirmed yet
    REFUNDED = "refunded"  # all or part of it went back (see the refunds)
    CANCELLED = "cancelled"  # no longer owed: the application ended before it was paid


class AttemptState(enum.StrEnum):
    PENDING = "pending"  # the citizen was sent to the gateway; no verified answer yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # cancelled, refused by the bank, timed out: the order stays due


class RefundState(enum.StrEnum):
    REQUESTED = "requested"  # written with the decision; a worker asks the gateway
    DONE = "done"
    FAILED = "failed"  # the gateway refused it; staff must look (reconciliation lists it)


class RefundReason(enum.StrEnum):
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    # Money that arrived for an order no longer due (paid twice, or after the application ended).
    NOT_DUE = "not_due"


class LedgerKind(enum.StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class PaymentOrder(db.Model):
    """The fee an application owes at its payment moment, with the quote that explains the amount."""

    __tablename__ = "payment_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    payment_moment: Mapped[str] = mapped_column(String(30))
    # The quote as computed when the order was made (lines, adjustments, reasons), shown as its explanation.
    quote: Mapped[dict] = mapped_column(JSON)
    state: Mapped[OrderState] = mapped_column(String(20), default=OrderState.DUE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped["Application"] = relationship()  # noqa: F821  (onestop.procedures.models)
    attempts: Mapped[list["PaymentAttempt"]] = relationship(back_populates="order", order_by="PaymentAttempt.id")
    refunds: Mapped[list["Refund"]] = relationship(back_populates="order", order_by="Refund.id")
    events: Mapped[list["PaymentEvent"]] = relationship(back_populates="order", order_by="PaymentEvent.id")

    @property
    def state_enum(self) -> OrderState:
        return OrderState(self.state)


class PaymentAttempt(db.Model):
    """One trip of the citizen to the gateway under its own merchant reference (vnp_TxnRef)."""

    __tablename__ = "payment_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_order.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    txn_ref: Mapped[str] = mapped_column(String(40), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    # The gateway's own timestamp of the request (vnp_CreateDate), which querydr and refund name it by.
    gateway_date: Mapped[str] = mapped_column(String(20))
    client_ip: Mapped[str] = mapped_column(String(64))
    state: Mapped[AttemptState] = mapped_column(String(20), default=AttemptState.PENDING)
    # Written once, by the UPDATE that ends the attempt.
    response_code: Mapped[str | None] = mapped_column(String(10))
    transaction_no: Mapped[str | None] = mapped_column(String(40))
    bank_code: Mapped[str | None] = mapped_column(String(40))
    confirmed_by: Mapped[str | None] = mapped_column(String(20))  # "ipn" or "querydr"
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    order: Mapped[PaymentOrder] = relationship(back_populates="attempts")

    @property
    def state_enum(self) -> AttemptState:
        return AttemptState(self.state)

    @property
    def succeeded(self) -> bool:
        return self.state_enum is AttemptState.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.state_enum is AttemptState.FAILED


class IpnCall(db.Model):
    """Every notification the gateway sent us, as received, with the answer we gave. Insert-only."""

    __tablename__ = "payment_ipn"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    txn_ref: Mapped[str] = mapped_column(String(100), default="", index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("payment_attempt.id", ondelete="SET NULL"))
    params: Mapped[dict] = mapped_column(JSON)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    answer: Mapped[str] = mapped_column(String(30))  # what we told the gateway (IpnAnswer)
    outcome: Mapped[str] = mapped_column(String(40))  # what the call did: credited, replay, forged...
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(db.Model):
    """Money sent back for a paid attempt; its request id makes the gateway call safe to retry."""

    __tablename__ = "payment_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_order.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempt.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[RefundReason] = mapped_column(String(20))
    request_id: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[RefundState] = mapped_column(String(20), default=RefundState.REQUESTED)
    # Written once, by the UPDATE that ends the refund.
    gateway_code: Mapped[str | None] = mapped_column(String(10))
    transaction_no: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[PaymentOrder] = relationship(back_populates="refunds")
    attempt: Mapped[PaymentAttempt] = relationship()

    @property
    def state_enum(self) -> RefundState:
        return RefundState(self.state)


class LedgerEntry(db.Model):
    """Money in (+) and out (−) per application. Append-only; at most one credit per attempt."""

    __tablename__ = "payment_ledger"
    __table_args__ = (
        UniqueConstraint("attempt_id", name="uq_payment_ledger_attempt_id"),
        UniqueConstraint("refund_id", name="uq_payment_ledger_refund_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)  # + received, − refunded
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("payment_attempt.id"))  # set on credits only
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("payment_refund.id"))  # set on refunds only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PaymentEvent(db.Model):
    """One line of an order's history: which row moved from which state to which, and why."""

    __tablename__ = "payment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("payment_order.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(20))  # order, attempt or refund
    subject_id: Mapped[int] = mapped_column()
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[PaymentOrder] = relationship(back_populates="events")


class PaymentReceipt(db.Model):
    """The electronic receipt (biên lai) issued for a successful attempt: once, as a warehouse document."""

    __tablename__ = "payment_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempt.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt: Mapped[PaymentAttempt] = relationship()


class ReconciliationRun(db.Model):
    """One comparison of the gateway's transactions of a day with the ledger; each run is kept."""

    __tablename__ = "payment_reconciliation"
    __table_args__ = (Index("ix_payment_reconciliation_day", "day", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    checked: Mapped[int] = mapped_column(default=0)
    differences: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
