"""Background payment work: refunds through the gateway, receipts, the daily reconciliation, the sweep.

Each task runs in its own application context (so its own session), commits its own work, and is
safe to run twice: it starts by checking that the work is still to do, and the state moves it
makes are conditional (services.finish_refund, the receipt's unique attempt).
"""

from datetime import date, timedelta

from celery import shared_task
from sqlalchemy import exists, select

from onestop.extensions import db
from onestop.models import utcnow
from onestop.payments.models import AttemptState, PaymentAttempt, PaymentReceipt, Refund, RefundState
from onestop.payments.providers.base import GatewayUnavailable, RefundResult

# Work older than this that is still not done was lost between a commit and its hand-off.
SWEEP_AFTER = timedelta(minutes=5)


@shared_task(bind=True, max_retries=10)
def process_refund(self, refund_id: int) -> None:
    from onestop.payments import services

    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.state_enum is not RefundState.REQUESTED:
        return
    attempt = refund.attempt
    gateway = services.provider()
    refunded_before = sum(
        other.amount for other in refund.order.refunds if other.id != refund.id and other.state == RefundState.DONE
    )
    try:
        result = gateway.refund(
            reference=attempt.txn_ref,
            created=attempt.gateway_date,
            transaction_no=attempt.transaction_no or "",
            amount=refund.amount,
            is_full=refund.amount == attempt.amount and not refunded_before,
            request_id=refund.request_id,
            requested_by="onestop",
        )
        if not result.is_done and result.code == "94":
            # The same request id was already accepted (our earlier call's answer was lost): ask what happened.
            status = gateway.query(attempt.txn_ref, attempt.gateway_date, "127.0.0.1")
            if status is not None and status.is_refunded:
                result = RefundResult(is_done=True, code="00", message="confirmed by querydr")
    except GatewayUnavailable as error:
        db.session.rollback()
        if self.request.is_eager:
            return  # no worker to retry later (tests, or a broker-less call): the sweep will
        raise self.retry(exc=error, countdown=min(3600, 30 * 2**self.request.retries)) from error
    services.finish_refund(refund, result)
    db.session.commit()


@shared_task
def issue_receipt(attempt_id: int) -> None:
    from onestop.payments.receipts import issue_receipt as issue

    issue(attempt_id)


@shared_task
def reconcile(day: str | None = None) -> int:
    """Compare a day's transactions (yesterday by default, Vietnam time) with the gateway; count differences."""
    from onestop.payments.reconciliation import reconcile_day, yesterday

    run = reconcile_day(date.fromisoformat(day) if day else yesterday())
    db.session.commit()
    return len(run.differences)


@shared_task
def sweep_payments() -> int:
    """Queue refunds and receipts still not done some time after they were written."""
    cutoff = utcnow() - SWEEP_AFTER
    refunds = db.session.scalars(
        select(Refund.id).where(Refund.state == RefundState.REQUESTED, Refund.created_at < cutoff).limit(200)
    ).all()
    receipts = db.session.scalars(
        select(PaymentAttempt.id)
        .where(
            PaymentAttempt.state == AttemptState.SUCCEEDED,
            PaymentAttempt.finished_at < cutoff,
            ~exists().where(PaymentReceipt.attempt_id == PaymentAttempt.id),
        )
        .limit(200)
    ).all()
    for refund_id in refunds:
        process_refund.delay(refund_id)
    for attempt_id in receipts:
        issue_receipt.delay(attempt_id)
    return len(refunds) + len(receipts)
