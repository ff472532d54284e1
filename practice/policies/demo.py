"""The demo practice's own policy, and its clients' acknowledgements of it."""

from datetime import datetime

from sqlalchemy import select

from practice.audit.services import SYSTEM
from practice.clients.models import Client
from practice.policies.queries import local_date
from practice.policies.services import publish_policy, record_acknowledgement

# The practice's written policy, clause by clause, each filed under its topic.
CLAUSES = (
    ("payment", "Payment is due at the end of each session, by card, cash or bank transfer."),
    ("payment", "Fees for a late cancellation or a missed appointment are due before the next booking."),
    ("conduct", "Linden Yard is a professional massage and wellness practice. Treatment is therapeutic "
                "and non-sexual, and takes place only at booked times in our rooms."),
    ("communication", "Please contact us about appointments through the practice's phone, e-mail or "
                      "booking page, not your practitioner's personal accounts, and respect their privacy "
                      "outside work."),
    ("conduct", "Gifts are kindly declined."),
    ("conduct", "If anything about a session makes you uncomfortable, please tell us straight away."),
    ("conduct", "Behaviour that is threatening, abusive or sexual ends the session at once, and we may "
                "decline further appointments."),
)


def set_up(session, attendance: dict, *, not_yet_acknowledged: tuple[str, ...], now: datetime) -> None:
    """Publish the practice's own version from today, and record that every client so far
    signed it at intake, except the named ones (the pages show them a notice)."""
    policy = publish_policy(session, SYSTEM, attendance, local_date(session, now), now=now, clauses=CLAUSES)
    clients = session.scalars(select(Client).where(Client.display_name.not_in(not_yet_acknowledged))
                              .order_by(Client.id)).all()
    for number, client in enumerate(clients):
        method = "by_email" if number % 5 == 4 else "signed_at_intake"
        record_acknowledgement(session, SYSTEM, client.id, policy.id, method, policy.effective_from, now=now)
