"""How a file reads: titles of events and slips, who holds it, what is due, for officers and applicants.

Templates ask these presenters; none of them compares a state or role string itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.procedures import clock
from onestop.procedures.models import FINAL_STATES, Application, ApplicationState, ApplicationStep, SlipKind
from onestop.procedures.route import Stage
from onestop.procedures.workflow.reception import supplement_items
from onestop.procedures.workflow.steps import route_of
from onestop.procedures.workflow.table import LABELS, Action, open_steps

S = ApplicationState


class Handover(enum.StrEnum):
    """History events of a paper result leaving the agency (onestop/results/handover.py); the table's action is
    `deliver`, the event says how, for the citizen's timeline and the tracking book."""

    AT_COUNTER = "handed_over"
    POSTED = "posted"


EVENT_TITLES = {
    "create": _l("Application started"),
    Action.SUBMIT: _l("Application sent"),
    Action.WITHDRAW: _l("Application withdrawn"),
    Action.ACCEPT: _l("Accepted by the agency; due date fixed"),
    Action.REQUEST_SUPPLEMENT: _l("Missing items asked for"),
    Action.ANSWER_SUPPLEMENT: _l("Missing items supplied"),
    Action.REFUSE: _l("Refused"),
    Action.TRANSFER: _l("Sent to another agency"),
    Action.ASSIGN: _l("Given to a specialist"),
    Action.PROPOSE: _l("Proposal sent to the leader"),
    Action.ANSWER: _l("Opinion of a co-ordinating agency received"),
    Action.APPROVE: _l("Decision approved by the leader"),
    Action.SEND_BACK: _l("Sent back to the specialist"),
    Action.DELIVER: _l("Result issued"),
    Handover.AT_COUNTER: _l("Result handed over at the counter"),
    Handover.POSTED: _l("Result posted"),
    Action.APOLOGISE: _l("Apology and new appointment date"),
}
SLIP_TITLES = {
    SlipKind.RECEIPT: _l("Receipt and appointment slip"),
    SlipKind.SUPPLEMENT: _l("Request to supplement the file"),
    SlipKind.REFUSAL: _l("Refusal slip"),
    SlipKind.APOLOGY: _l("Apology and new appointment slip"),
    SlipKind.CONTROL: _l("Process-control slip"),
}
STAGE_TITLES = {
    Stage.RECEPTION: _l("Reception"),
    Stage.PROCESSING: _l("Processing"),
    Stage.COORDINATION: _l("Co-ordination"),
    Stage.APPROVAL: _l("Approval"),
    Stage.DELIVERY: _l("Delivery of the result"),
}
# Internal steps an applicant is told about without the officers' notes.
INTERNAL_ACTIONS = frozenset({Action.ASSIGN, Action.PROPOSE, Action.SEND_BACK, Action.ANSWER})


def event_title(action: str) -> str:
    title = EVENT_TITLES.get(action)
    return str(title) if title else action


def staff_state_title(application: Application) -> str:
    """The state as an officer reads it: the model's titles speak to the applicant ("waiting for you")."""
    return staff_state_words(application.state_enum)


def staff_state_words(state: S) -> str:
    """`staff_state_title` for a state alone (list rows read without their application)."""
    if state is S.SUPPLEMENT_REQUESTED:
        return _("Waiting for the citizen to supply missing items")
    return state.title


def step_title(application: Application, row: ApplicationStep) -> str:
    try:
        title = route_of(application).step(row.step_id).title
    except KeyError:
        title = {}
    return localized(title) if title else str(STAGE_TITLES.get(Stage(row.stage), row.stage))


@dataclass(frozen=True)
class StepLine:
    """One visit to a step, as the file page, the timeline and the process-control slip show it."""

    title: str
    agency: str
    role: str
    holder: str
    entered_at: datetime
    due_at: datetime | None
    left_at: datetime | None
    mark: str  # "early", "on_time", "late", or "" while open or without a budget
    countdown: clock.Countdown | None
    opinion: str
    note: str
    is_open: bool


