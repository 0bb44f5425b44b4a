"""The transactional outbox: write a message with the change, hand it to a worker after commit.

A crash between the commit and the hand-off loses nothing: the periodic sweep (tasks.sweep_outbox)
queues every row still unsent.
"""

from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.notifications.models import Channel, OutboxMessage


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
    after_commit(_hand_to_worker, message_id)


def _hand_to_worker(message_id: int) -> None:
    from onestop.notifications.tasks import deliver_message

    deliver_message.delay(message_id)
