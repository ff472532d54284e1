"""The reports at /reports: every figure against a hand-counted fixture, empty ranges, the
practice-time-zone day boundary, the page, its CSV files, its permissions and its queries.

The fixture (`june`) is two weeks of June 2026 in London (British Summer Time, UTC+1):
week 1 is Monday 1 to Sunday 7 June, week 2 Monday 8 to Sunday 14 June. Priya is the
practitioner; the admin (Alex) sees clients too. Counts are written out next to each row."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from practice.audit.services import SYSTEM
from practice.auth.models import Practitioner
from practice.clients.models import StandingChange
from practice.conduct.models import ConductEntry, IncidentCategory
from practice.db import db
from practice.policies import services as policy_services
from practice.reports import queries
from practice.scheduling import services as scheduling_services
from practice.scheduling.models import Appointment, Payment
from referrals.models import Inquiry, Referral, Specialist
from tests.conftest import NOW

LONDON = ZoneInfo("Europe/London")
FIRST, LAST = date(2026, 6, 1), date(2026, 6, 14)


def at(day: date, hhmm: str) -> datetime:
    """A local London time as the aware UTC moment it is."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(timezone.utc)


def june_day(number: int) -> date:
    return date(2026, 6, number)


@dataclass
class June:
    priya: Practitioner
    alex: Practitioner
    service_id: int
    clients: dict


