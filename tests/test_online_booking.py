"""Online booking under /book: a hold, the e-mailed link, the person behind it, the neutral
refusal, holds blocking and freeing the slot, limits, "my appointments" and inquiries."""

import re
import threading
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from practice.audit.services import SYSTEM
from practice.booking import services as booking
from practice.booking.models import BookingHold, PublicRequest
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.clock import FixedClock
from practice.db import db
from practice.errors import DomainError
from practice.messages import services as messages
from practice.messages.models import EmailConsent, Message
from practice.policies.models import PolicyAcknowledgement
from practice.policies.queries import current_policy
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment
from tests.conftest import NOW, one_action
from tests.test_crash import request, start_server
from tests.test_scheduling import MONDAY, at, book

START = at(MONDAY, "10:00")
MINUTE = int(START.timestamp() // 60)
DEFAULT_LIMITS = booking.Limits()


def open_online_booking(practitioner, service, *, existing_only=False, **rules):
    """Online booking on for this practitioner and service (committed, as the settings page saves)."""
    settings = dict(enabled=True, min_notice_hours=24, days_ahead=60, hold_minutes=15) | rules
    booking.update_settings(db.session, SYSTEM, booking.SettingsChange(
        practitioners={practitioner.id: "existing" if existing_only else "all"}, service_ids={service.id},
        **settings), now=NOW)
    db.session.commit()


@pytest.fixture
def online(desk):
    practitioner, service, _ = desk
    open_online_booking(practitioner, service)
    return desk


def hold_form(name="Robin Newcomer", email="robin@example.org", phone="", **extra):
    return {"name": name, "email": email, "phone": phone, "note": "", "agree": "y",
            "version": str(current_policy(db.session, NOW).version), **extra}


def hold_url(desk, start_minute=MINUTE):
    practitioner, service, _ = desk
    return f"/book/{service.id}/{practitioner.id}/{start_minute}"


def last_message(kind) -> Message:
    db.session.expire_all()
    return db.session.scalars(sa.select(Message).where(Message.kind == kind).order_by(Message.id.desc())).first()


def link_in(message: Message, path: str) -> str:
    return re.search(rf"(/book/{path}/[^\s\"<]+)", message.text_body).group(1)


def hold_directly(desk, email="robin@example.org", *, address="203.0.113.9", start=START, now=NOW,
                  limits=DEFAULT_LIMITS, **person):
    ids = desk if isinstance(desk[0], int) else (desk[0].id, desk[1].id)
    with one_action():
        return booking.hold(db.session, booking.HoldRequest(
            ids[0], ids[1], start, person.pop("name", "Robin Newcomer"), email,
            person.pop("phone", ""), "", current_policy(db.session, now).version, True, address),
            limits=limits, now=now).id


# A new person books --------------------------------------------------------------------------

def test_a_new_person_books_confirms_by_the_emailed_link_and_is_flagged_online_on_today(
        app, client, online, users, login):
    practitioner, service, _ = online
    assert "Remedial massage" in client.get("/book/").get_data(as_text=True)
    times = client.get(f"/book/{service.id}?day={MONDAY.isoformat()}").get_data(as_text=True)
    assert hold_url(online) in times

    sent = client.post(hold_url(online), data=hold_form())
    assert sent.status_code == 200 and "Check your e-mail" in sent.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0  # held, not booked

    confirm_link = link_in(last_message(booking.HOLD_MESSAGE), "confirm")
    page = client.get(confirm_link)
    assert page.status_code == 200 and "Confirm the booking" in page.get_data(as_text=True)
    booked = client.post(confirm_link, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert "You are booked" in booked.get_data(as_text=True)

    db.session.expire_all()
    appointment = db.session.scalars(sa.select(Appointment)).one()
    assert appointment.booked_online and appointment.start_at == START
    newcomer = db.session.get(Client, appointment.client_id)
    assert (newcomer.display_name, newcomer.email, newcomer.referral_source) == (
        "Robin Newcomer", "robin@example.org", "Booked online")
    acknowledgement = db.session.scalars(sa.select(PolicyAcknowledgement).where(
        PolicyAcknowledgement.client_id == newcomer.id)).one()
    assert acknowledgement.method == "online_booking" and acknowledgement.policy.version == 1
    assert acknowledgement.recorded_at == NOW and acknowledgement.address  # the address the form came from
    assert client.post(confirm_link).status_code == 404  # once only
    assert db.session.get(EmailConsent, newcomer.id) is None  # no reminders unless asked for
    assert "/book/mine/" in last_message(booking.BOOKED_MESSAGE).text_body

    login(users["front_desk"])
    today = client.get(f"/today?date={MONDAY.isoformat()}").get_data(as_text=True)
    assert "Booked online" in today and "Robin Newcomer" in today


def test_a_person_who_asks_for_reminders_on_the_form_has_agreed_to_them_once_booked(app, client, online):
    client.post(hold_url(online), data=hold_form(reminders="y"), environ_base={"REMOTE_ADDR": "198.51.100.7"})
    client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm"), environ_base={"REMOTE_ADDR": "198.51.100.7"})
    db.session.expire_all()
    consent = db.session.get(EmailConsent, db.session.scalars(sa.select(Appointment)).one().client_id)
    assert (consent.confirmations, consent.reminders, consent.method, consent.address) == (
        True, True, "online", "198.51.100.7")
    assert consent.recorded_how == "by the client, when booking online"


def test_a_known_client_books_as_themselves_and_the_pages_never_show_their_record(app, client, online,
                                                                                  make_client):
    known = make_client("Samantha Quillfeather", email="sam@example.org")
    client.post(hold_url(online), data=hold_form(name="Sam", email="sam@example.org"))
    confirm_link = link_in(last_message(booking.HOLD_MESSAGE), "confirm")
    pages = client.get(confirm_link).get_data(as_text=True) + client.post(confirm_link).get_data(as_text=True)
    db.session.expire_all()
    appointment = db.session.scalars(sa.select(Appointment)).one()
    assert appointment.client_id == known.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 2  # the desk's Sam and her
    mine = client.get(link_in(last_message(booking.BOOKED_MESSAGE), "mine")).get_data(as_text=True)
    assert "Quillfeather" not in pages + mine


def test_a_known_client_who_takes_confirmations_gets_one_confirmation_of_an_online_booking(
        app, client, online, make_client):
    known = make_client("Samantha Quillfeather", email="sam@example.org")
    messages.record_consent(db.session, SYSTEM, known, confirmations=True, reminders=True, now=NOW)
    db.session.commit()
    client.post(hold_url(online), data=hold_form(name="Sam", email="sam@example.org"))
    client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm"))
    db.session.expire_all()
    kinds = list(db.session.scalars(sa.select(Message.kind).order_by(Message.id)))
    assert kinds == [booking.HOLD_MESSAGE, booking.BOOKED_MESSAGE]


# Holds block the slot and expire ---------------------------------------------------------------

def test_a_hold_blocks_the_slot_for_everyone_until_it_expires(app, client, online, make_client):
    practitioner, service, regular = online
    hold_directly(online)
    assert hold_url(online) not in client.get(f"/book/{service.id}?day={MONDAY.isoformat()}").get_data(as_text=True)
    with pytest.raises(DomainError, match="held for an online booking"):
        with one_action():
            scheduling.book(db.session, SYSTEM, scheduling.BookingRequest(
                regular.id, practitioner.id, service.id, START), now=NOW)
    with pytest.raises(DomainError, match="not free any more"):
        hold_directly(online, "someone.else@example.org", address="203.0.113.10")

    later = NOW + timedelta(minutes=16)  # the hold was never confirmed
    app.extensions["practice"].clock = FixedClock(later)
    assert hold_url(online) in client.get(f"/book/{service.id}?day={MONDAY.isoformat()}").get_data(as_text=True)
    with one_action():
        scheduling.book(db.session, SYSTEM, scheduling.BookingRequest(
            regular.id, practitioner.id, service.id, START), now=later)


def test_time_off_added_while_a_time_was_held_refuses_the_booking_with_the_neutral_answer(app, client, online):
    practitioner, _, _ = online
    client.post(hold_url(online), data=hold_form())
    scheduling.add_time_block(db.session, SYSTEM, practitioner.id, START, START + timedelta(hours=1), "Course",
                              now=NOW)
    db.session.commit()
    page = client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm")).get_data(as_text=True)
    assert booking.CONTACT in page and "Course" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_an_expired_link_says_so_and_books_nothing(app, client, online):
    client.post(hold_url(online), data=hold_form())
    confirm_link = link_in(last_message(booking.HOLD_MESSAGE), "confirm")
    app.extensions["practice"].clock = FixedClock(NOW + timedelta(minutes=16))
    response = client.post(confirm_link)
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0


def test_two_people_racing_for_one_slot_online_get_one_hold(app, online):
    ids = (online[0].id, online[1].id)
    outcomes = []
    barrier = threading.Barrier(4)

    def attempt(number):
        with app.app_context():
            barrier.wait()
            try:
                hold_directly(ids, f"racer{number}@example.org", address=f"203.0.113.{number}")
                outcomes.append("held")
            except DomainError as refused:
                outcomes.append(refused.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("held") == 1, outcomes
    assert set(outcomes) == {"held", booking.NOT_FREE}


# The neutral answer ------------------------------------------------------------------------------

def block(client_record):
    client_services.set_standing(db.session, SYSTEM, client_record, "moved_on", "Repeated boundary issues.",
                                 now=NOW)
    db.session.commit()


def confirm_through_pages(client, desk, **person) -> str:
    client.post(hold_url(desk), data=hold_form(**person))
    page = client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm"))
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize("who", ["blocked client's e-mail", "new person with a blocked client's phone",
                                 "new person where only existing clients book"])
def test_refused_people_get_the_same_neutral_answer_at_confirmation(app, client, online, make_client, who,
                                                                    count_queries):
    practitioner, service, _ = online
    blocked = make_client("Morgan Blocked", email="morgan@example.org", phone="0117 496 0123")
    block(blocked)
    person = {"blocked client's e-mail": dict(email="morgan@example.org"),
              "new person with a blocked client's phone": dict(email="fresh@example.org", phone="0117 496 0123"),
              "new person where only existing clients book": dict(email="fresh@example.org")}[who]
    if who.endswith("existing clients book"):
        open_online_booking(practitioner, service, existing_only=True)

    page = confirm_through_pages(client, online, name="M", **person)
    assert booking.CONTACT in page
    assert "Morgan" not in page and "moved" not in page.lower()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 2  # nobody new
    assert db.session.scalars(sa.select(BookingHold)).one().released_at is not None  # the slot is free again


def test_a_blocked_clients_address_and_a_person_matching_one_are_refused_by_the_same_statements(
        app, client, online, make_client, count_queries):
    block(make_client("Morgan Blocked", email="morgan@example.org", phone="0117 496 0123"))
    client.post(hold_url(online, MINUTE + 300), data=hold_form(email="warm@example.org"))  # caches warmed
    client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm"))
    pages, counts = [], []
    for number, person in enumerate([dict(email="morgan@example.org"),
                                     dict(email="fresh@example.org", phone="0117 496 0123")]):
        client.post(hold_url(online, MINUTE + 120 * number), data=hold_form(name="M", **person),
                    environ_base={"REMOTE_ADDR": f"203.0.113.{number}"})
        confirm_link = link_in(last_message(booking.HOLD_MESSAGE), "confirm")
        with count_queries() as statements:
            pages.append(client.post(confirm_link).get_data(as_text=True))
        counts.append(len(statements))
    assert pages[0] == pages[1] and booking.CONTACT in pages[0]
    assert counts[0] == counts[1]


def test_the_hold_step_is_the_same_for_anyone_whoever_owns_the_address(app, client, online, make_client,
                                                                       count_queries):
    """No client is looked up before the owner of the address opens the link: the same page,
    and the same statements, for an unknown address, a client's and a blocked client's."""
    make_client("Pat Known", email="pat@example.org")
    block(make_client("Morgan Blocked", email="morgan@example.org"))
    client.post(hold_url(online, MINUTE - 120), data=hold_form(email="first@example.org"))  # caches warmed
    pages, counts = [], []
    for number, email in enumerate(["nobody@example.org", "pat@example.org", "morgan@example.org"]):
        with count_queries() as statements:
            response = client.post(hold_url(online, MINUTE + 120 * number), data=hold_form(email=email),
                                   environ_base={"REMOTE_ADDR": f"203.0.113.{number}"})
        pages.append(response.get_data(as_text=True).replace(email, "ADDRESS"))
        counts.append(len(statements))
    assert pages[0] == pages[1] == pages[2]
    assert counts[0] == counts[1] == counts[2]


# Abuse ---------------------------------------------------------------------------------------------

def test_holds_are_limited_per_email_address(app, online):
    limits = booking.Limits(holds_per_email=2, waiting_holds_per_address=10)
    for hour in (0, 2):
        hold_directly(online, start=START + timedelta(hours=hour), limits=limits)
    with pytest.raises(DomainError, match="too many requests"):
        hold_directly(online, start=START + timedelta(hours=4), address="203.0.113.77", limits=limits)


def test_an_address_may_have_only_so_many_holds_waiting(app, online):
    hold_directly(online, "a@example.org")
    hold_directly(online, "b@example.org", start=START + timedelta(hours=2))
    with pytest.raises(DomainError, match="still waiting"):
        hold_directly(online, "c@example.org", start=START + timedelta(hours=4))


def test_limits_hold_across_two_server_processes(app, online, database_url, tmp_path):
    """Two real server processes on the test's database, six requests from one address at
    once, three to each, for six free times, against a limit of three holds per address."""
    practitioner, service, _ = online
    limits = {"PRACTICE_BOOKING_HOLDS_PER_ADDRESS": 3, "PRACTICE_BOOKING_WAITING_HOLDS_PER_ADDRESS": 10}
    version = str(current_policy(db.session, NOW).version)
    book_path = f"/book/{service.id}/{practitioner.id}"
    db.session.commit()
    servers = [start_server(database_url, tmp_path / f"instance-{n}", **limits) for n in range(2)]
    # The servers keep the real clock: six free times, three and four days from now.
    london, today = ZoneInfo("Europe/London"), datetime.now(timezone.utc).date()
    starts = [datetime.combine(today + timedelta(days=days), hour, london)
              for days in (3, 4) for hour in (time(9), time(11), time(14))]
    answers = []
    barrier = threading.Barrier(6)

    def attempt(number):
        _, port = servers[number % 2]
        form = {"name": "Robin", "email": f"p{number}@example.org", "agree": "y", "version": version}
        barrier.wait()
        answers.append(request(port, "POST", f"{book_path}/{int(starts[number].timestamp() // 60)}", form)[0])

    try:
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for server, _ in servers:
            server.kill()
            server.wait()
    assert sorted(answers) == [200, 200, 200, 422, 422, 422]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublicRequest)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookingHold)) == 3


