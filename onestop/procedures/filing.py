"""Filing rules: drafts saved step by step, documents attached or reused, submission, withdrawal, lookup.

Services take the acting user as a parameter, check it against the application, change rows, write
the history event and outbox messages, and flush; the request commits.
"""

import hashlib
import hmac
import secrets
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from onestop.accounts.models import User
from onestop.datastore.models import Document, Provenance
from onestop.datastore.services import add_document
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.inputs import same_secret
from onestop.links import public_link
from onestop.models import utcnow
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.procedures import reference
from onestop.procedures.filling import StepResult, visible_steps
from onestop.procedures.formspec import Condition, FormSpec
from onestop.procedures.models import (
    Application,
    ApplicationCounter,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationState,
    Procedure,
    ProcedureVersion,
)
from onestop.procedures.signals import application_changed

# Application codes and PINs are read aloud and typed: no 0/O or 1/I to confuse.
PIN_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PIN_LENGTH = 6
FACT_KEYS = ("birth_date", "address", "gender")


class FilingError(InvalidInput):
    pass


# Parsed forms by (procedure version id, content hash): a version never changes, and the hash tells a
# version of a database rebuilt from scratch from the one cached under the same id.
_forms: dict[tuple[int, str], FormSpec | None] = {}


def form_of(application: Application) -> FormSpec | None:
    """The form the application is filed under, parsed once per process (FormSpec is immutable)."""
    version = application.procedure_version
    key = (version.id, version.content_hash)
    if key not in _forms:
        spec = version.definition.get("form")
        _forms[key] = FormSpec.model_validate(spec) if spec else None
    return _forms[key]


def record_event(application: Application, actor: User | None, action: str, from_state, to_state, reason: str = ""):
    """Write the history event of a change and tell subscribers (payments, audit...) in the same transaction."""
    event = ApplicationEvent(
        application=application,
        actor_id=actor.id if actor else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )
    db.session.add(event)
    if from_state is not None and from_state != to_state:
        application_changed.send(
            application, action=action, from_state=from_state, to_state=to_state, actor=actor, reason=reason
        )
    return event


def start_application(procedure: Procedure, user: User) -> Application:
    """Resume this citizen's draft of the procedure, or open a new one pinned to the current version."""
    if not user.is_verified or user.is_staff:
        raise NotAllowed(_("Confirm your e-mail address or phone number before filing."))
    if not procedure.is_active or not procedure.definition.get("form"):
        raise NotAllowed(_("This procedure cannot be filed online yet."))
    draft = db.session.scalar(
        select(Application)
        .where(
            Application.submitter_id == user.id,
            Application.procedure_id == procedure.id,
            Application.state == ApplicationState.DRAFT,
        )
        .order_by(Application.updated_at.desc())
        .limit(1)
    )
    if draft is not None:
        return draft
    version = db.session.scalar(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == procedure.id, ProcedureVersion.number == procedure.version
        )
    )
    application = Application(
        procedure=procedure,
        procedure_version=version,
        receiving_agency_id=procedure.receiving_agency_id,
        applicant_id=user.id,
        submitter_id=user.id,
        state=ApplicationState.DRAFT,
        answers={},
        completed_steps=[],
    )
    db.session.add(application)
    record_event(application, user, "create", None, ApplicationState.DRAFT)
    db.session.flush()
    return application


def start_counter_application(procedure: Procedure, clerk: User, citizen: User) -> Application:
    """A clerk files at the counter for a walk-in citizen, who is the applicant and owns every paper."""
    if not clerk.is_staff or clerk.role != "clerk" or clerk.agency_id != procedure.receiving_agency_id:
        raise NotAllowed(
            _("Only a reception clerk of the agency that receives this procedure can file it at the counter.")
        )
    if citizen.is_staff:
        raise NotAllowed(_("Counter filings are for citizens."))
    if not procedure.is_active or not procedure.definition.get("form"):
        raise NotAllowed(_("This procedure cannot be filed online yet."))
    version = db.session.scalar(
        select(ProcedureVersion).where(
            ProcedureVersion.procedure_id == procedure.id, ProcedureVersion.number == procedure.version
        )
    )
    application = Application(
        procedure=procedure,
        procedure_version=version,
        receiving_agency_id=procedure.receiving_agency_id,
        applicant_id=citizen.id,
        submitter_id=clerk.id,
        state=ApplicationState.DRAFT,
        answers={},
        completed_steps=[],
        result_delivery="counter",
    )
    db.session.add(application)
    record_event(application, clerk, "create", None, ApplicationState.DRAFT, "counter")
    db.session.flush()
    return application


def get_own_application(user: User, application_id: int) -> Application:
    """The application if this citizen filed it or it is filed for them; otherwise as if it did not exist.

    Loaded in one query with what every filing page reads: the definition it was filed under and
    the attached documents.
    """
    application = db.session.get(
        Application,
        application_id,
        options=[joinedload(Application.procedure_version), joinedload(Application.documents)],
    )
    if application is None or user.id not in (application.applicant_id, application.submitter_id):
        raise NotFound(_("There is no such application in your account."))
    return application


