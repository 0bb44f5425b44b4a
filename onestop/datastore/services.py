"""Warehouse rules: documents added ahead of filing, reads allowed per document and logged, and the
citizen's rights over their personal data (download everything, close the account).

Services take the acting user as a parameter, check it against the document, change rows and flush;
the request commits. Blobs are removed from the storage backend only after that commit.
"""

import enum
import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, selectinload

from onestop.accounts.models import User
from onestop.accounts.services import AccountError, end_all_sessions
from onestop.datastore.backends.base import BlobStorage, storage_from_config
from onestop.datastore.models import Blob, Document, DocumentAccess, Provenance
from onestop.errors import NotAllowed, NotFound
from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.models import utcnow
from onestop.notifications.models import Channel, OutboxMessage
from onestop.notifications.outbox import queue_message
from onestop.procedures.models import FINAL_STATES, Application, ApplicationDocument, ApplicationState, DocumentType
from onestop.provinces.models import Agency, Province

# A document this close to its expiry date is flagged, so the citizen renews it before filing.
EXPIRING_SOON_DAYS = 30
CLOSED_ACCOUNT_NAME = "Tài khoản đã đóng"
# Exports wait in memory up to this size, then on disk.
EXPORT_SPOOL_MAX_SIZE = 8 * 1024 * 1024
# Applications in these states are over for the agency; any other non-draft state is still being handled.
FINISHED_STATES = FINAL_STATES


# Reasons recorded with reads; kept in one language in the log and translated when shown.
OWNER_DOWNLOAD = "download by owner"
EXPORT = "export"
PROCESSING = "processing application %s"


class Expiry(enum.StrEnum):
    EXPIRED = "expired"
    EXPIRES_SOON = "expires_soon"

    @property
    def title(self) -> str:
        return _("Expired") if self is Expiry.EXPIRED else _("Expires soon")

    @property
    def css(self) -> str:
        return "tag tag-required" if self is Expiry.EXPIRED else "tag"


def _storage(storage: BlobStorage | None) -> BlobStorage:
    return storage if storage is not None else storage_from_config(current_app.config)


def _not_found() -> NotFound:
    # The same answer whether the document does not exist or the reader may not see it.
    return NotFound(_("There is no such document."))


# --- The warehouse -------------------------------------------------------------------------------


def add_document(
    owner: User, type_code: str, received, title: str, added_by: User | None = None, **details
) -> Document:
    """A new document in the owner's warehouse for bytes already in the blob store."""
    record_blob(received)
    document = Document(
        owner_id=owner.id,
        document_type_code=type_code,
        title=title,
        blob_sha256=received.sha256,
        filename=received.filename,
        provenance=details.pop("provenance", Provenance.UPLOADED),
        added_by_id=(added_by or owner).id,
        **details,
    )
    db.session.add(document)
    db.session.flush()
    return document


def store_generated(data: bytes, filename: str, content_type: str = "application/pdf", storage=None):
    """Bytes the system made itself (a rendered or signed result): stored once, with their blob row."""
    from onestop.datastore.uploads import ReceivedFile

    blob = _storage(storage).put(io.BytesIO(data))
    received = ReceivedFile(sha256=blob.sha256, size=blob.size, content_type=content_type, filename=filename)
    record_blob(received)
    return received


def read_blob(sha256: str, storage=None) -> bytes:
    with _storage(storage).open(sha256) as stream:
        return stream.read()


def record_blob(received) -> None:
    """The blob's row, written once: identical bytes uploaded before, or at the same moment, keep theirs.

    One statement (INSERT ... ON CONFLICT DO NOTHING, PostgreSQL and SQLite alike) instead of a
    look-up then an insert, which two simultaneous uploads of the same file could both pass.
    """
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    db.session.execute(
        insert(Blob)
        .values(sha256=received.sha256, size=received.size, content_type=received.content_type, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Blob.sha256])
    )


def add_to_warehouse(
    owner: User,
    type_code: str,
    received,
    title: str,
    issuer: str,
    number: str,
    issued_on: date | None,
    expires_on: date | None,
) -> Document:
    """A document the citizen uploads ahead of time, to reuse when filing."""
    return add_document(
        owner,
        type_code,
        received,
        title.strip(),
        issuer=issuer.strip(),
        number=number.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
    )


def documents_of(owner: User) -> list[Document]:
    """Every document in the owner's warehouse, newest first."""
    return list(
        db.session.scalars(
            select(Document)
            .options(selectinload(Document.blob))
            .where(Document.owner_id == owner.id)
            .order_by(Document.created_at.desc(), Document.id.desc())
        )
    )


