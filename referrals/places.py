"""How near a colleague is to someone, from what both have written (an area, an address, a
UK postcode), with no lookup anywhere: the same postcode district (LS8) first, then the same
postcode area (LS), then the same area name, then the rest by area name.

No table of coordinates is bundled, so nearness between districts is not measured: two
districts of one postcode area count as equally near."""

import re

from referrals.services import normalise

# The outward code of a UK postcode, alone ("LS8") or in a full postcode ("LS8 2AB").
_OUTWARD = re.compile(r"\b([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*[0-9][A-Z]{2})?\b")


def outward_code(text: str) -> str:
    """The last postcode district written in `text` ("Roundhay, LS8" -> "LS8"), or ""."""
    found = _OUTWARD.findall((text or "").upper())
    return found[-1] if found else ""


def postcode_area(district: str) -> str:
    return re.match(r"[A-Z]+", district).group(0) if district else ""


def _area_names(text: str) -> set[str]:
    """The place names written in `text`, each normalised ("Roundhay, LS8" -> {"roundhay"})."""
    names = {normalise(part) for part in re.split(r"[,\n]", text or "")}
    return {name for name in names if name and not outward_code(name.upper()) == name.upper()}


def nearness(where: str, area: str, address: str) -> int:
    """0 same district, 1 same postcode area, 2 same area name, 3 not known to be near."""
    theirs, place = outward_code(where), _area_names(where)
    district = outward_code(address) or outward_code(area)
    if theirs and district == theirs:
        return 0
    if theirs and district and postcode_area(district) == postcode_area(theirs):
        return 1
    if place & (_area_names(area) | {normalise(area)}):
        return 2
    return 3


def nearest_first(specialists, where: str) -> list:
    """Specialists ordered by nearness to `where`, then by area and name."""
    return sorted(specialists, key=lambda s: (nearness(where, s.area, s.address), s.area_key, s.name_key, s.id))


def reasons(specialist, where: str) -> list[str]:
    """Why the colleague is offered, in plain words."""
    said = ["Accepting new clients"]
    if not where.strip():
        return said + ([f"In {specialist.area}"] if specialist.area else [])
    closeness = nearness(where, specialist.area, specialist.address)
    district = outward_code(specialist.address) or outward_code(specialist.area)
    said.append({0: f"In the same postcode district ({district})",
                 1: f"In the same postcode area ({district})",
                 2: f"In {specialist.area}, where they live"}.get(
        closeness, f"In {specialist.area}" if specialist.area else "Area not known"))
    return said
