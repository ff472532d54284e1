from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from practice.auth.models import Role
from practice.forms import Form
from practice.settings.forms import PracticeDetailsForm

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class LoginForm(Form):
    email = EmailField("E-mail", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])


class PasswordFields:
    password = PasswordField(
        "Password", validators=[InputRequired(), Length(min=10, max=200)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class SetupForm(PracticeDetailsForm, PasswordFields):
    admin_name = StringField("Your name", validators=[InputRequired(), Length(max=120)])
    admin_email = EmailField(
        "Your e-mail", validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    sees_clients = BooleanField(
        "I also see clients (create my practitioner profile)", default=True
    )


class SetPasswordForm(Form, PasswordFields):
    pass


class NewUserForm(Form):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    email = EmailField(
        "E-mail", validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    credentials = StringField(
        "Credentials (practitioners)", validators=[Optional(), Length(max=200)],
        description="As signed on letters, e.g. RMT, Dip. Remedial Massage.",
    )
    password = PasswordField(
        "Password (optional)", validators=[Optional(), Length(min=10, max=200)],
        description="Leave empty to get an invitation link to send instead.",
    )


class EditUserForm(Form):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    credentials = StringField(
        "Credentials (practitioners)", validators=[Optional(), Length(max=200)]
    )


class ConfirmForm(Form):
    """A bare form: a button that posts with a CSRF token."""


class SecondFactorForm(Form):
    code = StringField(
        "Code", validators=[InputRequired(), Length(max=40)],
        description="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"},
    )


class ConfirmTwoFactorForm(Form):
    code = StringField(
        "Code from your app", validators=[InputRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class CurrentPasswordForm(Form):
    password = PasswordField("Your password", validators=[InputRequired(), Length(max=200)])


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[InputRequired(), Length(max=200)])
    password = PasswordField(
        "New password", validators=[InputRequired(), Length(min=10, max=200)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")],
    )

