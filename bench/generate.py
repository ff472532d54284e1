"""A synthetic practice of a chosen size, built through the app's own models.

The staff, services, hours and calendar feed go through the services, as a person would
create them. The bulk (clients, five years of appointments with every outcome, payments,
the conduct record, communications, standings, the referral network, letters, the audit
trail) is inserted with SQLAlchemy core on the models' tables: through the services it
would take hours. The conduct record is hash-chained with practice.conduct.chain, so
`practice verify-log` passes on it. Everything follows one seed, so a size is the same
practice every time (but for the token in the feed's URL and the migrations' timestamps).

The shapes follow the pages that matter at scale: one featured client with a long history
and a long conduct record (the client page, the conduct record, the evidence report), one
busy practitioner (today, the calendar, the review, the feed), a directory of colleagues
to match against, a letter register and an audit trail to page through."""

import bisect
import hashlib
import io
import random
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, insert, select

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.auth.models import Practitioner, User
from practice.clients.models import Client, PrivateNote, StandingChange
from practice.conduct import chain
from practice.conduct.models import Attachment, Communication, ConductEntry, IncidentCategory
from practice.letters.models import Letter
from practice.letters.render import LetterPage, practice_lines, render_letter
from practice.policies.models import Policy, PolicyAcknowledgement, PolicyClause
from practice.reports import summary
from practice.review.models import ReviewedDay
from practice.scheduling import feeds
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment, Payment, TimeBlock
from practice.settings.services import PracticeDetails, get_practice
from referrals.models import (
    Inquiry,
    Modality,
    Referral,
    Specialist,
    inquiry_need,
    referral_need,
    specialist_modality,
)
from referrals.services import normalise

SEED = 13
# A Monday morning: "today" has sessions behind and ahead of it, "yesterday" is a full day.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
ZONE = ZoneInfo("Europe/London")
PASSWORD = "bench-practice-2026"
ADMIN_EMAIL = "admin@bench.practice"
DAY_OPENS, DAY_CLOSES = 7 * 60, 22 * 60  # minutes after local midnight, every day
CHUNK = 5000  # rows per INSERT batch


@dataclass(frozen=True)
class Size:
    """How much of everything; `times` scales it for the query-count test."""

    name: str
    practitioners: int
    clients: int
    appointments: int
    entries: int
    specialists: int
    letters: int
    referrals: int
    inquiries: int
    audit_events: int
    featured_appointments: int
    featured_entries: int
    import_rows: int  # rows of the client CSV the benchmark imports
    years: int = 5
    weeks_ahead: int = 26  # booked ahead: the feed reaches 180 days

    def times(self, factor: int, name: str | None = None) -> "Size":
        """As many practitioners over as many years, `factor` times everything else."""
        scaled = {key: value * factor for key, value in asdict(self).items()
                  if isinstance(value, int) and key not in ("practitioners", "years", "weeks_ahead")}
        return replace(self, name=name or f"{self.name}x{factor}", **scaled)


SIZES = {
    "demo": Size("demo", practitioners=4, clients=60, appointments=4_000, entries=400,
                 specialists=30, letters=12, referrals=50, inquiries=30, audit_events=2_000,
                 featured_appointments=60, featured_entries=30, import_rows=100, years=1),
    "large": Size("large", practitioners=20, clients=20_000, appointments=500_000, entries=50_000,
                  specialists=3_000, letters=1_000, referrals=5_000, inquiries=3_000,
                  audit_events=100_000, featured_appointments=1_000, featured_entries=500,
                  import_rows=5_000),
}


@dataclass
class Landmarks:
    """What the benchmark needs to find in a built practice (kept beside the cached copy)."""

    size: str
    admin_email: str
    password: str
    featured_client_id: int  # the long history and the long conduct record
    practitioner_id: int     # the featured client's practitioner: the busiest calendar
    feed_token: str
    today: str               # ISO days, local to the practice
    review_day: str
    modality_id: int         # the need matched against the directory
    search: str              # a surname many clients share
    counts: dict = field(default_factory=dict)


# Vocabulary ------------------------------------------------------------------------------

FIRST_NAMES = (
    "Aaliyah", "Abdul", "Ada", "Adebayo", "Aisha", "Alex", "Amani", "Amir", "Ana", "Anjali",
    "Ben", "Bianca", "Callum", "Carmen", "Chen", "Chloe", "Dara", "David", "Deepa", "Eilidh",
    "Elena", "Emeka", "Erin", "Fatima", "Finn", "Gareth", "Grace", "Hamza", "Hana", "Imogen",
    "Isaac", "Jamal", "Jia", "Joanna", "Jonah", "Kavya", "Keisha", "Kofi", "Lars", "Layla",
    "Leon", "Lucia", "Maeve", "Malik", "Marta", "Mateo", "Mia", "Nadia", "Niamh", "Nikhil",
    "Noor", "Oisin", "Olu", "Paolo", "Priya", "Rafael", "Rhys", "Rosa", "Ruth", "Sana",
    "Sean", "Sofia", "Tariq", "Tess", "Tomas", "Una", "Vikram", "Wen", "Yusuf", "Zara",
)
SURNAMES = (
    "Adeyemi", "Ahmed", "Ali", "Anderson", "Baker", "Begum", "Brown", "Campbell", "Chowdhury",
    "Clarke", "Cohen", "Davies", "Doherty", "Evans", "Fernandes", "Fraser", "Green", "Gupta",
    "Hall", "Hussain", "Ibrahim", "Jackson", "James", "Jones", "Kaur", "Kelly", "Khan",
    "Kowalski", "Lewis", "Li", "Martin", "Mensah", "Murphy", "Nguyen", "Novak", "O'Brien",
    "Okafor", "Owusu", "Patel", "Price", "Rahman", "Roberts", "Rossi", "Scott", "Shah",
    "Singh", "Smith", "Taylor", "Thomas", "Walker", "Wang", "Watson", "White", "Williams",
    "Wilson", "Wright", "Yilmaz", "Young", "Zhang",
)
SEARCHED_SURNAME = "Patel"
AREAS = ("Headingley", "Chapel Allerton", "Roundhay", "Horsforth", "Kirkstall", "Meanwood",
         "Armley", "Harehills", "Beeston", "Morley", "Otley", "Wetherby", "Garforth", "Pudsey")