def test_the_honeypot_answers_as_usual_and_does_nothing(app, client, online):
    response = client.post(hold_url(online), data=hold_form(website="http://spam.example"))
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookingHold)) == 0


def test_a_hold_needs_the_policy_acknowledged(app, client, online):
    form = hold_form()
    del form["agree"]
    response = client.post(hold_url(online), data=form)
    assert response.status_code == 422 and "read the policy" in response.get_data(as_text=True)


def test_nothing_is_offered_while_online_booking_is_off(app, client, desk):
    practitioner, service, _ = desk
    assert "not open" in client.get("/book/").get_data(as_text=True)
    assert client.get(f"/book/{service.id}").status_code == 404


# My appointments -----------------------------------------------------------------------------------

def test_cancelling_inside_the_window_shows_the_fee_and_charges_it(app, client, online):
    client.post(hold_url(online), data=hold_form())
    client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm"))
    mine = link_in(last_message(booking.BOOKED_MESSAGE), "mine")
    page = client.get(mine).get_data(as_text=True)
    appointment = db.session.scalars(sa.select(Appointment)).one()
    assert "Remedial massage" in page and appointment.uuid in page
    ics = client.get(f"{mine}/{appointment.uuid}.ics")
    assert ics.mimetype == "text/calendar" and b"BEGIN:VEVENT" in ics.data

    app.extensions["practice"].clock = FixedClock(START - timedelta(hours=5))  # inside the 24 hours
    quote = client.get(f"{mine}/{appointment.uuid}/cancel").get_data(as_text=True)
    assert "£30.00" in quote
    client.post(f"{mine}/{appointment.uuid}/cancel", data={"quoted": "3000"})
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment.id)
    assert (appointment.status, appointment.fee_cents) == ("late_cancelled", 3000)


