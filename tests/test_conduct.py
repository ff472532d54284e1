"""The conduct record: automatic entries, incidents with attachments, corrections,
communications, the hash chain and its tamper checks, and `practice verify-log`."""

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from practice.audit.services import SYSTEM, Actor
from practice.conduct import canonical, chain, fullcheck, services, signals
from practice.conduct.attachments import Upload
from practice.conduct.models import ConductEntry, IncidentCategory
from practice.db import db
from practice.errors import DomainError
from practice.scheduling import services as scheduling
from tests.conftest import NOW, committed
from tests.test_scheduling import at, book

PAST_DAY = date(2026, 11, 16)  # the Monday a week before NOW
MB = 1024 * 1024


def image_bytes(kind="PNG", size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, kind)
    return out.getvalue()


def entries(kind=None) -> list[ConductEntry]:
    query = sa.select(ConductEntry).order_by(ConductEntry.seq)
    if kind:
        query = query.where(ConductEntry.kind == kind)
    return list(db.session.scalars(query))


def category(code: str) -> IncidentCategory:
    return db.session.scalar(sa.select(IncidentCategory).where(IncidentCategory.code == code))


def past(desk, hhmm="10:00", day=PAST_DAY):
    """An appointment booked a week before it happened (bookings cannot be in the past)."""
    return book(desk, at(day, hhmm), now=at(day, hhmm) - timedelta(days=7))


def incident(client, actor, *, code="romantic", uploads=(), now=NOW, **changes):
    details = services.IncidentDetails(
        category_id=category(code).id, severity="medium", occurred_from=NOW - timedelta(days=2),
        channel="in_person", location="Treatment room",
        description='Said "I think we are meant to be together."', response="I ended the session.",
        effect="Uneasy for the rest of the day.", witnesses="Jo at the desk",
    )
    for name, value in changes.items():
        setattr(details, name, value)
    return services.record_incident(db.session, actor, client, details, list(uploads),
                                    max_bytes=10 * MB, now=now)


@pytest.fixture
def desk(users, make_client):
    """As in test_scheduling: hours 09:00-13:00 and 14:00-18:00 daily, a 60-minute service
    at 60.00, and a client."""
    practitioner = users["practitioner"].practitioner
    hours = [(d, time(9), time(13)) for d in range(7)] + [(d, time(14), time(18)) for d in range(7)]
    scheduling.set_working_hours(db.session, SYSTEM, practitioner.id, hours, now=NOW)
    service = scheduling.create_service(db.session, SYSTEM, name="Remedial massage", duration_minutes=60,
                                        price_cents=6000, buffer_after_minutes=15, now=NOW)
    return practitioner, service, make_client("Sam")


@pytest.fixture
def practitioner_actor(users):
    return Actor(users["practitioner"], "127.0.0.1")


# Automatic entries ----------------------------------------------------------------------

def test_late_arrival_beyond_the_grace_is_recorded_with_its_minutes(desk):
    appointment = past(desk)
    scheduling.check_in(db.session, SYSTEM, appointment, at(PAST_DAY, "10:25"), now=at(PAST_DAY, "10:25"))
    [entry] = entries()
    assert (entry.kind, entry.minutes, entry.source) == ("late_arrival", 25, "automatic")
    assert entry.appointment_id == appointment.id and entry.client_id == appointment.client_id
    assert entry.occurred_from == appointment.start_at and entry.occurred_to == at(PAST_DAY, "10:25")
    assert entry.policy_id is not None and entry.recorded_by_id is None and entry.severity is None


def test_the_record_page_links_each_entry_to_its_correction_and_appointment(desk, client, users, login):
    """The record writes its entries' links from URLs built once: the same links url_for writes."""
    appointment = past(desk)
    scheduling.check_in(db.session, SYSTEM, appointment, at(PAST_DAY, "10:25"), now=at(PAST_DAY, "10:25"))
    [entry] = entries()
    db.session.commit()
    login(users["practitioner"])
    page = client.get(f"/clients/{appointment.client_id}/conduct").get_data(as_text=True)
    assert f'href="/conduct/entries/{entry.id}/correct">Correct</a>' in page
    assert f'href="/appointments/{appointment.id}">View the appointment</a>' in page


@pytest.mark.parametrize("minutes", [0, 5, 10])
def test_arriving_within_the_grace_records_nothing(desk, minutes):
    appointment = past(desk)
    moment = appointment.start_at + timedelta(minutes=minutes)
    scheduling.check_in(db.session, SYSTEM, appointment, moment, now=moment)
    assert entries() == []


def test_eleven_minutes_late_is_beyond_a_ten_minute_grace(desk):
    appointment = past(desk)
    moment = appointment.start_at + timedelta(minutes=11)
    scheduling.check_in(db.session, SYSTEM, appointment, moment, now=moment)
    assert [e.minutes for e in entries("late_arrival")] == [11]


def test_no_show_is_recorded_with_its_fee(desk):
    appointment = past(desk)
    scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(PAST_DAY, "10:30"),
                            confirm_unacknowledged=True)
    [entry] = entries()
    assert (entry.kind, entry.amount_cents, entry.appointment_id) == ("no_show", 6000, appointment.id)


def test_late_cancellation_is_recorded_with_the_reason_and_fee(desk):
    appointment = book(desk, at(date(2026, 11, 24), "09:00"))
    scheduling.cancel(db.session, SYSTEM, appointment, "Overslept", now=NOW,
                      confirm_unacknowledged=True)
    [entry] = entries()
    assert (entry.kind, entry.amount_cents) == ("late_cancellation", 3000)
    assert "Overslept" in entry.note and entry.occurred_from == NOW


def test_cancelling_in_good_time_records_nothing(desk):
    appointment = book(desk, at(date(2026, 11, 30), "09:00"))
    scheduling.cancel(db.session, SYSTEM, appointment, "Away that week", now=NOW)
    assert entries() == []


def _came_and_paid(desk, paid_cents):
    appointment = past(desk)
    scheduling.check_in(db.session, SYSTEM, appointment, appointment.start_at, now=appointment.start_at)
    if paid_cents:
        scheduling.record_payment(db.session, SYSTEM, appointment, amount_cents=paid_cents,
                                  method="card", now=appointment.end_at)
    scheduling.complete(db.session, SYSTEM, appointment, now=appointment.end_at)
    return appointment


def test_leaving_without_paying_is_non_payment(desk):
    _came_and_paid(desk, 0)
    [entry] = entries()
    assert (entry.kind, entry.amount_cents) == ("non_payment", 6000)


