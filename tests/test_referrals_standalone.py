"""The referral network on a Flask site of its own: its own Flask-SQLAlchemy, its own people
(members who refer and are referred), its own audit log, and none of the practice's tables.
The network's own migrations build exactly its models, on both databases."""

import io
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, request
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

import referrals
from practice.db import db as practice_db
from referrals import migrations
from referrals.database import metadata as network_tables
from referrals.migrations import VERSION_TABLE
from referrals.models import Inquiry, Modality, Referral, Specialist
from tests.conftest import NOW

MEMBERS = ("Robin Staff", "Casey Member", "Ari Member")


@pytest.fixture
def empty_database(databases, tmp_path):
    url = databases.empty(tmp_path)
    yield url
    databases.drop(url)


def build_site(url, folder):
    """A site with its members (the staff refer; any member may be referred) and a log of
    what was done, that runs the referral network through a host of its own."""
    site = Flask("members_site", instance_path=str(folder / "site-instance"))
    site.config.update(SECRET_KEY="site secret", WTF_CSRF_ENABLED=False, SQLALCHEMY_DATABASE_URI=url)
    site_db = SQLAlchemy()

    class Member(UserMixin, site_db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        staff: Mapped[bool] = mapped_column(default=False)

    class Log(site_db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        member_id: Mapped[int | None]
        action: Mapped[str]

    class SiteHost(referrals.Host):
        def can(self, action, obj=None):
            signed_in_staff = current_user.is_authenticated and current_user.staff
            return action == "referrals.view" or signed_in_staff

        def actor(self):
            return referrals.Actor(current_user.get_id() and int(current_user.get_id()), request.remote_addr or "")

        def record(self, session, actor, action, target, *, now, **detail):
            session.add(Log(member_id=actor.user_id, action=action))

        def now(self):
            return NOW

        def names(self, kind, ids):
            return dict(site_db.session.execute(sa.select(Member.id, Member.name).where(Member.id.in_(ids))).all())

        def client(self, client_id):
            member = site_db.session.get(Member, client_id)
            return referrals.Person(member.id, member.name, member) if member else None

        def clients_named(self, text, limit):
            members = sa.select(Member).where(Member.name.contains(text)).order_by(Member.name).limit(limit)
            return [referrals.Person(m.id, m.name, m) for m in site_db.session.scalars(members)]

    site_db.init_app(site)
    logins = LoginManager(site)
    logins.user_loader(lambda member_id: site_db.session.get(Member, int(member_id)))

    @site.post("/sign-in/<int:member_id>")
    def sign_in(member_id):
        login_user(site_db.session.get(Member, member_id))
        return "signed in"

    referrals.init_app(site, SiteHost())
    with site.app_context():
        site_db.create_all()
        site_db.session.add_all([Member(name=name, staff=name.endswith("Staff")) for name in MEMBERS])
        site_db.session.commit()
        migrations.upgrade(site_db.engine)
    return site, site_db, Log


def test_a_site_runs_the_network_with_its_own_people_and_no_practice_table(empty_database, tmp_path):
    site, site_db, Log = build_site(empty_database, tmp_path)
    with site.app_context():
        tables = set(sa.inspect(site_db.engine).get_table_names())
        deep = site_db.session.scalar(sa.select(Modality.id).where(Modality.name == "Deep tissue"))
    practice_tables = set(practice_db.metadata.tables) - set(network_tables.tables)
    assert tables == {"member", "log", VERSION_TABLE, *network_tables.tables}
    assert practice_tables and not tables & practice_tables

    browser = site.test_client()
    assert browser.get("/referrals/").status_code == 200
    assert browser.get("/referrals/specialists/new").status_code == 403  # the site's `can` decides
    browser.post("/sign-in/1")
    response = browser.post("/referrals/specialists/new", data={
        "name": "Bea Deeper", "phone": "0113 496 0000", "accepting": "yes", "modality_ids": [deep]})
    assert response.status_code == 302
    page = browser.get(f"/referrals/match?client=2&modality={deep}").get_data(as_text=True)
    assert "Find a colleague for Casey Member" in page and "Refer Casey Member to Bea Deeper" in page
    # No practice.js here: Enter in a field of the referral form presses its first button,
    # which asks to stay (204 No Content: the browser keeps the page) and refers no one.
    assert "practice.js" not in page
    form = page.split('<form id="refer"')[1]
    assert form.index("<button") == form.index('<button type="submit" name="stay" value="1" hidden>')
    enter = browser.post("/referrals/refer", data={"stay": "1", "client_id": "2", "modality_ids": [deep],
                                                   "need": "Sore back", "follow_up_on": "2026-12-07"})
    assert enter.status_code == 204
    chooser = browser.get(f"/referrals/match?who=Casey&modality={deep}").get_data(as_text=True)
    assert "Which client?" in chooser and "client=2" in chooser  # found by the site's own search

    refused = browser.post("/referrals/refer", data={"client_id": "0", "specialist_id": "1", "need": "kept"})
    assert refused.status_code == 422 and "Choose a client." in refused.get_data(as_text=True)
    response = browser.post("/referrals/refer", data={"client_id": "2", "specialist_id": "1",
                                                      "modality_ids": [deep], "need": "Sore back"})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Casey Member referred to Bea Deeper" in page and "by Robin Staff" in page
    assert "Casey Member" in browser.get("/referrals/specialists/1").get_data(as_text=True)
    assert "+44 113 496 0000" in browser.get("/referrals/specialists/1").get_data(as_text=True)

    response = browser.post("/referrals/inquiries/new", data={"name": "Noor", "phone": "07911 123456"})
    assert response.status_code == 302
    inquiries = browser.get("/referrals/inquiries").get_data(as_text=True)
    assert "Noor" in inquiries and "Room for new clients" not in inquiries  # the site keeps no capacity
    assert browser.post("/referrals/inquiries/1/waitlist").status_code == 302
    assert browser.post("/referrals/inquiries/1/offer").status_code == 302
    assert browser.get("/referrals/capacity/1").status_code == 404
    made_client = browser.post("/referrals/inquiries/1/client")
    assert made_client.status_code == 302  # refused, said on the inquiry's page: no client records here
    assert "keeps no client records" in browser.get(made_client.headers["Location"]).get_data(as_text=True)

    with site.app_context():
        referral = site_db.session.scalar(sa.select(Referral))
        assert (referral.client_id, referral.by_id, referral.need) == (2, 1, "Sore back")
        assert site_db.session.scalar(sa.select(Inquiry.status)) == "offered"
        assert site_db.session.scalar(sa.select(sa.func.count(Specialist.id))) == 1
        # Each change and its entry in the site's own log were saved together.
        assert list(site_db.session.scalars(sa.select(Log.action).order_by(Log.id))) == [
            "specialist.create", "referral.create", "inquiry.create", "inquiry.waitlisted", "inquiry.offered"]
        site_db.session.remove()
        site_db.engine.dispose()


def test_a_site_without_background_jobs_checks_an_import_on_its_page(empty_database, tmp_path):
    site, site_db, Log = build_site(empty_database, tmp_path)
    browser = site.test_client()
    browser.post("/sign-in/1")
    rows = "".join(f"Colleague {n},Deep tissue\n" for n in range(59))
    page = browser.post("/referrals/import", data={"file": (io.BytesIO(f"name,modalities\n{rows}Bad,Cupping\n".encode()), "d.csv")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "1 of 60 rows need correcting." in text
    assert "The first 50 of 60 rows are shown." in text and text.index("Cupping") < text.index("Colleague 0")
    good = f"name,modalities\n{rows}"
    page = browser.post("/referrals/import", data={"file": (io.BytesIO(good.encode()), "d.csv")})
    assert "All 59 rows can be imported." in page.get_data(as_text=True)
    assert browser.post("/referrals/import/confirm", data={"content": good}).status_code == 302
    with site.app_context():
        assert site_db.session.scalar(sa.select(sa.func.count(Specialist.id))) == 59
        assert list(site_db.session.scalars(sa.select(Log.action))) == ["specialist.import"]
        site_db.session.remove()
        site_db.engine.dispose()


def test_the_network_imports_none_of_the_practices_tables():
    """A site that imports the network and mounts it loads no module of the practice's tables."""
    script = textwrap.dedent("""
        import sys
        from flask import Flask
        import referrals, referrals.migrations
        site = Flask("site")
        site.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite://")
        referrals.init_app(site)
        print(" ".join(sorted(name for name in sys.modules if name.startswith("practice."))))
    """)
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert "practice.web" in loaded  # the shared helpers are used...
    assert not [name for name in loaded if name.endswith(".models") or name.count(".") > 1]  # ...no domain


def test_the_networks_migrations_build_its_models_and_come_down_again(empty_database):
    engine = sa.create_engine(empty_database)
    try:
        migrations.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "version_table": VERSION_TABLE,
                # An index one database has and the other has not (practice.db.only_on).
                "include_object": lambda item, *_: getattr(item, "info", {}).get("only_on") in (
                    None, engine.dialect.name)})
            assert compare_metadata(context, network_tables) == []
            assert connection.execute(sa.select(sa.func.count()).select_from(Modality)).scalar() == 15
        migrations.downgrade(engine, "base")
        assert set(sa.inspect(engine).get_table_names()) == {VERSION_TABLE}
        migrations.upgrade(engine)
        assert set(network_tables.tables) < set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
