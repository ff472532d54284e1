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


def active_practitioners(practitioner_id: int | None = None) -> list[Practitioner]:
    """Practitioners who see clients, by name; only the one asked for when given an id."""
    query = select(Practitioner).where(Practitioner.active).order_by(Practitioner.display_name)
    if practitioner_id:
        query = query.where(Practitioner.id == practitioner_id)
    return list(db.session.scalars(query))
