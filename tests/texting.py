"""Texting through the real mock brand-name SMS gateway, served on its own loopback port.

The gateway's delivery reports go to the served portal, and the portal is pointed at the gateway, exactly
as in production; nothing is mocked.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass

from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications import sms_protocol
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
from onestop.sms_gateway import create_sms_gateway
from tests.paying import serving

ACCOUNT = "SMSTEST1"
SECRET = "SMS-TEST-SECRET-0123456789abcdef"
BRANDNAME = "UBND-MS"


@dataclass
class SmsGateway:
    url: str
    app: object

    @property
    def store(self):
        return self.app.extensions["sms_gateway"]["store"]

    @property
    def send_url(self) -> str:
        return self.url + sms_protocol.SEND_PATH

    def messages(self) -> list[dict]:
        return self.store.listing()["messages"]


@contextmanager
def serve_sms_gateway(app, portal_url: str, tmp_path, monkeypatch, **settings):
    """The mock SMS gateway on its own port, its delivery reports going to `portal_url`; the portal pointed at it."""
    gateway_app = create_sms_gateway(
        {
            "TESTING": True,
            "SMS_GATEWAY_DB": str(tmp_path / "sms_gateway.db"),
            "SMS_ACCOUNT": ACCOUNT,
            "SMS_SECRET": SECRET,
            "SMS_GATEWAY_BRANDNAMES": f"{BRANDNAME},OTHER",
            "SMS_CALLBACK_URL": f"{portal_url}/notifications/sms/delivery-report",
            "SMS_GATEWAY_REPORT_DELAY": 0.05,
            "SMS_GATEWAY_REPORT_RETRIES": 3,
            "SMS_GATEWAY_REPORT_RETRY_INTERVAL": 0.2,
            "SMS_GATEWAY_REPORT_TIMEOUT": 10,
            **settings,
        }
    )
    with serving(gateway_app) as url:
        for key, value in {
            "SMS_BACKEND": "brandname",
            "SMS_API_URL": url + sms_protocol.SEND_PATH,
            "SMS_ACCOUNT": ACCOUNT,
            "SMS_SECRET": SECRET,
            "SMS_BRAND_NAME": BRANDNAME,
            "SMS_API_TIMEOUT": 5,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        yield SmsGateway(url=url, app=gateway_app)


def sms_row(recipient: str = "0912 345 678", body: str = "Ho so MS-2026-0001 da duoc tiep nhan.") -> OutboxMessage:
    """An SMS row in the outbox, committed, as notify() writes it."""
    message = OutboxMessage(channel=Channel.SMS, recipient=recipient, body=body, event="application_accepted")
    db.session.add(message)
    db.session.commit()
    return message


def mark_sent(message: OutboxMessage, provider_message_id: str) -> None:
    """What the delivery engine does once the provider accepted the message."""
    message.provider_message_id = provider_message_id
    message.state = DeliveryState.SENT
    message.sent_at = utcnow()
    db.session.commit()


def wait_for(predicate, timeout: float = 10.0):
    """Poll until `predicate()` is truthy (the gateway's report thread works in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def row_state(message_id: int) -> DeliveryState:
    db.session.rollback()  # see what the served portal committed
    return DeliveryState(db.session.get(OutboxMessage, message_id).state)
