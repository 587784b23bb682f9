"""Government-form .xlsx writer: merged title, unit line, multi-level header, totals, footer, A4 print.

Rows stream through excel.sheet_stream as they come, so a report of a million rows needs no
more memory than one of ten, and every merge (title, unit line, two-row header, subtotal
labels, footer) is a real merged cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from yibiaotong.excel.cells import (
    EXCEL_MAX_ROWS,
    FORMULA_STARTS,
    as_text,
    display_width,
    safe_text,
    sheet_title,
)
from yibiaotong.excel.sheet_stream import (
    PrintSetup,
    Properties,
    SheetStream,
    Style,
    blank_cell,
    date_cell,
    number_cell,
    text_cell,
)

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
_MIN_WIDTH, _MAX_WIDTH = 5.0, 42.0
_SAMPLE_ROWS = 200
_ROW_LIMIT = EXCEL_MAX_ROWS - 20
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
    header_rows: tuple[int, int]  # first and last header row (1-based)
    first_data_row: int
    totals: dict[int, float]  # value index → grand total


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
                longest = max(longest, display_width(row[i]))
        out.append(min(_MAX_WIDTH, max(_MIN_WIDTH, longest + 2)))
    return out


def _header_plan(layout: FormLayout) -> tuple[int, list[tuple[str, int, int]]]:
    """Header depth (1 or 2) and the parent groups as (text, first col, last col), 0-based."""
    offset = 1 if layout.seq else 0
    groups: list[tuple[str, int, int]] = []
    for i, col in enumerate(layout.columns):
        c = i + offset
        if col.group and groups and groups[-1][0] == col.group and groups[-1][2] == c - 1:
            groups[-1] = (col.group, groups[-1][1], c)
        elif col.group:
            groups.append((col.group, c, c))
    return (2 if groups else 1), groups


def _styles() -> dict[str, Style]:
    """Every named cell style of a form."""
    title = Style(font=_TITLE_FONT, size=16, bold=True, horizontal="center")
    header = Style(bold=True, border=True, horizontal="center", wrap=True)
    styles = {
        "title": title,
        "unit": Style(horizontal="left"),
        "period": Style(horizontal="right"),
        "header": header,
        "seq": Style(border=True, horizontal="center", num_format="0"),
        "sum_label": Style(bold=True, border=True, horizontal="center"),
        "note": Style(horizontal="left", vertical="top", wrap=True),
        "footer": Style(horizontal="left"),
        # Formula-looking text keeps Excel's quote prefix, so editing the cell keeps it text.
        "quoted": Style(
            border=True, horizontal="left", wrap=True, num_format="@", quote_prefix=True
        ),
    }
    for kind in KINDS:
        align = "right" if kind in NUMERIC_KINDS else "left"
        fmt = _NUMBER_FORMATS[kind]
        styles[f"data_{kind}"] = Style(
            border=True, horizontal=align, wrap=kind == "text", num_format=fmt
        )
        styles[f"sum_{kind}"] = Style(bold=True, border=True, horizontal=align, num_format=fmt)
    return styles


class _Form:
    """The sheet being written, with the style ids and a row helper for the fixed parts."""

    def __init__(self, sheet: SheetStream, layout: FormLayout, n_cols: int) -> None:
        self.sheet = sheet
        self.layout = layout
        self.n_cols = n_cols
        self.id = {name: sheet.style_id(name) for name in _styles()}

    def line(
        self,
        cells: dict[int, Any],
        style: str,
        *,
        height: float | None = None,
        fill: str | None = None,
        spans: Sequence[tuple[int, int]] = (),
    ) -> int:
        """A row of the form's frame: values at some columns, `fill` styling the others."""
        ids = [self.id[fill or style]] * self.n_cols
        values: list[Any] = [None] * self.n_cols
        for col, value in cells.items():
            values[col] = value
            ids[col] = self.id[style]
        r = self.sheet.row(values, ids, height=height)
        for first, last in spans:
            self.sheet.merge(r, first, r, last)
        return r


