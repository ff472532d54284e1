from wtforms import BooleanField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from practice.forms import DateField, Form
from practice.policies.models import STAFF_METHODS


def _number(label: str, description: str = "") -> IntegerField:
    # Ranges are the service's rule (publish_policy), so the message names the same limits.
    return IntegerField(label, validators=[InputRequired("Enter a whole number.")], description=description)


class PolicyForm(Form):
    """A new version, pre-filled from the latest one."""

    effective_from = DateField("In force from", validators=[InputRequired("Choose the day it takes effect.")],
                               description="A day in the practice's time zone: today or later.")
    late_grace_minutes = _number("Grace for late arrival (minutes)")
    session_ends_on_time = BooleanField("A late arrival's session still ends on time")
    cancellation_window_hours = _number("Cancellation window (hours)")
    late_cancel_fee_percent = _number("Late cancellation fee (% of the price)")
    no_show_fee_percent = _number("No-show fee (% of the price)")
    escalate_late_arrivals = _number("Late arrivals")
    escalate_late_arrivals_days = _number("within (days)")
    escalate_no_shows = _number("No-shows")
    escalate_no_shows_days = _number("within (days)")
    escalate_late_cancellations = _number("Late cancellations")
    escalate_late_cancellations_days = _number("within (days)")
    escalate_unpaid = _number("Unpaid or short-paid sessions")
    escalate_unpaid_days = _number("within (days)")
    escalate_boundary = _number("Boundary incidents")
    escalate_boundary_days = _number("within (days)")


# The written clauses come as parallel lists (clause_topic, clause_text), one pair a clause:
# read by policies.views.posted_clauses, checked by the service.
BLANK_CLAUSES = 3  # empty rows offered below the clauses, to add new ones


class TopicsForm(Form):
    """The topics of the clauses in force (posted as topic-<clause id>)."""


# The escalation thresholds in pairs (count, window) as the page lays them out.
THRESHOLDS = ("late_arrivals", "no_shows", "late_cancellations", "unpaid", "boundary")


class AcknowledgementForm(Form):
    policy_id = HiddenField()
    method = SelectField("How", choices=[SelectChoice(k, v) for k, v in STAFF_METHODS.items()],
                         validators=[InputRequired("Choose how the client acknowledged it.")])
    on = DateField("On", validators=[InputRequired("Write the date, e.g. 2026-11-23.")])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)],
                         description="Optional, e.g. where the signed form is kept.")
