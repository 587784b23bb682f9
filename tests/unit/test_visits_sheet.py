"""走访采集 on paper: the collection sheet holds the ledger's values, and its way back through the
import engine applies exactly the changed cells; another grid's rows, edited keys, a missing key
column and formulas are refused with reasons, writing nothing for those rows."""

from __future__ import annotations

import io

import openpyxl
import pytest

from yibiaotong import auth, catalog, db, visits, visits_sheet
from yibiaotong.scope import AccessDenied

STREET = "330102009"
VERIFY = ["resident_phone", "resident_education", "resident_employer", "resident_religion"]
COLLECT = ["resident_wechat", "resident_emergency_contact"]


def _sql(sql: str, **params):
    with db.cursor() as cur:
        return cur.execute(sql, params).fetchall()


@pytest.fixture
def sheet(writable_db):
    leader, worker = auth.scope_for("leader_zlk"), auth.scope_for("sw_tianxian")
    cid = visits.create_campaign(
        leader, "纸质采集", STREET, "household", VERIFY, COLLECT, "2026-11-01", "2026-11-30"
    )
    grid = visits_sheet.my_grids(worker, cid)[0]["grid_code"]
    book = openpyxl.load_workbook(io.BytesIO(visits_sheet.collection_sheet(worker, cid, grid)))
    return worker, cid, grid, book


def _bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _col(ws, header: str) -> int:
    return [c.value for c in ws[visits_sheet.HEADER_ROW]].index(header) + 1


def _rows(ws):
    return range(visits_sheet.FIRST_ROW, ws.max_row + 1)


def test_the_sheet_holds_the_ledger_one_row_per_member_with_a_protected_header(sheet):
    worker, cid, grid, book = sheet
    ws = book.active
    households = [
        t[0]
        for t in _sql(
            "select entity_id from visit_task where campaign_id = $c and grid_code = $g",
            c=cid,
            g=grid,
        )
    ]
    members = _sql(
        "select id, name, phone, education, employer, religion, attrs->>'resident_wechat' "
        "from resident where status = 'active' and list_contains($h, household_id)",
        h=households,
    )
    assert ws.max_row - visits_sheet.FIRST_ROW + 1 == len(members)
    education = catalog.code_items("education")
    religion = catalog.code_items("religion")
    by_id = {m[0]: m for m in members}
    for r in _rows(ws):
        resident_id = int(ws.cell(r, 1).value.split("|")[2])
        _, name, phone, edu, employer, rel, wechat = by_id[resident_id]
        shown = {h: ws.cell(r, _col(ws, h)).value for h in ("姓名", "联系电话", "文化程度")}
        assert shown == {"姓名": name, "联系电话": phone, "文化程度": education.get(edu)}
        assert ws.cell(r, _col(ws, "工作单位")).value == employer
        assert ws.cell(r, _col(ws, "宗教信仰（只读）")).value == religion.get(rel)
        assert ws.cell(r, _col(ws, "微信号（采集）")).value == wechat
        assert ws.cell(r, 1).protection.locked and ws.cell(r, 3).protection.locked
        assert not ws.cell(r, _col(ws, "联系电话")).protection.locked
        # text, not a number
        assert ws.cell(r, _col(ws, "联系电话")).data_type in ("s", "inlineStr")
    assert ws.protection.sheet and ws.column_dimensions["A"].hidden
    logged = _sql("select action from access_log where username = 'sw_tianxian'")
    assert ("visit_sheet",) in logged  # an unmasked export is logged
    assert all(c.protection.locked for c in ws[visits_sheet.HEADER_ROW])


