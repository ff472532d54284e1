"""The demo practice's referral network: local colleagues around Leeds, some not checked for a
while, some not taking new clients, referrals with their outcomes, and a few inquiries
(some on the waitlist). Everything here is made up (phone numbers from Ofcom's drama range)."""

from datetime import datetime, timedelta

from sqlalchemy import select

from referrals import services
from referrals.host import SYSTEM
from referrals.models import Modality

AREAS = ("Chapel Allerton", "Headingley", "Roundhay", "Meanwood", "Horsforth", "Kirkstall",
         "Moortown", "City Centre")
# Each area's postcode district, so colleagues are ordered by distance (referrals.places).
DISTRICTS = ("LS7", "LS6", "LS8", "LS6", "LS18", "LS5", "LS17", "LS1")
# name, business, profession, modalities, area index, accepting, months since checked (None: never)
PEOPLE = (
    ("Helen Marsh", "Allerton Sports Clinic", "Sports massage therapist", ("Sports massage", "Deep tissue"), 0, "yes", 1),
    ("Rafael Costa", "", "Remedial massage therapist", ("Deep tissue", "Trigger point therapy"), 1, "yes", 2),
    ("Siobhan Kelly", "Bump & Beyond", "Pregnancy massage therapist", ("Prenatal massage",), 2, "yes", 3),
    ("Dr Imran Shah", "Headingley Physio", "Physiotherapist", ("Physiotherapy",), 1, "no", 1),
    ("Grace Whitaker", "", "Manual lymphatic drainage therapist", ("Lymphatic drainage",), 3, "yes", 8),
    ("Piotr Zielinski", "Kinetic Osteopaths", "Osteopath", ("Osteopathy",), 4, "unknown", None),
    ("Amelia Hart", "Roundhay Chiropractic", "Chiropractor", ("Chiropractic",), 2, "yes", 5),
    ("Nadia Rahman", "Talking Space", "Counsellor (BACP)", ("Counselling",), 6, "yes", 2),
    ("Oliver Grant", "", "Myofascial therapist", ("Myofascial release", "Deep tissue"), 5, "no", 9),
    ("Chloé Martin", "Atelier Bien-être", "Massage therapist", ("Deep tissue", "Lymphatic drainage"), 7, "yes", 1),
    ("Joseph Asante", "Meanwood Movement", "Sports therapist", ("Sports massage", "Trigger point therapy"), 3, "yes", 4),
    ("Eleanor Brooks", "", "Reflexologist", ("Reflexology",), 4, "yes", 12),
    ("Tom Fletcher", "Kirkstall Back Care", "Chiropractor", ("Chiropractic",), 5, "no", 2),
    ("Priya Nair", "Moortown Acupuncture", "Acupuncturist", ("Acupuncture",), 6, "yes", 3),
    ("Sarah Lowe", "Pilates on the Green", "Pilates teacher", ("Pilates",), 0, "yes", 7),
    ("Daniel Okoye", "City Physio Partners", "Physiotherapist", ("Physiotherapy", "Sports massage"), 7, "yes", 1),
    ("Lucy Barnes", "", "Counsellor", ("Counselling",), 1, "no", 6),
    ("Mateusz Kowal", "", "Deep tissue therapist", ("Deep tissue",), 6, "unknown", 14),
    ("Fatima Begum", "Bloom Women's Health", "Pregnancy massage therapist", ("Prenatal massage", "Lymphatic drainage"), 0, "yes", 2),
    ("Jack Robson", "Horsforth Osteopathy", "Osteopath", ("Osteopathy", "Myofascial release"), 4, "yes", 1),
    ("Aisha Patel", "", "Nutritional therapist", ("Nutrition",), 7, "yes", 3),
    ("Ben Taylor", "Foot Forward", "Podiatrist", ("Podiatry",), 2, "yes", 10),
    ("Maria Santos", "", "Massage therapist", ("Deep tissue", "Myofascial release"), 3, "yes", 2),
    ("Ruth Ellison", "Chapel Allerton Counselling", "Psychotherapist", ("Counselling",), 0, "yes", 1),
    ("Yusuf Ali", "Leeds Sports Injury Clinic", "Sports therapist", ("Sports massage", "Deep tissue"), 7, "no", 3),
    ("Georgia Mills", "", "Lymphoedema therapist", ("Lymphatic drainage",), 1, "unknown", None),
    ("Harriet Cole", "Roundhay Pilates", "Pilates teacher", ("Pilates", "Physiotherapy"), 2, "yes", 4),
    ("Samuel Wright", "", "Trigger point therapist", ("Trigger point therapy",), 5, "yes", 8),
    ("Ines Duarte", "Meanwood Osteopaths", "Osteopath", ("Osteopathy",), 3, "yes", 2),
    ("Owen Hughes", "", "Chiropractor", ("Chiropractic",), 6, "no", 11),
    ("Leah Simmons", "Gentle Start", "Pregnancy massage therapist", ("Prenatal massage",), 4, "no", 5),
    ("Marcus Bell", "", "Massage therapist", ("Deep tissue", "Sports massage"), 1, "yes", 1),
)
LANGUAGES = {"Piotr Zielinski": "English, Polish", "Chloé Martin": "English, French",
             "Maria Santos": "English, Portuguese, Spanish", "Aisha Patel": "English, Gujarati",
             "Mateusz Kowal": "English, Polish", "Fatima Begum": "English, Bengali, Urdu"}
