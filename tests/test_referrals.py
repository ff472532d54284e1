"""The referral network: directory search and filters, staleness, matching and its reasons,
referrals out and in, follow-ups, capacity and the waitlist, CSV and vCard round trips,
permissions. The network on a site of its own: tests/test_referrals_standalone.py."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from practice.audit.services import SYSTEM, Actor
from practice.db import db
from practice.errors import DomainError
from referrals import csv_io, queries, services, vcard, views
from referrals.models import Inquiry, Modality, Referral, Specialist
from tests.conftest import NOW

TODAY = date(2026, 11, 23)


def modality(name: str) -> Modality:
    return db.session.scalar(sa.select(Modality).where(Modality.name == name))


@pytest.fixture
def add(practice):
    def make(name, modalities=("Deep tissue",), verified_on=TODAY, **details):
        ids = [modality(m).id for m in modalities]
        specialist = services.create_specialist(
            db.session, SYSTEM, services.SpecialistDetails(name=name, modality_ids=ids, **details),
            phone_region="GB", now=NOW)
        specialist.verified_on = verified_on
        db.session.commit()
        return specialist

    return make


def refer(client, specialist, needs=("Deep tissue",), outcome=None, **extra):
    referral = services.record_referral(
        db.session, SYSTEM, client=client, specialist=specialist,
        modality_ids=[modality(m).id for m in needs], today=extra.pop("today", TODAY), now=NOW, **extra)
    if outcome:
        services.record_outcome(db.session, SYSTEM, referral, outcome, now=NOW)
    return referral


def names(items) -> list[str]:
    return [getattr(item, "specialist", item).name for item in items]


# The taxonomy --------------------------------------------------------------------------------

def test_the_default_taxonomy_is_seeded_and_the_practice_extends_it(practice):
    seeded = {m.name for m in queries.modalities(db.session)}
    assert {"Deep tissue", "Prenatal massage", "Lymphatic drainage", "Counselling", "Osteopathy"} <= seeded
    services.add_modality(db.session, SYSTEM, "  Scar   tissue work ", now=NOW)
    with pytest.raises(DomainError, match="already in the list"):
        services.add_modality(db.session, SYSTEM, "DEEP TISSUE", now=NOW)
    scar = modality("Scar tissue work")
    services.set_modality_retired(db.session, SYSTEM, scar, True, now=NOW)
    assert "Scar tissue work" not in names_of(queries.modalities(db.session))
    assert "Scar tissue work" in names_of(queries.modalities(db.session, include_retired=True))


def test_the_pages_offer_the_active_modalities_by_name(client, users, login, add, make_client):
    """The directory's filter, the match page's need and its referral form (and the form shown
    again after an error) list the taxonomy's active entries in order, not retired ones."""
    services.add_modality(db.session, SYSTEM, "Aromatherapy", now=NOW)
    services.set_modality_retired(db.session, SYSTEM, modality("Counselling"), True, now=NOW)
    deep, sam = modality("Deep tissue").id, make_client("Sam")
    add("Bea Deep")
    login(users["admin"])
    pages = {"directory": client.get("/referrals/"),
             "match": client.get(f"/referrals/match?client={sam.id}&modality={deep}"),
             "refused": client.post("/referrals/refer", data={"client_id": sam.id, "specialist_id": 0})}
    for name, page in pages.items():
        selects = re.findall(r'<select[^>]*name="(?:modality|modality_ids)"[^>]*>(.*?)</select>',
                             page.get_data(as_text=True), re.S)
        assert len(selects) == {"directory": 1, "match": 2, "refused": 1}[name], (name, page.status_code)
        for select in selects:
            offered = re.findall(r'<option [^>]*value="\d+"[^>]*>([^<]+)</option>', select)
            assert offered[:2] == ["Acupuncture", "Aromatherapy"] and offered == sorted(offered), (name, offered)
            assert "Deep tissue" in offered and "Counselling" not in offered, (name, offered)


def names_of(modalities):
    return [m.name for m in modalities]


# The directory -------------------------------------------------------------------------------

def test_search_by_name_modality_area_and_free_text(add):
    add("Zoë Brontë", ("Deep tissue",), area="Headingley", notes="Great with runners")
    add("Sam Physio", ("Physiotherapy",), area="Roundhay", accepting="yes")
    add("Lee Osteo", ("Osteopathy", "Deep tissue"), area="headingley", accepting="no")

    def search(**filters):
        page = queries.search_directory(queries.DirectoryFilters(**filters), today=TODAY, page=1, per_page=25)
        return names(page.items)

    assert search(text="zoe") == ["Zoë Brontë"]            # accents do not matter
    assert search(text="RUNNERS") == ["Zoë Brontë"]        # notes are searched
    assert search(text="deep tissue") == ["Lee Osteo", "Zoë Brontë"]  # modality names too
    assert search(modality_id=modality("Physiotherapy").id) == ["Sam Physio"]
    assert search(area="Headingley") == ["Lee Osteo", "Zoë Brontë"]
    assert search(accepting="yes") == ["Sam Physio"]
    assert search(text="100%_\\") == []


