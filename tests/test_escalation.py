"""The ladder's suggestions, from entries and communications (no database needed)."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from practice.conduct.escalation import suggest

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 25, 12, 0, tzinfo=timezone.utc)
POLICY = SimpleNamespace(
    escalate_late_arrivals=3, escalate_late_arrivals_days=90,
    escalate_no_shows=2, escalate_no_shows_days=365,
    escalate_late_cancellations=3, escalate_late_cancellations_days=90,
    escalate_unpaid=2, escalate_unpaid_days=180,
    escalate_boundary=2, escalate_boundary_days=90,
)
_ids = iter(range(1, 10_000))


def entry(kind, when, *, minutes=None, safety=False, category=None, corrects=None, withdrawn=False):
    return SimpleNamespace(
        id=next(_ids), kind=kind, occurred_from=when, minutes=minutes, safety=safety,
        category_label=category,
        corrects_id=corrects, withdrawn=withdrawn,
    )


def told(kind, when):
    return SimpleNamespace(kind=kind, occurred_at=when)


def day(month, number, hour=10):
    return datetime(2026, month, number, hour, tzinfo=LONDON).astimezone(timezone.utc)


def late(month, number, minutes):
    return entry("late_arrival", day(month, number), minutes=minutes)


def run(entries, communications=(), standing="active", now=NOW):
    return suggest(standing, list(entries), list(communications), POLICY, now, LONDON)


THREE_LATE = [late(5, 12, 25), late(6, 2, 30), late(6, 20, 15)]


def test_nothing_recorded_suggests_nothing():
    assert run([]) is None


def test_a_client_with_nothing_standing_is_not_judged_by_the_rules():
    """Most clients of a page have no entries (or only withdrawn ones): they stop before
    the policy's thresholds and windows are read, or the communications phrased."""
    class Unread:
        def __getattr__(self, name):
            raise AssertionError(f"read {name}")

    withdrawn = late(6, 2, 30)
    withdrawal = entry("late_arrival", withdrawn.occurred_from, corrects=withdrawn.id, withdrawn=True)
    for entries in ([], [withdrawn, withdrawal]):
        assert suggest("active", entries, [told("warning", day(6, 1))], Unread(), NOW, LONDON) is None


def test_a_first_late_arrival_suggests_keeping_an_eye_on_it():
    suggestion = run([late(6, 20, 15)])
    assert suggestion.step == "watch"
    assert suggestion.reasons == ("1 late arrival in 90 days: 20 Jun (15 min)", "policy not yet communicated")


def test_two_late_arrivals_stay_below_a_threshold_of_three():
    assert run(THREE_LATE[1:]).step == "watch"
    assert run(THREE_LATE[1:], standing="watch") is None


def test_three_late_arrivals_in_the_window_suggest_communicating_the_policy():
    suggestion = run(THREE_LATE, standing="watch")
    assert suggestion.step == "communicate"
    assert suggestion.reasons[0] == (
        "3 late arrivals in 90 days: 12 May (25 min), 2 Jun (30 min), 20 Jun (15 min)")


def test_the_window_edge_is_included_and_a_moment_before_it_is_not():
    edge = NOW - timedelta(days=90)
    inside = [entry("late_arrival", edge, minutes=20), late(6, 2, 30), late(6, 20, 15)]
    assert run(inside).step == "communicate"
    outside = [entry("late_arrival", edge - timedelta(seconds=1), minutes=20), late(6, 2, 30), late(6, 20, 15)]
    assert run(outside).step == "watch"
    assert run(outside).reasons[0].startswith("2 late arrivals in 90 days")


def test_breaches_after_a_policy_reminder_suggest_a_warning_naming_when_it_was_said():
    suggestion = run(THREE_LATE, [told("policy_reminder", day(6, 3))], standing="watch")
    assert suggestion.step == "warn"
    assert suggestion.reasons[-1] == "policy last communicated 3 Jun"


def test_no_breach_since_the_reminder_suggests_nothing_new():
    assert run(THREE_LATE, [told("policy_reminder", day(6, 21))], standing="watch") is None


@pytest.mark.parametrize("said, step", [("warning", "final_notice"), ("final_notice", "move_on")])
def test_each_rung_told_and_broken_again_leads_to_the_next(said, step):
    assert run(THREE_LATE, [told(said, day(6, 3))], standing="warned").step == step


def test_a_suggestion_at_or_below_the_current_standing_is_not_repeated():
    assert run(THREE_LATE, [told("policy_reminder", day(6, 3))], standing="warned") is None


def test_two_no_shows_in_twelve_months_reach_the_threshold():
    entries = [entry("no_show", day(1, 10)), entry("no_show", day(6, 1))]
    suggestion = run(entries, standing="watch")
    assert suggestion.step == "communicate"
    assert suggestion.reasons[0] == "2 no-shows in 365 days: 10 Jan, 1 Jun"


def test_unpaid_and_short_paid_sessions_count_together():
    entries = [entry("non_payment", day(5, 1)), entry("short_payment", day(6, 1))]
    assert run(entries).reasons[0] == "2 unpaid sessions in 180 days: 1 May, 1 Jun (paid short)"


def test_any_safety_entry_suggests_moving_on_at_once():
    entries = [entry("boundary", day(6, 24), safety=True, category="Stalking (following, watching)")]
    suggestion = run(entries)
    assert suggestion.step == "move_on"
    assert suggestion.reasons[0] == "Safety: 24 Jun (stalking (following, watching))"


def test_a_withdrawn_entry_no_longer_counts_and_a_correction_counts_once():
    first = late(6, 20, 15)
    withdrawn = entry("late_arrival", first.occurred_from, corrects=first.id, withdrawn=True)
    assert run([*THREE_LATE[:2], first, withdrawn]).reasons[0].startswith("2 late arrivals")
    corrected = entry("late_arrival", first.occurred_from, minutes=5, corrects=first.id)
    assert run([*THREE_LATE[:2], first, corrected]).reasons[0].endswith("20 Jun (5 min)")


def test_moved_on_and_declined_clients_get_no_suggestion():
    assert run(THREE_LATE, standing="moved_on") is None
    assert run(THREE_LATE, standing="declined") is None


def test_dates_from_another_year_carry_the_year():
    entries = [entry("no_show", datetime(2025, 12, 1, 10, tzinfo=timezone.utc)), entry("no_show", day(6, 1))]
    assert "1 Dec 2025" in run(entries).reasons[0]


def test_the_latest_of_several_corrections_is_the_one_that_counts():
    first = late(6, 20, 15)
    corrections = [entry("late_arrival", first.occurred_from, minutes=m, corrects=first.id) for m in (5, 12)]
    assert run([*THREE_LATE[:2], first, *corrections]).reasons[0] == (
        "3 late arrivals in 90 days: 12 May (25 min), 2 Jun (30 min), 20 Jun (12 min)")