# (client index, specialist name, needs, days ago, outcome)
HISTORY = (
    (0, "Rafael Costa", ("Deep tissue",), 33, "good_match"),
    (1, "Rafael Costa", ("Deep tissue",), 30, "booked"),
    (2, "Oliver Grant", ("Deep tissue",), 28, "not_a_match"),
    (3, "Siobhan Kelly", ("Prenatal massage",), 25, "good_match"),
    (4, "Dr Imran Shah", ("Physiotherapy",), 21, "no_answer"),
    (5, "Nadia Rahman", ("Counselling",), 18, "booked"),
    (6, "Helen Marsh", ("Sports massage",), 16, "pending"),
    (12, "Grace Whitaker", ("Lymphatic drainage",), 15, "pending"),
    (8, "Marcus Bell", ("Deep tissue",), 5, "pending"),
)


def add_demo_network(session, *, now: datetime, clients, practitioners, services_by_name=None) -> None:
    """Fill the referral network. `clients`: Client rows (at least 10); `practitioners`:
    Practitioner rows (the first is made full, so the waitlist has a reason to exist);
    `services_by_name`: the host's own services (name -> id), which inquiries may ask for."""
    today = now.date()
    by_name = {m.name: m for m in session.scalars(select(Modality))}
    made = {}
    for index, (name, business, profession, modalities, area, accepting, months) in enumerate(PEOPLE):
        details = services.SpecialistDetails(
            name=name, business=business, profession=profession, area=AREAS[area], accepting=accepting,
            phone=f"0113 496 {index:04d}", email=f"{name.split()[-1].lower()}@example.com",
            languages=LANGUAGES.get(name, "English"), modality_ids=[by_name[m].id for m in modalities],
            address=f"{10 + index} {AREAS[area]} Road\nLeeds {DISTRICTS[area]}",
            fees="£45-£70 a session" if index % 3 else "", accessibility="Step-free access" if index % 4 == 0 else "",
        )
        specialist = services.create_specialist(session, SYSTEM, details, phone_region="GB", now=now)
        specialist.verified_on = None if months is None else today - timedelta(days=30 * months)
        made[name] = specialist
    session.flush()
    for client_index, name, needs, days, outcome in HISTORY:
        client = clients[client_index % len(clients)]
        referral = services.record_referral(
            session, SYSTEM, client=client, specialist=made[name],
            modality_ids=[by_name[n].id for n in needs], today=today - timedelta(days=days),
            now=now - timedelta(days=days))
        if outcome != "pending":
            services.record_outcome(session, SYSTEM, referral, outcome, now=now - timedelta(days=days - 10))
    services.record_referral_in(session, SYSTEM, client=clients[9 % len(clients)], specialist=made["Dr Imran Shah"],
                                today=today - timedelta(days=36), now=now - timedelta(days=36))
    _add_inquiries(session, now=now, practitioners=practitioners, by_name=by_name,
                   services_by_name=services_by_name or {})


def _add_inquiries(session, *, now, practitioners, by_name, services_by_name) -> None:
    full = practitioners[0]
    services.update_capacity(session, SYSTEM, full.id, accepting=False, max_active_clients=full.max_active_clients,
                             now=now)
    wanted = [("Ruby Adams", full, "Deep tissue", "Headingley, LS6", 9, True),
              ("Hamza Iqbal", full, "Sports massage", "Roundhay, LS8", 6, True),
              ("Ella Moore", None, "Prenatal massage", "Chapel Allerton", 2, False),
              ("Jonas Berg", None, "Deep tissue", "", 1, False)]
    for name, practitioner, need, area, days, waitlisted in wanted:
        inquiry = services.record_inquiry(session, SYSTEM, services.InquiryDetails(
            name=name, email=f"{name.split()[0].lower()}@example.org",
            need=f"Looking for {need.lower()}", preferred_times="Weekday evenings", area=area,
            practitioner_id=practitioner.id if practitioner else None, modality_ids=[by_name[need].id],
            service_id=services_by_name.get(need),
        ), phone_region="GB", now=now - timedelta(days=days))
        if waitlisted:
            services.waitlist_inquiry(session, SYSTEM, inquiry, now=now - timedelta(days=days))