def _header(form: _Form) -> tuple[int, int]:
    """The header rows (1-based first and last): a two-row header merges its parents across
    and the ungrouped columns down."""
    layout = form.layout
    depth, groups = _header_plan(layout)
    headers = [
        safe_text(h) for h in (["序号"] if layout.seq else []) + [c.header for c in layout.columns]
    ]
    every = dict(enumerate(headers))
    if depth == 1:
        r = form.line(every, "header", height=30)
        return r, r
    grouped = {c for _, lo, hi in groups for c in range(lo, hi + 1)}
    top_cells = {c: t for c, t in every.items() if c not in grouped}
    top_cells.update({lo: safe_text(text) for text, lo, _ in groups})
    top = form.line(
        top_cells, "header", height=22, fill="header", spans=[(lo, hi) for _, lo, hi in groups]
    )
    bottom = form.line({c: every[c] for c in grouped}, "header", height=30, fill="header")
    for c in every:
        if c not in grouped:
            form.sheet.merge(top, c, bottom, c)
    return top, bottom


def _sum_row(form: _Form, label: str, count: int, sums: dict[int, float]) -> None:
    """A 小计 / 合计 row: label over the leading columns, the count, and the summed columns."""
    layout = form.layout
    offset = 1 if layout.seq else 0
    total_cols = [i + offset for i, c in enumerate(layout.columns) if c.total]
    last_label = total_cols[0] - 1 if total_cols else form.n_cols - 1
    values: list[Any] = [None] * form.n_cols
    ids = [form.id["sum_label"]] * form.n_cols
    values[0] = safe_text(f"{label}（共 {count:,} {layout.count_unit}）")
    for i, col in enumerate(layout.columns):
        c = i + offset
        if c > last_label:
            ids[c] = form.id[f"sum_{col.kind}" if col.total else "sum_text"]
            if col.total:
                values[c] = float(sums.get(i, 0))
    r = form.sheet.row(values, ids, height=22)
    form.sheet.merge(r, 0, r, last_label)


def _print_setup(
    layout: FormLayout, col_widths: list[float], header: tuple[int, int]
) -> PrintSetup:
    orientation = layout.orientation or ("landscape" if sum(col_widths) > 95 else "portrait")
    return PrintSetup(
        landscape=orientation == "landscape",
        repeat_rows=header,
        footer="&C&9第 &P 页，共 &N 页",
    )


def _data_cell(kind: str, ids: dict[str, int]):
    """How one column writes a value (the cell's XML for a reference): numbers stay numbers,
    dates stay dates, everything else is text (formula-looking text quoted)."""
    plain = ids[f"data_{kind}"]
    text_id = ids["data_id" if kind == "id" else "data_text"]
    as_text_id, quoted = ids["data_text"], ids["quoted"]
    numeric = kind in NUMERIC_KINDS

    def cell(ref: str, value: Any) -> str:
        if type(value) is str:  # most cells: the quickest test first
            return text_cell(ref, quoted if value[:1] in FORMULA_STARTS else text_id, value)
        if value is None or (isinstance(value, float) and value != value):
            return blank_cell(ref, plain)
        if isinstance(value, bool):
            return text_cell(ref, as_text_id, "是" if value else "否")
        if numeric and isinstance(value, int | float | Decimal):
            return number_cell(ref, plain, value)
        if isinstance(value, date):
            if kind == "date":
                return date_cell(ref, plain, value)
            value = as_text(value)
        text = value if isinstance(value, str) else str(value)
        return text_cell(ref, quoted if text[:1] in FORMULA_STARTS else text_id, text)

    return cell


def write_form(
    target: str | Path | IO[bytes],
    layout: FormLayout,
    rows: Iterable[Sequence[Any]],
    *,
    row_count: int | None = None,
) -> FormResult:
    """Write `rows` (one value per layout column, 序号 added here) as a paper-like form.

    Subtotal rows follow each run of equal values at `group_index` when set; a totals row ends
    the data when `totals_label` is set. `row_count` (from a count query) refuses a report
    that cannot fit one sheet before any work. Raises FormError past Excel's row limit.
    """
    columns = list(layout.columns)
    if not columns:
        raise FormError("报表没有任何列")
    if (row_count or 0) > _ROW_LIMIT:
        raise FormError(f"报表超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS:,} 行），请缩小范围")
    iterator = iter(rows)
    sample: list[Sequence[Any]] = []
    for row in iterator:
        sample.append(row)
        if len(sample) >= _SAMPLE_ROWS:
            break
    col_widths = widths(layout, sample)
    depth, _ = _header_plan(layout)
    header = (3, 2 + depth)
    properties = Properties(
        title=layout.title,
        subject=layout.subject,
        creator=GENERATOR,
        keywords=layout.keywords,
        description=layout.description,
        last_modified_by=layout.author or GENERATOR,
    )
    with SheetStream(
        target, _styles(), sheet_name=sheet_title(layout.sheet_name, "报表"), properties=properties
    ) as sheet:
        sheet.set_widths(col_widths)
        sheet.freeze(header[1], 1 if layout.seq else 0)
        sheet.print_setup(_print_setup(layout, col_widths, header))
        form = _Form(sheet, layout, len(col_widths))
        return _write(form, header, sample, iterator)


