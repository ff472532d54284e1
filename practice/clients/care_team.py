"""The care team: who may open a client's record and write into it.

The record is the conduct record and its evidence report, communications, standing decisions
with their reasons, private notes, letters, referral records and the list of who has looked.
A client's care team is

- their primary practitioner;
- practitioners who have actually seen them: an appointment marked arrived or completed;
- practitioners given access, with a reason, by the primary practitioner or an admin, until
  the access is revoked (CareGrant);

and admins, always (practice.auth.permissions). Booking, cancelling, a no-show or anything
the front desk does adds no one.

A client nobody has taken on yet (no primary practitioner, never seen, no access given) is
open to every practitioner, so that someone can take them on; it closes as soon as one does.

Everyone else, practitioners included, sees what the front desk sees: the contact details,
the appointments and the balance, and a neutral badge ("Not bookable", "On notice")."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask import g, has_request_context
from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from practice.auth.models import Practitioner
from practice.clients.models import CareGrant, Client
from practice.db import db, one_of


def _seen_statuses() -> tuple[str, ...]:
    from practice.scheduling.models import ATTENDED  # scheduling imports clients

    return ATTENDED


def clause(practitioner_id: int, client_id):
    """SQL: the practitioner is in the care team of the client whose id is `client_id` (a
    column, or a value): the one rule, for lists filtered in the database."""
    client = aliased(Client)
    return exists().where(client.id == client_id, of_client(practitioner_id, client))


def of_client(practitioner_id: int, client):
    """SQL: the practitioner is in the care team of `client` (Client or an alias of it, already
    in the statement): `clause` for a statement that reads the client's row anyway."""
    from practice.scheduling.models import Appointment

    def anyone(*appointment, grant=()):
        # Sessions seen and access given, one EXISTS over both: PostgreSQL plans an EXISTS
        # of an expression twice (row by row, and hashed), and with one EXISTS for each
        # the rule was half the planning of a statement using it, more than running it.
        return exists(union_all(
            select(literal_column("1")).where(Appointment.client_id == client.id,
                                              one_of(Appointment.status, _seen_statuses()), *appointment)
            .correlate(client),  # not the appointment a list is made of
            select(literal_column("1")).where(CareGrant.client_id == client.id, CareGrant.revoked_at.is_(None), *grant)
            .correlate(client),
        ))

    return or_(
        client.primary_practitioner_id == practitioner_id,
        anyone(Appointment.practitioner_id == practitioner_id, grant=(CareGrant.practitioner_id == practitioner_id,)),
        and_(client.primary_practitioner_id.is_(None), not_(anyone())),
    )


def _answers() -> dict:
    """Answers remembered for the rest of the request: a page asks several times."""
    return g.setdefault("care_team", {}) if has_request_context() else {}


def includes(practitioner_id: int, client_id: int) -> bool:
    """Whether the practitioner is in the client's care team (one query)."""
    key, answers = (practitioner_id, client_id), _answers()
    if key not in answers:
        answers[key] = bool(db.session.scalar(select(clause(practitioner_id, client_id))))
    return answers[key]


@cache
def _among_query():
    """`among` as a statement built once (building the rule takes longer than running it),
    with the practitioner and the clients as parameters."""
    return select(Client.id).where(Client.id.in_(bindparam("client_ids", expanding=True)),
                                   clause(bindparam("practitioner_id"), Client.id))


def among(practitioner_id: int, client_ids) -> set[int]:
    """Which of these clients have the practitioner in their care team (one query)."""
    client_ids = set(client_ids)
    if not client_ids:
        return set()
    found = set(db.session.scalars(_among_query(), {"client_ids": list(client_ids),
                                                    "practitioner_id": practitioner_id}))
    remember(practitioner_id, {client_id: client_id in found for client_id in client_ids})
    return found


def remember(practitioner_id: int, answers: dict[int, bool]) -> None:
    """Answers a page read with its rows (as a column of `clause`), kept for the rest of
    the request as `among` keeps its: the permission checks that follow ask no more."""
    _answers().update({(practitioner_id, client_id): answer for client_id, answer in answers.items()})


def nobody_has_taken_on(client: Client) -> bool:
    """No primary practitioner, never seen, no access given: open to every practitioner."""
    from practice.scheduling.models import Appointment

    if client.primary_practitioner_id is not None:
        return False
    taken = or_(
        exists().where(Appointment.client_id == client.id, Appointment.status.in_(_seen_statuses())),
        exists().where(CareGrant.client_id == client.id, CareGrant.revoked_at.is_(None)),
    )
    return not db.session.scalar(select(taken))


