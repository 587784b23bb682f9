"""Filling a department's own Excel form: analyse it, map its headers, write the data into a copy.

A roster gets one row per record; a column about another person (户主身份证号, 母亲姓名,
配偶联系电话 …) is filled from the person the ledger links (household head, spouse, parents),
never from the row's own values, and left blank — said so — where no one is linked. Statistics
tables and indicator lists are counted (reports.counts). Formulas already in the form become
fixed values, so nothing computes, links or runs when the copy is opened.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook, load_workbook

from yibiaotong import catalog, db, tags
from yibiaotong import mapping as mapper
from yibiaotong.excel import template_fill, upload
from yibiaotong.excel.cells import file_name
from yibiaotong.excel.report import GENERATOR
from yibiaotong.permissions import checked
from yibiaotong.reports import counts
from yibiaotong.reports.definition import DERIVED, ReportError, _fail
from yibiaotong.reports.generation import RunResult, _log_run
from yibiaotong.reports.plan import RELATIONS, cn_date, prepare
from yibiaotong.reports.rows import count, iter_rows
from yibiaotong.reports.store import template
from yibiaotong.scope import Scope

FILL_MAX_ROWS = 50_000
# Derived values a department's form may ask for (their header words live in mapper.EXTRAS).
_FORM_NOT_OFFERED = ("elderly_allowance", "head_name", "father_name", "mother_name")
# A person's fields a form may ask about someone else (never links such as 所属户).
_PERSON_FIELDS_SKIPPED = frozenset(
    {"resident_father_id", "resident_mother_id", "resident_household_id", "resident_house_id"}
)
_MONTH_HEADER = re.compile(r"年月(?!日)")


@dataclass
class FormAnalysis:
    """What the upload step found: the form's kind and header block, and per column what it
    maps to (rosters) or how it is counted (statistics tables, indicator lists)."""

    block: template_fill.HeaderBlock
    entity: str
    mapping: dict[str, str | None]  # column key → choice key usable without asking, else None
    scores: dict[str, float]
    remembered: bool
    choices: dict[str, str]  # choice key → label, for the confirmation widgets
    matches: dict[str, mapper.HeaderMatch] = field(default_factory=dict)
    suggested: dict[str, str | None] = field(default_factory=dict)  # column key → choice key
    notes: dict[str, str] = field(default_factory=dict)  # column key → Chinese explanation
    formulas: list[str] = field(default_factory=list)  # cells whose formula becomes a value
    table: counts.TableFill | None = None  # statistics table / indicator list: what is counted

    @property
    def kind(self) -> str:
        return self.block.kind

    def needs_confirmation(self, key: str) -> bool:
        """A weak or ambiguous match: shown to the user, never filled until confirmed."""
        return self.matches[key].status in ("fuzzy", "ask")

    def options(self, key: str) -> list[str]:
        """The choice keys the mapper proposes for a column, best first."""
        relation = self.matches[key].relation
        out = []
        for c in self.matches[key].candidates:
            choice = _choice_key(c.field, relation, self.entity)
            if choice in self.choices and choice not in out:
                out.append(choice)
        return out


def _choice_key(field_code: str | None, relation: str | None, entity: str) -> str | None:
    """A field of the row's own record, or `relation.field` for a linked person's."""
    if field_code is None:
        return None
    if relation is None:
        return field_code
    if relation in RELATIONS.get(entity, ()):
        return f"{relation}.{field_code}"
    return None


def _template_fields(defn: Mapping[str, Any]) -> set[str]:
    return {c.get("field") or c.get("derived") for c in defn.get("columns") or []} - {None}


def _person_fields() -> dict[str, str]:
    refs, _ = tags.reference("resident")
    out = {r.code: r.label for r in refs.values() if r.code and r.column}
    return {k: v for k, v in out.items() if k not in _PERSON_FIELDS_SKIPPED} | {"age": "年龄"}


def form_choices(
    scope: Scope, defn: Mapping[str, Any], relations: set[str] = frozenset()
) -> dict[str, str]:
    """What a form header may be filled with: 序号, the entity's fields and derived values,
    and the fields of the people `relations` name. Department staff get only what their
    template itself shows (the fields the task needs)."""
    entity = defn["entity"]
    refs, _ = tags.reference(entity)
    out = {template_fill.SEQ: "序号（自动编号）"}
    for ref in [*refs.values(), *tags.attr_refs(entity).values()]:
        if ref.code:
            out.setdefault(ref.code, ref.label)
    for key, d in DERIVED.items():
        if entity in d.entities and key not in _FORM_NOT_OFFERED:
            out[key] = f"{d.label}（派生）"
    people = _person_fields()
    for relation in RELATIONS.get(entity, ()):
        if relation in relations:
            for code, label in people.items():
                out[f"{relation}.{code}"] = f"{mapper.RELATIONS[relation]}·{label}"
    if scope.role == "dept_staff":
        needed = _template_fields(defn) | {template_fill.SEQ, "age"}
        out = {k: v for k, v in out.items() if k.rpartition(".")[2] in needed}
    return out


def _form_choice(
    match: mapper.HeaderMatch, choices: Mapping[str, str], entity: str
) -> tuple[str | None, str]:
    """The choice key a match gives (or None) and what to tell the user about it."""
    if match.field is None:
        return None, match.reason
    if match.relation is not None and match.relation not in RELATIONS.get(entity, ()):
        if match.status == "remembered" and match.field in choices:
            return match.field, match.reason  # the user's own decision for this column
        who = mapper.RELATIONS.get(match.relation, "此人")
        return None, f"{match.reason}（台账未登记{who}，该列留空）"
    key = _choice_key(match.field, match.relation, entity)
    if key not in choices:
        return None, f"{match.reason}（此字段不能填入表样，留空）"
    if match.relation is not None:
        who = mapper.RELATIONS[match.relation]
        return key, f"{match.reason}（取台账中关联的{who}；无关联者留空）"
    return key, match.reason


def _open(data: bytes) -> tuple[Workbook, template_fill.HeaderBlock, template_fill.Formulas]:
    """The uploaded form, its header block and its formulas turned into fixed values."""
    try:
        wb = upload.open_workbook(data)
        block = template_fill.detect_header(wb.active)
    except (upload.UploadError, template_fill.TemplateError) as exc:
        raise ReportError(str(exc)) from exc
    cached = None
    if any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row):
        cached = load_workbook(io.BytesIO(data), data_only=True, keep_links=False)
    return wb, block, template_fill.neutralise(wb, cached, block)


@checked
def analyse_form(scope: Scope, data: bytes, code: str, org_code: str | None = None) -> FormAnalysis:
    """Check the upload, find what kind of form it is and map its headers (remembered first);
    a statistics table or indicator list is counted for a preview of what it will get."""
    defn = template(scope, code)["definition"]
    entity = defn["entity"]
    _, block, formulas = _open(data)
    if block.kind != "roster":
        table = counts.plan_table(
            scope, block, entity, defn.get("filter") or {}, scope.narrow(org_code)
        )
        analysis = FormAnalysis(block, entity, {}, {}, False, {}, table=table)
        analysis.formulas = formulas.replaced
        return analysis
    matches = mapper.map_headers(
        [c.path for c in block.columns],
        entity,
        context=f"form:{block.signature}",
        extras=_form_extras(entity),
        scope=scope,
    )
    relations = {m.relation for m in matches if m.relation}
    choices = form_choices(scope, defn, relations)
    analysis = FormAnalysis(block, entity, {}, {}, False, choices, formulas=formulas.replaced)
    for col, match in zip(block.columns, matches, strict=True):
        key, note = _form_choice(match, choices, entity)
        analysis.matches[col.key] = match
        analysis.notes[col.key] = note
        analysis.mapping[col.key] = key if match.usable else None
        analysis.suggested[col.key] = key
        analysis.scores[col.key] = match.candidates[0].score if match.candidates else 0.0
    analysis.remembered = any(m.status == "remembered" for m in matches)
    return analysis


def _form_extras(entity: str) -> list[str]:
    offered = [k for k, d in DERIVED.items() if entity in d.entities and k in mapper.EXTRAS]
    return ["seq", *(k for k in offered if k not in _FORM_NOT_OFFERED)]


def _columns(
    block: template_fill.HeaderBlock, mapping: Mapping[str, str | None], allowed: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[template_fill.Fill]]:
    """The template columns a confirmed mapping asks for, and where each goes in the form."""
    columns: list[dict[str, Any]] = []
    fills: list[template_fill.Fill] = []
    for col in block.columns:
        key = mapping.get(col.key)
        if key is None:
            continue
        if key not in allowed:
            _fail(f"“{col.display}”对应的字段“{key}”不可用")
        if key == template_fill.SEQ:
            fills.append(template_fill.Fill(col.col, template_fill.SEQ))
            continue
        relation, _, code = key.rpartition(".")
        header = col.label[:40] or code
        if relation:
            columns.append({"related": code, "relation": relation, "header": header})
        elif code in DERIVED:
            columns.append({"derived": code, "header": header})
        else:
            columns.append({"field": code, "header": header})
        month = code.endswith("birth_date") and bool(_MONTH_HEADER.search(col.display))
        fills.append(template_fill.Fill(col.col, len(columns) - 1, month_only=month))
    if not columns:
        _fail("请至少为一列表头选择对应的字段")
    return columns, fills


@checked
def fill_form(
    scope: Scope,
    code: str,
    data: bytes,
    mapping: Mapping[str, str | None] | None = None,
    org_code: str | None = None,
    masked: bool | None = None,
    form_name: str = "",
    remember: bool = True,
    limit: int | None = None,
) -> tuple[bytes, RunResult]:
    """The template's data for the caller's scope written into a copy of the uploaded form.

    A roster takes `mapping` (column key → field code, derived name, `relation.field`, "seq" or
    None), the user-confirmed one, remembered for the next upload of the same form; a
    statistics table or indicator list is counted. The run is logged like a generated report.
    Nothing is written anywhere until the whole workbook is built in memory. `limit` keeps only
    the first rows of a roster (benchmarks).
    """
    row = template(scope, code)
    defn = row["definition"]
    wb, block, formulas = _open(data)
    org = scope.narrow(org_code)
    unit = (catalog.org_path(org) or org).replace("/", "")
    started = time.perf_counter()
    if block.kind != "roster":
        prepared = prepare(scope, code, org, masked=masked)
        table = counts.plan_table(scope, block, defn["entity"], defn.get("filter") or {}, org)
        ws = wb[block.sheet]
        template_fill.write_values(ws, table.values)
        template_fill.fill_lines(ws, block, unit, cn_date(prepared.as_of))
        template_fill.fit_to_page(ws, block)
        n = table.rows
    else:
        mapping = mapping or {}
        relations = {k.rpartition(".")[0] for k in mapping.values() if k and "." in k}
        allowed = form_choices(scope, defn, relations)
        plain = {
            col.path: (mapping.get(col.key) or "").rpartition(".")[2] or None
            for col in block.columns
        }
        try:
            mapper.check_choices(plain)
        except mapper.MappingError as exc:
            raise ReportError(str(exc)) from exc
        columns, fills = _columns(block, mapping, allowed)
        prepared = prepare(scope, code, org, masked=masked, columns=columns)
        with db.cursor() as cur:
            cur.execute("begin transaction")
            try:
                total = min(count(prepared, cur), limit or FILL_MAX_ROWS + 1)
                if total > FILL_MAX_ROWS:
                    _fail(
                        f"共 {total:,} 行，超过套用表样的上限 {FILL_MAX_ROWS:,} 行，请缩小范围或直接生成标准报表"
                    )
                rows = list(iter_rows(prepared, cur, limit=limit))
            finally:
                cur.execute("rollback")
        try:
            n = template_fill.fill(
                wb,
                block,
                fills,
                rows,
                unit=unit,
                day=cn_date(prepared.as_of),
                column_sums=formulas.column_sums,
            )
        except template_fill.TemplateError as exc:
            raise ReportError(str(exc)) from exc
        if remember:
            mapper.remember(scope, f"form:{block.signature}", plain)
    wb.properties.lastModifiedBy = GENERATOR
    wb.properties.modified = datetime.now().replace(microsecond=0)
    content = template_fill.save(wb)
    digest = hashlib.sha256(content).hexdigest()
    seconds = time.perf_counter() - started
    run_id, minutes = _log_run(prepared, n, seconds, digest, None)
    unit_name = catalog.org_name(prepared.org_code) or prepared.org_code
    name = file_name(
        f"{form_name or prepared.template['name']}_{unit_name}_{prepared.as_of:%Y%m%d}", ".xlsx"
    )
    run = RunResult(
        code=prepared.code,
        version=prepared.template["version"],
        name=prepared.template["name"],
        rows=n,
        seconds=seconds,
        file_hash=digest,
        minutes_saved=minutes,
        masked=prepared.masked,
        run_id=run_id,
        filename=name,
    )
    return content, run
