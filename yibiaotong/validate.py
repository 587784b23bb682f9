"""Validators for the field standard: ID number (GB 11643), USCC (GB 32100), phone, dates, text."""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

__all__ = [
    "VALIDATORS",
    "ValidationError",
    "check_id_matches",
    "id_facts",
    "id_number",
    "mobile",
    "parse_date",
    "phone",
    "text",
    "uscc",
]


class ValidationError(ValueError):
    """A value a person typed or imported is wrong; str() is the Chinese message to show."""

    def __init__(self, label: str, detail: str) -> None:
        self.label = label
        self.detail = detail
        super().__init__(f"{label}：{detail}")

    @property
    def message(self) -> str:
        return str(self)


# GB/T 2260 province-level codes, plus 81/82/83 on 港澳台居民居住证 numbers.
PROVINCE_CODES = frozenset(
    str(n)
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    )
)
EARLIEST_BIRTH_YEAR = 1890
# Plausible range for any date typed into a form; catches 0223 for 2023 and similar slips.
DATE_YEAR_RANGE = (1800, 2100)

_SEX_NAMES = {"1": "男", "2": "女"}
_SEX_CODES = {"1": "1", "2": "2", "男": "1", "女": "2"}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_NUMBER_LOST_DIGITS = (
    "按数字格式保存会丢失位数（Excel 只保留15位有效数字），请改为文本格式后重新录入"
)
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE | re.ASCII)
_FLOAT_TEXT = re.compile(r"\d+\.\d+", re.ASCII)
_ID15 = re.compile(r"[0-9]{15}")
_ID18 = re.compile(r"[0-9]{17}[0-9X]")


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # NaT
    except (TypeError, ArithmeticError):  # pandas.NA refuses bool(), Decimal sNaN comparison
        return True


def _require(value: Any, label: str) -> None:
    if _is_blank(value):
        raise ValidationError(label, "不能为空")


def _is_number(value: Any) -> bool:
    """int, float, Decimal and numpy scalars (pandas hands those over), never bool."""
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool)


def _compact(value: str) -> str:
    """Full-width to ASCII, drop whitespace, invisible characters and Excel's leading '."""
    value = unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
    return "".join(value.split()).lstrip("'")


def _integral_text(value: Any) -> str | None:
    """Digits of an int or integral float, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    return None


# --- resident ID number (GB 11643) -------------------------------------------


def id_number(value: Any, label: str = "身份证号") -> str:
    """Normalise a resident ID number to 18 characters, upgrading a 15-digit legacy number.

    Checks the check digit, the birth date and the 2-digit province prefix, never the
    6-digit county code: codes are fixed at issuance and counties merge or rename.
    A leading 9 marks the 2023 foreign permanent-residence ID: 9, the issuing province,
    the nationality, then birth date, sequence and check digit where a resident ID has
    them. Its first two digits are therefore no province code, but every other check holds.
    """
    _require(value, label)
    if _is_number(value):
        raise ValidationError(label, _NUMBER_LOST_DIGITS)
    if not isinstance(value, str):
        raise ValidationError(label, "格式不正确，应为18位数字（末位可为 X）")
    number = _compact(value).upper()
    if _SCIENTIFIC.fullmatch(number) or _FLOAT_TEXT.fullmatch(number):
        raise ValidationError(label, _NUMBER_LOST_DIGITS)
    if len(number) == 15:
        if not _ID15.fullmatch(number):
            raise ValidationError(label, "15位旧号码只能由数字组成")
        _check_prefix(number, label, foreign_allowed=False)
        _check_birth_date(number[6:12], "19" + number[6:12], "第7至12位", label)
        body = number[:6] + "19" + number[6:]
        return body + stdnum_ric.calc_check_digit(body + "0")
    if len(number) != 18:
        raise ValidationError(label, f"应为18位（或15位旧号码），实际为{len(number)}位")
    if not _ID18.fullmatch(number):
        raise ValidationError(label, "格式不正确，前17位应为数字，末位为数字或 X")
    _check_prefix(number, label, foreign_allowed=True)
    _check_birth_date(number[6:14], number[6:14], "第7至14位", label)
    expected = stdnum_ric.calc_check_digit(number)
    if number[17] != expected:
        raise ValidationError(label, f"校验位错误（应为 {expected}）")
    return number


def _check_prefix(number: str, label: str, foreign_allowed: bool) -> None:
    if not (foreign_allowed and number[0] == "9") and number[:2] not in PROVINCE_CODES:
        raise ValidationError(label, f"前两位 {number[:2]} 不是有效的省级行政区划代码")


def _check_birth_date(shown: str, yyyymmdd: str, where: str, label: str) -> None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise ValidationError(label, f"{where}出生日期 {shown} 不是有效日期") from None
    if born > date.today():
        raise ValidationError(label, f"{where}出生日期 {born.isoformat()} 晚于今天")
    if born.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(label, f"{where}出生日期早于{EARLIEST_BIRTH_YEAR}年")


def id_facts(id18: Any) -> tuple[date, str]:
    """Birth date and sex code ("1" male, "2" female) carried by an ID number."""
    number = id_number(id18)
    sex = "1" if int(number[16]) % 2 else "2"
    return stdnum_ric.get_birth_date(number), sex


def check_id_matches(
    id18: Any, birth_date: Any = None, sex: Any = None, label: str = "身份证号"
) -> None:
    """Raise if the record's birth date or sex disagrees with the ID number (blanks pass)."""
    born, sex_code = id_facts(id_number(id18, label))
    problems = []
    if not _is_blank(birth_date):
        recorded = parse_date(birth_date, "出生日期")
        if recorded != born:
            problems.append(
                f"出生日期与身份证号不符（身份证号为 {born.isoformat()}，"
                f"记录为 {recorded.isoformat()}）"
            )
    if not _is_blank(sex):
        recorded_sex = _SEX_CODES.get(_integral_text(sex) or str(sex).strip())
        if recorded_sex is None:
            raise ValidationError("性别", f"无法识别“{sex}”，应为 男 或 女")
        if recorded_sex != sex_code:
            problems.append(
                f"性别与身份证号不符（身份证号为 {_SEX_NAMES[sex_code]}，"
                f"记录为 {_SEX_NAMES[recorded_sex]}）"
            )
    if problems:
        raise ValidationError(label, "；".join(problems))