def test_paying_short_is_short_payment(desk):
    _came_and_paid(desk, 4500)
    [entry] = entries()
    assert (entry.kind, entry.amount_cents) == ("short_payment", 1500)
    assert entry.note == "Due £60.00, paid £45.00."


def test_paying_in_full_records_nothing(desk):
    _came_and_paid(desk, 6000)
    assert entries() == []


def test_a_waived_fee_is_recorded_with_its_reason(desk):
    appointment = past(desk)
    scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(PAST_DAY, "10:30"),
                            confirm_unacknowledged=True)
    scheduling.waive_fee(db.session, SYSTEM, appointment, "Family emergency", now=NOW)
    waived = entries("fee_waived")
    assert [(e.amount_cents, e.note) for e in waived] == [(6000, "Family emergency")]


def test_a_repeated_event_records_no_duplicate(desk):
    appointment = past(desk)
    scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(PAST_DAY, "10:30"),
                            confirm_unacknowledged=True)
    facts = scheduling.appointment_facts(appointment, NOW) | {"fee_cents": appointment.fee_cents}
    from practice.scheduling import signals as scheduling_signals

    scheduling_signals.appointment_no_show.send(appointment, facts=facts)
    assert len(entries("no_show")) == 1
    assert chain.verify_chain(db.session).ok


def test_each_entry_sends_conduct_recorded(desk, users, practitioner_actor):
    seen = []

    def note(entry, facts):
        seen.append((facts["kind"], facts["source"]))

    signals.conduct_recorded.connect(note)
    try:
        appointment = past(desk)
        scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(PAST_DAY, "10:30"),
                                confirm_unacknowledged=True)
        incident(desk[2], practitioner_actor, code="stalking")
    finally:
        signals.conduct_recorded.disconnect(note)
    assert seen == [("no_show", "automatic"), ("safety", "manual")]


# Incidents ------------------------------------------------------------------------------

def test_an_incident_is_recorded_with_its_facts(make_client, practitioner_actor):
    client = make_client("Robin")
    entry = incident(client, practitioner_actor, related_ids=[])
    assert (entry.kind, entry.safety, entry.severity, entry.source) == ("boundary", False, "medium", "manual")
    assert entry.recorded_by_id == practitioner_actor.user.id and entry.recorded_at == NOW
    assert entry.channel == "in_person" and "meant to be together" in entry.description


def test_a_safety_category_makes_a_safety_entry(make_client, practitioner_actor):
    entry = incident(make_client("Robin"), practitioner_actor, code="stalking")
    assert (entry.kind, entry.safety) == ("safety", True)


def test_the_safety_flag_can_be_set_for_any_category(make_client, practitioner_actor):
    entry = incident(make_client("Robin"), practitioner_actor, code="uncomfortable", safety=True)
    assert (entry.kind, entry.safety) == ("safety", True)


@pytest.mark.parametrize("changes, field", [
    ({"category_id": None}, "category_id"),
    ({"severity": "catastrophic"}, "severity"),
    ({"channel": "carrier pigeon"}, "channel"),
    ({"occurred_from": None}, "occurred_from"),
    ({"occurred_from": NOW + timedelta(hours=1)}, "occurred_from"),
    ({"occurred_to": NOW - timedelta(days=3)}, "occurred_to"),
    ({"description": "  "}, "description"),
    ({"police_reference": "x" * 201}, "police_reference"),
    ({"witnesses": "x" * 20_001}, "witnesses"),
    ({"related_ids": [999_999]}, "related_ids"),
])
def test_a_bad_incident_is_refused_next_to_the_field(make_client, practitioner_actor, changes, field):
    with pytest.raises(DomainError) as refused:
        incident(make_client("Robin"), practitioner_actor, **changes)
    assert refused.value.field == field
    assert entries() == []


def test_a_retired_category_is_not_offered(make_client, practitioner_actor, users):
    gifts = category("gifts")
    services.set_category_retired(db.session, practitioner_actor, gifts, True, now=NOW)
    with pytest.raises(DomainError):
        incident(make_client("Robin"), practitioner_actor, code="gifts")


def test_related_entries_must_be_the_same_clients(make_client, practitioner_actor):
    robin, kit = make_client("Robin"), make_client("Kit")
    first = incident(robin, practitioner_actor)
    second = incident(robin, practitioner_actor, related_ids=[first.id])
    assert second.related == [first.id]
    with pytest.raises(DomainError):
        incident(kit, practitioner_actor, related_ids=[first.id])


# Attachments -----------------------------------------------------------------------------

EMAIL = (b"From: Robin <robin@example.org>\r\nTo: me@harbour.example\r\nDate: Fri, 20 Nov 2026 "
         b"23:10:00 +0000\r\nSubject: tonight\r\n\r\nI saw you leave work again.\r\n")


