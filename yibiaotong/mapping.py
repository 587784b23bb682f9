"""One header mapper for 数据回流, 报表中心 and 报表准入: spreadsheet headers → the field standard.

A header is tidied (full-width, spaces, item numbers, 必填 marks, units and hints in brackets),
split into the person it is about (户主姓名 → 户主 + 姓名) and matched against the standard's names
and synonyms (`field_def`), exactly first, then fuzzily (rapidfuzz). Three rules keep it honest:

- Identity fields (身份证号, 出生日期, the addresses) are reached only by an exact name, never by
  resemblance: 残疾证号, 登记日期 or 发证机关 come back as "lookalike", not as a guess.
- A header about another person gets that person's field and a `relation`; never the row's own.
- A header that could mean several fields is "ask"; a weak match is "fuzzy" — a suggestion the
  caller shows for confirmation. Only "exact" and "remembered" may be used without asking.

Decisions are remembered per context ("source:<code>", "form:<signature>", "request:<id>") in one
table, `header_memory`, and win over suggestions for the caller's org subtree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz

from yibiaotong import catalog, db, validate
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

STATUSES = ("exact", "fuzzy", "remembered", "ask", "none", "lookalike")
STATUS_NAMES = {
    "exact": "精确匹配",
    "fuzzy": "相近，请确认",
    "remembered": "已确认过",
    "ask": "请选择",
    "none": "无对应字段",
    "lookalike": "形似，未对应",
}
RELATIONS = {
    "head": "户主",
    "spouse": "配偶",
    "father": "父亲",
    "mother": "母亲",
    "guardian": "监护人",
    "emergency": "紧急联系人",
    "member": "家庭成员",
    "obligor": "赡养（抚养）人",
    "legal_person": "法定代表人",
    "owner": "产权人",
    "other": "他人",
}
USABLE = frozenset({"exact", "remembered"})  # may be used without asking the user

FUZZY_MIN = 80.0  # a single candidate this close is suggested (status "fuzzy")
ASK_MIN = 62.0  # candidates this close are offered when none stands out
MARGIN = 8.0  # the best must lead the next by this much to be suggested alone
SAMPLE_SHARE = 0.8  # share of sample values that must pass a field's validator


@dataclass(frozen=True)
class Candidate:
    field: str  # field_def code (or an extra such as "age", "seq")
    score: float  # 0–100
    why: str  # Chinese, e.g. 同义词“公民身份号码”


@dataclass(frozen=True)
class HeaderMatch:
    header: str  # as written (multi-row headers joined with "/")
    field: str | None  # chosen field code; None when unmapped or to be asked
    status: str  # see STATUSES
    relation: str | None  # None = the row's own record; else a key of RELATIONS
    candidates: tuple[Candidate, ...]
    reason: str  # Chinese, shown to the user

    @property
    def usable(self) -> bool:
        """True when `field` may be used without the user confirming it."""
        return self.field is not None and self.status in USABLE


class MappingError(ValueError):
    """A decision that cannot be remembered; the message is Chinese."""


# ---------------------------------------------------------------------------------------------
# Tidying header text

# Item numbers forms put before header text: "D3.", "1、", "（一）", "二、", "3.2", "①".
_ITEM_NUMBER = re.compile(
    r"^\s*(?:[A-Za-z]{0,2}\d+(?:\.\d+)*\s*[\.、．:：)）]?|[（(][一二三四五六七八九十\d]+[)）]"
    r"|[一二三四五六七八九十]+\s*[、.．]|[①-⑳])\s*"
)
_NOISE = re.compile(r"[\s\*＊※]|（必填）|\(必填\)|（选填）")


def tidy(text: str) -> str:
    """Header text as remembered: item numbers, whitespace, * and （必填） removed."""
    text = _NOISE.sub("", str(text))
    return _ITEM_NUMBER.sub("", text).strip() or text.strip()


_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|【([^【】]*)】|〔([^〔〕]*)〕|<([^<>]*)>")
_MARKS = re.compile(r"[*※★☆▲△●○■□◆◇√✱#＃\"'“”‘’`]")
_NFKC_ITEM = re.compile(
    r"^(?:[a-z]{0,2}\d+(?:\.\d+)*[.、:)]+|[a-z]\d*[.、:)]+|\d+(?=[^\d位岁周年月日号])"
    r"|[一二三四五六七八九十]+[、.]|第[一二三四五六七八九十\d]+[项栏列]?[、.:]?)"
)
_UNIT = re.compile(
    r"^(?:万?元|千元|元/[人户月年天次]+(?:/[人户月年])?|m2|m²|平方米?|平米|㎡|亩|周?岁|人|户|个|次|间"
    r"|套|处|家|名|张|台|辆|件|份|条|项|本|%|‰|kg|公斤|千克|斤|g|克|cm|厘米|mm|米|m|km|公里"
    r"|年|月|日|天|小时|h|分钟|周|万人|人次|户次|mmhg|mmol/l|年月日?|年-月-日|年/月/日)$"
)
_HINT = re.compile(
    r"必填|选填|可选|非必|必选|单选|多选|下拉|选择|文本|数字|数值|格式|如[:：]?|例|填写|请|按|yyyy|mm|dd"
    r"|\d+位|是/否|是或否|有/无|男/女|是否|可不填|注|说明|手机|固话|大写|小写|阿拉伯|详细到|精确到|具体到"
    r"|到门牌|门牌号|以上|以下|含|不含"
)
_DIGITS_HINT = re.compile(r"\d+位")


def split_header(header: str | Sequence[str]) -> tuple[str, ...]:
    """The parts of a header: a path as given, or text split on "/" outside brackets."""
    if not isinstance(header, str):
        return tuple(str(p) for p in header if str(p).strip())
    parts, depth, current = [], 0, []
    for ch in str(header):
        if ch in "(（[【〔<":
            depth += 1
        elif ch in ")）]】〕>":
            depth = max(depth - 1, 0)
        if ch in "/／" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return tuple(p for p in parts if p.strip())


def memory_key(header: str | Sequence[str]) -> str:
    """The key a decision about a header is remembered under."""
    return "/".join(tidy(p) for p in split_header(header))


@dataclass(frozen=True)
class _Text:
    """One header part made comparable: its core and what its brackets said."""

    core: str  # NFKC, no spaces, marks, item numbers, units or hints; lower-case
    qualifiers: tuple[str, ...]  # bracket contents that are neither units nor hints


# Miswritings frequent in real forms (户口薄 for 户口簿).
_TYPOS = (("户口薄", "户口簿"),)


def _tidy_part(text: str) -> _Text:
    t = unicodedata.normalize("NFKC", str(text)).lower()
    t = "".join(t.split())
    t = _MARKS.sub("", t)
    for _ in range(2):
        t = _NFKC_ITEM.sub("", t)
    for wrong, right in _TYPOS:
        t = t.replace(wrong, right)
    qualifiers = []

    def bracket(m: re.Match) -> str:
        inner = next(g for g in m.groups() if g is not None)
        if inner and not (_UNIT.match(inner) or _HINT.search(inner)):
            qualifiers.append(inner)
        return ""

    for _ in range(3):  # nested brackets come off from the inside
        t, n = _BRACKETS.subn(bracket, t)
        if not n:
            break
    t = re.sub(r"[(（\[【〔<].*$", "", t)  # an unclosed bracket: the rest is a note
    t = _DIGITS_HINT.sub("", t)
    t = t.strip(":：.。,，;；、-_—~")
    return _Text(t, tuple(qualifiers))


# ---------------------------------------------------------------------------------------------
# What the mapper knows beyond the field standard

# Values that are not fields of the standard but that callers can fill or recognise; a caller
# offers the ones it can use (`extras=`), the others are recognised and left unmapped.
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "seq": ("序号（自动编号）", ("序号", "序", "顺序号", "编号", "no", "no.", "行号")),
    "age": ("年龄", ("年龄", "周岁", "实足年龄", "年龄岁", "当前年龄", "现年龄")),
    "street": (
        "所属街道",
        ("所属街道", "街道", "街道名称", "镇街", "所在街道", "乡镇街道", "街道乡镇"),
    ),
    "community": (
        "所属社区",
        (
            "所属社区",
            "社区",
            "社区名称",
            "所在社区",
            "村社",
            "村社区",
            "社区村",
            "村居",
            "所属村社",
        ),
    ),
    "grid": ("所属网格", ("所属网格", "网格", "网格名称", "所在网格")),
    "member_count": (
        "家庭人口数",
        (
            "家庭人口",
            "家庭人口数",
            "家庭成员数",
            "户内人数",
            "共同生活人数",
            "家庭人数",
            "家庭成员人数",
            "户人口数",
            "家庭总人口",
            "共同生活家庭成员人数",
        ),
    ),
    "childcare_subsidy": ("育儿补助（元）", ("育儿补助", "育儿补助金额", "育儿补贴", "育儿补助金")),
    "elderly_allowance": (
        "高龄津贴（元/月）",
        ("高龄津贴", "高龄津贴金额", "高龄补贴", "高龄津贴标准"),
    ),
    "occupant_count": ("居住人数", ("居住人数", "实住人数", "入住人数", "居住人口数")),
    # Another person's name as one value; a header about that person maps to it by its relation.
    "head_name": ("户主姓名", ("户主姓名",)),
    "father_name": ("父亲姓名", ("父亲姓名",)),
    "mother_name": ("母亲姓名", ("母亲姓名",)),
}
_EXTRA_REASONS = {
    "seq": "序号列，不对应字段",
    "age": "年龄由出生日期推算，不作为字段",
}


# Who a header is about, by the word naming the person (longest words are tried first).
def _wordlist(words: str) -> list[str]:
    return words.split()


def _words(relation: str, words: str) -> dict[str, str]:
    return dict.fromkeys(_wordlist(words), relation)


_RELATION_WORDS: dict[str, str] = {
    **_words("head", "户主"),
    **_words("spouse", "配偶 丈夫 妻子 爱人"),
    **_words("father", "父亲"),
    **_words("mother", "母亲"),
    **_words("guardian", "监护人"),
    **_words("emergency", "紧急联系人 紧急联络人 紧急联系"),
    **_words("member", "共同生活家庭成员 同住人员 同住人 共同居住人"),
    **_words("obligor", "赡养人 抚养人 扶养人 赡养义务人 法定赡养人"),
    **_words(
        "other",
        "父母 子女 联系人 代理人 代办人 代领人 委托人 受托人 经办人 填表人 帮扶人 帮扶责任人 "
        "结对人 结对干部 联系干部 包户干部 网格员 责任人 见证人 担保人 介绍人 推荐人 调查人 "
        "走访人 检查人 审核人 户籍民警 社区民警 责任医生 签约医生 家庭医生 班主任 志愿者 "
        "服务人员 工作人员 护理人员 收货人 收件人",
    ),
}
# Words whose person depends on what a row is: a house's 业主 owns it, a shop's runs it.
_ENTITY_RELATION_WORDS: dict[str, dict[str, str]] = {
    "resident": _words("owner", "房东 房主 产权人 出租人") | _words("legal_person", "法定代表人"),
    "household": _words("member", "家庭成员 成员"),
    "house": _words(
        "owner", "产权人 房屋产权人 房屋所有权人 所有权人 产权所有人 房东 房主 业主 出租人 出租方"
    )
    | _words("other", "承租人 租户 租客 居住人"),
    "shop": _words("legal_person", "法定代表人 法人代表 法人 负责人 经营者 经营人 投资人 店主 业主")
    | _words("other", "员工 从业人员"),
}
# 与监护人关系 is the row's relation to someone else: no field (与户主关系 is the row's own).
_RELATION_TO = re.compile(r"(?:与|和|同)(.+?)的?关系(?:类型|名称)?")
# Yes/no questions (是否低保, 有无工作单位) are not the field they mention.
_YES_NO = re.compile(r"是否|有无|有没有|是不是")
# A relation word after these is not the subject: 与户主关系, 是否户主, 被监护人.
_NOT_SUBJECT = re.compile(r"(?:与|和|是否|被|非)$")
# Words naming the row's own person in a roster of residents: 老人姓名 is the row's 姓名.
_SELF_WORDS = tuple(
    sorted(
        _wordlist(
            "本人 居民 公民 人员 人口 老人 老年人 高龄老人 独居老人 空巢老人 儿童 困境儿童 留守儿童 "
            "孤儿 学生 幼儿 新生儿 婴儿 孕妇 孕产妇 产妇 育龄妇女 妇女 患者 病人 残疾人 退役军人 "
            "军人 优抚对象 党员 申请人 救助对象 服务对象 帮扶对象 被帮扶人 被帮扶对象 低保对象 "
            "特困人员 供养对象 失业人员 就业人员 从业人员 租户 承租人 租客 流动人员 流动人口 来访人 "
            "职工 员工 被监护人 矫正对象 社区矫正对象 死者 逝者 死亡人员 受种者 接种者 对象 成员 "
            "家庭成员 个人"
        ),
        key=len,
        reverse=True,
    )
)
# Own fields of a row that hold another person's value (产权人姓名 is the house's 产权人).
_OWN_RELATION_FIELDS: dict[tuple[str, str, str], str] = {
    ("house", "owner", "resident_name"): "house_owner_name",
    ("house", "owner", "resident_id_number"): "house_owner_id_number",
    ("house", "owner", "resident_phone"): "house_owner_phone",
    ("shop", "legal_person", "resident_name"): "shop_legal_person",
    ("shop", "legal_person", "resident_id_number"): "shop_legal_person_id_number",
    ("resident", "emergency", "resident_name"): "resident_emergency_contact",
    ("resident", "emergency", "resident_phone"): "resident_emergency_phone",
}
# Fields of a linked record a row may carry (a resident's household number).
_LINKED_FIELDS = {
    "resident": ("household_no", "household_type", "household_annual_income"),
}

# Identity fields are reached only by an exact name (of the standard or these patterns).
_ID_FIELDS = frozenset(
    {"resident_id_number", "house_owner_id_number", "shop_legal_person_id_number"}
)
_DATE_FIELDS = frozenset({"resident_birth_date"})
_ADDRESS_FIELDS = frozenset(
    {
        "resident_hukou_address",
        "resident_current_address",
        "household_address",
        "house_address",
        "shop_address",
    }
)
IDENTITY_FIELDS = _ID_FIELDS | _DATE_FIELDS | _ADDRESS_FIELDS
_STRICT: dict[str, re.Pattern] = {
    "resident_id_number": re.compile(
        r"(?:公民|居民)?(?:身份证件?|公民身份|身份|有效身份证件|证件)(?:号码|号|编号)"
        r"|(?:公民|居民)?身份证|社会保障号码?"  # 社会保障号码 is the ID number (社会保险法 §58)
    ),
    "resident_birth_date": re.compile(r"出生(?:日期|年月日?|时间|年月日期|年份|年)|生日|出生日"),
    "resident_hukou_address": re.compile(
        r"(?:户籍|户口|户籍所在|户口所在|户籍登记|户口登记|户口簿)"
        r"(?:地|地址|地详址|所在地|所在地址|详细地址|地详细地址|住址|地住址|地址详址|详址|门楼?详址)"
    ),
    "resident_current_address": re.compile(
        r"(?:现|现居|现居住|居住|实际居住|现住|暂住|常住|现实际居住|家庭|家庭居住|目前居住|现在居住)"
        r"(?:地|地址|住址|详址|地详址|详细地址|地详细地址|地址详址|住地址|所在地|地点|门楼?详址)"
    ),
}
# What is left of a header once these are removed says whether it is a look-alike.
_GENERIC = {
    "id": re.compile(r"公民|居民|身份证件?|身份|证件|号码|编号|号|码"),
    "date": re.compile(r"出生|日期|时间|年月日|年月|年份|年度|月份|年|月|日"),
    "place": re.compile(
        r"户籍|户口|所在|现|居住|实际|暂住|常住|家庭|详细|地址|住址|详址|住所|地点|地|住"
    ),
}
_KIND_OF_FIELD = {
    **dict.fromkeys(_ID_FIELDS, "id"),
    **dict.fromkeys(_DATE_FIELDS, "date"),
    **dict.fromkeys(_ADDRESS_FIELDS, "place"),
}
# The last word of a header says what kind of value it holds: a number, a date or a place.
_KIND_END = {
    "id": re.compile(r"(?:号码|号|编号|编码|代码|账号|卡号|证号|id)$"),
    "date": re.compile(r"(?:日期|时间|年月日?|年份|年度|月份|日)$"),
    "place": re.compile(
        r"(?:地址|住址|详址|地点|所在地|住所|处所|场所|机关|派出所|机构|医院|学校|地)$"
    ),
}
# A header of a kind is a look-alike of its identity field when it names something else too.
_NEAR_IDENTITY = {
    "id": re.compile(r"证|卡|号码|身份"),
    "date": re.compile(r"."),
    "place": re.compile(r"地址|住址|地点|地$|机关|派出所|机构"),
}
_LOOKALIKE_REASONS = {
    "id": "“{h}”是其他证件或编号，不是身份证号",
    "date": "“{h}”是其他日期，不是出生日期",
    "place": "“{h}”是其他地址、地点或机构，不是本条记录的住址",
}


def _kind_of_text(core: str) -> str | None:
    for kind, pattern in _KIND_END.items():
        if pattern.search(core):
            return kind
    return None


# ---------------------------------------------------------------------------------------------
# Targets: what a header may map to


@dataclass(frozen=True)
class _Target:
    key: str
    label: str
    data_type: str
    validator: str
    names: tuple[tuple[str, str], ...]  # (tidied, as written): the standard name first
    tier: int  # 0 = an offered extra, 1 = a field of the row, 2 = a field of a linked record

    @property
    def identity(self) -> bool:
        return self.key in IDENTITY_FIELDS

    @property
    def kind(self) -> str | None:
        if self.key in _KIND_OF_FIELD:
            return _KIND_OF_FIELD[self.key]
        if self.data_type in ("id_number", "uscc", "phone"):
            return "id"
        if self.data_type == "date":
            return "date"
        return _kind_of_text(self.names[0][0])


def _names(raw: Iterable[str]) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for name in raw:
        out.setdefault(_tidy_part(name).core, name)
    return tuple((core, name) for core, name in out.items() if core)


def _field_target(f: Mapping[str, Any], tier: int) -> _Target:
    names = _names([f["name"], *(f["synonyms"] or [])])
    return _Target(f["code"], f["name"], f["data_type"], f["validator"] or "none", names, tier)


def _is_link(f: Mapping[str, Any]) -> bool:
    """Links between records (所属户, 母亲 …) hold row ids, never a header's value."""
    return f["data_type"] == "int" and f["code"].endswith("_id")


