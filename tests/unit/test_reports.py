"""报表中心: every catalogue template for a street, reopened with openpyxl and checked against SQL."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest
import yaml

from yibiaotong import auth, catalog, cli, db, reports
from yibiaotong.config import ROOT
from yibiaotong.scope import AccessDenied, Scope

STREET = "330102009"  # 闸弄口街道
CATALOGUE = sorted(p.stem for p in reports.REPORTS_DIR.glob("*.yaml"))


def scope_of(username: str, clearance: bool | None = None, org: str | None = None) -> Scope:
    s = auth.scope_for(username)
    return Scope(
        s.username,
        s.role,
        org or s.org_code,
        s.clearance if clearance is None else clearance,
        s.department,
        s.name,
    )


def sql_value(sql: str, params: dict | None = None):
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchone()[0]


def _tag_sql(entity: str, mode_tags: dict) -> str:
    """Plain SQL for a template's tags, written independently of tag_query's compiler."""
    parts = []
    for code in mode_tags.get("all", []):
        parts.append(
            f"e.id in (select entity_id from entity_tag et join tag t on t.id = et.tag_id "
            f"where et.entity = '{entity}' and t.code = '{code}')"
        )
    if mode_tags.get("any"):
        codes = ", ".join(f"'{c}'" for c in mode_tags["any"])
        parts.append(
            f"e.id in (select entity_id from entity_tag et join tag t on t.id = et.tag_id "
            f"where et.entity = '{entity}' and t.code in ({codes}))"
        )
    for code in mode_tags.get("none", []):
        parts.append(
            f"e.id not in (select entity_id from entity_tag et join tag t on t.id = et.tag_id "
            f"where et.entity = '{entity}' and t.code = '{code}')"
        )
    return " and ".join(parts) or "true"


def independent_count(defn: dict, org: str) -> int:
    """Row count of a list template by hand-written SQL (tags, '=' conditions, household rows)."""
    entity = defn["entity"]
    where = ["e.status = 'active'", f"starts_with(e.grid_code, '{org}')"]
    where.append(_tag_sql(entity, defn["filter"]["tags"]))
    for cond in defn["filter"]["conditions"]:
        assert cond["op"] == "=", "extend the independent counter for this template"
        column = sql_value(
            "select column_name from field_def where code = $c", {"c": cond["field"]}
        )
        where.append(f"e.{column} = '{cond['value']}'")
    matched = " and ".join(where)
    if defn.get("rows_of") == "household_members":
        return sql_value(
            f"select count(*) from resident as m where m.status = 'active' "
            f"and starts_with(m.grid_code, '{org}') and m.household_id in "
            f"(select e.household_id from resident as e where {matched})"
        )
    return sql_value(f"select count(*) from {entity} as e where {matched}")


def data_rows(ws, first: int) -> list[tuple]:
    """Rows whose 序号 cell holds an integer, from the first data row on."""
    out = []
    for row in ws.iter_rows(min_row=first, values_only=True):
        if isinstance(row[0], int):
            out.append(row)
    return out


def header_texts(ws, first: int, last: int) -> list[str]:
    return [c.value for row in ws.iter_rows(min_row=first, max_row=last) for c in row if c.value]


@pytest.fixture
def own_db(module_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_DB", str(module_db))
    return module_db


@pytest.fixture
def admin_street(own_db) -> Scope:
    return scope_of("admin", org=None)


def test_catalogue_has_thirty_templates_from_twelve_departments(own_db):
    everything = reports.templates(scope_of("admin"), include_inactive=True)
    assert len(everything) >= 30
    assert len({t["department"] for t in everything}) >= 12
    assert {t["kind"] for t in everything} == {"list", "summary"}
    assert len(everything) == len(CATALOGUE)
    names = {t["name"] for t in everything}
    for expected in (
        "高龄津贴发放花名册",
        "低保家庭成员名册",
        "二孩三孩育儿补助申领名册",
        "新生儿登记表",
        "流动人口登记表",
        "出租房屋消防安全检查表",
        "九小场所消防安全检查表",
        "房屋安全排查表",
        "沿街商铺门前三包责任表",
        "残疾人基本信息表",
        "退役军人信息采集表",
        "就业困难人员登记表",
        "党员花名册",
        "独居老人结对联系表",
        "人口结构统计表",
    ):
        assert expected in names


@pytest.mark.parametrize("code", CATALOGUE)
def test_every_template_generates_for_a_street(admin_street, tmp_path, code):
    out = tmp_path / f"{code}.xlsx"
    run = reports.generate(admin_street, code, out, org_code=STREET)
    t = reports.template(admin_street, code)
    defn = t["definition"]
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    street = catalog.org_name(STREET)
    assert ws["A1"].value.startswith(street) and defn["name"] in ws["A1"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}1" in merged
    assert ws["A2"].value == "填报单位：上城区闸弄口街道"
    prepared = reports.prepare(admin_street, code, STREET)
    first_header, depth = 3, (2 if any(c.group for c in prepared.columns) else 1)
    headers = header_texts(ws, first_header, first_header + depth - 1)
    assert headers[0] == "序号"
    for column in prepared.columns:
        assert column.header in headers
        if column.group:
            assert column.group in headers
    assert ws.freeze_panes == f"B{first_header + depth}"
    assert ws.print_title_rows == f"${first_header}:${first_header + depth - 1}"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert wb.properties.creator == "一表通 · 报表中心"
    rows = data_rows(ws, first_header + depth)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert run.rows == len(rows)
    if defn["kind"] == "list":
        assert len(rows) == independent_count(defn, STREET)
    else:
        units = catalog.org_units_under(STREET, "community")
        assert [r[1] for r in rows] == [u["name"] for u in units]
    if defn.get("totals"):
        totals = [r for r in ws.iter_rows(values_only=True) if str(r[0]).startswith("合计")]
        assert len(totals) == 1 and f"共 {len(rows):,} " in totals[0][0]
    footer = [c.value for c in ws[ws.max_row] if c.value]
    assert footer[0].startswith("填表人") and footer[-1].startswith("填报日期")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == run.file_hash


def test_summary_totals_match_independent_counts(admin_street, tmp_path):
    out = tmp_path / "pop.xlsx"
    reports.generate(admin_street, "tj_population_structure", out, org_code=STREET)
    ws = openpyxl.load_workbook(out).active
    rows = data_rows(ws, 5)
    total_row = next(r for r in ws.iter_rows(values_only=True) if str(r[0]).startswith("合计"))
    residents = sql_value(
        "select count(*) from resident where status = 'active' and starts_with(grid_code, $o)",
        {"o": STREET},
    )
    assert sum(r[2] for r in rows) == residents == total_row[2]
    men = sql_value(
        "select count(*) from resident where status = 'active' and sex = '1' "
        "and starts_with(grid_code, $o)",
        {"o": STREET},
    )
    assert total_row[3] == men
    for r in rows:  # 男 + 女 = 总人口 in every community
        assert r[3] + r[4] == r[2]
    for i in range(2, len(total_row)):
        if isinstance(total_row[i], int | float):
            assert total_row[i] == sum(r[i] or 0 for r in rows)


def test_allowance_totals_and_subtotals(admin_street, tmp_path):
    out = tmp_path / "allowance.xlsx"
    reports.generate(admin_street, "mz_elderly_allowance", out, org_code=STREET)
    ws = openpyxl.load_workbook(out).active
    headers = [c.value for c in ws[3]]
    col = headers.index("津贴标准（元/月）")
    age_col = headers.index("年龄")
    rows = data_rows(ws, 5)
    assert rows
    for r in rows:
        expected = 500 if r[age_col] >= 100 else 200 if r[age_col] >= 90 else 100
        assert r[col] == expected
    all_rows = list(ws.iter_rows(values_only=True))
    subtotals = [r for r in all_rows if str(r[0]).startswith("小计")]
    total = next(r for r in all_rows if str(r[0]).startswith("合计"))
    assert total[col] == sum(r[col] for r in rows)
    assert sum(s[col] for s in subtotals) == total[col]
    assert len(subtotals) == len({r[headers.index("所属社区")] for r in rows})
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "I3:J3" not in merged  # 发放确认 spans the last two columns, K:L
    last = openpyxl.utils.get_column_letter(len(headers))
    before = openpyxl.utils.get_column_letter(len(headers) - 1)
    assert f"{before}3:{last}3" in merged and "A3:A4" in merged


def test_masking_follows_clearance_and_unmasked_exports_are_logged(own_db, tmp_path):
    leader = scope_of("leader_zlk")
    assert not leader.clearance
    masked_file = tmp_path / "masked.xlsx"
    run = reports.generate(leader, "mz_elderly_allowance", masked_file)
    assert run.masked
    ws = openpyxl.load_workbook(masked_file).active
    id_col = [c.value for c in ws[3]].index("公民身份号码")
    ids = [r[id_col] for r in data_rows(ws, 5)]
    assert ids and all("*" in v and len(v) == 18 for v in ids)
    assert "已脱敏" in ws["A2"].value
    admin = scope_of("admin")
    open_file = tmp_path / "open.xlsx"
    reports.generate(admin, "mz_elderly_allowance", open_file, org_code=leader.org_code)
    ws = openpyxl.load_workbook(open_file).active
    ids = [r[id_col] for r in data_rows(ws, 5)]
    assert ids and all("*" not in v and ws.cell(5, id_col + 1).data_type == "s" for v in ids)
    assert ws.cell(5, id_col + 1).number_format == "@"
    with db.cursor() as cur:
        logged = cur.execute(
            "select username, action from access_log where action like 'report_%' "
            "order by logged_at desc limit 2"
        ).fetchall()
    assert ("admin", "report_unmasked") in logged and ("leader_zlk", "report_generate") in logged
    with pytest.raises(AccessDenied):
        reports.prepare(leader, "mz_elderly_allowance", masked=False)
    with pytest.raises(AccessDenied, match="敏感"):
        reports.prepare(leader, "mz_dibao_members")
    blocked = {t["code"]: t for t in reports.templates(leader)}
    assert blocked["mz_dibao_members"]["blocked_by"] and not blocked["mz_dibao_members"]["runnable"]
    assert blocked["mz_elderly_allowance"]["runnable"]


def test_scope_is_enforced(own_db, tmp_path):
    worker = scope_of("sw_tianxian")
    with pytest.raises(AccessDenied):
        reports.prepare(worker, "ga_floating", org_code=STREET[:-1] + "1")
    prepared = reports.prepare(worker, "ga_floating")
    frame, total = reports.preview(prepared)
    inside = sql_value(
        "select count(*) from resident e where status = 'active' and residence_type = '2' "
        "and starts_with(grid_code, $o)",
        {"o": worker.org_code},
    )
    assert total == inside and len(frame) == min(inside, reports.PREVIEW_ROWS)
    assert list(frame.columns[:3]) == ["序号", "姓名", "性别"]
    assert set(frame["所属社区"]) <= {catalog.org_name(worker.org_code)}


def test_formula_looking_values_are_written_as_text(writable_db, tmp_path):
    rid = sql_value(
        "select min(e.id) from resident e join entity_tag et on et.entity_id = e.id "
        "join tag t on t.id = et.tag_id where t.code = 'elderly_80' and e.residence_type = '1' "
        "and starts_with(e.grid_code, $o)",
        {"o": STREET},
    )
    with db.transaction() as cur:
        cur.execute(
            'update resident set current_address = \'=HYPERLINK("http://x","点我")\', '
            "name = '+1+2' where id = $id",
            {"id": rid},
        )
        db.bump_data_version(cur)
    out = tmp_path / "formula.xlsx"
    reports.generate(scope_of("admin"), "mz_elderly_allowance", out, org_code=STREET)
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows(min_row=5) for c in row if isinstance(c.value, str)]
    hostile = [c for c in cells if c.value.startswith(("=", "+"))]
    assert {c.value for c in hostile} == {'=HYPERLINK("http://x","点我")', "+1+2"}
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)


def test_retired_field_refuses_cleanly_and_writes_nothing(writable_db, tmp_path):
    with db.transaction() as cur:
        cur.execute(
            "update field_def set status = 'retired' where code = 'resident_current_address'"
        )
        db.bump_data_version(cur)
    before = sql_value("select count(*) from report_run")
    out = tmp_path / "retired.xlsx"
    with pytest.raises(reports.ReportError, match="已停用"):
        reports.generate(scope_of("admin"), "mz_elderly_allowance", out, org_code=STREET)
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert sql_value("select count(*) from report_run") == before


def test_run_log_and_hours_saved(writable_db, tmp_path):
    with db.transaction() as cur:
        cur.execute("delete from report_run")  # runs other tests left in the shared fixture
    leader = scope_of("leader_zlk")
    run = reports.generate(leader, "zz_party_members", tmp_path / "a.xlsx")
    reports.generate(leader, "tj_population_structure", tmp_path / "b.xlsx")
    row = db.fetch_dicts(
        "reports/list_runs", org_code=leader.org_code, department=None, limit=5, offset=0
    )[1]
    assert row["template_code"] == "zz_party_members" and row["template_version"] == 1
    assert row["rows"] == run.rows and row["file_hash"] == run.file_hash
    assert row["username"] == "leader_zlk" and row["org_code"] == leader.org_code
    saved = reports.savings(leader)
    assert saved["runs"] == 2 and saved["hours"] == round((180 + 240) / 60, 1)
    assert saved["hours_month"] == saved["hours"]
    assert set(saved["by_department"]["department_name"]) == {"区委组织部", "区统计局"}
    frame = reports.runs(leader)
    assert list(frame["报表"]) == ["人口结构统计表", "党员花名册"]
    # Another street's leader does not see these runs.
    other = Scope("x", "street_leader", "330102001")
    assert reports.savings(other)["runs"] == 0


def _expected_minutes(runs: list[tuple[str, str, str]]) -> int:
    """Minutes saved computed apart: each distinct (template, unit, period) once, at the
    template's manual minutes read from its catalogue file."""
    minutes = {
        code: yaml.safe_load((reports.REPORTS_DIR / f"{code}.yaml").read_text("utf-8"))[
            "manual_minutes"
        ]
        for code, _, _ in runs
    }
    return sum(minutes[code] for code, _, _ in set(runs))


