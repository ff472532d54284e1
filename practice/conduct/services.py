"""Every write to the conduct record: incidents, corrections, automatic entries,
communications and incident categories. Entries are only ever appended (chain.append)."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select

from practice import localtime
from practice.audit.services import SYSTEM, Actor, record
from practice.clients.models import Client
from practice.conduct import chain, signals
from practice.conduct.attachments import CheckedFile, Upload, check_uploads
from practice.conduct.fullcheck import check_values
from practice.conduct.jobs import EVIDENCE_REPORT
from practice.conduct.models import (
    CHANNELS,
    COMMUNICATION_CHANNELS,
    COMMUNICATION_KINDS,
    SEVERITIES,
    Attachment,
    ChainCheck,
    Communication,
    ConductEntry,
    IncidentCategory,
)
from practice.errors import DomainError
from practice.jobs.models import Job
from practice.jobs.services import enqueue
from practice.policies.queries import policy_in_force

MAX_TEXT = 20_000
MAX_SHORT = 200
FUTURE_SLACK = timedelta(minutes=5)  # clocks differ a little; the future is refused
AUTOMATIC_KINDS = ("late_arrival", "no_show", "late_cancellation", "non_payment",
                   "short_payment", "fee_waived")


# Shared checks ------------------------------------------------------------------------

def _text(value: str, field_name: str, *, limit: int = MAX_TEXT, required: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(required, field=field_name)
    if len(value) > limit:
        raise DomainError(f"Please keep this under {limit:,} characters.", field=field_name)
    return value


def _not_in_future(moment: datetime | None, field_name: str, now: datetime, *, required: str) -> datetime:
    if moment is None:
        raise DomainError(required, field=field_name)
    if moment > now + FUTURE_SLACK:
        raise DomainError("This cannot be in the future.", field=field_name)
    return moment


def _policy_in_force(session, at: datetime) -> int:
    return policy_in_force(session, at).id


def _append(session, entry: ConductEntry, files: list[CheckedFile]) -> ConductEntry:
    attachments = [Attachment(filename=f.filename, media_type=f.media_type, size=f.size,
                              sha256=f.sha256, data=f.data) for f in files]
    return chain.append(session, entry, attachments)


def _entry(**values) -> ConductEntry:
    """An entry with every hashed field set (defaults only apply at INSERT, after hashing)."""
    defaults = dict(
        category_id=None, severity=None, safety=False, occurred_to=None, recorded_by_id=None,
        appointment_id=None, policy_id=None, minutes=None, amount_cents=None, location="",
        channel=None, description="", response="", effect="", witnesses="",
        police_reference="", note="", corrects_id=None, withdrawn=False, related_ids="",
    )
    return ConductEntry(**(defaults | values))


def _announce(entry: ConductEntry) -> None:
    signals.conduct_recorded.send(entry, facts={
        "entry_id": entry.id, "client_id": entry.client_id, "kind": entry.kind,
        "safety": entry.safety, "source": entry.source, "occurred_from": entry.occurred_from,
        "corrects_id": entry.corrects_id,
    })


# Incidents ----------------------------------------------------------------------------

@dataclass
class IncidentDetails:
    category_id: int | None
    severity: str
    occurred_from: datetime | None
    occurred_to: datetime | None = None
    channel: str = ""
    location: str = ""
    description: str = ""
    response: str = ""
    effect: str = ""
    witnesses: str = ""
    police_reference: str = ""
    safety: bool = False  # a safety category sets it whatever this says
    related_ids: list[int] = field(default_factory=list)


def _checked_incident(session, client: Client, details: IncidentDetails, now: datetime) -> dict:
    """The entry's fields from an incident form, or a refusal naming the field."""
    category = session.get(IncidentCategory, details.category_id) if details.category_id else None
    if category is None or category.retired:
        raise DomainError("Choose what kind of incident this was.", field="category_id")
    if details.severity not in SEVERITIES:
        raise DomainError("Choose how serious it was.", field="severity")
    if details.channel not in CHANNELS:
        raise DomainError("Choose how it happened.", field="channel")
    occurred_from = _not_in_future(details.occurred_from, "occurred_from", now,
                                   required="Say when it happened.")
    if details.occurred_to is not None:
        _not_in_future(details.occurred_to, "occurred_to", now, required="")
        if details.occurred_to < occurred_from:
            raise DomainError("The end must be after the start.", field="occurred_to")
    safety = category.safety or details.safety
    return dict(
        client_id=client.id, kind="safety" if safety else "boundary", category_id=category.id,
        severity=details.severity, safety=safety, occurred_from=occurred_from,
        occurred_to=details.occurred_to, channel=details.channel,
        location=_text(details.location, "location", limit=MAX_SHORT),
        description=_text(details.description, "description",
                          required="Describe what happened, in the client's exact words where you can."),
        response=_text(details.response, "response"),
        effect=_text(details.effect, "effect"),
        witnesses=_text(details.witnesses, "witnesses"),
        police_reference=_text(details.police_reference, "police_reference", limit=MAX_SHORT),
        related_ids=_related(session, client, details.related_ids),
        policy_id=_policy_in_force(session, occurred_from),
    )


