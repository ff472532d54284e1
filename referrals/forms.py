from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from practice.forms import DateField, Form
from referrals.models import CLOSING_OUTCOMES, OUTCOME_LABELS, InquiryStatus
from referrals.services import InquiryDetails, SpecialistDetails

ACCEPTING_CHOICES = [SelectChoice("yes", "Yes"), SelectChoice("no", "No"), SelectChoice("unknown", "Not known")]


def _modality_choices(field, modalities) -> None:
    field.choices = [SelectChoice(m.id, m.name) for m in modalities]


class SpecialistForm(Form):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    business = StringField("Business or clinic", validators=[Optional(), Length(max=200)])
    profession = StringField("Profession", validators=[Optional(), Length(max=120)],
                             description="e.g. Physiotherapist, Remedial massage therapist")
    modality_ids = SelectMultipleField("Modalities and specialties", coerce=int, validators=[Optional()],
                                       description="Hold Ctrl (or ⌘) to choose several.")
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = EmailField("E-mail", validators=[Optional(), Length(max=254)])
    website = StringField("Website", validators=[Optional(), Length(max=200)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=1000)])
    area = StringField("Area", validators=[Optional(), Length(max=120)],
                       description="The part of town, e.g. Headingley.")
    languages = StringField("Languages", validators=[Optional(), Length(max=200)],
                            description="Separated by commas, e.g. English, Polish.")
    accessibility = TextAreaField("Accessibility", validators=[Optional(), Length(max=2000)])
    fees = TextAreaField("Fees", validators=[Optional(), Length(max=2000)])
    accepting = SelectField("Accepting new clients", choices=ACCEPTING_CHOICES, default="unknown")
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

    def set_modalities(self, modalities) -> None:
        _modality_choices(self.modality_ids, modalities)

    def details(self) -> SpecialistDetails:
        return SpecialistDetails(
            **{name: getattr(self, name).data or "" for name in (
                "name", "business", "profession", "phone", "email", "website", "address", "area",
                "languages", "accessibility", "fees", "notes")},
            accepting=self.accepting.data or "unknown", modality_ids=list(self.modality_ids.data or []),
        )


class VerifyForm(Form):
    accepting = SelectField("Accepting new clients now?", choices=[SelectChoice("", "No change"), *ACCEPTING_CHOICES],
                            validators=[Optional()])


class RetireForm(Form):
    restore = StringField(validators=[Optional()])


class ModalityForm(Form):
    name = StringField("New modality or specialty", validators=[InputRequired(), Length(max=80)])


class MatchForm(Form):
    """The need, read from the query string (GET): no CSRF token."""

    class Meta:
        csrf = False

    client = IntegerField("Client", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    who = StringField("Client (to record a referral)", validators=[Optional(), Length(max=100)],
                      description="Type part of their name to choose them.")
    modality = SelectMultipleField("Modalities needed", coerce=int, validators=[Optional()])
    area = StringField("Area", validators=[Optional(), Length(max=120)])
    language = StringField("Language", validators=[Optional(), Length(max=60)])

    def set_modalities(self, modalities) -> None:
        _modality_choices(self.modality, modalities)


class ReferForm(Form):
    """Recorded for the client chosen on the match page (a hidden field: no list of clients)."""

    client_id = IntegerField("Client", validators=[InputRequired(), NumberRange(min=0, max=2**31 - 1)])
    specialist_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    modality_ids = SelectMultipleField("Need", coerce=int, validators=[Optional()])
    need = TextAreaField("What the client needs", validators=[Optional(), Length(max=2000)])
    follow_up_on = DateField("Follow up on", validators=[Optional()],
                             description="Two weeks from today unless you choose another day.")

    def set_modalities(self, modalities) -> None:
        _modality_choices(self.modality_ids, modalities)


class OutcomeForm(Form):
    outcome = SelectField("Outcome", choices=[SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])
    follow_up_on = DateField("Follow up again on", validators=[Optional()],
                             description="Only when still waiting to hear.")


class SourceForm(Form):
    specialist_id = SelectField("A specialist in the directory", coerce=int, validators=[Optional()])
    source = StringField("Or another source", validators=[Optional(), Length(max=200)],
                         description="e.g. a GP, a friend, a website.")

    def set_specialists(self, specialists) -> None:
        self.specialist_id.choices = [SelectChoice(0, "None of these")] + [
            SelectChoice(s.id, s.name) for s in specialists]


class InquiryForm(Form):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = EmailField("E-mail", validators=[Optional(), Length(max=254)])
    modality_ids = SelectMultipleField("Looking for", validators=[Optional()],
                                       description="A service of the practice, and any specialties.")
    need = TextAreaField("What they are looking for, in their words", validators=[Optional(), Length(max=2000)])
    preferred_times = StringField("Preferred times", validators=[Optional(), Length(max=200)])
    area = StringField("Where they live (area)", validators=[Optional(), Length(max=120)],
                       description="An area, a postcode or both, e.g. \"Roundhay, LS8\": colleagues nearest to it are listed first.")
    practitioner_id = SelectField("Practitioner wanted", coerce=int, validators=[Optional()])

    def set_choices(self, practitioners, modalities, services=()) -> None:
        """`services`: the host's own (id, name) pairs, listed first under "At this practice"."""
        self.practitioner_id.choices = [SelectChoice(0, "Anyone")] + [
            SelectChoice(p.id, p.name) for p in practitioners]
        specialties = [(str(m.id), m.name) for m in modalities]
        self.modality_ids.choices = ({"At this practice": [(f"service-{i}", name) for i, name in services],
                                      "Specialties": specialties} if services else specialties)

    def validate_modality_ids(self, field) -> None:
        if len([v for v in field.data or [] if v.startswith("service-")]) > 1:
            raise ValidationError("Choose one of the practice's services (and any specialties).")

    def details(self) -> InquiryDetails:
        chosen = self.modality_ids.data or []
        services = [int(v.removeprefix("service-")) for v in chosen if v.startswith("service-")]
        return InquiryDetails(
            name=self.name.data or "", phone=self.phone.data or "", email=self.email.data or "",
            need=self.need.data or "", preferred_times=self.preferred_times.data or "",
            area=self.area.data or "", practitioner_id=self.practitioner_id.data or None,
            modality_ids=[int(v) for v in chosen if v.isdigit()], service_id=services[0] if services else None,
        )


class CloseInquiryForm(Form):
    outcome = SelectField("How it ended", choices=[SelectChoice(value, InquiryStatus(value).label) for value in CLOSING_OUTCOMES])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


class CapacityForm(Form):
    accepting_new_clients = BooleanField("Accepting new clients")
    max_active_clients = IntegerField("Most active clients at a time", validators=[
        Optional(), NumberRange(min=0, max=10_000)], description="Leave empty for no limit.")


class ImportUploadForm(Form):
    file = FileField("CSV or vCard file", validators=[FileRequired("Choose a CSV or vCard (.vcf) file.")])


class ImportConfirmForm(Form):
    content = TextAreaField(validators=[InputRequired()])


