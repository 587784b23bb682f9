"""Adding to the field standard from consolidated forms: a form's headers become synonyms of an
existing field, or a new field whose values live in the record's `attrs` JSON (DESIGN.md).

Synonyms added here are kept in `field_synonym_added` and merged into `field_def` again after
every catalogue load, so a restart never loses them (DESIGN rule 10).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pypinyin import lazy_pinyin

from yibiaotong import catalog, db, mapping
from yibiaotong.admission.assessment import AdmissionError
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

NEW_FIELD_TYPES = {
    "text": "文本",
    "int": "整数",
    "decimal": "数值（可带小数）",
    "date": "日期",
    "phone": "电话号码",
}
_VALIDATORS = {"date": "date", "phone": "phone"}
SENSITIVITIES = {"public": "公开", "internal": "内部", "sensitive": "敏感（脱敏显示）"}


def reapply(cur) -> None:
    """Merge admin-added synonyms into field_def; run after catalog.load_catalog."""
    db.run(cur, "admission/apply_synonyms")


def synonym_text(header: str | Sequence[str]) -> str:
    """A header as a synonym: its last part tidied as the mapper tidies headers, with its
    parent in front when the last part alone says little (矫正起止日期 / 起 → 矫正起止日期起)."""
    parts = [mapping.tidy(p) for p in mapping.split_header(header)] if header else []
    if not parts:
        return ""
    text = parts[-1] if len(parts[-1]) > 2 or len(parts) == 1 else "".join(parts[-2:])
    return text.strip()[:40]


def _taken(fields: list[dict]) -> dict[str, str]:
    """Name or synonym → field code, over the whole standard."""
    out: dict[str, str] = {}
    for f in fields:
        for text in (f["name"], *(f["synonyms"] or [])):
            out.setdefault(text, f["code"])
    return out


@checked
def add_synonyms(
    cur, scope: Scope, code: str, headers: Sequence[str], pile_id: int | None
) -> list[str]:
    """Add headers as synonyms of field `code`; returns those added. A header that already
    names another field, or a look-alike offered for an identity field, is refused."""
    fields = [
        dict(zip(("code", "entity", "name", "synonyms", "status"), r, strict=True))
        for r in db.run(cur, "admission/field_names").fetchall()
    ]
    target = next((f for f in fields if f["code"] == code and f["status"] == "active"), None)
    if target is None:
        raise AdmissionError(f"字段“{code}”不在字段标准中或已停用")
    try:
        mapping.check_choices({h: code for h in headers})
    except mapping.MappingError as exc:
        raise AdmissionError(str(exc)) from exc
    taken = _taken(fields)
    added = []
    for header in headers:
        text = synonym_text(header)
        if not text or text in added:
            continue
        owner = taken.get(text)
        if owner == code:
            continue
        if owner is not None:
            raise AdmissionError(
                f"“{text}”已是字段“{owner}”的名称或同义词，不能再归入“{target['name']}”"
            )
        db.run(
            cur,
            "admission/insert_synonym",
            field_code=code,
            synonym=text,
            pile_id=pile_id,
            added_by=scope.username,
        )
        added.append(text)
    reapply(cur)
    return added


def new_code(entity: str, name: str, taken: set[str]) -> str:
    """A field code from the name's pinyin (血型 → resident_xuexing), unique, never reused."""
    stem = re.sub(r"[^a-z0-9]+", "_", "_".join(lazy_pinyin(name)).lower()).strip("_")[:30]
    base = f"{entity}_{stem or 'field'}"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


@checked
def add_field(
    cur,
    scope: Scope,
    entity: str,
    name: str,
    data_type: str,
    headers: Sequence[str],
    pile_id: int | None,
    sensitivity: str = "internal",
) -> str:
    """A new field of `entity` (kept in attrs) named `name`, the headers as its synonyms."""
    if entity not in catalog.ENTITY_NAMES:
        raise AdmissionError("请选择字段所属的对象")
    name = str(name or "").strip()
    if not 2 <= len(name) <= 20 or name[:1] in "=+-@":
        raise AdmissionError("字段名称应为 2–20 个字，且不能以 =、+、-、@ 开头")
    if data_type not in NEW_FIELD_TYPES:
        raise AdmissionError("请选择字段类型")
    if sensitivity not in SENSITIVITIES:
        raise AdmissionError("请选择敏感级别")
    fields = [
        dict(zip(("code", "entity", "name", "synonyms", "status"), r, strict=True))
        for r in db.run(cur, "admission/field_names").fetchall()
    ]
    taken = _taken(fields)
    if name in taken:
        raise AdmissionError(f"字段标准中已有“{name}”（{taken[name]}），请改为归入该字段")
    synonyms = []
    for header in headers:
        text = synonym_text(header)
        if text and text != name and text not in synonyms:
            if text in taken:
                raise AdmissionError(f"“{text}”已是字段“{taken[text]}”的名称或同义词")
            synonyms.append(text)
    code = new_code(entity, name, {f["code"] for f in fields})
    db.run(
        cur,
        "admission/insert_field_def",
        code=code,
        entity=entity,
        name=name,
        data_type=data_type,
        validator=_VALIDATORS.get(data_type),
        sensitivity=sensitivity,
        synonyms=synonyms,
        description=f"由表单归并新增（归并批次 {pile_id}），值保存在扩展属性中"
        if pile_id
        else "由报表准入新增，值保存在扩展属性中",
    )
    return code
