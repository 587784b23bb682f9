"""Masking: IDs keep first 6 and last 2, birth dates their year, phones 3 + 4: never rebuildable."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from yibiaotong.masking import (
    COMPOUND_SURNAMES,
    mask_date,
    mask_frame,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
    mask_value,
)

DIGITS = "0123456789"


@st.composite
def ids(draw):
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    born = draw(st.dates(min_value=date(1890, 1, 1), max_value=date.today()))
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


@given(ids())
def test_id_keeps_exactly_first_6_and_last_2(id18):
    masked = mask_id(id18)
    assert len(masked) == 18
    assert masked[:6] == id18[:6]
    assert masked[-2:] == id18[-2:]
    assert masked[6:16] == "*" * 10


def _rebuilt(masked: str, born: date) -> list[str]:
    """Every 18-digit number that shows as `masked` and carries `born`: the attacker who learnt
    the exact birth date somewhere tries each pair of hidden sequence digits."""
    out = []
    for pair in range(100):
        body = f"{masked[:6]}{born:%Y%m%d}{pair:02d}{masked[16]}"
        if ric.calc_check_digit(body + "0") == masked[17]:
            out.append(body + masked[17])
    return out


@given(ids())
def test_a_masked_id_with_its_exact_birth_date_still_fits_9_numbers(id18):
    born = ric.get_birth_date(id18)
    candidates = _rebuilt(mask_id(id18), born)
    assert id18 in candidates  # the attacker model is right …
    assert len(candidates) >= 9  # … and still cannot tell which one


def test_the_old_6_plus_4_mask_was_rebuilt_from_the_birth_date():
    # Why the policy changed: 330102********1234 beside 出生日期 left no digit to guess.
    body = "33010219700101123"
    id18 = body + ric.calc_check_digit(body + "0")
    old_mask = id18[:6] + "*" * 8 + id18[-4:]
    assert old_mask[:6] + "19700101" + old_mask[14:] == id18
    assert len(_rebuilt(mask_id(id18), date(1970, 1, 1))) >= 9


@given(ids())
def test_legacy_id_hides_its_birth_date(id18):
    id15 = id18[:6] + id18[8:17]
    masked = mask_id(id15)
    assert masked == id15[:6] + "*******" + id15[-2:]
    assert id15[6:12] not in masked[6:]


def test_id_examples():
    assert mask_id("330102197001011234") == "330102**********34"
    assert mask_id("11010519491231002X") == "110105**********2X"
    assert mask_id(None) is None
    assert mask_id("") == ""


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (date(1980, 5, 6), "1980年"),
        (pd.Timestamp("2024-02-29"), "2024年"),
        ("1949-10-01", "1949年"),
        ("不详", "**"),
        (None, None),
    ],
)
def test_birth_dates_show_only_their_year(value, masked):
    assert mask_date(value) == masked


def test_short_document_numbers_are_not_revealed_by_the_6_plus_2_rule():
    assert mask_id("E12345678") == "E1*****78"
    assert mask_id("1234") == "****"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0571-87654321", "0571-****4321"),
        ("010-87654321", "010-****4321"),
        ("87654321", "****4321"),
        ("8765432", "****432"),
        ("0571-87654321转123", "0571-****4321转123"),
        (None, None),
        ("", ""),
    ],
)
def test_phone(phone, masked):
    assert mask_phone(phone) == masked


@given(st.text(DIGITS, min_size=9, max_size=9).map("13".__add__))
def test_mobile_keeps_3_and_4(number):
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳修", "欧阳*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马相如", "司马**"),
        ("诸葛亮", "诸葛*"),
        ("令狐冲", "令狐*"),
        ("欧阳", "欧*"),
        ("王", "*"),
        (None, None),
        ("", ""),
    ],
)
def test_name(name, masked):
    assert mask_name(name) == masked


def test_compound_surnames_include_the_common_ones():
    assert {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
    } <= COMPOUND_SURNAMES
    assert {"长孙", "宇文", "司徒", "夏侯", "令狐"} <= COMPOUND_SURNAMES


@pytest.mark.parametrize(
    ("value", "masked"),
    [("西湖大道1号", "西湖**"), ("ab", "a**"), ("a", "**"), (None, None), ("", "")],
)
def test_text(value, masked):
    assert mask_text(value) == masked


@given(st.text(min_size=3))
def test_text_reveals_at_most_two_characters(value):
    masked = mask_text(value)
    assert masked.endswith("**")
    assert len(masked) <= 4


def test_mask_value_chooses_by_data_type():
    assert mask_value("id_number", "330102197001011234") == "330102**********34"
    assert mask_value("phone", "13812345678") == "138****5678"
    assert mask_value("name", "欧阳修") == "欧阳*"
    assert mask_value("text", "西湖大道1号") == "西湖**"
    assert mask_value(None, "西湖大道1号") == "西湖**"
    assert mask_value("date", date(1970, 1, 1)) == "1970年"
    assert mask_value("id_number", None) is None
    assert mask_value("uscc", "91330102MA2A0B3C7X") == "913301********3C7X"


@pytest.mark.parametrize(("data_type", "value"), [("int", 3), ("decimal", 85000.5), ("code", "3")])
def test_numbers_and_codes_are_hidden_whole(data_type, value):
    assert mask_value(data_type, value) == "**"
    assert mask_value(data_type, None) is None


def _page():
    return pd.DataFrame(
        {
            "id_number": ["330102197001011234", None, "11010519491231002X"],
            "phone": ["13812345678", "0571-87654321", ""],
            "name": ["张三", "欧阳修", "李四"],
            "address": ["西湖大道1号", "解放路2号", None],
            "floor": [1, 2, 3],
        }
    )


FIELD_TYPES = {"id_number": "id_number", "phone": "phone", "name": "name", "address": "text"}


def test_frame_masks_only_sensitive_columns_and_leaves_the_input_alone():
    page = _page()
    original = page.copy()
    masked = mask_frame(page, FIELD_TYPES, {"id_number", "phone", "address", "absent"}, False)
    pd.testing.assert_frame_equal(page, original)
    assert masked is not page
    assert list(masked["id_number"])[::2] == ["330102**********34", "110105**********2X"]
    assert pd.isna(masked["id_number"][1])
    assert list(masked["phone"]) == ["138****5678", "0571-****4321", ""]
    assert list(masked["address"][:2]) == ["西湖**", "解放**"]
    assert list(masked["name"]) == ["张三", "欧阳修", "李四"]
    assert list(masked["floor"]) == [1, 2, 3]


def test_cleared_viewer_gets_an_unmasked_copy():
    page = _page()
    result = mask_frame(page, FIELD_TYPES, {"id_number", "phone"}, True)
    assert result is not page
    pd.testing.assert_frame_equal(result, page)


def test_frame_masks_by_type_even_without_a_known_type():
    masked = mask_frame(_page(), {}, {"name"}, False)
    assert list(masked["name"]) == ["张**", "欧阳**", "李**"]