def test_hours_saved_count_a_form_once_per_unit_and_period(writable_db, tmp_path):
    with db.transaction() as cur:
        cur.execute("delete from report_run")
    leader = scope_of("leader_zlk")
    community = catalog.org_units_under(leader.org_code, "community")[0]["code"]
    quarter = sql_value("select report_period('quarterly', current_date)")
    done = []
    for _ in range(5):  # five downloads of one form in one quarter
        run = reports.generate(leader, "zz_party_members", io.BytesIO())
        done.append(("zz_party_members", leader.org_code, quarter))
    assert run.minutes_saved == 0
    codes = [t["code"] for t in reports.templates(leader, department="zuzhi")]
    result = reports.batch_zip(leader, codes, io.BytesIO())  # the batch repeats it, adds others
    done += [(r.code, leader.org_code, quarter) for r in result.runs]
    reports.generate(leader, "zz_party_members", io.BytesIO(), org_code=community)  # another unit
    done.append(("zz_party_members", community, quarter))
    assert (
        cli.main(
            [
                "report",
                "zz_party_members",
                "--org",
                leader.org_code,
                "--out",
                str(tmp_path / "c.xlsx"),
            ]
        )
        == 0
    )
    done.append(("zz_party_members", leader.org_code, quarter))
    saved = reports.savings(leader)
    assert saved["runs"] == len(done) == 5 + len(result.runs) + 2
    assert saved["forms"] == len(set(done))
    assert saved["hours"] == round(_expected_minutes(done) / 60, 1) > 0
    assert sum(r.minutes_saved for r in result.runs if r.code == "zz_party_members") == 0
    frame = reports.runs(leader)
    assert (frame["计入节省"] == "是").sum() == len(set(done))
    # The next quarter counts the form again.
    with db.transaction() as cur:
        cur.execute("update report_run set period = '2000-Q1'")
    again = reports.generate(leader, "zz_party_members", io.BytesIO())
    assert again.minutes_saved == 180 and reports.savings(leader)["forms"] == len(set(done)) + 1


