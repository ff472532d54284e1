"""Inserting many rows in one statement and looking up many values in one parameter
(practice.bulk): every value arrives as written, however it is spelt."""

from datetime import date, timedelta

import sqlalchemy as sa

from practice.bulk import in_many, insert_rows
from practice.clients.models import Client
from practice.db import db
from tests.conftest import NOW

# What an array's text form on PostgreSQL would misread unless quoted and escaped.
AWKWARD = ['say "hi"', "back\\slash", "ends\\", "a,b", "{braces}", "NULL", "null", "", " spaced ", "it's",
           "é ü 日本", "tab\there", "new\nline", '\\"', "}"]


def test_rows_and_lookups_keep_every_value_as_written(app, count_queries):
    rows = [{"display_name": name, "legal_name": name[::-1], "phone": f"+4477009{n:05}",
             "date_of_birth": date(1980, 1, 1) + timedelta(days=n) if n % 3 else None,
             "created_at": NOW - timedelta(minutes=n)} for n, name in enumerate(AWKWARD)]
    with count_queries() as statements:
        ids = insert_rows(db.session, Client, rows)
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1  # one for all rows
    saved = db.session.execute(sa.select(Client.id, Client.display_name, Client.legal_name, Client.phone,
                                         Client.date_of_birth, Client.created_at).order_by(Client.id)).all()
    assert [tuple(row) for row in saved] == [
        (id, row["display_name"], row["legal_name"], row["phone"], row["date_of_birth"], row["created_at"])
        for id, row in zip(ids, rows, strict=True)]
    # Each value finds its own row, and only it.
    for column, key in ((Client.display_name, "display_name"), (Client.date_of_birth, "date_of_birth")):
        for id, row in zip(ids, rows, strict=True):
            if row[key] is not None:
                assert db.session.scalars(sa.select(Client.id).where(in_many(db.session, column, [row[key]]))).all() == [id]
    found = db.session.scalars(sa.select(Client.id).where(in_many(db.session, Client.display_name, AWKWARD)))
    assert sorted(found) == ids
