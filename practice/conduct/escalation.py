"""Suggested next steps from the conduct record, following the ladder of DOMAIN.md.

The policy in force sets the thresholds: a count per kind of breach in a rolling window
(e.g. three late arrivals in 90 days); any safety entry counts at once. A suggestion names
its reasons, with dates, and only ever suggests: the practitioner decides the standing.

A window of N days reaches back to the same moment N days ago, that moment included."""

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)

from practice.clients.models import UNBOOKABLE_STANDINGS, Client
from practice.conduct.models import Communication, ConductEntry, IncidentCategory
from practice.policies.queries import policy_in_force
from practice.scheduling.services import practice_zone

SAFETY_WINDOW = timedelta(days=365)
POLICY_COMMUNICATIONS = ("policy_reminder", "warning", "final_notice", "policy_acknowledged")


@dataclass(frozen=True)
class Rule:
    kinds: tuple[str, ...]
    threshold_field: str  # a Policy column; its window in days is `<field>_days`
    one: str
    many: str


RULES = (
    Rule(("late_arrival",), "escalate_late_arrivals", "late arrival", "late arrivals"),
    Rule(("no_show",), "escalate_no_shows", "no-show", "no-shows"),
    Rule(("late_cancellation",), "escalate_late_cancellations", "late cancellation", "late cancellations"),
    Rule(("non_payment", "short_payment"), "escalate_unpaid", "unpaid session", "unpaid sessions"),
    Rule(("boundary",), "escalate_boundary", "boundary incident", "boundary incidents"),
)

# step -> (what to suggest, its rung on the ladder, the standing it leads to)
STEPS = {
    "watch": ("Keep an eye on it", 1, "watch"),
    "communicate": ("Tell the client the policy, and record that you did", 1, "watch"),
    "warn": ("Give a warning", 2, "warned"),
    "final_notice": ("Give a final notice", 3, "final_notice"),
    "move_on": ("Consider moving the client on", 4, "moved_on"),
}
STANDING_RUNG = {"active": 0, "watch": 1, "warned": 2, "final_notice": 3, "moved_on": 4, "declined": 4}


@dataclass(frozen=True)
class Suggestion:
    step: str
    reasons: tuple[str, ...]
    safety: bool = False  # a safety entry is behind it (the letter to write is the short one)

    @property
    def label(self) -> str:
        return STEPS[self.step][0]

    @property
    def standing(self) -> str:
        """The standing that taking this step would give (a default for the form)."""
        return STEPS[self.step][2]


def suggestions(session, clients: list[Client], now: datetime) -> dict[int, Suggestion | None]:
    """The suggested next step for each client, from a fixed number of queries."""
    return suggestions_at(session, clients, [now])[now]


def suggestions_at(session, clients: list[Client], moments: list[datetime]) -> dict[datetime, dict[int, Suggestion | None]]:
    """The suggestions as they stood at each of `moments` (e.g. the start and the end of a
    day), reading the record once; the thresholds are the policy's at the latest moment."""
    if not clients:
        return {moment: {} for moment in moments}
    policy = policy_in_force(session, max(moments))
    rows = session.execute(_record_statement(), {"ids": [client.id for client in clients],
                                                 "since": reach_back(policy, moments)}).all()
    entries = [row for row in rows if row.part == "entry"]
    told = [Told(row.client_id, row.kind, row.occurred_from) for row in rows if row.part == "told"]
    return suggestions_from(clients, entries, told, policy, moments, practice_zone(session))


def reach_back(policy, moments: list[datetime]) -> datetime:
    """How far back the ladder reads the record to judge it at each of `moments`: the
    longest of the policy's windows and the safety window, before the earliest moment."""
    return min(moments) - max([SAFETY_WINDOW] + [timedelta(days=_window_days(policy, rule)) for rule in RULES])


def suggestions_from(clients, entries, told, policy, moments: list[datetime], zone) -> dict[datetime, dict[int, Suggestion | None]]:
    """`suggestions_at` from rows read elsewhere (a page reading them with others): the
    clients' entries that happened from `reach_back`, oldest first, and their policy
    communications, in the order they happened, as `_record_statements` reads them."""
    by_client, told_by_client = defaultdict(list), defaultdict(list)
    for entry in entries:
        by_client[entry.client_id].append(entry)
    for communication in told:
        told_by_client[communication.client_id].append(communication)
    return {
        moment: {client.id: suggest(client.standing, by_client[client.id], told_by_client[client.id],
                                    policy, moment, zone)
                 for client in clients}
        for moment in moments
    }


# A policy communication as the ladder reads it (its entries are the rows of _record_statement).
Told = namedtuple("Told", "client_id kind occurred_at")
# An entry as the ladder reads it, for callers that read the entries in statements of their
# own (the client page's history, the review's day).
LadderEntry = namedtuple("LadderEntry", "id client_id kind occurred_from minutes safety withdrawn corrects_id "
                                        "category_label")


