"""CSV exchange of clients: export, and an all-or-nothing import with a row-by-row report."""

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.bulk import in_many, insert_rows
from practice.clients import identity
from practice.clients.models import Client, search_text_of
from practice.clients.services import DETAIL_FIELDS, ClientDetails, clean_each_field
from practice.errors import DomainError
from practice.import_report import PROGRESS_EVERY, ImportRefused, Preview, RowReport
from practice.imports.registry import Importer, register
from practice.localtime import OUT_OF_RANGE, parse_day
from practice.reports import summary
from practice.settings.services import get_practice, local_date
from practice.spreadsheets import csv_chunks
from practice.uploads import read_text

# Columns the import reads (any order, any case; only display_name is required).
COLUMNS = [
    "display_name", "legal_name", "pronouns", "phone", "email", "address",
    "date_of_birth", "practitioner", "referral_source",
]
EXPORT_COLUMNS = ["id", *COLUMNS, "created_at", "archived_at"]
MAX_ROWS = 5000
DUPLICATE_KEYS_A_QUERY = 1000  # phone numbers, and as many e-mail addresses, looked up together
REPORTED_FIELDS = ("display_name", "legal_name", "pronouns", "phone", "email", "address", "referral_source",
                   "date_of_birth")


@dataclass
class ClientRow(RowReport):
    held: bool = False  # matches a client who cannot be booked: imported held from booking


def read_upload(storage, max_bytes: int) -> str:
    return read_text(storage, max_bytes, kind="CSV")


def _header_key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def check_rows(session, text: str, *, phone_region: str, today: date, progress=None, keep: bool = False) -> Preview:
    """Read and check every row without saving anything. `progress(done, total)` hears how
    far the check has got (the import job's progress bar). `keep`: a file found right keeps
    its cleaned rows in the report, for its import to reuse (recheck_rows)."""
    preview = Preview()
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        headers = [_header_key(h) for h in (reader.fieldnames or [])]
    except csv.Error as error:
        preview.problems.append(f"This does not read as a CSV file: {error}.")
        return preview
    unknown = [h for h in headers if h not in COLUMNS and h not in EXPORT_COLUMNS]
    if "display_name" not in headers:
        preview.problems.append(
            "The first line must name the columns and include display_name."
        )
    if unknown:
        preview.problems.append("Unknown columns: " + ", ".join(unknown) + ".")
    if preview.problems:
        return preview
    reader.fieldnames = headers
    practitioners = _practitioners(session)
    seen: dict[str, int] = {}
    raw_rows = []
    try:
        for number, raw in enumerate(reader, start=2):
            if len(raw_rows) >= MAX_ROWS:
                preview.problems.append(f"Import at most {MAX_ROWS} rows at a time.")
                break
            raw_rows.append((number, raw))
    except csv.Error as error:
        preview.problems.append(f"The file stops reading as CSV near line {reader.line_num}: {error}.")
    for done, (number, raw) in enumerate(raw_rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(raw_rows))
        if None in raw:
            preview.rows.append(ClientRow(number, {}, ["This row has more cells than the header."]))
            continue
        values = {key: (raw.get(key) or "").strip() for key in COLUMNS}
        if any(values.values()):
            preview.rows.append(_check_row(number, values, practitioners, seen, phone_region, today))
    if not preview.rows and not preview.problems:
        preview.problems.append("The file has no client rows.")
    _note_existing_duplicates(session, [row for row in preview.rows if row.details is not None])
    _note_blocked_matches(session, preview)
    if keep and preview.ok:
        preview.kept = {"checked_with": _checked_with(phone_region, practitioners),
                        "details": [_stored(row.details) for row in preview.rows]}
    return preview


def recheck_rows(session, text: str, checked: Preview, *, phone_region: str, today: date,
                 progress=None) -> Preview:
    """The import's check of a file its check (`checked`) found right. A row's own check is a
    function of the row, the practice's phone region and its practitioners' names (and of
    the day, for a birthday, which a later day only allows more of): while those are as the
    check found them, its cleaned rows are taken as they were, and what depends on the
    practice's clients, which may have changed since, is looked up again (clients with the
    same phone or e-mail, clients who cannot be booked). Otherwise the whole file is checked
    again."""
    practitioners = _practitioners(session)
    if (not checked.ok or checked.kept is None
            or checked.kept["checked_with"] != _checked_with(phone_region, practitioners)):
        return check_rows(session, text, phone_region=phone_region, today=today, progress=progress)
    preview = Preview()
    seen: dict[str, int] = {}
    for row, stored in zip(checked.rows, checked.kept["details"], strict=True):
        report = ClientRow(row.line, row.values, details=_details(stored))
        _note_repeated_in_file(report, seen)
        preview.rows.append(report)
    _note_existing_duplicates(session, preview.rows)
    _note_blocked_matches(session, preview)
    return preview


