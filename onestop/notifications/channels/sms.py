"""SMS through a brand-name provider's HTTP API (onestop/notifications/sms_protocol.py), and the SMS factory.

`SMS_BACKEND` picks how SMS go out: `brandname` (this sender; the demo points it at the mock gateway),
`outbox` (kept for the demo mailbox: demo, development and tests only) or `disabled` (no SMS at all).
urllib keeps the portal free of an HTTP client dependency.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from onestop.notifications import sms_protocol
from onestop.notifications.channels import DeliveryError, KeepInOutbox, MessageRefused, Sender
from onestop.notifications.models import OutboxMessage
from onestop.notifications.phones import InvalidPhone, to_e164

SMS_BACKENDS = ("brandname", "outbox", "disabled")
MAX_ANSWER_BYTES = 8192


def client_message_id(message: OutboxMessage) -> str:
    """The id the provider is idempotent on: stable across retries, so a half-done send is not repeated."""
    return f"outbox-{message.id}"


class BrandnameSmsSender:
    """Sends one outbox row through the provider; answers the provider's message id."""

    def __init__(self, api_url: str, account: str, secret: str, brandname: str, timeout: float = 10) -> None:
        self.api_url, self.account, self.secret = api_url, account, secret
        self.brandname, self.timeout = brandname, timeout

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "BrandnameSmsSender":
        return cls(
            config["SMS_API_URL"],
            config["SMS_ACCOUNT"],
            config["SMS_SECRET"],
            config["SMS_BRAND_NAME"],
            float(config.get("SMS_API_TIMEOUT", 10)),
        )

    def send(self, message: OutboxMessage) -> str:
        try:
            phone = to_e164(message.recipient)
        except InvalidPhone as invalid:
            problem = invalid.problem
            raise MessageRefused(f"{message.recipient!r} is not a Vietnamese mobile number ({problem})") from None
        body = json.dumps(
            {
                "brandname": self.brandname,
                "phone": phone.removeprefix("+"),
                "message": message.body,
                "client_message_id": client_message_id(message),
            },
            ensure_ascii=False,
        ).encode()
        status, answer = self._post(body)
        code = answer.get("code")
        if status == 200 and code == sms_protocol.OK and isinstance(answer.get("message_id"), str):
            return answer["message_id"]
        detail = f"SMS provider answered HTTP {status}, code {code!r}: {answer.get('message', '')}"
        if code in (sms_protocol.BAD_PHONE, sms_protocol.TOO_LONG):
            raise MessageRefused(detail)
        # Anything else (a wrong secret, a stale clock, an unregistered brand name, the provider down) may be
        # put right by the operator or by time: the row is retried, then waits on the dead-letter page.
        raise DeliveryError(detail)

    def _post(self, body: bytes) -> tuple[int, dict[str, Any]]:
        headers = sms_protocol.signed_headers(self.account, self.secret, body)
        request = urllib.request.Request(self.api_url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read(MAX_ANSWER_BYTES)
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryError(f"SMS provider unreachable: {getattr(error, 'reason', error)}") from error
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        return status, answer if isinstance(answer, dict) else {}


class SmsDisabled:
    """SMS_BACKEND=disabled: the operator chose to send no SMS; a row that still comes here is refused plainly."""

    def send(self, message: OutboxMessage) -> None:
        raise MessageRefused("SMS are disabled on this installation (SMS_BACKEND=disabled)")


def sms_sender_from_config(config: Mapping[str, Any]) -> Sender:
    """The SMS sender SMS_BACKEND names; the delivery engine's `sender_for(Channel.SMS)` returns it."""
    backend = config.get("SMS_BACKEND") or "outbox"
    if backend == "brandname":
        return BrandnameSmsSender.from_config(config)
    if backend == "outbox":
        return KeepInOutbox()
    if backend == "disabled":
        return SmsDisabled()
    raise RuntimeError(f"unknown SMS_BACKEND {backend!r}: use one of {', '.join(SMS_BACKENDS)}")
