from markupsafe import Markup, escape
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import Select, html_params

from practice.conduct.models import CHANNELS, SEVERITIES
from practice.forms import DateField, Form


class ReviewDayForm(Form):
    """Which day and whose: read from the query string."""

    class Meta:
        csrf = False

    day = DateField("Day", validators=[Optional()])
    # Who may be chosen is the permission check's business (a 403), not the form's.
    practitioner = SelectField("Practitioner", coerce=int, validate_choice=False, validators=[Optional()])


class MarkReviewedForm(Form):
    practitioner_id = HiddenField(validators=[InputRequired()])
    day = HiddenField(validators=[InputRequired()])


class PlainSelect(Select):
    """WTForms' select, the same bytes, with its options written in one pass: WTForms
    builds a Choice for each option and its attributes through `html_params` and a Markup
    format, which for the quick form's few dozen options took a third of writing the
    review page. For choices given as SelectChoice (practice.forms.options), without
    groups or attributes of their own, as the quick form's are."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, None):
                kwargs[flag] = getattr(field.flags, flag)
        coerce, data = field.coerce, field.data
        options = "".join(
            f'<option {"selected " if coerce(choice.value) == data else ""}value="{_attribute(choice.value)}">'
            f"{escape(choice.label or choice.value)}</option>"
            for choice in field.choices)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def _attribute(value) -> Markup:
    """A value as html_params writes it between double quotes (escape writes `"` as &#34;)."""
    return escape(str(value) if isinstance(value, bool) else value)


class QuickIncidentForm(Form):
    """'Record what happened' while it is fresh; the full form has every field."""

    client_id = SelectField("Client", coerce=int, widget=PlainSelect(),
                            validators=[InputRequired("Choose the client.")])
    category_id = SelectField("What kind of incident", coerce=int, widget=PlainSelect(),
                              validators=[InputRequired("Choose what kind of incident this was.")])
    severity = SelectField("How serious", widget=PlainSelect(),
                           choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in SEVERITIES.items()])
    channel = SelectField("How", widget=PlainSelect(),
                          choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in CHANNELS.items()])
    description = TextAreaField("What happened", validators=[Length(max=20000)],
                                description="In the client's exact words where you can.")
    response = TextAreaField("What you said or did", validators=[Optional(), Length(max=20000)])
