"""Fill a department's own blank .xlsx form: detect its header block, insert data rows.

Which field each header means is decided by the one header mapper, `yibiaotong.mapping`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Border, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from yibiaotong.excel.cells import EXCEL_MAX_ROWS, put_text, safe_text
from yibiaotong.mapping import tidy as clean

SCAN_ROWS = 30
MAX_HEADER_ROWS = 3
SEQ = "seq"
_THIN = Side(style="thin", color="000000")
_UNIT_LINE = re.compile(r"^\s*(填报单位|填表单位|报送单位|单位名称|单位)\s*[:：][\s_＿]*$")
_DATE_LINE = re.compile(
    r"^\s*(统计时间|统计日期|填报时间|填报日期|填表日期|报送日期|日期)\s*[:：][\s_＿]*$"
)
_FOOTER = re.compile(
    r"填表人|制表人|审核人|负责人|填报人|经办人|签字|盖章|联系电话|填报日期|填表日期"
)
_NUMBER_CELL = re.compile(r"^(\d{1,3}|[甲乙丙丁戊己庚辛壬癸]|栏次)$")
SEQ_NAMES = ("序号", "编号", "序", "顺序号", "No", "NO")


class TemplateError(ValueError):
    """The uploaded form cannot be used as a template; the message is Chinese."""


@dataclass(frozen=True)
class HeaderColumn:
    """One column of the form's header block."""

    col: int  # 1-based
    path: tuple[str, ...]  # header texts top → bottom (parent first), as printed
    label: str  # the leaf text without item numbers and marks

    @property
    def letter(self) -> str:
        return get_column_letter(self.col)

    @property
    def key(self) -> str:
        """Stable key for remembering mappings: column letter and header path."""
        return f"{self.letter}:{'›'.join(clean(p) for p in self.path)}"

    @property
    def display(self) -> str:
        return " › ".join(self.path)


@dataclass
class HeaderBlock:
    """Where things are in the uploaded form."""

    sheet: str
    first_row: int
    last_row: int
    columns: list[HeaderColumn]
    data_row: int  # first data row (after the header and an optional 栏次 row)
    blank_rows: int  # empty rows the form leaves for data before its footer
    footer_row: int | None
    number_row: int | None = None
    title: str = ""
    signature: str = ""
    notes: list[str] = field(default_factory=list)


