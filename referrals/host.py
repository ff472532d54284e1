"""What the referral network asks of the application it runs in: its host.

The network's own tables keep specialists, modalities, referrals and inquiries. The people
they name (the client referred, the user who referred or checked an entry, the practitioner
an inquiry asks for) belong to the host and are kept by id (referrals.models); their names,
who may do what, the clock and the audit trail come from the `Host` kept in
app.extensions["referrals"]. A site subclasses `Host`, overrides what it has and passes it
to `referrals.init_app`; each default suits a site with no clients or practitioners of its
own, where the directory can be read and nothing changed. The practice's host is
practice/referral_host.py."""

from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, current_app, request
from sqlalchemy import false, true

from practice.errors import DomainError

READ_ONLY = frozenset({"referrals.view"})


@dataclass(frozen=True)
class Person:
    """One of the host's people as the network shows them. `record` is the host's own object:
    the network never looks inside it; the host's `can` may."""

    id: int
    name: str
    record: object = None
    current: bool = True  # a client who may still be referred (not archived)


@dataclass(frozen=True)
class Actor:
    """Who acts and from where, for the host's audit trail. (Inside the practice this is
    practice.audit.services.Actor, which has the same `user_id` and `address`.)"""

    user_id: int | None = None
    address: str = ""


SYSTEM = Actor()


@dataclass(frozen=True)
class Capacity:
    """A practitioner's room for new clients."""

    practitioner: Person
    accepting: bool
    limit: int | None  # the most active clients at a time; None for no limit
    active_clients: int

    @property
    def has_room(self) -> bool:
        return self.accepting and (self.limit is None or self.active_clients < self.limit)

    @property
    def summary(self) -> str:
        count = f"{self.active_clients} active client{'' if self.active_clients == 1 else 's'}"
        if self.limit is not None:
            count += f" of at most {self.limit}"
        if not self.accepting:
            return f"Not taking new clients ({count})"
        return f"Has room ({count})" if self.has_room else f"Full ({count})"


class Host:
    """The defaults: a site with a directory anyone may read, and no people of its own."""

    layout = "referrals/standalone.html"  # the template the network's pages extend
    timezone = "UTC"  # what "today" means (follow-ups, "verified today")

    # Who acts and what they may do ----------------------------------------------------

    def can(self, action: str, obj=None) -> bool:
        """Whether the signed-in user may do `action`, on `obj` when given. The actions:
        referrals.view (read the directory), referrals.edit (specialists, modalities,
        imports), referrals.refer (record referrals and their outcomes), referrals.record
        (a client's referrals: `obj` is the client's Person), inquiries.manage,
        capacity.manage (`obj`: the practitioner's Person), clients.edit (who referred a
        client; make an inquiry a client)."""
        return action in READ_ONLY

    def refuse(self):
        """The answer to a visitor who may not open a page."""
        abort(403)

    def actor(self):
        """Who is acting (an Actor: its `user_id` is stored as who referred or checked)."""
        return Actor(None, request.remote_addr or "")

    def readable_clients(self, client_id):
        """SQL: the clients (by the `client_id` column) whose referrals the signed-in user may
        read. By default all or none, as `can` answers for referrals.record."""
        return true() if self.can("referrals.record") else false()

    def record(self, session, actor, action: str, target, *, now: datetime, **detail) -> None:
        """Add an audit entry for a change the network made, to the same session (it is
        committed with the change or not at all). By default nothing is kept."""

    # Time and place ----------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def today(self, session) -> date:
        return self.now().astimezone(ZoneInfo(self.timezone)).date()

    def phone_region(self, session) -> str:
        """How a phone number written without a country code is read."""
        return current_app.config.get("PRACTICE_PHONE_REGION", "GB")

    # The host's people -------------------------------------------------------------------

    def names(self, kind: str, ids) -> dict[int, str]:
        """The names of the host's records of `kind` ("user", "client", "practitioner") with
        these ids, in one query."""
        return {}

    def client(self, client_id: int) -> Person | None:
        """One client (a referral's, or the one being referred)."""
        return None

    def clients_named(self, text: str, limit: int) -> list[Person]:
        """Current clients whose name holds `text`, among those whose referrals the user may
        read, by name: at most `limit` (the match page's "which client?")."""
        return []

    def client_url(self, client: Person) -> str | None:
        """A link to the client's own page on the site, if the user may follow it."""
        return None

    def referral_letter_urls(self, client: Person, specialist_ids, modality_ids) -> dict[int, str]:
        """Links to write the client's referral letter to each of these specialists, by
        specialist id, if the site writes letters and the user may (none by default)."""
        return {}

    def inquiry_reply_url(self, inquiry) -> str | None:
        """A link to write the reply to an inquiry (the practice's "practice full" letter), if
        the site writes letters and the user may."""
        return None

    def services(self) -> dict[int, str]:
        """The site's own services an inquiry may ask for (id -> name), listed before the
        network's specialties; none by default."""
        return {}

    def service_specialties(self, service_ids) -> dict[int, list[int]]:
        """The network's specialties (modality ids) each of these services of the site covers,
        by service id: whom an inquiry for the service is matched to. None by default."""
        return {}

    def client_from_inquiry(self, session, actor, inquiry, *, phone_region: str, now: datetime) -> Person:
        """Make a client of the person behind an inquiry (added and flushed, not committed)."""
        raise DomainError("This site keeps no client records.")

    def tell_about_new_client(self, client: Person) -> None:
        """After an inquiry became a client: flash anything the user should know at once."""

    # Practitioners and their room for new clients ----------------------------------------

    def practitioners(self) -> list[Person]:
        """Whom an inquiry may ask for (besides anyone)."""
        return []

    def capacities(self, session) -> dict[int, Capacity] | None:
        """Each practitioner's room, by practitioner id, in a fixed number of queries; None
        when the site keeps none (a waitlisted place may then always be offered)."""
        return None

    def set_capacity(self, session, actor, practitioner_id: int, *, accepting: bool,
                     max_active_clients: int | None, now: datetime) -> None:
        """Save a practitioner's room (checked by referrals.services.update_capacity)."""
        raise DomainError("This site keeps no practitioners.")


def current() -> Host:
    return current_app.extensions["referrals"]


# Shorthands for the views and services.

def now() -> datetime:
    return current().now()


def today(session) -> date:
    return current().today(session)


def actor():
    return current().actor()


def allowed(action: str, obj=None) -> bool:
    return bool(current().can(action, obj))


def audit(session, actor, action: str, target=None, *, now: datetime, **detail) -> None:
    current().record(session, actor, action, target, now=now, **detail)


def require(action: str, obj=None) -> None:
    if not allowed(action, obj):
        abort(403)


def permission_required(action: str):
    """View decorator: the host's answer (the practice: the sign-in page for visitors, 403
    otherwise) unless the user may do `action`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not allowed(action):
                return current().refuse()
            return view(*args, **kwargs)

        return wrapped

    return decorator
