"""Checks shared by several domains."""

import re
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from practice.errors import DomainError

MAX_ID = 2**31 - 1  # the databases' integer ids go no higher

# The plain shape most addresses have (ASCII letters, digits, "_", "+", "-" and single dots
# before the @-sign; host names of letters, digits and single hyphens; a top-level domain of
# letters), which email_validator accepts as it is, only in lower case, unless a label is
# longer than 63 characters, the address longer than 254 or the domain a special-use name
# (checked below). Its check takes a tenth of the validator's, and an import checks
# thousands of new addresses; anything else goes to the validator (tests/test_validation.py
# compares the two over many shapes, the awkward ones included).
PLAIN_ADDRESS = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@((?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]+)",
                           re.ASCII | re.IGNORECASE)
MAX_ADDRESS, MAX_LABEL = 254, 63


def database_id(value) -> int | None:
    """A record id as given (text or a number): None unless it is a whole number from 1 to
    MAX_ID, the only ids a record can have."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def checked_email(raw: str, field: str = "email") -> str:
    """The address in normal form (lower case), '' for none; refuse one that cannot work."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        return _normalised_email(raw)
    except EmailNotValidError as error:
        raise DomainError(f"This is not a valid e-mail address: {error}", field=field) from None


def plain_email(raw: str) -> str | None:
    """`raw` in lower case if it has the plain shape (PLAIN_ADDRESS) that email_validator
    accepts as it is; None for any other address, which only the validator can judge."""
    found = PLAIN_ADDRESS.fullmatch(raw)
    if found is None or len(raw) > MAX_ADDRESS:
        return None
    domain = found[1].lower()
    if max(map(len, domain.split("."))) > MAX_LABEL or any(
            domain == special or domain.endswith("." + special) for special in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return raw.lower()


@lru_cache(maxsize=10_000)  # an import checks its file's addresses twice (see phones.CHECKED_KEPT)
def _normalised_email(raw: str) -> str:
    return plain_email(raw) or validate_email(raw, check_deliverability=False).normalized.lower()
