"""The leader's approval is the signing: ask (in the request), sign (in a Celery task), issue (in one commit).

`ask_to_sign` checks that the leader may approve this file now, that the draft is exactly the one they were
shown (its SHA-256), and that the fee is paid; it marks a `SignedDocument` pending and queues the task after
the commit. The task reads the unsigned PDF, signs it through the CSC service with the leader's one-time
code (PAdES B-LTA: results are kept for years), stores the signed blob, and in one transaction records the
signature, puts the PDF in the applicant's warehouse, moves the file as approving and delivering do, and
tells the citizen. Any refusal leaves the file where it was and the row `failed` with a reason the page
words; a service or TSA that does not answer is retried by Celery first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from onestop.accounts.models import User
from onestop.datastore.models import IssuedType, Provenance
from onestop.datastore.services import add_document, read_blob, store_generated
from onestop.errors import Conflict, InvalidInput, NotAllowed
from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.i18n import localized
from onestop.models import utcnow
from onestop.notifications.notify import notify_applicant, notify_staff
from onestop.payments.fees import dong
from onestop.procedures import clock
from onestop.procedures.models import Application, ApplicationState, SlipKind
from onestop.procedures.route import Stage
from onestop.procedures.workflow import steps
from onestop.procedures.workflow.common import check, issue, move, record
from onestop.procedures.workflow.notices import tell_refusal
from onestop.procedures.workflow.processing import result_names
from onestop.procedures.workflow.table import Action, open_steps
from onestop.results import drafting, handover
from onestop.results.models import ResultDraft, SignedDocument, SignedKind, SigningState
from onestop.signing import client

S = ApplicationState
OTP_DIGITS = 6
# What a failed signature's stored code means, in words for the leader.
FAILURES = {
    "invalid_otp": _l("The code is wrong. Enter the code your authenticator app shows now."),
    "otp_reused": _l("This code was already used. Wait for the next code and try again."),
    "otp_expired": _l("This code has expired. Enter the code your authenticator app shows now."),
    "too_many_attempts": _l("Too many wrong codes. Wait 15 minutes before trying again."),
    "no_credential": _l("You have no signing certificate yet. Ask the administrator to enrol you."),
    "certificate_missing": _l("Your signing key has no certificate yet. Ask the administrator to install it."),
    "certificate_revoked": _l("Your signing certificate was revoked. Ask the administrator for a new one."),
    "certificate_expired": _l("Your signing certificate has expired. Ask the administrator for a new one."),
    "certificate_untrusted": _l("Your signing certificate is not trusted. Ask the administrator to check it."),
    "wrong_agency": _l("Your signing certificate belongs to another agency: it cannot sign for this one."),
    "service_unavailable": _l(
        "The signing service did not answer. Nothing was signed; try again in a few minutes with a new code."
    ),
    "tsa_unavailable": _l(
        "The time-stamping service did not answer. Nothing was signed; try again in a few minutes with a new code."
    ),
    "file_moved": _l("The application changed while it was being signed. Nothing was issued; check it again."),
    "interrupted": _l(
        "The signing was interrupted and did not finish. Nothing was issued; sign again with a new code."
    ),
}
RETRY_DELAYS = (2, 10, 30)  # seconds between attempts when the service or the TSA does not answer


def failure_message(code: str) -> str:
    return str(FAILURES.get(code) or _("Signing failed. Nothing was signed; try again or ask the administrator."))


def _settings() -> client.SigningSettings:
    return client.settings_from_config(current_app.config)


def signed_document_of(draft: ResultDraft | None) -> SignedDocument | None:
    return db.session.get(SignedDocument, draft.signed_document_id) if draft and draft.signed_document_id else None


@dataclass
class SignPage:
    """What the leader sees before entering the code: what exactly they sign."""

    application: Application
    draft: ResultDraft | None
    title: str
    applicant: str
    sha256: str
    signed: SignedDocument | None
    is_refusal: bool

    @property
    def is_pending(self) -> bool:
        return self.signed is not None and self.signed.state == SigningState.PENDING

    @property
    def is_signed(self) -> bool:
        return self.signed is not None and self.signed.state == SigningState.SIGNED

    @property
    def failure(self) -> str:
        if self.signed is not None and self.signed.state == SigningState.FAILED:
            return failure_message(self.signed.failure)
        return ""

    @property
    def handover_note(self) -> str:
        """After signing, what still happens to a paper copy the citizen asked for."""
        if not self.is_signed or self.is_refusal or not handover.delivers_on_paper(self.application):
            return ""
        if handover.by_post(self.application):
            return _("The reception clerk prints the signed result and posts it to the citizen.")
        return _("The reception clerk prints the signed result and hands it over at the counter.")

    @property
    def needs_upload(self) -> bool:
        return self.draft is None


def _title(application: Application, kind: SignedKind) -> dict:
    if kind == SignedKind.REFUSAL:
        return {"vi": "Thông báo từ chối giải quyết hồ sơ", "en": "Refusal of the application"}
    names = result_names(application)
    return dict(names) if isinstance(names, dict) else {"vi": str(names)}


def sign_page(application: Application, actor: User) -> SignPage:
    """The page of the leader's approval; prepares the draft (rendered from the template) if there is none."""
    draft = drafting.draft_of(application)
    signed = signed_document_of(draft)
    if signed is None or signed.state == SigningState.FAILED:
        check(actor, application, Action.APPROVE)
        draft = drafting.draft_for_signing(application, actor)
    kind = draft.kind if draft else SignedKind.RESULT
    return SignPage(
        application=application,
        draft=draft,
        title=localized(_title(application, kind)),
        applicant=application.applicant.full_name,
        sha256=(draft.pdf_sha256 or "") if draft else "",
        signed=signed,
        is_refusal=kind == SignedKind.REFUSAL,
    )


