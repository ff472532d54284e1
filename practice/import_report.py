"""The row-by-row report of an all-or-nothing import (the practice's clients, the referral
network's directory): what each row of the file says, what is wrong with it and what to
note. Shared by both imports, and free of the practice's tables so that the network, run on
a site of its own, can use it too.

A report is kept as JSON (the file of the job that checked the upload) and shown a page at a
time, rows that need correcting first: a file of 5,000 rows never makes a page of 5,000."""

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
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def warning_count(self) -> int:
        return sum(1 for row in self.rows if row.warnings and not row.errors)

    def page(self, number: int, per_page: int = PAGE_SIZE) -> ReportPage:
        pages = max(ceil(len(self.rows) / per_page), 1)
        number = min(max(number, 1), pages)
        ordered = sorted(self.rows, key=lambda row: (row.order, row.line))
        return ReportPage(ordered[(number - 1) * per_page:number * per_page], number, pages, len(self.rows))

    def to_json(self) -> bytes:
        return json.dumps({
            "kind": self.kind, "problems": self.problems, "imported": self.imported, "kept": self.kept,
            "rows": [[row.line, row.values, row.errors, row.warnings] for row in self.rows],
        }, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Preview":
        found = json.loads(data)
        return cls(kind=found["kind"], problems=found["problems"], imported=found["imported"],
                   kept=found.get("kept"),
                   rows=[RowReport(line, values, errors, warnings)
                         for line, values, errors, warnings in found["rows"]])


class ImportRefused(Exception):
    """Some row is wrong (or the file is): nothing is saved; the report says why."""

    def __init__(self, preview: Preview):
        super().__init__("import refused")
        self.preview = preview

