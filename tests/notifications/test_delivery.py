"""Delivery over a real SMTP server on loopback: a channel that is down delays messages, never loses or
doubles them; retries run out into the dead letters, which a province administrator replays."""

import asyncio

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from onestop.accounts.models import Role
from onestop.audit.models import AuditRecord
from onestop.extensions import db
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
from onestop.notifications.outbox import queue_message
from onestop.notifications.tasks import sweep_outbox
from tests.conftest import Inbox, csrf_token, free_port, login, outbox, submit


@pytest.fixture
def smtp_down(app, monkeypatch):
    """The app's mail points at a port where nobody listens yet; `.start()` brings a real server up there."""

    class Switch:
        port = free_port()
        inbox = Inbox()
        controller = None

        def start(self):
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    switch = Switch()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", switch.port)
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_AFTER", 0)  # the sweep may take a message at once
    yield switch
    if switch.controller:
        switch.controller.stop()


def _queue(count: int, **extra) -> list[int]:
    ids = [
        queue_message(Channel.EMAIL, f"nguoi{n}@example.com", f"Nội dung {n}", subject=f"Thư {n}", **extra).id
        for n in range(count)
    ]
    db.session.commit()  # the hand-off to the (eager) worker happens here
    return ids


def test_messages_written_while_smtp_is_down_arrive_exactly_once_when_it_is_back(app, demo, smtp_down):
    ids = _queue(5, event="application.accepted")
    assert all(row.sent_at is None and row.attempts == 1 and row.last_error for row in outbox())

    smtp_down.start()
    assert sweep_outbox() == 5
    assert sweep_outbox() == 0  # nothing left to send: a second sweep sends nothing twice

    received = smtp_down.inbox.messages
    assert sorted(mail["To"] for mail in received) == [f"nguoi{n}@example.com" for n in range(5)]
    rows = {row.id: row for row in outbox()}
    assert {mail["Message-ID"] for mail in received} == {rows[i].provider_message_id for i in ids}
    assert all(row.state == DeliveryState.SENT and row.claimed_until is None for row in rows.values())


def test_the_message_id_is_the_same_on_every_attempt(app, demo, smtp_down, monkeypatch):
    """SMTP cannot deduplicate: a copy a dead worker caused carries the same Message-ID as the first."""
    from onestop.notifications.channels.smtp import SmtpSender

    smtp_down.start()
    [message_id] = _queue(1)
    row = db.session.get(OutboxMessage, message_id)
    SmtpSender.from_config(app.config).send(row)  # what a second worker would send after a crash
    first, second = smtp_down.inbox.messages
    assert first["Message-ID"] == second["Message-ID"] == row.provider_message_id


def test_retries_run_out_into_the_dead_letters_and_an_admin_replays_them(
    app, client, demo, smtp_down, monkeypatch, create_staff
):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    [message_id] = _queue(1, event="application.refused")
    assert sweep_outbox() == 1  # attempt 2
    assert sweep_outbox() == 1  # attempt 3: the last one
    row = db.session.get(OutboxMessage, message_id)
    db.session.refresh(row)
    assert row.state == DeliveryState.DEAD and row.dead_at is not None and row.attempts == 3
    assert "Connection refused" in row.last_error or "refused" in row.last_error.lower()
    assert sweep_outbox() == 0  # a dead message waits for a person, not for the sweep

    admin = create_staff(role=Role.PROVINCE_ADMIN, agency_code=None, email="tinh@minhson.example")
    login(client, admin.email)
    page = client.get("/admin/dead-letters/").get_data(as_text=True)
    assert "n***@example.com" in page and "nguoi0@example.com" not in page
    assert "application.refused" in page and "refused" in page.lower()
    assert "Tin nhắn chưa gửi được" in page  # the page speaks Vietnamese by default

    smtp_down.start()
    response = submit(
        client, "/admin/dead-letters/replay", {"message_id": str(message_id)}, page="/admin/dead-letters/"
    )
    assert response.status_code == 302
    [mail] = smtp_down.inbox.messages
    assert mail["To"] == "nguoi0@example.com"
    db.session.refresh(row)
    assert row.state == DeliveryState.SENT and row.attempts == 1 and row.dead_at is None
    [audit] = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "outbox.replay")).all()
    assert audit.actor_id == admin.id and audit.subject_id == message_id
    assert "n***@example.com" not in client.get("/admin/dead-letters/").get_data(as_text=True)