def _require_draft(application: Application) -> None:
    if application.state_enum is not ApplicationState.DRAFT:
        raise FilingError(_("This application has already been sent and can no longer be changed here."))


def save_step(application: Application, user: User, step_id: str, result: StepResult) -> None:
    _require_draft(application)
    answers = dict(application.answers)
    answers.update(result.values)
    application.answers = answers
    application.completed_steps = sorted({*application.completed_steps, step_id})
    application.updated_at = utcnow()


def next_step_id(application: Application) -> str | None:
    """The first step the citizen still has to answer, given the answers so far; None when all are done."""
    form = form_of(application)
    for step in visible_steps(form, application.answers):
        if step.id not in application.completed_steps:
            return step.id
    return None


def document_slots(application: Application) -> list[dict]:
    """The procedure's document list with, for each, whether it is required for these answers."""
    slots = []
    for document in application.definition.get("documents", []):
        required = document.get("required", True)
        condition = document.get("required_when")
        if condition is not None:
            required = Condition.model_validate(condition).holds(application.answers)
        slots.append({**document, "is_required": required})
    return slots


def missing_documents(application: Application) -> list[dict]:
    attached = {link.document_type_code for link in application.documents}
    return [slot for slot in document_slots(application) if slot["is_required"] and slot["type"] not in attached]


def reusable_documents(user: User, type_code: str, today: date) -> list[Document]:
    """Documents of this type the citizen already holds and that are still valid."""
    rows = db.session.scalars(
        select(Document)
        .where(Document.owner_id == user.id, Document.document_type_code == type_code)
        .order_by(Document.created_at.desc())
    )
    return [document for document in rows if document.is_valid_on(today)]


def _check_slot(application: Application, type_code: str) -> None:
    if type_code not in {slot["type"] for slot in document_slots(application)}:
        raise FilingError(_("This procedure does not ask for that kind of document."))


def attach_new_document(application: Application, user: User, type_code: str, received, title: str) -> Document:
    _require_draft(application)
    _check_slot(application, type_code)
    owner = db.session.get(User, application.applicant_id)
    # A paper a clerk scans at the counter is the citizen's, marked as digitised by the agency.
    provenance = Provenance.DIGITISED if user.is_staff else Provenance.UPLOADED
    document = add_document(
        owner, type_code, received, title, added_by=user, source_application_id=application.id, provenance=provenance
    )
    attach_document(application, type_code, document)
    return document


def attach_existing_document(application: Application, user: User, type_code: str, document_id: int) -> Document:
    _require_draft(application)
    _check_slot(application, type_code)
    document = db.session.get(Document, document_id)
    if document is None or document.owner_id != application.applicant_id:
        raise NotFound(_("There is no such document in your warehouse."))
    if document.document_type_code != type_code:
        raise FilingError(_("This document is not of the kind asked for here."))
    if not document.is_valid_on(date.today()):
        raise FilingError(_("This document has expired. Upload a valid one."))
    attach_document(application, type_code, document)
    return document


def attach_document(application: Application, type_code: str, document: Document) -> None:
    if any(link.document_id == document.id for link in application.documents):
        return
    application.documents.append(ApplicationDocument(document_id=document.id, document_type_code=type_code))
    application.updated_at = utcnow()


def detach_document(application: Application, user: User, link_id: int) -> None:
    _require_draft(application)
    for link in list(application.documents):
        if link.id == link_id:
            application.documents.remove(link)
            application.updated_at = utcnow()
            return
    raise NotFound(_("This document is not attached to the application."))


def _local_day(application: Application, when: datetime) -> date:
    timezone = reference.agency(application.receiving_agency_id).timezone
    return when.astimezone(ZoneInfo(timezone)).date()


def _next_code(application: Application, when: datetime) -> str:
    """AGENCY-YYMMDD-NNNN: the agency's code, the day received, its sequence that day (Circular 01/2018)."""
    day = _local_day(application, when)
    agency_id = application.receiving_agency_id
    # An atomic increment: concurrent submissions each get their own number.
    increment = (
        update(ApplicationCounter)
        .where(ApplicationCounter.agency_id == agency_id, ApplicationCounter.day == day)
        .values(last=ApplicationCounter.last + 1)
        .returning(ApplicationCounter.last)
        # No counter row is ever loaded as an object: nothing in the session to keep in step.
        .execution_options(synchronize_session=False)
    )
    number = db.session.execute(increment).scalar_one_or_none()
    if number is None:
        # The day's first submission opens its counter (once a day per agency, so the rare race
        # of two first submissions is settled by the primary key and a second increment).
        try:
            with db.session.begin_nested():
                db.session.add(ApplicationCounter(agency_id=agency_id, day=day, last=0))
        except IntegrityError:
            pass  # another submission opened it first
        number = db.session.execute(increment).scalar_one()
    return f"{reference.agency(agency_id).code}-{day:%y%m%d}-{number:04d}"


