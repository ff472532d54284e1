from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NoneOf, NumberRange, Optional

from practice.clients.services import ClientDetails
from practice.forms import DateField, Form, LocalTimeField
from practice.scheduling.services import MAX_REPEATS, PAYMENT_METHODS

REPEATS = [SelectChoice(0, "Does not repeat"), SelectChoice(1, "Every week"),
           *(SelectChoice(n, f"Every {n} weeks") for n in range(2, 5))]


class BookingForm(Form):
    # The client picker (templates/practice/clients/_picker.html): the chosen client's id (in
    # a hidden input the picker writes itself), and the text typed to find one. Nothing is
    # chosen until someone chooses.
    client_id = StringField("Client", validators=[Optional(), Length(max=20)])
    client_q = StringField("Find a client", validators=[Optional(), Length(max=200)])
    # A new client, added with the booking (the client form's checks apply).
    new_client_name = StringField("Name", validators=[Optional(), Length(max=120)],
                                  description="A first name or working alias is enough.")
    new_client_phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    new_client_email = EmailField("E-mail", validators=[Optional(), Length(max=254)])
    new_client_date_of_birth = DateField("Date of birth", validators=[Optional()])
    new_client_different = BooleanField("This is a different person: add them anyway")
    practitioner_id = SelectField("Practitioner", coerce=int,
                                  validators=[InputRequired(), NoneOf([0], "Choose a practitioner.")])
    service_id = SelectField("Service", coerce=int, validators=[InputRequired(), NoneOf([0], "Choose a service.")])
    day = DateField("Date", validators=[InputRequired()])
    start = LocalTimeField("Start", validators=[InputRequired()],
                           description="Or choose one of the free starts below the form.")
    repeat = SelectField("Repeat", coerce=int, choices=REPEATS, default=0, validators=[Optional()])
    times = IntegerField("How many times in all", default=6, validators=[Optional(), NumberRange(2, MAX_REPEATS)])
    notes = TextAreaField("Note for the practitioner", validators=[Optional(), Length(max=1000)])
    override_reason = TextAreaField(
        "Why book this client anyway", validators=[Optional(), Length(max=1000)],
        description="This client's standing says they cannot be booked. The reason is kept in the audit trail.")

    def new_client_details(self) -> ClientDetails | None:
        if not (self.new_client_name.data or "").strip():
            return None
        return ClientDetails(display_name=self.new_client_name.data or "", phone=self.new_client_phone.data or "",
                             email=self.new_client_email.data or "",
                             date_of_birth=self.new_client_date_of_birth.data)


class RescheduleForm(Form):
    day = DateField("New date", validators=[InputRequired()])
    start = LocalTimeField("New start", validators=[InputRequired()])


class CheckInForm(Form):
    arrived = LocalTimeField("Arrived at", validators=[Optional()],
                        description="Leave empty for now.")


# The cancel page's reasons, in the desk's neutral words: anyone at the desk may read them
# back. Anything else is written in `other`.
CANCEL_REASONS = ("Client unwell", "Client cannot make it", "Client asked to move it", "Practitioner unavailable",
                  "Travel or weather")
OTHER_REASON = "other"


class CancelForm(Form):
    reason = StringField("Reason for cancelling", validators=[Optional(), Length(max=500)])
    other = StringField("In your own words", validators=[Optional(), Length(max=500)])

    def chosen_reason(self) -> str:
        """The reason picked, or the one written (with "something else" picked, or nothing)."""
        reason = (self.reason.data or "").strip()
        return (self.other.data or "").strip() if reason in (OTHER_REASON, "") else reason

    def validate(self, extra_validators=None) -> bool:
        """A reason is needed: picked, or written when "something else" (or nothing) is picked."""
        valid = super().validate(extra_validators)
        if self.chosen_reason():
            return valid
        if self.reason.data == OTHER_REASON:
            self.other.errors = [*self.other.errors, "Write the reason."]
        else:
            self.reason.errors = [*self.reason.errors, "Choose a reason, or write one."]
        return False


class UndoForm(Form):
    # Its own id: the appointment page also has the cancel form's "reason".
    reason = StringField("Why undo it", id="undo-reason", validators=[InputRequired(), Length(max=500)],
                         description="e.g. 'the client arrived after all'. Kept with the appointment's history.")


class WaiveForm(Form):
    reason = StringField("Reason for waiving", id="waive-reason", validators=[InputRequired(), Length(max=500)])


class PaymentForm(Form):
    amount = StringField("Amount", validators=[InputRequired(), Length(max=20)])
    method = SelectField("Method", choices=[SelectChoice(k, v) for k, v in PAYMENT_METHODS.items()])
    paid_on = DateField("Paid on", validators=[Optional()], description="Leave empty for today.")


class CalendarSettingsForm(Form):
    feed_shows_names = BooleanField("Calendar feeds show clients' names (otherwise initials)")
    save = HiddenField(default="1")  # tells this form's POST from the service form's


class ServiceForm(Form):
    name = StringField("Service", validators=[InputRequired(), Length(max=120)])
    duration_minutes = IntegerField("Minutes", validators=[InputRequired(), NumberRange(5, 480)])
    price = StringField("Price", validators=[InputRequired(), Length(max=20)])
    buffer_after_minutes = IntegerField("Buffer after (minutes)", default=0, validators=[Optional(), NumberRange(0, 240)])
    specialty_ids = SelectMultipleField(
        "Specialties it covers", coerce=int, validators=[Optional()],
        description="What a client who booked it may need from a colleague (the referral network's "
                    "specialties). Hold Ctrl (or ⌘) to choose several.")

    def set_specialties(self, modalities) -> None:
        self.specialty_ids.choices = [SelectChoice(m.id, m.name) for m in modalities]


class HoursForm(Form):
    """The schedule's limits. The weekly ranges are pairs of time fields per weekday, as many
    as the day has (`typed_week` reads them)."""

    buffer_minutes = IntegerField("Buffer after every session (minutes)", default=0, validators=[Optional(), NumberRange(0, 240)])
    max_sessions_per_day = IntegerField("Most sessions a day", validators=[Optional(), NumberRange(1, 30)],
                                        description="Leave empty for no limit.")
    min_notice_hours = IntegerField("Minimum notice for a booking (hours)", default=0, validators=[Optional(), NumberRange(0, 336)])


MAX_RANGES_A_DAY = 12


def typed_week(values) -> dict[int, list[tuple[str, str]]]:
    """Each weekday's ranges as typed in the hours form: the fields day<N>-start and
    day<N>-end, repeated once per range, in order (NUL characters dropped, as for every field)."""
    def typed(name: str) -> list[str]:
        return [value.replace("\x00", "")[:20] for value in values.getlist(name)][:MAX_RANGES_A_DAY]

    return {day: list(zip(typed(f"day{day}-start"), typed(f"day{day}-end"), strict=False)) for day in range(7)}


class CalendarImportForm(Form):
    file = FileField("Calendar file (.ics)", validators=[FileRequired("Choose an .ics file.")],
                     description="Export it from Google, Apple, Outlook or Thunderbird. Only the busy "
                     "times are kept, never what the events are.")


class TimeOffForm(Form):
    start_day = DateField("From", validators=[InputRequired()])
    start_time = LocalTimeField("at", validators=[InputRequired()])
    end_day = DateField("Until", validators=[InputRequired()])
    end_time = LocalTimeField("at", validators=[InputRequired()])
    reason = StringField("Note (seen by admins only)", validators=[Optional(), Length(max=200)])
