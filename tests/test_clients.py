"""Client records: normalised contact details, duplicate warnings, search, archive, CSV."""

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM
from practice.clients import csv_io, queries, services
from practice.clients.models import Client, search_text_of
from practice.db import db
from practice.errors import DomainError
from tests.conftest import NOW


def details(**values):
    return services.ClientDetails(**({"display_name": "Sam"} | values))


def test_contact_details_are_normalised(make_client):
    sam = make_client("  Sam  ", phone="07911 123456", email=" Sam.Lee@Example.ORG ",
                      date_of_birth=date(1990, 5, 1))
    assert (sam.display_name, sam.phone, sam.email) == ("Sam", "+447911123456", "sam.lee@example.org")


@pytest.mark.parametrize("field, value", [
    ("display_name", "   "), ("phone", "12"), ("email", "sam@"),
    ("date_of_birth", date(2027, 1, 1)), ("primary_practitioner_id", 999),
])
def test_bad_details_are_refused_naming_the_field(practice, field, value):
    with pytest.raises(DomainError) as refused:
        services.clean_details(db.session, details(**{field: value}), phone_region="GB", today=NOW.date())
    assert refused.value.field == field


def test_same_phone_or_email_is_a_warning_not_a_refusal(make_client):
    first = make_client("Sam", phone="07911 123456")
    second = make_client("Samuel", phone="+44 7911 123456")
    found = services.possible_duplicates(db.session, details(phone=second.phone), exclude_id=second.id)
    assert found == [first]


def test_duplicate_warning_shows_after_saving(client, users, login):
    login(users["front_desk"])
    client.post("/clients/new", data={"display_name": "Sam", "email": "sam@example.org"})
    response = client.post("/clients/new", data={"display_name": "Sam L", "email": "SAM@example.org"},
                           follow_redirects=True)
    assert "Check for a duplicate: Sam has the same phone number or e-mail." in response.get_data(as_text=True)


def test_search_by_any_name_phone_or_email(client, users, login, make_client):
    login(users["front_desk"])
    make_client("Mika", legal_name="Michaela Brandt", phone="07911 123456", email="mb@example.org")
    make_client("Jo")
    for text in ("mik", "BRANDT", "07911 123", "7911123456", "mb@example"):
        page = client.get("/clients/", query_string={"q": text}).get_data(as_text=True)
        assert "Mika" in page and ">Jo<" not in page, text


def test_search_finds_clients_however_their_names_were_written(client, users, login, make_client):
    # The search reads the client's search text, which the database keeps: a rename through
    # a service, an import's many-rows INSERT (which gives the text itself) and a plain UPDATE
    # or INSERT giving a wrong one are each found.
    login(users["admin"])
    renamed = make_client("Before")
    services.update_client(db.session, SYSTEM, renamed, services.ClientDetails(
        display_name="Renata", legal_name="Renata Okafor"), phone_region="GB", now=NOW)
    csv_io.import_clients(db.session, SYSTEM, "display_name,legal_name,email\nImogen,ÉLODIE Ünal,IMOGEN.P@Example.org\n",
                          phone_region="GB", now=NOW)
    plain = make_client("Quentin")
    db.session.execute(sa.update(Client).where(Client.id == plain.id).values(legal_name="Quentin Zabala",
                                                                             search_text="stale"))
    db.session.execute(sa.insert(Client).values(display_name="Wanda", legal_name="Wanda Yeboah", created_at=NOW,
                                                search_text="wanda\nwanda\n"))
    db.session.commit()
    for text, name in (("okaf", "Renata"), ("imogen.p@example", "Imogen"), ("ZABAL", "Quentin"),
                       ("yebo", "Wanda")):
        page = client.get("/clients/", query_string={"q": text}).get_data(as_text=True)
        assert name in page and "1 client" in page, text
    assert "Before" not in client.get("/clients/", query_string={"q": "before"}).get_data(as_text=True)
    # Every stored text is the database's own, whatever a writer gave.
    expected = (sa.func.lower(Client.display_name) + "\n" + sa.func.lower(Client.legal_name) + "\n" + Client.email)
    assert db.session.scalar(sa.select(sa.func.count()).where(Client.search_text != expected)) == 0


