"""The conduct pages: the client's record, incidents with files, corrections, communications,
attachment downloads, categories, who sees what, and bounded queries."""

import io
import shutil
import subprocess
from datetime import date, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM, Actor
from practice.conduct import queries, services
from practice.conduct.attachments import Upload
from practice.conduct.evidence import period_bounds, render_evidence
from practice.conduct.models import Communication, ConductEntry, IncidentCategory
from practice.conduct.pictures import print_copies
from practice.db import db
from practice.jobs.models import Job
from practice.settings.services import get_practice
from tests.conftest import NOW
from tests.test_bad_input import error_for, field_values
from tests.test_jobs import fresh, run_jobs


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    return out.getvalue()


def category_id(code: str) -> int:
    return db.session.scalar(sa.select(IncidentCategory.id).where(IncidentCategory.code == code))


def form(**changes) -> dict:
    data = {"category_id": category_id("approaches_outside"), "severity": "high",
            "occurred_from": "2026-11-20T18:05", "channel": "in_person", "location": "Car park behind the clinic",
            "description": 'Waiting by my car. Said "I just wanted to see you home safe."',
            "response": "Said I was leaving and got in the car.", "effect": "Shaken.",
            "witnesses": "", "police_reference": ""}
    return data | changes


@pytest.fixture
def robin(make_client, users):
    return make_client("Robin", primary_practitioner_id=users["practitioner"].practitioner.id)


def record(client, description="Texted at midnight.", code="constant_contact", when=None, files=()):
    details = services.IncidentDetails(
        category_id=category_id(code), severity="low", occurred_from=when or NOW - timedelta(days=3),
        channel="text", description=description)
    return services.record_incident(db.session, SYSTEM, client, details, list(files),
                                    max_bytes=1024 * 1024, now=NOW)


def test_recording_an_incident_with_files(client, users, login, robin):
    login(users["practitioner"])
    response = client.post(f"/clients/{robin.id}/conduct/incidents/new", data=form(attachments=[
        (io.BytesIO(png()), "car-park.png"), (io.BytesIO(b"I just wanted to see you"), "message.txt")]))
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(ConductEntry))
    assert (entry.kind, entry.severity, entry.location) == ("boundary", "high", "Car park behind the clinic")
    assert entry.occurred_from.isoformat() == "2026-11-20T18:05:00+00:00"  # London is on GMT
    assert [a.media_type for a in entry.attachments] == ["image/png", "text/plain"]
    page = client.get(f"/clients/{robin.id}/conduct").get_data(as_text=True)
    assert "Car park behind the clinic" in page and "car-park.png" in page
    assert "Record verified: 1 entries unaltered" in page


def test_the_record_of_a_client_without_entries_shows_the_chains_last_hash(client, users, login, robin, make_client):
    """SQLite's record carries the chain's last place: a client with no entries still has
    it, before any entry is recorded and after another client's, on either database."""
    login(users["practitioner"])
    url = f"/clients/{robin.id}/conduct"
    page = client.get(url).get_data(as_text=True)
    assert "Nothing recorded." in page and "Record verified: 0 entries unaltered" in page
    last = record(make_client("Kit"))
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert f'title="Latest hash {last.hash}">Record verified: 0 entries unaltered' in page


def test_a_bad_file_is_refused_next_to_the_field_and_the_text_is_kept(client, users, login, robin):
    login(users["practitioner"])
    response = client.post(f"/clients/{robin.id}/conduct/incidents/new", data=form(
        attachments=[(io.BytesIO(b"MZ\x90\x00binary"), "photo.png")]))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not a file type that can be kept" in error_for(page, "attachments")
    assert field_values(page)["location"] == "Car park behind the clinic"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConductEntry)) == 0


