"""The shortcuts of the e-mail and phone checks give the libraries' own verdicts and normal
forms: compared over many generated values, the awkward ones included. The forms' select
writes WTForms' own HTML."""

import random

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email

from practice import phones, validation
from practice.errors import DomainError

# Pieces that generated addresses are made of: mostly the plain shape's, and now and then
# what makes the validator refuse or rewrite an address (dots and hyphens in the wrong
# places, "xn--" and "ab--" labels, special-use and numeric top-level domains, labels and
# addresses just over their limits, upper case, characters outside ASCII, the Kelvin sign
# that a careless case-insensitive [a-z] accepts, quotes, spaces, display names).
PLAIN_LOCAL = ["a", "Z", "q", "0", "9", "_", "+", "-", ".", "info", "Postmaster"]
AWKWARD_LOCAL = ["..", "x" * 64, "é", "ß", "\u212a", '"', " ", "!", "#", "%", "<", ">", "(", "\u0301", "\u00a0", "ａ"]
PLAIN_DOMAIN = ["example", "Mail", "a", "b1", "-", ".", "com", "NET", "co.uk", "0"]
AWKWARD_DOMAIN = ["..", "--", "xn--", "xn--bcher-kva", "ab--cd", "test", "local", "localhost", "onion", "arpa",
                  "invalid", "123", "a" * 63, "a" * 64, "münchen", "\u212a", "ＣＯＭ", "_", "[127.0.0.1]", " ", "ẞ"]


def _validator(raw: str) -> str | None:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _generated_addresses(count: int) -> list[str]:
    rng = random.Random(13)
    addresses = []
    def piece(plain: list[str], awkward: list[str]) -> str:
        return rng.choice(awkward if rng.random() < 0.08 else plain)

    for _ in range(count):
        local = "".join(piece(PLAIN_LOCAL, AWKWARD_LOCAL) for _ in range(rng.randint(1, 4)))
        domain = ".".join("".join(piece(PLAIN_DOMAIN, AWKWARD_DOMAIN) for _ in range(rng.randint(1, 2)))
                          for _ in range(rng.randint(1, 4)))
        at = rng.choice(["@"] * 20 + ["@@", "", "＠"])
        addresses.append(local + at + domain)
    # Plain ones around the length limits: 254 characters in all, 63 and 64 in a label.
    for length in (252, 253, 254, 255):
        addresses.append("a" * (length - len("@example.com")) + "@example.com")
    addresses += [f"{'b' * 40}@{'c' * 63}.{'d' * 63}.{'e' * 63}.{'f' * extra}" for extra in (1, 20, 21, 60)]
    return addresses


AWKWARD_ADDRESSES = [
    "sam@example.org", "Sam.Jones+massage@Example.CO.UK", "sam@localhost", "sam@example.test", "sam@mail.local",
    "sam@x.onion", "sam@1.2.3.4.in-addr.arpa", "sam@example.invalid", "sam@example", "sam@example.123",
    "sam@example.c0m", "sam@ab--cd.com", "sam@xn--bcher-kva.de", "sam@xn--invalid.de", "sam@-example.com",
    "sam@example-.com", "sam@exa_mple.com", ".sam@example.com", "sam.@example.com", "s..am@example.com",
    "sam@example..com", "info@example.com", "INFO@EXAMPLE.COM", "sam@[127.0.0.1]", '"sam"@example.com',
    "Sam <sam@example.com>", "sam@example.com ", "sam@\u212aelvin.com", "\u212a@example.com", "sam@example.com.",
    "sam@münchen.de", "zoë@example.com", "sam@exam\u00adple.com", "sam@EXAMPLE.ＣＯＭ", "a@b.cd", "_@-.a",
    "+@a.b", "-@a.bc", f"{'x' * 64}@example.com", f"{'x' * 65}@example.com", f"sam@{'a' * 63}.com",
    f"sam@{'a' * 64}.com",
]


def test_plain_addresses_get_the_validators_own_verdict_and_normal_form():
    addresses = AWKWARD_ADDRESSES + _generated_addresses(20_000)
    plain = 0
    for raw in addresses:
        shortcut = validation.plain_email(raw)
        if shortcut is not None:
            plain += 1
            assert shortcut == _validator(raw), raw
        try:
            checked = validation.checked_email(raw)
        except DomainError:
            checked = None
        assert checked == (_validator(raw.strip()) if raw.strip() else ""), raw
    assert plain > 1_000  # the comparison covered the shortcut, not only the validator


def test_the_shortcut_takes_the_common_addresses_and_leaves_the_rest():
    assert validation.plain_email("Sam.Jones+massage@Example.CO.UK") == "sam.jones+massage@example.co.uk"
    for raw in ("sam@example.test", "zoë@example.com", "sam@xn--bcher-kva.de", "sam@\u212aelvin.com",
                f"sam@{'a' * 64}.com", "a" * 243 + "@example.com"):
        assert validation.plain_email(raw) is None, raw


