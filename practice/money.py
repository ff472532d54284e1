"""Money: integer minor units (cents) of the practice's currency, shown one way everywhere
(pages, letters, PDFs, conduct notes, reports) by Babel, in the practice's country's English
("£1,234.50", "-£2.50", "€1.234,50" in Germany); never through a float."""

from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency


def major_units(cents: int) -> Decimal:
    """4550 -> Decimal('45.50'), exactly."""
    return Decimal(cents).scaleb(-2)


def plain_amount(cents: int) -> str:
    """The amount as a number a form field or a CSV cell holds: 4550 -> '45.50', -150 -> '-1.50'."""
    return f"{major_units(cents):.2f}"


@lru_cache(maxsize=64)
def locale_for(country: str) -> Locale:
    """English as written in the practice's country (en_GB, en_IE, en_AU...), else plain English."""
    try:
        return Locale.parse(f"en_{country.upper()}")
    except (UnknownLocaleError, ValueError):
        return Locale("en")


@lru_cache(maxsize=4096)  # a busy day's pages write the same few amounts hundreds of times
def format_money(cents: int, currency: str, country: str = "") -> str:
    return format_currency(major_units(cents), currency, locale=locale_for(country))


def practice_money(profile, cents: int) -> str:
    """`cents` in the practice's currency and country (a bare number before set-up)."""
    if profile is None:
        return plain_amount(cents)
    return format_money(cents, profile.currency, profile.phone_region)
