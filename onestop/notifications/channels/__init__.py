"""Delivery channels behind small interfaces; the factory picks one from the configuration."""

from collections.abc import Mapping
from typing import Protocol

from flask import current_app

from onestop.notifications.models import Channel, OutboxMessage


class DeliveryError(Exception):
    """A temporary failure: the task retries with backoff."""


class MessageRefused(Exception):
    """A permanent failure (a number the provider will never reach, a refused address): no retry."""


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> str | None:
        """Hand the message to the channel's server; answer the provider's message id where it gives one.

        `message.id` is stable across retries: a channel that accepts an idempotency key gets
        `idempotency_key(message)`, so that a send a dead worker left half-done is not repeated."""


def idempotency_key(message: OutboxMessage) -> str:
    """The key every channel that can deduplicate receives: the same for every attempt of one row."""
    return f"outbox-{message.id}"


class KeepInOutbox:
    """No outside system: the message is delivered by being kept, readable on /dev/mailbox (demo only)."""

    def send(self, message: OutboxMessage) -> None:
        return None


class Refuse:
    """A channel switched off or not configured: every message goes to the dead letters, visibly."""

    def __init__(self, reason: str):
        self.reason = reason

    def send(self, message: OutboxMessage) -> None:
        raise MessageRefused(self.reason)


def sender_for(channel: Channel, config: Mapping | None = None) -> Sender:
    config = config if config is not None else current_app.config
    if channel == Channel.EMAIL:
        if not config["MAIL_SERVER"]:
            return KeepInOutbox()
        from onestop.notifications.channels.smtp import SmtpSender

        return SmtpSender.from_config(config)
    if channel == Channel.SMS:
        backend = config["SMS_BACKEND"]
        if backend == "outbox":
            return KeepInOutbox()
        if backend == "disabled":
            return Refuse("SMS is disabled (SMS_BACKEND=disabled)")
        if backend == "brandname":
            from onestop.notifications.channels.sms import sms_sender_from_config

            return sms_sender_from_config(config)
        return Refuse(f"unknown SMS_BACKEND {backend!r}")
    if channel == Channel.OTT:
        if not config["OTT_WEBHOOK_URL"]:
            return Refuse("OTT not configured (OTT_WEBHOOK_URL is empty)")
        from onestop.notifications.channels.ott import OttWebhookSender

        return OttWebhookSender.from_config(config)
    # The inbox is written directly by notify(); a row for it in the outbox is a bug to see, not to drop.
    return Refuse(f"channel {channel!r} is not delivered through the outbox")