def _generated_numbers(count: int) -> list[phonenumbers.PhoneNumber]:
    """Every region's example numbers of every type, each with digits changed, added and
    taken away, and random digits after every country code."""
    rng = random.Random(13)
    examples = [phonenumbers.example_number_for_type(region, kind) for region in phonenumbers.SUPPORTED_REGIONS
                for kind in range(11)]  # every PhoneNumberType but UNKNOWN
    examples += [phonenumbers.example_number_for_non_geo_entity(code)
                 for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS]
    numbers = [number for number in examples if number is not None]
    for number in list(numbers):
        digits = str(number.national_number)
        for _ in range(3):
            at = rng.randrange(len(digits))
            changed = [digits[:at] + str(rng.randrange(10)) + digits[at + 1:], digits[:at] + digits[at + 1:],
                       digits[:at] + str(rng.randrange(10)) + digits[at:]]
            numbers += [phonenumbers.PhoneNumber(country_code=number.country_code, national_number=int(text))
                        for text in changed if text.strip("0")]
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    while len(numbers) < count:
        digits = "".join(str(rng.randrange(10)) for _ in range(rng.randint(4, 14)))
        numbers.append(phonenumbers.PhoneNumber(country_code=rng.choice(codes), national_number=int("7" + digits)))
    return numbers


def test_the_phone_check_gives_the_librarys_own_verdict():
    numbers = _generated_numbers(30_000)
    valid = 0
    for number in numbers:
        expected = phonenumbers.is_valid_number(number)
        assert phones._valid(number) == expected, number
        valid += expected
    assert valid > 5_000  # both verdicts were compared, and many numbers of shared country codes
    assert sum(number.country_code in (1, 44, 7) for number in numbers) > 2_000


@pytest.mark.parametrize("raw", ["07911 123456", "+44 7911 123456", "+447911123456", "01481 123456", "07781 123456",
                                 "07624 123456", "+1 650 253 0000", "+1 204 555 0123", "+7 700 123 4567",
                                 "+800 1234 5678", "+882 1234 5678", "12", "+44 20 7946 0958 ext. 12",
                                 "+12042345678", "+3750291234567", "+5491123456789", "+０7911123456",
                                 "+４４7400123456", "+0447400123456",
                                 "tel:+44-20-7946-0958", "(0)20 7946 0958"])
def test_normal_phone_numbers_are_the_librarys(raw):
    try:
        expected = phonenumbers.format_number(phonenumbers.parse(raw, "GB"), phonenumbers.PhoneNumberFormat.E164)
        expected = expected if phonenumbers.is_valid_number(phonenumbers.parse(raw, "GB")) else None
    except phonenumbers.NumberParseException:
        expected = None
    try:
        assert phones.normalise_phone(raw, "GB") == expected
    except DomainError:
        assert expected is None


def test_the_shortcut_is_taken_only_for_regions_found_by_their_patterns():
    # Russia shares +7 with Kazakhstan and is picked by its leading digits (3, 4, 8, 9) alone:
    # a +7 number that fits Russia's patterns need not be Russian, so is checked in full.
    assert [phones._found_by_its_patterns(region) for region in ("GB", "US", "FR", "RU", "NO")] == [
        True, True, True, False, False]


def _as_parsed(raw: str) -> str | None:
    """phonenumbers' own reading of `raw`: its E.164 form if valid, else None."""
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(
        number) else None


def _written_in_e164(numbers: list[phonenumbers.PhoneNumber]) -> list[str]:
    """The generated numbers written "+" and digits, as they are, with the last digit taken
    away, and with their main region's national prefix (or a 0 or an 8) before the national
    number, which the parser may strip."""
    written = []
    for number in numbers:
        code, nsn = number.country_code, phonenumbers.national_significant_number(number)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            code, phonenumbers.region_code_for_country_code(code))
        prefixes = {"", "0", "8", (metadata.national_prefix or "") if metadata else ""}
        written += [f"+{code}{prefix}{nsn}" for prefix in prefixes] + [f"+{code}{nsn[:-1]}"]
    return written


def test_numbers_written_in_e164_are_read_as_the_parser_reads_them():
    taken = 0
    for raw in _written_in_e164(_generated_numbers(20_000)):
        if phones._valid_as_written(raw):
            assert _as_parsed(raw) == raw, raw
            taken += 1
    assert taken > 5_000  # the shortcut was taken for many numbers, and compared


@pytest.mark.parametrize("raw", ["+3758108832113", "+3758102387613"])
def test_a_national_prefix_after_the_country_code_goes_to_the_parser(raw):
    # Belarus's numbers may start with 8, its national prefix: "+375 810 883 2113" fits
    # Belarus's patterns as written, but the parser strips the 8 and finds no valid number.
    general, kinds = phones._patterns(375, "BY")
    assert phones._fits(raw[4:], general) and any(phones._fits(raw[4:], kind) for kind in kinds)
    assert not phones._valid_as_written(raw)
    with pytest.raises(DomainError):
        phones.normalise_phone(raw, "GB")