def mark_of(row: ApplicationStep, calendar) -> str:
    if row.left_at is None or row.due_at is None:
        return ""
    if row.left_at > row.due_at:
        return "late"
    if calendar.local(row.left_at).date() < calendar.local(row.due_at).date():
        return "early"
    return "on_time"


MARK_TITLES = {"early": _l("early"), "on_time": _l("on time"), "late": _l("late")}


def step_lines(application: Application, now: datetime | None = None) -> list[StepLine]:
    calendar = clock.calendar_for(application)
    today = calendar.local(now or utcnow()).date()
    lines = []
    for row in application.steps:
        due_day = calendar.local(row.due_at).date() if row.due_at else None
        lines.append(
            StepLine(
                title=step_title(application, row),
                agency=row.agency.display_name(),
                role=Role(row.role).title,
                holder=row.holder.full_name if row.holder else "",
                entered_at=row.entered_at,
                due_at=row.due_at,
                left_at=row.left_at,
                mark=mark_of(row, calendar),
                countdown=clock.countdown_to(due_day, calendar, today) if row.left_at is None and due_day else None,
                opinion=str(_("agrees")) if row.opinion == "agree" else str(_("disagrees")) if row.opinion else "",
                note=row.note,
                is_open=row.left_at is None,
            )
        )
    return lines


def who_acts_next(application: Application) -> str:
    """For officers: who has the next move on this file, named so that they can find it."""
    if application.state_enum in FINAL_STATES:
        return _("Nobody: the file is closed")
    if application.state_enum is S.SUPPLEMENT_REQUESTED:
        return _("The citizen, who must supply the missing items")
    parts = []
    for row in open_steps(application):
        who = row.holder.full_name if row.holder else Role(row.role).title
        parts.append(_("%(who)s, %(agency)s", who=who, agency=row.agency.display_name()))
    return "; ".join(parts) or application.receiving_agency.display_name()


@dataclass(frozen=True)
class CitizenStatus:
    """The status box of the applicant's timeline and of the public lookup, in plain words."""

    title: str
    holder: str
    due_on: date | None
    due_note: str
    countdown: clock.Countdown | None
    result_ready: bool
    is_draft: bool
    paper_note: str = ""  # where the paper copy of a signed result is, until it is handed over or posted


def citizen_status(application: Application, now: datetime | None = None) -> CitizenStatus:
    state = application.state_enum
    calendar = clock.calendar_for(application) if application.code else None
    countdown = clock.countdown(application, calendar, now) if calendar else None
    if state is S.DRAFT:
        holder = _("You: it has not been sent yet")
    elif state is S.WITHDRAWN:
        holder = _("Nobody: it was withdrawn")
    elif state in FINAL_STATES:
        holder = _("%(agency)s has finished with it", agency=application.receiving_agency.display_name())
    elif state is S.SUPPLEMENT_REQUESTED:
        holder = _("You: the agency is waiting for the missing items")
    else:
        holder = "; ".join(_holder_line(application, row, calendar) for row in open_steps(application))
        holder = holder or application.receiving_agency.display_name()
    due_note = ""
    if application.due_on is None:
        if state is S.SUPPLEMENT_REQUESTED and application.resume_state == S.IN_PROGRESS:
            due_note = _("The clock is stopped until you send the missing items")
        elif state in FINAL_STATES:
            due_note = "—"
        else:
            due_note = _("Set when the agency accepts the application")
    paper_note = _paper_note(application) if state is S.APPROVED else ""
    return CitizenStatus(
        title=state.title,
        holder=holder,
        due_on=application.due_on,
        due_note=due_note,
        countdown=countdown,
        result_ready=state is S.RETURNED or bool(paper_note),
        is_draft=state is S.DRAFT,
        paper_note=paper_note,
    )


