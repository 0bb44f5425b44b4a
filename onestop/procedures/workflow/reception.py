"""Reception: accept, ask for missing items (and the applicant's answer), refuse, transfer."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onestop import localtime
from onestop.accounts.models import User
from onestop.datastore.models import Document
from onestop.datastore.services import add_document
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.handoff import keep_despite_refusal
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.notifications.notify import notify_applicant
from onestop.procedures.filing import attach_document, document_slots, record_event, warehouse_document_for
from onestop.procedures.models import (
    Application,
    ApplicationState,
    ClockEntry,
    ClockKind,
    DocumentType,
    IssuedSlip,
    SlipKind,
    StepOutcome,
    SupplementRequest,
)
from onestop.procedures.workflow import steps
from onestop.procedures.workflow.common import (
    REASON_MAX,
    check,
    flush,
    issue,
    move,
    processing_days,
    record,
    refresh_due,
    required,
    start_clock,
)
from onestop.procedures.workflow.notices import tell_new_file, tell_refusal
from onestop.procedures.workflow.table import Action
from onestop.provinces.models import Agency

S = ApplicationState


def accept(application: Application, actor: User, version: int | None = None) -> IssuedSlip:
    """The file is complete: receive it, fix the due date and issue the receipt and appointment slip."""
    permit = check(actor, application, Action.ACCEPT, version)
    now = utcnow()
    previous = application.state
    application.accepted_at = now
    steps.finish_step(application, permit.step, now)
    record(application, actor, Action.ACCEPT, previous)
    start_clock(application, actor, "accepted")
    slip = issue(application, SlipKind.RECEIPT, actor, processing_days=processing_days(application))
    notify_applicant(application, "application_accepted", due_on=application.due_on)
    flush()
    return slip


OTHER_POINTS = _l("Other points")


@dataclass(frozen=True)
class SupplementItem:
    kind: str  # "document" (a document type of the procedure) or "other"
    key: str
    title: str  # stored in Vietnamese for the slip; pages title items in their reader's language
    note: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "key": self.key, "title": self.title, "note": self.note}


def supplement_choices(application: Application, lang: str | None = None) -> list[dict]:
    """The document slots an officer can ask for again, as {code, name}, named in `lang` (the reader's)."""
    codes = [slot["type"] for slot in document_slots(application)]
    names = {
        row.code: localized(row.name, lang)
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
    check(actor, application, Action.REQUEST_SUPPLEMENT, version)
    if not items:
        raise InvalidInput(_("List at least one missing or wrong item, with what is wrong."))
    slot_names = {choice["code"]: choice["name"] for choice in supplement_choices(application, "vi")}
    with force_locale("vi"):
        titles = {"document": slot_names, "other": {"": str(OTHER_POINTS)}}
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
            SupplementItem(
                i.kind, i.key, i.title or titles.get(i.kind, {}).get(i.key, ""), i.note.strip()[:REASON_MAX]
            ).as_dict()
            for i in items
        ],
    )
    application.supplements.append(request)
    application.resume_state = stage
    # The steps at work stop until the complete file is back; they are noted on the request to restart.
    application.resume_steps = steps.suspend(application)
    summary = "\n".join(f"{item['title']}: {item['note']}" for item in request.items)
    if stage == S.IN_PROGRESS:
        application.clock.append(
            ClockEntry(kind=ClockKind.SUSPEND, at=utcnow(), reason=_("waiting for missing items"), actor_id=actor.id)
        )
    move(application, actor, Action.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, summary)
    refresh_due(application)
    issue(application, SlipKind.SUPPLEMENT, actor, items=request.items)
    notify_applicant(application, "supplement_requested", items=_items_in_both_languages(request), deadline=None)
    flush()
    return request


def supplement_items(request: SupplementRequest) -> list[dict]:
    """The request's items titled in the reader's language (what is stored stays Vietnamese, for the slip)."""
    names = {choice["code"]: choice["name"] for choice in supplement_choices(request.application)}
    titles = {"document": names, "other": {"": str(OTHER_POINTS)}}
    return [{**item, "title": titles.get(item["kind"], {}).get(item["key"]) or item["title"]} for item in request.items]


def _items_in_both_languages(request: SupplementRequest) -> list[dict]:
    """Each item titled in Vietnamese and English: the message goes out in the recipient's language."""
    titled = {}
    for language in ("vi", "en"):
        with force_locale(language):
            titled[language] = supplement_items(request)
    return [
        {"title": {"vi": vi["title"], "en": en["title"]}, "note": vi["note"]}
        for vi, en in zip(titled["vi"], titled["en"], strict=True)
    ]


def open_supplement(application: Application) -> SupplementRequest | None:
    if application.state_enum is not S.SUPPLEMENT_REQUESTED:
        return None
    pending = [request for request in application.supplements if request.answered_at is None]
    return pending[-1] if pending else None