def expiry_of(document: Document, today: date) -> Expiry | None:
    if document.expires_on is None:
        return None
    if not document.is_valid_on(today):
        return Expiry.EXPIRED
    if document.expires_on <= today + timedelta(days=EXPIRING_SOON_DAYS):
        return Expiry.EXPIRES_SOON
    return None


def document_types(province: Province) -> list[DocumentType]:
    """The kinds of paper the province's procedures ask for, in the pack's order."""
    return list(
        db.session.scalars(
            select(DocumentType).where(DocumentType.province_id == province.id).order_by(DocumentType.id)
        )
    )


def source_application_codes(documents: list[Document]) -> dict[int, str]:
    """The code of the application each document was uploaded for, by application id (sent ones only)."""
    ids = {document.source_application_id for document in documents if document.source_application_id}
    if not ids:
        return {}
    rows = db.session.execute(select(Application.id, Application.code).where(Application.id.in_(ids)))
    return {application_id: code for application_id, code in rows if code}


# --- Reading, and the record of every read --------------------------------------------------------


def _may_read(reader: User, document: Document, application_id: int | None) -> Application | None:
    """The application the read is for (None for the owner); raises NotFound for anyone else."""
    if not reader.is_active:
        raise _not_found()
    if reader.id == document.owner_id:
        return None
    if not reader.is_staff or reader.agency_id is None or application_id is None:
        raise _not_found()
    from onestop.procedures.workflow.table import may_handle

    application = db.session.get(Application, application_id)
    if application is None or application.state_enum is ApplicationState.DRAFT:
        raise _not_found()
    # The agency that received the file reads all of it; a co-ordinating agency the step sent it to reads
    # the papers the applicant filed and its own answers, never the thread between the applicant and the lead.
    lead = application.receiving_agency_id == reader.agency_id
    attached = any(link.document_id == document.id for link in application.documents)
    if lead:
        allowed = (
            attached
            or any(message.document_id == document.id for message in application.messages)
            or document.source_application_id == application.id
        )
    else:
        allowed = may_handle(reader, application) and (
            attached or any(step.document_id == document.id for step in application.steps)
        )
    if not allowed:
        raise _not_found()
    return application


def _record_read(document: Document, reader: User, reason: str, application: Application | None) -> None:
    db.session.add(
        DocumentAccess(
            document_id=document.id,
            reader_id=reader.id,
            reason=reason[:200],
            application_id=application.id if application else None,
        )
    )


def read_document(
    reader: User, document_id: int, reason: str, application_id: int | None = None, storage: BlobStorage | None = None
) -> tuple[Document, BinaryIO]:
    """Open a document for its owner, or for staff of the agency handling a sent application it is part of.

    Every read is recorded (who, when, why, for which application) and shown to the owner. Anyone
    else is told the document does not exist.
    """
    document = db.session.get(Document, document_id)
    if document is None:
        raise _not_found()
    application = _may_read(reader, document, application_id)
    stream = _storage(storage).open(document.blob_sha256)
    _record_read(document, reader, reason, application)
    db.session.flush()
    return document, stream


def read_for_processing(
    reader: User, document_id: int, application_id: int | None, storage: BlobStorage | None = None
) -> tuple[Document, BinaryIO]:
    """Staff open a citizen's document to handle an application their agency received."""
    if not reader.is_staff or application_id is None:
        raise _not_found()
    application = db.session.get(Application, application_id)
    if application is None or not application.code:
        raise _not_found()
    return read_document(reader, document_id, PROCESSING % application.code, application.id, storage)


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    document_id: int
    document_title: str
    reader_id: int | None
    reader_name: str
    reader_role: str
    agency_name: str
    reason: str
    application_code: str | None


def access_log(owner: User) -> list[AccessEntry]:
    """Every read of the owner's documents, newest first, with who read it, in which role and agency, and why."""
    reader = aliased(User)
    rows = db.session.execute(
        select(DocumentAccess, Document.title, reader, Agency, Application.code)
        .join(Document, Document.id == DocumentAccess.document_id)
        .outerjoin(reader, reader.id == DocumentAccess.reader_id)
        .outerjoin(Agency, Agency.id == reader.agency_id)
        .outerjoin(Application, Application.id == DocumentAccess.application_id)
        .where(Document.owner_id == owner.id)
        .order_by(DocumentAccess.created_at.desc(), DocumentAccess.id.desc())
    )
    return [
        AccessEntry(
            at=access.created_at,
            document_id=access.document_id,
            document_title=title,
            reader_id=access.reader_id,
            reader_name=person.full_name if person else "",
            reader_role=person.role_enum.title if person else "",
            agency_name=agency.display_name() if agency else "",
            reason=access.reason,
            application_code=code,
        )
        for access, title, person, agency, code in rows
    ]