# --- unified social credit code (GB 32100) -----------------------------------


def uscc(value: Any, label: str = "统一社会信用代码") -> str:
    """Normalise a unified social credit code to 18 upper-case characters."""
    _require(value, label)
    if _is_number(value):
        raise ValidationError(label, _NUMBER_LOST_DIGITS)
    if not isinstance(value, str):
        raise ValidationError(label, "格式不正确，应为18位数字或大写字母")
    code = stdnum_uscc.compact(_compact(value))
    try:
        return stdnum_uscc.validate(code)
    except stdnum_errors.InvalidLength:
        raise ValidationError(label, f"应为18位，实际为{len(code)}位") from None
    except stdnum_errors.InvalidFormat:
        raise ValidationError(
            label, "格式不正确：前8位应为数字，其余为数字或大写字母（不含 I、O、Z、S、V）"
        ) from None
    except stdnum_errors.InvalidChecksum:
        expected = stdnum_uscc.calc_check_digit(code)
        raise ValidationError(label, f"校验位错误（应为 {expected}）") from None


# --- phone numbers -----------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(
    r"(?:(0(?:[12]\d|[3-9]\d{2}))-?)?"  # area code: 010 and 02x have 3 digits, the rest 4
    r"([2-9]\d{6,7})"
    r"(?:(?:-|转|分机|ext\.?|x|#)(\d{1,6}))?",
    re.IGNORECASE | re.ASCII,
)


def _phone_text(value: Any, label: str) -> tuple[str, bool]:
    """The typed text without spaces or country code, and whether it came in as a number."""
    _require(value, label)
    digits = _integral_text(value)
    if digits is not None:
        return digits, True
    if not isinstance(value, str):
        raise ValidationError(label, "格式不正确，请按文本格式录入")
    s = _compact(value).replace("(", "").replace(")", "-")
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix) :].lstrip("-")
            if s and s[0] not in "01":
                s = "0" + s  # +86 571 8765 4321 drops the trunk 0
            break
    return s, False


def mobile(value: Any, label: str = "手机号") -> str:
    """Normalise a mainland mobile number to 11 digits (accepts +86, 86, spaces, dashes)."""
    s, _ = _phone_text(value, label)
    s = s.replace("-", "")
    if len(s) == 13 and s.startswith("86"):
        s = s[2:]
    if not (s.isascii() and s.isdigit()):
        raise ValidationError(label, "只能包含数字")
    if len(s) != 11:
        raise ValidationError(label, f"应为11位数字，实际为{len(s)}位")
    if not _MOBILE.fullmatch(s):
        raise ValidationError(label, "不是有效的手机号（应以13至19开头）")
    return s


