from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from onestop.extensions import db
from onestop.models import utcnow
from onestop.notifications.channels import DeliveryError, sender_for
from onestop.notifications.models import Channel, OutboxMessage


@shared_task(bind=True, max_retries=8)
def deliver_message(self, message_id: int) -> None:
    # Its own session: under eager execution this runs inside the request's commit.
    with Session(db.engine) as session:
        message = session.get(OutboxMessage, message_id, with_for_update=True)
        if message is None or message.sent_at is not None:
            return
        message.attempts += 1
        try:
            sender_for(Channel(message.channel)).send(message)
        except DeliveryError as exc:
            message.last_error = str(exc)[:2000]
            session.commit()
            if self.request.is_eager:
                return  # no worker to retry later in eager mode (tests): the sweep will
            raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries)) from exc
        message.sent_at = utcnow()
        message.last_error = ""
        session.commit()


@shared_task
def sweep_outbox() -> int:
    """Queue every message still unsent some time after it was written (a crash lost its hand-off)."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER"])
    with Session(db.engine) as session:
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < cutoff, OutboxMessage.attempts < 20)
            .order_by(OutboxMessage.id)
            .limit(500)
        ).all()
    for message_id in ids:
        deliver_message.delay(message_id)
    return len(ids)
