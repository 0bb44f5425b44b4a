"""The signing service's own storage: its tables (not the portal's, no Alembic) and keys wrapped by the KEK.

The service may sit on another host with its own database (`SIGNING_DATABASE_URL`), so it creates its schema
itself with `metadata.create_all`. Every private key and TOTP secret is sealed with AES-256-GCM under the
key-encryption key (`SIGNING_KEK`, 32 bytes, base64) with the credential's id as associated data: a copy of the
rows is useless without the KEK, and a sealed key moved to another row does not open.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

credentials = Table(
    "signing_credentials",
    metadata,
    Column("id", String(32), primary_key=True),
    # Who the portal says this is ("staff:12", "citizen:40", "seal:000.00.01.H99"): CSC's userID.
    Column("user_id", String(120), nullable=False, index=True),
    # The agency on whose behalf the credential signs; empty for a citizen's own signature.
    Column("agency", String(60), nullable=False, default=""),
    Column("description", String(255), nullable=False, default=""),
    Column("sealed_key", LargeBinary, nullable=False),
    Column("certificate", LargeBinary, nullable=True),
    Column("chain", Text, nullable=False, default=""),
    Column("otp_kind", String(10), nullable=False, default="totp"),
    Column("sealed_totp_secret", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# A TOTP step or an out-of-band code, once accepted, is never accepted again.
used_codes = Table(
    "signing_used_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("credential_id", String(32), nullable=False),
    Column("code_key", String(64), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("credential_id", "code_key", name="uq_signing_used_code"),
)

# Codes sent out of band (SMS, e-mail through the portal's outbox): only their hash is kept.
sent_codes = Table(
    "signing_sent_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("credential_id", String(32), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

# Failed authorisations, for the per-credential rate limit.
failures = Table(
    "signing_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("credential_id", String(32), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Signature activation data: one signature, of exactly these hashes, for this agency, soon.
activations = Table(
    "signing_activations",
    metadata,
    Column("sad_hash", String(64), primary_key=True),
    Column("credential_id", String(32), nullable=False),
    Column("agency", String(60), nullable=False, default=""),
    Column("hashes", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)


def make_engine(url: str) -> Engine:
    """An engine on the service's database with its tables in place."""
    engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


class KeyUnavailable(Exception):
    """The KEK is missing, malformed, or not the one the key was sealed with."""


class KeyWrapper:
    """Seals and opens secrets with the key-encryption key."""

    def __init__(self, kek_b64: str | None):
        if not kek_b64:
            raise KeyUnavailable("SIGNING_KEK is not set")
        try:
            kek = base64.b64decode(kek_b64, validate=True)
        except (binascii.Error, ValueError):
            raise KeyUnavailable("SIGNING_KEK is not base64") from None
        if len(kek) != 32:
            raise KeyUnavailable("SIGNING_KEK must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(kek)

    def seal(self, secret: bytes, owner: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, secret, owner.encode())

    def open(self, sealed: bytes, owner: str) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], owner.encode())
        except InvalidTag:
            raise KeyUnavailable("the key-encryption key does not open this credential") from None


def new_kek() -> str:
    """A fresh key-encryption key, as SIGNING_KEK expects it."""
    return base64.b64encode(os.urandom(32)).decode("ascii")
