"""The application lifecycle of DESIGN.md as one declared state machine.

    draft ─submit→ submitted ─accept→ received ─assign→ in_progress ─propose→ awaiting_approval
    ─approve→ approved ─deliver→ returned;  awaiting_approval ─send_back→ in_progress;
    submitted / in_progress ─request_supplement→ supplement_requested ─answer_supplement→ (back);
    submitted ─refuse→ refused;  awaiting_approval ─approve a proposal to refuse→ refused;
    submitted ─transfer→ submitted at another agency;  draft / submitted ─withdraw→ withdrawn.

Submitting and withdrawing live in onestop/procedures/filing.py; everything the back office does is
here. Every transition is a service call that checks the actor's role and agency against the
application, refuses with a clear message (changing nothing) when the action is not allowed from
the current state or for this actor, writes the history event (which subscribers such as payments
and the audit trail hear about), moves the clock, issues the slip and queues the citizen's
notification, then flushes. The request commits all of it at once. Two officers acting on the same
application at once: the application's row_version makes the second UPDATE match no row, and the
loser is told (Conflict) with nothing applied.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.datastore.models import Document, Provenance
from onestop.datastore.services import add_document
from onestop.errors import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.procedures import clock
from onestop.procedures.filing import attach_document, document_slots, record_event, warehouse_document_for
from onestop.procedures.filling import address_line
from onestop.procedures.models import (
    FINAL_STATES,
    Application,
    ApplicationMessage,
    ApplicationState,
    ClockEntry,
    ClockKind,
    DocumentType,
    IssuedSlip,
    SlipKind,
    SupplementRequest,
)
from onestop.provinces.models import Agency

S = ApplicationState
REASON_MAX = 2000


class Action(enum.StrEnum):
    ACCEPT = "accept"
    REQUEST_SUPPLEMENT = "request_supplement"
    ANSWER_SUPPLEMENT = "answer_supplement"
    REFUSE = "refuse"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    PROPOSE = "propose"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    DELIVER = "deliver"
    APOLOGISE = "apologise"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[ApplicationState]
    roles: frozenset[Role]
    label: str
    # Only the officer holding the file (the assigned specialist) may take this action.
    holder_only: bool = False


def _t(action, sources, roles, label, holder_only=False) -> Transition:
    return Transition(action, frozenset(sources), frozenset(roles), label, holder_only)


CLERK, SPECIALIST, LEADER = Role.CLERK, Role.SPECIALIST, Role.LEADER
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.ACCEPT, {S.SUBMITTED}, {CLERK}, _l("Accept")),
        _t(Action.REQUEST_SUPPLEMENT, {S.SUBMITTED}, {CLERK}, _l("Ask for missing items")),
        _t(Action.REFUSE, {S.SUBMITTED}, {CLERK}, _l("Refuse")),
        _t(Action.TRANSFER, {S.SUBMITTED}, {CLERK}, _l("Transfer to another agency")),
        _t(Action.ASSIGN, {S.RECEIVED, S.IN_PROGRESS}, {LEADER, SPECIALIST}, _l("Assign")),
        _t(Action.PROPOSE, {S.IN_PROGRESS}, {SPECIALIST}, _l("Propose a decision"), holder_only=True),
        _t(Action.APPROVE, {S.AWAITING_APPROVAL}, {LEADER}, _l("Approve the proposal")),
        _t(Action.SEND_BACK, {S.AWAITING_APPROVAL}, {LEADER}, _l("Send back to the specialist")),
        _t(Action.DELIVER, {S.APPROVED}, {CLERK}, _l("Issue the result")),
        _t(
            Action.APOLOGISE,
            {S.RECEIVED, S.IN_PROGRESS, S.AWAITING_APPROVAL, S.APPROVED},
            {LEADER},
            _l("Apologise and set a new date"),
        ),
    )
}
# During processing the specialist holding the file may also ask for missing items, once.
PROCESSING_SUPPLEMENT = _t(
    Action.REQUEST_SUPPLEMENT, {S.IN_PROGRESS}, {SPECIALIST}, _l("Ask for missing items"), holder_only=True
)


# --- Who may do what --------------------------------------------------------------------------------


def _refusal(actor: User, application: Application, transition: Transition) -> str | None:
    """Why this officer may not take this action on this application now; None if they may."""
    if application.state_enum not in transition.sources:
        return _("This cannot be done now: the application is “%(state)s”.", state=application.state_enum.title)
    if actor.role not in transition.roles:
        return _("Your role does not allow this action.")
    if transition.holder_only and application.holder_id != actor.id:
        return _("Only the officer holding this application can do this.")
    return None


def transition_for(application: Application, action: Action) -> Transition:
    if action is Action.REQUEST_SUPPLEMENT and application.state_enum is S.IN_PROGRESS:
        return PROCESSING_SUPPLEMENT
    return TRANSITIONS[action]


def may_handle(actor: User, application: Application) -> bool:
    """Staff of the agency holding a sent application; nobody else sees it in the back office."""
    return (
        actor.is_authenticated
        and actor.is_active
        and actor.is_staff
        and actor.agency_id is not None
        and actor.agency_id == application.receiving_agency_id
        and application.state_enum is not S.DRAFT
    )


def get_for_staff(actor: User, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not may_handle(actor, application):
        raise NotFound(_("There is no such application in your agency's files."))
    return application


def available_actions(actor: User, application: Application) -> list[Transition]:
    if not may_handle(actor, application):
        return []
    found = []
    for action in Action:
        if action is Action.ANSWER_SUPPLEMENT:
            continue
        transition = transition_for(application, action)
        if _refusal(actor, application, transition) is None and _extra_refusal(application, action) is None:
            found.append(transition)
    return found


def _extra_refusal(application: Application, action: Action) -> str | None:
    if (
        action is Action.REQUEST_SUPPLEMENT
        and application.state_enum is S.IN_PROGRESS
        and any(request.stage == S.IN_PROGRESS for request in application.supplements)
    ):
        return _("Missing items can be asked for only once during processing.")
    return None


def _check(actor: User, application: Application, action: Action, version: int | None) -> Transition:
    if not may_handle(actor, application):
        raise NotFound(_("There is no such application in your agency's files."))
    if version is not None and version != application.row_version:
        raise Conflict(
            _("Someone else changed this application while you were looking at it. Check its new state and try again.")
        )
    transition = transition_for(application, action)
    reason = _refusal(actor, application, transition) or _extra_refusal(application, action)
    if reason:
        raise NotAllowed(reason)
    return transition


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message)
    return text[:REASON_MAX]


def _move(application: Application, actor: User | None, action: Action, to_state: ApplicationState, reason: str = ""):
    previous = application.state
    application.state = to_state
    application.updated_at = utcnow()
    if to_state in FINAL_STATES:
        application.finished_at = application.updated_at
        application.holder_id = None
    record_event(application, actor, str(action), previous, to_state, reason)


def _flush() -> None:
    """Write now, so that a lost race (StaleDataError) surfaces inside the service, before any reply."""
    db.session.flush()


# --- Reception -------------------------------------------------------------------------------------


def processing_days(application: Application) -> int:
    return int(
        (application.definition.get("processing_time") or {}).get("working_days", application.procedure.processing_days)
    )


def _start_clock(application: Application, actor: User, reason: str) -> None:
    now = utcnow()
    application.clock.append(
        ClockEntry(
            kind=ClockKind.START, at=now, working_days=processing_days(application), reason=reason, actor_id=actor.id
        )
    )
    _refresh_due(application)


def _refresh_due(application: Application) -> None:
    application.due_on = clock.compute(application, clock.calendar_for(application)).due_on


def accept(application: Application, actor: User, version: int | None = None) -> IssuedSlip:
    """The file is complete: receive it, fix the due date and issue the receipt and appointment slip."""
    _check(actor, application, Action.ACCEPT, version)
    now = utcnow()
    application.accepted_at = now
    _move(application, actor, Action.ACCEPT, S.RECEIVED)
    _start_clock(application, actor, "accepted")
    slip = _issue(application, SlipKind.RECEIPT, actor, processing_days=processing_days(application))
    _tell_citizen(
        application,
        _("Application %(code)s accepted", code=application.code),
        _(
            "Your application %(code)s was accepted by %(agency)s. The result is due on %(due)s. "
            "Your receipt and appointment slip is in your account.",
            code=application.code,
            agency=application.receiving_agency.display_name(),
            due=f"{application.due_on:%d/%m/%Y}",
        ),
    )
    _flush()
    return slip


@dataclass(frozen=True)
class SupplementItem:
    kind: str  # "document" (a document type of the procedure) or "other"
    key: str
    title: str
    note: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "key": self.key, "title": self.title, "note": self.note}


def supplement_choices(application: Application) -> list[dict]:
    """The document slots an officer can ask for again, as {code, name}."""
    codes = [slot["type"] for slot in document_slots(application)]
    names = {
        row.code: row.display_name()
        for row in db.session.scalars(
            select(DocumentType).where(
                DocumentType.province_id == application.procedure.province_id, DocumentType.code.in_(codes)
            )
        )
    }
    return [{"code": code, "name": names.get(code, code)} for code in codes]


def request_supplement(
    application: Application, actor: User, items: list[SupplementItem], version: int | None = None
) -> SupplementRequest:
    """Ask for every missing or wrong item in one go; the clock stops until the citizen answers."""
    _check(actor, application, Action.REQUEST_SUPPLEMENT, version)
    if not items:
        raise InvalidInput(_("List at least one missing or wrong item, with what is wrong."))
    slot_names = {choice["code"]: choice["name"] for choice in supplement_choices(application)}
    for item in items:
        if item.kind == "document" and item.key not in slot_names:
            raise InvalidInput(_("This procedure does not ask for that document."))
        if not item.note.strip():
            raise InvalidInput(_("Say what is missing or wrong for each item you tick."))
    stage = application.state
    request = SupplementRequest(
        requested_by_id=actor.id,
        stage=stage,
        items=[
            SupplementItem(i.kind, i.key, i.title or slot_names.get(i.key, ""), i.note.strip()[:REASON_MAX]).as_dict()
            for i in items
        ],
    )
    application.supplements.append(request)
    application.resume_state = stage
    summary = "\n".join(f"{item['title']}: {item['note']}" for item in request.items)
    if stage == S.IN_PROGRESS:
        application.clock.append(
            ClockEntry(kind=ClockKind.SUSPEND, at=utcnow(), reason=_("waiting for missing items"), actor_id=actor.id)
        )
    _move(application, actor, Action.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, summary)
    _refresh_due(application)
    _issue(application, SlipKind.SUPPLEMENT, actor, items=request.items)
    _tell_citizen(
        application,
        _("Application %(code)s: items missing", code=application.code),
        _(
            "%(agency)s needs more from you before it can go on with application %(code)s:\n%(items)s\n\n"
            "Supply only these items online; everything else you sent is kept.",
            agency=application.receiving_agency.display_name(),
            code=application.code,
            items="\n".join(f"- {item['title']}: {item['note']}" for item in request.items),
        ),
    )
    _flush()
    return request


def open_supplement(application: Application) -> SupplementRequest | None:
    if application.state_enum is not S.SUPPLEMENT_REQUESTED:
        return None
    pending = [request for request in application.supplements if request.answered_at is None]
    return pending[-1] if pending else None


def supply_document(
    application: Application, citizen: User, type_code: str, received=None, document_id=None
) -> Document:
    """The citizen sends a requested document again: a new upload or one from their warehouse."""
    request = _own_open_supplement(application, citizen)
    if not any(item["kind"] == "document" and item["key"] == type_code for item in request.items):
        raise InvalidInput(_("This document was not asked for."))
    owner = db.session.get(User, application.applicant_id)
    if received is not None:
        document = add_document(
            owner, type_code, received, received.filename, added_by=citizen, source_application_id=application.id
        )
    else:
        document = warehouse_document_for(application, citizen, type_code, document_id or 0)
    # The new paper replaces what was sent for that slot; the old one stays in the warehouse.
    for link in list(application.documents):
        if link.document_type_code == type_code:
            application.documents.remove(link)
    attach_document(application, type_code, document)
    return document


def supplied(application: Application, request: SupplementRequest) -> set[str]:
    """The requested document types that have a paper added since the request."""
    return {
        link.document_type_code
        for link in application.documents
        # A link not yet flushed has no time yet: it was attached in this very request.
        if link.attached_at is None or link.attached_at >= request.requested_at
    }


def _own_open_supplement(application: Application, citizen: User) -> SupplementRequest:
    if citizen.id not in (application.applicant_id, application.submitter_id):
        raise NotFound(_("There is no such application in your account."))
    request = open_supplement(application)
    if request is None:
        raise NotAllowed(_("Nothing is being asked of you for this application."))
    return request


def answer_supplement(application: Application, citizen: User, note: str) -> None:
    """The citizen has supplied everything asked: the file goes back to where it was."""
    request = _own_open_supplement(application, citizen)
    done = supplied(application, request)
    missing = [item["title"] for item in request.items if item["kind"] == "document" and item["key"] not in done]
    if missing:
        raise InvalidInput(_("Still missing: %(items)s.", items=", ".join(missing)))
    needs_note = any(item["kind"] == "other" for item in request.items)
    if needs_note and not note.strip():
        raise InvalidInput(_("Answer the points the agency raised in the box below."))
    now = utcnow()
    request.answered_at = now
    request.answer_note = note.strip()[:REASON_MAX]
    back_to = ApplicationState(request.stage)
    _move(application, citizen, Action.ANSWER_SUPPLEMENT, back_to, request.answer_note)
    application.resume_state = None
    if back_to is S.IN_PROGRESS:
        # The processing time counts again from the complete file (workflow.md, §4).
        application.clock.append(
            ClockEntry(kind=ClockKind.START, at=now, working_days=processing_days(application), reason="resumed")
        )
    _refresh_due(application)
    _flush()


def refuse(application: Application, actor: User, reason: str, version: int | None = None) -> IssuedSlip:
    """Refuse to receive the file, with the reason the citizen will read."""
    _check(actor, application, Action.REFUSE, version)
    reason = _required(reason, _("Give the reason for the refusal: the citizen will read it."))
    _move(application, actor, Action.REFUSE, S.REFUSED, reason)
    slip = _issue(application, SlipKind.REFUSAL, actor, reason=reason)
    _tell_refusal(application, reason)
    _flush()
    return slip


def transfer_targets(application: Application) -> list[Agency]:
    return list(
        db.session.scalars(
            select(Agency)
            .where(
                Agency.province_id == application.receiving_agency.province_id,
                Agency.is_active.is_(True),
                Agency.id != application.receiving_agency_id,
            )
            .order_by(Agency.code)
        )
    )


def transfer(application: Application, actor: User, agency_id: int, note: str, version: int | None = None) -> None:
    """Send the file to the agency that should handle it: same code, nothing re-entered, citizen told."""
    _check(actor, application, Action.TRANSFER, version)
    note = _required(note, _("Say why the file goes to that agency: the citizen will read it."))
    target = next((agency for agency in transfer_targets(application) if agency.id == agency_id), None)
    if target is None:
        raise InvalidInput(_("Choose the agency to send the file to."))
    source = application.receiving_agency
    application.receiving_agency_id = target.id
    application.receiving_agency = target
    previous = application.state
    application.updated_at = utcnow()
    record_event(
        application,
        actor,
        str(Action.TRANSFER),
        previous,
        previous,
        _(
            "From %(source)s to %(target)s: %(note)s",
            source=source.display_name(),
            target=target.display_name(),
            note=note,
        ),
    )
    _tell_citizen(
        application,
        _("Application %(code)s sent to %(agency)s", code=application.code, agency=target.display_name()),
        _(
            "%(source)s is not the agency that handles this application, so it sent your file to %(target)s. "
            "The code %(code)s stays the same and you do not need to file again.\n\nReason: %(note)s",
            source=source.display_name(),
            target=target.display_name(),
            code=application.code,
            note=note,
        ),
    )
    _flush()


# --- Processing and approval --------------------------------------------------------------------------


def specialists_of(application: Application) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.agency_id == application.receiving_agency_id,
                User.role == Role.SPECIALIST,
                User.is_active.is_(True),
            )
            .order_by(User.full_name)
        )
    )


def assign(application: Application, actor: User, specialist_id: int, version: int | None = None) -> None:
    """A leader gives the file to a specialist of the agency; a specialist may take it themselves."""
    _check(actor, application, Action.ASSIGN, version)
    if actor.role == Role.SPECIALIST and specialist_id != actor.id:
        raise NotAllowed(_("A specialist can only take a file for themselves; a leader assigns it to others."))
    specialist = next((user for user in specialists_of(application) if user.id == specialist_id), None)
    if specialist is None:
        raise InvalidInput(_("Choose a specialist of your agency."))
    if application.holder_id == specialist.id:
        raise InvalidInput(_("This specialist already holds the file."))
    application.holder_id = specialist.id
    if application.state_enum is S.RECEIVED:
        _move(application, actor, Action.ASSIGN, S.IN_PROGRESS, specialist.full_name)
    else:
        application.updated_at = utcnow()
        record_event(application, actor, str(Action.ASSIGN), application.state, application.state, specialist.full_name)
    _flush()


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


def propose(application: Application, actor: User, decision: str, note: str, version: int | None = None) -> None:
    """The specialist proposes to issue the result or to refuse; the leader decides."""
    _check(actor, application, Action.PROPOSE, version)
    if decision not in set(Decision):
        raise InvalidInput(_("Choose whether to propose issuing the result or refusing."))
    if decision == Decision.REFUSE:
        note = _required(note, _("Give the reason for refusing: the citizen will read it."))
    application.proposal = decision
    application.proposal_note = (note or "").strip()[:REASON_MAX]
    _move(application, actor, Action.PROPOSE, S.AWAITING_APPROVAL, application.proposal_note)
    _flush()


def approve(application: Application, actor: User, version: int | None = None) -> None:
    """The leader approves the specialist's proposal: the result is issued, or the refusal is sent."""
    _check(actor, application, Action.APPROVE, version)
    if application.proposal == Decision.REFUSE:
        reason = application.proposal_note
        _move(application, actor, Action.APPROVE, S.REFUSED, reason)
        _issue(application, SlipKind.REFUSAL, actor, reason=reason)
        _tell_refusal(application, reason)
    else:
        # The specialist's note stays on the proposal: it is internal, and this event is shown to the citizen.
        _move(application, actor, Action.APPROVE, S.APPROVED)
        _tell_citizen(
            application,
            _("Application %(code)s approved", code=application.code),
            _(
                "Your application %(code)s was approved. You will be told as soon as the result is issued.",
                code=application.code,
            ),
        )
    _flush()


