"""Messages are written with the change they announce and delivered after commit, over real SMTP."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.models import Channel, OutboxMessage
from onestop.notifications.outbox import queue_message
from onestop.notifications.tasks import deliver_message, sweep_outbox
from tests.conftest import ROOT, free_port, outbox, start_smtp, submit


def test_registration_mail_goes_out_over_smtp_in_vietnamese(client, demo, smtp_server):
    submit(
        client,
        "/account/register",
        {
            "full_name": "Lý Thị Lan",
            "citizen_id": "001190012345",
            "email": "lan@example.com",
            "password": "matkhau2026",
            "password_again": "matkhau2026",
            "consent": "y",
        },
    )
    [mail] = smtp_server
    assert mail["To"] == "lan@example.com"
    assert mail["Subject"] == "Xác nhận địa chỉ email"
    body = mail.get_content()
    assert "Lý Thị Lan" in body and "http://localhost/account/confirm/" in body
    assert outbox("email")[0].sent_at is not None


def test_nothing_is_sent_when_the_change_is_rolled_back(app, demo, smtp_server):
    queue_message(Channel.EMAIL, "x@example.com", "body", subject="s")
    db.session.rollback()
    assert smtp_server == [] and outbox() == []


def test_a_failed_delivery_stays_unsent_and_the_sweep_retries_it(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    message = queue_message(Channel.EMAIL, "x@example.com", "body", subject="s")
    db.session.commit()
    row = db.session.get(OutboxMessage, message.id)
    db.session.refresh(row)
    assert row.sent_at is None and row.attempts == 1 and row.last_error

    # The server is back; the periodic sweep picks up what is still unsent.
    controller, inbox = start_smtp(app, monkeypatch)
    try:
        row.created_at = row.created_at.replace(year=row.created_at.year - 1)
        db.session.commit()
        assert sweep_outbox() == 1
        db.session.refresh(row)
        assert row.sent_at is not None and len(inbox.messages) == 1
        # A task that runs again for a delivered message sends nothing twice.
        deliver_message(message.id)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_a_real_worker_delivers_what_a_crash_left_in_the_outbox(app, demo, tmp_path):
    """End to end with a real Celery worker, beat and broker (Redis, as in production).

    The message row is committed but never handed to Celery, as when a process dies between its
    commit and the hand-off; the worker's periodic sweep must find it and deliver it.
    """
    broker = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(broker).flushdb()  # nothing left over from an earlier run
    message = OutboxMessage(channel=Channel.SMS, recipient="0912345678", body="Mã xác nhận của bạn là 123456.")
    message.created_at = utcnow() - timedelta(minutes=5)
    db.session.add(message)
    db.session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": broker,
        "ONESTOP_VAR_DIR": str(tmp_path),
        "OUTBOX_SWEEP_INTERVAL": "1",
        # The suite's secrets are demo ones, which only the demo may start on.
        "ONESTOP_DEMO": "1",
        "PUBLIC_URL": app.config["PUBLIC_URL"],  # a real worker outside the demo must know where the portal is
    }
    command = [sys.executable, "-m", "celery", "-A", "onestop.worker", "worker", "--beat", "--pool=solo", "-c", "1"]
    command += ["--schedule", str(tmp_path / "beat-schedule"), "-l", "warning"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 45
        sent_at = None
        while time.monotonic() < deadline and sent_at is None:
            time.sleep(0.5)
            db.session.rollback()
            sent_at = db.session.scalar(select(OutboxMessage.sent_at).where(OutboxMessage.id == message.id))
        if sent_at is None:
            worker.terminate()
            pytest.fail(
                "the worker did not deliver the message:\n" + worker.communicate(timeout=15)[1].decode()[-3000:]
            )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
