"""The citizen's signing, in the Celery worker: sign through the CSC service, then put the signed file in place.

No transaction stays open while the service and the TSA are asked. Then, in one transaction, the signed PDF
becomes a paper of the applicant's warehouse and takes the unsigned one's place in the application (the
declaration's slot for the rendered declaration), and the `SignedDocument` is marked signed. Any refusal leaves
the draft as it was and the row `failed` with a code the page words; an unanswered service or TSA is retried.
PAdES B-LT: a signature timestamp and the chain's revocation data, enough for a validator years later.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from onestop.accounts.models import User
from onestop.datastore.models import Document, Provenance
from onestop.datastore.services import add_document, read_blob, store_generated
from onestop.declarations import credentials
from onestop.declarations.models import DECLARATION_TYPE, SignedPaper
from onestop.extensions import db
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.procedures.filing import attach_document
from onestop.procedures.models import Application, ApplicationState
from onestop.results.models import SignedDocument, SigningState
from onestop.results.signing import fail_signing
from onestop.signing import client

RETRY_DELAYS = (2, 10, 30)  # seconds between attempts when the service or the TSA does not answer


def _fail(signed_id: int, code: str) -> str:
    fail_signing(signed_id, code)
    return "failed"


def run_signing(signed_id: int, otp: str, sha256: str, attempt: int = 0) -> str:
    """Sign one paper; "signed", "failed", or "retry" when the service or the TSA may answer later."""
    signed = db.session.get(SignedDocument, signed_id)
    if signed is None or signed.state != SigningState.PENDING:
        return "done"
    signer = db.session.get(User, signed.signer_id) if signed.signer_id else None
    if signer is None:
        return _fail(signed_id, "no_credential")
    unsigned = read_blob(sha256)
    db.session.commit()
    try:
        settings = client.settings_from_config(current_app.config)
        credential = credentials.usable_credential(signer, settings)
        if credential is None:
            raise client.SigningFailed("no_credential")
        pdf = client.sign_pdf(unsigned, credential, otp, "", archival=False, settings=settings)
    except client.SigningUnavailable as failure:
        if attempt < len(RETRY_DELAYS):
            return "retry"
        return _fail(signed_id, failure.code)
    except client.SigningFailed as failure:
        # After an unanswered attempt the code may have been spent on the way: report the outage, not the code.
        code = "service_unavailable" if attempt and failure.code in ("otp_reused", "invalid_sad") else failure.code
        return _fail(signed_id, code)
    return _put_in_place(signed_id, sha256, pdf)


def _put_in_place(signed_id: int, sha256: str, pdf: bytes) -> str:
    signed = db.session.get(SignedDocument, signed_id)
    paper = db.session.scalar(select(SignedPaper).where(SignedPaper.signed_document_id == signed_id))
    application = db.session.get(Application, signed.application_id) if signed.application_id else None
    if (
        paper is None
        or application is None
        or application.state_enum is not ApplicationState.DRAFT
        or application.applicant_id != signed.signer_id
    ):
        return _fail(signed_id, "file_moved")
    if paper.source_document_id is None:
        links = [link for link in application.documents if link.document_type_code == DECLARATION_TYPE]
    else:
        links = [link for link in application.documents if link.document_id == paper.source_document_id]
        source = db.session.get(Document, paper.source_document_id)
        if not links or source is None or source.blob_sha256 != sha256:
            return _fail(signed_id, "file_moved")
    signer = db.session.get(User, signed.signer_id)
    stored = store_generated(pdf, _filename(application, paper))
    document = add_document(
        signer,
        paper.document_type_code,
        stored,
        localized(signed.title, "vi"),
        added_by=signer,
        provenance=Provenance.UPLOADED,
        source_application_id=application.id,
    )
    if paper.source_document_id is None:
        for link in links:  # an earlier signed declaration gives way to this one
            application.documents.remove(link)
        attach_document(application, DECLARATION_TYPE, document)
    else:
        for link in links:
            link.document_id = document.id
    signed.blob_sha256 = stored.sha256
    signed.document_id = document.id
    signed.state = SigningState.SIGNED
    signed.signed_at = utcnow()
    db.session.commit()
    return "signed"


def _filename(application: Application, paper: SignedPaper) -> str:
    if paper.source_document_id is None:
        return f"to-khai-{application.id}-da-ky.pdf"
    source = db.session.get(Document, paper.source_document_id)
    stem = (source.filename if source else "giay-to.pdf").rsplit(".", 1)[0]
    return f"{stem}-da-ky.pdf"
