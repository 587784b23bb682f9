"""Field conditions: the whitelist entry, one table of operators, and their compiler to SQL.

Rule tags, 标签查询 and report templates all filter with `{field, op, value}` conditions. An
operator is one entry of OPERATORS (label, SQL template, value shape and parser, Python twin,
wording); the compiler, the catalogue check, the editors and the explanations all read that
table, so a new operator is one entry. This module sits below tags, tag_query and reports and
imports none of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

RULE_MATCHES = ("all", "any")
MAX_CONDITIONS = 20
MAX_LIST_VALUES = 200
# Derived ages compile to birth-date ranges: exact full years, and cheap to scan.
AGE_LIMITS = {"age": 150, "age_months": 1800}
ORDERED_TYPES = frozenset({"int", "decimal", "date"})


class RuleError(ValueError):
    """A rule or condition the compiler refuses; the message is Chinese and shown as is."""


@dataclass(frozen=True)
class FieldRef:
    """A field a rule or query condition may test: a typed column or a derived value."""

    key: str  # the name rules use: a column name (birth_order) or a derived name (age)
    code: str | None  # the field-standard code (resident_birth_order); None when derived
    label: str
    entity: str
    data_type: str  # text | int | decimal | date | bool | code | id_number | uscc | phone
    code_list: str | None = None
    sensitivity: str = "internal"
    unit: str = ""
    column: str | None = None

    @property
    def sensitive(self) -> bool:
        return self.sensitivity == "sensitive"

    @property
    def kind(self) -> str:
        """What operators see: ordered (numbers, dates), code, bool or text."""
        if self.data_type in ORDERED_TYPES:
            return "ordered"
        if self.data_type in ("code", "bool"):
            return self.data_type
        return "text"


# ---------------------------------------------------------------------------------------------
# The operator table


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"[、,，;；\s]+", text) if p]


@dataclass(frozen=True)
class Shape:
    """How many values an operator takes, how a typed text splits into them, how they read."""

    name: str  # none | one | list | pair
    split: Callable[[str], list[str]]
    joiner: str = "、"


NONE = Shape("none", lambda text: [])
ONE = Shape("one", lambda text: [text] if text else [])
LIST = Shape("list", _split)
PAIR = Shape("pair", _split, "–")


@dataclass(frozen=True)
class Operator:
    """One operator: its label, SQL template, value shape, Python twin and wording.

    `sql` fills {f} (the field's SQL) and {v} (one parameter), {vs} (a parameter list) or
    {lo} / {hi}; `ages` turns the values into an inclusive (min, max) age range for age
    fields (None = open end); `kinds` are the field kinds it applies to; `rule_text` and
    `record_text` word it without and with the record's own value.
    """

    key: str
    label: str
    shape: Shape
    sql: str
    holds: Callable[[Any, Any], bool]
    kinds: frozenset[str]
    rule_text: str
    record_text: str
    ages: Callable[[int, int], tuple[int | None, int | None]] | None = None


_ALL_KINDS = frozenset({"ordered", "code", "bool", "text"})
_ORDERED = frozenset({"ordered"})
_EQUALITY = frozenset({"ordered", "code", "text"})

OPERATORS: tuple[Operator, ...] = (
    Operator(
        "=",
        "等于",
        ONE,
        "{f} = {v}",
        lambda a, t: a == t,
        _ALL_KINDS,
        "{label}为{gap}{wanted}",
        "{label}为{gap}{shown}",
        lambda lo, hi: (lo, lo),
    ),
    Operator(
        "!=",
        "不等于",
        ONE,
        "{f} <> {v}",
        lambda a, t: a != t,
        _EQUALITY,
        "{label}不是{gap}{wanted}",
        "{label}为{gap}{shown}，不是{gap}{wanted}",
    ),
    Operator(
        ">",
        "大于",
        ONE,
        "{f} > {v}",
        lambda a, t: a > t,
        _ORDERED,
        "{label} > {wanted}{unit}",
        "{label} {shown} > {wanted}",
        lambda lo, hi: (lo + 1, None),
    ),
    Operator(
        ">=",
        "大于等于",
        ONE,
        "{f} >= {v}",
        lambda a, t: a >= t,
        _ORDERED,
        "{label} ≥ {wanted}{unit}",
        "{label} {shown} ≥ {wanted}",
        lambda lo, hi: (lo, None),
    ),
    Operator(
        "<",
        "小于",
        ONE,
        "{f} < {v}",
        lambda a, t: a < t,
        _ORDERED,
        "{label} < {wanted}{unit}",
        "{label} {shown} < {wanted}",
        lambda lo, hi: (None, lo - 1),
    ),
    Operator(
        "<=",
        "小于等于",
        ONE,
        "{f} <= {v}",
        lambda a, t: a <= t,
        _ORDERED,
        "{label} ≤ {wanted}{unit}",
        "{label} {shown} ≤ {wanted}",
        lambda lo, hi: (None, lo),
    ),
    Operator(
        "between",
        "介于（含两端）",
        PAIR,
        "{f} between {lo} and {hi}",
        lambda a, t: t[0] <= a <= t[1],
        _ORDERED,
        "{label}在 {wanted}{unit} 之间",
        "{label} {shown}，在 {wanted} 之间",
        lambda lo, hi: (lo, hi),
    ),
    Operator(
        "in",
        "属于其中之一",
        LIST,
        "{f} in ({vs})",
        lambda a, t: a in t,
        frozenset({"code", "text"}),
        "{label}为{gap}{wanted}之一",
        "{label}为{gap}{shown}",
    ),
    Operator(
        "not_in",
        "不属于其中任何一个",
        LIST,
        "{f} not in ({vs})",
        lambda a, t: a not in t,
        frozenset({"code"}),
        "{label}不是{gap}{wanted}",
        "{label}为{gap}{shown}，不是{gap}{wanted}",
    ),
    Operator(
        "is_null",
        "未填写",
        NONE,
        "{f} is null",
        lambda a, t: a is None,
        frozenset({"ordered", "code", "text"}),
        "{label}未填写",
        "{label}未填写",
    ),
    Operator(
        "not_null",
        "已填写",
        NONE,
        "{f} is not null",
        lambda a, t: a is not None,
        frozenset({"ordered", "code", "text"}),
        "{label}已填写",
        "{label}已填写",
    ),
)
OPS: dict[str, Operator] = {op.key: op for op in OPERATORS}
OP_NAMES: dict[str, str] = {op.key: op.label for op in OPERATORS}
BY_LABEL: dict[str, Operator] = {op.label: op for op in OPERATORS}


def operator(op: Any, where: str = "") -> Operator:
    found = OPS.get(op) if isinstance(op, str) else None
    if found is None:
        raise RuleError(f"{where}不支持的运算“{op}”")
    return found


def ops_for(ref: FieldRef) -> list[Operator]:
    """The operators an editor offers for a field (derived values are never blank)."""
    return [op for op in OPERATORS if ref.kind in op.kinds and (ref.column or op.shape is not NONE)]


# ---------------------------------------------------------------------------------------------
# Ages


def shift_back(day: date, years: int = 0, months: int = 0) -> date:
    """`day` moved back by whole years/months, the day clamped to the month (29 Feb → 28 Feb).

    A person born on or before shift_back(as_of, n) is at least n full years old at as_of.
    """
    total = day.year * 12 + day.month - 1 - years * 12 - months
    year, month = divmod(total, 12)
    if year < 1:
        return date.min
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def age_on(born: date | None, day: date) -> int | None:
    """Full years at `day` (the Python twin of the compiled age)."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _age_sql(col: str, as_of: str) -> str:
    """Full years at `as_of`: a birthday not yet reached this year does not count."""
    return (
        f"(year({as_of}) - year({col}) - if(month({col}) * 100 + day({col}) "
        f"> month({as_of}) * 100 + day({as_of}), 1, 0))"
    )


def _age_months_sql(col: str, as_of: str) -> str:
    return (
        f"((year({as_of}) - year({col})) * 12 + month({as_of}) - month({col}) "
        f"- if(day({col}) > day({as_of}), 1, 0))"
    )


# ---------------------------------------------------------------------------------------------
# Compiling structured conditions to parameterised SQL


class Compiler:
    """Turns whitelisted fields, ops and values into one SQL boolean over alias `e`.

    Values become named parameters `$<prefix><n>`; identifiers only ever come from the
    FieldRef whitelist. `household_join` is the alias of a joined household-aggregate relation
    (refresh), or None to use correlated subqueries (query filters: self-contained fragments).
    """

    def __init__(
        self,
        entity: str,
        refs: Mapping[str, FieldRef],
        code_values: Mapping[str, Mapping[str, str]],
        prefix: str = "p",
        as_of: date | None = None,
        household_join: str | None = None,
    ) -> None:
        self.entity = entity
        self.refs = refs
        self.code_values = code_values
        self.prefix = prefix
        self.params: dict[str, Any] = {}
        self.household_join = household_join
        self.uses_household = False
        self.as_of_value = as_of or date.today()
        self._as_of: str | None = None

    def param(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.params) + 1}"
        self.params[name] = value
        return f"${name}"

    @property
    def as_of(self) -> str:
        if self._as_of is None:
            self._as_of = self.param(self.as_of_value) + "::date"
        return self._as_of

    def field(self, key: Any, where: str = "") -> FieldRef:
        ref = self.refs.get(key) if isinstance(key, str) else None
        if ref is None:
            raise RuleError(f"{where}未知字段“{key}”，只能使用字段标准中的字段")
        return ref

    def field_sql(self, ref: FieldRef) -> str:
        if ref.column:
            return f"e.{ref.column}"
        if ref.key in AGE_LIMITS:
            fn = _age_sql if ref.key == "age" else _age_months_sql
            return fn("e.birth_date", self.as_of)
        aggregate = ref.key.removeprefix("household.")
        household = "e.household_id" if self.entity == "resident" else "e.id"
        if self.household_join:
            self.uses_household = True
            return f"coalesce({self.household_join}.{aggregate}, 0)"
        if aggregate == "member_count":
            filter_sql = ""
        else:
            filter_sql = f" and m.birth_date > {self.bound('age', 18)}"
        return (
            f"(select count(*) from resident as m where m.household_id = {household}"
            f" and m.status = 'active'{filter_sql})"
        )

    def value(self, ref: FieldRef, value: Any, where: str) -> Any:
        """One comparison value, checked and converted for the field's type."""
        label = f"{where}“{ref.label}”"
        if value is None:
            raise RuleError(f"{label}缺少比较值")
        kind = ref.data_type
        if kind in ("int", "decimal"):
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
                raise RuleError(f"{label}的值必须是数字")
            try:
                number = Decimal(str(value).strip())
            except ArithmeticError as exc:
                raise RuleError(f"{label}的值“{value}”不是数字") from exc
            if not number.is_finite():
                raise RuleError(f"{label}的值必须是数字")
            if kind == "int":
                if number != number.to_integral_value():
                    raise RuleError(f"{label}的值必须是整数")
                return int(number)
            return float(number)
        if kind == "date":
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value).strip())
            except ValueError as exc:
                raise RuleError(f"{label}的值“{value}”不是日期（YYYY-MM-DD）") from exc
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise RuleError(f"{label}的值必须是“是”或“否”")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise RuleError(f"{label}的值必须是文字")
        text = str(value)
        if len(text) > 200:
            raise RuleError(f"{label}的值过长")
        if kind == "code":
            allowed = self.code_values.get(ref.column or "", {})
            if text not in allowed:
                raise RuleError(f"{label}没有代码“{text}”")
        return text

    def values(self, ref: FieldRef, op: Operator, value: Any, where: str) -> list[Any]:
        """The checked values of one condition, as many as the operator's shape wants."""
        if op.shape is NONE:
            if value not in (None, "", []):
                raise RuleError(f"{where}“{op.label}”不需要比较值")
            return []
        if op.shape is ONE:
            return [self.value(ref, value, where)]
        if op.shape is PAIR:
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise RuleError(f"{where}“{ref.label}”介于需要两个值 [下限, 上限]")
            lo, hi = (self.value(ref, v, where) for v in value)
            if lo > hi:
                raise RuleError(f"{where}“{ref.label}”的下限不能大于上限")
            return [lo, hi]
        if not isinstance(value, list | tuple) or not value:
            raise RuleError(f"{where}“{ref.label}”{op.label}需要至少一个值")
        if len(value) > MAX_LIST_VALUES:
            raise RuleError(f"{where}“{ref.label}”的可选值过多")
        return [self.value(ref, v, where) for v in value]

    def condition(self, cond: Any, number: int = 1) -> str:
        where = f"条件 {number}："
        if not isinstance(cond, Mapping) or not {"field", "op"} <= set(cond) <= {
            "field",
            "op",
            "value",
        }:
            raise RuleError(f"{where}格式应为 {{field, op, value}}")
        ref = self.field(cond["field"], where)
        op = operator(cond["op"], where)
        if ref.data_type == "code" and "code" not in op.kinds:
            raise RuleError(f"{where}代码字段“{ref.label}”只能比较等于、不等于或属于")
        values = self.values(ref, op, cond.get("value"), where)
        if ref.key in AGE_LIMITS and op.ages is not None:
            return self._age_range(ref, op, values, where)
        slots: dict[str, str] = {"f": self.field_sql(ref)}
        if op.shape is PAIR:
            slots["lo"], slots["hi"] = (self.param(v) for v in values)
        elif op.shape is LIST:
            slots["vs"] = ", ".join(self.param(v) for v in values)
        elif op.shape is ONE:
            slots["v"] = self.param(values[0])
        return op.sql.format(**slots)

    def bound(self, key: str, n: int) -> str:
        """Latest birth date of someone at least n years (age) or months (age_months) old."""
        if key == "age":
            return self.param(shift_back(self.as_of_value, years=n))
        return self.param(shift_back(self.as_of_value, months=n))

    def _age_range(self, ref: FieldRef, op: Operator, values: list[int], where: str) -> str:
        limit = AGE_LIMITS[ref.key]
        if not all(0 <= v <= limit for v in values):
            raise RuleError(f"{where}“{ref.label}”应在 0–{limit}{ref.unit} 之间")
        low, high = op.ages(values[0], values[-1])
        parts = []
        if low is not None:  # at least `low` old: born on or before the bound
            parts.append(f"e.birth_date <= {self.bound(ref.key, low)}")
        if high is not None:  # younger than high + 1: born after that bound
            parts.insert(0, f"e.birth_date > {self.bound(ref.key, high + 1)}")
        return " and ".join(parts)

    def rule(self, rule: Any) -> str:
        """A whole rule {match: all|any, conditions: [...]} as one parenthesised boolean."""
        if not isinstance(rule, Mapping) or set(rule) != {"match", "conditions"}:
            raise RuleError("规则格式应为 {match: all|any, conditions: [...]}")
        if rule["match"] not in RULE_MATCHES:
            raise RuleError("条件之间只能是“全部满足”（all）或“任一满足”（any）")
        conditions = rule["conditions"]
        if not isinstance(conditions, list) or not conditions:
            raise RuleError("规则至少需要一个条件")
        if len(conditions) > MAX_CONDITIONS:
            raise RuleError(f"规则最多 {MAX_CONDITIONS} 个条件")
        parts = [self.condition(c, n) for n, c in enumerate(conditions, start=1)]
        joiner = " and " if rule["match"] == "all" else " or "
        return "(" + joiner.join(f"({p})" for p in parts) + ")"