def test_the_forms_select_writes_what_wtforms_writes():
    """practice.forms.Select writes the options itself (WTForms' is slow): the same HTML for
    the selected choice (or choices, of a multiple select), values and labels to escape,
    integer and boolean values, required and disabled fields, attributes given on rendering;
    grouped options and options with attributes of their own are left to WTForms, as is a
    field given a widget of its own."""
    from flask import Flask
    from wtforms import SelectField, SelectMultipleField
    from wtforms.fields.choices import SelectChoice
    from wtforms.validators import InputRequired
    from wtforms.widgets import Select as WTFormsSelect

    from practice.forms import Form, Select

    its_own = WTFormsSelect(multiple=True)

    class Choosing(Form):
        class Meta:
            csrf = False

        plain = SelectField("Plain", choices=[SelectChoice("a", "A"), SelectChoice('<b> & "c"', "Less <than>")],
                            validators=[InputRequired()])
        number = SelectField("Number", coerce=int, choices=[SelectChoice(0, "None"), SelectChoice(7, "Seven & co")],
                             render_kw={"disabled": True})
        yes_no = SelectField("Yes or no", choices=[SelectChoice(True, "Yes"), SelectChoice(False, "No")])
        grouped = SelectField("Grouped", choices=[SelectChoice("x", "X", optgroup="One"), SelectChoice("y", "Y")])
        marked = SelectField("Marked", choices=[SelectChoice("m", "M", render_kw={"data-m": "1"}), SelectChoice("n")])
        own = SelectField("Own", choices=[SelectChoice("o")], widget=its_own)
        several = SelectMultipleField("Several", coerce=int, validators=[InputRequired()], choices=[
            SelectChoice(1, "One"), SelectChoice(2, "Two & <more>"), SelectChoice(3, "Three")])

    app = Flask(__name__)
    data = {"plain": '<b> & "c"', "number": "7", "yes_no": "True", "several": ["1", "3"]}
    with app.test_request_context(method="POST", data=data):
        form = Choosing()
        assert form.own.widget is its_own
        for field in (f for f in form if f is not form.own):
            assert isinstance(field.widget, Select)
            wtforms_select = WTFormsSelect(multiple=field.widget.multiple)
            for given in ({}, {"class": "form-select is-invalid", "aria-describedby": "x-error", "required": True}):
                assert field(**given) == wtforms_select(field, **{**(field.render_kw or {}), **given})
        assert "<option selected value=\"&lt;b&gt; &amp; &#34;c&#34;\">Less &lt;than&gt;</option>" in form.plain()
        assert form.several().count("<option selected ") == 2


def test_the_forms_fields_write_the_attributes_wtforms_writes():
    """practice.forms writes a field's attributes itself (WTForms' html_params builds each
    through Markup.format, slow): the same HTML for every kind of input and the textarea,
    with flags, values and attributes to escape, markup given as a value, True and False."""
    import wtforms
    from flask import Flask
    from markupsafe import Markup
    from wtforms.validators import InputRequired, Length

    from practice import forms

    class Typed(forms.Form):
        class Meta:
            csrf = False

        text = wtforms.StringField("Text", validators=[InputRequired(), Length(max=20)])
        note = wtforms.TextAreaField("Note", validators=[Length(min=2, max=2000)], render_kw={"data_x": "1"})
        when = forms.DateField("When")
        count = wtforms.IntegerField("Count")
        ticked = wtforms.BooleanField("Ticked")
        secret = wtforms.PasswordField("Secret")
        hidden = wtforms.HiddenField()
        mail = wtforms.EmailField("Mail")

    app = Flask(__name__)
    data = {"text": '<b> & "c"', "note": "</textarea> & 'x'", "when": "not a date", "count": "7", "ticked": "y",
            "hidden": '"h"', "mail": "a@b"}
    given = {"class_": "form-control is-invalid", "aria_describedby": "x-help x-error", "required": True,
             "disabled": False, "title": Markup('say "<i>hi</i>"'), "rows": 2}
    with app.test_request_context(method="POST", data=data):
        form = Typed()
        for field in form:
            theirs = type(field).widget
            assert field.widget is not theirs and type(field.widget) in (type(theirs), forms.TextArea)
            for kwargs in ({}, given):
                assert field(**kwargs) == theirs(field, **{**(field.render_kw or {}), **kwargs}), field.name
    assert forms.html_params(**given) == wtforms.widgets.html_params(**given)


def test_the_field_macro_writes_the_label_wtforms_writes(app):
    """templates/practice/macros.html writes a field's label itself (WTForms' Label call is
    slow): the same HTML for text to escape, a label given as markup and an id of its own."""
    from markupsafe import Markup
    from wtforms import BooleanField, StringField

    from practice.forms import Form

    class Labelled(Form):
        class Meta:
            csrf = False

        plain = StringField('Less <than> & "quoted"')
        marked = StringField(Markup("Name <em>as used</em>"), id="name-used")
        ticked = BooleanField("Send & keep")

    with app.test_request_context():
        form = Labelled()
        macro = app.jinja_env.get_template("practice/macros.html").module.field
        for field, style in ((form.plain, "form-label"), (form.marked, "form-label"), (form.ticked, "form-check-label")):
            assert str(field.label(class_=style)) in str(macro(field)), field.name
