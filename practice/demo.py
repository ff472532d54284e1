"""A fictional demo practice to explore the app with: staff accounts, clients, services,
weekly hours, the attendance policy, three weeks of past appointments with what happened
at each, and the coming week booked.

Everything here is made up. The data is fixed, so every demo install looks the same and
the logins in the README stay true; only the dates follow the day the demo is built. Every
appointment goes through the scheduling services at the moment it would have happened, so
each rule is checked and each event is recorded as in real use."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from practice.audit.services import SYSTEM, Actor
from practice.auth import services as auth_services
from practice.auth.models import Role, User
from practice.booking import services as online_booking
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.clients.services import ClientDetails
from practice.conduct import demo as conduct_demo
from practice.errors import DomainError
from practice.letters import demo as letters_demo
from practice.policies import demo as policies_demo
from practice.review import services as review_services
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment, Service
from practice.settings.services import PracticeDetails
from referrals import demo as referrals_demo
from referrals import queries as referral_queries

# One password for every demo account, so the README can list the logins.
DEMO_PASSWORD = "demo-practice-2026"

PRACTICE = PracticeDetails(
    name="Linden Yard Massage & Wellness",
    timezone="Europe/London",
    currency="GBP",
    phone_region="GB",
    address="3 Linden Yard\nChapel Allerton\nLeeds\nLS7 3QE",
    phone="0113 496 0321",
    email="hello@lindenyard.example.com",
    website="https://lindenyard.example.com",
)

ADMIN_NAME = "Morgan Ellis"
ADMIN_EMAIL = "admin@demo.practice"


@dataclass(frozen=True)
class DemoStaff:
    key: str
    name: str
    email: str
    role: Role
    credentials: str = ""


STAFF = (
    DemoStaff("amara", "Amara Okafor", "amara@demo.practice", Role.PRACTITIONER,
              "RMT, Dip. Remedial Massage"),
    DemoStaff("tomasz", "Tomasz Nowak", "tomasz@demo.practice", Role.PRACTITIONER,
              "BSc Sports Therapy, Level 5 Sports Massage"),
    DemoStaff("mei", "Mei Lin", "mei@demo.practice", Role.PRACTITIONER,
              "Dip. Holistic Massage, Pregnancy Massage Cert."),
    DemoStaff("desk", "Jo Whitfield", "frontdesk@demo.practice", Role.FRONT_DESK),
)


@dataclass(frozen=True)
class DemoClient:
    details: ClientDetails
    practitioner: str | None = None  # a DemoStaff key
    archived: bool = False


FRIEND = "Recommended by a friend"
GP = "Suggested by their GP"
ONLINE = "Found us online"
RUNNING_CLUB = "Running club noticeboard"
PHYSIO = "Referred by a physiotherapist"
WORKPLACE = "Workplace wellbeing scheme"

CLIENTS = (
    DemoClient(ClientDetails(
        "Hannah Price", legal_name="Hannah Price", pronouns="she/her", phone="07911 204318",
        email="hannah.price@example.org", address="14 Beech Grove\nLeeds\nLS6 2AF",
        date_of_birth=date(1986, 3, 14), referral_source=FRIEND), "amara"),
    DemoClient(ClientDetails(
        "Kwame Mensah", legal_name="Kwame Mensah", pronouns="he/him", phone="07911 782063",
        email="kwame.mensah@example.com", date_of_birth=date(1979, 11, 2),
        referral_source=RUNNING_CLUB), "tomasz"),
    DemoClient(ClientDetails(
        "Siobhán O'Connell", legal_name="Siobhán O'Connell", pronouns="she/her",
        phone="07923 551870", email="siobhan.oconnell@example.org"), "mei"),
    DemoClient(ClientDetails(
        "Priya Raman", legal_name="Priya Raman", phone="07456 102938",
        email="priya.raman@example.com", address="7 Harehills Lane\nLeeds\nLS8 4HJ",
        date_of_birth=date(1991, 6, 23), referral_source=GP), "amara"),
    DemoClient(ClientDetails(
        "Mo", legal_name="Mohammed Iqbal", pronouns="he/him", phone="07508 774412",
        referral_source=WORKPLACE), "tomasz"),
    DemoClient(ClientDetails(
        "Zofia Kowalska", legal_name="Zofia Kowalska", phone="+48 601 234 567",
        email="zofia.k@example.org", date_of_birth=date(1988, 9, 5)), "mei"),
    DemoClient(ClientDetails(
        "Seun", legal_name="Oluwaseun Adeyemi", pronouns="he/him", phone="07712 630154",
        email="seun.adeyemi@example.com", referral_source=FRIEND), "amara"),
    DemoClient(ClientDetails(
        "Daniel Cohen", legal_name="Daniel Cohen", phone="07841 209376",
        address="22 Street Lane\nLeeds\nLS8 1BW", date_of_birth=date(1972, 1, 30)), "tomasz"),
    DemoClient(ClientDetails(
        "Aisha Rahman", legal_name="Aisha Rahman", pronouns="she/her", phone="07956 418203",
        email="aisha.rahman@example.org", referral_source=PHYSIO), "mei"),
    DemoClient(ClientDetails(
        "Jules", pronouns="they/them", phone="07734 889201",
        email="jules.k@example.com"), "amara"),
    DemoClient(ClientDetails(
        "Wei Zhang", legal_name="Zhang Wei", phone="07787 310645",
        email="wei.zhang@example.org", date_of_birth=date(1995, 4, 18),
        referral_source=ONLINE), "tomasz"),
    DemoClient(ClientDetails(
        "Fatima Al-Sayed", legal_name="Fatima Al-Sayed", pronouns="she/her",
        phone="07402 557319", address="9 Cowper Street\nLeeds\nLS7 4DR"), "mei"),
    DemoClient(ClientDetails(
        "Tom Brennan", legal_name="Thomas Brennan", pronouns="he/him", phone="07815 462090",
        email="tom.brennan@example.com", date_of_birth=date(1968, 8, 11),
        referral_source=RUNNING_CLUB), "tomasz"),
    DemoClient(ClientDetails(
        "Grace Mwangi", legal_name="Grace Wanjiru Mwangi", phone="07929 104587",
        email="grace.mwangi@example.org"), "amara"),
    DemoClient(ClientDetails(
        "Rhys Llewellyn", legal_name="Rhys Llewellyn", phone="07463 218874",
        date_of_birth=date(1983, 12, 7), referral_source=PHYSIO), "tomasz"),
    DemoClient(ClientDetails(
        "Yuki Tanaka", legal_name="Yuki Tanaka", phone="07590 336271",
        email="yuki.tanaka@example.com", referral_source=ONLINE), "mei"),
    DemoClient(ClientDetails(
        "Agnieszka Wójcik", legal_name="Agnieszka Wójcik", pronouns="she/her",
        phone="07881 740263", email="agnieszka.w@example.org",
        address="31 Potternewton Lane\nLeeds\nLS7 3LW"), "mei"),
    DemoClient(ClientDetails(
        "Samuel Osei", legal_name="Samuel Osei", phone="07944 615308",
        date_of_birth=date(1990, 2, 26)), "amara"),
    DemoClient(ClientDetails(
        "Isla MacLeod", legal_name="Isla MacLeod", pronouns="she/her", phone="07725 903146",
        email="isla.macleod@example.com", referral_source=FRIEND), "mei"),
    DemoClient(ClientDetails(
        "Rani", pronouns="she/her", phone="07411 852607"), "amara"),
    DemoClient(ClientDetails(
        "Arjun Mehta", legal_name="Arjun Mehta", phone="07962 274518",
        email="arjun.mehta@example.org", date_of_birth=date(1976, 10, 15),
        referral_source=WORKPLACE), "tomasz"),
    DemoClient(ClientDetails(
        "Leila Haddad", legal_name="Leila Haddad", phone="07538 160492",
        email="leila.haddad@example.com", address="5 Gledhow Wood Road\nLeeds\nLS8 4BZ"),
        "amara"),
    DemoClient(ClientDetails(
        "Connor Walsh", legal_name="Connor Walsh", phone="07806 341975",
        email="connor.walsh@example.org"), "tomasz", archived=True),
    DemoClient(ClientDetails(
        "Nia Roberts", legal_name="Nia Roberts", pronouns="she/her", phone="07917 528364",
        date_of_birth=date(1999, 7, 3), referral_source=ONLINE), "mei"),
    DemoClient(ClientDetails(
        "Ahmed Hassan", legal_name="Ahmed Hassan", pronouns="he/him", phone="07476 093821",
        email="ahmed.hassan@example.com", referral_source=GP), "amara"),
    DemoClient(ClientDetails(
        "Marta Silva", legal_name="Marta Silva", phone="07833 617240",
        email="marta.silva@example.org"), "mei"),
    DemoClient(ClientDetails(
        "Ben Thornton", legal_name="Benjamin Thornton", phone="07748 285016",
        date_of_birth=date(1965, 5, 21)), "tomasz", archived=True),
    DemoClient(ClientDetails(
        "Amina Yusuf", legal_name="Amina Yusuf", pronouns="she/her", phone="07985 430172",
        email="amina.yusuf@example.com", referral_source=FRIEND), "amara"),
    DemoClient(ClientDetails(
        "Jamal Carter", legal_name="Jamal Carter", phone="07521 786340",
        email="jamal.carter@example.org", referral_source=RUNNING_CLUB), "tomasz"),
    DemoClient(ClientDetails(
        "Eleni Papadopoulos", legal_name="Eleni Papadopoulou", pronouns="she/her",
        phone="+30 694 123 4567", email="eleni.p@example.com"), "mei"),
    DemoClient(ClientDetails(
        "Tariq Mahmood", legal_name="Tariq Mahmood", phone="07868 052431",
        address="48 Roundhay Road\nLeeds\nLS7 1AB", date_of_birth=date(1981, 4, 9)), "amara"),
    DemoClient(ClientDetails(
        "Sophie Laurent", legal_name="Sophie Laurent", phone="+33 6 12 48 75 30",
        email="sophie.laurent@example.org", referral_source=ONLINE), "mei"),
    DemoClient(ClientDetails(
        "Sunny", phone="07429 671583"), None),
    DemoClient(ClientDetails(
        "Ruth Abernathy", legal_name="Ruth Abernathy", pronouns="she/her",
        phone="07790 413628", date_of_birth=date(1958, 9, 27), referral_source=GP), "amara"),
    DemoClient(ClientDetails(
        "Dev", legal_name="Devendra Patel", pronouns="he/him", phone="07950 238174",
        email="dev.patel@example.com", referral_source=WORKPLACE), "tomasz"),
    DemoClient(ClientDetails(
        "Mariam Karimi", legal_name="Mariam Karimi", phone="07487 915360",
        email="mariam.karimi@example.org", address="17 Chapeltown Road\nLeeds\nLS7 3AP"),
        "mei"),
    DemoClient(ClientDetails(
        "Lukas Becker", legal_name="Lukas Becker", phone="07552 604819",
        date_of_birth=date(1993, 11, 12), referral_source=PHYSIO), "tomasz"),
    DemoClient(ClientDetails(
        "Chloe Nguyen", legal_name="Chloe Nguyen", pronouns="she/her", phone="07827 390546",
        email="chloe.nguyen@example.com"), "amara"),
    DemoClient(ClientDetails(
        "Ifeoma Eze", legal_name="Ifeoma Eze", phone="07938 762015",
        email="ifeoma.eze@example.org", referral_source=FRIEND), "mei"),
    DemoClient(ClientDetails(
        "Paddy", legal_name="Patrick Doyle", pronouns="he/him", phone="07716 548293"),
        "tomasz"),
    DemoClient(ClientDetails(
        "Ana Lucía Torres", legal_name="Ana Lucía Torres", phone="07864 127059",
        email="analucia.torres@example.com", date_of_birth=date(1987, 2, 8)), "amara"),
    DemoClient(ClientDetails(
        "Kit", pronouns="they/them", email="kit.m@example.org", referral_source=ONLINE),
        "mei"),
    DemoClient(ClientDetails(
        "Harriet Lowe", legal_name="Harriet Lowe", phone="07453 896402",
        address="2 Allerton Grange Way\nLeeds\nLS17 6LN"), None),
    DemoClient(ClientDetails(
        "Bilal Qureshi", legal_name="Bilal Qureshi", pronouns="he/him", phone="07971 305628",
        email="bilal.qureshi@example.com", referral_source=RUNNING_CLUB), "tomasz"),
    DemoClient(ClientDetails(
        "Ingrid Solberg", legal_name="Ingrid Solberg", phone="07534 219786",
        email="ingrid.solberg@example.org", date_of_birth=date(1974, 6, 1)), "mei"),
    DemoClient(ClientDetails(
        "Lewis Grant", legal_name="Lewis Grant", pronouns="he/him", phone="07896 140372",
        email="lewis.grant@example.com", address="11 Scott Hall Avenue\nLeeds\nLS7 2HJ",
        date_of_birth=date(1989, 1, 17), referral_source=ONLINE), "mei"),
)


# Services, hours and the attendance policy ---------------------------------------------

@dataclass(frozen=True)
class DemoService:
    key: str
    name: str
    minutes: int
    price_cents: int
    buffer_minutes: int = 15  # turning the room round
    specialties: tuple[str, ...] = ()  # what a colleague would offer a client who booked it


REMEDIAL = ("Deep tissue", "Trigger point therapy", "Myofascial release")
SERVICES = (
    DemoService("remedial", "Remedial massage", 60, 7000, specialties=REMEDIAL),
    DemoService("remedial_long", "Remedial massage, long session", 90, 9500, specialties=REMEDIAL),
    DemoService("pregnancy", "Pregnancy massage", 60, 7500, specialties=("Prenatal massage",)),
    DemoService("sports", "Sports massage", 45, 5500, specialties=("Sports massage",)),
    DemoService("holistic", "Holistic massage", 60, 6500, specialties=("Lymphatic drainage", "Reflexology")),
    DemoService("neck", "Back, neck and shoulders", 30, 4000, specialties=REMEDIAL),
)

POLICY = {
    "late_grace_minutes": 10, "session_ends_on_time": True, "cancellation_window_hours": 24,
    "late_cancel_fee_percent": 50, "no_show_fee_percent": 100,
}


@dataclass(frozen=True)
class DemoSchedule:
    """A practitioner's week as written on the hours page (Monday first, "" is a day off),
    how they protect their time, and what most of their clients come for."""

    week: tuple[str, str, str, str, str, str, str]
    usual_service: str
    buffer_minutes: int = 0
    max_sessions_per_day: int | None = None


SCHEDULES = {
    # Wednesdays off; half an hour between clients.
    "amara": DemoSchedule(
        ("09:00-13:00, 14:00-18:00", "09:00-13:00, 14:00-18:00", "",
         "09:00-13:00, 14:00-18:00", "09:00-13:00, 14:00-17:00", "09:00-13:00", ""),
        "remedial", buffer_minutes=30),
    # Early mornings, and evenings on Tuesdays and Thursdays for the runners.
    "tomasz": DemoSchedule(
        ("08:00-13:00", "14:00-17:00, 17:30-21:00", "08:00-13:00",
         "14:00-17:00, 17:30-21:00", "08:00-13:00", "", ""),
        "sports"),
    # Thursdays off; at most four sessions a day.
    "mei": DemoSchedule(
        ("10:00-13:00, 14:00-17:00", "10:00-13:00, 14:00-17:00", "10:00-15:00", "",
         "10:00-13:00, 14:00-17:00", "10:00-14:00", ""),
        "holistic", max_sessions_per_day=4),
}

# Clients who come for something other than their practitioner's usual service.
USUAL_SERVICE = {
    "Leila Haddad": "remedial_long", "Ruth Abernathy": "neck", "Chloe Nguyen": "neck",
    "Daniel Cohen": "remedial", "Tom Brennan": "remedial_long", "Arjun Mehta": "remedial",
    "Aisha Rahman": "pregnancy", "Fatima Al-Sayed": "pregnancy", "Nia Roberts": "pregnancy",
    "Isla MacLeod": "pregnancy", "Marta Silva": "remedial",
}

# Clients without a practitioner of their own, and whom they have been seeing.
SEEN_BY = {"Sunny": "mei", "Harriet Lowe": "amara"}


# What happened at an appointment ---------------------------------------------------------

@dataclass(frozen=True)
class Came:
    """Arrived `late` minutes after the start (negative: early) and paid `paid_cents`
    (None: in full), at the end of the session or `paid_days_later`."""

    late: int = -3
    paid_cents: int | None = None
    method: str = "card"
    paid_days_later: int = 0


@dataclass(frozen=True)
class NoShow:
    waiver: str = ""  # the practitioner's reason for waiving the fee the next day


@dataclass(frozen=True)
class Cancelled:
    hours_before: int
    reason: str
    fee_paid_days_later: int | None = None  # None: a late cancellation's fee is still owed


@dataclass(frozen=True)
class Unmarked:
    """Nobody marked the session arrived or no-show: the practitioner settles it in the
    end-of-day review."""


ON_TIME = Came()
UNMARKED = Unmarked()
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)


@dataclass(frozen=True)
class Regular:
    """A client with a standing weekly booking; `history` is what happened three weeks,
    two weeks and one week ago."""

    client: str
    practitioner: str
    weekday: int
    start: time
    history: tuple = (ON_TIME, ON_TIME, ON_TIME)
    note: str = ""


REGULARS = (
    Regular("Hannah Price", "amara", MONDAY, time(9), (Came(late=4), ON_TIME, ON_TIME)),
    Regular("Seun", "amara", TUESDAY, time(12),
            (Cancelled(96, "Away with work that week"), ON_TIME, Came(late=15))),
    # The repeat late-comer: three late arrivals in a row; the session still ends on time,
    # and twice he pays only for the half hour he had.
    Regular("Tariq Mahmood", "amara", THURSDAY, time(17),
            (Came(late=20), Came(late=30, paid_cents=3500, method="cash"),
             Came(late=30, paid_cents=3500, method="cash"))),
    # Last week's session was left unmarked at the desk: the review asks Amara to settle it.
    Regular("Grace Mwangi", "amara", FRIDAY, time(14), (ON_TIME, Came(late=18), UNMARKED)),
    Regular("Daniel Cohen", "tomasz", MONDAY, time(8), (NoShow(), ON_TIME, ON_TIME)),
    Regular("Kwame Mensah", "tomasz", TUESDAY, time(19),
            (ON_TIME, Cancelled(5, "Work meeting ran late", fee_paid_days_later=1), ON_TIME),
            note="Marathon training: calves and hamstrings"),
    Regular("Wei Zhang", "tomasz", WEDNESDAY, time(11), (ON_TIME, ON_TIME, Came(late=8))),
    Regular("Jamal Carter", "tomasz", THURSDAY, time(18),
            (ON_TIME, Came(method="transfer", paid_days_later=1), ON_TIME)),
    Regular("Zofia Kowalska", "mei", TUESDAY, time(14),
            (ON_TIME, Cancelled(50, "Moving house that week"), ON_TIME)),
    Regular("Aisha Rahman", "mei", WEDNESDAY, time(11, 15),
            (ON_TIME, NoShow("Her hospital scan overran and she rang the next morning; "
                             "first missed session."), ON_TIME),
            note="Pregnant, due in February: side-lying"),
    Regular("Fatima Al-Sayed", "mei", FRIDAY, time(10),
            (ON_TIME, ON_TIME, Cancelled(3, "Childcare fell through"))),
    # Misses a session, is reminded of the policy, cancels late, is warned, misses another:
    # Mei ends the relationship the next day (practice/letters/demo.py), which cancels his
    # coming session.
    Regular("Lewis Grant", "mei", MONDAY, time(14),
            (NoShow(), Cancelled(3, "Said something had come up at work"), NoShow())),
)

# Clients whose relationship with the practice ends with a letter; their sessions after it
# stay booked until the letter cancels them.
DISCONTINUED = ("Lewis Grant",)  # the day after the last session of their history
SAFETY_DISCONTINUED = {conduct_demo.CLIENT: timedelta(days=conduct_demo.SAFETY_LETTER_DAYS_AGO)}

HISTORY_WEEKS = 3  # of past appointments, before today
COMING_DAYS = 6  # booked after today
OPENED_DAYS_AGO = 35  # the practice, its staff and clients are entered this long before now
USUAL_METHODS = ("card", "card", "cash", "card")  # how clients pay, in turn


def build_demo(session, now: datetime) -> list[User]:
    """Create the demo practice, its accounts, clients and schedule; return the accounts.

    Only on an empty database: demo clients mixed into real records would be a mess."""
    if not auth_services.setup_needed(session):
        raise DomainError(
            "The database already has accounts. The demo only fills an empty database."
        )
    zone = ZoneInfo(PRACTICE.timezone)
    today = now.astimezone(zone).date()
    opened = scheduling.local_moment(today - timedelta(days=OPENED_DAYS_AGO), time(9), zone)
    admin = auth_services.setup_practice(
        session, PRACTICE, admin_name=ADMIN_NAME, admin_email=ADMIN_EMAIL,
        password=DEMO_PASSWORD, sees_clients=False, address="", now=opened,
    )
    staff = {member.key: _create_staff(session, member, opened) for member in STAFF}
    clients = {c.details.display_name: _create_client(session, c, staff, opened) for c in CLIENTS}
    visits = _plan(today, zone)
    endings = _endings(visits, now)
    services = _set_up_schedules(session, staff, opened)
    replay = _Replay(session, now, staff, clients, services, endings)
    for number, visit in enumerate(visits):
        replay.play(number, visit)
    conduct_demo.add_demo_conduct(session, now=now, clients=clients, practitioners=staff)
    referrals_demo.add_demo_network(
        session, now=now, clients=list(clients.values()),
        practitioners=[user.practitioner for user in staff.values() if user.practitioner],
        services_by_name={service.name: service.id for service in services.values()})
    letters_demo.add_demo_letters(session, now=now, clients=clients, practitioners=staff, endings=endings)
    _review_past_weeks(session, staff, visits, today, zone)
    return [admin, *staff.values()]


REVIEWED_BEFORE_DAYS = 7  # the last week's days are left for the review page to list


def _review_past_weeks(session, staff: dict[str, User], visits: list["Visit"], today: date, zone: ZoneInfo) -> None:
    """Each practitioner reviewed their working days at seven in the evening, up to a week ago."""
    worked = {(visit.practitioner, visit.start.astimezone(zone).date()) for visit in visits}
    for key, day in sorted(worked, key=lambda pair: (pair[1], pair[0])):
        if day < today - timedelta(days=REVIEWED_BEFORE_DAYS):
            user = staff[key]
            review_services.mark_reviewed(session, Actor(user), user.practitioner, day,
                                          now=scheduling.local_moment(day, time(19), zone))



def _create_staff(session, member: DemoStaff, now: datetime) -> User:
    return auth_services.create_user(
        session, SYSTEM, email=member.email, name=member.name, role=member.role,
        password=DEMO_PASSWORD, credentials=member.credentials, now=now,
    )


def _create_client(session, client: DemoClient, staff: dict[str, User], now: datetime) -> Client:
    practitioner_id = staff[client.practitioner].practitioner.id if client.practitioner else None
    details = replace(client.details, primary_practitioner_id=practitioner_id)
    created = client_services.create_client(
        session, SYSTEM, details, phone_region=PRACTICE.phone_region, now=now
    )
    if client.archived:
        client_services.archive_client(session, SYSTEM, created, now=now)
    return created


def _set_up_schedules(session, staff: dict[str, User], now: datetime) -> dict[str, Service]:
    """The services, each practitioner's hours and the policy; returns the services by key."""
    specialties = {m.name: m.id for m in referral_queries.modalities(session)}
    services = {
        s.key: scheduling.create_service(
            session, SYSTEM, name=s.name, duration_minutes=s.minutes, price_cents=s.price_cents,
            buffer_after_minutes=s.buffer_minutes, specialty_ids=[specialties[n] for n in s.specialties],
            now=now)
        for s in SERVICES
    }
    for key, schedule in SCHEDULES.items():
        practitioner_id = staff[key].practitioner.id
        ranges = [r for day, text in enumerate(schedule.week)
                  for r in scheduling.parse_day_ranges(day, text)]
        scheduling.set_working_hours(session, SYSTEM, practitioner_id, ranges, now=now)
        scheduling.update_schedule(
            session, SYSTEM, practitioner_id, buffer_minutes=schedule.buffer_minutes,
            max_sessions_per_day=schedule.max_sessions_per_day, min_notice_hours=0, now=now)
    policies_demo.set_up(session, POLICY, not_yet_acknowledged=("Wei Zhang", "Jules"), now=now)
    # Anyone may book Amara and Tomasz online; Mei takes online bookings from existing clients only.
    online_booking.update_settings(session, SYSTEM, online_booking.SettingsChange(
        enabled=True, min_notice_hours=24, days_ahead=60, hold_minutes=15,
        practitioners={staff[key].practitioner.id: ("existing" if key == "mei" else "all") for key in SCHEDULES},
        service_ids={service.id for service in services.values()}), now=now)
    return services