@pytest.mark.parametrize("changes, field", [
    ({"category_id": "0"}, "category_id"),
    ({"category_id": "999999"}, "category_id"),
    ({"occurred_from": "2026-12-25T10:00"}, "occurred_from"),
    ({"occurred_from": "yesterday"}, "occurred_from"),
    ({"description": ""}, "description"),
    ({"related_ids": "424242"}, "related_ids"),
])
def test_bad_incidents_are_refused_next_to_the_field(client, users, login, robin, changes, field):
    login(users["practitioner"])
    response = client.post(f"/clients/{robin.id}/conduct/incidents/new", data=form(**changes))
    assert response.status_code == 422 and error_for(response.get_data(as_text=True), field)


def test_a_correction_is_shown_beside_the_original(client, users, login, robin):
    original = record(robin)
    login(users["practitioner"])
    page = client.get(f"/conduct/entries/{original.id}/correct").get_data(as_text=True)
    assert "Texted at midnight." in field_values(page)["description"]  # the form starts from it
    response = client.post(f"/conduct/entries/{original.id}/correct", data=form(
        category_id=category_id("constant_contact"), channel="text", description="Texted at 1 a.m.",
        occurred_from="2026-11-20T01:00", reason="The time was 1 a.m., not midnight."))
    assert response.status_code == 302
    page = client.get(f"/clients/{robin.id}/conduct").get_data(as_text=True)
    assert page.index("As first recorded") < page.index("Texted at midnight.") < page.index("Correction 1")
    assert page.index("Correction 1") < page.index("Texted at 1 a.m.")
    assert "Record verified: 2 entries unaltered" in page


def test_recording_a_communication(client, users, login, robin):
    login(users["practitioner"])
    response = client.post(f"/clients/{robin.id}/communications/new", data={
        "occurred_at": "2026-11-21T09:30", "kind": "warning", "channel": "in_person",
        "summary": "Contact is for bookings only; waiting outside is not acceptable."})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Communication.kind)) == "warning"
    page = client.get(f"/clients/{robin.id}/conduct").get_data(as_text=True)
    assert "waiting outside is not acceptable" in page and "Sat 21 Nov 2026 09:30" in page
    # The client page reads the communications once for the summary (the latest) and the history.
    assert client.post(f"/clients/{robin.id}/communications/new", data={
        "occurred_at": "2026-11-20T09:30", "kind": "policy_reminder", "channel": "phone",
        "summary": "Went through the cancellation policy."}).status_code == 302
    page = client.get(f"/clients/{robin.id}").get_data(as_text=True)
    assert "Last communication: warning, 21 Nov 2026." in page
    assert page.index("waiting outside is not acceptable") < page.index("Went through the cancellation policy.")


def test_attachments_download_as_files_never_inline(client, users, login, robin):
    entry = record(robin, files=[Upload("<b>x</b>.html", b"<script>alert(1)</script>")])
    login(users["practitioner"])
    response = client.get(f"/conduct/attachments/{entry.attachments[0].id}")
    assert response.data == b"<script>alert(1)</script>"
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_a_practitioner_sees_only_their_own_clients_records(client, users, login, make_user, robin):
    entry = record(robin, files=[Upload("m.txt", b"hi")])
    other = make_user("practitioner", name="Pat Other")
    login(other)
    for url in (f"/clients/{robin.id}/conduct",
                f"/clients/{robin.id}/conduct/incidents/new", f"/conduct/entries/{entry.id}/correct",
                f"/clients/{robin.id}/communications/new", f"/conduct/attachments/{entry.attachments[0].id}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/clients/{robin.id}/conduct/incidents/new", data=form()).status_code == 403
    assert client.post(f"/clients/{robin.id}/evidence").status_code == 403


@pytest.mark.parametrize("url", ["/clients/999999/conduct", "/conduct/entries/999999/correct",
                                 "/conduct/attachments/999999", "/clients/99999999999/conduct"])
def test_unknown_ids_are_not_found(client, users, login, url):
    login(users["admin"])
    assert client.get(url).status_code == 404