def book_online(client, desk) -> str:
    """A new person books through the pages; the link to their appointments."""
    client.post(hold_url(desk), data=hold_form())
    client.post(link_in(last_message(booking.HOLD_MESSAGE), "confirm"))
    return link_in(last_message(booking.BOOKED_MESSAGE), "mine")


def test_a_cancellation_whose_fee_changed_since_the_page_was_shown_is_shown_again(app, client, online):
    mine = book_online(client, online)
    appointment = db.session.scalars(sa.select(Appointment)).one()
    app.extensions["practice"].clock = FixedClock(START - timedelta(hours=5))
    refused = client.post(f"{mine}/{appointment.uuid}/cancel", data={"quoted": "0"}, follow_redirects=True)
    assert "The fee for cancelling has changed" in refused.get_data(as_text=True)
    assert "£30.00" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "booked"


def test_a_client_moves_their_appointment_within_the_rules(app, client, online):
    mine = book_online(client, online)
    appointment = db.session.scalars(sa.select(Appointment)).one()
    later = START + timedelta(days=1, hours=4)
    page = client.get(f"{mine}/{appointment.uuid}/move?day={later.date().isoformat()}").get_data(as_text=True)
    minute = int(later.timestamp() // 60)
    assert f'value="{minute}"' in page
    assert "Moved" in client.post(f"{mine}/{appointment.uuid}/move", data={"minute": str(minute)}).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).start_at == later

    app.extensions["practice"].clock = FixedClock(later - timedelta(hours=5))  # inside the window now
    refused = client.post(f"{mine}/{appointment.uuid}/move", data={"minute": str(minute + 24 * 60)},
                          follow_redirects=True)
    assert "please contact the practice to move it" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).start_at == later


