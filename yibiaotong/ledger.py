"""The ledger of residents, households, houses and shops, always read and written within a Scope."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from pypinyin import Style, lazy_pinyin

from yibiaotong import audit, catalog, db, masking, validate
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

ENTITIES = {"resident": "人口", "household": "户", "house": "房屋", "shop": "商铺"}
STATUS_NAMES = {
    "active": "在册",
    "moved_out": "已迁出",
    "deceased": "已注销（死亡）",
    "dissolved": "已销户",
    "demolished": "已拆除",
    "closed": "已歇业",
}
STATUSES = {
    "resident": ("active", "moved_out", "deceased"),
    "household": ("active", "dissolved"),
    "house": ("active", "demolished"),
    "shop": ("active", "closed"),
}
# Links and life-event dates change only through guided life events, never in the edit form.
EVENT_ONLY_COLUMNS = frozenset(
    {
        "household_id",
        "house_id",
        "mother_id",
        "father_id",
        "head_id",
        "grid_code",
        "move_out_date",
        "death_date",
        "closed_on",
    }
)
# Columns the search table shows, per entity (all come from the search_<entity>.sql files).
SEARCH_COLUMNS = {
    "resident": {
        "name": "姓名",
        "sex": "性别",
        "birth_date": "出生日期",
        "id_number": "身份证号",
        "phone": "联系电话",
        "residence_type": "人口类型",
        "current_address": "现住址",
    },
    "household": {
        "household_no": "户号",
        "head_name": "户主",
        "members": "人数",
        "household_type": "户别",
        "address": "家庭住址",
        "phone": "家庭电话",
    },
    "house": {
        "house_no": "房屋编号",
        "address": "房屋地址",
        "use_type": "房屋用途",
        "occupancy": "使用情况",
        "owner_name": "产权人",
        "owner_phone": "产权人电话",
        "tenant_count": "承租人数",
    },
    "shop": {
        "name": "店铺名称",
        "uscc": "统一社会信用代码",
        "category": "经营类别",
        "legal_person": "负责人",
        "phone": "联系电话",
        "address": "经营地址",
        "inspection_status": "检查状态",
    },
}
PAGE_SIZE = 50
_NOT_FOUND = "记录不存在，或不在您的辖区内。"
# A number typed into the search box is matched against ID numbers and phones: for a viewer who
# sees them masked, each hit would confirm hidden digits, so only cleared users search by number.
NUMBER_SEARCH_NEEDS_CLEARANCE = (
    "您的账号未获授权查看完整证件号和电话，不能按号码搜索；请按姓名、拼音首字母或地址搜索。"
)
# What is wrong with an ID number, said without its hidden digits (the detail would quote them).
ID_PROBLEM_MASKED = (
    "身份证号有误，或与出生日期、性别不一致（号码对您的账号脱敏显示，请联系有查看权限的人员核实）"
)


class LedgerError(ValueError):
    """A request the ledger refuses; the message is shown to the user as is."""


class ValidationFailed(LedgerError):
    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class StaleEdit(LedgerError):
    """Someone saved the record after the editor loaded it; nothing was written."""

    current_version: int
    meanwhile: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return "保存失败：记录已被他人修改，您的修改尚未保存。"


# ---------------------------------------------------------------- field standard


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise LedgerError(f"未知的台账类型：{entity}")


def fields(entity: str) -> list[dict]:
    """Active field definitions of an entity, in display order."""
    _check_entity(entity)
    return catalog.field_defs(entity)


def editable_fields(entity: str) -> list[dict]:
    return [f for f in fields(entity) if f["column_name"] not in EVENT_ONLY_COLUMNS]


def name_initials(name: str) -> str:
    """Pinyin first letters as people type them on phones: 张嘉豪 → zjh."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()


# ---------------------------------------------------------------- search


COUNT_CAP = 1000  # counts stop here ("1,000+"): a common name needs no full scan of 9 million
# Sorts after every character: [prefix, prefix + TOKEN_END) is the range of tokens with a prefix.
TOKEN_END = "\U0010ffff"