@pytest.mark.parametrize("data, media_type", [
    (image_bytes("PNG"), "image/png"),
    (image_bytes("JPEG"), "image/jpeg"),
    (image_bytes("GIF"), "image/gif"),
    (image_bytes("WEBP"), "image/webp"),
    (b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    ("Saved message: see you soon 🙂\n".encode(), "text/plain"),
    (EMAIL, "message/rfc822"),
])
def test_attachments_are_typed_by_their_content(make_client, practitioner_actor, data, media_type):
    entry = incident(make_client("Robin"), practitioner_actor, uploads=[Upload("evidence.bin", data)])
    [attachment] = entry.attachments
    assert (attachment.media_type, attachment.size, attachment.filename) == (media_type, len(data), "evidence.bin")
    import hashlib

    assert attachment.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("data, message", [
    (b"MZ\x90\x00\x03\x00\x00\x00binary", "not a file type that can be kept"),
    (b"\x89PNG\r\n\x1a\nbroken", "not a file type that can be kept"),
    (b"", "is empty"),
    (b"x" * (2 * MB), "too large"),
])
def test_bad_attachments_are_refused_and_nothing_is_saved(make_client, practitioner_actor, data, message):
    details = services.IncidentDetails(category_id=category("gifts").id, severity="low",
                                       occurred_from=NOW, channel="gift", description="Flowers")
    with pytest.raises(DomainError) as refused:
        services.record_incident(db.session, practitioner_actor, make_client("Robin"), details,
                                 [Upload("photo.png", data)], max_bytes=MB, now=NOW)
    assert refused.value.field == "attachments" and message in refused.value.message
    assert entries() == []


def test_a_file_name_keeps_only_its_last_part(make_client, practitioner_actor):
    entry = incident(make_client("Robin"), practitioner_actor,
                     uploads=[Upload("../../etc/\x00pass\nwd.txt", b"hello")])
    assert entry.attachments[0].filename == "passwd.txt"


def test_attachment_hashes_are_part_of_the_entry_hash(make_client, practitioner_actor):
    entry = incident(make_client("Robin"), practitioner_actor, uploads=[Upload("a.txt", b"one")])
    assert entry.attachments[0].sha256 in chain.canonical(entry, entry.attachments).decode()


# Corrections and communications ---------------------------------------------------------

def test_a_correction_is_a_new_entry_beside_the_original(make_client, practitioner_actor):
    client = make_client("Robin")
    original = incident(client, practitioner_actor)
    details = services.IncidentDetails(
        category_id=category("romantic").id, severity="high", occurred_from=original.occurred_from,
        channel="in_person", description='Said "we are meant to be together" twice.')
    correction = services.record_correction(
        db.session, practitioner_actor, original, reason="It was said twice, not once.",
        details=details, max_bytes=MB, now=NOW)
    assert correction.corrects_id == original.id and correction.severity == "high"
    db.session.expire_all()
    assert db.session.get(ConductEntry, original.id).severity == "medium"  # kept as it was
    again = services.record_correction(db.session, practitioner_actor, correction,
                                       reason="Recorded for the wrong client.", withdrawn=True,
                                       max_bytes=MB, now=NOW)
    assert again.corrects_id == original.id and again.withdrawn
    assert chain.verify_chain(db.session).ok


def test_a_correction_of_an_automatic_entry_keeps_its_facts(desk, practitioner_actor):
    appointment = past(desk)
    scheduling.check_in(db.session, SYSTEM, appointment, at(PAST_DAY, "10:25"), now=at(PAST_DAY, "10:25"))
    [late] = entries()
    correction = services.record_correction(db.session, practitioner_actor, late,
                                            reason="The check-in was entered late; she was on time.",
                                            withdrawn=True, max_bytes=MB, now=NOW)
    assert (correction.kind, correction.minutes, correction.appointment_id) == ("late_arrival", 25, appointment.id)
    assert correction.source == "manual" and correction.withdrawn


def test_a_correction_needs_a_reason(make_client, practitioner_actor):
    original = incident(make_client("Robin"), practitioner_actor)
    with pytest.raises(DomainError) as refused:
        services.record_correction(db.session, practitioner_actor, original, reason=" ",
                                   max_bytes=MB, now=NOW)
    assert refused.value.field == "reason"


def test_a_communication_is_recorded(make_client, practitioner_actor):
    client = make_client("Robin")
    communication = services.record_communication(
        db.session, practitioner_actor, client, occurred_at=NOW - timedelta(days=1), channel="phone",
        kind="warning", summary="Explained that contact is for bookings only.", now=NOW)
    assert (communication.kind, communication.recorded_at) == ("warning", NOW)
    with pytest.raises(DomainError) as refused:
        services.record_communication(db.session, practitioner_actor, client, occurred_at=NOW,
                                      channel="phone", kind="gossip", summary="x", now=NOW)
    assert refused.value.field == "kind"


def test_categories_are_added_and_retired_never_deleted(practitioner_actor, users):
    added = services.add_category(db.session, practitioner_actor, label="Films me without consent",
                                  safety=True, now=NOW)
    assert added.code == "films_me_without_consent" and added.safety
    with pytest.raises(DomainError):
        services.add_category(db.session, practitioner_actor, label="films me without consent",
                              safety=False, now=NOW)
    services.set_category_retired(db.session, practitioner_actor, added, True, now=NOW)
    assert db.session.get(IncidentCategory, added.id).retired_at == NOW


# The chain --------------------------------------------------------------------------------

def _three_entries(make_client, actor):
    client = make_client("Robin")
    return committed([incident(client, actor, description=f"Incident {n}", uploads=[Upload(f"{n}.txt", b"n")])
                      for n in range(3)])


def test_the_chain_links_each_entry_to_the_one_before(make_client, practitioner_actor):
    first, second, third = _three_entries(make_client, practitioner_actor)
    assert first.prev_hash == chain.GENESIS and (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    result = chain.verify_chain(db.session)
    assert (result.ok, result.count, result.head_hash) == (True, 3, third.hash)


def test_an_empty_log_verifies(app, practice):
    assert chain.verify_chain(db.session) == chain.Verification(True, 0)


def _drop_sqlite_guards(table):
    for event in ("update", "delete"):
        db.session.execute(sa.text(f"DROP TRIGGER {table}_no_{event}"))
    db.session.commit()


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("an attacker with the SQLite file drops the triggers")


def test_an_entry_altered_behind_the_apps_back_is_named(sqlite_only, make_client, practitioner_actor):
    first, second, third = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'nothing happened' WHERE id = :id"),
                       {"id": second.id})
    db.session.commit()
    result = chain.verify_chain(db.session)
    assert not result.ok and result.bad_entry_id == second.id and result.count == 1
    assert "changed" in result.reason


def test_an_entry_deleted_behind_the_apps_back_is_noticed_at_the_next(sqlite_only, make_client, practitioner_actor):
    first, second, third = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("attachment")
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("DELETE FROM attachment WHERE entry_id = :id"), {"id": second.id})
    db.session.execute(sa.text("DELETE FROM conduct_entry WHERE id = :id"), {"id": second.id})
    db.session.commit()
    result = chain.verify_chain(db.session)
    assert not result.ok and result.bad_entry_id == third.id and "missing" in result.reason


def test_an_attachment_altered_behind_the_apps_back_is_named(sqlite_only, make_client, practitioner_actor):
    first, second, third = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("attachment")
    db.session.execute(sa.text("UPDATE attachment SET data = :data WHERE entry_id = :id"),
                       {"data": b"doctored", "id": third.id})
    db.session.commit()
    assert chain.verify_chain(db.session, check_files=False).ok  # the page's quick check
    result = chain.verify_chain(db.session)
    assert result.bad_entry_id == third.id and "attachment" in result.reason


def test_a_rehashed_entry_breaks_the_link_of_the_next(sqlite_only, make_client, practitioner_actor):
    first, second, third = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'x', hash = :fake WHERE id = :id"),
                       {"fake": "f" * 64, "id": second.id})
    db.session.commit()
    result = chain.verify_chain(db.session)
    assert result.bad_entry_id in (second.id, third.id) and not result.ok