# ---------------------------------------------------------------------------------------------
# Conditions in words, their Python twin and the editors' typed values


def holds(op: str, actual: Any, target: Any) -> bool:
    """Python twin of one compiled condition, to say which conditions of an `any` rule held."""
    entry = OPS[op]
    if entry.shape is NONE:
        return entry.holds(actual, target)
    if actual is None:
        return False
    if isinstance(actual, Decimal):
        actual = float(actual)
    if isinstance(target, str) and not isinstance(actual, str):
        actual = str(actual)
    try:
        return entry.holds(actual, target)
    except TypeError:
        return False


def show(ref: FieldRef, value: Any, code_names: Mapping[str, Mapping[str, str]]) -> str:
    """One value as a user reads it: code names, 是/否, numbers without trailing zeros, unit."""
    if value is None:
        return "（空）"
    if ref.data_type == "code":
        return code_names.get(ref.column or "", {}).get(str(value), str(value))
    if ref.data_type == "bool":
        return "是" if value else "否"
    if isinstance(value, Decimal | float):
        value = f"{float(value):g}"
    return f"{value}{(' ' + ref.unit) if ref.unit else ''}"


def _bare(text: str, ref: FieldRef) -> str:
    return text.removesuffix(" " + ref.unit) if ref.unit else text


