"""A policy version as clauses with topics: the attendance rules its numbers make (grace,
cancellation window, fees), and the paragraphs the practice wrote. The public policy page
shows them by topic; a letter quotes only the clauses whose topics match what it cites."""

from dataclasses import dataclass

from practice.policies.models import TOPICS, Policy

# What each kind of breach in the conduct record is about.
BREACH_TOPICS = {
    "late_arrival": "attendance",
    "no_show": "cancellation",
    "late_cancellation": "cancellation",
    "non_payment": "payment",
    "short_payment": "payment",
    "boundary": "conduct",
}


@dataclass(frozen=True)
class Clause:
    key: str     # "rule-lateness" for a rule made from the numbers, "clause-<id>" for a written one
    topic: str
    text: str

    @property
    def topic_label(self) -> str:
        return TOPICS.get(self.topic, self.topic)


def rules(policy: Policy) -> list[Clause]:
    """The attendance rules, in the words clients are shown."""
    lateness = (f"If you arrive late, we wait for you for up to {policy.late_grace_minutes} minutes. "
                if policy.late_grace_minutes else "")
    lateness += ("A session that starts late still ends at its booked time and is charged in full."
                 if policy.session_ends_on_time else
                 "A session that starts late is given its full length when the diary allows.")
    if policy.cancellation_window_hours:
        cancelling = (f"Please give at least {policy.cancellation_window_hours} hours' notice to cancel or "
                      "move an appointment. " + (
                          f"A cancellation with less notice is charged at {policy.late_cancel_fee_percent}% "
                          "of the session price." if policy.late_cancel_fee_percent else
                          "There is no fee for a late cancellation."))
    else:
        cancelling = "You can cancel or move an appointment at any time without a fee."
    missing = (f"An appointment missed without notice is charged at {policy.no_show_fee_percent}% of the "
               "session price." if policy.no_show_fee_percent else "There is no fee for a missed appointment.")
    return [Clause("rule-lateness", "attendance", lateness), Clause("rule-cancelling", "cancellation", cancelling),
            Clause("rule-missing", "cancellation", missing)]


def all_clauses(policy: Policy) -> list[Clause]:
    """Every clause of the version, by topic (the rules first within theirs)."""
    written = [Clause(f"clause-{c.id}", c.topic if c.topic in TOPICS else "other", c.text) for c in policy.clauses]
    order = list(TOPICS)
    return sorted(rules(policy) + written, key=lambda clause: order.index(clause.topic))


def by_topic(policy: Policy) -> list[tuple[str, list[Clause]]]:
    """(topic label, clauses) for each topic the version has clauses on, in the usual order."""
    grouped: dict[str, list[Clause]] = {}
    for clause in all_clauses(policy):
        grouped.setdefault(clause.topic, []).append(clause)
    return [(TOPICS[topic], found) for topic, found in grouped.items()]


def paragraphs(text: str) -> list[str]:
    """A text as its paragraphs (separated by blank lines), each trimmed; none empty."""
    chunks = text.replace("\r\n", "\n").split("\n\n")
    return [" ".join(line.strip() for line in chunk.strip().split("\n")).strip()
            for chunk in chunks if chunk.strip()]
