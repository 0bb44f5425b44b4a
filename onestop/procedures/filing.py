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

from onestop import localtime
from onestop.accounts.models import Role, User
from onestop.datastore.models import Document, Provenance
from onestop.datastore.services import add_document
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.inputs import same_secret
from onestop.models import utcnow
from onestop.procedures import reference, route
from onestop.procedures.counter import handed_over_facts, may_use_applicant_data
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
FACT_KEYS = ("birth_date", "address", "gender", "phone", "email")


class FilingError(InvalidInput):
    pass


class ReceiverError(FilingError):
    """No agency can receive the file with these answers; `input_id` is the input to correct."""

    def __init__(self, message: str, input_id: str):
        super().__init__(message)
        self.input_id = input_id


# The input of the filing form where the citizen picks the receiving agency among several.
RECEIVER_INPUT = "receiver"


# Files one paper may have when its procedure does not say (`max_files` in the pack).
DEFAULT_MAX_FILES = 10


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
        receiving_agency_id=_provisional_receiver(version, user),
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


def may_file_at_counter(user: User, procedure: Procedure | None = None) -> bool:
    """Reception clerks file for walk-in citizens, for the procedures their agency may receive."""
    if not (user.is_authenticated and user.is_staff and user.role == Role.CLERK and user.agency_id):
        return False
    if procedure is None:
        return True
    return route.may_receive(route.rule_of(procedure.definition), procedure.province, user.agency_id)


def _provisional_receiver(version: ProcedureVersion, user: User) -> int:
    """Who receives a new draft until the answers decide: the agency of the citizen's known address
    (by address) or the first one listed. The form asks what decides on its first step."""
    rule = route.rule_of(version.definition)
    if rule.is_fixed:
        return version.procedure.receiving_agency_id
    province = version.procedure.province
    try:
        return route.resolve_receiver(rule, province, {rule.field: (user.facts or {}).get("address")}).id
    except InvalidInput:
        listed = route.receivers(rule, province)
        if not listed:
            raise NotAllowed(_("This procedure cannot be filed online yet.")) from None
        return listed[0][1].id


def receiver_choices(application: Application, step_id: str) -> list:
    """The agencies the citizen picks from on this step (the first one, when several may receive); else []."""
    rule = route.rule_of(application.definition)
    steps = visible_steps(form_of(application), application.answers)
    if rule.kind != "any_of" or not steps or steps[0].id != step_id:
        return []
    return [agency for _unit, agency in route.receivers(rule, application.procedure.province)]


def _settle_receiver(application: Application, user: User, answers: dict) -> None:
    """Decide the receiving agency from the answers, when the procedure's rule depends on them.

    A file started at a counter stays with the agency whose clerk received it (a transfer moves it).
    """
    rule = route.rule_of(application.definition)
    if user.is_staff or rule.is_fixed:
        return
    if rule.kind == "by_address" and answers.get(rule.field) is None:
        return
    if rule.kind == "any_of" and route.CHOSEN_RECEIVER not in answers:
        return
    try:
        agency = route.resolve_receiver(rule, application.procedure.province, answers)
    except InvalidInput as problem:
        input_id = f"{rule.field}-unit" if rule.kind == "by_address" else RECEIVER_INPUT
        raise ReceiverError(problem.message, input_id) from None
    application.receiving_agency_id = agency.id
    application.receiving_agency = agency


def start_counter_application(procedure: Procedure, clerk: User, citizen: User) -> Application:
    """A clerk files at the counter for a walk-in citizen, who is the applicant and owns every paper."""
    if not may_file_at_counter(clerk, procedure):
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
        receiving_agency_id=clerk.agency_id,
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
    if application is None or not acts_for_applicant(user, application):
        raise NotFound(_("There is no such application in your account."))
    return application


def acts_for_applicant(user: User, application: Application) -> bool:
    """The applicant, or who filed for them; a clerk who filed at the counter only while at the agency holding it."""
    if user.id == application.applicant_id:
        return True
    return user.id == application.submitter_id and (
        not user.is_staff or user.agency_id == application.receiving_agency_id
    )


def _require_draft(application: Application) -> None:
    if application.state_enum is not ApplicationState.DRAFT:
        raise FilingError(_("This application has already been sent and can no longer be changed here."))


def save_step(
    application: Application, user: User, step_id: str, result: StepResult, chosen_receiver: str | None = None
) -> None:
    """Keep a step's answers; when they decide who receives the file, decide it (ReceiverError if nobody can)."""
    _require_draft(application)
    answers = dict(application.answers)
    answers.update(result.values)
    if chosen_receiver is not None:
        answers[route.CHOSEN_RECEIVER] = chosen_receiver
    _settle_receiver(application, user, answers)
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


def known_facts(application: Application, actor: User) -> dict:
    """What prefills the applicant's answers for this actor: everything remembered for the applicant
    themselves (or a clerk they granted it to at the counter), otherwise only what is on their ID card."""
    applicant = application.applicant
    if not may_use_applicant_data(actor, application):
        return handed_over_facts(applicant)
    # The account's own details win; what earlier filings told us fills what the account leaves empty.
    contact = {key: value for key, value in (("phone", applicant.phone), ("email", applicant.email)) if value}
    return {**(applicant.facts or {}), **contact, **handed_over_facts(applicant)}