def test_runs_logged_before_the_period_column_are_recounted(tmp_path, monkeypatch):
    """An install upgraded from the first wave keeps its history, counted once per form."""
    path = tmp_path / "old.duckdb"
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    db.close_all()
    every = db.migrations()
    monkeypatch.setattr(db, "migrations", lambda: [f for f in every if int(f.name[:4]) < 140])
    db.migrate()
    with db.transaction() as cur:
        cur.execute(
            "insert into report_template (code, version, name, department, frequency, entity, "
            "manual_minutes, definition) values ('a', 1, 'A', 'minzheng', 'monthly', 'resident', "
            "60, '{}'), ('b', 1, 'B', 'minzheng', 'yearly', 'resident', 30, '{}')"
        )
        rows = [
            (1, "a", "330102009", "2026-03-02"),
            (2, "a", "330102009", "2026-03-30"),  # same month: a repeat
            (3, "a", "330102009", "2026-04-01"),  # next month
            (4, "a", "330102009001", "2026-03-05"),  # another unit
            (5, "b", "330102009", "2026-01-10"),
            (6, "b", "330102009", "2026-12-31"),  # same year: a repeat
        ]
        for rid, code, org, day in rows:
            cur.execute(
                "insert into report_run (id, username, template_code, template_version, org_code, "
                "rows, seconds, file_hash, minutes_saved, created_at) values "
                "($i, 'u', $c, 1, $o, 1, 0.1, 'h', $m, $d::timestamp)",
                {"i": rid, "c": code, "o": org, "m": 60 if code == "a" else 30, "d": day},
            )
    monkeypatch.setattr(db, "migrations", lambda: every)
    db.migrate()
    with db.cursor() as cur:
        got = cur.execute(
            "select id, period, counted, minutes_saved from report_run order by id"
        ).fetchall()
    db.close_all()
    assert got == [
        (1, "2026-03", True, 60),
        (2, "2026-03", False, 0),
        (3, "2026-04", True, 60),
        (4, "2026-03", True, 60),
        (5, "2026", True, 30),
        (6, "2026", False, 0),
    ]


