# ruff: noqa: F811  (fixtures imported from other test modules are used as arguments)
"""The letter pages: composer (draft, preview, issue), the letter, its frozen PDF, the
register, the batch of practice-full replies, the settings; bounded queries."""

import hashlib
import io
import zipfile

import pytest
from sqlalchemy import select

from practice.audit.services import SYSTEM
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.db import db
from practice.letters import services, texts, views
from practice.letters.models import KINDS, Letter, LetterTemplate
from practice.scheduling.models import Appointment
from practice.settings import services as settings_services
from practice.settings.services import PracticeDetails
from referrals.models import Inquiry
from tests.conftest import NOW
from tests.test_bad_input import error_for
from tests.test_bad_input import field_values as raw_field_values
from tests.test_letters import TODAY, drafted, issue, pdf_text, record  # noqa: F401  (a fixture)


def field_values(page: str) -> dict[str, str]:
    """As a browser reads them (one newline after <textarea> is dropped)."""
    return {name: value.replace("\r\n", "\n").removeprefix("\n") for name, value in raw_field_values(page).items()}


def compose_url(kind, record, **extra):
    subject = f"inquiry_id={record['inquiry'].id}" if kind == "practice_full" else f"client_id={record['client'].id}"
    return f"/letters/new?kind={kind}&{subject}" + "".join(f"&{k}={v}" for k, v in extra.items())


def test_the_composer_fills_a_draft_from_the_record(client, login, record, users):
    login(users["admin"])
    page = client.get(compose_url("discontinuation", record)).get_data(as_text=True)
    assert "Give the date from which the client will no longer be seen." in page  # asked for
    assert "warned you by e-mail on 7 November 2026" in page  # from the record
    assert "2 future appointments are cancelled by the practice, without fees." in page
    form = {"author_id": record["practitioner"].id, "channel": "post", "effective_date": "2026-11-23",
            "action": "draft"}
    page = client.post(compose_url("discontinuation", record), data=form).get_data(as_text=True)
    body = field_values(page)["body"]
    assert "Dear Sam," in body and "arrived 30 minutes late" in body and "From 23 November 2026" in body


def test_the_composer_shows_the_tone_guide_for_its_kind(client, login, record, users):
    login(users["admin"])
    ending = client.get(compose_url("discontinuation", record)).get_data(as_text=True)
    reply = client.get(compose_url("practice_full", record)).get_data(as_text=True)
    assert "State the decision once, plainly." in ending and "no hope for the future" in ending
    assert "Thank them for getting in touch." in reply and "no hope for the future" not in reply
    assert set(texts.TONE_GUIDES) == set(KINDS)


