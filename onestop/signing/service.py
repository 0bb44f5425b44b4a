"""The signing service: a small Flask app of its own speaking a Cloud Signature Consortium (CSC) API v1 subset.

It owns every private key (sealed by SIGNING_KEK in its own database) and is reached by one client, the portal,
which gets a bearer token with its client credentials (`POST /oauth2/token`, grant_type=client_credentials) and
then calls `/csc/v1/...` the way pyHanko's CSC client does. `/admin/v1/...` is the portal's enrolment side
(create a credential, hand out a CSR, install a certificate, revoke). Run: `gunicorn wsgi_signing:app`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from datetime import timedelta
from pathlib import Path

from cryptography import x509 as cx509
from flask import Flask, current_app, jsonify, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from onestop.signing import pki as demo_pki
from onestop.signing.authority import Limits, Refused, SigningAuthority
from onestop.signing.storage import KeyUnavailable, KeyWrapper, make_engine

TOKEN_LIFETIME = 3600
_BASE_DIR = Path(__file__).resolve().parents[2]


def _default_config() -> dict:
    var_dir = Path(os.environ.get("ONESTOP_VAR_DIR", _BASE_DIR / "var"))
    return {
        "SIGNING_DATABASE_URL": os.environ.get("SIGNING_DATABASE_URL", f"sqlite:///{var_dir / 'signing.db'}"),
        "SIGNING_KEK": os.environ.get("SIGNING_KEK", ""),
        "SIGNING_CLIENT_ID": os.environ.get("SIGNING_CLIENT_ID", "onestop-portal"),
        "SIGNING_CLIENT_SECRET": os.environ.get("SIGNING_CLIENT_SECRET", ""),
        # Issue certificates from the demo PKI (make demo, tests); a real service installs a licensed CA's instead.
        "SIGNING_DEMO_CA": os.environ.get("SIGNING_DEMO_CA", "") == "1",
        "SIGNING_SERVICE_NAME": os.environ.get("SIGNING_SERVICE_NAME", "onestop signing service"),
        # Seconds a sent code and a SAD stay good; wrong codes allowed per credential in 15 minutes.
        "SIGNING_SENT_CODE_LIFETIME": int(os.environ.get("SIGNING_SENT_CODE_LIFETIME", "300")),
        "SIGNING_SAD_LIFETIME": int(os.environ.get("SIGNING_SAD_LIFETIME", "300")),
        "SIGNING_MAX_FAILURES": int(os.environ.get("SIGNING_MAX_FAILURES", "5")),
    }


def create_signing_app(config: dict | None = None) -> Flask:
    """The service's WSGI app; `config` overrides the environment (tests)."""
    app = Flask(__name__)
    app.config.update(_default_config())
    app.config.update(config or {})
    if not app.config["SIGNING_CLIENT_SECRET"]:
        raise RuntimeError("SIGNING_CLIENT_SECRET must be set: it is how the portal proves who it is")
    if app.config["SIGNING_DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["SIGNING_DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    wrapper = KeyWrapper(app.config["SIGNING_KEK"])
    limits = Limits(
        sad_lifetime=timedelta(seconds=app.config["SIGNING_SAD_LIFETIME"]),
        sent_code_lifetime=timedelta(seconds=app.config["SIGNING_SENT_CODE_LIFETIME"]),
        max_failures=app.config["SIGNING_MAX_FAILURES"],
    )
    app.extensions["signing_authority"] = SigningAuthority(
        make_engine(app.config["SIGNING_DATABASE_URL"]), wrapper, limits, issuer_name=app.config["SIGNING_SERVICE_NAME"]
    )
    # Tokens are keyed by the KEK, so they die with a KEK rotation and cannot be minted from the rows.
    token_key = hashlib.sha256(b"onestop-signing-token:" + app.config["SIGNING_KEK"].encode()).hexdigest()
    app.extensions["signing_tokens"] = URLSafeTimedSerializer(token_key, salt="csc-bearer")

    app.add_url_rule("/oauth2/token", view_func=issue_token, methods=["POST"])
    app.add_url_rule("/csc/v1/info", view_func=info, methods=["GET", "POST"])
    for name, view in _CSC_ROUTES.items():
        app.add_url_rule(f"/csc/v1/{name}", endpoint=name, view_func=_guarded(view), methods=["POST"])
    for name, view in _ADMIN_ROUTES.items():
        app.add_url_rule(f"/admin/v1/{name}", endpoint="admin_" + name, view_func=_guarded(view), methods=["POST"])
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(KeyUnavailable, lambda e: _error("key_unavailable", str(e), 500))
    app.register_error_handler(404, lambda e: _error("not_found", "no such endpoint", 404))
    app.register_error_handler(405, lambda e: _error("invalid_request", "method not allowed", 405))
    return app


def _authority() -> SigningAuthority:
    return current_app.extensions["signing_authority"]


def _error(code: str, description: str, status: int):
    return jsonify({"error": code, "error_description": description}), status


def _refused(refusal: Refused):
    return _error(refusal.error, refusal.description, refusal.status)


def issue_token():
    """OAuth2 client-credentials grant: the portal is the only client."""
    form = request.form if request.form else request.get_json(silent=True)
    if not isinstance(form, dict):
        form = {}
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if request.authorization and request.authorization.type == "basic":
        client_id, secret = request.authorization.username or "", request.authorization.password or ""
    if form.get("grant_type") != "client_credentials":
        return _error("unsupported_grant_type", "only client_credentials is supported", 400)
    expected_id, expected_secret = current_app.config["SIGNING_CLIENT_ID"], current_app.config["SIGNING_CLIENT_SECRET"]
    if not (hmac.compare_digest(str(client_id), expected_id) and hmac.compare_digest(str(secret), expected_secret)):
        return _error("invalid_client", "unknown client or wrong secret", 401)
    token = current_app.extensions["signing_tokens"].dumps({"client": expected_id})
    return jsonify({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME})


def _guarded(view):
    def wrapper():
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        try:
            current_app.extensions["signing_tokens"].loads(token, max_age=TOKEN_LIFETIME)
        except BadSignature:
            return _error("invalid_token", "a valid bearer token is required", 401)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error("invalid_request", "the body must be a JSON object", 400)
        return jsonify(view(body))

    wrapper.__name__ = view.__name__
    return wrapper


def info():
    return jsonify(
        {
            "specs": "1.0.4.0",
            "name": current_app.config["SIGNING_SERVICE_NAME"],
            "logo": "",
            "region": "VN",
            "lang": "vi-VN",
            "description": "Remote signing for the one-stop portal",
            "authType": ["oauth2client"],
            "oauth2": request.host_url.rstrip("/"),
            "methods": [
                "credentials/list",
                "credentials/info",
                "credentials/authorize",
                "credentials/sendOTP",
                "signatures/signHash",
            ],
        }
    )


def _text(body: dict, name: str, *, required: bool = True) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or (required and not value):
        raise Refused("invalid_request", f"{name} is required and must be a string")
    return value


def _agency(body: dict) -> str:
    """The agency the portal speaks for, carried in CSC's clientData as {"agency": code}."""
    raw = body.get("clientData") or "{}"
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("agency", ""), str):
        raise Refused("invalid_request", 'clientData must be a JSON object like {"agency": "code"}')
    return data.get("agency", "")


