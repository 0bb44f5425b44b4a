"""A citizen signs a paper of their own draft application: ask in the request, sign in a Celery task.

Signable papers: the declaration (tờ khai) rendered from the answers, and every PDF attached as a paper (a
letter of authorisation, say). The signing page shows the title and the SHA-256 of exactly what is signed;
`ask_to_sign` checks that the actor is the applicant, that the draft still holds those bytes, marks a
`SignedDocument` (kind DECLARATION) pending with a `SignedPaper` saying which paper, and queues the task after
the commit (`worker.run_signing`). Only the applicant signs: not a clerk who filed for them, not anyone else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import delete, select

from onestop.accounts.models import User
from onestop.datastore.models import Blob, Document
from onestop.datastore.services import read_blob, store_generated
from onestop.declarations.models import DECLARATION_TYPE, SignedPaper
from onestop.declarations.render import DeclarationPage, answer_sections, declaration_title, render_declaration_pdf
from onestop.errors import Conflict, InvalidInput, NotFound
from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.procedures import reference
from onestop.procedures.models import Application, ApplicationDocument, ApplicationState, DocumentType
from onestop.results.codes import new_code, normalise_code, verification_url
from onestop.results.models import SignedDocument, SignedKind, SigningState

OTP_DIGITS = 6
DECLARATION = "declaration"  # the paper key of the declaration; an attached paper's is "paper-<link id>"

FAILURES = {
    "invalid_otp": _l("The code is wrong. Enter the code your authenticator app shows now."),
    "otp_reused": _l("This code was already used. Wait for the next code and try again."),
    "otp_expired": _l("This code has expired. Enter the code your authenticator app shows now."),
    "too_many_attempts": _l("Too many wrong codes. Wait 15 minutes before trying again."),
    "no_credential": _l("You have not set up your digital signature yet. Set it up in your account first."),
    "certificate_missing": _l("Your digital signature has no certificate yet. Set it up again in your account."),
    "certificate_revoked": _l("Your digital signature was stopped. Set it up again in your account to sign."),
    "certificate_expired": _l("Your signing certificate has expired. Set your digital signature up again."),
    "certificate_untrusted": _l("Your signing certificate is not trusted. Set your digital signature up again."),
    "service_unavailable": _l(
        "The signing service did not answer. Nothing was signed; try again in a few minutes with a new code."
    ),
    "tsa_unavailable": _l(
        "The time-stamping service did not answer. Nothing was signed; try again in a few minutes with a new code."
    ),
    "invalid_pdf": _l("This file cannot be signed: it is not a PDF that can be read. Attach it again as a PDF."),
    "file_moved": _l("The application changed while the paper was being signed. Nothing was changed; sign again."),
    "interrupted": _l("The signing was interrupted and did not finish. Nothing was changed; sign again."),
}


def failure_message(code: str) -> str:
    return str(FAILURES.get(code) or _("Signing failed. Nothing was signed; try again later."))


@dataclass
class Paper:
    """One paper of the draft the citizen may sign, and where its signing stands."""

    key: str
    title: str
    type_code: str
    link: ApplicationDocument | None
    signing: SignedDocument | None  # the latest signing of this paper, if any
    problem: str = ""  # why it cannot be signed (not a PDF...), in words
    is_outdated: bool = False  # a signed declaration whose answers changed since: to be signed again

    @property
    def is_declaration(self) -> bool:
        return self.link is None

    @property
    def is_pending(self) -> bool:
        return self.signing is not None and self.signing.state == SigningState.PENDING and not _is_stale(self.signing)

    @property
    def is_signed(self) -> bool:
        return self.signing is not None and self.signing.state == SigningState.SIGNED

    @property
    def is_done(self) -> bool:
        """Signed, and still saying what the application says."""
        return self.is_signed and not self.is_outdated

    @property
    def failure(self) -> str:
        if self.signing is None or self.is_signed or self.is_pending:
            return ""
        return failure_message("interrupted" if self.signing.state == SigningState.PENDING else self.signing.failure)

    @property
    def may_sign(self) -> bool:
        return not self.problem and not self.is_pending and (not self.is_signed or self.is_outdated)


def _is_stale(signing: SignedDocument) -> bool:
    """A signing a dead worker left pending: its code is spent or expired, so the citizen may sign again."""
    limit = timedelta(seconds=current_app.config["SIGNING_STALE_SECONDS"])
    return signing.state == SigningState.PENDING and signing.requested_at < utcnow() - limit


def check_signer(user: User, application: Application) -> None:
    """Only the applicant signs their own papers, and only while the application is a draft."""
    if user.is_staff or user.id != application.applicant_id:
        raise NotFound(_("There is no such application in your account."))
    if application.state_enum is not ApplicationState.DRAFT:
        raise Conflict(_("This application has already been sent: its papers can no longer be signed here."))


def _signings(application: Application) -> list[tuple[SignedPaper, SignedDocument]]:
    query = (
        select(SignedPaper, SignedDocument)
        .join(SignedDocument, SignedDocument.id == SignedPaper.signed_document_id)
        .where(SignedPaper.application_id == application.id)
        .order_by(SignedDocument.id)
    )
    return list(db.session.execute(query).tuples())


def _type_titles(application: Application, codes: set[str]) -> dict[str, dict]:
    rows = db.session.scalars(
        select(DocumentType).where(
            DocumentType.province_id == application.procedure.province_id, DocumentType.code.in_(codes)
        )
    )
    return {row.code: dict(row.name) for row in rows}


def _unsignable(document: Document) -> str:
    if document.blob.content_type != "application/pdf":
        return _("Only PDF files can be signed. Attach this paper as a PDF to sign it.")
    return ""


def papers(application: Application, user: User) -> list[Paper]:
    """The declaration, then each attached paper, with the latest signing of each."""
    check_signer(user, application)
    signings = _signings(application)
    latest = next(((p, s) for p, s in reversed(signings) if p.document_type_code == DECLARATION_TYPE), None)
    declaration = latest[1] if latest else None
    outdated = bool(
        latest and declaration.state == SigningState.SIGNED and latest[0].answers_sha256 != answers_digest(application)
    )
    title = localized(declaration_title(application))
    found = [Paper(DECLARATION, title, DECLARATION_TYPE, None, declaration, is_outdated=outdated)]
    titles = _type_titles(application, {link.document_type_code for link in application.documents})
    for link in application.documents:
        if link.document_type_code == DECLARATION_TYPE:
            continue
        latest = next(
            (
                s
                for p, s in reversed(signings)
                if p.source_document_id == link.document_id or (s.document_id == link.document_id and s.document_id)
            ),
            None,
        )
        title = localized(titles.get(link.document_type_code)) or link.document.title
        problem = _unsignable(link.document)
        found.append(Paper(f"paper-{link.id}", title, link.document_type_code, link, latest, problem))
    return found


def paper(application: Application, user: User, key: str) -> Paper:
    for candidate in papers(application, user):
        if candidate.key == key:
            return candidate
    raise NotFound(_("This paper is not attached to the application."))


# --- The declaration's PDF: rendered once for the page, the same bytes signed ------------------------------


@dataclass(frozen=True)
class Prepared:
    """A rendered declaration: its bytes' digest, the code printed on it, and the draft's version it shows."""

    sha256: str
    verification_code: str
    answers_at: str  # the draft's `updated_at` when rendered (ISO)


def prepare_declaration(application: Application, user: User, kept: Prepared | None = None) -> Prepared:
    """Render the declaration from the answers as they are now, unless `kept` (from this page's last visit)
    is still in the blob store and the draft has not changed since it was rendered."""
    check_signer(user, application)
    if kept is not None and _still_current(application, kept):
        return kept
    code = new_code()
    agency = reference.agency(application.receiving_agency_id)
    page = DeclarationPage(
        title=localized(declaration_title(application), "vi"),
        procedure=localized(application.procedure.name, "vi"),
        agency=localized(application.receiving_agency.name, "vi"),
        applicant=application.applicant.full_name,
        sections=answer_sections(application),
        made_at=utcnow(),
        timezone=agency.timezone,
        verification_code=code,
        verification_url=verification_url(code),
    )
    stored = store_generated(render_declaration_pdf(page), f"to-khai-{application.id}.pdf")
    return Prepared(stored.sha256, code, _version(application))


def answers_digest(application: Application) -> str:
    canonical = json.dumps(application.answers or {}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _version(application: Application) -> str:
    return application.updated_at.isoformat() if application.updated_at else ""


def _still_current(application: Application, kept: Prepared) -> bool:
    """The kept declaration shows the draft as it is, its blob is stored, and its code was not used since."""
    return (
        kept.answers_at == _version(application)
        and normalise_code(kept.verification_code) == kept.verification_code
        and db.session.get(Blob, kept.sha256) is not None
        and not _code_taken(kept.verification_code)
    )


def _code_taken(code: str) -> bool:
    return db.session.scalar(select(SignedDocument.id).where(SignedDocument.verification_code == code)) is not None


def _typed_code(otp: str) -> str:
    code = "".join((otp or "").split())
    if len(code) != OTP_DIGITS or not code.isdigit():
        raise InvalidInput(_("Enter the 6-digit code."))
    return code


def check_pdf(content: bytes) -> None:
    """Refuse, before any code is spent, what cannot be signed: not a PDF, encrypted, or unreadable."""
    if b"%PDF-" not in content[:1024]:
        raise InvalidInput(failure_message("invalid_pdf"))
    try:
        reader = PdfFileReader(BytesIO(content), strict=False)
        encrypted = reader.encrypted
        reader.root  # noqa: B018  (reading the catalogue finds a damaged file)
    except Exception:  # any parser failure on an uploaded file means "cannot be signed", never a 500
        raise InvalidInput(failure_message("invalid_pdf")) from None
    if encrypted:
        raise InvalidInput(_("This PDF is protected by a password and cannot be signed. Attach an unprotected copy."))


def ask_to_sign(
    application: Application, user: User, key: str, otp: str, shown_sha256: str, prepared: Prepared | None = None
) -> SignedDocument:
    """Queue the task that signs exactly the bytes the citizen was shown, with their one-time code."""
    target = paper(application, user, key)
    code = _typed_code(otp)
    if target.is_signed and not target.is_outdated:
        raise Conflict(_("This paper is already signed."))
    if target.is_pending:
        raise Conflict(_("This paper is being signed. Wait for the outcome."))
    if target.problem:
        raise InvalidInput(target.problem)
    if target.is_declaration:
        if prepared is None or prepared.sha256 != shown_sha256 or not _still_current(application, prepared):
            raise Conflict(_("Your answers changed since you opened this page. Check the declaration again."))
        sha256, verification_code, source_id = prepared.sha256, prepared.verification_code, None
        title = declaration_title(application)
    else:
        document = target.link.document
        if document.blob_sha256 != shown_sha256:
            raise Conflict(_("The paper changed since you opened this page. Check it again before signing."))
        sha256, verification_code, source_id = document.blob_sha256, new_code(), document.id
        title = _type_titles(application, {target.type_code}).get(target.type_code) or {"vi": document.title}
    check_pdf(read_blob(sha256))
    if target.signing is not None and target.signing.state == SigningState.PENDING:  # stale: let it go
        target.signing.state, target.signing.failure = SigningState.FAILED, "interrupted"
    signing = SignedDocument(
        kind=SignedKind.DECLARATION,
        application_id=application.id,
        agency_id=None,
        title=dict(title),
        verification_code=verification_code,
        state=SigningState.PENDING,
        signer_id=user.id,
        signer_name=user.full_name,
        requested_at=utcnow(),
    )
    db.session.add(signing)
    db.session.flush()
    db.session.add(
        SignedPaper(
            signed_document_id=signing.id,
            application_id=application.id,
            document_type_code=target.type_code,
            source_document_id=source_id,
            unsigned_sha256=sha256,
            answers_sha256=answers_digest(application) if target.is_declaration else None,
        )
    )
    db.session.flush()
    from onestop.declarations.tasks import sign_paper

    after_commit(sign_paper.delay, signing.id, code, sha256)
    return signing


def forget_draft_signings(application: Application) -> None:
    """A draft erased with its account: the signatures of its papers go too (no agency ever received them)."""
    ids = list(
        db.session.scalars(select(SignedPaper.signed_document_id).where(SignedPaper.application_id == application.id))
    )
    if ids:
        db.session.execute(delete(SignedPaper).where(SignedPaper.signed_document_id.in_(ids)))
        db.session.execute(
            delete(SignedDocument).where(SignedDocument.id.in_(ids), SignedDocument.kind == SignedKind.DECLARATION)
        )
