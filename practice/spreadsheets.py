"""Cells written to CSV files that spreadsheet programs open. Shared by every export (the
referral network's too, which must not import the practice's tables)."""

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
