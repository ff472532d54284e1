"""Privacy tested on content, not on status codes.

As the front desk, and as a practitioner outside a client's care team, every page they can
reach on the demo practice is rendered (every route with every id the demo holds, the client
pages with every part of the history asked for, the days and weeks around today, and the
pages their links lead to), and each body is searched for the demo's own private words: the
conduct record, communications, standing reasons, private notes, letters, referral needs and
notes, and the reasons the practice cancelled or waived. A 403 passes because it shows none."""

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from practice.auth.models import Practitioner, User
from practice.clients.models import CareGrant, Client, PrivateNote, StandingChange
from practice.conduct.models import Attachment, Communication, ConductEntry
from practice.db import db
from practice.demo import DEMO_PASSWORD
from practice.letters import texts
from practice.letters.models import Letter, LetterTemplate
from practice.messages.models import Message
from practice.reports.csv_io import EXPORTS
from practice.scheduling.models import Appointment, Service, Status
from referrals.models import Inquiry, Referral, Specialist
from tests.conftest import NOW
from tests.test_cli import demo_app  # noqa: F401  (the demo practice, built once for this module)
from tests.test_letters import pdf_text

NEEDLE = 60      # the first characters of a private text are searched for (pages may shorten it)
SHORTEST = 16    # shorter texts ("Reception") say nothing private on their own
ALL_KINDS = "?show=appointment&show=conduct&show=communication&show=standing&show=letter&show=note"
DAYS = [(NOW + timedelta(days=offset)).date() for offset in range(-21, 8)]


def normalised(text: str) -> str:
    return " ".join(text.split())


def needles(*texts) -> set[str]:
    found = set()
    for text in texts:
        for line in (text or "").splitlines():
            line = normalised(line.removeprefix("- "))
            if len(line) >= SHORTEST:
                found.add(line[:NEEDLE])
    return found


def private_words() -> dict[int, set[str]]:
    """Client id -> the beginnings of every private text the demo holds about them."""
    words: dict[int, set[str]] = {}

    def add(client_id, *texts):
        words.setdefault(client_id, set()).update(needles(*texts))

    for e in db.session.scalars(sa.select(ConductEntry)):
        add(e.client_id, e.description, e.response, e.effect, e.witnesses, e.police_reference, e.location, e.note)
    for c in db.session.scalars(sa.select(Communication)):
        add(c.client_id, c.summary)
    for s in db.session.scalars(sa.select(StandingChange)):
        add(s.client_id, s.reason)
    for n in db.session.scalars(sa.select(PrivateNote)):
        add(n.client_id, n.body, n.colleague)
    for letter in db.session.scalars(sa.select(Letter).where(Letter.client_id.is_not(None))):
        add(letter.client_id, letter.body)
    for r in db.session.scalars(sa.select(Referral).where(Referral.direction == "out")):
        add(r.client_id, r.need, r.outcome_note)
    for g in db.session.scalars(sa.select(CareGrant)):
        add(g.client_id, g.reason)
    for a in db.session.scalars(sa.select(Appointment)):
        add(a.client_id, a.cancel_reason if a.cancelled_by_practice else "",
            a.fee_waiver_reason if a.fee_waived else "")
    return words


def in_care_of(practitioner: Practitioner) -> set[int]:
    """The demo's clients in this practitioner's care team, worked out here from the rule's
    words (not through the code under test)."""
    seen = (Status.ARRIVED.value, Status.COMPLETED.value)
    visits = set(db.session.execute(sa.select(Appointment.client_id, Appointment.practitioner_id)
                                    .where(Appointment.status.in_(seen))).all())
    grants = set(db.session.execute(sa.select(CareGrant.client_id, CareGrant.practitioner_id)
                                    .where(CareGrant.revoked_at.is_(None))).all())
    ids = set()
    for client in db.session.scalars(sa.select(Client)):
        taken = any(cid == client.id for cid, _ in visits | grants) or client.primary_practitioner_id
        if (client.primary_practitioner_id == practitioner.id or (client.id, practitioner.id) in visits | grants
                or not taken):
            ids.add(client.id)
    return ids


