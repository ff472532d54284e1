"""Exchange of the directory: CSV export, and an all-or-nothing import (CSV or vCard) with a
row-by-row report, checked in full before anything is saved."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from practice.errors import DomainError
from practice.localtime import OUT_OF_RANGE, parse_day
from practice.spreadsheets import safe_cell
from practice.uploads import read_text
from referrals import host, vcard
from referrals.host import Actor
from referrals.models import Modality, Specialist
from referrals.services import SpecialistDetails, clean_specialist, new_specialist, normalise

# Columns the import reads (any order, any case; only name is required). `modalities` holds
# names from the practice's list separated by semicolons.
COLUMNS = [
    "name", "business", "profession", "modalities", "phone", "email", "website", "address",
    "area", "languages", "accessibility", "fees", "accepting", "notes", "verified_on",
]
EXPORT_COLUMNS = ["id", *COLUMNS, "retired"]
MAX_ROWS = 5000
ACCEPTING_WORDS = {"": "unknown", "yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no",
                   "false": "no", "unknown": "unknown", "not known": "unknown"}


@dataclass
class RowReport:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: SpecialistDetails | None = None
    verified_on: date | None = None


@dataclass
class Preview:
    kind: str = "CSV"  # or "vCard"
    rows: list[RowReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and all(not row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)


class ImportRefused(Exception):
    def __init__(self, preview: Preview):
        super().__init__("import refused")
        self.preview = preview


def read_upload(storage, max_bytes: int) -> str:
    return read_text(storage, max_bytes, kind="CSV or vCard (.vcf)")


def is_vcard(text: str) -> bool:
    return text.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCARD")


def check_upload(session, text: str, *, phone_region: str) -> Preview:
    """Read and check every row (or card) without saving anything."""
    text = text.replace("\x00", "")
    if is_vcard(text):
        return _check_cards(session, text, phone_region)
    return _check_csv(session, text, phone_region)


def _header_key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _check_csv(session, text: str, phone_region: str) -> Preview:
    preview = Preview(kind="CSV")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        headers = [_header_key(h) for h in (reader.fieldnames or [])]
    except csv.Error as error:
        preview.problems.append(f"This does not read as a CSV file: {error}.")
        return preview
    unknown = [h for h in headers if h not in EXPORT_COLUMNS]
    if "name" not in headers:
        preview.problems.append("The first line must name the columns and include name.")
    if unknown:
        preview.problems.append("Unknown columns: " + ", ".join(unknown) + ".")
    if preview.problems:
        return preview
    reader.fieldnames = headers
    checker = _RowChecker(session, phone_region)
    try:
        for number, raw in enumerate(reader, start=2):
            if len(preview.rows) >= MAX_ROWS:
                preview.problems.append(f"Import at most {MAX_ROWS} rows at a time.")
                break
            if None in raw:
                preview.rows.append(RowReport(number, {}, ["This row has more cells than the header."]))
                continue
            values = {key: (raw.get(key) or "").strip() for key in COLUMNS}
            if any(values.values()):
                preview.rows.append(checker.check(number, values))
    except csv.Error as error:
        preview.problems.append(f"The file stops reading as CSV near line {reader.line_num}: {error}.")
    if not preview.rows and not preview.problems:
        preview.problems.append("The file has no rows of specialists.")
    return preview


def _check_cards(session, text: str, phone_region: str) -> Preview:
    preview = Preview(kind="vCard")
    cards, preview.problems = vcard.read_cards(text)
    if len(cards) > MAX_ROWS:
        preview.problems.append(f"Import at most {MAX_ROWS} cards at a time.")
        return preview
    checker = _RowChecker(session, phone_region)
    preview.rows = [checker.check(card.line, vcard.card_values(card)) for card in cards]
    if not preview.rows and not preview.problems:
        preview.problems.append("The file has no cards.")
    return preview


class _RowChecker:
    """Checks rows one by one, knowing the modality list and the names already seen."""

    def __init__(self, session, phone_region: str):
        self.session = session
        self.phone_region = phone_region
        self.modalities = {m.name_key: m for m in session.scalars(select(Modality))}
        self.existing = set(session.scalars(select(Specialist.name_key).where(Specialist.retired_at.is_(None))))
        self.seen: dict[str, int] = {}

    def check(self, line: int, values: dict) -> RowReport:
        report = RowReport(line, values)
        modality_ids = self._modality_ids(values["modalities"], report)
        accepting = ACCEPTING_WORDS.get(values["accepting"].strip().lower())
        if accepting is None:
            report.errors.append("accepting: write yes, no or unknown.")
        if values["verified_on"]:
            report.verified_on = parse_day(values["verified_on"])
            if report.verified_on is None:
                report.errors.append(f"verified_on: write dates as YYYY-MM-DD. {OUT_OF_RANGE}")
        details = SpecialistDetails(
            **{key: values[key] for key in COLUMNS if key not in ("modalities", "accepting", "verified_on")},
            accepting=accepting or "unknown", modality_ids=modality_ids,
        )
        # clean_specialist stops at the first bad field: check each field on its own.
        for name in ("name", "business", "profession", "phone", "email", "website", "address", "area",
                     "languages", "accessibility", "fees", "notes"):
            single = SpecialistDetails(name=details.name if name == "name" else "x")
            setattr(single, name, getattr(details, name))
            try:
                cleaned = clean_specialist(self.session, single, phone_region=self.phone_region)
            except DomainError as error:
                report.errors.append(f"{error.field}: {error.message}")
            else:
                setattr(details, name, getattr(cleaned, name))
        if not report.errors:
            report.details = details
            self._note_duplicates(report)
        return report

    def _modality_ids(self, text: str, report: RowReport) -> list[int]:
        ids, unknown = [], []
        for name in filter(None, (part.strip() for part in text.split(";"))):
            modality = self.modalities.get(normalise(name))
            if modality is None:
                unknown.append(name)
            else:
                ids.append(modality.id)
        if unknown:
            report.errors.append(
                "modalities: not in the practice's list: " + ", ".join(unknown)
                + ". Add them on the modalities page first, or correct the spelling."
            )
        return sorted(set(ids))

    def _note_duplicates(self, report: RowReport) -> None:
        key = normalise(report.details.name)
        if key in self.existing:
            report.warnings.append(f"{report.details.name} is already in the directory.")
        if key in self.seen:
            report.warnings.append(f"Same name as line {self.seen[key]}.")
        else:
            self.seen[key] = report.line


def import_specialists(session, actor: Actor, text: str, *, phone_region: str, now: datetime) -> int:
    """Add every specialist in the file, or none: raise ImportRefused with the report."""
    preview = check_upload(session, text, phone_region=phone_region)
    if not preview.ok:
        raise ImportRefused(preview)
    for row in preview.rows:
        specialist = new_specialist(session, row.details, now=now)
        specialist.verified_on = row.verified_on
    host.audit(session, actor, "specialist.import", None, now=now, rows=len(preview.rows), kind=preview.kind)
    session.flush()
    return len(preview.rows)


# Export ------------------------------------------------------------------------------------

def export_specialists(specialists) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for s in specialists:
        row = [
            s.id, s.name, s.business, s.profession, "; ".join(m.name for m in s.modalities), s.phone,
            s.email, s.website, s.address, s.area, s.languages, s.accessibility, s.fees, s.accepting,
            s.notes, s.verified_on.isoformat() if s.verified_on else "", "yes" if s.retired else "",
        ]
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