def send_back(application: Application, actor: User, comment: str, version: int | None = None) -> None:
    _check(actor, application, Action.SEND_BACK, version)
    comment = _required(comment, _("Say what the specialist should change."))
    application.proposal = None
    _move(application, actor, Action.SEND_BACK, S.IN_PROGRESS, comment)
    _flush()


def deliver(application: Application, actor: User, received, title: str, version: int | None = None) -> Document:
    """Issue the result: the paper goes into the applicant's warehouse and the application is done."""
    _check(actor, application, Action.DELIVER, version)
    from onestop.payments.services import outstanding_amount

    unpaid = outstanding_amount(application)
    if unpaid:
        raise InvalidInput(
            _(
                "The fee of %(amount)s đ is not paid yet: the result is issued once the citizen has paid.",
                amount=f"{unpaid:,}".replace(",", "."),
            )
        )
    if received is None:
        raise InvalidInput(_("Attach the result document (PDF) to issue it."))
    owner = db.session.get(User, application.applicant_id)
    document = add_document(
        owner,
        "ket-qua",
        received,
        (title or "").strip()[:300] or application.procedure.display_name(),
        added_by=actor,
        provenance=Provenance.ISSUED,
        issuer=application.receiving_agency.display_name(),
        issued_on=clock.local_today(clock.calendar_for(application)),
        source_application_id=application.id,
    )
    _move(application, actor, Action.DELIVER, S.RETURNED)
    _tell_citizen(
        application,
        _("Result of application %(code)s issued", code=application.code),
        _(
            "The result of your application %(code)s has been issued. It is in your electronic data "
            "warehouse; you can download it from your account.",
            code=application.code,
        ),
    )
    _flush()
    return document