def test_replay_all_shown_queues_every_dead_message(app, client, demo, smtp_down, monkeypatch, create_staff):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 1)
    _queue(3)
    assert all(row.state == DeliveryState.DEAD for row in outbox())
    admin = create_staff(role=Role.PROVINCE_ADMIN, agency_code=None)
    login(client, admin.email)
    smtp_down.start()
    page = client.get("/admin/dead-letters/")
    ids = [str(row.id) for row in outbox()]
    token = csrf_token(page.get_data(as_text=True))
    client.post("/admin/dead-letters/replay", data={"csrf_token": token, "shown": ids, "replay_all": "1"})
    assert len(smtp_down.inbox.messages) == 3
    assert all(row.state == DeliveryState.SENT for row in outbox())
    assert 'name="shown"' not in client.get("/admin/dead-letters/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN])
def test_staff_other_than_province_admins_cannot_read_or_replay(app, client, demo, create_staff, monkeypatch, role):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "disabled")
    [message_id] = [queue_message(Channel.SMS, "+84912345678", "Mã 1").id]
    db.session.commit()
    login(client, create_staff(role=role).email)
    assert client.get("/admin/dead-letters/").status_code == 403
    token_page = client.get("/account/profile").get_data(as_text=True)
    response = client.post(
        "/admin/dead-letters/replay", data={"csrf_token": csrf_token(token_page), "message_id": str(message_id)}
    )
    assert response.status_code == 403
    assert db.session.get(OutboxMessage, message_id).state == DeliveryState.DEAD


def test_citizens_and_visitors_cannot_see_the_dead_letters(client, demo, create_citizen):
    assert client.get("/admin/dead-letters/").status_code in (302, 401)
    citizen = create_citizen()
    login(client, citizen.email)
    assert client.get("/admin/dead-letters/").status_code == 403


def test_a_replay_without_csrf_token_is_refused(client, demo, create_staff):
    login(client, create_staff(role=Role.PROVINCE_ADMIN, agency_code=None).email)
    assert client.post("/admin/dead-letters/replay", data={"message_id": "1"}).status_code == 400


@pytest.mark.parametrize(
    ("channel", "setting", "value", "reason"),
    [
        (Channel.SMS, "SMS_BACKEND", "disabled", "SMS is disabled"),
        (Channel.SMS, "SMS_BACKEND", "carrier-pigeon", "unknown SMS_BACKEND"),
        (Channel.OTT, "OTT_WEBHOOK_URL", "", "OTT not configured"),
    ],
)
def test_a_channel_that_cannot_work_sends_its_messages_to_the_dead_letters_at_once(
    app, demo, monkeypatch, channel, setting, value, reason
):
    monkeypatch.setitem(app.config, setting, value)
    queue_message(channel, "someone", "Văn bản")
    db.session.commit()
    [row] = outbox()
    assert row.state == DeliveryState.DEAD and row.attempts == 1 and reason in row.last_error


def test_mail_goes_out_with_crlf_line_ends_and_encoded_vietnamese_headers(app, demo, monkeypatch):
    """Servers that refuse bare line feeds (Postfix's smtpd_forbid_bare_newline) must accept our mail."""
    raw = []

    class Raw:
        async def handle_DATA(self, server, session, envelope):
            raw.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Raw(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        queue_message(Channel.EMAIL, "lan@example.com", "Hồ sơ của bạn đã được tiếp nhận.\nCảm ơn.", subject="Hồ sơ")
        db.session.commit()
    finally:
        controller.stop()
    [content] = raw
    assert b"\n" not in content.replace(b"\r\n", b"")
    assert content.isascii()  # headers RFC 2047-encoded, body in base64


def test_a_batch_whose_claim_runs_short_hands_the_rest_back_and_nothing_is_doubled(app, demo, monkeypatch):
    """Slow sends must not outlive the claim: another worker could then send the same message."""
    received = []

    class Slow:
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.7)
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(Slow(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "OUTBOX_CLAIM_SECONDS", 1)  # half of it is left after one slow send
        _queue(3)
    finally:
        controller.stop()
    assert len(received) == 3
    assert [(row.state, row.attempts) for row in outbox()] == [(DeliveryState.SENT, 1)] * 3
