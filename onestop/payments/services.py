"""Payment rules: what an application owes and when, paying, the IPN, refunds.

Services change rows and flush; the request (or task) commits once. Money moves only through
`settle` (a payment) and `finish_refund` (a refund): both move a row out of the state they expect
with one conditional UPDATE, and do the rest only when that UPDATE moved it. Two IPNs for the same
payment, or an IPN racing the return page's status query, therefore credit the payment once: on
PostgreSQL the second UPDATE waits for the first transaction's row lock, then finds the row no
longer pending; on SQLite writers are serialised.
"""

import dataclasses
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text, update

from onestop import localtime
from onestop.accounts.models import User
from onestop.errors import InvalidInput, NotFound
from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.links import public_link
from onestop.models import utcnow
from onestop.notifications.notify import notify_applicant
from onestop.payments.fees import FeeAnswerError, FeeQuote, FeeSchedule, dong, quote
from onestop.payments.models import (
    AttemptState,
    IpnCall,
    LedgerEntry,
    LedgerKind,
    OrderState,
    PaymentAttempt,
    PaymentEvent,
    PaymentOrder,
    PaymentReceipt,
    Refund,
    RefundReason,
    RefundState,
)
from onestop.payments.providers import provider_from_config
from onestop.payments.providers.base import (
    IpnAnswer,
    NotificationProblem,
    PaymentProvider,
    PaymentResult,
    RefundResult,
)
from onestop.procedures.filing import acts_for_applicant
from onestop.procedures.models import Application, ApplicationState

log = logging.getLogger(__name__)

# The lifecycle state at which each payment moment makes the fee due.
DUE_AT = {
    "at_submission": ApplicationState.SUBMITTED,
    "after_acceptance": ApplicationState.RECEIVED,
    "when_result_ready": ApplicationState.APPROVED,
}
ENDED_WITHOUT_SERVICE = {ApplicationState.REFUSED: "refused", ApplicationState.WITHDRAWN: "withdrawn"}


class PaymentError(InvalidInput):
    pass


def provider() -> PaymentProvider:
    return provider_from_config(current_app.config)


# --- what is owed --------------------------------------------------------------------------------


def fee_schedule(definition: Mapping) -> FeeSchedule | None:
    """The procedure version's schedule; None when it has none (or an old display-only fee list)."""
    fees = definition.get("fees")
    return FeeSchedule.model_validate(fees) if isinstance(fees, dict) else None


def quote_for(application: Application) -> FeeQuote | None:
    """What this applicant pays and why, from their answers; None without a schedule or a countable answer.

    Applications filed through the portal are filed online, so the province's online reduction applies.
    """
    schedule = fee_schedule(application.definition)
    if schedule is None or not schedule.items:
        return None
    try:
        return quote(schedule, application.answers or {}, online=True)
    except FeeAnswerError:
        return None


def order_of(application: Application) -> PaymentOrder | None:
    return db.session.scalar(select(PaymentOrder).where(PaymentOrder.application_id == application.id))


def outstanding_amount(application: Application) -> int:
    """What the application still owes now, in đồng: 0 before its payment moment, once paid, or when free."""
    order = order_of(application)
    return order.amount if order is not None and order.state_enum is OrderState.DUE else 0


def _event(order: PaymentOrder, subject: str, subject_id: int, from_state, to_state, detail: str = "") -> None:
    db.session.add(
        PaymentEvent(
            order_id=order.id,
            subject=subject,
            subject_id=subject_id,
            from_state=from_state,
            to_state=to_state,
            detail=detail[:2000],
        )
    )