def _practitioners(session) -> dict[str, int]:
    """Practitioners by their name in lower case, as a file names them."""
    return {name.lower(): pid for pid, name in session.execute(select(Practitioner.id, Practitioner.display_name))}


def _checked_with(phone_region: str, practitioners: dict[str, int]) -> dict:
    """What a row's check depends on besides the row itself."""
    names = hashlib.sha256(repr(sorted(practitioners.items())).encode()).hexdigest()
    return {"phone_region": phone_region, "practitioners": names}


_BIRTH = DETAIL_FIELDS.index("date_of_birth")


def _stored(details: ClientDetails) -> list:
    """Cleaned details as the report keeps them (JSON): their values in order."""
    values = list(vars(details).values())
    if values[_BIRTH] is not None:
        values[_BIRTH] = values[_BIRTH].isoformat()
    return values


def _details(stored: list) -> ClientDetails:
    """The cleaned details back from the report (the report's own list left as it is)."""
    values = list(stored)
    if values[_BIRTH] is not None:
        values[_BIRTH] = date.fromisoformat(values[_BIRTH])
    return ClientDetails(*values)


def _note_blocked_matches(session, preview: Preview) -> None:
    """Rows that match a client who cannot be booked (the import is for admins, who may see
    which): they are imported, and held from booking until someone decides (two queries)."""
    rows = {id(row): row for row in preview.rows if row.details is not None}
    unsaved = {key: identity.Unsaved.of(row.details) for key, row in rows.items()}
    by_record = {id(client): key for key, client in unsaved.items()}
    for match in identity.find(session, list(unsaved.values())):
        row = rows[by_record[id(match.client)]]
        row.held = True
        row.warnings.append(
            f"Same {match.on_text} as {match.blocked.display_name}, who cannot be booked: imported as "
            "not bookable until a practitioner or admin decides whether this is the same person.")


def _check_row(number, values, practitioners, seen, phone_region, today) -> ClientRow:
    report = ClientRow(number, values)
    birth = None
    if values["date_of_birth"]:
        birth = parse_day(values["date_of_birth"])
        if birth is None:
            report.errors.append(f"date_of_birth: write dates as YYYY-MM-DD. {OUT_OF_RANGE}")
    practitioner_id = None
    if values["practitioner"]:
        practitioner_id = practitioners.get(values["practitioner"].lower())
        if practitioner_id is None:
            report.errors.append(f"practitioner: no practitioner is called {values['practitioner']!r}.")
    details, errors = clean_each_field(ClientDetails(
        display_name=values["display_name"], legal_name=values["legal_name"],
        pronouns=values["pronouns"], phone=values["phone"], email=values["email"],
        address=values["address"], date_of_birth=birth,
        primary_practitioner_id=practitioner_id, referral_source=values["referral_source"],
    ), phone_region=phone_region, today=today)
    # Every bad field is reported, in the order of the columns.
    report.errors += [f"{error.field}: {error.message}" for error in sorted(errors, key=_column_order)]
    if not report.errors:
        report.details = details
        _note_repeated_in_file(report, seen)
    return report


def _column_order(error: DomainError) -> int:
    return REPORTED_FIELDS.index(error.field)


def _note_repeated_in_file(report: RowReport, seen: dict) -> None:
    """Rows with the same phone or e-mail as an earlier row of the file."""
    details = report.details
    for key in filter(None, (details.phone, details.email)):
        if key in seen:
            report.warnings.append(f"Same phone or e-mail as line {seen[key]}.")
        else:
            seen[key] = report.line


