"""The referral network's table of postcode districts: where each GB outward code ("LS8") lies,
from Ordnance Survey's Code-Point Open, so colleagues are ordered by distance with no lookup
anywhere (referrals/places.py).

Code-Point Open (https://www.ordnancesurvey.co.uk/products/code-point-open, OS OpenData,
Open Government Licence v3) is a zip of CSV files, one per postcode area, each row a postcode
with its easting and northing on the British National Grid in metres. This writes the mean
easting and northing of each outward code's postcodes, rounded to 10 m, and the attribution
the licence asks for, taken from the zip's own licence and metadata files:

    .venv/bin/python tools/outcode_centroids.py codepo_gb.zip referrals/data

Postcodes without coordinates (positional quality 90) are left out, and so is an outward code
that has none with coordinates. Northern Ireland (BT) is not in Code-Point Open."""

import csv
import io
import re
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

TABLE, LICENCE = "outcodes.csv", "outcodes-licence.txt"
NO_COORDINATES = "90"  # Code-Point Open's positional quality for a postcode it cannot place


def centroids(rows) -> dict[str, tuple[int, int]]:
    """Mean easting and northing by outward code, rounded to 10 m, from Code-Point Open rows
    (postcode, quality, easting, northing, ...)."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        if len(row) < 4 or row[1].strip() == NO_COORDINATES:
            continue
        postcode = "".join(row[0].split()).upper()
        total = sums[postcode[:-3]]
        total[0] += int(row[2])
        total[1] += int(row[3])
        total[2] += 1
    return {code: (int(round(east / count, -1)), int(round(north / count, -1)))
            for code, (east, north, count) in sums.items()}


def _outward_key(code: str):
    """LS2 before LS10: the area's letters, then the district's number, then the rest."""
    area, number, rest = re.fullmatch(r"([A-Z]+)([0-9]+)(.*)", code).groups()
    return area, int(number), rest


def read_zip(path: Path) -> tuple[dict[str, tuple[int, int]], str]:
    """The centroids and the attribution text of a Code-Point Open zip."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        rows = []
        for name in sorted(n for n in names if re.search(r"Data/CSV/[^/]+\.csv$", n, re.I)):
            rows.extend(csv.reader(io.TextIOWrapper(archive.open(name), encoding="latin-1")))
        doc = {Path(n).name.lower(): archive.read(n).decode("latin-1") for n in names if "/doc/" in f"/{n.lower()}"}
    return centroids(rows), attribution(doc.get("licence.txt", ""), doc.get("metadata.txt", ""))


def attribution(licence: str, metadata: str) -> str:
    """What the Open Government Licence asks a user of the data to say, with the data's date."""
    version = re.search(r"DATASET VERSION NUMBER:\s*(\S+)", metadata)
    dated = re.search(r"COPYRIGHT DATE:\s*(\d{4})(\d{2})(\d{2})", metadata)
    statements = [" ".join(line.split()) for line in licence.splitlines() if line.strip().startswith("Contains")]
    source = "Ordnance Survey Code-Point Open"
    if version:
        source += f", dataset version {version.group(1)}"
    if dated:
        source += f" (copyright date {dated.group(1)}-{dated.group(2)}-{dated.group(3)})"
    return "\n".join([
        f"{TABLE}: the centre of each GB postcode district (outward code), the mean easting and",
        "northing in metres (British National Grid) of its postcodes, rounded to 10 m, computed by",
        f"tools/outcode_centroids.py from {source}.",
        "",
        *statements,
        "",
        "Licensed under the Open Government Licence v3.0:",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "(OS OpenData terms: https://www.ordnancesurvey.co.uk/opendata/licence)",
        "",
    ])


def write(found: dict[str, tuple[int, int]], text: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / TABLE, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["outcode", "easting", "northing"])
        for code in sorted(found, key=_outward_key):
            writer.writerow([code, *found[code]])
    (folder / LICENCE).write_text(text, encoding="utf-8")


def main(source: Path, folder: Path) -> None:
    found, text = read_zip(source)
    write(found, text, folder)
    print(f"{len(found)} outward codes written to {folder / TABLE}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
