"""Demo conduct records: a client whose boundary incidents escalate to following the
practitioner after work, with the conversation, the warning and the standing decided along
the way; and a client who keeps missing sessions, with the policy reminder and the warning
he was given. The schedule's own events (late arrivals, short payments, no-shows, late
cancellations) add the automatic entries."""

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from practice.audit.services import Actor
from practice.clients import services as client_services
from practice.conduct import services
from practice.conduct.attachments import Upload
from practice.conduct.queries import categories
from practice.scheduling.models import CHARGEABLE, Appointment
from practice.scheduling.services import practice_zone

CLIENT = "Daniel Cohen"
PRACTITIONER = "tomasz"  # a DemoStaff key: the client's practitioner
SAFETY_LETTER_DAYS_AGO = 4  # Tomasz ends the relationship the morning after the car park
MAX_BYTES = 10 * 1024 * 1024

MISSES = "Lewis Grant"  # a client who misses sessions, and his practitioner
MISSES_PRACTITIONER = "mei"


@dataclass(frozen=True)
class DemoIncident:
    days_ago: int
    category: str
    severity: str
    channel: str
    location: str
    description: str
    response: str
    effect: str = ""
    witnesses: str = ""
    police_reference: str = ""
    photo_caption: str = ""  # an attached "photo" when set
    at: time | None = None  # the local time it happened (None: the time the demo is built)


@dataclass(frozen=True)
class DemoCommunication:
    days_ago: int
    kind: str
    channel: str
    summary: str


INCIDENTS = (
    DemoIncident(30, "constant_contact", "low", "text", "By text message",
                 'Eleven texts between 21:05 and 23:40 asking when I am free, ending "why are you '
                 'ignoring me?"', "Did not reply that evening; replied next morning with booking times only.",
                 "Uneasy about my phone being on in the evening."),
    DemoIncident(20, "gifts", "medium", "gift", "Reception",
                 "Left flowers and a card at reception without a booking. The card says "
                 '"For my favourite person. You understand me like no one else."',
                 "Asked Jo to hand them back at the next booking.", "Felt the relationship was being "
                 "treated as personal.", witnesses="Jo Whitfield (front desk)",
                 photo_caption="Card left at reception"),
    DemoIncident(14, "romantic", "medium", "in_person", "Treatment room 2",
                 'At the end of the session said "I think about you all week. I know you feel it too."',
                 "Said clearly that our relationship is professional and ended the session on time.",
                 "Anxious before his next booking."),
    DemoIncident(5, "stalking", "high", "in_person", "Car park on Kirkstall Road",
                 "Was waiting beside my car when I left work, on a day he had no booking. "
                 'Said "I just wanted to make sure you got home safe." Followed my car to the '
                 "main road.", "Got into the car without speaking and drove to a friend's house.",
                 "Frightened; changed my route home.", witnesses="None",
                 police_reference="West Yorkshire Police 13261124-0418", at=time(18, 40)),
)

COMMUNICATIONS = (
    DemoCommunication(26, "conversation", "in_person",
                      "Explained before his session that texts are for bookings only and that I "
                      "do not reply outside working hours."),
    DemoCommunication(13, "warning", "phone",
                      "Told him that the remarks at the end of his last session crossed a "
                      "professional boundary, and that any further personal contact or gifts "
                      "will end our professional relationship."),
)
# Talking the case through with a trusted colleague: a note only Tomasz ever sees.
CONSULTATION = (13, "Marguerite Delaunay (peer supervisor)",
                "Talked the flowers and the remarks through with Marguerite. Agreed that I warn him clearly "
                "by phone, keep every message, and ask reception not to tell anyone which days I work.")
WARNED = ("Texts late at night, a gift and personal remarks after being asked to keep "
          "contact to bookings; warned by phone.")

# Lewis Grant: (what it was, how, what was said, the standing decided with it)
MISSES_STORY = (
    ("policy_reminder", "phone",
     "Rang him after the missed session: went through the attendance policy (24 hours' notice "
     "to cancel; missed sessions are charged in full). He apologised and said he had forgotten.",
     None),
    ("warning", "email",
     "E-mailed after he cancelled three hours before his session: another missed session or "
     "late cancellation will end our professional relationship. The fees for the missed and "
     "cancelled sessions are still due.",
     "Missed a session and then cancelled late after being reminded of the policy; warned by e-mail."),
)


def _photo(caption: str) -> bytes:
    image = Image.new("RGB", (480, 320), (246, 240, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 420, 260), outline=(120, 90, 60), width=3)
    draw.text((90, 140), caption, fill=(60, 40, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def add_demo_conduct(session, *, now: datetime, clients: dict, practitioners: dict) -> None:
    """`clients`: display name -> Client; `practitioners`: DemoStaff key -> User."""
    _add_escalating_incidents(session, clients[CLIENT], Actor(practitioners[PRACTITIONER]), now=now)
    _add_reminder_and_warning(session, clients[MISSES], Actor(practitioners[MISSES_PRACTITIONER]), now=now)


def _happened(item: DemoIncident, now: datetime, zone) -> datetime:
    moment = now - timedelta(days=item.days_ago)
    if item.at is None:
        return moment
    local = moment.astimezone(zone)
    return min(datetime.combine(local.date(), item.at, zone).astimezone(now.tzinfo), now)


def _add_escalating_incidents(session, client, actor: Actor, *, now: datetime) -> None:
    by_code = {category.code: category for category in categories()}
    zone = practice_zone(session)
    moments = []
    for item in INCIDENTS:
        moments.append((_happened(item, now, zone), item))
    for item in COMMUNICATIONS:
        moments.append((now - timedelta(days=item.days_ago, hours=2), item))
    for happened, item in sorted(moments, key=lambda pair: pair[0]):
        recorded = min(happened + timedelta(hours=3), now)
        if isinstance(item, DemoCommunication):
            services.record_communication(session, actor, client, occurred_at=happened,
                                          channel=item.channel, kind=item.kind,
                                          summary=item.summary, now=recorded)
            if item.kind == "warning":
                client_services.set_standing(session, actor, client, "warned", WARNED, now=recorded)
            continue
        details = services.IncidentDetails(
            category_id=by_code[item.category].id, severity=item.severity, occurred_from=happened,
            channel=item.channel, location=item.location, description=item.description,
            response=item.response, effect=item.effect, witnesses=item.witnesses,
            police_reference=item.police_reference)
        files = [Upload("card.png", _photo(item.photo_caption))] if item.photo_caption else []
        services.record_incident(session, actor, client, details, files, max_bytes=MAX_BYTES, now=recorded)
    days_ago, colleague, body = CONSULTATION
    client_services.write_private_note(session, actor, client, kind="consultation", colleague=colleague, body=body,
                                       now=now - timedelta(days=days_ago, hours=4))


def _add_reminder_and_warning(session, client, actor: Actor, *, now: datetime) -> None:
    """The day after each of his first two breaches, what Mei told him (and, with the
    warning, the standing she decided)."""
    breaches = session.scalars(
        select(Appointment).where(Appointment.client_id == client.id,
                                  Appointment.status.in_(CHARGEABLE))
        .order_by(Appointment.start_at)
    ).all()
    # His third breach has no answer here: the letter ending the relationship is it.
    for breach, (kind, channel, summary, warned) in zip(breaches, MISSES_STORY, strict=False):
        told = min(breach.start_at + timedelta(days=1), now)
        services.record_communication(session, actor, client, occurred_at=told, channel=channel,
                                      kind=kind, summary=summary, now=told)
        if warned:
            client_services.set_standing(session, actor, client, "warned", warned, now=told)
