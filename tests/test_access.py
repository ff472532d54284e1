"""Who may open which page: every route in the URL map, for every role.

ROUTES below is the one explicit table of expectations. It has a row per (endpoint, method)
of the URL map; a route without a row fails `test_every_route_is_in_the_table`, so a new
page cannot ship without someone deciding who may use it. Rows guarded by
`permission_required` name their permission, and `test_table_agrees_with_the_permission_rules`
checks their outcomes against `RULES` (and that the view really uses that permission)."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.auth.models import Role, User
from practice.auth.permissions import RULES
from practice.clients.models import Client
from practice.db import db
from practice.policies.queries import current_policy
from practice.scheduling import feeds
from practice.scheduling import services as scheduling_services
from practice.settings import services as settings_services
from tests.conftest import (
    CHEAP_PASSWORD_HASH,
    NOW,
    PASSWORD,
    app_on_a_copy,
    build_snapshot,
    make_client_record,
)
from tests.test_imports import imports_world
from tests.test_jobs import jobs_world
from tests.test_letters import letters_world
from tests.test_messages import messages_world
from tests.test_online_booking import online_world

BOOKING_DAY = date(2026, 11, 30)  # the Monday after NOW
LONDON = ZoneInfo("Europe/London")

ROLES = ("anonymous", "admin", "practitioner", "front_desk")

# Outcomes ------------------------------------------------------------------------------
OK = "ok"                # 2xx, or a redirect that is not to the sign-in page
LOGIN = "login"          # 302 to /login
FORBIDDEN = "forbidden"  # 403, the friendly error page
SIGNED_OUT = "signed_out"  # 302 to /login, and the session no longer signs the user in

# Routes the table does not need: files served as they are.
UNCHECKED_ENDPOINTS = {"static", "bootstrap.static"}


def png_bytes(size=(8, 8), color="teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """Hundreds of sign-ins here: a cheap hash keeps them quick (the checks are the same)."""
    monkeypatch.setattr(auth_services, "generate_password_hash", CHEAP_PASSWORD_HASH)


def missed_this_morning(appointment) -> int:
    """The client's 09:00 session today (NOW's day), marked as a no-show at 09:30."""
    start = datetime.combine(NOW.date(), time(9), LONDON).astimezone(timezone.utc)
    request = scheduling_services.BookingRequest(appointment.client_id, appointment.practitioner_id,
                                                 appointment.service_id, start)
    missed = scheduling_services.book(db.session, SYSTEM, request, now=start - timedelta(days=1))
    scheduling_services.mark_no_show(db.session, SYSTEM, missed, now=start + timedelta(minutes=30),
                                     confirm_unacknowledged=True)
    return missed.id


def booked_appointment(practitioner, client):
    """A 60-minute service, the practitioner's working hours (09:00-18:00 daily) and one
    booking for `client` at 10:00 on BOOKING_DAY (London time)."""
    hours = [(day, time(9), time(18)) for day in range(7)]
    scheduling_services.set_working_hours(db.session, SYSTEM, practitioner.id, hours, now=NOW)
    service = scheduling_services.create_service(
        db.session, SYSTEM, name="Remedial massage", duration_minutes=60, price_cents=6000, now=NOW
    )
    start = datetime.combine(BOOKING_DAY, time(10), LONDON).astimezone(timezone.utc)
    request = scheduling_services.BookingRequest(client.id, practitioner.id, service.id, start)
    return scheduling_services.book(db.session, SYSTEM, request, now=NOW)


def time_off(practitioner):
    """A blocked morning (09:00-12:00 London time) two days after BOOKING_DAY."""
    day = BOOKING_DAY + timedelta(days=2)
    start, end = (datetime.combine(day, time(hour), LONDON).astimezone(timezone.utc) for hour in (9, 12))
    return scheduling_services.add_time_block(db.session, SYSTEM, practitioner.id, start, end,
                                              "Training course", now=NOW)


@dataclass
class World:
    """Real objects the URLs and forms refer to."""

    admin_email: str
    practitioner_id: int   # a user id (the practitioner account)
    front_desk_id: int
    client_id: int
    invite_token: str      # a valid invitation for an account still without a password
    practitioner_record_id: int  # the practitioner's Practitioner row (its calendar, its feed)
    service_id: int
    appointment_id: int
    appointment_uuid: str
    feed_token: str
    time_block_id: int  # time off in the practitioner's calendar
    # The conduct record: an incident about the client, with one attachment
    conduct_entry_id: int = 0
    attachment_id: int = 0
    incident_category_id: int = 0
    # The policy version in force (clients acknowledge it)
    policy_id: int = 0
    # Letters: an issued letter about the client; an open inquiry a colleague could take
    letter_id: int = 0
    letter_inquiry_id: int = 0
    reply_letter_id: int = 0  # a practice-full reply to another inquiry
    # The referral network: a specialist, a referral of the client to them, an inquiry
    specialist_id: int = 0
    referral_id: int = 0
    inquiry_id: int = 0
    modality_id: int = 0
    # The care team: a colleague to give access to, access given (to take back), and a new
    # record matching a client who cannot be booked, with that client
    colleague_id: int = 0
    grant_id: int = 0
    held_client_id: int = 0
    blocked_client_id: int = 0
    # Background jobs: the practitioner's evidence report about the client (made), another
    # that failed and one still waiting
    job_id: int = 0
    failed_job_id: int = 0
    queued_job_id: int = 0
    # A file for the directory the practitioner uploaded, checked and ready to import
    import_check_id: int = 0
    # The outbox: a message waiting (to cancel), one failed (to send again); the links in
    # messages to clients: acknowledging the policy, stopping reminders
    waiting_message_id: int = 0
    failed_message_id: int = 0
    acknowledge_token: str = ""
    unsubscribe_token: str = ""
    # A session this morning marked as a no-show: undone by anyone on its day
    missed_appointment_id: int = 0
    # Online booking: open for the appointment's practitioner and service, a time held (with
    # its link to confirm), a free time to hold, the client's link to their own appointments
    online_service_id: int = 0
    online_practitioner_id: int = 0
    free_minute: int = 0
    hold_token: str = ""
    mine_token: str = ""


@pytest.fixture
def world(app, users, make_client, make_user):
    return build_world(app, users, make_client, make_user)


def build_world(app, users, make_client, make_user) -> World:
    practitioner = users["practitioner"].practitioner
    sam = make_client("Sam Example", phone="07911 123456", primary_practitioner_id=practitioner.id)
    invited = make_user("front_desk", name="Ivy Invited", password=None)
    settings_services.set_logo(db.session, SYSTEM, png_bytes(), max_bytes=1024 * 1024, now=NOW)
    appointment = booked_appointment(practitioner, sam)
    return World(
        admin_email=users["admin"].email,
        practitioner_id=users["practitioner"].id,
        front_desk_id=users["front_desk"].id,
        client_id=sam.id,
        invite_token=auth_services.invitation_token(invited, app.secret_key),
        practitioner_record_id=practitioner.id,
        service_id=appointment.service_id,
        appointment_id=appointment.id,
        appointment_uuid=appointment.uuid,
        feed_token=feeds.enable_feed(db.session, SYSTEM, practitioner.id, now=NOW),
        time_block_id=time_off(practitioner).id,
        policy_id=current_policy(db.session, NOW).id,
        **conduct_world(sam),
        **referral_world(sam),
        **letters_world(sam, practitioner),
        **care_world(sam, practitioner, users["admin"].practitioner, make_user, make_client),
        **imports_world(users["practitioner"]),
        **jobs_world(sam, users["practitioner"]),
        missed_appointment_id=missed_this_morning(appointment),
        **messages_world(app, sam),
        **online_world(appointment),
    )


def care_world(client, practitioner, admin_practitioner, make_user, make_client) -> dict:
    """Access to the client's record given to the admin's practitioner profile; a colleague
    without access; a moved-on client of the practitioner and a new record with their phone."""
    from practice.clients import services as client_services

    grant = client_services.grant_access(db.session, SYSTEM, client, admin_practitioner, "Covering a week off.",
                                         now=NOW)
    colleague = make_user("practitioner", name="Cal Colleague").practitioner
    blocked = make_client("Dee Blocked", phone="07911 765432", primary_practitioner_id=practitioner.id)
    client_services.set_standing(db.session, SYSTEM, blocked, "moved_on", "Ignored every boundary.", now=NOW)
    held = make_client("Dee B", phone="07911 765432")
    return {"colleague_id": colleague.id, "grant_id": grant.id, "held_client_id": held.id,
            "blocked_client_id": blocked.id}


def referral_world(client) -> dict:
    """A deep-tissue specialist, the client referred to them, and an open inquiry."""
    from referrals import services as referral_services
    from referrals.models import Modality

    deep = db.session.scalar(sa.select(Modality).where(Modality.name == "Deep tissue"))
    specialist = referral_services.create_specialist(
        db.session, SYSTEM, referral_services.SpecialistDetails(name="Bea Deep", modality_ids=[deep.id]),
        phone_region="GB", now=NOW)
    referral = referral_services.record_referral(
        db.session, SYSTEM, client=client, specialist=specialist, modality_ids=[deep.id],
        today=NOW.date(), now=NOW)
    inquiry = referral_services.record_inquiry(
        db.session, SYSTEM, referral_services.InquiryDetails(name="Noor", phone="07911 123400"),
        phone_region="GB", now=NOW)
    return {"specialist_id": specialist.id, "referral_id": referral.id, "inquiry_id": inquiry.id,
            "modality_id": deep.id}


def conduct_world(client) -> dict:
    """An incident about `client` with a saved message attached, for the conduct routes."""
    from practice.conduct import queries as conduct_queries
    from practice.conduct import services as conduct_services
    from practice.conduct.attachments import Upload

    category = conduct_queries.categories()[0]
    details = conduct_services.IncidentDetails(
        category_id=category.id, severity="low", occurred_from=NOW, channel="text",
        description="Texted at midnight.")
    entry = conduct_services.record_incident(
        db.session, SYSTEM, client, details, [Upload("message.txt", b"See you tonight")],
        max_bytes=1024 * 1024, now=NOW)
    return {"conduct_entry_id": entry.id, "attachment_id": entry.attachments[0].id,
            "incident_category_id": category.id}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: Callable[[World], str]
    expect: tuple[str, str, str, str]  # outcome for anonymous, admin, practitioner, front_desk
    permission: str | None = None      # the permission_required action, if any
    data: Callable[[World], dict] | None = None  # valid form data, so "ok" means it worked

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}"


SETUP_FORM = {
    "name": "Another Practice", "timezone": "Europe/London", "currency": "GBP",
    "phone_region": "GB", "admin_name": "Intruder", "admin_email": "intruder@example.org",
    "password": PASSWORD, "confirm": PASSWORD,
}
DETAILS_FORM = {
    "name": "Harbour Street Massage", "timezone": "Europe/Dublin", "currency": "EUR",
    "phone_region": "IE",
}
NEW_PASSWORD = {"password": "a fresh passphrase", "confirm": "a fresh passphrase"}
BUSY_ICS = (  # one busy hour in a practitioner's personal calendar
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:dentist-1@example.org\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T150000Z\r\n"
    b"DTEND:20261201T160000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

INCIDENT_FORM = {  # a valid incident (the category id is the world's)
    "severity": "medium", "occurred_from": "2026-11-22T23:40", "channel": "text",
    "description": "Texted: \"I know where you park.\"",
}

POLICY_FORM = {  # a valid new version of the policy
    "effective_from": "2026-12-01", "late_grace_minutes": "10", "session_ends_on_time": "y",
    "cancellation_window_hours": "48", "late_cancel_fee_percent": "50", "no_show_fee_percent": "100",
    "clause_topic": ["payment", "conduct"], "clause_text": ["Payment is due at the end of each session.", "Be kind."],
    **{f"escalate_{kind}{days}": "3" for kind in ("late_arrivals", "no_shows", "late_cancellations", "unpaid", "boundary")
       for days in ("", "_days")},
}

# fmt: off
ROUTES = [
    #     endpoint                      method  URL                                               anonymous  admin      practitioner front_desk
    # Open pages
    Route("main.index",                 "GET",  lambda w: "/",                                    (LOGIN,    OK,        OK,        OK)),
    Route("main.healthz",               "GET",  lambda w: "/healthz",                             (OK,       OK,        OK,        OK)),
    # Set-up happens once; afterwards /setup only sends everyone to the sign-in page.
    Route("auth.setup",                 "GET",  lambda w: "/setup",                               (LOGIN,    LOGIN,     LOGIN,     LOGIN)),
    Route("auth.setup",                 "POST", lambda w: "/setup",                               (LOGIN,    LOGIN,     LOGIN,     LOGIN),
          data=lambda w: SETUP_FORM),
    # Signed-in users are sent on from the sign-in page.
    Route("auth.login",                 "GET",  lambda w: "/login",                               (OK,       OK,        OK,        OK)),
    Route("auth.login",                 "POST", lambda w: "/login",                               (OK,       OK,        OK,        OK),
          data=lambda w: {"email": w.admin_email, "password": PASSWORD}),
    Route("auth.logout",                "POST", lambda w: "/logout",                              (LOGIN,    SIGNED_OUT, SIGNED_OUT, SIGNED_OUT)),
    # The second step of a sign-in with two-factor: without a password just accepted, back to the first.
    Route("auth.second_factor",         "GET",  lambda w: "/login/code",                          (LOGIN,    LOGIN,     LOGIN,     LOGIN)),
    Route("auth.second_factor",         "POST", lambda w: "/login/code",                          (LOGIN,    LOGIN,     LOGIN,     LOGIN),
          data=lambda w: {"code": "123456"}),
    # One's own account
    Route("account.index",              "GET",  lambda w: "/account/",                            (LOGIN,    OK,        OK,        OK),        "account.own"),
    Route("account.change_password",    "POST", lambda w: "/account/password",                    (LOGIN,    OK,        OK,        OK),        "account.own",
          data=lambda w: {"password-current_password": PASSWORD, "password-password": "a fresh passphrase",
                          "password-confirm": "a fresh passphrase"}),
    Route("account.sign_out_everywhere", "POST", lambda w: "/account/sign-out-everywhere",       (LOGIN,    SIGNED_OUT, SIGNED_OUT, SIGNED_OUT)),
    Route("account.two_factor_setup",   "GET",  lambda w: "/account/two-factor",                  (LOGIN,    OK,        OK,        OK),        "account.own"),
    Route("account.start_two_factor",   "POST", lambda w: "/account/two-factor/start",            (LOGIN,    OK,        OK,        OK),        "account.own"),
    Route("account.confirm_two_factor", "POST", lambda w: "/account/two-factor/confirm",          (LOGIN,    OK,        OK,        OK),        "account.own",
          data=lambda w: {"code": "123456"}),
    Route("account.disable_two_factor", "POST", lambda w: "/account/two-factor/disable",          (LOGIN,    OK,        OK,        OK),        "account.own",
          data=lambda w: {"disable-password": PASSWORD}),
    # An invitation link works for whoever holds it (it signs them in as the invited user).
    Route("auth.accept_invitation",     "GET",  lambda w: f"/invite/{w.invite_token}",            (OK,       OK,        OK,        OK)),
    Route("auth.accept_invitation",     "POST", lambda w: f"/invite/{w.invite_token}",            (OK,       OK,        OK,        OK),
          data=lambda w: NEW_PASSWORD),
    # Users
    Route("auth.users",                 "GET",  lambda w: "/users",                               (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "users.manage"),
    Route("auth.users",                 "POST", lambda w: "/users",                               (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "users.manage",
          data=lambda w: {"name": "Noor New", "email": "noor@harbour.example", "role": "front_desk"}),
    Route("auth.edit_user",             "GET",  lambda w: f"/users/{w.practitioner_id}",          (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "users.manage"),
    Route("auth.edit_user",             "POST", lambda w: f"/users/{w.practitioner_id}",          (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "users.manage",
          data=lambda w: {"name": "Priya P", "role": "practitioner", "credentials": "RMT"}),
    Route("auth.set_user_active",       "POST", lambda w: f"/users/{w.front_desk_id}/active",     (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "users.manage",
          data=lambda w: {"active": "0"}),
    Route("auth.reset_two_factor",      "POST", lambda w: f"/users/{w.practitioner_id}/two-factor/reset", (LOGIN, OK,      FORBIDDEN, FORBIDDEN), "users.manage"),
    Route("auth.password_reset_link",   "POST", lambda w: f"/users/{w.practitioner_id}/reset-link", (LOGIN,  OK,        FORBIDDEN, FORBIDDEN), "users.manage"),
    # Settings
    Route("settings.index",             "GET",  lambda w: "/settings/",                           (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings"),
    Route("settings.index",             "POST", lambda w: "/settings/",                           (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings",
          data=lambda w: DETAILS_FORM),
    Route("settings.two_factor",        "POST", lambda w: "/settings/sign-in",                    (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings",
          data=lambda w: {"signin-require_two_factor": "y"}),
    Route("settings.upload_logo",       "POST", lambda w: "/settings/logo",                       (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings",
          data=lambda w: {"logo-logo": (io.BytesIO(png_bytes(color="navy")), "logo.png")}),
    Route("settings.remove_logo",       "POST", lambda w: "/settings/logo/remove",                (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings"),
    Route("settings.logo",              "GET",  lambda w: "/settings/logo",                       (LOGIN,    OK,        OK,        OK),        "practice.view"),
    # Clients
    Route("clients.index",              "GET",  lambda w: "/clients/",                            (LOGIN,    OK,        OK,        OK),        "clients.view"),
    Route("clients.show",               "GET",  lambda w: f"/clients/{w.client_id}",              (LOGIN,    OK,        OK,        OK),        "clients.view"),
    Route("clients.search_json",        "GET",  lambda w: "/clients/search.json?q=sam",           (LOGIN,    OK,        OK,        OK),        "clients.view"),
    Route("clients.new",                "GET",  lambda w: "/clients/new",                         (LOGIN,    OK,        OK,        OK),        "clients.edit"),
    Route("clients.new",                "POST", lambda w: "/clients/new",                         (LOGIN,    OK,        OK,        OK),        "clients.edit",
          data=lambda w: {"display_name": "Noor"}),
    Route("clients.edit",               "GET",  lambda w: f"/clients/{w.client_id}/edit",         (LOGIN,    OK,        OK,        OK),        "clients.edit"),
    Route("clients.edit",               "POST", lambda w: f"/clients/{w.client_id}/edit",         (LOGIN,    OK,        OK,        OK),        "clients.edit",
          data=lambda w: {"display_name": "Sam E", "phone": "07911 123456"}),
    Route("clients.archive",            "POST", lambda w: f"/clients/{w.client_id}/archive",      (LOGIN,    OK,        OK,        FORBIDDEN), "clients.archive"),
    # The client's standing and private notes: never the front desk.
    Route("clients.set_standing",       "GET",  lambda w: f"/clients/{w.client_id}/standing",     (LOGIN,    OK,        OK,        FORBIDDEN), "standing.set"),
    Route("clients.set_standing",       "POST", lambda w: f"/clients/{w.client_id}/standing",     (LOGIN,    OK,        OK,        FORBIDDEN), "standing.set",
          data=lambda w: {"standing": "watch", "reason": "Late twice this month."}),
    Route("clients.write_note",         "GET",  lambda w: f"/clients/{w.client_id}/notes",        (LOGIN,    OK,        OK,        FORBIDDEN), "notes.write"),
    Route("clients.write_note",         "POST", lambda w: f"/clients/{w.client_id}/notes",        (LOGIN,    OK,        OK,        FORBIDDEN), "notes.write",
          data=lambda w: {"kind": "note", "body": "Seemed tired; check in next time."}),
    # The care team: the primary practitioner or an admin gives and takes back access.
    Route("clients.grant_access",       "GET",  lambda w: f"/clients/{w.client_id}/access",       (LOGIN,    OK,        OK,        FORBIDDEN), "care.grant"),
    Route("clients.grant_access",       "POST", lambda w: f"/clients/{w.client_id}/access",       (LOGIN,    OK,        OK,        FORBIDDEN), "care.grant",
          data=lambda w: {"access-practitioner_id": w.colleague_id, "access-reason": "Second opinion on the lateness."}),
    Route("clients.revoke_access",      "POST", lambda w: f"/clients/{w.client_id}/access/{w.grant_id}/revoke", (LOGIN, OK, OK,    FORBIDDEN), "care.grant"),
    # A record matching a client who cannot be booked: decided by that client's care team and admins.
    Route("clients.decide_identity",    "POST", lambda w: f"/clients/{w.held_client_id}/identity/{w.blocked_client_id}", (LOGIN, OK, OK, FORBIDDEN), "identity.decide",
          data=lambda w: {f"identity{w.blocked_client_id}-decision": "different",
                          f"identity{w.blocked_client_id}-reason": "Another person: a different date of birth."}),
    Route("clients.export",             "GET",  lambda w: "/clients/export.csv",                  (LOGIN,    OK,        OK,        FORBIDDEN), "clients.export"),
    Route("clients.import_upload",      "GET",  lambda w: "/clients/import",                      (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "clients.import"),
    Route("clients.import_upload",      "POST", lambda w: "/clients/import",                      (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "clients.import",
          data=lambda w: {"file": (io.BytesIO(b"display_name,phone\nNoor,07400 123456\n"), "clients.csv")}),
    # Scheduling: everyone books and runs the desk; waiving a fee is for admins and practitioners.
    Route("scheduling.today",           "GET",  lambda w: "/today",                               (LOGIN,    OK,        OK,        OK),        "appointments.view"),
    Route("scheduling.today_version",   "GET",  lambda w: "/today/version?date=2026-11-30",       (LOGIN,    OK,        OK,        OK),        "appointments.view"),
    Route("scheduling.calendar",        "GET",  lambda w: "/calendar?view=week&date=2026-11-30",  (LOGIN,    OK,        OK,        OK),        "appointments.view"),
    Route("scheduling.book",            "GET",  lambda w: "/appointments/new",                    (LOGIN,    OK,        OK,        OK),        "appointments.book"),
    Route("scheduling.book",            "POST", lambda w: "/appointments/new",                    (LOGIN,    OK,        OK,        OK),        "appointments.book",
          data=lambda w: {"client_id": w.client_id, "practitioner_id": w.practitioner_record_id,
                          "service_id": w.service_id, "day": "2026-11-30", "start": "14:00"}),
    Route("scheduling.appointment",     "GET",  lambda w: f"/appointments/{w.appointment_id}",    (LOGIN,    OK,        OK,        OK),        "appointments.view"),
    Route("scheduling.move_check",      "GET",  lambda w: f"/appointments/{w.appointment_id}/move-check?day=2026-11-30&start=15:00",
                                                                                                  (LOGIN,    OK,        OK,        OK),        "appointments.book"),
    Route("scheduling.check_in",        "POST", lambda w: f"/appointments/{w.appointment_id}/check-in", (LOGIN, OK,       OK,        OK),        "appointments.front_desk"),
    Route("scheduling.no_show",         "POST", lambda w: f"/appointments/{w.appointment_id}/no-show",  (LOGIN, OK,       OK,        OK),        "appointments.front_desk"),
    Route("scheduling.complete",        "POST", lambda w: f"/appointments/{w.appointment_id}/complete", (LOGIN, OK,       OK,        OK),        "appointments.front_desk"),
    Route("scheduling.cancel",          "GET",  lambda w: f"/appointments/{w.appointment_id}/cancel",   (LOGIN, OK,       OK,        OK),        "appointments.front_desk"),
    Route("scheduling.cancel",          "POST", lambda w: f"/appointments/{w.appointment_id}/cancel",   (LOGIN, OK,       OK,        OK),        "appointments.front_desk",
          data=lambda w: {"reason": "Client phoned: unwell"}),
    # Undo: the desk on the day, a practitioner their own sessions, admins any time
    # (tests/test_undo.py walks who may when).
    Route("scheduling.undo",            "POST", lambda w: f"/appointments/{w.missed_appointment_id}/undo", (LOGIN, OK,    OK,        OK),        "appointments.undo",
          data=lambda w: {"reason": "The client arrived after all"}),
    Route("scheduling.waive",           "POST", lambda w: f"/appointments/{w.appointment_id}/waive",    (LOGIN, OK,       OK,        FORBIDDEN), "fees.waive",
          data=lambda w: {"reason": "First time"}),
    Route("scheduling.payment",         "POST", lambda w: f"/appointments/{w.appointment_id}/payment",  (LOGIN, OK,       OK,        OK),        "appointments.front_desk",
          data=lambda w: {"amount": "60.00", "method": "card"}),
    Route("scheduling.reschedule",      "POST", lambda w: f"/appointments/{w.appointment_id}/reschedule", (LOGIN, OK,     OK,        OK),        "appointments.book",
          data=lambda w: {"day": "2026-11-30", "start": "15:00"}),
    # Scheduling settings
    Route("scheduling_settings.index",  "GET",  lambda w: "/settings/scheduling/",                (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings"),
    Route("scheduling_settings.index",  "POST", lambda w: "/settings/scheduling/",                (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings",
          data=lambda w: {"service-name": "Hot stones", "service-duration_minutes": "90",
                          "service-price": "80.00", "service-buffer_after_minutes": "15"}),
    Route("scheduling_settings.edit_service", "GET", lambda w: f"/settings/scheduling/services/{w.service_id}",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings"),
    Route("scheduling_settings.edit_service", "POST", lambda w: f"/settings/scheduling/services/{w.service_id}",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings",
          data=lambda w: {"service-name": "Remedial massage", "service-duration_minutes": "60",
                          "service-price": "70.00", "service-buffer_after_minutes": "15"}),
    Route("scheduling_settings.hours",  "GET",  lambda w: f"/settings/scheduling/practitioners/{w.practitioner_record_id}",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings"),
    Route("scheduling_settings.hours",  "POST", lambda w: f"/settings/scheduling/practitioners/{w.practitioner_record_id}",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings",
          data=lambda w: {"day0-start": ["09:00", "14:00"], "day0-end": ["13:00", "18:00"], "buffer_minutes": "10", "min_notice_hours": "2"}),
    Route("scheduling_settings.import_calendar", "POST", lambda w: f"/settings/scheduling/practitioners/{w.practitioner_record_id}/calendar",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings",
          data=lambda w: {"ics-file": (io.BytesIO(BUSY_ICS), "personal.ics")}),
    Route("scheduling_settings.add_time_off", "POST", lambda w: f"/settings/scheduling/practitioners/{w.practitioner_record_id}/time-off",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings",
          data=lambda w: {"off-start_day": "2026-12-03", "off-start_time": "09:00",
                          "off-end_day": "2026-12-03", "off-end_time": "12:00", "off-reason": "Dentist"}),
    Route("scheduling_settings.remove_time_off", "POST", lambda w: f"/settings/scheduling/time-off/{w.time_block_id}/remove",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings"),
    # Calendar files. The feed needs no sign-in: the token in its URL is the secret.
    Route("feeds.feed",                 "GET",  lambda w: f"/feeds/{w.feed_token}.ics",            (OK,       OK,        OK,        OK)),
    Route("feeds.appointment_file",     "GET",  lambda w: f"/appointments/{w.appointment_uuid}.ics", (LOGIN,  OK,        OK,        OK),        "appointments.view"),
    # A practitioner manages only their own feed (test_a_practitioner_manages_only_their_own_feed).
    Route("feeds.enable",               "POST", lambda w: f"/feeds/enable/{w.practitioner_record_id}", (LOGIN, OK,       OK,        FORBIDDEN), "feeds.manage"),
    Route("feeds.revoke",               "POST", lambda w: f"/feeds/revoke/{w.practitioner_record_id}", (LOGIN, OK,       OK,        FORBIDDEN), "feeds.manage"),
    # The conduct record: the client's practitioners and admins, never the front desk
    # (the object check for practitioners: test_conduct_pages.py).
    Route("conduct.client_conduct",     "GET",  lambda w: f"/clients/{w.client_id}/conduct",      (LOGIN,    OK,        OK,        FORBIDDEN), "conduct.view"),
    Route("conduct.new_incident",       "GET",  lambda w: f"/clients/{w.client_id}/conduct/incidents/new", (LOGIN, OK,  OK,        FORBIDDEN), "conduct.record"),
    Route("conduct.new_incident",       "POST", lambda w: f"/clients/{w.client_id}/conduct/incidents/new", (LOGIN, OK,  OK,        FORBIDDEN), "conduct.record",
          data=lambda w: INCIDENT_FORM | {"category_id": w.incident_category_id}),
    Route("conduct.correct",            "GET",  lambda w: f"/conduct/entries/{w.conduct_entry_id}/correct", (LOGIN, OK, OK,       FORBIDDEN), "conduct.record"),
    Route("conduct.correct",            "POST", lambda w: f"/conduct/entries/{w.conduct_entry_id}/correct", (LOGIN, OK, OK,       FORBIDDEN), "conduct.record",
          data=lambda w: INCIDENT_FORM | {"category_id": w.incident_category_id, "reason": "It was 1 a.m."}),
    Route("conduct.new_communication",  "GET",  lambda w: f"/clients/{w.client_id}/communications/new", (LOGIN, OK,   OK,        FORBIDDEN), "conduct.record"),
    Route("conduct.new_communication",  "POST", lambda w: f"/clients/{w.client_id}/communications/new", (LOGIN, OK,   OK,        FORBIDDEN), "conduct.record",
          data=lambda w: {"occurred_at": "2026-11-22T10:00", "kind": "warning", "channel": "phone",
                          "summary": "Contact is for bookings only."}),
    Route("conduct.attachment",         "GET",  lambda w: f"/conduct/attachments/{w.attachment_id}", (LOGIN,   OK,        OK,        FORBIDDEN), "conduct.view"),
    Route("conduct.evidence",           "POST", lambda w: f"/clients/{w.client_id}/evidence",      (LOGIN,    OK,        OK,        FORBIDDEN), "conduct.view",
          data=lambda w: {"start": "2026-11-01", "end": "2026-11-23"}),
    Route("conduct.categories",         "GET",  lambda w: "/settings/conduct-categories",         (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "conduct.categories"),
    Route("conduct.categories",         "POST", lambda w: "/settings/conduct-categories",         (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "conduct.categories",
          data=lambda w: {"label": "Films me without consent", "safety": "y"}),
    Route("conduct.retire_category",    "POST", lambda w: f"/settings/conduct-categories/{w.incident_category_id}/retire",
                                                                                                  (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "conduct.categories"),
    # Policies: everyone reads the policy and records a client's acknowledgement; admins publish versions.
    Route("policies.show",              "GET",  lambda w: "/policy",                              (LOGIN,    OK,        OK,        OK),        "practice.view"),
    Route("policies.manage",            "GET",  lambda w: "/settings/policy",                     (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "policies.manage"),
    Route("policies.manage",            "POST", lambda w: "/settings/policy",                     (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "policies.manage",
          data=lambda w: POLICY_FORM),
    Route("policies.file_topics",       "POST", lambda w: f"/settings/policy/{w.policy_id}/topics", (LOGIN,  OK,        FORBIDDEN, FORBIDDEN), "policies.manage",
          data=lambda w: {}),
    Route("policies.acknowledge",       "GET",  lambda w: f"/clients/{w.client_id}/acknowledgements", (LOGIN, OK,        OK,        OK),        "policies.acknowledge"),
    Route("policies.acknowledge",       "POST", lambda w: f"/clients/{w.client_id}/acknowledgements", (LOGIN, OK,        OK,        OK),        "policies.acknowledge",
          data=lambda w: {"policy_id": w.policy_id, "method": "signed_at_intake", "on": "2026-11-23"}),
    # The end-of-day review: a practitioner their own days, admins anyone's (tests/test_review.py).
    Route("review.index",               "GET",  lambda w: "/review/",                             (LOGIN,    OK,        OK,        FORBIDDEN), "review.view"),
    Route("review.report",              "GET",  lambda w: f"/review/report?practitioner={w.practitioner_record_id}", (LOGIN, OK, OK, FORBIDDEN), "review.view"),
    Route("review.mark_reviewed",       "POST", lambda w: "/review/reviewed",                     (LOGIN,    OK,        OK,        FORBIDDEN), "review.view",
          data=lambda w: {"practitioner_id": w.practitioner_record_id, "day": "2026-11-23"}),
    Route("review.quick_incident",      "GET",  lambda w: f"/review/incident?practitioner={w.practitioner_record_id}&day={BOOKING_DAY}",
                                                                                                  (LOGIN,    OK,        OK,        FORBIDDEN), "review.view"),
    Route("review.quick_incident",      "POST", lambda w: f"/review/incident?practitioner={w.practitioner_record_id}&day={BOOKING_DAY}",
                                                                                                  (LOGIN,    OK,        OK,        FORBIDDEN), "review.view",
          data=lambda w: {"client_id": w.client_id, "category_id": w.incident_category_id, "severity": "low",
                          "channel": "text", "description": "Texted at midnight about a booking."}),
    # Reports: admins and practitioners (a practitioner their own figures, the whole practice
    # for admins: tests/test_reports.py); never the front desk.
    Route("reports.index",              "GET",  lambda w: "/reports/?start=2026-11-01&end=2026-11-22", (LOGIN, OK,   OK,        FORBIDDEN), "reports.view"),
    Route("reports.export",             "GET",  lambda w: "/reports/attendance.csv",              (LOGIN,    OK,        OK,        FORBIDDEN), "reports.view"),
    # The referral network: everyone reads the directory and records inquiries; admins and
    # practitioners edit it and record referrals; a practitioner changes only their own capacity.
    Route("referrals.directory",        "GET",  lambda w: "/referrals/?q=bea&accepting=yes",      (LOGIN,    OK,        OK,        OK),        "referrals.view"),
    Route("referrals.needs_checking",   "GET",  lambda w: "/referrals/needs-checking",            (LOGIN,    OK,        OK,        OK),        "referrals.view"),
    Route("referrals.follow_ups",       "GET",  lambda w: "/referrals/follow-ups",                (LOGIN,    OK,        OK,        OK),        "referrals.view"),
    Route("referrals.match",            "GET",  lambda w: f"/referrals/match?client={w.client_id}&modality={w.modality_id}", (LOGIN, OK, OK, OK), "referrals.view"),
    Route("referrals.export_csv",       "GET",  lambda w: "/referrals/export.csv",                (LOGIN,    OK,        OK,        OK),        "referrals.view"),
    Route("referrals.export_vcards",    "GET",  lambda w: "/referrals/export.vcf",                (LOGIN,    OK,        OK,        OK),        "referrals.view"),
    Route("referrals.specialist",       "GET",  lambda w: f"/referrals/specialists/{w.specialist_id}", (LOGIN, OK,      OK,        OK),        "referrals.view"),
    Route("referrals.specialist_vcard", "GET",  lambda w: f"/referrals/specialists/{w.specialist_id}.vcf", (LOGIN, OK,  OK,        OK),        "referrals.view"),
    Route("referrals.referral",         "GET",  lambda w: f"/referrals/referrals/{w.referral_id}", (LOGIN,   OK,        OK,        FORBIDDEN), "referrals.record"),
    Route("referrals.new_specialist",   "GET",  lambda w: "/referrals/specialists/new",           (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit"),
    Route("referrals.new_specialist",   "POST", lambda w: "/referrals/specialists/new",           (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit",
          data=lambda w: {"name": "Cal Chiro", "accepting": "yes", "modality_ids": [w.modality_id]}),
    Route("referrals.edit_specialist",  "GET",  lambda w: f"/referrals/specialists/{w.specialist_id}/edit", (LOGIN, OK, OK,     FORBIDDEN), "referrals.edit"),
    Route("referrals.edit_specialist",  "POST", lambda w: f"/referrals/specialists/{w.specialist_id}/edit", (LOGIN, OK, OK,     FORBIDDEN), "referrals.edit",
          data=lambda w: {"name": "Bea Deeper", "accepting": "no"}),
    Route("referrals.verify",           "POST", lambda w: f"/referrals/specialists/{w.specialist_id}/verify", (LOGIN, OK, OK,   FORBIDDEN), "referrals.edit",
          data=lambda w: {"accepting": "yes"}),
    Route("referrals.retire",           "POST", lambda w: f"/referrals/specialists/{w.specialist_id}/retire", (LOGIN, OK, OK,   FORBIDDEN), "referrals.edit"),
    Route("referrals.modalities",       "GET",  lambda w: "/referrals/modalities",                (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit"),
    Route("referrals.modalities",       "POST", lambda w: "/referrals/modalities",                (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit",
          data=lambda w: {"name": "Cupping"}),
    Route("referrals.retire_modality",  "POST", lambda w: f"/referrals/modalities/{w.modality_id}/retire", (LOGIN, OK, OK,  FORBIDDEN), "referrals.edit"),
    Route("referrals.import_upload",    "GET",  lambda w: "/referrals/import",                    (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit"),
    Route("referrals.import_upload",    "POST", lambda w: "/referrals/import",                    (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit",
          data=lambda w: {"file": (io.BytesIO(b"name,modalities\nGail,Deep tissue\n"), "directory.csv")}),
    Route("referrals.import_confirm",   "POST", lambda w: "/referrals/import/confirm",            (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.edit",
          data=lambda w: {"content": "name,modalities\nGail,Deep tissue\n"}),
    Route("referrals.refer",            "POST", lambda w: "/referrals/refer",                     (LOGIN,    OK,        OK,        FORBIDDEN), "referrals.refer",
          data=lambda w: {"client_id": w.client_id, "specialist_id": w.specialist_id, "modality_ids": [w.modality_id]}),
    Route("referrals.outcome",          "POST", lambda w: f"/referrals/referrals/{w.referral_id}/outcome", (LOGIN, OK,  OK,        FORBIDDEN), "referrals.refer",
          data=lambda w: {"outcome": "good_match", "note": "Booked twice"}),
    Route("referrals.client_source",    "GET",  lambda w: f"/referrals/clients/{w.client_id}/source", (LOGIN, OK,     OK,        OK),        "clients.edit"),
    Route("referrals.client_source",    "POST", lambda w: f"/referrals/clients/{w.client_id}/source", (LOGIN, OK,     OK,        OK),        "clients.edit",
          data=lambda w: {"specialist_id": w.specialist_id}),
    Route("referrals.inquiries",        "GET",  lambda w: "/referrals/inquiries",                 (LOGIN,    OK,        OK,        OK),        "inquiries.manage"),
    Route("referrals.new_inquiry",      "GET",  lambda w: "/referrals/inquiries/new",             (LOGIN,    OK,        OK,        OK),        "inquiries.manage"),
    Route("referrals.new_inquiry",      "POST", lambda w: "/referrals/inquiries/new",             (LOGIN,    OK,        OK,        OK),        "inquiries.manage",
          data=lambda w: {"name": "Ola", "email": "ola@example.org", "modality_ids": [w.modality_id]}),
    Route("referrals.inquiry",          "GET",  lambda w: f"/referrals/inquiries/{w.inquiry_id}", (LOGIN,   OK,        OK,        OK),        "inquiries.manage"),
    Route("referrals.waitlist",         "POST", lambda w: f"/referrals/inquiries/{w.inquiry_id}/waitlist", (LOGIN, OK,  OK,        OK),        "inquiries.manage"),
    Route("referrals.offer",            "POST", lambda w: f"/referrals/inquiries/{w.inquiry_id}/offer", (LOGIN, OK,     OK,        OK),        "inquiries.manage"),
    Route("referrals.close_inquiry",    "POST", lambda w: f"/referrals/inquiries/{w.inquiry_id}/close", (LOGIN, OK,     OK,        OK),        "inquiries.manage",
          data=lambda w: {"outcome": "declined", "note": "Full until spring"}),
    Route("referrals.inquiry_to_client", "POST", lambda w: f"/referrals/inquiries/{w.inquiry_id}/client", (LOGIN, OK,   OK,        OK),        "inquiries.manage"),
    Route("referrals.capacity",         "GET",  lambda w: f"/referrals/capacity/{w.practitioner_record_id}", (LOGIN, OK, OK,     FORBIDDEN), "capacity.manage"),
    Route("referrals.capacity",         "POST", lambda w: f"/referrals/capacity/{w.practitioner_record_id}", (LOGIN, OK, OK,     FORBIDDEN), "capacity.manage",
          data=lambda w: {"accepting_new_clients": "y", "max_active_clients": "20"}),
    # Letters: admins and practitioners (letters ending a relationship also follow conduct.view:
    # tests/test_letters_pages.py); admins edit the texts and the paper size.
    Route("letters.register",           "GET",  lambda w: "/letters",                             (LOGIN,    OK,        OK,        FORBIDDEN), "letters.view"),
    Route("letters.show",               "GET",  lambda w: f"/letters/{w.letter_id}",              (LOGIN,    OK,        OK,        FORBIDDEN), "letters.view"),
    Route("letters.download",           "GET",  lambda w: f"/letters/{w.letter_id}.pdf",          (LOGIN,    OK,        OK,        FORBIDDEN), "letters.view"),
    Route("letters.compose_letter",     "GET",  lambda w: f"/letters/new?kind=custom&client_id={w.client_id}", (LOGIN, OK, OK,     FORBIDDEN), "letters.issue"),
    Route("letters.compose_letter",     "POST", lambda w: f"/letters/new?kind=custom&client_id={w.client_id}", (LOGIN, OK, OK,     FORBIDDEN), "letters.issue",
          data=lambda w: {"author_id": w.practitioner_record_id, "channel": "post", "action": "issue",
                          "confirm": "y", "body": "Dear Sam,\n\nYour receipt is enclosed."}),
    Route("letters.batch",              "GET",  lambda w: "/letters/batch",                       (LOGIN,    OK,        OK,        FORBIDDEN), "letters.issue"),
    Route("letters.batch",              "POST", lambda w: "/letters/batch",                       (LOGIN,    OK,        OK,        FORBIDDEN), "letters.issue",
          data=lambda w: {"inquiry_ids": [w.letter_inquiry_id], "author_id": w.practitioner_record_id, "channel": "email",
                          "action": "issue", "confirm": "y"}),
    Route("letters.batch_done",         "GET",  lambda w: f"/letters/batch/done?letter={w.reply_letter_id}", (LOGIN, OK,   OK,        FORBIDDEN), "letters.issue"),
    Route("letters.batch_zip",          "GET",  lambda w: f"/letters/batch/replies.zip?letter={w.reply_letter_id}", (LOGIN, OK, OK,  FORBIDDEN), "letters.issue"),
    Route("letters.settings",           "GET",  lambda w: "/settings/letters",                    (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "letters.settings"),
    Route("letters.settings",           "POST", lambda w: "/settings/letters",                    (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "letters.settings",
          data=lambda w: {"page_size": "letter"}),
    Route("letters.save_text",          "POST", lambda w: "/settings/letters/custom",             (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "letters.settings",
          data=lambda w: {"custom-text": "Dear {client_name},\n\nWith thanks."}),
    # Background jobs: admins see the queue, retry and cancel; a job's page and file are for
    # whoever asked (here the practitioner) and admins, and follow its kind's rule (an
    # evidence report: conduct.view on the client). Object checks: tests/test_jobs.py.
    Route("jobs.index",                 "GET",  lambda w: "/jobs/?status=done",                   (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "jobs.manage"),
    Route("jobs.retry",                 "POST", lambda w: f"/jobs/{w.failed_job_id}/retry",       (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "jobs.manage"),
    Route("jobs.cancel",                "POST", lambda w: f"/jobs/{w.queued_job_id}/cancel",      (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "jobs.manage"),
    Route("jobs.show",                  "GET",  lambda w: f"/jobs/{w.job_id}",                    (LOGIN,    OK,        OK,        FORBIDDEN), "jobs.view"),
    Route("jobs.progress",              "GET",  lambda w: f"/jobs/{w.job_id}/progress.json",      (LOGIN,    OK,        OK,        FORBIDDEN), "jobs.view"),
    # An import's page and its "Import" button: whoever may import and asked for it (the
    # practitioner's file for the directory here) and admins, as the job's own page. Files of
    # clients and other people's files: tests/test_imports.py.
    Route("imports.show",               "GET",  lambda w: f"/imports/{w.import_check_id}?page=2", (LOGIN,    OK,        OK,        FORBIDDEN), "jobs.view"),
    Route("imports.confirm",            "POST", lambda w: f"/imports/{w.import_check_id}/import", (LOGIN,    OK,        OK,        FORBIDDEN), "jobs.view"),
    Route("jobs.download",              "GET",  lambda w: f"/jobs/{w.job_id}/file",               (LOGIN,    OK,        OK,        FORBIDDEN), "jobs.view"),
    # The outbox and message settings: admins. A client's e-mail choices are client details.
    Route("messages.index",             "GET",  lambda w: "/messages/?status=waiting",            (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "messages.manage"),
    Route("messages.show",              "GET",  lambda w: f"/messages/{w.waiting_message_id}",    (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "messages.manage"),
    Route("messages.cancel",            "POST", lambda w: f"/messages/{w.waiting_message_id}/cancel", (LOGIN, OK,       FORBIDDEN, FORBIDDEN), "messages.manage"),
    Route("messages.send_again",        "POST", lambda w: f"/messages/{w.failed_message_id}/send-again", (LOGIN, OK,    FORBIDDEN, FORBIDDEN), "messages.manage"),
    Route("messages.settings",          "GET",  lambda w: "/settings/messages",                   (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings"),
    Route("messages.settings",          "POST", lambda w: "/settings/messages",                   (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings",
          data=lambda w: {"confirmations": "y", "reminder_hours": "48, 2", "quiet_from": "21:00", "quiet_until": "08:00"}),
    Route("messages.send_test",         "POST", lambda w: "/settings/messages/test",              (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "practice.settings",
          data=lambda w: {"to": "owner@harbour.example"}),
    Route("messages.consent",           "GET",  lambda w: f"/clients/{w.client_id}/email-consent", (LOGIN,   OK,        OK,        OK),        "clients.edit"),
    Route("messages.consent",           "POST", lambda w: f"/clients/{w.client_id}/email-consent", (LOGIN,   OK,        OK,        OK),        "clients.edit",
          data=lambda w: {"consent-confirmations": "y"}),
    Route("policies.ask_to_acknowledge", "POST", lambda w: f"/clients/{w.client_id}/acknowledgements/ask", (LOGIN, OK, OK,     OK),        "policies.acknowledge"),
    # Pages for clients, from the links in messages: no sign-in; the signed token is the key.
    Route("messages_public.policy",     "GET",  lambda w: "/practice-policy",                     (OK,       OK,        OK,        OK)),
    Route("messages_public.acknowledge", "GET", lambda w: f"/acknowledge/{w.acknowledge_token}",  (OK,       OK,        OK,        OK)),
    Route("messages_public.acknowledge", "POST", lambda w: f"/acknowledge/{w.acknowledge_token}", (OK,       OK,        OK,        OK),
          data=lambda w: {"version": str(current_policy(db.session, NOW).version), "agree": "y"}),
    Route("messages_public.unsubscribe", "GET", lambda w: f"/unsubscribe/{w.unsubscribe_token}",  (OK,       OK,        OK,        OK)),
    Route("messages_public.stop_reminders", "POST", lambda w: f"/unsubscribe/{w.unsubscribe_token}", (OK,    OK,        OK,        OK)),
    # Online booking: pages for clients, no sign-in; the signed links are the keys.
    Route("booking.index",              "GET",  lambda w: "/book/",                               (OK,       OK,        OK,        OK)),
    Route("booking.logo",               "GET",  lambda w: "/book/logo",                           (OK,       OK,        OK,        OK)),
    Route("booking.times",              "GET",  lambda w: f"/book/{w.online_service_id}",         (OK,       OK,        OK,        OK)),
    Route("booking.hold",               "GET",  lambda w: f"/book/{w.online_service_id}/{w.online_practitioner_id}/{w.free_minute}", (OK, OK, OK, OK)),
    Route("booking.hold",               "POST", lambda w: f"/book/{w.online_service_id}/{w.online_practitioner_id}/{w.free_minute}", (OK, OK, OK, OK),
          data=lambda w: {"name": "Robin Newcomer", "email": "robin@example.org", "agree": "y",
                          "version": str(current_policy(db.session, NOW).version)}),
    Route("booking.confirm",            "GET",  lambda w: f"/book/confirm/{w.hold_token}",         (OK,       OK,        OK,        OK)),
    Route("booking.confirm",            "POST", lambda w: f"/book/confirm/{w.hold_token}",         (OK,       OK,        OK,        OK)),
    Route("booking.mine",               "GET",  lambda w: f"/book/mine/{w.mine_token}",           (OK,       OK,        OK,        OK)),
    Route("booking.calendar_file",      "GET",  lambda w: f"/book/mine/{w.mine_token}/{w.appointment_uuid}.ics", (OK, OK,   OK,        OK)),
    Route("booking.cancel",             "GET",  lambda w: f"/book/mine/{w.mine_token}/{w.appointment_uuid}/cancel", (OK, OK, OK,       OK)),
    Route("booking.cancel",             "POST", lambda w: f"/book/mine/{w.mine_token}/{w.appointment_uuid}/cancel", (OK, OK, OK,       OK),
          data=lambda w: {"quoted": "0"}),
    Route("booking.move",               "GET",  lambda w: f"/book/mine/{w.mine_token}/{w.appointment_uuid}/move", (OK, OK, OK,        OK)),
    Route("booking.move",               "POST", lambda w: f"/book/mine/{w.mine_token}/{w.appointment_uuid}/move", (OK, OK, OK,        OK),
          data=lambda w: {"minute": str(w.free_minute)}),
    Route("booking.inquire",            "GET",  lambda w: "/book/inquire",                        (OK,       OK,        OK,        OK)),
    Route("booking.inquire",            "POST", lambda w: "/book/inquire",                        (OK,       OK,        OK,        OK),
          data=lambda w: {"name": "Jo Waiting", "email": "jo@example.org", "need": "A massage for a sore back"}),
    Route("booking_settings.online_booking", "GET", lambda w: "/settings/online-booking",         (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings"),
    Route("booking_settings.online_booking", "POST", lambda w: "/settings/online-booking",        (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "scheduling.settings",
          data=lambda w: {"enabled": "y", "min_notice_hours": "24", "days_ahead": "60", "hold_minutes": "15"}),
    # Audit trail
    Route("audit.index",                "GET",  lambda w: "/audit/",                              (LOGIN,    OK,        FORBIDDEN, FORBIDDEN), "audit.view"),
]
# fmt: on

TABLE = {(route.endpoint, route.method): route for route in ROUTES}
assert len(TABLE) == len(ROUTES), "a route appears twice in the table"


def url_map_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNCHECKED_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def outcome(response) -> str:
    """Name what a response did, in the table's terms."""
    status = response.status_code
    if status == 403:
        return FORBIDDEN
    if status in (301, 302, 303, 307, 308):
        return LOGIN if urlsplit(response.headers["Location"]).path == "/login" else OK
    if 200 <= status < 300:
        if response.mimetype == "text/html" and (
            "invalid-feedback" in (page := response.get_data(as_text=True))
            or 'class="alert alert-danger"' in page
        ):
            return f"{status} with a form error"  # the table's form data should be valid
        return OK
    return f"status {status}"


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


