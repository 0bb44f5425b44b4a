"""Warehouse rules: documents added ahead of filing, reads allowed per document and logged, and the
citizen's rights over their personal data are in personal_data.py (download everything, close the account).

Services take the acting user as a parameter, check it against the document, change rows and flush;
the request commits. Blobs are removed from the storage backend only after that commit.
"""

import enum
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, selectinload

from onestop.accounts.models import User
from onestop.datastore.backends.base import BlobStorage, storage_from_config
from onestop.datastore.models import Blob, Document, DocumentAccess, Provenance
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.models import utcnow
from onestop.procedures.models import FINAL_STATES, Application, ApplicationState, DocumentType
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


def record_read(document: Document, reader: User, reason: str, application: Application | None) -> None:
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
    record_read(document, reader, reason, application)
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