def _unpaid_refusal(application: Application) -> None:
    from onestop.payments.services import outstanding_amount

    unpaid = outstanding_amount(application)
    if unpaid:
        message = _(
            "The fee of %(amount)s is not paid yet: the result is issued once the citizen has paid.",
            amount=dong(unpaid),
        )
        raise InvalidInput(message)


def _typed_code(otp: str) -> str:
    code = "".join((otp or "").split())
    if len(code) != OTP_DIGITS or not code.isdigit():
        raise InvalidInput(_("Enter the 6-digit code."))
    return code


def ask_to_sign(
    application: Application, actor: User, otp: str, shown_sha256: str, version: int | None
) -> SignedDocument:
    """Approve and sign: queue the task that signs exactly the draft the leader was shown."""
    check(actor, application, Action.APPROVE, version)
    code = _typed_code(otp)
    draft = drafting.draft_of(application)
    if draft is None or not draft.pdf_sha256 or draft.pdf_sha256 != shown_sha256:
        raise Conflict(_("The draft changed since you opened this page. Check it again before signing."))
    if draft.kind == SignedKind.RESULT:
        _unpaid_refusal(application)
    signed = signed_document_of(draft)
    if signed is not None and signed.state != SigningState.FAILED:
        raise Conflict(_("This result is already being signed."))
    if signed is None:
        signed = SignedDocument(kind=draft.kind, verification_code=draft.verification_code)
        db.session.add(signed)
    signed.kind = draft.kind
    signed.application_id = application.id
    signed.agency_id = actor.agency_id
    signed.title = _title(application, draft.kind)
    signed.state = SigningState.PENDING
    signed.failure = ""
    signed.signer_id = actor.id
    signed.signer_name = actor.full_name
    signed.requested_at = utcnow()
    db.session.flush()
    draft.signed_document_id = signed.id
    db.session.flush()
    from onestop.results.tasks import sign_result

    after_commit(sign_result.delay, signed.id, code, draft.pdf_sha256)
    return signed