# The table itself ---------------------------------------------------------------------

def test_every_route_is_in_the_table(app):
    missing = url_map_routes(app) - set(TABLE)
    assert not missing, (
        f"routes without a row in tests/test_access.py ROUTES: {sorted(missing)}; "
        "add a row saying which roles may use each"
    )


def test_the_table_has_no_stale_rows(app):
    assert set(TABLE) - url_map_routes(app) == set()


def test_table_rows_name_the_endpoint_their_url_reaches(app, world):
    adapter = app.url_map.bind("localhost")
    for route in ROUTES:
        endpoint, _ = adapter.match(urlsplit(route.url(world)).path, method=route.method)
        assert endpoint == route.endpoint, route.id


def _guarding_permission(view) -> str | None:
    """The action a `permission_required` wrapper closes over (None for other views)."""
    for cell in view.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, str) and value in RULES:
            return value
    return None


def test_table_agrees_with_the_permission_rules(app):
    problems = []
    for route in ROUTES:
        guard = _guarding_permission(app.view_functions[route.endpoint])
        if guard != route.permission:
            problems.append(f"{route.id}: the view requires {guard!r}, the table says {route.permission!r}")
        if route.permission is None:
            continue
        derived = (LOGIN,) + tuple(
            OK if Role(role) in RULES[route.permission] else FORBIDDEN for role in ROLES[1:]
        )
        if route.expect != derived:
            problems.append(f"{route.id}: the table says {route.expect}, RULES[{route.permission!r}] gives {derived}")
    assert not problems