SOURCES = ("Recommended by a friend", "Suggested by their GP", "Found us online",
           "Running club noticeboard", "Referred by a physiotherapist", "")
SERVICES = (  # name, minutes, price in pence, buffer after, how often it is booked
    ("Massage, 30 minutes", 30, 3500, 0, 35),
    ("Remedial massage, 45 minutes", 45, 4800, 5, 30),
    ("Remedial massage, 60 minutes", 60, 6000, 10, 25),
    ("Deep tissue, 90 minutes", 90, 8500, 15, 10),
)
BREACHES = (  # outcome, share of the breaches
    ("late", 36), ("no_show", 20), ("late_cancel", 20), ("non_payment", 9), ("short", 10),
    ("waived_no_show", 5),
)
CANCEL_REASONS = ("Unwell", "Work came up", "Childcare fell through", "Car broke down",
                  "Away that week", "Forgot another commitment")
WAIVER_REASONS = ("A family emergency", "Snow closed the roads", "First time; reminded of the policy")
METHODS = ("card", "card", "card", "cash", "transfer")
CHANNELS = ("in_person", "phone", "text", "email", "social_media", "gift")
INCIDENTS = {
    "constant_contact": "Sent a run of messages late in the evening asking to talk.",
    "drops_in": "Came to reception without a booking and asked to wait.",
    "gifts": "Left flowers and a card at reception.",
    "approaches_outside": "Waited near the car park after the last session.",
    "romantic": "Said they had feelings for the practitioner and hoped to meet outside work.",
    "rescue": "Offered to pay for the practitioner to open their own studio.",
    "unwanted_disclosure": "Kept returning to personal matters after being redirected.",
    "will_not_leave": "Stayed in the room for twenty minutes after the session ended.",
    "pressure": "Asked again for treatment outside the agreed areas.",
    "personal_information": "Asked for the practitioner's home address.",
    "uncomfortable": "Stood too close in the corridor; the practitioner felt uneasy.",
    "stalking": "Seen outside the practitioner's home on two evenings.",
    "threats": "Raised their voice and blocked the doorway when told the policy.",
}
NEEDS = ("Pelvic girdle pain in late pregnancy", "Recurring hamstring strain from running",
         "Lower back pain that needs assessment", "Anxiety that massage alone does not ease",
         "Swelling after surgery", "Jaw tension and headaches", "Shoulder stiffness at a desk job")
PROFESSIONS = {"Physiotherapy": "Physiotherapist", "Chiropractic": "Chiropractor",
               "Osteopathy": "Osteopath", "Counselling": "Counsellor", "Acupuncture": "Acupuncturist",
               "Podiatry": "Podiatrist", "Pilates": "Pilates teacher", "Nutrition": "Nutritionist",
               "Reflexology": "Reflexologist"}
INQUIRY_STATUSES = ("open", "waitlisted", "offered", "client", "declined", "referred", "withdrawn")


def build(session, size: Size, *, now: datetime = NOW, seed: int = SEED) -> Landmarks:
    """Fill an empty, migrated database with a practice of `size`; return its landmarks."""
    return _Builder(session, size, now, seed).run()


