"""Fill a department's own blank .xlsx form: detect its header block, insert data rows.

Which field each header means is decided by the one header mapper, `yibiaotong.mapping`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from yibiaotong.excel.cells import EXCEL_MAX_ROWS, display_width, put_text, safe_text
from yibiaotong.mapping import tidy as clean

SCAN_ROWS = 30
MAX_HEADER_ROWS = 3
SEQ = "seq"
_THIN = Side(style="thin", color="000000")
_FOOTER = re.compile(
    r"填表人|制表人|审核人|负责人|填报人|经办人|签字|盖章|联系电话|填报日期|填表日期"
)
_NUMBER_CELL = re.compile(r"^(\d{1,3}|[甲乙丙丁戊己庚辛壬癸]|栏次)$")
SEQ_NAMES = ("序号", "编号", "序", "顺序号", "No", "NO")
KIND_NAMES = {
    "roster": "名册（每行一人或一条记录）",
    "table": "统计表（每行一个单位，每列一类的数量）",
    "indicators": "指标表（每行一个项目及其数值）",
}
# What the first column of a statistics table or an indicator list is headed.
_UNIT_HEADER = re.compile(r"社区|街道|单位|网格|村|地区|区域|小区|乡镇|镇街|部门")
_ITEM_HEADER = re.compile(r"^(?:统计)?(?:项目|指标)(?:名称)?$|^(?:内容|类别|分类|类型)$")
_TOTAL_LABEL = re.compile(r"^(?:合计|总计|小计|共计|总数|全[区街社]合计?)$")


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
    kind: str = "roster"  # roster | table (units × categories) | indicators (项目 | 数值)
    label_col: int | None = None  # table / indicators: the column naming each row
    labels: list[tuple[int, str]] = field(default_factory=list)  # (row, label) printed there

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


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
    max_col = ws.max_column  # upload.py refuses sheets that declare absurd dimensions
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
    kind, label_col, labels = _classify(ws, columns, seq_cols, data_row)
    footer_row = None
    blank = 0
    in_table = not labels
    for r in range(data_row + len(labels), ws.max_row + 1):
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
        kind=kind,
        label_col=label_col,
        labels=labels,
    )


def _classify(
    ws: Worksheet, columns: Sequence[HeaderColumn], seq_cols: set[int], data_row: int
) -> tuple[str, int | None, list[tuple[int, str]]]:
    """Roster, statistics table or indicator list: a table or list prints the label of every
    row (a community, 合计; an indicator) in its first column and leaves the rest to fill."""
    own = [c for c in columns if c.col not in seq_cols]
    if len(own) < 2:
        return "roster", None, []
    label_col, others = own[0], [c.col for c in own[1:]]
    labels: list[tuple[int, str]] = []
    for r in range(data_row, min(ws.max_row, data_row + 500) + 1):
        label = ws.cell(r, label_col.col).value
        rest = [ws.cell(r, c).value for c in others]
        if not isinstance(label, str) or not label.strip() or _FOOTER.search(label):
            break
        if any(v not in (None, "") and not isinstance(v, int | float) for v in rest):
            break
        labels.append((r, label.strip()))
    if len(labels) < 2:
        return "roster", None, []
    header = label_col.label
    if _ITEM_HEADER.match(header) and len(own) <= 4:
        return "indicators", label_col.col, labels
    if _UNIT_HEADER.search(header) or any(_TOTAL_LABEL.match(clean(t)) for _, t in labels):
        return "table", label_col.col, labels
    return "roster", None, []


# ---------------------------------------------------------------------------------------------
# Formulas already in the form

_COLUMN_SUM = re.compile(r"^=\s*SUM\(\s*\$?([A-Z]{1,3})\$?(\d+)\s*:\s*\$?\1\$?(\d+)\s*\)\s*$", re.I)


@dataclass(frozen=True)
class Formulas:
    """What neutralise() did: cells whose formula became a fixed value, and the 合计 cells that
    summed one column of the data area (filled with the sum of the written rows instead)."""

    replaced: list[str]
    column_sums: dict[tuple[int, int], int]  # (row, col) of a total → the data column it sums


def neutralise(wb: Workbook, cached: Workbook | None, block: HeaderBlock) -> Formulas:
    """Turn every formula of the form's sheets into a fixed value so nothing computes, links or
    runs when the filled copy is opened: the value Excel last showed (`cached`, the same file
    loaded with data_only) or blank. A SUM over one data column below the data area is kept
    as a column total to fill in."""
    replaced: list[str] = []
    sums: dict[tuple[int, int], int] = {}
    data_cols = {c.col for c in block.columns}
    for ws in wb.worksheets:
        old = cached[ws.title] if cached is not None and ws.title in cached.sheetnames else None
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f" and not type(cell.value).__name__.endswith("Formula"):
                    continue
                text = str(getattr(cell.value, "text", cell.value))
                m = _COLUMN_SUM.match(text)
                col = column_index_from_string(m.group(1)) if m else None
                if ws.title == block.sheet and col in data_cols and cell.row >= block.data_row:
                    sums[(cell.row, cell.column)] = col
                value = old[cell.coordinate].value if old is not None else None
                cell.value = None
                if value is not None:
                    if isinstance(value, str):
                        put_text(cell, value)
                    else:
                        cell.value = value
                replaced.append(f"{ws.title}!{cell.coordinate}")
    return Formulas(replaced, sums)


# ---------------------------------------------------------------------------------------------
# Filling a roster


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


_LINE_LABEL = re.compile(
    r"(?P<label>(?:填报|填表|报送|制表|统计)?(?:单位(?:名称)?|日期|时间))"
    r"(?P<mark>\s*[（(](?:盖章|公章|签章)[)）])?\s*[:：]"
    r"(?P<blank>[\s_＿　]*(?:年[\s_＿　]*月[\s_＿　]*日)?[\s_＿　]*)"
    r"(?=$|(?:填报|填表|报送|制表|统计)?(?:单位|日期|时间))"
)


def _filled_line(text: str, unit: str, day: str) -> str:
    """A 填报单位 / 填报日期 line with its blanks (spaces, underlines, 年 月 日) completed."""

    def complete(m: re.Match) -> str:
        value = unit if "单位" in m.group("label") else day
        if not value:
            return m.group(0)
        tail = "    " if m.end() < len(m.string) else ""
        return f"{m.group('label')}{m.group('mark') or ''}：{value}{tail}"

    return _LINE_LABEL.sub(complete, text)


def _fill_lines(ws: Worksheet, rows: Iterable[int], max_col: int, unit: str, day: str) -> None:
    """Complete the blank 填报单位 / 填报日期 lines of the form; text already there stays."""
    for r in rows:
        for c in range(1, max_col + 1):
            cell = ws.cell(r, c)
            if isinstance(cell, MergedCell) or not isinstance(cell.value, str):
                continue
            text = _filled_line(cell.value, unit, day)
            if text != cell.value:
                put_text(cell, text)


def fill_lines(ws: Worksheet, block: HeaderBlock, unit: str, day: str) -> None:
    """Complete the 填报单位 / 填报日期 lines above the header and below the data."""
    _fill_lines(ws, range(1, block.first_row), ws.max_column, unit, day)
    below = block.data_row + len(block.labels)
    _fill_lines(ws, range(below, ws.max_row + 1), ws.max_column, unit, day)


def fit_to_page(ws: Worksheet, block: HeaderBlock) -> None:
    """Print the form one page wide (A4, landscape when it is wide), header on every page —
    unless the form sets its own page layout. Labels printed in a table's first column get
    the width they need."""
    if block.label_col is not None:
        letter = get_column_letter(block.label_col)
        longest = max((display_width(t) for _, t in block.labels), default=0) + 2
        if longest > _width_of(ws, block.label_col):
            ws.column_dimensions[letter].width = longest
    setup = ws.page_setup
    if not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage):
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        setup.fitToWidth, setup.fitToHeight = 1, 0
        if not setup.paperSize:
            setup.paperSize = ws.PAPERSIZE_A4
        if not setup.orientation:
            last = block.columns[-1].col
            wide = sum(_width_of(ws, c) for c in range(1, last + 1)) > 95
            setup.orientation = "landscape" if wide else "portrait"
    if not ws.print_title_rows:
        ws.print_title_rows = f"{block.first_row}:{block.last_row}"


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


@dataclass(frozen=True)
class Fill:
    """One filled Excel column: "seq" (1, 2, 3 …) or an index into each row, and how dates read."""

    col: int
    source: int | str
    month_only: bool = False  # 出生年月: a date shown as 1985年3月


_DATE_FORMAT = "yyyy-mm-dd"
_MONTH_FORMAT = 'yyyy"年"m"月"'
_DEFAULT_WIDTH = 8.43
_TEXT_WIDTH = 20.0  # text columns widen up to this before they wrap
_LINE_POINTS = 13.5  # one line of 10–11 pt text


def _width_of(ws: Worksheet, col: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(col))
    return dim.width if dim is not None and dim.width else _DEFAULT_WIDTH


def _shown(value: Any, fill: Fill) -> str:
    if isinstance(value, datetime | date):
        return f"{value.year}年{value.month}月" if fill.month_only else value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _fit(ws: Worksheet, fills: Sequence[Fill], rows: Sequence[Sequence[Any]]) -> dict[int, float]:
    """Make every value printable in full: digits, dates and numbers never wrap, so their
    columns widen to the longest; text wraps, so its rows grow. Returns the columns' widths."""
    widths = {}
    for f in fills:
        width = _width_of(ws, f.col)
        if f.source != SEQ:
            longest = max(
                (display_width(_shown(r[f.source], f)) for r in rows if r[f.source] is not None),
                default=0,
            )
            wraps = any(isinstance(r[f.source], str) and not r[f.source].isascii() for r in rows)
            needed = longest + 2 if not wraps else min(longest + 2, max(width, _TEXT_WIDTH))
            if needed > width:
                width = needed
                ws.column_dimensions[get_column_letter(f.col)].width = width
        widths[f.col] = width
    return widths


