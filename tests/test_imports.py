"""Large imports in the background: the upload is kept and checked by a job, the report is read
a page at a time (rows to correct first), confirming queues the import job, which checks the
file again and saves every row or none, in batches of rows."""

import dataclasses
import io
import json
import re

import pytest
import sqlalchemy as sa

from practice.audit.services import Actor
from practice.clients import csv_io as client_csv
from practice.clients.models import Client
from practice.db import db
from practice.import_report import KeptReport, Preview, RowReport
from practice.imports import registry
from practice.imports import services as import_services
from practice.jobs.models import Job, JobFile, JobUpload
from practice.settings.services import get_practice
from referrals.models import Specialist, specialist_modality
from tests.conftest import NOW
from tests.test_jobs import make_worker, run_jobs


def upload(client, path: str, text: str, filename="upload.csv"):
    """Upload a file; the page of the check it starts (its job's id, its response)."""
    response = client.post(path, data={"file": (io.BytesIO(text.encode()), filename)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    job_id = int(re.fullmatch(r"/imports/(\d+)", response.headers["Location"]).group(1))
    return job_id


def checked(client, path: str, text: str, **args) -> tuple[int, str]:
    """Upload, let the worker check, and read the report's page."""
    job_id = upload(client, path, text)
    run_jobs()
    return job_id, client.get(f"/imports/{job_id}", query_string=args).get_data(as_text=True)


def imported(client, job_id: int) -> str:
    """Confirm the checked file, let the worker import it, and read the outcome."""
    response = client.post(f"/imports/{job_id}/import")
    assert response.status_code == 302
    run_jobs()
    return client.get(response.headers["Location"]).get_data(as_text=True)


def lines_shown(page: str) -> list[int]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(line) for line in re.findall(r"<tr[^>]*>\s*<td>(\d+)</td>", body)]


def clients_csv(rows: int, bad=()) -> str:
    lines = ["display_name,phone,email"]
    lines += [f"Client {n},{'12' if n in bad else f'+4478{n:08d}'},client{n}@example.net" for n in range(rows)]
    return "\n".join(lines) + "\n"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_check_runs_in_the_background_and_its_report_is_paged_errors_first(client, users, login):
    login(users["admin"])
    job_id = upload(client, "/clients/import", clients_csv(120, bad={70, 119}))
    waiting = client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert "Waiting for the worker to start it." in waiting and 'role="progressbar"' in waiting
    assert "js/job-progress.js" in waiting
    run_jobs()
    page = client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert "2 of 120 rows need correcting. Nothing has been imported." in page
    shown = lines_shown(page)
    assert len(shown) == 50 and shown[:2] == [72, 121] and shown[2:5] == [2, 3, 4]  # errors first
    assert "Import 120 clients" not in page and f'action="/imports/{job_id}/import"' not in page
    last = client.get(f"/imports/{job_id}?page=3").get_data(as_text=True)
    assert lines_shown(last) == [n + 2 for n in range(99, 119)]
    assert count(Client) == 0
    # Nothing to import: confirming is refused.
    refused = client.post(f"/imports/{job_id}/import", follow_redirects=True).get_data(as_text=True)
    assert "Nothing can be imported while a row is wrong." in refused
    assert count(Job) == 1


def test_a_good_file_is_imported_by_a_job_once_confirmed_and_only_once(client, users, login, monkeypatch):
    login(users["admin"])
    job_id, page = checked(client, "/clients/import", clients_csv(30))
    assert "All 30 rows can be imported." in page and "Import 30 clients" in page
    assert count(Client) == 0
    assert count(JobUpload) == 1
    # Nothing a row's own check depends on has changed: the import takes the rows its check
    # cleaned (and looks up again only what depends on the practice's clients).
    cleaned = []
    monkeypatch.setattr(client_csv, "clean_each_field", lambda *args, **kw: cleaned.append(args) or 1 / 0)
    outcome = imported(client, job_id)
    assert cleaned == []
    assert "Imported 30 clients." in outcome
    assert count(Client) == 30
    assert b"Client 1" not in _kept_file(job_id + 1).data  # the outcome is a count: the rows are the check's
    assert count(JobUpload) == 0  # the upload is not kept once imported; the reports are
    # A second click finds the import already done: the file is imported once.
    again = client.post(f"/imports/{job_id}/import")
    run_jobs()
    assert count(Client) == 30 and count(Job) == 2
    assert "Follow the import of this file" in client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert again.headers["Location"] == f"/imports/{job_id + 1}"


@pytest.mark.parametrize("change", ["practitioner renamed", "phone region"])
def test_the_import_checks_the_file_again_and_saves_nothing_if_a_row_is_now_wrong(client, users, login, change):
    login(users["admin"])
    text = "display_name,practitioner,phone\nAna,Priya Practitioner,07400 123456\nBo,,\n"
    job_id, page = checked(client, "/clients/import", text)
    assert "All 2 rows can be imported." in page
    # Changed between the check and the import:
    if change == "practitioner renamed":
        users["practitioner"].practitioner.display_name = "Priya P."
        refusal = "no practitioner is called"
    else:
        get_practice(db.session).phone_region = "US"  # a British number written without +44
        refusal = "This is not a valid phone number."
    db.session.commit()
    outcome = imported(client, job_id)
    assert "Nothing has been imported" in outcome and refusal in outcome, outcome[outcome.index("<main"):]
    assert count(Client) == 0


def test_progress_is_shown_while_the_check_runs(client, users, login, monkeypatch):
    login(users["admin"])
    seen = []
    clients = registry.IMPORTERS["clients"]

    def check_and_look(session, text, *, now, progress):
        def looking(done, total):
            progress(done, total)
            job_id = session.scalar(sa.select(sa.func.max(Job.id)))
            seen.append(client.get(f"/jobs/{job_id}/progress.json").get_json())
        return clients.check(session, text, now=now, progress=looking)

    monkeypatch.setitem(registry.IMPORTERS, "clients", dataclasses.replace(clients, check=check_and_look))
    checked(client, "/clients/import", clients_csv(2400))
    assert [(s["done"], s["total"], s["message"]) for s in seen] == [
        (1000, 2400, "Checking: row 1,000 of 2,400"), (2000, 2400, "Checking: row 2,000 of 2,400")]
    assert seen[0]["status"] == "running" and seen[0]["percent"] == 41


def test_rows_are_saved_in_batches_whatever_their_number(client, users, login, count_queries):
    login(users["admin"])

    def inserts(rows: int) -> int:
        job_id, page = checked(client, "/clients/import", clients_csv(rows).replace("Client ", f"C{rows} "))
        client.post(f"/imports/{job_id}/import")
        with count_queries() as statements:
            run_jobs()
        return len([s for s in statements if s.lstrip().upper().startswith("INSERT INTO CLIENT ")])

    assert inserts(3) == inserts(300) == 1
    assert count(Client) == 303


def test_an_imported_row_matching_a_blocked_client_is_held_from_booking(client, users, login, make_client):
    from practice.audit.services import SYSTEM
    from practice.clients import services as client_services

    dan = make_client("Daniel Cohen", phone="07841 209376")
    client_services.set_standing(db.session, SYSTEM, dan, "moved_on", "Ended the relationship.", now=dan.created_at)
    db.session.commit()
    login(users["admin"])
    job_id, page = checked(client, "/clients/import",
                           "display_name,phone\nD Cohen,07841 209376\nNoor,07400 123456\nIvo,07400 654321\n")
    assert "Same phone number as Daniel Cohen, who cannot be booked" in page
    # Ended after the check: the import finds the match the check could not.
    nadia = make_client("Nadia Brook", phone="07400 123456")
    client_services.set_standing(db.session, SYSTEM, nadia, "declined", "Declined further sessions.",
                                 now=nadia.created_at)
    db.session.commit()
    assert "Imported 3 clients." in imported(client, job_id)
    held = {c.display_name: c.bookable for c in db.session.scalars(sa.select(Client))}
    assert held == {"Daniel Cohen": False, "D Cohen": False, "Nadia Brook": False, "Noor": False, "Ivo": True}


def test_an_imported_row_matching_a_blocked_clients_name_and_birthday_is_held(client, users, login, make_client):
    from datetime import date

    from practice.audit.services import SYSTEM
    from practice.clients import services as client_services

    dan = make_client("Daniel Cohen", date_of_birth=date(1972, 1, 30))
    client_services.set_standing(db.session, SYSTEM, dan, "declined", "Declined further sessions.", now=dan.created_at)
    db.session.commit()
    login(users["admin"])
    text = "display_name,date_of_birth\nCOHEN Daniel,1972-01-30\nDaniel Cohen,1972-01-31\n"
    job_id, page = checked(client, "/clients/import", text)
    assert "Same name and date of birth as Daniel Cohen, who cannot be booked" in page
    assert "Imported 2 clients." in imported(client, job_id)
    held = {(c.display_name, c.date_of_birth.day): c.bookable for c in db.session.scalars(sa.select(Client))}
    assert held == {("Daniel Cohen", 30): False, ("COHEN Daniel", 30): False, ("Daniel Cohen", 31): True}


def test_the_directory_import_runs_in_the_background_too(client, users, login, count_queries):
    login(users["practitioner"])

    def imported_rows(rows: int) -> int:
        text = "name,modalities,phone\n" + "".join(
            f"Colleague {rows}-{n},Deep tissue; Reflexology,\n" for n in range(rows))
        job_id, page = checked(client, "/referrals/import", text)
        assert f"All {rows} rows can be imported." in page
        client.post(f"/imports/{job_id}/import")
        with count_queries() as statements:
            run_jobs()
        assert f"Imported {rows} specialists." in client.get(f"/imports/{job_id + 1}").get_data(as_text=True)
        return len([s for s in statements if s.lstrip().upper().startswith("INSERT INTO SPECIALIST")])

    assert imported_rows(2) == imported_rows(40) == 2  # the entries, then their modalities
    assert count(Specialist) == 42
    assert db.session.scalar(sa.select(sa.func.count()).select_from(specialist_modality)) == 84
    found = db.session.scalar(sa.select(Specialist).where(Specialist.name == "Colleague 40-7"))
    assert [m.name for m in found.modalities] == ["Deep tissue", "Reflexology"]
    assert "reflexology" in found.search_text and found.name_key == "colleague 40-7"


@pytest.mark.parametrize("who, status", [("practitioner", 403), ("front_desk", 403)])
def test_an_import_is_seen_only_by_whom_may_import_and_asked_for_it(client, users, login, who, status):
    login(users["admin"])
    job_id, _ = checked(client, "/clients/import", clients_csv(2))
    client.post("/logout")
    login(users[who])
    assert client.get(f"/imports/{job_id}").status_code == status
    assert client.post(f"/imports/{job_id}/import").status_code == status
    assert count(Job) == 1


def imports_world(requester) -> dict:
    """For tests/test_access.py and test_bad_input.py: a file for the referral directory
    uploaded by `requester` (a practitioner) and checked, ready to import."""
    job = import_services.start_check(db.session, Actor(requester), "referrals.directory", "directory.csv",
                                      "name,modalities\nGail Import,Deep tissue\n", now=NOW)
    db.session.commit()
    make_worker().run(once=True)
    assert db.session.get(Job, job.id).status == "done"
    return {"import_check_id": job.id}


def test_a_file_is_imported_only_once_checked_and_only_from_its_check(client, users, login):
    login(users["admin"])
    job_id = upload(client, "/clients/import", clients_csv(2))
    early = client.post(f"/imports/{job_id}/import", follow_redirects=True).get_data(as_text=True)
    assert "Wait until the check has finished" in early and count(Job) == 1
    run_jobs()
    imported(client, job_id)
    again = client.post(f"/imports/{job_id + 1}/import", follow_redirects=True).get_data(as_text=True)
    assert "Only a checked file can be imported." in again and count(Job) == 2


def test_a_file_of_clients_is_not_shown_to_whom_may_not_import_clients(app, client, users, login):
    # A practitioner's own check of a file of clients (not possible from the pages): still
    # closed to them, since they may not import clients.
    job = import_services.start_check(db.session, Actor(users["practitioner"]), "clients", "c.csv",
                                      clients_csv(2), now=NOW)
    db.session.commit()
    run_jobs()
    login(users["practitioner"])
    assert client.get(f"/imports/{job.id}").status_code == 403
    assert client.post(f"/imports/{job.id}/import").status_code == 403


def test_only_imports_have_an_import_page(app, client, users, login, make_client):
    from tests.test_jobs import jobs_world

    world = jobs_world(make_client("Sam Example"), users["admin"])
    login(users["admin"])
    assert client.get(f"/imports/{world['job_id']}").status_code == 404
    assert client.post(f"/imports/{world['job_id']}/import").status_code == 404


def _kept_file(job_id: int):
    return db.session.scalar(sa.select(JobFile).where(JobFile.job_id == job_id))


def test_a_reports_page_decodes_its_summary_and_its_own_rows_only(client, users, login):
    login(users["admin"])
    job_id, first = checked(client, "/clients/import", clients_csv(120, bad={70, 119}))
    file = _kept_file(job_id)
    # Every page but the first made unreadable: the first page is shown as before.
    file.data = b"\n".join(line if at < 3 else b"not JSON," for at, line in enumerate(file.data.split(b"\n")))
    db.session.commit()
    again = client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert lines_shown(again) == lines_shown(first) and "2 of 120 rows need correcting." in again


def test_a_report_kept_in_the_former_whole_json_is_still_read(client, users, login):
    login(users["admin"])
    job_id, first = checked(client, "/clients/import", clients_csv(60, bad={3}))
    good_id, _ = checked(client, "/clients/import", clients_csv(30))
    for kept in (job_id, good_id):  # as reports were written before: one JSON object
        file = _kept_file(kept)
        report = Preview.from_json(file.data)
        file.data = json.dumps({"kind": report.kind, "problems": report.problems, "imported": None,
                                "kept": report.kept, "rows": [[row.line, row.values, row.errors, row.warnings]
                                                              for row in report.rows]}).encode()
    db.session.commit()
    assert lines_shown(client.get(f"/imports/{job_id}?page=2").get_data(as_text=True)) == list(range(52, 62))
    assert "1 of 60 rows need correcting." in client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert "Imported 30 clients." in imported(client, good_id)


def test_a_kept_reports_pages_are_the_reports_own():
    rows = [RowReport(line, {"n": line}, ["wrong"] if line % 7 == 0 else [], ["note"] if line % 5 == 0 else [])
            for line in range(2, 130)]
    for preview in (Preview(rows=rows, kept={"a": [1]}), Preview(rows=[], problems=["No rows."]),
                    Preview(kind="vCard", rows=rows[:3], imported=3)):
        kept = KeptReport.read(preview.to_json())
        assert (kept.kind, kept.problems, kept.imported, kept.ok, kept.total, kept.error_count,
                kept.warning_count) == (preview.kind, preview.problems, preview.imported, preview.ok,
                                        preview.total, preview.error_count, preview.warning_count)
        for number in range(0, 5):
            assert kept.page(number) == preview.page(number)
        assert Preview.from_json(preview.to_json()) == dataclasses.replace(preview, rows=[
            RowReport(row.line, row.values, row.errors, row.warnings) for row in preview.rows])
    shown = [row.line for row in KeptReport.read(Preview(rows=rows).to_json()).page(1).items]
    assert shown[:2] == [7, 14] and shown[17:19] == [126, 5] and shown[-2:] == [13, 16]  # wrong, noted, the rest