@pytest.mark.parametrize("table", ["conduct_entry", "attachment", "communication"])
def test_the_database_refuses_update_and_delete(make_client, practitioner_actor, table):
    client = make_client("Robin")
    entry = incident(client, practitioner_actor, uploads=[Upload("a.txt", b"a")])
    communication = services.record_communication(
        db.session, practitioner_actor, client, occurred_at=NOW, channel="phone",
        kind="conversation", summary="Talked.", now=NOW)
    db.session.commit()
    row_id = {"conduct_entry": entry.id, "attachment": entry.attachments[0].id,
              "communication": communication.id}[table]
    column = {"conduct_entry": "note", "attachment": "filename", "communication": "summary"}[table]
    for statement in (f"UPDATE {table} SET {column} = 'changed' WHERE id = :id",
                      f"DELETE FROM {table} WHERE id = :id"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement), {"id": row_id})
        db.session.rollback()
    assert chain.verify_chain(db.session).ok


def test_many_entries_verify_across_batches(monkeypatch, make_client, practitioner_actor):
    monkeypatch.setattr(canonical, "BATCH", 2)
    _three_entries(make_client, practitioner_actor)
    incident(make_client("Kit"), practitioner_actor)
    assert chain.verify_chain(db.session).count == 4


def test_a_fault_in_a_later_batch_is_named(sqlite_only, monkeypatch, make_client, practitioner_actor):
    monkeypatch.setattr(canonical, "BATCH", 2)
    *_, third = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET witnesses = 'nobody' WHERE id = :id"), {"id": third.id})
    db.session.commit()
    result = chain.verify_chain(db.session)
    assert (result.ok, result.bad_entry_id, result.count, result.through_seq) == (False, third.id, 2, 2)


def _varied_entries(make_client, actor) -> list[ConductEntry]:
    """Entries with every kind of value a hashed field holds: text needing JSON escapes and
    beyond ASCII, empty and NULL fields, numbers, true and false, files, a correction."""
    client = make_client("Zoë")
    first = incident(client, actor, description='Zoë said "non" \u2014 ça va?\n\ttab \\ 🙂 <b>', witnesses="",
                     uploads=[Upload("note ü.txt", b"x"), Upload("b.txt", b"y")])
    services.record_correction(db.session, actor, first, reason="Withdrawn: I misheard.", withdrawn=True,
                               max_bytes=MB, now=NOW)
    incident(client, actor, code="stalking", severity="high", location="", safety=True)
    return committed(entries())


def test_the_check_hashes_raw_rows_to_the_bytes_of_canonical(make_client, practitioner_actor):
    """The full check and the pages build each entry's bytes from raw rows, a column at a
    time; they must be exactly the bytes `canonical` hashes from the entry when recording."""
    varied = _varied_entries(make_client, practitioner_actor)
    rows = db.session.execute(sa.select(*canonical.raw_columns(), canonical.ENTRY.c.id, canonical.ENTRY.c.hash)
                              .order_by(canonical.ENTRY.c.seq)).all()
    files = canonical.attachments_of(db.session, [row.id for row in rows], with_data=False)
    assert canonical.canonical_rows(rows, files) == [canonical.canonical(e, e.attachments) for e in varied]
    assert {e.safety for e in varied} == {e.withdrawn for e in varied} == {True, False}
    assert None in {e.occurred_to for e in varied} and any(len(e.attachments) == 2 for e in varied)
    assert chain.verify_chain(db.session).ok


def test_the_hashed_fields_kinds_follow_the_model():
    """canonical.FIELD_KINDS says how each column's raw values are written: it must follow
    the model (a new hashed column, or a changed type, needs its kind)."""
    from practice.db import UTCDateTime

    kinds = {sa.Integer: "int", sa.String: "text", sa.Text: "text", sa.Boolean: "bool", UTCDateTime: "time"}
    table = ConductEntry.__table__
    for name, kind in canonical.FIELD_KINDS.items():
        column = table.c[name]
        expected = next(k for t, k in kinds.items() if isinstance(column.type, t))
        assert kind.rstrip("?") == expected, name
        assert kind.endswith("?") == (column.nullable and expected != "bool"), name


def test_a_value_of_the_wrong_type_is_named_not_a_crash(sqlite_only, make_client, practitioner_actor):
    """SQLite keeps whatever is written: a number turned into text fails the hash (through
    the JSON encoder), as it would for the entry read through the ORM."""
    first, second, _ = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET amount_cents = 'twelve' WHERE id = :id"), {"id": second.id})
    db.session.commit()
    result = chain.verify_chain(db.session)
    assert (result.ok, result.bad_entry_id) == (False, second.id) and "contents" in result.reason


def test_a_time_written_in_another_format_reads_as_the_orm_reads_it(sqlite_only, make_client, practitioner_actor):
    """SQLAlchemy writes SQLite times with microseconds; a time written without them is the
    same instant, and the check reads it as the ORM does (it still verifies)."""
    first, *_ = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET recorded_at = substr(recorded_at, 1, 19) WHERE id = :id"),
                       {"id": first.id})
    db.session.commit()
    assert db.session.scalar(sa.text("SELECT length(recorded_at) FROM conduct_entry WHERE id = :id"),
                             {"id": first.id}) == 19
    assert chain.verify_chain(db.session).ok


# The check with the bytes written by the database (practice/conduct/fullcheck.py) ----------

# Every character the JSON encoder escapes, and some it leaves as they are.
ESCAPED = "".join(map(chr, range(1, 32))) + '"\\/'
KEPT = "\x7f\u00e9\u2028\u2029\ufeff\U0001f642 <b>&amp; '%s %% %1$s {} \\u0041"


def _awkward_entry(client, **fields) -> ConductEntry:
    """An entry with fields no form writes: every escaped character, numbers of every sign
    and size, times on the second and at other offsets than UTC."""
    from datetime import datetime, timezone

    values = dict(
        client_id=client.id, kind="boundary", category_id=None, severity=None, safety=True,
        occurred_from=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-7))),
        occurred_to=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
        recorded_at=NOW, recorded_by_id=None, source="manual", appointment_id=None, policy_id=None,
        minutes=-5, amount_cents=2**31 - 1, location=ESCAPED, channel="in_person", description=ESCAPED + KEPT,
        response="\n", effect=KEPT, witnesses="null", police_reference="%s", note='{"a": 1}',
        corrects_id=None, withdrawn=False, related_ids="3,7")
    values.update(fields)
    return chain.append(db.session, ConductEntry(**values), [])


def _driver(connection=None):
    connection = connection or db.session.connection()
    return connection.connection.driver_connection, connection.dialect.name


