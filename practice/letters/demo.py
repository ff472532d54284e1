"""Issued letters of every kind for the demo practice, each from the demo's own record, so
that the register and the client timelines show real examples. Wired in by practice/demo.py
after the conduct record and the referral network have their demo data.

Every fact a letter quotes is gathered from the record by compose.gather (the dates the
policy was communicated, the breaches that followed, the colleague's contact, the colleagues
accepting new clients); a draft that would need a fact the record lacks stops the demo
rather than inventing one. Only the custom letter is written by hand: it is about something
the record does not hold (the holiday closing)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from practice.audit.services import SYSTEM, Actor
from practice.letters import compose, delivery, services
from practice.messages.sending import record_sent
from practice.settings.services import get_practice, local_date
from referrals.models import Inquiry, Modality, Specialist

DEMO_SERVER_REPLY = "250 2.0.0 Accepted (the demo's mail server)"
HOLIDAY_LETTER = """Dear {client_name},

A short note to let you know that {practice_name} will be closed over the holidays, from {closed_from} to {closed_to} inclusive. We open again on {reopens}.

If you would like a session before the break, please book by phone or e-mail as usual; the last appointments fill up quickly at this time of year.

With warm wishes for a restful holiday."""

HOW_TO_PAY = ("You can pay by bank transfer to Linden Yard Massage & Wellness (sort code 12-34-56, "
              "account 12345678, with your name as the reference), or by card or cash at the desk.")


@dataclass(frozen=True)
class DemoLetter:
    kind: str
    author: str  # a DemoStaff key
    client: str | None = None  # a demo client's display name
    inquiry: str | None = None  # or the name on an inquiry
    specialist: str | None = None  # a referral's colleague in the directory
    needs: tuple[str, ...] = ()  # a referral's modalities
    need: str = ""
    channel: str = "post"
    facts: dict = field(default_factory=dict)


LETTERS = (
    # Tomasz's client who followed him to his car (practice/conduct/demo.py): short, no details.
    DemoLetter("safety_discontinuation", "tomasz", client="Daniel Cohen"),
    # Mei's client who kept missing sessions after a reminder and a warning.
    DemoLetter("discontinuation", "mei", client="Lewis Grant", channel="email"),
    # Amara's long-session client, whose back pain has settled, to a Pilates teacher.
    DemoLetter("referral", "amara", client="Leila Haddad", specialist="Sarah Lowe", needs=("Pilates",),
               need="Pilates to build core strength now that your back pain has settled",
               channel="email"),
    # Amara is not taking new clients: the reply to an inquiry on her waitlist.
    DemoLetter("practice_full", "amara", inquiry="Hamza Iqbal", channel="email"),
    DemoLetter("custom", "amara", client="Ruth Abernathy"),
)
# When the letters not tied to an ending were issued, before the demo's `now`.
ISSUED_AGO = {"referral": timedelta(days=2, hours=3), "practice_full": timedelta(days=1, hours=5),
              "custom": timedelta(hours=2)}


def add_demo_letters(session, *, now: datetime, clients: dict, practitioners: dict,
                     endings: dict[str, datetime]) -> list:
    """Issue LETTERS in the order they were written; returns them. `clients`: display name ->
    Client; `practitioners`: DemoStaff key -> User; `endings`: client -> when the letter
    ending their relationship was issued."""
    profile = get_practice(session)
    planned = [(endings[letter.client] if letter.client in endings else now - ISSUED_AGO[letter.kind], letter)
               for letter in LETTERS]
    services.set_how_to_pay(session, SYSTEM, HOW_TO_PAY, now=min(at for at, _letter in planned))
    return [_issue(session, letter, _request(session, letter, clients, practitioners, at),
                   practitioners, profile=profile, now=at)
            for at, letter in sorted(planned, key=lambda pair: pair[0])]


def _request(session, letter: DemoLetter, clients: dict, practitioners: dict, at: datetime) -> compose.Request:
    today = local_date(session, at)
    request = compose.Request(
        kind=letter.kind, client=clients.get(letter.client), author=practitioners[letter.author].practitioner,
        channel=letter.channel, need=letter.need,
    )
    if letter.kind in ("discontinuation", "safety_discontinuation"):
        request.effective_date = today
    if letter.inquiry:
        request.inquiry = session.scalar(select(Inquiry).where(Inquiry.name == letter.inquiry))
    if letter.specialist:
        request.specialist = session.scalar(select(Specialist).where(Specialist.name == letter.specialist))
        request.modalities = list(session.scalars(select(Modality).where(Modality.name.in_(letter.needs))))
    return request


def _issue(session, letter: DemoLetter, request: compose.Request, practitioners: dict, *, profile,
           now: datetime):
    found = compose.gather(session, request, profile=profile, now=now)
    if letter.kind == "custom":
        found.values |= _holiday(local_date(session, now))
        text, version = HOLIDAY_LETTER, None
    else:
        text, version = services.current_template(session, letter.kind)
    if found.missing:
        raise RuntimeError(f"The demo's {letter.kind} letter lacks facts: {found.missing}")
    request.body = compose.draft(text, found)
    issued = services.issue(session, Actor(practitioners[letter.author]), request, profile=profile, now=now,
                            template_version=version)
    if issued.channel == "email":  # the demo's past: its e-mail went when it was issued
        record_sent(session, delivery.delivery_of(session, issued.id).message, DEMO_SERVER_REPLY, now)
    return issued


def _holiday(today: date) -> dict[str, str]:
    """The coming Christmas closing, 24 December to 1 January (open again on the first
    day after it that is not a Sunday)."""
    year = today.year if today < date(today.year, 12, 24) else today.year + 1
    closed_from, closed_to = date(year, 12, 24), date(year + 1, 1, 1)
    reopens = closed_to + timedelta(days=1)
    if reopens.weekday() == 6:
        reopens += timedelta(days=1)
    return {"closed_from": f"{closed_from:%A} {compose.long_date(closed_from)}",
            "closed_to": f"{closed_to:%A} {compose.long_date(closed_to)}",
            "reopens": f"{reopens:%A} {compose.long_date(reopens)}"}