def describe(
    ref: FieldRef,
    op: str,
    target: Any,
    actual: Any = None,
    code_names: Mapping[str, Mapping[str, str]] | None = None,
    *,
    with_actual: bool = True,
) -> str:
    """A condition in Chinese, with the record's value when given (e.g. 年龄 83 岁 ≥ 80)."""
    names = code_names or {}
    entry = OPS[op]
    targets = target if isinstance(target, list | tuple) else [target]
    wanted = entry.shape.joiner.join(_bare(show(ref, v, names), ref) for v in targets)
    text = entry.record_text if with_actual else entry.rule_text
    return text.format(
        label=ref.label,
        gap=" " if ref.data_type in ORDERED_TYPES else "",
        wanted=wanted,
        shown=show(ref, actual, names) if with_actual else "",
        unit=(" " + ref.unit) if ref.unit and entry.shape is ONE else ref.unit,
    )


def value_text(ref: FieldRef, value: Any, code_names: Mapping[str, Mapping[str, str]]) -> str:
    """A condition value as an editor shows it: code names, lists joined by 、, pairs as lo、hi."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(value_text(ref, v, code_names) for v in value)
    if ref.data_type == "code":
        return code_names.get(ref.column or "", {}).get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _parse_one(ref: FieldRef, text: str, names: Mapping[str, str], where: str) -> Any:
    if ref.data_type == "code":
        if text in names:
            return text
        by_name = {v: k for k, v in names.items()}
        if text in by_name:
            return by_name[text]
        raise RuleError(f"{where}“{ref.label}”没有“{text}”这一项")
    if ref.data_type == "bool":
        if text in ("是", "true", "True", "1"):
            return True
        if text in ("否", "false", "False", "0"):
            return False
        raise RuleError(f"{where}“{ref.label}”只能填“是”或“否”")
    if ref.data_type in ("int", "decimal"):
        try:
            number = float(text)
        except ValueError as exc:
            raise RuleError(f"{where}“{ref.label}”的取值“{text}”不是数字") from exc
        return int(number) if ref.data_type == "int" and number.is_integer() else number
    return text


def parse_value(
    ref: FieldRef, op: str, text: Any, code_names: Mapping[str, Mapping[str, str]], where: str = ""
) -> Any:
    """The value of a condition typed as text in an editor (code names become codes).

    None for operators that take no value; a list for list and pair operators.
    """
    entry = operator(op, where)
    if entry.shape is NONE:
        return None
    text = "" if text is None else str(text).strip()
    names = code_names.get(ref.column or "", {})
    parts = _split(text) if ref.data_type != "text" or entry.shape is not ONE else ONE.split(text)
    if not parts:
        raise RuleError(f"{where}请填写取值")
    if entry.shape is PAIR and len(parts) != 2:
        raise RuleError(f"{where}“介于”需要两个值，如 6,15")
    if entry.shape is ONE and len(parts) != 1:
        raise RuleError(f"{where}“{entry.label}”只能填一个值")
    values = [_parse_one(ref, p, names, where) for p in parts]
    return values[0] if entry.shape is ONE else values