def fill(
    wb: Workbook,
    block: HeaderBlock,
    fills: Sequence[Fill],
    rows: Iterable[Sequence[Any]],
    *,
    unit: str = "",
    day: str = "",
    column_sums: Mapping[tuple[int, int], int] | None = None,
) -> int:
    """Write `rows` into the form below its header; return the number of data rows.

    Rows beyond the form's blank rows are inserted above its footer, so 填表人 / 审核人 move
    down; every data cell copies the first data row's style with a border on every side.
    Nothing is clipped in print: columns of digits and dates widen to their longest value,
    text wraps and its row grows (never below the form's own row height). The 填报单位 /
    填报日期 lines are completed and column totals (`column_sums`, from neutralise) summed.
    Fixed text, merged cells and styles elsewhere stay as they were.
    """
    ws = wb[block.sheet]
    rows = list(rows)
    n = len(rows)
    if block.data_row + n > EXCEL_MAX_ROWS - 50:
        raise TemplateError(f"数据超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS:,} 行），请缩小范围")
    first_col, last_col = block.columns[0].col, block.columns[-1].col
    template_row = block.data_row
    by_col = {f.col: f for f in fills}
    widths = _fit(ws, fills, rows)
    styles = _row_styles(ws, template_row, first_col, last_col, by_col)
    base_height = ws.row_dimensions[template_row].height or 15.0
    row_merges = [
        rng for rng in ws.merged_cells.ranges if rng.min_row == rng.max_row == template_row
    ]
    blank = max(block.blank_rows, 0)
    extra = n - blank
    if extra > 0:
        _insert_rows(ws, block.data_row + blank, extra)
    wrapping = [f for f in fills if f.source != SEQ]
    for i, values in enumerate(rows):
        r = block.data_row + i
        if r != template_row:
            for rng in row_merges:
                coord = f"{get_column_letter(rng.min_col)}{r}:{get_column_letter(rng.max_col)}{r}"
                if coord not in ws.merged_cells:
                    ws.merge_cells(coord)
        lines = 1
        for c in range(first_col, last_col + 1):
            cell = ws.cell(r, c)
            if isinstance(cell, MergedCell):
                continue
            cell._style = copy(styles[c])
            f = by_col.get(c)
            if f is None:
                continue
            value = i + 1 if f.source == SEQ else _value(values[f.source])
            if isinstance(value, str):
                put_text(cell, value)
            elif value is not None:
                cell.value = value
        for f in wrapping:
            v = values[f.source]
            if isinstance(v, str) and not v.isascii():
                lines = max(lines, -(-display_width(v) // max(1, int(widths[f.col] - 1))))
        height = max(base_height, lines * _LINE_POINTS + 3)
        if height != 15.0 or ws.row_dimensions[template_row].height:
            ws.row_dimensions[r].height = height
    for r in range(block.data_row + n, block.data_row + blank):
        for c in range(first_col, last_col + 1):
            cell = ws.cell(r, c)
            if not isinstance(cell, MergedCell):
                cell._style = copy(styles[c])
    _fill_lines(ws, range(1, block.first_row), ws.max_column, unit, day)
    _fill_lines(ws, range(block.data_row + max(n, blank), ws.max_row + 1), ws.max_column, unit, day)
    fit_to_page(ws, block)
    _column_totals(ws, block, fills, rows, column_sums or {}, extra)
    return n


def _row_styles(ws: Worksheet, row: int, first: int, last: int, by_col: Mapping[int, Fill]):
    """Per column, the template cell's style with a thin border all round, dates formatted and
    text wrapping — made once, then copied to every data cell (setting a Border per cell
    re-hashes the style each time and dominated the fill time)."""
    out = {}
    for c in range(first, last + 1):
        source = ws.cell(row, c)
        proto = Cell(ws)
        proto._style = copy(source._style)
        proto.border = _thin_border(source.border)
        f = by_col.get(c)
        if f is not None and f.source != SEQ:
            align = copy(source.alignment)
            proto.alignment = Alignment(
                horizontal=align.horizontal,
                vertical=align.vertical or "center",
                wrap_text=True,
            )
            if f.month_only:
                proto.number_format = _MONTH_FORMAT
            elif source.number_format in ("General", None):
                proto.number_format = "General"
        out[c] = proto._style
    return out


def _column_totals(ws, block, fills, rows, column_sums, extra) -> None:
    """合计 cells that summed a data column get the sum of the written rows."""
    index = {f.col: f.source for f in fills if f.source != SEQ}
    moved_from = block.data_row + max(block.blank_rows, 0)
    for (r, c), col in column_sums.items():
        source = index.get(col)
        if source is None:
            continue
        total = sum(
            v for v in (row[source] for row in rows) if isinstance(v, int | float | Decimal)
        )
        r = r + extra if extra > 0 and r >= moved_from else r
        ws.cell(r, c).value = float(total) if isinstance(total, Decimal) else total


def write_values(ws: Worksheet, values: Mapping[tuple[int, int], Any]) -> None:
    """Put values into given cells of a statistics table or indicator list, styles kept."""
    for (r, c), value in values.items():
        cell = ws.cell(r, c)
        if isinstance(cell, MergedCell):
            continue
        value = _value(value)
        if isinstance(value, str):
            put_text(cell, value)
        else:
            cell.value = value


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
