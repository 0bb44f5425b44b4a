"""E-mail over SMTP. SMTP has no idempotency key: a send that a dead worker left half-done can be
repeated once after its claim expires, and the stable Message-ID lets the receiving side see the copy."""

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from onestop.notifications.channels import DeliveryError, MessageRefused, idempotency_key
from onestop.notifications.models import OutboxMessage


def message_id_for(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID for every attempt of one outbox row (its id and creation time, the sender's domain)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "onestop.local"
    return f"<{idempotency_key(message)}.{int(message.created_at.timestamp())}@{domain}>"


class SmtpSender:
    def __init__(self, host: str, port: int, use_tls: bool, username: str, password: str, sender: str):
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.sender = username, password, sender

    @classmethod
    def from_config(cls, config: Mapping) -> "SmtpSender":
        return cls(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            config["MAIL_USE_TLS"],
            config["MAIL_USERNAME"],
            config["MAIL_PASSWORD"],
            config["MAIL_SENDER"],
        )

    def send(self, message: OutboxMessage) -> str:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id_for(message, self.sender)
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            # Every recipient refused with a permanent (5xx) code: retrying cannot help.
            if all(500 <= code < 600 for code, _text in exc.recipients.values()):
                raise MessageRefused(str(exc)) from exc
            raise DeliveryError(str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(str(exc)) from exc
        return mail["Message-ID"]