# Whitelisted search conditions: `{match}` of find_resident (a scan of residents) and `{key}` of
# find_keyed (a selective lookup, any entity). Values arrive only as parameters.
RESIDENT_MATCH = {
    "all": "true",
    "name": "contains(r.name, $term)",
    "address": "contains(r.current_address, $term)",
    "initials": "starts_with(r.name_initials, $term)",
    "digits": "(contains(r.id_number, $term) or contains(r.phone, $term))",
}
# `{head_initials}` of find_household / count_household: the head's pinyin initials, read from
# the resident table only when initials were typed (else DuckDB still joins all 9 million).
HEAD_INITIALS = {
    False: "false",
    True: "exists (select 1 from resident as r "
    "where r.id = h.head_id and starts_with(r.name_initials, $initials))",
}
RECORD_KEY = {
    "name": "e.name = $term",
    "ids": "list_contains($ids, e.id)",
}
SEARCH_TOKEN_KINDS = ("id_number", "name", "phone")  # filled in this (sorted) order
_TOKEN_FIND = "ledger/find_resident_token"
_ADDRESS_FIND = "ledger/find_by_address"
_INDEXED_FINDS = (_TOKEN_FIND, _ADDRESS_FIND)
# Above this many addresses holding a term's rarest piece (of ~3 million in a 9-million district:
# 平海路 has ~2,000, 10幢 ~300,000) a scan that stops counting at COUNT_CAP is as fast.
ADDRESS_INDEX_LIMIT = 100_000  # return ids in register order with the count
# The address column of each entity, for the address search tables (schema 0180).
ADDRESS_COLUMNS = {
    "resident": "current_address",
    "household": "address",
    "house": "address",
    "shop": "address",
}
# The other columns a word is looked for in (find_household / find_house / find_shop), as the
# `{words}` list of fill_word_pieces; their pieces are kept in word_piece (schema 0161).
WORD_COLUMNS = {
    "household": "[e.household_no]",
    "house": "[e.owner_name]",
    "shop": "[e.name, e.legal_person]",
}
# `{word_match}` of find_by_address: those columns containing the term, or nothing.
WORD_MATCH = {
    "resident": "false",
    "household": "contains(e.household_no, $term)",
    "house": "contains(e.owner_name, $term)",
    "shop": "(contains(e.name, $term) or contains(e.legal_person, $term))",
}


@dataclass(frozen=True)
class _Attempt:
    """One way to answer a search: which find/count queries, which condition, which values. A
    selective route has no count query: its find returns the number of matches with the page."""

    find: str
    count: str | None
    slots: dict
    params: dict


