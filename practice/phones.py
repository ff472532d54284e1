"""Phone numbers: stored in E.164, shown as people write them. Shared by the client records
and the referral network (which must not import the practice's tables)."""

import re
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
    if _valid_as_written(raw):
        return raw
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


# A number written in E.164 already: "+", then digits only (as exports and other systems write them).
E164 = re.compile(r"\+[1-9][0-9]+", re.ASCII)


def _valid_as_written(raw: str) -> bool:
    """Whether `raw`, written in E.164, is a valid number that phonenumbers would read as it
    is written, so that it is its own normal form: a shortcut past the library's general
    parser (about 14 µs a number, most of an import's check of a phone), which only ever
    says yes. The library reads as the country code the shortest start of the digits (one
    to three of them) that is one, and the rest as the national number, unless the start of
    that fits the region's national prefix, which it may strip ("+375 8…" is read as
    "+375 …"): such a number, and every number _valid would not accept early, goes to the
    parser. tests/test_validation.py compares it with the library's parser."""
    if E164.fullmatch(raw) is None:
        return False
    code, nsn = _country_code(raw[1:])
    prefix = _national_prefix(code)
    return (prefix is None or prefix.match(nsn) is None) and _valid_in_first_region(code, nsn)


def _country_code(digits: str) -> tuple[int, str]:
    """(country code, national number) as phonenumbers splits digits after a "+"; code 0 for none."""
    for length in (1, 2, 3):
        if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return int(digits[:length]), digits[length:]
    return 0, ""


@cache
def _national_prefix(country_code: int) -> re.Pattern | None:
    """The pattern of what phonenumbers may strip from a national number's start as its
    national prefix (or carrier code), for the country code's main region (whose metadata
    the parser uses), compiled once."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    found = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(found) if found else None


def _valid(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number, without its first pass over the number's patterns where
    that pass cannot change the answer. is_valid_number first finds the number's region
    among those sharing its country code (GB, GG, IM and JE share +44), trying each one's
    patterns in turn, then tries the found region's patterns again. A region that comes first
    and has no leading digits of its own is the one found whenever its patterns fit, so a
    number valid there is valid: one pass instead of two for most numbers (a fifth of the
    check of a file's numbers), and that pass from the region's patterns compiled once, the
    common kinds of number first (_fits_region). tests/test_validation.py compares it with
    the library's."""
    return (_valid_in_first_region(number.country_code, phonenumbers.national_significant_number(number))
            or phonenumbers.is_valid_number(number))


def _valid_in_first_region(country_code: int, nsn: str) -> bool:
    """True when the number is valid in the first region of its country code and that region
    is the one the library would find for it (False says nothing)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    return bool(regions) and _found_by_its_patterns(regions[0]) and _fits_region(country_code, nsn, regions[0])


# The kinds of number a region's metadata describes, the most common first.
_KINDS = ("mobile", "fixed_line", "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
          "uan", "voicemail")


def _fits_region(country_code: int, nsn: str, region: str) -> bool:
    """phonenumbers.is_valid_number_for_region, for a region of the number's own country
    code: whether its national (significant) number fits the region's general pattern and
    that of some kind of number. The library works out which kind, trying the rare kinds first (eleven
    patterns for a mobile number, each looked up again); whether any kind fits does not
    depend on the order, so the common kinds are tried first, from patterns compiled once."""
    general, kinds = _patterns(country_code, region)
    return general is not None and _fits(nsn, general) and any(_fits(nsn, kind) for kind in kinds)


@cache
def _patterns(country_code: int, region: str) -> tuple:
    """A region's general pattern and those of the kinds of number the library counts as
    valid: mobile numbers only where their pattern differs from fixed lines' (where it is the
    same, a number is valid as a fixed line or not at all)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None, ()
    kinds = [kind for kind in _KINDS if kind != "mobile" or not metadata.same_mobile_and_fixed_line_pattern]
    return _pattern(metadata.general_desc), tuple(filter(None, (_pattern(getattr(metadata, kind)) for kind in kinds)))


def _pattern(desc) -> tuple | None:
    """(the lengths a number may have, if the metadata says, and its pattern)."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)


def _fits(nsn: str, pattern: tuple) -> bool:
    lengths, regex = pattern
    return (not lengths or len(nsn) in lengths) and regex.fullmatch(nsn) is not None


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