# --- Personal data: download everything ----------------------------------------------------------


def _applications_of(user: User) -> list[Application]:
    """The applications filed for this person. Not those a clerk filed for others at the counter: those
    are the citizens' personal data, not the clerk's."""
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.applicant_id == user.id)
            .order_by(Application.created_at, Application.id)
        )
    )


def _json_default(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _write_json(archive: zipfile.ZipFile, name: str, data) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)


def _profile(user: User) -> dict:
    return {
        "full_name": user.full_name,
        "citizen_id": user.citizen_id,
        "email": user.email,
        "email_confirmed_at": user.email_confirmed_at,
        "phone": user.phone,
        "phone_confirmed_at": user.phone_confirmed_at,
        "role": user.role,
        "agency": user.agency.code if user.agency else None,
        "privacy_consent_at": user.privacy_consent_at,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "facts": user.facts or {},
    }


def _application(application: Application) -> dict:
    return {
        "id": application.id,
        "code": application.code,
        "procedure_code": application.procedure.code,
        "procedure_name": application.procedure.display_name(),
        "procedure_version": application.procedure_version.number,
        "receiving_agency": application.receiving_agency.display_name(),
        "state": application.state,
        "answers": application.answers,
        "result_delivery": application.result_delivery,
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "documents": [
            {"document_id": link.document_id, "document_type": link.document_type_code}
            for link in application.documents
        ],
        "events": [
            {
                "action": event_.action,
                "from_state": event_.from_state,
                "to_state": event_.to_state,
                "reason": event_.reason,
                "at": event_.created_at,
            }
            for event_ in application.events
        ],
    }


def _archive_name(document: Document) -> str:
    return f"documents/{document.id}-{document.filename}"


def _document(document: Document, reads: list[AccessEntry]) -> dict:
    return {
        "id": document.id,
        "file": _archive_name(document),
        "type": document.document_type_code,
        "title": document.title,
        "issuer": document.issuer,
        "number": document.number,
        "issued_on": document.issued_on,
        "expires_on": document.expires_on,
        "provenance": document.provenance,
        "source_application_id": document.source_application_id,
        "filename": document.filename,
        "content_type": document.blob.content_type,
        "size": document.blob.size,
        "sha256": document.blob_sha256,
        "added_at": document.created_at,
        "reads": [
            {
                "at": read.at,
                "reader": read.reader_name,
                "role": read.reader_role,
                "agency": read.agency_name,
                "reason": read.reason,
                "application": read.application_code,
            }
            for read in reads
            if read.document_id == document.id
        ],
    }


def export_personal_data(user: User, storage: BlobStorage | None = None) -> BinaryIO:
    """A ZIP of everything held about the user: profile.json, applications.json, documents.json,
    feedback.json (what they sent in their name, and the answers) and each document's file under
    documents/. Returned open and rewound; the caller closes it.

    Each file copied into the archive is recorded as a read by the owner, with the reason "export".
    """
    storage = _storage(storage)
    documents = documents_of(user)
    reads = access_log(user)
    spool = tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_MAX_SIZE)  # noqa: SIM115  (the caller closes it)
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            _write_json(archive, "profile.json", _profile(user))
            _write_json(archive, "applications.json", [_application(a) for a in _applications_of(user)])
            _write_json(archive, "documents.json", [_document(d, reads) for d in documents])
            _write_json(archive, "feedback.json", _feedback_of(user))
            for document in documents:
                # Scans and photos are compressed already: stored as they are, copied in chunks.
                entry = zipfile.ZipInfo(_archive_name(document), date_time=document.created_at.timetuple()[:6])
                with storage.open(document.blob_sha256) as source, archive.open(entry, "w") as target:
                    shutil.copyfileobj(source, target)
                _record_read(document, user, EXPORT, None)
    except BaseException:
        spool.close()
        raise
    db.session.flush()
    spool.seek(0)
    return spool


def _feedback_of(user: User) -> list[dict]:
    from onestop.feedback.services import sent_by

    return [
        {
            "code": item.code,
            "kind": item.kind,
            "title": item.title,
            "body": item.body,
            "sent_at": item.sent_at,
            "application_code": item.application.code if item.application else None,
            "procedure_code": item.procedure.code if item.procedure else None,
            "files": [file.filename for file in item.attachments],
            "answer": item.answer or None,
            "answered_at": item.answered_at,
            "satisfied": item.satisfied,
        }
        for item in sent_by(user)
    ]


