"""Client records: validation and normalisation of contact details, writes, archiving."""

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import or_, select

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.clients import identity, signals
from practice.clients.models import (
    STANDINGS,
    UNBOOKABLE_STANDINGS,
    CareGrant,
    Client,
    IdentityMatch,
    PrivateNote,
    StandingChange,
)
from practice.errors import DomainError
from practice.phones import display_phone, normalise_phone  # noqa: F401  (also used from here)
from practice.validation import checked_email


@dataclass
class ClientDetails:
    display_name: str
    legal_name: str = ""
    pronouns: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    date_of_birth: date | None = None
    primary_practitioner_id: int | None = None
    referral_source: str = ""


FIELD_LIMITS = {
    "display_name": 120, "legal_name": 200, "pronouns": 40, "phone": 40, "email": 254,
    "address": 1000, "referral_source": 200,
}
DETAIL_FIELDS = tuple(field.name for field in fields(ClientDetails))


def clean_details(session, details: ClientDetails, *, phone_region: str, today: date) -> ClientDetails:
    """Validate and normalise; raise DomainError naming the first bad field."""
    cleaned, errors = clean_each_field(details, phone_region=phone_region, today=today)
    if errors:
        raise errors[0]
    practitioner_id = cleaned.primary_practitioner_id
    if practitioner_id is not None and session.get(Practitioner, practitioner_id) is None:
        raise DomainError("Choose a practitioner from the list.", field="primary_practitioner_id")
    return cleaned


def clean_each_field(details: ClientDetails, *, phone_region: str,
                     today: date) -> tuple[ClientDetails, list[DomainError]]:
    """Every field checked on its own (the practitioner aside, which needs the database):
    the details normalised, and the first error of each bad field (an import reports them
    all, a form the first). Plain attribute reads: an import checks thousands of rows."""
    values = {name: (value.strip() if isinstance(value, str) else value)
              for name in DETAIL_FIELDS for value in (getattr(details, name),)}
    errors = []
    if not values["display_name"]:
        errors.append(DomainError(
            "Give the client a name to be known by (a first name or alias is enough).",
            field="display_name",
        ))
    too_long = {name for name, limit in FIELD_LIMITS.items() if len(values[name]) > limit}
    errors += [DomainError(f"Keep this under {limit} characters.", field=name)
               for name, limit in FIELD_LIMITS.items() if name in too_long]
    for name, clean in (("phone", lambda raw: normalise_phone(raw, phone_region)), ("email", checked_email)):
        if name not in too_long:
            try:
                values[name] = clean(values[name])
            except DomainError as error:
                errors.append(error)
    birth = values["date_of_birth"]
    if birth is not None and not (date(1900, 1, 1) <= birth <= today):
        errors.append(DomainError("The date of birth must be a past date.", field="date_of_birth"))
    return ClientDetails(**values), errors


def possible_duplicates(session, details: ClientDetails, exclude_id: int | None = None) -> list[Client]:
    """Other clients with the same phone or e-mail: worth a warning, not a refusal."""
    matches = []
    if details.phone:
        matches.append(Client.phone == details.phone)
    if details.email:
        matches.append(Client.email == details.email)
    if not matches:
        return []
    query = select(Client).where(or_(*matches)).order_by(Client.display_name)
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    return list(session.scalars(query))


def create_client(session, actor: Actor, details: ClientDetails, *, phone_region: str, now: datetime) -> Client:
    details = clean_details(session, details, phone_region=phone_region, today=now.date())
    client = Client(**asdict(details), created_at=now)
    session.add(client)
    session.flush()
    record(session, actor, "client.create", client, now=now, display_name=client.display_name)
    identity.recheck(session, actor, [client], now=now)
    session.flush()
    return client


def update_client(
    session, actor: Actor, client: Client, details: ClientDetails, *, phone_region: str, now: datetime
) -> None:
    details = clean_details(session, details, phone_region=phone_region, today=now.date())
    changes = {}
    for field in fields(ClientDetails):
        old, new = getattr(client, field.name), getattr(details, field.name)
        if old != new:
            changes[field.name] = [_jsonable(old), _jsonable(new)]
            setattr(client, field.name, new)
    if changes:
        record(session, actor, "client.update", client, now=now, **changes)
        identity.recheck(session, actor, [client], now=now)
    session.flush()


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def archive_client(session, actor: Actor, client: Client, *, now: datetime) -> None:
    if client.archived_at is not None:
        return
    client.archived_at = now
    record(session, actor, "client.archive", client, now=now)
    session.flush()


def restore_client(session, actor: Actor, client: Client, *, now: datetime) -> None:
    if client.archived_at is None:
        return
    client.archived_at = None
    record(session, actor, "client.restore", client, now=now)
    session.flush()


# Standing and private notes --------------------------------------------------------------

NOTE_KINDS = {"note": "Note", "consultation": "Consultation with a colleague"}


def set_standing(session, actor: Actor, client: Client, to_standing: str, reason: str, *, now: datetime) -> StandingChange:
    """The practitioner's decision about where a client stands; every change is kept."""
    if to_standing not in STANDINGS:
        raise DomainError("Choose one of the standings listed.", field="standing")
    if to_standing == client.standing:
        raise DomainError(f"{client.display_name} is already {STANDINGS[to_standing].lower()}.", field="standing")
    reason = reason.strip()
    if not reason:
        raise DomainError("Write the reason for this decision; it is kept with the record.", field="reason")
    change = StandingChange(
        client_id=client.id, from_standing=client.standing, to_standing=to_standing, reason=reason,
        changed_at=now, changed_by_id=actor.user.id if actor.user else None,
    )
    session.add(change)
    client.standing = to_standing
    record(session, actor, "client.standing", client, now=now,
           standing=[change.from_standing, to_standing], reason=reason)
    identity.recheck(session, actor, [client], now=now)
    session.flush()
    signals.standing_changed.send(client, facts={
        "from_standing": change.from_standing, "to_standing": to_standing, "reason": reason,
        "changed_at": now, "changed_by_id": change.changed_by_id,
    })
    return change


