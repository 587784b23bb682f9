"""What every Excel writer shares: text that stays text, display widths, column kinds of fields."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

EXCEL_MAX_ROWS = 1_048_576
# Text starting with one of these is a formula (or DDE payload) to Excel and LibreOffice.
FORMULA_STARTS = frozenset("=+-@\t\r")
# Column kind of a field-standard data type: numbers stay numbers, IDs and phones stay text.
FIELD_KINDS = {
    "int": "int",
    "decimal": "decimal",
    "date": "date",
    "id_number": "id",
    "phone": "id",
    "uscc": "id",
}


def kind_of(data_type: str | None) -> str:
    """The Excel column kind for a field of this data type (text when nothing special)."""
    return FIELD_KINDS.get(data_type or "", "text")


def safe_text(value: Any) -> str:
    """A string Excel will show as typed: control characters that break the file are removed."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def looks_like_formula(text: str) -> bool:
    return text[:1] in FORMULA_STARTS


def as_text(value: Any) -> str:
    """A value as it reads in a cell: dates ISO, decimals with two places."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}"
    return str(value)


def display_width(value: Any) -> int:
    """Width in Excel character units: CJK and full-width characters count two (their GBK
    encoding is two bytes, ASCII one: one C-level call instead of a lookup per character)."""
    if value is None:
        return 0
    return len(as_text(value).encode("gbk", "replace"))


def put_text(cell: Any, value: Any) -> Any:
    """Store `value` in an openpyxl cell as plain text: never a formula, whatever it starts
    with; formula-looking text also gets Excel's quote prefix so editing keeps it text."""
    text = safe_text(value)
    cell.value = text
    if looks_like_formula(text):  # openpyxl made it a formula ("f"): make it text again
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\s]+')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def sheet_title(text: Any, fallback: str = "数据") -> str:
    """A worksheet name Excel accepts: no [ ] : * ? / \\ or control characters, 31 at most,
    not starting or ending with an apostrophe."""
    title = _SHEET_FORBIDDEN.sub("", safe_text(text)).replace("\x00", "")
    title = title[:31].strip().strip("'").strip()
    return title or fallback


def file_name(text: Any, suffix: str = "") -> str:
    """A file name Windows, macOS and zip readers accept: no path separators, reserved
    characters, control characters or white space; never a reserved device name; ≤ 120 chars."""
    stem = _FILE_FORBIDDEN.sub("", safe_text(text).replace("\x00", "")).strip(".")
    if not stem or _WINDOWS_RESERVED.match(stem):
        stem = f"报表{stem}"
    return stem[:120] + suffix
