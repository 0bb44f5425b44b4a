"""Is this PDF what it claims? A plain report on its signature, for the verification page and the tests.

`validate_pdf` never raises for bad input: a file that is not a PDF, is encrypted, is damaged or carries no
signature gets a report with a problem code. A signed file is judged the way a validator years later would:
offline, from what the file carries (the chain and OCSP/CRL answers in its document security store), at the
time its RFC 3161 signature timestamp proves, trusting only the province's roots.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from io import BytesIO

from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

logger = logging.getLogger(__name__)


class Problem(StrEnum):
    NOT_PDF = "not_pdf"
    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"
    NO_SIGNATURE = "no_signature"
    CHANGED = "changed_after_signing"
    UNTRUSTED = "untrusted"


@dataclass(frozen=True)
class SignatureReport:
    """What a person needs to know about a PDF's (last) signature; `problem` is None when all is well."""

    is_signed: bool
    intact: bool = False
    trusted: bool = False
    signer_name: str = ""
    signer_organization: str = ""
    signing_time: datetime | None = None
    timestamp: datetime | None = None
    # pyHanko's modification level of what came after the signature: "NONE", "LTA_UPDATES", "FORM_FILLING", ...
    modification_level: str = ""
    changed_after_signing: bool = False
    signature_count: int = 0
    problem: Problem | None = None

    @property
    def is_genuine(self) -> bool:
        return self.problem is None


def validate_pdf(
    pdf_bytes: bytes, trust_roots: list[x509.Certificate] | tuple[x509.Certificate, ...]
) -> SignatureReport:
    """Report on the last signature of a PDF, offline, against `trust_roots`."""
    if not isinstance(pdf_bytes, bytes | bytearray) or b"%PDF-" not in bytes(pdf_bytes[:1024]):
        return SignatureReport(is_signed=False, problem=Problem.NOT_PDF)
    try:
        reader = PdfFileReader(BytesIO(bytes(pdf_bytes)), strict=False)
        if reader.encrypted:
            return SignatureReport(is_signed=False, problem=Problem.ENCRYPTED)
        signatures = reader.embedded_regular_signatures
    except Exception:  # any parser failure on untrusted bytes means "damaged", never a 500
        logger.info("unreadable PDF given for validation", exc_info=True)
        return SignatureReport(is_signed=False, problem=Problem.DAMAGED)
    if not signatures:
        return SignatureReport(is_signed=False, problem=Problem.NO_SIGNATURE)
    try:
        return asyncio.run(_report(reader, signatures[-1], len(signatures), tuple(trust_roots)))
    except Exception:  # a malformed signature dictionary or CMS blob is "damaged" too, never a 500
        logger.info("damaged signature in PDF", exc_info=True)
        return SignatureReport(is_signed=True, signature_count=len(signatures), problem=Problem.DAMAGED)


async def _report(reader: PdfFileReader, signature: EmbeddedPdfSignature, count: int, roots) -> SignatureReport:
    timestamp = _timestamp_time(signature)
    context_kwargs = {
        "trust_roots": list(roots),
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
        # Judge at the time the timestamp proves: the embedded OCSP answers were fresh then, not years later.
        "moment": timestamp,
        "retroactive_revinfo": True,
    }
    try:
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(context_kwargs)
    except (PdfError, KeyError, ValueError, TypeError):
        context = ValidationContext(**context_kwargs)
    status = await async_validate_pdf_signature(signature, signer_validation_context=context)
    subject = signature.signer_cert.subject.native
    level = status.modification_level.name if status.modification_level is not None else ""
    changed = not status.intact or (level not in ("", "NONE", "LTA_UPDATES"))
    problem = None
    if changed:
        problem = Problem.CHANGED
    elif not (status.valid and status.trusted):
        problem = Problem.UNTRUSTED
    return SignatureReport(
        is_signed=True,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        signer_name=subject.get("common_name", ""),
        signer_organization=subject.get("organization_name", ""),
        signing_time=timestamp or status.signer_reported_dt,
        timestamp=timestamp,
        modification_level=level,
        changed_after_signing=changed,
        signature_count=count,
        problem=problem,
    )


def _timestamp_time(signature: EmbeddedPdfSignature) -> datetime | None:
    """The time the signature's RFC 3161 token proves (an unsigned attribute of the CMS signer info)."""
    attributes = signature.signer_info["unsigned_attrs"]
    for attribute in attributes if attributes.native is not None else ():
        if attribute["type"].native == "signature_time_stamp_token":
            token = attribute["values"][0]["content"]
            return token["encap_content_info"]["content"].parsed["gen_time"].native
    return None