def _write(form: _Form, header: tuple[int, int], sample, iterator) -> FormResult:
    layout, n_cols, sheet = form.layout, form.n_cols, form.sheet
    form.line({0: safe_text(layout.title)}, "title", height=40, spans=[(0, n_cols - 1)])
    split = max(1, n_cols // 2)
    cells = {0: safe_text(f"填报单位：{layout.unit}")}
    spans = [(0, split - 1)]
    if layout.period and n_cols > 1:
        cells[split] = safe_text(f"统计时间：{layout.period}")
        spans.append((split, n_cols - 1))
    line = sheet.row(
        [cells.get(c) for c in range(n_cols)],
        [
            form.id["period"] if c >= split and split in cells else form.id["unit"]
            for c in range(n_cols)
        ],
        height=22,
    )
    for first, last in spans:
        sheet.merge(line, first, line, last)
    _header(form)

    offset = 1 if layout.seq else 0
    cell_of = [_data_cell(c.kind, form.id) for c in layout.columns]
    width = len(cell_of)
    letters = sheet.letters(width + offset)
    columns = list(zip(letters[offset:], cell_of, strict=True))
    seq_letter, seq_id = letters[0], form.id["seq"]
    summed = [i for i, c in enumerate(layout.columns) if c.total]
    grouping = layout.group_index
    totals: dict[int, float] = {}
    sub_sums: dict[int, float] = {}
    count = sub_count = 0
    group_key: Any = object()
    write = sheet.cells_row
    for source in (sample, iterator):
        for row in source:
            if grouping is not None:
                key = row[grouping]
                if count and key != group_key:
                    _sum_row(
                        form,
                        f"{layout.subtotal_label}：{group_key or '未分组'}",
                        sub_count,
                        sub_sums,
                    )
                    sub_sums, sub_count = {}, 0
                group_key = key
            count += 1
            sub_count += 1
            if count > _ROW_LIMIT:
                raise FormError(
                    f"报表超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS:,} 行），请缩小范围"
                )
            n = str(sheet.rows + 1)
            if len(row) < width:
                row = [*row, *([None] * (width - len(row)))]
            cells = "".join([cell(letter + n, row[i]) for i, (letter, cell) in enumerate(columns)])
            if offset:
                cells = number_cell(seq_letter + n, seq_id, count) + cells
            write(cells)
            for i in summed:
                v = row[i] if i < len(row) else None
                if isinstance(v, int | float | Decimal) and not isinstance(v, bool):
                    totals[i] = totals.get(i, 0) + v
                    sub_sums[i] = sub_sums.get(i, 0) + v
    if grouping is not None and count:
        _sum_row(form, f"{layout.subtotal_label}：{group_key or '未分组'}", sub_count, sub_sums)
    if layout.totals_label:
        _sum_row(form, layout.totals_label, count, totals)
    if not count:
        form.line({0: "（本期无符合条件的记录）"}, "sum_label", height=22, spans=[(0, n_cols - 1)])
    if layout.note:
        form.line({0: safe_text(layout.note)}, "note", height=30, spans=[(0, n_cols - 1)])
    if layout.footer:
        sheet.row([None] * n_cols, [0] * n_cols, height=12)
        segments = _segments(n_cols, len(layout.footer))
        cells = {
            lo: safe_text(f"{label}：{layout.footer_values.get(label, '')}")
            for label, (lo, _) in zip(layout.footer, segments, strict=True)
        }
        form.line(cells, "footer", height=26, spans=segments)
    return FormResult(
        rows=count,
        header_rows=header,
        first_data_row=header[1] + 1,
        totals={i: float(v) for i, v in totals.items()},
    )


def _segments(n_cols: int, parts: int) -> list[tuple[int, int]]:
    """Split columns 0..n-1 into `parts` contiguous spans (for footer labels)."""
    parts = max(1, min(parts, n_cols))
    size, extra = divmod(n_cols, parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size - 1 + (1 if i < extra else 0)
        out.append((start, end))
        start = end + 1
    return out