def _cell_texts(
    ws: Worksheet, rows: int
) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], CellRange]]:
    """Text at every (row, col) of the first rows, merged ranges filled from their anchor."""
    texts: dict[tuple[int, int], str] = {}
    for row in ws.iter_rows(min_row=1, max_row=rows):
        for cell in row:
            if isinstance(cell, MergedCell) or cell.value is None:
                continue
            text = str(cell.value).strip()
            if text:
                texts[(cell.row, cell.column)] = text
    ranges: dict[tuple[int, int], CellRange] = {}
    for rng in ws.merged_cells.ranges:
        if rng.min_row > rows:
            continue
        anchor = texts.get((rng.min_row, rng.min_col))
        for r in range(rng.min_row, min(rng.max_row, rows) + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                ranges[(r, c)] = rng
                if anchor is not None:
                    texts[(r, c)] = anchor
    return texts, ranges


def _row_items(texts, ranges, r: int, max_col: int) -> list[tuple[int, str]]:
    """Distinct texts of a row: a merged range counts once, at its first column."""
    items = []
    for c in range(1, max_col + 1):
        text = texts.get((r, c))
        if not text:
            continue
        rng = ranges.get((r, c))
        if rng is not None and c != rng.min_col:
            continue
        items.append((c, text))
    return items


def _is_unit_line(items: Sequence[tuple[int, str]]) -> bool:
    return any(
        re.match(r"^\s*(填报|填表|报送|统计)?(单位|时间|日期)", t) and re.search("[:：]", t)
        for _, t in items
    )


def detect_header(ws: Worksheet) -> HeaderBlock:
    """Find the header block (one to three rows) of a blank form; TemplateError if there is none."""
    rows = min(max(ws.max_row, 1), SCAN_ROWS + 40)
    max_col = min(ws.max_column, 60)
    texts, ranges = _cell_texts(ws, rows)
    start = None
    title = ""
    for r in range(1, min(rows, SCAN_ROWS) + 1):
        items = _row_items(texts, ranges, r, max_col)
        if not items:
            continue
        numeric = sum(1 for _, t in items if re.fullmatch(r"[\d.,\-/年月日\s]+", t))
        if len(items) >= 2 and not _is_unit_line(items) and numeric < len(items) / 2:
            start = r
            break
        if len(items) == 1 and not title and not _is_unit_line(items):
            title = items[0][1]
    if start is None:
        raise TemplateError(
            "没有找到表头行：表样的前 30 行中应有一行至少包含两个列名（如“序号、姓名、身份证号”）。"
        )
    end = start
    while end - start + 1 < MAX_HEADER_ROWS:
        grown = end
        for (r, c), rng in ranges.items():
            if (
                start <= r <= end
                and rng.min_row >= start
                and rng.max_row > grown
                and rng.min_col == c
            ):
                grown = min(rng.max_row, start + MAX_HEADER_ROWS - 1)
        parents = [
            rng
            for (r, c), rng in ranges.items()
            if r == end and rng.min_row == end and rng.max_col > rng.min_col and texts.get((r, c))
        ]
        if parents and any(
            texts.get((end + 1, c)) for rng in parents for c in range(rng.min_col, rng.max_col + 1)
        ):
            grown = max(grown, end + 1)
        if grown == end:
            break
        end = grown
    header_cols = sorted({c for (r, c) in texts if start <= r <= end and c <= max_col})
    columns = []
    for c in range(header_cols[0], header_cols[-1] + 1):
        path: list[str] = []
        for r in range(start, end + 1):
            text = texts.get((r, c))
            if text and (not path or path[-1] != text):
                path.append(text)
        if path:
            columns.append(HeaderColumn(c, tuple(path), clean(path[-1])))
    if len(columns) < 2:
        raise TemplateError("表头少于两列，无法套用。请确认上传的是带表头的空白表样。")
    number_row = None
    data_row = end + 1
    items = _row_items(texts, ranges, data_row, max_col)
    if items and all(_NUMBER_CELL.match(t) for _, t in items) and len(items) >= 2:
        number_row = data_row
        data_row += 1
    seq_cols = {col.col for col in columns if col.label in SEQ_NAMES}
    first_col, last_col = columns[0].col, columns[-1].col
    footer_row = None
    blank = 0
    in_table = True
    for r in range(data_row, ws.max_row + 1):
        filled = [
            (c, ws.cell(r, c).value)
            for c in range(1, max_col + 1)
            if ws.cell(r, c).value not in (None, "")
        ]
        # A blank form may number its empty rows 1, 2, 3 … in the 序号 column: still blank.
        if all(isinstance(v, int) and c in seq_cols for c, v in filled):
            # Blank data rows are drawn (bordered); an undrawn empty row is spacing before the footer.
            drawn = any(
                ws.cell(r, c).border.left.style or ws.cell(r, c).border.bottom.style
                for c in range(first_col, last_col + 1)
            )
            in_table = in_table and (drawn or bool(filled))
            blank += in_table
            continue
        footer_row = r
        break
    signature = hashlib.sha256(
        json.dumps([c.key for c in columns], ensure_ascii=False).encode("utf-8")
    ).hexdigest()[:24]
    return HeaderBlock(
        sheet=ws.title,
        first_row=start,
        last_row=end,
        columns=columns,
        data_row=data_row,
        blank_rows=blank,
        footer_row=footer_row,
        number_row=number_row,
        title=title,
        signature=signature,
    )


# ---------------------------------------------------------------------------------------------
# Filling


def _thin_border(border: Border | None) -> Border:
    """The template row's border, with a thin line wherever it had none."""
    b = border or Border()
    return Border(
        left=b.left if b.left and b.left.style else _THIN,
        right=b.right if b.right and b.right.style else _THIN,
        top=b.top if b.top and b.top.style else _THIN,
        bottom=b.bottom if b.bottom and b.bottom.style else _THIN,
    )


def _insert_rows(ws: Worksheet, at: int, count: int) -> None:
    """ws.insert_rows plus what it leaves behind: merged ranges, row heights, print area."""
    heights = {
        r: dim.height for r, dim in list(ws.row_dimensions.items()) if dim.height is not None
    }
    ranges = list(ws.merged_cells.ranges)
    for rng in ranges:
        ws.merged_cells.remove(rng)
    ws.insert_rows(at, count)
    for rng in ranges:
        if rng.min_row >= at:
            rng.shift(0, count)
        elif rng.max_row >= at:
            rng.expand(down=count)
        ws.merged_cells.add(rng)
    for r in sorted(heights, reverse=True):
        if r >= at:
            ws.row_dimensions[r + count].height = heights[r]
            ws.row_dimensions[r].height = None
    if ws.print_area:
        ws.print_area = f"A1:{get_column_letter(ws.max_column)}{ws.max_row}"


def _fill_line(ws: Worksheet, rows: Iterable[int], max_col: int, unit: str, day: str) -> None:
    """Complete a blank 填报单位： / 填报日期： line of the form, leave fixed text alone."""
    for r in rows:
        for c in range(1, max_col + 1):
            cell = ws.cell(r, c)
            if isinstance(cell, MergedCell) or not isinstance(cell.value, str):
                continue
            m = _UNIT_LINE.match(cell.value)
            if m and unit:
                cell.value = safe_text(f"{m.group(1)}：{unit}")
                continue
            m = _DATE_LINE.match(cell.value)
            if m and day:
                cell.value = safe_text(f"{m.group(1)}：{day}")


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float | date | datetime):
        return value
    return safe_text(str(value))


