"""A mock brand-name SMS gateway: its own small Flask app, so the portal's SMS can be driven end to end.

It behaves like a Vietnamese brand-name SMS provider's HTTP API (the protocol is described in
onestop/notifications/sms_protocol.py and docs/operations.md, "SMS"):

- one account (API key id `SMS_ACCOUNT` and its secret `SMS_SECRET`) with its registered brand names
  (`SMS_GATEWAY_BRANDNAMES`, comma-separated) and the callback URL its delivery reports go to;
- `POST /api/v1/sms/send` takes a signed JSON request and answers with the provider's message id and the
  number of segments (GSM-7 160/153, UCS-2 70/67); it refuses forged or stale requests (401), unknown
  brand names, numbers that are not Vietnamese mobiles and texts over ten segments (400);
- it is idempotent on (account, client message id): a repeated request answers the same message id with
  `"duplicate": true` and sends nothing again;
- a few seconds later it POSTs a signed delivery report to the callback URL, DELIVERED, or FAILED for the
  numbers it plays as unreachable (those ending in `SMS_GATEWAY_UNREACHABLE_SUFFIX`, 0000 by default),
  retrying while the portal does not answer 2xx;
- `/sms/messages` lists what it "sent", newest first, on a page plainly marked as a TEST gateway.

It shares nothing with the portal but the protocol module.
"""

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, render_template, request

from onestop.config import VAR_DIR, demo_public_url
from onestop.notifications import sms_protocol
from onestop.sms_gateway.reports import ReportPlan, start_report
from onestop.sms_gateway.store import ClientIdReused, SmsStore

REPORT_PATH = "/notifications/sms/delivery-report"
# Mobile numbers of Vietnam's networks as the API takes them: 84, a network prefix, 7 digits.
PHONE = re.compile(r"84(3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])[0-9]{7}")
CLIENT_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_BODY_BYTES = 16 * 1024

_MESSAGES = {
    sms_protocol.OK: "Accepted",
    sms_protocol.BAD_SIGNATURE: "Unknown account or wrong signature",
    sms_protocol.STALE_TIMESTAMP: "Timestamp missing or too far from the gateway's clock",
    sms_protocol.BAD_REQUEST: "Malformed request: send JSON with brandname, phone, message and client_message_id",
    sms_protocol.BAD_PHONE: "Not a Vietnamese mobile number in the form 84xxxxxxxxx",
    sms_protocol.UNKNOWN_BRANDNAME: "Brand name not registered for this account",
    sms_protocol.TOO_LONG: f"Message longer than {sms_protocol.MAX_SEGMENTS} segments",
    sms_protocol.ID_REUSED: "client_message_id already used for another phone, brand name or text",
}
_STATUSES = {
    sms_protocol.BAD_SIGNATURE: 401,
    sms_protocol.STALE_TIMESTAMP: 401,
    sms_protocol.ID_REUSED: 409,
}


@dataclass(frozen=True)
class Account:
    name: str
    secret: str
    brandnames: frozenset[str]
    callback_url: str


def _settings() -> dict[str, Any]:
    """Every setting, from the environment with demo defaults (see docs/operations.md, "SMS")."""
    env = os.environ.get
    public_url = (env("PUBLIC_URL") or demo_public_url()).rstrip("/")
    return {
        "SMS_GATEWAY_DB": env("SMS_GATEWAY_DB", str(VAR_DIR / "sms_gateway.db")),
        "SMS_ACCOUNT": env("SMS_ACCOUNT", sms_protocol.DEMO_ACCOUNT),
        "SMS_SECRET": env("SMS_SECRET", sms_protocol.DEMO_SECRET),
        "SMS_GATEWAY_BRANDNAMES": env("SMS_GATEWAY_BRANDNAMES") or env("SMS_BRAND_NAME") or sms_protocol.DEMO_BRANDNAME,
        # The portal's delivery-report address: on its PUBLIC_URL, else on the demo portal's PORT.
        "SMS_CALLBACK_URL": env("SMS_CALLBACK_URL") or f"{public_url}{REPORT_PATH}",
        "SMS_GATEWAY_UNREACHABLE_SUFFIX": env("SMS_GATEWAY_UNREACHABLE_SUFFIX", "0000"),
        "SMS_GATEWAY_REPORT_DELAY": float(env("SMS_GATEWAY_REPORT_DELAY", "2")),
        "SMS_GATEWAY_REPORT_RETRIES": int(env("SMS_GATEWAY_REPORT_RETRIES", "4")),
        "SMS_GATEWAY_REPORT_RETRY_INTERVAL": float(env("SMS_GATEWAY_REPORT_RETRY_INTERVAL", "5")),
        "SMS_GATEWAY_REPORT_TIMEOUT": float(env("SMS_GATEWAY_REPORT_TIMEOUT", "10")),
    }


