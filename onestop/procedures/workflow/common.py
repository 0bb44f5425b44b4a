"""What every workflow service does around its own rule: check, move, record, flush."""

from __future__ import annotations

from flask_babel import gettext as _

from onestop.accounts.models import User
from onestop.errors import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.procedures import clock
from onestop.procedures.filing import record_event
from onestop.procedures.models import (
    FINAL_STATES,
    Application,
    ApplicationState,
    ClockEntry,
    ClockKind,
    IssuedSlip,
    SlipKind,
    StepOutcome,
)
from onestop.procedures.route import Stage
from onestop.procedures.workflow import steps
from onestop.procedures.workflow.facts import slip_facts
from onestop.procedures.workflow.table import Action, Permit, Who, may_handle, refusal, transition_for

REASON_MAX = 2000


def check(actor: User, application: Application, action: Action, version: int | None = None) -> Permit:
    """The permit for this action, or the refusal the person is told; nothing is changed either way."""
    transition = transition_for(application, action)
    staff_action = transition.stage is not None or Who.LEAD_LEADER in transition.who
    if staff_action and not may_handle(actor, application):
        raise NotFound(_("There is no such application in your agency's files."))
    if not staff_action and actor.id not in (application.applicant_id, application.submitter_id):
        raise NotFound(_("There is no such application in your account."))
    if transition.stage is Stage.COORDINATION:
        # Parallel co-ordinating agencies answer their own steps independently: wait for any other
        # answer to this file to commit, read the file as it then is, and take no stale-version refusal.
        db.session.refresh(application, with_for_update=True)
        for row in application.steps:
            db.session.refresh(row)
        version = None
    if version is not None and version != application.row_version:
        raise Conflict(
            _("Someone else changed this application while you were looking at it. Check its new state and try again.")
        )
    reason, permit = refusal(actor, application, transition)
    if reason:
        raise NotAllowed(reason)
    return permit


def get_for_staff(actor: User, application_id: int) -> Application:
    """The application if this officer's agency handles it (or a step of it); otherwise as if it did not exist."""
    application = db.session.get(Application, application_id)
    if application is None or not may_handle(actor, application):
        raise NotFound(_("There is no such application in your agency's files."))
    return application


def required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message)
    return text[:REASON_MAX]


def record(application: Application, actor: User | None, action: Action | str, previous, reason: str = "") -> None:
    """Write the history event of a change already made to the application's state."""
    application.updated_at = utcnow()
    if application.state_enum in FINAL_STATES and previous not in FINAL_STATES:
        application.finished_at = application.updated_at
        application.holder_id = None
        steps.leave_all(
            application,
            StepOutcome.ENDED if application.state_enum is not ApplicationState.RETURNED else StepOutcome.DONE,
        )
    record_event(application, actor, str(action), previous, application.state, reason)


def move(application: Application, actor: User | None, action: Action, to_state, reason: str = "") -> None:
    previous = application.state
    application.state = to_state
    record(application, actor, action, previous, reason)


def flush() -> None:
    """Write now, so that a lost race (StaleDataError) surfaces inside the service, before any reply."""
    db.session.flush()


def processing_days(application: Application) -> int:
    return int(
        (application.definition.get("processing_time") or {}).get("working_days", application.procedure.processing_days)
    )


def start_clock(application: Application, actor: User | None, reason: str) -> None:
    application.clock.append(
        ClockEntry(
            kind=ClockKind.START,
            at=utcnow(),
            working_days=processing_days(application),
            reason=reason,
            actor_id=actor.id if actor else None,
        )
    )
    refresh_due(application)


def refresh_due(application: Application) -> None:
    application.due_on = clock.compute(application, clock.calendar_for(application)).due_on


def issue(application: Application, kind: SlipKind, actor: User, **facts) -> IssuedSlip:
    """Freeze what the slip says at the moment it is issued; the PDF is drawn from these facts."""
    slip = IssuedSlip(kind=kind, issued_by_id=actor.id, facts=slip_facts(application, actor) | facts)
    application.slips.append(slip)
    from onestop.results.seal import prepare

    prepare(application, slip)  # its verification code, and its seal after the commit
    return slip