def _appointment(world: June, who: str, practitioner: Practitioner, start: datetime, status: str,
                 *, late: int | None = None, fee: int = 0, waived: bool = False) -> Appointment:
    appointment = Appointment(
        client_id=world.clients[who].id, practitioner_id=practitioner.id, service_id=world.service_id,
        start_at=start, end_at=start + timedelta(hours=1), held_until=start + timedelta(hours=1),
        status=status, late_minutes=late, price_cents=6000, fee_cents=fee, fee_waived=waived,
        created_at=start - timedelta(days=7),
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def _pay(appointment: Appointment | None, client_id: int, cents: int, moment: datetime) -> None:
    db.session.add(Payment(appointment_id=appointment.id if appointment else None, client_id=client_id,
                           amount_cents=cents, method="card", paid_at=moment, recorded_at=moment))


class _Entries:
    """Conduct entries written straight to the table (the reports only count them)."""

    def __init__(self):
        self.seq = 1000

    def add(self, client, kind: str, moment: datetime, *, category=None, severity=None, safety=False,
            appointment=None, corrects=None, withdrawn=False) -> ConductEntry:
        self.seq += 1
        entry = ConductEntry(
            seq=self.seq, client_id=client.id, kind=kind, category_id=category.id if category else None,
            severity=severity, safety=safety, occurred_from=moment, recorded_at=moment,
            source="manual" if category else "automatic", appointment_id=appointment.id if appointment else None,
            corrects_id=corrects.id if corrects else None, withdrawn=withdrawn,
            prev_hash=f"{self.seq - 1:064d}", hash=f"{self.seq:064d}",
        )
        db.session.add(entry)
        db.session.flush()
        return entry


@pytest.fixture
def june(app, users, make_client):
    priya = users["practitioner"].practitioner
    alex = users["admin"].practitioner
    priya.max_active_clients, priya.accepting_new_clients = 3, False
    service = scheduling_services.create_service(db.session, SYSTEM, name="Massage", duration_minutes=60,
                                                 price_cents=6000, now=NOW)
    clients = {name: make_client(name, primary_practitioner_id=owner.id) for name, owner in
               [("Sam", priya), ("Kim", priya), ("Ada", priya), ("Moe", priya), ("Lee", alex)]}
    clients["Ada"].archived_at = NOW        # archived: not in the caseload
    clients["Moe"].standing = "moved_on"   # moved on: not in the caseload
    clients["Sam"].created_at = at(june_day(1), "00:10")  # a new client in the range (31 May UTC)
    world = June(priya, alex, service.id, clients)
    # From 8 June the grace period is 5 minutes instead of 10 (version 2 of the policy).
    policy_services.publish_policy(db.session, SYSTEM, {"late_grace_minutes": 5}, june_day(8),
                                   now=at(june_day(1), "09:00"))
    _attendance(world)
    _conduct(world)
    _standing(world)
    _referrals(world)
    _inquiries(world)
    db.session.commit()
    return world


def _attendance(world: June) -> None:
    priya, alex, day = world.priya, world.alex, june_day
    # Week 1
    a1 = _appointment(world, "Sam", priya, at(day(1), "00:30"), "completed", late=0)     # attended (23:30 UTC on 31 May)
    a2 = _appointment(world, "Sam", priya, at(day(2), "10:00"), "completed", late=12)    # attended, late (12 > 10)
    a3 = _appointment(world, "Sam", priya, at(day(3), "10:00"), "arrived", late=10)      # attended, not late (10 = grace)
    a4 = _appointment(world, "Kim", priya, at(day(4), "10:00"), "no_show", fee=6000)     # no-show, fee 60.00
    _appointment(world, "Kim", priya, at(day(5), "10:00"), "late_cancelled", fee=3000, waived=True)  # fee 30.00 waived
    _appointment(world, "Kim", priya, at(day(6), "10:00"), "cancelled")                  # cancelled in good time
    # Week 2 (grace 5 minutes)
    b1 = _appointment(world, "Sam", priya, at(day(8), "10:00"), "completed", late=7)     # attended, late (7 > 5)
    _appointment(world, "Sam", priya, at(day(9), "10:00"), "booked")                     # not marked yet
    b3 = _appointment(world, "Sam", priya, at(day(14), "23:30"), "completed", late=0)    # attended (22:30 UTC)
    # Outside the range
    _appointment(world, "Sam", priya, at(day(15), "00:30"), "no_show", fee=6000)         # 23:30 UTC on 14 June
    _appointment(world, "Sam", priya, at(date(2026, 5, 31), "23:00"), "no_show", fee=6000)  # 22:00 UTC on 31 May
    # Alex's client
    q1 = _appointment(world, "Lee", alex, at(day(3), "11:00"), "completed", late=0)
    sam, kim, lee = (world.clients[name].id for name in ("Sam", "Kim", "Lee"))
    _pay(a1, sam, 6000, at(day(1), "01:30"))      # collected
    _pay(a2, sam, 4000, at(day(2), "11:00"))      # collected; 20.00 still owed
    _pay(b1, sam, 6000, at(day(15), "12:00"))     # paid after the range: not collected in it
    _pay(b3, sam, 6000, at(day(14), "23:45"))     # collected (22:45 UTC on 14 June)
    _pay(None, kim, 1000, at(day(2), "12:00"))    # not for an appointment: the practice's only
    _pay(q1, lee, 6000, at(day(3), "12:00"))      # Alex's
    del a3, a4  # a3 (60.00) and a4 (the 60.00 fee) are not paid


def _conduct(world: June) -> None:
    entries = _Entries()
    contact = IncidentCategory(code="report_contact", label="Contacts constantly", position=1)
    stalking = IncidentCategory(code="report_stalking", label="Stalking", safety=True, position=2)
    db.session.add_all([contact, stalking])
    db.session.flush()
    sam, kim, lee = (world.clients[name] for name in ("Sam", "Kim", "Lee"))
    day = june_day
    entries.add(sam, "boundary", at(day(3), "20:00"), category=contact, severity="medium")           # counted
    entries.add(kim, "safety", at(day(10), "21:00"), category=stalking, severity="high", safety=True)  # counted, safety
    wrong = entries.add(sam, "boundary", at(day(4), "20:00"), category=contact, severity="low")      # corrected:
    entries.add(sam, "boundary", at(day(4), "20:00"), category=contact, severity="high", corrects=wrong)  # counted as high
    mistaken = entries.add(kim, "boundary", at(day(5), "20:00"), category=contact, severity="low")   # withdrawn:
    entries.add(kim, "boundary", at(day(5), "20:00"), category=contact, severity="low", corrects=mistaken,
                withdrawn=True)                                                                       # neither counted
    late = db.session.query(Appointment).filter_by(late_minutes=12).one()
    entries.add(sam, "late_arrival", late.start_at, appointment=late)                                # counted, automatic
    entries.add(kim, "boundary", at(day(1), "00:15"), category=contact, severity="low")              # counted (31 May UTC)
    entries.add(kim, "boundary", at(date(2026, 5, 31), "23:30"), category=contact, severity="low")   # outside
    entries.add(lee, "boundary", at(day(6), "12:00"), category=contact, severity="medium")           # Alex's client


def _standing(world: June) -> None:
    changes = [("Sam", "active", "watch", 2), ("Sam", "watch", "warned", 9), ("Kim", "active", "watch", 5),
               ("Lee", "active", "moved_on", 6), ("Kim", "watch", "warned", 20)]  # the last is outside
    for name, before, after, day in changes:
        db.session.add(StandingChange(client_id=world.clients[name].id, from_standing=before, to_standing=after,
                                      reason="Reported", changed_at=at(june_day(day), "18:00")))


def _referrals(world: June) -> None:
    bea = Specialist(name="Bea Deeper", name_key="bea deeper", created_at=NOW)
    cal = Specialist(name="Cal Chiro", name_key="cal chiro", created_at=NOW)
    db.session.add_all([bea, cal])
    db.session.flush()
    rows = [("out", "Sam", bea, "", 3, "good_match"), ("out", "Kim", bea, "", 4, "pending"),
            ("out", "Sam", cal, "", 10, "not_a_match"), ("in", "Sam", bea, "", 1, "pending"),
            ("in", "Kim", None, "GP surgery", 2, "pending"),
            ("out", "Sam", cal, "", 15, "pending"),        # outside the range
            ("out", "Lee", cal, "", 3, "booked")]          # Alex's client
    for direction, name, specialist, source, day, outcome in rows:
        db.session.add(Referral(direction=direction, client_id=world.clients[name].id,
                                specialist_id=specialist.id if specialist else None, source=source,
                                referred_on=june_day(day), created_at=NOW, outcome=outcome))


def _inquiries(world: June) -> None:
    rows = [(2, "declined", world.priya), (3, "client", world.priya), (4, "open", None),
            (10, "referred", world.priya), (16, "open", world.priya)]  # the last is outside
    for day, status, practitioner in rows:
        db.session.add(Inquiry(name=f"Inquirer {day}", status=status, received_at=at(june_day(day), "09:00"),
                               practitioner_id=practitioner.id if practitioner else None))


def scope(practitioner=None, first=FIRST, last=LAST) -> queries.Scope:
    return queries.Scope(first, last, practitioner, LONDON)


# Attendance --------------------------------------------------------------------------------

def test_attendance_counts_and_rates_for_a_practitioner(june):
    report = queries.attendance(db.session, scope(june.priya), NOW)
    total = report.total
    assert (total.attended, total.late, total.no_shows, total.late_cancellations, total.cancelled,
            total.unmarked, total.upcoming) == (5, 2, 1, 1, 1, 1, 0)
    assert total.due == 7 and total.total == 9
    assert total.late_rate == pytest.approx(2 / 5)
    assert total.no_show_rate == pytest.approx(1 / 7)
    assert total.late_cancellation_rate == pytest.approx(1 / 7)


def test_attendance_per_week_in_the_practice_time_zone(june):
    report = queries.attendance(db.session, scope(june.priya), NOW)
    assert [(week.first, week.last, week.label) for week, _ in report.weeks] == [
        (date(2026, 6, 1), date(2026, 6, 7), "1 Jun"), (date(2026, 6, 8), date(2026, 6, 14), "8 Jun")]
    first, second = (figures for _, figures in report.weeks)
    # 00:30 on 1 June (23:30 UTC on 31 May) is in week 1; 23:30 on 14 June is in week 2;
    # 00:30 on 15 June (23:30 UTC on the 14th) and 23:00 on 31 May are in neither.
    assert (first.attended, first.late, first.no_shows, first.late_cancellations, first.cancelled) == (3, 1, 1, 1, 1)
    assert (second.attended, second.late, second.no_shows, second.unmarked) == (2, 1, 0, 1)


def test_lateness_follows_the_grace_period_of_the_policy_then_in_force(june):
    # 7 minutes late on 8 June is late under version 2 (5 minutes); under version 1 it would not be.
    week_two = queries.attendance(db.session, scope(june.priya, june_day(8), june_day(8)), NOW)
    assert week_two.total.late == 1


def test_attendance_for_the_whole_practice_adds_every_practitioner(june):
    total = queries.attendance(db.session, scope(), NOW).total
    assert (total.attended, total.late, total.no_shows) == (6, 2, 1)


def test_a_week_cut_by_the_range_and_appointments_still_to_come(june, app):
    # Wednesday 3 to Tuesday 9 June: two weeks, each cut to the range.
    report = queries.attendance(db.session, scope(june.priya, june_day(3), june_day(9)), at(june_day(9), "09:00"))
    assert [(week.first, week.last) for week, _ in report.weeks] == [
        (june_day(3), june_day(7)), (june_day(8), june_day(9))]
    # Seen from 09:00 on 9 June, the 10:00 booking that day is still to come.
    assert (report.total.unmarked, report.total.upcoming) == (0, 1)


# Money -------------------------------------------------------------------------------------

def test_money_charged_waived_collected_and_outstanding(june):
    report = queries.reports(db.session, scope(june.priya), NOW)
    money = report.money
    assert money.sessions_cents == 5 * 6000
    assert money.fees_cents == 6000 + 3000
    assert money.charged_cents == 39000
    assert money.waived_cents == 3000
    assert money.collected_cents == 6000 + 4000 + 6000  # b1's payment came after the range
    # a2 short by 20.00, a3 unpaid 60.00, the no-show fee 60.00; the waived fee is not owed.
    assert (money.outstanding_cents, money.owing_sessions, money.owing_clients) == (14000, 3, 2)


def test_money_for_the_whole_practice_includes_payments_not_for_an_appointment(june):
    money = queries.reports(db.session, scope(), NOW).money
    assert money.collected_cents == 16000 + 1000 + 6000
    assert money.outstanding_cents == 14000


# Conduct and standing ----------------------------------------------------------------------

def test_conduct_entries_as_the_record_now_stands(june):
    report = queries.conduct(db.session, scope(june.priya))
    assert report.total == 5 and report.safety == 1
    assert report.by_kind == [("Boundary incident", 3), ("Late arrival", 1), ("Safety incident", 1)]
    assert report.by_category == [("Contacts constantly", 3), ("Stalking", 1)]
    assert report.by_severity == [("Low", 1), ("Medium", 1), ("High", 2), ("Not set", 1)]


def test_conduct_for_the_whole_practice(june):
    report = queries.conduct(db.session, scope())
    assert report.total == 6
    assert report.by_category == [("Contacts constantly", 4), ("Stalking", 1)]


def test_standing_changes(june):
    mine = queries.standing_changes(db.session, scope(june.priya))
    assert [(row.label, row.count) for row in mine] == [("Active → Watch", 2), ("Watch → Warned", 1)]
    everyone = queries.standing_changes(db.session, scope())
    assert [(row.label, row.count) for row in everyone][-1] == ("Active → Moved on", 1)


# Referrals, caseload, inquiries ------------------------------------------------------------

def test_referrals_out_and_in_per_specialist_with_outcomes(june):
    lines = queries.referrals(db.session, scope(june.priya))
    assert [(line.direction, line.name, line.outcomes) for line in lines] == [
        ("out", "Bea Deeper", {"good_match": 1, "pending": 1}),
        ("out", "Cal Chiro", {"not_a_match": 1}),
        ("in", "Bea Deeper", {"pending": 1}),
        ("in", "GP surgery", {"pending": 1}),
    ]
    everyone = queries.referrals(db.session, scope())
    assert next(line for line in everyone if line.name == "Cal Chiro").outcomes == {"not_a_match": 1, "booked": 1}


def test_caseload_against_capacity(june):
    (priya,) = queries.caseload(db.session, scope(june.priya))
    assert (priya.active_clients, priya.max_active_clients, priya.free_places, priya.accepting_new_clients,
            priya.new_clients) == (2, 3, 1, False, 1)
    assert priya.used == pytest.approx(2 / 3)
    everyone = {row.practitioner: row for row in queries.caseload(db.session, scope())}
    assert everyone["Alex Admin"].active_clients == 1 and everyone["Alex Admin"].free_places is None


def test_inquiries_and_how_they_ended(june):
    assert queries.inquiries(db.session, scope(june.priya)) == [
        ("Became a client", 1), ("Declined (practice full)", 1), ("Referred to a colleague", 1)]
    assert queries.inquiries(db.session, scope())[0] == ("Open", 1)


# Empty ranges ------------------------------------------------------------------------------

def test_an_empty_range_has_zeros_and_no_rates(june):
    report = queries.reports(db.session, scope(june.priya, date(2026, 1, 5), date(2026, 1, 11)), NOW)
    total = report.attendance.total
    assert total.total == 0 and len(report.attendance.weeks) == 1
    assert (total.late_rate, total.no_show_rate, total.late_cancellation_rate) == (None, None, None)
    assert (report.money.charged_cents, report.money.collected_cents, report.money.outstanding_cents) == (0, 0, 0)
    assert report.conduct.total == 0 and report.standing == [] and report.referrals == []
    assert report.inquiries == []
    assert report.caseload[0].active_clients == 2  # the caseload is today's, whatever the range


def test_reports_on_an_empty_practice(app, users):
    report = queries.reports(db.session, scope(), NOW)
    assert report.attendance.total.total == 0 and report.conduct.total == 0


def test_every_report_in_a_fixed_number_of_queries(june, count_queries):
    with count_queries() as small:
        queries.reports(db.session, scope(), NOW)
    for day in range(1, 15):
        for hour in ("15:00", "16:00", "17:00"):
            _appointment(june, "Kim", june.priya, at(june_day(day), hour), "completed", late=30)
    db.session.commit()
    with count_queries() as large:
        queries.reports(db.session, scope(None, date(2025, 6, 15), LAST), NOW)
    assert len(small) == len(large) == 8


# The page -----------------------------------------------------------------------------------

JUNE = {"start": "2026-06-01", "end": "2026-06-14"}


def test_the_page_shows_a_practitioner_their_own_figures_by_default(client, login, june, users):
    login(users["practitioner"])
    page = client.get("/reports/", query_string=JUNE).get_data(as_text=True)
    assert "Priya Practitioner, 1 Jun 2026 to 14 Jun 2026" in page
    assert 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert "£390.00" in page and "£140.00" in page  # charged; outstanding
    assert "Whole practice" not in page  # a practitioner has their own figures only


def test_the_default_range_is_the_last_four_whole_weeks(client, login, users):
    login(users["admin"])
    page = client.get("/reports/").get_data(as_text=True)
    # NOW is Monday 23 November 2026: the four weeks before it.
    assert "26 Oct 2026 to 22 Nov 2026" in page
    weeks = page.split('class="table table-sm report-weeks"')[1].split("</table>")[0]
    assert weeks.count('<tr><th scope="row">') == 4  # a row a week (reports.rows_html.week_rows)


def test_an_admin_sees_the_whole_practice_or_anyone(client, login, june, users):
    login(users["admin"])
    page = client.get("/reports/", query_string=JUNE | {"practitioner": "practice"}).get_data(as_text=True)
    assert "the whole practice" in page and "£230.00" in page  # collected by everyone
    page = client.get("/reports/", query_string=JUNE | {"practitioner": june.priya.id}).get_data(as_text=True)
    assert "Priya Practitioner, 1 Jun" in page


def test_a_practitioner_cannot_see_a_colleague_or_the_practice(client, login, june, users):
    login(users["practitioner"])
    assert client.get("/reports/", query_string={"practitioner": june.alex.id}).status_code == 403
    assert client.get("/reports/", query_string={"practitioner": "practice"}).status_code == 403
    assert client.get("/reports/attendance.csv", query_string={"practitioner": "practice"}).status_code == 403


def test_the_front_desk_has_no_reports(client, login, users):
    login(users["front_desk"])
    assert client.get("/reports/").status_code == 403
    assert "/reports/" not in client.get("/today").get_data(as_text=True)


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"start": "2026-06-14", "end": "2026-06-01"}, "end", "The end of the range is before its start."),
    ({"start": "2023-01-01", "end": "2026-01-01"}, "end", "Choose a range of at most 366 days."),
    ({"start": "soon", "end": "2026-06-01"}, "start", "Enter a date such as 2026-11-23."),
    ({"start": "2026-02-30"}, "start", "Enter a date such as 2026-11-23."),
    ({"start": "0001-01-01", "end": "0001-01-02"}, "start", "Choose a date from 2000 to 2099."),
    ({"start": "2099-12-31"}, "end", "The end of the range is before its start."),
    ({"start": "2020-01-01"}, "end", "Choose a range of at most 366 days."),  # to the default end
])
def test_a_bad_range_says_what_is_wrong_next_to_the_field(client, login, users, query, field, message):
    from tests.test_bad_input import error_for

    login(users["admin"])
    response = client.get("/reports/", query_string=query)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_for(page, field) == message
    if query.get("start", "").isascii():
        assert f'value="{query["start"]}"' in page  # what was typed stays in the form


