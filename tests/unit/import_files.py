"""Files as offices save them, built in code for the import tests: CSV in Chinese encodings and
dialects, workbooks with titles, merged headers, number cells and real date cells."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from stdnum.cn import ric

HEADER = ["序号", "姓名", "身份证号", "性别", "出生日期", "联系电话", "现住址"]


def id_number(body17: str) -> str:
    """A valid 18-digit ID from its first 17 digits (check digit by python-stdnum)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def csv_bytes(
    rows: list[list[str]],
    *,
    encoding: str = "gbk",
    delimiter: str = ",",
    newline: str = "\r\n",
    title: str | None = None,
    header: list[str] = HEADER,
) -> bytes:
    """Excel's "Save as CSV": GBK without BOM, CRLF, cells quoted only when needed."""

    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = []
    if title:
        lines += [title, ""]
    lines.append(delimiter.join(header))
    lines += [delimiter.join(cell(v) for v in row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def xlsx_bytes(
    rows: list[list],
    *,
    title: str | None = "花名册",
    header: list[str] = HEADER,
    merged_group: tuple[str, int, int] | None = None,
) -> bytes:
    """A workbook with a merged title row, the header below, values as given (numbers stay
    numbers, dates stay date cells). merged_group=(label, first, last) puts a group label over
    columns first..last (1-based) and the header in the row below it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    row = 1
    if title:
        ws.cell(1, 1, title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        row = 3
    if merged_group:
        label, first, last = merged_group
        for col, name in enumerate(header, start=1):
            if first <= col <= last:
                ws.cell(row + 1, col, name)
            else:
                ws.cell(row, col, name)
                ws.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col)
        ws.cell(row, first, label)
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        row += 1
    else:
        for col, name in enumerate(header, start=1):
            ws.cell(row, col, name)
    for values in rows:
        row += 1
        for col, value in enumerate(values, start=1):
            ws.cell(row, col, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sample_people(n: int = 3) -> list[list]:
    """Rows of HEADER with valid IDs born 1950–1990 and matching sex and birth date."""
    out = []
    for i in range(n):
        born = date(1950 + i, 1 + i % 12, 1 + i % 28)
        sex = "男" if i % 2 == 0 else "女"
        body = f"330102{born:%Y%m%d}{100 + i:03d}"[:16] + ("1" if sex == "男" else "2")
        out.append(
            [str(i + 1), f"测试{i}", id_number(body), sex, born.isoformat(), f"1380000{i:04d}", ""]
        )
    return out
