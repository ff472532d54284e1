"""The row-by-row report of an all-or-nothing import (the practice's clients, the referral
network's directory): what each row of the file says, what is wrong with it and what to
note. Shared by both imports, and free of the practice's tables so that the network, run on
a site of its own, can use it too.

A report is kept as JSON (the file of the job that checked the upload) and shown a page at a
time, rows that need correcting first: a file of 5,000 rows never makes a page of 5,000. It is
a JSON list written a part a line (its summary, what the check kept, then the rows a page a
line, in the order they are shown), so that a page decodes its summary and its own line only
(KeptReport), not all 2 MB of a 5,000-row report: compact JSON has no line breaks of its own."""

import json
from dataclasses import dataclass, field
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

    def page(self, number: int) -> ReportPage:
        shown = _pages(self.rows, _display_order(self.rows))
        number = _in_range(number, len(shown))
        return ReportPage(shown[number - 1] if shown else [], number, max(len(shown), 1), len(self.rows))

    def to_json(self) -> bytes:
        """[summary, kept, page, page, ...], each on a line of its own (KeptReport reads them)."""
        order = _display_order(self.rows)
        summary = {"kind": self.kind, "problems": self.problems, "imported": self.imported,
                   "errors": self.error_count, "warnings": self.warning_count, "order": order}
        pages = [[[row.line, row.values, row.errors, row.warnings] for row in page]
                 for page in _pages(self.rows, order)]
        return ("[" + ",\n".join(map(_ENCODER.encode, [summary, self.kept, *pages])) + "]").encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Preview":
        found = json.loads(data)
        if isinstance(found, dict):  # kept before reports were written a part a line
            summary, kept, shown = found, found.get("kept"), found["rows"]
        else:
            summary, kept, *pages = found
            shown = [None] * len(summary["order"])  # the rows back in the file's order
            for at, row in zip(summary["order"], (row for page in pages for row in page), strict=True):
                shown[at] = row
        return cls(kind=summary["kind"], problems=summary["problems"], imported=summary["imported"], kept=kept,
                   rows=[RowReport(line, values, errors, warnings) for line, values, errors, warnings in shown])


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _display_order(rows: list[RowReport]) -> list[int]:
    """The rows' positions, rows to correct first, then rows with notes, then the rest."""
    return sorted(range(len(rows)), key=lambda at: (rows[at].order, rows[at].line))


def _pages(rows: list, order: list[int]) -> list[list]:
    return [[rows[at] for at in order[start:start + PAGE_SIZE]] for start in range(0, len(order), PAGE_SIZE)]


def _in_range(number: int, pages: int) -> int:
    return min(max(number, 1), max(pages, 1))


@dataclass
class KeptReport:
    """A kept report (Preview.to_json) as its page reads it: the summary, and the line of the
    page shown; the page's other reads (the outcome, whether it can be imported) are the
    summary's. Preview's attributes, but no rows."""

    kind: str
    problems: list[str]
    imported: int | None
    error_count: int
    warning_count: int
    total: int
    lines: list[bytes]  # the report's lines: the summary, what was kept, then a page each

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error_count

    def page(self, number: int) -> ReportPage:
        pages = len(self.lines) - 2
        number = _in_range(number, pages)
        rows = json.loads(self.lines[number + 1][:-1]) if pages else []  # less its "," or the list's "]"
        return ReportPage([RowReport(*row) for row in rows], number, max(pages, 1), self.total)

    @classmethod
    def read(cls, data: bytes) -> "KeptReport":
        if not data.startswith(b"["):  # kept before reports were written a part a line
            data = Preview.from_json(data).to_json()
        lines = data.split(b"\n")
        summary = json.loads(lines[0][1:-1])  # less the list's "[" and the ","
        return cls(summary["kind"], summary["problems"], summary["imported"], summary["errors"],
                   summary["warnings"], len(summary["order"]), lines)


class ImportRefused(Exception):
    """Some row is wrong (or the file is): nothing is saved; the report says why."""

    def __init__(self, preview: Preview):
        super().__init__("import refused")
        self.preview = preview

