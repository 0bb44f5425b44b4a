"""Delivering the outbox: claim a row, send outside any transaction, record the outcome.

No row lock is held while a channel's server is talked to. A worker claims a row with one conditional
UPDATE (unsent, not dead, nobody else's claim running) that sets `claimed_until` a lease ahead and counts
the attempt, and commits; it sends with no transaction open; then a second short transaction records the
outcome. A worker killed mid-send leaves its claim to expire; the sweep then hands the row to another
worker. So a message is sent at least once, and twice only when a worker died after the channel took it
and before the outcome was recorded: channels that take an idempotency key (`outbox-<id>`) drop that copy.

Retries: Celery's retry with full-jitter exponential backoff; between attempts `claimed_until` holds the
time of the next attempt, so the sweep does not bring it forward. After OUTBOX_MAX_ATTEMPTS attempts, or
at once when the channel refuses the message for good, the row is DEAD and waits on the dead-letter page.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import Connection, or_, select, text, update
from sqlalchemy.orm import Session

from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.channels import DeliveryError, MessageRefused, sender_for
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage

_table = OutboxMessage.__table__
# The longest a single send may take: the SMTP timeout (channels/smtp.py); the webhook's is shorter.
LONGEST_SEND_SECONDS = 15


@dataclass(frozen=True)
class Failure:
    error: str
    permanent: bool


def _claimable(now: datetime):
    return (
        _table.c.sent_at.is_(None),
        _table.c.dead_at.is_(None),
        _table.c.state == DeliveryState.QUEUED,
        or_(_table.c.claimed_until.is_(None), _table.c.claimed_until < now),
    )


def claim(message_ids: list[int]) -> list[OutboxMessage]:
    """Take these rows for one attempt each (one short transaction); leave out those not ours to send.

    The answer is detached copies of the rows as claimed: the senders read them with no session open."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    with _bookkeeping() as connection:
        rows = connection.execute(
            update(_table)
            .where(_table.c.id.in_(message_ids), *_claimable(now))
            .values(claimed_until=lease, attempts=_table.c.attempts + 1)
            .returning(*_table.c)
        ).all()
    return sorted((OutboxMessage(**row._mapping) for row in rows), key=lambda message: message.id)


def queue_batches(message_ids: list[int]) -> None:
    """One task per OUTBOX_BATCH_SIZE messages: a claim, an SMTP session and a task's overhead are shared."""
    size = max(1, current_app.config["OUTBOX_BATCH_SIZE"])
    ordered = sorted(set(message_ids))
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        if len(chunk) == 1:
            deliver_message.delay(chunk[0])
        else:
            deliver_messages.delay(chunk)


@contextmanager
def _bookkeeping() -> Iterator[Connection]:
    """A short transaction for a claim or an outcome. On PostgreSQL it does not wait for the disk: a
    database crash could forget the last moment's outcomes, and those messages would be sent once more,
    which is what a killed worker can cause anyway (the message row itself was committed durably)."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        yield connection


def _record(message_id: int, **values) -> None:
    with _bookkeeping() as connection:
        connection.execute(update(_table).where(_table.c.id == message_id, _table.c.sent_at.is_(None)).values(**values))


def record_sent(message_id: int, provider_message_id: str | None) -> None:
    _record(
        message_id,
        state=DeliveryState.SENT,
        sent_at=utcnow(),
        provider_message_id=provider_message_id,
        claimed_until=None,
        last_error="",
    )


def record_dead(message_id: int, error: str) -> None:
    _record(message_id, state=DeliveryState.DEAD, dead_at=utcnow(), claimed_until=None, last_error=error[:2000])


def backoff(attempt: int) -> float:
    """Full jitter: a random wait up to base × 2^attempt seconds, capped (attempt counts from 1)."""
    config = current_app.config
    ceiling = min(config["OUTBOX_BACKOFF_CAP"], config["OUTBOX_BACKOFF_BASE"] * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)


def attempt(message: OutboxMessage) -> Failure | None:
    """Send once, with no transaction open; the failure, if any, says whether retrying can help."""
    try:
        provider_message_id = sender_for(Channel(message.channel)).send(message)
    except MessageRefused as exc:
        return Failure(str(exc) or exc.__class__.__name__, permanent=True)
    except DeliveryError as exc:
        return Failure(str(exc) or exc.__class__.__name__, permanent=False)
    except Exception as exc:  # a bug or an unexpected library error: retried, and dead once retries run out
        current_app.logger.exception("delivering outbox message %s failed", message.id)
        return Failure(f"{exc.__class__.__name__}: {exc}", permanent=False)
    record_sent(message.id, provider_message_id)
    return None


def _settle_failure(message: OutboxMessage, failure: Failure, eager: bool) -> float | None:
    """Dead, or released for the sweep (eager), or held until its retry: answers the retry's wait, if any."""
    if failure.permanent or message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        record_dead(message.id, failure.error)
        return None
    if eager:
        # No worker to retry later (tests): release the claim, the sweep is the retry.
        _record(message.id, claimed_until=None, last_error=failure.error[:2000])
        return None
    wait = backoff(message.attempts)
    # The claim now means "not before the next attempt": the sweep leaves the row alone until then.
    _record(message.id, claimed_until=utcnow() + timedelta(seconds=wait), last_error=failure.error[:2000])
    return wait


