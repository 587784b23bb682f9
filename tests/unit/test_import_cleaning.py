"""Every cleaning rule of 数据回流 (SQL in DuckDB) against an independent oracle: the field
standard's own Python validators (validate.py), python-stdnum, openpyxl's Excel date arithmetic
and the code lists read straight from the YAML files."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import from_excel
from stdnum.cn import uscc as stdnum_uscc

from yibiaotong import bootstrap, config, db, validate
from yibiaotong.importing import cleaning, reader

TODAY = date.today()  # the standard's validators compare with today too
SETTINGS = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory):
    import os

    path = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    previous = os.environ.get("YIBIAOTONG_DB")
    os.environ["YIBIAOTONG_DB"] = str(path)
    db.close_all()
    bootstrap.initialise(residents=0)
    yield path
    db.close_all()
    if previous is None:
        os.environ.pop("YIBIAOTONG_DB", None)
    else:
        os.environ["YIBIAOTONG_DB"] = previous


def clean(values, kind, code_list=None, max_length=None):
    """Run values through the SQL cleaner as one column: [(value, problem, rules)] per value."""
    batch = uuid.uuid4().hex[:12]
    spec = cleaning.Spec(0, "列", "f", kind, code_list, max_length)
    with db.cursor() as cur:
        cleaning.load_rows(cur, batch, [(i + 2, [v, str(i)]) for i, v in enumerate(values)])
        cleaning.clean(cur, batch, [spec], TODAY)
        cleaned = {
            raw: (value, problem, rules)
            for raw, value, problem, rules in cur.execute(
                "select raw, value, problem, rules from import_clean where batch_id = ?", [batch]
            ).fetchall()
        }
    # Each distinct value is cleaned once; every cell reads its value's result.
    return [cleaned.get(v, (None, None, [])) for v in values]


def oracle(check, value):
    """(normalised value, refused?) by the field standard's own validator."""
    try:
        return check(value), False
    except validate.ValidationError:
        return None, True


# ---------------------------------------------------------------- 身份证号


def with_check(body17: str) -> str:
    return body17 + validate.stdnum_ric.calc_check_digit(body17 + "0")


id_bodies = st.text(alphabet="0123456789", min_size=17, max_size=17)
id_like = st.one_of(
    id_bodies.map(with_check),
    st.builds(lambda b, c: b + c, id_bodies, st.sampled_from("0123456789X")),
    st.builds(
        lambda y, m, d, s: f"330102{y % 100:02d}{m:02d}{d:02d}{s:03d}",
        st.integers(1900, 1999),
        st.integers(1, 13),
        st.integers(1, 32),
        st.integers(0, 999),
    ),  # 15-digit legacy numbers, some with impossible dates
    st.builds(
        lambda y, m, d, s: with_check(f"330102{y:04d}{m:02d}{d:02d}{s:03d}"),
        st.integers(1880, 2030),
        st.integers(1, 12),
        st.integers(1, 31),
        st.integers(0, 999),
    ),
)


@SETTINGS
@given(st.lists(id_like, min_size=40, max_size=150))
def test_id_numbers_are_cleaned_exactly_as_the_standard_validates_them(clean_db, numbers):
    got = clean(numbers, "id_number")
    for raw, (value, problem, rules) in zip(numbers, got, strict=True):
        expected, refused = oracle(lambda v: validate.id_number(v), raw)
        if refused:
            assert problem is not None and value is None, raw
        else:
            assert problem is None and value == expected, raw
            assert ("id15" in rules) == (len(raw) == 15), raw


def test_id_numbers_stored_as_numbers_are_refused_never_guessed(clean_db):
    valid = "11010519491231002X"
    got = clean(
        [
            reader.NUMBER_MARK + "110105194912310000",  # a number cell: digits already lost
            "1.10105E+17",  # Excel's scientific display saved to CSV
            "110105194912310020.0",
            " ＩＤ",
            "１１０１０５１９４９１２３１００２Ｘ",  # full width
            "  " + valid.lower() + "  ",
        ],
        "id_number",
    )
    for value, problem, _ in got[:3]:
        assert value is None and "丢失位数" in problem
    assert got[3][1] is not None
    assert got[4][0] == valid and "fullwidth" in got[4][2]
    assert got[5][0] == valid and "trim" in got[5][2]


def test_id_county_codes_that_changed_are_accepted(clean_db):
    # 330104 (江干区) was merged into 上城区 in 2021: real numbers keep it.
    old_county = "33010419800101001"
    number = old_county + validate.stdnum_ric.calc_check_digit(old_county + "0")
    assert clean([number], "id_number")[0][:2] == (number, None)


# ---------------------------------------------------------------- dates

