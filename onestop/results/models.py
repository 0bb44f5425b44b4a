"""A document an agency signs or seals: a result, a refusal letter, a slip, a citizen's own declaration.

One row per signed PDF. The PDF itself is a blob (content-addressed, like every file); the row says
what it is, who signed it and when, the short code a third party types or scans to check it, and
whether it was later revoked or replaced. The signing runs in a Celery task: a row exists from the
moment the leader asks (state `pending`) so that the page can show progress and the outcome.
"""

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class SignedKind(enum.StrEnum):
    RESULT = "result"
    REFUSAL = "refusal"  # the refusal letter of a refused application
    SLIP = "slip"  # a receipt, supplement, refusal-to-receive or apology slip sealed by the one-stop department
    DECLARATION = "declaration"  # a citizen's own declaration or authorisation, signed by the citizen


class SigningState(enum.StrEnum):
    PENDING = "pending"  # asked for; the task has not finished
    SIGNED = "signed"
    FAILED = "failed"  # the task gave up; `failure` says why in plain words; nothing half-signed is kept


class SignedDocument(db.Model):
    __tablename__ = "signed_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SignedKind] = mapped_column(String(20))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    title: Mapped[dict] = mapped_column(JSON, default=dict)  # {vi, en}: "Phiếu lý lịch tư pháp"
    # What a verifier types or what the QR code carries: short, unambiguous, unique.
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[SigningState] = mapped_column(String(20), default=SigningState.PENDING)
    failure: Mapped[str] = mapped_column(Text, default="")
    # The signed PDF (set once signed) and the warehouse copy given to the applicant, if any.
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("signed_document.id", ondelete="SET NULL"))


class ResultDraft(db.Model):
    """What the leader is about to sign for an application: the result (or refusal letter) as a PDF not yet signed.

    The specialist corrects the template's variable fields (`fields`) or uploads a PDF made elsewhere; each save
    stores the rendered PDF as a blob, and its SHA-256 is what the leader is shown and what the task signs. The
    verification code is fixed when the draft is first made, because it is printed on the page.
    """

    __tablename__ = "result_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[SignedKind] = mapped_column(String(20), default=SignedKind.RESULT)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    verification_code: Mapped[str] = mapped_column(String(20), unique=True)
    pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    uploaded: Mapped[bool] = mapped_column(default=False)
    signed_document_id: Mapped[int | None] = mapped_column(ForeignKey("signed_document.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