def _related(session, client: Client, ids: list[int]) -> str:
    wanted = sorted(set(ids))
    if not wanted:
        return ""
    found = session.scalar(select(func.count()).select_from(ConductEntry).where(
        ConductEntry.id.in_(wanted), ConductEntry.client_id == client.id))
    if found != len(wanted):
        raise DomainError("Choose related entries from this client's record.", field="related_ids")
    return ",".join(map(str, wanted))


def record_incident(
    session, actor: Actor, client: Client, details: IncidentDetails, uploads: list[Upload],
    *, max_bytes: int, now: datetime,
) -> ConductEntry:
    """A boundary or safety incident with its evidence, appended to the record."""
    values = _checked_incident(session, client, details, now)
    files = check_uploads(uploads, max_bytes)
    entry = _entry(**values, source="manual", recorded_at=now,
                   recorded_by_id=actor.user.id if actor.user else None)
    return _write(session, actor, entry, files, "conduct.incident", now=now)


def _write(session, actor: Actor, entry: ConductEntry, files, action: str, *, now: datetime):
    _append(session, entry, files)
    record(session, actor, action, entry, now=now, client_id=entry.client_id,
           kind=entry.kind, attachments=[f.sha256 for f in files])
    session.flush()
    _announce(entry)
    return entry


# Corrections --------------------------------------------------------------------------

def root_of(session, entry: ConductEntry) -> ConductEntry:
    """The original entry a correction corrects (a correction of a correction corrects it too)."""
    return session.get(ConductEntry, entry.corrects_id) if entry.corrects_id else entry


def record_correction(
    session, actor: Actor, original: ConductEntry, *, reason: str, withdrawn: bool = False,
    details: IncidentDetails | None = None, uploads: list[Upload] = (), max_bytes: int,
    now: datetime,
) -> ConductEntry:
    """A new entry beside `original` saying what was wrong with it; the original stays as it
    was. An automatic entry keeps its facts (they come from the appointment); an incident's
    correction carries the corrected details in full."""
    original = root_of(session, original)
    note = _text(reason, "reason", required="Say what is corrected and why.")
    if details is not None and original.source == "manual" and not withdrawn:
        values = _checked_incident(session, original.client, details, now)
    else:
        values = {name: getattr(original, name) for name in (
            "client_id", "kind", "category_id", "severity", "safety", "occurred_from",
            "occurred_to", "channel", "location", "description", "response", "effect",
            "witnesses", "police_reference", "related_ids", "policy_id")}
    files = check_uploads(list(uploads), max_bytes)
    entry = _entry(**values, source="manual", recorded_at=now,
                   recorded_by_id=actor.user.id if actor.user else None,
                   appointment_id=original.appointment_id, minutes=original.minutes,
                   amount_cents=original.amount_cents, note=note, corrects_id=original.id,
                   withdrawn=withdrawn)
    return _write(session, actor, entry, files, "conduct.correction", now=now)