def test_a_move_onto_a_taken_time_is_refused_without_naming_the_booking(app, client, online, make_client):
    practitioner, service, regular = online
    mine = book_online(client, online)
    appointment = db.session.scalars(sa.select(Appointment)).one()
    taken = START + timedelta(days=1)
    with one_action():
        scheduling.book(db.session, SYSTEM, scheduling.BookingRequest(
            regular.id, practitioner.id, service.id, taken), now=NOW)
    refused = client.post(f"{mine}/{appointment.uuid}/move", data={"minute": str(int(taken.timestamp() // 60))},
                          follow_redirects=True).get_data(as_text=True)
    assert booking.NOT_FREE in refused and "Sam" not in refused


def test_my_appointments_open_only_the_clients_own_upcoming_appointments(app, client, online, make_client):
    sam = online[2]
    other = book(online, at(MONDAY, "14:00"), client=make_client("Robin Hart"))
    past = book(online, NOW - timedelta(days=2), now=NOW - timedelta(days=3))
    own = book(online, at(MONDAY, "10:00"))
    mine = f"/book/mine/{booking.mine_token(sam)}"
    assert client.get(f"{mine}/{own.uuid}/cancel").status_code == 200
    for appointment in (other, past):
        for path in (f"{appointment.uuid}.ics", f"{appointment.uuid}/cancel", f"{appointment.uuid}/move"):
            assert client.get(f"{mine}/{path}").status_code == 404, (appointment, path)
    assert "Hart" not in client.get(mine).get_data(as_text=True)


def test_my_appointments_opens_only_with_a_link_made_here(app, client, online):
    assert client.get("/book/mine/not-a-token").status_code == 404


# Inquiries when full ---------------------------------------------------------------------------------

def test_when_nobody_has_room_an_inquiry_lands_on_the_waitlist_with_an_acknowledgement(app, client, desk):
    from referrals.models import Inquiry

    practitioner, service, _ = desk
    open_online_booking(practitioner, service, days_ahead=1, min_notice_hours=48)  # nothing within reach
    page = client.get(f"/book/{service.id}").get_data(as_text=True)
    assert "Nobody has room" in page
    response = client.post(f"/book/inquire?service={service.id}", data={
        "name": "Jo Waiting", "email": "jo@example.org", "need": "Sports massage for a knee",
        "preferred_times": "Evenings", "area": "Clifton"})
    assert "Thank you" in response.get_data(as_text=True)
    db.session.expire_all()
    inquiry = db.session.scalars(sa.select(Inquiry)).one()
    assert (inquiry.status, inquiry.email, inquiry.service_id) == ("waitlisted", "jo@example.org", service.id)
    assert last_message(booking.INQUIRY_MESSAGE).to_address == "jo@example.org"


def test_the_settings_page_turns_online_booking_on_per_practitioner_and_service(app, client, desk, users, login):
    practitioner, service, _ = desk
    login(users["admin"])
    response = client.post("/settings/online-booking", data={
        "enabled": "y", "min_notice_hours": "12", "days_ahead": "30", "hold_minutes": "10",
        f"practitioner-{practitioner.id}": "existing", f"service-{service.id}": "y"})
    assert response.status_code == 302
    assert "Remedial massage" in client.get("/book/").get_data(as_text=True)
    rules = booking.online_settings(db.session)
    assert (rules.enabled, rules.min_notice_hours, rules.days_ahead, rules.hold_minutes) == (True, 12, 30, 10)
    refused = client.post("/settings/online-booking", data={"enabled": "y", "min_notice_hours": "12",
                                                              "days_ahead": "900", "hold_minutes": "10"})
    assert refused.status_code == 422 and "1 to 365" in refused.get_data(as_text=True)


def test_actor_of_online_actions_is_the_address(app, client, online):
    from practice.audit.models import AuditEvent

    client.post(hold_url(online), data=hold_form(), environ_base={"REMOTE_ADDR": "192.0.2.44"})
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "booking.hold")).one()
    assert (event.actor_id, event.address) == (None, "192.0.2.44")


def online_world(appointment) -> dict:
    """For tests/test_access.py and test_bad_input.py: online booking open for the
    appointment's practitioner and service, a time held (its link to confirm), another free
    time to hold, and the link to the client's own appointments."""
    from practice.booking import queries as booking_queries
    from practice.messages import links

    practitioner, service, client = appointment.practitioner, appointment.service, appointment.client
    open_online_booking(practitioner, service)
    day = appointment.start_at.date()
    free = booking_queries.free_times(db.session, booking.online_settings(db.session), service, [practitioner], day,
                                      now=NOW).by_practitioner[0][1]
    held = db.session.get(BookingHold, hold_directly((practitioner.id, service.id), start=free[0]))
    return {"online_service_id": service.id, "online_practitioner_id": practitioner.id,
            "free_minute": int(free[-1].timestamp() // 60),
            "hold_token": links.sign(booking.HOLD_SALT, [held.id, held.nonce]),
            "mine_token": booking.mine_token(client)}
