"""What officers and the citizen see of a paper the applicant signed: who, when, and whether it still holds.

The signature is judged the way the verification page judges it (offline, against the province's roots, the
report cached per signed file), so the clerk's page and a third party's check never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from onestop.datastore.models import IssuedType
from onestop.extensions import db
from onestop.results import verify
from onestop.results.models import SignedDocument, SignedKind, SigningState


@dataclass(frozen=True)
class ApplicantSignature:
    signer: str
    signed_at: datetime | None
    code: str
    intact: bool
    trusted: bool


def applicant_signature(link) -> ApplicantSignature | None:
    """The applicant's signature on an attached paper, if it carries one made through the portal."""
    signed = db.session.scalar(
        select(SignedDocument)
        .where(
            SignedDocument.document_id == link.document_id,
            SignedDocument.kind == SignedKind.DECLARATION,
            SignedDocument.state == SigningState.SIGNED,
        )
        .limit(1)
    )
    if signed is None:
        return None
    report = verify.verify_code(signed.verification_code).stored
    return ApplicantSignature(
        signer=(report.signer_name if report and report.signer_name else "") or signed.signer_name,
        signed_at=(report.signing_time if report else None) or signed.signed_at,
        code=signed.verification_code,
        intact=bool(report and report.intact and not report.changed_after_signing),
        trusted=bool(report and report.trusted),
    )


def issued_type_title(code: str) -> str:
    """The title of a paper the system files itself (the signed declaration), else ""."""
    try:
        return IssuedType(code).title
    except ValueError:
        return ""