def test_the_directory_pages_with_its_count_and_where_the_reader_is(add, client, users, login, app, monkeypatch):
    for name in ("Ada", "Bea", "Cal", "Dee", "Eve"):
        add(name, area="Otley")
    page = queries.search_directory(queries.DirectoryFilters(), today=TODAY, page=2, per_page=2)
    assert (names(page.items), page.total, page.pages, page.prev_num, page.next_num) == (["Cal", "Dee"], 5, 3, 1, 3)
    last = queries.search_directory(queries.DirectoryFilters(area="otley"), today=TODAY, page=3, per_page=2)
    assert (names(last.items), last.has_next, list(last.iter_pages())) == (["Eve"], False, [1, 2, 3])
    past = queries.search_directory(queries.DirectoryFilters(), today=TODAY, page=9, per_page=2)
    assert (past.items, past.total) == ([], 5)

    monkeypatch.setitem(app.config, "PRACTICE_PAGE_SIZE", 2)
    login(users["admin"])
    html = client.get("/referrals/?page=2&area=Otley").get_data(as_text=True)
    assert "5 specialists." in html and ">Cal</a>" in html and ">Ada</a>" not in html
    assert 'aria-current="page">2</a>' in html and "/referrals/?page=3&amp;area=Otley" in html


def test_verified_within_and_needs_checking(add):
    add("Fresh", verified_on=TODAY - timedelta(days=20))
    add("Old", verified_on=date(2026, 3, 1))
    add("Never", verified_on=None)
    page = queries.search_directory(queries.DirectoryFilters(verified_within_months=3), today=TODAY,
                                    page=1, per_page=25)
    assert names(page.items) == ["Fresh"]
    stale = queries.needs_checking(today=TODAY, months=6, page=1, per_page=25)
    assert names(stale.items) == ["Never", "Old"]
    assert queries.count_needs_checking(db.session, today=TODAY, months=6) == 2


def test_the_directory_counts_the_entries_to_check_and_the_follow_ups_the_reader_may_see(
        client, users, login, add, make_client, make_user):
    """The notices above the directory: active entries not checked within the interval
    (never checked ones too, not retired ones), and follow-ups due of the clients whose
    record the reader may open (read with the page's count, in one statement)."""
    add("Fresh", verified_on=TODAY - timedelta(days=20))
    add("Old", verified_on=date(2026, 3, 1))
    bea = add("Never", verified_on=None)
    services.set_specialist_retired(db.session, SYSTEM, add("Gone old", verified_on=date(2025, 1, 1)), True, now=NOW)
    mine = users["practitioner"].practitioner.id
    for name, practitioner in (("Sam", mine), ("Kim", mine), ("Other", make_user("practitioner").practitioner.id)):
        refer(make_client(name, primary_practitioner_id=practitioner), bea, follow_up_on=TODAY)
    login(users["practitioner"])
    page = client.get("/referrals/").get_data(as_text=True)
    assert "3 specialists." in page and "2 entries have not been checked for a while." in page
    assert "2 referrals to follow up." in page