# Walking the table ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_world(databases, tmp_path_factory):
    """The world with an account of every role, built once per test process: building it
    is most of what a case of the walk would cost, and the walk runs hundreds."""
    def build(app, users, make_user):
        return build_world(app, users, make_client_record, make_user)

    snapshot = build_snapshot(databases, tmp_path_factory.mktemp("access-world"), build)
    yield snapshot
    databases.drop(snapshot.url)


@pytest.fixture
def world_copy(built_world, databases, tmp_path):
    with app_on_a_copy(databases, built_world, tmp_path) as app:
        yield app


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.id)
def test_route_by_role(world_copy, built_world, route, role):
    world = built_world.made
    client = world_copy.test_client()
    expected = route.expect[ROLES.index(role)]
    if role != "anonymous":
        user = db.session.get(User, built_world.user_ids[role])
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    before = audit_count()
    data = route.data(world) if route.data else {}
    response = client.open(route.url(world), method=route.method, data=data)

    got = outcome(response)
    if expected == SIGNED_OUT:
        assert got == LOGIN, f"{route.id} as {role}: {response.status_code}"
        assert outcome(client.get("/clients/")) == LOGIN, "still signed in after signing out"
        return
    assert got == expected, f"{route.id} as {role}: expected {expected}, got {got}"
    if expected == FORBIDDEN:
        page = response.get_data(as_text=True)
        assert "do not have access" in page and page.lstrip().startswith("<!doctype html>")
    if expected in (LOGIN, FORBIDDEN):
        db.session.expire_all()
        assert audit_count() == before, f"{route.id} as {role} changed something"