def test_the_round_trip_applies_exactly_the_changed_cells(sheet):
    worker, cid, grid, book = sheet
    ws = book.active
    rows = list(_rows(ws))
    ids = {r: int(ws.cell(r, 1).value.split("|")[2]) for r in rows}
    with_id = [
        r for r in rows if _sql("select id_number from resident where id = $i", i=ids[r])[0][0]
    ]
    a, b = with_id[0], with_id[1]
    # a: fills an empty field (applies); b: corrects a hand-entered phone (console 70 against
    # 社区走访采集 70: the engine sends it to review, it does not apply).
    ws.cell(a, _col(ws, "微信号（采集）")).value = "wx_paper_1"
    old_phone = ws.cell(b, _col(ws, "联系电话")).value
    ws.cell(b, _col(ws, "联系电话")).value = "13700002222"
    for r in rows:  # every household visited
        ws.cell(r, _col(ws, "走访结果")).value = "已走访"
    before = {
        i: _sql("select * exclude (updated_at, version) from resident where id = $i", i=i)
        for i in ids.values()
    }
    data = _bytes(book)
    check, batch_id, summary = visits_sheet.preview_sheet(worker, cid, grid, data)
    assert check.refused == []
    planned = sorted((c.resident_id, c.field) for h in check.households.values() for c in h.changes)
    assert planned == sorted([(ids[a], "resident_wechat"), (ids[b], "resident_phone")])
    assert summary.changes == {"apply": 1, "conflict": 1}
    counts = visits_sheet.commit_sheet(worker, cid, grid, data, batch_id)
    assert counts["applied"] == 1
    changed = _sql(
        "select entity_id, field, new_value, source from change_log where batch_id = $b "
        "and not starts_with(field, '_')",
        b=batch_id,
    )
    assert changed == [(ids[a], "resident_wechat", "wx_paper_1", "import:community_survey")]
    after = {
        i: _sql("select * exclude (updated_at, version) from resident where id = $i", i=i)
        for i in ids.values()
    }
    assert [i for i in ids.values() if after[i] != before[i]] == [ids[a]]
    assert _sql("select phone from resident where id = $i", i=ids[b]) == [(old_phone,)]
    conflict = _sql(
        "select entity_id, incoming_value from value_conflict where batch_id = $b", b=batch_id
    )
    assert conflict == [(ids[b], "13700002222")]
    # Every household of the sheet is visited; untouched known values are stamped confirmed.
    outcomes = _sql(
        "select distinct outcome from visit_task where campaign_id = $c and grid_code = $g",
        c=cid,
        g=grid,
    )
    assert outcomes == [("visited",)]
    stamped = _sql("select count(*) from field_provenance where verified_by = 'sw_tianxian'")[0][0]
    known = sum(
        1
        for r in rows
        for h in (
            "联系电话",
            "文化程度",
            "工作单位",
            "宗教信仰（只读）",
            "微信号（采集）",
            "紧急联系人（采集）",
        )
        if ws.cell(r, _col(ws, h)).value not in (None, "")
    )
    # every filled cell is confirmed or changed; the conflicted phone is confirmed neither way
    assert stamped == known - 1


def test_rows_from_another_grid_edited_keys_and_formulas_are_refused(sheet):
    worker, cid, grid, book = sheet
    ws = book.active
    other_grid = visits_sheet.my_grids(worker, cid)[1]["grid_code"]
    other = openpyxl.load_workbook(
        io.BytesIO(visits_sheet.collection_sheet(worker, cid, other_grid))
    ).active
    rows = list(_rows(ws))
    # A row moved in from the other grid's sheet, with a change.
    moved = ws.max_row + 1
    for c in range(1, ws.max_column + 1):
        ws.cell(moved, c).value = other.cell(visits_sheet.FIRST_ROW, c).value
    ws.cell(moved, _col(ws, "微信号（采集）")).value = "wx_moved"
    ws.cell(moved, _col(ws, "走访结果")).value = "已走访"
    # An edited key (another resident's id), a formula, a value failing its validator.
    key = ws.cell(rows[0], 1).value.split("|")
    ws.cell(rows[0], 1).value = "|".join([key[0], key[1], str(int(key[2]) + 1), *key[3:]])
    ws.cell(rows[0], _col(ws, "微信号（采集）")).value = "wx_forged"
    ws.cell(rows[1], _col(ws, "工作单位")).value = '=HYPERLINK("http://x","点我")'
    ws.cell(rows[2], _col(ws, "联系电话")).value = "12345"
    for r in (*rows[:3], moved):
        ws.cell(r, _col(ws, "走访结果")).value = "已走访"
    tables = "select (select count(*) from change_log), (select count(*) from import_batch)"
    before = _sql(tables)
    check, batch_id, _ = visits_sheet.preview_sheet(worker, cid, grid, _bytes(book))
    reasons = dict(check.refused)
    assert "其他网格" in reasons[moved]
    assert "系统键被修改" in reasons[rows[0]]
    assert "公式" in reasons[rows[1]]
    assert "联系电话" in reasons[rows[2]]
    assert check.change_count == 0 and batch_id is None
    assert _sql(tables) == before


def test_a_sheet_without_its_key_column_or_of_another_campaign_is_refused(sheet):
    worker, cid, grid, book = sheet
    ws = book.active
    ws.delete_cols(1)
    with pytest.raises(visits_sheet.SheetError, match="键列"):
        visits_sheet.check_sheet(worker, cid, grid, _bytes(book))
    leader = auth.scope_for("leader_zlk")
    other = visits.create_campaign(
        leader, "另一次走访", STREET, "household", VERIFY, COLLECT, "2026-11-01", "2026-11-30"
    )
    fresh = openpyxl.load_workbook(io.BytesIO(visits_sheet.collection_sheet(worker, cid, grid)))
    check = visits_sheet.check_sheet(worker, other, grid, _bytes(fresh))
    assert check.households == {} and all("不是本次走访" in r for _, r in check.refused)


def test_another_worker_cannot_take_or_return_a_grid_sheet(sheet):
    worker, cid, grid, book = sheet
    hongmei = auth.scope_for("sw_hongmei")
    with pytest.raises(AccessDenied):
        visits_sheet.collection_sheet(hongmei, cid, grid)
    with pytest.raises(AccessDenied):
        visits_sheet.check_sheet(hongmei, cid, grid, _bytes(book))
    with pytest.raises(AccessDenied):
        visits_sheet.collection_sheet(auth.scope_for("leader_zlk"), cid, grid)
