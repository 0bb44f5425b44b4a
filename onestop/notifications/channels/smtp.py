import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from onestop.notifications.channels import DeliveryError
from onestop.notifications.models import OutboxMessage


class SmtpSender:
    def __init__(self, host: str, port: int, use_tls: bool, username: str, password: str, sender: str):
        self.host, self.port, self.use_tls = host, port, use_tls
        self.username, self.password, self.sender = username, password, sender

    @classmethod
    def from_config(cls, config) -> "SmtpSender":
        return cls(
            config["MAIL_SERVER"],
            config["MAIL_PORT"],
            config["MAIL_USE_TLS"],
            config["MAIL_USERNAME"],
            config["MAIL_PASSWORD"],
            config["MAIL_SENDER"],
        )

    def send(self, message: OutboxMessage) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # A stable Message-ID lets a receiving server drop the copy if a retry ever sends twice.
        mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(str(exc)) from exc
