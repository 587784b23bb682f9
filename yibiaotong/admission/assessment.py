"""The automatic assessment of a report request: each field against the field standard, the
share the ledger already holds, the templates that already cover it, and the burden.

Matching is the shared header mapper's (`yibiaotong.mapping`): only "exact" and "remembered"
matches are taken as they are; anything else is a suggestion the requester confirms.

Burden model (stated to users beside every figure): filling one cell of a roster by hand —
finding the person's record, copying the value, checking it — takes MINUTES_PER_CELL minutes.
A field the ledger holds costs nothing to collect (the report is generated); every other field
costs rows × periods per year × MINUTES_PER_CELL. The same arithmetic over the held fields is
the time the ledger saves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from yibiaotong import catalog, db, mapping, tag_query
from yibiaotong.permissions import checked
from yibiaotong.reports import DERIVED, FREQUENCIES, in_force
from yibiaotong.scope import AccessDenied, Scope

MINUTES_PER_CELL = 0.5
# Reports a year at each frequency; daily reports are filled on working days.
PERIODS_PER_YEAR = {
    "daily": 250,
    "weekly": 52,
    "monthly": 12,
    "quarterly": 4,
    "half_yearly": 2,
    "yearly": 1,
    "on_demand": 1,
}
BURDEN_MODEL = (
    f"负担估算：人工填写一个单元格（查找、抄录、核对）按 {MINUTES_PER_CELL:g} 分钟计；"
    "需采集的字段数 × 涉及行数 × 每年报送次数 × 每格分钟数 = 每年人工小时。"
    "台账已有的字段由系统生成，不再采集，同样的算法得出节省的小时数。"
    "每年报送次数：日报 250（工作日）、周报 52、月报 12、季报 4、半年报 2、年报与按需 1。"
)
SEQ = "seq"
OVERLAP_SHOWN = 5


class AdmissionError(ValueError):
    """A request or decision the admission desk refuses; the message is Chinese."""


@dataclass(frozen=True)
class RequestedField:
    """One field a department asks for, as decided on the request."""

    header: str  # as written on the form ("parent/leaf"), or the standard name when picked
    field: str | None  # field-standard code or derived value; None: not in the ledger
    relation: str | None = None  # about another person (mapping.RELATIONS), None: the row's own
    status: str = "picked"  # the mapper's status, "picked" from the standard, "confirmed" by hand
    score: float = 100.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def extras_for(entity: str) -> list[str]:
    """Values other than fields a report of `entity` can fill, offered to the mapper."""
    return [SEQ, *(k for k, d in DERIVED.items() if entity in d.entities and k in mapping.EXTRAS)]


def match_headers(
    columns: Sequence[Sequence[str]],
    entity: str,
    *,
    context: str | None = None,
    scope: Scope | None = None,
) -> list[mapping.HeaderMatch]:
    """The mapper's answer for a form's header paths (no sample values: only shapes are kept)."""
    return mapping.map_headers(
        [tuple(p) for p in columns],
        entity,
        context=context,
        extras=extras_for(entity),
        scope=scope,
    )


def decide(
    matches: Sequence[mapping.HeaderMatch], choices: Mapping[int, str | None] | None = None
) -> list[RequestedField]:
    """The request's fields: exact and remembered matches as they are, every other header as
    the requester chose it (`choices`: column index → field code, or None for "not in the
    ledger"). AdmissionError names the headers still to be decided, or a look-alike chosen as an
    identity field (残疾证号 as 身份证号)."""
    choices = dict(choices or {})
    open_ = [m.header for i, m in enumerate(matches) if i not in choices and not _settled(m)]
    if open_:
        raise AdmissionError(
            f"还有 {len(open_)} 个表头需要您确认对应的字段："
            + "、".join(open_[:8])
            + ("等" if len(open_) > 8 else "")
        )
    chosen = {matches[i].header: f for i, f in choices.items() if f is not None}
    try:
        mapping.check_choices(chosen)
    except mapping.MappingError as exc:
        raise AdmissionError(str(exc)) from exc
    out = []
    for i, m in enumerate(matches):
        best = m.candidates[0].score if m.candidates else 0.0
        if i in choices:
            out.append(RequestedField(m.header, choices[i], m.relation, "confirmed", best))
        else:
            out.append(RequestedField(m.header, m.field, m.relation, m.status, best))
    return out


def _settled(m: mapping.HeaderMatch) -> bool:
    """A match that needs no decision: exact, remembered, or nothing to map it to."""
    return m.status in ("exact", "remembered", "none")


def picked(entity: str, codes: Iterable[str]) -> list[RequestedField]:
    """Fields picked from the standard (field codes or derived values of `entity`)."""
    labels = field_labels(entity)
    out = []
    for code in codes:
        if code not in labels:
            raise AdmissionError(f"“{code}”不是{catalog.ENTITY_NAMES[entity]}的标准字段")
        out.append(RequestedField(labels[code], code))
    return out


def field_labels(entity: str) -> dict[str, str]:
    """What a request of `entity` may pick: its fields and the derived values, by code."""
    labels = {f["code"]: f["name"] for f in catalog.field_defs(entity) if not _is_link(f)}
    labels.update({k: d.label for k, d in DERIVED.items() if entity in d.entities})
    return labels


def _is_link(f: Mapping[str, Any]) -> bool:
    return f["data_type"] == "int" and f["code"].endswith("_id")


# ---------------------------------------------------------------------------------------------
# Coverage, overlap, burden


@dataclass(frozen=True)
class Assessed:
    """One requested field as assessed: held by the ledger, or to be collected and why."""

    header: str
    field: str | None
    label: str  # the standard field's name, or "—"
    kind: str  # "held" | "collect" | "seq"
    why: str
    status: str
    score: float


@dataclass(frozen=True)
class Overlap:
    """An active template measured against the request."""

    code: str
    name: str
    department: str
    share: float  # of the request's fields this template already has
    shared: list[str]
    missing: list[str]  # the request's fields it lacks (headers as requested)
    extra: int  # its fields the request did not ask for


@dataclass(frozen=True)
class Assessment:
    fields: list[Assessed]
    coverage: float | None  # held / fields (序号 not counted)
    held: int
    collect: int
    overlaps: list[Overlap]
    rows: int | None  # records in the requested scope and group; None when not countable
    rows_note: str
    periods: int
    burden_hours: float  # collecting the fields the ledger lacks, per year
    saved_hours: float  # generating the fields the ledger holds, per year
    model: str = BURDEN_MODEL
    keys: list[str] = field(default_factory=list)  # held field keys, for the overlap

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("keys")
        data["overlaps"] = data["overlaps"][:OVERLAP_SHOWN]
        return data


def classify(entity: str, fields: Sequence[RequestedField]) -> list[Assessed]:
    """Each field held (a field of `entity` or a value a report computes) or to be collected."""
    own = {f["code"]: f["name"] for f in catalog.field_defs(entity) if not _is_link(f)}
    derived = {k: d.label for k, d in DERIVED.items() if entity in d.entities}
    relations = mapping.RELATIONS
    out = []
    for f in fields:
        if f.field == SEQ:
            out.append(
                Assessed(f.header, SEQ, "序号", "seq", "序号列，不是字段", f.status, f.score)
            )
            continue
        if f.field in derived:
            why = "由台账计算生成"
            out.append(
                Assessed(f.header, f.field, derived[f.field], "held", why, f.status, f.score)
            )
        elif f.field is None:
            why = "字段标准中没有，需要采集"
            out.append(Assessed(f.header, None, "—", "collect", why, f.status, f.score))
        elif f.relation is not None:
            who = relations.get(f.relation, "他人")
            label = mapping.field_label(f.field)
            why = f"是{who}的{label}，台账不能按本表对象直接生成，需要采集"
            out.append(Assessed(f.header, f.field, label, "collect", why, f.status, f.score))
        elif f.field in own:
            why = "台账已有，一键生成"
            out.append(Assessed(f.header, f.field, own[f.field], "held", why, f.status, f.score))
        else:
            label = mapping.field_label(f.field)
            why = f"台账有此字段，但不属于{catalog.ENTITY_NAMES[entity]}，需要采集"
            out.append(Assessed(f.header, f.field, label, "collect", why, f.status, f.score))
    return out


def coverage(assessed: Sequence[Assessed]) -> float | None:
    counted = [a for a in assessed if a.kind != "seq"]
    return sum(a.kind == "held" for a in counted) / len(counted) if counted else None


def template_keys(definition: Mapping[str, Any]) -> set[str]:
    """The fields and derived values a list template fills."""
    return {c.get("field") or c.get("derived") for c in definition.get("columns") or []} - {None}


def active_templates() -> list[dict[str, Any]]:
    """Current versions of every template in force (catalogue metadata, not personal data)."""
    rows = db.fetch_dicts("reports/list_templates")
    out = []
    for row in rows:
        if isinstance(row["definition"], str):
            row["definition"] = json.loads(row["definition"])
        if in_force(row):
            out.append(row)
    return out


def overlaps(
    entity: str, assessed: Sequence[Assessed], templates: Sequence[Mapping[str, Any]]
) -> list[Overlap]:
    """Active list templates of the same entity ranked by the share of the request's fields they
    already contain (ties: fewer fields the request did not ask for first)."""
    counted = [a for a in assessed if a.kind != "seq"]
    if not counted:
        return []
    out = []
    for t in templates:
        defn = t["definition"]
        if defn.get("kind") != "list" or defn.get("entity") != entity:
            continue
        keys = template_keys(defn)
        shared = [a for a in counted if a.kind == "held" and a.field in keys]
        if not shared:
            continue
        shared_keys = {a.field for a in shared}
        out.append(
            Overlap(
                code=t["code"],
                name=t["name"],
                department=t["department_name"],
                share=len(shared) / len(counted),
                shared=[a.label for a in shared],
                missing=[a.header for a in counted if a not in shared],
                extra=len(keys - shared_keys),
            )
        )
    out.sort(key=lambda o: (-o.share, o.extra, o.code))
    return out


@checked
def rows_in_scope(
    scope: Scope, entity: str, org_code: str, tags: Sequence[str]
) -> tuple[int | None, str]:
    """Records the report would list: `entity` in the unit, with every tag; and a note."""
    spec = {"entity": entity, "tags": {"all": list(tags)}, "org_code": org_code}
    try:
        return tag_query.count(scope, spec), ""
    except AccessDenied:
        return None, "涉及敏感人群，行数由审核人核定"
    except tag_query.QueryError as exc:
        return None, str(exc)


def hours(fields: int, rows: int | None, periods: int) -> float:
    return round(fields * (rows or 0) * periods * MINUTES_PER_CELL / 60, 1)


@checked
def assess(
    scope: Scope,
    entity: str,
    fields: Sequence[RequestedField],
    frequency: str,
    org_code: str,
    tags: Sequence[str] = (),
    templates: Sequence[Mapping[str, Any]] | None = None,
) -> Assessment:
    """Coverage, overlap and burden of a request, computed now (shown before any decision)."""
    if frequency not in FREQUENCIES:
        raise AdmissionError("请选择报送频次")
    assessed = classify(entity, fields)
    held = sum(a.kind == "held" for a in assessed)
    collect = sum(a.kind == "collect" for a in assessed)
    rows, note = rows_in_scope(scope, entity, org_code, tags)
    periods = PERIODS_PER_YEAR[frequency]
    return Assessment(
        fields=assessed,
        coverage=coverage(assessed),
        held=held,
        collect=collect,
        overlaps=overlaps(entity, assessed, active_templates() if templates is None else templates),
        rows=rows,
        rows_note=note,
        periods=periods,
        burden_hours=hours(collect, rows, periods),
        saved_hours=hours(held, rows, periods),
        keys=[a.field for a in assessed if a.kind == "held"],
    )