@cache
def _record_statement():
    """What the ladder reads of the clients `ids` (a parameter), in one statement: their
    entries that happened from `since` (`part` "entry"), and their policy communications
    ("told": `kind`, and when it happened as `occurred_from`), each in the order they
    happened. Plain rows of the columns it reads (a long record is hundreds of entries);
    built once, not on each page. The communications' empty columns are typed, as
    PostgreSQL matches a union's columns one pair of selects at a time."""
    ids = bindparam("ids", expanding=True)
    entries = (
        select(literal_column("'entry'").label("part"), ConductEntry.id, ConductEntry.client_id, ConductEntry.kind,
               ConductEntry.occurred_from, ConductEntry.minutes, ConductEntry.safety, ConductEntry.withdrawn,
               ConductEntry.corrects_id, IncidentCategory.label.label("category_label"))
        .outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id)
        .where(ConductEntry.client_id.in_(ids), ConductEntry.occurred_from >= bindparam("since"))
    )
    told = (
        select(literal_column("'told'"), Communication.id, Communication.client_id, Communication.kind,
               Communication.occurred_at, cast(null(), Integer), cast(null(), Boolean), cast(null(), Boolean),
               cast(null(), Integer), cast(null(), String))
        .where(Communication.client_id.in_(ids), Communication.kind.in_(POLICY_COMMUNICATIONS))
    )
    return union_all(entries, told).order_by(literal_column("occurred_from"), literal_column("id"))


def suggest(standing, entries, communications, policy, now, zone) -> Suggestion | None:
    """The ladder applied to one client's entries (oldest first) and policy communications:
    rows with the entries' fields it reads (the category as `category_label`) and the
    communications' `kind` and `occurred_at`."""
    if standing in UNBOOKABLE_STANDINGS:
        return None
    entries = _standing_entries([e for e in entries if e.occurred_from <= now])
    if not entries:  # no rule has anything to count: most of a page's clients stop here
        return None
    communications = [c for c in communications if c.occurred_at <= now]
    safety = [e for e in entries if _is_safety(e) and e.occurred_from >= now - SAFETY_WINDOW]
    if safety:
        listed = ", ".join(f"{_day(e.occurred_from, now, zone)} ({_what(e)})" for e in safety)
        return Suggestion("move_on", (f"Safety: {listed}", _told_phrase(communications, now, zone)), safety=True)
    counted = [(rule, _in_window(entries, rule, policy, now)) for rule in RULES]
    over = [(rule, found) for rule, found in counted if len(found) >= getattr(policy, rule.threshold_field)]
    reasons = tuple(_count_phrase(rule, found, policy, now, zone) for rule, found in (over or counted) if found)
    if not reasons:
        return None
    step = _step_after_communications(over, communications) if over else "watch"
    if step is None or (step != "communicate" and STEPS[step][1] <= STANDING_RUNG[standing]):
        return None
    return Suggestion(step, reasons + (_told_phrase(communications, now, zone),))


def _step_after_communications(over, communications) -> str | None:
    """What comes next, given what the client has already been told and what followed."""
    latest_breach = max(e.occurred_from for _, found in over for e in found)
    for kind, step in (("final_notice", "move_on"), ("warning", "final_notice"),
                       ("policy_reminder", "warn")):
        said = [c.occurred_at for c in communications if c.kind == kind]
        if said:
            return step if latest_breach > max(said) else None
    return "communicate"


def _standing_entries(entries):
    """Entries as they now stand: the latest correction of an entry replaces it (every
    correction points at the original), and one that withdraws it leaves nothing."""
    latest = {}
    for entry in sorted(entries, key=lambda e: e.id):
        latest[entry.corrects_id or entry.id] = entry
    return sorted((e for e in latest.values() if not e.withdrawn),
                  key=lambda e: (e.occurred_from, e.id))


def _is_safety(entry) -> bool:
    return entry.safety or entry.kind == "safety"


def _window_days(policy, rule: Rule) -> int:
    return getattr(policy, f"{rule.threshold_field}_days")


def _in_window(entries, rule: Rule, policy, now):
    since = now - timedelta(days=_window_days(policy, rule))
    return [e for e in entries if e.kind in rule.kinds and since <= e.occurred_from <= now]


def _count_phrase(rule: Rule, found, policy, now, zone) -> str:
    noun = rule.one if len(found) == 1 else rule.many
    listed = ", ".join(
        f"{_day(e.occurred_from, now, zone)}{f' ({d})' if (d := _detail(e)) else ''}" for e in found
    )
    return f"{len(found)} {noun} in {_window_days(policy, rule)} days: {listed}"


def _detail(entry) -> str:
    if entry.kind == "late_arrival" and entry.minutes:
        return f"{entry.minutes} min"
    if entry.kind == "short_payment":
        return "paid short"
    if entry.kind == "boundary":
        return _what(entry)
    return ""


def _what(entry) -> str:
    return entry.category_label.lower() if entry.category_label else entry.kind.replace("_", " ")


def _told_phrase(communications, now, zone) -> str:
    if not communications:
        return "policy not yet communicated"
    return f"policy last communicated {_day(communications[-1].occurred_at, now, zone)}"


def _day(moment: datetime, now: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%-d %b" if local.year == now.astimezone(zone).year else "%-d %b %Y")