def submit_application(application: Application, user: User) -> str | None:
    """Send a complete draft to the agency. Returns the lookup PIN, or None if it was already sent.

    Idempotent: a double click or a retried request finds the application already submitted and
    changes nothing, so it is filed once.
    """
    if application.state_enum is ApplicationState.SUBMITTED:
        return None
    _require_draft(application)
    if next_step_id(application) is not None:
        raise FilingError(_("Some questions are not answered yet."))
    missing = missing_documents(application)
    if missing:
        raise FilingError(_("Some required documents are not attached yet."))
    now = utcnow()
    pin = "".join(secrets.choice(PIN_ALPHABET) for _ in range(PIN_LENGTH))
    application.code = _next_code(application, now)
    application.lookup_pin_hash = _pin_digest(pin)
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.updated_at = now
    record_event(application, user, "submit", ApplicationState.DRAFT, ApplicationState.SUBMITTED)
    # In SQL: concurrent submissions must not overwrite each other's count.
    db.session.execute(
        update(Procedure)
        .where(Procedure.id == application.procedure_id)
        .values(filing_count=Procedure.filing_count + 1)
        # A Procedure loaded in this session keeps its old count until the commit expires it.
        .execution_options(synchronize_session=False)
    )
    _remember_facts(application)
    _announce_submission(application, user, pin)
    db.session.flush()
    return pin


def _remember_facts(application: Application) -> None:
    """Provide information once: the applicant's date of birth, address... prefill their next filing."""
    form = form_of(application)
    applicant = db.session.get(User, application.applicant_id)
    facts = dict(applicant.facts or {})
    for _step, spec in form.all_fields():
        if spec.prefill in FACT_KEYS and application.answers.get(spec.id) not in (None, ""):
            facts[spec.prefill] = application.answers[spec.id]
    applicant.facts = facts


def _announce_submission(application: Application, user: User, pin: str) -> None:
    # Filed at the counter by a clerk: the receipt goes to the citizen it is for.
    user = db.session.get(User, application.applicant_id) if user.is_staff else user
    if not user.email:
        return
    link = public_link("filing.timeline", application_id=application.id)
    queue_message(
        Channel.EMAIL,
        user.email,
        subject=_("Application %(code)s received", code=application.code),
        body=_(
            "Hello %(name)s,\n\nYour application for “%(procedure)s” was sent to %(agency)s.\n\n"
            "Application code: %(code)s\nLookup PIN: %(pin)s\n\n"
            "The agency will check it and tell you when the result is due. Follow it here:\n%(link)s\n",
            name=user.full_name,
            procedure=reference.procedure_name(application.procedure_id),
            agency=reference.agency(application.receiving_agency_id).display_name(),
            code=application.code,
            pin=pin,
            link=link,
        ),
        user_id=user.id,
    )


def can_withdraw(application: Application) -> bool:
    """Before processing starts: a draft, a file not yet accepted, or one sent back for missing items at reception."""
    state = application.state_enum
    if state is ApplicationState.SUPPLEMENT_REQUESTED:
        return application.resume_state == ApplicationState.SUBMITTED
    return state in (ApplicationState.DRAFT, ApplicationState.SUBMITTED)


def withdraw_application(application: Application, user: User, reason: str) -> None:
    if user.id not in (application.applicant_id, application.submitter_id):
        raise NotFound(_("There is no such application in your account."))
    if not can_withdraw(application):
        raise FilingError(_("This application can no longer be withdrawn: the agency has started processing it."))
    previous = application.state
    application.state = ApplicationState.WITHDRAWN
    application.updated_at = utcnow()
    record_event(application, user, "withdraw", previous, ApplicationState.WITHDRAWN, reason.strip()[:1000])


def my_applications(user: User) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where((Application.submitter_id == user.id) | (Application.applicant_id == user.id))
            .order_by(Application.updated_at.desc())
        )
    )


def _pin_digest(pin: str) -> str:
    """A keyed digest of the lookup PIN: a stolen database alone does not give the PINs away.

    Not a slow password hash: the PIN is random, lookups are rate limited, and scrypt cost
    each submission about 95 ms of CPU.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return "hmac-sha256:" + hmac.new(key, pin.upper().encode(), hashlib.sha256).hexdigest()


def find_for_lookup(code: str, secret: str) -> Application | None:
    """An application by its code and the applicant's citizen ID number or the receipt's PIN; else None."""
    code = "".join(code.split()).upper()
    secret = "".join(secret.split()).upper()
    application = db.session.scalar(select(Application).where(Application.code == code))
    if application is None:
        return None
    applicant = db.session.get(User, application.applicant_id)
    if secret.isdigit():
        return application if same_secret(secret, applicant.citizen_id or "") else None
    if application.lookup_pin_hash and same_secret(application.lookup_pin_hash, _pin_digest(secret)):
        return application
    return None