def _hash_list(body: dict) -> list[str]:
    hashes = body.get("hash")
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise Refused("invalid_request", "hash must be a list of base64 strings")
    return hashes


def credentials_list(body: dict) -> dict:
    return {"credentialIDs": _authority().list_credentials(_text(body, "userID"))}


def credentials_info(body: dict) -> dict:
    return _authority().credential_info(_text(body, "credentialID"))


def credentials_authorize(body: dict) -> dict:
    number = body.get("numSignatures")
    if not isinstance(number, int):
        raise Refused("invalid_request", "numSignatures must be an integer")
    sad, lifetime = _authority().authorize(
        _text(body, "credentialID"), _agency(body), _text(body, "OTP"), _hash_list(body), number
    )
    return {"SAD": sad, "expiresIn": lifetime}


def credentials_send_otp(body: dict) -> dict:
    """Extension of CSC's sendOTP: the code comes back to the portal, which sends it through its own outbox."""
    code, lifetime = _authority().send_code(_text(body, "credentialID"), _agency(body))
    return {"otp": code, "expiresIn": lifetime}


def signatures_sign_hash(body: dict) -> dict:
    signatures = _authority().sign_hashes(
        _text(body, "credentialID"),
        _agency(body),
        _text(body, "SAD"),
        _hash_list(body),
        _text(body, "hashAlgo"),
        _text(body, "signAlgo"),
    )
    return {"signatures": [base64.b64encode(s).decode("ascii") for s in signatures]}