# Automatic entries ----------------------------------------------------------------------

def record_automatic(
    session, *, kind: str, client_id: int, appointment_id: int, occurred_from: datetime,
    occurred_to: datetime | None = None, minutes: int | None = None,
    amount_cents: int | None = None, note: str = "", now: datetime,
) -> ConductEntry | None:
    """A policy breach (or a waived fee) from a scheduling event, once per appointment and
    kind: a repeated event records nothing more and returns None. When the entry was
    withdrawn because the event was undone (a no-show put back to booked), the event
    happening again records it again, as a correction restating the new facts."""
    if kind not in AUTOMATIC_KINDS:
        raise ValueError(f"not an automatic kind: {kind}")
    entry = _entry(
        client_id=client_id, kind=kind, occurred_from=occurred_from, occurred_to=occurred_to,
        recorded_at=now, source="automatic", appointment_id=appointment_id,
        policy_id=_policy_in_force(session, occurred_from), minutes=minutes,
        amount_cents=amount_cents, note=note[:MAX_TEXT],
    )
    chain.lock_chain(session)
    earlier = _automatic_entry(session, kind, appointment_id)
    if earlier is not None:
        return _record_again(session, earlier, entry) if _latest(session, earlier).withdrawn else None
    _append(session, entry, [])
    record(session, SYSTEM, "conduct.automatic", entry, now=now, client_id=client_id,
           kind=kind, appointment_id=appointment_id)
    session.flush()
    _announce(entry)
    return entry


def _automatic_entry(session, kind: str, appointment_id: int) -> ConductEntry | None:
    return session.scalar(select(ConductEntry).where(
        ConductEntry.appointment_id == appointment_id, ConductEntry.kind == kind,
        ConductEntry.source == "automatic"))


def _latest(session, original: ConductEntry) -> ConductEntry:
    """What the record now says about `original`: its last correction, else itself."""
    return session.scalar(select(ConductEntry).where(ConductEntry.corrects_id == original.id)
                          .order_by(ConductEntry.seq.desc()).limit(1)) or original


def _record_again(session, original: ConductEntry, fresh: ConductEntry) -> ConductEntry:
    """A withdrawn automatic entry made true again: a correction (by the system) carrying
    the new event's facts. Only one automatic entry per appointment and kind can exist."""
    fresh.source, fresh.corrects_id = "manual", original.id
    fresh.note = ("Recorded again: the appointment was marked this way again after the earlier "
                  "mark was undone." + (f" {fresh.note}" if fresh.note else ""))[:MAX_TEXT]
    _append(session, fresh, [])
    record(session, SYSTEM, "conduct.automatic_again", fresh, now=fresh.recorded_at,
           client_id=fresh.client_id, kind=fresh.kind, appointment_id=fresh.appointment_id,
           corrects=original.id)
    session.flush()
    _announce(fresh)
    return fresh


def withdraw_automatic(
    session, actor: Actor, *, appointment_id: int, kinds: tuple[str, ...], reason: str, now: datetime,
) -> list[ConductEntry]:
    """An appointment's check-in, no-show or cancellation was undone: each automatic entry
    of `kinds` it caused that still stands is withdrawn by a correction, in the name of
    whoever undid it. The chain keeps the entry and its withdrawal side by side."""
    chain.lock_chain(session)
    originals = session.scalars(select(ConductEntry).where(
        ConductEntry.appointment_id == appointment_id, ConductEntry.kind.in_(kinds),
        ConductEntry.source == "automatic").order_by(ConductEntry.seq)).all()
    return [record_correction(session, actor, original, reason=reason, withdrawn=True, max_bytes=0, now=now)
            for original in originals if not _latest(session, original).withdrawn]


# Communications -------------------------------------------------------------------------

