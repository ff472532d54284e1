from wtforms import BooleanField, EmailField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from practice.forms import DateField, Form


class DayForm(Form):
    """The free times of a chosen day (a GET form: no token needed)."""

    class Meta:
        csrf = False

    day = DateField("Day", validators=[Optional()])


class _Honeypot:
    # A field people never see (hidden by CSS and from screen readers); programs that fill
    # every field fill it too, and get the usual answer while nothing is done.
    website = StringField("Leave this empty", validators=[Optional(), Length(max=200)],
                          render_kw={"tabindex": "-1", "autocomplete": "off"})


class HoldForm(_Honeypot, Form):
    name = StringField("Your name", validators=[InputRequired("Give your name."), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("E-mail", validators=[InputRequired("Give your e-mail address."), Length(max=254)],
                       description="We send a link there; your booking is made once you open it.",
                       render_kw={"autocomplete": "email"})
    phone = StringField("Phone", validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    note = TextAreaField("A note for the practitioner", validators=[Optional(), Length(max=1000)])
    reminders = BooleanField("Remind me by e-mail before my appointments")
    version = HiddenField()
    agree = BooleanField("I have read the practice's policy above")


class ConfirmForm(Form):
    pass


class CancelForm(Form):
    quoted = HiddenField()


class MoveForm(Form):
    minute = HiddenField()  # sent by the button of the time chosen


class InquiryForm(_Honeypot, Form):
    name = StringField("Your name", validators=[InputRequired("Give your name."), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("E-mail", validators=[InputRequired("Give your e-mail address."), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    phone = StringField("Phone", validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    need = TextAreaField("What you are looking for", validators=[Optional(), Length(max=2000)])
    preferred_times = StringField("When you are free", validators=[Optional(), Length(max=200)],
                                  description="For example: weekday evenings, Saturday mornings.")
    area = StringField("Where you live", validators=[Optional(), Length(max=120)],
                       description="A town or area is enough.")


class OnlineSettingsForm(Form):
    enabled = BooleanField("Clients may book online")
    min_notice_hours = IntegerField("Minimum notice, hours", validators=[
        InputRequired("Give the notice in hours."), NumberRange(0, 720, "Use 0 to 720 hours.")])
    days_ahead = IntegerField("How far ahead, days", validators=[
        InputRequired("Give how many days ahead."), NumberRange(1, 365, "Use 1 to 365 days.")])
    hold_minutes = IntegerField("Minutes to confirm by e-mail", validators=[
        InputRequired("Give the minutes."), NumberRange(5, 60, "Use 5 to 60 minutes.")],
        description="A time chosen online is held this long for the client to open the e-mailed link.")
