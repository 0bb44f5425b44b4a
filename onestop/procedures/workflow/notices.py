"""Who hears of a file's moves: the workflow names the event and its facts; notifications word them."""

from __future__ import annotations

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.notifications.notify import agency_staff, notify_applicant, notify_staff
from onestop.procedures.models import Application

RECEIVING_ROLES = (Role.CLERK,)


def tell_refusal(application: Application, reason: str) -> None:
    """The refusal, with the fee that goes back (the payment's refund is requested in the same change)."""
    from onestop.payments.services import order_of

    order = order_of(application)
    refund = sum(refund.amount for refund in order.refunds) if order is not None else 0
    notify_applicant(application, "application_refused", reason=reason, refund=refund)


def tell_new_file(application: Application) -> None:
    """A file arrives in an agency's reception queue: its one-stop clerks hear of it."""
    notify_staff(agency_staff(application.receiving_agency_id, RECEIVING_ROLES), "staff_new_application", application)


def tell_step_opened(application: Application, rows) -> None:
    """A file reaches steps of the route: whoever holds each hears, else its agency's staff of that role
    and the leaders who assign it (a co-ordinating agency's staff learn of a file sent for their opinion)."""
    for row in rows:
        if row.holder_id:
            tell_holder(application, db.session.get(User, row.holder_id), "staff_new_application")
            continue
        roles = {Role(row.role), Role.LEADER} if row.role in {role.value for role in Role} else {Role.LEADER}
        notify_staff(agency_staff(row.agency_id, roles), "staff_new_application", application)


def tell_holder(application: Application, holder: User | None, event: str, **facts) -> None:
    if holder is not None:
        notify_staff([holder], event, application, **facts)