# Planning the timetable ----------------------------------------------------------------

@dataclass(frozen=True)
class Visit:
    client: str
    practitioner: str
    service: str  # a DemoService key
    start: datetime
    outcome: Came | NoShow | Cancelled | Unmarked | None = None  # None: as usual
    note: str = ""
    regular: bool = False


class _Rotation:
    """A practitioner's clients without a standing booking, offered each free slot in turn."""

    def __init__(self, practitioner: str):
        standing = {regular.client for regular in REGULARS}
        self.names = [
            c.details.display_name for c in CLIENTS
            if not c.archived and c.details.display_name not in standing
            and (c.practitioner or SEEN_BY.get(c.details.display_name)) == practitioner
        ]
        self.turn = 0

    @property
    def next(self) -> str:
        return self.names[self.turn % len(self.names)]

    def advance(self) -> None:
        self.turn += 1


def _service(client: str, practitioner: str) -> DemoService:
    key = USUAL_SERVICE.get(client, SCHEDULES[practitioner].usual_service)
    return next(s for s in SERVICES if s.key == key)


def _held_minutes(service: DemoService, schedule: DemoSchedule) -> int:
    return service.minutes + max(service.buffer_minutes, schedule.buffer_minutes)


def _minute(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _clock(minute: int) -> time:
    return time(minute // 60, minute % 60)


def _plan(today: date, zone: ZoneInfo) -> list[Visit]:
    """Every appointment from three weeks ago to six days ahead, in order of start."""
    rotations = {key: _Rotation(key) for key in SCHEDULES}
    visits = []
    for offset in range(-7 * HISTORY_WEEKS, COMING_DAYS + 1):
        day = today + timedelta(days=offset)
        for key in SCHEDULES:
            visits += _plan_day(day, key, rotations[key], today, zone)
    return sorted(visits, key=lambda visit: visit.start)


def _plan_day(day: date, key: str, rotation: _Rotation, today: date, zone: ZoneInfo) -> list[Visit]:
    """The day's standing bookings, then the rotation in the time around them."""
    schedule = SCHEDULES[key]
    regulars = [r for r in REGULARS if r.practitioner == key and r.weekday == day.weekday()]
    visits = [_regular_visit(r, day, today, zone) for r in regulars]
    taken = [(_minute(r.start), _minute(r.start) + _held_minutes(_service(r.client, key), schedule))
             for r in regulars]
    candidates = 0
    for _, starts, ends in scheduling.parse_day_ranges(day.weekday(), schedule.week[day.weekday()]):
        for minute, client in _free_starts(_minute(starts), _minute(ends), key, rotation, taken):
            if len(visits) == (schedule.max_sessions_per_day or 24):
                return visits
            if not _kept_open(day, key, candidates):
                start = scheduling.local_moment(day, _clock(minute), zone)
                visits.append(Visit(client, key, _service(client, key).key, start))
                rotation.advance()
            candidates += 1
    return visits


def _free_starts(minute: int, end: int, key: str, rotation: _Rotation, taken: list[tuple[int, int]]):
    """Each start in one range of working time that the rotation's next client would fit,
    session and buffer, around the standing bookings."""
    while True:
        service = _service(rotation.next, key)
        held = _held_minutes(service, SCHEDULES[key])
        if minute + service.minutes > end:
            return
        clash = next((until for since, until in taken if since < minute + held and until > minute), None)
        if clash is not None:
            minute = clash
            continue
        yield minute, rotation.next
        minute = -(-(minute + held) // 15) * 15  # on to the next quarter hour


def _kept_open(day: date, key: str, candidate: int) -> bool:
    """About one slot in four stays free, a different one each day."""
    return (day.toordinal() + candidate + list(SCHEDULES).index(key)) % 4 == 0


def _regular_visit(regular: Regular, day: date, today: date, zone: ZoneInfo) -> Visit:
    weeks_ago = -(-(today - day).days // 7)  # 1 for the last seven days
    outcome = regular.history[HISTORY_WEEKS - weeks_ago] if day < today else None
    return Visit(regular.client, regular.practitioner, _service(regular.client, regular.practitioner).key,
                 scheduling.local_moment(day, regular.start, zone), outcome, regular.note, regular=True)


def _endings(visits: list[Visit], now: datetime) -> dict[str, datetime]:
    """When each discontinued client's letter is issued."""
    endings = {name: now - ago for name, ago in SAFETY_DISCONTINUED.items()}
    for name in DISCONTINUED:
        last = max(v.start for v in visits if v.client == name and v.outcome is not None)
        endings[name] = min(last + timedelta(days=1), now - timedelta(hours=1))
    return endings

# Playing it out ------------------------------------------------------------------------

@dataclass
class _Replay:
    """Books each visit, then does what happened at it through the services, each step at
    its own moment: the front desk books, checks in, takes payment; the practitioner waives
    fees. Steps after `now` have not happened yet."""

    session: object
    now: datetime
    staff: dict[str, User]
    clients: dict[str, Client]
    services: dict[str, Service]
    endings: dict[str, datetime]  # client -> their letter: later sessions are left to it

    @property
    def actor(self) -> Actor:
        return Actor(self.staff["desk"])

    def play(self, number: int, visit: Visit) -> None:
        appointment = self.book(number, visit)
        if visit.start >= min(self.now, self.endings.get(visit.client, self.now)):
            return
        for moment, step in sorted(self.steps(appointment, visit, visit.outcome or _usual(number)),
                                   key=lambda pair: pair[0]):
            if moment > self.now:
                return
            step(moment)

    def book(self, number: int, visit: Visit) -> Appointment:
        ahead = timedelta(days=7) if visit.regular else timedelta(days=1 + number % 9, hours=number % 5)
        booked_at = min(visit.start - ahead, self.now - timedelta(hours=1 + number % 20))
        request = scheduling.BookingRequest(
            self.clients[visit.client].id, self.staff[visit.practitioner].practitioner.id,
            self.services[visit.service].id, visit.start, visit.note)
        return scheduling.book(self.session, self.actor, request, now=booked_at)

    def steps(self, appointment: Appointment, visit: Visit, outcome) -> list:
        if isinstance(outcome, Came):
            return self.came(appointment, outcome)
        if isinstance(outcome, NoShow):
            return self.no_show(appointment, outcome, Actor(self.staff[visit.practitioner]))
        if isinstance(outcome, Unmarked):
            return []
        return self.cancelled(appointment, outcome)

    def came(self, appointment: Appointment, came: Came) -> list:
        s, actor = self.session, self.actor
        amount = appointment.price_cents if came.paid_cents is None else came.paid_cents
        return [
            (appointment.start_at + timedelta(minutes=came.late),
             lambda at: scheduling.check_in(s, actor, appointment, at, now=at)),
            (appointment.end_at + timedelta(days=came.paid_days_later, minutes=2),
             lambda at: scheduling.record_payment(s, actor, appointment, amount_cents=amount,
                                                  method=came.method, now=at)),
            (appointment.end_at + timedelta(minutes=5),
             lambda at: scheduling.complete(s, actor, appointment, now=at)),
        ]

    def no_show(self, appointment: Appointment, no_show: NoShow, practitioner: Actor) -> list:
        s = self.session
        steps = [(appointment.start_at + timedelta(minutes=20),
                  lambda at: scheduling.mark_no_show(s, self.actor, appointment, now=at))]
        if no_show.waiver:
            steps.append((appointment.start_at + timedelta(days=1),
                          lambda at: scheduling.waive_fee(s, practitioner, appointment,
                                                          no_show.waiver, now=at)))
        return steps

    def cancelled(self, appointment: Appointment, cancelled: Cancelled) -> list:
        s, actor = self.session, self.actor
        moment = appointment.start_at - timedelta(hours=cancelled.hours_before)
        steps = [(moment, lambda at: scheduling.cancel(s, actor, appointment, cancelled.reason, now=at))]
        if cancelled.fee_paid_days_later is not None:
            steps.append((moment + timedelta(days=cancelled.fee_paid_days_later),
                          lambda at: scheduling.record_payment(
                              s, actor, appointment, amount_cents=appointment.fee_cents,
                              method="card", now=at)))
        return steps


def _usual(number: int) -> Came:
    """Most clients arrive a few minutes early and pay in full; now and then one is a few
    minutes late, inside the grace period."""
    late = 3 + number % 7 if number % 9 == 4 else -(number % 4)
    return Came(late=late, method=USUAL_METHODS[number % len(USUAL_METHODS)])
