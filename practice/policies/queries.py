"""Which policy version is in force, its history, and who acknowledged it.

The conduct record and the scheduling engine call `policy_in_force` for the rules that
applied at the moment something happened."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Row, bindparam, event, literal_column, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, aliased, joinedload, scoped_session

from practice import clock
from practice.policies.models import (
    ACKNOWLEDGEMENT_METHODS,
    AcknowledgementRequest,
    Policy,
    PolicyAcknowledgement,
)
from practice.settings.services import local_date

_VERSIONS = "practice.policy_versions"  # the key of the versions kept in Session.info


def _versions(session) -> list[Policy]:
    """Every version, oldest first, read once per unit of work: a page asks for the version
    in force several times (the review of a day four). Kept in Session.info until the
    transaction ends or a flush writes a version, as the practice profile is kept."""
    own = session() if isinstance(session, scoped_session) else session
    versions = own.info.get(_VERSIONS)
    if versions is None:
        versions = own.info[_VERSIONS] = list(own.scalars(select(Policy).order_by(Policy.version)))
    return versions


@event.listens_for(Session, "after_flush")
def _forget_versions_written(session, _context) -> None:
    if any(isinstance(row, Policy) for row in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_VERSIONS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_versions(session, transaction) -> None:
    if transaction.parent is None:  # the unit of work's own transaction, not a savepoint
        session.info.pop(_VERSIONS, None)


def policy_in_force(session, at: datetime) -> Policy:
    """The policy version that applied at the moment `at`: the highest whose date (a local
    day) has come, or else the earliest, which covers everything before the next version."""
    day = local_date(session, at)
    versions = _versions(session)
    if not versions:
        raise NoResultFound("no policy version")
    started = [policy for policy in versions if policy.effective_from <= day]
    return started[-1] if started else versions[0]


def current_policy(session, now: datetime | None = None) -> Policy:
    """The version in force now (the app's clock unless `now` is given)."""
    return policy_in_force(session, now or clock.now())


def latest_policy(session) -> Policy:
    """The highest version, which may not have taken effect yet."""
    return session.scalars(select(Policy).order_by(Policy.version.desc()).limit(1)).one()


def policy_history(session) -> list[Policy]:
    """Every version, newest first, with who published it."""
    return list(session.scalars(
        select(Policy).options(joinedload(Policy.created_by)).order_by(Policy.version.desc())))


def acknowledgement_status(
    session, client_ids, at: datetime, policy: Policy | None = None,
) -> dict[int, PolicyAcknowledgement | None]:
    """For each client: their latest acknowledgement of the version in force at `at`, or
    None. One query for any number of clients (plus the version's, unless given)."""
    client_ids = set(client_ids)
    if not client_ids:
        return {}
    policy = policy or policy_in_force(session, at)
    rows = session.scalars(
        select(PolicyAcknowledgement)
        .where(PolicyAcknowledgement.policy_id == policy.id,
               PolicyAcknowledgement.client_id.in_(client_ids))
        .order_by(PolicyAcknowledgement.acknowledged_on, PolicyAcknowledgement.id)
    )
    status: dict[int, PolicyAcknowledgement | None] = dict.fromkeys(client_ids)
    for row in rows:
        status[row.client_id] = row  # the latest wins
    return status


# Which of `client_ids` acknowledged the policy `policy_id`: built once (building it on each
# view took longer than running it), the ids bound as one list (hundreds are slow to build in).
_ACKNOWLEDGED = select(PolicyAcknowledgement.client_id).distinct().where(
    PolicyAcknowledgement.policy_id == bindparam("policy_id"),
    PolicyAcknowledgement.client_id.in_(bindparam("client_ids", expanding=True)))


def unacknowledged(session, client_ids, policy: Policy) -> set[int]:
    """Which of these clients have not acknowledged `policy`: one query of their ids alone
    (Today reads the same for its rows' clients with its rows: scheduling.queries.TODAY)."""
    client_ids = set(client_ids)
    if not client_ids:
        return set()
    acknowledged = session.scalars(_ACKNOWLEDGED, {"policy_id": policy.id, "client_ids": list(client_ids)})
    return client_ids.difference(acknowledged)


@dataclass
class Acknowledged:
    """An acknowledgement as the policy panel shows it: plain values read, not an ORM object."""

    policy: Policy
    acknowledged_on: date
    method: str
    note: str

    @property
    def method_label(self) -> str:
        return ACKNOWLEDGEMENT_METHODS.get(self.method, self.method)


@dataclass
class ClientPolicy:
    """What the client page shows about the policy: the version in force, this client's
    acknowledgement of it (or None), and their latest acknowledgement of any version."""

    policy: Policy
    acknowledgement: Acknowledged | None
    latest: Acknowledged | None
    request: Row | None = None  # the latest link e-mailed to acknowledge it (its dates)

    @property
    def acknowledged(self) -> bool:
        return self.acknowledgement is not None


# The client page's, built once (not on each view), the client a parameter, read as plain
# values in one statement (the ORM's objects and a second statement cost more than the
# reads): its acknowledgements newest first (their versions are the session's, _versions),
# each beside the three dates of the latest link e-mailed to acknowledge. Joined to one row,
# so that a client without acknowledgements or links still has a row (of NULLs).
_ASKED = aliased(AcknowledgementRequest)
_ONE_ROW = select(literal_column("1").label("one")).subquery("one_row")
_LATEST_REQUEST_ID = (
    select(_ASKED.id).where(_ASKED.client_id == bindparam("client_id"))  # not correlated: read once
    .order_by(_ASKED.requested_at.desc(), _ASKED.id.desc()).limit(1).scalar_subquery())
_POLICY_PANEL = (
    select(PolicyAcknowledgement.policy_id, PolicyAcknowledgement.acknowledged_on, PolicyAcknowledgement.method,
           PolicyAcknowledgement.note, AcknowledgementRequest.requested_at, AcknowledgementRequest.used_at,
           AcknowledgementRequest.expires_at)
    .select_from(_ONE_ROW)
    .outerjoin(AcknowledgementRequest, AcknowledgementRequest.id == _LATEST_REQUEST_ID)
    .outerjoin(PolicyAcknowledgement, PolicyAcknowledgement.client_id == bindparam("client_id"))
    .order_by(PolicyAcknowledgement.acknowledged_on.desc(), PolicyAcknowledgement.id.desc()))


def client_policy(session, client_id: int, at: datetime) -> ClientPolicy:
    """The client page's policy panel: one query (and the versions', once a unit of work)."""
    policy = policy_in_force(session, at)
    versions = {version.id: version for version in _versions(session)}
    rows = session.execute(_POLICY_PANEL, {"client_id": client_id}).all()
    newest_first = [Acknowledged(versions[row.policy_id], row.acknowledged_on, row.method, row.note)
                    for row in rows if row.policy_id is not None]
    current = next((row for row in newest_first if row.policy is policy), None)
    request = rows[0] if rows[0].requested_at is not None else None
    return ClientPolicy(policy, current, newest_first[0] if newest_first else None, request)
