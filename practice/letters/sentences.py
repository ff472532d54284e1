"""Facts as a client reads them: dates in runs ("5, 12 and 19 November 2026"), one sentence
per kind of breach from its entries, the prefilled sentence for an incident (from its
category and date, never its private description), what the practice told the client and
when, and the money. Plain functions of what the record holds; nothing here queries."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

# A kind with more entries than this is told as a span with the latest few, so that a long
# record cannot make a letter long.
MOST_DATES = 12
LATEST = 3

# The sentence that prefills an incident of a shipped category ({day}: "28 November 2026").
# The practitioner edits it for the letter: what is said to the client is a decision.
INCIDENT_SENTENCES = {
    "constant_contact": "Around {day} you contacted me repeatedly between sessions.",
    "drops_in": "On {day} you came to the practice without a booking.",
    "gifts": "On {day} you brought or sent a gift outside a booked session.",
    "approaches_outside": "On {day} you approached me outside the practice.",
    "romantic": "On {day} you spoke to me in a way that does not belong in a professional relationship.",
    "rescue": "On {day} you offered me help in my personal life, outside the professional relationship.",
    "unwanted_disclosure": "On {day} you returned to personal matters after I had asked to keep to the treatment.",
    "will_not_leave": "On {day} you did not leave when the session ended.",
    "pressure": "On {day} you asked for treatment outside the practice's boundaries.",
    "personal_information": "On {day} you asked for my personal details.",
    "uncomfortable": "On {day} the way you behaved during the session made me uncomfortable.",
}
COMMUNICATED = {"policy_reminder": "reminded you of the policy", "warning": "warned you",
                "final_notice": "gave you a final notice"}
HOW = {"in_person": "in person", "phone": "by phone", "text": "by text message", "email": "by e-mail",
       "post": "by post"}


def long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def and_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def days_text(days: Sequence[date]) -> str:
    """Days in order, the month and year written once per run: "5, 12 and 19 November 2026",
    "28 October, 5 and 12 November 2026", "30 December 2025 and 6 January 2026"."""
    days = sorted(days)
    items = []
    for index, day in enumerate(days):
        following = days[index + 1] if index + 1 < len(days) else None
        text = str(day.day)
        if following is None or (following.year, following.month) != (day.year, day.month):
            text += f" {day:%B}"
        if following is None or following.year != day.year:
            text += f" {day.year}"
        items.append(text)
    return and_list(items)


@dataclass(frozen=True)
class Occurrence:
    """One breach as a sentence needs it: the local day, minutes late, the amount."""

    day: date
    minutes: int | None = None
    amount_cents: int | None = None


def breach_sentence(kind: str, found: Sequence[Occurrence], *, money: Callable[[int], str],
                    ends_on_time: bool = True, window_hours: int = 24) -> str:
    """One sentence for every occurrence of a kind of breach."""
    found = sorted(found, key=lambda o: o.day)
    if len(found) > MOST_DATES:
        return _span_sentence(kind, found, window_hours=window_hours)
    days = days_text([o.day for o in found])
    many = len(found) > 1
    if kind == "late_arrival":
        minutes = [o.minutes for o in found]
        if None in minutes:
            late = "late"
        elif len(set(minutes)) == 1:
            late = f"{minutes[0]} minutes late" + (" each time" if many else "")
        else:
            late = f"{and_list([str(m) for m in minutes])} minutes late"
        ended = ("; sessions ended at their booked time." if many else "; the session ended at its booked time.") \
            if ends_on_time else "."
        return f"On {days} you arrived {late}{ended}"
    if kind == "no_show":
        return f"You missed your appointment{'s' if many else ''} on {days} without notice."
    if kind == "late_cancellation":
        return (f"On {days} you cancelled {'appointments' if many else 'an appointment'} with less than "
                f"{window_hours} hours' notice.")
    amounts = [o.amount_cents or 0 for o in found]
    if kind == "non_payment":
        shown = and_list([money(a) for a in amounts])
        return (f"The fees for your sessions on {days} ({shown}) were not paid." if many
                else f"The fee for your session on {days} ({shown}) was not paid.")
    if kind == "short_payment":
        if not many:
            return f"On {days} {money(amounts[0])} of the session's fee was not paid."
        if len(set(amounts)) == 1:
            return f"On {days} {money(amounts[0])} of each session's fee was not paid."
        return f"On {days} part of each session's fee was not paid ({and_list([money(a) for a in amounts])})."
    raise ValueError(kind)


SPANS = {
    "late_arrival": "you arrived late {n} times",
    "no_show": "you missed {n} appointments without notice",
    "late_cancellation": "you cancelled {n} appointments with less than {hours} hours' notice",
    "non_payment": "the fees of {n} sessions were not paid",
    "short_payment": "the fees of {n} sessions were paid only in part",
}


def _span_sentence(kind: str, found: Sequence[Occurrence], *, window_hours: int) -> str:
    what = SPANS[kind].format(n=len(found), hours=window_hours)
    return (f"Between {long_day(found[0].day)} and {long_day(found[-1].day)} {what}; the latest were on "
            f"{days_text([o.day for o in found[-LATEST:]])}.")


def incident_sentence(code: str | None, label: str, day: date) -> str:
    """The sentence that prefills an incident: from its category and date only."""
    if code in INCIDENT_SENTENCES:
        return INCIDENT_SENTENCES[code].format(day=long_day(day))
    words = label.strip().rstrip(".") or "an incident"
    return f"On {long_day(day)}: {words[0].lower() + words[1:]}."


def communicated_sentence(told: Sequence[tuple[str, str, date]]) -> str:
    """(kind, channel, day) of each time the policy was communicated, oldest first: "I
    reminded you of the policy in person on 2 November 2026 and warned you by e-mail on 7
    November 2026." A long list keeps its first and latest three."""
    phrases = [" ".join(part for part in (COMMUNICATED.get(kind, "spoke to you about the policy"),
                                          HOW.get(channel, ""), f"on {long_day(day)}") if part)
               for kind, channel, day in told]
    if len(phrases) > LATEST + 1:
        phrases = [phrases[0], f"{len(phrases) - LATEST - 1} more times after that"] + phrases[-LATEST:]
    return f"I {and_list(phrases)}." if phrases else ""


def money_sentence(*, balance_cents: int, waived_cents: int, money: Callable[[int], str], how_to_pay: str) -> str:
    """What the client owes once the letter is issued, and how to pay it."""
    said = []
    if waived_cents > 0:
        said.append(f"The fees of {money(waived_cents)} for missed or late-cancelled appointments are waived.")
    owed = balance_cents - waived_cents
    if owed > 0:
        said.append(f"{money(owed)} is still owed for earlier sessions. {how_to_pay}".strip())
    elif owed < 0:
        said.append(f"You have {money(-owed)} in credit with the practice, which will be refunded to you.")
    else:
        said.append("You do not owe the practice anything.")
    return " ".join(said)
