"""Every write and rule of the referral network, as plain functions taking the session, the
acting user and `now` (or `today`) explicitly. What they need of the host's people (names,
capacity, making a client) and the audit entry of each change come from the app's host
(referrals.host).

Public for other domains (the letters issue): `record_referral(...)` returns the Referral
(follow-up two weeks later unless given) and `close_inquiry(..., outcome="referred")`."""

import unicodedata
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta

from sqlalchemy import select

from practice.errors import DomainError
from practice.phones import normalise_phone
from practice.validation import checked_email
from referrals import host, signals
from referrals.host import Actor, Capacity
from referrals.models import (
    CLOSING_OUTCOMES,
    DEFAULT_MODALITIES,
    Accepting,
    Inquiry,
    InquiryStatus,
    Modality,
    Outcome,
    Referral,
    Specialist,
)

FOLLOW_UP_AFTER = timedelta(weeks=2)


def normalise(text: str) -> str:
    """Lower case without accents, so "zoe" finds "Zoë": what the search columns hold."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _clean_text(value: str) -> str:
    return value.replace("\x00", "").strip()


# The taxonomy ----------------------------------------------------------------------------

def add_default_modalities(session) -> None:
    """The shipped taxonomy, for a database the migrations did not build (a host's
    create_all); the migration seeds the same list."""
    known = set(session.scalars(select(Modality.name_key)))
    for name in DEFAULT_MODALITIES:
        if normalise(name) not in known:
            session.add(Modality(name=name, name_key=normalise(name)))
    session.flush()


def add_modality(session, actor: Actor, name: str, *, now: datetime) -> Modality:
    name = " ".join(_clean_text(name).split())
    if not name:
        raise DomainError("Give the modality or specialty a name.", field="name")
    if len(name) > 80:
        raise DomainError("Keep this under 80 characters.", field="name")
    existing = session.scalar(select(Modality).where(Modality.name_key == normalise(name)))
    if existing is not None:
        hint = " It is retired: bring it back instead." if existing.retired else ""
        raise DomainError(f"{existing.name} is already in the list.{hint}", field="name")
    modality = Modality(name=name, name_key=normalise(name))
    session.add(modality)
    session.flush()
    host.audit(session, actor, "modality.create", modality, now=now, name=name)
    session.flush()
    return modality


def set_modality_retired(session, actor: Actor, modality: Modality, retired: bool, *, now: datetime) -> None:
    """Retired modalities stay on the specialists and referrals that have them; they are
    no longer offered for new entries."""
    if modality.retired == retired:
        return
    modality.retired = retired
    host.audit(session, actor, "modality.retire" if retired else "modality.restore", modality, now=now)
    session.flush()


def modalities_by_id(session, ids) -> list[Modality]:
    ids = sorted({int(i) for i in ids})
    found = list(session.scalars(select(Modality).where(Modality.id.in_(ids)))) if ids else []
    if len(found) != len(ids):
        raise DomainError("Choose modalities from the list.", field="modality_ids")
    return found


# Specialists -----------------------------------------------------------------------------

@dataclass
class SpecialistDetails:
    name: str
    business: str = ""
    profession: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    address: str = ""
    area: str = ""
    languages: str = ""
    accessibility: str = ""
    fees: str = ""
    accepting: str = "unknown"
    notes: str = ""
    modality_ids: list[int] = field(default_factory=list)


LIMITS = {"name": 120, "business": 200, "profession": 120, "phone": 40, "email": 254,
          "website": 200, "address": 1000, "area": 120, "languages": 200, "accessibility": 2000,
          "fees": 2000, "notes": 5000}


def clean_specialist(session, details: SpecialistDetails, *, phone_region: str) -> SpecialistDetails:
    """Validate and normalise; raise DomainError naming the first bad field."""
    values = {key: (_clean_text(value) if isinstance(value, str) else value)
              for key, value in asdict(details).items()}
    if not values["name"]:
        raise DomainError("Give the specialist's name.", field="name")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise DomainError(f"Keep this under {limit} characters.", field=name)
    values["phone"] = normalise_phone(values["phone"], phone_region)
    values["email"] = checked_email(values["email"])
    website = values["website"]
    if website and (" " in website or "." not in website):
        raise DomainError("This does not look like a web address (e.g. www.example.co.uk).",
                          field="website")
    if values["accepting"] not in tuple(Accepting):
        raise DomainError("Choose yes, no or not known.", field="accepting")
    values["languages"] = ", ".join(
        part.strip() for part in values["languages"].split(",") if part.strip()
    )
    values["modality_ids"] = [m.id for m in modalities_by_id(session, values["modality_ids"])]
    return SpecialistDetails(**values)


def _apply(session, specialist: Specialist, details: SpecialistDetails) -> dict:
    """Copy the details onto the row, keep its search columns, and return what changed."""
    changes = {}
    for item in fields(SpecialistDetails):
        if item.name == "modality_ids":
            continue
        old, new = getattr(specialist, item.name), getattr(details, item.name)
        if old != new:
            changes[item.name] = [old, new]
            setattr(specialist, item.name, new)
    old_ids = sorted(m.id for m in specialist.modalities)
    if old_ids != sorted(details.modality_ids):
        changes["modality_ids"] = [old_ids, sorted(details.modality_ids)]
        specialist.modalities = modalities_by_id(session, details.modality_ids)
    refresh_search_columns(specialist)
    return changes


def refresh_search_columns(specialist: Specialist) -> None:
    for name, value in search_columns(specialist, [m.name for m in specialist.modalities]).items():
        setattr(specialist, name, value)


def search_columns(entry, modality_names) -> dict[str, str]:
    """The columns the directory is searched by, from an entry (a Specialist, or the details
    of one about to be imported) and the names of its modalities."""
    return {
        "name_key": normalise(entry.name)[:120],
        "area_key": normalise(entry.area)[:120],
        "search_text": normalise(" ".join([
            entry.name, entry.business, entry.profession, entry.area, entry.languages, entry.address,
            entry.notes, *sorted(modality_names),
        ])),
    }


def new_specialist(session, details: SpecialistDetails, *, now: datetime) -> Specialist:
    """A row from cleaned details, added to the session (imports add many at once)."""
    specialist = Specialist(name=details.name, created_at=now, modalities=[])
    _apply(session, specialist, details)
    session.add(specialist)
    return specialist


def create_specialist(session, actor: Actor, details: SpecialistDetails, *, phone_region: str,
                      now: datetime) -> Specialist:
    details = clean_specialist(session, details, phone_region=phone_region)
    specialist = new_specialist(session, details, now=now)
    session.flush()
    host.audit(session, actor, "specialist.create", specialist, now=now, name=specialist.name)
    session.flush()
    return specialist


def update_specialist(session, actor: Actor, specialist: Specialist, details: SpecialistDetails, *,
                      phone_region: str, now: datetime) -> None:
    details = clean_specialist(session, details, phone_region=phone_region)
    changes = _apply(session, specialist, details)
    if changes:
        host.audit(session, actor, "specialist.update", specialist, now=now, **changes)
    session.flush()


def verify_specialist(session, actor: Actor, specialist: Specialist, *, today: date, now: datetime,
                      accepting: str | None = None) -> None:
    """"Verified today": the entry was checked, optionally with a new accepting answer."""
    if accepting not in (None, "", *tuple(Accepting)):
        raise DomainError("Choose yes, no or not known.", field="accepting")
    detail = {"verified_on": today.isoformat()}
    if accepting and accepting != specialist.accepting:
        detail["accepting"] = [specialist.accepting, accepting]
        specialist.accepting = accepting
    specialist.verified_on = today
    specialist.verified_by_id = actor.user_id
    host.audit(session, actor, "specialist.verify", specialist, now=now, **detail)
    session.flush()


def set_specialist_retired(session, actor: Actor, specialist: Specialist, retired: bool, *,
                           now: datetime) -> None:
    """Retired specialists leave the directory and matching; their referrals stay."""
    if specialist.retired == retired:
        return
    specialist.retired_at = now if retired else None
    host.audit(session, actor, "specialist.retire" if retired else "specialist.restore", specialist, now=now)
    session.flush()


# Referrals out and in --------------------------------------------------------------------

def record_referral(session, actor: Actor, *, client, specialist: Specialist,
                    modality_ids=(), need: str = "", today: date, now: datetime,
                    follow_up_on: date | None = None) -> Referral:
    """Refer `client` (the host's: anything with an `id`) to `specialist` for a need; follow
    up in two weeks unless told."""
    if specialist.retired:
        raise DomainError(f"{specialist.name} is retired from the directory.", field="specialist_id")
    need = _clean_text(need)
    if len(need) > 2000:
        raise DomainError("Keep this under 2000 characters.", field="need")
    needs = modalities_by_id(session, modality_ids)
    if not needs and not need:
        raise DomainError("Say what the client needs: a modality or a few words.", field="need")
    follow_up_on = follow_up_on or today + FOLLOW_UP_AFTER
    if follow_up_on < today:
        raise DomainError("The follow-up date cannot be in the past.", field="follow_up_on")
    referral = Referral(
        direction="out", client_id=client.id, specialist_id=specialist.id, need=need, needs=needs,
        referred_on=today, created_at=now, by_id=actor.user_id,
        follow_up_on=follow_up_on, outcome=Outcome.PENDING.value,
    )
    session.add(referral)
    session.flush()
    host.audit(session, actor, "referral.create", referral, now=now, client_id=client.id,
           specialist_id=specialist.id, needs=[m.name for m in needs], follow_up_on=follow_up_on.isoformat())
    session.flush()
    signals.referral_made.send(referral, client_id=client.id, specialist_id=specialist.id,
                               need=need, follow_up_on=follow_up_on)
    return referral


def record_outcome(session, actor: Actor, referral: Referral, outcome: str, note: str = "", *,
                   now: datetime, follow_up_on: date | None = None) -> None:
    """How the referral went. "Waiting to hear" may move the follow-up date on."""
    if referral.direction != "out":
        raise DomainError("Only referrals out have an outcome.", field="outcome")
    if outcome not in tuple(Outcome):
        raise DomainError("Choose an outcome from the list.", field="outcome")
    note = _clean_text(note)
    if len(note) > 2000:
        raise DomainError("Keep this under 2000 characters.", field="note")
    detail = {"outcome": [referral.outcome, outcome]}
    referral.outcome, referral.outcome_note = outcome, note
    referral.outcome_at = None if outcome == Outcome.PENDING else now
    if outcome == Outcome.PENDING and follow_up_on is not None:
        detail["follow_up_on"] = follow_up_on.isoformat()
        referral.follow_up_on = follow_up_on
    host.audit(session, actor, "referral.outcome", referral, now=now, **detail)
    session.flush()
    signals.referral_outcome_recorded.send(referral, outcome=outcome)


def record_referral_in(session, actor: Actor, *, client, specialist: Specialist | None = None,
                       source: str = "", today: date, now: datetime) -> Referral:
    """Where a client came from: a specialist in the directory or another source."""
    source = _clean_text(source)
    if specialist is None and not source:
        raise DomainError("Choose a specialist or say who referred the client.", field="source")
    if len(source) > 200:
        raise DomainError("Keep this under 200 characters.", field="source")
    referral = Referral(
        direction="in", client_id=client.id, specialist_id=specialist.id if specialist else None,
        source="" if specialist else source, referred_on=today, created_at=now,
        by_id=actor.user_id, outcome=Outcome.PENDING.value,
    )
    session.add(referral)
    session.flush()
    host.audit(session, actor, "referral.source", referral, now=now, client_id=client.id,
           specialist_id=referral.specialist_id, source=referral.source)
    session.flush()
    return referral


# Capacity and the waitlist ---------------------------------------------------------------

def capacities(session) -> dict[int, Capacity] | None:
    """Each practitioner's room for new clients, as the host keeps it (None: it keeps none)."""
    return host.current().capacities(session)


def has_room(session, practitioner_id: int | None) -> bool:
    """The wanted practitioner has room, or (for no one in particular) anyone has. A host
    that keeps no capacity always has room."""
    room = capacities(session)
    if room is None:
        return True
    if practitioner_id is not None:
        return practitioner_id in room and room[practitioner_id].has_room
    return any(capacity.has_room for capacity in room.values())


def update_capacity(session, actor: Actor, practitioner_id: int, *, accepting: bool,
                    max_active_clients: int | None, now: datetime) -> None:
    if max_active_clients is not None and not 0 <= max_active_clients <= 10_000:
        raise DomainError("Give a number between 0 and 10000, or leave it empty for no limit.",
                          field="max_active_clients")
    host.current().set_capacity(session, actor, practitioner_id, accepting=accepting,
                                max_active_clients=max_active_clients, now=now)


# Inquiries -------------------------------------------------------------------------------

@dataclass
class InquiryDetails:
    name: str
    phone: str = ""
    email: str = ""
    need: str = ""
    preferred_times: str = ""
    area: str = ""
    practitioner_id: int | None = None
    modality_ids: list[int] = field(default_factory=list)
    service_id: int | None = None  # one of the host's services, when it has them


INQUIRY_LIMITS = {"name": 120, "phone": 40, "email": 254, "need": 2000, "preferred_times": 200,
                  "area": 120}


def record_inquiry(session, actor: Actor, details: InquiryDetails, *, phone_region: str,
                   now: datetime) -> Inquiry:
    values = {key: (_clean_text(value) if isinstance(value, str) else value)
              for key, value in asdict(details).items()}
    if not values["name"]:
        raise DomainError("Give the name the person gave.", field="name")
    for name, limit in INQUIRY_LIMITS.items():
        if len(values[name]) > limit:
            raise DomainError(f"Keep this under {limit} characters.", field=name)
    values["phone"] = normalise_phone(values["phone"], phone_region)
    values["email"] = checked_email(values["email"])
    if not (values["phone"] or values["email"]):
        raise DomainError("Give a phone number or an e-mail address to reply to.", field="phone")
    practitioner_id = values["practitioner_id"]
    if practitioner_id is not None and practitioner_id not in host.current().names("practitioner", [practitioner_id]):
        raise DomainError("Choose a practitioner from the list.", field="practitioner_id")
    needs = modalities_by_id(session, values.pop("modality_ids"))
    inquiry = Inquiry(**values, needs=needs, received_at=now, status=InquiryStatus.OPEN.value,
                      recorded_by_id=actor.user_id)
    session.add(inquiry)
    session.flush()
    host.audit(session, actor, "inquiry.create", inquiry, now=now, name=inquiry.name)
    session.flush()
    return inquiry


def _require_open(inquiry: Inquiry) -> None:
    if not inquiry.is_open:
        raise DomainError(f"This inquiry is closed ({inquiry.status_label.lower()}).")


def _set_status(session, actor: Actor, inquiry: Inquiry, status: InquiryStatus, *, now, **detail) -> None:
    detail = {"status": [inquiry.status, status.value], **detail}
    inquiry.status = status.value
    host.audit(session, actor, f"inquiry.{status.value}", inquiry, now=now, **detail)
    session.flush()
    signals.inquiry_changed.send(inquiry, status=status.value)


def waitlist_inquiry(session, actor: Actor, inquiry: Inquiry, *, now: datetime) -> None:
    """Put the inquiry at the end of the waitlist (keeping its place if it had one)."""
    if inquiry.status != InquiryStatus.OPEN:
        raise DomainError("Only an open inquiry can be put on the waitlist.")
    inquiry.waitlisted_at = inquiry.waitlisted_at or now
    _set_status(session, actor, inquiry, InquiryStatus.WAITLISTED, now=now)


def waiting_ahead(session, inquiry: Inquiry) -> list[Inquiry]:
    """Waitlisted inquiries before this one that wait for the same practitioner (or for
    anyone): they are offered a place first."""
    query = select(Inquiry).where(
        Inquiry.status == InquiryStatus.WAITLISTED.value,
        (Inquiry.waitlisted_at < inquiry.waitlisted_at)
        | ((Inquiry.waitlisted_at == inquiry.waitlisted_at) & (Inquiry.id < inquiry.id)),
    )
    if inquiry.practitioner_id is not None:
        query = query.where(Inquiry.practitioner_id.is_(None)
                            | (Inquiry.practitioner_id == inquiry.practitioner_id))
    return list(session.scalars(query.order_by(Inquiry.waitlisted_at, Inquiry.id)))


def offer_place(session, actor: Actor, inquiry: Inquiry, *, now: datetime) -> None:
    """Capacity freed up: offer the place, in waitlist order."""
    if inquiry.status != InquiryStatus.WAITLISTED:
        raise DomainError("Only someone on the waitlist can be offered a place.")
    if not has_room(session, inquiry.practitioner_id):
        who = practitioner_name(inquiry.practitioner_id) or "The practice"
        raise DomainError(f"{who} has no room for a new client yet.")
    ahead = waiting_ahead(session, inquiry)
    if ahead:
        raise DomainError(f"{ahead[0].name} has waited longer: offer them a place first.")
    inquiry.offered_at = now
    _set_status(session, actor, inquiry, InquiryStatus.OFFERED, now=now)


def offer_in_reply(session, actor: Actor, inquiry: Inquiry, *, now: datetime, note: str = "") -> None:
    """The reply to an inquiry offered a place (with a colleague in the practice who has
    room): it stays open as "place offered", whatever its place on the waitlist."""
    _require_open(inquiry)
    inquiry.offered_at, inquiry.note = now, _clean_text(note)[:2000]
    _set_status(session, actor, inquiry, InquiryStatus.OFFERED, now=now)


def close_inquiry(session, actor: Actor, inquiry: Inquiry, *, now: datetime, outcome: str = "referred",
                  note: str = "") -> None:
    """Close an inquiry: declined (the practice is full), referred to a colleague, or withdrawn."""
    _require_open(inquiry)
    if outcome not in CLOSING_OUTCOMES:
        raise DomainError("Choose how the inquiry ended.", field="outcome")
    note = _clean_text(note)
    if len(note) > 2000:
        raise DomainError("Keep this under 2000 characters.", field="note")
    inquiry.closed_at, inquiry.note = now, note
    _set_status(session, actor, inquiry, InquiryStatus(outcome), now=now)


def practitioner_name(practitioner_id: int | None) -> str:
    if practitioner_id is None:
        return ""
    return host.current().names("practitioner", [practitioner_id]).get(practitioner_id, "")


def turn_into_client(session, actor: Actor, inquiry: Inquiry, *, phone_region: str, now: datetime):
    """Have the host make a client of the person (the practice through its clients' own
    service) and close the inquiry; the host's Person for the client."""
    _require_open(inquiry)
    inquiry.status, inquiry.closed_at = InquiryStatus.CLIENT.value, now
    host.audit(session, actor, "inquiry.client", inquiry, now=now)
    client = host.current().client_from_inquiry(session, actor, inquiry, phone_region=phone_region, now=now)
    inquiry.client_id = client.id
    session.flush()
    signals.inquiry_changed.send(inquiry, status=inquiry.status)
    return client
