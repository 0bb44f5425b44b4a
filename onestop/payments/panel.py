"""The fee panel of an application, worded for whoever looks at it: the payer, or an officer.

The panel's rules (what is owed, who may pay, where a receipt opens for this reader) live here; the
template only prints the lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from onestop.accounts.models import User
from onestop.payments.fees import dong
from onestop.payments.models import OrderState, RefundState
from onestop.payments.services import payment_status
from onestop.procedures.models import Application

MOMENTS = {
    "at_submission": _l("You pay online right after sending the application. Sending is never blocked by the payment."),
    "when_result_ready": _l("You pay when the result is ready; we tell you when."),
    "after_acceptance": _l("You pay after the agency accepts the application; we tell you when."),
}


@dataclass(frozen=True)
class Line:
    text: str
    css: str = ""  # how the page sets it off
    strong: bool = False


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass
class PaymentPanel:
    lines: list[Line] = field(default_factory=list)
    pay_url: str | None = None
    receipts: list[Link] = field(default_factory=list)


def payment_moment_text(moment: str | None) -> str:
    return str(MOMENTS.get(moment or "", MOMENTS["after_acceptance"]))


def payment_panel(application: Application, viewer: User | None) -> PaymentPanel | None:
    status = payment_status(application)
    if status is None:
        return None
    panel = PaymentPanel()
    is_payer = (
        viewer is not None
        and viewer.is_authenticated
        and viewer.id
        in (
            application.applicant_id,
            application.submitter_id,
        )
    )
    order = status.order
    if order is None:
        if status.quote and status.quote.total:
            panel.lines.append(
                Line(
                    _("Fee for this application: %(amount)s.", amount=dong(status.quote.total))
                    + " "
                    + payment_moment_text(status.payment_moment)
                )
            )
        elif status.quote:
            panel.lines.append(Line(_("No fee is charged for this application.")))
    elif order.state_enum is OrderState.DUE:
        panel.lines.append(Line(_("To pay now: %(amount)s", amount=dong(order.amount)), "payment-due", strong=True))
        if status.last_failed:
            panel.lines.append(
                Line(
                    _(
                        "Your last payment was not completed and nothing was charged. You can pay now or later: "
                        "the application keeps its place."
                    )
                )
            )
        if is_payer:
            panel.pay_url = url_for("payments.pay", application_id=application.id)
    elif order.state_enum is OrderState.CANCELLED:
        panel.lines.append(Line(_("Nothing is owed: the application ended before the fee was paid.")))
    else:
        for attempt in status.paid_attempts:
            when = format_datetime(attempt.finished_at, "dd/MM/yyyy HH:mm") if attempt.finished_at else ""
            panel.lines.append(
                Line(_("Paid %(amount)s on %(when)s.", amount=dong(attempt.amount), when=when), "payment-paid")
            )
        if not status.receipts:
            panel.lines.append(
                Line(_("The receipt is being prepared; it will appear here and in your data warehouse."), "meta")
            )
    for receipt in status.receipts:
        url = (
            url_for("warehouse.download", document_id=receipt.document_id)
            if is_payer or (viewer is not None and not viewer.is_staff)
            else url_for("warehouse.office_document", document_id=receipt.document_id, application=application.id)
        )
        panel.receipts.append(Link(_("Receipt %(number)s (PDF)", number=receipt.number), url))
    for refund in status.refunds:
        amount = dong(refund.amount)
        if refund.state_enum is RefundState.DONE:
            when = format_datetime(refund.finished_at, "dd/MM/yyyy HH:mm") if refund.finished_at else ""
            text = _("Refunded %(amount)s on %(when)s.", amount=amount, when=when)
        elif refund.state_enum is RefundState.REQUESTED:
            text = _("A refund of %(amount)s is on its way.", amount=amount)
        else:
            text = _(
                "The refund of %(amount)s is delayed; the agency has been alerted and will contact you.", amount=amount
            )
        panel.lines.append(Line(text, "payment-refund"))
    return panel
