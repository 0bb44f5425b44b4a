"""The daily reconciliation: the gateway's record of each of a day's payments (querydr) against the ledger.

It only reads and reports: every run is kept with the differences it found, nothing in the ledger
is changed, so running it again for the same day is harmless and shows whether a difference is
still there. A person decides what to do about each one.
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from onestop import localtime
from onestop.extensions import db
from onestop.payments.models import (
    AttemptState,
    LedgerEntry,
    LedgerKind,
    PaymentAttempt,
    ReconciliationRun,
    Refund,
    RefundState,
)
from onestop.payments.providers.base import GatewayUnavailable
from onestop.payments.services import local_day_bounds, provider


def yesterday() -> date:
    return localtime.today() - timedelta(days=1)


def _ledger(kind: LedgerKind, column, row_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.kind == kind, column == row_id)
    )


def _differences(attempt: PaymentAttempt, gateway) -> list[dict]:
    """What disagrees between our record of one attempt and the gateway's (None: it has no record)."""
    found: list[dict] = []
    credited = _ledger(LedgerKind.PAYMENT, LedgerEntry.attempt_id, attempt.id)
    refunds = list(db.session.scalars(select(Refund).where(Refund.attempt_id == attempt.id)))
    refunded = -sum(_ledger(LedgerKind.REFUND, LedgerEntry.refund_id, refund.id) for refund in refunds)

    def diff(kind: str, ours, theirs) -> None:
        found.append({"kind": kind, "reference": attempt.txn_ref, "ours": ours, "gateway": theirs})

    succeeded = attempt.state_enum is AttemptState.SUCCEEDED
    if succeeded and credited != attempt.amount:
        diff("ledger_credit_wrong", credited, attempt.amount)
    if not succeeded and credited:
        diff("credit_without_payment", credited, 0)
    if gateway is None:
        if succeeded or credited:
            diff("unknown_at_gateway", credited, None)
        return found
    if gateway.is_success and not succeeded:
        diff("paid_at_gateway_not_recorded", attempt.state, gateway.amount)
    elif gateway.is_final and not gateway.is_success and (succeeded or credited):
        diff("recorded_but_not_paid", credited, gateway.response_code)
    elif gateway.is_success and gateway.amount != credited:
        diff("amount_differs", credited, gateway.amount)
    if refunded and not gateway.is_refunded:
        diff("refund_not_at_gateway", refunded, gateway.response_code)
    if gateway.is_refunded and not refunded:
        diff("refund_not_in_ledger", 0, gateway.response_code)
    for refund in refunds:
        if refund.state_enum is RefundState.FAILED:
            diff("refund_failed", refund.amount, refund.gateway_code)
    return found


def reconcile_day(day: date) -> ReconciliationRun:
    """Compare every attempt started on `day` (Vietnam time) with the gateway; flushes the run's report."""
    start, end = local_day_bounds(day)
    attempts = db.session.scalars(
        select(PaymentAttempt)
        .where(PaymentAttempt.created_at >= start, PaymentAttempt.created_at < end)
        .order_by(PaymentAttempt.id)
    ).all()
    gateway = provider()
    differences: list[dict] = []
    for attempt in attempts:
        try:
            record = gateway.query(attempt.txn_ref, attempt.gateway_date, "127.0.0.1")
        except GatewayUnavailable as error:
            differences.append(
                {
                    "kind": "gateway_unreachable",
                    "reference": attempt.txn_ref,
                    "ours": attempt.state,
                    "gateway": str(error)[:300],
                }
            )
            continue
        differences.extend(_differences(attempt, record))
    run = ReconciliationRun(day=day, checked=len(attempts), differences=differences)
    db.session.add(run)
    db.session.flush()
    return run
