"""The transactional outbox: write a message with the change, hand it to a worker after commit.

A crash between the commit and the hand-off loses nothing: the periodic sweep (tasks.sweep_outbox)
queues every row still unsent.
"""

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

from onestop.extensions import db
from onestop.notifications.models import Channel, OutboxMessage

_PENDING = "onestop.outbox_pending"


def queue_message(channel: Channel, recipient: str, body: str, subject: str = "", user_id: int | None = None):
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body, user_id=user_id)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(message.id)
    return message


def _after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from onestop.notifications.tasks import deliver_message

    for message_id in pending:
        try:
            deliver_message.delay(message_id)
        except Exception:  # the broker is down: the sweep will pick the row up
            current_app.logger.exception("could not queue outbox message %s", message_id)


def _after_rollback(session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    if not event.contains(FlaskSession, "after_commit", _after_commit):
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_soft_rollback", _after_rollback)
