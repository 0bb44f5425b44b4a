"""Processing, co-ordination and sending back: the steps after reception, as the route orders them.

Approval is the signing (onestop/results/signing.py) and delivery the signed result, online or on paper
(onestop/results/handover.py): no service here approves or issues a result unsigned.
"""

from __future__ import annotations

import enum
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from onestop import localtime
from onestop.accounts.models import Role, User
from onestop.datastore.models import IssuedType, Provenance
from onestop.datastore.services import add_document
from onestop.errors import InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.notifications.notify import notify_applicant
from onestop.procedures import clock
from onestop.procedures.filing import record_event
from onestop.procedures.models import Application, ApplicationState, ClockEntry, ClockKind, IssuedSlip, SlipKind
from onestop.procedures.route import Stage
from onestop.procedures.workflow import steps
from onestop.procedures.workflow.common import REASON_MAX, check, flush, issue, move, record, refresh_due, required
from onestop.procedures.workflow.notices import tell_holder
from onestop.procedures.workflow.table import Action

S = ApplicationState


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


class Opinion(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"


def specialists_of(application: Application, agency_id: int | None = None) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.agency_id == (agency_id or application.receiving_agency_id),
                User.role == Role.SPECIALIST,
                User.is_active.is_(True),
            )
            .order_by(User.full_name)
        )
    )


def assign(application: Application, actor: User, specialist_id: int, version: int | None = None) -> None:
    """A leader gives the step to a specialist of the agency; a specialist may take it themselves."""
    permit = check(actor, application, Action.ASSIGN, version)
    if actor.role == Role.SPECIALIST and specialist_id != actor.id:
        raise NotAllowed(_("A specialist can only take a file for themselves; a leader assigns it to others."))
    specialist = next(
        (user for user in specialists_of(application, permit.step.agency_id) if user.id == specialist_id), None
    )
    if specialist is None:
        raise InvalidInput(_("Choose a specialist of your agency."))
    if permit.step.holder_id == specialist.id:
        raise InvalidInput(_("This specialist already holds the file."))
    steps.hold(permit.step, specialist)
    application.holder_id = specialist.id
    if application.state_enum is S.RECEIVED:
        move(application, actor, Action.ASSIGN, S.IN_PROGRESS, specialist.full_name)
    else:
        application.updated_at = utcnow()
        record_event(application, actor, str(Action.ASSIGN), application.state, application.state, specialist.full_name)
    if specialist.id != actor.id:
        due = localtime.today(moment=permit.step.due_at) if permit.step.due_at else application.due_on
        tell_holder(application, specialist, "staff_assigned", by=actor.full_name, due_on=due)
    flush()


def propose(application: Application, actor: User, decision: str, note: str, version: int | None = None) -> None:
    """The specialist proposes to issue the result or to refuse; the file goes on along its route.

    A refusal goes straight to the leader: no co-ordinating agency is asked about a file being refused.
    """
    permit = check(actor, application, Action.PROPOSE, version)
    if decision not in set(Decision):
        raise InvalidInput(_("Choose whether to propose issuing the result or refusing."))
    if decision == Decision.REFUSE:
        note = required(note, _("Give the reason for refusing: the citizen will read it."))
    application.proposal = decision
    application.proposal_note = (note or "").strip()[:REASON_MAX]
    previous = application.state
    if decision == Decision.REFUSE:
        steps.skip_to(application, permit.step, Stage.APPROVAL)
    else:
        steps.finish_step(application, permit.step)
    record(application, actor, Action.PROPOSE, previous, application.proposal_note)
    flush()


def answer(
    application: Application, actor: User, opinion: str, note: str, received=None, version: int | None = None
) -> None:
    """A co-ordinating agency gives its opinion (and any partial result); the file goes on when all have."""
    permit = check(actor, application, Action.ANSWER, version)
    if opinion not in set(Opinion):
        raise InvalidInput(_("Say whether your agency agrees."))
    note = required(note, _("Write your agency's opinion: the lead agency reads it."))
    step = permit.step
    step.opinion = opinion
    step.note = note
    step.holder_id = actor.id
    if received is not None:
        owner = db.session.get(User, application.applicant_id)
        step.document = add_document(
            owner,
            IssuedType.OPINION,
            received,
            received.filename,
            added_by=actor,
            provenance=Provenance.ISSUED,
            issuer=localized(actor.agency.name, "vi"),  # stored in Vietnamese; pages name it per reader
            source_application_id=application.id,
        )
    previous = application.state
    steps.finish_step(application, step)
    record(application, actor, Action.ANSWER, previous, f"{actor.agency.display_name()}: {note}")
    flush()


def send_back(
    application: Application, actor: User, comment: str, version: int | None = None, step_id: str | None = None
) -> None:
    """The leader returns the file to an earlier step the route allows, with what to change."""
    permit = check(actor, application, Action.SEND_BACK, version)
    comment = required(comment, _("Say what the specialist should change."))
    targets = steps.send_back_targets(application, permit.step)
    target = next((step for step in targets if step.id == step_id), None) if step_id else (targets or [None])[0]
    if target is None:
        raise InvalidInput(_("Choose the step to send the file back to."))
    application.proposal = None
    previous = application.state
    steps.send_back(application, permit.step, target.id)
    record(application, actor, Action.SEND_BACK, previous, comment)
    holder = db.session.get(User, application.holder_id) if application.holder_id else None
    tell_holder(application, holder, "staff_returned", by=actor.full_name, comment=comment)
    flush()


def result_names(application: Application) -> dict | str:
    """What the result is called on the procedure's sheet ("Giấy khai sinh"), else the procedure's name: {vi, en}."""
    return (application.definition.get("result") or {}).get("name") or application.procedure.name


def result_title(application: Application, lang: str | None = None) -> str:
    """The result's name in `lang` (the reader's by default)."""
    return localized(result_names(application), lang)


def apologise(
    application: Application, actor: User, new_due_on: date | None, reason: str, version: int | None = None
) -> IssuedSlip:
    """Running late: the agency apologises in writing and promises a new date (Mẫu 04)."""
    check(actor, application, Action.APOLOGISE, version)
    reason = required(reason, _("Give the reason for the delay: the citizen will read it."))
    calendar = clock.calendar_for(application)
    if new_due_on is None or (application.due_on and new_due_on <= application.due_on):
        raise InvalidInput(_("The new date must be after the current due date."))
    if new_due_on <= clock.local_today(calendar):
        raise InvalidInput(_("The new date must be in the future."))
    if not calendar.is_working_day(new_due_on):
        raise InvalidInput(_("The new date must be a working day."))
    original = application.due_on
    application.clock.append(
        ClockEntry(kind=ClockKind.EXTEND, at=utcnow(), due_on=new_due_on, reason=reason, actor_id=actor.id)
    )
    refresh_due(application)
    application.updated_at = utcnow()
    record_event(application, actor, str(Action.APOLOGISE), application.state, application.state, reason)
    slip = issue(
        application,
        SlipKind.APOLOGY,
        actor,
        reason=reason,
        original_due_on=original.isoformat() if original else None,
        new_due_on=new_due_on.isoformat(),
    )
    notify_applicant(application, "due_date_moved", due_on=new_due_on, reason=reason)
    flush()
    return slip
