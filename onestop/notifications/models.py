"""Outgoing messages (a transactional outbox delivered by Celery tasks), the portal inbox, and the
province's own wording of each event's templates."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INBOX = "inbox"  # the portal's notices: written directly, never through the outbox
    OTT = "ott"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"  # written, not yet accepted by the channel (retries keep it here)
    SENT = "sent"  # the channel's server accepted it (provider message id recorded)
    DELIVERED = "delivered"  # the provider reported it reached the handset
    UNDELIVERED = "undelivered"  # the provider reported it could not reach the handset
    DEAD = "dead"  # retries exhausted: waits on the dead-letter page for an admin's replay


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
    # Which event it tells, in which language, about which file: the dead-letter page and tests read them.
    event: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(5), default="vi")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"), index=True)
    state: Mapped[DeliveryState] = mapped_column(String(20), default=DeliveryState.QUEUED)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker claims a row for a while before talking to the outside server, so that no row lock is held
    # during the call and no other worker sends it at the same time.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Notice(db.Model):
    """One notification in a signed-in user's portal inbox."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"))
    link: Mapped[str] = mapped_column(String(500), default="")
    # The event's facts, so that the inbox words the notice in whatever language the reader uses today.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A staff member on a daily digest gets this notice by e-mail in the next digest, not at once.
    awaits_digest: Mapped[bool] = mapped_column(Boolean, default=False)


class NotificationTemplate(db.Model):
    """The province's wording of one event on one channel in one language (the code ships defaults)."""

    __tablename__ = "notification_template"
    __table_args__ = (UniqueConstraint("province_id", "event", "channel", "language", name="uq_notification_template"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    channel: Mapped[Channel] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # SMS only: send without diacritics (GSM-7, 160 characters a segment instead of 70).
    unaccented: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="admin")  # "pack" or "admin"
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class NotificationPreferences(db.Model):
    """How one person wants to be told: channels, language, and (staff) digest or immediate."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    channels: Mapped[list] = mapped_column(JSON, default=list)  # chosen among email, sms, ott; inbox is always on
    language: Mapped[str] = mapped_column(String(5), default="vi")
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    # The person's id with the province's OTT official account, once they linked it.
    ott_user_id: Mapped[str | None] = mapped_column(String(100))
