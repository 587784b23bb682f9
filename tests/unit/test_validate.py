"""Validators: property tests over generated ID numbers, codes and dates, plus known examples."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc

from yibiaotong import validate as v
from yibiaotong.validate import ValidationError

CJK = re.compile(r"[\u4e00-\u9fff]")
TODAY = date.today()
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIGITS = "0123456789"


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def uscc_with_check(body17: str) -> str:
    return body17 + stdnum_uscc.calc_check_digit(body17)


# Province codes, and 9x for the 2023 foreign permanent-residence ID.
FIRST_TWO = st.one_of(
    st.sampled_from(sorted(v.PROVINCE_CODES)), st.sampled_from(DIGITS).map("9".__add__)
)


@st.composite
def valid_ids(draw):
    prefix = draw(FIRST_TWO) + draw(st.text(DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1890, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    return with_check_digit(f"{prefix}{born:%Y%m%d}{seq:03d}")


@st.composite
def valid_usccs(draw):
    head = draw(st.text(DIGITS, min_size=8, max_size=8))
    tail = draw(st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
    return uscc_with_check(head + tail)


def full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def assert_chinese_error(excinfo: pytest.ExceptionInfo, label: str) -> str:
    message = str(excinfo.value)
    assert message.startswith(f"{label}："), message
    assert CJK.search(excinfo.value.detail), message
    assert excinfo.value.label == label
    return message


# --- ID numbers --------------------------------------------------------------


@given(valid_ids())
def test_every_valid_id_is_accepted_and_round_trips(id18):
    assert v.id_number(id18) == id18
    assert v.id_number(id18.lower()) == id18
    assert v.id_number(f" {id18[:6]} {id18[6:14]} {id18[14:]} ") == id18
    assert v.id_number(full_width(id18)) == id18


@given(valid_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_changing_any_single_character_is_rejected(id18, position, replacement):
    assume(replacement != id18[position])
    assume(replacement != "X" or position == 17)
    changed = id18[:position] + replacement + id18[position + 1 :]
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(changed)
    assert_chinese_error(excinfo, "身份证号")


@given(valid_ids())
def test_facts_agree_with_construction(id18):
    born, sex = v.id_facts(id18)
    assert born == date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    assert sex == ("1" if int(id18[16]) % 2 else "2")
    v.check_id_matches(id18, born, sex)
    v.check_id_matches(id18, born.strftime("%Y年%m月%d日"), {"1": "男", "2": "女"}[sex])


def test_hangzhou_shangcheng_id_born_1970_is_accepted():
    # stdnum's region history says 330102 did not exist in 1970: the trap in DESIGN rule 7.
    id18 = with_check_digit("33010219700101123")
    assert not ric.is_valid(id18)
    assert v.id_number(id18) == id18


def test_gb11643_example():
    assert v.id_number("11010519491231002X") == "11010519491231002X"
    assert v.id_number("11010519491231002x") == "11010519491231002X"


def test_legacy_15_digit_numbers_are_upgraded():
    assert v.id_number("110105491231002") == "11010519491231002X"
    assert v.id_number("330102700101123") == "330102197001011235"
    assert v.id_facts("330102700101123") == (date(1970, 1, 1), "1")


@given(valid_ids())
def test_upgrade_agrees_with_18_digit_form(id18):
    assume(id18[6:8] == "19" and id18[0] != "9")
    assert v.id_number(id18[:6] + id18[8:17]) == id18


@pytest.mark.parametrize("first_two", ["81", "82", "83", "71", "91", "93"])
def test_residence_permits_and_foreign_permanent_ids_are_accepted(first_two):
    id18 = with_check_digit(first_two + "000019850612002")
    assert v.id_number(id18) == id18
    assert v.id_facts(id18) == (date(1985, 6, 12), "2")


@pytest.mark.parametrize("first_two", ["00", "10", "16", "20", "30", "47", "55", "60", "72", "84"])
def test_unknown_province_is_rejected(first_two):
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(with_check_digit(first_two + "010219700101123"))
    assert first_two in assert_chinese_error(excinfo, "身份证号")


def test_future_birth_date_is_rejected():
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(with_check_digit(f"330102{tomorrow:%Y%m%d}123"))
    assert "晚于今天" in assert_chinese_error(excinfo, "身份证号")


def test_birth_before_1890_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(with_check_digit("33010218891231123"))
    assert "1890" in assert_chinese_error(excinfo, "身份证号")


@pytest.mark.parametrize("body", ["33010219700230123", "33010219701301123", "33010219700100123"])
def test_impossible_birth_date_is_rejected(body):
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(with_check_digit(body))
    assert "不是有效日期" in assert_chinese_error(excinfo, "身份证号")


def test_wrong_check_digit_names_the_right_one():
    with pytest.raises(ValidationError, match=r"^身份证号：校验位错误（应为 X）$"):
        v.id_number("110105194912310021")


@pytest.mark.parametrize("number", [110105194912310021, 1.1010519491231002e17, "1.10105E+17"])
def test_numeric_id_is_refused(number):
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(number, label="公民身份号码")
    assert "文本" in assert_chinese_error(excinfo, "公民身份号码")


def test_pandas_and_excel_shapes():
    import numpy as np

    with pytest.raises(ValidationError, match="文本"):
        v.id_number(np.int64(110105194912310021))
    assert v.id_number("'11010519491231002X") == "11010519491231002X"
    assert v.id_number("\t11010519491231002X\u200b") == "11010519491231002X"
    assert v.phone(np.int64(13812345678)) == "13812345678"
    assert v.parse_date(np.int64(20230421)) == date(2023, 4, 21)
    v.check_id_matches("11010519491231002X", "1949-12-31", 2.0)


@pytest.mark.parametrize(
    "bad", ["", "  ", None, "1234", "11010519491231002XX", "11010519491231X02X", "A10105491231002"]
)
def test_malformed_ids_are_rejected(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.id_number(bad)
    assert_chinese_error(excinfo, "身份证号")


def test_non_ascii_digits_are_rejected():
    arabic = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in "11010519491231002X")
    with pytest.raises(ValidationError):
        v.id_number(arabic)
    with pytest.raises(ValidationError):
        v.mobile("١٣٨١٢٣٤٥٦٧٨")
    with pytest.raises(ValidationError):
        v.parse_date("٢٠٢٣-٠٤-٢١")


def test_check_id_matches_says_which_fact_disagrees():
    id18 = with_check_digit("33010219700101123")  # male, 1970-01-01
    v.check_id_matches(id18, None, None)
    with pytest.raises(ValidationError) as excinfo:
        v.check_id_matches(id18, date(1970, 1, 2), "1")
    message = assert_chinese_error(excinfo, "身份证号")
    assert "出生日期" in message and "性别" not in message
    with pytest.raises(ValidationError) as excinfo:
        v.check_id_matches(id18, "1970-01-01", "2", label="证件号码")
    message = assert_chinese_error(excinfo, "证件号码")
    assert "性别" in message and "出生日期" not in message
    with pytest.raises(ValidationError, match="出生日期.*；性别"):
        v.check_id_matches(id18, "1971-01-01", "女")


# --- USCC ----------------------------------------------------------------------

KNOWN_USCC = uscc_with_check("91330102MA2A0B3C7")


def test_known_usccs():
    assert v.uscc("91110000600037341L") == "91110000600037341L"
    assert v.uscc(KNOWN_USCC) == KNOWN_USCC
    assert v.uscc(" " + KNOWN_USCC.lower() + " ") == KNOWN_USCC
    assert v.uscc(full_width(KNOWN_USCC)) == KNOWN_USCC
    assert v.uscc(KNOWN_USCC[:8] + "-" + KNOWN_USCC[8:]) == KNOWN_USCC


@given(valid_usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET + "IOZSV"))
def test_uscc_one_character_changes_are_rejected(code, position, replacement):
    assert v.uscc(code) == code
    assume(replacement != code[position])
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError) as excinfo:
        v.uscc(changed, label="信用代码")
    assert_chinese_error(excinfo, "信用代码")


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("9133010", "18位"),
        ("A1330102MA2A0B3C7X", "格式"),
        (KNOWN_USCC[:-1] + ("0" if KNOWN_USCC[-1] != "0" else "1"), f"应为 {KNOWN_USCC[-1]}"),
        (913301020000000000, "文本"),
    ],
)
def test_uscc_messages(bad, fragment):
    with pytest.raises(ValidationError) as excinfo:
        v.uscc(bad)
    assert fragment in assert_chinese_error(excinfo, "统一社会信用代码")


# --- phones --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "0086 13812345678",
        "１３８１２３４５６７８",
        13812345678,
    ],
)
def test_mobile_forms_normalise(typed):
    assert v.mobile(typed) == "13812345678"
    assert v.phone(typed) == "13812345678"


@pytest.mark.parametrize("bad", ["1381234567", "138123456789", "138****5678"])
def test_mobile_wrong_length_or_chars(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.mobile(bad)
    assert_chinese_error(excinfo, "手机号")


def test_mobile_wrong_length_says_11_digits():
    with pytest.raises(ValidationError, match="11位"):
        v.mobile("1381234567")


def test_mobile_bad_prefix():
    with pytest.raises(ValidationError) as excinfo:
        v.mobile("12812345678")
    assert_chinese_error(excinfo, "手机号")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0571-87654321", "0571-87654321"),
        ("057187654321", "0571-87654321"),
        ("0571 8765 4321", "0571-87654321"),
        ("(0571)87654321", "0571-87654321"),
        ("（0571）87654321", "0571-87654321"),
        ("+86 571 8765 4321", "0571-87654321"),
        ("010-87654321", "010-87654321"),
        ("01087654321", "010-87654321"),
        ("87654321", "87654321"),
        ("8765432", "8765432"),
        ("0571-87654321转123", "0571-87654321转123"),
        ("0571-87654321-123", "0571-87654321转123"),
        ("87654321-8001", "87654321转8001"),
    ],
)
def test_landline_forms_normalise(typed, canonical):
    assert v.phone(typed) == canonical


@pytest.mark.parametrize("bad", ["abc", "0571-8765", "571-87654321", "0571-07654321", 57187654321])
def test_bad_phones_are_rejected(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.phone(bad, label="经营者电话")
    assert_chinese_error(excinfo, "经营者电话")


# --- dates -----------------------------------------------------------------------

DATE_FORMS = [
    "{d.year}年{d.month}月{d.day}日",
    "{d.year}年{d.month:02d}月{d.day:02d}日",
    "{d.year}{d.month:02d}{d.day:02d}",
    "{d.year}/{d.month}/{d.day}",
    "{d.year}.{d.month}.{d.day}",
    "{d.year}-{d.month:02d}-{d.day:02d}",
    "{d.year}-{d.month}-{d.day}",
    "{d.year}-{d.month:02d}-{d.day:02d} 00:00:00",
    " {d.year} 年 {d.month} 月 {d.day} 日 ",
]


@given(
    st.dates(min_value=date(1800, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(DATE_FORMS)
)
def test_typed_date_forms_parse_to_the_same_date(day, form):
    typed = form.format(d=day)
    assert v.parse_date(typed) == day
    assert v.parse_date(full_width(typed)) == day


def test_date_objects_pass():
    assert v.parse_date(date(2023, 4, 21)) == date(2023, 4, 21)
    assert v.parse_date(datetime(2023, 4, 21, 15, 30)) == date(2023, 4, 21)
    assert v.parse_date(20230421) == date(2023, 4, 21)


@pytest.mark.parametrize("bad", ["2023-02-30", "2023年13月1日", "20230431", "2023/4/31"])
def test_impossible_dates_are_rejected(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.parse_date(bad, label="登记日期")
    assert "不是有效日期" in assert_chinese_error(excinfo, "登记日期")


@pytest.mark.parametrize(
    "bad", ["garbage", "21/04/2023", "2023-4/21", "2023年4月", "0223-04-21", 3.5]
)
def test_garbage_dates_are_rejected(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.parse_date(bad, label="登记日期")
    assert_chinese_error(excinfo, "登记日期")


def test_not_future():
    tomorrow = TODAY + timedelta(days=1)
    assert v.parse_date(tomorrow) == tomorrow
    assert v.parse_date(TODAY, not_future=True) == TODAY
    with pytest.raises(ValidationError) as excinfo:
        v.parse_date(tomorrow.isoformat(), label="出生日期", not_future=True)
    assert "晚于今天" in assert_chinese_error(excinfo, "出生日期")


# --- text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fine", ["西湖大道1号", "-", "-5", "-3.5", "a-b", "第一行\n第二行", "  留空格  "]
)
def test_text_accepts(fine):
    assert v.text(fine, "备注", 20) == fine.strip()


@pytest.mark.parametrize(
    "bad",
    [
        "=1+1",
        "+cmd",
        "@SUM(A1)",
        "-abc",
        "--1",
        "-1+1",
        "-2+3+cmd|' /C calc'!A0",
        " \t=HYPERLINK()",
    ],
)
def test_text_refuses_formula_looking_values(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.text(bad, "备注", 50)
    assert "公式" in assert_chinese_error(excinfo, "备注")


@pytest.mark.parametrize("bad", ["a\x00b", "bell\x07", "\u202eevil"])
def test_text_refuses_control_characters(bad):
    with pytest.raises(ValidationError) as excinfo:
        v.text(bad, "备注", 50)
    assert_chinese_error(excinfo, "备注")


def test_text_length_limit_names_field_and_limit():
    assert v.text("一二三四五", "小区名称", 5) == "一二三四五"
    with pytest.raises(ValidationError) as excinfo:
        v.text("一二三四五六", "小区名称", 5)
    assert "5" in assert_chinese_error(excinfo, "小区名称")


# --- the registry and messages ---------------------------------------------------


def test_validators_registry():
    assert set(v.VALIDATORS) == {"id_number", "uscc", "mobile", "phone", "date", "none"}
    assert v.VALIDATORS["id_number"]("11010519491231002x", "身份证号") == "11010519491231002X"
    assert v.VALIDATORS["date"]("2023年4月21日", "日期") == date(2023, 4, 21)
    assert v.VALIDATORS["phone"]("057187654321", "联系电话") == "0571-87654321"
    assert v.VALIDATORS["none"](" 文本 ", "备注") == "文本"
    assert v.VALIDATORS["none"](3, "层数") == 3
    with pytest.raises(ValidationError):
        v.VALIDATORS["none"]("=cmd", "备注")


BAD_INPUTS = {
    "id_number": st.one_of(
        st.text(max_size=25), st.integers(), st.floats(), st.none(), st.just("110105194912310021")
    ),
    "uscc": st.one_of(st.text(max_size=25), st.integers(), st.none()),
    "mobile": st.one_of(st.text(max_size=15), st.integers(), st.none()),
    "phone": st.one_of(st.text(max_size=20), st.none()),
    "date": st.one_of(st.text(max_size=15), st.floats(), st.none()),
    "none": st.one_of(st.none(), st.just(""), st.just("=1+1")),
}
LABELS = st.sampled_from(
    ["身份证号", "户主证件号码", "统一社会信用代码", "手机号码", "出生日期", "备注"]
)


@given(st.data())
def test_every_error_is_chinese_and_names_the_label(data):
    name = data.draw(st.sampled_from(sorted(BAD_INPUTS)))
    value = data.draw(BAD_INPUTS[name])
    label = data.draw(LABELS)
    try:
        v.VALIDATORS[name](value, label)
    except ValidationError as exc:
        assert str(exc).startswith(f"{label}：")
        assert CJK.search(exc.detail), str(exc)
    # Any other exception type fails the test: bad input must only ever raise ValidationError.


@pytest.mark.parametrize("name", ["id_number", "uscc", "mobile", "phone", "date"])
@pytest.mark.parametrize(
    "odd",
    [
        float("inf"),
        float("-inf"),
        float("nan"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        True,
        b"13812345678",
        object(),
        [],
        1.5,
    ],
)
def test_odd_values_raise_only_validation_errors(name, odd):
    with pytest.raises(ValidationError) as excinfo:
        v.VALIDATORS[name](odd, "字段")
    assert_chinese_error(excinfo, "字段")


def test_validation_error_is_a_value_error():
    assert issubclass(ValidationError, ValueError)
