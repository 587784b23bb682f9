"""Excel export: formatted, streaming, text-safe; tag-query exports masked per role and logged."""

from __future__ import annotations

import io
import shutil
import tracemalloc
from datetime import date

import pytest
from openpyxl import load_workbook

from yibiaotong import auth, db, tag_query, tags
from yibiaotong.excel import Column, display_width, write_xlsx
from yibiaotong.scope import AccessDenied


def _book(columns, rows, **kwargs):
    buffer = io.BytesIO()
    n = write_xlsx(buffer, columns, rows, **kwargs)
    return n, load_workbook(io.BytesIO(buffer.getvalue())).active


def test_header_is_bold_frozen_filtered_and_widths_fit_chinese():
    columns = [Column("姓名"), Column("现住址"), Column("身份证号", "id")]
    rows = [("张三", "杭州市上城区天城路499号1幢1单元101室", "330102199001011234")]
    n, ws = _book(columns, rows, title="标签查询")
    assert n == 1
    assert ws["A1"].value == "标签查询" and ws["A1"].font.b
    assert [c.value for c in ws[2]] == ["姓名", "现住址", "身份证号"]
    assert all(c.font.b for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:C3"
    address_width = ws.column_dimensions["B"].width
    assert address_width >= display_width(rows[0][1]) >= 2 * len("杭州市上城区天城路")
    assert ws.column_dimensions["A"].width < address_width
    assert display_width("二孩") == 4 and display_width("ab") == 2


def test_ids_and_phones_stay_text_with_every_digit():
    _, ws = _book(
        [Column("身份证号", "id"), Column("电话", "id")],
        [("33010219900101123X", "13800001111"), ("330102199001011234", "057187654321")],
    )
    assert ws["A2"].value == "33010219900101123X"
    assert ws["A3"].value == "330102199001011234" and ws["A3"].data_type == "s"
    assert ws["A3"].number_format == "@"
    assert ws["B3"].value == "057187654321"


@pytest.mark.parametrize(
    "value", ["=1+1", '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
)
def test_formula_looking_text_is_written_as_text(value):
    _, ws = _book([Column("备注")], [(value,)])
    cell = ws["A2"]
    assert cell.value == value
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_numbers_dates_money_and_blanks():
    columns = [
        Column("人数", "int"),
        Column("补助", "money"),
        Column("日期", "date"),
        Column("面积", "decimal"),
    ]
    _, ws = _book(
        columns,
        [(3, 20000, date(2026, 1, 2), 12.5), (None, None, None, None), ("**", "**", "**", "**")],
    )
    assert ws["A2"].value == 3 and ws["B2"].number_format == "#,##0"
    assert ws["C2"].value.date() == date(2026, 1, 2)
    assert ws["A3"].value is None
    assert ws["A4"].value == "**" and ws["A4"].data_type == "s"


def test_control_characters_do_not_break_the_file():
    _, ws = _book([Column("姓名")], [("张\x00三\x1b",)])
    assert ws["A2"].value == "张三"


def _export_peak(n: int) -> tuple[int, int]:
    """Peak Python heap while exporting n rows, and the rows read back from the file."""

    def rows():
        for i in range(n):
            yield (f"居民{i}", f"33010219900101{i % 10_000:04d}", i)

    tracemalloc.start()
    buffer = io.BytesIO()
    written = write_xlsx(
        buffer, [Column("姓名"), Column("身份证号", "id"), Column("序号", "int")], rows()
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ws = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).active
    last = list(ws.iter_rows(min_row=written + 1, max_row=written + 1, values_only=True))[0]
    assert last == (f"居民{n - 1}", f"33010219900101{(n - 1) % 10_000:04d}", n - 1)
    return written, peak - len(buffer.getvalue())


def test_rows_stream_in_flat_memory():
    """Ten times the rows may grow the file, not the heap beyond it: a writer that kept its
    rows or cells (openpyxl's normal mode, pandas) needs about ten times the memory."""
    small_n, small = _export_peak(2_000)
    large_n, large = _export_peak(20_000)
    assert (small_n, large_n) == (2_000, 20_000)
    assert large < small * 2 + 2 * 2**20, (small, large)


def test_too_many_rows_for_a_sheet_is_refused():
    with pytest.raises(ValueError, match="上限"):
        write_xlsx(io.BytesIO(), [Column("a")], ((i,) for i in range(20)), max_rows=10)


# ------------------------------------------------------------------------------ tag query export


@pytest.fixture
def own_db(fixture_db, tmp_path, monkeypatch):
    db.close_all()
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_db, path)
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    with db.transaction() as cur:
        tags.refresh_rules(cur)
    yield path
    db.close_all()


SPEC = {"entity": "resident", "tags": {"any": ["second_child", "multi_child"]}}


def _export(username, spec=SPEC, **kwargs):
    scope = auth.scope_for(username)
    buffer = io.BytesIO()
    n = tag_query.export(scope, spec, buffer, **kwargs)
    ws = load_workbook(io.BytesIO(buffer.getvalue())).active
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)]
    return n, ws, rows


def test_export_of_the_example_is_masked_for_a_street_leader(own_db):
    n, ws, rows = _export("leader_zlk")
    assert n == len(rows) == tag_query.count(auth.scope_for("leader_zlk"), SPEC) > 0
    assert "二孩" in ws["A1"].value and "已脱敏" in ws["A1"].value
    assert all("*" in r["身份证号"] for r in rows if r["身份证号"])
    assert {r["育儿补助（元）"] for r in rows} <= {5000, 20000}
    assert (
        sum(r["育儿补助（元）"] for r in rows)
        == tag_query.summary(auth.scope_for("leader_zlk"), SPEC)["subsidy"]
    )
    with db.cursor() as cur:
        log = cur.execute(
            "select username, detail from access_log where action = 'tag_query_export'"
        ).fetchall()
    assert log == [("leader_zlk", f"导出 {n} 行（已脱敏）：人口：（二孩 或 多孩）")]


def test_unmasked_export_only_for_cleared_roles_and_logged(own_db):
    with pytest.raises(AccessDenied):
        _export("leader_zlk", unmasked=True)
    n, _, rows = _export("admin", unmasked=True)
    assert any(r["身份证号"] and "*" not in r["身份证号"] for r in rows)
    with db.cursor() as cur:
        detail = cur.execute(
            "select detail from access_log where action = 'tag_query_export' and username = 'admin'"
        ).fetchone()[0]
    assert "未脱敏" in detail
    _, _, masked = _export("admin")
    assert all("*" in r["身份证号"] for r in masked if r["身份证号"])


def test_export_of_an_empty_result_is_a_header_only_file(own_db):
    n, ws, rows = _export(
        "leader_zlk", {"entity": "resident", "tags": {"all": ["newborn", "elderly"]}}
    )
    assert n == 0 and rows == []
    assert ws["A2"].value == "姓名"


def test_export_streams_in_batches_in_sort_order(own_db):
    scope = auth.scope_for("admin")
    spec = {"entity": "resident", "tags": {"all": ["elderly"]}}
    batches = list(tag_query.iter_rows(scope, spec, sort="id", batch=500))
    first_page = tag_query.page(scope, spec, 50, 0, "id")
    assert [r[0] for r in batches[:50]] == list(first_page["姓名"])
    assert len(batches) == tag_query.count(scope, spec)
