"""From the record to a draft: the facts a kind of letter needs (dates of policy
communications, breaches with dates and minutes, the colleague, the colleagues accepting new
clients, the effective date), what the record lacks and must be asked for, and what issuing
will do (the consequences shown before anyone confirms).

Nothing is invented: a fact the record does not hold is reported in `missing`, keyed by the
composer's field that asks for it."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from practice.auth.models import Practitioner
from practice.clients.models import Client
from practice.clients.services import display_phone
from practice.conduct.models import Communication, ConductEntry
from practice.conduct.queries import group_corrections
from practice.letters import texts
from practice.letters.models import CHANNELS, DISCONTINUATION_KINDS, KINDS
from practice.letters.render import long_date
from practice.policies.queries import policy_in_force
from practice.scheduling.models import Appointment
from practice.settings.services import local_date
from referrals.models import Inquiry, Specialist
from referrals.queries import accepting_colleagues

# Communications whose dates a discontinuation quotes ("I have communicated my policy...").
POLICY_COMMUNICATIONS = ("policy_reminder", "warning", "final_notice", "policy_acknowledged")
# Conduct entries that are breaches of the policy or boundaries (not a waiver, not safety:
# a safety matter is never spelled out in a letter).
BREACH_KINDS = ("late_arrival", "no_show", "late_cancellation", "non_payment", "short_payment", "boundary")
FOLLOW_UP_DAYS = 14


@dataclass
class Request:
    """What the composer was asked for: the kind, who it is about, and the facts typed."""

    kind: str
    client: Client | None = None
    inquiry: Inquiry | None = None
    author: Practitioner | None = None
    channel: str = "post"
    body: str = ""
    specialist: Specialist | None = None
    modalities: list = field(default_factory=list)  # Modality rows: the need, for a referral
    need: str = ""
    follow_up_on: date | None = None
    effective_date: date | None = None
    policy_dates: str = ""   # typed when the record has none
    breaches: str = ""       # typed when the record has none
    colleagues: str = ""     # typed when no colleague is known to accept new clients

    @property
    def recipient_name(self) -> str:
        if self.client is not None:
            return self.client.display_name
        return self.inquiry.name if self.inquiry is not None else ""


@dataclass
class Facts:
    values: dict[str, str]
    missing: dict[str, str]  # composer field -> what to ask


def typed_list(text: str) -> str:
    """Lines typed by a person, as the "- " list a letter shows."""
    lines = [line.strip().removeprefix("- ").strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(f"- {line}" for line in lines if line)


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    return long_date(moment.astimezone(zone).date())


def practice_contact(profile) -> str:
    address = ", ".join(line.strip() for line in (profile.address or "").splitlines() if line.strip())
    parts = [address, display_phone(profile.phone) if profile.phone else "", profile.email]
    return ", ".join(part for part in parts if part) or profile.name


def gather(session, request: Request, *, profile, now: datetime) -> Facts:
    zone = ZoneInfo(profile.timezone)
    values = {
        "client_name": request.recipient_name,
        "practitioner_name": request.author.display_name if request.author else "",
        "practice_name": profile.name,
        "practice_contact": practice_contact(profile),
        "date": long_date(local_date(session, now)),
    }
    missing = {}
    if request.author is None:
        missing["author_id"] = "Choose who signs the letter."
    gather_kind = {
        "referral": _referral, "discontinuation": _discontinuation,
        "safety_discontinuation": _safety, "practice_full": _practice_full,
    }.get(request.kind)
    if gather_kind:
        gather_kind(session, request, values, missing, zone=zone, now=now)
    return Facts(values, missing)


def _effective_date(request: Request, values: dict, missing: dict) -> None:
    if request.effective_date is None:
        missing["effective_date"] = "Give the date from which the client will no longer be seen."
    else:
        values["effective_date"] = long_date(request.effective_date)


def _referral(session, request: Request, values, missing, **_) -> None:
    specialist = request.specialist
    if specialist is None:
        missing["specialist_id"] = "Choose the colleague to introduce."
    else:
        modalities = ", ".join(m.name for m in specialist.modalities).lower()
        values["specialist_name"] = specialist.name
        values["specialist_specialty"] = ", ".join(
            part for part in (specialist.profession, specialist.business) if part) or modalities
        values["specialist_contact"] = specialist_contact(specialist)
    need = request.need.strip() or ", ".join(m.name for m in request.modalities).lower()
    if not need:
        missing["need"] = "Say what the client needs (a few words, e.g. \"deep tissue work\")."
    values["need"] = need


def specialist_contact(specialist: Specialist) -> str:
    address = ", ".join(line.strip() for line in specialist.address.splitlines() if line.strip())
    lines = [specialist.business, address or specialist.area,
             f"Phone: {display_phone(specialist.phone)}" if specialist.phone else "",
             f"E-mail: {specialist.email}" if specialist.email else "",
             f"Website: {specialist.website}" if specialist.website else ""]
    return "\n".join(f"- {line}" for line in lines if line) or "- (no contact details recorded)"


def _discontinuation(session, request: Request, values, missing, *, zone, now) -> None:
    _effective_date(request, values, missing)
    policy = policy_in_force(session, now)
    values["policy"] = policy_lines(policy)
    communications = list(session.scalars(
        select(Communication)
        .where(Communication.client_id == request.client.id,
               Communication.kind.in_(POLICY_COMMUNICATIONS))
        .order_by(Communication.occurred_at, Communication.id)
    ))
    if request.policy_dates.strip():
        values["policy_dates"] = typed_list(request.policy_dates)
    elif communications:
        values["policy_dates"] = "\n".join(
            f"- {local_day(c.occurred_at, zone)}: {c.kind_label.lower()}, {c.channel_label.lower()}"
            for c in communications)
    else:
        missing["policy_dates"] = (
            "The record has no date on which the policy was communicated to the client. Write "
            "the dates and how (one a line), or record the communications first.")
    since = communications[0].occurred_at if communications else None
    if request.breaches.strip():
        values["breaches"] = typed_list(request.breaches)
    elif found := breaches(session, request.client.id, since=since, zone=zone):
        values["breaches"] = found
    else:
        missing["breaches"] = ("The record has no breach of the policy after it was communicated. "
                               "Write what happened and when (one a line), or record it first.")


def policy_lines(policy) -> str:
    """The policy in force, as the short list a letter quotes."""
    lines = []
    if policy.session_ends_on_time:
        lines.append(f"Sessions start and end at the booked time. Arriving more than "
                     f"{policy.late_grace_minutes} minutes late does not extend the session, and "
                     "the full fee is due.")
    lines.append(f"Appointments cancelled with less than {policy.cancellation_window_hours} hours' "
                 f"notice are charged {policy.late_cancel_fee_percent}% of the fee; missed "
                 f"appointments are charged {policy.no_show_fee_percent}%.")
    lines += [text for text in (policy.payment_terms.strip(), policy.conduct_statement.strip()) if text]
    return "\n".join(f"- {' '.join(line.split())}" for line in lines)


def breaches(session, client_id: int, *, since: datetime | None, zone: ZoneInfo) -> str:
    """The client's breaches that stand (corrections applied, withdrawn ones left out), on
    or after `since`, oldest first: "- 9 November 2026: arrived 30 minutes late"."""
    entries = list(session.scalars(
        select(ConductEntry).options(joinedload(ConductEntry.category))
        .where(ConductEntry.client_id == client_id)
    ))
    standing = [view.latest for view in group_corrections(entries) if not view.withdrawn]
    chosen = sorted((e for e in standing if e.kind in BREACH_KINDS and not e.safety
                     and (since is None or e.occurred_from >= since)), key=lambda e: e.occurred_from)
    return "\n".join(f"- {local_day(e.occurred_from, zone)}: {breach_text(e)}" for e in chosen)


def breach_text(entry: ConductEntry) -> str:
    if entry.kind == "late_arrival":
        return f"arrived {entry.minutes} minutes late" if entry.minutes else "arrived late"
    if entry.kind == "boundary":
        return entry.category.label.lower() if entry.category else "a boundary was not respected"
    return {"no_show": "did not attend a booked appointment",
            "late_cancellation": "cancelled inside the cancellation window",
            "non_payment": "the fee was not paid",
            "short_payment": "the fee was not paid in full"}[entry.kind]


def _safety(session, request: Request, values, missing, **_) -> None:
    _effective_date(request, values, missing)


def _practice_full(session, request: Request, values, missing, **_) -> None:
    if request.colleagues.strip():
        values["colleagues"] = typed_list(request.colleagues)
        return
    inquiry = request.inquiry
    found = accepting_colleagues(session, inquiry.needs if inquiry else (), inquiry.area if inquiry else None)
    if found:
        values["colleagues"] = "\n".join(f"- {colleague_line(s)}" for s in found[:8])
    else:
        missing["colleagues"] = ("No colleague in the directory is known to accept new clients for "
                                 "this need. Write the colleagues to suggest (one a line), or update "
                                 "the directory first.")


def colleague_line(specialist: Specialist) -> str:
    what = specialist.profession or ", ".join(m.name for m in specialist.modalities)
    contact = ", ".join(part for part in (display_phone(specialist.phone) if specialist.phone else "",
                                          specialist.email, specialist.area) if part)
    return " - ".join(part for part in (f"{specialist.name}" + (f" ({what})" if what else ""), contact) if part)


def draft(template_text: str, facts: Facts) -> str:
    return texts.fill(template_text, facts.values)


# Consequences ---------------------------------------------------------------------------

@dataclass
class Plan:
    """What issuing will do, shown to the person before they confirm."""

    cancel: list[Appointment] = field(default_factory=list)
    move_on: bool = False
    refer: bool = False
    close_inquiry: bool = False
    communication: bool = False
    sentences: list[str] = field(default_factory=list)


def cutoff(effective_date: date | None, zone: ZoneInfo, now: datetime) -> datetime:
    """Appointments from the start of the effective day (never before now) are cancelled."""
    if effective_date is None:
        return now
    start = datetime.combine(effective_date, time(0), zone).astimezone(timezone.utc)
    return max(start, now)


def plan(session, request: Request, *, profile, now: datetime) -> Plan:
    zone = ZoneInfo(profile.timezone)
    found = Plan()
    if request.kind in DISCONTINUATION_KINDS and request.client is not None:
        found.cancel = list(session.scalars(
            select(Appointment).options(selectinload(Appointment.practitioner), selectinload(Appointment.service))
            .where(Appointment.client_id == request.client.id, Appointment.status == "booked",
                   Appointment.start_at >= cutoff(request.effective_date, zone, now))
            .order_by(Appointment.start_at)
        ))
        found.move_on = request.client.standing != "moved_on"
        if found.move_on:
            found.sentences.append(f"{request.client.display_name}'s standing becomes moved on: "
                                   "they cannot be booked again.")
        found.sentences.append(
            f"{len(found.cancel)} future appointment{'s are' if len(found.cancel) != 1 else ' is'} "
            "cancelled by the practice, without fees." if found.cancel else "There are no future appointments to cancel.")
    if request.kind == "referral" and request.client is not None and request.specialist is not None:
        found.refer = True
        follow_up = request.follow_up_on or local_date(session, now) + timedelta(days=FOLLOW_UP_DAYS)
        found.sentences.append(f"A referral to {request.specialist.name} is recorded, with a follow-up "
                               f"on {long_date(follow_up)}.")
    if request.kind == "practice_full" and request.inquiry is not None:
        found.close_inquiry = request.inquiry.is_open
        if found.close_inquiry:
            found.sentences.append(f"The inquiry from {request.inquiry.name} is closed as referred to colleagues.")
    if request.channel == "email":
        address = (request.client.email if request.client is not None
                   else request.inquiry.email if request.inquiry is not None else "")
        found.sentences.append(f"The PDF is e-mailed to {address or '(no address on record)'} with a short "
                               "note that gives no reason.")
    if request.client is not None:
        found.communication = True
        found.sentences.append(
            "\"Letter sent\" (e-mail) is recorded in the client's communications once the mail server "
            "has taken it, with the date it went." if request.channel == "email" else
            f"\"Letter sent\" ({CHANNELS.get(request.channel, request.channel).lower()}) "
            "is recorded in the client's communications and history.")
    found.sentences.append(f"The {KINDS[request.kind].lower()} letter is frozen: the same PDF is "
                           "downloaded from the register from then on.")
    return found
