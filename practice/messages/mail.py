"""The practice's SMTP server: its settings (environment or instance/config.py, never the
database), building an e-mail and handing it to the server.

The standard library does it: `email.message.EmailMessage` builds multipart messages with
alternatives and attachments, `smtplib` speaks SMTP with STARTTLS or TLS and AUTH. A library
such as Flask-Mail would add a message class and a connection per app, and hide the one step
the outbox needs to see: the envelope being accepted (MAIL FROM, RCPT TO) is separate from the
content being handed over (DATA), so the outbox records the moment just before the content
goes (see practice.messages.sending)."""

import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr

DEFAULT_PORTS = {"ssl": 465, "tls": 587, "plain": 25}


def _flag(value) -> bool:
    """true/false from the environment arrive as JSON booleans; from a file they may be text."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str
    password: str = field(repr=False)
    sender: str       # "Name <address>" or an address
    base_url: str     # where clients reach the links in messages
    timeout: float

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def problems(self) -> list[str]:
        """Why messages cannot be sent yet, in words for the admin (empty: they can)."""
        found = []
        if not self.server:
            found.append("No mail server is configured: set PRACTICE_MAIL_SERVER.")
        if "@" not in self.sender_address:
            found.append("No sender address: set PRACTICE_MAIL_SENDER, or give the practice an "
                         "e-mail address in its details.")
        if not self.base_url.startswith(("http://", "https://")):
            found.append("Links in messages need the address clients reach the site at: set "
                         "PRACTICE_BASE_URL (for example https://practice.example.org).")
        if self.use_tls and self.use_ssl:
            found.append("PRACTICE_MAIL_USE_TLS and PRACTICE_MAIL_USE_SSL are both on: choose one.")
        return found

    @property
    def ready(self) -> bool:
        return not self.problems

    @property
    def security(self) -> str:
        if self.use_ssl:
            return "TLS from the start (SMTPS)"
        return "STARTTLS" if self.use_tls else "none (plain SMTP)"

    @property
    def domain(self) -> str:
        """The domain Message-IDs are made in: the sender's."""
        return self.sender_address.rpartition("@")[2] or "practice.invalid"


def mail_settings(config, profile) -> MailSettings:
    """The settings as configured; the sender defaults to the practice's own name and e-mail."""
    use_ssl, use_tls = _flag(config.get("PRACTICE_MAIL_USE_SSL")), _flag(config.get("PRACTICE_MAIL_USE_TLS"))
    default_port = DEFAULT_PORTS["ssl" if use_ssl else "tls" if use_tls else "plain"]
    try:
        port = int(config.get("PRACTICE_MAIL_PORT") or default_port)
    except (TypeError, ValueError):
        port = default_port
    sender = str(config.get("PRACTICE_MAIL_SENDER") or "").strip()
    if not sender and profile is not None and profile.email:
        sender = formataddr((profile.name, profile.email))
    return MailSettings(
        server=str(config.get("PRACTICE_MAIL_SERVER") or "").strip(), port=port, use_tls=use_tls,
        use_ssl=use_ssl, username=str(config.get("PRACTICE_MAIL_USERNAME") or ""),
        password=str(config.get("PRACTICE_MAIL_PASSWORD") or ""), sender=sender,
        base_url=str(config.get("PRACTICE_BASE_URL") or "").strip(),
        timeout=float(config.get("PRACTICE_MAIL_TIMEOUT_SECONDS") or 30),
    )


def new_message_id(domain: str) -> str:
    """A Message-ID unique whatever the random module's state (make_msgid draws from it, and
    a seeded one, as in property-based tests, repeats itself): 128 bits from the OS."""
    return f"<{uuid.uuid4().hex}@{domain}>"


@dataclass(frozen=True)
class Part:
    filename: str
    media_type: str
    data: bytes


def build(*, sender: str, to_address: str, to_name: str, subject: str, text: str, html: str,
          message_id: str, date: datetime, headers: dict, attachments: list[Part]) -> EmailMessage:
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = formataddr((to_name, to_address)) if to_name else to_address
    email["Subject"] = subject
    email["Date"] = format_datetime(date)
    email["Message-ID"] = message_id
    for name, value in headers.items():
        email[name] = value
    email.set_content(text)
    if html:
        email.add_alternative(html, subtype="html")
    for part in attachments:
        maintype, _, subtype = part.media_type.partition("/")
        email.add_attachment(part.data, maintype=maintype, subtype=subtype, filename=part.filename)
    return email


class SendFailed(Exception):
    """Nothing was delivered: the server refused, or the content never went. `permanent`:
    another try would be refused the same way (a 5xx answer to this message)."""

    def __init__(self, reply: str, *, permanent: bool):
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent


class OutcomeUnknown(Exception):
    """The content went to the server but its answer never came: it may have been accepted."""


def _reply(code: int, text) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}".strip()


def _refused(code: int, text, step: str) -> SendFailed:
    return SendFailed(f"{step}: {_reply(code, text)}", permanent=500 <= code < 600)


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.use_ssl:
        return smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error)
    return f"{type(error).__name__}: {error}".strip()


def deliver(settings: MailSettings, email: EmailMessage, *, before_content: Callable[[], bool]) -> str | None:
    """Hand `email` to the server; return its answer once it has accepted the message.

    `before_content()` runs once the server has accepted the envelope, just before the
    content goes: it records that moment and returns False to stop (the message was
    cancelled meanwhile; nothing is handed over, and None is returned).

    Raises SendFailed when nothing was delivered (a refusal, or an error before the content
    went: connecting, STARTTLS, AUTH, MAIL FROM, RCPT TO, or a refusal of DATA), and
    OutcomeUnknown when the content went but no answer came back."""
    recipient = parseaddr(email["To"])[1]
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        raise SendFailed(f"Could not reach {settings.server}:{settings.port}: {_describe(error)}",
                         permanent=False) from None
    try:
        try:
            if settings.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as error:
            # The practice's own settings (or the server's state): never this message's fault.
            raise SendFailed(f"Connecting: {_describe(error)}", permanent=False) from None
        try:
            code, text = smtp.mail(settings.sender_address)
            if code != 250:
                raise _refused(code, text, "MAIL FROM")
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise _refused(code, text, "RCPT TO")
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(f"Before sending: {_describe(error)}", permanent=False) from None
        if not before_content():
            _quietly(smtp.rset)
            return None
        try:
            code, text = smtp.data(email.as_bytes())
        except smtplib.SMTPDataError as error:  # a definite answer: refused, nothing kept
            raise _refused(error.smtp_code, error.smtp_error, "DATA") from None
        except (OSError, smtplib.SMTPException) as error:
            raise OutcomeUnknown(f"While the server was taking the message: {_describe(error)}") from None
        if code != 250:  # smtplib returns the answer to the content; it raises only for DATA itself
            raise _refused(code, text, "DATA")
        return _reply(code, text)
    finally:
        _quietly(smtp.quit)
        _quietly(smtp.close)


def _quietly(step) -> None:
    try:
        step()
    except (OSError, smtplib.SMTPException):
        pass
