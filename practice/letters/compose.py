"""From the record to a draft: the facts a kind of letter needs, the choices the composer
offers on them, what the record lacks and must be asked for, and what issuing will do (the
consequences shown before anyone confirms).

A discontinuation's choices: every breach of the last year with a tick box (those before
the latest reminder too: what led to it), an incident cited by a sentence the practitioner
writes, the policy clauses on the topics the ticked facts are about, the money (owed, or
the fees waived), and one to three colleagues matched to the client's recorded needs. A
practice-full reply's: the practitioner asked for and whether they are full, a colleague
in the practice with room for that service (proposed first), and colleagues nearby.

Nothing is invented: a fact the record does not hold is reported in `missing`, keyed by the
composer's field that asks for it."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from practice.auth.models import Practitioner
from practice.clients.models import Client
from practice.clients.services import display_phone
from practice.conduct.models import Communication, ConductEntry
from practice.conduct.queries import group_corrections
from practice.letters import sentences, texts
from practice.letters.models import DISCONTINUATION_KINDS, LetterSettings
from practice.letters.render import long_date
from practice.money import practice_money
from practice.policies.clauses import BREACH_TOPICS, Clause, all_clauses
from practice.policies.queries import policy_in_force
from practice.scheduling.models import CHARGEABLE, Appointment, Payment, Service, Status
from practice.scheduling.services import client_balance, specialties_of
from practice.settings.services import local_date
from referrals import queries as referral_queries
from referrals import services as referral_services
from referrals.models import Accepting, Inquiry, Modality, Referral, Specialist, inquiry_need

# Communications whose dates a discontinuation quotes ("I have communicated my policy...").
POLICY_COMMUNICATIONS = ("policy_reminder", "warning", "final_notice", "policy_acknowledged")
# Conduct entries that are breaches of the policy or boundaries (not a waiver, not safety:
# a safety matter is never spelled out in a letter).
BREACH_KINDS = ("late_arrival", "no_show", "late_cancellation", "non_payment", "short_payment", "boundary")
FOLLOW_UP_DAYS = 14
CANDIDATE_DAYS = 365      # breaches of the last year are offered
TICKED_INCIDENTS = 10     # the latest incidents ticked at first (each is a sentence of its own)
MOST_COLLEAGUES = 3       # ticked at first: a letter that names more reads as a directory
OFFERED_COLLEAGUES = 5    # shown in a discontinuation's composer
LISTED_COLLEAGUES = 8     # shown in a practice-full reply's composer
MONEY = {"owed": "Say what is owed and how to pay", "waive": "Waive the fees for missed or late-cancelled sessions"}


@dataclass
class Request:
    """What the composer was asked for: the kind, who it is about, the facts typed and the
    choices made (None: the record's defaults)."""

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
    breaches: str = ""       # facts typed by hand, one a line, beside the ticked ones
    colleagues: str = ""     # typed when no colleague is known to accept new clients
    fact_keys: list[str] | None = None          # ticked breaches ("entry-<id>")
    sentences: dict[int, str] = field(default_factory=dict)  # incident id -> the sentence for the letter
    clause_keys: list[str] | None = None        # ticked policy clauses
    colleague_ids: list[int] | None = None      # ticked colleagues
    money: str = ""          # "owed" or "waive" ("": owed)
    offer_id: int | None = None  # practice full: the colleague in the practice proposed (0: none)

    @property
    def recipient_name(self) -> str:
        if self.client is not None:
            return self.client.display_name
        return self.inquiry.name if self.inquiry is not None else ""


@dataclass
class Candidate:
    """A breach the composer offers with a tick box."""

    key: str
    day: date
    label: str            # what the tick box says
    ticked: bool
    before: bool          # before the latest reminder: what led to it
    entry_id: int
    kind: str = ""
    minutes: int | None = None
    amount_cents: int | None = None
    sentence: str = ""    # an incident's sentence (what the letter says of it)

    @property
    def incident(self) -> bool:
        return self.kind == "boundary"


@dataclass
class Colleague:
    specialist: Specialist
    reasons: list[str]
    ticked: bool
    offers: str = ""      # what they offer of the need, for the letter


@dataclass
class Choices:
    """What the composer shows to choose from."""

    facts: list[Candidate] = field(default_factory=list)
    reminder: str = ""    # "the policy reminder of 2 November 2026" (the split of the facts)
    clauses: list[tuple[Clause, bool]] = field(default_factory=list)
    colleagues: list[Colleague] = field(default_factory=list)
    balance_cents: int = 0
    waivable: list[Appointment] = field(default_factory=list)
    waivable_cents: int = 0
    money: str = "owed"
    asked: Practitioner | None = None     # practice full: the practitioner asked for
    asked_full: bool = False
    with_room: list[Practitioner] = field(default_factory=list)
    offer: Practitioner | None = None
    service: Service | None = None
    cancel: list[Appointment] = field(default_factory=list)


@dataclass
class Facts:
    values: dict[str, str]
    missing: dict[str, str]  # composer field -> what to ask
    choices: Choices = field(default_factory=Choices)


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
    facts = Facts(values, {})
    if request.author is None:
        facts.missing["author_id"] = "Choose who signs the letter."
    gather_kind = {
        "referral": _referral, "discontinuation": _discontinuation,
        "safety_discontinuation": _safety, "practice_full": _practice_full,
    }.get(request.kind)
    if gather_kind:
        gather_kind(session, request, facts, profile=profile, zone=zone, now=now)
    return facts


def _effective_date(request: Request, facts: Facts) -> None:
    if request.effective_date is None:
        facts.missing["effective_date"] = "Give the date from which the client will no longer be seen."
    else:
        facts.values["effective_date"] = long_date(request.effective_date)


def _referral(session, request: Request, facts: Facts, **_) -> None:
    specialist, values = request.specialist, facts.values
    if specialist is None:
        facts.missing["specialist_id"] = "Choose the colleague to introduce."
    else:
        modalities = ", ".join(m.name for m in specialist.modalities).lower()
        values["specialist_name"] = specialist.name
        values["specialist_specialty"] = ", ".join(
            part for part in (specialist.profession, specialist.business) if part) or modalities
        values["specialist_contact"] = specialist_contact(specialist)
    need = request.need.strip() or ", ".join(m.name for m in request.modalities).lower()
    if not need:
        facts.missing["need"] = "Say what the client needs (a few words, e.g. \"deep tissue work\")."
    values["need"] = need


def specialist_contact(specialist: Specialist) -> str:
    address = ", ".join(line.strip() for line in specialist.address.splitlines() if line.strip())
    lines = [specialist.business, address or specialist.area,
             f"Phone: {display_phone(specialist.phone)}" if specialist.phone else "",
             f"E-mail: {specialist.email}" if specialist.email else "",
             f"Website: {specialist.website}" if specialist.website else ""]
    return "\n".join(f"- {line}" for line in lines if line) or "- (no contact details recorded)"


# Ending a relationship -----------------------------------------------------------------------

def _discontinuation(session, request: Request, facts: Facts, *, profile, zone, now) -> None:
    _effective_date(request, facts)
    choices, values = facts.choices, facts.values
    policy = policy_in_force(session, now)
    communications = list(session.scalars(
        select(Communication)
        .where(Communication.client_id == request.client.id, Communication.kind.in_(POLICY_COMMUNICATIONS))
        .order_by(Communication.occurred_at, Communication.id)))
    _reminders(request, communications, facts, zone=zone)
    latest = communications[-1] if communications else None
    if latest is not None:
        choices.reminder = f"the {latest.kind_label.lower()} of {local_day(latest.occurred_at, zone)}"
    choices.facts = candidates(session, request, since=now - timedelta(days=CANDIDATE_DAYS), zone=zone,
                               reminded_at=latest.occurred_at if latest else None)
    ticked = [c for c in choices.facts if c.ticked]
    said = fact_sentences(session, ticked, policy=policy, profile=profile)
    typed = typed_list(request.breaches) if request.breaches.strip() else ""
    values["breaches"] = "\n".join(part for part in (said, typed) if part)
    if not values["breaches"]:
        facts.missing["breaches"] = ("Tick the facts the letter gives as reasons, or write them (one a line), "
                                     "or record them in the conduct record first.")
    topics = {BREACH_TOPICS[c.kind] for c in ticked}
    chosen = set(request.clause_keys) if request.clause_keys is not None else None
    choices.clauses = [(clause, clause.key in chosen if chosen is not None else clause.topic in topics)
                       for clause in all_clauses(policy)]
    values["policy"] = "\n".join(f"- {clause.text}" for clause, on in choices.clauses if on)
    choices.cancel = to_cancel(session, request, zone=zone, now=now)
    values["appointments"] = appointments_sentence(choices.cancel, zone)
    _money(session, request, facts, profile=profile)
    _colleagues_for_client(session, request, facts, today=local_date(session, now))


def _reminders(request: Request, communications: list, facts: Facts, *, zone) -> None:
    if request.policy_dates.strip():
        facts.values["policy_dates"] = typed_list(request.policy_dates)
        facts.values["reminders"] = " ".join(line.removeprefix("- ") for line in facts.values["policy_dates"].split("\n"))
    elif communications:
        facts.values["policy_dates"] = "\n".join(
            f"- {local_day(c.occurred_at, zone)}: {c.kind_label.lower()}, {c.channel_label.lower()}"
            for c in communications)
        facts.values["reminders"] = sentences.communicated_sentence(
            [(c.kind, c.channel, c.occurred_at.astimezone(zone).date()) for c in communications])
    else:
        facts.missing["policy_dates"] = (
            "The record has no date on which the policy was communicated to the client. Write "
            "the dates and how (one a line), or record the communications first.")


def standing_breaches(session, client_id: int, *, since: datetime) -> list[ConductEntry]:
    """The client's breaches that stand (corrections applied, withdrawn ones left out) since
    `since`, oldest first; never a safety matter."""
    entries = list(session.scalars(
        select(ConductEntry).options(joinedload(ConductEntry.category))
        .where(ConductEntry.client_id == client_id)))
    standing = [view.latest for view in group_corrections(entries) if not view.withdrawn]
    return sorted((e for e in standing if e.kind in BREACH_KINDS and not e.safety and e.occurred_from >= since),
                  key=lambda e: (e.occurred_from, e.id))


def candidates(session, request: Request, *, since: datetime, zone, reminded_at: datetime | None) -> list[Candidate]:
    """Every breach of the period with its tick box: all ticked at first, but for
    incidents only the latest few (each is a sentence of its own)."""
    found = standing_breaches(session, request.client.id, since=since)
    incidents = [e.id for e in found if e.kind == "boundary"][-TICKED_INCIDENTS:]
    chosen = set(request.fact_keys) if request.fact_keys is not None else None
    offered = []
    for entry in found:
        key, day = f"entry-{entry.id}", entry.occurred_from.astimezone(zone).date()
        default = entry.id in incidents if entry.kind == "boundary" else True
        candidate = Candidate(
            key=key, day=day, label=_label(entry, day), entry_id=entry.id, kind=entry.kind,
            ticked=key in chosen if chosen is not None else default, minutes=entry.minutes,
            amount_cents=entry.amount_cents, before=reminded_at is not None and entry.occurred_from < reminded_at)
        if candidate.incident:
            written = " ".join(request.sentences.get(entry.id, "").split())
            candidate.sentence = written or sentences.incident_sentence(
                entry.category.code if entry.category else None,
                entry.category.label if entry.category else "", day)
        offered.append(candidate)
    return offered


def _label(entry: ConductEntry, day: date) -> str:
    what = {"late_arrival": f"arrived {entry.minutes} minutes late" if entry.minutes else "arrived late",
            "no_show": "missed the appointment", "late_cancellation": "cancelled inside the window",
            "non_payment": "the fee was not paid", "short_payment": "the fee was not paid in full",
            "boundary": entry.category.label if entry.category else "an incident"}[entry.kind]
    return f"{long_date(day)}: {what}"


def fact_sentences(session, ticked: list[Candidate], *, policy, profile) -> str:
    """The ticked breaches as the letter's list: one sentence per kind, and one per incident
    (its sentence as written), ordered by their first date."""
    by_kind: dict[str, list[Candidate]] = {}
    for candidate in ticked:
        if not candidate.incident:
            by_kind.setdefault(candidate.kind, []).append(candidate)
    said = [(found[0].day, sentences.breach_sentence(
        kind, [sentences.Occurrence(c.day, c.minutes, c.amount_cents) for c in found],
        money=lambda cents: practice_money(profile, cents), ends_on_time=policy.session_ends_on_time,
        window_hours=policy.cancellation_window_hours)) for kind, found in by_kind.items()]
    said += [(c.day, c.sentence) for c in ticked if c.incident and c.sentence]
    return "\n".join(f"- {sentence}" for _day, sentence in sorted(said, key=lambda pair: pair[0]))


def to_cancel(session, request: Request, *, zone, now) -> list[Appointment]:
    """The client's booked appointments from the effective day on (issuing cancels them)."""
    return list(session.scalars(
        select(Appointment).options(selectinload(Appointment.practitioner), selectinload(Appointment.service))
        .where(Appointment.client_id == request.client.id, Appointment.status == "booked",
               Appointment.start_at >= cutoff(request.effective_date, zone, now))
        .order_by(Appointment.start_at)))


def appointments_sentence(cancelled: list[Appointment], zone) -> str:
    if not cancelled:
        return "You have no appointments booked with the practice."
    times = sentences.and_list([f"{a.start_at.astimezone(zone):%A} {long_date(a.start_at.astimezone(zone).date())} "
                                f"at {a.start_at.astimezone(zone):%H:%M}" for a in cancelled[:6]])
    more = f" and {len(cancelled) - 6} later ones" if len(cancelled) > 6 else ""
    return (f"Your appointment{'s' if len(cancelled) > 1 else ''} on {times}{more} "
            f"{'have' if len(cancelled) > 1 else 'has'} been cancelled, without charge.")


def _money(session, request: Request, facts: Facts, *, profile) -> None:
    """The balance from the record; the fees that may be waived (missed or late-cancelled
    sessions whose fee is not paid); the choice made; the sentence and how to pay."""
    choices = facts.choices
    choices.balance_cents = client_balance(session, request.client.id)
    fees = list(session.scalars(select(Appointment).where(
        Appointment.client_id == request.client.id, Appointment.status.in_(CHARGEABLE),
        Appointment.fee_cents > 0, Appointment.fee_waived.is_(False)).order_by(Appointment.start_at)))
    paid = dict(session.execute(select(Payment.appointment_id, func.sum(Payment.amount_cents))
                                .where(Payment.appointment_id.in_([a.id for a in fees]))
                                .group_by(Payment.appointment_id)).all()) if fees else {}
    choices.waivable = [a for a in fees if paid.get(a.id, 0) < a.fee_cents]
    choices.waivable_cents = sum(a.fee_cents - paid.get(a.id, 0) for a in choices.waivable)
    choices.money = "waive" if request.money == "waive" and choices.waivable else "owed"
    waived = choices.waivable_cents if choices.money == "waive" else 0
    facts.values["money"] = sentences.money_sentence(
        balance_cents=choices.balance_cents, waived_cents=waived,
        money=lambda cents: practice_money(profile, cents),
        how_to_pay=how_to_pay(session, facts.values))


def how_to_pay(session, values: dict) -> str:
    written = session.scalar(select(LetterSettings.how_to_pay).limit(1)) or ""
    return " ".join(written.split()) or f"To pay, please contact {values['practice_name']} at {values['practice_contact']}."


def client_needs(session, client_id: int) -> list[int]:
    """The modalities the client's record says they need: from their referrals out and the
    inquiry they came from, else the specialties the services they booked cover (chosen on
    each service's form)."""
    recorded = set(session.scalars(select(Modality.id).join(Referral.needs).where(
        Referral.client_id == client_id, Referral.direction == "out")))
    recorded |= set(session.scalars(select(inquiry_need.c.modality_id).join(
        Inquiry, Inquiry.id == inquiry_need.c.inquiry_id).where(Inquiry.client_id == client_id)))
    if recorded:
        return sorted(recorded)
    booked = session.scalars(select(Appointment.service_id).where(Appointment.client_id == client_id).distinct())
    return sorted({m for covered in specialties_of(session, booked).values() for m in covered})


def _colleagues_for_client(session, request: Request, facts: Facts, *, today: date) -> None:
    """One to three colleagues for the client's recorded needs, best first, with why."""
    needs = client_needs(session, request.client.id)
    if needs:
        ranked = [(m.specialist, m.reasons) for m in referral_queries.match(
            session, referral_queries.Need(tuple(needs), area=request.client.address or ""), today=today, limit=20)
            if m.specialist.accepting != Accepting.NO.value]
    else:
        where = request.client.address or ""
        ranked = [(s, referral_queries.nearby_reasons(s, where))
                  for s in referral_queries.accepting_colleagues(session, (), where)]
    _choose_colleagues(request, facts, ranked[:OFFERED_COLLEAGUES], needs)
    chosen = [c for c in facts.choices.colleagues if c.ticked]
    facts.values["colleagues"] = "\n".join(f"- {colleague_line(c.specialist, c.offers)}" for c in chosen)


def _choose_colleagues(request: Request, facts: Facts, ranked, needs) -> None:
    chosen = set(request.colleague_ids) if request.colleague_ids is not None else None
    default = {s.id for s, _reasons in ranked if s.accepting == Accepting.YES.value}
    default = set(list(dict.fromkeys(s.id for s, _r in ranked if s.id in default))[:MOST_COLLEAGUES])
    facts.choices.colleagues = [
        Colleague(s, reasons, s.id in chosen if chosen is not None else s.id in default,
                  offers=sentences.and_list([m.name.lower() for m in s.modalities if m.id in needs]))
        for s, reasons in ranked]


def colleague_line(specialist: Specialist, offers: str = "") -> str:
    what = specialist.profession or ", ".join(m.name for m in specialist.modalities)
    name = specialist.name + (f" ({what})" if what else "")
    if offers and offers.lower() not in what.lower():
        name += f", who offers {offers}"
    contact = ", ".join(part for part in (display_phone(specialist.phone) if specialist.phone else "",
                                          specialist.email, specialist.area) if part)
    return f"{name}: {contact}" if contact else name


def _safety(session, request: Request, facts: Facts, **_) -> None:
    _effective_date(request, facts)


# Practice full -------------------------------------------------------------------------------

def room_for(session, inquiry: Inquiry, *, now: datetime) -> tuple[Practitioner | None, bool, list[Practitioner]]:
    """The practitioner asked for (None: anyone), whether they are full, and the others in
    the practice with room for the service asked for (those who have given it in the last
    year; anyone with room when nobody has)."""
    room = referral_services.capacities(session)  # the network's people: .record is the Practitioner
    asked = room[inquiry.practitioner_id].practitioner.record if inquiry.practitioner_id in room else None
    asked_full = not room[asked.id].has_room if asked else not any(c.has_room for c in room.values())
    givers = set(session.scalars(select(Appointment.practitioner_id).where(
        Appointment.service_id == inquiry.service_id, Appointment.start_at >= now - timedelta(days=365),
        Appointment.status.not_in((Status.CANCELLED, Status.LATE_CANCELLED))).distinct())) \
        if inquiry.service_id else set()
    others = [c.practitioner.record for c in room.values()
              if c.has_room and (asked is None or c.practitioner.id != asked.id)
              and (not givers or c.practitioner.id in givers)]
    return asked, asked_full, others


def _practice_full(session, request: Request, facts: Facts, *, now, **_) -> None:
    inquiry, choices, values = request.inquiry, facts.choices, facts.values
    if inquiry is not None:
        choices.service = session.get(Service, inquiry.service_id) if inquiry.service_id else None
        choices.asked, choices.asked_full, choices.with_room = room_for(session, inquiry, now=now)
        offered = {p.id: p for p in choices.with_room}
        choices.offer = (offered.get(request.offer_id) if request.offer_id is not None
                         else next(iter(offered.values()), None))
        values["availability"] = availability_sentence(choices, values)
    if request.colleagues.strip():
        values["colleagues"] = typed_list(request.colleagues)
        return
    needs = referral_queries.inquiry_needs(inquiry) if inquiry else set()
    found = referral_queries.accepting_colleagues(session, needs, inquiry.area if inquiry else None)
    ranked = [(s, referral_queries.nearby_reasons(s, inquiry.area if inquiry else "")) for s in found]
    chosen = set(request.colleague_ids) if request.colleague_ids is not None else None
    choices.colleagues = [Colleague(s, reasons, s.id in chosen if chosen is not None else index < MOST_COLLEAGUES)
                          for index, (s, reasons) in enumerate(ranked[:LISTED_COLLEAGUES])]
    ticked = [c for c in choices.colleagues if c.ticked]
    if ticked:
        values["colleagues"] = "\n".join(f"- {colleague_line(c.specialist)}" for c in ticked)
    elif choices.offer is None:
        facts.missing["colleagues"] = ("No colleague in the directory is known to accept new clients for "
                                       "this need. Write the colleagues to suggest (one a line), or update "
                                       "the directory first.")
    else:
        values["colleagues"] = ""


def availability_sentence(choices: Choices, values: dict) -> str:
    """Who is full, said plainly, and the colleague in the practice who has room first."""
    service = f" for {choices.service.name.lower()}" if choices.service else ""
    if choices.asked is not None and choices.asked_full:
        said = f"{choices.asked.display_name} is not taking on new clients at the moment."
    elif choices.asked is not None:
        said = f"{choices.asked.display_name} has room for new clients."
    elif choices.offer is None:
        said = "The practice is not taking on new clients at the moment."
    else:
        said = ""
    offer = choices.offer
    if offer is not None:
        said += (f" {offer.display_name}, who also works at {values['practice_name']}, has room for new "
                 f"clients{service}, and I would be glad to offer you an appointment with {offer.display_name}. "
                 "If you would like that, please reply to this letter or call us, and we will find a time "
                 "that suits you.")
    elif choices.asked is not None and choices.asked_full:
        said += f" Nobody else at the practice has room for new clients{service} just now, so I am not able " \
                "to offer you an appointment."
    else:
        said += " I am not able to offer you an appointment."
    return said.strip()


_LEAD_IN = re.compile(r":\s*$")


def draft(template_text: str, facts: Facts) -> str:
    """The text filled from the record. A paragraph that introduces a list (it ends with a
    colon) goes when its list is empty, so nothing is left dangling."""
    paragraphs = [p for p in texts.fill(template_text, facts.values).split("\n\n") if p.strip()]
    kept = []
    for index, paragraph in enumerate(paragraphs):
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
        if _LEAD_IN.search(paragraph) and not following.lstrip().startswith("- "):
            continue
        kept.append(paragraph.strip("\n"))
    return "\n\n".join(kept)


# Consequences ---------------------------------------------------------------------------

@dataclass
class Plan:
    """What issuing will do, shown to the person before they confirm."""

    cancel: list[Appointment] = field(default_factory=list)
    move_on: bool = False
    refer: bool = False
    refer_colleagues: list[Colleague] = field(default_factory=list)
    waive: list[Appointment] = field(default_factory=list)
    close_inquiry: bool = False
    offer: Practitioner | None = None
    communication: bool = False
    sentences: list[str] = field(default_factory=list)


SENT_BY = {"post": "The letter, sent by post,", "in_person": "The letter, given by hand,"}


def cutoff(effective_date: date | None, zone: ZoneInfo, now: datetime) -> datetime:
    """Appointments from the start of the effective day (never before now) are cancelled."""
    if effective_date is None:
        return now
    start = datetime.combine(effective_date, time(0), zone).astimezone(timezone.utc)
    return max(start, now)


def plan(session, request: Request, *, profile, now: datetime, facts: Facts | None = None) -> Plan:
    facts = facts or gather(session, request, profile=profile, now=now)
    choices, found = facts.choices, Plan()
    if request.kind in DISCONTINUATION_KINDS and request.client is not None:
        found.cancel = choices.cancel if request.kind == "discontinuation" else to_cancel(
            session, request, zone=ZoneInfo(profile.timezone), now=now)
        found.move_on = request.client.standing != "moved_on"
        if found.move_on:
            found.sentences.append(f"{request.client.display_name}'s standing becomes moved on: "
                                   "they cannot be booked again.")
        found.sentences.append(
            f"{len(found.cancel)} future appointment{'s are' if len(found.cancel) != 1 else ' is'} "
            "cancelled by the practice, without fees." if found.cancel else "There are no future appointments to cancel.")
    if request.kind == "discontinuation" and request.client is not None:
        found.refer_colleagues = [c for c in choices.colleagues if c.ticked]
        if found.refer_colleagues:
            found.sentences.append(f"A referral to {sentences.and_list([c.specialist.name for c in found.refer_colleagues])} "
                                   "is recorded in the client's referrals.")
        if choices.money == "waive":
            found.waive = choices.waivable
            found.sentences.append(f"The unpaid fees of {len(found.waive)} missed or late-cancelled "
                                   f"session{'s are' if len(found.waive) != 1 else ' is'} waived.")
    if request.kind == "referral" and request.client is not None and request.specialist is not None:
        found.refer = True
        follow_up = request.follow_up_on or local_date(session, now) + timedelta(days=FOLLOW_UP_DAYS)
        found.sentences.append(f"A referral to {request.specialist.name} is recorded, with a follow-up "
                               f"on {long_date(follow_up)}.")
    if request.kind == "practice_full" and request.inquiry is not None and request.inquiry.is_open:
        found.offer = choices.offer
        if found.offer is not None:
            found.sentences.append(f"The inquiry from {request.inquiry.name} stays open as \"place offered\", "
                                   f"with {found.offer.display_name}.")
        else:
            found.close_inquiry = True
            found.sentences.append(f"The inquiry from {request.inquiry.name} is closed as referred to colleagues.")
    if request.channel == "email":
        address = (request.client.email if request.client is not None
                   else request.inquiry.email if request.inquiry is not None else "")
        found.sentences.append(f"The PDF is e-mailed to {address or '(no address on record)'} with a short "
                               "note that gives no reason.")
    if request.client is not None:
        found.communication = True
        found.sentences.append(
            "The letter, sent by e-mail, is recorded in the client's communications once the mail server "
            "has taken it, with the date it went." if request.channel == "email" else
            f"{SENT_BY.get(request.channel, 'The letter')} is recorded in the client's communications and history.")
    found.sentences.append("The letter is frozen: the same PDF is downloaded from the register from then on.")
    return found


def missing_from_text(kind: str, text: str) -> list[str]:
    """The placeholders a kind's letters now need that the practice's own text lacks."""
    used = set(texts.placeholders_in(text))
    return [name for name in texts.REQUIRED[kind] if name not in used]