def page_text(response) -> str:
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    if response.mimetype.startswith("text/") or response.mimetype in ("application/json", "text/calendar"):
        return normalised(html.unescape(response.get_data(as_text=True)))
    return ""


def ids(model) -> list:
    return list(db.session.scalars(sa.select(model.id).order_by(model.id)))


def reachable_urls(app) -> list[str]:
    """Every GET route with every id the demo holds, and the useful query strings."""
    pools = {
        "client_id": ids(Client), "appointment_id": ids(Appointment), "letter_id": ids(Letter),
        "referral_id": ids(Referral), "inquiry_id": ids(Inquiry), "specialist_id": ids(Specialist),
        "practitioner_id": ids(Practitioner), "user_id": ids(User), "entry_id": ids(ConductEntry),
        "attachment_id": ids(Attachment), "name": sorted(EXPORTS), "message_id": ids(Message),
        "uuid": list(db.session.scalars(sa.select(Appointment.uuid))), "service_id": ids(Service),
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "bootstrap.static", "auth.setup"):
            continue
        if any(arg not in pools for arg in rule.arguments):
            continue  # secrets in URLs (feed tokens, invitations): not reachable by guessing
        if not rule.arguments:
            urls.append(rule.rule)
        for arg in rule.arguments:  # every rule here has at most one argument
            urls.extend(rule.rule.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
                        for value in pools[arg])
    urls += [f"/clients/{client_id}{ALL_KINDS}" for client_id in pools["client_id"]]
    urls += [f"/today?date={day}" for day in DAYS] + [f"/review/?day={day}" for day in DAYS]
    urls += [f"/calendar?view=week&date={day}" for day in DAYS[::7]]
    # The book: each day with its cancelled appointments, each practitioner's weeks (time
    # off with its reason is drawn there), and the client picker's search.
    urls += [f"/calendar?date={day}&cancelled=1" for day in DAYS]
    urls += [f"/calendar?view=week&date={day}&practitioner={p}&cancelled=1"
             for day in DAYS[::7] for p in pools["practitioner_id"]]
    urls += [f"/clients/search.json?q={q}" for q in "aeiou"]
    urls += ["/reports/?start=2026-10-01&end=2026-12-31", "/review/report"]
    return urls


LINK = re.compile(r'href="(/[^"#]*)"')


def read_everything(app, email: str) -> dict[str, str]:
    """URL -> text of every page the user reaches: the routes, then the pages their links
    lead to (pagination and filters), never the same URL twice."""
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
    queue, seen, read = reachable_urls(app), set(), {}
    while queue:
        url = html.unescape(queue.pop())
        if url in seen or url.startswith(("/static/", "/bootstrap/")) or "format=pdf" in url or len(seen) > 4000:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            continue
        read[url] = page_text(response)
        if response.mimetype == "text/html":
            queue.extend(link for link in LINK.findall(response.get_data(as_text=True))
                         if "date=" not in urlsplit(html.unescape(link)).query)
    return read


def leaks(pages: dict[str, str], forbidden: set[str]) -> list[tuple[str, str]]:
    return sorted((url, words) for url, text in pages.items() for words in forbidden if words in text)


@pytest.fixture(scope="module")
def demo_words(demo_app):  # noqa: F811
    with demo_app.app_context():
        words = private_words()
        policy = demo_app.test_client()
        policy.post("/login", data={"email": "admin@demo.practice", "password": DEMO_PASSWORD})
        # The policy and the directory's colleagues, which letters quote, are for everyone.
        public = page_text(policy.get("/policy")) + page_text(policy.get("/referrals/export.csv"))
        template_lines = needles(*texts.DEFAULTS.values(), *db.session.scalars(sa.select(LetterTemplate.text)))
        names = {c.display_name: c.id for c in db.session.scalars(sa.select(Client))}
        mei = db.session.scalar(sa.select(Practitioner).where(Practitioner.display_name == "Mei Lin"))
        mei_sees = in_care_of(mei)
        db.session.remove()
    words = {client_id: {w for w in found if w not in public} - template_lines for client_id, found in words.items()}
    return words, names, mei_sees