def _move(model, row_id: int, from_state: str, to_state: str, **values) -> bool:
    """Move one row out of `from_state`, writing `values` with it; False if it was not in that state."""
    moved = db.session.execute(
        update(model)
        .where(model.id == row_id, model.state == from_state)
        .values(state=to_state, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return moved == 1


def open_order(application: Application) -> PaymentOrder | None:
    """Make the fee due (once per application); nothing when the quote is 0 đ or cannot be computed."""
    existing = order_of(application)
    if existing is not None:
        return existing
    fee = quote_for(application)
    if fee is None or fee.total == 0:
        return None
    order = PaymentOrder(
        application_id=application.id,
        payer_id=application.applicant_id,
        amount=fee.total,
        payment_moment=fee.payment_moment,
        quote=dataclasses.asdict(fee),
        state=OrderState.DUE,
    )
    db.session.add(order)
    db.session.flush()
    _event(order, "order", order.id, None, OrderState.DUE, "; ".join(fee.explain()))
    _notify_due(application, order)
    return order


def on_application_changed(application: Application, **change) -> None:
    """Receiver of procedures.signals.application_changed: fees fall due, or go back when nothing is served."""
    to_state = ApplicationState(change["to_state"])
    schedule = fee_schedule(application.definition)
    if schedule is None:
        return
    if DUE_AT.get(schedule.payment_moment) is to_state:
        open_order(application)
    elif to_state in ENDED_WITHOUT_SERVICE:
        _end_order(application, schedule, ENDED_WITHOUT_SERVICE[to_state])


def _end_order(application: Application, schedule: FeeSchedule, outcome: str) -> None:
    order = order_of(application)
    if order is None:
        return
    if order.state_enum is OrderState.DUE:
        if _move(PaymentOrder, order.id, OrderState.DUE, OrderState.CANCELLED):
            db.session.expire(order)
            _event(order, "order", order.id, OrderState.DUE, OrderState.CANCELLED, outcome)
        return
    if order.state_enum is not OrderState.PAID:
        return
    paid = _paid_attempt(order)
    amount = schedule.refund.refundable(paid.amount, outcome)
    if amount == 0:
        _event(order, "order", order.id, OrderState.PAID, OrderState.PAID, f"{outcome}: no refund under the schedule")
        return
    if _move(PaymentOrder, order.id, OrderState.PAID, OrderState.REFUNDING):
        db.session.expire(order)
        _event(order, "order", order.id, OrderState.PAID, OrderState.REFUNDING, outcome)
        _request_refund(order, paid, amount, RefundReason(outcome))


def _paid_attempt(order: PaymentOrder) -> PaymentAttempt:
    return db.session.scalar(
        select(PaymentAttempt)
        .where(PaymentAttempt.order_id == order.id, PaymentAttempt.state == AttemptState.SUCCEEDED)
        .order_by(PaymentAttempt.id)
        .limit(1)
    )


def _request_refund(order: PaymentOrder, attempt: PaymentAttempt, amount: int, reason: RefundReason) -> Refund:
    refund = Refund(
        order_id=order.id,
        attempt_id=attempt.id,
        amount=amount,
        reason=reason,
        request_id=secrets.token_hex(16),
        state=RefundState.REQUESTED,
    )
    db.session.add(refund)
    db.session.flush()
    _event(order, "refund", refund.id, None, RefundState.REQUESTED, f"{reason}: {dong(amount, 'vi')}")
    from onestop.payments.tasks import process_refund

    after_commit(process_refund.delay, refund.id)
    return refund


# --- paying --------------------------------------------------------------------------------------


def _may_pay(order: PaymentOrder, user: User) -> None:
    if not acts_for_applicant(user, order.application):
        raise NotFound(_("There is no such application in your account."))


def start_payment(application: Application, user: User, client_ip: str, locale: str) -> str:
    """A new attempt for the fee due and the gateway URL to send the citizen to."""
    order = order_of(application)
    if order is None:
        raise NotFound(_("This application has nothing to pay."))
    _may_pay(order, user)
    if order.state_enum is not OrderState.DUE:
        raise PaymentError(_("This fee is not due: it was paid already or is no longer owed."))
    gateway = provider()
    created = gateway.gateway_timestamp()
    attempt = PaymentAttempt(
        order_id=order.id,
        provider=gateway.name,
        # Unique per attempt: a gateway refuses a reference that already has an outcome.
        txn_ref=f"{application.id}{secrets.token_hex(4).upper()}",
        amount=order.amount,
        gateway_date=created,
        client_ip=client_ip[:64],
        state=AttemptState.PENDING,
    )
    db.session.add(attempt)
    db.session.flush()
    _event(order, "attempt", attempt.id, None, AttemptState.PENDING, attempt.txn_ref)
    return gateway.payment_url(
        reference=attempt.txn_ref,
        amount=attempt.amount,
        # VNPay asks for order information without diacritics.
        description=f"Nop phi ho so {application.code}",
        # The address the payer's browser comes back to: PUBLIC_URL, not the host this request came in on.
        return_url=public_link("payments.vnpay_return"),
        client_ip=client_ip,
        locale=locale,
        created=created,
    )


@dataclass(frozen=True)
class Settlement:
    answer: IpnAnswer
    outcome: str  # what happened, for the IPN log: credited, failed, replay, amount_mismatch...
    attempt_id: int | None = None

    @property
    def changed_nothing(self) -> bool:
        """Whether only the IPN log is written (a replay, a forgery...): no attempt, order or ledger moved."""
        return self.outcome not in ("credited", "credited_not_due", "failed")


def settle(result: PaymentResult, source: str) -> Settlement:
    """Record a verified outcome of an attempt exactly once, and say what happened."""
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.txn_ref == result.reference))
    if attempt is None:
        return Settlement(IpnAnswer.ORDER_NOT_FOUND, "unknown_order")
    if result.amount != attempt.amount:
        return Settlement(IpnAnswer.INVALID_AMOUNT, "amount_mismatch", attempt.id)
    if not result.is_final:
        return Settlement(IpnAnswer.UNKNOWN_ERROR, "not_final", attempt.id)
    if attempt.state_enum is not AttemptState.PENDING:
        return Settlement(IpnAnswer.ALREADY_CONFIRMED, "replay", attempt.id)
    to_state = AttemptState.SUCCEEDED if result.is_success else AttemptState.FAILED
    moved = _move(
        PaymentAttempt,
        attempt.id,
        AttemptState.PENDING,
        to_state,
        response_code=result.response_code[:10],
        transaction_no=result.transaction_no[:40] or None,
        bank_code=result.bank_code[:40] or None,
        confirmed_by=source,
        finished_at=utcnow(),
    )
    if not moved:
        return Settlement(IpnAnswer.ALREADY_CONFIRMED, "replay", attempt.id)
    db.session.expire(attempt)
    order = attempt.order
    _event(order, "attempt", attempt.id, AttemptState.PENDING, to_state, f"{source}: {result.response_code}")
    if not result.is_success:
        return Settlement(IpnAnswer.CONFIRMED, "failed", attempt.id)
    db.session.add(
        LedgerEntry(order_id=order.id, kind=LedgerKind.PAYMENT, amount=attempt.amount, attempt_id=attempt.id)
    )
    db.session.flush()
    from onestop.payments.tasks import issue_receipt

    after_commit(issue_receipt.delay, attempt.id)
    if _move(PaymentOrder, order.id, OrderState.DUE, OrderState.PAID):
        db.session.expire(order)
        _event(order, "order", order.id, OrderState.DUE, OrderState.PAID, attempt.txn_ref)
        _notify_paid(order, attempt)
        return Settlement(IpnAnswer.CONFIRMED, "credited", attempt.id)
    # The money came for an order no longer due (paid in another tab, or the application ended): it goes back.
    _request_refund(order, attempt, attempt.amount, RefundReason.NOT_DUE)
    return Settlement(IpnAnswer.CONFIRMED, "credited_not_due", attempt.id)