def _paper_note(application: Application) -> str:
    """Signed, in the warehouse, and a paper copy still to come: where it is (nothing before the signing)."""
    from onestop.results.handover import by_post, delivers_on_paper, signed_result_of

    if not delivers_on_paper(application) or signed_result_of(application) is None:
        return ""
    if by_post(application):
        return _("The paper copy will be posted to you; you will be told its tracking number.")
    return _(
        "The paper copy is ready at the counter of %(agency)s.", agency=application.receiving_agency.display_name()
    )


def _holder_line(application: Application, row: ApplicationStep, calendar) -> str:
    name = row.agency.display_name()
    if row.holder and row.agency_id == application.receiving_agency_id:
        name = f"{name} ({row.holder.full_name})"
    if row.due_at is not None and calendar is not None:
        return _("%(agency)s, until %(due)s", agency=name, due=f"{calendar.local(row.due_at):%d/%m/%Y}")
    return name


def event_reason(event) -> str:
    """An event's note for a page: a supplement request lists its items in the reader's language."""
    if event.action == Handover.POSTED and event.reason:
        return _("Tracking number: %(number)s", number=event.reason)
    if event.action != Action.REQUEST_SUPPLEMENT:
        return event.reason or ""
    application = event.application
    asked = [other for other in application.events if other.action == Action.REQUEST_SUPPLEMENT]
    requests = application.supplements
    if len(asked) != len(requests):
        return event.reason or ""
    request = requests[asked.index(event)]
    return "\n".join(f"{item['title']}: {item['note']}" for item in supplement_items(request))


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    text: str
    detail: str


def citizen_timeline(application: Application) -> list[TimelineLine]:
    """What happened, newest first, told to the applicant: "you" for their own doings, notes theirs to read."""
    agency = application.receiving_agency.display_name()
    lines = []
    for event in reversed(application.events):
        detail = ""
        if event.action == "create":
            text = _("You started the application.")
        elif event.action == Action.SUBMIT:
            text = _("You sent the application to %(agency)s.", agency=agency)
        elif event.action == Action.WITHDRAW:
            text = _("You withdrew the application.")
            detail = event.reason
        elif event.action == Action.ANSWER_SUPPLEMENT:
            text = _("You supplied the missing items.")
            detail = event.reason
        else:
            text = event_title(event.action)
            shows_reason = event.action not in INTERNAL_ACTIONS and not (
                event.action == Action.APPROVE and event.to_state != S.REFUSED
            )
            detail = event_reason(event) if shows_reason else ""
        lines.append(TimelineLine(event.created_at, text, detail or ""))
    lines += _payment_lines(application)
    return sorted(lines, key=lambda line: line.at, reverse=True)


def _payment_lines(application: Application) -> list[TimelineLine]:
    """Money moves belong to what happened: the fee paid, and any refund."""
    from onestop.payments.fees import dong
    from onestop.payments.models import RefundState
    from onestop.payments.services import payment_status

    status = payment_status(application)
    if status is None:
        return []
    lines = [
        TimelineLine(attempt.finished_at, _("You paid %(amount)s online.", amount=dong(attempt.amount)), "")
        for attempt in status.paid_attempts
        if attempt.finished_at
    ]
    lines += [
        TimelineLine(refund.finished_at, _("%(amount)s was refunded to you.", amount=dong(refund.amount)), "")
        for refund in status.refunds
        if refund.state_enum is RefundState.DONE and refund.finished_at
    ]
    return lines


def message_authors(application: Application) -> dict[int, str]:
    """Who wrote each message, as the reader sees it: the citizen by name, an officer with their agency."""
    ids = {message.author_id for message in application.messages}
    names = {}
    for user in db.session.scalars(select(User).where(User.id.in_(ids))) if ids else []:
        names[user.id] = (
            f"{user.full_name} ({user.agency.display_name()})" if user.is_staff and user.agency else user.full_name
        )
    return names


def action_labels() -> dict[Action, str]:
    return dict(LABELS)
