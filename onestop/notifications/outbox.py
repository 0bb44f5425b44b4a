"""The transactional outbox: write a message with the change, hand it to a worker after commit.

A crash between the commit and the hand-off loses nothing: the periodic sweep (tasks.sweep_outbox)
queues every row still unsent.
"""

from onestop.extensions import db
from onestop.handoff import after_commit, hold, take
from onestop.notifications.models import Channel, OutboxMessage

_HELD_IDS = "notifications.outbox"


def queue_message(
    channel: Channel,
    recipient: str,
    body: str,
    subject: str = "",
    user_id: int | None = None,
    *,
    event: str = "",
    language: str = "vi",
    application_id: int | None = None,
) -> OutboxMessage:
    """Write the message in the current transaction; a worker gets it once that transaction commits."""
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        user_id=user_id,
        event=event,
        language=language,
        application_id=application_id,
    )
    db.session.add(message)
    db.session.flush()
    hand_to_worker_after_commit(message.id)
    return message


def hand_to_worker_after_commit(message_id: int) -> None:
    """Once the transaction commits, a worker gets this message, in one task with the others it wrote.

    Each id is held (a savepoint that rolls back drops its own); the first hand-over that runs after the
    commit takes every id held and queues them in batches (tasks.deliver_messages), the others find none."""
    hold(_HELD_IDS, message_id)
    after_commit(_hand_over_held)


def _hand_over_held() -> None:
    from onestop.notifications.tasks import queue_batches

    queue_batches(take(_HELD_IDS))