def fill(
    wb: Workbook,
    block: HeaderBlock,
    mapped: Sequence[tuple[int, str]],
    rows: Iterable[Sequence[Any]],
    *,
    unit: str = "",
    day: str = "",
) -> int:
    """Write `rows` into the form below its header; return the number of data rows.

    `mapped` pairs each filled Excel column with what it holds: "seq" (1, 2, 3 …) or a value
    index into each row. Rows beyond the form's blank rows are inserted above its footer, so
    填表人 / 审核人 move down; every data cell copies the first data row's style and gets a
    border on every side. Fixed text, merged cells and styles elsewhere stay as they were.
    """
    ws = wb[block.sheet]
    rows = list(rows)
    n = len(rows)
    if block.data_row + n > EXCEL_MAX_ROWS - 50:
        raise TemplateError(f"数据超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS:,} 行），请缩小范围")
    first_col, last_col = block.columns[0].col, block.columns[-1].col
    template_row = block.data_row
    styles = {c: copy(ws.cell(template_row, c)._style) for c in range(first_col, last_col + 1)}
    borders = {
        c: _thin_border(ws.cell(template_row, c).border) for c in range(first_col, last_col + 1)
    }
    height = ws.row_dimensions[template_row].height
    row_merges = [
        rng for rng in ws.merged_cells.ranges if rng.min_row == rng.max_row == template_row
    ]
    extra = n - max(block.blank_rows, 0)
    if extra > 0:
        _insert_rows(ws, block.data_row + max(block.blank_rows, 0), extra)
    by_col = dict(mapped)
    for i, values in enumerate(rows):
        r = block.data_row + i
        if height is not None:
            ws.row_dimensions[r].height = height
        if r != template_row:
            for rng in row_merges:
                coord = f"{get_column_letter(rng.min_col)}{r}:{get_column_letter(rng.max_col)}{r}"
                if coord not in ws.merged_cells:
                    ws.merge_cells(coord)
        for c in range(first_col, last_col + 1):
            cell = ws.cell(r, c)
            if isinstance(cell, MergedCell):
                continue
            cell._style = copy(styles[c])
            cell.border = borders[c]
            source = by_col.get(c)
            if source is None:
                cell.value = None
                continue
            value = i + 1 if source == SEQ else _value(values[source])
            if isinstance(value, str):
                put_text(cell, value)
                if value.isdigit() and len(value) > 11:
                    cell.number_format = "@"
            else:
                cell.value = value
    for r in range(block.data_row + n, block.data_row + max(block.blank_rows, 0)):
        for c in range(first_col, last_col + 1):
            cell = ws.cell(r, c)
            if not isinstance(cell, MergedCell):
                cell.border = borders[c]
    _fill_line(ws, range(1, block.first_row), last_col, unit, day)
    footer_from = block.data_row + max(n, block.blank_rows)
    _fill_line(ws, range(footer_from, ws.max_row + 1), last_col, "", day)
    return n


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
