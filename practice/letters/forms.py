from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from practice.forms import DateField, Form, options
from practice.letters.models import CHANNELS, KINDS, PAGE_SIZES


def _id_or_zero(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


class ComposeForm(Form):
    author_id = SelectField("Signed by", coerce=_id_or_zero, validate_choice=False)
    channel = SelectField("Sent by", choices=options(CHANNELS.items()))
    specialist_id = SelectField("Colleague to introduce", coerce=_id_or_zero, validate_choice=False)
    modality_ids = SelectMultipleField("What the client needs", coerce=_id_or_zero, validate_choice=False)
    need = StringField("In a few words", validators=[Optional(), Length(max=500)],
                       description="e.g. \"deeper pressure than I work with\"")
    follow_up_on = DateField("Follow up on", validators=[Optional()],
                             description="When to ask whether it was a good match (two weeks if left empty).")
    effective_date = DateField("Effective from", validators=[Optional()],
                               description="From this day the client is not seen; booked appointments from then on are cancelled without fees.")
    policy_dates = TextAreaField("When the policy was communicated", validators=[Optional(), Length(max=5000)],
                                 description="One a line, e.g. \"2 November 2026, in person\".")
    breaches = TextAreaField("Other facts to give", validators=[Optional(), Length(max=5000)],
                             description="Sentences of your own, one a line, with the date.")
    colleagues = TextAreaField("Colleagues to suggest", validators=[Optional(), Length(max=5000)],
                               description="One a line: name, what they do, how to reach them.")
    money = SelectField("Money", choices=options([("owed", "Say what is owed and how to pay"),
                                                   ("waive", "Waive the unpaid fees of missed or late-cancelled sessions")]),
                        validate_choice=False)
    offer_id = SelectField("Offer an appointment with", coerce=_id_or_zero, validate_choice=False,
                           description="A colleague in the practice with room for what they asked for: "
                                       "the reply proposes them first.")
    body = TextAreaField("The letter", validators=[Optional(), Length(max=20_000)],
                         description="Plain paragraphs separated by a blank line; lines starting with \"- \" make a list.")
    confirm = BooleanField("I have read what issuing will do, and I want to issue this letter")


class TemplateForm(Form):
    text = TextAreaField("Text", validators=[Optional(), Length(max=20_000)])


class SettingsForm(Form):
    page_size = SelectField("Paper size", choices=options(PAGE_SIZES.items()))
    how_to_pay = TextAreaField("How to pay a balance", validators=[Optional(), Length(max=1000)],
                               description="What a letter ending a relationship says after the amount owed, e.g. "
                                           "\"Please pay by bank transfer to Linden Yard Massage, sort code 12-34-56, "
                                           "account 12345678, or by card at the desk.\" Left empty, it asks the "
                                           "client to contact the practice.")


class RegisterFilterForm(Form):
    class Meta:
        csrf = False

    kind = SelectField("Kind", choices=options([("", "Any kind"), *KINDS.items()]), validate_choice=False)
    author = SelectField("Practitioner", coerce=_id_or_zero, validate_choice=False)
    start = DateField("From", validators=[Optional()])
    end = DateField("Until", validators=[Optional()])


class BatchForm(Form):
    inquiry_ids = SelectMultipleField("Inquiries", coerce=_id_or_zero, validate_choice=False)
    author_id = SelectField("Signed by", coerce=_id_or_zero, validate_choice=False)
    channel = SelectField("Sent by", choices=options(CHANNELS.items()))
    confirm = BooleanField("I have read each reply and what issuing it will do, and I want to issue them")