def apologise(
    application: Application, actor: User, new_due_on: date | None, reason: str, version: int | None = None
) -> IssuedSlip:
    """Running late: the agency apologises in writing and promises a new date (Mẫu 04)."""
    _check(actor, application, Action.APOLOGISE, version)
    reason = _required(reason, _("Give the reason for the delay: the citizen will read it."))
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
    _refresh_due(application)
    application.updated_at = utcnow()
    record_event(application, actor, str(Action.APOLOGISE), application.state, application.state, reason)
    slip = _issue(
        application,
        SlipKind.APOLOGY,
        actor,
        reason=reason,
        original_due_on=original.isoformat() if original else None,
        new_due_on=new_due_on.isoformat(),
    )
    _tell_citizen(
        application,
        _("Application %(code)s: new appointment date", code=application.code),
        _(
            "We apologise: your application %(code)s will not be ready on the date promised. "
            "The new date is %(due)s.\n\nReason: %(reason)s",
            code=application.code,
            due=f"{new_due_on:%d/%m/%Y}",
            reason=reason,
        ),
    )
    _flush()
    return slip


# --- What the history says, in words ---------------------------------------------------------------------

EVENT_TITLES = {
    "create": _l("Application started"),
    "submit": _l("Application sent"),
    "withdraw": _l("Application withdrawn"),
    Action.ACCEPT: _l("Accepted by the agency; due date fixed"),
    Action.REQUEST_SUPPLEMENT: _l("Missing items asked for"),
    Action.ANSWER_SUPPLEMENT: _l("Missing items supplied"),
    Action.REFUSE: _l("Refused"),
    Action.TRANSFER: _l("Sent to another agency"),
    Action.ASSIGN: _l("Given to a specialist"),
    Action.PROPOSE: _l("Proposal sent to the leader"),
    Action.APPROVE: _l("Decision approved by the leader"),
    Action.SEND_BACK: _l("Sent back to the specialist"),
    Action.DELIVER: _l("Result issued"),
    Action.APOLOGISE: _l("Apology and new appointment date"),
}
SLIP_TITLES = {
    SlipKind.RECEIPT: _l("Receipt and appointment slip"),
    SlipKind.SUPPLEMENT: _l("Request to supplement the file"),
    SlipKind.REFUSAL: _l("Refusal slip"),
    SlipKind.APOLOGY: _l("Apology and new appointment slip"),
    SlipKind.CONTROL: _l("Process-control slip"),
}
# Internal steps a citizen is told about without the officers' notes.
INTERNAL_ACTIONS = {Action.ASSIGN, Action.PROPOSE, Action.SEND_BACK}