def test_the_conduct_page_runs_a_fixed_number_of_queries(client, users, login, robin, count_queries):
    login(users["practitioner"])

    def add(number):
        original = record(robin, description=f"Message {number}", files=[Upload(f"{number}.txt", b"n")])
        services.record_correction(db.session, SYSTEM, original, reason="Clarified", max_bytes=1024,
                                   now=NOW)
        services.record_communication(db.session, SYSTEM, robin, occurred_at=NOW, channel="phone",
                                      kind="conversation", summary="Talked", now=NOW)

    add(0)
    url = f"/clients/{robin.id}/conduct"
    client.get(url)  # warm up
    with count_queries() as few:
        client.get(url)
    for number in range(1, 6):
        add(number)
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "Message 5" in page
    assert len(many) == len(few)
    # The latest communications come with how many there are in all: one read, not two.
    assert len([statement for statement in many if "FROM communication" in statement]) == 1
    # The entries' files are listed from the check's read of them, not read again.
    assert len([statement for statement in many if "FROM attachment" in statement]) == 1
    assert all(f"{number}.txt" in page for number in range(6))


def test_the_record_reads_plain_rows_that_show_as_the_models_objects(app, users, robin):
    """The record's page reads its entries and communications as plain rows, not ORM objects
    (loading them was about a seventh of a view); the shared entry_facts macro writes a row
    exactly as it writes the entry, and a communication's row says what the object says."""
    priya = Actor(users["practitioner"])
    first = record(robin, description="Texted at midnight.")
    details = services.IncidentDetails(
        category_id=category_id("approaches_outside"), severity="high", safety=True,
        occurred_from=NOW - timedelta(days=2), occurred_to=NOW - timedelta(days=2, minutes=-30),
        channel="in_person", location="Car park", description="Waiting <by> the car.", response="Left.",
        effect="Shaken.", witnesses="Ann", police_reference="REF/1", related_ids=[first.id])
    second = services.record_incident(db.session, priya, robin, details, [Upload("note.txt", b"seen")],
                                      max_bytes=1024, now=NOW)
    services.record_correction(db.session, SYSTEM, first, reason="Recorded in error.", withdrawn=True,
                               max_bytes=1024, now=NOW)
    for actor, kind in ((priya, "warning"), (SYSTEM, "conversation")):
        services.record_communication(db.session, actor, robin, occurred_at=NOW, channel="phone", kind=kind,
                                      summary=f"A {kind}.", now=NOW)
    ids = {"first": first.id, "second": second.id, "correction": second.id + 1}
    client_id, name = robin.id, users["practitioner"].name
    db.session.commit()
    db.session.expunge_all()
    with app.test_request_context():
        shown = queries.conduct_record(client_id)
        assert not [thing for thing in db.session.identity_map.values()
                    if isinstance(thing, (ConductEntry, Communication))]
        entry_facts = app.jinja_env.get_template("practice/conduct/_entry.html").module.entry_facts
        rows = {row.id: row for view in shown.entries.items for row in (view.entry, *view.corrections)}
        assert sorted(rows) == sorted(ids.values())
        for row in rows.values():
            files = shown.files.get(row.id, ())
            entry = db.session.get(ConductEntry, row.id)
            assert entry_facts(row, None, files) == entry_facts(entry, None, files)
            assert (row.kind_label, row.source, row.safety, row.withdrawn, row.category, row.recorded_by) == (
                entry.kind_label, entry.source, entry.safety, entry.withdrawn,
                entry.category and (entry.category.label,), entry.recorded_by and (entry.recorded_by.name,))
        second_facts = str(entry_facts(rows[ids["second"]], None, shown.files[ids["second"]]))
        assert "note.txt" in second_facts and f'href="#entry-{ids["first"]}"' in second_facts
        assert "Car park" in second_facts and name in second_facts
        for row in shown.communications:
            communication = db.session.scalar(sa.select(Communication).where(Communication.kind == row.kind))
            assert (row.occurred_at, row.kind_label, row.channel_label, row.summary, row.recorded_at) == (
                communication.occurred_at, communication.kind_label, communication.channel_label,
                communication.summary, communication.recorded_at)
            assert (row.recorded_by and row.recorded_by.name) == (
                communication.recorded_by and communication.recorded_by.name)
        assert {row.recorded_by and row.recorded_by.name for row in shown.communications} == {None, name}


