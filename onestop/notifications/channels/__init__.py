"""Delivery channels behind small interfaces; the factory picks one from the configuration."""

from typing import Protocol

from flask import current_app

from onestop.notifications.models import Channel, OutboxMessage


class DeliveryError(Exception):
    """A temporary failure: the task retries with backoff."""


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class KeepInOutbox:
    """No outside system: the message is delivered by being kept, readable on /dev/mailbox."""

    def send(self, message: OutboxMessage) -> None:
        return None


def sender_for(channel: Channel) -> Sender:
    if channel == Channel.EMAIL and current_app.config["MAIL_SERVER"]:
        from onestop.notifications.channels.smtp import SmtpSender

        return SmtpSender.from_config(current_app.config)
    if channel == Channel.SMS and current_app.config["SMS_BACKEND"] != "outbox":
        raise RuntimeError(f"unknown SMS_BACKEND {current_app.config['SMS_BACKEND']!r}")
    return KeepInOutbox()
