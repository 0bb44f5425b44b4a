"""E-mail over SMTP. SMTP has no idempotency key: a send that a dead worker left half-done can be
repeated once after its claim expires, and the stable Message-ID lets the receiving side see the copy."""

import contextlib
import email.policy
import smtplib
import threading
from collections.abc import Mapping
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

from onestop.notifications.channels import DeliveryError, MessageRefused, idempotency_key
from onestop.notifications.models import OutboxMessage

# One open connection per server in each worker process: a new SMTP session (TCP, greeting, EHLO, TLS,
# login) per message costs more than the message itself.
_connections: dict[tuple, smtplib.SMTP] = {}
_lock = threading.Lock()


def _forget_connection() -> None:
    with _lock:
        for smtp in _connections.values():
            with contextlib.suppress(OSError):
                smtp.close()
        _connections.clear()


# SMTP wants CRLF line ends; smtplib fixes them only in text, not in the bytes it is given.
_WIRE = email.policy.compat32.clone(linesep="\r\n")


def _send(smtp: smtplib.SMTP, mail: MIMEText) -> None:
    smtp.sendmail(parseaddr(mail["From"])[1], [mail["To"]], mail.as_bytes(policy=_WIRE))


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

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=15)
        if self.use_tls:
            smtp.starttls()
        if self.username:
            smtp.login(self.username, self.password)
        return smtp

    def _deliver(self, mail: MIMEText) -> None:
        """Over this process's open connection when there is one, else a new one kept for the next message.

        A kept connection the server has closed meanwhile fails on its first command (MAIL FROM), before
        anything was sent: then, and only then, the message goes once more over a fresh connection."""
        key = (self.host, self.port, self.username)
        with _lock:
            kept = _connections.get(key)
            if kept is not None:
                try:
                    _send(kept, mail)
                    return
                except smtplib.SMTPServerDisconnected:
                    _connections.pop(key, None)
                except smtplib.SMTPSenderRefused as exc:
                    _connections.pop(key, None)
                    if exc.smtp_code != 421:  # 421: the server is closing this idle connection
                        raise
            smtp = self._connect()
            _connections[key] = smtp
            _send(smtp, mail)

    def send(self, message: OutboxMessage) -> str:
        # The plain MIME classes: the modern EmailMessage API costs more to build than the whole SMTP exchange.
        mail = MIMEText(message.body, "plain", "utf-8")
        name, address = parseaddr(self.sender)
        mail["From"] = formataddr((name, address), charset="utf-8")
        mail["To"] = message.recipient
        mail["Subject"] = Header(message.subject, "utf-8")
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id_for(message, self.sender)
        try:
            self._deliver(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            # Every recipient refused with a permanent (5xx) code: retrying cannot help.
            if all(500 <= code < 600 for code, _text in exc.recipients.values()):
                raise MessageRefused(str(exc)) from exc
            raise DeliveryError(str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            _forget_connection()
            raise DeliveryError(str(exc)) from exc
        return mail["Message-ID"]
