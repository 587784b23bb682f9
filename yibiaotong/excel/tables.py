"""Small summary workbooks: titled tables stacked on named sheets (the dashboard's export)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from yibiaotong.excel.cells import display_width, put_text, safe_text

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F4")
_TITLE_FONT = Font(bold=True, size=13)

# One table: its title, column headers and rows of values.
Table = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


def _put(ws, row: int, column: int, value: Any, font: Font | None = None):
    if isinstance(value, float) and value != value:
        value = None
    if isinstance(value, bool):
        value = "是" if value else "否"
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        put_text(cell, value)
    else:
        cell.value = value
        if isinstance(value, int):
            cell.number_format = "#,##0"
    if font is not None:
        cell.font = font
    return cell


def write_tables(sheets: Mapping[str, Sequence[Table]]) -> bytes:
    """One sheet per entry, its tables one below the other (a blank row between them)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet_name, tables in sheets.items():
        ws = wb.create_sheet(safe_text(sheet_name)[:31])
        widths: dict[int, int] = {}
        row = 1
        for title, headers, body in tables:
            _put(ws, row, 1, title, _TITLE_FONT)
            row += 1
            for col, header in enumerate(headers, start=1):
                cell = _put(ws, row, col, header, _HEADER_FONT)
                cell.fill = _HEADER_FILL
                cell.alignment = Alignment(horizontal="center")
                widths[col] = max(widths.get(col, 0), display_width(header))
            row += 1
            for values in body:
                for col, value in enumerate(values, start=1):
                    _put(ws, row, col, value)
                    widths[col] = max(widths.get(col, 0), display_width(value))
                row += 1
            row += 1
        for col, width in widths.items():
            ws.column_dimensions[get_column_letter(col)].width = min(50, max(8, width + 2))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
