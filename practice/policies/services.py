"""Publishing a new policy version, and recording that a client acknowledged one."""

from datetime import date, datetime

from practice.audit.services import Actor, record
from practice.clients.models import Client
from practice.errors import DomainError
from practice.policies.models import (
    STAFF_METHODS,
    TOPICS,
    Policy,
    PolicyAcknowledgement,
    PolicyClause,
)
from practice.policies.queries import latest_policy, local_date

# The numbers of a version: field -> (lowest, highest) it may be.
LIMITS = {
    "late_grace_minutes": (0, 120),
    "cancellation_window_hours": (0, 336),
    "late_cancel_fee_percent": (0, 100),
    "no_show_fee_percent": (0, 100),
    "escalate_late_arrivals": (1, 50),
    "escalate_late_arrivals_days": (1, 730),
    "escalate_no_shows": (1, 50),
    "escalate_no_shows_days": (1, 730),
    "escalate_late_cancellations": (1, 50),
    "escalate_late_cancellations_days": (1, 730),
    "escalate_unpaid": (1, 50),
    "escalate_unpaid_days": (1, 730),
    "escalate_boundary": (1, 50),
    "escalate_boundary_days": (1, 730),
}
FIELDS = (*LIMITS, "session_ends_on_time")
MAX_CLAUSE = 5000
MAX_CLAUSES = 60


def _checked_values(values: dict) -> dict:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not policy fields: {sorted(unknown)}")
    checked = dict(values)
    for name, (low, high) in LIMITS.items():
        if name in checked and not low <= checked[name] <= high:
            raise DomainError(f"Use a number from {low} to {high}.", field=name)
    if "session_ends_on_time" in checked:
        checked["session_ends_on_time"] = bool(checked["session_ends_on_time"])
    return checked


def checked_clauses(clauses) -> list[tuple[str, str]]:
    """(topic, text) pairs with the empty ones left out; a DomainError on "clauses" names
    the first that is wrong."""
    kept = []
    for number, (topic, text) in enumerate(clauses, start=1):
        text = " ".join((text or "").replace("\x00", "").split())
        if not text:
            continue
        if topic not in TOPICS:
            raise DomainError(f"Clause {number}: choose what it is about.", field="clauses")
        if len(text) > MAX_CLAUSE:
            raise DomainError(f"Clause {number}: keep it under {MAX_CLAUSE:,} characters.", field="clauses")
        kept.append((topic, text))
    if len(kept) > MAX_CLAUSES:
        raise DomainError(f"Keep the policy to {MAX_CLAUSES} clauses or fewer.", field="clauses")
    return kept


def publish_policy(
    session, actor: Actor, values: dict, effective_from: date, *, now: datetime, clauses=None,
) -> Policy:
    """A new version: the latest one's values with `values` over them, in force from
    `effective_from` (a day in the practice's time zone), with `clauses` ((topic, text)
    pairs, in order) as its written policy, or the latest one's when None. Versions are
    never edited, and a version takes effect neither in the past (the fees and records
    already made name the version they followed) nor before the version it follows."""
    checked = _checked_values(values)
    previous = latest_policy(session)
    if effective_from < local_date(session, now):
        raise DomainError("A new version cannot take effect in the past; choose today or a later day.",
                          field="effective_from")
    if effective_from < previous.effective_from:
        raise DomainError(
            f"Version {previous.version} takes effect on {previous.effective_from:%-d %B %Y}; "
            "choose that day or a later one.", field="effective_from")
    carried = {name: getattr(previous, name) for name in FIELDS}
    policy = Policy(version=previous.version + 1, effective_from=effective_from,
                    **(carried | checked), created_at=now,
                    created_by_id=actor.user.id if actor.user else None)
    session.add(policy)
    session.flush()
    before = [(c.topic, c.text) for c in previous.clauses]
    written = before if clauses is None else checked_clauses(clauses)
    for position, (topic, text) in enumerate(written, start=1):
        session.add(PolicyClause(policy_id=policy.id, position=position, topic=topic, text=text))
    session.flush()
    changes = {name: [carried[name], value] for name, value in checked.items() if carried[name] != value}
    if written != before:
        changes["clauses"] = [len(before), len(written)]
    record(session, actor, "policy.publish", policy, now=now, version=policy.version,
           effective_from=effective_from.isoformat(), **changes)
    session.flush()
    return policy


def set_topics(session, actor: Actor, policy: Policy, topics: dict[int, str], *, now: datetime) -> int:
    """File a version's clauses under topics (clause id -> topic); the words stay as they
    were published. Returns how many changed."""
    changed = {}
    for clause in policy.clauses:
        topic = topics.get(clause.id, clause.topic)
        if topic not in TOPICS:
            raise DomainError("Choose a topic from the list for every clause.", field="topics")
        if topic != clause.topic:
            changed[str(clause.id)] = [clause.topic, topic]
            clause.topic = topic
    if changed:
        session.flush()
        record(session, actor, "policy.topics", policy, now=now, version=policy.version, topics=changed)
        session.flush()
    return len(changed)


MAX_NOTE = 2000


def record_acknowledgement(
    session, actor: Actor, client_id: int, policy_id: int, method: str, on: date, note: str = "",
    *, now: datetime,
) -> PolicyAcknowledgement:
    """Record that a client acknowledged a policy version, on a day, in one of the usual ways."""
    client = session.get(Client, client_id)
    policy = session.get(Policy, policy_id)
    if client is None:
        raise DomainError("Choose a client.", field="client_id")
    if policy is None:
        raise DomainError("Choose a version of the policy.", field="policy_id")
    if method not in STAFF_METHODS:
        raise DomainError("Choose how the client acknowledged the policy.", field="method")
    if on > local_date(session, now):
        raise DomainError("The date cannot be in the future.", field="on")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(f"Keep the note under {MAX_NOTE:,} characters.", field="note")
    acknowledgement = PolicyAcknowledgement(
        client_id=client.id, policy_id=policy.id, acknowledged_on=on, method=method, note=note,
        recorded_at=now, recorded_by_id=actor.user.id if actor.user else None)
    session.add(acknowledgement)
    session.flush()
    record(session, actor, "policy.acknowledge", acknowledgement, now=now, client_id=client.id,
           version=policy.version, method=method, on=on.isoformat())
    session.flush()
    return acknowledgement
