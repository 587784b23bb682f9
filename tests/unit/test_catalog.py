"""The reference catalogue: real org tree, field standard covering the ledger, tag taxonomy."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from yibiaotong import catalog, config, db

STREETS = [
    "湖滨街道",
    "清波街道",
    "小营街道",
    "望江街道",
    "紫阳街道",
    "南星街道",
    "凯旋街道",
    "采荷街道",
    "闸弄口街道",
    "四季青街道",
    "笕桥街道",
    "丁兰街道",
    "九堡街道",
    "彭埠街道",
]
ENTITIES = ("resident", "household", "house", "shop")
# Bookkeeping columns; every other column of a ledger table must be a field of the standard.
NOT_FIELDS = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "updated_by",
    "attrs",
    "status",
    "name_initials",
}
TABLES = {
    "org_unit": "code",
    "department": "code",
    "code_list": "code",
    "code_item": "list_code, code",
    "field_def": "code",
    "tag_category": "code",
    "tag": "id",
}


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    """An empty, migrated database in tmp_path."""
    monkeypatch.setenv("YIBIAOTONG_DB", str(tmp_path / "catalog.duckdb"))
    db.close_all()
    db.migrate()
    yield
    db.close_all()


@pytest.fixture
def loaded(fresh_db):
    """The migrated database with the committed catalogue loaded; yields the returned counts."""
    with db.transaction() as cur:
        return catalog.load_catalog(cur)


def rows(sql: str, params: dict | None = None) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchall()


def snapshot() -> dict[str, list[tuple]]:
    return {t: rows(f"select * from {t} order by {key}") for t, key in TABLES.items()}


def broken_copy(tmp_path: Path, file: str, old: str | None, new: str) -> Path:
    """A copy of the catalogue with `old` replaced by `new` in `file` (old None: append new)."""
    target = tmp_path / "broken_catalog"
    shutil.copytree(config.CATALOG_DIR, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    if old is None:
        text = text.rstrip("\n") + "\n" + new
    else:
        assert old in text, f"{old!r} not in {file}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return target


# --- org units -------------------------------------------------------------------------------


def test_district_has_the_14_real_streets_in_order(loaded):
    assert rows("select code, name from org_unit where level = 'district'") == [
        ("330102", "上城区")
    ]
    streets = rows(
        "select code, name, parent_code from org_unit where level = 'street' order by code"
    )
    assert [name for _, name, _ in streets] == STREETS
    assert [code for code, _, _ in streets] == [f"330102{i:03d}" for i in range(1, 15)]
    assert {parent for _, _, parent in streets} == {"330102"}


def test_every_street_has_communities_and_every_community_grids(loaded):
    per_street = rows(
        "select s.name, count(c.code) from org_unit s"
        " left join org_unit c on c.parent_code = s.code and c.level = 'community'"
        " where s.level = 'street' group by s.name"
    )
    assert len(per_street) == 14
    assert all(n >= 8 for _, n in per_street), per_street
    per_community = rows(
        "select c.full_name, count(g.code) from org_unit c"
        " left join org_unit g on g.parent_code = c.code and g.level = 'grid'"
        " where c.level = 'community' group by c.full_name"
    )
    assert all(3 <= n <= 6 for _, n in per_community), per_community
    assert (
        rows(
            "select parent_code, name from org_unit where level = 'community'"
            " group by parent_code, name having count(*) > 1"
        )
        == []
    )


def test_real_community_names_sit_in_their_streets(loaded):
    expected = {
        "闸弄口街道": ["天仙社区", "红梅社区", "新塘社区"],
        "小营街道": ["小营巷社区", "大学路社区", "江城社区"],
        "望江街道": ["近江家园社区", "始版桥社区"],
        "采荷街道": ["芙蓉社区", "双菱社区"],
        "紫阳街道": ["上羊市街社区"],
        "南星街道": ["馒头山社区"],
        "彭埠街道": ["云峰社区"],
        "四季青街道": ["三新家园社区"],
    }
    for street, communities in expected.items():
        for community in communities:
            assert rows(
                "select 1 from org_unit where level = 'community' and full_name = $p",
                {"p": f"上城区/{street}/{community}"},
            ), (street, community)


def test_codes_extend_their_parent_codes_and_paths(loaded):
    units = {
        code: (name, level, parent, full_name)
        for code, name, level, parent, full_name in rows(
            "select code, name, level, parent_code, full_name from org_unit"
        )
    }
    child_level = {"district": "street", "street": "community", "community": "grid"}
    for code, (name, level, parent, full_name) in units.items():
        assert code.isdigit()
        if level == "district":
            assert parent is None and full_name == name
            continue
        p_name, p_level, _, p_full = units[parent]
        assert re.fullmatch(re.escape(parent) + r"\d{3}", code), code
        assert child_level[p_level] == level
        assert full_name == f"{p_full}/{name}"
    assert units["330102009001001"][0] == "天仙社区第一网格"
    assert units["330102009001001"][3] == "上城区/闸弄口街道/天仙社区/天仙社区第一网格"


def test_community_codes_stay_put_when_a_community_is_appended(tmp_path):
    before = {u["full_name"]: u["code"] for u in catalog.read_catalog().org_units}
    directory = broken_copy(
        tmp_path,
        "org_units.yaml",
        "      - [龙翔桥社区, 4]\n",
        "      - [龙翔桥社区, 4]\n      - [新增社区, 3]\n",
    )
    after = {u["full_name"]: u["code"] for u in catalog.read_catalog(directory).org_units}
    assert all(after[path] == code for path, code in before.items())
    assert after["上城区/湖滨街道/新增社区"] == "330102001010"
    assert after["上城区/湖滨街道/新增社区/新增社区第三网格"] == "330102001010003"


def test_chinese_numbers():
    got = [catalog.chinese_number(n) for n in (1, 6, 10, 11, 20, 21, 99)]
    assert got == ["一", "六", "十", "十一", "二十", "二十一", "九十九"]


# --- departments and code lists --------------------------------------------------------------


def test_twenty_departments_with_ascii_codes(loaded):
    depts = rows("select code, name from department order by sort_order")
    assert len(depts) == 20
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code, _ in depts)
    names = "".join(name for _, name in depts)
    for short in [
        "城管",
        "民政",
        "消防",
        "住建",
        "卫健",
        "公安",
        "残联",
        "退役军人",
        "人力社保",
        "组织部",
        "应急管理",
        "市场监管",
        "教育",
        "司法",
        "统计",
        "医保",
        "妇联",
        "团",
        "文",
        "政法",
    ]:
        assert short in names, short


def test_ethnic_groups_and_political_status_are_complete(loaded):
    ethnic = catalog.code_items("ethnicity")
    assert [c for c in ethnic if c.isdigit() and int(c) <= 56] == [f"{i:02d}" for i in range(1, 57)]
    assert ethnic["01"] == "汉族" and ethnic["22"] == "畲族" and ethnic["56"] == "基诺族"
    assert ethnic["97"] == "其他" and ethnic["98"] == "外国血统中国籍人士"
    assert len(set(ethnic.values())) == 58
    political = catalog.code_items("political_status")
    assert list(political) == [f"{i:02d}" for i in range(1, 14)]
    assert political["01"] == "中共党员" and political["04"] == "民革党员"
    assert political["11"] == "台盟盟员" and political["12"] == "无党派人士"
    assert political["13"] == "群众"
    assert rows("select standard from code_list where code = 'ethnicity'")[0][0].startswith(
        "GB/T 3304"
    )


def test_code_lists_match_docs_codes_md(loaded):
    doc = (config.ROOT / "docs" / "CODES.md").read_text(encoding="utf-8")
    lists = re.findall(r"^\| `([a-z_]+)`[^|]*\| ([^|]+) \|$", doc, re.MULTILINE)
    assert len(lists) >= 18
    for list_code, text in lists:
        items = catalog.code_items(list_code)
        assert items, list_code
        if (
            list_code == "political_status"
        ):  # "04–12 民主党派 (民革…台盟)" is a range, checked above
            continue
        for code, name in re.findall(r"(?:^|, | … )([0-9A-Z]{1,2}) ([^\s,…(]+)", text):
            assert items.get(code) == name, (list_code, code, name)
        for letter in re.findall(r"\b([A-D])\b", text):
            assert letter in items, (list_code, letter)


# --- field standard --------------------------------------------------------------------------


def test_field_standard_covers_every_ledger_column(loaded):
    fields = catalog.field_defs()
    assert len(fields) >= 60
    assert {f["entity"] for f in fields} == set(ENTITIES)
    columns = rows(
        "select table_name, column_name from information_schema.columns"
        " where table_name in ('resident', 'household', 'house', 'shop')"
    )
    by_column = {(f["entity"], f["column_name"]): f for f in fields if f["column_name"]}
    missing = [c for c in columns if c[1] not in NOT_FIELDS and c not in by_column]
    assert missing == [], f"ledger columns without a field_def: {missing}"
    assert set(by_column) <= set(columns)
    assert len({f["code"] for f in fields}) == len(fields)
    assert any(f["column_name"] is None for f in fields), "some fields live in attrs"


def test_fields_are_well_formed(loaded):
    lists = {code for (code,) in rows("select code from code_list")}
    for f in catalog.field_defs():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f["code"]), f
        assert f["data_type"] in catalog.DATA_TYPES, f
        assert f["validator"] in catalog.VALIDATORS, f
        assert f["sensitivity"] in catalog.SENSITIVITIES, f
        if f["data_type"] == "code":
            assert f["code_list"] in lists, f
            assert len(catalog.code_items(f["code_list"])) >= 2, f
        else:
            assert f["code_list"] is None, f
        if f["data_type"] in ("id_number", "uscc"):
            assert f["validator"] == f["data_type"], f
        if f["data_type"] == "date" and f["column_name"]:
            assert f["validator"] == "date", f


def test_sensitive_fields_and_synonyms(loaded):
    fields = {f["code"]: f for f in catalog.field_defs()}
    for f in fields.values():
        if f["data_type"] in ("id_number", "phone"):
            assert f["sensitivity"] == "sensitive", f["code"]
    for code in ("resident_health_status", "resident_religion", "house_owner_id_number"):
        assert fields[code]["sensitivity"] == "sensitive"
    assert fields["resident_name"]["sensitivity"] == "internal"
    assert fields["resident_current_address"]["sensitivity"] == "internal"
    expected = {
        "resident_id_number": {"身份证号码", "公民身份号码", "证件号码", "身份证"},
        "resident_phone": {"手机号", "手机号码", "联系方式"},
        "resident_name": {"名字", "居民姓名"},
        "resident_hukou_address": {"户籍地", "户口所在地"},
        "resident_current_address": {"居住地址", "实际居住地址"},
        "shop_uscc": {"信用代码", "营业执照号"},
        "resident_relation_to_head": {"与户主关系名称"},
    }
    for code, synonyms in expected.items():
        assert synonyms <= set(fields[code]["synonyms"]), code
    assert fields["resident_id_number"]["name"] == "身份证号"
    # Within one entity a header means one field, so uploads map unambiguously.
    for entity in ENTITIES:
        headers: dict[str, str] = {}
        for f in catalog.field_defs(entity):
            for header in [f["name"], *f["synonyms"]]:
                assert headers.setdefault(header, f["code"]) == f["code"], (entity, header)


# --- tags ------------------------------------------------------------------------------------


def test_tag_taxonomy_size_and_named_codes(loaded):
    tree = catalog.tag_tree()
    assert len(tree) >= 40
    assert len({t["category"] for t in tree}) >= 8
    tags = {t["code"]: t for t in tree}
    named = {  # docs/CODES.md
        "newborn": ("计划生育", "rule"),
        "second_child": ("计划生育", "rule"),
        "multi_child": ("计划生育", "rule"),
        "elderly_80": ("特殊人群", "rule"),
        "living_alone": ("特殊人群", "rule"),
        "disabled": ("特殊人群", "import"),
        "dibao": ("特殊人群", "import"),
        "tekun": ("特殊人群", "import"),
        "veteran": ("退役军人", "import"),
        "floating": ("流动人口", "rule"),
        "rented": ("房屋", "rule"),
        "self_occupied": ("房屋", "rule"),
        "vacant": ("房屋", "rule"),
        "group_rented": ("房屋", "rule"),
        "catering": ("商铺", "rule"),
        "nine_small": ("商铺", "rule"),
    }
    for code, (category_name, kind) in named.items():
        assert (tags[code]["category_name"], tags[code]["kind"]) == (category_name, kind), code
    for code in ("rented", "self_occupied", "vacant", "group_rented"):
        assert tags[code]["entity"] == "house"
        assert tags[code]["rule"]["conditions"][0]["field"] == "occupancy"
    for code in ("empty_hukou",):
        assert tags[code]["entity"] == "household"
    for code in ("community_correction", "mental_disorder", "drug_user"):
        assert (tags[code]["kind"], tags[code]["sensitivity"]) == ("manual", "sensitive")
    assert {"small_catering", "small_store", "small_beauty"} <= {
        c for c, t in tags.items() if t["parent"] == "nine_small"
    }


def test_newborn_second_and_multi_child_hierarchy(loaded):
    tags = {t["code"]: t for t in catalog.tag_tree()}
    assert tags["newborn"]["parent"] is None and tags["newborn"]["depth"] == 0
    for code, order in (
        ("second_child", {"op": "=", "value": 2}),
        ("multi_child", {"op": ">=", "value": 3}),
    ):
        tag = tags[code]
        assert tag["parent"] == "newborn" and tag["depth"] == 1
        assert tag["parent_id"] == tags["newborn"]["id"]
        conditions = tag["rule"]["conditions"]
        assert {"field": "birth_order", **order} in conditions
        assert {"field": "age_months", "op": "<", "value": 12} in conditions
    assert tags["elderly_80"]["rule"] == {
        "match": "all",
        "conditions": [{"field": "age", "op": ">=", "value": 80}],
    }
    # Tree order: a parent comes before its children.
    position = {t["code"]: i for i, t in enumerate(catalog.tag_tree())}
    for t in tags.values():
        if t["parent"]:
            assert position[t["parent"]] < position[t["code"]]


def test_every_rule_tag_has_a_valid_rule(loaded):
    columns: dict[str, set[str]] = {}
    for entity, column in rows(
        "select table_name, column_name from information_schema.columns"
        " where table_name in ('resident', 'household', 'house', 'shop')"
    ):
        columns.setdefault(entity, set()).add(column)
    for t in catalog.tag_tree():
        assert t["kind"] in catalog.TAG_KINDS
        if t["kind"] != "rule":
            assert t["rule"] is None, t["code"]
            continue
        rule = t["rule"]
        assert rule["match"] in ("all", "any") and rule["conditions"], t["code"]
        for cond in rule["conditions"]:
            assert cond["op"] in catalog.RULE_OPS, t["code"]
            assert (
                cond["field"] in columns[t["entity"]]
                or cond["field"] in catalog.DERIVED_FIELDS[t["entity"]]
            ), t["code"]
        catalog.check_rule(rule, t["entity"], columns[t["entity"]])


def test_check_rule_rejects_bad_rules():
    cols = {"sex", "birth_order"}
    good = {"match": "all", "conditions": [{"field": "age", "op": ">=", "value": 80}]}
    catalog.check_rule(good, "resident", cols)
    bad = [
        {"match": "most", "conditions": good["conditions"]},
        {"match": "all", "conditions": []},
        {"match": "all", "conditions": [{"field": "age", "op": "~", "value": 1}]},
        {"match": "all", "conditions": [{"field": "salary", "op": "=", "value": 1}]},
        {"match": "all", "conditions": [{"field": "age", "op": "between", "value": [9, 1]}]},
        {"match": "all", "conditions": [{"field": "age", "op": "in", "value": 3}]},
        {"match": "all", "conditions": [{"field": "sex", "op": "is_null", "value": "1"}]},
        {"match": "all", "conditions": [{"field": "sex", "op": "=", "value": "3"}]},
        {"match": "all", "conditions": [{"field": "member_count", "op": "=", "value": 1}]},
    ]
    for rule in bad:
        with pytest.raises(ValueError):
            catalog.check_rule(rule, "resident", cols, {"sex": {"1", "2"}})


# --- loading ---------------------------------------------------------------------------------


def test_counts_match_tables_and_loading_twice_is_idempotent(loaded):
    counts = loaded
    for table in TABLES:
        assert rows(f"select count(*) from {table}")[0][0] == counts[table], table
    first = snapshot()
    with db.transaction() as cur:
        again = catalog.load_catalog(cur)
    assert again == counts
    assert snapshot() == first


def test_tag_ids_are_kept_by_code_when_the_file_changes(loaded, tmp_path):
    before = dict(rows("select code, id from tag"))
    directory = broken_copy(
        tmp_path,
        "tags.yaml",
        "\ntags:\n",
        "\ntags:\n  - {code: brand_new, name: 新标签, category: health, parent: null,"
        " entity: resident, kind: manual, sensitivity: internal}\n",
    )
    with db.transaction() as cur:
        catalog.load_catalog(cur, directory)
    after = dict(rows("select code, id from tag"))
    assert all(after[code] == tag_id for code, tag_id in before.items())
    assert after["brand_new"] == max(before.values()) + 1
    parents = dict(rows("select c.code, p.code from tag c join tag p on p.id = c.parent_id"))
    assert parents["second_child"] == "newborn"


def test_read_helpers(loaded):
    assert catalog.org_name("330102009001") == "天仙社区"
    assert catalog.org_path("330102009") == "上城区/闸弄口街道"
    assert catalog.org_name("999") is None and catalog.org_path("999") is None
    subtree = catalog.org_units_under("330102009")
    assert subtree[0]["code"] == "330102009"
    assert all(u["code"].startswith("330102009") for u in subtree)
    grids = catalog.org_units_under("330102", level="grid")
    assert grids and all(u["level"] == "grid" and len(u["code"]) == 15 for u in grids)
    assert [u["name"] for u in catalog.org_children("330102")] == STREETS
    shop_fields = catalog.field_defs("shop")
    assert shop_fields[0]["code"] == "shop_name"
    assert [f["sort_order"] for f in shop_fields] == sorted(f["sort_order"] for f in shop_fields)
    assert catalog.code_items("sex") == {"1": "男", "2": "女"}
    assert catalog.code_items("no_such_list") == {}
    with pytest.raises(ValueError):
        catalog.field_defs("car")
    tree = catalog.tag_tree()
    assert {"category", "category_name", "parent", "kind", "depth", "rule"} <= set(tree[0])
    stored = rows("select rule from tag where code = 'floating'")[0][0]
    assert json.loads(stored) == {
        "match": "all",
        "conditions": [{"field": "residence_type", "op": "=", "value": "2"}],
    }


BROKEN = [
    # (file, old text or None to append, new text, words the error must contain)
    (
        "tags.yaml",
        None,
        "  - {code: newborn, name: 重复, category: health, parent: null, entity: resident,"
        " kind: manual, sensitivity: internal}\n",
        ["tags.yaml", "newborn", "duplicate"],
    ),
    (
        "fields.yaml",
        None,
        "  - {code: resident_name, name: 重复, column_name: null, data_type: text}\n",
        ["fields.yaml", "resident_name", "duplicate"],
    ),
    (
        "departments.yaml",
        None,
        "  - {code: minzheng, name: 另一个民政}\n",
        ["departments.yaml", "minzheng", "duplicate"],
    ),
    (
        "org_units.yaml",
        'code: "330102002"',
        'code: "330102001"',
        ["org_units.yaml", "330102001", "duplicate"],
    ),
    (
        "org_units.yaml",
        "[岳王路社区, 3]",
        "[东坡路社区, 3]",
        ["org_units.yaml", "东坡路社区", "duplicate"],
    ),
    ("tags.yaml", "parent: newborn", "parent: no_such_tag", ["tags.yaml", "no_such_tag"]),
    ("tags.yaml", "category: health", "category: wellness", ["tags.yaml", "wellness"]),
    ("tags.yaml", "    kind: manual\n", "    kind: handmade\n", ["tags.yaml", "handmade"]),
    ("tags.yaml", "sensitivity: sensitive", "sensitivity: secret", ["tags.yaml", "secret"]),
    ("tags.yaml", 'op: ">=", value: 80', 'op: "=>", value: 80', ["tags.yaml", "elderly_80", "=>"]),
    ("tags.yaml", 'value: "4"}]}', 'value: "9"}]}', ["tags.yaml", "9"]),
    ("fields.yaml", "code_list: sex", "code_list: gender", ["fields.yaml", "gender"]),
    ("fields.yaml", "column_name: religion", "column_name: faith", ["fields.yaml", "faith"]),
    ("fields.yaml", "sensitivity: sensitive", "sensitivity: secret", ["fields.yaml", "secret"]),
    ("code_lists.yaml", '"01": 汉族', "01: 汉族", ["code_lists.yaml", "ethnicity", "quoted"]),
    ("code_lists.yaml", '"02": 蒙古族', '"01": 蒙古族', ["code_lists.yaml", "duplicate", "01"]),
]


@pytest.mark.parametrize(("file", "old", "new", "words"), BROKEN)
def test_broken_catalogue_is_refused_and_nothing_is_written(
    fresh_db, tmp_path, file, old, new, words
):
    directory = broken_copy(tmp_path, file, old, new)
    with pytest.raises(catalog.CatalogError) as err, db.transaction() as cur:
        catalog.load_catalog(cur, directory)
    for word in words:
        assert word in str(err.value), (word, str(err.value))
    assert rows("select count(*) from org_unit")[0][0] == 0


def test_loader_reads_config_catalog_dir(fresh_db, tmp_path, monkeypatch):
    directory = broken_copy(tmp_path, "tags.yaml", "code: tekun", "code: dibao")
    monkeypatch.setattr(config, "CATALOG_DIR", directory)
    expected = r"tags\.yaml: tag 'dibao': duplicate code"
    with pytest.raises(catalog.CatalogError, match=expected), db.transaction() as cur:
        catalog.load_catalog(cur)
