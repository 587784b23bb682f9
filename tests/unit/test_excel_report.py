"""The form writer on its own: layout, merges, escaping, widths, print setup, limits, memory."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date

import openpyxl
import pytest

from yibiaotong.excel.report import FormColumn, FormError, FormLayout, widths, write_form

COLUMNS = [
    FormColumn("姓名"),
    FormColumn("公民身份号码", "id", group="证件"),
    FormColumn("联系电话", "id", group="证件"),
    FormColumn("出生日期", "date"),
    FormColumn("补助金额（元）", "money", total=True),
    FormColumn("所属社区"),
]


def layout(**overrides) -> FormLayout:
    base = {
        "title": "天仙社区2026年11月育儿补助申领名册",
        "columns": COLUMNS,
        "unit": "上城区闸弄口街道天仙社区",
        "period": "截至2026年11月27日",
        "group_index": 5,
        "count_unit": "人",
        "footer_values": {"填报日期": "2026年11月27日"},
        "author": "毛社工",
        "description": "测试",
    }
    return FormLayout(**{**base, **overrides})


ROWS = [
    ["张三", "330102202501010012", "13800001111", date(2025, 1, 1), 5000, "天仙社区"],
    ["=SUM(A1:A9)", "330102202502020021", "-1+2", date(2025, 2, 2), 20000, "天仙社区"],
    ["@李四", None, "+86 138", date(2025, 3, 3), 5000, "红梅社区"],
]


def written(rows=ROWS, **overrides):
    out = io.BytesIO()
    result = write_form(out, layout(**overrides), rows, row_count=len(rows))
    out.seek(0)
    return result, openpyxl.load_workbook(out)


def test_the_form_looks_like_the_paper_form():
    result, wb = written()
    ws = wb.active
    assert result.rows == 3 and result.header_rows == (3, 4)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:G1", "A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4", "G3:G4"} <= merged
    assert ws["A1"].font.b and ws["A1"].alignment.horizontal == "center"
    assert ws["A2"].value == "填报单位：上城区闸弄口街道天仙社区"
    assert ws["D2"].value == "统计时间：截至2026年11月27日" and "D2:G2" in merged
    assert [ws.cell(3, c).value for c in range(1, 8)] == [
        "序号",
        "姓名",
        "证件",
        None,
        "出生日期",
        "补助金额（元）",
        "所属社区",
    ]
    assert [ws.cell(4, c).value for c in (3, 4)] == ["公民身份号码", "联系电话"]
    assert all(ws.cell(4, c).border.bottom.style == "thin" for c in range(1, 8))
    assert ws["C4"].font.b and ws["A3"].font.b
    assert ws.freeze_panes == "B5" and ws.print_title_rows == "$3:$4"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert "&P" in ws.oddFooter.center.text
    assert wb.properties.creator == "一表通 · 报表中心" and wb.properties.lastModifiedBy == "毛社工"
    assert wb.properties.created is not None


def test_values_types_and_formula_escaping():
    _, wb = written()
    ws = wb.active
    assert (
        ws["C5"].value == "330102202501010012"
        and ws["C5"].data_type == "s"
        and ws["C5"].number_format == "@"
    )
    assert ws["E5"].value.date() == date(2025, 1, 1) and ws["E5"].number_format == "yyyy-mm-dd"
    assert ws["F5"].value == 5000 and ws["F5"].data_type == "n"
    for ref, text in (("B6", "=SUM(A1:A9)"), ("D6", "-1+2"), ("B8", "@李四"), ("D8", "+86 138")):
        assert ws[ref].value == text and ws[ref].data_type == "s" and ws[ref].quotePrefix
    assert ws["A5"].value == 1 and ws["A7"].value.startswith("小计") and ws["A8"].value == 3


def test_subtotals_and_totals():
    _, wb = written()
    rows = list(wb.active.iter_rows(values_only=True))
    labels = [r[0] for r in rows if isinstance(r[0], str) and r[0][:2] in ("小计", "合计")]
    assert labels == ["小计：天仙社区（共 2 人）", "小计：红梅社区（共 1 人）", "合计（共 3 人）"]
    total = next(r for r in rows if str(r[0]).startswith("合计"))
    assert total[5] == 30000
    assert rows[-1][0] == "填表人：" and rows[-1][3] == "审核人："
    assert rows[-1][5] == "填报日期：2026年11月27日"


def _peak_bytes(n: int) -> int:
    def rows():
        for i in range(n):
            yield [f"居民{i}", f"33010219900101{i:04d}", "13800001111", None, i, f"社区{i // 500}"]

    tracemalloc.start()
    write_form(io.BytesIO(), layout(), rows(), row_count=n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_rows_stream_through_in_flat_memory_and_merges_stay_real():
    """Ten times the rows may grow the compressed file, not the Python heap: a writer that
    kept rows (or cells) would need about ten times the memory."""
    small, large = _peak_bytes(2_000), _peak_bytes(20_000)
    assert large < small * 2 + 2 * 2**20, (small, large)
    out = io.BytesIO()
    rows = [
        [f"居民{i}", "330102199001011234", "1", None, 1, f"社区{i // 500}"] for i in range(5_000)
    ]
    result = write_form(out, layout(), rows, row_count=len(rows))
    ws = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:G1", "A3:A4", "C3:D3"} <= merged
    subtotals = [
        r for r in ws.iter_rows(min_row=5, values_only=True) if str(r[0]).startswith("小计")
    ]
    assert len(subtotals) == 10 and result.rows == 5_000
    assert all(
        f"A{r}:E{r}" in merged
        for r in range(5, ws.max_row)
        if str(ws.cell(r, 1).value).startswith("小计")
    )


def test_single_level_header_and_empty_report():
    cols = [FormColumn("店铺名称"), FormColumn("从业人数", "int", total=True)]
    result, wb = written(rows=[], columns=cols, group_index=None)
    ws = wb.active
    assert result.header_rows == (3, 3) and ws.freeze_panes == "B4"
    values = [r[0] for r in ws.iter_rows(values_only=True)]
    assert "合计（共 0 人）" in values and "（本期无符合条件的记录）" in values


def test_widths_count_chinese_twice_and_stay_bounded():
    w = widths(layout(), ROWS)
    assert w[0] == 6.0
    assert w[1] >= 2 * len("=SUM(A1:A9)") / 2 and w[2] >= 20  # 18 digits + padding
    assert max(w) <= 42 and min(w) >= 5
    assert widths(layout(columns=[FormColumn("地址")]), [["杭州市上城区" * 20]]) == [6.0, 42.0]


def test_orientation_follows_width_unless_set():
    _, wb = written()
    assert wb.active.page_setup.orientation == "portrait"
    wide = [FormColumn(f"列{i}", "text") for i in range(14)]
    _, wb = written(rows=[["很长的文字内容" * 2] * 14], columns=wide, group_index=None)
    assert wb.active.page_setup.orientation == "landscape"
    _, wb = written(orientation="landscape")
    assert wb.active.page_setup.orientation == "landscape"


def test_too_many_rows_are_refused_before_writing():
    with pytest.raises(FormError, match="上限"):
        write_form(io.BytesIO(), layout(), iter(ROWS), row_count=2_000_000)


def test_control_characters_are_dropped():
    _, wb = written(rows=[["王\x07五", "1", "2", None, 1, "天仙社区"]])
    assert wb.active["B5"].value == "王五"
