from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

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


class QuickIncidentForm(Form):
    """'Record what happened' while it is fresh; the full form has every field."""

    client_id = SelectField("Client", coerce=int,
                            validators=[InputRequired("Choose the client.")])
    category_id = SelectField("What kind of incident", coerce=int,
                              validators=[InputRequired("Choose what kind of incident this was.")])
    severity = SelectField("How serious",
                           choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in SEVERITIES.items()])
    channel = SelectField("How",
                          choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in CHANNELS.items()])
    description = TextAreaField("What happened", validators=[Length(max=20000)],
                                description="In the client's exact words where you can.")
    response = TextAreaField("What you said or did", validators=[Optional(), Length(max=20000)])