def test_the_verify_forms_of_the_lists_post_to_each_entry_and_come_back(app, client, users, login, add, monkeypatch):
    """A list's "verified today" forms share the token and the return address built once for
    the page; each still posts to its own entry."""
    bea, cal = add("Bea Old", verified_on=date(2025, 1, 1)), add("Cal Old", verified_on=date(2025, 2, 1))
    login(users["admin"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for url, entry, back in (("/referrals/?q=old", bea, "/referrals/?q=old"),
                             ("/referrals/needs-checking", cal, "/referrals/needs-checking?"),
                             (f"/referrals/specialists/{bea.id}", bea, None)):
        page = client.get(url).get_data(as_text=True)
        form = page.split(f'action="/referrals/specialists/{entry.id}/verify">')[1].split("</form>")[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        assert (f'<input type="hidden" name="next" value="{back}">' in form) == bool(back)
        if back:
            assert f'<a href="/referrals/specialists/{entry.id}">{entry.name}</a>' in page
        response = client.post(f"/referrals/specialists/{entry.id}/verify",
                               data={"csrf_token": token, "accepting": "no", "next": back or ""})
        assert response.status_code == 302
        assert response.headers["Location"] == (back or f"/referrals/specialists/{entry.id}").rstrip("?")
        db.session.expire_all()
        assert (db.session.get(Specialist, entry.id).verified_on, db.session.get(Specialist, entry.id).accepting) == (TODAY, "no")
        db.session.get(Specialist, entry.id).verified_on = date(2025, 1, 1)
        db.session.commit()


def test_the_lists_write_each_entrys_badge_last_check_and_form_escaping_its_name(client, users, login, add):
    """The badge, the date and the "verified today" form are written in Python
    (referrals.rows_html), not by Jinja's autoescape: what was typed shows as text."""
    services.add_modality(db.session, SYSTEM, "Scar <i>& tissue", now=NOW)
    bold = add('Old <b>"Bold"</b> & Co', ("Deep tissue", "Scar <i>& tissue"), verified_on=date(2025, 1, 1),
               accepting="no", business="<u>Clinic</u> & Spa", area="Leeds <3")
    add("Never Ned", verified_on=None, accepting="unknown")
    login(users["admin"])
    for url in ("/referrals/", "/referrals/needs-checking"):
        page = client.get(url).get_data(as_text=True)
        assert "<b>" not in page and "Accepting new clients now? (Old &lt;b&gt;&#34;Bold&#34;&lt;/b&gt; &amp; Co)" in page
        assert ">1 Jan 2025</td>" in page and ">never</td>" in page
        assert '<span class="badge text-bg-secondary">Not accepting</span>' in page
        assert '<span class="badge text-bg-light border">Accepting: not known</span>' in page
    # The directory's other cells (referrals.rows_html.directory_rows).
    page = client.get("/referrals/").get_data(as_text=True)
    assert (f'<td><a href="/referrals/specialists/{bold.id}">Old &lt;b&gt;&#34;Bold&#34;&lt;/b&gt; &amp; Co</a>'
            '<div class="small text-muted">&lt;u&gt;Clinic&lt;/u&gt; &amp; Spa</div></td>\n'
            '      <td class="small">Deep tissue, Scar &lt;i&gt;&amp; tissue</td>\n'
            '      <td>Leeds &lt;3</td>') in page


def test_verified_today_with_a_change_of_accepting(add, users):
    old = add("Old", verified_on=date(2025, 1, 1), accepting="yes")
    services.verify_specialist(db.session, Actor(users["practitioner"]), old, today=TODAY, now=NOW,
                               accepting="no")
    assert (old.verified_on, old.accepting, old.verified_by_id) == (TODAY, "no", users["practitioner"].id)
    assert queries.count_needs_checking(db.session, today=TODAY, months=6) == 0


def test_retired_specialists_leave_the_directory_but_keep_their_referrals(add, make_client):
    gone = add("Gone")
    referral = refer(make_client("Sam"), gone)
    services.set_specialist_retired(db.session, SYSTEM, gone, True, now=NOW)
    page = queries.search_directory(queries.DirectoryFilters(), today=TODAY, page=1, per_page=25)
    assert page.total == 0
    assert db.session.get(Referral, referral.id).specialist_id == gone.id
    with pytest.raises(DomainError, match="retired"):
        refer(make_client("Kim"), gone)


def test_the_directory_page_runs_a_fixed_number_of_queries(client, users, login, add, count_queries):
    login(users["front_desk"])
    add("One")
    client.get("/referrals/")
    with count_queries() as few:
        assert client.get("/referrals/?q=o").status_code == 200
    for number in range(30):
        add(f"Specialist {number}", ("Deep tissue", "Sports massage"))
    with count_queries() as many:
        page = client.get("/referrals/?q=s").get_data(as_text=True)
    assert "Specialist 1" in page
    assert len(many) == len(few)


# Matching ------------------------------------------------------------------------------------

def test_matching_ranks_with_reasons(add, make_client):
    deep, sports = modality("Deep tissue").id, modality("Sports massage").id
    add("Full Fiona", ("Deep tissue", "Sports massage"), accepting="no", area="Headingley")
    open_ = add("Open Olu", ("Deep tissue",), accepting="yes", area="Headingley", languages="English, Polish")
    both = add("Both Bea", ("Deep tissue", "Sports massage"), accepting="yes", area="Meanwood",
               verified_on=date(2025, 1, 1))
    add("Physio Pat", ("Physiotherapy",), accepting="yes")
    sam = make_client("Sam")
    refer(sam, open_, outcome="good_match")
    refer(sam, both, outcome="not_a_match")

    matches = queries.match(db.session, queries.Need((deep, sports), "Headingley", "polish"), today=TODAY)
    assert names(matches) == ["Open Olu", "Both Bea", "Full Fiona"]
    reasons = {m.specialist.name: m.reasons for m in matches}
    assert reasons["Open Olu"] == [
        "Accepting new clients", "Offers deep tissue", "In Headingley", "Speaks polish",
        "Details checked 23 Nov 2026", "1 past referral for this need went well",
    ]
    assert "1 past referral for this need was not a match" in reasons["Both Bea"]
    assert "Details not checked since 1 Jan 2025" in reasons["Both Bea"]
    assert "Offers deep tissue and sports massage" in reasons["Both Bea"]
    assert reasons["Full Fiona"][0] == "Not accepting new clients at the moment"
    assert queries.match(db.session, queries.Need(()), today=TODAY) == []


def test_matching_counts_past_referrals_up_to_three_and_adds_area_and_language_to_every_candidate(add, make_client):
    """The database orders candidates by the points it can sum; area and language, added in
    Python, still lift one with fewer of those points above the rest, whatever the limit."""
    deep = modality("Deep tissue").id
    quiet = add("Quiet Quinn", accepting="unknown", verified_on=None, area="Leeds")
    add("Checked Cleo", accepting="unknown", area="Otley")      # 10 more than Quinn
    add("Near Nell", accepting="unknown", verified_on=date(2024, 1, 1), area="Headingley",
               languages="Welsh")                                           # 15 fewer than Cleo
    sam = make_client("Sam")
    for _ in range(4):
        refer(sam, quiet, outcome="no_answer")

    matches = queries.match(db.session, queries.Need((deep,)), today=TODAY)
    assert names(matches) == ["Checked Cleo", "Near Nell", "Quiet Quinn"]
    as_rows = queries.match(db.session, queries.Need((deep,)), today=TODAY, rows=True)
    assert isinstance(matches[0].specialist, Specialist) and not isinstance(as_rows[0].specialist, Specialist)
    assert [(m.specialist.name, m.score, m.reasons) for m in as_rows] == [
        (m.specialist.name, m.score, m.reasons) for m in matches]
    assert [m.score for m in matches] == [5 + 30 + 10, 5 + 30 - 5, 5 + 30 - 5 - 15]  # four, counted as three
    assert matches[2].reasons == ["Not known whether they take new clients: ask first", "Offers deep tissue",
                                  "Details never checked", "4 past referrals had no answer"]
    for limit in (1, 3):
        found = queries.match(db.session, queries.Need((deep,), "headingley", "welsh"), today=TODAY, limit=limit)
        assert names(found) == ["Near Nell", "Checked Cleo", "Quiet Quinn"][:limit]
        assert found[0].score == 5 + 30 - 5 + 20 + 15
    assert names(queries.match(db.session, queries.Need((deep,), "Otley"), today=TODAY, limit=1)) == ["Checked Cleo"]


def test_matching_without_area_or_language_keeps_equal_colleagues_in_the_rankings_order(add):
    """With nothing added in Python the database's first rows are the ranking: it orders
    names as Python does (by code point, whatever its collation), so "ann lee" comes before
    "annabel ng" (a collation that skips spaces would put Annabel first)."""
    for name in ("Annabel Ng", "Ann Lee", "Ann-Marie Orr", "Ánn Zed"):
        add(name, accepting="yes")
    ranked = names(queries.match(db.session, queries.Need((modality("Deep tissue").id,)), today=TODAY))
    assert ranked == ["Ann Lee", "Ánn Zed", "Ann-Marie Orr", "Annabel Ng"]
    for limit in (1, 2, 3):
        found = queries.match(db.session, queries.Need((modality("Deep tissue").id,)), today=TODAY, limit=limit)
        assert names(found) == ranked[:limit]


def test_matching_without_area_or_language_asks_the_database_for_the_first_rows_only(add):
    """Without an area or a language nothing is added in Python: the database is asked for the
    best `limit` candidates only (it keeps those as it sorts, and sends no more); with either,
    for them all, as Python may lift any."""
    for name in ("Ann Lee", "Bea Cole", "Cy Dunn"):
        add(name, accepting="yes")
    deep = modality("Deep tissue").id
    statements = []

    def ranking(_connection, _cursor, statement, *_):
        if "ORDER BY points DESC" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", ranking)
    try:
        assert names(queries.match(db.session, queries.Need((deep,)), today=TODAY, limit=2)) == ["Ann Lee", "Bea Cole"]
        assert names(queries.match(db.session, queries.Need((deep,), language="Welsh"), today=TODAY, limit=2)) == [
            "Ann Lee", "Bea Cole"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", ranking)
    assert ["LIMIT" in statement for statement in statements] == [True, False]


def test_matching_one_modality_joins_what_each_offers_rather_than_counting_it(add, make_client, count_queries):
    """A need of one modality ranks from what each colleague offers and the referrals naming
    it as they are (each offers it once, each referral names it once); several are counted
    per colleague, and the referrals made distinct, first. Both give the same rows for one."""
    deep, sports = modality("Deep tissue").id, modality("Sports massage").id
    add("Ann Lee", ("Deep tissue", "Sports massage"), accepting="yes")
    bea = add("Bea Cole", ("Deep tissue",), accepting="no", verified_on=date(2025, 1, 1))
    add("Cy Dunn", ("Sports massage",), accepting="unknown")
    refer(make_client("Sam"), bea, outcome="good_match")
    with count_queries() as run:
        assert names(queries.match(db.session, queries.Need((deep,)), today=TODAY)) == ["Ann Lee", "Bea Cole"]
        assert names(queries.match(db.session, queries.Need((deep, sports)), today=TODAY)) == [
            "Ann Lee", "Cy Dunn", "Bea Cole"]
    statements = [statement for statement in run if "ORDER BY points DESC" in statement]
    assert [("GROUP BY specialist_modality.specialist_id" in statement, "DISTINCT" in statement)
            for statement in statements] == [(False, False), (True, True)]
    connection = db.session.connection()
    joined, counted = (connection.execute(
        queries._ranked_candidates(placed=False, dialect=connection.dialect.name, several=several),
        {"wanted": wanted, "fresh_since": date(2026, 5, 23), "limit": 25}).all()
        for several, wanted in ((False, deep), (True, [deep])))
    assert joined == counted and len(joined) == 2


def test_matching_reads_the_candidates_from_the_index_of_what_it_ranks_them_by(add):
    """On PostgreSQL the ranking reads what it needs of each colleague (active, accepting,
    checked, name) from ix_specialist_ranking, not from the table's rows. The test practice is
    too small for PostgreSQL to prefer any index, so sequential scans are priced out; what it
    chooses among the indexes is then the index's own merit."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan (SQLite reads the candidates by rowid)")
    add("Ann Lee", accepting="yes")
    statements = []

    def ranking(_connection, _cursor, statement, parameters, *_):
        if "ORDER BY points DESC" in statement:
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", ranking)
    try:
        assert names(queries.match(db.session, queries.Need((modality("Deep tissue").id,)), today=TODAY)) == ["Ann Lee"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", ranking)
    [(statement, parameters)] = statements
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as vacuum:
        vacuum.exec_driver_sql("VACUUM (ANALYZE) specialist")  # its rows visible to all, as they come to be
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
    assert any("Index Only Scan using ix_specialist_ranking" in line for line in plan), "\n".join(plan)


def test_accepting_colleagues_in_the_area_first(add):
    add("Away Ann", ("Deep tissue",), accepting="yes", area="Roundhay")
    add("Near Nia", ("Deep tissue",), accepting="yes", area="Headingley")
    add("No Ned", ("Deep tissue",), accepting="no", area="Headingley")
    add("Physio Pat", ("Physiotherapy",), accepting="yes", area="Headingley")
    found = queries.accepting_colleagues(db.session, [modality("Deep tissue")], area="headingley")
    assert names(found) == ["Near Nia", "Away Ann"]


# Referrals out and in --------------------------------------------------------------------------

def test_a_referral_follows_up_in_two_weeks_and_is_due_then(add, make_client, users):
    bea = add("Bea")
    sam = make_client("Sam")
    referral = refer(sam, bea, need="Deeper pressure than we offer")
    assert referral.follow_up_on == TODAY + timedelta(days=14)
    assert queries.follow_ups_due(db.session, today=TODAY) == []
    later = TODAY + timedelta(days=14)
    assert [r.id for r in queries.follow_ups_due(db.session, today=later)] == [referral.id]
    services.record_outcome(db.session, SYSTEM, referral, "booked", "Booked for Friday", now=NOW)
    assert queries.follow_ups_due(db.session, today=later) == []
    with pytest.raises(DomainError):
        services.record_outcome(db.session, SYSTEM, referral, "lost", now=NOW)
    with pytest.raises(DomainError, match="Say what the client needs"):
        services.record_referral(db.session, SYSTEM, client=sam, specialist=bea, today=TODAY, now=NOW)


def test_referrals_in_and_for_a_client(add, make_client):
    bea = add("Bea")
    sam = make_client("Sam")
    services.record_referral_in(db.session, SYSTEM, client=sam, source="Dr Ahmed, GP", today=TODAY, now=NOW)
    services.record_referral_in(db.session, SYSTEM, client=sam, specialist=bea, today=TODAY, now=NOW)
    refer(sam, bea, needs=("Sports massage", "Deep tissue"), outcome="booked")
    assert queries.referral_source(db.session, sam.id).source_label == "Bea"
    # The client page's list: one row a referral, its needs by name, the colleague or source.
    listed = queries.referrals_for_client(db.session, sam.id)
    assert [(r.direction, r.source_label, r.needs) for r in listed] == [
        ("out", "Bea", ["Deep tissue", "Sports massage"]), ("in", "Bea", []), ("in", "Dr Ahmed, GP", [])]
    assert (listed[0].specialist_name, listed[0].outcome_label, listed[2].specialist_name) == ("Bea", "Client booked with them", None)
    page = queries.specialist_page(db.session, bea.id)
    assert (len(page.referrals_out), len(page.referrals_in)) == (1, 1)
    with pytest.raises(DomainError):
        services.record_referral_in(db.session, SYSTEM, client=sam, today=TODAY, now=NOW)


# Capacity and the waitlist ---------------------------------------------------------------------

def inquiry(name, practitioner=None):
    return services.record_inquiry(
        db.session, SYSTEM, services.InquiryDetails(name=name, phone="07911 123456",
                                                    practitioner_id=practitioner.id if practitioner else None),
        phone_region="GB", now=NOW)


def test_capacity_counts_active_bookable_clients(users, make_client):
    priya = users["practitioner"].practitioner
    services.update_capacity(db.session, SYSTEM, priya.id, accepting=True, max_active_clients=2, now=NOW)
    first = make_client("One", primary_practitioner_id=priya.id)
    make_client("Two", primary_practitioner_id=priya.id)
    assert services.capacities(db.session)[priya.id].has_room is False
    first.standing = "moved_on"
    db.session.commit()
    assert services.capacities(db.session)[priya.id].has_room is True
    services.update_capacity(db.session, SYSTEM, priya.id, accepting=False, max_active_clients=None, now=NOW)
    assert "Not taking new clients" in services.capacities(db.session)[priya.id].summary


def test_the_waitlist_is_offered_in_order(users, make_client):
    priya = users["practitioner"].practitioner
    services.update_capacity(db.session, SYSTEM, priya.id, accepting=True, max_active_clients=1, now=NOW)
    make_client("Current", primary_practitioner_id=priya.id)
    first, second = inquiry("First", priya), inquiry("Second", priya)
    services.waitlist_inquiry(db.session, SYSTEM, first, now=NOW)
    services.waitlist_inquiry(db.session, SYSTEM, second, now=NOW + timedelta(minutes=5))
    assert [i.name for i in queries.waitlist(db.session)] == ["First", "Second"]
    with pytest.raises(DomainError, match="no room"):
        services.offer_place(db.session, SYSTEM, first, now=NOW)
    services.update_capacity(db.session, SYSTEM, priya.id, accepting=True, max_active_clients=3, now=NOW)
    with pytest.raises(DomainError, match="First has waited longer"):
        services.offer_place(db.session, SYSTEM, second, now=NOW)
    services.offer_place(db.session, SYSTEM, first, now=NOW)
    services.offer_place(db.session, SYSTEM, second, now=NOW)
    assert (first.status, second.status) == ("offered", "offered")


def test_an_inquiry_becomes_a_client_or_is_closed(users):
    new = inquiry("Noor")
    client = services.turn_into_client(db.session, SYSTEM, new, phone_region="GB", now=NOW).record
    assert (new.status, new.client_id, client.phone) == ("client", client.id, "+447911123456")
    declined = inquiry("Dee")
    services.close_inquiry(db.session, SYSTEM, declined, now=NOW, outcome="declined", note="Full")
    assert declined.status == "declined" and not declined.is_open
    with pytest.raises(DomainError, match="closed"):
        services.close_inquiry(db.session, SYSTEM, declined, now=NOW)


# CSV and vCard ---------------------------------------------------------------------------------

AWKWARD = {
    "name": "Anaïs O'Brien, Jr.", "business": "Body; Mind & Co.", "address": "Flat 2\n14 Oak Lane, Leeds",
    "notes": "Back\\slash; commas, and\nnew lines. " + "Lorem ipsum dolor sit amet " * 5,
    "languages": "English, Français", "area": "Chapel Allerton", "accepting": "yes",
    "phone": "0113 496 0000", "email": "anais@example.org", "fees": "£60 / hour",
}


def test_csv_round_trip_keeps_commas_accents_and_line_breaks(add):
    original = add(modalities=("Deep tissue", "Counselling"), **AWKWARD)
    exported = "".join(csv_io.stream_specialists(queries.specialists_for_export(db.session)))
    services.set_specialist_retired(db.session, SYSTEM, original, True, now=NOW)
    assert csv_io.import_specialists(db.session, SYSTEM, exported, phone_region="GB", now=NOW) == 1
    copy = db.session.scalar(sa.select(Specialist).where(Specialist.id != original.id))
    for key in AWKWARD:
        assert getattr(copy, key) == getattr(original, key), key
    assert names_of(copy.modalities) == ["Counselling", "Deep tissue"]
    assert copy.verified_on == TODAY


def test_csv_import_is_all_or_nothing_with_a_row_report(practice):
    text = ("name,modalities,phone,accepting,verified_on\n"
            "Good Gail,Deep tissue,0113 496 0000,yes,2026-10-01\n"
            "Bad Bob,Reiki,12,maybe,yesterday\n")
    preview = csv_io.check_upload(db.session, text, phone_region="GB")
    assert not preview.ok and preview.error_count == 1
    bad = preview.rows[1]
    assert bad.line == 3
    assert any("Reiki" in e for e in bad.errors) and any("accepting" in e for e in bad.errors)
    assert any(e.startswith("phone:") for e in bad.errors) and any("verified_on" in e for e in bad.errors)
    with pytest.raises(csv_io.ImportRefused):
        csv_io.import_specialists(db.session, SYSTEM, text, phone_region="GB", now=NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Specialist.id))) == 0
    assert csv_io.check_upload(db.session, "nom\nX\n", phone_region="GB").problems


def test_vcard_escapes_folds_and_round_trips(add):
    original = add(modalities=("Deep tissue", "Counselling"), **AWKWARD)
    data = vcard.export_vcards([original])
    text = data.decode("utf-8")
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert "FN:Anaïs O'Brien\\, Jr.\r\n" in text
    assert "ORG:Body\\; Mind & Co.\r\n" in text
    assert "ADR;TYPE=work:;;Flat 2\\n14 Oak Lane\\, Leeds;Chapel Allerton;;;\r\n" in text
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert any(line.startswith(b" ") for line in data.split(b"\r\n"))  # the long note was folded
    services.set_specialist_retired(db.session, SYSTEM, original, True, now=NOW)
    assert csv_io.import_specialists(db.session, SYSTEM, text, phone_region="GB", now=NOW) == 1
    copy = db.session.scalar(sa.select(Specialist).where(Specialist.id != original.id))
    for key in AWKWARD:
        assert getattr(copy, key) == getattr(original, key), key
    assert names_of(copy.modalities) == ["Counselling", "Deep tissue"]


def test_folding_never_splits_a_character():
    line = "NOTE:" + "é" * 100
    folded = vcard.fold(line)
    assert all(len(part) <= 75 for part in folded.split(b"\r\n"))
    assert vcard.unfold(folded.decode("utf-8"))[0][1] == line


@pytest.mark.parametrize("line", ["FN:Short", "NOTE:" + "a" * 70, "NOTE:" + "a" * 71, "NOTE:" + "b" * 300,
                                  "NOTE:" + "a€😀é" * 40, "NOTE:" + "😀" * 19])
def test_folding_fills_each_line_as_full_as_it_can(line):
    parts = vcard.fold(line).split(b"\r\n")
    assert parts[-1] == b""  # the line ends with CRLF
    lines, continuations = parts[:-1], [part.removeprefix(b" ") for part in parts[1:-1]]
    assert b"".join([lines[0], *continuations]) == line.encode()
    for part, following in zip(lines, continuations, strict=False):
        next_character = following.decode("utf-8")[0].encode()  # every piece is whole characters
        assert len(part) <= 75 < len(part) + len(next_character)  # the next one did not fit
    assert vcard.unfold(vcard.fold(line).decode("utf-8"))[0][1] == line


def test_a_phone_address_book_card_imports(practice):
    card = ("BEGIN:VCARD\nVERSION:3.0\nN:Nowak;Ewa;;;\nFN:Ewa Nowak\nORG:Kinetic Physio;Leeds\n"
            "item1.TEL;TYPE=CELL:07911 123457\nEMAIL;TYPE=INTERNET:ewa@example.org\n"
            "NOTE:Speaks Polish\\, very\n  good with backs\nEND:VCARD\n")
    preview = csv_io.check_upload(db.session, card, phone_region="GB")
    assert preview.ok, preview.rows[0].errors
    details = preview.rows[0].details
    assert (details.name, details.business, details.phone) == ("Ewa Nowak", "Kinetic Physio", "+447911123457")
    assert details.notes == "Speaks Polish, very good with backs"
    assert csv_io.check_upload(db.session, "BEGIN:VCARD\nFN:x\n", phone_region="GB").problems


# Pages and permissions ---------------------------------------------------------------------------

def test_front_desk_reads_but_does_not_edit_the_directory(client, users, login, add):
    bea = add("Bea")
    login(users["front_desk"])
    assert client.get("/referrals/").status_code == 200
    assert "Verified today" not in client.get("/referrals/").get_data(as_text=True)
    assert client.post(f"/referrals/specialists/{bea.id}/verify").status_code == 403
    assert client.get("/referrals/specialists/new").status_code == 403
    assert client.get("/referrals/inquiries/new").status_code == 200


def test_a_practitioner_changes_only_their_own_capacity(client, users, login, make_user):
    other = make_user("practitioner", name="Pat Other").practitioner
    login(users["practitioner"])
    assert client.get(f"/referrals/capacity/{other.id}").status_code == 403
    own = users["practitioner"].practitioner.id
    response = client.post(f"/referrals/capacity/{own}", data={"max_active_clients": "12"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (users["practitioner"].practitioner.max_active_clients,
            users["practitioner"].practitioner.accepting_new_clients) == (12, False)


def test_the_match_page_finds_the_client_by_name_and_never_lists_every_client(
        client, users, login, add, make_client, make_user):
    add("Bea Deep", accepting="yes")
    mine = users["practitioner"].practitioner.id
    sam, samira = make_client("Sam Rivers", primary_practitioner_id=mine), make_client("Samira Khan", primary_practitioner_id=mine)
    make_client("Sammy Other", primary_practitioner_id=make_user("practitioner").practitioner.id)  # not in their care
    make_client("Kit Lane", primary_practitioner_id=mine)
    login(users["practitioner"])
    deep = modality("Deep tissue").id
    page = client.get(f"/referrals/match?who=sam&modality={deep}").get_data(as_text=True)
    assert "Sam Rivers" in page and "Samira Khan" in page and "Sammy Other" not in page and "Kit Lane" not in page
    assert f"/referrals/match?client={sam.id}&amp;modality={deep}" in page
    assert 'name="client_id"' not in page and "choose the client above" in page
    chosen = client.get(f"/referrals/match?client={samira.id}&modality={deep}").get_data(as_text=True)
    assert "Find a colleague for Samira Khan" in chosen and "Refer Samira Khan to Bea Deep" in chosen
    assert f'<input type="hidden" name="client_id" value="{samira.id}">' in chosen
    assert "Sam Rivers" not in chosen and "<option" not in chosen.split('name="client_id"')[1].split("</form>")[0].split("modality_ids")[0]


def test_the_clients_suggested_on_the_match_page_are_bounded(client, users, login, make_client, monkeypatch):
    monkeypatch.setattr(views, "CLIENTS_SUGGESTED", 2)
    for name in ("Ann One", "Ann Two", "Ann Three"):
        make_client(name)
    login(users["admin"])
    page = client.get("/referrals/match?who=ann").get_data(as_text=True)
    assert page.count("/referrals/match?client=") == 2 and "type more of the name" in page
    assert "No current client" in client.get("/referrals/match?who=100%25").get_data(as_text=True)


def test_a_referral_for_an_archived_client_is_refused(client, users, login, add, make_client):
    bea = add("Bea Deep")
    gone = make_client("Gone Away")
    gone.archived_at = NOW
    db.session.commit()
    login(users["admin"])
    response = client.post("/referrals/refer", data={"client_id": gone.id, "specialist_id": bea.id, "need": "kept"})
    assert response.status_code == 422 and "Choose a client." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0


def test_refer_a_client_from_the_match_page_and_record_the_outcome(client, users, login, add, make_client):
    bea = add("Bea Deep", accepting="yes")
    sam = make_client("Sam")
    login(users["practitioner"])
    deep = modality("Deep tissue").id
    page = client.get(f"/referrals/match?client={sam.id}&modality={deep}").get_data(as_text=True)
    assert "Bea Deep" in page and "Accepting new clients" in page
    response = client.post("/referrals/refer", data={"client_id": sam.id, "specialist_id": bea.id,
                                                     "modality_ids": [deep]})
    assert response.status_code == 302
    referral = db.session.scalar(sa.select(Referral))
    assert client.post(f"/referrals/referrals/{referral.id}/outcome",
                       data={"outcome": "good_match", "note": "Loved it"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).outcome == "good_match"
    bad = client.post("/referrals/refer", data={"client_id": "0", "specialist_id": bea.id, "need": "kept"})
    assert bad.status_code == 422 and "Choose a client." in bad.get_data(as_text=True)
    assert "kept" in bad.get_data(as_text=True)


def test_the_match_page_has_one_referral_form_each_colleague_a_button_of_it(
        app, client, users, login, add, make_client, monkeypatch):
    bea, cal = add("Bea Deep", accepting="yes"), add("Cal Deep", accepting="yes")
    sam = make_client("Sam")
    login(users["admin"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    deep = modality("Deep tissue").id
    page = client.get(f"/referrals/match?client={sam.id}&modality={deep}").get_data(as_text=True)
    # The token of the layout's sign-out form, and the referral form's.
    assert page.count('<form id="refer"') == 1 and page.count('name="csrf_token"') == 2
    assert page.count('id="need"') == 1 and page.count('name="client_id"') == 1
    for colleague in (bea, cal):
        assert (f'<button type="submit" form="refer" name="specialist_id" value="{colleague.id}" '
                f'class="btn btn-sm btn-practice">Refer Sam to {colleague.name}</button>') in page
    # Enter in a field submits the form's first button: one that asks to stay, not the first
    # colleague's; the answer keeps the page as it is and records nothing.
    form = page.split('<form id="refer"')[1]
    assert form.index("<button") == form.index('<button type="submit" name="stay" value="1" hidden></button>')
    token = page.split('name="csrf_token" type="hidden" value="')[-1].split('"')[0]
    enter = client.post("/referrals/refer", data={"stay": "1", "client_id": sam.id, "modality_ids": [deep],
                                                  "need": "Firmer pressure", "csrf_token": token})
    assert enter.status_code == 204 and enter.get_data() == b""
    assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0


def test_the_match_pages_colleagues_escape_what_they_show_with_their_badge_and_buttons(
        client, users, login, add, make_client):
    """The colleagues are written in Python (referrals.rows_html), not by Jinja's autoescape:
    what was typed shows as text; each answer has its badge; business and e-mail only when
    known; the buttons only with a client chosen (and a letter only for those who write them)."""
    marked = 'Ann <b>"Bold"</b> & Co'
    escaped = "Ann &lt;b&gt;&#34;Bold&#34;&lt;/b&gt; &amp; Co"
    add(f"Ada {marked}", accepting="yes", business=f"Clinic {marked}", email="ada@example.org")
    add("Bo Plain", accepting="no")
    add("Cy Unsure", accepting="unknown")
    sam = make_client(f"Sam {marked}")
    deep = modality("Deep tissue").id

    def colleagues(path):
        page = client.get(path).get_data(as_text=True)
        return page[page.index('<ol class="list-unstyled">'):page.index("</ol>")]

    login(users["admin"])
    chosen = colleagues(f"/referrals/match?client={sam.id}&modality={deep}")
    assert "<b>" not in chosen and '"Bold"' not in chosen
    assert f'aria-label="Ada {escaped}"' in chosen and f'<span class="small text-muted">Clinic {escaped}</span>' in chosen
    assert chosen.count(f"Refer Sam {escaped} to ") == 3 and chosen.count("Write a referral letter to ") == 3
    assert f"Write a referral letter to Ada {escaped}</a>" in chosen and " · ada@example.org</div>" in chosen
    assert chosen.count(" · ") == 1 and chosen.count('<span class="small text-muted">') == 1
    for badge in ('<span class="badge text-bg-success">Accepting</span>',
                  '<span class="badge text-bg-secondary">Not accepting</span>',
                  '<span class="badge text-bg-light border">Accepting: not known</span>'):
        assert chosen.count(badge) == 1
    unchosen = colleagues(f"/referrals/match?modality={deep}")
    assert unchosen.count('<li class="card mb-2"') == 3 and "<button" not in unchosen and "letter" not in unchosen


def test_a_refused_referral_is_shown_again_with_what_was_typed_next_to_the_field(
        client, users, login, add, make_client, make_user):
    bea = add("Bea Deep", accepting="yes")
    sam = make_client("Sam")
    login(users["admin"])
    response = client.post("/referrals/refer", data={"client_id": sam.id, "specialist_id": bea.id,
                                                     "need": "Firmer pressure", "follow_up_on": "not a day"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Record a referral of Sam to Bea Deep" in page
    assert 'id="follow_up_on-error"' in page and 'aria-describedby="follow_up_on-help follow_up_on-error"' in page
    assert "Firmer pressure</textarea>" in page and 'value="not a day"' in page
    assert f'name="specialist_id" value="{bea.id}">Record the referral</button>' in page
    assert f'<input type="hidden" name="client_id" value="{sam.id}">' in page
    assert db.session.scalar(sa.select(sa.func.count(Referral.id))) == 0
    # Shown again to someone who may not record the client's referrals: the client is not named.
    kim = make_client("Kim Other", primary_practitioner_id=make_user("practitioner").practitioner.id)
    client.post("/logout")
    login(users["practitioner"])
    page = client.post("/referrals/refer", data={"client_id": kim.id, "specialist_id": bea.id,
                                                 "follow_up_on": "not a day"}).get_data(as_text=True)
    assert "Kim Other" not in page and '<input type="hidden" name="client_id" value="0">' in page


def test_import_pages_check_in_the_background_then_import(client, users, login):
    from tests.test_imports import checked, imported

    login(users["admin"])
    job_id, page = checked(client, "/referrals/import", "name,modalities\nGail,Deep tissue\n")
    assert "All 1 rows can be imported" in page
    assert "Imported 1 specialists." in imported(client, job_id)
    assert db.session.scalar(sa.select(sa.func.count(Specialist.id))) == 1
    vcf = client.get("/referrals/export.vcf")
    assert vcf.mimetype == "text/vcard" and b"FN:Gail" in vcf.data


def test_inquiry_page_lists_accepting_colleagues(client, users, login, add):
    add("Open Olu", accepting="yes")
    add("Closed Cal", accepting="no")
    login(users["front_desk"])
    response = client.post("/referrals/inquiries/new", data={
        "name": "Noor", "phone": "07911 123456", "modality_ids": [modality("Deep tissue").id]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Open Olu" in page and "Closed Cal" not in page
    assert db.session.scalar(sa.select(sa.func.count(Inquiry.id))) == 1


def test_the_demo_network(users, make_client):
    from referrals.demo import add_demo_network

    clients = [make_client(f"Client {number}") for number in range(10)]
    add_demo_network(db.session, now=NOW, clients=clients, practitioners=[users["practitioner"].practitioner])
    assert db.session.scalar(sa.select(sa.func.count(Specialist.id))) >= 30
    assert queries.count_needs_checking(db.session, today=TODAY, months=6) >= 5
    assert len(queries.waitlist(db.session)) == 2
    deep = queries.match(db.session, queries.Need((modality("Deep tissue").id,)), today=TODAY)
    assert deep[0].specialist.name == "Rafael Costa"
    assert "2 past referrals for this need went well" in deep[0].reasons
    assert queries.follow_ups_due(db.session, today=TODAY)


def test_phone_numbers_are_shown_as_people_write_them(client, users, login, add):
    dana = add("Dana Okoro", phone="0113 496 0015", accepting="yes")
    assert dana.phone == "+441134960015"
    login(users["front_desk"])
    assert "+44 113 496 0015" in client.get(f"/referrals/specialists/{dana.id}").get_data(as_text=True)


def test_an_inquiry_names_what_it_looks_for_once_when_its_service_is_also_a_need(desk, client, users, login):
    _practitioner, service, _client = desk
    need = services.add_modality(db.session, SYSTEM, service.name, now=NOW)
    inquiry = services.record_inquiry(db.session, SYSTEM, services.InquiryDetails(
        name="Robin Walker", phone="07911 123456", service_id=service.id, modality_ids=[need.id]),
        phone_region="GB", now=NOW)
    db.session.commit()
    login(users["admin"])
    page = client.get(f"/referrals/inquiries/{inquiry.id}").get_data(as_text=True)
    assert page.count(service.name) == 1, "the service and the need of the same name are one thing"
