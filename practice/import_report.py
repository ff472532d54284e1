"""The row-by-row report of an all-or-nothing import (the practice's clients, the referral
network's directory): what each row of the file says, what is wrong with it and what to
note. Shared by both imports, and free of the practice's tables so that the network, run on
a site of its own, can use it too.

A report is kept as JSON (the file of the job that checked the upload) and shown a page at a
time, rows that need correcting first: a file of 5,000 rows never makes a page of 5,000. It is
a JSON list written a part a line (its summary, what the check kept, then each row), so that
a page decodes its summary and its own rows only (KeptReport), not all 2 MB of a 5,000-row
report: compact JSON has no line breaks of its own."""

import json
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from practice.paging import Pager

PAGE_SIZE = 50
PROGRESS_EVERY = 1000  # rows checked between two notes of progress (each is a commit of its own)


@dataclass
class RowReport:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: Any = None  # the cleaned row, ready to save; not kept in the stored report

    @property
    def order(self) -> int:
        """Rows to correct first, then rows with notes, then the rest."""
        return 0 if self.errors else 1 if self.warnings else 2


@dataclass
class ReportPage(Pager):
    """One page of a report's rows."""

    items: list[RowReport]
    page: int
    pages: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class Preview:
    kind: str = "CSV"  # or "vCard"
    rows: list[RowReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    imported: int | None = None  # how many rows were saved, once the import has run
    # What a check keeps for the import to reuse (its cleaned rows and what they were checked
    # against: Importer.recheck), JSON as the importer writes it; never shown.
    kept: Any = None

    @property
    def ok(self) -> bool:
        return not self.problems and all(not row.errors for row in self.rows)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def warning_count(self) -> int:
        return sum(1 for row in self.rows if row.warnings and not row.errors)

    def page(self, number: int, per_page: int = PAGE_SIZE) -> ReportPage:
        order = _display_order(self.rows)
        return _page_of(number, per_page, len(order), lambda at: self.rows[order[at]])

    def to_json(self) -> bytes:
        """[summary, kept, row, row, ...], each on a line of its own (KeptReport reads them)."""
        summary = {"kind": self.kind, "problems": self.problems, "imported": self.imported,
                   "errors": self.error_count, "warnings": self.warning_count, "order": _display_order(self.rows)}
        parts = [summary, self.kept, *([row.line, row.values, row.errors, row.warnings] for row in self.rows)]
        return ("[" + ",\n".join(map(_ENCODER.encode, parts)) + "]").encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Preview":
        found = json.loads(data)
        if isinstance(found, dict):  # kept before reports were written a part a line
            found = [found, found.get("kept"), *found["rows"]]
        summary, kept, *rows = found
        return cls(kind=summary["kind"], problems=summary["problems"], imported=summary["imported"], kept=kept,
                   rows=[RowReport(line, values, errors, warnings) for line, values, errors, warnings in rows])


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _display_order(rows: list[RowReport]) -> list[int]:
    """The rows' positions, rows to correct first, then rows with notes, then the rest."""
    return sorted(range(len(rows)), key=lambda at: (rows[at].order, rows[at].line))


def _page_of(number: int, per_page: int, total: int, row_at) -> ReportPage:
    """Page `number` (moved into range) of `total` rows, the row shown `at` given by row_at(at)."""
    pages = max(ceil(total / per_page), 1)
    number = min(max(number, 1), pages)
    shown = range((number - 1) * per_page, min(number * per_page, total))
    return ReportPage([row_at(at) for at in shown], number, pages, total)


@dataclass
class KeptReport:
    """A kept report (Preview.to_json) as its page reads it: the summary, and the rows of the
    page shown decoded from their own lines; the page's other reads (the outcome, whether
    it can be imported) are the summary's. Preview's attributes, but no rows."""

    kind: str
    problems: list[str]
    imported: int | None
    error_count: int
    warning_count: int
    order: list[int]  # the rows' positions in the order they are shown
    lines: list[bytes]  # the report's lines: the summary, what was kept, then a row each

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error_count

    @property
    def total(self) -> int:
        return len(self.order)

    def page(self, number: int, per_page: int = PAGE_SIZE) -> ReportPage:
        return _page_of(number, per_page, self.total, self._row)

    def _row(self, at: int) -> RowReport:
        line, values, errors, warnings = json.loads(self.lines[2 + self.order[at]][:-1])  # less its "," or "]"
        return RowReport(line, values, errors, warnings)

    @classmethod
    def read(cls, data: bytes) -> "KeptReport":
        if not data.startswith(b"["):  # kept before reports were written a part a line
            data = Preview.from_json(data).to_json()
        lines = data.split(b"\n")
        summary = json.loads(lines[0][1:-1])  # less the list's "[" and the ","
        return cls(summary["kind"], summary["problems"], summary["imported"], summary["errors"],
                   summary["warnings"], summary["order"], lines)


class ImportRefused(Exception):
    """Some row is wrong (or the file is): nothing is saved; the report says why."""

    def __init__(self, preview: Preview):
        super().__init__("import refused")
        self.preview = preview

