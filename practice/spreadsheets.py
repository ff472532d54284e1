"""Cells written to CSV files that spreadsheet programs open. Shared by every export (the
referral network's too, which must not import the practice's tables)."""

import csv
import io
from collections.abc import Iterable, Iterator

ROWS_A_CHUNK = 500  # rows an export writes between two pieces it sends

# Spreadsheet programs run cells that start with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A quote in front of text a spreadsheet would run as a formula (phone numbers in E.164
    excepted)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _is_phone(text):
        return "'" + text
    return text


def _is_phone(text: str) -> bool:
    return text.startswith("+") and text[1:].isdigit()


def csv_chunks(header: list[str], rows: Iterable) -> Iterator[str]:
    """A CSV file a piece at a time (an export streamed as it is read): the header, then the
    rows, every cell made safe for spreadsheets, ROWS_A_CHUNK rows a piece."""
    rows_a_chunk = ROWS_A_CHUNK
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(value) for value in row])
        if number % rows_a_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
