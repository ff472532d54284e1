"""Phone numbers: stored in E.164, shown as people write them. Shared by the client records
and the referral network (which must not import the practice's tables)."""

import phonenumbers

from practice.errors import DomainError


def normalise_phone(raw: str, region: str) -> str:
    """E.164 (+447700900123) for a valid number; refuse anything that is not one."""
    raw = raw.strip()
    if not raw:
        return ""
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


def display_phone(e164: str) -> str:
    if not e164.startswith("+"):
        return e164
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