def event_title(action: str) -> str:
    title = EVENT_TITLES.get(action)
    return str(title) if title else action


def message_authors(application: Application) -> dict[int, str]:
    """Who wrote each message, as the reader sees it: the citizen by name, an officer with their agency."""
    ids = {message.author_id for message in application.messages}
    names = {}
    for user in db.session.scalars(select(User).where(User.id.in_(ids))) if ids else []:
        names[user.id] = (
            f"{user.full_name} ({user.agency.display_name()})" if user.is_staff and user.agency else user.full_name
        )
    return names


# --- Messages -------------------------------------------------------------------------------------------


def may_write(user: User, application: Application) -> bool:
    if application.state_enum is S.DRAFT:
        return False
    return user.id in (application.applicant_id, application.submitter_id) or may_handle(user, application)


def post_message(application: Application, author: User, body: str, received=None) -> ApplicationMessage:
    if not may_write(author, application):
        raise NotFound(_("There is no such application in your account."))
    body = (body or "").strip()
    if not body and received is None:
        raise InvalidInput(_("Write a message or attach a file."))
    document = None
    if received is not None:
        owner = db.session.get(User, application.applicant_id)
        document = add_document(
            owner,
            "tin-nhan",
            received,
            received.filename,
            added_by=author,
            provenance=Provenance.ISSUED if author.is_staff else Provenance.UPLOADED,
            source_application_id=application.id,
        )
    message = ApplicationMessage(author_id=author.id, body=body[: REASON_MAX * 2], document=document)
    application.messages.append(message)
    if author.is_staff:
        _tell_citizen(
            application,
            _("New message about application %(code)s", code=application.code),
            _(
                "%(agency)s wrote to you about application %(code)s:\n\n%(body)s",
                agency=application.receiving_agency.display_name(),
                code=application.code,
                body=body,
            ),
        )
    db.session.flush()
    return message