def write_private_note(
    session, actor: Actor, client: Client, *, kind: str, body: str, colleague: str = "", now: datetime,
) -> PrivateNote:
    """A note for its author's eyes only (audited without its text, which stays private)."""
    if actor.user is None:
        raise DomainError("A private note needs an author.")
    if kind not in NOTE_KINDS:
        raise DomainError("Choose a note or a consultation.", field="kind")
    body, colleague = body.strip(), colleague.strip()
    if not body:
        raise DomainError("The note is empty.", field="body")
    if len(colleague) > 200:
        raise DomainError("Use at most 200 characters.", field="colleague")
    note = PrivateNote(client_id=client.id, author_id=actor.user.id, kind=kind, body=body,
                       colleague=colleague if kind == "consultation" else "", written_at=now)
    session.add(note)
    session.flush()
    record(session, actor, "client.private_note", client, now=now, note_id=note.id, kind=kind)
    session.flush()
    return note


# The care team ------------------------------------------------------------------------------

def grant_access(session, actor: Actor, client: Client, practitioner: Practitioner, reason: str, *,
                 now: datetime) -> CareGrant:
    """Give a practitioner access to the client's record, with the reason (audited). The
    view checks that the actor is the primary practitioner or an admin."""
    reason = reason.strip()
    if not practitioner.active:
        raise DomainError("Choose a practitioner who works here now.", field="practitioner_id")
    if client.primary_practitioner_id == practitioner.id:
        raise DomainError(f"{practitioner.display_name} is already the client's practitioner.",
                          field="practitioner_id")
    if not reason:
        raise DomainError("Say why they need to see the record; it is kept with the access.", field="reason")
    if len(reason) > 1000:
        raise DomainError("Keep the reason under 1000 characters.", field="reason")
    already = session.scalar(select(CareGrant).where(
        CareGrant.client_id == client.id, CareGrant.practitioner_id == practitioner.id,
        CareGrant.revoked_at.is_(None)))
    if already is not None:
        raise DomainError(f"{practitioner.display_name} already has access.", field="practitioner_id")
    grant = CareGrant(client_id=client.id, practitioner_id=practitioner.id, reason=reason, granted_at=now,
                      granted_by_id=actor.user.id if actor.user else None)
    session.add(grant)
    session.flush()
    record(session, actor, "client.access_grant", client, now=now, grant_id=grant.id,
           practitioner_id=practitioner.id, reason=reason)
    return grant


def revoke_access(session, actor: Actor, grant: CareGrant, *, now: datetime) -> None:
    """Take the access back; the grant is kept, with when and by whom it ended."""
    if grant.revoked_at is not None:
        raise DomainError("This access has already been taken back.")
    grant.revoked_at = now
    grant.revoked_by_id = actor.user.id if actor.user else None
    session.flush()
    record(session, actor, "client.access_revoke", session.get(Client, grant.client_id), now=now,
           grant_id=grant.id, practitioner_id=grant.practitioner_id)


# Identity: a record that matches a client who cannot be booked ----------------------------------

IDENTITY_DECISIONS = {"same": "The same person", "different": "A different person"}


def decide_identity(session, actor: Actor, client: Client, matched: Client, decision: str, reason: str, *,
                    now: datetime) -> IdentityMatch:
    """The practitioner's or admin's decision about a match (the view checks who may):
    "same": the record takes the other's standing; "different": the pair no longer matches.
    Both are audited; a different person needs the reason."""
    if decision not in IDENTITY_DECISIONS:
        raise DomainError("Choose whether this is the same person.", field="decision")
    reason = reason.strip()
    if decision == "different" and not reason:
        raise DomainError("Say how you know they are different people; it is kept with the decision.",
                          field="reason")
    if len(reason) > 2000:
        raise DomainError("Keep the reason under 2000 characters.", field="reason")
    identity.recheck(session, actor, [client], now=now)
    match = session.scalar(select(IdentityMatch).where(
        IdentityMatch.client_id == client.id, IdentityMatch.matched_client_id == matched.id,
        IdentityMatch.decision == ""))
    if match is None:
        raise DomainError("These records no longer match, or someone has already decided.")
    match.decision, match.reason = decision, reason
    match.decided_at, match.decided_by_id = now, actor.user.id if actor.user else None
    record(session, actor, f"client.identity_{decision}", client, now=now, matched_client_id=matched.id,
           matched_on=match.matched_on, reason=reason)
    session.flush()
    session.expire(client, ["identity_hold"])
    if decision == "same" and matched.standing in UNBOOKABLE_STANDINGS and client.standing != matched.standing:
        why = f"The same person as client {matched.id} ({match.matched_on}), whose standing this record takes."
        set_standing(session, actor, client, matched.standing, f"{why} {reason}".strip(), now=now)
    return match


# Who has looked at a record ---------------------------------------------------------------------

RECORD_VIEW = "client.record_view"


def record_view(session, actor: Actor, client: Client, what: str, *, now: datetime, **detail) -> None:
    """Note that `actor` opened part of the client's record (the conduct record, the evidence
    report, a letter or its PDF, an attachment). Flushes; the request commits it."""
    record(session, actor, RECORD_VIEW, client, now=now, what=what, **detail)
    session.flush()
