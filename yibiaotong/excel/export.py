"""Formatted .xlsx export that streams rows (openpyxl write-only): bold header, fitted widths, safe text."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from yibiaotong.excel.cells import EXCEL_MAX_ROWS, as_text, display_width, put_text, safe_text

KINDS = ("text", "id", "int", "decimal", "money", "date", "datetime")
_NUMBER_FORMATS = {
    "id": "@",
    "int": "0",
    "decimal": "0.00",
    "money": "#,##0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F4")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="8EA9DB"))
_TITLE_FONT = Font(bold=True, size=13)
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One output column: header text and how its values are written.

    kind: text; id (long digit strings such as ID or phone numbers, always text so Excel keeps
    every digit); int; decimal; money (yuan, thousands separator); date; datetime.
    """

    header: str
    kind: str = "text"
    width: float | None = None  # characters; None fits the header and the first rows

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def _cell(ws, value: Any, column: Column) -> WriteOnlyCell | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    kind = column.kind
    numeric = kind in ("int", "decimal", "money")
    if numeric and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell = WriteOnlyCell(ws, value=float(value) if isinstance(value, Decimal) else value)
        cell.number_format = _NUMBER_FORMATS[kind]
        return cell
    if kind in ("date", "datetime") and isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = _NUMBER_FORMATS[kind]
        return cell
    if isinstance(value, bool):
        value = "是" if value else "否"
    cell = put_text(WriteOnlyCell(ws), as_text(value) if isinstance(value, date) else value)
    if kind == "id":
        cell.number_format = "@"
    return cell


def _widths(columns: Sequence[Column], sample: Sequence[Sequence[Any]]) -> list[float]:
    widths = []
    for i, column in enumerate(columns):
        if column.width:
            widths.append(column.width)
            continue
        longest = max(
            [display_width(column.header)]
            + [display_width(row[i]) for row in sample if i < len(row)]
        )
        widths.append(min(_MAX_WIDTH, max(6, longest + 2)))
    return widths


def write_xlsx(
    target: str | Path | IO[bytes],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "数据",
    title: str | None = None,
    sample_rows: int = 200,
    max_rows: int = EXCEL_MAX_ROWS - 2,
) -> int:
    """Stream `rows` into a formatted workbook at `target`; return the number of data rows.

    Widths are fitted to the header and the first `sample_rows` rows (write-only sheets need
    them before the first row). Memory stays flat however many rows come. Raises ValueError
    past `max_rows`, the most one Excel sheet can hold below its header.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_text(sheet_name)[:31] or "数据")
    iterator = iter(rows)
    sample: list[Sequence[Any]] = []
    for row in iterator:
        sample.append(row)
        if len(sample) >= sample_rows:
            break
    for i, width in enumerate(_widths(columns, sample), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    header_row = 2 if title else 1
    ws.freeze_panes = f"A{header_row + 1}"
    if title:
        cell = WriteOnlyCell(ws, value=safe_text(title))
        cell.font = _TITLE_FONT
        cell.data_type = "s"
        ws.append([cell])
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=safe_text(column.header))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.data_type = "s"
        header.append(cell)
    ws.append(header)
    count = 0
    for source in (sample, iterator):
        for row in source:
            count += 1
            if count > max_rows:
                wb.save(io.BytesIO())  # finish the sheet's writer; the caller gets no file
                raise ValueError(
                    f"结果超过 Excel 单个工作表的上限（{max_rows:,} 行），请缩小范围后再导出"
                )
            ws.append([_cell(ws, v, c) for v, c in zip(row, columns, strict=False)])
    last = get_column_letter(max(1, len(columns)))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + count}"
    wb.save(target)
    return count
