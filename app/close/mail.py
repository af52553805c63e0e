"""Sending a report by e-mail through the SMTP server of the settings (SMTP_HOST, SMTP_PORT, SMTP_FROM,
SMTP_USER / SMTP_PASSWORD, SMTP_STARTTLS, SMTP_TIMEOUT).

Two kinds of failure, kept apart because the sender treats them differently:
- `MailError`: the server cannot be used at all (down, unreachable, the login refused, STARTTLS
  missing, the connection lost): the run stops, nothing more is sent;
- `MessageRefused`: the server refused this one message (a recipient, the sender, the data): that
  send fails and is tried again on the next run, the others go on.

Every message carries a Message-ID made from its subscription and period key only, so a message sent
again after an interrupted run (accepted by the server, but killed before the log said so) has the
same Message-ID, and a receiving system can drop the duplicate.
"""

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from types import TracebackType

from app.config import Settings

# Cut an SMTP server's answer to this many characters in messages and the send log.
REPLY_CHARS = 300


class MailSettingsError(ValueError):
    """The SMTP settings are missing or do not fit together (the command exits 2)."""


class MailError(RuntimeError):
    """The SMTP server cannot be used: nothing more can be sent in this run."""


class MessageRefused(RuntimeError):
    """The SMTP server refused one message; the connection stays usable for the next."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def domain(self) -> str:
        """The sender address's domain: the right-hand side of every Message-ID."""
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpSettings":
        """The settings of the environment; MailSettingsError naming what is missing or wrong."""
        missing = [
            name for name, value in (("SMTP_HOST", settings.smtp_host), ("SMTP_FROM", settings.smtp_from)) if not value
        ]
        if missing:
            raise MailSettingsError(f"{' and '.join(missing)} must be set to send reports (see docs/close.md)")
        assert settings.smtp_host is not None and settings.smtp_from is not None
        address = parseaddr(settings.smtp_from)[1]
        if "@" not in address:
            raise MailSettingsError(f"SMTP_FROM={settings.smtp_from!r} is not an e-mail address")
        password = settings.smtp_password.get_secret_value() if settings.smtp_password is not None else None
        if bool(settings.smtp_user) != bool(password):
            raise MailSettingsError("SMTP_USER and SMTP_PASSWORD go together: set both or neither")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            user=settings.smtp_user or None,
            password=password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )


def message_id(subscription_id: int, period_key: str, domain: str) -> str:
    """The Message-ID of a subscription's message for one period key: the same on every try."""
    return f"<scorecard-report.{subscription_id}.{period_key}@{domain}>"


def compose(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    body: str,
    filename: str,
    content_type: str,
    data: bytes,
    msg_id: str,
) -> EmailMessage:
    """A plain-text message with one attachment. Auto-Submitted keeps vacation replies away."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    maintype, _, subtype = content_type.split(";")[0].strip().partition("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"[:REPLY_CHARS]


def _reason(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:REPLY_CHARS]


class Mailer:
    """One SMTP connection for a run, opened at the first message (a run with nothing due never
    connects), with a timeout on every step. Use it as a context manager: it closes the connection."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        """Connect, STARTTLS when asked, log in when a user is set; MailError saying what failed where."""
        if self._smtp is not None:
            return
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"cannot reach the SMTP server at {s.where} (SMTP_HOST, SMTP_PORT): {_reason(exc)}"
            ) from None
        try:
            if s.starttls:
                try:
                    smtp.starttls(context=ssl.create_default_context())
                except smtplib.SMTPNotSupportedError:
                    raise MailError(
                        f"the SMTP server at {s.where} does not offer STARTTLS, and SMTP_STARTTLS is on: "
                        "nothing is sent in plain text"
                    ) from None
                except (ssl.SSLError, ssl.CertificateError) as exc:
                    raise MailError(f"STARTTLS with the SMTP server at {s.where} failed: {_reason(exc)}") from None
            if s.user:
                try:
                    smtp.login(s.user, s.password or "")
                except smtplib.SMTPAuthenticationError as exc:
                    raise MailError(
                        f"the SMTP server at {s.where} refused the login of {s.user} "
                        f"(SMTP_USER, SMTP_PASSWORD): {_reply(exc)}"
                    ) from None
                except smtplib.SMTPNotSupportedError:
                    hint = "" if s.starttls else "; many servers offer it only after STARTTLS (SMTP_STARTTLS=true)"
                    raise MailError(f"the SMTP server at {s.where} offers no login (AUTH){hint}") from None
        except MailError:
            _quietly_close(smtp)
            raise
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(smtp)
            raise MailError(f"the SMTP server at {s.where} failed while connecting: {_reason(exc)}") from None
        self._smtp = smtp

    def send(self, msg: EmailMessage) -> dict[str, str]:
        """Hand `msg` to the server; returns the recipients it refused (the others got it).
        MessageRefused when it took none of it; MailError when the server cannot be used any more."""
        self.open()
        assert self._smtp is not None
        s = self.settings
        try:
            refused = self._smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MessageRefused(
                "every recipient was refused: "
                + ", ".join(f"{rcpt} ({_code(r)})" for rcpt, r in exc.recipients.items())
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code == 530:  # authentication required: no message will go through
                self._drop()
                raise MailError(
                    f"the SMTP server at {s.where} wants a login ({_reply(exc)}): set SMTP_USER and SMTP_PASSWORD"
                ) from None
            raise MessageRefused(f"the sender {exc.sender} was refused: {_reply(exc)}") from None
        except smtplib.SMTPDataError as exc:
            raise MessageRefused(f"the message was refused: {_reply(exc)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise MailError(f"the connection to the SMTP server at {s.where} was lost: {_reason(exc)}") from None
        return {rcpt: _code(reply) for rcpt, reply in refused.items()}

    def _drop(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self._drop()


def _code(reply: tuple[int, bytes]) -> str:
    code, text = reply
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}"[:REPLY_CHARS]


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
