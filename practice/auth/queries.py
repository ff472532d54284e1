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


def active_practitioners() -> list[Practitioner]:
    return list(
        db.session.scalars(
            select(Practitioner).where(Practitioner.active).order_by(Practitioner.display_name)
        )
    )