def send_code(application: Application, actor: User) -> None:
    """ "Send me a code": the service makes a one-time code for an out-of-band credential; the outbox sends it."""
    check(actor, application, Action.APPROVE)
    settings = _settings()
    try:
        credential = credential_of(actor, settings)
        if credential is None:
            raise client.SigningFailed("no_credential")
        code, seconds = client.request_code(credential, actor.agency.code, settings)
    except client.SigningFailed as failure:
        raise InvalidInput(failure_message(failure.code)) from None
    notify_staff([actor], "staff_signing_code", application, otp=code, minutes=max(1, seconds // 60))


_CREDENTIALS: dict[tuple[str, int], tuple[str, float]] = {}
CREDENTIAL_CACHE_SECONDS = 60


def credential_of(user: User, settings: client.SigningSettings) -> str | None:
    """The signer's newest credential. Kept a minute per process: it saves a token and a round trip per
    signature; a credential revoked meanwhile is still refused, by the service and by credentials/info."""
    key = (settings.csc_url, user.id)
    cached = _CREDENTIALS.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    answer = client.call_service_sync(settings, "csc/v1/credentials/list", {"userID": f"staff:{user.id}"})
    credentials = answer.get("credentialIDs") or []
    if not credentials:
        return None
    _CREDENTIALS[key] = (str(credentials[-1]), time.monotonic() + CREDENTIAL_CACHE_SECONDS)
    return str(credentials[-1])


# --- In the worker -------------------------------------------------------------------------------------------


def fail_signing(signed_id: int, code: str) -> None:
    """Mark a pending signing failed with its reason, after dropping whatever the worker had begun."""
    db.session.rollback()
    signed = db.session.get(SignedDocument, signed_id)
    if signed is not None and signed.state == SigningState.PENDING:
        signed.state = SigningState.FAILED
        signed.failure = code
        db.session.commit()


def fail_stale_signings(older_than_seconds: int) -> int:
    """A signing a dead worker left pending cannot be taken up again (its one-time code is spent or expired):
    mark it failed, so that the leader's page offers to sign again instead of waiting for ever."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    stale = list(
        db.session.scalars(
            select(SignedDocument).where(
                SignedDocument.state == SigningState.PENDING,
                SignedDocument.kind.in_([SignedKind.RESULT.value, SignedKind.REFUSAL.value]),
                SignedDocument.requested_at < cutoff,
            )
        )
    )
    for signed in stale:
        signed.state = SigningState.FAILED
        signed.failure = "interrupted"
    db.session.commit()
    return len(stale)


def run_signing(signed_id: int, otp: str, sha256: str, attempt: int = 0) -> str:
    """Sign and issue; "signed", "failed", or "retry" when the service or TSA may answer later."""
    signed = db.session.get(SignedDocument, signed_id)
    if signed is None or signed.state != SigningState.PENDING:
        return "done"
    signer = db.session.get(User, signed.signer_id) if signed.signer_id else None
    if signer is None or signer.agency is None:
        fail_signing(signed_id, "no_credential")
        return "failed"
    agency_code = signer.agency.code
    unsigned = read_blob(sha256)
    db.session.commit()  # no transaction stays open while the service and the TSA are asked
    settings = _settings()
    try:
        credential = credential_of(signer, settings)
        if credential is None:
            raise client.SigningFailed("no_credential")
        pdf = client.sign_pdf(unsigned, credential, otp, agency_code, archival=True, settings=settings)
    except client.SigningUnavailable as failure:
        if attempt < len(RETRY_DELAYS):
            return "retry"
        fail_signing(signed_id, failure.code)
        return "failed"
    except client.SigningFailed as failure:
        # After an unanswered attempt the code may have been spent on the way: report the outage, not the code.
        code = "service_unavailable" if attempt and failure.code in ("otp_reused", "invalid_sad") else failure.code
        fail_signing(signed_id, code)
        return "failed"
    return _issue(signed_id, sha256, pdf)


def _issue(signed_id: int, sha256: str, pdf: bytes) -> str:
    signed = db.session.get(SignedDocument, signed_id)
    application = db.session.get(Application, signed.application_id)
    signer = db.session.get(User, signed.signer_id)
    draft = drafting.draft_of(application)
    try:
        check(signer, application, Action.APPROVE)
    except (NotAllowed, Conflict, InvalidInput):
        fail_signing(signed_id, "file_moved")
        return "failed"
    if draft is None or draft.pdf_sha256 != sha256 or draft.kind != signed.kind:
        fail_signing(signed_id, "file_moved")
        return "failed"
    refusal = signed.kind == SignedKind.REFUSAL
    stored = store_generated(pdf, f"{application.code}.pdf")
    owner = db.session.get(User, application.applicant_id)
    today = clock.local_today(clock.calendar_for(application))
    valid_days = (drafting.template_of(application) or {}).get("valid_days")
    document = add_document(
        owner,
        IssuedType.RESULT,
        stored,
        localized(signed.title, "vi"),
        added_by=signer,
        provenance=Provenance.ISSUED,
        issuer=localized(application.receiving_agency.name, "vi"),
        issued_on=today,
        expires_on=today + timedelta(days=valid_days) if valid_days and not refusal else None,
        source_application_id=application.id,
    )
    signed.blob_sha256 = stored.sha256
    signed.document_id = document.id
    signed.state = SigningState.SIGNED
    signed.signed_at = utcnow()
    if refusal:
        _refuse(application, signer)
    else:
        _approve_and_deliver(application, signer, signed)
    db.session.commit()
    return "signed"


def _refuse(application: Application, signer: User) -> None:
    reason = application.proposal_note
    move(application, signer, Action.APPROVE, S.REFUSED, reason)
    issue(application, SlipKind.REFUSAL, signer, reason=reason)
    tell_refusal(application, reason)


def _approve_and_deliver(application: Application, signer: User, signed: SignedDocument) -> None:
    """Approve; the signed result in the warehouse is the delivery of a result that comes online. A paper copy
    (counter or post) leaves the delivery step open for the reception clerk (handover.py)."""
    permit = check(signer, application, Action.APPROVE)
    previous = application.state
    steps.finish_step(application, permit.step)
    record(application, signer, Action.APPROVE, previous)
    delivery = open_steps(application, Stage.DELIVERY)
    if not delivery or not handover.delivers_on_paper(application):
        for row in delivery:
            steps.finish_step(application, row)
        move(application, signer, Action.DELIVER, S.RETURNED)
    notify_applicant(application, "result_ready", result=dict(signed.title))
    db.session.flush()
