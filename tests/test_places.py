"""Colleagues by distance: the shipped table of postcode-district centres (from Ordnance
Survey's Code-Point Open, by tools/outcode_centroids.py), the order and the reasons it gives,
and the fallback to what was written when a distance is not known."""

import csv
import importlib.util
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from practice.audit.services import SYSTEM
from practice.db import db
from referrals import places, queries, services
from referrals.models import Modality
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parent.parent


def colleague(name, area="", address="", modalities=("Deep tissue",)):
    ids = list(db.session.scalars(sa.select(Modality.id).where(Modality.name.in_(modalities))))
    made = services.create_specialist(db.session, SYSTEM, services.SpecialistDetails(
        name=name, area=area, address=address, accepting="yes", modality_ids=ids), phone_region="GB", now=NOW)
    db.session.commit()
    return made


@pytest.fixture
def leeds(practice):
    """Colleagues in the demo's districts of Leeds, one in Garforth (LS25, farther out), one in
    Belfast (not in Code-Point Open) and one with no postcode."""
    return [colleague("City Centre Cai", "City Centre", "1 Park Row\nLeeds LS1 5AB"),
            colleague("Garforth Gwen", "Garforth", "8 Main Street\nGarforth\nLS25 1AA"),
            colleague("Chapel Allerton Cal", "Chapel Allerton", "3 Harrogate Road\nLeeds LS7 3PD"),
            colleague("Horsforth Hal", "Horsforth", "5 Town Street\nHorsforth LS18"),
            colleague("Belfast Bea", "Belfast", "2 Donegall Place\nBelfast BT1 5AB"),
            colleague("Roundhay Ros", "Roundhay", "")]


def test_colleagues_are_ordered_by_the_distance_between_postcode_districts(leeds):
    found = [s.name for s in queries.accepting_colleagues(db.session, (), "Roundhay, LS8 2AB")]
    # LS7 is 2 km from LS8, LS1 4 km, LS18 9 km, LS25 13 km; then those without a distance,
    # by what was written: the same area name (Roundhay) before the rest.
    assert found == ["Chapel Allerton Cal", "City Centre Cai", "Horsforth Hal", "Garforth Gwen",
                     "Roundhay Ros", "Belfast Bea"]
    assert round(places.distance_km("LS8", "LS1"), 1) == 4.1


