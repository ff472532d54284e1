from wtforms import BooleanField, EmailField, HiddenField, StringField, TimeField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from practice.forms import Form


class MessageSettingsForm(Form):
    confirmations = BooleanField(
        "Confirm bookings, moves and cancellations by e-mail",
        description="Sent at once, with the appointment as a calendar file, to clients who agreed to confirmations.")
    reminder_hours = StringField(
        "Reminders, hours before the appointment", validators=[Length(max=60)],
        description="Whole hours separated by commas, for example 48, 2. Leave empty for no reminders.")
    quiet_from = TimeField("Quiet hours from", validators=[Optional()], format="%H:%M")
    quiet_until = TimeField("until", validators=[Optional()], format="%H:%M",
                            description="No reminder is sent in between (the practice's time); one that "
                                        "falls due then waits for the end of the quiet hours. Leave both empty for none.")


class TestMessageForm(Form):
    to = EmailField("Send a test message to", validators=[
        InputRequired("Give the address to send it to."), Email(check_deliverability=False), Length(max=254)])


class ConsentForm(Form):
    confirmations = BooleanField("Confirmations of bookings, moves and cancellations")
    reminders = BooleanField("Reminders before appointments")


class AcknowledgeForm(Form):
    version = HiddenField()
    agree = BooleanField("I have read the practice's policy",
                         validators=[DataRequired("Tick the box to say you have read the policy.")])
