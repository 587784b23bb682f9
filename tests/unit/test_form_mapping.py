"""报表中心 × the header mapper: weak and ambiguous headers wait, look-alikes stay out, persons
are told apart, decisions are remembered in the one memory (which absorbed report_form_mapping)."""

from __future__ import annotations

import io
import json

import duckdb
import openpyxl
import pytest
from openpyxl.styles import Border, Side

from yibiaotong import auth, db, mapping, reports
from yibiaotong.excel import template_fill

STREET = "330102009"
BOX = Border(*(Side(style="thin"),) * 4)


def children_form() -> bytes:
    """A 困境儿童 roster as a street receives it: two header rows, a guardian block, a father,
    a disability card number, a bare 地址 and a loose 学历层次."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "困境儿童基本情况登记表"
    ws.merge_cells("A1:L1")
    ws["A2"] = "填报单位："
    top = ["序号", "儿童姓名", "性别", "身份证号码", "出生日期", "残疾人证号", "监护人", None, None]
    top += ["父亲姓名", "地址", "学历层次"]
    for col, text in enumerate(top, start=1):
        if text:
            ws.cell(3, col, text)
    ws.merge_cells("G3:I3")
    for col, text in zip((7, 8, 9), ("姓名", "身份证号", "联系电话"), strict=True):
        ws.cell(4, col, text)
    for col in (1, 2, 3, 4, 5, 6, 10, 11, 12):
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for r in range(3, 9):
        for c in range(1, 13):
            ws.cell(r, c).border = BOX
    ws["A10"] = "填表人：          审核人："
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _by_header(analysis: reports.FormAnalysis, values: dict) -> dict:
    return {c.display: values[c.key] for c in analysis.block.columns}


def test_the_form_s_headers_are_mapped_by_the_one_mapper(use_fixture_db):
    analysis = reports.analyse_form(auth.scope_for("admin"), children_form(), "wj_newborn")
    assert _by_header(analysis, analysis.mapping) == {
        "序号": "seq",
        "儿童姓名": "resident_name",
        "性别": "resident_sex",
        "身份证号码": "resident_id_number",
        "出生日期": "resident_birth_date",
        "残疾人证号": None,  # a look-alike: never the ID number
        "监护人 › 姓名": None,  # the guardian, not the child
        "监护人 › 身份证号": None,
        "监护人 › 联系电话": None,
        "父亲姓名": "father.resident_name",  # the father, through the ledger's link
        "地址": None,  # asked, never guessed
        "学历层次": None,  # suggested, not used until confirmed
    }
    statuses = _by_header(analysis, {k: m.status for k, m in analysis.matches.items()})
    assert statuses["残疾人证号"] == "lookalike" and statuses["地址"] == "ask"
    assert statuses["学历层次"] == "fuzzy"
    relations = _by_header(analysis, {k: m.relation for k, m in analysis.matches.items()})
    assert relations["监护人 › 身份证号"] == "guardian" and relations["父亲姓名"] == "father"
    waiting = [c.display for c in analysis.block.columns if analysis.needs_confirmation(c.key)]
    assert waiting == ["地址", "学历层次"]
    assert _by_header(analysis, analysis.suggested)["学历层次"] == "resident_education"
    assert "留空" in _by_header(analysis, analysis.notes)["监护人 › 身份证号"]


def _runs() -> int:
    with db.cursor() as cur:
        return cur.execute("select count(*) from report_run").fetchone()[0]


def test_a_look_alike_chosen_as_the_id_number_is_refused_before_anything_is_written(writable_db):
    admin = auth.scope_for("admin")
    analysis = reports.analyse_form(admin, children_form(), "cl_disabled")
    chosen = dict(analysis.mapping)
    card = next(c.key for c in analysis.block.columns if c.display == "残疾人证号")
    chosen[card] = "resident_id_number"
    before = _runs()
    with pytest.raises(reports.ReportError, match="不是身份证号"):
        reports.fill_form(admin, "cl_disabled", children_form(), chosen, STREET)
    assert _runs() == before
    assert (
        db.fetch_dicts(
            "mapping/recall_decisions", context=f"form:{analysis.block.signature}", org_code=None
        )
        == []
    )


def test_the_father_s_column_holds_the_father_and_the_guardian_s_stays_blank(writable_db):
    admin = auth.scope_for("admin")
    analysis = reports.analyse_form(admin, children_form(), "wj_newborn")
    content, run = reports.fill_form(admin, "wj_newborn", children_form(), analysis.mapping, STREET)
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [r for r in ws.iter_rows(min_row=5, max_col=12, values_only=True) if r[3]]
    assert len(rows) == run.rows > 0
    with db.cursor() as cur:  # oracle: the father through resident.father_id, in SQL
        fathers = dict(
            cur.execute(
                "select c.id_number, f.name from resident c left join resident f"
                " on f.id = c.father_id where starts_with(c.grid_code, $s)",
                {"s": STREET},
            ).fetchall()
        )
    assert any(fathers[r[3]] for r in rows)
    for r in rows:  # a linked father is that father (others may come from the household)
        assert r[9] != r[1] and (fathers[r[3]] is None or r[9] == fathers[r[3]])
        assert r[6] is None and r[7] is None and r[8] is None  # 监护人: not the child's values
        assert r[5] is None and r[10] is None and r[11] is None


def test_confirmed_choices_are_remembered_for_the_caller_s_subtree(writable_db):
    leader = auth.scope_for("leader_zlk")
    analysis = reports.analyse_form(leader, children_form(), "wj_newborn")
    chosen = dict(analysis.mapping)
    address = next(c.key for c in analysis.block.columns if c.display == "地址")
    chosen[address] = "resident_current_address"
    reports.fill_form(leader, "wj_newborn", children_form(), chosen, STREET)
    again = reports.analyse_form(leader, children_form(), "wj_newborn")
    assert again.remembered and again.mapping == chosen
    assert not any(again.needs_confirmation(c.key) for c in again.block.columns)
    # The district does not inherit a street's decisions; the street's still hold there.
    district = reports.analyse_form(auth.scope_for("admin"), children_form(), "wj_newborn")
    assert district.mapping[address] is None and district.matches[address].status == "ask"


def test_the_old_form_mapping_table_is_absorbed_with_its_rows(tmp_path, monkeypatch):
    """Migration 0250: rows of report_form_mapping become decisions of context form:<sig>."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    db.close_all()
    everything = db.migrations()
    monkeypatch.setattr(db, "migrations", lambda: [p for p in everything if p.name < "0250"])
    db.migrate()
    saved = {
        "A:序号": "seq",
        "B:老人基本情况›姓名": "resident_name",
        "H:结对联系人›关系": "resident_relation_to_head",
        "I:结对联系人›联系电话": None,
    }
    with db.cursor() as cur:
        cur.execute(
            "insert into org_unit (code, name, full_name, level)"
            " values ('330102', '上城区', '上城区', 'district')"
        )
        cur.execute(
            "insert into report_form_mapping (signature, form_name, entity, mapping, updated_by)"
            " values ('sig1', '结对表', 'resident', $m, 'somebody')",
            {"m": json.dumps(saved, ensure_ascii=False)},
        )
    monkeypatch.setattr(db, "migrations", lambda: everything)
    db.migrate()
    rows = db.fetch_dicts("mapping/recall_decisions", context="form:sig1", org_code=None)
    assert {r["header"]: r["field"] for r in rows} == {
        "序号": "seq",
        "老人基本情况/姓名": "resident_name",
        "结对联系人/关系": "resident_relation_to_head",
        "结对联系人/联系电话": None,
    }
    assert {r["decided_by"] for r in rows} == {"somebody"}
    assert mapping.memory_key(("老人基本情况", "D1.姓名")) == "老人基本情况/姓名"
    with db.cursor() as cur, pytest.raises(duckdb.CatalogException):
        cur.execute("select * from report_form_mapping")
    db.close_all()


def test_template_fill_keeps_no_matcher_of_its_own():
    assert not hasattr(template_fill, "suggest")
    assert template_fill.clean is mapping.tidy