# --- Slips and notifications ----------------------------------------------------------------------------


def _issue(application: Application, kind: SlipKind, actor: User, **facts) -> IssuedSlip:
    """Freeze what the slip says at the moment it is issued; the PDF is drawn from these facts."""
    slip = IssuedSlip(kind=kind, issued_by_id=actor.id, facts=slip_facts(application, actor) | facts)
    application.slips.append(slip)
    return slip


def slip_facts(application: Application, actor: User | None) -> dict:
    applicant = db.session.get(User, application.applicant_id)
    return {
        "code": application.code,
        "procedure": application.procedure.display_name(),
        "agency": application.receiving_agency.display_name(),
        "agency_address": application.receiving_agency.address,
        "officer": actor.full_name if actor else "",
        "applicant": {
            "name": applicant.full_name,
            "citizen_id": applicant.citizen_id or "",
            "phone": applicant.phone or "",
            "email": applicant.email or "",
            "address": applicant_address(applicant, application.receiving_agency.province),
        },
        "documents": [
            {"title": link.document.title, "type": link.document_type_code} for link in application.documents
        ],
        "accepted_at": application.accepted_at.isoformat() if application.accepted_at else None,
        "due_on": application.due_on.isoformat() if application.due_on else None,
        "delivery": str(application.result_delivery),
    }


