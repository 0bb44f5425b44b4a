"""Delivery reports from the real mock SMS gateway update the outbox row; forged or stale ones change nothing.

Also: outside the demo and the tests, SMS kept in the outbox (reaching no phone) stops the start-up."""

import json
import time

import pytest

from onestop import create_app
from onestop.extensions import db
from onestop.notifications import sms_protocol
from onestop.notifications.channels.sms import sms_sender_from_config
from onestop.notifications.models import DeliveryState, OutboxMessage
from onestop.secrets_check import InsecureConfiguration
from tests.paying import serving
from tests.portal.test_config import REAL
from tests.texting import ACCOUNT, SECRET, mark_sent, row_state, serve_sms_gateway, sms_row, wait_for

REPORT_PATH = "/notifications/sms/delivery-report"


@pytest.fixture
def portal_url(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def gateway(app, portal_url, tmp_path, monkeypatch):
    with serve_sms_gateway(app, portal_url, tmp_path, monkeypatch) as gateway:
        yield gateway


@pytest.fixture
def sms_account(app, monkeypatch):
    """Only the account and secret, for tests that sign reports as the gateway would."""
    monkeypatch.setitem(app.config, "SMS_ACCOUNT", ACCOUNT)
    monkeypatch.setitem(app.config, "SMS_SECRET", SECRET)


def _send(app, row: OutboxMessage) -> str:
    provider_id = sms_sender_from_config(app.config).send(row)
    mark_sent(row, provider_id)
    return provider_id


def test_a_delivery_report_marks_the_row_delivered(app, demo, gateway):
    row = sms_row("0912 345 678")
    provider_id = _send(app, row)
    assert wait_for(lambda: row_state(row.id) == DeliveryState.DELIVERED)
    stored = db.session.get(OutboxMessage, row.id)
    assert stored.delivered_at is not None and stored.provider_message_id == provider_id
    assert wait_for(lambda: gateway.messages()[0]["report_state"] == "acknowledged")
    assert gateway.messages()[0]["status"] == sms_protocol.DELIVERED


def test_an_unreachable_number_ends_undelivered(app, demo, gateway):
    row = sms_row("0912 340 000")
    _send(app, row)
    assert wait_for(lambda: row_state(row.id) == DeliveryState.UNDELIVERED)
    assert gateway.messages()[0]["status"] == sms_protocol.FAILED


def test_a_report_that_overtakes_the_worker_is_retried_until_the_row_knows_the_id(app, demo, gateway):
    row = sms_row()
    provider_id = sms_sender_from_config(app.config).send(row)
    # The gateway reports before the worker recorded the id: the portal answers 404 and the gateway tries again.
    assert wait_for(lambda: gateway.store.listing()["report_attempts"])
    assert gateway.store.listing()["report_attempts"][0]["http_status"] == 404
    mark_sent(row, provider_id)
    assert wait_for(lambda: row_state(row.id) == DeliveryState.DELIVERED)


def _report(client, body: dict | bytes, account: str = ACCOUNT, secret: str = SECRET, now: float | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = sms_protocol.signed_headers(account, secret, raw, now=now)
    return client.post(REPORT_PATH, data=raw, headers=headers)


def _sent_row(provider_id: str = "BN0123456789ABCDEF0123") -> OutboxMessage:
    row = sms_row()
    mark_sent(row, provider_id)
    return row


def _unchanged(row: OutboxMessage) -> bool:
    stored = db.session.get(OutboxMessage, row.id)
    db.session.refresh(stored)
    return stored.state == DeliveryState.SENT and stored.delivered_at is None


DELIVERED_REPORT = {"message_id": "BN0123456789ABCDEF0123", "client_message_id": "outbox-1", "status": "DELIVERED"}


@pytest.mark.parametrize(
    ("account", "secret", "age"),
    [
        (ACCOUNT, "forged-secret", 0),
        ("SOMEONE", SECRET, 0),
        (ACCOUNT, SECRET, 3600),  # a genuine report captured an hour ago
        (ACCOUNT, SECRET, -3600),
    ],
)
def test_a_forged_or_stale_report_is_refused_and_changes_nothing(app, demo, client, sms_account, account, secret, age):
    row = _sent_row()
    response = _report(client, DELIVERED_REPORT, account, secret, now=time.time() - age)
    assert response.status_code == 403
    assert _unchanged(row)


def test_a_report_altered_after_signing_is_refused(app, demo, client, sms_account):
    row = _sent_row()
    raw = json.dumps(DELIVERED_REPORT).encode()
    headers = sms_protocol.signed_headers(ACCOUNT, SECRET, raw)
    response = client.post(REPORT_PATH, data=raw.replace(b"DELIVERED", b"FAILED"), headers=headers)
    assert response.status_code == 403 and _unchanged(row)


def test_a_replayed_report_changes_nothing_and_is_acknowledged(app, demo, client, sms_account):
    row = _sent_row()
    assert _report(client, DELIVERED_REPORT).status_code == 200
    first = db.session.get(OutboxMessage, row.id).delivered_at
    # The same report again, and a contradicting one: the first final report stands.
    assert _report(client, DELIVERED_REPORT).get_json()["message"] == "already_known"
    assert _report(client, {**DELIVERED_REPORT, "status": "FAILED"}).status_code == 200
    stored = db.session.get(OutboxMessage, row.id)
    db.session.refresh(stored)
    assert stored.state == DeliveryState.DELIVERED and stored.delivered_at == first


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**DELIVERED_REPORT, "message_id": "BNUNKNOWN"}, 404),
        (b"{not json", 400),
        ({**DELIVERED_REPORT, "status": "MAYBE"}, 400),
        ({"status": "DELIVERED"}, 400),
        (["a", "list"], 400),
    ],
)
def test_an_unknown_or_malformed_report_is_answered_without_a_500(app, demo, client, sms_account, body, status):
    row = _sent_row()
    response = _report(client, body)
    assert response.status_code == status and response.is_json
    assert _unchanged(row)