def test_the_front_desk_reads_nothing_private_on_any_page_it_can_reach(demo_app, demo_words):  # noqa: F811
    words, names, _ = demo_words
    forbidden = set().union(*words.values())
    for known in ("Was waiting beside my car when I left work", "Talked the flowers and the remarks through",
                  "Texts late at night, a gift and personal remarks", "Pilates to build core strength",
                  "Cancelled by the practice: ending the relationship (sa", "Her hospital scan overran"):
        assert any(w.startswith(known[:NEEDLE]) for w in forbidden), known  # the search looks for them
    with demo_app.app_context():
        pages = read_everything(demo_app, "frontdesk@demo.practice")
        db.session.remove()
    assert f"/clients/{names['Daniel Cohen']}{ALL_KINDS}" in pages and len(pages) > 500
    assert not leaks(pages, forbidden), "\n".join(f"{url}: {words}" for url, words in leaks(pages, forbidden))


def test_a_practitioner_reads_nothing_private_about_clients_outside_their_care(demo_app, demo_words):  # noqa: F811
    words, names, mei_sees = demo_words
    assert names["Lewis Grant"] in mei_sees and names["Daniel Cohen"] not in mei_sees
    allowed = set().union(*(found for client_id, found in words.items() if client_id in mei_sees))
    forbidden = set().union(*(found for client_id, found in words.items() if client_id not in mei_sees)) - allowed
    assert any(w.startswith("Was waiting beside my car") for w in forbidden)
    with demo_app.app_context():
        pages = read_everything(demo_app, "mei@demo.practice")
        db.session.remove()
    assert f"/clients/{names['Daniel Cohen']}{ALL_KINDS}" in pages
    assert any("Rang him after the missed session" in text for text in pages.values())  # her own client's
    assert not leaks(pages, forbidden), "\n".join(f"{url}: {words}" for url, words in leaks(pages, forbidden))


def test_the_public_booking_pages_say_nothing_private_and_no_other_clients_name(demo_app, demo_words):  # noqa: F811
    """The demo books online: every page a visitor reaches from /book, and each client's own
    "my appointments" (with its move and cancel pages), shows nothing private and never the
    name of another client."""
    from practice.booking import services as booking

    words, names, _ = demo_words
    forbidden = set().union(*words.values())
    with demo_app.app_context():
        visitor, seen, pages = demo_app.test_client(), set(), {}
        queue = ["/book/"] + [f"/book/mine/{booking.mine_token(db.session.get(Client, cid))}"
                              for cid in names.values() if not db.session.get(Client, cid).archived]
        while queue:
            url = html.unescape(queue.pop())
            if url in seen or not url.startswith("/book/") or url.endswith((".ics", "/logo")) or len(seen) > 600:
                continue
            seen.add(url)
            response = visitor.get(url)
            if response.status_code == 200:
                pages[url] = page_text(response)
                queue.extend(LINK.findall(response.get_data(as_text=True)))
        tokens = {token: cid for cid in names.values()
                  if (token := booking.mine_token(db.session.get(Client, cid)))}
        db.session.remove()
    assert len(pages) > 20 and any("/book/mine/" in url for url in pages)
    assert not leaks(pages, forbidden), "\n".join(f"{url}: {words}" for url, words in leaks(pages, forbidden))
    by_id = {cid: name for name, cid in names.items()}
    for url, text in pages.items():
        own = next((cid for token, cid in tokens.items() if f"/book/mine/{token}" in url), None)
        shown = [name for cid, name in by_id.items() if cid != own and len(name) > 5 and name in text]
        assert not shown, f"{url} names {shown}"


def test_the_messages_written_say_nothing_private(demo_app, demo_words):  # noqa: F811
    """The outbox itself: what the demo's messages say (a letter's e-mail is a neutral note)."""
    words, _, _ = demo_words
    forbidden = set().union(*words.values())
    with demo_app.app_context():
        said = {f"message {m.id}": normalised(f"{m.subject}\n{m.text_body}\n{html.unescape(m.html_body)}")
                for m in db.session.scalars(sa.select(Message))}
        db.session.remove()
    assert said  # the demo's letters sent by e-mail wait in its outbox
    assert not leaks(said, forbidden), leaks(said, forbidden)