def test_preview_shows_the_letter_and_writes_nothing(client, login, record, users):
    login(users["admin"])
    form = {"author_id": record["practitioner"].id, "channel": "post", "action": "preview",
            "body": "Dear Sam,\n\n<b>Bold?</b> Hello."}
    response = client.post(compose_url("custom", record), data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'title="Preview of the letter"' in page
    assert "&amp;lt;b&amp;gt;Bold?" in page  # escaped in the letter, then again in srcdoc
    assert db.session.scalar(select(Letter.id)) is None


def test_issuing_needs_confirming_and_keeps_what_was_typed(client, login, record, users):
    login(users["admin"])
    form = {"author_id": record["practitioner"].id, "channel": "post", "action": "issue",
            "body": "Dear Sam,\n\nA note on the letterhead."}
    response = client.post(compose_url("custom", record), data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Tick the box" in error_for(page, "confirm")
    assert field_values(page)["body"] == form["body"]
    assert db.session.scalar(select(Letter.id)) is None


def test_a_discontinuation_issued_from_the_composer(client, login, record, users):
    login(users["admin"])
    form = {"author_id": record["practitioner"].id, "channel": "post", "effective_date": "2026-11-23",
            "action": "draft"}
    page = client.post(compose_url("discontinuation", record), data=form).get_data(as_text=True)
    form |= {"body": field_values(page)["body"], "action": "issue", "confirm": "y"}
    response = client.post(compose_url("discontinuation", record), data=form)
    assert response.status_code == 302
    letter = db.session.scalars(select(Letter)).one()
    assert response.headers["Location"] == f"/letters/{letter.id}"
    db.session.expire_all()
    assert db.session.get(Client, record["client"].id).standing == "moved_on"
    assert {db.session.get(Appointment, a.id).status for a in record["future"]} == {"cancelled"}
    first, second = (client.get(f"/letters/{letter.id}.pdf") for _ in range(2))
    assert first.mimetype == "application/pdf" and first.data == second.data == letter.pdf
    assert hashlib.sha256(first.data).hexdigest() == letter.sha256
    assert "arrived 30 minutes late" in pdf_text(first.data)
    timeline = client.get(f"/clients/{record['client'].id}").get_data(as_text=True)
    assert "Ending the professional relationship" in timeline and f"/letters/{letter.id}.pdf" in timeline


FACTS = {"referral": "specialist", "discontinuation": "effective_date",
         "safety_discontinuation": "effective_date", "practice_full": None, "custom": None}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_download_is_the_letter_as_issued_whatever_changed_since(client, login, record, users, kind):
    """The stored bytes, not a new rendering: the practice and the client change their
    details after the letter is issued, and the download is still the original."""
    facts = {"specialist": {"specialist": record["specialist"], "modalities": [record["deep"]]},
             "effective_date": {"effective_date": TODAY}, None: {}}[FACTS[kind]]
    letter = issue(drafted(kind, record, **facts), record)
    issued, digest = letter.pdf, letter.sha256
    settings_services.update_details(db.session, SYSTEM, PracticeDetails(
        name="Quayside Wellbeing", timezone="Europe/London", currency="GBP", phone_region="GB",
        address="1 New Road\nBath", phone="0117 496 0999", email="hello@quayside.example"), now=NOW)
    client_services.update_client(db.session, SYSTEM, record["client"], client_services.ClientDetails(
        display_name="Sam", legal_name="Samantha Renamed", address="9 Other Street\nLeeds"),
        phone_region="GB", now=NOW)
    login(users["admin"])
    downloaded = client.get(f"/letters/{letter.id}.pdf").data
    assert downloaded == issued and hashlib.sha256(downloaded).hexdigest() == digest
    text = pdf_text(downloaded)
    assert "Harbour Street Massage" in text and "Quayside Wellbeing" not in text
    assert "Renamed" not in text and "Other Street" not in text
    if kind != "practice_full":
        assert "Samantha Example" in text and "1 Long Lane" in text


def test_the_front_desk_never_sees_a_discontinuation(client, login, record, users):
    login(users["front_desk"])
    assert client.get(compose_url("discontinuation", record)).status_code == 403
    assert client.get("/letters").status_code == 403


def test_a_referral_letter_shows_its_follow_up(client, login, record, users):
    login(users["practitioner"])
    form = {"author_id": record["practitioner"].id, "channel": "post", "specialist_id": record["specialist"].id,
            "modality_ids": [record["deep"].id], "action": "draft"}
    page = client.post(compose_url("referral", record), data=form).get_data(as_text=True)
    form |= {"body": field_values(page)["body"], "action": "issue", "confirm": "y"}
    response = client.post(compose_url("referral", record), data=form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "on 7 December 2026 whether Dana Okoro was a good match" in page


def test_practice_full_replies_in_a_batch(client, login, record, users):
    for practitioner in record["practitioner"], users["admin"].practitioner:  # nobody has room
        practitioner.accepting_new_clients = False
    db.session.commit()
    login(users["admin"])
    form = {"inquiry_ids": [record["inquiry"].id], "author_id": record["practitioner"].id, "channel": "email"}
    page = client.post("/letters/batch", data=form | {"action": "preview"}).get_data(as_text=True)
    assert "Dear Robin Walker," in page and "Dana Okoro" in page  # each reply previewed
    assert "is closed as referred to colleagues" in page and db.session.scalar(select(Letter.id)) is None
    refused = client.post("/letters/batch", data=form | {"action": "issue"})
    assert refused.status_code == 422 and db.session.scalar(select(Letter.id)) is None  # not confirmed
    response = client.post("/letters/batch", data=form | {"action": "issue", "confirm": "y"})
    assert response.status_code == 302
    letter = db.session.scalars(select(Letter)).one()
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Robin Walker" in done and "referred to a colleague" in done and f"/letters/{letter.id}" in done
    archive = client.get(f"/letters/batch/replies.zip?letter={letter.id}")
    files = zipfile.ZipFile(io.BytesIO(archive.data))
    (name,) = files.namelist()
    assert files.read(name) == letter.pdf
    db.session.expire_all()
    assert db.session.get(Inquiry, record["inquiry"].id).status == "referred"


def test_the_batch_asks_for_an_inquiry(client, login, record, users):
    login(users["admin"])
    response = client.post("/letters/batch", data={"author_id": record["practitioner"].id, "channel": "email"})
    assert response.status_code == 422
    assert "Choose at least one inquiry." in response.get_data(as_text=True)


def test_a_batch_has_a_most_that_is_previewed_at_once(client, login, record, users, monkeypatch):
    monkeypatch.setattr(views, "MOST_IN_A_BATCH", 0)  # the one open inquiry is one too many
    login(users["admin"])
    response = client.post("/letters/batch", data={"inquiry_ids": [record["inquiry"].id], "action": "preview",
                                                   "author_id": record["practitioner"].id, "channel": "email"})
    assert response.status_code == 422
    assert "Choose at most 0 inquiries at a time." in error_for(response.get_data(as_text=True), "inquiry_ids")


def more_inquiries(record, count):
    from referrals import services as referral_services

    made = [record["inquiry"]]
    for number in range(count - 1):
        made.append(referral_services.record_inquiry(db.session, SYSTEM, referral_services.InquiryDetails(
            name=f"Asker {number}", email=f"asker{number}@example.org",
            modality_ids=[record["deep"].id]), phone_region="GB", now=NOW))
    db.session.commit()
    return made


def test_a_batch_larger_than_a_page_may_wait_for_is_issued_by_a_background_job(
        client, login, record, users, monkeypatch):
    """Three replies when the quick limit is two: the confirmation queues a job (nothing is
    issued yet); the worker lays each out, reporting its progress, and issues all; the job's
    page then gives way to the batch's result page with each letter and the zip."""
    from practice.jobs.models import Job
    from tests.test_jobs import run_jobs

    monkeypatch.setattr(services, "QUICK_BATCH", 2)
    for practitioner in record["practitioner"], users["admin"].practitioner:  # nobody has room
        practitioner.accepting_new_clients = False
    inquiries = more_inquiries(record, 3)
    login(users["admin"])
    form = {"inquiry_ids": [i.id for i in inquiries], "author_id": record["practitioner"].id, "channel": "post"}
    page = client.post("/letters/batch", data=form | {"action": "preview"}).get_data(as_text=True)
    assert "issued in the background" in page and page.count("Dear ") == 3
    response = client.post("/letters/batch", data=form | {"action": "issue", "confirm": "y"})
    job = db.session.scalars(select(Job)).one()
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert db.session.scalar(select(Letter.id)) is None  # queued, not issued
    assert "Waiting for the worker" in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    from practice.jobs.worker import Worker

    seen, saving = [], Worker._progress
    monkeypatch.setattr(Worker, "_progress", lambda worker, *args: (seen.append(args[1:]), saving(worker, *args)))
    assert run_jobs() == 1
    db.session.expire_all()
    finished = db.session.get(Job, job.id)
    assert finished.status == "done", finished.last_error
    letters = list(db.session.scalars(select(Letter).order_by(Letter.id)))
    assert len(letters) == 3 and finished.payload["letter_ids"] == [letter.id for letter in letters]
    assert seen[-4:] == [(0, 4, "Laying out the reply to Robin Walker"), (1, 4, "Laying out the reply to Asker 0"),
                         (2, 4, "Laying out the reply to Asker 1"), (3, 4, "Issuing 3 replies")]
    # Saved as it went (before the job's first write, so SQLite did not wait for its end).
    assert (finished.progress_message, finished.progress_total) == ("Issuing 3 replies", 4)
    assert [db.session.get(Inquiry, i.id).status for i in inquiries] == ["referred"] * 3
    shown = client.get(f"/jobs/{job.id}")
    assert shown.status_code == 302 and "/letters/batch/done?letter=" in shown.headers["Location"]
    done = client.get(shown.headers["Location"]).get_data(as_text=True)
    assert all(f"/letters/{letter.id}" in done for letter in letters) and "Asker 1" in done
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/letters/batch/replies.zip?letter={letters[0].id}"
                                                    f"&letter={letters[1].id}&letter={letters[2].id}").data))
    assert len(archive.namelist()) == 3


