"""The benchmark's import round deletes the clients it imported with the foreign keys' checks
off: only when nothing refers to them, and with the checks back on afterwards."""

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bench.measure import forget_imported
from practice.clients.models import Client
from practice.db import db
from practice.messages.models import EmailConsent
from tests.conftest import NOW, acknowledge


def test_the_imported_clients_go_and_the_others_stay(make_client):
    kept = make_client("Kept")
    make_client("Imported one")
    make_client("Imported two")

    assert forget_imported(db.engine, kept.id) == 2

    db.session.rollback()
    assert db.session.scalars(select(Client.id)).all() == [kept.id]


def test_a_client_something_refers_to_is_not_deleted(make_client):
    kept = make_client("Kept")
    acknowledge(make_client("Imported, then acknowledged"))

    with pytest.raises(RuntimeError, match="policy_acknowledgement.client_id"):
        forget_imported(db.engine, kept.id)

    db.session.rollback()
    assert len(db.session.scalars(select(Client.id)).all()) == 2


def test_foreign_keys_are_checked_again_afterwards(make_client):
    kept = make_client("Kept")
    make_client("Imported")
    forget_imported(db.engine, kept.id)

    with pytest.raises(IntegrityError):
        with db.engine.begin() as connection:
            connection.execute(insert(EmailConsent).values(client_id=kept.id + 1000, recorded_at=NOW, method="paper"))