# --- start-up -------------------------------------------------------------------------------------


@pytest.fixture
def _keep_the_suite_celery(app):
    """create_app makes its Celery app the default; give the suite's back afterwards."""
    yield
    app.extensions["celery"].set_default()


@pytest.mark.usefixtures("_keep_the_suite_celery")
@pytest.mark.parametrize(
    ("settings", "told"),
    [
        ({"SMS_BACKEND": "outbox"}, "SMS_BACKEND is 'outbox': every SMS would be marked sent and reach no phone"),
        ({"SMS_BACKEND": ""}, "SMS_BACKEND is 'outbox'"),
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND is 'carrier-pigeon'"),
        ({"SMS_SECRET": sms_protocol.DEMO_SECRET}, "SMS_SECRET is the mock SMS gateway's demo secret"),
        ({"SMS_API_URL": ""}, "SMS_API_URL is not set"),
    ],
)
def test_production_refuses_to_start_with_sms_that_reach_no_phone(settings, told):
    with pytest.raises(InsecureConfiguration) as refused:
        create_app({**REAL, **settings})
    assert told in str(refused.value) and "SMS_BACKEND=disabled" in str(refused.value)


@pytest.mark.usefixtures("_keep_the_suite_celery")
def test_production_starts_with_a_provider_or_with_sms_disabled_on_purpose():
    assert create_app(REAL).config["SMS_BACKEND"] == "brandname"
    assert create_app({**REAL, "SMS_BACKEND": "disabled", "SMS_SECRET": ""}).config["SMS_BACKEND"] == "disabled"


@pytest.mark.usefixtures("_keep_the_suite_celery")
def test_the_demo_may_keep_sms_in_the_outbox():
    demo_app = create_app({**REAL, "ONESTOP_DEMO": True, "SMS_BACKEND": "outbox"})
    assert demo_app.config["SMS_BACKEND"] == "outbox"
