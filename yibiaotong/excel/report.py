"""Government-form .xlsx writer: merged title, unit line, multi-level header, totals, footer, A4 print."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from yibiaotong.excel.cells import EXCEL_MAX_ROWS, display_width, looks_like_formula, safe_text

# Up to this many data rows the sheet is built in memory with real merged cells; above it the
# rows stream through a write-only sheet, which cannot merge: the title, unit line and parent
# headers are then "centred across selection" (Excel's own unmerged centring) and vertical
# header spans are drawn as one cell by leaving out the border between the two rows.
NORMAL_MODE_MAX_ROWS = 20_000
KINDS = ("text", "id", "int", "decimal", "money", "date")
NUMERIC_KINDS = frozenset({"int", "decimal", "money"})
_NUMBER_FORMATS = {
    "text": "General",
    "id": "@",
    "int": "0",
    "decimal": "0.00",
    "money": "#,##0.00",
    "date": "yyyy-mm-dd",
}
_BODY_FONT = "宋体"
_TITLE_FONT = "黑体"
_THIN = Side(style="thin", color="000000")
_MIN_WIDTH, _MAX_WIDTH = 5.0, 42.0
_SAMPLE_ROWS = 200
GENERATOR = "一表通 · 报表中心"


class FormError(ValueError):
    """The form cannot be written (too many rows, bad layout); the message is Chinese."""


@dataclass(frozen=True)
class FormColumn:
    """One data column: header text, value kind, optional parent header, whether it is summed."""

    header: str
    kind: str = "text"
    group: str | None = None
    total: bool = False
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class FormLayout:
    """Everything around the data: title, unit line, header, totals, footer, print, properties."""

    title: str
    columns: Sequence[FormColumn]
    unit: str = ""
    period: str = ""
    seq: bool = True
    group_index: int | None = None  # value index whose change closes a 小计 row
    subtotal_label: str = "小计"
    totals_label: str | None = "合计"
    count_unit: str = "条"
    note: str | None = None
    footer: Sequence[str] = ("填表人", "审核人", "填报日期")
    footer_values: dict[str, str] = field(default_factory=dict)
    orientation: str | None = None  # portrait | landscape | None (by width)
    sheet_name: str = "报表"
    author: str = ""
    subject: str = ""
    description: str = ""
    keywords: str = ""


@dataclass(frozen=True)
class FormResult:
    rows: int
    streamed: bool
    header_rows: tuple[int, int]  # first and last header row (1-based)
    first_data_row: int
    totals: dict[int, float]  # value index → grand total


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def widths(layout: FormLayout, sample: Sequence[Sequence[Any]]) -> list[float]:
    """Column widths in Excel character units (CJK counts two), fitted to header and sample."""
    out = []
    if layout.seq:
        out.append(6.0)
    for i, col in enumerate(layout.columns):
        if col.width:
            out.append(col.width)
            continue
        longest = display_width(col.header) if len(col.header) <= 8 else 16
        for row in sample:
            if i < len(row) and row[i] is not None:
                longest = max(longest, display_width(_text(row[i])))
        out.append(min(_MAX_WIDTH, max(_MIN_WIDTH, longest + 2)))
    return out


class _Styles:
    """Prototype cells per role; cells copy their StyleArray instead of re-hashing style objects
    (assigning Font/Border objects per cell costs openpyxl ~40 % of the write time)."""

    def __init__(self, make_cell) -> None:
        border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
        body = Font(name=_BODY_FONT, size=10)
        bold = Font(name=_BODY_FONT, size=10, bold=True)
        centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self._make = make_cell
        self.arrays: dict[str, Any] = {}

        def proto(name: str, **attrs: Any) -> None:
            cell = make_cell()
            for key, value in attrs.items():
                setattr(cell, key, value)
            self.arrays[name] = copy(cell._style)

        proto("title", font=Font(name=_TITLE_FONT, size=16, bold=True), alignment=centre)
        proto(
            "title_cc",
            font=Font(name=_TITLE_FONT, size=16, bold=True),
            alignment=Alignment(horizontal="centerContinuous", vertical="center"),
        )
        proto("unit", font=body, alignment=Alignment(horizontal="left", vertical="center"))
        proto("period", font=body, alignment=Alignment(horizontal="right", vertical="center"))
        proto("header", font=bold, alignment=centre, border=border)
        proto(
            "header_cc",
            font=bold,
            alignment=Alignment(horizontal="centerContinuous", vertical="center"),
            border=border,
        )
        proto(
            "header_top",
            font=bold,
            alignment=centre,
            border=Border(left=_THIN, right=_THIN, top=_THIN),
        )
        proto("header_bottom", font=bold, border=Border(left=_THIN, right=_THIN, bottom=_THIN))
        for kind in KINDS:
            horizontal = "right" if kind in NUMERIC_KINDS else "left"
            align = Alignment(horizontal=horizontal, vertical="center", wrap_text=kind == "text")
            fmt = _NUMBER_FORMATS[kind]
            proto(f"data_{kind}", font=body, alignment=align, border=border, number_format=fmt)
            proto(f"sum_{kind}", font=bold, alignment=align, border=border, number_format=fmt)
        proto(
            "data_quoted",
            font=body,
            alignment=Alignment(horizontal="left", vertical="center", wrap_text=True),
            border=border,
            number_format="@",
            quotePrefix=True,
        )
        proto("seq", font=body, alignment=centre, border=border, number_format="0")
        proto("sum_label", font=bold, alignment=centre, border=border)
        proto(
            "note",
            font=body,
            alignment=Alignment(horizontal="left", vertical="top", wrap_text=True),
        )
        proto("footer", font=body, alignment=Alignment(horizontal="left", vertical="center"))

    def apply(self, cell, name: str):
        cell._style = copy(self.arrays[name])
        return cell


def _value(kind: str, value: Any) -> tuple[Any, str]:
    """The value to store and its style: numbers stay numbers, text never becomes a formula."""
    if value is None or (isinstance(value, float) and value != value):
        return None, f"data_{kind}"
    if isinstance(value, bool):
        return ("是" if value else "否"), "data_text"
    if kind in NUMERIC_KINDS and isinstance(value, int | float | Decimal):
        return (float(value) if isinstance(value, Decimal) else value), f"data_{kind}"
    if kind == "date" and isinstance(value, date):
        return value, "data_date"
    text = safe_text(_text(value))
    if looks_like_formula(text):
        return text, "data_quoted"
    return text, "data_id" if kind == "id" else "data_text"


class _Sheet:
    """Both modes behind one interface: put cells on a row, merge (or centre) ranges, flush."""

    def __init__(self, streamed: bool, layout: FormLayout) -> None:
        self.streamed = streamed
        self.wb = Workbook(write_only=streamed)
        if streamed:
            self.ws = self.wb.create_sheet(safe_text(layout.sheet_name)[:31] or "报表")
            self.styles = _Styles(lambda: WriteOnlyCell(self.ws))
        else:
            self.ws = self.wb.active
            self.ws.title = safe_text(layout.sheet_name)[:31] or "报表"
            self.styles = _Styles(lambda: Cell(self.ws))
        self.row = 0
        self._pending: list[Any] = []

    def new_row(self, height: float | None = None) -> int:
        self._flush()
        self.row += 1
        if height:
            self.ws.row_dimensions[self.row].height = height
        return self.row

    def put(self, col: int, value: Any, style: str, *, as_text: bool = False) -> None:
        if self.streamed:
            cell = WriteOnlyCell(self.ws, value=value)
            while len(self._pending) < col - 1:
                self._pending.append(None)
            self._pending.append(cell)
        else:
            cell = self.ws.cell(self.row, col, value)
        if as_text and isinstance(value, str):
            cell.data_type = "s"
        self.styles.apply(cell, style)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        if not self.streamed and (first_row, first_col) != (last_row, last_col):
            self.ws.merge_cells(
                start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col
            )

    def _flush(self) -> None:
        if self.streamed and self.row:
            self.ws.append(self._pending)
        self._pending = []

    def save(self, target) -> None:
        self._flush()
        self.wb.save(target)


def _header_plan(layout: FormLayout) -> tuple[int, list[tuple[str, int, int]]]:
    """Header depth (1 or 2) and the parent groups as (text, first col, last col), 1-based."""
    offset = 2 if layout.seq else 1
    groups: list[tuple[str, int, int]] = []
    for i, col in enumerate(layout.columns):
        c = i + offset
        if col.group and groups and groups[-1][0] == col.group and groups[-1][2] == c - 1:
            groups[-1] = (col.group, groups[-1][1], c)
        elif col.group:
            groups.append((col.group, c, c))
    return (2 if groups else 1), groups


def _write_header(sheet: _Sheet, layout: FormLayout, depth: int, groups) -> tuple[int, int]:
    first = sheet.new_row(30 if depth == 1 else 22)
    headers = (["序号"] if layout.seq else []) + [c.header for c in layout.columns]
    grouped = {c for _, lo, hi in groups for c in range(lo, hi + 1)}
    parent_at = {lo: (text, hi) for text, lo, hi in groups}
    if depth == 1:
        for c, text in enumerate(headers, start=1):
            sheet.put(c, safe_text(text), "header", as_text=True)
        return first, first
    for c, text in enumerate(headers, start=1):
        if c in grouped:
            if c in parent_at:
                parent, hi = parent_at[c]
                style = "header_cc" if sheet.streamed else "header"
                sheet.put(c, safe_text(parent), style, as_text=True)
            else:
                sheet.put(c, None, "header_cc" if sheet.streamed else "header")
        else:
            sheet.put(
                c, safe_text(text), "header_top" if sheet.streamed else "header", as_text=True
            )
    second = sheet.new_row(30)
    for c, text in enumerate(headers, start=1):
        if c in grouped:
            sheet.put(c, safe_text(text), "header", as_text=True)
        else:
            sheet.put(c, None, "header_bottom" if sheet.streamed else "header")
    for c in range(1, len(headers) + 1):
        if c not in grouped:
            sheet.merge(first, c, second, c)
    for _, lo, hi in groups:
        sheet.merge(first, lo, first, hi)
    return first, second


def _sum_row(
    sheet: _Sheet, layout: FormLayout, label: str, count: int, sums: dict[int, float]
) -> None:
    """A 小计 / 合计 row: label over the leading columns, the count, and the summed columns."""
    r = sheet.new_row(22)
    offset = 2 if layout.seq else 1
    total_cols = [i for i, c in enumerate(layout.columns) if c.total]
    n_cols = len(layout.columns) + offset - 1
    text = f"{label}（共 {count:,} {layout.count_unit}）"
    last_label = (total_cols[0] + offset - 1) if total_cols else n_cols
    sheet.put(1, text, "sum_label", as_text=True)
    for c in range(2, last_label + 1):
        sheet.put(c, None, "sum_label")
    sheet.merge(r, 1, r, last_label)
    for i, col in enumerate(layout.columns):
        c = i + offset
        if c <= last_label:
            continue
        if col.total:
            sheet.put(c, sums.get(i, 0), f"sum_{col.kind}")
        else:
            sheet.put(c, None, "sum_text")


def _fit_page(sheet: _Sheet, layout: FormLayout, col_widths: list[float], header) -> None:
    ws = sheet.ws
    total = sum(col_widths)
    orientation = layout.orientation or ("landscape" if total > 95 else "portrait")
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.6
    ws.page_margins.bottom = 0.7
    ws.print_title_rows = f"{header[0]}:{header[1]}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9


def write_form(
    target: str | Path | IO[bytes],
    layout: FormLayout,
    rows: Iterable[Sequence[Any]],
    *,
    row_count: int | None = None,
    stream_above: int = NORMAL_MODE_MAX_ROWS,
) -> FormResult:
    """Write `rows` (one value per layout column, 序号 added here) as a paper-like form.

    `row_count` (from a count query) picks the mode: up to `stream_above` rows a normal sheet
    with merged cells, beyond it a streaming write-only sheet (flat memory, no merges). Subtotal
    rows follow each run of equal values at `group_index` when set; a totals row ends the data
    when `totals_label` is set. Raises FormError past Excel's row limit.
    """
    columns = list(layout.columns)
    if not columns:
        raise FormError("报表没有任何列")
    iterator = iter(rows)
    sample: list[Sequence[Any]] = []
    for row in iterator:
        sample.append(row)
        if len(sample) >= _SAMPLE_ROWS:
            break
    streamed = (row_count if row_count is not None else len(sample)) > stream_above
    if (row_count or 0) > EXCEL_MAX_ROWS - 20:
        raise FormError(f"报表超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS:,} 行），请缩小范围")
    sheet = _Sheet(streamed, layout)
    ws = sheet.ws
    col_widths = widths(layout, sample)
    n_cols = len(col_widths)
    for i, w in enumerate(col_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    depth, groups = _header_plan(layout)
    offset = 2 if layout.seq else 1
    first_data = 2 + depth + 1
    # Panes, print titles and properties are written with the sheet head: set them up front.
    ws.freeze_panes = f"{'B' if layout.seq else 'A'}{first_data}"
    _fit_page(sheet, layout, col_widths, (3, 2 + depth))
    props = sheet.wb.properties
    props.creator = GENERATOR
    props.lastModifiedBy = layout.author or GENERATOR
    props.title = safe_text(layout.title)
    props.subject = safe_text(layout.subject)
    props.description = safe_text(layout.description)
    props.keywords = safe_text(layout.keywords)
    props.created = props.modified = datetime.now().replace(microsecond=0)

    r = sheet.new_row(40)
    title_style = "title_cc" if streamed else "title"
    sheet.put(1, safe_text(layout.title), title_style, as_text=True)
    for c in range(2, n_cols + 1):
        sheet.put(c, None, title_style)
    sheet.merge(r, 1, r, n_cols)

    r = sheet.new_row(22)
    split = max(1, n_cols // 2)
    sheet.put(1, safe_text(f"填报单位：{layout.unit}"), "unit", as_text=True)
    sheet.merge(r, 1, r, split)
    if layout.period and n_cols > 1:
        # Unmerged (streaming), right-aligned text spills leftwards from the last column.
        col = n_cols if streamed else split + 1
        sheet.put(col, safe_text(f"统计时间：{layout.period}"), "period", as_text=True)
        sheet.merge(r, split + 1, r, n_cols)

    header = _write_header(sheet, layout, depth, groups)
    kinds = [c.kind for c in columns]
    totals: dict[int, float] = {}
    sub_sums: dict[int, float] = {}
    count = sub_count = 0
    group_key: Any = object()
    summed = [i for i, c in enumerate(columns) if c.total]
    limit = EXCEL_MAX_ROWS - 20

    for source in (sample, iterator):
        for row in source:
            if layout.group_index is not None:
                key = row[layout.group_index]
                if count and key != group_key:
                    _sum_row(
                        sheet,
                        layout,
                        f"{layout.subtotal_label}：{group_key or '未分组'}",
                        sub_count,
                        sub_sums,
                    )
                    sub_sums, sub_count = {}, 0
                group_key = key
            count += 1
            sub_count += 1
            if count > limit:
                raise FormError(
                    f"报表超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS:,} 行），请缩小范围"
                )
            sheet.new_row()
            if layout.seq:
                sheet.put(1, count, "seq")
            for i, kind in enumerate(kinds):
                value, style = _value(kind, row[i] if i < len(row) else None)
                sheet.put(i + offset, value, style, as_text=isinstance(value, str))
            for i in summed:
                v = row[i] if i < len(row) else None
                if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
                    totals[i] = totals.get(i, 0) + v
                    sub_sums[i] = sub_sums.get(i, 0) + v
    if layout.group_index is not None and count:
        _sum_row(
            sheet, layout, f"{layout.subtotal_label}：{group_key or '未分组'}", sub_count, sub_sums
        )
    if layout.totals_label:
        _sum_row(sheet, layout, layout.totals_label, count, totals)
    if not count:
        r = sheet.new_row(22)
        sheet.put(1, "（本期无符合条件的记录）", "sum_label", as_text=True)
        for c in range(2, n_cols + 1):
            sheet.put(c, None, "sum_label")
        sheet.merge(r, 1, r, n_cols)

    if layout.note:
        r = sheet.new_row(30)
        sheet.put(1, safe_text(layout.note), "note", as_text=True)
        sheet.merge(r, 1, r, n_cols)
    if layout.footer:
        sheet.new_row(12)
        r = sheet.new_row(26)
        segments = _segments(n_cols, len(layout.footer))
        for label, (lo, hi) in zip(layout.footer, segments, strict=True):
            value = layout.footer_values.get(label, "")
            sheet.put(lo, safe_text(f"{label}：{value}"), "footer", as_text=True)
            sheet.merge(r, lo, r, hi)
    sheet.save(target)
    return FormResult(
        rows=count,
        streamed=streamed,
        header_rows=header,
        first_data_row=first_data,
        totals={i: float(v) for i, v in totals.items()},
    )


def _segments(n_cols: int, parts: int) -> list[tuple[int, int]]:
    """Split columns 1..n into `parts` contiguous spans (for footer labels)."""
    parts = max(1, min(parts, n_cols))
    size, extra = divmod(n_cols, parts)
    out, start = [], 1
    for i in range(parts):
        end = start + size - 1 + (1 if i < extra else 0)
        out.append((start, end))
        start = end + 1
    return out
