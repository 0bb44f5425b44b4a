"""OTT apps (Zalo OA-style official accounts) through a webhook: a signed JSON POST per message.

The province's OTT integration (or the OTT provider itself) receives the POST, checks the signature and
forwards the text to the recipient's OTT account. The signature, exactly (docs/operations.md):

    X-Onestop-Timestamp: <Unix seconds when signed>
    X-Onestop-Signature: sha256=<hex HMAC-SHA256(OTT_WEBHOOK_SECRET, timestamp + "." + raw body)>
    Idempotency-Key: outbox-<outbox row id>   (the same for every attempt of one message)
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from onestop.extensions import db
from onestop.links import public_link
from onestop.notifications.channels import DeliveryError, MessageRefused, idempotency_key
from onestop.notifications.models import OutboxMessage

TIMESTAMP_HEADER = "X-Onestop-Timestamp"
SIGNATURE_HEADER = "X-Onestop-Signature"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a receiver recomputes: HMAC-SHA256 over the timestamp, a dot and the raw body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _application_facts(message: OutboxMessage) -> dict | None:
    if message.application_id is None:
        return None
    from onestop.procedures.models import Application

    # A session of its own, closed before the HTTP call: no transaction stays open while we wait.
    with Session(db.engine) as session:
        code = session.scalar(select(Application.code).where(Application.id == message.application_id))
    return {"code": code, "link": public_link("filing.timeline", application_id=message.application_id)}


def payload(message: OutboxMessage, timestamp: int) -> dict:
    return {
        "message_id": idempotency_key(message),
        "recipient": {"ott_user_id": message.recipient},
        "event": message.event,
        "language": message.language,
        "subject": message.subject,
        "text": message.body,
        "application": _application_facts(message),
        "timestamp": timestamp,
    }


class OttWebhookSender:
    def __init__(self, url: str, secret: str, timeout: float = 10):
        self.url, self.secret, self.timeout = url, secret, timeout

    @classmethod
    def from_config(cls, config: Mapping) -> "OttWebhookSender":
        if not config["OTT_WEBHOOK_SECRET"]:
            raise MessageRefused("OTT not configured (OTT_WEBHOOK_SECRET is empty)")
        return cls(config["OTT_WEBHOOK_URL"], config["OTT_WEBHOOK_SECRET"], config.get("OTT_WEBHOOK_TIMEOUT", 10))

    def send(self, message: OutboxMessage) -> str | None:
        timestamp = int(time.time())
        body = json.dumps(payload(message, timestamp), ensure_ascii=False, separators=(",", ":")).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: signature(self.secret, str(timestamp), body),
                "Idempotency-Key": idempotency_key(message),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            detail = f"OTT webhook answered {exc.code}: {exc.read()[:300].decode(errors='replace')}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise MessageRefused(detail) from exc
            raise DeliveryError(detail) from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"OTT webhook unreachable: {exc}") from exc
        return _message_id_in(answer)


def _message_id_in(answer: bytes) -> str | None:
    try:
        data = json.loads(answer or b"null")
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("message_id") not in (None, ""):
        return str(data["message_id"])[:100]
    return None