def record_communication(
    session, actor: Actor, client: Client, *, occurred_at: datetime | None, channel: str,
    kind: str, summary: str, now: datetime,
) -> Communication:
    occurred_at = _not_in_future(occurred_at, "occurred_at", now, required="Say when it was.")
    if kind not in COMMUNICATION_KINDS:
        raise DomainError("Choose what it was.", field="kind")
    if channel not in COMMUNICATION_CHANNELS:
        raise DomainError("Choose how it was said or sent.", field="channel")
    communication = Communication(
        client_id=client.id, occurred_at=occurred_at, channel=channel, kind=kind,
        summary=_text(summary, "summary", required="Write down what was said or sent."),
        recorded_at=now, recorded_by_id=actor.user.id if actor.user else None,
    )
    session.add(communication)
    session.flush()
    record(session, actor, "conduct.communication", communication, now=now,
           client_id=client.id, kind=kind, channel=channel)
    session.flush()
    return communication


# The evidence report ----------------------------------------------------------------------

def _period_words(start: date | None, end: date | None) -> str:
    day = "{:%-d %b %Y}".format
    if start and end:
        return f"{day(start)} to {day(end)}"
    if start:
        return f"from {day(start)}"
    return f"up to {day(end)}" if end else "the whole record"


def request_evidence_report(session, actor: Actor, client: Client, *, start: date | None,
                            end: date | None, now: datetime) -> Job:
    """Queue the client's evidence report for a period (whole days; either end may be open).
    The worker makes it; the job's page offers it to whoever asked."""
    for value, name in ((start, "start"), (end, "end")):
        if value and not localtime.in_range(value):
            raise DomainError(localtime.OUT_OF_RANGE, field=name)
    if start and end and end < start:
        raise DomainError("The end of the period comes before its start.", field="end")
    payload = {"client_id": client.id, "start": start.isoformat() if start else None,
               "end": end.isoformat() if end else None}
    job = enqueue(session, EVIDENCE_REPORT.name, payload, now=now, requested_by=actor.user,
                  title=f"Evidence report: {client.display_name}, {_period_words(start, end)}")
    record(session, actor, "conduct.evidence_requested", client, now=now, job_id=job.id,
           start=payload["start"], end=payload["end"])
    return job


# Checks of the whole chain ------------------------------------------------------------------

def record_chain_check(session, result: chain.Verification, *, source: str, files_checked: bool,
                       now: datetime) -> ChainCheck:
    """Keep what a full check of the chain found (by `practice verify-log` or the daily job):
    pages then check only their client's entries and say when the whole was last checked."""
    check = ChainCheck(**check_values(result, source=source, files_checked=files_checked, now=now))
    session.add(check)
    session.flush()
    return check


# Categories -------------------------------------------------------------------------------

def add_category(session, actor: Actor, *, label: str, safety: bool, now: datetime) -> IncidentCategory:
    label = _text(label, "label", limit=MAX_SHORT, required="Name the category.")
    if session.scalar(select(exists().where(func.lower(IncidentCategory.label) == label.lower()))):
        raise DomainError("There is already a category with this name.", field="label")
    category = IncidentCategory(
        code=_unique_code(session, label), label=label, safety=safety,
        position=(session.scalar(select(func.max(IncidentCategory.position))) or 0) + 1,
    )
    session.add(category)
    session.flush()
    record(session, actor, "conduct.category_add", category, now=now, label=label, safety=safety)
    session.flush()
    return category


def _unique_code(session, label: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:30] or "category"
    taken = set(session.scalars(select(IncidentCategory.code).where(IncidentCategory.code.like(f"{base}%"))))
    code, number = base, 2
    while code in taken:
        code, number = f"{base}_{number}", number + 1
    return code


def set_category_retired(session, actor: Actor, category: IncidentCategory, retired: bool,
                         *, now: datetime) -> None:
    """Retire a category (it is no longer offered; old entries keep it) or bring it back."""
    category.retired_at = now if retired else None
    record(session, actor, "conduct.category_retire" if retired else "conduct.category_restore",
           category, now=now, label=category.label)
    session.flush()
