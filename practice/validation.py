"""Checks shared by several domains."""

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from practice.errors import DomainError

MAX_ID = 2**31 - 1  # the databases' integer ids go no higher


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


@lru_cache(maxsize=10_000)  # an import checks its file's addresses twice (see phones.CHECKED_KEPT)
def _normalised_email(raw: str) -> str:
    return validate_email(raw, check_deliverability=False).normalized.lower()