# --- Personal data: closing the account ----------------------------------------------------------


def applications_blocking_closure(user: User) -> list[Application]:
    """Sent applications the agency is still handling: the account stays open until they are finished."""
    return [
        application
        for application in _applications_of(user)
        if application.state_enum is not ApplicationState.DRAFT and application.state_enum not in FINISHED_STATES
    ]


def close_account(user: User, password: str, storage: BlobStorage | None = None) -> None:
    """Erase the citizen's personal data and sign-in, keeping what agencies must archive.

    Kept: applications already sent (and withdrawn ones) with their answers, history and attached
    documents, because filed dossiers are records the agencies must keep. Deleted: drafts, every
    other document and its file, the profile and the saved facts. The account row stays, anonymised,
    so the kept applications and the read log still point somewhere.
    """
    if user.is_staff:
        raise NotAllowed(_("Staff accounts are closed by an administrator."))
    if not user.check_password(password):
        raise AccountError(_("The password is not right."), "password")
    if applications_blocking_closure(user):
        raise AccountError(
            _(
                "You have applications that an agency is still handling. Withdraw them or wait until they are "
                "finished, then close your account."
            )
        )
    storage = _storage(storage)
    _announce_closure(user)
    from onestop.declarations.services import forget_draft_signings

    for application in _applications_of(user):
        if application.state_enum is ApplicationState.DRAFT:
            forget_draft_signings(application)
            db.session.delete(application)
    db.session.flush()
    # With the drafts gone, a document still linked to an application is part of a filed dossier.
    unattached = db.session.scalars(
        select(Document).where(
            Document.owner_id == user.id,
            ~exists().where(ApplicationDocument.document_id == Document.id),
        )
    ).all()
    digests = {document.blob_sha256 for document in unattached}
    for document in unattached:
        db.session.delete(document)
    db.session.flush()
    for sha256 in digests:
        if not _blob_in_use(sha256):
            db.session.execute(delete(Blob).where(Blob.sha256 == sha256))
            after_commit(_delete_if_unused, storage, sha256)
    # Messages already delivered to the citizen carry their name and address; the confirmation stays to be sent.
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.user_id == user.id, OutboxMessage.sent_at.is_not(None))
    )
    user.full_name = CLOSED_ACCOUNT_NAME
    user.citizen_id = None
    user.email = None
    user.phone = None
    user.password_hash = None
    user.phone_code_hash = None
    user.facts = {}
    user.is_active = False
    end_all_sessions(user)
    db.session.flush()


def _blob_in_use(sha256: str) -> bool:
    """Whether a document, a file sent with feedback (kept by the agency), or a signed document a third party
    may still verify holds these bytes."""
    from onestop.feedback.models import FeedbackAttachment
    from onestop.results.models import SignedDocument

    return any(
        db.session.scalar(select(column).where(digest == sha256).limit(1)) is not None
        for column, digest in (
            (Document.id, Document.blob_sha256),
            (FeedbackAttachment.id, FeedbackAttachment.blob_sha256),
            (SignedDocument.id, SignedDocument.blob_sha256),
        )
    )


def _announce_closure(user: User) -> None:
    """Tell the citizen at the address we are about to erase."""
    body = _(
        "Hello %(name)s,\n\nYour account on the public service portal was closed on %(day)s. Your personal details, "
        "your draft applications and the documents in your warehouse that were not part of a sent application "
        "have been deleted. Applications you already sent, and their documents, are kept by the agencies as the "
        "law on archives requires.\n\nIf you did not close your account, contact the agency at once.",
        name=user.full_name,
        day=utcnow().strftime("%d/%m/%Y"),
    )
    if user.email:
        queue_message(Channel.EMAIL, user.email, subject=_("Your account was closed"), body=body, user_id=user.id)
    elif user.phone:
        queue_message(
            Channel.SMS,
            user.phone,
            body=_("Your account on the public service portal was closed. If it was not you, contact the agency."),
            user_id=user.id,
        )


def _delete_if_unused(storage, sha256: str) -> None:
    """After the commit, remove from storage a file no document uses any more.

    Before the commit a rollback would leave rows pointing at a deleted file; after it, an upload of the
    same bytes may have made a new Blob row in the meantime, so the digest is checked once more. A store
    that is down keeps the file, unreferenced, and harms nobody.
    """
    with db.engine.connect() as connection:
        if connection.scalar(select(Blob.sha256).where(Blob.sha256 == sha256)) is None:
            storage.delete(sha256)
