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
