from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from practice.clients.models import STANDINGS
from practice.clients.services import IDENTITY_DECISIONS, NOTE_KINDS, ClientDetails
from practice.forms import DateField, Form


class ClientForm(Form):
    display_name = StringField(
        "Name", validators=[InputRequired(), Length(max=120)],
        description="What the practice calls the client. A first name or working alias is enough.",
    )
    legal_name = StringField("Legal name", validators=[Optional(), Length(max=200)])
    pronouns = StringField("Pronouns", validators=[Optional(), Length(max=40)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = EmailField("E-mail", validators=[Optional(), Length(max=254)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=1000)])
    date_of_birth = DateField("Date of birth", validators=[Optional()])
    primary_practitioner_id = SelectField("Practitioner", coerce=int, validators=[Optional()])
    referral_source = StringField(
        "Referred by", validators=[Optional(), Length(max=200)],
        description="Who sent the client to the practice, if anyone.",
    )

    def set_practitioners(self, practitioners) -> None:
        self.primary_practitioner_id.choices = [SelectChoice(0, "No one in particular")] + [
            SelectChoice(p.id, p.display_name) for p in practitioners
        ]

    def details(self) -> ClientDetails:
        return ClientDetails(
            display_name=self.display_name.data or "",
            legal_name=self.legal_name.data or "",
            pronouns=self.pronouns.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            address=self.address.data or "",
            date_of_birth=self.date_of_birth.data,
            primary_practitioner_id=self.primary_practitioner_id.data or None,
            referral_source=self.referral_source.data or "",
        )


class ImportUploadForm(Form):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])


class StandingForm(Form):
    standing = SelectField("New standing", choices=[SelectChoice(k, v) for k, v in STANDINGS.items()], validators=[InputRequired()])
    reason = TextAreaField(
        "Reason", validators=[InputRequired(), Length(max=4000)],
        description="Kept with the record. The front desk never sees it.",
    )


class PrivateNoteForm(Form):
    kind = SelectField("Kind", choices=[SelectChoice(k, v) for k, v in NOTE_KINDS.items()], validators=[InputRequired()])
    colleague = StringField(
        "Colleague consulted", validators=[Optional(), Length(max=200)],
        description="For a consultation: who you talked the case through with.",
    )
    body = TextAreaField("Note", validators=[InputRequired(), Length(max=20000)],
                         description="Only you will ever see this note.")


class GrantForm(Form):
    """Give a colleague access to the client's record."""

    practitioner_id = SelectField("Practitioner", coerce=int, validators=[InputRequired()])
    reason = TextAreaField(
        "Why they need access", validators=[InputRequired(), Length(max=1000)],
        description="For example: covering your clients while you are away. Kept with the access.",
    )

    def set_practitioners(self, practitioners) -> None:
        self.practitioner_id.choices = [SelectChoice(0, "Choose…")] + [
            SelectChoice(p.id, p.display_name) for p in practitioners
        ]


class IdentityForm(Form):
    """The decision about a record that matches a client who cannot be booked (one form per
    match on the page: prefixed with the matched client's id)."""

    def __init__(self, matched_id: int, **kwargs):
        super().__init__(prefix=f"identity{matched_id}", **kwargs)

    decision = SelectField("Decision", choices=[SelectChoice(k, v) for k, v in IDENTITY_DECISIONS.items()],
                           validators=[InputRequired()])
    reason = TextAreaField(
        "Reason", validators=[Optional(), Length(max=2000)],
        description="Needed for a different person: how you know. Kept with the decision.",
    )
