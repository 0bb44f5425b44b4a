"""A citizen's own signing credential, kept by the signing service under `citizen:<user id>`.

The portal never holds the key: it asks the service (its `admin/v1` side) to make one, and in the demo the
service has the province's demo CA certify it at once. The certificate names the person (common name, the
province as locality, country VN) and nothing else: no agency, and no ID number, because anyone who holds a
signed file can read its certificate. A real deployment gives citizens certificates from a licensed CA (their
own remote-signing provider) instead: docs/operations.md, "Signing".

Codes come from an authenticator app (TOTP), enrolled by a QR code shown once. A lost phone is handled by
setting the signature up again, which stops the old credential first, or by stopping it altogether.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import segno
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from onestop.accounts.models import User
from onestop.errors import Conflict, InvalidInput, NotAllowed
from onestop.i18n import localized
from onestop.signing import client


class SignatureState(enum.StrEnum):
    NONE = "none"  # never set up, or stopped
    READY = "ready"
    REVOKED = "revoked"  # the newest credential was stopped (by the citizen or the service)
    EXPIRED = "expired"
    NO_CERTIFICATE = "no_certificate"
    UNAVAILABLE = "unavailable"  # the signing service did not answer: we cannot tell


@dataclass(frozen=True)
class CitizenSignature:
    state: SignatureState
    credential_id: str | None = None
    subject: str = ""
    valid_to: str = ""  # "dd/mm/yyyy"

    @property
    def can_sign(self) -> bool:
        return self.state == SignatureState.READY

    @property
    def may_set_up(self) -> bool:
        return self.state not in (SignatureState.READY, SignatureState.UNAVAILABLE)

    @property
    def is_unavailable(self) -> bool:
        return self.state == SignatureState.UNAVAILABLE

    @property
    def state_title(self) -> str:
        return str(STATE_TITLES[self.state])


@dataclass(frozen=True)
class Enrolment:
    credential_id: str
    totp_uri: str
    secret: str

    @property
    def qr_svg(self) -> Markup:
        """The provisioning URI as an inline SVG QR code (shown once, never stored)."""
        return Markup(segno.make(self.totp_uri, error="m").svg_inline(scale=5, border=2))


def signer_id(user: User) -> str:
    return f"citizen:{user.id}"


def settings() -> client.SigningSettings:
    """The service's address and the portal's client credentials: enrolment needs no TSA and no trust roots."""
    config = dict(current_app.config)
    config.setdefault("SIGNING_TSA_URL", "")
    return client.settings_from_config({**config, "SIGNING_TRUST_ROOTS": ""})


def _citizen_only(user: User) -> None:
    if user.is_staff:
        raise NotAllowed(_("Staff members are enrolled by the administrator, not on this page."))


STATE_TITLES = {
    SignatureState.NONE: _l("Not set up"),
    SignatureState.READY: _l("Ready: you can sign"),
    SignatureState.REVOKED: _l("Stopped: set it up again to sign"),
    SignatureState.EXPIRED: _l("Expired: set it up again to sign"),
    SignatureState.NO_CERTIFICATE: _l("Not finished: the certificate is missing. Set it up again."),
    SignatureState.UNAVAILABLE: _l("Unknown: the signing service does not answer now. Try again later."),
}
_STATES = {"valid": SignatureState.READY, "revoked": SignatureState.REVOKED, "expired": SignatureState.EXPIRED}


def _credential_ids(user: User, signing: client.SigningSettings) -> list[str]:
    answer = client.call_service_sync(signing, "csc/v1/credentials/list", {"userID": signer_id(user)})
    return [str(credential) for credential in answer.get("credentialIDs") or []]


def signature_of(user: User, signing: client.SigningSettings | None = None) -> CitizenSignature:
    """The state of the citizen's newest credential, as the signing service knows it."""
    signing = signing or settings()
    try:
        credentials = _credential_ids(user, signing)
        if not credentials:
            return CitizenSignature(SignatureState.NONE)
        info = client.call_service_sync(signing, "csc/v1/credentials/info", {"credentialID": credentials[-1]})
    except client.SigningFailed:
        return CitizenSignature(SignatureState.UNAVAILABLE)
    cert = info.get("cert") or {}
    if not cert.get("certificates"):
        return CitizenSignature(SignatureState.NO_CERTIFICATE, credentials[-1])
    valid_to = str(cert.get("validTo") or "")
    shown = f"{valid_to[6:8]}/{valid_to[4:6]}/{valid_to[:4]}" if len(valid_to) >= 8 else ""
    state = _STATES.get(str(cert.get("status")), SignatureState.REVOKED)
    return CitizenSignature(state, credentials[-1], str(cert.get("subjectDN") or ""), shown)


def _check_password(user: User, password: str) -> None:
    # Setting up a signature lets its holder sign in the citizen's name: a stolen session is not enough.
    if not password or not user.check_password(password):
        raise InvalidInput(_("The password is wrong."))


def _unavailable() -> InvalidInput:
    return InvalidInput(_("The signing service did not answer. Nothing was changed; try again in a few minutes."))


def enrol(user: User, password: str, *, replace: bool = False) -> Enrolment:
    """Make the citizen a key and certificate (demo CA); `replace` first stops the one they have (a lost phone)."""
    _citizen_only(user)
    _check_password(user, password)
    signing = settings()
    current = signature_of(user, signing)
    if current.state == SignatureState.UNAVAILABLE:
        raise _unavailable()
    if current.can_sign and not replace:
        raise Conflict(_("Your digital signature is already set up."))
    province = localized(user.province.name, "vi") if user.province else ""
    body = {
        "userID": signer_id(user),
        "agency": "",
        "description": user.full_name,
        "commonName": user.full_name,
        "organization": "",
        "locality": province,
        "otp": "totp",
    }
    try:
        if replace:
            _revoke_all(user, signing)
        answer = client.call_service_sync(signing, "admin/v1/credentials", body)
    except client.SigningFailed:
        raise _unavailable() from None
    uri = str(answer.get("totpURI") or "")
    secret = uri.split("secret=", 1)[1].split("&", 1)[0] if "secret=" in uri else ""
    return Enrolment(str(answer["credentialID"]), uri, secret)


def _revoke_all(user: User, signing: client.SigningSettings) -> int:
    stopped = 0
    for credential in _credential_ids(user, signing):
        info = client.call_service_sync(signing, "csc/v1/credentials/info", {"credentialID": credential})
        if (info.get("cert") or {}).get("status") != "revoked":
            client.call_service_sync(signing, "admin/v1/credentials/revoke", {"credentialID": credential})
            stopped += 1
    return stopped


def revoke(user: User, password: str) -> None:
    """Stop every credential of the citizen at once (and, with the demo CA, revoke the certificates)."""
    _citizen_only(user)
    _check_password(user, password)
    try:
        _revoke_all(user, settings())
    except client.SigningFailed:
        raise _unavailable() from None


def usable_credential(user: User, signing: client.SigningSettings) -> str | None:
    """The credential a signature of this citizen goes through (the newest); None if they have none."""
    credentials = _credential_ids(user, signing)
    return credentials[-1] if credentials else None
