"""Automatic conduct entries from the schedule's events (practice.scheduling.signals).

Connected by the app factory (so in the app, the tests and the demo alike; connecting again
changes nothing). The events are sent inside
the action's unit of work: each entry is added and flushed in the appointment's own session,
so the check-in and its late-arrival entry are committed together or not at all. Each
breach is linked to its appointment and the policy version in force; a repeated event
records nothing new."""

from sqlalchemy.orm import object_session

from practice.conduct import services
from practice.money import practice_money
from practice.scheduling import signals
from practice.scheduling.services import amount_due
from practice.settings.services import get_practice


def on_checked_in(appointment, facts: dict) -> None:
    if not facts["late_beyond_grace"]:
        return
    services.record_automatic(
        object_session(appointment), kind="late_arrival", client_id=facts["client_id"],
        appointment_id=facts["appointment_id"], occurred_from=facts["start_at"],
        occurred_to=facts["arrived_at"], minutes=facts["late_minutes"],
        note=f"Grace period {facts['grace_minutes']} minutes; the session "
             + ("still ended on time." if facts["session_ends_on_time"] else "ran on."),
        now=facts["recorded_at"],
    )


def on_no_show(appointment, facts: dict) -> None:
    services.record_automatic(
        object_session(appointment), kind="no_show", client_id=facts["client_id"],
        appointment_id=facts["appointment_id"], occurred_from=facts["start_at"],
        occurred_to=facts["end_at"], amount_cents=facts["fee_cents"], now=facts["recorded_at"],
    )


def on_cancelled(appointment, facts: dict) -> None:
    if not facts["late"]:
        return
    hours = facts["hours_before_start"]
    services.record_automatic(
        object_session(appointment), kind="late_cancellation", client_id=facts["client_id"],
        appointment_id=facts["appointment_id"], occurred_from=facts["cancelled_at"],
        amount_cents=facts["fee_cents"],
        note=f"Cancelled {max(hours, 0):.1f} hours before the start (window "
             f"{facts['window_hours']} hours). Reason given: {facts['reason']}",
        now=facts["recorded_at"],
    )


def on_left_unpaid(appointment, facts: dict) -> None:
    due = amount_due(appointment)
    paid = due - facts["unpaid_cents"]
    profile = get_practice(object_session(appointment))
    services.record_automatic(
        object_session(appointment), kind="non_payment" if paid <= 0 else "short_payment",
        client_id=facts["client_id"], appointment_id=facts["appointment_id"],
        occurred_from=facts["end_at"], amount_cents=facts["unpaid_cents"],
        note=f"Due {practice_money(profile, due)}, paid {practice_money(profile, max(paid, 0))}.", now=facts["recorded_at"],
    )


def on_fee_waived(appointment, facts: dict) -> None:
    moment = facts["recorded_at"]
    services.record_automatic(
        object_session(appointment), kind="fee_waived", client_id=facts["client_id"],
        appointment_id=facts["appointment_id"], occurred_from=moment,
        amount_cents=facts["fee_cents"], note=facts["reason"], now=moment,
    )


# What undoing each status withdraws: the breach it recorded, and a waiver of its fee.
WITHDRAWN_BY_UNDO = {
    "arrived": ("late_arrival",),
    "no_show": ("no_show", "fee_waived"),
    "late_cancelled": ("late_cancellation", "fee_waived"),
    "cancelled": (),
}
UNDONE_WORDS = {"arrived": "check-in", "no_show": "no-show", "late_cancelled": "late cancellation",
                "cancelled": "cancellation"}


def on_undone(appointment, facts: dict) -> None:
    kinds = WITHDRAWN_BY_UNDO[facts["undone"]]
    if not kinds:
        return
    services.withdraw_automatic(
        object_session(appointment), facts["undone_by"], appointment_id=facts["appointment_id"],
        kinds=kinds, now=facts["recorded_at"],
        reason=f"The {UNDONE_WORDS[facts['undone']]} was undone. Reason given: {facts['reason']}",
    )


def connect() -> None:
    signals.appointment_checked_in.connect(on_checked_in)
    signals.appointment_no_show.connect(on_no_show)
    signals.appointment_cancelled.connect(on_cancelled)
    signals.appointment_left_unpaid.connect(on_left_unpaid)
    signals.fee_waived.connect(on_fee_waived)
    signals.appointment_undone.connect(on_undone)
