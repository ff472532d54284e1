"""Identity follows the person, not the record.

A client whose standing forbids booking (moved on, declined) must not come back as a "new"
client. Every record that is created, edited, imported or made from an inquiry, and every
client booked or moved, is matched against the clients who cannot be booked: the same phone
number, the same e-mail address, or the same name (display or legal; accents, case and word
order ignored) with the same date of birth. A match holds the record from booking
(IdentityMatch, Client.identity_hold) until a practitioner or admin decides whether it is the
same person (practice.clients.services.decide_identity). The front desk is only ever told
NOT_BOOKABLE, never which record matched.

`recheck` is the one entry point for writes; `refuse_unless_bookable` for bookings. Both run a
fixed number of queries whatever the number of clients."""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, func, not_, or_, select

from practice.audit.services import Actor, record
from practice.bulk import in_many
from practice.clients.models import UNBOOKABLE_STANDINGS, Client, IdentityMatch
from practice.db import one_of
from practice.errors import DomainError

NOT_BOOKABLE = "This person cannot be booked here. Please ask a practitioner."


def name_key(name: str) -> str:
    """"Zoë  O'Brien-Hart" and "hart o brien zoe" give the same key."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(" " if not c.isalnum() else c for c in decomposed if not unicodedata.combining(c))
    return " ".join(sorted(letters.split()))


def _names(client: Client) -> set[str]:
    return {name_key(client.display_name or ""), name_key(client.legal_name or "")} - {""}


def matched_on(one: Client, other: Client) -> tuple[str, ...]:
    """What two records share that says they may be one person (empty: nothing)."""
    reasons = []
    if one.phone and one.phone == other.phone:
        reasons.append("phone number")
    if one.email and one.email == other.email:
        reasons.append("e-mail")
    if one.date_of_birth and one.date_of_birth == other.date_of_birth and _names(one) & _names(other):
        reasons.append("name and date of birth")
    return tuple(reasons)


@dataclass(frozen=True)
class Match:
    client: Client    # the record held from booking (or an Unsaved row)
    blocked: Client   # the client whose standing forbids booking
    on: tuple[str, ...]

    @property
    def on_text(self) -> str:
        return ", ".join(self.on)


def _keys(session, clients) -> list:
    """Conditions on Client for any of these clients' phones, e-mails or dates of birth (an
    import's thousands of them as one parameter each on PostgreSQL: bulk.in_many)."""
    keys = ((Client.phone, {c.phone for c in clients if c.phone}),
            (Client.email, {c.email for c in clients if c.email}),
            (Client.date_of_birth, {c.date_of_birth for c in clients if c.date_of_birth}))
    return [in_many(session, column, sorted(values)) for column, values in keys if values]


@dataclass(eq=False)
class Unsaved:
    """What identity compares, for rows not loaded as Client records (an import's rows,
    before or just after they are inserted): thousands of them cost no ORM objects."""

    display_name: str
    legal_name: str
    phone: str
    email: str
    date_of_birth: date | None
    id: int | None = None
    standing: str = "active"

    @classmethod
    def of(cls, details, id: int | None = None) -> "Unsaved":
        return cls(details.display_name, details.legal_name, details.phone, details.email,
                   details.date_of_birth, id)


def _shared_keys(client) -> list:
    """What a match needs two records to share one of (matched_on then says which)."""
    return [key for key in (("phone", client.phone), ("email", client.email), ("birth", client.date_of_birth))
            if key[1]]


def find(session, clients) -> list[Match]:
    """The clients who cannot be booked that match any of `clients` (those whose own
    standing allows booking), except pairs already decided (two queries). `clients` may be
    records not saved yet (an import's preview, as Client or Unsaved)."""
    return matches_among(session, clients, _blocked_sharing_keys(session, _candidates(clients)))


def _candidates(clients) -> list:
    return [c for c in clients if c.standing not in UNBOOKABLE_STANDINGS]


def matches_among(session, clients, blocked: list[Client]) -> list[Match]:
    """`find` with the clients who cannot be booked sharing a key with any of `clients`
    already read, by id (the client page reads them in the client's statement:
    `sharing_keys`); one query, for the pairs already decided, when there are any. Each
    client is compared with the blocked clients who share a phone, an e-mail or a date of
    birth with it, found through a dictionary: an import of thousands of rows is not
    thousands times the blocked clients."""
    candidates = _candidates(clients)
    if not blocked:
        return []
    ids = [c.id for c in candidates if c.id is not None]
    decided = set(session.execute(
        select(IdentityMatch.client_id, IdentityMatch.matched_client_id)
        .where(IdentityMatch.client_id.in_(ids), IdentityMatch.decision != "")).all()) if ids and blocked else set()
    sharing: dict[tuple, list[int]] = defaultdict(list)
    for position, other in enumerate(blocked):
        for key in _shared_keys(other):
            sharing[key].append(position)
    found = []
    for client in candidates:
        for position in sorted({position for key in _shared_keys(client) for position in sharing.get(key, ())}):
            other = blocked[position]
            if other.id != client.id and (client.id, other.id) not in decided and (on := matched_on(client, other)):
                found.append(Match(client, other, on))
    return found