def reusable_documents(application: Application, actor: User, type_code: str, today: date) -> list[Document]:
    """Valid documents of this type in the applicant's warehouse that the actor may offer for reuse."""
    if not may_use_applicant_data(actor, application):
        return []
    rows = db.session.scalars(
        select(Document)
        .where(Document.owner_id == application.applicant_id, Document.document_type_code == type_code)
        .order_by(Document.created_at.desc())
    )
    return [document for document in rows if document.is_valid_on(today)]


def warehouse_document_for(application: Application, actor: User, type_code: str, document_id: int) -> Document:
    """A valid document of the applicant's warehouse the actor may attach to this application in this slot."""
    document = db.session.get(Document, document_id)
    if (
        document is None
        or document.owner_id != application.applicant_id
        or not may_use_applicant_data(actor, application)
    ):
        raise NotFound(_("There is no such document in your warehouse."))
    if document.document_type_code != type_code:
        raise FilingError(_("This document is not of the kind asked for here."))
    if not document.is_valid_on(localtime.today()):
        raise FilingError(_("This document has expired. Upload a valid one."))
    return document


def _check_slot(application: Application, type_code: str) -> None:
    if type_code not in {slot["type"] for slot in document_slots(application)}:
        raise FilingError(_("This procedure does not ask for that kind of document."))
    check_room_for(application, type_code)


def check_room_for(application: Application, type_code: str) -> None:
    """Refuse one more file for a paper that already has as many as the procedure allows (`max_files`)."""
    slot = next((slot for slot in application.definition.get("documents", []) if slot["type"] == type_code), {})
    limit = slot.get("max_files") or DEFAULT_MAX_FILES
    if sum(1 for link in application.documents if link.document_type_code == type_code) >= limit:
        raise FilingError(
            _("At most %(count)d files can be attached for this paper. Remove one to add another.", count=limit)
        )


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
    document = warehouse_document_for(application, user, type_code, document_id)
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
    return when.astimezone(ZoneInfo(reference.agency(application.receiving_agency_id).timezone)).date()


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
    from onestop.procedures.workflow import steps
    from onestop.procedures.workflow.table import Action

    if application.state_enum is not ApplicationState.DRAFT and application.code is not None:
        return None
    _require_draft(application)
    if next_step_id(application) is not None:
        raise FilingError(_("Some questions are not answered yet."))
    missing = missing_documents(application)
    if missing:
        raise FilingError(_("Some required documents are not attached yet."))
    _check(user, application, Action.SUBMIT)
    # Again at submission: the agencies serving an address may have changed since the step was saved.
    _settle_receiver(application, user, application.answers)
    now = utcnow()
    pin = "".join(secrets.choice(PIN_ALPHABET) for _ in range(PIN_LENGTH))
    application.code = _next_code(application, now)
    application.lookup_pin_hash = _pin_digest(pin)
    application.submitted_at = now
    application.updated_at = now
    steps.enter_group(application, 0, now)  # the route's reception step, at the receiving agency
    record_event(application, user, str(Action.SUBMIT), ApplicationState.DRAFT, application.state)
    # In SQL: concurrent submissions must not overwrite each other's count.
    db.session.execute(
        update(Procedure)
        .where(Procedure.id == application.procedure_id)
        .values(filing_count=Procedure.filing_count + 1)
        # A Procedure loaded in this session keeps its old count until the commit expires it.
        .execution_options(synchronize_session=False)
    )
    if may_use_applicant_data(user, application):
        # A clerk the citizen granted nothing to cannot change what the citizen's next filing shows.
        _remember_facts(application)
    _announce_submission(application, pin)
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


def _announce_submission(application: Application, pin: str) -> None:
    """The applicant gets the code and lookup PIN (also when a clerk filed at the counter); the clerks a new file."""
    from onestop.notifications.notify import notify_applicant
    from onestop.procedures.workflow.notices import tell_new_file

    notify_applicant(application, "application_submitted", pin=pin)
    tell_new_file(application)


def can_withdraw(application: Application, user: User) -> bool:
    """Before processing starts: a draft, a file not yet accepted, or one sent back for missing items at reception."""
    from onestop.procedures.workflow.table import Action, refusal, transition_for

    reason, _permit = refusal(user, application, transition_for(application, Action.WITHDRAW))
    return reason is None


def withdraw_application(application: Application, user: User, reason: str) -> None:
    from onestop.procedures.workflow.common import move
    from onestop.procedures.workflow.table import Action

    if user.id not in (application.applicant_id, application.submitter_id):
        raise NotFound(_("There is no such application in your account."))
    if not can_withdraw(application, user):
        raise FilingError(_("This application can no longer be withdrawn: the agency has started processing it."))
    move(application, user, Action.WITHDRAW, ApplicationState.WITHDRAWN, reason.strip()[:1000])


def _check(user: User, application: Application, action) -> None:
    """The lifecycle table's refusal, told as a filing error."""
    from onestop.procedures.workflow.table import refusal, transition_for

    reason, _permit = refusal(user, application, transition_for(application, action))
    if reason:
        raise FilingError(reason)


def my_applications(user: User) -> list[Application]:
    filed = Application.submitter_id == user.id
    if user.is_staff:
        filed &= Application.receiving_agency_id == user.agency_id
    return list(
        db.session.scalars(
            select(Application)
            .where(filed | (Application.applicant_id == user.id))
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
