"""The column types of practice.db, apart from any database."""

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from practice.db import UTCDateTime, one_of


def test_sqlite_datetimes_read_as_aware_utc_whatever_form_they_were_stored_in():
    """SQLite's stored text is read as UTC in one step; text in another form (an offset, a
    'T', no seconds) goes the dialect's own way, with the same result."""
    dialect = sqlite.dialect()
    read = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    seven = datetime(2026, 11, 23, 7, tzinfo=timezone.utc)
    for stored in ("2026-11-23 07:00:00.000000", "2026-11-23 07:00:00", "2026-11-23T07:00",
                   "2026-11-23 08:00:00+01:00", "2026-11-23T07:00:00Z"):
        value = read(stored)
        assert value == seven and value.utcoffset() == timedelta(0), stored
    assert read("2026-11-23 07:00:00.250000").microsecond == 250000
    assert read(None) is None


def test_postgresql_datetimes_are_given_in_utc():
    dialect = postgresql.dialect()
    read = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    local = datetime(2026, 11, 23, 8, tzinfo=timezone(timedelta(hours=1)))
    assert read(local).tzinfo == timezone.utc and read(local) == local
    assert read(datetime(2026, 11, 23, 7)) == local and read(None) is None


def test_sqlite_datetimes_are_bound_as_the_dialect_writes_them_in_utc():
    """An aware datetime is written in one step as the text the dialect would write for its
    UTC time (what is stored, and compared as text); None stays None; a naive one is refused."""
    dialect = sqlite.dialect()
    write = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    dialects_own = sqlite.DATETIME().bind_processor(dialect)
    for value in (datetime(2026, 11, 23, 7, tzinfo=timezone.utc),
                  datetime(2026, 3, 29, 1, 30, 5, 250, tzinfo=timezone(timedelta(hours=-5))),
                  datetime(1900, 1, 1, tzinfo=timezone(timedelta(hours=14))),
                  datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)):
        utc = value.astimezone(timezone.utc).replace(tzinfo=None)
        assert write(value) == dialects_own(utc), value
    assert write(datetime(2026, 11, 23, 7, tzinfo=timezone.utc)) == "2026-11-23 07:00:00.000000"
    assert write(None) is None
    with pytest.raises(ValueError, match="naive"):
        write(datetime(2026, 11, 23, 7))


def test_fixed_words_are_written_into_the_statement_and_never_a_quote():
    status = sa.column("status", sa.String)
    compiled = sa.select(status).where(one_of(status, ("booked", "arrived"))).compile(dialect=sqlite.dialect())
    assert "status IN ('booked', 'arrived')" in str(compiled) and not compiled.params
    with pytest.raises(ValueError, match="quote"):
        one_of(status, ("it's",))
