"""A fictional demo practice: staff accounts and clients to explore the app with.

Everything here is made up. The data is fixed, so every demo install looks the same and
the logins in the README stay true."""

from dataclasses import dataclass, replace
from datetime import date, datetime

from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.auth.models import Role, User
from practice.clients import services as client_services
from practice.clients.services import ClientDetails
from practice.errors import DomainError
from practice.settings.services import PracticeDetails

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
)


def build_demo(session, now: datetime) -> list[User]:
    """Create the demo practice, its accounts and clients; return the accounts.

    Only on an empty database: demo clients mixed into real records would be a mess."""
    if not auth_services.setup_needed(session):
        raise DomainError(
            "The database already has accounts. The demo only fills an empty database."
        )
    admin = auth_services.setup_practice(
        session, PRACTICE, admin_name=ADMIN_NAME, admin_email=ADMIN_EMAIL,
        password=DEMO_PASSWORD, sees_clients=False, address="", now=now,
    )
    staff = {member.key: _create_staff(session, member, now) for member in STAFF}
    for client in CLIENTS:
        _create_client(session, client, staff, now)
    return [admin, *staff.values()]


def _create_staff(session, member: DemoStaff, now: datetime) -> User:
    return auth_services.create_user(
        session, SYSTEM, email=member.email, name=member.name, role=member.role,
        password=DEMO_PASSWORD, credentials=member.credentials, now=now,
    )


def _create_client(session, client: DemoClient, staff: dict[str, User], now: datetime) -> None:
    practitioner_id = staff[client.practitioner].practitioner.id if client.practitioner else None
    details = replace(client.details, primary_practitioner_id=practitioner_id)
    created = client_services.create_client(
        session, SYSTEM, details, phone_region=PRACTICE.phone_region, now=now
    )
    if client.archived:
        client_services.archive_client(session, SYSTEM, created, now=now)