@dataclass
class _Pools:
    """What one call maps to: the row's targets and a resident's fields for other persons."""

    entity: str
    targets: dict[str, _Target]
    persons: dict[str, _Target]
    words: list[tuple[str, str]]  # relation words, longest first


def _pools(entity: str, extras: Iterable[str]) -> _Pools:
    if entity not in catalog.ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    defs = [f for f in catalog.field_defs() if not _is_link(f)]
    targets: dict[str, _Target] = {}
    offered = {}
    for key in extras:
        if key not in EXTRAS:
            raise ValueError(f"unknown extra {key!r}")
        label, words = EXTRAS[key]
        offered[key] = _Target(key, label, "text", "none", _names(words), 0)
    targets.update(offered)
    linked = _LINKED_FIELDS.get(entity, ())
    for f in defs:
        if f["entity"] == entity:
            targets.setdefault(f["code"], _field_target(f, 1))
        elif f["code"] in linked:
            targets.setdefault(f["code"], _field_target(f, 2))
    persons = {f["code"]: _field_target(f, 1) for f in defs if f["entity"] == "resident"}
    persons.update(offered)
    words = {**_RELATION_WORDS, **_ENTITY_RELATION_WORDS.get(entity, {})}
    return _Pools(entity, targets, persons, sorted(words.items(), key=lambda kv: -len(kv[0])))