def test_the_reasons_and_the_inquiry_page_say_about_how_far(leeds, client, users, login):
    by_name = {s.name: s for s in leeds}
    assert places.reasons(by_name["City Centre Cai"], "LS8") == ["Accepting new clients", "About 4 km away (LS1)"]
    assert places.reasons(by_name["Chapel Allerton Cal"], "LS7 1AB")[1] == "In the same postcode district (LS7)"
    assert places.reasons(by_name["Roundhay Ros"], "Roundhay, LS8")[1] == "In Roundhay, where they live"
    inquiry = services.record_inquiry(db.session, SYSTEM, services.InquiryDetails(
        name="Robin Walker", phone="07911 123456", area="Roundhay, LS8",
        modality_ids=[db.session.scalar(sa.select(Modality.id).where(Modality.name == "Deep tissue"))]),
        phone_region="GB", now=NOW)
    db.session.commit()
    login(users["admin"])
    page = client.get(f"/referrals/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "(Chapel Allerton, about 2 km away)" in page and "(Garforth, about 13 km away)" in page
    assert page.index("Chapel Allerton Cal") < page.index("City Centre Cai") < page.index("Garforth Gwen")
    assert "(Roundhay)" in page


def test_matching_for_a_client_prefers_the_nearer_colleague(leeds):
    deep = db.session.scalar(sa.select(Modality.id).where(Modality.name == "Deep tissue"))
    matches = queries.match(db.session, queries.Need((deep,), area="22 Street Lane\nLeeds\nLS8 1BW"),
                            today=NOW.date())
    assert [m.specialist.name for m in matches][:2] == ["Chapel Allerton Cal", "City Centre Cai"]
    assert "About 2 km away" in matches[0].reasons


def test_without_a_known_district_the_order_falls_back_to_what_was_written(practice):
    colleague("Far Away", "City Centre", "1 Park Row\nLeeds LS1 5AB")
    colleague("Same District", "Belfast", "2 Donegall Place\nBelfast BT1 5AB")
    colleague("Same Area", "Lisburn", "4 Bow Street\nLisburn BT28 1BJ")
    colleague("Same Name", "Holywood", "")
    for where in ("Holywood, BT1 3AB", "Holywood, BT1"):   # Northern Ireland: not in Code-Point Open
        found = [s.name for s in queries.accepting_colleagues(db.session, (), where)]
        assert found == ["Same District", "Same Area", "Same Name", "Far Away"]
    assert places.distance_km("BT1", "LS1") is None and places.distance_km("ZZ9", "LS1") is None
    found = [s.name for s in queries.accepting_colleagues(db.session, (), "Holywood")]
    assert found[0] == "Same Name"


# The table and the tool that makes it ---------------------------------------------------------

def _tool():
    spec = importlib.util.spec_from_file_location("outcode_centroids", ROOT / "tools" / "outcode_centroids.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shipped() -> dict[str, tuple[int, int]]:
    with open(places.CENTRES, newline="", encoding="utf-8") as table:
        return {row["outcode"]: (int(row["easting"]), int(row["northing"])) for row in csv.DictReader(table)}


def test_the_shipped_table_covers_great_britain_and_only_it():
    table = shipped()
    assert 2800 < len(table) < 3200
    assert {"LS1", "LS8", "EC1A", "W1A", "AB10", "ZE1", "TR1", "B1"} <= set(table)
    assert not any(code.startswith("BT") for code in table)
    assert all(0 < east < 700_000 and 0 < north < 1_300_000 for east, north in table.values())
    licence = (places.CENTRES.parent / "outcodes-licence.txt").read_text(encoding="utf-8")
    assert "Contains Ordnance Survey data © Crown copyright and database right 2025." in licence
    assert "Open Government Licence v3.0" in licence
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Contains Ordnance Survey data © Crown copyright and database right 2025" in readme


def test_the_tool_reproduces_the_shipped_table_from_code_point_open(tmp_path):
    """A Code-Point Open zip cut down to two districts: LS1's centre given by two postcodes
    whose mean is the shipped centre, plus one postcode Code-Point Open cannot place
    (quality 90); LS8 by one postcode. The tool writes the shipped rows and licence text."""
    table = shipped()
    (ls1_east, ls1_north), (ls8_east, ls8_north) = table["LS1"], table["LS8"]
    rows = [f'"LS1 1AZ",10,{ls1_east - 103},{ls1_north + 47},"E92000001","","","","",""',
            f'"LS1 9ZZ",10,{ls1_east + 103},{ls1_north - 47},"E92000001","","","","",""',
            '"LS1 8XX",90,0,0,"E92000001","","","","",""',
            f'"LS8 1AA",10,{ls8_east + 4},{ls8_north - 3},"E92000001","","","","",""']
    source = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("Data/CSV/ls.csv", "\n".join(rows) + "\n")
        archive.writestr("Doc/metadata.txt", "ORDNANCE SURVEY\nPRODUCT: OS CODE-POINT_03.02\n"
                                             "DATASET VERSION NUMBER: 2025.2.0\nCOPYRIGHT DATE: 20250422\n")
        archive.writestr("Doc/licence.txt", (
            "ORDNANCE SURVEY DATA LICENCE\n\nYour use of data is subject to terms at "
            "www.ordnancesurvey.co.uk/opendata/licence.\n\n"
            "Contains Ordnance Survey data \xa9 Crown copyright and database right 2025.\n\n"
            "Contains Royal Mail data \xa9 Royal Mail copyright and database right 2025.\n"
            "Contains National Statistics data \xa9 Crown copyright and database right 2025.\n").encode("latin-1"))
    tool = _tool()
    tool.main(source, tmp_path / "out")
    written = (tmp_path / "out" / "outcodes.csv").read_text(encoding="utf-8").splitlines()
    assert written == ["outcode,easting,northing", f"LS1,{ls1_east},{ls1_north}", f"LS8,{ls8_east},{ls8_north}"]
    assert (tmp_path / "out" / "outcodes-licence.txt").read_text(encoding="utf-8") == \
        (places.CENTRES.parent / "outcodes-licence.txt").read_text(encoding="utf-8")
