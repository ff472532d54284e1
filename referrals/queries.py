"""Reads of the referral network, each in a fixed number of queries.

Public for other domains (the letters issue relies on these):

- `match(session, need: Need, *, today, stale_after_months=6) -> list[Match]`: active
  specialists offering any of the needed modalities, best first. A Match has `specialist`,
  `score` (higher is better) and `reasons` (plain sentences: accepting new clients, which
  modalities, the area, the language, when last checked, how past referrals for this need
  went).
- `accepting_colleagues(session, modalities, area=None) -> list[Specialist]`: active
  specialists who say they accept new clients and offer any of `modalities` (Modality rows
  or ids), in `area` first: the list a "practice full" reply encloses.
- `referrals_for_client(session, client_id) -> list[Referral]`: the client's referrals out
  (newest first) and in, with specialist and needs loaded.
- `referral_source(session, client_id) -> Referral | None`: who referred the client to us.
"""

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, exists, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from referrals import host, places
from referrals.database import db
from referrals.models import (
    OPEN_INQUIRY_STATUSES,
    Accepting,
    Inquiry,
    InquiryStatus,
    Modality,
    Outcome,
    Referral,
    Specialist,
    referral_need,
    specialist_modality,
)
from referrals.services import normalise

EXPORT_CHUNK = 500  # entries an export reads at a time

DEFAULT_STALE_MONTHS = 6


# The default of the `readable` conditions below: for callers that are not showing a reader's page.
ALL_CLIENTS = true()


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


# The taxonomy ----------------------------------------------------------------------------

def modalities(session, *, include_retired: bool = False) -> list[Modality]:
    query = select(Modality).order_by(Modality.name)
    if not include_retired:
        query = query.where(Modality.retired.is_(False))
    return list(session.scalars(query))


# The directory ---------------------------------------------------------------------------

@dataclass
class DirectoryFilters:
    text: str = ""
    modality_id: int | None = None
    area: str = ""
    accepting: str = ""                 # "", yes, no, unknown
    verified_within_months: int | None = None
    include_retired: bool = False