def test_batch_zip_of_a_department(own_db, tmp_path):
    leader = scope_of("leader_zlk")
    codes = [t["code"] for t in reports.templates(leader, department="minzheng")]
    seen = []
    buffer = io.BytesIO()
    result = reports.batch_zip(leader, codes, buffer, progress=lambda i, n, c: seen.append((i, n)))
    assert seen[0] == (0, len(codes)) and seen[-1] == (len(codes), len(codes))
    skipped = {name for name, _ in result.skipped}
    assert {"低保家庭成员名册", "特困人员救助供养名册"} <= skipped
    with zipfile.ZipFile(buffer) as zf:
        names = zf.namelist()
        assert "生成说明.txt" in names
        books = [n for n in names if n.endswith(".xlsx")]
        assert len(books) == len(result.runs) == len(codes) - len(skipped)
        for name in books:
            wb = openpyxl.load_workbook(io.BytesIO(zf.read(name)))
            assert wb.active["A2"].value.startswith("填报单位")
        note = zf.read("生成说明.txt").decode("utf-8")
        assert "低保家庭成员名册" in note and "敏感" in note
    logged = sql_value(
        "select count(*) from report_run where batch_id = $b", {"b": result.batch_id}
    )
    assert logged == len(result.runs)


def test_editor_saves_a_new_version_and_old_runs_keep_theirs(writable_db, tmp_path):
    with db.transaction() as cur:
        cur.execute("delete from report_run")
    admin = scope_of("admin")
    run_v1 = reports.generate(admin, "mz_tekun", tmp_path / "v1.xlsx", org_code=STREET)
    defn = reports.template(admin, "mz_tekun")["definition"]
    defn["columns"] = defn["columns"][:3] + [{"derived": "grid", "header": "所属网格"}]
    defn["name"] = "特困人员救助供养名册（简表）"
    with pytest.raises(AccessDenied):
        reports.save_version(scope_of("leader_zlk"), defn)
    saved = reports.save_version(admin, defn)
    assert saved["version"] == 2
    run_v2 = reports.generate(admin, "mz_tekun", tmp_path / "v2.xlsx", org_code=STREET)
    assert (run_v1.version, run_v2.version) == (1, 2)
    history = reports.history(admin, "mz_tekun")
    assert [(h["version"], h["runs"], h["source"]) for h in history] == [
        (2, 1, "editor"),
        (1, 1, "catalog"),
    ]
    ws = openpyxl.load_workbook(tmp_path / "v2.xlsx").active
    assert [c.value for c in ws[3]] == ["序号", "姓名", "性别", "身份证号码", "所属网格"]
    # Re-loading the catalogue keeps both versions and adds nothing.
    with db.transaction() as cur:
        reports.load_reports(cur)
    assert len(reports.history(admin, "mz_tekun")) == 2


