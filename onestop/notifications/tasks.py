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
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.channels import DeliveryError, MessageRefused, sender_for
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage

_table = OutboxMessage.__table__


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


def claim(message_id: int) -> OutboxMessage | None:
    """Take the row for one attempt (a short transaction of its own); None if it is not ours to send."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    with Session(db.engine, expire_on_commit=False) as session:
        claimed = session.execute(
            update(_table)
            .where(_table.c.id == message_id, *_claimable(now))
            .values(claimed_until=lease, attempts=_table.c.attempts + 1)
        ).rowcount
        if not claimed:
            return None
        message = session.get(OutboxMessage, message_id)
        session.commit()
        session.expunge(message)
        return message


def _record(message_id: int, **values) -> None:
    with Session(db.engine) as session:
        session.execute(update(_table).where(_table.c.id == message_id, _table.c.sent_at.is_(None)).values(**values))
        session.commit()


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


@shared_task(bind=True, max_retries=None)
def deliver_message(self, message_id: int) -> None:
    message = claim(message_id)
    if message is None:
        return  # sent, dead, or another worker holds it
    failure = attempt(message)
    if failure is None:
        return
    if failure.permanent or message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        record_dead(message_id, failure.error)
        return
    if self.request.is_eager:
        # No worker to retry later (tests): release the claim, the sweep is the retry.
        _record(message_id, claimed_until=None, last_error=failure.error[:2000])
        return
    wait = backoff(message.attempts)
    # The claim now means "not before the next attempt": the sweep leaves the row alone until then.
    _record(message_id, claimed_until=utcnow() + timedelta(seconds=wait), last_error=failure.error[:2000])
    raise self.retry(countdown=wait + 1, max_retries=None)


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
    queued = 0
    for message_id, attempts in rows:
        if attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
            record_dead(message_id, "the worker stopped during the last allowed attempt")
            continue
        deliver_message.delay(message_id)
        queued += 1
    return queued
