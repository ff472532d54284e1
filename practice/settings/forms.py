from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from practice.forms import Form
from practice.settings.services import COMMON_CURRENCIES, PracticeDetails, timezone_names


class PracticeDetailsForm(Form):
    name = StringField("Practice name", validators=[InputRequired(), Length(max=200)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=1000)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    email = EmailField(
        "E-mail", validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    website = StringField("Website", validators=[Optional(), Length(max=200)])
    timezone = SelectField("Time zone", validators=[InputRequired()])
    currency = StringField(
        "Currency", validators=[InputRequired(), Length(min=3, max=3)],
        description="Three-letter code, e.g. " + ", ".join(COMMON_CURRENCIES[:7]) + ".",
    )
    phone_region = StringField(
        "Phone country", validators=[InputRequired(), Length(min=2, max=2)],
        description="Two-letter code (GB, IE, US, AU, ...): numbers written without a country "
        "code are read as this country's.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_names()

    def details(self):
        return PracticeDetails(
            name=self.name.data or "",
            address=self.address.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            website=self.website.data or "",
            timezone=self.timezone.data or "",
            currency=self.currency.data or "",
            phone_region=self.phone_region.data or "",
        )


class LogoForm(Form):
    logo = FileField("Logo (PNG or JPEG)", validators=[FileRequired("Choose an image file.")])


class TwoFactorRequiredForm(Form):
    require_two_factor = BooleanField(
        "Admins and practitioners sign in with a second factor",
        description="They set up an authenticator app the next time they sign in. "
        "The front desk may use one too, but is not asked to.",
    )