@dataclass
class CareTeam:
    primary: Practitioner | None
    seen_by: list    # rows (practitioner_id, name) of who has seen the client (not the primary)
    grants: list     # rows (grant_id, practitioner_id, name, reason, granted_at, granted_by) of access not revoked
    open_to_all: bool             # nobody has taken the client on yet
    viewers: list    # Viewed: the latest RECENT_VIEWS openings of the record, newest first


RECENT_VIEWS = 20


class Viewed(NamedTuple):
    """An opening of the client's record (the account's name or, without one, the label kept)."""

    at: datetime
    actor_name: str | None
    actor_label: str
    detail: dict


@cache
def _members_statement():
    """The access given to others and not revoked, by when, then who has seen the client
    `client_id` (a parameter), by name, then the latest openings of their record, newest
    first: one statement of plain rows (it was three reads, two of them of objects; on
    PostgreSQL each a round trip), built once (the first call; scheduling imports clients),
    not on each view. Each part fills the columns it has; the rest are typed NULLs, since
    PostgreSQL matches a union's columns pair by pair."""
    from practice.audit.models import AuditEvent
    from practice.auth.models import User
    from practice.clients.services import RECORD_VIEW
    from practice.scheduling.models import Appointment

    client_id = bindparam("client_id")
    granted_by = aliased(User)
    nothing = {"detail": cast(null(), AuditEvent.detail.type), "position": cast(null(), Integer)}
    grants = (select(literal_column("'grant'").label("kind"), CareGrant.id.label("grant_id"), CareGrant.practitioner_id,
                     Practitioner.display_name.label("name"), CareGrant.reason, CareGrant.granted_at,
                     granted_by.name.label("granted_by"), *(value.label(name) for name, value in nothing.items()))
              .join(Practitioner, Practitioner.id == CareGrant.practitioner_id)
              .outerjoin(granted_by, granted_by.id == CareGrant.granted_by_id)
              .where(CareGrant.client_id == client_id, CareGrant.revoked_at.is_(None)))
    # Each practitioner who has a session with the client marked seen: one probe of the
    # client's appointments by (client, status, practitioner) in their index per practitioner
    # of the practice (a few dozen at most). Joined from the client's appointments with
    # DISTINCT, it read every one of them (a thousand on a long history: SQLite 0.13 against
    # 0.02 ms, PostgreSQL 0.36 against 0.08); as `id IN (subquery)`, PostgreSQL walked every
    # practitioner's whole book.
    seen_by = (select(literal_column("'seen'"), cast(null(), CareGrant.id.type), Practitioner.id, Practitioner.display_name,
                      cast(null(), CareGrant.reason.type), cast(null(), CareGrant.granted_at.type),
                      cast(null(), User.name.type), *nothing.values())
               .where(exists().where(Appointment.client_id == client_id, one_of(Appointment.status, _seen_statuses()),
                                     Appointment.practitioner_id == Practitioner.id)))
    # The openings in their own order and limit; their place in that order sorts them below.
    newest_first = (AuditEvent.at.desc(), AuditEvent.id.desc())
    viewed = (select(literal_column("'view'").label("kind"), AuditEvent.id.label("grant_id"),
                     cast(null(), Practitioner.id.type).label("practitioner_id"), User.name.label("name"),
                     AuditEvent.actor_label.label("reason"), AuditEvent.at.label("granted_at"),
                     cast(null(), User.name.type).label("granted_by"), AuditEvent.detail.label("detail"),
                     func.row_number().over(order_by=newest_first).label("position"))
              .outerjoin(User, User.id == AuditEvent.actor_id)
              .where(AuditEvent.object_type == Client.__name__, AuditEvent.object_id == bindparam("object_id"),
                     AuditEvent.action == RECORD_VIEW)
              .order_by(*newest_first).limit(RECENT_VIEWS).subquery())
    both = union_all(grants, seen_by, select(viewed))
    return both.order_by(*(literal_column(name) for name in ("kind", "position", "granted_at", "name")))


def members(client: Client) -> CareTeam:
    """Who is in the client's care team and who has opened the record lately, for the
    client page (one query)."""
    rows = db.session.connection().execute(_members_statement(), {"client_id": client.id,
                                                                  "object_id": str(client.id)}).all()
    grants = [row for row in rows if row.kind == "grant"]
    seen_by = [row for row in rows if row.kind == "seen"]
    primary = client.primary_practitioner
    return CareTeam(
        primary=primary,
        seen_by=[p for p in seen_by if primary is None or p.practitioner_id != primary.id],
        grants=grants,
        open_to_all=primary is None and not seen_by and not grants,
        viewers=[Viewed(row.granted_at, row.name, row.reason, row.detail) for row in rows if row.kind == "view"],
    )
