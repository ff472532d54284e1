"""The exports (the clients' CSV, the directory's CSV and vCards) are streamed: rows are read a
chunk at a time as the file is sent, and the file is the same whatever the size of a chunk."""

import csv
import io

import pytest
from flask.testing import FlaskClient

from practice import spreadsheets
from practice.audit.services import SYSTEM
from practice.clients import csv_io as client_csv
from practice.clients import queries as client_queries
from practice.db import db
from referrals import csv_io as directory_csv
from referrals import queries as directory_queries
from referrals import vcard
from tests.conftest import NOW, PASSWORD

EXPORTS = ("/clients/export.csv", "/referrals/export.csv", "/referrals/export.vcf")


@pytest.fixture
def filled(practice):
    directory_csv.import_specialists(db.session, SYSTEM, "name,business,modalities,notes\n" + "".join(
        f'Colleague {n},=Studio {n},Deep tissue; Reflexology,"Line one\nline two {n}"\n' for n in range(7)),
        phone_region="GB", now=NOW)
    client_csv.import_clients(db.session, SYSTEM, "display_name,address\n" + "".join(
        f'Client {n},"{n} Road\nLeeds"\n' for n in range(7)), phone_region="GB", now=NOW)
    db.session.commit()


def chunks(monkeypatch, rows: int) -> None:
    monkeypatch.setattr(spreadsheets, "ROWS_A_CHUNK", rows)
    monkeypatch.setattr(client_queries, "EXPORT_CHUNK", rows)
    monkeypatch.setattr(directory_queries, "EXPORT_CHUNK", rows)
    monkeypatch.setattr(vcard, "CARDS_A_PIECE", rows)


def test_an_export_is_the_same_file_whatever_the_size_of_a_chunk(client, users, login, filled, monkeypatch):
    login(users["admin"])
    whole = {path: client.get(path).get_data() for path in EXPORTS}
    chunks(monkeypatch, 2)
    assert {path: client.get(path).get_data() for path in EXPORTS} == whole
    rows = list(csv.DictReader(io.StringIO(whole["/referrals/export.csv"].decode())))
    assert len(rows) == 7 and rows[0]["business"] == "'=Studio 0" and rows[0]["modalities"] == "Deep tissue; Reflexology"
    assert whole["/referrals/export.vcf"].count(b"BEGIN:VCARD") == 7
    assert len(list(csv.DictReader(io.StringIO(whole["/clients/export.csv"].decode())))) == 7


def test_an_export_is_sent_in_pieces_as_its_rows_are_read(app, users, filled, monkeypatch):
    chunks(monkeypatch, 2)
    client = FlaskClient(app, use_cookies=True)  # unbuffered: the body is read as it comes
    assert client.post("/login", data={"email": users["admin"].email, "password": PASSWORD}).status_code == 302
    for path, pieces in (("/clients/export.csv", 4), ("/referrals/export.csv", 4), ("/referrals/export.vcf", 4)):
        response = client.get(path)
        assert response.is_streamed, path
        assert len([piece for piece in response.iter_encoded() if piece]) == pieces, path
        response.close()
