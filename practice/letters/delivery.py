"""Letters sent by e-mail. Issuing a letter with the channel "e-mail" writes it to the outbox
in the issuing's own transaction: the frozen PDF attached, with a short neutral body that
gives no reason and quotes nothing from the letter. When the server has taken it, a letter to
a client records "letter sent" among the client's communications, dated when it really went
and naming its Message-ID (a letter by post or in person records it when it is issued)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, object_session

from practice.audit.services import Actor
from practice.conduct import services as conduct_services
from practice.letters import signals
from practice.letters.models import KINDS, Letter, LetterDelivery
from practice.messages import services as messages
from practice.messages.mail import Part
from practice.messages.models import Message
from practice.messages.registry import MessageKind, register
from practice.settings.services import get_practice
from referrals.models import Inquiry

LETTER = "letter"


def address_for(client, inquiry) -> str:
    """Where an e-mailed letter goes: the client's address, or the inquiry's."""
    if client is not None:
        return client.email
    return inquiry.email if inquiry is not None else ""


def neutral_filename(letter: Letter) -> str:
    """The PDF's name in the e-mail: its date and reference, not its kind (a mail program
    shows attachment names in previews; "safety-discontinuation" would say why)."""
    return f"letter-{letter.issued_at:%Y-%m-%d}-{letter.uuid[:8]}.pdf"


def on_issued(letter: Letter, **facts) -> None:
    if letter.channel != "email":
        return
    session = object_session(letter)
    actor = Actor(letter.issued_by)
    subject = f"A letter from {get_practice(session).name}"
    context = {"filename": neutral_filename(letter)}
    attachment = [Part(neutral_filename(letter), "application/pdf", letter.pdf)]
    if letter.client is not None:
        message = messages.queue_for_client(
            session, kind=LETTER, client=letter.client, subject=subject, template="letter", context=context,
            attachments=attachment, actor=actor, now=letter.issued_at)
    else:
        inquiry = session.get(Inquiry, letter.inquiry_id)
        name = messages.first_name(inquiry.name)
        message = messages.queue_message(
            session, kind=LETTER, to=inquiry.email, to_name=name, subject=subject, template="letter",
            context=context | {"first_name": name}, attachments=attachment, actor=actor, now=letter.issued_at)
    session.add(LetterDelivery(letter_id=letter.id, message_id=message.id, queued_at=letter.issued_at))
    session.flush()


def _sent(session, message: Message, sent_at: datetime) -> None:
    letter = session.scalar(select(Letter).join(LetterDelivery, LetterDelivery.letter_id == Letter.id)
                            .options(joinedload(Letter.client), joinedload(Letter.issued_by))
                            .where(LetterDelivery.message_id == message.id))
    if letter is None or letter.client is None:
        return
    conduct_services.record_communication(
        session, Actor(letter.issued_by), letter.client, occurred_at=sent_at, channel="email", kind="letter_sent",
        summary=f"{KINDS[letter.kind]} (e-mail to {message.to_address}), SHA-256 {letter.sha256[:16]}…, "
                f"Message-ID {message.message_id}",
        now=sent_at)


def delivery_of(session, letter_id: int) -> LetterDelivery | None:
    """The letter's e-mail, with its message (one query)."""
    return session.scalar(select(LetterDelivery).options(joinedload(LetterDelivery.message))
                          .where(LetterDelivery.letter_id == letter_id))


register(MessageKind(LETTER, "Letter", sent=_sent))


def connect() -> None:
    signals.letter_issued.connect(on_issued)