def test_an_import_writes_each_new_client_once(app, users):
    # The import gives each row its search text as SQLite's trigger writes it, so the trigger
    # leaves the rows alone (it would write each new row a second time, with its indexes).
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sets the search text before writing the row, never twice")
    names = ["Ana Díaz", "Bo", "ZOË Ødegaard", "O'Neill-Smith"]
    assert search_text_of("Ana Díaz", "ÉLODIE Ünal", "a@example.org") == db.session.scalar(sa.select(
        sa.func.lower("Ana Díaz") + "\n" + sa.func.lower("ÉLODIE Ünal") + "\n" + "a@example.org"))
    changed = []

    def changes(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO client "):
            changed.append(conn.connection.dbapi_connection.total_changes)

    sa.event.listen(db.engine, "before_cursor_execute", changes)
    sa.event.listen(db.engine, "after_cursor_execute", changes)
    try:
        csv_io.import_clients(db.session, SYSTEM, "display_name,legal_name\n" + "".join(
            f"{name},{name.upper()}\n" for name in names), phone_region="GB", now=NOW)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", changes)
        sa.event.remove(db.engine, "after_cursor_execute", changes)
    assert changed[1] - changed[0] == len(names)  # rows written, the triggers' writes included


def test_like_wildcards_in_search_are_literal(client, users, login, make_client):
    login(users["front_desk"])
    make_client("Ana")
    for wildcard in ("%", "_", "\\"):
        page = client.get("/clients/", query_string={"q": wildcard}).get_data(as_text=True)
        assert "0 clients matching" in page


def _pages_linked(html: str) -> set[int]:
    return {int(number) for number in re.findall(r"[?&;]page=(\d+)", html)}


def test_a_search_counts_its_matches_only_as_far_as_the_pager_links(app, client, users, login, make_client,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_PAGE_SIZE", 2)  # the pager links four pages ahead: 10 clients
    login(users["front_desk"])
    for number in range(10):
        make_client(f"Pat Alder {number:02}")
    make_client("Pat Birch")
    make_client("Pat Cedar")
    first = client.get("/clients/?q=pat").get_data(as_text=True)
    assert "More than 10 clients matching “pat”." in first
    assert _pages_linked(first) == {1, 2, 3, 4, 5} and first.count('<span class="page-link">…</span>') == 1
    # Further on, the count reaches the last match: exact again, the last page linked.
    second = client.get("/clients/?q=pat&page=2").get_data(as_text=True)
    assert "12 clients matching “pat”." in second and "More than" not in second
    assert _pages_linked(second) == {1, 2, 3, 4, 5, 6} and '<span class="page-link">…</span>' not in second
    # As many matches as are counted, and no more: exact.
    alders = client.get("/clients/?q=alder").get_data(as_text=True)
    assert "10 clients matching “alder”." in alders and "More than" not in alders
    # The list without a search counts every client.
    assert "More than" not in client.get("/clients/").get_data(as_text=True)


def test_client_list_is_paginated_with_a_fixed_number_of_queries(app, client, users, login, make_client, count_queries):
    login(users["front_desk"])
    for number in range(30):
        make_client(f"Client {number:02}", primary_practitioner_id=users["practitioner"].practitioner.id)
    with count_queries() as few:
        first = client.get("/clients/").get_data(as_text=True)
    for number in range(30, 90):
        make_client(f"Client {number:02}", primary_practitioner_id=users["practitioner"].practitioner.id)
    with count_queries() as many:
        client.get("/clients/")
    assert len(few) == len(many)
    assert "Client 00" in first and "Client 25" not in first and "90 clients" not in first
    assert "Client 25" in client.get("/clients/?page=2").get_data(as_text=True)


def test_the_client_lists_count_reads_the_index_of_clients_not_archived(client, users, login, make_client):
    """Not the whole table, which PostgreSQL reads to count them otherwise. The test practice
    is too small for PostgreSQL to prefer any index, so sequential scans are priced out; what
    it chooses among the indexes is then the index's own merit."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan (SQLite counts from an index it already has)")
    login(users["front_desk"])
    make_client("Sam")
    statements = []

    def caught(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", caught)
    try:
        assert "1 client." in client.get("/clients/").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", caught)
    [(count, parameters)] = [(s, p) for s, p in statements if "count(*)" in s]
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = connection.exec_driver_sql(f"EXPLAIN {count}", parameters).scalars().all()
    assert any("ix_client_not_archived" in line for line in plan), plan


def test_archived_clients_leave_the_list_but_keep_their_record(client, users, login, make_client):
    login(users["practitioner"])
    sam = make_client("Sam")
    client.post(f"/clients/{sam.id}/archive")
    assert "Sam" not in client.get("/clients/").get_data(as_text=True).split("<tbody>")[1]
    assert "Sam" in client.get("/clients/?archived=1").get_data(as_text=True)
    assert client.get(f"/clients/{sam.id}").status_code == 200
    client.post(f"/clients/{sam.id}/archive", data={"restore": "1"})
    db.session.expire_all()
    assert db.session.get(Client, sam.id).archived_at is None


def test_every_write_is_audited_with_who_and_where(client, users, login):
    login(users["front_desk"])
    client.post("/clients/new", data={"display_name": "Sam"}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.create"))
    assert (event.actor_id, event.address, event.at) == (users["front_desk"].id, "192.0.2.7", NOW)


def test_the_audit_trail_pages_and_lists_its_actions_in_a_fixed_number_of_queries(
        app, client, users, login, count_queries):
    app.config["PRACTICE_PAGE_SIZE"] = 1  # the trail shows two events a page
    login(users["admin"])
    for name in ("Sam", "Kit"):
        client.post("/clients/new", data={"display_name": name})
    client.get("/audit/")  # warm up
    with count_queries() as few:
        first = client.get("/audit/").get_data(as_text=True)
    for name in ("Ann", "Bo", "Cy"):
        client.post("/clients/new", data={"display_name": name})
    with count_queries() as many:
        client.get("/audit/")
    assert len(many) == len(few)
    assert '<option value="client.create">' in first and "/audit/?page=2" in first
    filtered = client.get("/audit/?action=client.create&page=3").get_data(as_text=True)
    assert filtered.count("<code>client.create</code>") == 1 and "page=4" not in filtered


def test_export_neutralises_spreadsheet_formulas(make_client):
    make_client("=HYPERLINK(\"http://x\")", phone="07911 123456")
    rows = list(csv.DictReader(io.StringIO("".join(csv_io.export_clients(queries.clients_for_export())))))
    assert rows[0]["display_name"].startswith("'=")
    assert rows[0]["phone"] == "+447911123456"


def test_the_import_check_finds_duplicates_in_a_fixed_number_of_queries(practice, make_client, count_queries, monkeypatch):
    monkeypatch.setattr(csv_io, "DUPLICATE_KEYS_A_QUERY", 2)  # the keys span batches
    make_client("Zoe Phone", phone="07911 123456")
    make_client("Amy Both", phone="07911 123457", email="amy@example.org")

    def checked(rows: int):
        lines = ["display_name,phone,email", "Sam,07911 123456,amy@example.org", "Kit,07911 123456,"]
        lines += [f"New {n},,new{n}@example.org" for n in range(rows)]
        with count_queries() as statements:
            preview = csv_io.check_rows(db.session, "\n".join(lines) + "\n", phone_region="GB", today=NOW.date())
        return preview, len(statements)

    preview, few = checked(2)
    assert preview.rows[0].warnings == ["Same phone or e-mail as Amy Both (already a client).",
                                        "Same phone or e-mail as Zoe Phone (already a client)."]
    assert preview.rows[1].warnings == ["Same phone or e-mail as Zoe Phone (already a client).",
                                        "Same phone or e-mail as line 2."]
    assert all(not row.warnings for row in preview.rows[2:])
    monkeypatch.setattr(csv_io, "DUPLICATE_KEYS_A_QUERY", 500)
    assert checked(2)[1] == checked(300)[1] < few


def test_the_export_names_the_primary_practitioner_and_writes_dates_as_iso(users, make_client):
    practitioner = users["practitioner"].practitioner
    make_client("Sam", date_of_birth=date(1990, 5, 1), primary_practitioner_id=practitioner.id)
    make_client("Kit")
    rows = list(csv.DictReader(io.StringIO("".join(csv_io.export_clients(queries.clients_for_export())))))
    assert [(r["display_name"], r["practitioner"], r["date_of_birth"], r["archived_at"]) for r in rows] == [
        ("Sam", practitioner.display_name, "1990-05-01", ""), ("Kit", "", "", "")]
    assert rows[0]["created_at"] == NOW.isoformat()


def test_import_round_trip_of_an_export(practice, make_client):
    make_client("Sam", phone="07911 123456", address="1 Long Lane\nBristol", date_of_birth=date(1990, 5, 1))
    exported = "".join(csv_io.export_clients(queries.clients_for_export()))
    preview = csv_io.check_rows(db.session, exported, phone_region="GB", today=NOW.date())
    assert preview.ok and preview.rows[0].warnings  # same phone as the existing Sam
    from practice.audit.services import SYSTEM

    assert csv_io.import_clients(db.session, SYSTEM, exported, phone_region="GB", now=NOW) == 1
    copies = db.session.scalars(sa.select(Client).where(Client.display_name == "Sam")).all()
    assert len(copies) == 2 and copies[1].address == "1 Long Lane\nBristol"


def test_import_is_all_or_nothing(practice):
    from practice.audit.services import SYSTEM

    text = "display_name,phone\nAna,07911 123456\nBo,12\n"
    with pytest.raises(csv_io.ImportRefused) as refused:
        csv_io.import_clients(db.session, SYSTEM, text, phone_region="GB", now=NOW)
    assert [row.line for row in refused.value.preview.rows if row.errors] == [3]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0


def test_page_titles_are_plain_text(client, users, login, make_client):
    login(users["admin"])
    sam = make_client("Sam")
    practitioner = users["practitioner"].practitioner
    for url, title in [(f"/clients/{sam.id}", "Sam"),
                       (f"/settings/scheduling/practitioners/{practitioner.id}", "Priya Practitioner's hours")]:
        page = client.get(url).get_data(as_text=True)
        assert f"<title>{title} &middot; Harbour Street Massage</title>" in page, url
