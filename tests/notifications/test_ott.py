"""The OTT webhook channel against a real HTTP receiver on loopback that checks the signature."""

import pytest

from onestop.extensions import db
from onestop.notifications.channels.ott import OttWebhookSender
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
from onestop.notifications.outbox import queue_message
from onestop.notifications.tasks import sweep_outbox
from onestop.procedures.models import Application
from tests.conftest import login, outbox
from tests.filing import fill_all_steps
from tests.notifications.receivers import OttReceiver

SECRET = "ott-shared-secret-for-tests"


@pytest.fixture
def receiver(app, monkeypatch):
    with OttReceiver(SECRET) as receiver:
        monkeypatch.setitem(app.config, "OTT_WEBHOOK_URL", receiver.url)
        monkeypatch.setitem(app.config, "OTT_WEBHOOK_SECRET", SECRET)
        monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER", 0)
        yield receiver


def test_a_signed_message_reaches_the_ott_account_with_its_application(app, client, demo, receiver, create_citizen):
    citizen = create_citizen()
    login(client, citizen.email)
    application = db.session.get(Application, fill_all_steps(client))
    application.code = "000.00.30.H99-261202-0007"
    queue_message(
        Channel.OTT,
        "zalo-user-4711",
        "Hồ sơ của bạn đã được tiếp nhận.",
        subject="Đã tiếp nhận",
        event="application.accepted",
        application_id=application.id,
    )
    db.session.commit()

    [(key, message)] = receiver.delivered.items()
    [row] = outbox()
    assert key == f"outbox-{row.id}" == message["message_id"]
    assert message["recipient"] == {"ott_user_id": "zalo-user-4711"}
    assert message["text"] == "Hồ sơ của bạn đã được tiếp nhận." and message["subject"] == "Đã tiếp nhận"
    assert message["event"] == "application.accepted" and message["language"] == "vi"
    assert message["application"] == {
        "code": "000.00.30.H99-261202-0007",
        "link": f"http://localhost/applications/{application.id}",
    }
    assert row.state == DeliveryState.SENT and row.provider_message_id == "ott-1"


def test_a_resend_after_a_crash_is_not_forwarded_twice(app, demo, receiver):
    [message_id] = [queue_message(Channel.OTT, "zalo-user-1", "Xin chào").id]
    db.session.commit()
    row = db.session.get(OutboxMessage, message_id)
    # A worker that died after the POST and before recording it: the next one posts the same key again.
    assert OttWebhookSender.from_config(app.config).send(row) == "ott-1"
    assert receiver.requests == [f"outbox-{message_id}"] * 2 and len(receiver.delivered) == 1


def test_a_wrong_secret_is_refused_by_the_receiver_and_the_message_goes_dead(app, demo, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "OTT_WEBHOOK_SECRET", "not-the-shared-secret")
    queue_message(Channel.OTT, "zalo-user-1", "Xin chào")
    db.session.commit()
    [row] = outbox()
    assert receiver.refused == [f"outbox-{row.id}"] and receiver.delivered == {}
    assert row.state == DeliveryState.DEAD and "401" in row.last_error


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_a_busy_or_broken_receiver_delays_the_message_and_it_goes_out_later(app, demo, receiver, status):
    receiver.status = status
    queue_message(Channel.OTT, "zalo-user-1", "Xin chào")
    db.session.commit()
    [row] = outbox()
    assert row.state == DeliveryState.QUEUED and str(status) in row.last_error and row.attempts == 1

    receiver.status = 200
    assert sweep_outbox() == 1
    db.session.refresh(row)
    assert row.state == DeliveryState.SENT and len(receiver.delivered) == 1


def test_an_unreachable_receiver_is_a_temporary_failure(app, demo, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setitem(app.config, "OTT_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/hook")
    monkeypatch.setitem(app.config, "OTT_WEBHOOK_SECRET", SECRET)
    queue_message(Channel.OTT, "zalo-user-1", "Xin chào")
    db.session.commit()
    [row] = outbox()
    assert row.state == DeliveryState.QUEUED and "unreachable" in row.last_error
