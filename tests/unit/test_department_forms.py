"""Department forms filled right: other people's columns, wide forms, formulas, statistics
tables, indicator lists and print — each checked against the ledger read another way."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from tests import forms, render
from yibiaotong import auth, catalog, conditions, db, reports
from yibiaotong.scope import Scope

STREET = "330102009"
ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def own_db(module_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_DB", str(module_db))
    return module_db


@pytest.fixture
def admin(own_db) -> Scope:
    return auth.scope_for("admin")


def _fill(scope: Scope, data: bytes, code: str, org: str = STREET, **changes):
    analysis = reports.analyse_form(scope, data, code, org)
    mapping = {**analysis.suggested, **changes} if analysis.kind == "roster" else None
    content, run = reports.fill_form(scope, code, data, mapping, org)
    return analysis, openpyxl.load_workbook(io.BytesIO(content)).active, content, run


def _people() -> dict[int, dict]:
    with db.cursor() as cur:
        rel = cur.execute("select * from resident")
        cols = [d[0] for d in rel.description]
        return {row[0]: dict(zip(cols, row, strict=True)) for row in rel.fetchall()}


def _heads() -> dict[int, int]:
    with db.cursor() as cur:
        return dict(cur.execute("select id, head_id from household").fetchall())


def _relatives(person: dict, people: dict[int, dict], heads: dict[int, int]) -> dict:
    """The oracle, in Python over whole tables: who a resident's head, spouse, father and
    mother are by the ledger's links and the household's relation codes."""
    head_id = heads.get(person["household_id"])
    head = people.get(head_id)
    members = [
        p
        for p in people.values()
        if p["household_id"] == person["household_id"] and p["status"] == "active"
    ]

    def member(code):
        found = sorted(p["id"] for p in members if p["relation_to_head"] == code)
        return found[0] if found else None

    rel = person["relation_to_head"]
    spouse = member("10") if rel == "02" else head_id if rel == "10" else None
    father, mother = person["father_id"], person["mother_id"]
    if rel == "02":
        father, mother = father or member("51"), mother or member("52")
    elif rel in ("20", "30") and head is not None:
        by_sex = (
            {"1": head_id, "2": member("10")}
            if head["sex"] == "1"
            else {
                "1": member("10"),
                "2": head_id,
            }
        )
        father, mother = father or by_sex["1"], mother or by_sex["2"]
    return {"head": head_id, "spouse": spouse, "father": father, "mother": mother}


def _in_street(people, pid):
    p = people.get(pid)
    return p if p is not None and p["grid_code"].startswith(STREET) else None


def _by_id_number(people) -> dict[str, dict]:
    return {p["id_number"]: p for p in people.values() if p["id_number"]}


def test_other_people_s_columns_come_from_the_linked_people_never_the_row_s_own(admin):
    analysis, ws, _, run = _fill(admin, forms.newborn_register(), "wj_newborn")
    notes = {c.display: analysis.notes[c.key] for c in analysis.block.columns}
    assert "母亲" in notes["母亲 › 姓名"]
    people, heads = _people(), _heads()
    index = _by_id_number(people)
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == run.rows > 0
    linked = 0
    for r in rows:
        # the newborn is found by name + birth date (the form shows no ID of the child)
        child = (
            next(
                p
                for p in people.values()
                if p["name"] == r[1] and p["birth_date"].isoformat() == r[3]
            )
            if isinstance(r[3], str)
            else next(
                p for p in people.values() if p["name"] == r[1] and p["birth_date"] == r[3].date()
            )
        )
        kin = _relatives(child, people, heads)
        mother, father = _in_street(people, kin["mother"]), _in_street(people, kin["father"])
        assert (r[5], r[6]) == ((mother["name"], mother["id_number"]) if mother else (None, None))
        assert (r[7], r[8], r[9]) == (
            (father["name"], father["id_number"], father["phone"]) if father else (None, None, None)
        )
        assert r[6] != child["id_number"] and r[8] != child["id_number"]
        linked += mother is not None
        if r[6]:
            assert index[r[6]]["sex"] == "2"  # a mother is a woman, not the child
    assert linked > 0


def test_household_head_and_spouse_columns_and_unlinked_people_stay_blank(admin):
    analysis, ws, _, run = _fill(admin, forms.dibao_family(), "mz_dibao_members")
    people, heads = _people(), _heads()
    index = _by_id_number(people)
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int) and r[2]]
    assert len(rows) == run.rows > 0
    spouses = 0
    for r in rows:
        person = index[r[4]]
        kin = _relatives(person, people, heads)
        head, spouse = _in_street(people, kin["head"]), _in_street(people, kin["spouse"])
        assert r[1] == (head["name"] if head else None)
        assert r[6] == (spouse["name"] if spouse else None)
        assert r[6] != person["name"] or spouse is not None
        spouses += spouse is not None
    assert spouses > 0
    # 监护人 is about a person the ledger does not link: blank, and the preview says so.
    analysis, ws, _, _ = _fill(admin, forms.elderly_allowance(), "mz_elderly_allowance")
    guardian = [c for c in analysis.block.columns if c.path[0] == "监护人"]
    assert guardian and all("台账未登记监护人" in analysis.notes[c.key] for c in guardian)
    data = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert data and all(r[9] is None and r[10] is None for r in data)


def test_a_related_person_outside_the_caller_s_unit_is_not_shown(own_db):
    worker = auth.scope_for("sw_tianxian")
    people = _people()
    _, ws, _, _ = _fill(worker, forms.newborn_register(), "wj_newborn", worker.org_code)
    for r in ws.iter_rows(min_row=5, values_only=True):
        if isinstance(r[0], int) and r[6]:
            mother = next(
                p
                for p in people.values()
                if p["id_number"] == r[6].replace("*", "")
                or (p["name"] == r[5] and p["grid_code"].startswith(worker.org_code))
            )
            assert mother["grid_code"].startswith(worker.org_code)


def test_emergency_contact_and_other_attrs_fields_are_the_row_s_own_record(admin):
    with db.transaction() as cur:
        rid = cur.execute(
            "select min(e.id) from resident e where e.residence_type = '2' "
            "and e.status = 'active' and starts_with(e.grid_code, $o)",
            {"o": STREET},
        ).fetchone()[0]
        cur.execute(
            "update resident set attrs = json_object('resident_emergency_contact', '王小明', "
            "'resident_emergency_phone', '13912345678') where id = $i",
            {"i": rid},
        )
        db.bump_data_version(cur)
    data = forms.veteran_info()
    analysis = reports.analyse_form(admin, data, "ga_floating", STREET)
    mapping = dict(analysis.suggested)
    name_col = next(c for c in analysis.block.columns if c.display == "紧急联系人 › 姓名")
    assert analysis.needs_confirmation(name_col.key)  # 姓名 under 紧急联系人 is asked, not guessed
    mapping[name_col.key] = "resident_emergency_contact"
    content, _ = reports.fill_form(admin, "ga_floating", data, mapping, STREET)
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    person = _people()[rid]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[3] == person["id_number"])
    assert (row[7], row[8]) == ("王小明", "13912345678")
    assert row[8] != person["phone"]


def test_wide_forms_are_read_to_their_last_column(admin):
    data = forms.census_wide(70)
    analysis = reports.analyse_form(admin, data, "ga_floating", STREET)
    assert len(analysis.block.columns) == 70
    last = analysis.block.columns[-1]
    assert last.letter == "BR" and analysis.suggested[last.key] == "resident_wechat"
    permit = next(c for c in analysis.block.columns if c.label == "居住证号")
    spouse = next(c for c in analysis.block.columns if c.label == "配偶姓名")
    assert permit.col > 60 and spouse.col > 60
    _, ws, _, run = _fill(admin, data, "ga_floating")
    people, heads = _people(), _heads()
    index = _by_id_number(people)
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == run.rows > 0
    for r in rows:
        person = index[r[45]]  # AT: 公民身份号码
        assert r[permit.col - 1] == person["residence_permit_no"]
        partner = _in_street(people, _relatives(person, people, heads)["spouse"])
        assert r[spouse.col - 1] == (partner["name"] if partner else None)


def _raw_formulas(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return [
            n
            for n in zf.namelist()
            if n.startswith("xl/worksheets/") and b"<f>" in zf.read(n) or b"<f " in zf.read(n)
        ]


def test_formulas_in_the_form_come_back_as_values(admin):
    data = forms.elderly_allowance()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.active["G13"].data_type == "f" and wb.active["A16"].data_type == "f"
    analysis = reports.analyse_form(admin, data, "mz_elderly_allowance", STREET)
    assert set(analysis.formulas) == {"花名册!G13", "花名册!A16"}
    amount = next(c for c in analysis.block.columns if c.label.startswith("发放金额"))
    # Put a number in the summed column to see the 合计 follow the rows that were written.
    mapping = {**analysis.suggested, amount.key: "age"}
    content, run = reports.fill_form(admin, "mz_elderly_allowance", data, mapping, STREET)
    assert _raw_formulas(content) == []
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    ages = [r[6] for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    assert len(ages) == run.rows and total[6] == sum(ages) > 0
    link = [c for row in ws.iter_rows() for c in row if c.value and "evil.example" in str(c.value)]
    assert link == [] and not ws._hyperlinks


def _counts_by_unit(where: str, params: dict, level: int = 12) -> dict[str, int]:
    with db.cursor() as cur:
        return dict(
            cur.execute(
                f"select substr(e.grid_code, 1, {level}), count(*) from resident e "
                f"where e.status = 'active' and starts_with(e.grid_code, $o) and {where} "
                "group by 1",
                {"o": STREET, **params},
            ).fetchall()
        )


def _disabled(extra: str = "true") -> str:
    return (
        "e.id in (select entity_id from entity_tag et join tag t on t.id = et.tag_id "
        f"where t.code = 'disabled' and et.entity = 'resident') and {extra}"
    )


def test_a_statistics_table_is_counted_per_community_with_its_total(admin):
    units = catalog.org_units_under(STREET, "community")
    names = [units[0]["name"], units[1]["name"].removesuffix("社区"), "不存在社区"]
    data = forms.disabled_statistics(names)
    analysis = reports.analyse_form(admin, data, "cl_disabled", STREET)
    assert analysis.kind == "table" and analysis.block.kind_name.startswith("统计表")
    assert "持证率（%）" in analysis.table.blank and "不存在社区" in analysis.table.blank
    _, ws, _, run = _fill(admin, data, "cl_disabled")
    born_by = conditions.shift_back(date.today(), years=60)
    adult_by = conditions.shift_back(date.today(), years=18)
    expected = {
        3: _counts_by_unit(_disabled(), {}),
        4: _counts_by_unit(_disabled("e.sex = '1'"), {}),
        5: _counts_by_unit(_disabled("e.sex = '2'"), {}),
        6: _counts_by_unit(_disabled("e.birth_date > $a"), {"a": adult_by}),
        7: _counts_by_unit(_disabled("e.birth_date <= $b"), {"b": born_by}),
    }
    codes = [units[0]["code"], units[1]["code"]]
    for row, code in zip((5, 6), codes, strict=True):
        got = [ws.cell(row, c).value for c in range(3, 8)]
        assert got == [expected[c].get(code, 0) for c in range(3, 8)]
    assert all(ws.cell(7, c).value is None for c in range(3, 9))  # 不存在社区 left blank
    totals = [ws.cell(8, c).value for c in range(3, 8)]
    assert totals == [sum(expected[c].get(code, 0) for code in codes) for c in range(3, 8)]
    assert sum(totals) > 0 and ws.cell(8, 8).value is None
    assert ws["A2"].value.startswith("填报单位（盖章）：上城区闸弄口街道")
    assert run.rows == 3


def test_an_indicator_list_is_counted_and_a_form_nothing_can_count_is_refused(admin):
    data = forms.population_indicators()
    analysis = reports.analyse_form(admin, data, "tj_population_structure", STREET)
    assert analysis.kind == "indicators"
    _, ws, _, _ = _fill(admin, data, "tj_population_structure")
    values = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(4, 13)}
    born_60, born_80 = (conditions.shift_back(date.today(), years=n) for n in (60, 80))
    with db.cursor() as cur:

        def one(sql, **p):
            return cur.execute(
                "select count(*) from resident e where e.status = 'active' "
                f"and starts_with(e.grid_code, $o) and {sql}",
                {"o": STREET, **p},
            ).fetchone()[0]

        tag = "e.id in (select entity_id from entity_tag et join tag t on t.id = et.tag_id where t.code = '{}')"
        assert values["户籍人口"] == one("e.residence_type = '1'")
        assert values["60-79岁"] == one(
            "e.birth_date <= $a and e.birth_date > $b",
            a=born_60,
            b=conditions.shift_back(date.today(), years=80),
        )
        assert values["80周岁及以上"] == one("e.birth_date <= $b", b=born_80)
        assert values["独居老人"] == one(tag.format("living_alone"))
        assert values["党员"] == one(tag.format("party_member"))
        assert (
            values["户数"]
            == cur.execute(
                "select count(distinct household_id) from resident where status = 'active' "
                "and starts_with(grid_code, $o)",
                {"o": STREET},
            ).fetchone()[0]
        )
    assert values["垃圾分类达标率"] is None
    assert "垃圾分类达标率" in analysis.table.blank
    wb = openpyxl.load_workbook(io.BytesIO(forms.population_indicators()))
    for r in range(4, 13):
        wb.active.cell(r, 1).value = f"无法统计的项目{r}"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(reports.ReportError, match="这是一张指标表"):
        reports.analyse_form(admin, out.getvalue(), "tj_population_structure", STREET)


def test_department_staff_fill_only_the_fields_their_template_shows(own_db):
    staff = auth.scope_for("weijian")
    analysis = reports.analyse_form(staff, forms.elderly_allowance(), "wj_newborn", None)
    template = {
        c.get("field") or c.get("derived")
        for c in reports.template(staff, "wj_newborn")["definition"]["columns"]
    }
    offered = {k.rpartition(".")[2] for k in analysis.choices} - {"seq", "age"}
    assert offered <= template
    address = next(c for c in analysis.block.columns if c.label == "居住地址")
    if "resident_current_address" not in template:
        assert analysis.suggested[address.key] is None
    with pytest.raises(reports.ReportError, match="不可用"):
        reports.fill_form(
            staff, "wj_newborn", forms.elderly_allowance(), {address.key: "resident_religion"}
        )


def _pdf_text(xlsx, out_dir, png_name: str) -> str:
    pdf = render.to_pdf(xlsx, out_dir)
    render.first_page_png(pdf, ARTIFACTS / f"{png_name}.png")
    return render.pdf_text(pdf, "-raw")


def test_a_filled_form_prints_every_value_in_full(admin, tmp_path):
    """Rendered by LibreOffice: every ID, phone, date and month is in the PDF's text whole (a
    clipped or ### cell would not be), wrapped addresses read in full, the unit line is set."""
    _, ws, content, run = _fill(admin, forms.newborn_register(), "wj_newborn")
    xlsx = tmp_path / "newborn.xlsx"
    xlsx.write_bytes(content)
    text = _pdf_text(xlsx, tmp_path, "form-newborn-filled")
    flat = re.sub(r"\s+", "", text)
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert len(rows) == run.rows > 0
    for r in rows:
        day = r[3].date() if hasattr(r[3], "date") else r[3]
        for value in (r[1], f"{day:%Y-%m-%d}", r[5], r[6], r[7], r[8], r[9]):
            if value:
                assert str(value) in text, value
        assert re.sub(r"\s+", "", r[10]) in flat  # the address, wrapped over lines
    assert "###" not in text
    assert "填报单位：上城区闸弄口街道" in flat and f"{date.today():%Y年%-m月%-d日}" in flat
    _, ws, content, _ = _fill(admin, forms.elderly_allowance(), "mz_elderly_allowance")
    xlsx = tmp_path / "allowance.xlsx"
    xlsx.write_bytes(content)
    text = _pdf_text(xlsx, tmp_path, "form-allowance-filled")
    for r in ws.iter_rows(min_row=5, values_only=True):
        if isinstance(r[0], int):
            born = r[4]
            assert f"{born.year}年{born.month}月" in text  # 出生年月 as a month
            assert r[3] in text and r[8] in text  # own ID and the head's ID, whole
