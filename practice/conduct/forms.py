from wtforms import (
    BooleanField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from practice.conduct.models import (
    CHANNELS,
    COMMUNICATION_CHANNELS,
    COMMUNICATION_KINDS,
    SEVERITIES,
    SYSTEM_COMMUNICATION_CHANNELS,
    SYSTEM_COMMUNICATION_KINDS,
)
from practice.forms import DateField, Form, LocalDateTimeField, options

WHEN_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _none_as_zero(value):
    return int(value) if value not in (None, "", "None") else 0


class IncidentForm(Form):
    category_id = SelectField("What kind of incident", coerce=_none_as_zero,
                              validators=[InputRequired("Choose what kind of incident this was.")])
    severity = SelectField("How serious", choices=options([("", "Choose…"), *SEVERITIES.items()]),
                           validators=[DataRequired("Choose how serious it was.")])
    safety = BooleanField("This is a safety matter (set for stalking, threats and violence)")
    occurred_from = LocalDateTimeField("When it happened", format=WHEN_FORMAT,
                                       validators=[InputRequired("Say when it happened.")])
    occurred_to = LocalDateTimeField("Until (if it went on for a while)", format=WHEN_FORMAT,
                                     validators=[Optional()])
    channel = SelectField("How", choices=options([("", "Choose…"), *CHANNELS.items()]),
                          validators=[DataRequired("Choose how it happened.")])
    location = StringField("Where", description="e.g. treatment room, car park, by text message")
    description = TextAreaField(
        "What happened", validators=[DataRequired("Describe what happened.")],
        description="The client's exact words where you can, in quotation marks.")
    response = TextAreaField("What you said or did")
    effect = TextAreaField("The effect on you", description="How it left you feeling is worth recording.")
    witnesses = TextAreaField("Witnesses")
    police_reference = StringField("Police or report reference")
    related_ids = SelectMultipleField("Related entries", coerce=int, validate_choice=True)
    attachments = MultipleFileField(
        "Evidence (screenshots, photos, saved messages)",
        description="PNG, JPEG, GIF or WebP images, PDF, plain text or .eml files; each up to the size limit.")

    def set_choices(self, categories, related) -> None:
        # Rendered as two groups by the template; the field checks against the flat list.
        self.category_groups = {
            "Boundaries": [(c.id, c.label) for c in categories if not c.safety],
            "Safety": [(c.id, c.label) for c in categories if c.safety],
        }
        self.category_safety = [c.id for c in categories if c.safety]
        self.category_id.choices = options([(0, "Choose…"), *((c.id, c.label) for c in categories)])
        self.related_ids.choices = options((entry.id, label) for entry, label in related)


class CorrectionForm(IncidentForm):
    reason = TextAreaField("What is corrected, and why",
                           validators=[DataRequired("Say what is corrected and why.")])
    withdrawn = BooleanField("The entry was recorded in error: withdraw it")


class AutomaticCorrectionForm(Form):
    reason = TextAreaField("What is corrected, and why",
                           validators=[DataRequired("Say what is corrected and why.")])
    withdrawn = BooleanField("The entry was recorded in error: withdraw it")
    attachments = MultipleFileField("Evidence (optional)")


class CommunicationForm(Form):
    occurred_at = LocalDateTimeField("When", format=WHEN_FORMAT,
                                     validators=[InputRequired("Say when it was.")])
    kind = SelectField("What it was", choices=options([("", "Choose…"), *(
                           (k, v) for k, v in COMMUNICATION_KINDS.items() if k not in SYSTEM_COMMUNICATION_KINDS)]),
                       validators=[DataRequired("Choose what it was.")])
    channel = SelectField("How", choices=options([("", "Choose…"), *(
                              (k, v) for k, v in COMMUNICATION_CHANNELS.items() if k not in SYSTEM_COMMUNICATION_CHANNELS)]),
                          validators=[DataRequired("Choose how it was said or sent.")])
    summary = TextAreaField("What was said or sent",
                            validators=[DataRequired("Write down what was said or sent.")],
                            description="The points made, in plain words: later letters quote these dates.")


class CategoryForm(Form):
    label = StringField("New category", validators=[DataRequired("Name the category.")])
    safety = BooleanField("A safety matter (entries in it are safety entries)")


class EvidenceForm(Form):
    """The evidence report's period: whole days, either end may be left open."""

    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