date_text = st.one_of(
    st.builds(
        lambda y, m, d, form: form.format(y=y, m=m, d=d),
        st.integers(1790, 2110),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(
            [
                "{y}年{m}月{d}日",
                "{y}年{m}月{d}号",
                "{y}-{m}-{d}",
                "{y}/{m}/{d}",
                "{y}.{m}.{d}",
                "{y}/{m}-{d}",
                "{y}{m:02d}{d:02d}",
                "{y}-{m:02d}-{d:02d} 08:30:00",
                " {y} 年 {m} 月 {d} 日 ",
                "{y}年{m}月",
            ]
        ),
    ),
    st.text(alphabet="0123456789-/.年月日 ", min_size=1, max_size=12),
)


@SETTINGS
@given(st.lists(date_text, min_size=40, max_size=150))
def test_dates_in_every_written_form_are_normalised_as_the_standard_parses_them(clean_db, texts):
    # Five-digit numbers are Excel serials in a date column (tested below), not typed dates.
    texts = [t for t in texts if not (t.strip().isdigit() and len(t.strip()) == 5)] or ["2023-4-21"]
    got = clean(texts, "date")
    for raw, (value, problem, _) in zip(texts, got, strict=True):
        if not raw.strip():
            assert value is None and problem is None
            continue
        expected, refused = oracle(lambda v: validate.parse_date(v, not_future=False), raw)
        if not refused and expected > TODAY:
            refused = True
        if refused:
            assert problem is not None and value is None, raw
        else:
            assert problem is None and value == expected.isoformat(), raw


def test_excel_serials_and_real_date_cells_become_dates(clean_db):
    serials = [45037, 1, 36526, 20000.75]
    cells = [reader.NUMBER_MARK + str(n) for n in serials] + [
        "45037",
        "2023-04-21",
        "2023-04-21 10:00:00",
    ]
    got = clean(cells, "date")
    expected = [from_excel(n).date().isoformat() for n in serials]
    assert [v for v, _, _ in got[:4]] == expected
    assert got[4][0] == from_excel(45037).date().isoformat() and "serial" in got[4][2]
    assert got[5][0] == "2023-04-21" and "date" not in got[5][2]
    assert got[6][0] == "2023-04-21"


def test_future_dates_are_refused(clean_db):
    tomorrow = TODAY + timedelta(days=1)
    value, problem, _ = clean([tomorrow.isoformat()], "date")[0]
    assert value is None and "晚于今天" in problem


# ---------------------------------------------------------------- phones

phone_text = st.one_of(
    st.builds(
        lambda p, n, fmt: fmt.format(p=p, n=n, a=n[:4], b=n[4:]),
        st.sampled_from(["138", "159", "177", "199", "120", "110"]),
        st.text(alphabet="0123456789", min_size=7, max_size=9),
        st.sampled_from(["{p}{n}", "{p} {a} {b}", "+86 {p}-{a}-{b}", "0086{p}{n}", "86{p}{n}"]),
    ),
    st.builds(
        lambda area, local, fmt: fmt.format(area=area, local=local),
        st.sampled_from(["0571", "010", "021", "0574", "571"]),
        st.text(alphabet="0123456789", min_size=6, max_size=9),
        st.sampled_from(
            [
                "{area}-{local}",
                "({area}){local}",
                "{area} {local}",
                "+86 {area} {local}",
                "{local}",
                "{area}-{local}转12",
                "{area}-{local}-8",
            ]
        ),
    ),
    st.text(alphabet="0123456789-+ ()", min_size=1, max_size=16),
)


@SETTINGS
@given(st.lists(phone_text, min_size=40, max_size=150))
def test_phones_are_normalised_as_the_standard_does(clean_db, texts):
    got = clean(texts, "phone")
    for raw, (value, problem, _) in zip(texts, got, strict=True):
        if not raw.strip():
            continue
        expected, refused = oracle(validate.phone, raw)
        if refused:
            assert problem is not None and value is None, raw
        else:
            assert problem is None and value == expected, raw


def test_phone_number_cells_follow_the_standard(clean_db):
    numbers = [13800138000, 57187654321, 87654321]  # a landline lost its 0 as a number cell
    got = clean([reader.NUMBER_MARK + str(n) for n in numbers], "phone")
    for number, (value, problem, _) in zip(numbers, got, strict=True):
        expected, refused = oracle(validate.phone, number)
        assert (value, problem is not None) == (expected, refused), number
    assert "丢失开头的 0" in got[1][1]


# ---------------------------------------------------------------- code lists, text, numbers


def _yaml(name):
    return yaml.safe_load((config.CATALOG_DIR / name).read_text(encoding="utf-8"))


def test_code_values_map_through_their_synonyms(clean_db):
    items = _yaml("code_lists.yaml")["sex"]["items"]
    extra = _yaml("code_synonyms.yaml")["sex"]
    spelled = {**{c: c for c in items}, **{n: c for c, n in items.items()}, **extra}
    values = [*spelled, "m", " 女 ", "未知", "3"]
    got = clean(values, "code", code_list="sex")
    for raw, (value, problem, rules) in zip(values, got, strict=True):
        expected = spelled.get(raw.strip()) or spelled.get(raw.strip().upper())
        if expected is None:
            assert value is None and "代码表" in problem, raw
        else:
            assert value == expected and problem is None, raw
            assert ("code" in rules) == (expected != raw.strip()), raw