def test_a_batch_job_issues_nothing_when_an_inquiry_closed_meanwhile(client, login, record, users, monkeypatch):
    from practice.jobs.models import Job
    from referrals import services as referral_services
    from tests.test_jobs import run_jobs

    monkeypatch.setattr(services, "QUICK_BATCH", 1)
    inquiries = more_inquiries(record, 2)
    login(users["admin"])
    form = {"inquiry_ids": [i.id for i in inquiries], "author_id": record["practitioner"].id, "channel": "post",
            "action": "issue", "confirm": "y"}
    assert client.post("/letters/batch", data=form).status_code == 302
    referral_services.close_inquiry(db.session, SYSTEM, inquiries[1], now=NOW, outcome="declined")
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    job = db.session.scalars(select(Job)).one()
    assert job.status == "failed" and "1 of the inquiries chosen is closed now" in job.last_error
    assert db.session.scalar(select(Letter.id)) is None
    assert db.session.get(Inquiry, inquiries[0].id).status == "open"


def test_the_register_filters_and_keeps_its_queries_bounded(client, login, record, users, count_queries):
    from tests.test_letters import drafted, issue

    for _ in range(3):
        issue(drafted("custom", record, body="Dear Sam,\n\nHello."), record)
    issue(drafted("safety_discontinuation", record, effective_date=TODAY), record)
    login(users["admin"])
    with count_queries() as few:
        page = client.get("/letters").get_data(as_text=True)
    assert page.count("Letter on the letterhead") >= 3
    for _ in range(5):
        issue(drafted("custom", record, body="Dear Sam,\n\nAgain."), record)
    with count_queries() as many:
        client.get("/letters")
    assert len(many) == len(few)
    only_safety = client.get("/letters?kind=safety_discontinuation").get_data(as_text=True)
    assert "Ending the relationship (safety)" in only_safety and "Letter on the letterhead</td>" not in only_safety
    assert "No letters" in client.get("/letters?start=2027-01-01").get_data(as_text=True)


