"""A real SMTP server inside the test process (aiosmtpd), for the outbox tests: it keeps what
it accepts, and can be told to refuse the next messages with a given answer."""

import socket
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    email: EmailMessage
    raw: bytes

    @property
    def text(self) -> str:
        return self.email.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        part = self.email.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def attachments(self) -> dict[str, tuple[str, bytes]]:
        """filename -> (media type, bytes)"""
        return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
                for part in self.email.iter_attachments()}


class Inbox:
    """The server's handler (aiosmtpd calls handle_RCPT and handle_DATA)."""

    def __init__(self):
        self.messages: list[Received] = []
        self.refuse_data: list[str] = []  # answers to give to DATA instead of accepting, in turn
        self.refuse_rcpt: list[str] = []
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data.pop(0)
        raw = envelope.original_content or envelope.content
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message_from_bytes(raw, policy=default), raw))
        return f"250 2.0.0 Ok: queued as TEST{len(self.messages)}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server() -> tuple[Inbox, Controller]:
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    return inbox, controller


def mail_config(port: int) -> dict:
    """The settings that send the practice's e-mail to the test server on `port`."""
    return {
        "PRACTICE_MAIL_SERVER": "127.0.0.1", "PRACTICE_MAIL_PORT": port,
        "PRACTICE_MAIL_SENDER": "Harbour Street Massage <hello@harbour.example>",
        "PRACTICE_BASE_URL": "https://harbour.example", "PRACTICE_MAIL_TIMEOUT_SECONDS": 10,
    }