def test_the_database_writes_the_bytes_of_canonical(make_client, practitioner_actor, monkeypatch):
    """The full check hashes the text the database writes for each entry: it must be exactly
    what `canonical` wrote when the entry was recorded, whatever the values."""
    _varied_entries(make_client, practitioner_actor)
    _awkward_entry(make_client("Ash"))
    _awkward_entry(make_client("Bo"), safety=False, occurred_to=None, minutes=0, amount_cents=-(2**31),
                   description="")
    db.session.commit()
    driver, dialect = _driver()
    written = {row[0]: row[4] for row in driver.execute(fullcheck.ENTRIES[dialect]).fetchall()}
    for entry in entries():
        if not entry.attachments:  # the check writes the files in (compared by the hashes below)
            assert written[entry.id] == canonical.canonical(entry, entry.attachments), entry.id
    monkeypatch.setattr(canonical, "verify_in_python", None)  # the database's bytes alone prove it
    found = chain.verify_chain(db.session)
    assert (found.ok, found.count, found.head_hash) == (True, len(entries()), entries()[-1].hash)
    assert fullcheck.check(driver, dialect, check_files=False) == found


@pytest.mark.parametrize("column, value", [
    ("safety", "2"),  # true to Python (and to the ORM), not 1 to SQL
    ("withdrawn", "'yes'"),
    ("amount_cents", "2.5"),
    ("minutes", "1e20"),
    ("occurred_from", "replace(occurred_from, ' ', 'T')"),
    ("recorded_at", "substr(recorded_at, 1, 19)"),  # the same instant, without microseconds
    ("amount_cents", "'twelve'"),
])
def test_a_value_not_of_its_columns_type_is_left_to_the_check_in_python(
        sqlite_only, make_client, practitioner_actor, column, value):
    """SQLite keeps any value in any column; the database's text of a value of another type
    than the writer's may differ from the bytes Python builds for it (and the ORM reads), so
    such an entry is checked in Python and the verdict is the one it has always had, even
    when its hash was made anew over the database's text of it."""
    client = make_client("Robin")
    *_, last = committed([incident(client, practitioner_actor, description=f"Incident {n}") for n in range(3)])
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text(f"UPDATE conduct_entry SET {column} = {value} WHERE id = :id"), {"id": last.id})
    text = db.session.scalar(sa.text(f"SELECT {fullcheck.SQLITE_DOCUMENT} FROM conduct_entry e WHERE id = :id"),
                             {"id": last.id})
    db.session.execute(sa.text("UPDATE conduct_entry SET hash = :hash WHERE id = :id"),
                       {"hash": hashlib.sha256(text).hexdigest(), "id": last.id})
    db.session.commit()
    assert fullcheck.check(*_driver()) is None
    assert chain.verify_chain(db.session) == canonical.verify_in_python(db.session)


def test_bytes_kept_in_a_text_column_are_left_to_the_check_in_python(sqlite_only, make_client, practitioner_actor):
    *_, last = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = CAST(description AS BLOB) WHERE id = :id"),
                       {"id": last.id})
    db.session.commit()
    assert fullcheck.check(*_driver()) is None  # SQLite's JSON refuses bytes
    assert chain.verify_chain(db.session) == canonical.verify_in_python(db.session)


def test_the_database_check_reads_files_only_when_asked(sqlite_only, make_client, practitioner_actor):
    *_, last = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("attachment")
    db.session.execute(sa.text("UPDATE attachment SET data = :data WHERE entry_id = :id"),
                       {"data": b"doctored", "id": last.id})
    db.session.commit()
    assert fullcheck.check(*_driver(), check_files=False).ok
    assert fullcheck.check(*_driver()) is None


def test_the_database_check_reads_the_chain_in_batches(monkeypatch, make_client, practitioner_actor):
    monkeypatch.setattr(fullcheck, "BATCH", 2)
    _three_entries(make_client, practitioner_actor)
    *_, last = committed([incident(make_client("Kit"), practitioner_actor)])
    found = fullcheck.check(*_driver())
    assert (found.ok, found.count, found.head_hash, found.through_seq) == (True, 4, last.hash, 4)


# The two halves of the chain read at once (`practice verify-log`): on PostgreSQL on two
# connections, on SQLite by two processes ------------------------------------------------------

@pytest.fixture
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("on PostgreSQL only")


def _drop_guards():
    if db.engine.dialect.name == "sqlite":
        _drop_sqlite_guards("conduct_entry")
        return
    db.session.execute(sa.text("DROP TRIGGER conduct_entry_append_only ON conduct_entry"))
    db.session.commit()


def _in_halves(app, meanwhile=None):
    from practice import verify_log

    url = app.config["PRACTICE_DATABASE_URL"]
    if db.engine.dialect.name == "sqlite":
        return fullcheck.check_in_two_processes(lambda: verify_log.sqlite_connection(url, 0))
    (first, _), (second, _) = verify_log.connect(url, 0), verify_log.connect(url, 0)
    try:
        return fullcheck.check_in_halves(_Meanwhile(first, meanwhile) if meanwhile else first, second)
    finally:
        first.close()
        second.close()


def _five_entries(make_client, actor):
    return committed([incident(make_client("Robin"), actor, description=f"Incident {n}") for n in range(5)])


def test_the_halves_join_as_one_check(app, make_client, practitioner_actor):
    _three_entries(make_client, practitioner_actor)  # with files
    *_, last = committed([incident(make_client("Kit"), practitioner_actor) for _ in range(2)])
    found = _in_halves(app)
    assert found == fullcheck.check(*_driver())
    assert (found.ok, found.count, found.head_hash, found.through_seq) == (True, 5, last.hash, 5)


@pytest.mark.parametrize("place", [1, 2, 3, 4, 5])
def test_an_entry_altered_in_either_half_is_left_to_the_check_in_python(app, make_client, practitioner_actor, place):
    _five_entries(make_client, practitioner_actor)
    _drop_guards()
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'nothing' WHERE seq = :seq"), {"seq": place})
    db.session.commit()
    assert _in_halves(app) is None


def test_an_entry_moved_out_of_its_place_is_left_to_the_check_in_python(app, make_client, practitioner_actor):
    _five_entries(make_client, practitioner_actor)
    _drop_guards()
    db.session.execute(sa.text("UPDATE conduct_entry SET seq = seq + 10 WHERE seq = 5"))  # a gap in the later half
    db.session.commit()
    assert _in_halves(app) is None


def test_an_entry_in_neither_half_is_left_to_the_check_in_python(postgresql_only, app, make_client,
                                                                 practitioner_actor):
    _five_entries(make_client, practitioner_actor)
    _drop_guards()
    db.session.execute(sa.text("ALTER TABLE conduct_entry ALTER COLUMN seq DROP NOT NULL"))  # the schema altered by hand
    db.session.execute(sa.text("UPDATE conduct_entry SET seq = NULL WHERE seq = 5"))
    db.session.commit()
    assert _in_halves(app) is None