# ---------------------------------------------------------------------------------------------
# Matching one header


@dataclass
class _Parsed:
    header: str  # as written, parts joined with "/"
    parts: tuple[_Text, ...]
    whole: str  # all parts' cores joined
    relation: str | None
    relation_word: str
    attribute: str  # what the header says about the value, without whom it is about


def _find_relation(text: str, words: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(relation, word, what follows the word) when `text` is about the person a word names."""
    for word, relation in words:
        at = text.find(word)
        if at >= 0 and not _NOT_SUBJECT.search(text[:at]):
            return relation, word, text[at + len(word) :].lstrip("的之")
    return None


def _strip_self(text: str) -> str:
    for word in _SELF_WORDS:
        if text.startswith(word) and len(text) > len(word) + 1:
            return text[len(word) :].lstrip("的之")
    return text


def _parse(header: str | Sequence[str], pools: _Pools) -> _Parsed:
    raw = split_header(header)
    written = "/".join(str(p).strip() for p in raw)
    parts = tuple(_tidy_part(p) for p in raw) or (_Text("", ()),)
    whole = "".join(t.core for t in parts)
    leaf = parts[-1]
    # Whom it is about: a bracket (姓名（户主）), the leaf (户主姓名) or a parent (监护人/电话) —
    # unless the whole header is a name of the standard (经营者电话 is the shop's 联系电话).
    for q in leaf.qualifiers:
        found = _find_relation(q, pools.words)
        if found and not found[2]:
            return _Parsed(written, parts, whole, found[0], found[1], leaf.core)
    if any(whole == n for t in pools.targets.values() if t.tier <= 1 for n, _ in t.names):
        return _Parsed(written, parts, whole, None, "", leaf.core)
    found = _find_relation(leaf.core, pools.words)
    if found:
        return _Parsed(written, parts, whole, *found)
    for parent in reversed(parts[:-1]):
        found = _find_relation(parent.core, pools.words)
        if found:
            return _Parsed(written, parts, whole, found[0], found[1], leaf.core)
    attribute = _strip_self(leaf.core) if pools.entity == "resident" else leaf.core
    return _Parsed(written, parts, whole, None, "", attribute)


def _texts(p: _Parsed) -> list[str]:
    """What a header is compared by: whole path, leaf, leaf without its person word."""
    if p.relation is not None:
        out = [p.attribute or "姓名"]  # 户主, 监护人 alone name the person
    else:
        leaf = p.parts[-1]
        out = [p.whole, leaf.core, p.attribute]
        out += [leaf.core + q for q in leaf.qualifiers]
    return [t for i, t in enumerate(out) if t and t not in out[:i]]


def _score(text: str, name: str) -> float:
    if text == name:
        return 100.0
    score = fuzz.ratio(text, name)
    if len(name) >= 2 and name in text:  # 老人联系电话 holds 联系电话
        score = max(score, 70 + 25 * len(name) / len(text))
    elif len(text) >= 2 and name.endswith(text):  # 日期 is the head word of 开业日期
        score = max(score, 62 + 25 * len(text) / len(name))
    return float(score)


def _strict(t: _Target, texts: Sequence[str]) -> str | None:
    """The text by which an identity field matches exactly, if any."""
    pattern = _STRICT.get(t.key)
    for text in texts:
        if any(text == n for n, _ in t.names) or (pattern and pattern.fullmatch(text)):
            return text
    return None


@dataclass(frozen=True)
class _Scored:
    score: float
    target: _Target
    why: str


def _rank(texts: Sequence[str], kind: str | None, pool: Mapping[str, _Target]) -> list[_Scored]:
    """Every target scored against the header, best first.

    Identity fields score 100 only by an exact name; otherwise their resemblance is kept (to
    recognise look-alikes) but they are never suggested. A target of another kind (a date for a
    number, a place for a name) loses 20 points.
    """
    ranked = []
    for t in pool.values():
        best, why = 0.0, ""
        hit = _strict(t, texts) if t.identity else None
        if hit is not None:
            best, why = 100.0, _why(t, hit, 100.0)
        else:
            for x in texts:
                for n, _ in t.names:
                    s = _score(x, n)
                    if s > best:
                        best, why = s, _why(t, n, s)
            if t.identity:
                best = min(best, 99.0)
            elif best < 100 and kind and t.kind != kind:
                best -= 20
        ranked.append(_Scored(round(best, 1), t, why))
    ranked.sort(key=lambda r: (-r.score, r.target.tier))
    return ranked


def _why(t: _Target, name: str, score: float) -> str:
    written = dict(t.names).get(name, name)
    what = "标准名称" if name == t.names[0][0] else "同义词"
    if score >= 100:
        return f"{what}“{written}”"
    if t.identity and _STRICT.get(t.key) and name not in dict(t.names):
        return f"即{t.label}"
    return f"与{what}“{written}”相近（{score:.0f}）"


def _check_samples(t: _Target, values: Sequence[Any]) -> tuple[bool | None, str]:
    """(True: the values fit the field, False: they do not, None: cannot tell), and a note."""
    check = validate.VALIDATORS.get(t.validator)
    present = [v for v in values if v is not None and str(v).strip() != ""][:50]
    if check is None or t.validator == "none" or len(present) < 2:
        return None, ""
    bad = []
    for v in present:
        if t.key == "resident_birth_date" and _is_month(v):
            continue
        try:
            check(v, t.label)
        except (validate.ValidationError, ValueError, TypeError):
            bad.append(v)
    if len(bad) <= len(present) * (1 - SAMPLE_SHARE):
        return True, f"样例值符合{t.label}格式"
    shown = str(bad[0]).strip()[:24]
    hint = ""
    if t.validator == "id_number" and re.fullmatch(r"\d{17}[\dXx]\d{1,3}", shown):
        hint = "，像是身份证号后加了几位的证件号（如残疾人证号）"
    return False, f"样例值“{shown}”不是有效的{t.label}{hint}"


_MONTH = re.compile(r"(?:1[89]|20)\d{2}\s*[年.\-/]\s*\d{1,2}\s*月?")


def _is_month(value: Any) -> bool:
    """出生年月 is often written as a month: 1985.03, 1985年3月."""
    if isinstance(value, datetime | date):
        return True
    return bool(_MONTH.fullmatch(unicodedata.normalize("NFKC", str(value)).strip()))


def _ask(header: str, relation: str | None, ranked: Sequence[_Scored], note: str) -> HeaderMatch:
    cands = tuple(_candidate(r) for r in ranked[:4] if r.score >= ASK_MIN)
    names = "、".join(r.target.label for r in ranked[:4] if r.score >= ASK_MIN)
    return HeaderMatch(
        header, None, "ask", relation, cands, _join(f"可能是：{names}，请选择", note)
    )


def _candidate(r: _Scored) -> Candidate:
    return Candidate(r.target.key, r.score, r.why)


def _join(*texts: str) -> str:
    return "；".join(t for t in texts if t)


def _match_one(p: _Parsed, pools: _Pools, values: Sequence[Any] | None) -> HeaderMatch:
    header, relation = p.header, p.relation
    texts = _texts(p)
    if not texts:
        return HeaderMatch(header, None, "none", None, (), "表头为空")
    who = ""
    if relation:
        named = RELATIONS[relation]
        who = f"关于{named}" if p.relation_word == named else f"关于{named}（{p.relation_word}）"
    pool = pools.targets
    if relation is not None:
        if re.fullmatch(r".*关系(?:类型|名称)?", p.attribute):
            if relation == "head" and "resident_relation_to_head" in pool:
                return _exact(header, None, pool["resident_relation_to_head"], "即本人的与户主关系")
            why = f"与{RELATIONS[relation]}的关系：字段标准中没有对应字段"
            return HeaderMatch(header, None, "none", relation, (), why)
        if re.search(r"签字|签名|盖章|意见", p.attribute):
            return HeaderMatch(header, None, "none", relation, (), f"{who}：签字或意见，不对应字段")
        pool = pools.persons
    if relation is None and (m := _RELATION_TO.fullmatch(p.parts[-1].core)) and m[1] != "户主":
        why = f"与{m[1]}的关系：字段标准中没有对应字段"
        return HeaderMatch(header, None, "none", None, (), why)
    kind = _kind_of_text(p.attribute or p.parts[-1].core)
    ranked = _rank(texts, kind, pool)
    # Samples confirm or refuse the leading candidates before anything is decided.
    notes = []
    if values is not None:
        kept = []
        for r in ranked:
            fits, note = _check_samples(r.target, values) if r.score >= ASK_MIN else (None, "")
            if fits is False:
                notes.append(note)
            else:
                kept.append(_Scored(r.score, r.target, _join(r.why, note)) if fits else r)
        ranked = kept
    note = "；".join(notes)
    exact = [r for r in ranked if r.score >= 100]
    if exact:
        same = [r for r in exact if r.target.tier == exact[0].target.tier]
        if len(same) > 1:
            return _ask(header, relation, same, _join(who, note))
        t = same[0].target
        own = _OWN_RELATION_FIELDS.get((pools.entity, relation, t.key)) if relation else None
        if own in pools.targets:
            return _exact(
                header, None, pools.targets[own], f"{who}：记在本条的“{pools.targets[own].label}”"
            )
        return _exact(
            header, relation, t, _join(who and who + "：" + same[0].why or same[0].why, note)
        )
    if _YES_NO.match(p.parts[-1].core):
        return HeaderMatch(header, None, "none", relation, (), _join(who, "是否类问题，不对应字段"))
    best = ranked[0] if ranked else None
    second = ranked[1].score if len(ranked) > 1 else 0.0
    bare = len(p.attribute or p.parts[-1].core) <= 2  # 编号, 类型: a head word says too little
    if (
        best
        and not best.target.identity
        and best.score >= FUZZY_MIN
        and best.score - second >= MARGIN
        and not bare
    ):
        why = _join(f"{who}：{best.why}" if who else best.why, note) + "，请确认"
        cands = tuple(
            _candidate(r) for r in ranked[:4] if r.score >= ASK_MIN and not r.target.identity
        )
        return HeaderMatch(header, best.target.key, "fuzzy", relation, cands, why)
    # Identity fields are never reached by resemblance: 残疾证号, 登记日期, 发证机关 are look-alikes.
    text = p.attribute if relation else p.parts[-1].core
    near = next((r for r in ranked[:3] if r.target.identity and r.score >= ASK_MIN), None)
    k = near.target.kind if near else kind
    has_identity = any(t.identity and t.kind == k for t in pool.values())
    if (
        k
        and has_identity
        and (near or _NEAR_IDENTITY[k].search(text))
        and _GENERIC[k].sub("", text)
    ):
        others = tuple(
            _candidate(r) for r in ranked[:4] if r.score >= ASK_MIN and not r.target.identity
        )
        why = _join(who, _LOOKALIKE_REASONS[k].format(h=p.parts[-1].core or header), note)
        return HeaderMatch(header, None, "lookalike", relation, others, why)
    if best and best.score >= ASK_MIN:
        return _ask(header, relation, ranked, _join(who, note))
    return _unmapped(header, relation, texts, _join(who, note))


def _exact(header: str, relation: str | None, t: _Target, why: str) -> HeaderMatch:
    return HeaderMatch(header, t.key, "exact", relation, (Candidate(t.key, 100.0, why),), why)


def _unmapped(header: str, relation: str | None, texts: Sequence[str], note: str) -> HeaderMatch:
    why = "字段标准中没有对应字段，可保留为扩展属性"
    for key, text in _EXTRA_REASONS.items():
        if set(texts) & {n for n, _ in _names(EXTRAS[key][1])}:
            why = text
    return HeaderMatch(header, None, "none", relation, (), _join(note, why))


# ---------------------------------------------------------------------------------------------
# Public API


def map_headers(
    headers: Sequence[str | Sequence[str]],
    entity: str,
    *,
    context: str | None = None,
    samples: Mapping[str, Sequence[Any]] | Sequence[Sequence[Any] | None] | None = None,
    extras: Iterable[str] = (),
    scope: Scope | None = None,
) -> list[HeaderMatch]:
    """Map each header (its text, or its path of header rows, parent first) to the standard.

    `entity` is what one row is (resident, household, house, shop). `samples` are a few cell
    values per header (a dict by header, or a list aligned with `headers`): they confirm a match
    or refuse it. `extras` are the values other than fields the caller can fill (keys of EXTRAS:
    "seq", "age" …); an offered extra wins over a field of the same name. With a `context`, the
    decisions remembered for it win over suggestions: those made at the caller's org or above it
    (`scope`), the nearest first; without a scope, the district-wide ones.

    A header about another person has that person's field (a resident field) and a `relation`,
    except where the row has a field of its own for it (产权人姓名 → house_owner_name). Two
    headers never get the same field for the same person: the later one is asked.
    """
    pools = _pools(entity, extras)
    memory = _recall(context, scope) if context else {}
    values_of = _samples_by_index(headers, samples)
    out: list[HeaderMatch] = []
    taken: dict[tuple[str, str | None], str] = {}
    for i, header in enumerate(headers):
        p = _parse(header, pools)
        decided = memory.get(memory_key(header))
        if decided is not None:
            match = _remembered(p, decided, pools)
        else:
            match = _match_one(p, pools, values_of(i))
            if match.field is not None:
                first = taken.setdefault((match.field, match.relation), match.header)
                if first != match.header:
                    match = HeaderMatch(
                        match.header,
                        None,
                        "ask",
                        match.relation,
                        match.candidates,
                        f"与“{first}”对应同一字段，请确认是否重复",
                    )
        out.append(match)
    return out


def _samples_by_index(headers, samples):
    if samples is None:
        return lambda i: None
    if isinstance(samples, Mapping):
        keyed = {memory_key(h): v for h, v in samples.items()}
        return lambda i: keyed.get(memory_key(headers[i]))
    listed = list(samples)
    return lambda i: listed[i] if i < len(listed) else None


def _remembered(p: _Parsed, row: Mapping[str, Any], pools: _Pools) -> HeaderMatch:
    field = row["field"]
    when = row["decided_at"]
    by = (
        f"{row['decided_by']}，{when:%Y-%m-%d}" if isinstance(when, datetime) else row["decided_by"]
    )
    known = {**pools.persons, **pools.targets} if p.relation else pools.targets
    if field is not None and field not in known and field not in EXTRAS:
        why = f"上次确认的“{field}”不适用于本表，请重新选择"
        return HeaderMatch(p.header, None, "ask", p.relation, (), why)
    label = known[field].label if field in known else EXTRAS[field][0] if field else "不填"
    why = f"已确认过（{by}）：{label}"
    cands = (Candidate(field, 100.0, why),) if field else ()
    return HeaderMatch(p.header, field, "remembered", p.relation, cands, why)


_CONTEXT = re.compile(r"(source|form|request):[\w.\-]{1,80}")
# Who may remember decisions, by kind of context (district admins always may). A decision holds
# in the decider's own org subtree only, so a street's choices never override the district's.
CONTEXT_ROLES = {
    "form": ("street_leader", "dept_staff", "social_worker"),
    "source": ("dept_staff",),  # a street's data clerk (数据回流: 条线 account bound to a street)
    "request": ("dept_staff",),
}
STREET_CODE_LENGTH = 9


def context_kind(context: str) -> str:
    """ "source", "form" or "request"; MappingError for anything else."""
    if not isinstance(context, str) or not _CONTEXT.fullmatch(context):
        raise MappingError(f"无效的对应关系名称：{str(context)[:40]}")
    return context.split(":", 1)[0]


def _recall(context: str, scope: Scope | None) -> dict[str, dict[str, Any]]:
    """Remembered decisions for `context`: the nearest org at or above the caller wins."""
    context_kind(context)
    rows = db.fetch_dicts(
        "mapping/recall_decisions", context=context, org_code=scope.org_code if scope else None
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:  # the most specific org first
        out.setdefault(row["header"], row)
    return out


@checked
def remember(scope: Scope, context: str, choices: Mapping[str | Sequence[str], str | None]) -> None:
    """Remember the user's decisions (header → field code, extra or None) for `context`.

    District admins decide for the whole district; others for their own org subtree, in the
    kinds of context their role works in (CONTEXT_ROLES; a data source only within a street).
    A look-alike is never remembered as an identity field. One transaction for all.
    """
    kind = context_kind(context)
    if scope.role != "district_admin":
        if scope.role not in CONTEXT_ROLES.get(kind, ()):
            raise AccessDenied("您的角色不能保存此类字段对应关系")
        if kind == "source" and len(scope.org_code) < STREET_CODE_LENGTH:
            raise AccessDenied("数据来源的字段对应关系由区管理员或街道工作人员保存")
    rows = check_choices(choices)
    with db.transaction() as cur:
        for key, field in rows:
            db.run(
                cur,
                "mapping/upsert_decision",
                context=context,
                org_code=scope.org_code,
                header=key,
                field=field,
                decided_by=scope.username,
            )


def check_choices(
    choices: Mapping[str | Sequence[str], str | None],
) -> list[tuple[str, str | None]]:
    """The decisions as (memory key, field), or MappingError for an unknown field or a look-alike
    chosen as an identity field (残疾证号 as 身份证号)."""
    entity_of = {f["code"]: f["entity"] for f in catalog.field_defs() if not _is_link(f)}
    rows = []
    for header, field in choices.items():
        key = memory_key(header)
        if not key:
            continue
        if field is not None and field not in entity_of and field not in EXTRAS:
            raise MappingError(f"“{key}”对应的“{field}”不在字段标准中")
        if field in IDENTITY_FIELDS:
            pools = _pools(entity_of[field], ())
            match = _match_one(_parse(header, pools), pools, None)
            if match.status == "lookalike":
                raise MappingError(f"{match.reason}，不能对应为“{field_label(field)}”")
        rows.append((key, field))
    return rows


def field_label(code: str) -> str:
    """The Chinese name of a field code or extra."""
    if code in EXTRAS:
        return EXTRAS[code][0]
    names = {f["code"]: f["name"] for f in catalog.field_defs()}
    return names.get(code, code)


def labels(entity: str, extras: Iterable[str] = ()) -> dict[str, str]:
    """Field code (or extra) → Chinese label of what a header of `entity` may map to."""
    return {k: t.label for k, t in _pools(entity, extras).targets.items()}