def _own_open_supplement(application: Application, citizen: User) -> SupplementRequest:
    if citizen.id not in (application.applicant_id, application.submitter_id):
        raise NotFound(_("There is no such application in your account."))
    request = open_supplement(application)
    if request is None:
        raise NotAllowed(_("Nothing is being asked of you for this application."))
    return request


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


def supply_documents(application: Application, citizen: User, offered: list[tuple[str, object, int | None]]) -> dict:
    """Several requested papers at once, each (type code, upload or None, warehouse document id or None).

    Each paper is kept or refused on its own: the ones accepted stay attached even when another is
    refused, and the refusals come back by type code for the form to show.
    """
    errors = {}
    for type_code, received, document_id in offered:
        if received is None and not document_id:
            continue
        try:
            with db.session.begin_nested():
                supply_document(application, citizen, type_code, received=received, document_id=document_id)
        except InvalidInput as rejected:
            errors[type_code] = rejected.message
    if errors:
        keep_despite_refusal()
    return errors


def reusable_for_supplement(
    application: Application, citizen: User, request: SupplementRequest, type_code: str
) -> list[Document]:
    """Warehouse papers the applicant may send for a requested slot: never the very paper the agency sent back."""
    from onestop.procedures.filing import reusable_documents

    rejected = {
        link.document_id
        for link in application.documents
        if link.document_type_code == type_code and link.attached_at and link.attached_at < request.requested_at
    }
    offered = reusable_documents(application, citizen, type_code, localtime.today())
    return [document for document in offered if document.id not in rejected]


def supplied(application: Application, request: SupplementRequest) -> set[str]:
    """The requested document types that have a paper added since the request."""
    return {
        link.document_type_code
        for link in application.documents
        # A link not yet flushed has no time yet: it was attached in this very request.
        if link.attached_at is None or link.attached_at >= request.requested_at
    }


def answer_supplement(application: Application, citizen: User, note: str) -> None:
    """The citizen has supplied everything asked: the file goes back to where it was."""
    request = _own_open_supplement(application, citizen)
    check(citizen, application, Action.ANSWER_SUPPLEMENT)
    done = supplied(application, request)
    missing = [item["title"] for item in request.items if item["kind"] == "document" and item["key"] not in done]
    if missing:
        raise InvalidInput(_("Still missing: %(items)s.", items=", ".join(missing)))
    needs_note = any(item["kind"] == "other" for item in request.items)
    if needs_note and not (note or "").strip():
        raise InvalidInput(_("Answer the points the agency raised in the box below."))
    now = utcnow()
    request.answered_at = now
    request.answer_note = (note or "").strip()[:REASON_MAX]
    back_to = ApplicationState(request.stage)
    move(application, citizen, Action.ANSWER_SUPPLEMENT, back_to, request.answer_note)
    steps.resume(application, list(application.resume_steps or []), now)
    application.resume_state = None
    application.resume_steps = None
    if back_to is S.IN_PROGRESS:
        # The processing time counts again from the complete file (workflow.md, §4).
        application.clock.append(
            ClockEntry(kind=ClockKind.START, at=now, working_days=processing_days(application), reason="resumed")
        )
    refresh_due(application)
    flush()


def refuse(application: Application, actor: User, reason: str, version: int | None = None) -> IssuedSlip:
    """Refuse to receive the file, with the reason the citizen will read."""
    check(actor, application, Action.REFUSE, version)
    reason = required(reason, _("Give the reason for the refusal: the citizen will read it."))
    move(application, actor, Action.REFUSE, S.REFUSED, reason)
    slip = issue(application, SlipKind.REFUSAL, actor, reason=reason)
    tell_refusal(application, reason)
    flush()
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
    permit = check(actor, application, Action.TRANSFER, version)
    note = required(note, _("Say why the file goes to that agency: the citizen will read it."))
    target = next((agency for agency in transfer_targets(application) if agency.id == agency_id), None)
    if target is None:
        raise InvalidInput(_("Choose the agency to send the file to."))
    source = application.receiving_agency
    application.receiving_agency_id = target.id
    application.receiving_agency = target
    now = utcnow()
    # The other agency receives it afresh: its reception step opens there.
    steps.leave(permit.step, StepOutcome.TRANSFERRED, now)
    steps.enter_group(application, permit.step.group_index, now)
    application.updated_at = now
    record_event(
        application,
        actor,
        str(Action.TRANSFER),
        application.state,
        application.state,
        _(
            "From %(source)s to %(target)s: %(note)s",
            source=source.display_name(),
            target=target.display_name(),
            note=note,
        ),
    )
    notify_applicant(
        application, "application_transferred", from_agency=source.name, to_agency=target.name, reason=note
    )
    tell_new_file(application)
    flush()
