"""The practice's profile is read once per unit of work (settings.services.get_practice):
a page asks for it many times. What is kept must never outlive the unit of work, and a
change made in the same unit of work must be what later readers see."""

import builtins
from dataclasses import replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from practice.audit.services import SYSTEM
from practice.db import db
from practice.settings import services
from practice.settings.models import PracticeProfile
from practice.unit_of_work import unit_of_work
from tests.conftest import NOW


def _details(profile: PracticeProfile) -> services.PracticeDetails:
    return services.PracticeDetails(name=profile.name, timezone=profile.timezone, currency=profile.currency,
                                    phone_region=profile.phone_region)


def test_a_unit_of_work_reads_the_profile_once(practice, count_queries):
    db.session.commit()
    with unit_of_work(db.session), count_queries() as statements:
        for _ in range(5):
            services.get_practice(db.session)
            services.practice_zone(db.session)
    assert len([s for s in statements if "FROM practice_profile" in s]) == 1


def test_a_change_in_the_same_unit_of_work_is_what_later_readers_see(practice):
    db.session.commit()
    with unit_of_work(db.session):
        profile = services.get_practice(db.session)
        services.update_details(db.session, SYSTEM, replace(_details(profile), timezone="Pacific/Auckland"),
                                now=NOW)
        assert services.practice_zone(db.session) == ZoneInfo("Pacific/Auckland")


def test_the_profile_kept_ends_with_its_unit_of_work(practice):
    db.session.commit()
    with unit_of_work(db.session):
        assert services.practice_zone(db.session) == ZoneInfo("Europe/London")
    # Changed by someone else (another request) after that unit of work ended.
    with db.engine.begin() as connection:
        connection.execute(sa.update(PracticeProfile).values(timezone="America/Toronto"))
    assert services._PROFILE not in db.session.info
    with unit_of_work(db.session):
        assert services.practice_zone(db.session) == ZoneInfo("America/Toronto")


def test_a_refusal_discards_the_profile_kept_with_what_it_did(practice):
    db.session.commit()
    try:
        with unit_of_work(db.session):
            services.get_practice(db.session)
            raise RuntimeError("refused")
    except RuntimeError:
        pass
    assert services._PROFILE not in db.session.info


def test_a_profile_no_longer_in_the_session_is_read_again(practice):
    db.session.commit()
    with unit_of_work(db.session):
        services.get_practice(db.session)
        db.session.expunge_all()  # as when the request's session is closed
        assert services.get_practice(db.session) in db.session


def test_the_time_filters_read_the_profile_kept_and_see_a_change_to_the_zone(app, practice, count_queries,
                                                                             monkeypatch):
    moment, later = datetime(2026, 7, 1, 12, tzinfo=timezone.utc), datetime(2026, 7, 1, 13, tzinfo=timezone.utc)
    shown = app.jinja_env.from_string("{{ m|local('%H:%M') }} {{ m|clock }} {{ m|span(l) }}")
    imports, importing = [], builtins.__import__
    db.session.commit()
    with unit_of_work(db.session), count_queries() as statements:
        profile = services.get_practice(db.session)  # the transaction begun, the profile read
        # A page shows a hundred times: an import on each (as practice.web.practice_profile's)
        # would cost about as much as finding the zone.
        monkeypatch.setattr(builtins, "__import__", lambda *a, **kw: imports.append(a[0]) or importing(*a, **kw))
        assert shown.render(m=moment, l=later) == "13:00 13:00 13:00–14:00"
        profile.timezone = "Pacific/Auckland"
        assert shown.render(m=moment, l=later) == "00:00 00:00 00:00–01:00"
        monkeypatch.undo()
    assert len([s for s in statements if "FROM practice_profile" in s]) == 1
    assert [name for name in imports if name.startswith("practice")] == []  # strftime imports time itself