def _rechain(from_seq, link):
    """The entries from `from_seq` on linked anew from `link` and hashed anew over the
    database's text of them (entries without files), as someone with the database could."""
    for (entry_id,) in db.session.execute(sa.text("SELECT id FROM conduct_entry WHERE seq >= :seq ORDER BY seq"),
                                          {"seq": from_seq}).all():
        db.session.execute(sa.text("UPDATE conduct_entry SET prev_hash = :link WHERE id = :id"),
                           {"link": link, "id": entry_id})
        text = db.session.execute(sa.text(fullcheck._entries(db.engine.dialect.name, "e.id = :id")),
                                  {"id": entry_id}).one()[4]
        link = hashlib.sha256(text).hexdigest()
        db.session.execute(sa.text("UPDATE conduct_entry SET hash = :hash WHERE id = :id"), {"hash": link, "id": entry_id})
    db.session.commit()


@pytest.mark.parametrize("second_removed", [
    True,  # the earlier half ends short of the later half's first place
    False,  # the later half does not link to the earlier (entry 3 linked to another hash)
])
def test_a_chain_made_anew_across_the_halves_is_left_to_the_check_in_python(
        app, make_client, practitioner_actor, second_removed):
    first, *_ = _five_entries(make_client, practitioner_actor)
    _drop_guards()
    if second_removed:
        db.session.execute(sa.text("DELETE FROM conduct_entry WHERE seq = 2"))
    _rechain(3, first.hash if second_removed else "1" * 64)
    assert fullcheck.check(*_driver()) is None
    assert _in_halves(app) is None


class _Meanwhile:
    """The first connection, with something done elsewhere once both connections have begun
    (just before the check counts the entries)."""

    def __init__(self, connection, meanwhile):
        self.connection, self.meanwhile = connection, meanwhile

    def __getattr__(self, name):
        return getattr(self.connection, name)

    def execute(self, statement, *args):
        if statement.startswith("SELECT count(*)"):
            self.meanwhile()
        return self.connection.execute(statement, *args)


def test_the_halves_read_one_state_of_the_database(postgresql_only, app, make_client, practitioner_actor):
    """Both halves read the database as it was when the check began: an entry recorded since
    is not half seen (it waits for the next check)."""
    *_, last = _three_entries(make_client, practitioner_actor)
    found = _in_halves(app, meanwhile=lambda: committed([incident(make_client("Kit"), practitioner_actor)]))
    assert (found.ok, found.count, found.head_hash) == (True, 3, last.hash)


def test_on_sqlite_nothing_is_committed_while_the_second_process_begins(sqlite_only, app, make_client,
                                                                       practitioner_actor, tmp_path):
    """The second process begins its transaction after the first, and SQLite has no snapshot
    to hand over: in between, the write lock keeps an entry from being recorded (and half
    seen). The entry is tried from the second process, just before it connects."""
    from practice import verify_log

    *_, last = _three_entries(make_client, practitioner_actor)
    url, parent, tried = app.config["PRACTICE_DATABASE_URL"], os.getpid(), tmp_path / "tried"
    columns = [column["name"] for column in sa.inspect(db.engine).get_columns("conduct_entry") if column["name"] != "id"]
    values = {"seq": "seq + 1", "prev_hash": "hash", "hash": "'a fourth entry'"}
    record_one_more = (f"INSERT INTO conduct_entry ({', '.join(columns)}) "
                       f"SELECT {', '.join(values.get(name, name) for name in columns)} FROM conduct_entry WHERE seq = 3")

    def connect():
        if os.getpid() != parent and not tried.exists():
            try:
                with verify_log.sqlite_connection(url, 0) as writer:
                    writer.execute(record_one_more)
                tried.write_text("recorded")
            except sqlite3.Error as error:
                tried.write_text(str(error))
        return verify_log.sqlite_connection(url, 0)

    found = fullcheck.check_in_two_processes(connect)
    assert tried.read_text() == "database is locked"
    assert (found.ok, found.count, found.head_hash) == (True, 3, last.hash)


def test_on_sqlite_the_later_half_is_read_here_when_the_second_process_gives_no_answer(
        sqlite_only, app, make_client, practitioner_actor, monkeypatch):
    _three_entries(make_client, practitioner_actor)
    *_, last = committed([incident(make_client("Kit"), practitioner_actor) for _ in range(2)])
    parent, read_span = os.getpid(), fullcheck._span

    def failing_elsewhere(*args):
        if os.getpid() != parent:
            raise RuntimeError("the second process could not read")
        return read_span(*args)

    monkeypatch.setattr(fullcheck, "_span", failing_elsewhere)
    found = _in_halves(app)
    assert (found.ok, found.count, found.head_hash) == (True, 5, last.hash)


def test_a_failure_reading_the_later_half_reaches_the_caller(app, make_client, practitioner_actor, monkeypatch):
    """As `check` would raise it: not printed by the thread or the second process and taken
    for a doubt."""
    _three_entries(make_client, practitioner_actor)
    read_span = fullcheck._span

    def failing_later_half(connection, dialect, query, first_place, *rest):
        if first_place > 1:
            raise RuntimeError("the later half could not be read")
        return read_span(connection, dialect, query, first_place, *rest)

    monkeypatch.setattr(fullcheck, "_span", failing_later_half)
    with pytest.raises(RuntimeError, match="later half"):
        _in_halves(app)

# One client's check (what pages run) and the last full check -------------------------------

def _interleaved(make_client, actor):
    """Robin's entries at places 1 and 3 of the chain, Kit's at 2 and 4."""
    robin, kit = make_client("Robin"), make_client("Kit")
    return committed([incident(who, actor, description=f"Incident {n}", uploads=[Upload(f"{n}.txt", b"n")])
                      for n, who in enumerate([robin, kit, robin, kit])])


def test_a_client_check_verifies_their_entries_in_a_fixed_number_of_queries(
        make_client, practitioner_actor, count_queries):
    first, _, third, fourth = _interleaved(make_client, practitioner_actor)
    robin_id = first.client_id
    with count_queries() as queries:
        result = chain.verify_client(db.session, robin_id, check_files=True)
    assert (result.ok, result.count, result.head_hash, result.through_seq) == (True, 2, fourth.hash, 4)
    # The record and the files; SQLite's record carries the chain's last place, which is a
    # query of its own where the record is read as rows.
    assert len(queries) == (2 if db.session.get_bind().dialect.name == "sqlite" else 3)