def handle_notification(gateway: PaymentProvider, params: Mapping[str, str], remote_addr: str) -> IpnAnswer:
    """The IPN: verify, settle, and keep the call with our answer (in the same transaction)."""
    reference = str(params.get("vnp_TxnRef", ""))
    read = gateway.read_notification(params)
    if isinstance(read, NotificationProblem):
        answer = {
            NotificationProblem.FORGED: IpnAnswer.INVALID_SIGNATURE,
            NotificationProblem.WRONG_MERCHANT: IpnAnswer.ORDER_NOT_FOUND,
        }.get(read, IpnAnswer.UNKNOWN_ERROR)
        attempt_id = db.session.scalar(select(PaymentAttempt.id).where(PaymentAttempt.txn_ref == reference[:40]))
        settlement = Settlement(answer, read.value, attempt_id)
    else:
        settlement = settle(read, "ipn")
    if settlement.changed_nothing and db.engine.dialect.name == "postgresql":
        # Only the log row is written: a server crash may lose the last fraction of a second of such
        # rows, and in exchange this commit does not wait for the disk. State changes stay fully durable.
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.add(
        IpnCall(
            provider=gateway.name,
            txn_ref=reference[:100],
            attempt_id=settlement.attempt_id,
            params=dict(params),
            remote_addr=(remote_addr or "")[:64],
            answer=settlement.answer.value,
            outcome=settlement.outcome,
        )
    )
    return settlement.answer


@dataclass
class ReturnCheck:
    attempt: PaymentAttempt | None
    checked_with_gateway: bool = False
    gateway_unreachable: bool = False


def check_return(user: User, params: Mapping[str, str]) -> ReturnCheck:
    """The return page: our own record of the attempt named by a signed return; ask the gateway if still pending.

    The outcome in the browser's URL is never recorded: only the IPN, or the gateway's answer to a
    status query (signed, server to server), settles an attempt.
    """
    gateway = provider()
    read = gateway.read_notification(params)
    if isinstance(read, NotificationProblem):
        return ReturnCheck(None)
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.txn_ref == read.reference))
    if attempt is None:
        return ReturnCheck(None)
    _may_pay(attempt.order, user)
    if attempt.state_enum is not AttemptState.PENDING:
        return ReturnCheck(attempt)
    from onestop.payments.providers.base import GatewayUnavailable

    try:
        status = gateway.query(attempt.txn_ref, attempt.gateway_date, "127.0.0.1")
    except GatewayUnavailable:
        log.warning("querydr for %s failed", attempt.txn_ref, exc_info=True)
        return ReturnCheck(attempt, checked_with_gateway=True, gateway_unreachable=True)
    if status is not None and status.is_final:
        settle(status, "querydr")
        db.session.expire(attempt)
    return ReturnCheck(attempt, checked_with_gateway=True)


