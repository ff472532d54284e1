"""Phone numbers: stored in E.164, shown as people write them. Shared by the client records
and the referral network (which must not import the practice's tables)."""

from functools import lru_cache

import phonenumbers

from practice.errors import DomainError

# Numbers checked lately, kept: an import checks its file's thousands of numbers twice (the
# check, then the import, which checks again) and phonenumbers' check is most of its time.
CHECKED_KEPT = 10_000


def normalise_phone(raw: str, region: str) -> str:
    """E.164 (+447700900123) for a valid number; refuse anything that is not one."""
    raw = raw.strip()
    if not raw:
        return ""
    return _normalised(raw, region)


@lru_cache(maxsize=CHECKED_KEPT)
def _normalised(raw: str, region: str) -> str:
    """A pure function of its arguments (a refusal is not kept: it raises)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            "This is not a valid phone number. Include the country code (e.g. +44) for "
            "numbers from another country.",
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=CHECKED_KEPT)
def display_phone(e164: str) -> str:
    """A pure function of the stored number, kept: pages list dozens of numbers, and
    phonenumbers takes a third of a millisecond for each."""
    if not e164.startswith("+"):
        return e164
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