def test_a_long_record_pages_its_entries_and_shows_the_latest_communications(
        client, users, login, robin, monkeypatch):
    monkeypatch.setattr(queries, "ENTRIES_PER_PAGE", 2)
    monkeypatch.setattr(queries, "COMMUNICATIONS_SHOWN", 1)
    for day in (3, 2, 1):
        original = record(robin, description=f"Message {day} days ago", when=NOW - timedelta(days=day))
        services.record_communication(db.session, SYSTEM, robin, occurred_at=NOW - timedelta(days=day),
                                      channel="phone", kind="conversation", summary=f"Call {day}", now=NOW)
    services.record_correction(db.session, SYSTEM, original, reason="The time was wrong", max_bytes=1024, now=NOW)
    db.session.commit()
    login(users["practitioner"])
    url = f"/clients/{robin.id}/conduct"
    first = client.get(url).get_data(as_text=True)
    assert "Message 1 days ago" in first and "The time was wrong" in first and "Message 3 days ago" not in first
    assert f"{url}?page=2" in first and "Record verified: 4 entries unaltered" in first
    assert "Call 1" in first and "Call 2" not in first and "The latest 1 of 3" in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert "Message 3 days ago" in second and "Message 1 days ago" not in second
    everything = client.get(f"{url}?communications=all").get_data(as_text=True)
    assert "Call 3" in everything and "The latest" not in everything


