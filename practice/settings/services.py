"""The practice's own details and logo."""

from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from sqlalchemy import event, select
from sqlalchemy.orm import Session, scoped_session

from practice.audit.services import Actor, record
from practice.errors import DomainError
from practice.settings.models import PracticeProfile
from practice.uploads import image_facts
from practice.validation import checked_email

# Common currencies first; any ISO 4217 code is accepted.
COMMON_CURRENCIES = ["AUD", "CAD", "CHF", "EUR", "GBP", "NZD", "USD", "DKK", "NOK", "SEK", "ZAR"]
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
LOGO_MAX_PIXELS = 4000 * 4000


@dataclass
class PracticeDetails:
    name: str
    timezone: str
    currency: str
    phone_region: str
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""


def timezone_names() -> list[str]:
    return sorted(available_timezones())


def validate_details(details: PracticeDetails) -> None:
    if not details.name.strip():
        raise DomainError("Give the practice a name.", field="name")
    if details.timezone not in available_timezones():
        raise DomainError("Choose a time zone from the list, e.g. Europe/London.", field="timezone")
    if len(details.currency) != 3 or not details.currency.isalpha():
        raise DomainError("Use a three-letter currency code such as GBP, EUR or USD.", field="currency")
    if details.phone_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise DomainError(
            "Use a two-letter country code such as GB, IE, US or AU.", field="phone_region"
        )


def apply_details(profile: PracticeProfile, details: PracticeDetails) -> dict:
    """Copy validated details onto the profile; return what changed as {field: [old, new]}."""
    validate_details(details)
    cleaned = asdict(details)
    cleaned = {key: value.strip() for key, value in cleaned.items()}
    cleaned["currency"] = cleaned["currency"].upper()
    cleaned["phone_region"] = cleaned["phone_region"].upper()
    cleaned["email"] = checked_email(cleaned["email"])
    changes = {}
    for key, value in cleaned.items():
        old = getattr(profile, key, None)
        if old != value:
            changes[key] = [old, value]
            setattr(profile, key, value)
    return changes


_PROFILE = "practice.profile"  # the key of the profile kept in Session.info


def get_practice(session) -> PracticeProfile | None:
    """The practice's profile, read once per unit of work: a page asks for it many times
    (the time zone, the currency, the layout). The session keeps the object it loaded
    until its transaction ends, so it never outlives the unit of work, and as it is the
    session's own object, a change made to it in the same unit of work is what every later
    reader sees. Not kept while there is none (set-up creates it)."""
    own = session() if isinstance(session, scoped_session) else session
    profile = own.info.get(_PROFILE)
    if profile is None or profile not in own:
        profile = own.scalar(select(PracticeProfile).limit(1))
        if profile is not None:
            own.info[_PROFILE] = profile
    return profile


@event.listens_for(Session, "after_transaction_end")
def _forget_profile(session, transaction) -> None:
    if transaction.parent is None:  # the unit of work's own transaction, not a savepoint
        session.info.pop(_PROFILE, None)


def practice_zone(session) -> ZoneInfo:
    """The practice's time zone: what "today" and "09:00" mean (UTC before set-up)."""
    profile = get_practice(session)
    return ZoneInfo(profile.timezone) if profile else ZoneInfo("UTC")


def local_date(session, at: datetime) -> date:
    """The day `at` falls on in the practice's time zone; `local_date(session, now)` is
    "today" for every page and rule."""
    return at.astimezone(practice_zone(session)).date()


def update_details(session, actor: Actor, details: PracticeDetails, *, now: datetime) -> None:
    profile = get_practice(session)
    changes = apply_details(profile, details)
    if changes:
        record(session, actor, "practice.update", profile, now=now, **changes)
    session.flush()


def require_two_factor(session, actor: Actor, required: bool, *, now: datetime) -> bool:
    """Turn the practice's two-factor requirement for admins and practitioners on or off."""
    profile = get_practice(session)
    required = bool(required)
    if profile.require_two_factor != required:
        profile.require_two_factor = required
        record(session, actor, "practice.require_two_factor", profile, now=now, required=required)
        session.flush()
    return required


def check_logo(data: bytes, max_bytes: int) -> str:
    """Return the media type of a PNG or JPEG logo, judged by its content, or refuse it."""
    if not data:
        raise DomainError("Choose an image file.", field="logo")
    if len(data) > max_bytes:
        raise DomainError(
            f"The logo is too large ({len(data) // 1024} KB); the limit is {max_bytes // 1024} KB.",
            field="logo",
        )
    facts = image_facts(data, name="The logo", field="logo")
    if facts is None:
        raise DomainError("This file is not a PNG or JPEG image.", field="logo")
    kind, width, height = facts
    if kind not in LOGO_FORMATS:
        raise DomainError("The logo must be a PNG or JPEG image.", field="logo")
    if width * height > LOGO_MAX_PIXELS:
        raise DomainError("The image is too large; use one under 4000 × 4000 pixels.", field="logo")
    return LOGO_FORMATS[kind]


def set_logo(session, actor: Actor, data: bytes, *, max_bytes: int, now: datetime) -> None:
    media_type = check_logo(data, max_bytes)
    profile = get_practice(session)
    profile.logo = data
    profile.logo_media_type = media_type
    record(session, actor, "practice.logo", profile, now=now, size=len(data), media_type=media_type)
    session.flush()


def remove_logo(session, actor: Actor, *, now: datetime) -> None:
    profile = get_practice(session)
    profile.logo = None
    profile.logo_media_type = None
    record(session, actor, "practice.logo_removed", profile, now=now)
    session.flush()
