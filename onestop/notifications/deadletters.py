"""The dead letters: messages whose retries ran out or that a channel refused for good.

A province administrator reads them (recipients masked: the page shows which message failed, not
whose address it is) and replays them once the cause is fixed: the row goes back to queued with a fresh
count of attempts and is handed to a worker after the request commits. Each replay is audited.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.audit.services import record
from onestop.errors import NotAllowed
from onestop.extensions import db
from onestop.notifications.models import Channel, DeliveryState, OutboxMessage
from onestop.notifications.outbox import hand_to_worker_after_commit
from onestop.procedures.models import Application

PAGE_SIZE = 200


@dataclass(frozen=True)
class DeadLetter:
    id: int
    channel: str
    recipient: str
    event: str
    application_code: str | None
    attempts: int
    last_error: str
    dead_at: datetime | None


def may_manage_dead_letters(user: User | None) -> bool:
    """Province administrators only: the page shows every agency's messages."""
    return getattr(user, "role", None) == Role.PROVINCE_ADMIN


def _check(actor: User) -> None:
    if not may_manage_dead_letters(actor):
        raise NotAllowed(_("Only the province's administrators can read and replay undelivered messages."))


def mask_recipient(channel: str, recipient: str) -> str:
    """Enough of the address to tell two apart, not enough to read it off the screen."""
    if channel == Channel.EMAIL:
        name, _at, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(recipient) <= 4:
        return "*" * len(recipient)
    return f"{recipient[:2]}{'*' * (len(recipient) - 4)}{recipient[-2:]}"


def channel_title(channel: str) -> str:
    titles = {Channel.EMAIL: _("E-mail"), Channel.SMS: _("SMS"), Channel.OTT: _("OTT app"), Channel.INBOX: _("Inbox")}
    return titles.get(channel, channel)


def dead_letters(actor: User) -> list[DeadLetter]:
    """The dead rows, newest first (at most PAGE_SIZE)."""
    _check(actor)
    rows = db.session.execute(
        select(OutboxMessage, Application.code)
        .outerjoin(Application, Application.id == OutboxMessage.application_id)
        .where(OutboxMessage.state == DeliveryState.DEAD)
        .order_by(OutboxMessage.dead_at.desc(), OutboxMessage.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return [
        DeadLetter(
            id=message.id,
            channel=channel_title(message.channel),
            recipient=mask_recipient(message.channel, message.recipient),
            event=message.event,
            application_code=code,
            attempts=message.attempts,
            last_error=message.last_error,
            dead_at=message.dead_at,
        )
        for message, code in rows
    ]


def replay(actor: User, message_ids: list[int]) -> int:
    """Queue these dead messages again; answers how many were dead (others are left as they are)."""
    _check(actor)
    if not message_ids:
        return 0
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(set(message_ids)), OutboxMessage.state == DeliveryState.DEAD)
        .with_for_update()
    ).all()
    for message in messages:
        record(
            "outbox.replay",
            "outbox_message",
            message.id,
            actor.id,
            channel=message.channel,
            event=message.event,
            attempts=message.attempts,
            last_error=message.last_error[:300],
        )
        message.state = DeliveryState.QUEUED
        message.dead_at = None
        message.claimed_until = None
        message.attempts = 0
        hand_to_worker_after_commit(message.id)
    db.session.flush()
    return len(messages)