@shared_task(bind=True, max_retries=None)
def deliver_message(self, message_id: int) -> None:
    """Deliver one message; a temporary failure retries this task after a full-jitter backoff."""
    for message in claim([message_id]):
        failure = attempt(message)
        if failure is not None:
            wait = _settle_failure(message, failure, self.request.is_eager)
            if wait is not None:
                raise self.retry(countdown=wait + 1, max_retries=None)


@shared_task(bind=True)
def deliver_messages(self, message_ids: list[int]) -> None:
    """Deliver a batch one message at a time, each recorded as soon as its channel took it; a message that
    fails gets a retry task of its own."""
    messages = claim(message_ids)
    for position, message in enumerate(messages):
        if not _lease_lasts(message):
            # Slow sends ate the lease: another worker may claim the rest soon, so hand them back instead.
            rest = [later.id for later in messages[position:]]
            release(rest)
            queue_batches(rest)
            return
        failure = attempt(message)
        if failure is not None:
            wait = _settle_failure(message, failure, self.request.is_eager)
            if wait is not None:
                deliver_message.apply_async((message.id,), countdown=wait + 1)


def _lease_lasts(message: OutboxMessage) -> bool:
    """Time enough left on the claim for one more send: the slowest channel's timeout twice over (or half
    the lease, when the lease is shorter than that)."""
    margin = min(LONGEST_SEND_SECONDS * 2, current_app.config["OUTBOX_CLAIM_SECONDS"] / 2)
    return message.claimed_until - utcnow() > timedelta(seconds=margin)


def release(message_ids: list[int]) -> None:
    """Give back claims not used: no attempt was made, so none is counted."""
    with _bookkeeping() as connection:
        connection.execute(
            update(_table)
            .where(_table.c.id.in_(message_ids), _table.c.sent_at.is_(None), _table.c.dead_at.is_(None))
            .values(claimed_until=None, attempts=_table.c.attempts - 1)
        )


@shared_task
def sweep_outbox() -> int:
    """Queue every message still unsent some time after it was written whose claim has run out.

    It finds what a lost hand-off (a crash between commit and queueing) or a killed worker left behind;
    a row whose last allowed attempt died with its worker goes to the dead letters instead.
    """
    config = current_app.config
    now = utcnow()
    cutoff = now - timedelta(seconds=config["OUTBOX_RETRY_AFTER"])
    with Session(db.engine) as session:
        rows = session.execute(
            select(_table.c.id, _table.c.attempts)
            .where(*_claimable(now), _table.c.created_at < cutoff)
            .order_by(_table.c.id)
            .limit(500)
        ).all()
    queued = []
    for message_id, attempts in rows:
        if attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
            record_dead(message_id, "the worker stopped during the last allowed attempt")
        else:
            queued.append(message_id)
    queue_batches(queued)
    return len(queued)