def test_the_registers_pages_count_the_letters_its_filters_keep(app, client, login, record, users, monkeypatch):
    from tests.test_letters import drafted, issue

    for _ in range(2):
        issue(drafted("custom", record, body="Dear Sam,\n\nHello."), record)
    issue(drafted("safety_discontinuation", record, effective_date=TODAY), record)
    monkeypatch.setitem(app.config, "PRACTICE_PAGE_SIZE", 1)
    login(users["admin"])
    page = client.get("/letters").get_data(as_text=True)
    assert 'href="/letters?page=3"' in page and 'href="/letters?page=4"' not in page
    assert 'aria-label="Pages"' not in client.get("/letters?kind=safety_discontinuation").get_data(as_text=True)


def test_the_composer_keeps_its_queries_bounded(client, login, record, users, count_queries):
    login(users["admin"])
    with count_queries() as queries:
        assert client.get(compose_url("discontinuation", record)).status_code == 200
    assert len(queries) < 40


@pytest.mark.parametrize("text, message", [
    ("Dear {client_nme},", "Unknown placeholder: {client_nme}"),
    ("Dear {client_name", "A brace is not closed"),
    ("Dear {client_name},", "must include {specialist_name}, {specialist_contact}"),
])
def test_the_settings_refuse_a_bad_text_next_to_the_field(client, login, users, text, message):
    login(users["admin"])
    response = client.post("/settings/letters/referral", data={"referral-text": text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in error_for(page, "referral-text")
    assert field_values(page)["referral-text"] == text
    assert db.session.scalar(select(LetterTemplate.id)) is None


def test_the_settings_save_a_version_and_the_paper(client, login, users):
    login(users["admin"])
    text = "Dear {client_name},\n\nFrom {effective_date}, no more."
    assert client.post("/settings/letters/safety_discontinuation",
                       data={"safety_discontinuation-text": text}).status_code == 302
    assert client.post("/settings/letters", data={"page_size": "letter"}).status_code == 302
    page = client.get("/settings/letters").get_data(as_text=True)
    assert "version 1" in page
    assert raw_field_values(page)["page_size"] == "letter"


def test_the_settings_say_how_to_pay_and_keep_an_edited_text(client, login, users):
    login(users["admin"])
    how = "Please pay by bank transfer, sort code 12-34-56, account 12345678."
    assert client.post("/settings/letters", data={"page_size": "A4", "how_to_pay": how}).status_code == 302
    assert field_values(client.get("/settings/letters").get_data(as_text=True))["how_to_pay"] == how
    # A practice that edited a text keeps it; the new default is offered as its next version.
    edited = "Dear {client_name},\n\nFrom {effective_date}, no more."
    client.post("/settings/letters/safety_discontinuation", data={"safety_discontinuation-text": edited})
    page = client.get("/settings/letters").get_data(as_text=True)
    assert edited + "</textarea>" in page
    assert "Save the default text as version 2" in page
    client.post("/settings/letters/safety_discontinuation",
                data={"safety_discontinuation-text": texts.DEFAULTS["safety_discontinuation"]})
    assert services.current_template(db.session, "safety_discontinuation") == (
        texts.DEFAULTS["safety_discontinuation"].strip(), 2)


# The register's rows are written in Python (letters/rows_html.py); this is the loop the
# template had, with the links built by url_for for each row.
REGISTER_LOOP = """{% for letter in letters %}
    <tr><td class="nowrap"><a href="{{ url_for('letters.show', letter_id=letter.id) }}">{{ letter.issued_at|local("%-d %b %Y %H:%M") }}</a></td>
      <td>{{ letter.kind_label }}</td>
      <td>{% if letter.client %}<a href="{{ url_for('clients.show', client_id=letter.client.id) }}">{{ letter.client.display_name }}</a>{% else %}{{ letter.recipient }}{% endif %}</td>
      <td>{{ letter.author.display_name if letter.author else "—" }}</td><td>{{ letter.channel_label }}</td>
      <td><a href="{{ url_for('letters.download', letter_id=letter.id) }}">PDF</a></td></tr>
  {% endfor %}"""


def test_the_registers_rows_are_what_its_template_wrote(app, users):
    from practice.auth.models import Practitioner
    from practice.letters import rows_html
    from practice.settings.services import practice_zone

    to_client = Letter(id=12, kind="discontinuation", issued_at=NOW, channel="in_person", recipient="Sam",
                       client=Client(id=7, display_name="<Zoë> O'Neil & co"),
                       author=Practitioner(id=3, display_name='Ann "A" <Smith>'))
    reply = Letter(id=345, kind="practice_full", issued_at=NOW, channel="email", recipient="Ola & <Kemi>")
    letters = [to_client, reply]
    with app.test_request_context("/letters"):
        loop = app.jinja_env.from_string(REGISTER_LOOP).render(letters=letters)
        rows = rows_html.register_rows(letters, zone=practice_zone(db.session), letter_url="/letters/",
                                       client_url="/clients/")
    assert "&lt;Zoë&gt; O&#39;Neil &amp; co" in rows and "Ola &amp; &lt;Kemi&gt;" in rows and "—" in rows
    assert rows == loop


def test_the_register_reads_only_what_it_shows(app, record):
    import sqlalchemy as sa

    from practice.letters import queries
    from practice.settings.services import practice_zone
    from tests.test_letters import drafted, issue

    issue(drafted("custom", record, body="Dear Sam,\n\nHello."), record)
    db.session.expunge_all()
    page = queries.register(queries.RegisterFilters(), zone=practice_zone(db.session), readable=sa.true(),
                            page=1, per_page=25)
    letter = page.items[0]
    assert {"body", "title", "pdf"} <= sa.inspect(letter).unloaded
    assert {"email", "phone"} <= sa.inspect(letter.client).unloaded