@pytest.mark.parametrize("practitioner", ["abc", "99999999999999999999", "0", "-1", "%00"])
def test_a_junk_practitioner_is_not_found(client, login, users, practitioner):
    login(users["admin"])
    assert client.get("/reports/", query_string={"practitioner": practitioner}).status_code == 404


def test_the_page_in_a_fixed_number_of_queries(client, login, june, users, count_queries):
    login(users["admin"])
    query = JUNE | {"practitioner": "practice"}
    with count_queries() as small:
        assert client.get("/reports/", query_string=query).status_code == 200
    for day in range(1, 15):
        _appointment(june, "Kim", june.alex, at(june_day(day), "16:00"), "no_show", fee=6000)
    db.session.commit()
    with count_queries() as large:
        assert client.get("/reports/", query_string=query).status_code == 200
    assert len(small) == len(large) <= 14, large


# CSV ----------------------------------------------------------------------------------------

def _csv(client, name, **query):
    response = client.get(f"/reports/{name}.csv", query_string=JUNE | query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_of_each_report(client, login, june, users):
    login(users["practitioner"])
    attendance = _csv(client, "attendance")
    assert attendance[0][:3] == ["week_starting", "appointments", "attended"]
    assert attendance[1][0] == "2026-06-01" and attendance[-1][:5] == ["total", "9", "5", "2", "40.0"]
    assert dict(_csv(client, "fees")[1:])["outstanding"] == "140.00"
    assert ["Safety incident", "Stalking", "High", "yes", "1"] in _csv(client, "conduct")
    assert ["active", "watch", "2"] in _csv(client, "standing")
    assert _csv(client, "referrals")[1][:2] == ["out", "Bea Deeper"]
    assert _csv(client, "caseload")[1] == ["Priya Practitioner", "no", "2", "3", "1", "1"]
    assert _csv(client, "inquiries")[1:] == [["Became a client", "1"], ["Declined (practice full)", "1"],
                                             ["Referred to a colleague", "1"]]
    response = client.get("/reports/attendance.csv", query_string=JUNE)
    assert "attendance-practitioner-" in response.headers["Content-Disposition"]


def test_csv_neutralises_cells_that_look_like_formulas(client, login, june, users):
    db.session.add(Referral(direction="in", client_id=june.clients["Sam"].id, source="=HYPERLINK(\"http://x\")",
                            referred_on=june_day(2), created_at=NOW))
    db.session.commit()
    login(users["admin"])
    names = [row[1] for row in _csv(client, "referrals", practitioner="practice")]
    assert "'=HYPERLINK(\"http://x\")" in names


def test_csv_of_an_unknown_report_or_a_bad_range(client, login, users):
    login(users["admin"])
    assert client.get("/reports/secrets.csv").status_code == 404
    response = client.get("/reports/fees.csv", query_string={"start": "2026-06-14", "end": "2026-06-01"})
    assert response.status_code == 302 and "/reports/?" in response.headers["Location"]