def test_a_client_without_entries_verifies_against_the_chains_last_place(make_client, practitioner_actor):
    """SQLite's record carries the chain's last place: a client with no entry of their own
    still gets it (and an empty log gives the genesis), on either database."""
    quiet = make_client("Quiet")
    empty = chain.verify_client(db.session, quiet.id, check_files=False)
    assert (empty.ok, empty.count, empty.head_hash, empty.through_seq) == (True, 0, chain.GENESIS, 0)
    *_, last = _three_entries(make_client, practitioner_actor)
    result = chain.check_client(db.session, quiet.id)
    assert (result.ok, result.entries.count, result.entries.head_hash, result.entries.through_seq) == (
        True, 0, last.hash, 3)
    assert result.files == {}


def test_a_client_check_names_their_altered_entry(sqlite_only, make_client, practitioner_actor):
    first, *_ = _interleaved(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'nothing' WHERE id = :id"), {"id": first.id})
    db.session.commit()
    result = chain.verify_client(db.session, first.client_id, check_files=False)
    assert not result.ok and result.bad_entry_id == first.id and "changed" in result.reason


def test_a_client_check_notices_a_rehashed_neighbour(sqlite_only, make_client, practitioner_actor):
    first, second, third, _ = _interleaved(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'x', hash = :fake WHERE id = :id"),
                       {"fake": "f" * 64, "id": second.id})
    db.session.commit()
    result = chain.verify_client(db.session, first.client_id, check_files=False)
    assert not result.ok and result.bad_entry_id == third.id and "link to the entry before" in result.reason


def test_a_client_check_notices_a_neighbour_removed(sqlite_only, make_client, practitioner_actor):
    first, second, third, _ = _interleaved(make_client, practitioner_actor)
    _drop_sqlite_guards("attachment")
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("DELETE FROM attachment WHERE entry_id = :id"), {"id": second.id})
    db.session.execute(sa.text("DELETE FROM conduct_entry WHERE id = :id"), {"id": second.id})
    db.session.commit()
    result = chain.verify_client(db.session, first.client_id, check_files=False)
    assert not result.ok and result.bad_entry_id == first.id and "after it" in result.reason
    assert "missing" in result.reason


def test_sqlite_writes_a_clients_record_as_the_driver_reads_it(sqlite_only, make_client, practitioner_actor):
    """SQLite's page check reads a client's record as one JSON text and decodes it only when
    it is not a record found intact: the rows decoded must be the driver's own, value and
    type, whatever the entries hold."""
    ash = make_client("Ash")
    _varied_entries(make_client, practitioner_actor)
    for fields in ({}, dict(safety=False, occurred_to=None, minutes=0, amount_cents=-(2**31), description="")):
        _awkward_entry(ash, **fields)
    db.session.commit()
    connection = db.session.connection()
    for client_id in {entry.client_id for entry in entries()}:  # Zoë's too: files, a correction
        text, count, open_end, *head = connection.execute(chain.RECORD_TEXT, {"client_id": client_id}).one()
        assert head == [entries()[-1].seq, entries()[-1].hash]
        decoded = [tuple(row) for row in json.loads(text)]
        read = [tuple(row) for row in connection.execute(chain.WITH_NEIGHBOURS, {"client_id": client_id})]
        assert [list(map(type, row)) for row in decoded] == [list(map(type, row)) for row in read]
        assert decoded == read and count == len(read) and open_end == (client_id == ash.id)
        assert chain.verify_client(db.session, client_id, check_files=False).ok


@pytest.mark.parametrize("column, stored", [("description", "CAST(description AS BLOB)"), ("minutes", "X'05'")])
def test_a_client_check_names_an_entry_holding_bytes(sqlite_only, make_client, practitioner_actor, column, stored):
    """SQLite's JSON refuses bytes, which only a hand-edited database keeps in a column: the
    check reads that record as the driver's rows and names the entry, on every view."""
    first, *_ = _interleaved(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text(f"UPDATE conduct_entry SET {column} = {stored} WHERE id = :id"), {"id": first.id})
    db.session.commit()
    for _ in range(2):
        result = chain.verify_client(db.session, first.client_id, check_files=False)
        assert not result.ok and result.bad_entry_id == first.id and "changed" in result.reason


def test_a_client_check_reads_their_files_only_when_asked(sqlite_only, make_client, practitioner_actor):
    first, *_ = _interleaved(make_client, practitioner_actor)
    _drop_sqlite_guards("attachment")
    db.session.execute(sa.text("UPDATE attachment SET data = :data WHERE entry_id = :id"),
                       {"data": b"doctored", "id": first.id})
    db.session.commit()
    assert chain.verify_client(db.session, first.client_id, check_files=False).ok
    result = chain.verify_client(db.session, first.client_id, check_files=True)
    assert result.bad_entry_id == first.id and "attachment" in result.reason


def test_the_last_full_check_no_longer_holds_once_its_last_entry_changes(
        sqlite_only, runner, make_client, practitioner_actor):
    first, *_, last = _three_entries(make_client, practitioner_actor)
    assert chain.last_full_check(db.session) is None
    assert runner.invoke(args=["verify-log"]).exit_code == 0
    found = chain.last_full_check(db.session)
    assert found.holds and (found.check.ok, found.check.entries, found.check.through_seq) == (True, 3, 3)
    assert (found.check.source, found.check.files_checked, found.check.head_hash) == ("command", True, last.hash)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET hash = :fake WHERE id = :id"),
                       {"fake": "f" * 64, "id": last.id})
    db.session.commit()
    assert not chain.last_full_check(db.session).holds
    assert not chain.check_client(db.session, first.client_id).ok


def test_the_daily_check_runs_once_a_day_on_one_row_and_keeps_what_it_found(app, make_client, practitioner_actor):
    from practice.conduct.jobs import CHAIN_CHECK
    from practice.jobs.models import Job
    from practice.jobs.worker import Worker

    def checks() -> int:
        return db.session.scalar(sa.select(sa.func.count(Job.id)).where(Job.kind == CHAIN_CHECK.name))

    _three_entries(make_client, practitioner_actor)
    assert Worker(app).run(burst=True) == 0 and checks() == 0  # off: only what was queued runs
    app.config["PRACTICE_CHAIN_CHECK_DAILY"] = True
    assert Worker(app).run(burst=True) == 1
    assert Worker(app).run(burst=True) == 0  # another worker, the same day
    found = chain.last_full_check(db.session)
    assert found.holds and (found.check.source, found.check.entries) == ("job", 3)
    app.extensions["practice"].clock.advance(days=1)
    assert Worker(app).run(burst=True) == 1 and checks() == 1  # the same row, queued again


# practice verify-log -------------------------------------------------------------------------

