from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.auth.models import Practitioner, User
from practice.db import db


def users_for_admin() -> list[User]:
    return list(
        db.session.scalars(
            select(User).options(selectinload(User.practitioner)).order_by(User.active.desc(), User.name)
        )
    )


# Built once, not on each page that offers the practitioners.
_ACTIVE_PRACTITIONERS = select(Practitioner).where(Practitioner.active).order_by(Practitioner.display_name)


def active_practitioners(practitioner_id: int | None = None) -> list[Practitioner]:
    """Practitioners who see clients, by name; only the one asked for when given an id."""
    query = _ACTIVE_PRACTITIONERS
    if practitioner_id:
        query = query.where(Practitioner.id == practitioner_id)
    return list(db.session.scalars(query))


class PractitionerName(NamedTuple):
    id: int
    display_name: str


_ACTIVE_NAMES = select(Practitioner.id, Practitioner.display_name).where(Practitioner.active).order_by(
    Practitioner.display_name)


def active_practitioner_names() -> list[PractitionerName]:
    """Active practitioners by name, as plain rows of their id and name: for the pages that
    only name them and link to them (the calendar), which need not load twenty ORM objects
    (their identity map and attribute state) for two values each."""
    return list(map(PractitionerName._make, db.session.execute(_ACTIVE_NAMES)))


class PractitionerAccount(NamedTuple):
    id: int
    user_id: int | None
    display_name: str


_ACTIVE_ACCOUNTS = select(Practitioner.id, Practitioner.user_id, Practitioner.display_name).where(
    Practitioner.active).order_by(Practitioner.display_name)


def active_practitioner_accounts() -> list[PractitionerAccount]:
    """Active practitioners by name, as plain rows of their id, account and name: for a page
    that offers them and decides by the account whose they are (the review), without
    loading twenty ORM objects."""
    return list(map(PractitionerAccount._make, db.session.execute(_ACTIVE_ACCOUNTS)))