def create_sms_gateway(config: Mapping[str, Any] | None = None) -> Flask:
    """The mock SMS gateway app; `config` overrides settings (the tests give it a temporary SMS_GATEWAY_DB)."""
    app = Flask(__name__)
    app.config.update(_settings())
    app.config.update(config or {})
    app.config.setdefault("MAX_CONTENT_LENGTH", MAX_BODY_BYTES)
    brandnames = frozenset(name.strip() for name in app.config["SMS_GATEWAY_BRANDNAMES"].split(",") if name.strip())
    account = Account(app.config["SMS_ACCOUNT"], app.config["SMS_SECRET"], brandnames, app.config["SMS_CALLBACK_URL"])
    store = SmsStore(app.config["SMS_GATEWAY_DB"])
    app.extensions["sms_gateway"] = {"store": store, "accounts": {account.name: account}}
    app.add_url_rule(sms_protocol.SEND_PATH, view_func=send, methods=["POST"])
    app.add_url_rule("/sms/messages", view_func=messages, methods=["GET"])
    app.add_url_rule("/", view_func=messages, methods=["GET"])
    app.add_url_rule("/healthz", view_func=healthz, methods=["GET"])
    app.after_request(_security_headers)
    return app


def _store() -> SmsStore:
    return current_app.extensions["sms_gateway"]["store"]


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _answer(code: str, **fields: object) -> tuple[dict[str, object], int]:
    status = 200 if code == sms_protocol.OK else _STATUSES.get(code, 400)
    return {"code": code, "message": _MESSAGES[code], **fields}, status


def _request_problem(body: object, account: Account) -> str | None:
    """Which answer code refuses this (genuine) request's content, or None."""
    fields = ("brandname", "phone", "message", "client_message_id")
    if not isinstance(body, dict) or not all(isinstance(body.get(name), str) for name in fields):
        return sms_protocol.BAD_REQUEST
    if not body["message"] or not CLIENT_MESSAGE_ID.fullmatch(body["client_message_id"]):
        return sms_protocol.BAD_REQUEST
    if body["brandname"] not in account.brandnames:
        return sms_protocol.UNKNOWN_BRANDNAME
    if not PHONE.fullmatch(body["phone"]):
        return sms_protocol.BAD_PHONE
    if sms_protocol.segment_count(body["message"]) > sms_protocol.MAX_SEGMENTS:
        return sms_protocol.TOO_LONG
    return None


def send():
    """The send API: check the signature, then the content; accept once per client message id."""
    raw = request.get_data(cache=False)
    account = current_app.extensions["sms_gateway"]["accounts"].get(request.headers.get(sms_protocol.ACCOUNT_HEADER))
    if account is None:
        return _answer(sms_protocol.BAD_SIGNATURE)
    refusal = sms_protocol.check_signature(request.headers, raw, account.secret)
    if refusal:
        return _answer(refusal)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    problem = _request_problem(body, account)
    if problem:
        return _answer(problem)
    text = body["message"]
    try:
        message, duplicate = _store().accept(
            {
                "message_id": f"BN{secrets.token_hex(10).upper()}",
                "account": account.name,
                "client_message_id": body["client_message_id"],
                "brandname": body["brandname"],
                "phone": body["phone"],
                "text": text,
                "encoding": sms_protocol.encoding_of(text),
                "segments": sms_protocol.segment_count(text),
            }
        )
    except ClientIdReused:
        return _answer(sms_protocol.ID_REUSED, client_message_id=body["client_message_id"])
    if not duplicate:
        config = current_app.config
        unreachable = message["phone"].endswith(config["SMS_GATEWAY_UNREACHABLE_SUFFIX"])
        plan = ReportPlan(
            account=account.name,
            secret=account.secret,
            url=account.callback_url,
            delay=float(config["SMS_GATEWAY_REPORT_DELAY"]),
            retries=int(config["SMS_GATEWAY_REPORT_RETRIES"]),
            retry_interval=float(config["SMS_GATEWAY_REPORT_RETRY_INTERVAL"]),
            timeout=float(config["SMS_GATEWAY_REPORT_TIMEOUT"]),
        )
        start_report(_store(), message, sms_protocol.FAILED if unreachable else sms_protocol.DELIVERED, plan)
    return _answer(
        sms_protocol.OK,
        message_id=message["message_id"],
        client_message_id=message["client_message_id"],
        segments=message["segments"],
        encoding=message["encoding"],
        duplicate=duplicate,
    )


def messages():
    """Every message the gateway "sent" and each delivery-report attempt, newest first, for a tester."""
    return render_template("sms_gateway/messages.html", **_store().listing())


def healthz():
    try:
        _store().ping()
    except Exception:
        current_app.logger.exception("health check: SMS gateway database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
