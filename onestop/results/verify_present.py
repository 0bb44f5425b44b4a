"""The verification page's words: one verdict, the facts of the document, and each check ticked or crossed.

The service (verify.py) finds things out; this decides how a stranger reads them, so that the template only
prints. The verdict comes first and in plain words: "genuine", "not genuine", "revoked", and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from onestop.extensions import db
from onestop.i18n import localized
from onestop.provinces.models import Agency
from onestop.results.models import SignedDocument, SignedKind
from onestop.results.revocation import may_revoke
from onestop.results.verify import UploadProblem, Verification, mask_name, max_upload_bytes
from onestop.signing.validation import Problem, SignatureReport


@dataclass(frozen=True)
class Check:
    passed: bool
    text: str


@dataclass
class VerifyPage:
    tone: str  # good, bad, warn or neutral: the verdict box's colour (its words say the same)
    headline: str
    explanation: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    replacement_url: str | None = None
    revoke_url: str | None = None
    found: bool = True


def _when(moment) -> str:
    return format_datetime(moment, "dd/MM/yyyy HH:mm") if moment else ""


def _unreadable(report: SignatureReport | None, problem: str | None) -> VerifyPage | None:
    """An upload that cannot be checked at all."""
    if problem == UploadProblem.TOO_LARGE:
        size = max_upload_bytes() // (1024 * 1024)
        return VerifyPage(
            "warn",
            _("This file is too large to check"),
            _(
                "Documents issued through the portal are smaller than %(size)s MB. Check that you chose the right "
                "file, or type the verification code printed on the paper.",
                size=size,
            ),
        )
    if problem == UploadProblem.EMPTY:
        return VerifyPage("warn", _("This file is empty"), _("Choose the PDF file you received and try again."))
    if report is None:
        return None
    if report.problem == Problem.NOT_PDF:
        return VerifyPage(
            "warn",
            _("This file is not a PDF"),
            _(
                "Documents issued through the portal are PDF files. Upload the PDF you received, or type the "
                "verification code printed on the paper."
            ),
        )
    if report.problem == Problem.ENCRYPTED:
        return VerifyPage(
            "bad",
            _("This PDF is locked with a password and cannot be checked"),
            _("The portal never issues password-protected documents, so this is not the file it issued."),
        )
    if report.problem == Problem.DAMAGED and not report.is_signed:
        return VerifyPage(
            "warn",
            _("This PDF is damaged and cannot be read"),
            _("Ask the person who gave it to you for the original file, or type the verification code on the paper."),
        )
    return None


def _signature_checks(report: SignatureReport) -> list[Check]:
    if report.problem == Problem.NO_SIGNATURE:
        return [Check(False, _("The file carries no electronic signature."))]
    if report.changed_after_signing or report.problem == Problem.DAMAGED:
        # Whose certificate it was no longer matters, and a broken signature cannot say it anyway.
        return [Check(False, _("The signature is broken: the file was changed after it was signed."))]
    intact = Check(True, _("The signature is intact: the file has not been changed since it was signed."))
    if report.trusted:
        trusted = Check(True, _("The signing certificate is trusted: the province's authority issued it."))
    else:
        trusted = Check(False, _("The signing certificate is not one the province trusts."))
    return [intact, trusted]


def _document_facts(result: Verification) -> list[tuple[str, str]]:
    document = result.document
    agency = db.session.get(Agency, document.agency_id) if document.agency_id else None
    report = result.stored
    facts = [(_("Document"), localized(document.title))]
    if agency is not None:
        facts.append((_("Issued by"), localized(agency.name)))
    declaration = document.kind == SignedKind.DECLARATION
    if declaration:
        facts.append((_("Kind"), _("A declaration or paper the applicant signed for their own application")))
    elif result.applicant_name:
        facts.append((_("Issued to"), result.applicant_name))
    signer = (report.signer_name if report and report.signer_name else "") or document.signer_name
    if declaration:
        # The signer is the applicant, a private person: masked like the applicant of a result.
        facts.append((_("Signed by"), mask_name(signer)))
    elif signer:
        facts.append((_("Sealed by") if document.kind == SignedKind.SLIP else _("Signed by"), signer))
    signed_at = (report.signing_time if report else None) or document.signed_at
    if signed_at:
        facts.append((_("Signed on"), _when(signed_at)))
    elif not result.is_signed:
        facts.append((_("Issued on"), _when(document.requested_at)))
    facts.append((_("Verification code"), document.verification_code))
    return facts


def _unknown(result: Verification) -> VerifyPage:
    page = VerifyPage(
        "bad",
        _("No document has this verification code"),
        _(
            "Check the code against the paper: it has ten letters and digits, like 7KQ4-MX29-HP. If it is typed "
            "right, the paper was not issued through this portal: do not rely on it."
        ),
        found=False,
    )
    if result.upload is not None:
        page.checks = _signature_checks(result.upload)
    return page


def _unmatched_upload(report: SignatureReport) -> VerifyPage:
    """An upload without a code whose content the portal never issued: only its signature can be judged."""
    checks = _signature_checks(report)
    if report.is_genuine:
        page = VerifyPage(
            "warn",
            _("The signature is valid, but this portal has no record of this exact file"),
            _("Type the verification code printed on the document to check it against what was issued."),
            checks=checks,
        )
        page.facts = [(_("Signed by"), report.signer_name), (_("Signed on"), _when(report.signing_time))]
        if report.signer_organization:
            page.facts.insert(1, (_("Organisation"), report.signer_organization))
        return page
    return VerifyPage(
        "bad",
        _("Not genuine"),
        _("This file was not issued through this portal, and its signature does not prove where it comes from."),
        checks=checks,
        found=False,
    )


def present(result: Verification) -> VerifyPage:
    """The page for one check: what to believe first, then why."""
    unreadable = _unreadable(result.upload, result.upload_problem)
    if unreadable is not None and not result.upload_matches:
        return unreadable
    document = result.document
    if document is None or not (result.is_signed or result.pending or result.unsealed_slip):
        if result.upload is not None and result.code is None:
            return _unmatched_upload(result.upload)
        return _unknown(result)
    facts = _document_facts(result)
    revoke_url = None
    if may_revoke(current_user, document):
        revoke_url = url_for("verify.revoke", code=document.verification_code)
    if result.pending:
        return VerifyPage(
            "neutral",
            _("This document is being signed"),
            _("It was issued a moment ago and its electronic signature is on its way. Try again in a few minutes."),
            facts=facts,
        )
    if result.unsealed_slip:
        return VerifyPage(
            "warn",
            _("Issued, but not electronically sealed"),
            _(
                "The agency issued this slip, but it carries no electronic seal, so its file cannot prove its own "
                "content. Compare the details below with the paper, or ask the agency."
            ),
            facts=facts,
        )
    # A copy that differs is judged on its own signature; the issued document's facts still stand below.
    judged = result.upload if result.upload is not None and not result.upload_matches else result.stored
    checks = _signature_checks(judged) if judged is not None else []
    if result.upload is not None:
        if result.upload_matches:
            checks.insert(0, Check(True, _("Your file is exactly the one issued under this code.")))
        else:
            checks.insert(0, Check(False, _("Your file is not the one issued under this code.")))
    replacement_url = url_for("verify.by_code", code=result.replacement_code) if result.replacement_code else None
    page = VerifyPage("good", "", facts=facts, checks=checks, replacement_url=replacement_url, revoke_url=revoke_url)
    if result.upload is not None and not result.upload_matches:
        page.tone, page.headline = "bad", _("Not genuine: this file is not the document that was issued")
        if result.upload.changed_after_signing:
            page.explanation = _("It was changed after it was signed. Rely only on the document described below.")
        else:
            page.explanation = _("Its content differs from the issued document. Rely only on the document below.")
    elif document.revoked_at is not None:
        page.tone, page.headline = "bad", _("Revoked: this document is no longer valid")
        page.explanation = _(
            "The issuing agency revoked it on %(date)s. Reason: %(reason)s",
            date=_when(document.revoked_at),
            reason=document.revoked_reason,
        )
    elif replacement_url:
        page.tone, page.headline = "warn", _("Replaced by a newer document")
        page.explanation = _("This document was replaced: rely on the newer one.")
    elif result.stored is not None and result.stored.is_genuine and document.kind == SignedKind.DECLARATION:
        page.headline = _("Genuine: signed by the applicant below and not changed since")
    elif result.stored is not None and result.stored.is_genuine:
        page.headline = _("Genuine: issued by the agency below and not changed since")
    else:
        page.tone, page.headline = "bad", _("We cannot confirm that this document is genuine")
        page.explanation = _("Its signature does not check out. Ask the issuing agency before relying on it.")
    if document.kind == SignedKind.SLIP and page.tone == "good":
        page.explanation = _("The slip carries the electronic seal of the one-stop department that issued it.")
    return page


# --- What the applicant sees of a revocation (their application page, their warehouse) ---------------------


@dataclass(frozen=True)
class RevokedNotice:
    title: str
    code: str
    revoked_on: str
    reason: str
    url: str


def _notice(document: SignedDocument) -> RevokedNotice:
    return RevokedNotice(
        localized(document.title),
        document.verification_code,
        _when(document.revoked_at),
        document.revoked_reason,
        url_for("verify.by_code", code=document.verification_code),
    )


def revoked_of_application(application) -> list[RevokedNotice]:
    """The application's signed documents that were revoked, newest first."""
    query = (
        select(SignedDocument)
        .where(SignedDocument.application_id == application.id, SignedDocument.revoked_at.is_not(None))
        .order_by(SignedDocument.revoked_at.desc())
    )
    return [_notice(document) for document in db.session.scalars(query)]


def revoked_in_warehouse(documents) -> dict[int, RevokedNotice]:
    """Warehouse documents whose signed original was revoked, by document id (one query for the page)."""
    ids = [document.id for document in documents]
    if not ids:
        return {}
    query = select(SignedDocument).where(SignedDocument.document_id.in_(ids), SignedDocument.revoked_at.is_not(None))
    return {document.document_id: _notice(document) for document in db.session.scalars(query)}