def _directory_query(filters: DirectoryFilters, *, today: date):
    query = select(Specialist)
    if not filters.include_retired:
        query = query.where(Specialist.retired_at.is_(None))
    for word in normalise(filters.text.replace("\x00", "")).split()[:10]:
        query = query.where(Specialist.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
    if filters.modality_id:
        query = query.where(exists().where(
            specialist_modality.c.specialist_id == Specialist.id,
            specialist_modality.c.modality_id == filters.modality_id,
        ))
    if filters.area.strip():
        query = query.where(Specialist.area_key == normalise(filters.area)[:120])
    if filters.accepting in tuple(Accepting):
        query = query.where(Specialist.accepting == filters.accepting)
    if filters.verified_within_months:
        since = months_before(today, filters.verified_within_months)
        query = query.where(Specialist.verified_on >= since)
    return query


def search_directory(filters: DirectoryFilters, *, today: date, page: int, per_page: int):
    """One page of the directory (count, rows, their modalities: three queries)."""
    query = (_directory_query(filters, today=today)
             .options(selectinload(Specialist.modalities))
             .order_by(Specialist.name_key, Specialist.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def areas(session) -> list[str]:
    """The areas in the directory, for the area filter."""
    return list(session.scalars(
        select(func.min(Specialist.area)).where(Specialist.area_key != "", Specialist.retired_at.is_(None))
        .group_by(Specialist.area_key).order_by(Specialist.area_key)
    ))


def needs_checking(*, today: date, months: int, page: int, per_page: int):
    """Active entries not verified for longer than the practice's interval, oldest first
    (never-checked ones at the top)."""
    since = months_before(today, months)
    query = (
        select(Specialist)
        .options(selectinload(Specialist.modalities))
        .where(Specialist.retired_at.is_(None),
               or_(Specialist.verified_on.is_(None), Specialist.verified_on < since))
        .order_by(case((Specialist.verified_on.is_(None), 0), else_=1), Specialist.verified_on,
                  Specialist.name_key)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def count_needs_checking(session, *, today: date, months: int) -> int:
    since = months_before(today, months)
    return session.scalar(select(func.count(Specialist.id)).where(
        Specialist.retired_at.is_(None),
        or_(Specialist.verified_on.is_(None), Specialist.verified_on < since),
    ))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def specialists_for_export(session, *, include_retired: bool = False) -> Iterator[tuple]:
    """For the exports: each entry (a row of its columns) in the directory's order with the
    names of its modalities, read EXPORT_CHUNK entries at a time as the file is sent. Two
    queries whatever the directory's size: the modalities of every entry, then the entries."""
    names: dict[int, list[str]] = defaultdict(list)
    # Plain rows through the session's connection: no ORM entity is involved, so the ORM's
    # per-row work is not needed.
    connection = session.connection()
    for specialist_id, name in connection.execute(
        select(specialist_modality.c.specialist_id, Modality.name)
        .join(Modality, Modality.id == specialist_modality.c.modality_id).order_by(Modality.name, Modality.id)
    ):
        names[specialist_id].append(name)
    query = select(*Specialist.__table__.columns).order_by(Specialist.name_key, Specialist.id)
    if not include_retired:
        query = query.where(Specialist.retired_at.is_(None))
    for entry in connection.execute(query.execution_options(yield_per=EXPORT_CHUNK)):
        yield entry, names.get(entry.id, [])


def specialist_choices(session) -> list[Specialist]:
    return list(session.scalars(
        select(Specialist).where(Specialist.retired_at.is_(None)).order_by(Specialist.name_key)
    ))


@dataclass
class SpecialistPage:
    specialist: Specialist
    referrals_out: list[Referral]     # those whose client's record the reader may open
    referrals_in: list[Referral]
    outcome_counts: Counter           # of every referral out: how good a match they are


def specialist_page(session, specialist_id: int, *, readable=ALL_CLIENTS) -> SpecialistPage | None:
    """The specialist; the referrals to them of clients whose record the reader may open
    (`readable`: an SQL condition on Referral.client_id), with the outcomes of all of them
    counted; and the clients they referred to us (who referred a client is not private:
    the front desk records it). Four queries; the names of the clients and of who checked
    the entry are the host's (`names`)."""
    specialist = session.scalar(
        select(Specialist)
        .options(selectinload(Specialist.modalities))
        .where(Specialist.id == specialist_id)
    )
    if specialist is None:
        return None
    referrals = list(session.scalars(
        select(Referral)
        .options(selectinload(Referral.needs))
        .where(Referral.specialist_id == specialist_id, or_(Referral.direction == "in", readable))
        .order_by(Referral.referred_on.desc(), Referral.id.desc())
    ))
    outcomes = session.execute(
        select(Referral.outcome, func.count()).where(Referral.specialist_id == specialist_id,
                                                     Referral.direction == "out")
        .group_by(Referral.outcome)).all()
    return SpecialistPage(
        specialist,
        [r for r in referrals if r.direction == "out"],
        [r for r in referrals if r.direction == "in"],
        Counter({outcome: count for outcome, count in outcomes}),
    )


# Matching --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Need:
    modality_ids: tuple[int, ...]
    area: str = ""
    language: str = ""


@dataclass
class Match:
    specialist: Specialist
    score: int = 0
    reasons: list[str] = field(default_factory=list)


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _past_outcomes(session, specialist_ids, modality_ids) -> dict[int, Counter]:
    """Outcomes of earlier referrals out to these specialists for any of these needs."""
    rows = session.execute(
        select(Referral.specialist_id, Referral.outcome, func.count(func.distinct(Referral.id)))
        .join(referral_need, referral_need.c.referral_id == Referral.id)
        .where(Referral.direction == "out", Referral.specialist_id.in_(specialist_ids),
               referral_need.c.modality_id.in_(modality_ids))
        .group_by(Referral.specialist_id, Referral.outcome)
    ).all() if specialist_ids else []
    outcomes: dict[int, Counter] = defaultdict(Counter)
    for specialist_id, outcome, number in rows:
        outcomes[specialist_id][outcome] = number
    return outcomes


def match(session, need: Need, *, today: date, stale_after_months: int = DEFAULT_STALE_MONTHS,
          limit: int = 25) -> list[Match]:
    """Colleagues for a need, best first, with the reasons (three queries)."""
    wanted = set(need.modality_ids)
    if not wanted:
        return []
    offers = exists().where(specialist_modality.c.specialist_id == Specialist.id,
                            specialist_modality.c.modality_id.in_(wanted))
    candidates = list(session.scalars(select(Specialist).where(Specialist.retired_at.is_(None), offers)))
    # What each candidate offers of the need: names as plain rows, one query, rather than
    # every candidate's whole list of modalities as objects.
    offered: dict[int, list[str]] = defaultdict(list)
    for specialist_id, name in session.execute(
        select(specialist_modality.c.specialist_id, Modality.name)
        .join(Modality, Modality.id == specialist_modality.c.modality_id)
        .join(Specialist, Specialist.id == specialist_modality.c.specialist_id)
        .where(specialist_modality.c.modality_id.in_(wanted), Specialist.retired_at.is_(None))
        .order_by(specialist_modality.c.specialist_id, Modality.name)
    ):
        offered[specialist_id].append(name)
    past = _past_outcomes(session, [s.id for s in candidates], wanted)
    fresh_since = months_before(today, stale_after_months)
    matches = [
        _score(specialist, need, offered[specialist.id], past.get(specialist.id, Counter()), fresh_since)
        for specialist in candidates
    ]
    matches.sort(key=lambda m: (-m.score, m.specialist.name_key, m.specialist.id))
    return matches[:limit]


def _score(specialist: Specialist, need: Need, offered: list[str], past: Counter, fresh_since: date) -> Match:
    found = Match(specialist)

    def add(points: int, reason: str) -> None:
        found.score += points
        found.reasons.append(reason)

    accepting = {"yes": (40, "Accepting new clients"),
                 "no": (-50, "Not accepting new clients at the moment"),
                 "unknown": (5, "Not known whether they take new clients: ask first")}
    add(*accepting.get(specialist.accepting, accepting["unknown"]))
    add(30 * len(offered), f"Offers {_names(offered).lower()}")
    km = places.specialist_km(specialist, need.area) if need.area.strip() else None
    if km is not None:
        add(max(0, 30 - round(2 * km)), f"{places.about(km).capitalize()} away")  # nearer, higher
    elif need.area.strip():
        if normalise(need.area) == specialist.area_key:
            add(20, f"In {specialist.area}")
        else:
            found.reasons.append(f"In {specialist.area}" if specialist.area else "Area not known")
    if need.language.strip():
        spoken = {normalise(lang) for lang in specialist.language_list}
        if normalise(need.language) in spoken:
            add(15, f"Speaks {need.language.strip()}")
        else:
            found.reasons.append(f"Does not list {need.language.strip()} among their languages")
    if specialist.verified_on is None:
        add(-5, "Details never checked")
    elif specialist.verified_on >= fresh_since:
        add(10, f"Details checked {specialist.verified_on.strftime('%-d %b %Y')}")
    else:
        add(-5, f"Details not checked since {specialist.verified_on.strftime('%-d %b %Y')}")
    _add_past(add, past)
    return found


def _add_past(add, past: Counter) -> None:
    went_well = past[Outcome.GOOD_MATCH] + past[Outcome.BOOKED]
    if went_well:
        add(15 * min(went_well, 3), _plural(went_well, "past referral for this need went well",
                                            "past referrals for this need went well"))
    if past[Outcome.NOT_A_MATCH]:
        add(-15 * min(past[Outcome.NOT_A_MATCH], 3),
            _plural(past[Outcome.NOT_A_MATCH], "past referral for this need was not a match",
                    "past referrals for this need were not a match"))
    if past[Outcome.NO_ANSWER]:
        add(-5 * min(past[Outcome.NO_ANSWER], 3),
            _plural(past[Outcome.NO_ANSWER], "past referral had no answer", "past referrals had no answer"))


def _plural(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def accepting_colleagues(session, modalities, area: str | None = None) -> list[Specialist]:
    """Active specialists accepting new clients who offer any of `modalities` (all
    accepting ones when none are given); the nearest to `area` first (an area name, a
    postcode or both: referrals.places), then by area and name."""
    ids = [m if isinstance(m, int) else m.id for m in modalities or ()]
    query = (select(Specialist).options(selectinload(Specialist.modalities))
             .where(Specialist.retired_at.is_(None), Specialist.accepting == Accepting.YES.value))
    if ids:
        query = query.where(exists().where(
            specialist_modality.c.specialist_id == Specialist.id,
            specialist_modality.c.modality_id.in_(ids),
        ))
    found = list(session.scalars(query.order_by(Specialist.name_key, Specialist.id)))
    return places.nearest_first(found, area) if area and area.strip() else found


def distances(specialists, area: str) -> dict[int, str]:
    """How far each specialist is from `area` ("about 4 km"), for those whose distance is known."""
    found = {s.id: places.specialist_km(s, area or "") for s in specialists}
    return {key: places.about(km) for key, km in found.items() if km is not None}


def nearby_reasons(specialist: Specialist, area: str) -> list[str]:
    """Why a colleague accepting new clients is offered to someone living in `area`."""
    return places.reasons(specialist, area or "")


# Referrals -------------------------------------------------------------------------------

def referrals_for_client(session, client_id: int) -> list[Referral]:
    return list(session.scalars(
        select(Referral)
        .options(joinedload(Referral.specialist), selectinload(Referral.needs))
        .where(Referral.client_id == client_id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc())
    ))


def referral_source(session, client_id: int) -> Referral | None:
    """The latest record of who referred the client to the practice."""
    return session.scalar(
        select(Referral).options(joinedload(Referral.specialist))
        .where(Referral.client_id == client_id, Referral.direction == "in")
        .order_by(Referral.referred_on.desc(), Referral.id.desc()).limit(1)
    )


def referral_for_page(session, referral_id: int) -> Referral | None:
    return session.scalar(
        select(Referral)
        .options(joinedload(Referral.specialist), selectinload(Referral.needs))
        .where(Referral.id == referral_id)
    )


def follow_ups_due(session, *, today: date, readable=ALL_CLIENTS) -> list[Referral]:
    """Referrals out still waiting to hear whose follow-up date has come, oldest first (of
    the clients whose record the reader may open: `readable`, as for specialist_page)."""
    return list(session.scalars(
        select(Referral)
        .options(joinedload(Referral.specialist), selectinload(Referral.needs))
        .where(Referral.direction == "out", Referral.outcome == Outcome.PENDING.value,
               Referral.follow_up_on <= today, readable)
        .order_by(Referral.follow_up_on, Referral.id)
    ))


def count_follow_ups_due(session, *, today: date, readable=ALL_CLIENTS) -> int:
    return session.scalar(select(func.count(Referral.id)).where(
        Referral.direction == "out", Referral.outcome == Outcome.PENDING.value,
        Referral.follow_up_on <= today, readable))


# Inquiries -------------------------------------------------------------------------------

def open_inquiries(session, *, practitioner_id: int | None = None) -> list[Inquiry]:
    """Inquiries open or offered, oldest first; with `practitioner_id`, only those asking for
    that practitioner or for no one in particular."""
    query = (select(Inquiry).options(selectinload(Inquiry.needs))
             .where(Inquiry.status.in_((InquiryStatus.OPEN.value, InquiryStatus.OFFERED.value)))
             .order_by(Inquiry.received_at, Inquiry.id))
    if practitioner_id is not None:
        query = query.where(or_(Inquiry.practitioner_id.is_(None), Inquiry.practitioner_id == practitioner_id))
    return list(session.scalars(query))


def waitlist(session) -> list[Inquiry]:
    """The waitlist in the order places are offered: who was waitlisted first."""
    return list(session.scalars(
        select(Inquiry).options(selectinload(Inquiry.needs))
        .where(Inquiry.status == InquiryStatus.WAITLISTED.value)
        .order_by(Inquiry.waitlisted_at, Inquiry.id)
    ))


def recently_closed_inquiries(session, limit: int = 20) -> list[Inquiry]:
    return list(session.scalars(
        select(Inquiry)
        .where(Inquiry.status.not_in(OPEN_INQUIRY_STATUSES))
        .order_by(Inquiry.closed_at.desc(), Inquiry.id.desc()).limit(limit)
    ))


def inquiry_for_page(session, inquiry_id: int) -> Inquiry | None:
    return session.scalar(
        select(Inquiry).options(selectinload(Inquiry.needs))
        .where(Inquiry.id == inquiry_id)
    )


def inquiry_needs(inquiry: Inquiry) -> set[int]:
    """What an inquirer needs: the specialties they chose and those the host's service they
    asked for covers."""
    covered = host.current().service_specialties([inquiry.service_id]) if inquiry.service_id else {}
    return {m.id for m in inquiry.needs} | set(covered.get(inquiry.service_id, []))
