"""The signing service's rules: who may sign what, with which code, and the signing itself.

CSC's SCAL2 model: `credentials/authorize` checks a fresh one-time code and returns signature activation data
(SAD) bound to the credential, the agency the portal speaks for, one signature and exactly the hash it will
sign; `signatures/signHash` refuses anything else. Keys are opened from their sealed rows only to sign.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from asn1crypto import x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onestop.signing.storage import KeyWrapper, activations, credentials, failures, sent_codes, used_codes

# OIDs as CSC carries them (hashAlgo, signAlgo).
HASH_ALGOS = {
    "2.16.840.1.101.3.4.2.1": (hashes.SHA256(), 32),
    "2.16.840.1.101.3.4.2.2": (hashes.SHA384(), 48),
    "2.16.840.1.101.3.4.2.3": (hashes.SHA512(), 64),
}
RSA_SIGN_ALGOS = {
    "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2",
    "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
}
TOTP_INTERVAL = 30


class Refused(Exception):
    """A request the service will not carry out; `error` is the stable code the client reads."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Limits:
    sad_lifetime: timedelta = timedelta(minutes=5)
    sent_code_lifetime: timedelta = timedelta(minutes=5)
    failure_window: timedelta = timedelta(minutes=15)
    max_failures: int = 5


@dataclass(frozen=True)
class Enrolment:
    credential_id: str
    totp_uri: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone=True columns; every time stored here is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SigningAuthority:
    """Holds the engine and the KEK; every public method is one rule of the service."""

    def __init__(self, engine: Engine, wrapper: KeyWrapper, limits: Limits | None = None, issuer_name: str = ""):
        self.engine = engine
        self.wrapper = wrapper
        self.limits = limits or Limits()
        self.issuer_name = issuer_name

    # --- enrolment -------------------------------------------------------------------------------------------

    def create_credential(self, *, user_id: str, agency: str, description: str, otp_kind: str) -> Enrolment:
        """Generate a key pair inside the service; the certificate comes from a CA afterwards."""
        if otp_kind not in ("totp", "oob"):
            raise Refused("invalid_request", "otp must be 'totp' or 'oob'")
        credential_id = uuid.uuid4().hex
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        totp_secret = pyotp.random_base32() if otp_kind == "totp" else None
        with self.engine.begin() as conn:
            conn.execute(
                insert(credentials).values(
                    id=credential_id,
                    user_id=user_id,
                    agency=agency,
                    description=description,
                    sealed_key=self.wrapper.seal(key_der, credential_id),
                    chain="",
                    otp_kind=otp_kind,
                    sealed_totp_secret=self.wrapper.seal(totp_secret.encode(), credential_id) if totp_secret else None,
                    created_at=_now(),
                )
            )
        uri = None
        if totp_secret:
            uri = pyotp.TOTP(totp_secret, interval=TOTP_INTERVAL).provisioning_uri(
                name=description or user_id, issuer_name=self.issuer_name or "onestop"
            )
        return Enrolment(credential_id, uri)

    def public_key_pem(self, credential_id: str) -> bytes:
        key = self._private_key(self._credential(credential_id))
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def certificate_request(self, credential_id: str, subject: cx509.Name) -> bytes:
        """A PKCS#10 request a licensed CA can answer; the key never leaves the service."""
        key = self._private_key(self._credential(credential_id))
        csr = cx509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        return csr.public_bytes(serialization.Encoding.PEM)

    def install_certificate(self, credential_id: str, cert_der: bytes, chain: list[bytes]) -> None:
        """Attach the CA's certificate; it must be for this credential's key."""
        row = self._credential(credential_id)
        cert = cx509.load_der_x509_certificate(cert_der)
        mine = self._private_key(row).public_key().public_numbers()
        if not isinstance(cert.public_key(), rsa.RSAPublicKey) or cert.public_key().public_numbers() != mine:
            raise Refused("invalid_request", "the certificate is not for this credential's key")
        encoded = json.dumps([c.hex() for c in chain])
        with self.engine.begin() as conn:
            conn.execute(
                update(credentials).where(credentials.c.id == credential_id).values(certificate=cert_der, chain=encoded)
            )

    def revoke(self, credential_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(credentials).where(credentials.c.id == credential_id).values(revoked_at=_now()))

    # --- CSC reads -------------------------------------------------------------------------------------------

    def list_credentials(self, user_id: str) -> list[str]:
        with self.engine.connect() as conn:
            query = select(credentials.c.id).where(credentials.c.user_id == user_id).order_by(credentials.c.created_at)
            return list(conn.scalars(query))

    def credential_info(self, credential_id: str) -> dict:
        row = self._credential(credential_id)
        status = self._certificate_status(row)
        certs = [row.certificate] + [bytes.fromhex(c) for c in json.loads(row.chain or "[]")] if row.certificate else []
        info: dict = {
            "description": row.description,
            "key": {
                "status": "enabled" if status == "valid" else "disabled",
                "algo": list(RSA_SIGN_ALGOS),
                "len": 2048,
            },
            "cert": {"status": status, "certificates": [_b64(c) for c in certs]},
            "authMode": "explicit",
            "SCAL": "2",
            "OTP": {"presence": "true", "type": "online" if row.otp_kind == "oob" else "offline", "format": "N"},
            "multisign": 1,
            "lang": "vi-VN",
        }
        if row.certificate:
            cert = x509.Certificate.load(row.certificate)
            info["cert"]["subjectDN"] = cert.subject.human_friendly
            info["cert"]["validFrom"] = cert.not_valid_before.strftime("%Y%m%d%H%M%SZ")
            info["cert"]["validTo"] = cert.not_valid_after.strftime("%Y%m%d%H%M%SZ")
        return info

    # --- one-time codes ----------------------------------------------------------------------------------------

    def send_code(self, credential_id: str, agency: str) -> tuple[str, int]:
        """Make a code for the portal to send through its outbox (SMS, e-mail); only its hash stays here."""
        row = self._usable(credential_id, agency)
        code = f"{secrets.randbelow(10**6):06d}"
        lifetime = self.limits.sent_code_lifetime
        with self.engine.begin() as conn:
            conn.execute(
                insert(sent_codes).values(
                    credential_id=row.id, code_hash=_sha256(row.id + ":" + code), expires_at=_now() + lifetime
                )
            )
        return code, int(lifetime.total_seconds())

    def authorize(
        self, credential_id: str, agency: str, otp: str, hashes_b64: list[str], num_signatures: int
    ) -> tuple[str, int]:
        """Check the code and bind a SAD to one signature of exactly the given hash."""
        row = self._usable(credential_id, agency)
        if num_signatures != 1 or len(hashes_b64) != 1:
            raise Refused("invalid_request", "exactly one signature of exactly one hash per authorisation")
        self._check_rate(row.id)
        try:
            self._consume_code(row, (otp or "").strip())
        except Refused:
            with self.engine.begin() as conn:
                conn.execute(insert(failures).values(credential_id=row.id, at=_now()))
            raise
        sad = secrets.token_urlsafe(32)
        lifetime = self.limits.sad_lifetime
        with self.engine.begin() as conn:
            conn.execute(
                insert(activations).values(
                    sad_hash=_sha256(sad),
                    credential_id=row.id,
                    agency=agency,
                    hashes=json.dumps(sorted(hashes_b64)),
                    expires_at=_now() + lifetime,
                )
            )
        return sad, int(lifetime.total_seconds())

    def _check_rate(self, credential_id: str) -> None:
        since = _now() - self.limits.failure_window
        with self.engine.connect() as conn:
            count = conn.scalar(
                select(func.count()).where(and_(failures.c.credential_id == credential_id, failures.c.at >= since))
            )
        if count >= self.limits.max_failures:
            raise Refused("too_many_attempts", "too many wrong codes: wait and try again", 429)

    def _consume_code(self, row, otp: str) -> None:
        if not otp.isdigit() or len(otp) != 6:
            raise Refused("invalid_otp", "the one-time code is wrong")
        if self._consume_sent_code(row.id, otp):
            return
        if row.sealed_totp_secret is None:
            raise Refused("invalid_otp", "the one-time code is wrong")
        totp = pyotp.TOTP(self.wrapper.open(row.sealed_totp_secret, row.id).decode(), interval=TOTP_INTERVAL)
        current = totp.timecode(_now())
        for step in (current, current - 1, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), otp):
                self._remember(row.id, f"totp:{step}")
                return
        # A code from a few minutes ago is expired, not wrong: tell the signer so.
        if any(hmac.compare_digest(totp.generate_otp(step), otp) for step in range(current - 20, current - 1)):
            raise Refused("otp_expired", "the one-time code has expired")
        raise Refused("invalid_otp", "the one-time code is wrong")

    def _consume_sent_code(self, credential_id: str, otp: str) -> bool:
        code_hash = _sha256(credential_id + ":" + otp)
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(sent_codes).where(
                    and_(sent_codes.c.credential_id == credential_id, sent_codes.c.code_hash == code_hash)
                )
            ).all()
            if not rows:
                return False
            fresh = [r for r in rows if r.used_at is None and _aware(r.expires_at) > _now()]
            if not fresh:
                if any(r.used_at is not None for r in rows):
                    raise Refused("otp_reused", "this one-time code was already used")
                raise Refused("otp_expired", "the one-time code has expired")
            taken = conn.execute(
                update(sent_codes)
                .where(and_(sent_codes.c.id == fresh[0].id, sent_codes.c.used_at.is_(None)))
                .values(used_at=_now())
            )
            if taken.rowcount != 1:
                raise Refused("otp_reused", "this one-time code was already used")
        return True

    def _remember(self, credential_id: str, code_key: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(used_codes).values(credential_id=credential_id, code_key=code_key, used_at=_now()))
                # Steps older than the window can never match again: forget them.
                conn.execute(delete(used_codes).where(used_codes.c.used_at < _now() - timedelta(hours=1)))
        except IntegrityError:
            raise Refused("otp_reused", "this one-time code was already used") from None

    # --- signing -----------------------------------------------------------------------------------------------

    def sign_hashes(
        self, credential_id: str, agency: str, sad: str, hashes_b64: list[str], hash_algo: str, sign_algo: str
    ) -> list[bytes]:
        """Spend the SAD on exactly the hash it was issued for, and sign it."""
        row = self._usable(credential_id, agency)
        if sign_algo not in RSA_SIGN_ALGOS or RSA_SIGN_ALGOS[sign_algo] != hash_algo or hash_algo not in HASH_ALGOS:
            raise Refused("invalid_request", "unsupported signAlgo/hashAlgo")
        digest_algo, digest_len = HASH_ALGOS[hash_algo]
        try:
            digests = [_unb64(h) for h in hashes_b64]
        except ValueError:
            raise Refused("invalid_request", "hash must be base64") from None
        if not digests or any(len(d) != digest_len for d in digests):
            raise Refused("invalid_request", "hash length does not match hashAlgo")
        with self.engine.begin() as conn:
            activation = conn.execute(select(activations).where(activations.c.sad_hash == _sha256(sad or ""))).first()
            if activation is None or activation.credential_id != row.id or activation.agency != agency:
                raise Refused("invalid_sad", "the signature activation data is not valid for this credential")
            if activation.used_at is not None:
                raise Refused("invalid_sad", "the signature activation data was already used")
            if _aware(activation.expires_at) <= _now():
                raise Refused("sad_expired", "the signature activation data has expired")
            if json.loads(activation.hashes) != sorted(hashes_b64):
                raise Refused("hash_not_authorized", "this hash was not authorised")
            spent = conn.execute(
                update(activations)
                .where(and_(activations.c.sad_hash == activation.sad_hash, activations.c.used_at.is_(None)))
                .values(used_at=_now())
            )
            if spent.rowcount != 1:
                raise Refused("invalid_sad", "the signature activation data was already used")
        key = self._private_key(row)
        return [key.sign(d, padding.PKCS1v15(), Prehashed(digest_algo)) for d in digests]

    # --- helpers -----------------------------------------------------------------------------------------------

    def _credential(self, credential_id: str):
        with self.engine.connect() as conn:
            row = conn.execute(select(credentials).where(credentials.c.id == str(credential_id or ""))).first()
        if row is None:
            raise Refused("invalid_credential", "no such credential")
        return row

    def _usable(self, credential_id: str, agency: str):
        """The credential, if the portal speaks for its agency and its certificate is in force."""
        row = self._credential(credential_id)
        if row.agency != agency:
            raise Refused("wrong_agency", "this credential cannot sign on behalf of that agency", 403)
        status = self._certificate_status(row)
        if status == "missing":
            raise Refused("certificate_missing", "this credential has no certificate yet")
        if status == "revoked":
            raise Refused("certificate_revoked", "the signer's certificate is revoked")
        if status in ("expired", "not_yet_valid"):
            raise Refused("certificate_expired", "the signer's certificate is not valid at this time")
        return row

    @staticmethod
    def _certificate_status(row) -> str:
        if row.revoked_at is not None:
            return "revoked"
        if not row.certificate:
            return "missing"
        validity = x509.Certificate.load(row.certificate)["tbs_certificate"]["validity"]
        now = _now()
        if now < validity["not_before"].native:
            return "not_yet_valid"
        if now > validity["not_after"].native:
            return "expired"
        return "valid"

    def _private_key(self, row) -> rsa.RSAPrivateKey:
        return serialization.load_der_private_key(self.wrapper.open(row.sealed_key, row.id), password=None)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError(str(exc)) from None
