"""kill -9 a real Celery worker mid-batch on PostgreSQL + Redis: nothing is lost, nothing is doubled
where the channel deduplicates (the OTT webhook's Idempotency-Key, as the SMS gateway's client id), and
e-mail is at most doubled once per killed send (counted by Message-ID), as docs/operations.md says.

Skipped when the suite runs on SQLite or when Redis does not answer on 127.0.0.1:6379.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from onestop import create_app
from onestop.extensions import db
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
from onestop.notifications.outbox import queue_message
from tests.conftest import ROOT, Inbox, _config, free_port
from tests.notifications.receivers import OttReceiver

BROKER = "redis://127.0.0.1:6379/9"
SECRET = "crash-test-ott-secret"
PER_CHANNEL = 150


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") or not _redis_answers(),
    reason="needs the suite on PostgreSQL (TEST_DATABASE_URL) and Redis on 127.0.0.1:6379",
)


class SlowInbox(Inbox):
    """An SMTP sink that takes a moment per message, so that a kill lands inside a send now and then."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def _start_worker(env: dict, tmp_path, name: str, beat: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "onestop.worker", "worker", "--pool=solo", "-c", "1"]
    command += ["-n", f"{name}@%h", "-l", "warning"]
    if beat:
        command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait(condition, seconds: float, what: str, tmp_path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    logs = "\n".join(path.read_text(errors="replace")[-2000:] for path in tmp_path.glob("*.log"))
    pytest.fail(f"{what} did not happen in {seconds} s\n{logs}")


def test_killing_a_worker_mid_batch_loses_nothing_and_doubles_nothing_that_can_be_deduplicated(
    app, demo, tmp_path, tmp_path_factory
):
    redis.Redis.from_url(BROKER).flushdb()
    inbox = SlowInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        **os.environ,
        "ONESTOP_DEMO": "1",  # the suite's secrets are demo ones
        "ONESTOP_VAR_DIR": str(tmp_path),
        "PUBLIC_URL": app.config["PUBLIC_URL"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": BROKER,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "OUTBOX_CLAIM_SECONDS": "3",  # a killed worker's claim runs out quickly
        "OUTBOX_RETRY_AFTER": "5",
        "OUTBOX_SWEEP_INTERVAL": "2",
    }
    with OttReceiver(SECRET) as ott:
        env |= {"OTT_WEBHOOK_URL": ott.url, "OTT_WEBHOOK_SECRET": SECRET}
        first = _start_worker(env, tmp_path, "first", beat=False)
        second = None
        try:
            # Another process writes the messages, as the portal does: its hand-offs go to Redis.
            settings = _config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path_factory.mktemp("portal"))
            portal = create_app({**settings, "CELERY_TASK_ALWAYS_EAGER": False, "CELERY_BROKER_URL": BROKER})
            with portal.app_context():
                for n in range(PER_CHANNEL):
                    queue_message(Channel.EMAIL, f"dan{n}@example.com", f"Thư số {n}", subject=f"Số {n}")
                    queue_message(Channel.OTT, f"zalo-{n}", f"Tin số {n}")
                db.session.commit()
                db.session.remove()
            app.extensions["celery"].set_current()

            _wait(lambda: len(inbox.messages) + len(ott.requests) >= PER_CHANNEL // 2, 90, "a first part", tmp_path)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            assert len(inbox.messages) + len(ott.delivered) < 2 * PER_CHANNEL, "the batch ended before the kill"

            second = _start_worker(env, tmp_path, "second", beat=True)

            def all_sent() -> bool:
                db.session.rollback()
                unsent = select(func.count()).where(OutboxMessage.state != DeliveryState.SENT)
                return db.session.scalar(unsent) == 0

            _wait(all_sent, 120, "delivery of every message", tmp_path)
        finally:
            _stop(first)
            if second is not None:
                _stop(second)
            smtp.stop()

    rows = list(db.session.scalars(select(OutboxMessage)))
    assert len(rows) == 2 * PER_CHANNEL and {row.state for row in rows} == {DeliveryState.SENT}
    # The deduplicating channel: every message forwarded exactly once.
    assert sorted(ott.delivered) == sorted(f"outbox-{row.id}" for row in rows if row.channel == Channel.OTT)
    assert len(ott.requests) <= PER_CHANNEL + 1  # at most the one send the kill interrupted came again
    # E-mail: every message arrived; at most the one send the kill interrupted arrived twice.
    copies = Counter(mail["Message-ID"] for mail in inbox.messages)
    assert set(copies) == {row.provider_message_id for row in rows if row.channel == Channel.EMAIL}
    assert sum(count - 1 for count in copies.values()) <= 1