def test_codes_that_lost_their_leading_zero_are_recognised(clean_db):
    got = clean(["1", "01", "汉族", "汉"], "code", code_list="ethnicity")
    assert [v for v, _, _ in got] == ["01", "01", "01", "01"]


text_values = st.one_of(
    # A leading chr(1) / chr(2) is the reader's number / formula mark (a file's own is escaped).
    st.text(min_size=1, max_size=12).filter(lambda t: not t.startswith(("\x01", "\x02"))),
    st.sampled_from(
        ["=1+1", "+86", "@SUM(A1)", "-5", "-", "-=x", "-a", "张三", "a\u202eb", "x\x07"]
    ),
)


@SETTINGS
@given(st.lists(text_values, min_size=40, max_size=150))
def test_text_refuses_formula_like_and_control_characters_as_the_standard(clean_db, texts):
    got = clean(texts, "text", max_length=8)
    for raw, (value, problem, _) in zip(texts, got, strict=True):
        shown = unicodedata.normalize("NFKC", raw)
        half = _halfwidth(raw).strip().strip("\u200b\ufeff").strip()
        if not half:
            continue
        expected, refused = oracle(lambda v: validate.text(v, "列", 8), half)
        assert (problem is not None) == refused, (raw, shown, problem)
        if not refused:
            assert value == expected.replace("\r\n", "\n"), raw


def _halfwidth(text: str) -> str:
    table = {0xFF10 + i: 0x30 + i for i in range(10)}
    table.update({0xFF21 + i: 0x41 + i for i in range(26)})
    table.update({0xFF41 + i: 0x61 + i for i in range(26)})
    table.update({0x3000: 0x20, 0xFF0B: 0x2B, 0xFF0D: 0x2D, 0xFF1D: 0x3D, 0xFF20: 0x40})
    return text.translate(table)


def test_full_width_digits_and_letters_and_spaces_are_counted(clean_db):
    got = clean(["\u3000王　五\u3000", "ＡＢ１２", "张三"], "text", max_length=20)
    assert got[0][0] == "王 五" and "trim" in got[0][2]
    assert got[1][0] == "AB12" and "fullwidth" in got[1][2]
    assert got[2][2] == []


def test_credit_codes_follow_gb_32100(clean_db):
    body = "91330102MA2XXXXX"
    samples = ["91110000600037341L", "91110000600037341X", "9111000060003734", body + "01"]
    got = clean(samples, "uscc")
    for raw, (value, problem, _) in zip(samples, got, strict=True):
        ok = stdnum_uscc.is_valid(raw)
        assert (problem is None) == ok, raw
        if ok:
            assert value == stdnum_uscc.compact(raw)


def test_numbers_and_yes_no(clean_db):
    ints = ["3", "3.0", "3.5", "-1", "abc", reader.NUMBER_MARK + "12", "1000001"]
    got = clean(ints, "int")
    for raw, (value, problem, _) in zip(ints, got, strict=True):
        text = raw.lstrip(reader.NUMBER_MARK)
        try:
            number = Decimal(text)
            expected = (
                int(number) if number == number.to_integral() and 0 <= number <= 10**6 else None
            )
        except InvalidOperation:
            expected = None
        assert (value, problem is None) == (
            (str(expected), True) if expected is not None else (None, False)
        ), raw
    decimals = clean(["85.5", "1e3", "x", "-2"], "decimal")
    assert [v for v, _, _ in decimals] == ["85.50", "1000.00", None, None]
    yes_no = clean(["是", "否", "Y", "0", "也许"], "bool")
    assert [v for v, _, _ in yes_no] == ["true", "false", "true", "false", None]


def test_formula_cells_are_refused(clean_db):
    value, problem, _ = clean([reader.FORMULA_MARK + "2"], "text", max_length=10)[0]
    assert value is None and "公式" in problem


def test_exact_duplicate_rows_collapse_into_the_first(clean_db):
    batch = uuid.uuid4().hex[:12]
    rows = [(2, ["张三", "1"]), (3, ["李四", "2"]), (4, ["张三", "1"]), (5, ["张三", "2"])]
    with db.cursor() as cur:
        cleaning.load_rows(cur, batch, rows)
        cleaning.clean(cur, batch, [cleaning.Spec(0, "姓名", "f", "text", None, 50)], TODAY)
        kept = [
            r
            for (r,) in cur.execute(
                "select row_no from import_raw where batch_id = ? order by row_no", [batch]
            ).fetchall()
        ]
        collapsed = cur.execute(
            "select row_no, reason from import_row where batch_id = ? and action = 'duplicate'",
            [batch],
        ).fetchall()
    assert kept == [2, 3, 5]
    assert collapsed == [(4, "与第 2 行完全相同，已合并为一行")]
