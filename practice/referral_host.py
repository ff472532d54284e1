"""The practice as the referral network's host (referrals.host.Host): its users, clients and
practitioners behind the ids the network keeps, its permissions and care team, its clock and
audit trail, and each practitioner's room for new clients."""

from datetime import datetime

from flask import current_app, flash, url_for
from flask_login import current_user
from sqlalchemy import func, select

from practice import clock
from practice.audit.services import Actor, record
from practice.auth.models import Practitioner, User
from practice.auth.permissions import can, readable_clients
from practice.auth.queries import active_practitioners
from practice.clients import identity
from practice.clients import services as client_services
from practice.clients.models import UNBOOKABLE_STANDINGS, Client
from practice.clients.queries import escape_like
from practice.db import db
from practice.errors import DomainError
from practice.imports import services as import_services
from practice.imports.registry import Importer, register
from practice.scheduling.queries import bookable_services
from practice.scheduling.services import specialties_of
from practice.settings.services import get_practice, local_date
from practice.web import acting, back_to, practice_profile
from referrals import csv_io as directory_csv
from referrals.host import Capacity, Host, Person

_NAMES = {"user": (User.id, User.name), "client": (Client.id, Client.display_name),
          "practitioner": (Practitioner.id, Practitioner.display_name)}


def _client(client: Client) -> Person:
    return Person(client.id, client.display_name, client, current=client.archived_at is None)


def _practice_actor(session, actor) -> Actor:
    """The practice's Actor for the network's own (referrals.host.SYSTEM, say)."""
    if isinstance(actor, Actor):
        return actor
    return Actor(session.get(User, actor.user_id) if actor.user_id else None, actor.address)


def _practitioner(practitioner: Practitioner) -> Person:
    return Person(practitioner.id, practitioner.display_name, practitioner)


class PracticeHost(Host):
    layout = "practice/base.html"

    def can(self, action: str, obj=None) -> bool:
        return can(current_user, action, obj.record if isinstance(obj, Person) else obj)

    def refuse(self):
        """Visitors go to the sign-in page; signed-in users without the permission get a 403."""
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return super().refuse()

    def actor(self):
        return acting()

    def readable_clients(self, client_id):
        return readable_clients(current_user, client_id)

    def record(self, session, actor, action: str, target, *, now: datetime, **detail) -> None:
        record(session, _practice_actor(session, actor), action, target, now=now, **detail)

    def start_import(self, session, actor, filename: str, text: str) -> str | None:
        job = import_services.start_check(session, actor, DIRECTORY.name, filename, text, now=self.now())
        return url_for("imports.show", job_id=job.id)

    def now(self) -> datetime:
        return clock.now()

    def today(self, session):
        return local_date(session, self.now())

    def phone_region(self, session) -> str:
        return practice_profile().phone_region

    def names(self, kind: str, ids) -> dict[int, str]:
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        key, name = _NAMES[kind]
        return dict(db.session.execute(select(key, name).where(key.in_(ids))).all())

    def client(self, client_id: int) -> Person | None:
        found = db.session.get(Client, client_id)
        return _client(found) if found else None

    def clients_named(self, text: str, limit: int) -> list[Person]:
        escaped = escape_like(text.lower())
        return [_client(c) for c in db.session.scalars(
            select(Client)
            .where(Client.archived_at.is_(None), self.readable_clients(Client.id),
                   func.lower(Client.display_name).like(f"%{escaped}%", escape="\\"))
            .order_by(func.lower(Client.display_name), Client.id).limit(limit)
        )]

    def client_url(self, client: Person) -> str | None:
        return url_for("clients.show", client_id=client.id) if self.can("clients.view") else None

    def referral_letter_urls(self, client: Person, specialist_ids, modality_ids) -> dict[int, str]:
        if not self.can("letters.issue", client):
            return {}
        # One URL built, each colleague's id added to it: url_for is slow enough to show on
        # a page of 25 colleagues.
        start = url_for("letters.compose_letter", kind="referral", client_id=client.id,
                        modality_ids=list(modality_ids), next=back_to())
        return {specialist_id: f"{start}&specialist_id={int(specialist_id)}" for specialist_id in specialist_ids}

    def inquiry_reply_url(self, inquiry) -> str | None:
        if not self.can("letters.issue"):
            return None
        return url_for("letters.compose_letter", kind="practice_full", inquiry_id=inquiry.id)

    def services(self) -> dict[int, str]:
        return {service.id: service.name for service in bookable_services()}

    def service_specialties(self, service_ids) -> dict[int, list[int]]:
        return specialties_of(db.session, [i for i in service_ids if i is not None])

    def client_from_inquiry(self, session, actor, inquiry, *, phone_region: str, now: datetime) -> Person:
        details = client_services.ClientDetails(
            display_name=inquiry.name, phone=inquiry.phone, email=inquiry.email,
            primary_practitioner_id=inquiry.practitioner_id, referral_source="Inquiry",
        )
        return _client(client_services.create_client(session, actor, details, phone_region=phone_region, now=now))

    def tell_about_new_client(self, client: Person) -> None:
        if not client.record.bookable:
            flash(identity.NOT_BOOKABLE, "warning")

    def practitioners(self) -> list[Person]:
        return [_practitioner(p) for p in active_practitioners()]

    def capacities(self, session) -> dict[int, Capacity]:
        """Every active practitioner's room, in two queries: active clients are those they
        are the primary practitioner of, not archived and not moved on or declined."""
        practitioners = list(session.scalars(
            select(Practitioner).where(Practitioner.active).order_by(Practitioner.display_name)))
        counts = dict(session.execute(
            select(Client.primary_practitioner_id, func.count(Client.id))
            .where(Client.archived_at.is_(None), Client.standing.not_in(UNBOOKABLE_STANDINGS),
                   Client.primary_practitioner_id.is_not(None))
            .group_by(Client.primary_practitioner_id)
        ).all())
        return {p.id: Capacity(_practitioner(p), p.accepting_new_clients, p.max_active_clients,
                               counts.get(p.id, 0)) for p in practitioners}

    def set_capacity(self, session, actor, practitioner_id: int, *, accepting: bool,
                     max_active_clients: int | None, now: datetime) -> None:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise DomainError("Choose a practitioner from the list.")
        changes = {}
        for name, value in (("accepting_new_clients", accepting), ("max_active_clients", max_active_clients)):
            if getattr(practitioner, name) != value:
                changes[name] = [getattr(practitioner, name), value]
                setattr(practitioner, name, value)
        if changes:
            self.record(session, actor, "practitioner.capacity", practitioner, now=now, **changes)
        session.flush()


def _check_directory(session, text: str, *, now: datetime, progress=None):
    return directory_csv.check_upload(session, text, phone_region=get_practice(session).phone_region,
                                      progress=progress)


# The directory's import runs in the background here, as the clients' does.
DIRECTORY = register(Importer(
    "referrals.directory", "specialists", "referrals.edit", check=_check_directory,
    save=directory_csv.save_specialists, upload_endpoint="referrals.import_upload",
    list_endpoint="referrals.directory", shown=directory_csv.SHOWN,
))