def applicant_address(applicant: User, province) -> str:
    """The applicant's address as remembered from their filings, on one line for slips and the book."""
    return address_line((applicant.facts or {}).get("address"), province.unit_names())


def _status_link(application: Application) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("filing.timeline", application_id=application.id)


def _tell_citizen(application: Application, subject: str, body: str) -> None:
    """E-mail the applicant (and the submitter acting for them), or a text message when there is no e-mail."""
    recipients = {application.applicant_id, application.submitter_id}
    for user_id in recipients:
        user = db.session.get(User, user_id)
        if user is None or user.is_staff or not user.is_active:
            continue
        text = body + "\n\n" + _("Follow your application here: %(link)s", link=_status_link(application))
        if user.email:
            queue_message(Channel.EMAIL, user.email, text, subject=subject, user_id=user.id)
        elif user.phone:
            queue_message(Channel.SMS, user.phone, f"{subject}. {body}"[:300], user_id=user.id)


def _tell_refusal(application: Application, reason: str) -> None:
    _tell_citizen(
        application,
        _("Application %(code)s refused", code=application.code),
        _(
            "%(agency)s refused your application %(code)s.\n\nReason: %(reason)s\n\n"
            "The refusal slip is in your account. Any fee you paid is refunded.",
            agency=application.receiving_agency.display_name(),
            code=application.code,
            reason=reason,
        ),
    )
