"""Is this paper genuine? What the public verification page finds out, by code, QR link or uploaded PDF.

A bank, school or another agency holding a printed or e-mailed result checks it here without an account.
The service looks the code up, validates the signed PDF stored under it offline against the province's
roots (the same check a validator would make years later), and, for an uploaded copy, validates those bytes
too and compares their SHA-256 with what was issued. It never raises on what a stranger uploads: a file that
is not a PDF, is encrypted, damaged or too large becomes a finding the page words plainly.

It reveals no more than the paper's holder already has: the applicant's name masked, no ID number.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from asn1crypto import x509
from flask import current_app
from sqlalchemy import select

from onestop.datastore.backends.base import BlobNotFound, storage_from_config
from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.results.codes import normalise_code
from onestop.results.models import SignedDocument, SignedKind, SigningState
from onestop.signing.client import load_certificates
from onestop.signing.validation import Problem, SignatureReport, validate_pdf

logger = logging.getLogger(__name__)

# Reports on stored PDFs: the same bytes always give the same offline answer, so a page opened by many
# people (a QR code scanned at a bank counter) validates once per process.
_REPORTS: OrderedDict[str, SignatureReport] = OrderedDict()
_REPORTS_LOCK = threading.Lock()
_REPORTS_KEPT = 256


class UploadProblem:
    TOO_LARGE = "too_large"
    EMPTY = "empty"


@dataclass(frozen=True)
class Verification:
    """Everything the page may say about one check; the presenter turns it into sentences."""

    code: str | None  # the code asked about (normalised), if any
    document: SignedDocument | None  # the issued document found by code or by the upload's digest
    stored: SignatureReport | None  # the stored PDF's signature, when there is one
    upload: SignatureReport | None = None  # the uploaded bytes' signature, when a file was given
    upload_problem: str | None = None  # UploadProblem, before any validation
    # The upload is byte for byte the issued PDF (None: no upload, or nothing issued to compare with).
    upload_matches: bool | None = None
    replacement_code: str | None = None  # the code of the document that replaced this one

    @property
    def found(self) -> bool:
        return self.document is not None

    @property
    def is_signed(self) -> bool:
        return self.document is not None and self.document.state == SigningState.SIGNED

    @property
    def is_revoked(self) -> bool:
        return self.document is not None and self.document.revoked_at is not None

    @property
    def unsealed_slip(self) -> bool:
        """A slip issued without the electronic seal (no seal credential, or the service never answered)."""
        return (
            self.document is not None
            and self.document.kind == SignedKind.SLIP
            and self.document.state == SigningState.FAILED
        )

    @property
    def pending(self) -> bool:
        return self.document is not None and self.document.state == SigningState.PENDING

    @property
    def applicant_name(self) -> str:
        if self.document is None or self.document.application_id is None:
            return ""
        application = db.session.get(Application, self.document.application_id)
        return mask_name(application.applicant.full_name) if application is not None else ""


def mask_name(full_name: str) -> str:
    """ "Nguyễn Thị Minh" → "Ng***n T*** M***": enough to match the paper in hand, too little to learn a name.

    Every word keeps its first letter (long words also their second and last); the stars are always three,
    so that the length of a name is not told either.
    """
    masked = []
    for word in (full_name or "").split():
        masked.append(f"{word[:2]}***{word[-1]}" if len(word) >= 5 else f"{word[0]}***")
    return " ".join(masked)


def trust_roots() -> tuple[x509.Certificate, ...]:
    """The province's root certificates (SIGNING_TRUST_ROOTS); none if the file cannot be read."""
    path = current_app.config.get("SIGNING_TRUST_ROOTS") or ""
    try:
        stat = Path(path).stat() if path else None
    except OSError:
        stat = None
    if stat is None:
        logger.warning("SIGNING_TRUST_ROOTS %r cannot be read: no signature will be reported as trusted", path)
        return ()
    return _roots_at(path, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _roots_at(path: str, _mtime: int) -> tuple[x509.Certificate, ...]:
    try:
        return load_certificates(Path(path).read_bytes())
    except (OSError, ValueError):
        logger.warning("SIGNING_TRUST_ROOTS %r is not a certificate file", path)
        return ()


def find_by_code(typed: str) -> SignedDocument | None:
    code = normalise_code(typed)
    if code is None:
        return None
    return db.session.scalar(select(SignedDocument).where(SignedDocument.verification_code == code))


def _find_by_digest(sha256: str) -> SignedDocument | None:
    query = (
        select(SignedDocument)
        .where(SignedDocument.blob_sha256 == sha256, SignedDocument.state == SigningState.SIGNED)
        .order_by(SignedDocument.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def _stored_report(document: SignedDocument) -> SignatureReport | None:
    if document.state != SigningState.SIGNED or not document.blob_sha256:
        return None
    sha256 = document.blob_sha256
    with _REPORTS_LOCK:
        if sha256 in _REPORTS:
            _REPORTS.move_to_end(sha256)
            return _REPORTS[sha256]
    try:
        stream = storage_from_config(current_app.config).open(sha256)
        try:
            content = stream.read()
        finally:
            stream.close()
    except (BlobNotFound, OSError):
        logger.error("the signed PDF %s of document %s is missing from the blob store", sha256, document.id)
        return SignatureReport(is_signed=False, problem=Problem.DAMAGED)
    report = validate_pdf(content, trust_roots())
    _remember(sha256, report)
    return report


def _remember(sha256: str, report: SignatureReport) -> None:
    with _REPORTS_LOCK:
        _REPORTS[sha256] = report
        while len(_REPORTS) > _REPORTS_KEPT:
            _REPORTS.popitem(last=False)


def forget_reports() -> None:
    """Tests replace the roots between runs."""
    with _REPORTS_LOCK:
        _REPORTS.clear()
    _roots_at.cache_clear()


def _replacement(document: SignedDocument | None) -> str | None:
    if document is None or document.replaced_by_id is None:
        return None
    newer = db.session.get(SignedDocument, document.replaced_by_id)
    return newer.verification_code if newer is not None else None


def verify_code(typed: str) -> Verification:
    """What the page says for a code typed or scanned (the `/v/<code>` link of the QR code)."""
    document = find_by_code(typed)
    return Verification(
        code=normalise_code(typed),
        document=document,
        stored=_stored_report(document) if document is not None else None,
        replacement_code=_replacement(document),
    )


def max_upload_bytes() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def verify_upload(content: bytes, typed_code: str | None = None) -> Verification:
    """An uploaded copy: is it signed and unchanged, and is it the PDF issued under the code (or any code)?

    `content` may be one byte longer than the limit (the request cuts every file there): that means too large.
    """
    code = normalise_code(typed_code) if typed_code else None
    document = find_by_code(code) if code else None
    if len(content) > max_upload_bytes():
        return Verification(code, document, None, upload_problem=UploadProblem.TOO_LARGE)
    if not content:
        return Verification(code, document, None, upload_problem=UploadProblem.EMPTY)
    sha256 = hashlib.sha256(content).hexdigest()
    if document is None and code is None:
        document = _find_by_digest(sha256)
    stored = _stored_report(document) if document is not None else None
    matches = None
    if document is not None and document.blob_sha256:
        matches = document.blob_sha256 == sha256
    upload = stored if matches and stored is not None else validate_pdf(content, trust_roots())
    return Verification(
        code=code or (document.verification_code if document is not None else None),
        document=document,
        stored=stored,
        upload=upload,
        upload_matches=matches,
        replacement_code=_replacement(document),
    )
