"""The end-of-day review: a day with every kind of event, its one-click actions, its queries."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from wtforms.widgets import Select

from practice.audit.services import SYSTEM, Actor
from practice.conduct.models import ConductEntry, IncidentCategory
from practice.db import db
from practice.errors import DomainError
from practice.forms import options
from practice.review import services as review_services
from practice.review.forms import QuickIncidentForm
from practice.review.models import ReviewedDay
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment
from tests.conftest import NOW, statements_of_page
from tests.test_scheduling import at, book

DAY = date(2026, 11, 22)  # the Sunday before NOW (Monday 23 November, 10:00)
BEFORE = at(DAY, "08:00") - timedelta(days=1)


def late_visit(desk, day, minutes, client):
    appointment = book(desk, at(day, "10:00"), client=client, now=at(day, "08:00") - timedelta(days=1))
    arrived = at(day, "10:00") + timedelta(minutes=minutes)
    scheduling.check_in(db.session, SYSTEM, appointment, arrived, now=arrived)
    return appointment


@pytest.fixture
def busy_day(desk, make_client):
    """Sunday 22 November for the practitioner: one of each thing that can happen."""
    names = ["Ana Late", "Ben Absent", "Cleo Cancelled", "Dev Short", "Eve Unmarked", "Finn Fine", "Gus Tomorrow"]
    c = {name.split()[0]: make_client(name) for name in names}
    # Ana was late twice earlier in the month: today is her third time.
    late_visit(desk, date(2026, 11, 2), 15, c["Ana"])
    late_visit(desk, date(2026, 11, 9), 20, c["Ana"])
    ana = book(desk, at(DAY, "09:00"), client=c["Ana"], now=BEFORE)
    ben = book(desk, at(DAY, "10:30"), client=c["Ben"], now=BEFORE)
    cleo = book(desk, at(DAY, "12:00"), client=c["Cleo"], now=BEFORE)
    dev = book(desk, at(DAY, "14:00"), client=c["Dev"], now=BEFORE)
    book(desk, at(DAY, "15:30"), client=c["Eve"], now=BEFORE)
    finn = book(desk, at(DAY, "17:00"), client=c["Finn"], now=BEFORE)
    book(desk, at(DAY + timedelta(days=1), "11:00"), client=c["Gus"], now=BEFORE)

    scheduling.check_in(db.session, SYSTEM, ana, at(DAY, "09:25"), now=at(DAY, "09:25"))
    scheduling.complete(db.session, SYSTEM, ana, now=at(DAY, "10:00"))
    scheduling.record_payment(db.session, SYSTEM, ana, amount_cents=6000, method="card", now=at(DAY, "10:00"))
    scheduling.mark_no_show(db.session, SYSTEM, ben, now=at(DAY, "11:00"), confirm_unacknowledged=True)
    scheduling.cancel(db.session, SYSTEM, cleo, "Unwell", now=at(DAY, "08:00"), confirm_unacknowledged=True)
    scheduling.waive_fee(db.session, SYSTEM, cleo, "Genuinely ill; first time.", now=at(DAY, "08:05"))
    scheduling.check_in(db.session, SYSTEM, dev, at(DAY, "14:00"), now=at(DAY, "14:00"))
    scheduling.record_payment(db.session, SYSTEM, dev, amount_cents=3000, method="cash", now=at(DAY, "15:00"))
    scheduling.complete(db.session, SYSTEM, dev, now=at(DAY, "15:00"))
    scheduling.check_in(db.session, SYSTEM, finn, at(DAY, "17:02"), now=at(DAY, "17:02"))
    scheduling.record_payment(db.session, SYSTEM, finn, amount_cents=6000, method="card", now=at(DAY, "18:00"))
    scheduling.complete(db.session, SYSTEM, finn, now=at(DAY, "18:00"))
    return c


def review_page(client, query=None):
    query = f"?day={DAY.isoformat()}" if query is None else query
    response = client.get(f"/review/{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_the_review_shows_every_kind_of_event_of_the_day(client, users, login, busy_day):
    login(users["practitioner"])
    html = review_page(client)
    day = section(html, "day-heading")
    for name in ("Ana Late", "Ben Absent", "Cleo Cancelled", "Dev Short", "Eve Unmarked", "Finn Fine"):
        assert name in day
    assert "25 min late" in day and "Did not come" in day and "Late cancellation" in day
    assert "Late arrivals: <strong>1</strong> (Ana Late 25 min)" in day
    assert "No-shows: <strong>1</strong>" in day and "Late cancellations: <strong>1</strong>" in day
    assert "Fees charged: <strong>£60.00</strong>, waived: <strong>£30.00</strong>" in day
    # Ben's no-show fee (60.00) and Dev's short payment (30.00 of 60.00) are owing.
    assert "Unpaid or short-paid: <strong>2</strong> (£90.00)" in day
    settle = section(html, "settle-heading")
    assert "Eve Unmarked" in settle and "Ana Late" not in settle
    recorded = section(html, "entries-heading")
    for text in ("Ana Late</a>:\n        Late arrival (25 min)", "Ben Absent</a>:\n        No-show",
                 "Cleo Cancelled</a>:\n        Late cancellation", "Cleo Cancelled</a>:\n        Fee waived",
                 "Dev Short</a>:\n        Short payment"):
        assert text in recorded, text
    steps = section(html, "suggest-heading")
    assert "Ana Late" in steps and "Tell the client the policy, and record that you did" in steps
    assert "3 late arrivals in 90 days: 2 Nov (15 min), 9 Nov (20 min), 22 Nov (25 min)" in steps
    assert "(at the start of the day: keep an eye on it)" in steps
    tomorrow = section(html, "tomorrow-heading")
    assert "Gus Tomorrow" in tomorrow and "policy not acknowledged" in tomorrow


def test_the_review_lists_the_inquiries_for_the_practitioner_or_for_anyone(client, users, login, make_user):
    from tests.test_referrals import inquiry

    priya, other = users["practitioner"].practitioner, make_user("practitioner", name="Other").practitioner
    inquiry("Asks for anyone"), inquiry("Asks for Priya", priya), inquiry("Asks for another", other)
    db.session.commit()
    login(users["practitioner"])
    waiting = section(review_page(client), "inquiries-heading")
    assert "Asks for anyone" in waiting and "Asks for Priya" in waiting and "Asks for another" not in waiting


def test_an_unmarked_session_is_settled_from_the_review(client, users, login, busy_day):
    login(users["practitioner"])
    eve = db.session.scalar(sa.select(Appointment).where(
        Appointment.client_id == busy_day["Eve"].id))
    back = f"/review/?day={DAY.isoformat()}"
    response = client.post(f"/appointments/{eve.id}/check-in", data={"arrived": "15:40", "next": back})
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
    db.session.refresh(eve)
    assert eve.status == "arrived" and eve.late_minutes == 10
    settle = section(review_page(client), "settle-heading")
    assert f'data-unsettled="{eve.id}"' not in settle and f'data-finish="{eve.id}"' in settle

    # Completed and paid for in place: the session leaves the list, the review stays.
    for action, data in (("complete", {}), ("payment", {"amount": "60.00", "method": "card"})):
        response = client.post(f"/appointments/{eve.id}/{action}", data={**data, "next": back})
        assert response.status_code == 302 and response.headers["Location"].endswith(back), action
    db.session.refresh(eve)
    assert eve.status == "completed"
    assert f'data-finish="{eve.id}"' not in review_page(client)


def test_an_action_from_a_next_step_card_returns_to_the_card_showing_what_was_done(
    client, users, login, busy_day,
):
    login(users["practitioner"])
    ana = busy_day["Ana"]
    card = f"/review/?day={DAY.isoformat()}#next-{ana.id}"
    steps = section(review_page(client), "suggest-heading")
    assert f"/clients/{ana.id}/communications/new?next=" in steps and "Done:" not in steps

    form = client.get(f"/clients/{ana.id}/communications/new", query_string={"next": card})
    assert "Back to the review" in form.get_data(as_text=True)
    response = client.post(f"/clients/{ana.id}/communications/new", query_string={"next": card}, data={
        "occurred_at": "2026-11-23T09:30", "kind": "policy_reminder", "channel": "phone",
        "summary": "Went through the lateness part of the policy."})
    assert response.status_code == 302 and response.headers["Location"].endswith(card)
    response = client.post(f"/clients/{ana.id}/standing", data={
        "standing": "watch", "reason": "Third late arrival.", "next": card})
    assert response.status_code == 302 and response.headers["Location"].endswith(card)

    steps = section(review_page(client), "suggest-heading")
    assert f'id="next-{ana.id}"' in steps and "Done:" in steps
    assert "Policy reminder recorded (phone)" in steps and "Standing set to" in steps


def test_an_action_never_returns_to_another_site(client, users, login, busy_day):
    login(users["practitioner"])
    ana = busy_day["Ana"]
    response = client.post(f"/clients/{ana.id}/communications/new", query_string={"next": "https://evil.example/"},
                           data={"occurred_at": "2026-11-23T09:30", "kind": "conversation", "channel": "phone",
                                 "summary": "Talked."})
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/clients/{ana.id}/conduct")


def test_a_day_is_marked_reviewed_only_once_settled_and_the_next_review_mentions_it(
    app, client, users, login, busy_day,
):
    practitioner = users["practitioner"].practitioner
    login(users["practitioner"])
    form = {"practitioner_id": practitioner.id, "day": DAY.isoformat()}
    client.post("/review/reviewed", data=form)
    assert db.session.scalar(sa.select(ReviewedDay)) is None
    assert "Settle the 1 session still unmarked first" in review_page(client)
    today = review_page(client, "")
    assert "Not reviewed yet:" in today and "Sun 22 Nov" in today

    eve = db.session.scalar(sa.select(Appointment).where(
        Appointment.client_id == busy_day["Eve"].id))
    scheduling.mark_no_show(db.session, SYSTEM, eve, now=NOW, confirm_unacknowledged=True)
    assert client.post("/review/reviewed", data=form).status_code == 302
    reviewed = db.session.scalar(sa.select(ReviewedDay))
    assert (reviewed.day, reviewed.reviewed_by_id, reviewed.reviewed_at) == (DAY, users["practitioner"].id, NOW)
    assert "Reviewed by Priya Practitioner" in review_page(client)
    assert "Not reviewed yet:" not in review_page(client, "").split('id="day-heading"')[0] or "Sun 22 Nov" not in review_page(client, "")
    with pytest.raises(DomainError, match="already marked reviewed"):
        review_services.mark_reviewed(db.session, SYSTEM, practitioner, DAY, now=NOW)
    with pytest.raises(DomainError, match="once it has come"):
        review_services.mark_reviewed(db.session, SYSTEM, practitioner, DAY + timedelta(days=2), now=NOW)


def test_the_quick_form_records_an_incident_now(client, users, login, busy_day):
    login(users["practitioner"])
    category = db.session.scalar(sa.select(IncidentCategory).where(IncidentCategory.safety.is_(False)).limit(1))
    response = client.post(
        f"/review/incident?day={DAY.isoformat()}",
        data={"client_id": busy_day["Dev"].id, "category_id": category.id, "severity": "medium",
              "channel": "in_person", "description": "Asked for my home address twice.",
              "response": "Said I do not share it."})
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(ConductEntry).where(ConductEntry.source == "manual"))
    assert (entry.client_id, entry.description, entry.occurred_from) == (busy_day["Dev"].id, "Asked for my home address twice.", NOW)


def test_the_quick_form_opens_on_its_own_page_from_the_review(client, users, login, busy_day):
    """The review links to the quick form (written only when opened) with the day's clients
    in the practitioner's care to choose from; the review itself writes none of its fields."""
    login(users["practitioner"])
    card = section(review_page(client), "quick-heading")
    link = f'href="/review/incident?practitioner={users["practitioner"].practitioner.id}&amp;day={DAY.isoformat()}"'
    assert link in card and 'name="description"' not in card
    response = client.get(f"/review/incident?day={DAY.isoformat()}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<option value="{busy_day["Dev"].id}">Dev Short</option>' in html
    assert 'name="description"' in html and "Record it now" in html
    assert "Gus Tomorrow" not in html.split('id="client_id"')[1].split("</select>")[0]


def test_the_quick_form_keeps_what_was_typed_when_something_is_missing(client, users, login, busy_day):
    login(users["practitioner"])
    response = client.post(f"/review/incident?day={DAY.isoformat()}", data={
        "client_id": busy_day["Dev"].id, "category_id": 0, "severity": "", "channel": "",
        "description": "Waited by my car."})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Waited by my car." in html and 'id="category_id-error"' in html
    assert f'<option selected value="{busy_day["Dev"].id}">Dev Short</option>' in html
    # The quick form's selects are written in one pass (practice.forms.Select): what WTForms writes.
    with client.application.test_request_context(method="POST", data={"client_id": "7", "severity": "high"}):
        form = QuickIncidentForm()
        form.client_id.choices = options([(0, "Choose…"), (7, 'Zoë "Z" <b> & co'), (8, "Other")])
        form.category_id.choices = options([(0, "Choose…"), (3, "Boundary")])
        form.validate()
        for field in (form.client_id, form.category_id, form.severity, form.channel):
            for attrs in ({}, {"class": "form-select is-invalid", "aria-invalid": "true", "aria-describedby": "x"}):
                assert str(field(**attrs)) == str(Select()(field, **attrs))


def test_a_practitioner_reviews_only_their_own_days_and_admins_anyones(
    client, users, login, make_user, busy_day,
):
    other = make_user("practitioner", name="Olu Other")
    login(other)
    assert client.get(f"/review/?practitioner={users['practitioner'].practitioner.id}").status_code == 403
    assert "Olu Other" in review_page(client, "")
    client.post("/logout")
    login(users["admin"])
    html = review_page(client, f"?practitioner={users['practitioner'].practitioner.id}&day={DAY.isoformat()}")
    assert "Priya Practitioner" in html and "Ana Late" in html


def test_junk_in_the_query_string_shows_today(client, users, login):
    login(users["practitioner"])
    for query in ("?day=yesterday", "?day=2026-13-45", "?practitioner=abc", "?practitioner=99999999999999",
                  "?day=%00"):
        assert client.get(f"/review/{query}").status_code in (200, 404), query


def test_the_daily_report_prints_and_makes_a_pdf(client, users, login, busy_day, tmp_path):
    login(users["practitioner"])
    html = client.get(f"/review/report?day={DAY.isoformat()}").get_data(as_text=True)
    assert "Day review: Priya Practitioner, Sunday 22 November 2026" in html and "Eve Unmarked" in html
    response = client.get(f"/review/report?day={DAY.isoformat()}&format=pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    import subprocess

    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    for fact in ("Ana Late", "25 min late", "Did not come", "Short payment", "Gus Tomorrow", "3 late arrivals in 90 days"):
        assert fact in text, fact


def test_the_review_runs_the_same_queries_whatever_the_day_holds(
    client, users, login, desk, make_client, count_queries,
):
    login(users["practitioner"])
    first = make_client("First")
    late_visit(desk, DAY, 20, first)
    book(desk, at(DAY + timedelta(days=1), "09:00"), client=first, now=BEFORE)
    with count_queries() as small:
        review_page(client)
    for n, hour in enumerate(("12:00", "14:00", "16:00")):
        someone = make_client(f"Client {n}")
        appointment = book(desk, at(DAY, hour), client=someone, now=BEFORE)
        scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(DAY, "18:00"), confirm_unacknowledged=True)
        book(desk, at(DAY + timedelta(days=1), hour), client=someone, now=BEFORE)
    with count_queries() as large:
        review_page(client)
    assert len(large) == len(small), "\n".join(sorted(set(large) - set(small)))
    # The same text too: no list parameter, which SQLAlchemy writes out again on every run.
    assert large == small, "\n".join(sorted(set(large) - set(small)))


def test_a_card_lists_everything_done_for_the_client_and_the_follow_ups_are_the_practitioners(
    client, users, login, busy_day, make_client,
):
    """What was done (an incident, a letter, a referral out; not a referral received) and the
    referrals to follow up that the practitioner made or are of their own clients."""
    from practice.conduct import services as conduct_services
    from referrals import services as referral_services
    from tests.test_care_team import issue
    from tests.test_referrals import modality

    priya = users["practitioner"]
    ana, ben = busy_day["Ana"], busy_day["Ben"]
    ana.primary_practitioner_id = priya.practitioner.id
    category = db.session.scalar(sa.select(IncidentCategory).where(IncidentCategory.safety.is_(False)).limit(1))
    conduct_services.record_incident(db.session, SYSTEM, ana, conduct_services.IncidentDetails(
        category_id=category.id, severity="low", occurred_from=NOW, channel="in_person",
        description="Asked for my phone number."), [], max_bytes=1000, now=NOW)
    issue("custom", client=ana, author=priya.practitioner)
    specialist = referral_services.create_specialist(
        db.session, SYSTEM, referral_services.SpecialistDetails(name="Bea Osteo", modality_ids=[modality("Deep tissue").id]),
        phone_region="GB", now=NOW)
    refer = dict(modality_ids=[modality("Deep tissue").id], today=DAY - timedelta(days=14), now=NOW)
    referral_services.record_referral(db.session, SYSTEM, client=ana, specialist=specialist, **refer)
    referral_services.record_referral(db.session, SYSTEM, client=ben, specialist=specialist, **refer)
    referral_services.record_referral_in(db.session, SYSTEM, client=ana, specialist=specialist, today=DAY, now=NOW)
    stranger = make_client("Sol Stranger")
    referral_services.record_referral(db.session, Actor(priya), client=stranger, specialist=specialist, **refer)
    db.session.commit()

    login(priya)
    html = review_page(client)
    card = section(html, "suggest-heading").split(f'id="next-{ana.id}"')[1].split("suggestion-change")[0]
    assert f"Incident recorded: {category.label}" in card
    assert "Letter issued:" in card and card.count("Referred to Bea Osteo") == 1  # not the one received
    follow_ups = section(html, "follow-heading")
    assert "Ana Late</a> → Bea Osteo" in follow_ups and "Sol Stranger</a> → Bea Osteo" in follow_ups
    assert "Ben Absent" not in follow_ups  # neither referred by Priya nor her client


def test_the_days_and_tomorrows_rows_escape_what_the_practice_typed(client, users, login, desk, make_client):
    """The two tables' rows are written in Python (review.rows_html), not by Jinja's
    autoescape: a client's and a service's names with markup in them show as text."""
    _, service, _ = desk
    service.name = '<i>"Hot"</i> stones & oil'
    someone = make_client('Zoe <b>"Bold"</b> & Co')
    book(desk, at(DAY, "09:00"), client=someone, now=BEFORE)
    book(desk, at(DAY + timedelta(days=1), "09:00"), client=someone, now=BEFORE)
    login(users["practitioner"])
    html = review_page(client)
    for heading in ("day-heading", "tomorrow-heading"):
        rows = section(html, heading)
        assert "<b>" not in rows and "<i>" not in rows, heading
        assert "Zoe &lt;b&gt;&#34;Bold&#34;&lt;/b&gt; &amp; Co</a>" in rows, heading
        assert "<td>&lt;i&gt;&#34;Hot&#34;&lt;/i&gt; stones &amp; oil</td>" in rows, heading


def test_the_days_and_tomorrows_rows_convert_with_a_fixed_offset_after_a_clock_change(
        client, users, login, desk, make_client, monkeypatch):
    """The lookback of sessions to settle (60 days) crosses October's clock change; the day
    and tomorrow do not, so their rows are converted with the offset of those two days, not
    each through the zone (localtime.span), and read the same."""
    someone = make_client("Tia Tomorrow")
    book(desk, at(DAY, "09:00"), client=someone, now=BEFORE)
    book(desk, at(DAY + timedelta(days=1), "16:15"), client=someone, now=BEFORE)
    login(users["practitioner"])
    spans = []
    monkeypatch.setattr("practice.scheduling.queries.span", lambda *args: spans.append(args) or "")
    html = review_page(client)
    assert spans == []
    assert '<td class="nowrap">16:15–17:15</td>' in section(html, "tomorrow-heading")


def test_the_review_offers_and_lists_the_clients_in_the_practitioners_care_by_each_of_its_ways(
    client, users, login, desk, make_user, make_client,
):
    """The quick form offers the day's clients whose record the practitioner may open, and the
    entries recorded that day are those about such clients: the care team's rule applied to
    the client row each of the review's reads joins (care_team.of_client), way by way."""
    from practice.clients import services as client_services
    from practice.clients.models import CareGrant
    from practice.conduct import services as conduct_services
    from tests.test_care_team import book_with, every_day

    priya, service, _ = desk
    olu = make_user("practitioner", name="Olu Other").practitioner
    every_day(olu)
    theirs = {"primary_practitioner_id": olu.id}
    clients = {name: make_client(name, **details) for name, details in (
        ("Pia Primary", {"primary_practitioner_id": priya.id}), ("Sam Seen", theirs), ("Gia Granted", theirs),
        ("Nia Nobody's", {}), ("Oli Olu's", theirs), ("Ted Taken", {}), ("Rev Revoked", theirs))}
    earlier = at(DAY - timedelta(days=7), "09:00")
    seen = book_with(priya, service, clients["Sam Seen"], earlier, now=BEFORE - timedelta(days=7))
    scheduling.check_in(db.session, SYSTEM, seen, earlier, now=earlier)
    taken = book_with(olu, service, clients["Ted Taken"], earlier, now=BEFORE - timedelta(days=7))
    scheduling.check_in(db.session, SYSTEM, taken, earlier, now=earlier)
    for name in ("Gia Granted", "Rev Revoked"):
        client_services.grant_access(db.session, SYSTEM, clients[name], priya, "Covering.", now=BEFORE)
    revoked = db.session.scalar(sa.select(CareGrant).where(CareGrant.client_id == clients["Rev Revoked"].id))
    client_services.revoke_access(db.session, SYSTEM, revoked, now=BEFORE)
    category = db.session.scalar(sa.select(IncidentCategory).where(IncidentCategory.safety.is_(False)).limit(1))
    slots = ("09:00", "10:15", "11:30", "14:00", "15:15", "16:30")  # the day's six (Rev has only an entry)
    for slot, each in zip(slots, clients.values(), strict=False):
        book_with(priya, service, each, at(DAY, slot), now=BEFORE)
    for each in clients.values():
        conduct_services.record_incident(db.session, SYSTEM, each, conduct_services.IncidentDetails(
            category_id=category.id, severity="low", occurred_from=at(DAY, "07:30"), channel="in_person",
            description="Raised their voice at the desk."), [], max_bytes=1024, now=at(DAY, "08:00"))
    db.session.commit()

    login(users["practitioner"])
    offered = client.get(f"/review/incident?day={DAY.isoformat()}").get_data(as_text=True)
    offered = offered.split('id="client_id"')[1].split("</select>")[0]
    entries = section(review_page(client), "entries-heading")
    in_care, outside = ("Pia Primary", "Sam Seen", "Gia Granted", "Nia Nobody"), ("Oli Olu", "Ted Taken", "Rev Revoked")
    for listed in (offered, entries):
        assert all(name in listed for name in in_care), listed
        assert not any(name in listed for name in outside), listed


def test_an_admin_reviews_a_practitioner_no_longer_active_by_id(client, users, login, make_user):
    """The practitioners offered are the active ones (plain rows); one who has left is not
    offered but their days can still be opened by id, and an unknown id is not found."""
    retired = make_user("practitioner", name="Rita Retired").practitioner
    retired.active = False
    db.session.commit()
    login(users["admin"])
    assert "Rita Retired" not in review_page(client, "")
    html = review_page(client, f"?practitioner={retired.id}&day={DAY.isoformat()}")
    assert "Rita Retired, Sunday 22 November 2026" in html
    assert client.get(f"/review/?practitioner={retired.id + 1000}").status_code == 404


def test_the_reviews_statements_are_kept_compiled_by_sqlalchemy():
    """Each of the review's reads has a cache key: without one (a VALUES list, say)
    SQLAlchemy compiles the statement again on every view."""
    from practice.review import queries

    for statement in (queries._appointments_query(), queries._reviews_query(),
                      *(query(dialect) for dialect in ("sqlite", "postgresql")
                        for query in (queries._waiting_query, queries._done_query))):
        assert statement._generate_cache_key() is not None


def test_the_entries_recorded_are_those_from_the_days_first_instant_to_the_next_days(
    client, users, login, desk, make_client,
):
    """The day's range as PostgreSQL's containment says it too (_recorded_during): the
    same half-open range as the index's."""
    for name, hour, marked in (("At Midnight", "10:00", at(DAY, "00:00")),
                               ("Next Midnight", "12:00", at(DAY + timedelta(days=1), "00:00"))):
        appointment = book(desk, at(DAY - timedelta(days=1), hour), client=make_client(name),
                           now=BEFORE - timedelta(days=1))
        scheduling.mark_no_show(db.session, SYSTEM, appointment, now=marked, confirm_unacknowledged=True)
    login(users["practitioner"])
    recorded = section(review_page(client), "entries-heading")
    assert "At Midnight" in recorded and "Next Midnight" not in recorded


def test_on_postgresql_what_waits_is_written_for_a_generic_plan(client, users, login):
    """PostgreSQL plans a prepared statement once for all its values when that plan, costed
    without them, is not dearer than those planned with them. The read of what waits was
    planned again on every view (about 1 ms): without the values, the referrals' fixed words
    and a day's range were guessed to hold 500 and 250 rows (70 and 25 in the benchmark's
    practice). Its plan for a test's few rows does not show it, so the statement says it:
    the words written in, the range said as a containment too."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plans of prepared statements")
    login(users["practitioner"])
    [statement] = [s for s, _ in statements_of_page(client, f"/review/?day={DAY.isoformat()}")[1]
                   if "'follow_up'" in s]
    statement = " ".join(statement.split())
    assert "referral.direction IN ('out') AND referral.outcome IN ('pending')" in statement
    assert "@> conduct_entry.recorded_at" in statement