def _classify(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(words, initials, digits) of one search box."""
    text = (text or "").strip()[:50]
    digits = text.upper() if re.fullmatch(r"[0-9Xx]{3,18}|[0-9A-Za-z]{6,18}", text) else None
    initials = text.lower() if re.fullmatch(r"[A-Za-z]{1,10}", text) else None
    if initials and digits:  # a short all-letter term is initials, not a credit-code fragment
        digits = None
    words = None if (digits or initials or not text) else text
    return words, initials, digits


def _scan(match: str, **params) -> _Attempt:
    return _Attempt(
        "ledger/find_resident", "ledger/count_resident", {"match": RESIDENT_MATCH[match]}, params
    )


def _keyed(entity: str, key: str, **params) -> _Attempt:
    slots = {"entity_table": entity, "key": RECORD_KEY[key]}
    return _Attempt("ledger/find_keyed", None, slots, params)


def _token(kind: str, prefix: str, name_part: str = "", whole: str = "") -> _Attempt:
    """A lookup in resident_search_token: tokens of `kind` starting with `prefix`; a name piece
    longer than one token is checked against the whole (upper-cased) name, and people named
    exactly `whole` come alone when there are any."""
    params = {"kind": kind, "low": prefix, "high": prefix + TOKEN_END}
    return _Attempt(_TOKEN_FIND, None, {}, {**params, "name_part": name_part, "whole": whole})


def _name_attempts(term: str) -> list[_Attempt]:
    """People named exactly `term` if there are any, else everyone whose name contains it: one
    token lookup (a single character goes through the name index, then a scan of names)."""
    piece = term.upper()
    if len(piece) == 1:
        return [_keyed("resident", "name", term=term), _scan("name", term=term)]
    return [_token("name", piece[:2], piece if len(piece) > 2 else "", whole=piece)]


def _attempts(entity: str, text: str | None) -> list[_Attempt]:
    """How to search, most selective first. Words are names before they are addresses: 楼, 园,
    区, 村 or 苑 in a term do not make it an address (楼 is a common Hangzhou surname), and a
    term that finds no name is looked for in addresses. Initials that find nobody may be a
    foreign name (smith). 身份证 / 手机 tails and whole numbers go through the reversed-number
    tokens."""
    words, initials, digits = _classify(text)
    if entity != "resident":
        if (
            words and len(words) > 1
        ):  # its address looked up, its other columns when they may hold it
            return [_address_attempt(entity, words)]
        return [_entity_scan(entity, words, initials, digits)]
    if initials:
        latin = _name_attempts(initials) if len(initials) > 1 else []
        return [_scan("initials", term=initials), *latin]
    if digits:
        return _digit_attempts(digits) or [_scan("digits", term=digits)]
    if words:
        return [*_name_attempts(words), _address_attempt("resident", words)]
    return [_scan("all")]


def _entity_scan(entity: str, words=None, initials=None, digits=None) -> _Attempt:
    """A scan of households, houses or shops for the search box's words, initials or digits."""
    params = {"text": words, "initials": initials, "digits": digits}
    slots = {"head_initials": HEAD_INITIALS[initials is not None]} if entity == "household" else {}
    return _Attempt(f"ledger/find_{entity}", f"ledger/count_{entity}", slots, params)


def _address_attempt(entity: str, term: str) -> _Attempt:
    """Records whose address contains `term` (households, houses and shops: or whose other search
    columns do): through the rarest of its two-character pieces in the address search tables,
    or (a single character) a scan."""
    if len(term) < 2:
        return _scan("address", term=term)
    # The piece is chosen when this route is tried (_settled): a name found first needs none.
    slots = {"entity_table": entity, "word_match": WORD_MATCH[entity], "in_book": "true"}
    return _Attempt(_ADDRESS_FIND, None, slots, {"entity": entity, "piece": None, "term": term})


def _rarest_piece(cur, term: str) -> tuple[str, int]:
    """The two-character piece of `term` (two or more characters) that the fewest addresses
    hold, and how many hold it: every address containing the term holds each of its pieces."""
    pieces = dict.fromkeys(term[i : i + 2] for i in range(len(term) - 1))
    sizes = {p: db.run(cur, "ledger/count_address_piece", token=p).fetchone()[0] for p in pieces}
    piece = min(sizes, key=lambda p: sizes[p])
    return piece, sizes[piece]


def _settled(cur, attempt: _Attempt) -> _Attempt:
    """An address attempt with its piece chosen, or the scan when even the rarest piece is
    common: the scan stops counting at COUNT_CAP, the index would gather every hit. The other
    search columns of households, houses and shops are scanned only when every piece of the
    term occurs in them (word_piece): an address term (路, 号, 幢) is in no 户号 or name."""
    if attempt.find != _ADDRESS_FIND:
        return attempt
    entity, term = attempt.params["entity"], attempt.params["term"]
    piece, holders = _rarest_piece(cur, term)
    if holders > ADDRESS_INDEX_LIMIT:
        return _scan("address", term=term) if entity == "resident" else _entity_scan(entity, term)
    slots = {**attempt.slots, "in_book": "true" if holders else "false"}
    if entity != "resident" and not _may_hold_word(cur, entity, term):
        slots["word_match"] = "false"
    return _Attempt(attempt.find, None, slots, {**attempt.params, "piece": piece})


def _may_hold_word(cur, entity: str, term: str) -> bool:
    """Whether some value of the entity's other search columns may contain `term`: each of the
    term's two-character pieces occurs in one (schema 0161)."""
    pieces = sorted({term[i : i + 2] for i in range(len(term) - 1)})
    found = db.run(cur, "ledger/count_word_pieces", entity=entity, pieces=pieces).fetchone()[0]
    return found == len(pieces)


def _digit_attempts(digits: str) -> list[_Attempt]:
    """A digit term as people type it: a whole ID or its last 4–6, a whole mobile number, or four
    digits (手机尾号 first, then 身份证后四位). Other lengths return [] (searched anywhere)."""
    reversed_digits = digits[::-1]
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return [_token("phone", reversed_digits)]
    if len(digits) == 4 and digits.isdigit():
        return [_token("phone", reversed_digits), _token("id_number", reversed_digits)]
    if len(digits) in (4, 5, 6, 18) and re.fullmatch(r"\d+X?", digits):
        return [_token("id_number", reversed_digits)]
    return []


def sort_options(entity: str) -> dict[str, str]:
    """Sort keys offered for an entity: the searchable columns that are in the field standard."""
    columns = {f["column_name"]: f["name"] for f in fields(entity) if f["column_name"]}
    return {"id": "登记顺序", **{c: n for c, n in columns.items() if c in SEARCH_COLUMNS[entity]}}


def _order_by(entity: str, sort: str, descending: bool) -> str:
    if sort != "id" and sort not in sort_options(entity):
        raise LedgerError("不支持按该列排序。")
    direction = "desc" if descending else "asc"
    return f"{sort} {direction} nulls last, id" if sort != "id" else f"id {direction}"


@checked
def search(
    scope: Scope,
    entity: str,
    text: str | None = None,
    org_code: str | None = None,
    status: str | None = "active",
    sort: str = "id",
    descending: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[pd.DataFrame, int]:
    """One page of an entity in scope (masked for the role) and the number of matches, counted
    up to COUNT_CAP (or just past the page asked for)."""
    _check_entity(entity)
    if status is not None and status not in STATUSES[entity]:
        raise LedgerError("未知的状态。")
    if not scope.clearance and _classify(text)[2]:
        raise LedgerError(NUMBER_SEARCH_NEEDS_CLEARANCE)
    base = {"org_code": scope.narrow(org_code), "status": status}
    page = max(1, int(page))
    offset = (page - 1) * page_size
    attempts = _attempts(entity, text)
    cap = max(COUNT_CAP, offset + page_size + 1)
    with db.cursor() as cur:
        for number, attempt in enumerate(attempts, start=1):
            last = number == len(attempts)
            attempt = _settled(cur, attempt)
            ids, total = _find(
                cur, entity, attempt, base, sort, descending, page_size, offset, cap, last
            )
            if total != 0:  # a route that finds nobody gives way to the next
                break
        rows = db.run(cur, f"ledger/page_{entity}", ids=ids).df()
        if 0 < len(rows) < page_size:
            total = offset + len(rows)  # the last page: the count is known without a second scan
        elif total is None:
            total = _count(cur, attempt, base, cap)
    return present(scope, entity, rows), total


def _count(cur, attempt: _Attempt, base: dict, cap: int) -> int:
    """Matches of one route; scans stop counting at `cap`."""
    capped = {"cap": cap} if "cap" in db.query(attempt.count).params else {}
    return db.run_filled(
        cur, attempt.count, slots=attempt.slots, **base, **attempt.params, **capped
    ).fetchone()[0]


def _find(cur, entity, attempt, base, sort, descending, limit, offset, cap, last) -> tuple:
    """Ids of one page and the number of matches when already known (None: count later), or
    ([], 0) when the route finds nobody and is not the last. Only filter and sort columns are
    read; the shown columns are fetched by id afterwards."""
    if attempt.find in _INDEXED_FINDS and (sort != "id" or descending):
        # Indexed finds are in register order: another order sorts the hits' ids on the table.
        every = db.run_filled(
            cur, attempt.find, slots=attempt.slots, limit=None, offset=0, **base, **attempt.params
        )
        attempt = _keyed(entity, "ids", ids=[r[0] for r in every.fetchall()])
    total = None
    if attempt.count and not last:
        total = _count(cur, attempt, base, cap)
        if not total:
            return [], 0
    rows = _run_find(cur, entity, attempt, base, sort, descending, limit, offset)
    if attempt.count is None:  # selective: the page carries the number of matches
        if not rows and offset:
            rows = _run_find(cur, entity, attempt, base, sort, descending, 1, 0)
            return [], rows[0][1] if rows else 0
        total = rows[0][1] if rows else 0
    return [r[0] for r in rows[:limit]], total


def _run_find(cur, entity, attempt, base, sort, descending, limit, offset) -> list[tuple]:
    return db.run_filled(
        cur,
        attempt.find,
        slots={"order_by": _order_by(entity, sort, descending), **attempt.slots},
        limit=limit,
        offset=offset,
        **base,
        **attempt.params,
    ).fetchall()


@checked
def present(scope: Scope, entity: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Mask sensitive columns (unless cleared) and turn codes into their Chinese names; a page
    a cleared user sees unmasked is logged once per page view."""
    defs = {f["column_name"]: f for f in fields(entity) if f["column_name"]}
    types = {c: f["data_type"] for c, f in defs.items() if c in rows.columns}
    sensitive = {c for c, f in defs.items() if f["sensitivity"] == "sensitive" and c in rows}
    out = masking.mask_frame(rows, types, sensitive, scope.clearance)
    if scope.clearance and len(rows) and rows[sorted(sensitive)].notna().any(axis=None):
        ids = tuple(int(i) for i in rows["id"])
        audit.viewed(
            scope,
            "list_view",
            (entity, ids),
            f"{ENTITIES[entity]}列表 {len(ids)} 行（编号 {ids[0]} 等，含未脱敏敏感字段）",
        )
    for column, f in defs.items():
        if column in out.columns and f["data_type"] == "date" and column not in sensitive:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
        if column in out.columns and f["code_list"]:
            names = catalog.code_items(f["code_list"])
            out[column] = out[column].map(lambda v, n=names: n.get(v, v) if v else v)
    if "status" in out.columns:
        out["status"] = out["status"].map(lambda v: STATUS_NAMES.get(v, v))
    return out


# ---------------------------------------------------------------- one record


@checked
def get(scope: Scope, entity: str, record_id: int, cur=None) -> dict:
    """One record inside scope; the same refusal whether it is absent or outside scope."""
    _check_entity(entity)
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise LedgerError(_NOT_FOUND) from None
    if cur is None:
        with db.cursor() as c:
            return get(scope, entity, record_id, c)
    rel = db.run(cur, f"ledger/get_{entity}", id=record_id, org_code=scope.org_code)
    row = rel.fetchone()
    if row is None:
        raise AccessDenied(_NOT_FOUND)
    record = dict(zip([d[0] for d in rel.description], row, strict=True))
    record["attrs"] = json.loads(record["attrs"]) if record.get("attrs") else {}
    return record


@checked
def open_record(scope: Scope, entity: str, record_id: int) -> dict:
    """The record page's record: get(), and a cleared user's view of it is logged once per page
    view (the page reruns on every click; the log does not)."""
    record = get(scope, entity, record_id)
    if scope.clearance:
        audit.viewed(scope, "record_view", (entity, record["id"]), f"{entity}:{record['id']}")
    return record


def value_of(record: dict, f: dict) -> Any:
    """A field's value in a record: its typed column or its key in attrs."""
    if f["column_name"]:
        return record.get(f["column_name"])
    return record["attrs"].get(f["code"])


@checked
def display(scope: Scope, f: dict, value: Any) -> str:
    """A value as a user reads it: code names, masked when sensitive and not cleared."""
    if value is None or value == "":
        return ""
    if f["sensitivity"] == "sensitive" and not scope.clearance:
        return masking.mask_value(f["data_type"], str(value))
    if f["code_list"]:
        return catalog.code_items(f["code_list"]).get(str(value), str(value))
    if f["data_type"] == "bool":
        return "是" if value in (True, "true", "True") else "否"
    if isinstance(value, date | datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


# ---------------------------------------------------------------- validation


def _clean(f: dict, value: Any) -> Any:
    """Normalise one field value by its type, validator and code list; raise ValidationError."""
    label = f["name"]
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if f["required"]:
            raise validate.ValidationError(label, "不能为空")
        return None
    kind = f["data_type"]
    if kind == "code":
        value = str(value)
        items = catalog.code_items(f["code_list"])
        if value not in items:
            raise validate.ValidationError(label, f"“{value[:20]}”不是代码表中的值")
        return value
    if kind == "int":
        try:
            number = int(str(value))
        except ValueError:
            raise validate.ValidationError(label, "须为整数") from None
        if number < 0 or number > 1_000_000:
            raise validate.ValidationError(label, "数值超出合理范围")
        return number
    if kind == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise validate.ValidationError(label, "须为数字") from None
        if not number.is_finite() or number < 0 or number >= 1_000_000:
            raise validate.ValidationError(label, "数值超出合理范围")
        return number.quantize(Decimal("0.01"))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value) in ("是", "true", "1"):
            return True
        if str(value) in ("否", "false", "0"):
            return False
        raise validate.ValidationError(label, "须为“是”或“否”")
    if kind == "date":
        return validate.parse_date(value, label, not_future=True)
    if kind == "id_number":
        return validate.id_number(value, label)
    if kind == "uscc":
        return validate.uscc(value, label)
    if kind == "phone":
        check = validate.VALIDATORS.get(f["validator"]) or validate.phone
        return check(value, label)
    return validate.text(value, label, f["max_length"])


def validate_changes(
    entity: str, record: dict, changes: dict[str, Any], scope: Scope | None = None
) -> dict[str, Any]:
    """Clean a {field code: value} edit against the field standard; raise ValidationFailed.

    Given the caller's scope, a message never quotes values the caller sees masked."""
    by_code = {f["code"]: f for f in editable_fields(entity)}
    clean: dict[str, Any] = {}
    errors: list[str] = []
    for code, value in changes.items():
        f = by_code.get(code)
        if f is None:
            errors.append(f"字段“{code}”不存在或不能在此修改")
            continue
        if scope is not None and not scope.clearance and f["sensitivity"] == "sensitive":
            errors.append(f"“{f['name']}”对您的账号脱敏显示，不能修改")
            continue
        if entity == "resident" and f["column_name"] == "id_number" and value:
            id_type = changes.get("resident_id_type", record.get("id_type"))
            if id_type not in (None, "01"):  # other documents are recorded as written
                try:
                    clean[code] = validate.text(value, f["name"], 30)
                except validate.ValidationError as exc:
                    errors.append(str(exc))
                continue
        try:
            clean[code] = _clean(f, value)
        except validate.ValidationError as exc:
            errors.append(str(exc))
    if not errors and entity == "resident":
        merged = {
            **record,
            **{by_code[c]["column_name"]: v for c, v in clean.items() if by_code[c]["column_name"]},
        }
        if merged.get("id_type") in (None, "01") and merged.get("id_number"):
            try:
                validate.check_id_matches(
                    merged["id_number"], merged.get("birth_date"), merged.get("sex"), "身份证号"
                )
            except validate.ValidationError as exc:
                errors.append(str(exc) if scope is None or scope.clearance else ID_PROBLEM_MASKED)
    if errors:
        raise ValidationFailed(errors)
    return clean


# ---------------------------------------------------------------- saving


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def differs(f: dict, entered: Any, current: Any) -> bool:
    """Whether a form value changes a field (85.5 vs 85.50 or " 张三" vs "张三" do not)."""
    if isinstance(entered, str):
        entered = entered.strip()
    if entered in (None, "") or current in (None, ""):
        return entered not in (None, "") or current not in (None, "")
    if f["data_type"] in ("int", "decimal"):
        try:
            return Decimal(str(entered)) != Decimal(str(current))
        except InvalidOperation:
            return True
    return _as_text(entered) != _as_text(current)


def _update_params(entity: str, record: dict) -> dict[str, Any]:
    """All editable columns of the record, as the update_<entity>.sql statement expects them."""
    q = db.query(f"ledger/update_{entity}")
    params = {p: record.get(p) for p in q.params}
    params["attrs"] = json.dumps(record.get("attrs") or {}, ensure_ascii=False, default=str)
    if entity == "resident":
        params["name_initials"] = name_initials(record["name"])
    return params


@checked
def write_changes(
    cur,
    scope: Scope,
    entity: str,
    record: dict,
    clean: dict[str, Any],
    source: str,
    batch_id: str | None = None,
) -> int:
    """Apply cleaned field changes to a loaded record inside the caller's transaction; log them."""
    by_code = {f["code"]: f for f in fields(entity)}
    writable = db.query(f"ledger/update_{entity}").params
    updated = {**record, "attrs": dict(record.get("attrs") or {})}
    diffs = []
    for code, value in clean.items():
        f = by_code[code]
        if f["column_name"] and f["column_name"] not in writable:
            raise LedgerError(f"“{f['name']}”只能通过业务办理修改。")
        old = value_of(record, f)
        if _as_text(old) == _as_text(value):
            continue
        if f["column_name"]:
            updated[f["column_name"]] = value
        elif value is None:
            updated["attrs"].pop(code, None)
        else:
            updated["attrs"][code] = _as_text(value)
        diffs.append((code, old, value))
    if not diffs:
        return record["version"]
    params = _update_params(entity, updated)
    row = db.run(
        cur,
        f"ledger/update_{entity}",
        **{
            **params,
            "id": record["id"],
            "org_code": scope.org_code,
            "version": record["version"],
            "username": scope.username,
        },
    ).fetchone()
    if row is None:
        raise StaleEdit(record["version"] + 1)
    new_version = row[0]
    for code, old, new in diffs:
        log_change(cur, scope, entity, record["id"], code, old, new, source, batch_id, new_version)
    return new_version


def provenance_source(source: str) -> str:
    """The catalogue source a write counts as: import:<code> and review:<code> are that source;
    console edits and life events are hand entry."""
    kind, _, code = source.partition(":")
    if kind == "visit":  # 走访采集: collected in person (visit:<campaign id>)
        return "community_survey"
    return code if kind in ("import", "review") and code else "console"


@checked
def log_change(cur, scope, entity, entity_id, field_code, old, new, source, batch_id, version):
    """One change_log row; a field's provenance (who set it, from which source, when) follows."""
    if not field_code.startswith("_"):
        keys = {"entity": entity, "entity_id": entity_id, "field": field_code}
        db.run(cur, "ledger/delete_field_provenance", **keys)
        db.run(
            cur,
            "ledger/insert_field_provenance",
            **keys,
            source=provenance_source(source),
            batch_id=batch_id,
            username=scope.username,
        )
    db.run(
        cur,
        "ledger/insert_change",
        username=scope.username,
        entity=entity,
        entity_id=entity_id,
        field=field_code,
        old_value=_as_text(old),
        new_value=_as_text(new),
        source=source,
        batch_id=batch_id,
        version=version,
    )


def after_write(cur, batch_id: str) -> None:
    """Every write batch ends here: rule tags of the records it touched follow the data, and
    caches see a new data version."""
    from yibiaotong import tags

    touched = _batch_records(cur, batch_id)
    if "resident" in touched:
        refresh_search_tokens(cur, touched["resident"])
    for entity, ids in touched.items():
        if entity != "resident":
            refresh_address_search(cur, entity, ids)
        tags.refresh_rules(cur, entity, ids=ids)
    db.bump_data_version(cur)


def _batch_records(cur, batch_id: str) -> dict[str, list[int]]:
    """Ids of the records a write batch touched, by entity (from its change_log rows)."""
    touched: dict[str, list[int]] = {}
    for entity, entity_id in db.run(cur, "ledger/batch_records", batch_id=batch_id).fetchall():
        touched.setdefault(entity, []).append(entity_id)
    return touched


def refresh_batch_addresses(cur, batch_id: str) -> None:
    """The address search of every record a batch logged in change_log (an import's records and
    the households it formed): importers call it beside refresh_search_tokens."""
    for entity, ids in _batch_records(cur, batch_id).items():
        refresh_address_search(cur, entity, ids)


def refresh_search_tokens(cur, resident_ids: list[int] | None) -> None:
    """Rebuild the search tokens of these residents (all when None) from their current rows, in
    the caller's transaction. Every write of a resident's name, ID, phone, grid or status must
    end here (after_write does it for each ledger batch); a bulk load calls it with None."""
    db.run(cur, "ledger/delete_search_tokens", ids=resident_ids)
    for kind in SEARCH_TOKEN_KINDS:
        db.run(cur, "ledger/fill_search_tokens", kind=kind, ids=resident_ids)
    refresh_address_search(cur, "resident", resident_ids)


def refresh_address_search(cur, entity: str, ids: list[int] | None) -> None:
    """Rebuild the address links of these records of an entity (all when None) from their
    current rows, adding addresses the book lacks with their pieces (schema 0180). Every write
    of an address, grid or status ends here: refresh_search_tokens does it for residents,
    after_write for the other entities of a ledger batch. Addresses no record holds any more
    stay in the book: they find nobody."""
    slots = {"entity_table": entity, "column": ADDRESS_COLUMNS[entity]}
    db.run(cur, "ledger/delete_address_links", entity=entity, ids=ids)
    last_id = db.run(cur, "ledger/last_address_id").fetchone()[0]
    db.run_filled(cur, "ledger/fill_address_book", slots=slots, ids=ids)
    db.run(cur, "ledger/fill_address_pieces", after=last_id)
    db.run_filled(cur, "ledger/fill_address_links", slots=slots, entity=entity, ids=ids)
    if entity in WORD_COLUMNS:
        words = {"entity_table": entity, "words": WORD_COLUMNS[entity]}
        db.run_filled(cur, "ledger/fill_word_pieces", slots=words, entity=entity, ids=ids)


@checked
def save(
    scope: Scope,
    entity: str,
    record_id: int,
    changes: dict[str, Any],
    expected_version: int,
    source: str = "console",
) -> int:
    """Validate and save an edit in one transaction; refuse a stale one with what changed."""
    with db.transaction() as cur:
        record = get(scope, entity, record_id, cur)
        if record["version"] != expected_version:
            raise StaleEdit(
                record["version"], changes_since(scope, entity, record_id, expected_version, cur)
            )
        clean = validate_changes(entity, record, changes, scope)
        batch_id = uuid.uuid4().hex[:12]
        version = write_changes(cur, scope, entity, record, clean, source, batch_id)
        if version != record["version"]:
            after_write(cur, batch_id)
    return version


@checked
def changes_since(scope: Scope, entity: str, record_id: int, version: int, cur=None) -> list[dict]:
    """Readable field changes saved after `version` (what a stale editor missed), of a record
    inside the caller's scope."""
    if cur is None:
        with db.cursor() as c:
            return changes_since(scope, entity, record_id, version, c)
    record = get(scope, entity, record_id, cur)
    rel = db.run(
        cur, "ledger/changes_since", entity=entity, entity_id=record["id"], version=int(version)
    )
    cols = [d[0] for d in rel.description]
    return [_readable(scope, entity, dict(zip(cols, r, strict=True))) for r in rel.fetchall()]


# ---------------------------------------------------------------- history


FIELD_EVENTS = {
    "_created": "新建记录",
    "_status": "状态",
    "_tag": "标签",
    "_link": "关联",
    "_review": "冲突审核",
}


def _readable(scope: Scope, entity: str, change: dict) -> dict:
    """A change as the caller may read it: the stored values leave only through display()."""
    change = dict(change)
    stored_old, stored_new = change.pop("old_value"), change.pop("new_value")
    by_code = {f["code"]: f for f in fields(entity)}
    f = by_code.get(change["field"])
    if f is None:
        name = FIELD_EVENTS.get(change["field"], change["field"])
        old, new = stored_old or "", stored_new or ""
        if change["field"] == "_status":
            old, new = STATUS_NAMES.get(old, old), STATUS_NAMES.get(new, new)
    else:
        name = f["name"]
        old, new = display(scope, f, stored_old), display(scope, f, stored_new)
    return {**change, "field_name": name, "old": old, "new": new}


def source_name(source: str | None) -> str:
    """A change_log source as users read it: 台账编辑, 业务办理：迁入, 数据回流：公安户籍人口 …"""
    from yibiaotong.events import EVENT_NAMES

    kind, _, code = (source or "").partition(":")
    if kind == "console":
        return "台账编辑"
    if kind == "event":
        return f"业务办理：{EVENT_NAMES.get(code, code)}"
    if kind == "visit":
        name = db.fetch_value("visits/campaign_name", id=code)
        return f"走访采集：{name or code}"
    names = {r["code"]: r["name"] for r in db.fetch_dicts("importing/list_sources")}
    label = {"import": "数据回流", "review": "冲突审核", "undo": "撤销回流"}.get(kind)
    if label:
        return f"{label}：{names.get(code, code)}"
    return source or ""


@checked
def provenance(scope: Scope, entity: str, record_id: int) -> dict[str, dict]:
    """Who set each field of a record: source, batch, time, user (and who verified it)."""
    get(scope, entity, record_id)  # refuses out-of-scope ids
    rows = db.fetch_dicts("ledger/record_provenance", entity=entity, entity_id=int(record_id))
    return {r["field"]: r for r in rows}


def provenance_text(row: dict) -> str:
    """One line beside a value: 来源 公安户籍人口 · 2026-11-20 10:32 · 批次 3f2a9c1e."""
    parts = [f"来源：{row['source_name']}", f"{row['set_at']:%Y-%m-%d %H:%M}"]
    if row.get("batch_id"):
        parts.append(f"批次 {row['batch_id'][:8]}")
    if row.get("verified_at"):
        parts.append(f"核实于 {row['verified_at']:%Y-%m-%d} by {row['verified_by']}")
    return " · ".join(parts)


@checked
def history(scope: Scope, entity: str, record_id: int) -> list[dict]:
    """Every change of one record, newest first, readable (codes named, masked per role)."""
    get(scope, entity, record_id)  # refuses out-of-scope ids
    rows = db.fetch_dicts("ledger/record_history", entity=entity, entity_id=int(record_id))
    return [_readable(scope, entity, r) for r in rows]


@checked
def summary(scope: Scope) -> dict[str, int]:
    """Counts of active rows in the caller's subtree."""
    rows = db.fetch_dicts("ledger/summary_in_scope", org_code=scope.org_code)
    return rows[0]


# ---------------------------------------------------------------- tags on a record


@checked
def record_tags(scope: Scope, entity: str, record_id: int) -> list[dict]:
    """Tags of one record; sensitive tags only for cleared roles."""
    get(scope, entity, record_id)
    rows = db.fetch_dicts("ledger/record_tags", entity=entity, entity_id=int(record_id))
    return [r for r in rows if scope.clearance or r["sensitivity"] != "sensitive"]


@checked
def manual_tags(scope: Scope, entity: str) -> list[dict]:
    """Manual tags a user may put on records of this entity."""
    rows = db.fetch_dicts("ledger/manual_tags", entity=entity)
    return [r for r in rows if scope.clearance or r["sensitivity"] != "sensitive"]


@checked
def set_manual_tag(scope: Scope, entity: str, record_id: int, tag_code: str, on: bool) -> None:
    """Add or remove a manual tag; rule and import tags cannot be set by hand."""
    allowed = {t["code"]: t for t in manual_tags(scope, entity)}
    if tag_code not in allowed:
        raise LedgerError("只能手工设置“手工”类标签；规则标签由系统根据台账数据自动计算。")
    tag = allowed[tag_code]
    with db.transaction() as cur:
        record = get(scope, entity, record_id, cur)
        params = {"entity": entity, "entity_id": record["id"], "tag_id": tag["id"]}
        if on:
            db.run(cur, "ledger/insert_manual_tag", username=scope.username, **params)
        else:
            db.run(cur, "ledger/delete_manual_tag", **params)
        old, new = (None, tag["name"]) if on else (tag["name"], None)
        log_change(
            cur, scope, entity, record["id"], "_tag", old, new, "console", None, record["version"]
        )
        db.bump_data_version(cur)


# ---------------------------------------------------------------- data quality


@checked
def quality_hints(scope: Scope, entity: str, record: dict) -> list[str]:
    """What is wrong or missing in a record: required fields, ID facts, duplicate ID numbers."""
    hints = []
    for f in fields(entity):
        if f["required"] and value_of(record, f) in (None, ""):
            hints.append(f"必填字段“{f['name']}”为空")
    if entity != "resident":
        return hints
    if record.get("id_type") in (None, "01") and record.get("id_number"):
        try:
            validate.id_number(record["id_number"])
            validate.check_id_matches(
                record["id_number"], record.get("birth_date"), record.get("sex"), "身份证号"
            )
        except validate.ValidationError as exc:
            hints.append(str(exc) if scope.clearance else ID_PROBLEM_MASKED)
        duplicates = db.fetch_value(
            "ledger/count_id_number_in_scope",
            org_code=scope.org_code,
            id_number=record["id_number"],
            id=record["id"],
        )
        if duplicates:
            hints.append(f"辖区内另有 {duplicates} 名在册人员使用同一身份证号，请核实")
    elif record.get("id_type") in (None, "01") and record.get("status") == "active":
        hints.append("身份证号为空")
    if record.get("status") == "active" and not record.get("household_id"):
        hints.append("未关联户")
    return hints


# ---------------------------------------------------------------- the whole change log

# Which changes a caller sees: every record lies under the root of the org tree, so its log needs
# no join (9M residents would be read for nothing); below it, changes join the records in scope.
CHANGE_SCOPE = {
    "all": "true",
    "subtree": (
        "exists (select 1 from in_scope as s where s.entity = c.entity and s.id = c.entity_id)"
    ),
}


@checked
def change_log_page(
    scope: Scope,
    username: str | None,
    entity: str | None,
    source: str | None,
    date_from: date | None,
    date_to: date | None,
    page: int,
    page_size: int = PAGE_SIZE,
) -> tuple[list[dict], int]:
    """One page of the changes of records inside the caller's scope (the admin's 操作日志),
    newest first, readable."""
    filters = {
        "org_code": scope.org_code,
        "username": username or None,
        "entity": entity,
        "source": source,
        "date_from": date_from,
        "date_to": date_to,
    }
    page = max(1, page)
    root = catalog.org_unit(scope.org_code)["parent_code"] is None
    with db.cursor() as cur:
        rel = db.run_filled(
            cur,
            "ledger/list_changes",
            slots={"scope": CHANGE_SCOPE["all" if root else "subtree"]},
            limit=page_size,
            offset=(page - 1) * page_size,
            **filters,
        )
        names = [d[0] for d in rel.description]
        rows = [dict(zip(names, r, strict=True)) for r in rel.fetchall()]
    if not rows and page > 1:  # past the end: no rows, and the total from the first page
        first = change_log_page(scope, username, entity, source, date_from, date_to, 1, page_size)
        return [], first[1]
    total = rows[0].pop("total") if rows else 0
    for row in rows[1:]:
        row.pop("total")
    return [_readable(scope, r["entity"], r) for r in rows], total