def test_catalogue_file_changed_without_a_new_version_is_refused(writable_db, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    source = reports.REPORTS_DIR / "mz_tekun.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["name"] = "改了名字却没升版本"
    (folder / "mz_tekun.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(catalog.CatalogError, match="raise `version`"), db.transaction() as cur:
        reports.load_reports(cur, folder)
    data["version"] = 2
    (folder / "mz_tekun.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with db.transaction() as cur:
        reports.load_reports(cur, folder)
    assert reports.template(scope_of("admin"), "mz_tekun")["name"] == "改了名字却没升版本"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": [{"field": "resident_nope", "header": "X"}]}, "字段标准"),
        ({"columns": [{"derived": "occupant_count"}]}, "不可用于"),
        ({"columns": [{"derived": "elderly_allowance"}]}, "bands"),
        ({"columns": [{"blank": True}]}, "表头"),
        ({"totals": {"sum": ["resident_name"]}}, "数值列"),
        ({"filter": {"tags": {"all": ["rented"]}}}, "不属于"),
        ({"filter": {"tags": {"all": ["no_such_tag"]}}}, "不存在"),
        ({"filter": {"conditions": [{"field": "sex", "op": "=", "value": "9"}]}}, "代码"),
        ({"department": "nowhere"}, "部门"),
        ({"frequency": "hourly"}, "频次"),
        ({"sort": ["id_number; drop table resident"]}, "排序"),
        ({"manual_minutes": -5}, "耗时"),
        ({"surprise": 1}, "不认识"),
        ({"code": "Bad Code"}, "编码"),
    ],
)
def test_bad_definitions_are_refused_in_chinese(own_db, change, message):
    defn = dict(reports.template(scope_of("admin"), "mz_tekun")["definition"])
    defn.update(change)
    with pytest.raises(reports.ReportError, match=message):
        reports.check_definition(defn)


def test_cli_writes_a_report_and_says_when_the_database_is_locked(writable_db, tmp_path):
    out = tmp_path / "cli.xlsx"
    assert cli.main(["report", "mz_elderly_allowance", "--org", STREET, "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    assert "高龄津贴发放花名册" in ws["A1"].value
    assert cli.main(["report", "nope", "--org", STREET, "--out", str(out)]) == 2
    db.close_all()
    locked = tmp_path / "locked.duckdb"
    shutil.copy(writable_db, locked)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys; c=duckdb.connect(sys.argv[1]); print('ok', flush=True); sys.stdin.read()",
            str(locked),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        env = {**os.environ, "YIBIAOTONG_DB": str(locked)}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "yibiaotong",
                "report",
                "mz_tekun",
                "--org",
                STREET,
                "--out",
                str(tmp_path / "x.xlsx"),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert result.returncode == 2
    assert "正被另一个进程使用" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def _catalogue_departments() -> dict[str, str]:
    """Template code → department, read from the catalogue files themselves."""
    return {
        p.stem: yaml.safe_load(p.read_text("utf-8"))["department"]
        for p in reports.REPORTS_DIR.glob("*.yaml")
    }


def test_department_staff_use_their_own_department_s_templates_only(writable_db, tmp_path):
    staff = scope_of("weijian")
    assert staff.role == "dept_staff" and staff.department == "weijian"
    departments = _catalogue_departments()
    own = {code for code, d in departments.items() if d == staff.department}
    assert 0 < len(own) < len(departments)
    assert {t["code"] for t in reports.templates(staff, include_inactive=True)} == own
    other = next(code for code, d in departments.items() if d != staff.department)
    with pytest.raises(AccessDenied, match="其他部门"):
        reports.prepare(staff, other)
    with pytest.raises(AccessDenied, match="其他部门"):
        reports.generate(staff, other, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    result = reports.batch_zip(staff, [other, sorted(own)[0]], io.BytesIO())
    assert [r.code for r in result.runs] == [sorted(own)[0]]
    assert "其他部门" in result.skipped[0][1]
    with pytest.raises(AccessDenied):
        reports.prepare(staff, sorted(own)[0], definition=reports.template(staff, sorted(own)[0]))
    # Saved tag queries: a colleague's shared one is not a report the department may run.
    leader = scope_of("leader_zlk")
    from yibiaotong import tag_query

    theirs = tag_query.save_query(leader, "高龄老人名单", {"entity": "resident"}, shared=True)
    tag_query.set_as_report(leader, theirs)
    mine = tag_query.save_query(staff, "本部门名单", {"entity": "resident"}, shared=False)
    tag_query.set_as_report(staff, mine)
    assert [q["id"] for q in reports.saved_query_reports(staff)] == [mine]
    with pytest.raises(AccessDenied):
        reports.saved_query_bytes(staff, theirs)
    assert theirs in [q["id"] for q in reports.saved_query_reports(scope_of("admin"))]


NASTY_NAME = '低保/特困:名册*?[第1版]\\"<>|'


def test_template_names_with_file_and_sheet_characters_generate(writable_db, tmp_path):
    admin = scope_of("admin")
    defn = dict(reports.template(admin, "mz_tekun")["definition"])
    defn["name"] = NASTY_NAME
    reports.save_version(admin, defn)
    run = reports.generate(admin, "mz_tekun", tmp_path / "out.xlsx", org_code=STREET)
    assert not set(run.filename) & set('/\\:*?"<>|')
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert wb.active.title == '低保特困名册第1版"<>|'[:31]
    assert NASTY_NAME in wb.active["A1"].value
    buffer = io.BytesIO()
    result = reports.batch_zip(admin, ["mz_tekun", "mz_elderly_allowance"], buffer, STREET)
    assert len(result.runs) == 2 and not result.skipped
    with zipfile.ZipFile(buffer) as zf:
        names = [n for n in zf.namelist() if n.endswith(".xlsx")]
    assert len(names) == 2 and all("/" not in n and "\\" not in n for n in names)
    defn["name"] = "特困\x00名册"
    with pytest.raises(reports.ReportError, match="控制字符"):
        reports.save_version(admin, defn)
    defn["name"] = "特困名册"
    defn["columns"] = [*defn["columns"][:2], {"blank": True, "header": "签\x07名"}]
    with pytest.raises(reports.ReportError, match="表头.*控制字符"):
        reports.check_definition(defn)


def test_a_batch_reports_one_failed_template_and_goes_on(own_db, monkeypatch):
    from yibiaotong.reports import generation as generating

    admin = scope_of("admin")
    real = generating.write_form

    def flaky(target, layout, rows, **kwargs):
        if "高龄津贴" in layout.title:
            raise RuntimeError("disk on fire")
        return real(target, layout, rows, **kwargs)

    monkeypatch.setattr(generating, "write_form", flaky)
    codes = ["mz_tekun", "mz_elderly_allowance", "zz_party_members"]
    buffer = io.BytesIO()
    result = reports.batch_zip(admin, codes, buffer, STREET)
    assert [r.code for r in result.runs] == ["mz_tekun", "zz_party_members"]
    assert result.skipped == [
        ("高龄津贴发放花名册", "生成时出错（已记入系统日志），请联系区数据局管理员")
    ]
    with zipfile.ZipFile(buffer) as zf:
        note = zf.read("生成说明.txt").decode("utf-8")
        assert len([n for n in zf.namelist() if n.endswith(".xlsx")]) == 2
    assert "高龄津贴发放花名册：生成时出错" in note
