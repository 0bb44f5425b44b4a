"""Sealing the one-stop slips: receipt, supplement, refusal and apology slips carry the agency's seal.

When `workflow.common.issue` freezes a slip, `prepare` gives it a verification code (printed on the slip
beside the status QR code) and a pending SignedDocument(kind=slip). After the commit a Celery task renders the
slip, asks the signing service for a one-time code for the agency's seal credential (enrolled with `flask
--app wsgi signing enrol --seal AGENCY`, which takes its codes out of band), seals the PDF as PAdES B-LT and
stores it; from then on the citizen and the office download the sealed file.

Sealing never holds up the workflow: the slip exists and is issued whether or not it is sealed. With no seal
credential for the agency, SLIP_SEALING off, or a signing service that stays silent through every retry,
the document is marked failed with the reason, the slip is served unsealed as before, and the verification
page says that it was issued but is not sealed. A periodic sweep re-queues slips a lost task left pending.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

from celery import shared_task
from flask import current_app
from sqlalchemy import select

from onestop.datastore.backends.base import BlobNotFound, storage_from_config
from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.procedures.models import Application, IssuedSlip, SlipKind
from onestop.provinces.models import Agency
from onestop.results.codes import new_code
from onestop.results.models import SignedDocument, SignedKind, SigningState
from onestop.signing import client

logger = logging.getLogger(__name__)

# What a slip is called on the verification page (the slips themselves are Vietnamese forms).
SLIP_TITLES = {
    SlipKind.RECEIPT: {"vi": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "en": "Receipt and appointment slip"},
    SlipKind.SUPPLEMENT: {
        "vi": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        "en": "Request to complete the application",
    },
    SlipKind.REFUSAL: {"vi": "Phiếu từ chối tiếp nhận giải quyết hồ sơ", "en": "Refusal to receive the application"},
    SlipKind.APOLOGY: {
        "vi": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "en": "Apology and new date for the result",
    },
}
# The reasons a slip stays unsealed, as stored in SignedDocument.failure (the page words them).
NO_SEAL = "no_seal_credential"
SEALING_OFF = "sealing_off"
SERVICE_SILENT = "service_unavailable"
MAX_RETRIES = 5
# Refusals a new attempt (with a new code) may get past: the sent code expired before the signature was asked.
RETRYABLE = frozenset({"otp_expired"})
# A pending slip older than this is re-queued by the sweep (its task was lost with a broker or a worker).
STALE_AFTER = timedelta(minutes=10)


def prepare(application: Application, slip: IssuedSlip) -> SignedDocument | None:
    """Give a newly issued slip its verification code and pending seal; queue the sealing after commit."""
    if slip.kind not in SLIP_TITLES:
        return None
    code = _unused_code()
    slip.facts = {**(slip.facts or {}), "verification_code": code}
    sealing = bool(current_app.config.get("SLIP_SEALING", True))
    document = SignedDocument(
        kind=SignedKind.SLIP,
        application_id=application.id,
        agency_id=application.receiving_agency_id,
        title=dict(SLIP_TITLES[slip.kind]),
        verification_code=code,
        state=SigningState.PENDING if sealing else SigningState.FAILED,
        failure="" if sealing else SEALING_OFF,
    )
    db.session.add(document)
    if sealing:
        after_commit(_queue, code)
    return document


def _unused_code() -> str:
    with db.session.no_autoflush:  # the slip being issued is flushed with the rest of the workflow's changes
        while True:
            code = new_code()
            if db.session.scalar(select(SignedDocument.id).where(SignedDocument.verification_code == code)) is None:
                return code


def _queue(code: str) -> None:
    seal_slip.delay(code)


def slip_of(document: SignedDocument) -> IssuedSlip | None:
    """The issued slip a slip document seals (its code is frozen in the slip's facts)."""
    if document.application_id is None:
        return None
    slips = db.session.scalars(select(IssuedSlip).where(IssuedSlip.application_id == document.application_id))
    code = document.verification_code
    return next((slip for slip in slips if (slip.facts or {}).get("verification_code") == code), None)


def sealed_pdf(slip: IssuedSlip) -> bytes | None:
    """The sealed PDF of this slip, if it was sealed; None means: render it unsealed, as before."""
    code = (slip.facts or {}).get("verification_code")
    if not code:
        return None
    document = db.session.scalar(select(SignedDocument).where(SignedDocument.verification_code == code))
    if document is None or document.state != SigningState.SIGNED or not document.blob_sha256:
        return None
    try:
        stream = storage_from_config(current_app.config).open(document.blob_sha256)
    except (BlobNotFound, OSError):
        logger.error("sealed slip %s: its PDF %s is missing; serving it unsealed", code, document.blob_sha256)
        return None
    try:
        return stream.read()
    finally:
        stream.close()


def _finish(document: SignedDocument, failure: str) -> None:
    document.state = SigningState.FAILED
    document.failure = failure
    db.session.commit()


@shared_task(bind=True, max_retries=MAX_RETRIES)
def seal_slip(self, code: str) -> None:
    """Render, seal and store one slip; retry while the signing service or the TSA is silent."""
    document = db.session.scalar(select(SignedDocument).where(SignedDocument.verification_code == code))
    if document is None or document.state != SigningState.PENDING:
        return
    slip = slip_of(document)
    agency = db.session.get(Agency, document.agency_id) if document.agency_id else None
    if slip is None or agency is None:
        _finish(document, "slip_missing")
        return
    try:
        signed = _seal(slip, agency)
    except client.SigningFailed as exc:
        if not isinstance(exc, client.SigningUnavailable) and exc.code not in RETRYABLE:
            logger.warning("slip %s left unsealed: %s", code, exc)
            _finish(document, exc.code)
            return
        if self.request.retries >= MAX_RETRIES:
            logger.warning("slip %s left unsealed: the signing service did not answer (%s)", code, exc)
            _finish(document, SERVICE_SILENT)
            return
        db.session.rollback()
        raise self.retry(countdown=30 * 2**self.request.retries) from None
    except Exception:  # a render or store fault must not leave the slip pending for ever
        logger.exception("slip %s left unsealed", code)
        db.session.rollback()
        _finish(document, "seal_failed")
        return
    if signed is None:
        _finish(document, NO_SEAL)
        return
    stored = storage_from_config(current_app.config).put(io.BytesIO(signed))
    from onestop.datastore.services import record_blob  # the blob row is written the one way it always is

    record_blob(SimpleNamespace(sha256=stored.sha256, size=stored.size, content_type="application/pdf"))
    document.blob_sha256 = stored.sha256
    document.state = SigningState.SIGNED
    document.signed_at = utcnow()
    document.signer_name = localized(agency.name, "vi")
    document.failure = ""
    db.session.commit()


def _seal(slip: IssuedSlip, agency: Agency) -> bytes | None:
    """The slip's PDF sealed with the agency's seal credential; None when the agency has none."""
    from onestop.office.slips import issued_slip
    from onestop.slips.render import render_pdf

    settings = client.settings_from_config(current_app.config)
    answer = client.call_service_sync(settings, "csc/v1/credentials/list", {"userID": f"seal:{agency.code}"})
    credentials = answer.get("credentialIDs") or []
    if not credentials:
        return None
    credential = credentials[-1]  # the newest: a re-enrolled seal replaces the old one
    pdf = render_pdf(issued_slip(slip))
    otp, _lifetime = client.request_code(credential, agency.code, settings)
    return client.sign_pdf(
        pdf, credential, otp, agency.code, archival=False, settings=settings, reason="Đóng dấu điện tử phiếu một cửa"
    )


@shared_task
def seal_stale_slips() -> int:
    """Re-queue slips left pending by a lost task (a broker down at commit, a worker killed)."""
    cutoff = utcnow() - STALE_AFTER
    codes = list(
        db.session.scalars(
            select(SignedDocument.verification_code).where(
                SignedDocument.kind == SignedKind.SLIP,
                SignedDocument.state == SigningState.PENDING,
                SignedDocument.requested_at < cutoff,
            )
        )
    )
    for code in codes:
        seal_slip.delay(code)
    return len(codes)
