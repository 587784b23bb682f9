"""The one header mapper: every rule on independent cases (the corpus is measured elsewhere)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from yibiaotong import catalog, db, mapping
from yibiaotong.scope import AccessDenied, Scope

DISTRICT, STREET, OTHER_STREET = "330102", "330102009", "330102003"
ADMIN = Scope("admin", "district_admin", DISTRICT, True)
CLERK = Scope("clerk_zlk", "dept_staff", STREET)
CLERK_ELSEWHERE = Scope("clerk_kx", "dept_staff", OTHER_STREET)
LEADER = Scope("leader", "street_leader", STREET)
WORKER = Scope("sw", "social_worker", STREET + "001")
DEPT_DISTRICT = Scope("wj", "dept_staff", DISTRICT)


def one(header, entity="resident", **kwargs) -> mapping.HeaderMatch:
    return mapping.map_headers([header], entity, **kwargs)[0]


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# --- synonyms: the field standard is the oracle ------------------------------------------------


def _standard_names():
    cases = []
    for f in catalog.read_catalog().fields:
        if f["data_type"] == "int" and f["code"].endswith("_id"):
            continue
        for name in [f["name"], *f["synonyms"]]:
            cases.append((f["entity"], name, f["code"]))
    return cases


@pytest.mark.parametrize(("entity", "header", "code"), _standard_names())
def test_every_name_and_synonym_of_the_standard_maps_exactly_to_its_field(
    use_fixture_db, entity, header, code
):
    m = one(header, entity)
    assert (m.field, m.status) == (code, "exact"), m.reason
    assert m.usable


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("＊姓　名", "resident_name"),  # full-width star and ideographic space
        ("姓 名（必填）", "resident_name"),
        ("【必填】民族", "resident_ethnicity"),
        ("3.2 婚姻状况", "resident_marital_status"),
        ("（五）政治面貌", "resident_political_status"),
        ("⑦文化程度", "resident_education"),
        ("b12、联系电话", "resident_phone"),
        ("身份证号码\n(18位)", "resident_id_number"),
        ("出生日期(yyyy-mm-dd)", "resident_birth_date"),
        ("出生年月（年/月）", "resident_birth_date"),
        ("家庭年收入（万元）", "household_annual_income"),
        ("户籍地址：", "resident_hukou_address"),
        ("ＩＤ身份证号", None),  # a stray prefix is not tidied away: not an exact name
    ],
)
def test_marks_units_and_item_numbers_are_tidied_before_matching(use_fixture_db, header, code):
    m = one(header)
    if code is None:
        assert m.field is None
    else:
        assert (m.field, m.status) == (code, "exact"), m.reason


@pytest.mark.parametrize(
    ("header", "code"),
    [("建筑面积（㎡）", "house_area_sqm"), ("建筑面积(平方米)", "house_area_sqm")],
)
def test_area_units_are_units(use_fixture_db, header, code):
    assert one(header, "house").field == code


def test_header_paths_and_slash_joined_text_are_the_same_header(use_fixture_db):
    by_path = one(("户籍所在地", "详细地址"))
    by_text = one("户籍所在地/详细地址")
    assert by_path == by_text
    assert by_path.field == "resident_hukou_address" and by_path.header == "户籍所在地/详细地址"
    assert mapping.split_header("补助标准(元/月)") == ("补助标准(元/月)",)


# --- ambiguous headers are asked, weak ones are suggestions -------------------------------------


@pytest.mark.parametrize(
    ("header", "entity", "expected"),
    [
        ("地址", "resident", {"resident_hukou_address", "resident_current_address"}),
        ("住址", "resident", {"resident_current_address"}),
    ],
)
def test_a_header_that_could_mean_several_fields_is_asked(use_fixture_db, header, entity, expected):
    m = one(header, entity)
    assert m.status == "ask" and m.field is None and not m.usable
    assert expected <= {c.field for c in m.candidates}, m.candidates


@pytest.mark.parametrize(
    ("header", "entity"), [("日期", "shop"), ("类型", "house"), ("状况", "resident")]
)
def test_a_bare_head_word_offers_every_field_it_ends(use_fixture_db, header, entity):
    """Oracle: the fields of the catalogue with a name ending in the header."""
    ending = {
        f["code"]
        for f in catalog.read_catalog().fields
        if f["entity"] == entity
        and any(n.endswith(header) and n != header for n in [f["name"], *f["synonyms"]])
    }
    assert len(ending) >= 2
    m = one(header, entity)
    assert m.status == "ask" and m.field is None
    assert ending <= {c.field for c in m.candidates}, m.candidates


@pytest.mark.parametrize(
    ("header", "code"),
    [("最高学历层次", "resident_education"), ("婚姻状况说明", "resident_marital_status")],
)
def test_a_weak_match_is_only_a_suggestion(use_fixture_db, header, code):
    m = one(header)
    assert m.status == "fuzzy" and m.field == code and not m.usable
    assert "请确认" in m.reason


def test_a_header_the_standard_lacks_is_none_and_says_so(use_fixture_db):
    m = one("兴趣爱好")
    assert (m.field, m.status, m.candidates) == (None, "none", ())
    assert "没有对应字段" in m.reason


def test_a_repeated_header_is_asked_the_second_time(use_fixture_db):
    first, second = mapping.map_headers(["联系电话", "手机号码"], "resident")
    assert first.field == "resident_phone" and first.status == "exact"
    assert second.field is None and second.status == "ask" and "联系电话" in second.reason


def test_offered_extras_win_and_unoffered_ones_are_explained(use_fixture_db):
    assert one("网格", extras=["grid"]).field == "grid"
    assert one("网格").field == "resident_grid_code"
    age = one("实足年龄")
    assert age.field is None and "出生日期" in age.reason
    assert one("序号", extras=["seq"]).field == "seq"


# --- look-alikes are never identity fields ------------------------------------------------------


LOOKALIKES = [
    ("残疾人证号", "resident"),
    ("医疗保险卡号", "resident"),
    ("退伍证编号", "resident"),
    ("户口本编号", "resident"),
    ("营业执照号码", "resident"),
    ("银行卡账号", "resident"),
    ("准生证号", "resident"),
    ("护照号码", "resident"),
    ("结婚证字号", "resident"),
    ("身份证有效期", "resident"),
    ("发证日期", "resident"),
    ("入伍日期", "resident"),
    ("领证时间", "resident"),
    ("认定日期", "resident"),
    ("签发机关", "resident"),
    ("所属派出所", "resident"),
    ("单位地址", "resident"),
    ("出生地点", "resident"),
    ("迁出地址", "resident"),
    ("就诊医院地址", "resident"),
    ("工作单位地址", "household"),
    ("收件地址", "shop"),
    ("仓库地址", "shop"),
    ("房东身份证复印件编号", "house"),
    ("身份证号码后六位", "resident"),
    ("身份证号码校验结果", "resident"),
    ("出生日期核实情况", "resident"),
    ("户籍地址邮编", "resident"),
    ("现住址所属派出所", "resident"),
]


@pytest.mark.parametrize(("header", "entity"), LOOKALIKES)
def test_look_alikes_are_never_mapped_to_an_identity_field(use_fixture_db, header, entity):
    m = one(header, entity)
    assert m.field not in mapping.IDENTITY_FIELDS, m
    assert not {c.field for c in m.candidates} & mapping.IDENTITY_FIELDS, m
    assert m.status in ("lookalike", "none", "ask", "fuzzy")


@pytest.mark.parametrize(
    ("header", "says"),
    [("残疾人证号", "身份证号"), ("发证日期", "出生日期"), ("签发机关", "住址")],
)
def test_a_look_alike_says_what_it_is_not(use_fixture_db, header, says):
    m = one(header)
    assert m.status == "lookalike" and says in m.reason


OTHER_THINGS = st.sampled_from(
    [
        "社保",
        "医保",
        "残疾",
        "退役",
        "优待",
        "低保",
        "特困",
        "救助",
        "营业执照",
        "银行",
        "准生",
        "护照",
        "驾驶",
        "学籍",
        "档案",
        "会员",
        "合同",
        "发票",
        "车辆",
        "房产",
        "不动产",
        "登记",
        "发证",
        "签发",
        "入伍",
        "退伍",
        "入党",
        "申请",
        "审批",
        "认定",
        "接种",
        "就诊",
        "单位",
        "学校",
        "医院",
        "派出所",
        "机关",
        "工作",
        "通讯",
        "邮寄",
        "收货",
        "出生",
        "迁出",
        "迁入",
        "原",
        "老",
        "新",
        "临时",
    ]
)
KIND_WORDS = st.sampled_from(
    ["号", "号码", "编号", "证号", "卡号", "日期", "时间", "地址", "地点", "住址", "机关"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(marker=OTHER_THINGS, kind=KIND_WORDS, entity=st.sampled_from(catalog.ENTITIES))
def test_no_other_number_date_or_place_ever_becomes_an_identity_field(
    use_fixture_db, marker, kind, entity
):
    header = marker + kind
    m = one(header, entity)
    assert (
        m.field not in mapping.IDENTITY_FIELDS
        or m.status == "exact"
        and header in {n for f in catalog.field_defs(entity) for n in [f["name"], *f["synonyms"]]}
    ), m


# --- whom a header is about ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "entity", "field", "relation"),
    [
        ("户主身份证件号码", "resident", "resident_id_number", "head"),
        ("户主", "resident", "resident_name", "head"),
        ("与户主的关系", "resident", "resident_relation_to_head", None),
        ("监护人/手机号", "resident", "resident_phone", "guardian"),
        ("联系电话（监护人）", "resident", "resident_phone", "guardian"),
        ("被监护人姓名", "resident", "resident_name", None),
        ("父亲文化程度", "resident", "resident_education", "father"),
        ("母亲身份证号码", "resident", "resident_id_number", "mother"),
        ("丈夫姓名", "resident", "resident_name", "spouse"),
        ("赡养人联系电话", "resident", "resident_phone", "obligor"),
        ("代领人姓名", "resident", "resident_name", "other"),
        ("紧急联系人手机", "resident", "resident_emergency_phone", None),
        ("家庭成员/身份证号", "household", "resident_id_number", "member"),
        ("户主姓名", "household", "resident_name", "head"),
        ("业主姓名", "house", "house_owner_name", None),
        ("房屋所有权人身份证号码", "house", "house_owner_id_number", None),
        ("产权人性别", "house", "resident_sex", "owner"),
        ("承租人姓名", "house", "resident_name", "other"),
        ("法人代表", "shop", "shop_legal_person", None),
        ("法定代表人身份证号码", "shop", "shop_legal_person_id_number", None),
        ("经营者民族", "shop", "resident_ethnicity", "legal_person"),
        ("老人姓名", "resident", "resident_name", None),
        ("申请人身份证号", "resident", "resident_id_number", None),
    ],
)
def test_headers_about_another_person_get_that_person_and_never_the_row_s_own_field(
    use_fixture_db, header, entity, field, relation
):
    m = one(header, entity)
    assert (m.field, m.relation) == (field, relation), m


def test_a_relation_to_someone_else_has_no_field(use_fixture_db):
    m = one(("帮扶责任人", "关系"))
    assert (m.field, m.relation, m.status) == (None, "other", "none")


# --- samples confirm or refuse ------------------------------------------------------------------


IDS = [valid_id("33010219501231001"), valid_id("33010619880716002"), valid_id("41052219930211003")]


def test_samples_that_are_id_numbers_confirm_the_match(use_fixture_db):
    m = one("证件号码", samples=[IDS])
    assert m.field == "resident_id_number" and "样例值符合" in m.reason


def test_samples_that_embed_an_id_number_refuse_it(use_fixture_db):
    disability = [i + "42" for i in IDS]  # 残疾人证号: the ID number and two digits
    m = one("证件号码", samples=[disability])
    assert m.field is None and "残疾人证号" in m.reason
    assert "resident_id_number" not in {c.field for c in m.candidates}


def test_samples_that_are_not_dates_refuse_a_date(use_fixture_db):
    m = one("出生日期", samples={"出生日期": ["二类", "一类", "三类"]})
    assert m.field is None and "不是有效的出生日期" in m.reason
    assert one("出生年月", samples=[["1985.03", "1990年7月", "2001-11"]]).field == (
        "resident_birth_date"
    )


def test_samples_offer_a_field_for_a_bare_header_but_do_not_choose_it(use_fixture_db):
    m = one("号码", samples=[IDS])
    assert m.status == "ask" and m.field is None
    assert "resident_id_number" in {c.field for c in m.candidates}


# --- memory of decisions ------------------------------------------------------------------------


def test_remembered_decisions_win_over_suggestions(writable_db):
    ctx = "source:mz_dibao"
    assert one("住址", context=ctx).status == "ask"
    mapping.remember(ADMIN, ctx, {"住址": "resident_hukou_address", "备注": None})
    m, note = mapping.map_headers(["住址", "备注"], "resident", context=ctx)
    assert (m.field, m.status) == ("resident_hukou_address", "remembered") and m.usable
    assert "admin" in m.reason
    assert (note.field, note.status) == (None, "remembered")
    assert one("住址", context="source:other").status == "ask"  # one context, one memory


def test_a_street_s_decision_holds_in_the_street_only(writable_db):
    ctx = "source:ga_floating"
    mapping.remember(ADMIN, ctx, {"地址": "resident_current_address"})
    mapping.remember(CLERK, ctx, {"地址": "resident_hukou_address"})
    assert one("地址", context=ctx, scope=CLERK).field == "resident_hukou_address"
    assert one("地址", context=ctx, scope=WORKER).field == "resident_hukou_address"
    assert one("地址", context=ctx, scope=CLERK_ELSEWHERE).field == "resident_current_address"
    assert one("地址", context=ctx, scope=ADMIN).field == "resident_current_address"
    assert one("地址", context=ctx).field == "resident_current_address"


@pytest.mark.parametrize(
    ("scope", "context"),
    [
        (WORKER, "source:mz_dibao"),
        (LEADER, "source:mz_dibao"),
        (DEPT_DISTRICT, "source:mz_dibao"),
        (LEADER, "request:17"),
        (WORKER, "request:17"),
    ],
)
def test_remember_checks_the_caller(writable_db, scope, context):
    with pytest.raises(AccessDenied):
        mapping.remember(scope, context, {"姓名": "resident_name"})
    assert db.fetch_dicts("mapping/recall_decisions", context=context, org_code=None) == []


def test_a_look_alike_is_never_remembered_as_an_identity_field_and_nothing_is_half_written(
    writable_db,
):
    ctx = "form:abc123"
    with pytest.raises(mapping.MappingError, match="身份证号"):
        mapping.remember(ADMIN, ctx, {"姓名": "resident_name", "残疾证号": "resident_id_number"})
    with pytest.raises(mapping.MappingError, match="不在字段标准中"):
        mapping.remember(ADMIN, ctx, {"姓名": "no_such_field"})
    with pytest.raises(mapping.MappingError):
        mapping.remember(ADMIN, "form:'; drop table x; --", {"姓名": "resident_name"})
    assert db.fetch_dicts("mapping/recall_decisions", context=ctx, org_code=None) == []
    mapping.remember(CLERK, ctx, {"证件号码": "resident_id_number"})  # a real identity header
    assert one("证件号码", context=ctx, scope=CLERK).status == "remembered"


# --- rules added after run 1 on the corpus's tune forms (checked here on other headers) ---------


@pytest.mark.parametrize("header", ["是否有工作单位", "有无联系电话", "是不是户籍人口"])
def test_yes_no_questions_are_not_the_field_they_mention(use_fixture_db, header):
    m = one(header)
    assert (m.field, m.status) == (None, "none")


def test_a_yes_no_name_of_the_standard_still_maps(use_fixture_db):
    assert one("是否签订门前三包", "shop").field == "shop_three_guarantees"


@pytest.mark.parametrize("header", ["编号", "代码", "名称"])
def test_a_bare_head_word_is_never_suggested_alone(use_fixture_db, header):
    assert one(header).status in ("ask", "none")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("与申请人的关系", None),
        ("和被帮扶人关系", None),
        ("同户主关系", "resident_relation_to_head"),
    ],
)
def test_a_relation_to_someone_else_is_no_field_but_to_the_head_it_is(
    use_fixture_db, header, field
):
    assert one(header).field == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("户口薄地址", "resident_hukou_address"),
        ("户籍门（楼）详址", "resident_hukou_address"),
        ("现住门(楼)详址", "resident_current_address"),
    ],
)
def test_miswritten_and_detailed_addresses_are_addresses(use_fixture_db, header, field):
    assert (one(header).field, one(header).status) == (field, "exact")


def test_staff_named_in_a_header_are_another_person(use_fixture_db):
    m = one("工作人员联系电话")
    assert (m.field, m.relation) == ("resident_phone", "other")
