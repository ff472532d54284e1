"""Money is shown one way everywhere: Babel, in the practice's currency as written in its
country, from integer cents, negative amounts included; form fields and CSV cells get a
plain number."""

import pytest

from practice.db import db
from practice.money import format_money, plain_amount, practice_money
from practice.settings.services import get_practice


@pytest.mark.parametrize("cents, currency, country, shown", [
    (4550, "GBP", "GB", "£45.50"),
    (123456789, "GBP", "GB", "£1,234,567.89"),
    (-250, "GBP", "GB", "-£2.50"),
    (-1, "GBP", "GB", "-£0.01"),
    (0, "GBP", "GB", "£0.00"),
    (4550, "EUR", "IE", "€45.50"),
    (123450, "EUR", "DE", "1.234,50\xa0€"),
    (4550, "USD", "GB", "US$45.50"),
    (4550, "CAD", "CA", "$45.50"),
    (4550, "NZD", "ZZ", "NZ$45.50"),  # a country without its own English: plain English
])
def test_amounts_are_written_as_in_the_practices_country(cents, currency, country, shown):
    assert format_money(cents, currency, country) == shown


@pytest.mark.parametrize("cents, plain", [(4550, "45.50"), (-150, "-1.50"), (-1, "-0.01"), (5, "0.05"),
                                          (1_000_000_01, "1000000.01")])
def test_a_plain_amount_is_exact(cents, plain):
    assert plain_amount(cents) == plain


def test_the_practices_own_currency_and_country(app, practice):
    assert practice_money(get_practice(db.session), -4550) == "-£45.50"
    assert practice_money(None, 4550) == "45.50"  # before set-up there is no currency yet


def test_templates_use_the_same_filter(app, practice):
    with app.test_request_context():
        money, amount = app.jinja_env.filters["money"], app.jinja_env.filters["amount"]
        assert (money(-123456), amount(-123456)) == ("-£1,234.56", "-1234.56")
