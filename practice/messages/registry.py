"""The kinds of message the outbox knows, and the rules each kind follows when it is sent.

A domain registers its kinds when it is imported (see practice/messages/kinds.py):

    register(MessageKind("appointment.booked", "Booking confirmation", consent="confirmations",
                         still_wanted=booking_still_stands))

`consent` makes a kind automatic: sent by the practice by itself, so only to a client who has
agreed to it (practice.messages.models.EmailConsent) and who may be booked (never to a client
whose standing forbids booking, or a record held as that person): checked when it is written
and again when it is sent. `still_wanted(session, message, now)` gives a reason not to send a
message any more (the appointment was cancelled); `sent(session, message, now)` records what
a sent message means (a letter's "letter sent" communication, with the date it really went)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageKind:
    name: str
    label: str  # "Booking confirmation"
    consent: str | None = None  # "confirmations" | "reminders": automatic, needs that consent
    still_wanted: Callable[..., str | None] | None = None
    sent: Callable[..., None] | None = None
    quiet: bool = False  # waits out the practice's quiet hours (reminders)

    @property
    def automatic(self) -> bool:
        return self.consent is not None


KINDS: dict[str, MessageKind] = {}


def register(kind: MessageKind) -> MessageKind:
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> MessageKind:
    return KINDS.get(name) or MessageKind(name, name.replace("_", " ").replace(".", ": ").capitalize())
