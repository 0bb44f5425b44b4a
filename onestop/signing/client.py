"""The portal's side of signing: PDFs signed through pyHanko's CSC client; the portal never holds a key.

`sign_pdf` computes the document's digest, asks the signing service for signature activation data with the
signer's one-time code and that digest, gets the raw signature from `signatures/signHash`, and lets pyHanko
finish a PAdES B-LT file (B-LTA when `archival`): an RFC 3161 signature timestamp, the chain and its OCSP/CRL
answers in the document security store, and for B-LTA a document timestamp over it all. A province swaps the
service for a licensed trust-service provider that speaks CSC by changing SIGNING_CSC_URL and the client
credentials (docs/operations.md, "Signing"). The functions take a `SigningSettings` so a worker can call them
outside a request; `settings_from_config(app.config)` builds one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import aiohttp
from asn1crypto import pem, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend


class SigningFailed(Exception):
    """Signing did not happen; `code` says why (the service's CSC error code, or one of ours below)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class SigningUnavailable(SigningFailed):
    """The signing service, the TSA or a revocation responder did not answer: trying again later may help."""


# Codes a caller can show a person (the rest are programming or configuration faults).
CODE_PROBLEMS = frozenset({"invalid_otp", "otp_reused", "otp_expired", "too_many_attempts"})


@dataclass(frozen=True)
class SigningSettings:
    csc_url: str
    client_id: str
    client_secret: str
    tsa_url: str
    trust_roots: tuple[x509.Certificate, ...]
    timeout: int = 30


def load_certificates(data: bytes) -> tuple[x509.Certificate, ...]:
    """Certificates from PEM (one or several) or DER bytes."""
    if pem.detect(data):
        return tuple(x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
    return (x509.Certificate.load(data),)


def settings_from_config(config: Mapping) -> SigningSettings:
    """SIGNING_CSC_URL, SIGNING_CLIENT_ID/SECRET, SIGNING_TSA_URL and SIGNING_TRUST_ROOTS (a PEM file)."""
    roots_path = config.get("SIGNING_TRUST_ROOTS") or ""
    try:
        roots = load_certificates(Path(roots_path).read_bytes()) if roots_path else ()
    except (OSError, ValueError) as exc:
        raise SigningFailed("trust_roots_unreadable", f"SIGNING_TRUST_ROOTS={roots_path}: {exc}") from None
    return SigningSettings(
        csc_url=config["SIGNING_CSC_URL"].rstrip("/"),
        client_id=config.get("SIGNING_CLIENT_ID", "onestop-portal"),
        client_secret=config.get("SIGNING_CLIENT_SECRET", ""),
        tsa_url=config["SIGNING_TSA_URL"],
        trust_roots=roots,
    )


async def _service_error(response: aiohttp.ClientResponse) -> str:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return "service_error"
    return str(body.get("error") or "service_error") if isinstance(body, dict) else "service_error"


async def _post(session: aiohttp.ClientSession, url: str, *, token: str | None = None, **kwargs) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with session.post(url, headers=headers, **kwargs) as response:
            if response.status >= 400:
                code = await _service_error(response)
                if response.status >= 500:
                    raise SigningUnavailable("service_unavailable", code)
                raise SigningFailed(code)
            return await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SigningUnavailable("service_unavailable", str(exc)) from None


# Bearer tokens kept per process until a minute before they expire: a signature then costs the service three
# calls (credentials/info, authorize, signHash) instead of four. A token the service no longer accepts (its key
# changed, it restarted with another one) is dropped and asked for again once.
_TOKENS: dict[tuple[str, str, str], tuple[str, float]] = {}
TOKEN_MARGIN_SECONDS = 60


def _token_key(settings: SigningSettings) -> tuple[str, str, str]:
    return (settings.csc_url, settings.client_id, settings.client_secret)


def forget_token(settings: SigningSettings) -> None:
    _TOKENS.pop(_token_key(settings), None)


async def _token(session: aiohttp.ClientSession, settings: SigningSettings) -> str:
    cached = _TOKENS.get(_token_key(settings))
    if cached and cached[1] > time.monotonic():
        return cached[0]
    form = {
        "grant_type": "client_credentials",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
    }
    answer = await _post(session, settings.csc_url + "/oauth2/token", data=form)
    token = str(answer["access_token"])
    lifetime = int(answer.get("expires_in") or 0)
    if lifetime > 2 * TOKEN_MARGIN_SECONDS:
        _TOKENS[_token_key(settings)] = (token, time.monotonic() + lifetime - TOKEN_MARGIN_SECONDS)
    return token


async def call_service(settings: SigningSettings, method: str, body: dict) -> dict:
    """One authenticated call to the signing service (`csc/v1/...` or `admin/v1/...`)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.timeout)) as session:
        for attempt in (1, 2):
            token = await _token(session, settings)
            try:
                return await _post(session, f"{settings.csc_url}/{method}", token=token, json=body)
            except SigningFailed as failure:
                if failure.code != "invalid_token" or attempt == 2:
                    raise
                forget_token(settings)
        raise AssertionError("unreachable")


def call_service_sync(settings: SigningSettings, method: str, body: dict) -> dict:
    return asyncio.run(call_service(settings, method, body))


def request_code(credential_id: str, agency: str, settings: SigningSettings) -> tuple[str, int]:
    """Ask the service for an out-of-band code (to send by SMS or e-mail); returns (code, seconds valid)."""
    answer = call_service_sync(
        settings, "csc/v1/credentials/sendOTP", {"credentialID": credential_id, "clientData": _client_data(agency)}
    )
    return str(answer["otp"]), int(answer["expiresIn"])


def _client_data(agency: str | None) -> str:
    return json.dumps({"agency": agency or ""})


class _OneCodeAuthorization(CSCAuthorizationManager):
    """Spends the signer's one code on the one hash pyHanko is about to sign (SCAL2), keeping the refusal."""

    def __init__(self, session_info, credential_info, session, otp: str, client_data: str):
        super().__init__(session_info, credential_info)
        self.session = session
        self.otp = otp
        self.client_data = client_data
        self.refusal: SigningFailed | None = None

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        body = self.format_csc_auth_request(otp=self.otp, hash_b64s=hash_b64s, client_data=self.client_data)
        url = self.csc_session_info.endpoint_url("credentials/authorize")
        try:
            answer = await _post(self.session, url, token=self.csc_session_info.oauth_token, json=body)
        except SigningFailed as refusal:
            # pyHanko's CSCSigner reports any failure as "No signing results available": keep the reason.
            self.refusal = refusal
            raise SigningError(refusal.code) from None
        return self.parse_csc_auth_response(answer)


def sign_pdf(
    pdf_bytes: bytes,
    credential: str,
    otp: str,
    agency: str | None,
    *,
    archival: bool,
    settings: SigningSettings | None = None,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """Sign a PDF as PAdES B-LT (B-LTA when archival) with the credential, authorised by the one-time code.

    `agency` is the code of the agency the portal acts for (empty for a citizen's own signature); the service
    refuses a credential bound to another. Raises SigningFailed (SigningUnavailable when retrying may help).
    """
    if settings is None:
        from flask import current_app

        settings = settings_from_config(current_app.config)
    return asyncio.run(_sign(pdf_bytes, credential, otp, agency, archival, settings, reason, location))


async def _sign(pdf_bytes, credential, otp, agency, archival, settings, reason, location) -> bytes:
    timeout = aiohttp.ClientTimeout(total=settings.timeout)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        session_info, credential_info = await _credential_info(session, settings, credential)
        status = credential_info.response_data.get("cert", {}).get("status", "valid")
        if status != "valid":
            raise SigningFailed("certificate_revoked" if status == "revoked" else "certificate_expired", status)
        client_data = _client_data(agency)
        authorization = _OneCodeAuthorization(session_info, credential_info, session, otp, client_data)
        signer = CSCSigner(session, authorization, client_data=client_data)
        validation_context = ValidationContext(
            trust_roots=list(settings.trust_roots),
            other_certs=list(credential_info.chain),
            allow_fetching=True,
            revocation_mode="hard-fail",
            fetcher_backend=AIOHttpFetcherBackend(session),
        )
        try:
            writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
            field_name = _free_field_name(writer)
        except (PdfError, ValueError, KeyError, TypeError) as exc:
            raise SigningFailed("invalid_pdf", str(exc)) from None
        metadata = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True,
            use_pades_lta=archival,
            validation_context=validation_context,
            reason=reason,
            location=location,
        )
        pdf_signer = signers.PdfSigner(metadata, signer, timestamper=HTTPTimeStamper(settings.tsa_url, session=session))
        try:
            output = await pdf_signer.async_sign_pdf(writer, output=BytesIO())
        except TimestampRequestError as exc:
            raise SigningUnavailable("tsa_unavailable", str(exc)) from None
        except (PathValidationError, PathBuildingError, ValidationError) as exc:
            raise SigningFailed("certificate_untrusted", str(exc)) from None
        except SigningError as exc:  # a ValueError too: before the PDF errors
            if authorization.refusal:
                raise authorization.refusal from None
            raise _classify(exc) from None
        except (PdfError, ValueError) as exc:
            raise SigningFailed("invalid_pdf", str(exc)) from None
        return output.getvalue()


async def _credential_info(session: aiohttp.ClientSession, settings: SigningSettings, credential: str):
    """The credential's certificates, asked with the kept token; with a fresh one if the kept one was refused."""
    for attempt in (1, 2):
        token = await _token(session, settings)
        session_info = CSCServiceSessionInfo(settings.csc_url, credential, oauth_token=token)
        try:
            return session_info, await fetch_certs_in_csc_credential(session, session_info, timeout=settings.timeout)
        except (SigningError, IndexError):
            if attempt == 1 and _TOKENS.get(_token_key(settings), ("",))[0] == token:
                forget_token(settings)  # perhaps only the kept token was refused: ask once more with a new one
                continue
            raise SigningFailed("certificate_missing", "the credential has no certificate") from None
    raise AssertionError("unreachable")


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    """The next "SignatureN" not taken: a result may carry several signatures (leader, then seal)."""
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
    number = 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}"


def _classify(exc: SigningError) -> SigningFailed:
    """pyHanko wraps validation and network trouble in SigningError: find what it was."""
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, PathValidationError | PathBuildingError | ValidationError):
            return SigningFailed("certificate_untrusted", str(cause))
        if isinstance(cause, aiohttp.ClientError | TimeoutError | TimestampRequestError):
            return SigningUnavailable("service_unavailable", str(cause))
        cause = cause.__cause__ or cause.__context__
    return SigningFailed("signing_failed", str(exc))
