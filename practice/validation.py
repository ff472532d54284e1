"""Checks shared by several domains."""

from email_validator import EmailNotValidError, validate_email

from practice.errors import DomainError


def checked_email(raw: str, field: str = "email") -> str:
    """The address in normal form (lower case), '' for none; refuse one that cannot work."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise DomainError(f"This is not a valid e-mail address: {error}", field=field) from None
