"""Exchange of the directory: CSV export, and an all-or-nothing import (CSV or vCard) with a
row-by-row report, checked in full before anything is saved."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select

from practice import import_report
from practice.bulk import insert_rows
from practice.errors import DomainError
from practice.import_report import PROGRESS_EVERY, ImportRefused, Preview
from practice.localtime import OUT_OF_RANGE, parse_day
from practice.spreadsheets import csv_chunks
from practice.uploads import read_text
from referrals import host, vcard
from referrals.host import Actor
from referrals.models import Modality, Specialist, specialist_modality
from referrals.services import SpecialistDetails, clean_specialist, normalise, search_columns

# Columns the import reads (any order, any case; only name is required). `modalities` holds
# names from the practice's list separated by semicolons.
COLUMNS = [
    "name", "business", "profession", "modalities", "phone", "email", "website", "address",
    "area", "languages", "accessibility", "fees", "accepting", "notes", "verified_on",
]
EXPORT_COLUMNS = ["id", *COLUMNS, "retired"]
SHOWN = (("Name", "name"), ("Modalities", "modalities"), ("Phone", "phone"))  # the report's columns
MAX_ROWS = 5000
ACCEPTING_WORDS = {"": "unknown", "yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no",
                   "false": "no", "unknown": "unknown", "not known": "unknown"}


@dataclass
class RowReport(import_report.RowReport):
    verified_on: date | None = None


def read_upload(storage, max_bytes: int) -> str:
    return read_text(storage, max_bytes, kind="CSV or vCard (.vcf)")


def is_vcard(text: str) -> bool:
    return text.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCARD")


def check_upload(session, text: str, *, phone_region: str, progress=None) -> Preview:
    """Read and check every row (or card) without saving anything. `progress(done, total)`
    hears how far the check has got (the import job's progress bar)."""
    text = text.replace("\x00", "")
    if is_vcard(text):
        return _check_cards(session, text, phone_region, progress)
    return _check_csv(session, text, phone_region, progress)


def _header_key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _check_csv(session, text: str, phone_region: str, progress) -> Preview:
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
    raw_rows = []
    try:
        for number, raw in enumerate(reader, start=2):
            if len(raw_rows) >= MAX_ROWS:
                preview.problems.append(f"Import at most {MAX_ROWS} rows at a time.")
                break
            raw_rows.append((number, raw))
    except csv.Error as error:
        preview.problems.append(f"The file stops reading as CSV near line {reader.line_num}: {error}.")
    checker = _RowChecker(session, phone_region)
    for done, (number, raw) in enumerate(raw_rows, start=1):
        _note_progress(progress, done, len(raw_rows))
        if None in raw:
            preview.rows.append(RowReport(number, {}, ["This row has more cells than the header."]))
            continue
        values = {key: (raw.get(key) or "").strip() for key in COLUMNS}
        if any(values.values()):
            preview.rows.append(checker.check(number, values))
    if not preview.rows and not preview.problems:
        preview.problems.append("The file has no rows of specialists.")
    return preview


def _check_cards(session, text: str, phone_region: str, progress) -> Preview:
    preview = Preview(kind="vCard")
    cards, preview.problems = vcard.read_cards(text)
    if len(cards) > MAX_ROWS:
        preview.problems.append(f"Import at most {MAX_ROWS} cards at a time.")
        return preview
    checker = _RowChecker(session, phone_region)
    for done, card in enumerate(cards, start=1):
        _note_progress(progress, done, len(cards))
        preview.rows.append(checker.check(card.line, vcard.card_values(card)))
    if not preview.rows and not preview.problems:
        preview.problems.append("The file has no cards.")
    return preview


def _note_progress(progress, done: int, total: int) -> None:
    if progress is not None and done % PROGRESS_EVERY == 0:
        progress(done, total)


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
    return save_specialists(session, actor, preview, now=now)


def save_specialists(session, actor: Actor, preview: Preview, *, now: datetime) -> int:
    """Add the specialists of a checked file, or none when any row is wrong (ImportRefused):
    the rows and their modalities go in batches of many rows a statement."""
    if not preview.ok:
        raise ImportRefused(preview)
    modalities = {m.id: m.name for m in session.scalars(select(Modality))}
    specialists = [
        {key: value for key, value in vars(row.details).items() if key != "modality_ids"}
        | search_columns(row.details, [modalities[i] for i in row.details.modality_ids])
        | {"created_at": now, "verified_on": row.verified_on}
        for row in preview.rows
    ]
    ids = insert_rows(session, Specialist, specialists)
    links = [{"specialist_id": specialist_id, "modality_id": modality_id}
             for specialist_id, row in zip(ids, preview.rows, strict=True) for modality_id in row.details.modality_ids]
    if links:
        session.execute(insert(specialist_modality), links)
    host.audit(session, actor, "specialist.import", None, now=now, rows=len(preview.rows), kind=preview.kind)
    session.flush()
    return len(ids)


# Export ------------------------------------------------------------------------------------

def stream_specialists(entries) -> Iterator[str]:
    """The export a piece at a time, from (entry, names of its modalities) pairs (an entry is
    a Specialist or a row of its columns: queries.specialists_for_export)."""
    return csv_chunks(EXPORT_COLUMNS, (_export_row(entry, names) for entry, names in entries))


def _export_row(s, modality_names) -> list:
    return [
        s.id, s.name, s.business, s.profession, "; ".join(modality_names), s.phone, s.email, s.website,
        s.address, s.area, s.languages, s.accessibility, s.fees, s.accepting, s.notes,
        s.verified_on.isoformat() if s.verified_on else "", "yes" if s.retired_at is not None else "",
    ]
