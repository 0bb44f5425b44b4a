"""Delivery channels behind small interfaces; the factory picks one from the configuration."""

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

        `message.id` is stable across retries: a channel that accepts an idempotency key gets it, so that a
        send a dead worker left half-done is not repeated."""


class KeepInOutbox:
    """No outside system: the message is delivered by being kept, readable on /dev/mailbox."""

    def send(self, message: OutboxMessage) -> None:
        return None


def sender_for(channel: Channel) -> Sender:
    if channel == Channel.EMAIL and current_app.config["MAIL_SERVER"]:
        from onestop.notifications.channels.smtp import SmtpSender

        return SmtpSender.from_config(current_app.config)
    if channel == Channel.SMS and current_app.config["SMS_BACKEND"] != "outbox":
        from onestop.notifications.channels.sms import sms_sender_from_config

        return sms_sender_from_config(current_app.config)
    return KeepInOutbox()
