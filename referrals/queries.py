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

import heapq
from collections import Counter, defaultdict, namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import Date, bindparam, case, exists, func, literal_column, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from practice.paging import Pager
from referrals import host, places
from referrals.database import db
from referrals.models import (
    OPEN_INQUIRY_STATUSES,
    OUTCOME_LABELS,
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


# Built once, as the pages that offer a choice of modalities read it on every view.
_MODALITY_CHOICES = (select(Modality.id, Modality.name).where(Modality.retired.is_(False))
                     .order_by(Modality.name))


def modality_choices(session) -> list:
    """The active modalities as named tuples (`id`, `name`) in modalities()' order, for a page's
    list to choose from: cheaper to read than the objects (0.16 -> 0.03 ms) and than rows (_plain)."""
    return list(_plain(session.connection().execute(_MODALITY_CHOICES)))


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


@dataclass
class CountedPage(Pager):
    """A page of a list with the list's length, read as the `pager` macro reads
    Flask-SQLAlchemy's Pagination."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class DirectoryPage(CountedPage):
    """A page of the directory, with what the page says above it."""

    stale: int = 0   # active entries not checked within the practice's interval
    due: int = 0     # follow-ups due, of the clients whose record the reader may open


# What a row of the directory shows (the verify form, the badge and "last checked" read these).
DIRECTORY_COLUMNS = (Specialist.id, Specialist.name, Specialist.business, Specialist.area,
                     Specialist.accepting, Specialist.verified_on)


def search_directory(filters: DirectoryFilters, *, today: date, page: int, per_page: int,
                     stale_months: int = DEFAULT_STALE_MONTHS, readable=ALL_CLIENTS) -> DirectoryPage:
    """One page of the directory, with the entries to check and the follow-ups due (`readable`,
    as for specialist_page): the three counts in one statement, then the rows (the names of
    what they offer: `modality_names`). The rows are plain rows of the columns shown, read
    through the connection: the ORM's objects and Flask-SQLAlchemy's paginate cost more than
    the reads."""
    query = _directory_query(filters, today=today)
    connection = db.session.connection()
    total, stale, due = connection.execute(select(
        # count(*), not of a column: PostgreSQL counts from an index of the active entries.
        query.with_only_columns(func.count(), maintain_column_froms=True).scalar_subquery(),
        _needs_checking_count(months_before(today, stale_months)).scalar_subquery(),
        _follow_ups_due_count(today, readable).scalar_subquery(),
    )).one()
    rows = connection.execute(
        query.with_only_columns(*DIRECTORY_COLUMNS).order_by(Specialist.name_key, Specialist.id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    return DirectoryPage(rows, page, per_page, total, stale, due)


def modality_names(session, specialist_ids) -> dict[int, list[str]]:
    """What each of these specialists offers, by name in the taxonomy's order (one query):
    plain rows, rather than each one's modalities as objects."""
    names: dict[int, list[str]] = defaultdict(list)
    for specialist_id, name in session.connection().execute(
        select(specialist_modality.c.specialist_id, Modality.name)
        .join(Modality, Modality.id == specialist_modality.c.modality_id)
        .where(specialist_modality.c.specialist_id.in_(list(specialist_ids)))
        .order_by(Modality.name, Modality.id)
    ):
        names[specialist_id].append(name)
    return names


# Built once (building it took longer than reading the index it reads).
_AREAS = (select(func.min(Specialist.area)).where(Specialist.area_key != "", Specialist.retired_at.is_(None))
          .group_by(Specialist.area_key).order_by(Specialist.area_key))


def areas(session) -> list[str]:
    """The areas in the directory, for the area filter."""
    return session.connection().execute(_AREAS).scalars().all()


def needs_checking(*, today: date, months: int, page: int, per_page: int):
    """Active entries not verified for longer than the practice's interval, oldest first
    (never-checked ones at the top)."""
    since = months_before(today, months)
    query = (
        select(Specialist)
        .where(Specialist.retired_at.is_(None),
               or_(Specialist.verified_on.is_(None), Specialist.verified_on < since))
        .order_by(case((Specialist.verified_on.is_(None), 0), else_=1), Specialist.verified_on,
                  Specialist.name_key)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def count_needs_checking(session, *, today: date, months: int) -> int:
    return session.scalar(_needs_checking_count(months_before(today, months)))


def _needs_checking_count(since: date):
    """The entries needs_checking lists, counted as the active ones less those checked since:
    one pass over the index of when they were checked, on PostgreSQL too (`verified_on IS NULL
    OR < since` made SQLite gather the row ids of each half first, and PostgreSQL read the
    table: 0.37 → 0.15 ms and 0.82 → 0.37 ms on the large practice)."""
    return (select(func.count() - func.count(case((Specialist.verified_on >= since, 1))))
            .where(Specialist.retired_at.is_(None)))


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


# The ranking's points. Those that depend on the entry alone (accepting, what it offers of
# the need, when it was checked, how past referrals for the need went) are summed by the
# database, which orders the candidates by them; distance, area and language need Python
# (postcode districts, accents) and are added to the rows the database sends first.
ACCEPTING_POINTS = {"yes": (40, "Accepting new clients"),
                    "no": (-50, "Not accepting new clients at the moment"),
                    "unknown": (5, "Not known whether they take new clients: ask first")}
OFFERED_POINTS = 30              # for each needed modality offered
FRESH_POINTS, STALE_POINTS = 10, -5   # details checked within the interval; not since, or never
PAST_CAP = 3                     # past referrals counted, at most, of each kind
PAST_RULES = (  # (column, outcomes, points for each, reason for one, for several)
    ("went_well", (Outcome.GOOD_MATCH, Outcome.BOOKED), 15,
     "past referral for this need went well", "past referrals for this need went well"),
    ("not_a_match", (Outcome.NOT_A_MATCH,), -15,
     "past referral for this need was not a match", "past referrals for this need were not a match"),
    ("no_answer", (Outcome.NO_ANSWER,), -5, "past referral had no answer", "past referrals had no answer"),
)
NEAR_POINTS = 30                 # less two for each kilometre, never below nothing
SAME_AREA_POINTS = 20            # the same area name, when the distance is not known
LANGUAGE_POINTS = 15


def _capped(count):
    return case((count > PAST_CAP, PAST_CAP), else_=count)


# The collation that orders text as Python does (by code point) in each database: the
# database's order of names among candidates with equal points is then the ranking's own.
CODE_POINT_ORDER = {"sqlite": "BINARY", "postgresql": "C"}


@cache
def _ranked_candidates(*, placed: bool, dialect: str, several: bool):
    """Active specialists offering any of the `wanted` modalities (a parameter, with
    `fresh_since` and, unless `placed`, `limit`), highest `points` (what the database can sum) first, as plain rows of
    what the ranking needs: the counts of past referrals, and where they are and what they
    speak when the need says (`placed`). The page's columns are read for the chosen few
    only: the database sorts narrow rows. Built once for each database: building it takes
    longer than the database takes to run it.

    Unless `several` modalities are wanted (`wanted` is then the one's id), each candidate
    offers it once and each referral names it once: their rows are joined as they are, not
    grouped, counted or made distinct first, and the statement has no list to expand on each
    run (SQLite: 1.36 -> 1.01 ms for the benchmark's 967 candidates)."""
    fresh_since = bindparam("fresh_since", type_=Date)
    if several:
        wanted = bindparam("wanted", expanding=True)
        offered = (select(specialist_modality.c.specialist_id, func.count().label("offered"))
                   .where(specialist_modality.c.modality_id.in_(wanted))
                   .group_by(specialist_modality.c.specialist_id).subquery())
    else:
        wanted = bindparam("wanted")
        offered = (select(specialist_modality.c.specialist_id, literal_column("1").label("offered"))
                   .where(specialist_modality.c.modality_id == wanted).subquery())
    # From the referrals for the need (read from the index on the need), each counted once
    # however many of the needed modalities it names: their ids made distinct first, so the
    # counts need not be.
    for_need = select(referral_need.c.referral_id)
    for_need = (for_need.where(referral_need.c.modality_id.in_(wanted)).distinct() if several else
                for_need.where(referral_need.c.modality_id == wanted)).subquery()
    past = (select(Referral.specialist_id, *(
                func.count(case((Referral.outcome.in_([o.value for o in outcomes]), 1))).label(name)
                for name, outcomes, *_ in PAST_RULES))
            .select_from(for_need).join(Referral, Referral.id == for_need.c.referral_id)
            .where(Referral.direction == "out")
            .group_by(Referral.specialist_id).subquery())
    counts = {name: func.coalesce(past.c[name], 0) for name, *_ in PAST_RULES}
    points = (
        case(*((Specialist.accepting == value, ACCEPTING_POINTS[value][0]) for value in ("yes", "no")),
             else_=ACCEPTING_POINTS["unknown"][0])
        + OFFERED_POINTS * offered.c.offered
        + case((Specialist.verified_on >= fresh_since, FRESH_POINTS), else_=STALE_POINTS)
        + sum(each * _capped(counts[name]) for name, _outcomes, each, *_ in PAST_RULES)
    ).label("points")
    where = (Specialist.area, Specialist.area_key, Specialist.address, Specialist.languages) if placed else ()
    ranked = (
        select(Specialist.id, Specialist.name_key, *where,
               *(value.label(name) for name, value in counts.items()), points)
        .join(offered, offered.c.specialist_id == Specialist.id)
        .outerjoin(past, past.c.specialist_id == Specialist.id)
        .where(Specialist.retired_at.is_(None))
        .order_by(points.desc(), Specialist.name_key.collate(CODE_POINT_ORDER[dialect]), Specialist.id)
    )
    # With nothing to add in Python (not `placed`), the database's first `limit` rows are the
    # ranking: asked for those only, it keeps the best few as it sorts, and PostgreSQL sends
    # 25 rows instead of every candidate (its driver reads a whole result, however little of
    # it is used).
    return ranked if placed else ranked.limit(bindparam("limit"))


# What the match page shows of each colleague, and what the reasons are written from.
MATCH_COLUMNS = (Specialist.id, Specialist.name, Specialist.business, Specialist.phone, Specialist.email,
                 Specialist.accepting, Specialist.verified_on, Specialist.area, Specialist.area_key,
                 Specialist.address, Specialist.languages)


def match(session, need: Need, *, today: date, stale_after_months: int = DEFAULT_STALE_MONTHS,
          limit: int = 25, rows: bool = False) -> list[Match]:
    """Colleagues for a need, best first, with the reasons (three queries). Each Match's
    `specialist` is the entry, or with `rows` a plain row of MATCH_COLUMNS (what a page
    shows: cheaper to read than the objects, and read with what they offer: two queries).

    The database orders the candidates by the points it can sum, then by name as Python
    does; Python adds at most `bonus` (distance or area, language) to each, so it reads rows
    only until no further one can reach the best `limit` so far (with no bonus, the database's
    order is the ranking: the first `limit` rows)."""
    wanted = set(need.modality_ids)
    if not wanted:
        return []
    area, language = need.area.strip(), need.language.strip()
    bonus = (max(NEAR_POINTS, SAME_AREA_POINTS) if area else 0) + (LANGUAGE_POINTS if language else 0)
    fresh_since = months_before(today, stale_after_months)
    best: list[int] = []  # the best `limit` scores so far (a heap, lowest first)
    found = []
    # Through the connection: plain rows, fetched as they are read (the ORM would fetch them all).
    connection = session.connection()
    several = len(wanted) > 1
    ranked = _ranked_candidates(placed=bool(area or language), dialect=connection.dialect.name, several=several)
    need_ids = list(wanted) if several else next(iter(wanted))
    with connection.execute(ranked, {"wanted": need_ids, "fresh_since": fresh_since, "limit": limit}) as candidates:
        for row in _plain(candidates):
            if len(best) == limit and (not bonus or row.points + bonus < best[0]):
                break
            score = row.points + _nearness_points(row, need) + _language_points(row, need)
            found.append((score, row))
            (heapq.heappushpop if len(best) == limit else heapq.heappush)(best, score)
    found.sort(key=lambda pair: (-pair[0], pair[1].name_key, pair[1].id))
    chosen = found[:limit]
    ids = [row.id for _score, row in chosen]
    # What each offers of the need, by name; with `rows`, read with their columns.
    offered: dict[int, list[str]] = defaultdict(list)
    chosen_need = {"wanted": list(wanted), "ids": ids}
    if rows:
        specialists = {}
        for found in _plain(connection.execute(_offers(with_columns=True), chosen_need)):
            specialists.setdefault(found.id, found)
            offered[found.id].append(found.offers)
    else:
        specialists = {s.id: s for s in session.scalars(select(Specialist).where(Specialist.id.in_(ids)))}
        for specialist_id, name in connection.execute(_offers(with_columns=False), chosen_need):
            offered[specialist_id].append(name)
    return [Match(specialists[row.id], score,
                  _reasons(specialists[row.id], row, need, offered[row.id], fresh_since=fresh_since))
            for score, row in chosen]


def _plain(result) -> Iterator[tuple]:
    """The result's rows as named tuples. A SQLAlchemy row's `row.name` is first looked up as
    an attribute of the row and fails, raising an AttributeError with its message formatted,
    before the column is read (about 1.2 microseconds, against 0.05 for a named tuple's): the
    match page reads its rows' columns by name about 600 times."""
    return map(_plain_row(tuple(result.keys()))._make, result)


@cache
def _plain_row(columns: tuple[str, ...]):
    return namedtuple("PlainRow", columns)


@cache
def _offers(*, with_columns: bool):
    """What each of the chosen (`ids`, a parameter) offers of the `wanted` modalities, by
    name, in order; `with_columns`: with the MATCH_COLUMNS of the entry. Built once, as
    _ranked_candidates is: building it took a tenth of a millisecond of each match."""
    wanted, ids = bindparam("wanted", expanding=True), bindparam("ids", expanding=True)
    offers = (select(specialist_modality.c.specialist_id, Modality.name.label("offers"))
              .join(Modality, Modality.id == specialist_modality.c.modality_id)
              .where(specialist_modality.c.modality_id.in_(wanted), specialist_modality.c.specialist_id.in_(ids))
              .order_by(specialist_modality.c.specialist_id, Modality.name))
    if not with_columns:
        return offers
    return offers.add_columns(*MATCH_COLUMNS).join(Specialist, Specialist.id == specialist_modality.c.specialist_id)


def _nearness_points(row, need: Need) -> int:
    if not need.area.strip():
        return 0
    km = places.specialist_km(row, need.area)
    if km is not None:
        return max(0, NEAR_POINTS - round(2 * km))  # nearer, higher
    return SAME_AREA_POINTS if normalise(need.area) == row.area_key else 0


def _speaks(row, language: str) -> bool:
    spoken = {normalise(part.strip()) for part in row.languages.split(",") if part.strip()}
    return normalise(language) in spoken


def _language_points(row, need: Need) -> int:
    return LANGUAGE_POINTS if need.language.strip() and _speaks(row, need.language) else 0


def _reasons(specialist: Specialist, counts, need: Need, offered: list[str], *, fresh_since: date) -> list[str]:
    """Why a candidate ranks where it does, in the order of the rules (`counts`: its
    ranking row, with the past referrals counted)."""
    reasons = [ACCEPTING_POINTS.get(specialist.accepting, ACCEPTING_POINTS["unknown"])[1],
               f"Offers {_names(offered).lower()}"]
    if need.area.strip():
        km = places.specialist_km(specialist, need.area)
        if km is not None:
            reasons.append(f"{places.about(km).capitalize()} away")
        elif normalise(need.area) == specialist.area_key or specialist.area:
            reasons.append(f"In {specialist.area}")
        else:
            reasons.append("Area not known")
    if need.language.strip():
        reasons.append(f"Speaks {need.language.strip()}" if _speaks(specialist, need.language)
                       else f"Does not list {need.language.strip()} among their languages")
    if specialist.verified_on is None:
        reasons.append("Details never checked")
    elif specialist.verified_on >= fresh_since:
        reasons.append(f"Details checked {specialist.verified_on.strftime('%-d %b %Y')}")
    else:
        reasons.append(f"Details not checked since {specialist.verified_on.strftime('%-d %b %Y')}")
    for name, _outcomes, _each, one, many in PAST_RULES:
        if getattr(counts, name):
            reasons.append(_plural(getattr(counts, name), one, many))
    return reasons


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

@dataclass
class ClientReferral:
    """A referral as the client page lists it: read as plain values, not ORM objects (the
    objects and a second read of their needs cost more than the page's whole read)."""

    id: int
    direction: str
    referred_on: date
    outcome: str
    follow_up_on: date | None
    source_label: str  # the colleague's name, or the source written down
    specialist_name: str | None
    needs: list[str] = field(default_factory=list)  # the needs' names, alphabetical

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


# Built once, not on each view of the client page: a row per referral and need (its needs
# read with it, not by a second statement), newest referral first.
_CLIENTS_REFERRALS = (
    select(Referral.id, Referral.direction, Referral.referred_on, Referral.outcome, Referral.follow_up_on,
           Referral.source, Specialist.name.label("specialist_name"), Modality.name.label("need"))
    .outerjoin(Specialist, Specialist.id == Referral.specialist_id)
    .outerjoin(referral_need, referral_need.c.referral_id == Referral.id)
    .outerjoin(Modality, Modality.id == referral_need.c.modality_id)
    .where(Referral.client_id == bindparam("client_id"))
    .order_by(Referral.referred_on.desc(), Referral.id.desc(), Modality.name))


def referrals_for_client(session, client_id: int) -> list[ClientReferral]:
    """The client's referrals in and out, newest first, with their needs: one statement."""
    found: list[ClientReferral] = []
    for id_, direction, on, outcome, follow_up_on, source, specialist, need in session.execute(
            _CLIENTS_REFERRALS, {"client_id": client_id}):
        if not found or found[-1].id != id_:
            found.append(ClientReferral(id_, direction, on, outcome, follow_up_on,
                                        specialist if specialist is not None else source, specialist))
        if need is not None:
            found[-1].needs.append(need)
    return found


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


def _follow_ups_due_count(today: date, readable):
    """How many referrals follow_ups_due lists."""
    return select(func.count(Referral.id)).where(
        Referral.direction == "out", Referral.outcome == Outcome.PENDING.value,
        Referral.follow_up_on <= today, readable)


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
