"""How near a colleague is to someone, from what both have written (an area, an address, a
UK postcode), with no lookup anywhere.

When both have a GB postcode (a full one, "LS8 2AB", or its outward code, "LS8"), nearness is
the distance between the centres of their postcode districts: referrals/data/outcodes.csv,
made from Ordnance Survey's Code-Point Open by tools/outcode_centroids.py (Open Government
Licence: referrals/data/outcodes-licence.txt). Eastings and northings are metres on the
British National Grid, so the distance is a straight line, good to a kilometre or so.

Otherwise (no postcode, a Northern Ireland BT code, a code not in the table) the order falls
back to what was written: the same postcode district first, then the same postcode area
(LS), then the same area name, then the rest by area name. Colleagues whose distance is
known come before those whose distance is not."""

import csv
import math
import re
from functools import cache
from pathlib import Path

from referrals.services import normalise

CENTRES = Path(__file__).with_name("data") / "outcodes.csv"

# The outward code of a UK postcode, alone ("LS8") or in a full postcode ("LS8 2AB").
_OUTWARD = re.compile(r"\b([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*[0-9][A-Z]{2})?\b")


def outward_code(text: str) -> str:
    """The last postcode district written in `text` ("Roundhay, LS8" -> "LS8"), or ""."""
    found = _OUTWARD.findall((text or "").upper())
    return found[-1] if found else ""


def postcode_area(district: str) -> str:
    return re.match(r"[A-Z]+", district).group(0) if district else ""


@cache
def _centres() -> dict[str, tuple[int, int]]:
    """Easting and northing (metres) of each GB outward code's centre, read once."""
    with open(CENTRES, newline="", encoding="utf-8") as table:
        rows = csv.reader(table)
        next(rows)
        return {code: (int(east), int(north)) for code, east, north in rows}


def distance_km(one: str, other: str) -> float | None:
    """Kilometres between the centres of the postcode districts of two outward codes, or None
    when either is not a GB outward code in the table."""
    here, there = _centres().get(one), _centres().get(other)
    if here is None or there is None:
        return None
    return math.dist(here, there) / 1000


def about(km: float) -> str:
    """A distance as people say it: "less than 1 km", "about 4 km"."""
    return "less than 1 km" if km < 1 else f"about {round(km)} km"


def _district(area: str, address: str) -> str:
    return outward_code(address) or outward_code(area)


def _area_names(text: str) -> set[str]:
    """The place names written in `text`, each normalised ("Roundhay, LS8" -> {"roundhay"})."""
    names = {normalise(part) for part in re.split(r"[,\n]", text or "")}
    return {name for name in names if name and not outward_code(name.upper()) == name.upper()}


def nearness(where: str, area: str, address: str) -> int:
    """By what was written: 0 same district, 1 same postcode area, 2 same area name, 3 not
    known to be near."""
    theirs, place = outward_code(where), _area_names(where)
    district = _district(area, address)
    if theirs and district == theirs:
        return 0
    if theirs and district and postcode_area(district) == postcode_area(theirs):
        return 1
    if place & (_area_names(area) | {normalise(area)}):
        return 2
    return 3


def specialist_km(specialist, where: str) -> float | None:
    """How far the specialist is from `where`, when both postcode districts are known."""
    return distance_km(outward_code(where), _district(specialist.area, specialist.address))


def nearest_first(specialists, where: str) -> list:
    """Specialists ordered by distance to `where` when known, then the others by what was
    written (`nearness`), then by area and name."""
    theirs = outward_code(where)

    def key(s):
        km = distance_km(theirs, _district(s.area, s.address))
        known = (0, km, 0) if km is not None else (1, 0.0, nearness(where, s.area, s.address))
        return (*known, s.area_key, s.name_key, s.id)

    return sorted(specialists, key=key)


def reasons(specialist, where: str) -> list[str]:
    """Why the colleague is offered, in plain words."""
    said = ["Accepting new clients"]
    if not where.strip():
        return said + ([f"In {specialist.area}"] if specialist.area else [])
    district = _district(specialist.area, specialist.address)
    km = distance_km(outward_code(where), district)
    if km is not None:
        return said + [f"In the same postcode district ({district})" if district == outward_code(where)
                       else f"{about(km).capitalize()} away ({district})"]
    closeness = nearness(where, specialist.area, specialist.address)
    said.append({0: f"In the same postcode district ({district})",
                 1: f"In the same postcode area ({district})",
                 2: f"In {specialist.area}, where they live"}.get(
        closeness, f"In {specialist.area}" if specialist.area else "Area not known"))
    return said
