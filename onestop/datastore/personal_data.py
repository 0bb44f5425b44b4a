"""A person's personal data as a whole: everything they hold as one archive, and closing the account
(what is erased, what an agency keeps, and files no one else uses deleted after the commit)."""

import json
import shutil
import tempfile
import zipfile
from datetime import date, datetime
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import delete, exists, select

from onestop.accounts.models import User
from onestop.accounts.services import AccountError, end_all_sessions
from onestop.datastore.backends.base import BlobStorage
from onestop.datastore.models import Blob, Document
from onestop.datastore.services import (
    CLOSED_ACCOUNT_NAME,
    EXPORT,
    EXPORT_SPOOL_MAX_SIZE,
    FINISHED_STATES,
    AccessEntry,
    _storage,
    access_log,
    documents_of,
    record_read,
)
from onestop.errors import NotAllowed
from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.models import utcnow
from onestop.notifications.models import Channel, OutboxMessage
from onestop.notifications.outbox import queue_message
from onestop.procedures.models import Application, ApplicationDocument, ApplicationState

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
                record_read(document, user, EXPORT, None)
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