def _at(day: date, minutes: int) -> datetime:
    """A local wall-clock time on `day` as a UTC moment."""
    return datetime.combine(day, time(minutes // 60, minutes % 60), ZONE).astimezone(timezone.utc)


def _money(cents: int) -> str:
    return f"GBP {cents // 100:,}.{cents % 100:02d}"


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(out, "PNG")
    return out.getvalue()


class _Builder:
    def __init__(self, session, size: Size, now: datetime, seed: int):
        self.session, self.size, self.now, self.seed = session, size, now, seed
        self.rng = random.Random(seed)
        self.today = now.astimezone(ZONE).date()
        self.first_day = self.today - timedelta(days=365 * size.years)
        self.last_day = self.today + timedelta(weeks=size.weeks_ahead)
        self.setup_at = _at(self.first_day - timedelta(days=60), 9 * 60)
        self.entries: list[dict] = []
        self.client_last_start: dict[int, datetime] = {}
        self.worked_days: dict[int, set[date]] = {}

    def run(self) -> Landmarks:
        self._staff()
        self._policies()
        self._clients()
        self._appointments()
        self._incidents()
        self._conduct_record()
        self._communications_and_standings()
        self._directory()
        self._referrals_and_inquiries()
        self._letters()
        self._reviews_and_notes()
        self._audit_trail()
        # The rows went in as bulk INSERTs, which the summary's listener does not see.
        summary.rebuild(self.session)
        self.session.commit()
        return self._landmarks()

    # Helpers -------------------------------------------------------------------------

    def _insert(self, model_or_table, rows: list[dict]) -> None:
        table = getattr(model_or_table, "__table__", model_or_table)
        for start in range(0, len(rows), CHUNK):
            self.session.execute(insert(table), rows[start:start + CHUNK])

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _moment_between(self, first: datetime, last: datetime) -> datetime:
        seconds = max(0, int((last - first).total_seconds()))
        return first + timedelta(seconds=self.rng.randint(0, seconds))

    def _policy_at(self, moment: datetime) -> int:
        day = moment.astimezone(ZONE).date()
        index = bisect.bisect_right(self.policy_days, day) - 1
        return self.policy_ids[max(index, 0)]

    # Staff, services, hours, feed (through the services) --------------------------------

    def _staff(self) -> None:
        session, at = self.session, self.setup_at
        self.admin = auth_services.setup_practice(
            session, PracticeDetails(
                name="Kirkgate Massage & Wellness", timezone="Europe/London", currency="GBP",
                phone_region="GB", address="18 Kirkgate\nLeeds\nLS2 7DJ", phone="0113 496 0555",
                email="hello@kirkgate.example.com", website="https://kirkgate.example.com"),
            admin_name="Robin Hale", admin_email=ADMIN_EMAIL, password=PASSWORD,
            sees_clients=False, address="127.0.0.1", now=at)
        self.users: dict[int, int] = {}  # practitioner id -> user id
        for number in range(1, self.size.practitioners + 1):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            user = auth_services.create_user(
                session, SYSTEM, email=f"practitioner{number}@bench.practice", name=name,
                role="practitioner", password=None, credentials="Dip. Remedial Massage", now=at)
            user.password_hash = self.admin.password_hash  # one slow hash is enough
            self.users[user.practitioner.id] = user.id
        desk = auth_services.create_user(session, SYSTEM, email="desk@bench.practice", name="Sam Desk",
                                         role="front_desk", password=None, now=at)
        desk.password_hash = self.admin.password_hash
        self.desk_id = desk.id
        session.commit()
        self.practitioner_ids = sorted(self.users)
        self.featured_practitioner = self.practitioner_ids[0]
        self.services = [
            scheduling.create_service(session, SYSTEM, name=name, duration_minutes=minutes,
                                      price_cents=price, buffer_after_minutes=buffer, now=at)
            for name, minutes, price, buffer, _ in SERVICES]
        self.service_weights = [weight for *_, weight in SERVICES]
        self.buffers = {}
        for index, pid in enumerate(self.practitioner_ids):
            scheduling.set_working_hours(session, SYSTEM, pid, [(d, time(7), time(22)) for d in range(7)], now=at)
            self.buffers[pid] = (0, 5, 10, 15)[index % 4]
            scheduling.update_schedule(session, SYSTEM, pid, buffer_minutes=self.buffers[pid],
                                       max_sessions_per_day=None, min_notice_hours=0, now=at)
        feeds.enable_feed(session, SYSTEM, self.featured_practitioner, now=at)
        schedule = scheduling.schedule_for(session, self.featured_practitioner)
        schedule.feed_token = f"bench{self.rng.getrandbits(128):032x}"  # seeded, unlike the service's
        self.feed_token = schedule.feed_token
        session.commit()

    # Policy versions: one a year, as a practice revises its terms ----------------------

    def _policies(self) -> None:
        first = self.session.execute(select(Policy.__table__).order_by(Policy.version)).mappings().first()
        base = {key: value for key, value in first.items() if key not in ("id", "version", "effective_from")}
        rows = []
        for year in range(1, self.size.years + 1):
            rows.append(base | {
                "version": 1 + year, "effective_from": self.first_day + timedelta(days=365 * year - 200),
                "cancellation_window_hours": 24 if year % 2 else 48,
                "escalate_late_arrivals": 3 + year % 2, "created_at": self.setup_at,
                "created_by_id": self.admin.id,
            })
        self._insert(Policy, rows)
        versions = self.session.execute(select(Policy.id, Policy.effective_from).order_by(Policy.version)).all()
        written = self.session.execute(select(PolicyClause.topic, PolicyClause.text)
                                       .where(PolicyClause.policy_id == first["id"])
                                       .order_by(PolicyClause.position)).all()
        self._insert(PolicyClause, [
            {"policy_id": row.id, "position": position, "topic": topic,
             "text": f"{text} (revised in year {year})" if position == 1 else text}
            for year, row in enumerate(versions[1:], start=1)
            for position, (topic, text) in enumerate(written, start=1)])
        self.policy_ids = [row.id for row in versions]
        self.policy_days = [row.effective_from for row in versions]

    # Clients ---------------------------------------------------------------------------

    def _clients(self) -> None:
        rng, size = self.rng, self.size
        rows, acknowledgements = [], []
        history_start = _at(self.first_day, 8 * 60)
        self.clients_of: dict[int, list[tuple[datetime, int]]] = {pid: [] for pid in self.practitioner_ids}
        self.client_practitioner: dict[int, int] = {}
        self.archived: set[int] = set()
        for client_id in range(1, size.clients + 1):
            pid = self.practitioner_ids[(client_id - 1) % len(self.practitioner_ids)]
            first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            # The first two clients of each practitioner (the featured one among them) and a
            # third of the rest were clients before the history starts; the rest arrive over it.
            existing = client_id <= 2 * len(self.practitioner_ids) or rng.random() < 0.35
            created = (history_start - timedelta(days=rng.randint(1, 400)) if existing
                       else self._moment_between(history_start, self.now - timedelta(days=2)))
            archived = client_id > len(self.practitioner_ids) and rng.random() < 0.03
            if archived:
                self.archived.add(client_id)
            rows.append({
                "id": client_id, "display_name": f"{first} {surname}",
                "legal_name": f"{first} {surname}" if rng.random() < 0.7 else "",
                "pronouns": rng.choice(("she/her", "he/him", "they/them", "", "")),
                "phone": f"+447{rng.randint(100_000_000, 999_999_999)}",
                "email": f"{first}.{surname}{client_id}@example.org".lower().replace("'", ""),
                "address": f"{rng.randint(1, 120)} {rng.choice(AREAS)} Road\nLeeds\nLS{rng.randint(1, 29)} {rng.randint(1, 9)}AB",
                "date_of_birth": date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                "primary_practitioner_id": pid, "referral_source": rng.choice(SOURCES),
                "standing": "active", "created_at": created,
                "archived_at": self.now - timedelta(days=rng.randint(1, 300)) if archived else None,
            })
            if not archived and client_id != 1:  # the featured client's share is set apart
                self.clients_of[pid].append((created, client_id))
            self.client_practitioner[client_id] = pid
            acknowledgements.append(self._acknowledgement(client_id, created, "signed_at_intake"))
            if rng.random() < 0.6:
                acknowledgements.append(self._acknowledgement(client_id, self.now - timedelta(days=rng.randint(1, 150)), "accepted_at_booking"))
        rows[0]["display_name"], rows[0]["legal_name"] = "Morgan Featherstone", "Morgan Featherstone"
        self._insert(Client, rows)
        self._insert(PolicyAcknowledgement, acknowledgements)
        for pid in self.clients_of:
            self.clients_of[pid].sort()
        self.all_clients = sorted(c for clients in self.clients_of.values() for c in clients)
        self.all_times = [c[0] for c in self.all_clients]
        self.times_of = {pid: [c[0] for c in clients] for pid, clients in self.clients_of.items()}

    def _acknowledgement(self, client_id: int, at: datetime, method: str) -> dict:
        return {"client_id": client_id, "policy_id": self._policy_at(at), "acknowledged_on": at.astimezone(ZONE).date(),
                "method": method, "note": "", "recorded_at": at, "recorded_by_id": self.desk_id}

    def _client_for(self, pid: int, start: datetime) -> int:
        """One of the practitioner's clients (now and then anyone's) who existed by `start`."""
        clients, times = self.clients_of[pid], self.times_of[pid]
        if self.rng.random() < 0.08:
            clients, times = self.all_clients, self.all_times
        available = bisect.bisect_right(times, start - timedelta(days=1))
        return clients[self.rng.randrange(max(available, 1))][1]

    # Appointments, payments and their automatic conduct entries -----------------------

    def _day_plan(self, rng: random.Random, day: date) -> list[tuple[int, int, int, int]] | None:
        """One practitioner's day as (service index, start, end, held until) in minutes, back
        to back from opening; None for a day off (never in the week around today)."""
        if rng.random() < 0.05 and self._fullness(day) is not None:
            return None
        slots, minute = [], DAY_OPENS + rng.choice((0, 0, 15, 30))
        while True:
            index = rng.choices(range(len(SERVICES)), self.service_weights)[0]
            end = minute + SERVICES[index][1]
            if end > DAY_CLOSES:
                return slots
            held = end + max(SERVICES[index][3], self.current_buffer)
            slots.append((index, minute, end, held))
            minute = held + rng.choice((0, 0, 0, 15))

    def _fullness(self, day: date) -> float | None:
        """How much of a day is booked, relative to the rest of the history; None: all of it.
        The week around today is full at every size, so the day's pages always have rows;
        the months ahead fill less the further away they are."""
        if self.today - timedelta(days=7) <= day <= self.today + timedelta(days=1):
            return None
        if day > self.today:
            return max(0.3, 1 - (day - self.today).days / 200)
        return 1.0

    def _days(self):
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def _appointments(self) -> None:
        size = self.size
        # A first pass counts the slots the days offer: [full days, other days weighted], per
        # practitioner and for the past alone.
        offered = {pid: [0.0, 0.0] for pid in [*self.practitioner_ids, "past"]}
        for pid in self.practitioner_ids:
            self.current_buffer = self.buffers[pid]
            rng = random.Random(f"{self.seed}-schedule-{pid}")
            for day in self._days():
                slots, fullness = len(self._day_plan(rng, day) or ()), self._fullness(day)
                for key in (pid, "past") if day < self.today else (pid,):
                    offered[key][fullness is not None] += slots * (fullness or 1)
        total_full = sum(offered[pid][0] for pid in self.practitioner_ids)
        total_weighted = sum(offered[pid][1] for pid in self.practitioner_ids)
        keep = min(1.0, (size.appointments - total_full) / total_weighted)
        full, weighted = offered[self.featured_practitioner]
        featured_share = min(0.9, size.featured_appointments / max(1.0, full + keep * weighted))
        expected_past = offered["past"][0] + keep * offered["past"][1]
        breaches_wanted = 0.9 * (size.entries - size.featured_entries)
        self.breach_rate = min(0.5, breaches_wanted / 1.05 / max(1, expected_past - size.featured_appointments))
        self.featured_breach_rate = min(0.95, 0.85 * size.featured_entries / 1.05 / max(1, size.featured_appointments))
        self.next_id = 1
        appointments, payments, blocks, audit = [], [], [], []
        for pid in self.practitioner_ids:
            self.current_buffer = self.buffers[pid]
            rng = random.Random(f"{self.seed}-schedule-{pid}")
            worked = self.worked_days.setdefault(pid, set())
            for day in self._days():
                plan = self._day_plan(rng, day)
                fullness = self._fullness(day)
                kept = 1.0 if fullness is None else keep * fullness
                if plan is None:
                    blocks.append({"practitioner_id": pid, "start_at": _at(day, DAY_OPENS), "end_at": _at(day, DAY_CLOSES),
                                   "reason": "Day off", "source": "manual", "external_uid": None, "occurrence_key": None})
                    continue
                for index, start, end, held in plan:
                    if self.rng.random() >= kept:
                        continue
                    featured = pid == self.featured_practitioner and self.rng.random() < featured_share
                    row = self._appointment(pid, day, index, start, end, held, featured, payments)
                    appointments.append(row)
                    worked.add(day)
                    if self.rng.random() < 0.02:
                        audit.append(self._audit("appointment.reschedule", "Appointment", row["id"],
                                                 row["created_at"] + timedelta(hours=2)))
                if len(appointments) >= CHUNK * 4:
                    self._flush_appointments(appointments, payments)
        self._flush_appointments(appointments, payments)
        self._insert(TimeBlock, blocks)
        self._insert(AuditEvent, audit)

    def _flush_appointments(self, appointments: list, payments: list) -> None:
        self._insert(Appointment, appointments)
        self._insert(Payment, payments)
        appointments.clear()
        payments.clear()

    def _appointment(self, pid, day, index, start_minute, end_minute, held_minute, featured, payments) -> dict:
        rng = self.rng
        start, end, held = _at(day, start_minute), _at(day, end_minute), _at(day, held_minute)
        service = self.services[index]
        client_id = 1 if featured else self._client_for(pid, start)
        self.client_last_start[client_id] = max(start, self.client_last_start.get(client_id, start))
        created = min(start - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600)),
                      self.now - timedelta(hours=1))
        row = {
            "id": self.next_id, "uuid": self._uuid(), "client_id": client_id, "practitioner_id": pid,
            "service_id": service.id, "start_at": start, "end_at": end, "held_until": held,
            "status": "booked", "arrived_at": None, "late_minutes": None, "cancelled_at": None,
            "cancel_reason": "", "price_cents": service.price_cents, "fee_cents": 0, "fee_waived": False,
            "fee_waiver_reason": "", "notes": "Prefers firm pressure." if rng.random() < 0.05 else "",
            "created_at": created, "created_by_id": self.desk_id,
        }
        self.next_id += 1
        if start >= self.now:
            if rng.random() < 0.04:
                cancelled = self._moment_between(created, self.now - timedelta(minutes=5))
                row.update(status="cancelled", cancelled_at=cancelled, cancel_reason=rng.choice(CANCEL_REASONS))
            return row
        if end > self.now:  # in the room right now
            row.update(status="arrived", arrived_at=start, late_minutes=0)
            return row
        if self.now - start < timedelta(days=3) and rng.random() < 0.04:
            return row  # nobody marked it yet: the review asks to settle it
        rate = self.featured_breach_rate if featured else self.breach_rate
        if rng.random() < rate:
            outcome = rng.choices([b for b, _ in BREACHES], [w for _, w in BREACHES])[0]
        else:
            outcome = "cancelled" if rng.random() < 0.08 else "on_time"
        self._settle(row, outcome, payments)
        return row

    def _pay(self, payments: list, row: dict, amount: int, at: datetime) -> None:
        payments.append({"appointment_id": row["id"], "client_id": row["client_id"], "amount_cents": amount,
                         "method": self.rng.choice(METHODS), "paid_at": at, "recorded_at": at,
                         "recorded_by_id": self.desk_id})

    def _settle(self, row: dict, outcome: str, payments: list) -> None:
        """What happened at a past appointment: the row, its payments, its conduct entries."""
        rng, start, end, price = self.rng, row["start_at"], row["end_at"], row["price_cents"]
        marked = min(end + timedelta(minutes=rng.randint(0, 50)), self.now)
        if outcome in ("on_time", "late", "non_payment", "short"):
            late = rng.randint(11, 45) if outcome == "late" else max(0, rng.randint(-10, 8))
            arrived = start + timedelta(minutes=late)
            row.update(status="completed", arrived_at=arrived, late_minutes=late)
            if outcome == "late":
                self._automatic("late_arrival", row, occurred_from=start, occurred_to=arrived, minutes=late,
                                note="Grace period 10 minutes; the session still ended on time.", recorded_at=arrived)
            if outcome == "non_payment":
                self._automatic("non_payment", row, occurred_from=end, amount_cents=price,
                                note=f"Due {_money(price)}, paid {_money(0)}.", recorded_at=end)
            elif outcome == "short":
                paid = price // 2
                self._pay(payments, row, paid, end)
                self._automatic("short_payment", row, occurred_from=end, amount_cents=price - paid,
                                note=f"Due {_money(price)}, paid {_money(paid)}.", recorded_at=end)
            else:
                self._pay(payments, row, price, end)
        elif outcome in ("no_show", "waived_no_show"):
            row.update(status="no_show", fee_cents=price)
            self._automatic("no_show", row, occurred_from=start, occurred_to=end, amount_cents=price, recorded_at=marked)
            if outcome == "waived_no_show":
                reason = rng.choice(WAIVER_REASONS)
                waived = min(marked + timedelta(days=1), self.now)
                row.update(fee_waived=True, fee_waiver_reason=reason)
                self._automatic("fee_waived", row, occurred_from=waived, amount_cents=price, note=reason,
                                recorded_at=waived)
            elif rng.random() < 0.5:
                self._pay(payments, row, price, min(end + timedelta(days=rng.randint(1, 10)), self.now))
        elif outcome == "late_cancel":
            hours = rng.randint(1, 20)
            cancelled = start - timedelta(hours=hours, minutes=rng.randint(0, 59))
            fee = price // 2
            reason = rng.choice(CANCEL_REASONS)
            row.update(status="late_cancelled", cancelled_at=cancelled, cancel_reason=reason, fee_cents=fee)
            self._automatic("late_cancellation", row, occurred_from=cancelled, amount_cents=fee,
                            note=f"Cancelled {(start - cancelled).total_seconds() / 3600:.1f} hours before the "
                                 f"start (window 24 hours). Reason given: {reason}", recorded_at=cancelled)
            if rng.random() < 0.5:
                self._pay(payments, row, fee, min(start + timedelta(days=rng.randint(1, 10)), self.now))
        else:  # cancelled well ahead: no fee, nothing recorded
            cancelled = max(row["created_at"], start - timedelta(hours=rng.randint(30, 200)))
            row.update(status="cancelled", cancelled_at=cancelled, cancel_reason=rng.choice(CANCEL_REASONS))

    @staticmethod
    def _entry_values(**values) -> dict:
        """Every hashed field of an entry (as services._entry sets them before hashing)."""
        defaults = dict(
            category_id=None, severity=None, safety=False, occurred_to=None, recorded_by_id=None,
            appointment_id=None, policy_id=None, minutes=None, amount_cents=None, location="",
            channel=None, description="", response="", effect="", witnesses="",
            police_reference="", note="", corrects_id=None, withdrawn=False, related_ids="",
        )
        return defaults | values

    def _automatic(self, kind: str, row: dict, *, occurred_from: datetime, recorded_at: datetime, **values) -> None:
        self.entries.append(self._entry_values(
            client_id=row["client_id"], kind=kind, occurred_from=occurred_from, recorded_at=min(recorded_at, self.now),
            source="automatic", appointment_id=row["id"], policy_id=self._policy_at(occurred_from), **values))

    # Incidents, corrections and the chain ---------------------------------------------

    def _incidents(self) -> None:
        rng, size = self.rng, self.size
        categories = self.session.execute(
            select(IncidentCategory.id, IncidentCategory.code, IncidentCategory.safety).order_by(IncidentCategory.id)).all()
        featured_incidents = max(1, size.featured_entries - sum(1 for e in self.entries if e["client_id"] == 1))
        others = max(0, size.entries - len(self.entries) - featured_incidents)
        # Incidents gather on a few clients, as they do in life.
        troubled = rng.sample(range(2, size.clients + 1), k=max(1, min(size.clients - 1, size.clients // 60)))
        history_start = _at(self.first_day, 9 * 60)
        self.attached: list[dict] = []
        for number in range(featured_incidents + others):
            client_id = 1 if number < featured_incidents else rng.choice(troubled)
            category = rng.choice(categories)
            occurred = self._moment_between(history_start, self.now - timedelta(hours=2))
            recorded = min(occurred + timedelta(hours=rng.randint(1, 30)), self.now)
            pid = self.client_practitioner[client_id]
            entry = self._entry_values(
                client_id=client_id, kind="safety" if category.safety else "boundary", category_id=category.id,
                severity=rng.choice(("low", "medium", "high")), safety=category.safety,
                occurred_from=occurred, recorded_at=recorded, recorded_by_id=self.users[pid], source="manual",
                policy_id=self._policy_at(occurred), location=rng.choice(("Reception", "Treatment room 2", "Car park", "")),
                channel=rng.choice(CHANNELS), description=INCIDENTS[category.code],
                response="Reminded them of the practice's policy and ended the conversation.",
                effect="Felt uneasy for the rest of the day." if rng.random() < 0.5 else "",
                witnesses="Sam at reception" if rng.random() < 0.3 else "",
                police_reference=f"13/{rng.randint(10000, 99999)}/{occurred.year % 100}" if category.safety and rng.random() < 0.4 else "",
            )
            self.entries.append(entry)
            if client_id == 1 and len(self.attached) < 10 or rng.random() < 0.004:
                self.attached.append(entry)
            if rng.random() < 0.02:  # a correction, recorded a day later
                correction = dict(entry, recorded_at=min(recorded + timedelta(days=1), self.now),
                                  note="Corrected: the time was noted wrongly at first.",
                                  withdrawn=rng.random() < 0.3, corrects=entry)
                self.entries.append(correction)

    def _conduct_record(self) -> None:
        """Chain the entries in the order they were recorded, with their attachments."""
        order = sorted(range(len(self.entries)), key=lambda i: (self.entries[i]["recorded_at"], i))
        rows = [self.entries[i] for i in order]
        for seq, row in enumerate(rows, start=1):
            row["id"] = row["seq"] = seq
        images = [_png(color) for color in ((200, 80, 60), (60, 120, 200), (90, 160, 90))]
        files: dict[int, list] = {}
        for number, entry in enumerate(self.attached):
            data = images[number % len(images)]
            files[entry["id"]] = [{"entry_id": entry["id"], "filename": f"evidence-{number + 1}.png",
                                   "media_type": "image/png", "size": len(data),
                                   "sha256": hashlib.sha256(data).hexdigest(), "data": data}]
        prev = chain.GENESIS
        for row in rows:
            corrected = row.pop("corrects", None)
            if corrected is not None:
                row["corrects_id"] = corrected["id"]
            row["prev_hash"] = prev
            attachments = [SimpleNamespace(**a) for a in files.get(row["id"], [])]
            row["hash"] = prev = chain.entry_hash(SimpleNamespace(**row), attachments)
        self._insert(ConductEntry, rows)
        self._insert(Attachment, [a for found in files.values() for a in found])
        self.entries = rows

    # What the practice told clients, and the standings it decided ---------------------

    def _communications_and_standings(self) -> None:
        rng = self.rng
        by_client: dict[int, list[dict]] = {}
        for entry in self.entries:
            by_client.setdefault(entry["client_id"], []).append(entry)
        communications, changes, standings = [], [], {}
        ladder = ((4, "policy_reminder", "watch"), (8, "warning", "warned"), (12, "final_notice", None))
        for client_id, entries in by_client.items():
            pid = self.client_practitioner[client_id]
            standing = "active"
            for count, entry in enumerate(entries, start=1):
                for threshold, kind, step in ladder:
                    if count != threshold and not (client_id == 1 and kind == "policy_reminder" and count % 50 == 0):
                        continue
                    at = min(entry["recorded_at"] + timedelta(days=1), self.now)
                    communications.append({
                        "client_id": client_id, "occurred_at": at, "channel": rng.choice(("phone", "email", "in_person")),
                        "kind": kind, "summary": "Went through the attendance policy and what happens next time.",
                        "recorded_at": at, "recorded_by_id": self.users[pid]})
                    if step and step != standing:
                        changes.append({"client_id": client_id, "from_standing": standing, "to_standing": step,
                                        "reason": f"{count} entries in the conduct record.", "changed_at": at,
                                        "changed_by_id": self.users[pid]})
                        standing = step
            last = self.client_last_start.get(client_id)
            if client_id != 1 and len(entries) >= 15 and last is not None and last < self.now - timedelta(days=30):
                at = min(entries[-1]["recorded_at"] + timedelta(days=2), self.now)
                changes.append({"client_id": client_id, "from_standing": standing, "to_standing": "moved_on",
                                "reason": "The relationship ended after repeated breaches of the policy.",
                                "changed_at": at, "changed_by_id": self.users[pid]})
                standing = "moved_on"
            standings[client_id] = standing
        self._insert(Communication, communications)
        self._insert(StandingChange, changes)
        client = Client.__table__
        for standing in ("watch", "warned", "moved_on"):
            ids = [cid for cid, value in standings.items() if value == standing]
            for start in range(0, len(ids), 500):
                self.session.execute(client.update().where(client.c.id.in_(ids[start:start + 500])).values(standing=standing))
        self.moved_on = [cid for cid, value in standings.items() if value == "moved_on"]

    # The referral network -------------------------------------------------------------

    def _directory(self) -> None:
        rng, size = self.rng, self.size
        modalities = self.session.execute(select(Modality.id, Modality.name).order_by(Modality.id)).all()
        self.modality_ids = [m.id for m in modalities]
        deep = next(m for m in modalities if m.name == "Deep tissue")
        self.match_modality = deep.id
        rows, links = [], []
        for specialist_id in range(1, size.specialists + 1):
            chosen = rng.sample(modalities, k=rng.randint(1, 3))
            if rng.random() < 0.2:
                chosen = [deep, *[m for m in chosen if m.id != deep.id]]
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            profession = PROFESSIONS.get(chosen[0].name, "Massage therapist")
            area = rng.choice(AREAS)
            languages = rng.choice(("English", "English, Polish", "English, Urdu", "English, Spanish"))
            address = f"{rng.randint(1, 90)} {area} Lane\nLeeds"
            notes = "Evening appointments." if rng.random() < 0.2 else ""
            verified = self.today - timedelta(days=rng.randint(0, 900)) if rng.random() < 0.8 else None
            rows.append({
                "id": specialist_id, "name": name, "business": f"{area} {profession}s" if rng.random() < 0.6 else "",
                "profession": profession, "phone": f"+44113{rng.randint(1_000_000, 9_999_999)}",
                "email": f"{name.split()[0].lower()}{specialist_id}@colleague.example", "website": "",
                "address": address, "area": area, "languages": languages, "accessibility": "Step-free access" if rng.random() < 0.3 else "",
                "fees": "", "accepting": rng.choice(("yes", "yes", "no", "unknown")), "notes": notes,
                "verified_on": verified, "verified_by_id": self.admin.id if verified else None,
                "created_at": self.setup_at, "retired_at": self.now - timedelta(days=20) if rng.random() < 0.03 else None,
                "name_key": normalise(name)[:120], "area_key": normalise(area)[:120],
                "search_text": normalise(" ".join([name, profession, area, languages, address, notes,
                                                   *(m.name for m in chosen)])),
            })
            links += [{"specialist_id": specialist_id, "modality_id": m.id} for m in chosen]
        self._insert(Specialist, rows)
        self._insert(specialist_modality, links)

    def _referrals_and_inquiries(self) -> None:
        rng, size = self.rng, self.size
        referrals, needs = [], []
        for referral_id in range(1, size.referrals + 1):
            client_id = 1 if referral_id <= 3 else rng.randint(1, size.clients)
            on = self.today - timedelta(days=rng.randint(0, 365 * size.years - 1))
            outward = rng.random() < 0.8
            if referral_id <= 3:  # the featured client's, waiting for their follow-up
                on, outward = self.today - timedelta(days=15 + referral_id), True
            settled = on < self.today - timedelta(days=30)
            outcome = rng.choice(("booked", "good_match", "not_a_match", "no_answer")) if settled else "pending"
            created = _at(on, 12 * 60)
            referrals.append({
                "id": referral_id, "direction": "out" if outward else "in", "client_id": client_id,
                "specialist_id": rng.randint(1, size.specialists) if outward or rng.random() < 0.5 else None,
                "source": "" if outward else "A GP practice nearby", "need": rng.choice(NEEDS), "referred_on": on,
                "created_at": created, "by_id": self.users[self.client_practitioner[client_id]],
                "follow_up_on": on + timedelta(days=14) if outward else None, "outcome": outcome,
                "outcome_note": "", "outcome_at": created + timedelta(days=20) if settled else None,
            })
            needs += [{"referral_id": referral_id, "modality_id": m} for m in rng.sample(self.modality_ids, k=rng.randint(1, 2))]
        inquiries, inquiry_needs = [], []
        for inquiry_id in range(1, size.inquiries + 1):
            received = self._moment_between(_at(self.first_day, 9 * 60), self.now - timedelta(hours=1))
            if inquiry_id <= 3:  # waiting for an answer, at every size
                received = self.now - timedelta(days=inquiry_id)
            recent = received > self.now - timedelta(days=60)
            status = "open" if inquiry_id <= 3 else rng.choice(INQUIRY_STATUSES[:3] if recent else INQUIRY_STATUSES[3:])
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            inquiries.append({
                "id": inquiry_id, "name": name, "phone": f"+447{rng.randint(100_000_000, 999_999_999)}",
                "email": f"{name.split()[0].lower()}.{inquiry_id}@example.net", "need": rng.choice(NEEDS),
                "preferred_times": rng.choice(("Weekday evenings", "Saturday mornings", "")), "area": rng.choice(AREAS),
                "practitioner_id": None if inquiry_id <= 3 else rng.choice((None, *self.practitioner_ids)),
                "status": status, "received_at": received,
                "recorded_by_id": self.desk_id, "waitlisted_at": received + timedelta(hours=3) if status == "waitlisted" else None,
                "offered_at": received + timedelta(days=3) if status == "offered" else None,
                "closed_at": received + timedelta(days=5) if status in INQUIRY_STATUSES[3:] else None,
                "note": "", "client_id": None,
            })
            inquiry_needs += [{"inquiry_id": inquiry_id, "modality_id": m} for m in rng.sample(self.modality_ids, k=rng.randint(1, 2))]
        self._insert(Referral, referrals)
        self._insert(referral_need, needs)
        self._insert(Inquiry, inquiries)
        self._insert(inquiry_need, inquiry_needs)
        self.declined_inquiries = [row["id"] for row in inquiries if row["status"] in ("declined", "referred")]

    # Letters: one real PDF, issued many times over ---------------------------------------

    def _letters(self) -> None:
        rng, size = self.rng, self.size
        profile = get_practice(self.session)
        body = ("Thank you for coming to the practice over the past months.\n\n"
                "This letter confirms the arrangements we discussed.")
        pdf = render_letter(LetterPage(kind="custom", title="Letter on the letterhead", day=self.today, body=body,
                                       recipient_lines=["Morgan Featherstone"], author_name="Robin Hale",
                                       practice_lines=practice_lines(profile)), profile)
        digest = hashlib.sha256(pdf).hexdigest()
        rows = []
        for letter_id in range(1, size.letters + 1):
            kind = rng.choice(("custom", "custom", "referral", "discontinuation", "practice_full"))
            client_id = inquiry_id = specialist_id = None
            if kind == "practice_full" and self.declined_inquiries:
                inquiry_id = rng.choice(self.declined_inquiries)
            elif kind == "discontinuation" and self.moved_on:
                client_id = rng.choice(self.moved_on)
            else:
                kind = "referral" if kind == "referral" else "custom"
                client_id = 1 if letter_id <= 5 else rng.randint(1, size.clients)
                specialist_id = rng.randint(1, size.specialists) if kind == "referral" else None
            if client_id is None and inquiry_id is None:
                kind, client_id = "custom", rng.randint(1, size.clients)
            pid = self.client_practitioner.get(client_id, self.featured_practitioner)
            issued = self._moment_between(_at(self.first_day, 9 * 60), self.now - timedelta(hours=1))
            rows.append({
                "id": letter_id, "uuid": self._uuid(), "kind": kind, "client_id": client_id,
                "inquiry_id": inquiry_id, "referral_id": None, "specialist_id": specialist_id, "author_id": pid,
                "recipient": "A client" if client_id else "A would-be client", "title": f"Letter {letter_id}",
                "body": body, "channel": rng.choice(("post", "email")), "page_size": "A4", "template_version": None,
                "pdf": pdf, "sha256": digest, "issued_at": issued, "issued_by_id": self.users[pid],
            })
        self._insert(Letter, rows)

    # Reviewed days and private notes ---------------------------------------------------

    def _reviews_and_notes(self) -> None:
        reviewed = []
        last_reviewed = self.today - timedelta(days=7)
        for pid, days in self.worked_days.items():
            reviewed += [{"practitioner_id": pid, "day": day, "reviewed_at": _at(day, 21 * 60 + 30),
                          "reviewed_by_id": self.users[pid]} for day in sorted(days) if day <= last_reviewed]
        self._insert(ReviewedDay, reviewed)
        author = self.users[self.featured_practitioner]
        notes = [{"client_id": 1, "author_id": author, "kind": "note" if n % 3 else "consultation",
                  "colleague": "" if n % 3 else "A supervisor", "body": "Talked the pattern of lateness through.",
                  "written_at": self.now - timedelta(days=30 * n + 1)} for n in range(max(3, self.size.featured_entries // 25))]
        self._insert(PrivateNote, notes)

    # The audit trail -----------------------------------------------------------------

    def _audit(self, action: str, object_type: str, object_id: int, at: datetime) -> dict:
        return {"at": min(at, self.now), "actor_id": self.desk_id, "actor_label": "desk@bench.practice",
                "address": "127.0.0.1", "action": action, "object_type": object_type, "object_id": str(object_id),
                "detail": {}}

    def _audit_trail(self) -> None:
        rng, total = self.rng, self.next_id - 1
        events = sorted(rng.sample(range(1, total + 1), k=min(total, self.size.audit_events)))
        rows = [self._audit("appointment.book", "Appointment", appointment_id,
                            self._moment_between(_at(self.first_day, 9 * 60), self.now)) for appointment_id in events]
        rows.sort(key=lambda row: row["at"])
        self._insert(AuditEvent, rows)

    def _landmarks(self) -> Landmarks:
        counts = {}
        for model in (Client, Appointment, Payment, ConductEntry, Communication, StandingChange, Specialist,
                      Referral, Inquiry, Letter, AuditEvent, ReviewedDay, Practitioner, User):
            counts[model.__tablename__] = self.session.scalar(select(func.count()).select_from(model))
        return Landmarks(
            size=self.size.name, admin_email=ADMIN_EMAIL, password=PASSWORD, featured_client_id=1,
            practitioner_id=self.featured_practitioner, feed_token=self.feed_token,
            today=self.today.isoformat(), review_day=(self.today - timedelta(days=1)).isoformat(),
            modality_id=self.match_modality, search=SEARCHED_SURNAME, counts=counts,
        )