# Special cases ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_a_bad_invitation_token_shows_a_not_found_page(client, users, login, role):
    if role != "anonymous":
        login(users[role])
    for method in ("GET", "POST"):
        response = client.open("/invite/not-a-real-token", method=method, data=NEW_PASSWORD)
        assert response.status_code == 404
        assert "not valid any more" in response.get_data(as_text=True)


def test_a_practitioner_manages_only_their_own_feed(client, users, login, make_user, world):
    other = make_user("practitioner", name="Pat Other").practitioner
    login(users["practitioner"])
    before = audit_count()
    for action in ("enable", "revoke"):
        assert client.post(f"/feeds/{action}/{other.id}").status_code == 403
    db.session.expire_all()
    assert audit_count() == before
    assert client.post(f"/feeds/enable/{world.practitioner_record_id}").status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_an_unknown_feed_token_is_not_found(client, users, login, world, role):
    if role != "anonymous":
        login(users[role])
    assert client.get("/feeds/" + "x" * 43 + ".ics").status_code == 404
    assert client.get(f"/feeds/{world.feed_token}x.ics").status_code == 404


def test_forbidden_is_the_friendly_html_page(client, users, login):
    login(users["front_desk"])
    response = client.get("/users")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "You do not have access to this page" in page
    assert "An admin can change roles" in page
    assert 'href="/"' in page  # a way back, inside the normal layout
    assert "Fran Desk" in page  # still shown as signed in