def phone(value: Any, label: str = "联系电话") -> str:
    """Normalise a mobile (11 digits) or landline ("0571-87654321", "87654321", "…转123")."""
    s, numeric = _phone_text(value, label)
    flat = s.replace("-", "")
    if flat.startswith("1") or (len(flat) == 13 and flat.startswith("861")):
        return mobile(flat, label)
    m = _LANDLINE.fullmatch(s)
    if m is None:
        if numeric:
            raise ValidationError(label, "按数字格式保存会丢失开头的 0，请改为文本格式后重新录入")
        raise ValidationError(label, "格式不正确，应为11位手机号或座机号（如 0571-87654321）")
    area, local, ext = m.groups()
    canonical = f"{area}-{local}" if area else local
    return f"{canonical}转{ext}" if ext else canonical


# --- dates -------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_FORMS = (
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", re.ASCII),
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME, re.ASCII),
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),
)


def parse_date(value: Any, label: str = "日期", not_future: bool = False) -> date:
    """A date from a date object or the forms people type (2023年4月21日, 20230421, 2023/4/21 …)."""
    _require(value, label)
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        result = _date_from_text(value, label)
    if not DATE_YEAR_RANGE[0] <= result.year <= DATE_YEAR_RANGE[1]:
        raise ValidationError(label, f"年份 {result.year} 不在合理范围内")
    if not_future and result > date.today():
        raise ValidationError(label, f"{result.isoformat()} 晚于今天")
    return result


def _date_from_text(value: Any, label: str) -> date:
    digits = _integral_text(value)
    if digits is not None and len(digits) == 8:
        typed = digits
    elif isinstance(value, str):
        typed = unicodedata.normalize("NFKC", value).translate(_INVISIBLE).strip()
        typed = re.sub(r"\s*([年月日号/.\-])\s*", r"\1", typed)
    else:
        raise ValidationError(label, "无法识别，请按 2023-04-21 或 2023年4月21日 填写")
    shown = typed if len(typed) <= 20 else typed[:20] + "…"
    for form in _DATE_FORMS:
        m = form.fullmatch(typed)
        if m:
            parts = [g for g in m.groups() if g not in ("-", "/", ".")]
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                raise ValidationError(label, f"“{shown}”不是有效日期") from None
    raise ValidationError(label, f"无法识别“{shown}”，请按 2023-04-21 或 2023年4月21日 填写")


# --- free text ---------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FORMULA_AFTER_MINUS = re.compile(r"[=+*/^&|!(]")


def text(value: Any, label: str = "文本", max_length: int | None = None) -> str:
    """Stripped text, refused if too long, formula-looking or holding control characters."""
    _require(value, label)
    digits = _integral_text(value)
    if digits is not None:
        value = digits
    elif not isinstance(value, str):
        value = str(value)
    value = value.replace("\r\n", "\n").strip()
    if max_length is not None and len(value) > max_length:
        raise ValidationError(label, f"不能超过{max_length}个字（当前{len(value)}个）")
    if any(
        (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in _BIDI_CONTROLS for c in value
    ):
        raise ValidationError(label, "含有不可见的控制字符，请删除后重新录入")
    # Spreadsheet programs run a cell starting with = + - @ as a formula (CSV injection);
    # a lone "-" or a plain negative number stays allowed.
    first, rest = value[0], value[1:]
    if first in "=+@" or (
        first == "-" and rest and (rest[0] not in "0123456789" or _FORMULA_AFTER_MINUS.search(rest))
    ):
        raise ValidationError(label, "不能以 = + - @ 开头（表格软件会把它当作公式执行）")
    return value


def _no_rule(value: Any, label: str) -> Any:
    """Fields without a validator: text gets the generic text checks, other values pass."""
    _require(value, label)
    return text(value, label) if isinstance(value, str) else value


VALIDATORS: dict[str, Callable[[Any, str], Any]] = {
    "id_number": id_number,
    "uscc": uscc,
    "mobile": mobile,
    "phone": phone,
    "date": parse_date,
    "none": _no_rule,
}
