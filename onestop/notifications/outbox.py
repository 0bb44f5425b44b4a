"""The transactional outbox: write a message with the change, hand it to a worker after commit.

A crash between the commit and the hand-off loses nothing: the periodic sweep (tasks.sweep_outbox)
queues every row still unsent.
"""

from onestop.extensions import db
from onestop.handoff import after_commit
from onestop.notifications.models import Channel, OutboxMessage


def queue_message(channel: Channel, recipient: str, body: str, subject: str = "", user_id: int | None = None):
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body, user_id=user_id)
    db.session.add(message)
    db.session.flush()
    after_commit(_hand_to_worker, message.id)
    return message


def _hand_to_worker(message_id: int) -> None:
    from onestop.notifications.tasks import deliver_message

    deliver_message.delay(message_id)
