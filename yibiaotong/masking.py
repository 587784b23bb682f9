"""Masking of sensitive field values for roles without clearance.

The policy, decided once here and in the field standard (`sensitivity: sensitive`):

- An ID number keeps its region (first 6) and its last 2 characters: the sex digit and the
  GB 11643 check digit. The 8 birth-date digits and the first two sequence digits stay hidden,
  so even a viewer who learns the exact birth date from elsewhere is left with at least 9
  numbers that fit the check digit (9 or 10 of the 100 pairs of hidden sequence digits).
  With 6 + 4 kept, a known birth date rebuilt the whole number.
- A birth date (出生日期, 出生年月) shows only its year, so the hidden date is one of ~365.
  Ages stay exact: rosters by age need them, and the ID mask does not rely on the date.
- A phone keeps its first 3 and last 4 digits (138****5678), landlines their area code and
  last 3–4 digits: 10,000 candidates, and nothing else shown carries a check on them.
- Other sensitive values keep little (a surname, two characters) or nothing (numbers, codes).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "mask_code",
    "mask_date",
    "mask_frame",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_text",
    "mask_value",
]

_COMPOUND_SURNAMES_TEXT = (
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 "
    "太史 端木 独孤 南宫 万俟 闻人 公羊 赫连 澹台 宗政 濮阳 公冶 太叔 申屠 仲孙 "
    "钟离 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良 漆雕 乐正 宰父 "
    "谷梁 拓跋 夹谷 轩辕 段干 百里 呼延 东郭 南门 羊舌 微生 梁丘 左丘 西门 第五 "
    "东里 即墨 达奚 褚师 范姜 张简"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split())

_LANDLINE = re.compile(r"(0\d{2,3}-)?(\d{7,8})(转\d+)?")


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    if isinstance(v, float):
        return math.isnan(v)
    try:
        return bool(v != v)  # NaT
    except TypeError:  # pandas.NA refuses bool()
        return True


def _keep(s: str, head: int, tail: int) -> str:
    """Keep head and tail characters, one * for each hidden one."""
    return s[:head] + "*" * (len(s) - head - tail) + (s[len(s) - tail :] if tail else "")


def mask_id(v: Any) -> Any:
    """330102**********1X: region and the last 2 (sex digit, check digit) kept; see above."""
    if _blank(v):
        return v
    s = str(v).strip()
    if len(s) >= 15:
        return _keep(s, 6, 2)
    # Passports and permits are short; 6 + 2 would reveal nearly all of them.
    if len(s) > 4:
        return _keep(s, 2, 2)
    return "*" * len(s)


def mask_code(v: Any) -> Any:
    """A credit code (no birth date inside): first 6 and last 4 kept."""
    if _blank(v):
        return v
    s = str(v).strip()
    return _keep(s, 6, 4) if len(s) > 10 else mask_text(s)


def mask_date(v: Any) -> Any:
    """1980年: a birth date shows only its year (a date, a timestamp or ISO text)."""
    if _blank(v):
        return v
    year = getattr(v, "year", None)
    if year is None:
        match = re.match(r"\s*(\d{4})", str(v))
        if match is None:
            return "**"
        year = match.group(1)
    return f"{year}年"


def mask_phone(v: Any) -> Any:
    """138****5678 for a mobile; a landline keeps its area code and last digits."""
    if _blank(v):
        return v
    s = str(v).strip()
    if len(s) == 11 and s.isdigit() and s.startswith("1"):
        return _keep(s, 3, 4)
    m = _LANDLINE.fullmatch(s)
    if m:
        area, local, ext = m.groups()
        return (area or "") + _keep(local, 0, 4 if len(local) >= 8 else 3) + (ext or "")
    if len(s) >= 9:
        return _keep(s, 3, 4)
    return mask_text(s)


def mask_name(v: Any) -> Any:
    """张* / 欧阳**: the surname stays, every other character becomes *."""
    if _blank(v):
        return v
    s = str(v).strip()
    if len(s) <= 1:
        return "*"
    head = 2 if len(s) > 2 and s[:2] in COMPOUND_SURNAMES else 1
    return _keep(s, head, 0)


def mask_text(v: Any) -> Any:
    """First 2 characters and a fixed ** (the length stays hidden too)."""
    if _blank(v):
        return v
    s = str(v).strip()
    if len(s) <= 1:
        return "**"
    return s[: 2 if len(s) > 2 else 1] + "**"


_BY_TYPE = {
    "id_number": mask_id,
    "phone": mask_phone,
    "mobile": mask_phone,
    "uscc": mask_code,
    "date": mask_date,
    "name": mask_name,
    "person_name": mask_name,
}


# A leading digit of an income or the value of a 健康状况 code already tells too much.
_HIDDEN_TYPES = frozenset({"int", "decimal", "bool", "code"})


def mask_value(data_type: str | None, v: Any) -> Any:
    """Mask one value by its field data_type (id_number, phone, date, name, numbers, codes, text)."""
    if data_type in _HIDDEN_TYPES:
        return v if _blank(v) else "**"
    return _BY_TYPE.get(data_type or "", mask_text)(v)


def mask_frame(
    df: pd.DataFrame,
    field_types: dict[str, str],
    sensitive_cols: set[str],
    cleared: bool,
) -> pd.DataFrame:
    """A copy of one page of rows, sensitive columns masked unless the viewer is cleared."""
    out = df.copy()
    if cleared:
        return out
    for col in sensitive_cols:
        if col in out.columns:
            data_type = field_types.get(col)
            out[col] = out[col].astype(object).map(lambda v, t=data_type: mask_value(t, v))
    return out