def test_the_sign_in_wall_remembers_where_the_visitor_was_going(client, practice):
    response = client.get("/clients/?q=sam")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and "next=" in location.query


def test_a_deactivated_users_session_stops_working_at_once(app, client, users, login, world):
    login(users["front_desk"])
    assert client.get("/clients/").status_code == 200
    admin = app.test_client()
    assert admin.post("/login", data={"email": users["admin"].email, "password": PASSWORD}).status_code == 302
    assert admin.post(f"/users/{users['front_desk'].id}/active", data={"active": "0"}).status_code == 302

    response = client.get("/clients/")
    assert outcome(response) == LOGIN
    assert client.get(f"/clients/{world.client_id}").status_code == 302
    assert client.post("/clients/new", data={"display_name": "Sneaky"}).status_code == 302
    assert db.session.scalar(sa.select(Client).where(Client.display_name == "Sneaky")) is None


def test_a_role_change_signs_the_user_out_and_the_new_role_applies(app, client, users, login, world):
    login(users["practitioner"])
    assert client.get("/clients/export.csv").status_code == 200
    admin = app.test_client()
    admin.post("/login", data={"email": users["admin"].email, "password": PASSWORD})
    saved = admin.post(f"/users/{users['practitioner'].id}",
                       data={"name": "Priya Practitioner", "role": "front_desk"})
    assert saved.status_code == 302
    assert outcome(client.get("/clients/export.csv")) == LOGIN
    login(users["practitioner"])
    assert client.get("/clients/export.csv").status_code == 403


def test_setup_is_open_until_the_practice_exists(client):
    assert client.get("/setup").status_code == 200
    assert client.get("/healthz").status_code == 200
    for path in ("/", "/login", "/clients/", "/users", "/settings/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/setup"), path