def test_an_entry_altered_behind_the_apps_back_shows_on_every_page_of_the_record(
        client, users, login, robin, runner, monkeypatch):
    """Each view re-hashes all the client's entries, not only those it shows, nor only those
    since the last full check: an old entry on another page, altered after the whole log was
    checked, fails on the first page at once."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("an attacker with the SQLite file drops the triggers")
    monkeypatch.setattr(queries, "ENTRIES_PER_PAGE", 1)
    oldest = record(robin, description="The oldest entry", when=NOW - timedelta(days=5))
    record(robin, description="The latest entry", when=NOW - timedelta(days=1))
    db.session.commit()
    assert runner.invoke(args=["verify-log"]).exit_code == 0
    for event in ("update", "delete"):
        db.session.execute(sa.text(f"DROP TRIGGER conduct_entry_no_{event}"))
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'Nothing happened' WHERE id = :id"),
                       {"id": oldest.id})
    db.session.commit()
    login(users["practitioner"])
    page = client.get(f"/clients/{robin.id}/conduct").get_data(as_text=True)
    assert "The latest entry" in page and "Nothing happened" not in page  # the altered one is on page 2
    assert f"Verification failed at entry {oldest.id}" in page and "Record verified" not in page
    assert "was last checked in full" in page


def _without_append_only_guards(*tables):
    """What someone with the database's files or its owner's role can do: write past the
    triggers (SQLite: drop them; PostgreSQL: disable them)."""
    for table in tables:
        if db.engine.dialect.name == "sqlite":
            for event in ("update", "delete"):
                db.session.execute(sa.text(f"DROP TRIGGER {table}_no_{event}"))
        else:
            db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    db.session.commit()


@pytest.mark.parametrize("change", [
    "UPDATE conduct_entry SET description = 'Nothing happened' WHERE id = :id",
    "UPDATE conduct_entry SET amount_cents = 2500 WHERE id = :id",
    "UPDATE attachment SET filename = 'other.txt' WHERE entry_id = :id",
])
def test_an_entry_altered_after_the_record_was_viewed_fails_on_the_next_view(client, users, login, robin, change):
    """A view hashes only the rows this process has not already found intact with exactly
    the same values: an entry (or its attachment) altered after a view is such a row, and
    fails on the next view at once."""
    altered = record(robin, description="The oldest entry", when=NOW - timedelta(days=5),
                     files=[Upload("note.txt", b"A note")])
    record(robin, description="The latest entry", when=NOW - timedelta(days=1))
    db.session.commit()
    login(users["practitioner"])
    url = f"/clients/{robin.id}/conduct"
    assert "Record verified: 2 entries unaltered" in client.get(url).get_data(as_text=True)
    assert "Record verified: 2 entries unaltered" in client.get(url).get_data(as_text=True)  # from memory
    _without_append_only_guards("conduct_entry", "attachment")
    db.session.execute(sa.text(change), {"id": altered.id})
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert f"Verification failed at entry {altered.id}" in page and "Record verified" not in page


def test_a_removed_entry_after_the_clients_last_fails_on_the_next_view(client, users, login, robin, make_client):
    """A record remembered intact while its last entry was the last of the whole log is
    checked again once the log has grown: the entry after it may be missing."""
    latest = record(robin, description="The latest entry")
    db.session.commit()
    login(users["practitioner"])
    url = f"/clients/{robin.id}/conduct"
    assert "Record verified: 1 entries unaltered" in client.get(url).get_data(as_text=True)
    kit = make_client("Kit")
    removed, _ = record(kit, description="Next in the log"), record(kit, description="Last in the log")
    db.session.commit()
    _without_append_only_guards("conduct_entry")
    db.session.execute(sa.text("DELETE FROM conduct_entry WHERE id = :id"), {"id": removed.id})
    db.session.commit()
    for _ in range(2):  # and again: a record that fails is not remembered
        page = client.get(url).get_data(as_text=True)
        assert f"Verification failed at entry {latest.id}" in page and "Record verified" not in page


def test_the_record_says_when_the_whole_log_was_last_checked(client, users, login, robin, runner):
    record(robin)
    db.session.commit()
    login(users["practitioner"])
    url = f"/clients/{robin.id}/conduct"
    assert "has not been checked in full yet" in client.get(url).get_data(as_text=True)
    assert runner.invoke(args=["verify-log"]).exit_code == 0
    page = client.get(url).get_data(as_text=True)
    assert "The whole log (1 entries, every attached file) was last checked in full 23 Nov 2026" in page


def test_the_client_page_summary_partial(app, users, robin):
    from flask import render_template
    from flask_login import login_user

    from practice.conduct.queries import conduct_summary

    record(robin, code="stalking")
    with app.test_request_context():
        login_user(users["practitioner"])
        html = render_template("practice/conduct/_client_conduct.html", client=robin,
                               conduct=conduct_summary(robin.id))
    assert "1 safety" in html and "1 × Safety incident" in html


def test_the_summary_counts_the_record_as_it_now_stands(app, robin):
    """Counted in the database, it agrees with the record grouped with its corrections: a
    corrected entry counts once, as corrected; a withdrawn one not at all."""
    from practice.conduct.queries import conduct_summary, group_corrections

    kept = record(robin, when=NOW - timedelta(days=9))
    corrected = record(robin, when=NOW - timedelta(days=8))
    withdrawn = record(robin, when=NOW - timedelta(days=7))
    record(robin, code="stalking", when=NOW - timedelta(days=20))
    to_safety = services.IncidentDetails(category_id=category_id("stalking"), severity="high",
                                         occurred_from=NOW - timedelta(days=5), channel="text",
                                         description="Followed me home.")
    services.record_correction(db.session, SYSTEM, corrected, reason="It was worse.", details=to_safety,
                               max_bytes=1024, now=NOW)
    services.record_correction(db.session, SYSTEM, withdrawn, reason="Another client's.", withdrawn=True,
                               max_bytes=1024, now=NOW)
    db.session.commit()
    summary = conduct_summary(robin.id)
    views = [view for view in group_corrections(list(db.session.scalars(
        sa.select(ConductEntry).where(ConductEntry.client_id == robin.id).order_by(ConductEntry.id))))
        if not view.withdrawn]
    assert sum(summary.counts.values()) == len(views) == 3
    assert summary.safety_count == sum(1 for view in views if view.latest.safety) == 2
    assert (summary.latest.kind, summary.latest.occurred_from) == (views[1].latest.kind, NOW - timedelta(days=5))
    assert kept.id in {view.entry.id for view in views}


def test_the_summary_is_counted_from_indexes_alone(app, robin):
    """By the covering index of a client's entries and the corrections' index by place in the
    chain (migration 0051): before, each of a long record's entries was read from the table."""
    record(robin)
    db.session.commit()
    statements = []

    def caught(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", caught)
    try:
        queries.conduct_summary(robin.id, communications=[])
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", caught)
    [(statement, parameters)] = [(s, p) for s, p in statements if "GROUP BY conduct_entry.kind" in s]
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    else:  # a table of a few rows is read whole; the choice among the indexes is theirs to win
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
    assert any("ix_conduct_entry_client_kind" in line for line in plan), plan
    assert any("ix_conduct_entry_corrects_id_seq" in line for line in plan), plan


def test_categories_are_added_and_retired_by_admins(client, users, login):
    login(users["admin"])
    assert client.post("/settings/conduct-categories", data={"label": "Films me", "safety": "y"}).status_code == 302
    added = db.session.scalar(sa.select(IncidentCategory).where(IncidentCategory.label == "Films me"))
    assert added.safety
    client.post(f"/settings/conduct-categories/{added.id}/retire")
    db.session.expire_all()
    assert db.session.get(IncidentCategory, added.id).retired
    page = client.post("/settings/conduct-categories", data={"label": "films me"}).get_data(as_text=True)
    assert "already a category" in error_for(page, "label")


# The evidence report ------------------------------------------------------------------------
# Made by a background job (tests/test_jobs.py has the runner): the page queues it and sends
# the user to the job's page, which offers the PDF when the worker has made it.

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def make_report(client, robin, **period) -> tuple[Job, bytes]:
    """Ask for the report as the signed-in user, let the worker make it, download it."""
    response = client.post(f"/clients/{robin.id}/evidence", data=period)
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert run_jobs() == 1
    job = fresh(job_id)
    assert job.status == "done", job.last_error
    download = client.get(f"/jobs/{job_id}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    return job, download.data


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")


@needs_poppler
def test_the_evidence_report_holds_every_entry_in_order(client, users, login, robin, tmp_path):
    first = record(robin, "First: texted eleven times overnight.", when=NOW - timedelta(days=20),
                   files=[Upload("screenshot.png", png())])
    record(robin, "Second: waited by my car after work.", code="stalking", when=NOW - timedelta(days=10))
    services.record_correction(db.session, SYSTEM, first, reason="It was twelve texts.", max_bytes=1024, now=NOW)
    services.record_communication(db.session, SYSTEM, robin, occurred_at=NOW - timedelta(days=15),
                                  channel="phone", kind="warning", summary="Asked for contact about bookings only.", now=NOW)
    login(users["practitioner"])
    job, data = make_report(client, robin)
    assert job.title == "Evidence report: Robin, the whole record"
    assert job.file.filename == f"conduct-record-{robin.id}-20261123.pdf"
    assert (job.progress_done, job.progress_total) == (3, 3)
    pdf = tmp_path / "evidence.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    order = ["Conduct record: Robin", "Verified", "First: texted eleven times", "screenshot.png",
             first.attachments[0].sha256[:32], "It was twelve texts", "Second: waited by my car",
             "Asked for contact", "practice verify-log"]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, [part for part, at in zip(order, positions, strict=True) if at < 0]
    assert "Page 1 of" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Conduct record: Robin" in info and "Harbour Street Massage" in info  # title, author
    assert "Tagged:          yes" in info  # for screen readers
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").exists()


@needs_poppler
def test_the_job_makes_the_same_pages_as_rendering_in_the_request(app, client, users, login, robin, tmp_path):
    for day in range(1, 9):
        record(robin, f"Incident {day}: texted again about meeting up after the session.",
               when=NOW - timedelta(days=day))
    login(users["practitioner"])
    job, data = make_report(client, robin, start="2026-10-01", end="2026-11-23")
    # What the request used to render, with the same facts, moment and author.
    start, end = period_bounds(date(2026, 10, 1), date(2026, 11, 23), ZoneInfo("Europe/London"))
    with app.test_request_context():
        report = queries.evidence(robin.id, start, end)
        direct = render_evidence(report, profile=get_practice(db.session), generated_at=NOW,
                                 author=users["practitioner"].name,
                                 pictures=print_copies(db.session, report.attachments))
    job_pages, direct_pages = pdf_pages(data, tmp_path), pdf_pages(direct, tmp_path)
    assert len(job_pages) > 2
    assert job_pages == direct_pages
    assert data == direct


@needs_poppler
def test_the_evidence_report_covers_the_chosen_period(client, users, login, robin, tmp_path):
    record(robin, "Early incident", when=NOW - timedelta(days=40))
    record(robin, "Recent incident", when=NOW - timedelta(days=2))
    login(users["admin"])
    job, data = make_report(client, robin, start="2026-11-01", end="2026-11-30")
    assert job.title == "Evidence report: Robin, 1 Nov 2026 to 30 Nov 2026"
    text = "".join(pdf_pages(data, tmp_path))
    assert "Recent incident" in text and "Early incident" not in text


@pytest.mark.parametrize(("period", "field", "message"), [
    ({"start": "junk"}, "start", "Not a valid date value."),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "end", "The end of the period comes before its start."),
    ({"end": "99999-01-01"}, "end", "Not a valid date value."),
    ({"start": "0001-01-01"}, "start", "Choose a date from 1900 to 2199."),
])
def test_a_bad_period_is_refused_next_to_the_field(client, users, login, robin, period, field, message):
    login(users["admin"])
    response = client.post(f"/clients/{robin.id}/evidence", data=period)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_for(page, field) == message
    assert {name: field_values(page)[name] for name in period} == period
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_asking_for_the_report_and_opening_it_are_audited(client, users, login, robin):
    login(users["practitioner"])
    with patch("practice.conduct.jobs.render_evidence", return_value=b"%PDF-1.7\n% stand-in\n"):
        job, _ = make_report(client, robin, start="2026-11-01")
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.in_(
        ["conduct.evidence_requested", "job.download"])).order_by(AuditEvent.id)))
    assert [(e.action, e.actor_id) for e in events] == [("conduct.evidence_requested", users["practitioner"].id),
                                                         ("job.download", users["practitioner"].id)]
    assert events[0].detail == {"job_id": job.id, "start": "2026-11-01", "end": None}
    assert events[1].detail["about"]["client_id"] == robin.id and events[1].detail["sha256"] == job.file.sha256


def test_a_report_closes_to_whoever_asked_once_they_leave_the_care_team(client, users, login, make_user, robin):
    login(users["practitioner"])
    with patch("practice.conduct.jobs.render_evidence", return_value=b"%PDF-1.7\n% stand-in\n"):
        job, _ = make_report(client, robin)
    # Robin moves to another practitioner (and was never seen by this one).
    robin.primary_practitioner_id = make_user("practitioner", name="Pat Other").practitioner.id
    db.session.commit()
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}/progress.json", f"/jobs/{job.id}/file"):
        assert client.get(url).status_code == 403, url
