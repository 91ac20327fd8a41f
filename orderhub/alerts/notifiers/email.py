"""Email over SMTP (smtplib): plain-text UTF-8 body, RFC 2047 subject, optional STARTTLS or
implicit TLS and login. SMTP says itself what is temporary: 4xx replies and lost connections
are retryable, 5xx (bad login, refused recipient) are not."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy.orm import Session

from orderhub.alerts.notifiers.base import (
    Message,
    NotifierError,
    recipient,
    register,
    require,
)
from orderhub.alerts.notifiers.settings import ChannelSettings


class SmtpMailer:
    channel = "email"

    def __init__(self, stored: ChannelSettings) -> None:
        require(stored, "host", "from_address")
        self.host, self.port = stored.config["host"], int(stored.config["port"])
        self.security = stored.config["security"]
        self.username, self.password = stored.config["username"], stored.secrets.get("password", "")
        self.sender = formataddr((stored.config["from_name"], stored.config["from_address"]))
        self.timeout = float(stored.config["timeout_seconds"])

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = f"【{message.severity_word}】{message.title}"
        mail["From"] = self.sender
        mail["To"] = formataddr((message.to_name, recipient(message.to_email, channel=self.channel,
                                                             what="email address")))
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].rstrip(">") or None)
        mail["X-OrderHub-Alert"] = str(message.alert_id)
        body = message.text
        if message.ack_url and message.ack_url not in body:
            body += f"\n\n确认处理：{message.ack_url}"
        mail.set_content(body, charset="utf-8")
        return mail

    def send(self, session: Session, message: Message) -> str:
        mail = self.compose(message)
        try:
            with self._connect() as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPNotSupportedError as exc:
            raise self._error(f"the server does not offer it: {exc}", False, "not_supported") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise self._error(f"recipient refused: {code} {_text(reply)}", code < 500,
                              str(code)) from exc
        except smtplib.SMTPResponseException as exc:
            raise self._error(f"{exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code < 500,
                              str(exc.smtp_code)) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise self._error(f"{self.host}:{self.port} closed the connection: {exc}", True,
                              "disconnected") from exc
        except smtplib.SMTPException as exc:  # before OSError, which it subclasses
            raise self._error(str(exc), False, "smtp") from exc
        except ssl.SSLError as exc:  # a certificate problem does not pass with time
            raise self._error(f"TLS with {self.host}:{self.port} failed: {exc}", False,
                              "tls") from exc
        except OSError as exc:  # refused, reset, timed out
            raise self._error(f"cannot reach {self.host}:{self.port}: {exc}", True,
                              "unreachable") from exc
        return str(mail["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _error(self, text: str, retryable: bool, code: str) -> NotifierError:
        return NotifierError(f"email: {text}", retryable=retryable, channel=self.channel, code=code)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


register("email")(SmtpMailer)
