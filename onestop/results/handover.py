"""The paper copy of a signed result: handed over at the counter or posted, as the citizen chose at filing.

Signing puts the signed PDF in the citizen's warehouse whatever they chose (online is always also available).
A file whose result comes online ends `returned` at signing; one whose result comes at the counter or by post
stays `approved`, its delivery step open in the reception clerk's queue, until the clerk prints the signed PDF
(never a new upload) and records that it was handed over or posted. That ends the file, writes the event the
citizen's timeline shows and tells the citizen.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.accounts.models import User
from onestop.errors import InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.notifications.notify import notify_applicant
from onestop.payments.fees import dong
from onestop.procedures.models import Application, ApplicationState, ResultDelivery
from onestop.procedures.route import Stage
from onestop.procedures.workflow import steps
from onestop.procedures.workflow.common import check, flush, record
from onestop.procedures.workflow.present import Handover
from onestop.procedures.workflow.table import Action, open_steps
from onestop.results.models import SignedDocument, SignedKind, SigningState

TRACKING_MAX = 40
_TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")


# Ways a paper copy is handed over; "online" has none: the warehouse copy is the delivery.
PAPER_DELIVERIES = frozenset({ResultDelivery.COUNTER, ResultDelivery.POST})


def delivers_on_paper(application: Application) -> bool:
    return application.result_delivery in PAPER_DELIVERIES


def by_post(application: Application) -> bool:
    return application.result_delivery == ResultDelivery.POST


def signed_result_of(application: Application) -> SignedDocument | None:
    """The application's signed result, if the leader signed one and it was not revoked since."""
    return db.session.scalar(
        select(SignedDocument)
        .where(
            SignedDocument.application_id == application.id,
            SignedDocument.kind == SignedKind.RESULT.value,
            SignedDocument.state == SigningState.SIGNED.value,
            SignedDocument.revoked_at.is_(None),
        )
        .order_by(SignedDocument.id.desc())
        .limit(1)
    )


def tracking_number(typed: str) -> str:
    """The post office's tracking number as typed (spaces around it dropped), or the message saying what is wrong."""
    number = " ".join((typed or "").split()).upper()
    if not number:
        raise InvalidInput(_("Enter the tracking number the post office gave you."))
    if len(number) > TRACKING_MAX or not _TRACKING.match(number):
        raise InvalidInput(
            _(
                "A tracking number has only letters, digits and dashes, at most %(count)s characters.",
                count=TRACKING_MAX,
            )
        )
    return number


def hand_over(application: Application, actor: User, typed_tracking: str = "", version: int | None = None) -> None:
    """The reception clerk gave the signed result to the citizen at the counter, or posted it: the file ends."""
    check(actor, application, Action.DELIVER, version)
    signed = signed_result_of(application)
    if signed is None or signed.document_id is None:
        raise NotAllowed(_("The result has not been signed yet: the leader approves it by signing it first."))
    from onestop.payments.services import outstanding_amount

    unpaid = outstanding_amount(application)
    if unpaid:
        raise InvalidInput(
            _(
                "The fee of %(amount)s is not paid yet: the result is issued once the citizen has paid.",
                amount=dong(unpaid),
            )
        )
    posted = by_post(application)
    number = tracking_number(typed_tracking) if posted else ""
    for row in open_steps(application, Stage.DELIVERY):  # the clerk's step, and any parallel one
        steps.finish_step(application, row)
    previous = application.state
    application.state = ApplicationState.RETURNED
    record(application, actor, Handover.POSTED if posted else Handover.AT_COUNTER, previous, number)
    result = dict(signed.title)
    if posted:
        notify_applicant(application, "result_posted", result=result, tracking_number=number)
    else:
        notify_applicant(application, "result_handed_over", result=result)
    flush()