def sharing_keys(client, blocked):
    """SQL: `blocked` (an alias of Client) cannot be booked and shares a phone, an e-mail or
    a date of birth with `client`, whose own standing allows booking: the blocked clients
    `find` compares a client with, as a join's condition. An empty phone or e-mail is
    NULL, which equals nothing, as in `_BLOCKED_SHARING_ONES_KEYS`."""
    return and_(not_(one_of(client.standing, UNBOOKABLE_STANDINGS)), one_of(blocked.standing, UNBOOKABLE_STANDINGS),
                or_(blocked.phone == func.nullif(client.phone, ""), blocked.email == func.nullif(client.email, ""),
                    blocked.date_of_birth == client.date_of_birth))


# One client's (its form, a booking): built once, its keys as parameters (a missing key is
# NULL, which equals nothing); building the statement for any number of clients took longer
# than running it.
_BLOCKED_SHARING_ONES_KEYS = (
    select(Client).where(Client.standing.in_(UNBOOKABLE_STANDINGS),
                         or_(Client.phone == bindparam("phone"), Client.email == bindparam("email"),
                             Client.date_of_birth == bindparam("birth")))
    .order_by(Client.id))


def _blocked_sharing_keys(session, clients) -> list[Client]:
    """The clients who cannot be booked sharing a phone, an e-mail or a date of birth with
    any of `clients`, by id (no query when they have none of these)."""
    if len(clients) == 1 and any(_shared_keys(clients[0])):
        client = clients[0]
        return list(session.scalars(_BLOCKED_SHARING_ONES_KEYS, {
            "phone": client.phone or None, "email": client.email or None, "birth": client.date_of_birth}))
    conditions = _keys(session, clients)
    if not conditions:
        return []
    return list(session.scalars(
        select(Client).where(Client.standing.in_(UNBOOKABLE_STANDINGS), or_(*conditions)).order_by(Client.id)))


def _matching_blocked(session, blocked: list[Client], known: set[int]) -> list[Client]:
    """Bookable clients who share a phone, an e-mail or a date of birth with these."""
    conditions = _keys(session, blocked)
    if not conditions:
        return []
    return list(session.scalars(select(Client).where(
        Client.standing.not_in(UNBOOKABLE_STANDINGS), Client.id.not_in(known), or_(*conditions))))


def recheck(session, actor: Actor, clients, *, now) -> list[Match]:
    """After a write that changes who these clients may be: a new match holds its record
    from booking (audited); a match that no longer holds is dropped. A client who cannot be
    booked (just moved on, say) holds the records that match them. Flushes, never commits."""
    session.flush()  # new records need their ids
    clients = list(clients)
    blocked = [c for c in clients if c.standing in UNBOOKABLE_STANDINGS]
    if blocked:
        clients += _matching_blocked(session, blocked, {c.id for c in clients})
    found = find(session, clients)
    held = {c.id for c in clients}
    undecided = {(row.client_id, row.matched_client_id): row for row in session.scalars(
        select(IdentityMatch).where(IdentityMatch.client_id.in_(held), IdentityMatch.decision == ""))}
    for match in found:
        row = undecided.pop((match.client.id, match.blocked.id), None)
        if row is not None:
            row.matched_on = match.on_text
            continue
        session.add(IdentityMatch(client_id=match.client.id, matched_client_id=match.blocked.id,
                                  matched_on=match.on_text, found_at=now))
        record(session, actor, "client.identity_match", match.client, now=now,
               matched_client_id=match.blocked.id, matched_on=match.on_text)
    for row in undecided.values():  # the details changed, or the other may be booked again
        session.delete(row)
    session.flush()
    for client in clients:
        session.expire(client, ["identity_hold"])
    return found


def refuse_unless_bookable(session, actor: Actor, client: Client, *, override: bool, now,
                           field: str = "client_id") -> None:
    """Before booking or moving: refuse a client who matches someone who cannot be booked
    (no override: decide first whether it is the same person), and a client whose own
    standing forbids booking unless a practitioner or admin overrides it."""
    matches = [m for m in recheck(session, actor, [client], now=now) if m.client is client]
    if matches or (client.standing in UNBOOKABLE_STANDINGS and not override):
        raise DomainError(NOT_BOOKABLE, field=field)
