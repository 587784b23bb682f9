"""报表准入 assessment: coverage, overlap and burden equal an independent computation — the
field standard read with plain SQL, the templates read from their catalogue YAML files, the rows
counted with a hand-written query."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import yaml

from yibiaotong import admission, auth, db, reports

DISTRICT = "330102"
STREET = "330102009"


def sql_rows(sql: str, params: dict | None = None) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchall()


def standard_codes(entity: str) -> set[str]:
    """The entity's active fields by plain SQL, plus the derived values a report computes
    (listed in the template README, data/catalog/reports/README.md)."""
    codes = {
        c
        for (c,) in sql_rows(
            "select code from field_def where entity = $e and status = 'active' and not "
            "(data_type = 'int' and code like '%\\_id' escape '\\')",
            {"e": entity},
        )
    }
    derived = {
        "resident": {
            "age",
            "street",
            "community",
            "grid",
            "household_no",
            "head_name",
            "member_count",
            "mother_name",
            "father_name",
            "childcare_subsidy",
            "elderly_allowance",
        },
    }
    return codes | derived.get(entity, set())


def catalogue_lists(entity: str) -> dict[str, tuple[str, set[str]]]:
    """code → (name, fields) of every list template in the catalogue files, read as YAML."""
    out = {}
    for path in sorted(reports.REPORTS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("kind", "list") != "list" or data["entity"] != entity:
            continue
        keys = {c.get("field") or c.get("derived") for c in data["columns"]} - {None}
        out[data["code"]] = (data["name"], keys)
    return out


REQUEST = [
    ("姓名", "resident_name"),
    ("性别", "resident_sex"),
    ("公民身份号码", "resident_id_number"),
    ("出生日期", "resident_birth_date"),
    ("年龄", "age"),
    ("居住地址", "resident_current_address"),
    ("所属社区", "community"),
    ("津贴标准", "elderly_allowance"),
    ("血型", None),
    ("鞋码", None),
    ("监护人姓名", "resident_name"),  # another person's name: not the row's own
]


def request_fields() -> list[admission.RequestedField]:
    out = []
    for header, code in REQUEST:
        relation = "guardian" if header.startswith("监护人") else None
        out.append(admission.RequestedField(header, code, relation, "confirmed", 100.0))
    return out


def test_coverage_equals_the_share_computed_from_the_standard(fixture_db, use_fixture_db):
    admin = auth.scope_for("admin")
    result = admission.preview(admin, meta(), request_fields())
    known = standard_codes("resident")
    held = [h for h, code in REQUEST if code in known and not h.startswith("监护人")]
    assert result.held == len(held) == 8
    assert result.collect == 3
    assert result.coverage == pytest.approx(len(held) / len(REQUEST))  # 8 / 11
    kinds = {a.header: a.kind for a in result.fields}
    assert kinds["血型"] == kinds["监护人姓名"] == "collect"
    assert kinds["姓名"] == kinds["所属社区"] == "held"


def test_overlap_equals_an_independent_ranking_of_the_catalogue(fixture_db, use_fixture_db):
    admin = auth.scope_for("admin")
    result = admission.preview(admin, meta(), request_fields())
    wanted = [code for h, code in REQUEST]
    own = {code for h, code in REQUEST if code and not h.startswith("监护人")}
    expected = []
    for code, (_name, keys) in catalogue_lists("resident").items():
        shared = own & keys
        if shared:
            share = sum(1 for h, c in REQUEST if c in shared and not h.startswith("监护人"))
            expected.append((code, share / len(wanted), len(keys - shared)))
    expected.sort(key=lambda e: (-e[1], e[2], e[0]))
    got = [(o.code, o.share, o.extra) for o in result.overlaps]
    assert got == [(c, pytest.approx(s), x) for c, s, x in expected]
    top = result.overlaps[0]
    assert top.code == "mz_elderly_allowance"  # 高龄津贴发放花名册 holds 8 of the 11
    assert top.share == pytest.approx(8 / 11)
    assert set(top.missing) == {"血型", "鞋码", "监护人姓名"}
    assert "公民身份号码" not in top.missing


def test_burden_uses_the_stated_model_and_the_rows_in_scope(fixture_db, use_fixture_db):
    staff = auth.scope_for("weijian")
    result = admission.preview(staff, meta(org_code=STREET), request_fields())
    (rows,) = sql_rows(
        "select count(*) from resident e join entity_tag et on et.entity = 'resident' "
        "and et.entity_id = e.id join tag on tag.id = et.tag_id "
        "where tag.code = 'elderly_80' and e.status = 'active' and e.grid_code like $p",
        {"p": STREET + "%"},
    )[0]
    assert result.rows == rows > 0
    assert result.periods == 12
    assert result.burden_hours == pytest.approx(round(3 * rows * 12 * 0.5 / 60, 1))
    assert result.saved_hours == pytest.approx(round(8 * rows * 12 * 0.5 / 60, 1))
    assert "0.5 分钟" in result.model
    daily = admission.preview(staff, meta(org_code=STREET, frequency="daily"), request_fields())
    assert daily.burden_hours == pytest.approx(round(3 * rows * 250 * 0.5 / 60, 1))


def test_fields_picked_by_hand_and_unknown_codes(fixture_db, use_fixture_db):
    picked = admission.picked("house", ["house_address", "house_owner_name", "community"])
    assert [f.header for f in picked] == ["房屋地址", "产权人", "所属社区"]
    with pytest.raises(admission.AdmissionError, match="不是房屋的标准字段"):
        admission.picked("house", ["resident_name"])


def meta(**changes) -> admission.RequestMeta:
    values = {
        "title": "高龄老人关爱名册",
        "purpose": "掌握辖区高龄老人情况",
        "legal_basis": "区民政局文件",
        "frequency": "monthly",
        "org_code": DISTRICT,
        "period": "每月",
        "entity": "resident",
        "expires_on": date.today() + timedelta(days=100),
        "tags": ("elderly_80",),
    }
    values.update(changes)
    return admission.RequestMeta(**values)
