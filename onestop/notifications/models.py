import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxMessage(db.Model):
    """A message written in the same transaction as the change it announces, delivered after commit."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