def test_verify_log_reports_an_intact_record(runner, make_client, practitioner_actor):
    _three_entries(make_client, practitioner_actor)
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0, result.output
    assert "All 3 entries verified" in result.output and entries()[-1].hash in result.output


def test_verify_log_names_the_first_failing_entry(sqlite_only, runner, make_client, practitioner_actor):
    first, second, third = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET severity = 'low' WHERE id = :id"), {"id": first.id})
    db.session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code != 0
    assert f"Entry {first.id} fails verification" in result.output



# What `practice verify-log` runs: the console script, its modules listed as it ends (at
# once, with os._exit, after a check that passes; otherwise as any command ends, when the
# interpreter's teardown also runs the exit handlers).
VERIFY_LOG_SCRIPT = """
import atexit, os, sys
from practice.console import main
sys.argv = ["practice", "verify-log"]
command, exit_now = os.getpid(), os._exit

def list_modules():
    print("MODULES", " ".join(sorted(sys.modules)), file=sys.stderr, flush=True)

def ending_at_once(status):
    if os.getpid() == command:  # not a process forked for the check
        list_modules()
    exit_now(status)

os._exit = ending_at_once
atexit.register(print, "TORN DOWN", file=sys.stderr)
try:
    main()
finally:
    list_modules()
"""


def run_verify_log(app) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRACTICE_DATABASE_URL=app.config["PRACTICE_DATABASE_URL"],
               PRACTICE_INSTANCE_PATH=app.instance_path, PRACTICE_SECRET_KEY="test secret")
    env.pop("PYTHONUNBUFFERED", None)  # its output buffered, as when cron runs it
    return subprocess.run([sys.executable, "-c", VERIFY_LOG_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_practice_command_verifies_without_building_the_app(app, make_client, practitioner_actor):
    *_, last = _three_entries(make_client, practitioner_actor)
    done = run_verify_log(app)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["All 3 entries verified: the record is unaltered.",
                                        f"Latest entry hash: {last.hash}"]
    modules = done.stderr.split("MODULES ")[1].split()
    assert not [name for name in modules if name.split(".")[0] in ("weasyprint", "flask_sqlalchemy", "flask_login")]
    assert not [name for name in modules if name.endswith(".views") or name.endswith(".models")]
    db.session.expire_all()
    found = chain.last_full_check(db.session)  # what it found is kept, as the app's command keeps it
    assert found.holds and (found.check.source, found.check.ok, found.check.entries) == ("command", True, 3)
    assert found.check.checked_at.tzinfo is not None and found.check.head_hash == last.hash


def test_the_practice_command_ends_without_the_interpreters_teardown(app, make_client, practitioner_actor):
    """Its output written and its finding kept, it ends at once (the teardown of psycopg's
    modules was a twentieth of its time): the exit handlers do not run."""
    *_, last = _three_entries(make_client, practitioner_actor)
    done = run_verify_log(app)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"Latest entry hash: {last.hash}"
    assert "TORN DOWN" not in done.stderr
    assert chain.last_full_check(db.session).check.head_hash == last.hash


def test_the_practice_command_names_a_tampered_entry(sqlite_only, app, make_client, practitioner_actor):
    first, second, _ = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'nothing' WHERE id = :id"), {"id": second.id})
    db.session.commit()
    done = run_verify_log(app)
    assert done.returncode == 1
    assert f"Error: Entry {second.id} fails verification: its contents do not match its hash" in done.stderr
    found = chain.last_full_check(db.session)
    assert (found.check.ok, found.check.bad_entry_id, found.check.through_seq) == (False, second.id, 1)
    assert found.check.head_hash == first.hash


def test_the_practice_command_starts_without_flask_or_sqlalchemy(app, make_client, practitioner_actor):
    _three_entries(make_client, practitioner_actor)
    done = run_verify_log(app)
    assert done.returncode == 0, done.stderr
    modules = done.stderr.split("MODULES ")[1].split()
    assert not [name for name in modules if name.split(".")[0] in ("flask", "sqlalchemy", "werkzeug", "jinja2")]


def test_the_practice_command_answers_help_without_checking(app, make_client, practitioner_actor):
    _three_entries(make_client, practitioner_actor)
    done = subprocess.run([sys.executable, "-c", VERIFY_LOG_SCRIPT.replace('"verify-log"]', '"verify-log", "--help"]')],
                          env=dict(os.environ, PRACTICE_DATABASE_URL=app.config["PRACTICE_DATABASE_URL"],
                                   PRACTICE_INSTANCE_PATH=app.instance_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("Usage: practice verify-log [OPTIONS]")
    assert "name the first entry that fails" in " ".join(done.stdout.split())
    assert chain.last_full_check(db.session) is None


def test_the_practice_command_loads_sqlalchemy_to_name_a_tampered_entry(sqlite_only, app, make_client,
                                                                        practitioner_actor):
    first, *_ = _three_entries(make_client, practitioner_actor)
    _drop_sqlite_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET safety = 2 WHERE id = :id"), {"id": first.id})
    db.session.commit()
    done = run_verify_log(app)
    assert done.returncode == 1 and f"Error: Entry {first.id} fails verification" in done.stderr
    assert "sqlalchemy" in done.stderr.split("MODULES ")[1].split()


# The demo -------------------------------------------------------------------------------------

def test_the_demo_has_automatic_entries_and_an_escalating_boundary_record(app):
    from practice import demo
    from practice.clients.models import Client
    from practice.conduct.demo import CLIENT

    demo.build_demo(db.session, NOW)  # which adds the demo's conduct records
    clients = {c.display_name: c for c in db.session.scalars(sa.select(Client))}
    kinds = {e.kind for e in entries()}
    assert {"late_arrival", "short_payment", "no_show", "boundary", "safety"} <= kinds
    theirs = [e for e in entries() if e.client_id == clients[CLIENT].id and e.source == "manual"]
    assert [e.kind for e in theirs][-1] == "safety" and len(theirs) == 4
    assert chain.verify_chain(db.session).ok


def test_the_memory_of_intact_records_starts_again_past_its_limit():
    # Each server process keeps it: past the limit it is emptied rather than growing, and
    # the records it forgot are checked in full again on their next view.
    memory = canonical.IntactRecords(limit=3)
    first, again = ("entries of client 1",), ("entries of client 1, one added",)
    memory.remember(1, first, entries=1)
    memory.remember(1, again, entries=2)  # the same client's record counts once
    assert not memory.known(1, first) and memory.known(1, again)
    memory.remember(2, ("entries of client 2",), entries=2)
    assert not memory.known(1, again) and memory.known(2, ("entries of client 2",))