def _note_existing_duplicates(session, rows: list[RowReport]) -> None:
    """Rows with the same phone or e-mail as clients already in the practice (a warning, as
    services.possible_duplicates gives one page): one query per DUPLICATE_KEYS_A_QUERY
    phone numbers and as many addresses, not one a row, each looked up in its own column (a
    phone number, always E.164, is never an address). Their warnings come first."""
    phones = sorted({row.details.phone for row in rows if row.details.phone})
    emails = sorted({row.details.email for row in rows if row.details.email})
    found: dict[int, str] = {}
    holders: dict[str, set[int]] = defaultdict(set)
    for start in range(0, max(len(phones), len(emails)), DUPLICATE_KEYS_A_QUERY):
        batch = slice(start, start + DUPLICATE_KEYS_A_QUERY)
        for client_id, name, phone, email in session.execute(
            select(Client.id, Client.display_name, Client.phone, Client.email)
            .where(or_(in_many(session, Client.phone, phones[batch]), in_many(session, Client.email, emails[batch])))
        ):
            found[client_id] = name
            for key in (phone, email):
                if key:
                    holders[key].add(client_id)
    for row in rows:
        same = holders.get(row.details.phone, set()) | holders.get(row.details.email, set())
        row.warnings[0:0] = [f"Same phone or e-mail as {found[client_id]} (already a client)."
                             for client_id in sorted(same, key=lambda client_id: (found[client_id], client_id))]


def import_clients(session, actor: Actor, text: str, *, phone_region: str, now: datetime) -> int:
    """Create every client in the file, or none: raise ImportRefused with the report."""
    preview = check_rows(session, text, phone_region=phone_region, today=now.date())
    return save_clients(session, actor, preview, now=now)


def save_clients(session, actor: Actor, preview: Preview, *, now: datetime) -> int:
    """Create the clients of a checked file, or none when any row is wrong (ImportRefused).
    The rows go in batches of many rows a statement, not one INSERT each. The new records
    are matched against the clients who cannot be booked, as any new record is: the check
    that made `preview` has just done it, in this transaction (identity.find on every row,
    `held`), and a record saved since has no decision about it yet, so the same rows match
    once saved; those are loaded and held (identity.recheck), and a file of new people
    makes no ORM object a row."""
    if not preview.ok:
        raise ImportRefused(preview)
    # With its search text, which the database's trigger then leaves as it is (one write a row).
    ids = insert_rows(session, Client, [
        vars(details) | {"created_at": now, "search_text": search_text_of(details.display_name, details.legal_name,
                                                                          details.email)}
        for details in (row.details for row in preview.rows)])
    # Rows inserted in batches pass by the reports' summary's listener: their practitioners'
    # active clients are counted again here.
    if practitioners := {row.details.primary_practitioner_id for row in preview.rows} - {None}:
        summary.recompute_active_clients(session, practitioners)
    record(session, actor, "client.import", None, now=now, rows=len(preview.rows))
    held = [client_id for row, client_id in zip(preview.rows, ids, strict=True) if row.held]
    if held:
        identity.recheck(session, actor, session.scalars(select(Client).where(Client.id.in_(held))).all(), now=now)
    session.flush()
    return len(ids)


def export_clients(rows) -> Iterator[str]:
    """The export of `rows` (queries.clients_for_export) a piece at a time, every cell made
    safe for spreadsheets."""
    return csv_chunks(EXPORT_COLUMNS, (_export_row(row) for row in rows))


def _export_row(row) -> tuple:
    return (
        row.id, row.display_name, row.legal_name, row.pronouns, row.phone, row.email, row.address,
        row.date_of_birth.isoformat() if row.date_of_birth else "", row.practitioner or "",
        row.referral_source, row.created_at.isoformat(), row.archived_at.isoformat() if row.archived_at else "",
    )



def _check(session, text: str, *, now: datetime, progress=None) -> Preview:
    return check_rows(session, text, phone_region=get_practice(session).phone_region,
                      today=local_date(session, now), progress=progress, keep=True)


def _recheck(session, text: str, checked: Preview, *, now: datetime, progress=None) -> Preview:
    return recheck_rows(session, text, checked, phone_region=get_practice(session).phone_region,
                        today=local_date(session, now), progress=progress)


register(Importer(
    "clients", "clients", "clients.import", check=_check, recheck=_recheck, save=save_clients,
    upload_endpoint="clients.import_upload", list_endpoint="clients.index",
    shown=(("Name", "display_name"), ("Phone", "phone"), ("E-mail", "email")),
))