def admin_create(body: dict) -> dict:
    """Make a key pair for a signer; with the demo CA, also issue its certificate at once."""
    authority = _authority()
    otp_kind = body.get("otp", "totp")
    if current_app.config["SIGNING_DEMO_CA"]:  # check the subject before making a key that could not be certified
        common_name = _text(body, "commonName")
        organization = _text(body, "organization", required=False) or None
        locality = _text(body, "locality", required=False) or None
    enrolment = authority.create_credential(
        user_id=_text(body, "userID"),
        agency=_text(body, "agency", required=False),
        description=_text(body, "description", required=False),
        otp_kind=otp_kind if isinstance(otp_kind, str) else "",
    )
    answer = {"credentialID": enrolment.credential_id, "totpURI": enrolment.totp_uri, "certificate": None}
    if current_app.config["SIGNING_DEMO_CA"]:
        days = body.get("validDays", 365 * 3)
        cert, chain = demo_pki.issue_certificate(
            demo_pki.demo_pki_from_env(),
            label=f"signer-{enrolment.credential_id}",
            common_name=common_name,
            organization=organization,
            locality=locality,
            public_key_pem=authority.public_key_pem(enrolment.credential_id),
            valid_days=days if isinstance(days, int) and days >= 0 else 365 * 3,
        )
        authority.install_certificate(enrolment.credential_id, cert, chain)
        answer["certificate"] = base64.b64encode(cert).decode("ascii")
    return answer


def admin_csr(body: dict) -> dict:
    """A certificate request for a licensed CA: subject from `subject` (an RFC 4514 string)."""
    try:
        subject = cx509.Name.from_rfc4514_string(_text(body, "subject"))
    except ValueError:
        raise Refused("invalid_request", "subject must be an RFC 4514 name like CN=...,O=...,C=VN") from None
    return {"csr": _authority().certificate_request(_text(body, "credentialID"), subject).decode("ascii")}


def admin_install(body: dict) -> dict:
    try:
        cert = base64.b64decode(_text(body, "certificate"), validate=True)
        chain = [base64.b64decode(c, validate=True) for c in body.get("chain") or []]
        cx509.load_der_x509_certificate(cert)
    except (binascii.Error, ValueError, TypeError):
        raise Refused("invalid_request", "certificate and chain must be base64 DER") from None
    _authority().install_certificate(_text(body, "credentialID"), cert, chain)
    return {"installed": True}


def admin_revoke(body: dict) -> dict:
    """Stop a credential at once; with the demo CA, revoke its certificate there too (OCSP and CRL say so)."""
    credential_id = _text(body, "credentialID")
    _authority().credential_info(credential_id)
    _authority().revoke(credential_id)
    if current_app.config["SIGNING_DEMO_CA"]:
        demo_pki.revoke_certificate(demo_pki.demo_pki_from_env(), f"signer-{credential_id}")
    return {"revoked": True}


_CSC_ROUTES = {
    "credentials/list": credentials_list,
    "credentials/info": credentials_info,
    "credentials/authorize": credentials_authorize,
    "credentials/sendOTP": credentials_send_otp,
    "signatures/signHash": signatures_sign_hash,
}
_ADMIN_ROUTES = {
    "credentials": admin_create,
    "credentials/csr": admin_csr,
    "credentials/certificate": admin_install,
    "credentials/revoke": admin_revoke,
}