# --- refunds --------------------------------------------------------------------------------------


def finish_refund(refund: Refund, result: RefundResult) -> bool:
    """Record the gateway's answer to a refund once; the ledger and the citizen hear of a done one."""
    to_state = RefundState.DONE if result.is_done else RefundState.FAILED
    moved = _move(
        Refund,
        refund.id,
        RefundState.REQUESTED,
        to_state,
        gateway_code=result.code[:10],
        transaction_no=result.transaction_no[:40] or None,
        finished_at=utcnow(),
    )
    if not moved:
        return False
    db.session.expire(refund)
    order = refund.order
    _event(order, "refund", refund.id, RefundState.REQUESTED, to_state, f"{result.code} {result.message}".strip())
    if not result.is_done:
        log.error("refund %s of order %s refused by the gateway: %s", refund.id, order.id, result.code)
        return True
    db.session.add(LedgerEntry(order_id=order.id, kind=LedgerKind.REFUND, amount=-refund.amount, refund_id=refund.id))
    # Sending back money that was not due leaves the fee itself paid; only the application's end refunds it.
    is_fee_refund = refund.reason != RefundReason.NOT_DUE
    if is_fee_refund and _move(PaymentOrder, order.id, OrderState.REFUNDING, OrderState.REFUNDED):
        _event(order, "order", order.id, OrderState.REFUNDING, OrderState.REFUNDED, str(refund.reason))
    _notify_refunded(order, refund)
    return True


# --- what the citizen sees ------------------------------------------------------------------------


@dataclass
class PaymentStatus:
    """Everything the payment panel shows for an application."""

    application: Application
    order: PaymentOrder | None
    quote: FeeQuote | None  # before the order exists: what will be asked, from the answers
    payment_moment: str | None
    last_attempt: PaymentAttempt | None
    receipts: list[PaymentReceipt]
    refunds: list[Refund]

    @property
    def is_due(self) -> bool:
        return self.order is not None and self.order.state_enum is OrderState.DUE

    @property
    def paid_amount(self) -> int:
        return sum(attempt.amount for attempt in self.paid_attempts)

    @property
    def paid_attempts(self) -> list[PaymentAttempt]:
        return [a for a in (self.order.attempts if self.order else []) if a.state_enum is AttemptState.SUCCEEDED]

    @property
    def last_failed(self) -> bool:
        return self.last_attempt is not None and self.last_attempt.state_enum is AttemptState.FAILED


def payment_status(application: Application) -> PaymentStatus | None:
    """The panel's data; None when the procedure charges nothing."""
    schedule = fee_schedule(application.definition)
    if schedule is None or not schedule.items:
        return None
    order = order_of(application)
    attempts = order.attempts if order else []
    receipts = (
        list(
            db.session.scalars(
                select(PaymentReceipt)
                .where(PaymentReceipt.attempt_id.in_([a.id for a in attempts]))
                .order_by(PaymentReceipt.id)
            )
        )
        if attempts
        else []
    )
    return PaymentStatus(
        application=application,
        order=order,
        quote=None if order else quote_for(application),
        payment_moment=schedule.payment_moment,
        last_attempt=attempts[-1] if attempts else None,
        receipts=receipts,
        refunds=list(order.refunds) if order else [],
    )


def quote_from_order(order: PaymentOrder) -> FeeQuote:
    """The quote stored with an order, back as objects for the templates."""
    from onestop.payments.fees import Adjustment, FeeLine

    data = order.quote
    lines = [
        FeeLine(**{**line, "adjustments": [Adjustment(**step) for step in line["adjustments"]]})
        for line in data["lines"]
    ]
    return FeeQuote(total=data["total"], lines=lines, payment_moment=data["payment_moment"], online=data["online"])


# --- messages -------------------------------------------------------------------------------------


def _notify_due(application: Application, order: PaymentOrder) -> None:
    if order.payment_moment == "at_submission":
        return  # the receipt page the citizen is looking at already asks for it
    pay_link = public_link("filing.timeline", application_id=application.id)
    notify_applicant(application, "fee_due", amount=order.amount, pay_link=pay_link)


def _notify_paid(order: PaymentOrder, attempt: PaymentAttempt) -> None:
    notify_applicant(order.application, "payment_received", amount=attempt.amount)


def _notify_refunded(order: PaymentOrder, refund: Refund) -> None:
    notify_applicant(order.application, "refund_sent", amount=refund.amount)


# --- reporting days -------------------------------------------------------------------------------


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a day in Vietnam starts and ends."""
    start = datetime.combine(day, time(0), tzinfo=localtime.zone())
    return start, start + timedelta(days=1)
