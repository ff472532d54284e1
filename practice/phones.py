"""Phone numbers: stored in E.164, shown as people write them. Shared by the client records
and the referral network (which must not import the practice's tables)."""

from functools import cache, lru_cache

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
    if number is None or not _valid(number):
        raise DomainError(
            "This is not a valid phone number. Include the country code (e.g. +44) for "
            "numbers from another country.",
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _valid(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number, without its first pass over the number's patterns where
    that pass cannot change the answer. is_valid_number first finds the number's region
    among those sharing its country code (GB, GG, IM and JE share +44), trying each one's
    patterns in turn, then tries the found region's patterns again. A region that comes first
    and has no leading digits of its own is the one found whenever its patterns fit, so a
    number valid there is valid: one pass instead of two for most numbers (a fifth of the
    check of a file's numbers). tests/test_validation.py compares it with the library's."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code, ())
    if regions and _found_by_its_patterns(regions[0]) and phonenumbers.is_valid_number_for_region(number, regions[0]):
        return True
    return phonenumbers.is_valid_number(number)


@cache
def _found_by_its_patterns(region: str) -> bool:
    """Whether phonenumbers picks `region` for a number by trying its patterns (not by
    leading digits alone): always when it is the only region of its country code."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(phonenumbers.country_code_for_region(region), ())
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    return len(regions) == 1 or (metadata is not None and metadata.leading_digits is None)


@lru_cache(maxsize=CHECKED_KEPT)
def display_phone(e164: str) -> str:
    """A pure function of the stored number, kept: pages list dozens of numbers, and
    phonenumbers takes a third of a millisecond for each."""
    if not e164.startswith("+"):
        return e164
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
