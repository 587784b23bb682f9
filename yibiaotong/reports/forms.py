"""Filling a department's own Excel form: analyse its header, map it, write the rows into a copy."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yibiaotong import catalog, db, tags
from yibiaotong import mapping as mapper
from yibiaotong.excel import template_fill, upload
from yibiaotong.excel.report import GENERATOR
from yibiaotong.permissions import checked
from yibiaotong.reports.definition import DERIVED, ReportError, _fail
from yibiaotong.reports.generate import RunResult, _log_run
from yibiaotong.reports.plan import cn_date, prepare
from yibiaotong.reports.rows import count, iter_rows
from yibiaotong.reports.store import template
from yibiaotong.scope import Scope

FILL_MAX_ROWS = 50_000
# Derived values a department's form may ask for (their header words live in mapper.EXTRAS);
# a header about another person is filled from the ledger where a derived value gives it.
_FORM_NOT_OFFERED = ("elderly_allowance", "head_name", "father_name", "mother_name")
_RELATED_DERIVED = {
    ("head", "resident_name"): "head_name",
    ("father", "resident_name"): "father_name",
    ("mother", "resident_name"): "mother_name",
}


@dataclass
class FormAnalysis:
    """What the upload step found: the header block and, per column, what it maps to."""

    block: template_fill.HeaderBlock
    entity: str
    mapping: dict[str, str | None]  # column key → choice key usable without asking, else None
    scores: dict[str, float]
    remembered: bool
    choices: dict[str, str]  # choice key → label, for the confirmation widgets
    matches: dict[str, mapper.HeaderMatch] = field(default_factory=dict)
    suggested: dict[str, str | None] = field(default_factory=dict)  # column key → choice key
    notes: dict[str, str] = field(default_factory=dict)  # column key → Chinese explanation

    def needs_confirmation(self, key: str) -> bool:
        """A weak or ambiguous match: shown to the user, never filled until confirmed."""
        return self.matches[key].status in ("fuzzy", "ask")


def _form_extras(entity: str) -> list[str]:
    offered = [k for k, d in DERIVED.items() if entity in d.entities and k in mapper.EXTRAS]
    return ["seq", *(k for k in offered if k not in _FORM_NOT_OFFERED)]


def form_choices(entity: str) -> dict[str, str]:
    """What a form header may be filled with: 序号, the entity's fields, derived values."""
    refs, _ = tags.reference(entity)
    out = {template_fill.SEQ: "序号（自动编号）"}
    for ref in refs.values():
        if ref.code:
            out.setdefault(ref.code, ref.label)
    for key, d in DERIVED.items():
        if entity in d.entities and key != "elderly_allowance":
            out[key] = f"{d.label}（派生）"
    return out


def _form_choice(match: mapper.HeaderMatch, choices: Mapping[str, str]) -> tuple[str | None, str]:
    """The choice key a match gives (or None) and what to tell the user about it."""
    if match.field is None:
        return None, match.reason
    key = match.field
    if match.relation is not None and match.status != "remembered":
        key = _RELATED_DERIVED.get((match.relation, match.field))
        if key is None:
            return None, f"{match.reason}（台账暂不能取此人的值，留空）"
    if key not in choices:
        return None, f"{match.reason}（此字段不能填入表样，留空）"
    return key, match.reason


def analyse_form(data: bytes, entity: str, scope: Scope | None = None) -> FormAnalysis:
    """Check the upload, find its header block and map its headers (remembered ones first)."""
    try:
        wb = upload.open_workbook(data)
        block = template_fill.detect_header(wb.active)
    except (upload.UploadError, template_fill.TemplateError) as exc:
        raise ReportError(str(exc)) from exc
    choices = form_choices(entity)
    matches = mapper.map_headers(
        [c.path for c in block.columns],
        entity,
        context=f"form:{block.signature}",
        extras=_form_extras(entity),
        scope=scope,
    )
    analysis = FormAnalysis(block, entity, {}, {}, False, choices)
    for col, match in zip(block.columns, matches, strict=True):
        key, note = _form_choice(match, choices)
        analysis.matches[col.key] = match
        analysis.notes[col.key] = note
        analysis.mapping[col.key] = key if match.usable else None
        analysis.suggested[col.key] = key
        analysis.scores[col.key] = match.candidates[0].score if match.candidates else 0.0
    analysis.remembered = any(m.status == "remembered" for m in matches)
    return analysis


@checked
def fill_form(
    scope: Scope,
    code: str,
    data: bytes,
    mapping: Mapping[str, str | None],
    org_code: str | None = None,
    masked: bool | None = None,
    form_name: str = "",
    remember: bool = True,
) -> tuple[bytes, RunResult]:
    """Write a template's rows for the caller's scope into a copy of the uploaded form.

    `mapping` (column key → field code, derived name, "seq" or None) is the user-confirmed one;
    it is remembered for the next upload of the same form. The run is logged like a generated
    report. Nothing is written anywhere until the whole workbook is built in memory.
    """
    row = template(code)
    entity = row["definition"]["entity"]
    try:
        wb = upload.open_workbook(data)
        block = template_fill.detect_header(wb.active)
    except (upload.UploadError, template_fill.TemplateError) as exc:
        raise ReportError(str(exc)) from exc
    allowed = form_choices(entity)
    try:
        mapper.check_choices({col.path: mapping.get(col.key) for col in block.columns})
    except mapper.MappingError as exc:
        raise ReportError(str(exc)) from exc
    columns: list[dict[str, Any]] = []
    mapped: list[tuple[int, Any]] = []
    for col in block.columns:
        key = mapping.get(col.key)
        if key is None:
            continue
        if key not in allowed:
            _fail(f"“{col.display}”对应的字段“{key}”不可用")
        if key == template_fill.SEQ:
            mapped.append((col.col, template_fill.SEQ))
            continue
        source = "derived" if key in DERIVED else "field"
        mapped.append((col.col, len(columns)))
        columns.append({source: key, "header": col.label[:40] or key})
    if not columns:
        _fail("请至少为一列表头选择对应的字段")
    prepared = prepare(scope, code, org_code, masked=masked, columns=columns)
    started = time.perf_counter()
    with db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            total = count(prepared, cur)
            if total > FILL_MAX_ROWS:
                _fail(
                    f"共 {total:,} 行，超过套用表样的上限 {FILL_MAX_ROWS:,} 行，请缩小范围或直接生成标准报表"
                )
            rows = list(iter_rows(prepared, cur))
        finally:
            cur.execute("rollback")
    try:
        n = template_fill.fill(
            wb,
            block,
            mapped,
            rows,
            unit=(catalog.org_path(prepared.org_code) or prepared.org_code).replace("/", ""),
            day=cn_date(prepared.as_of),
        )
    except template_fill.TemplateError as exc:
        raise ReportError(str(exc)) from exc
    wb.properties.lastModifiedBy = GENERATOR
    wb.properties.modified = datetime.now().replace(microsecond=0)
    content = template_fill.save(wb)
    digest = hashlib.sha256(content).hexdigest()
    seconds = time.perf_counter() - started
    run_id = _log_run(prepared, n, seconds, digest, None)
    if remember:
        mapper.remember(
            scope,
            f"form:{block.signature}",
            {col.path: mapping.get(col.key) for col in block.columns},
        )
    unit = catalog.org_name(prepared.org_code) or prepared.org_code
    name = re.sub(
        r'[\\/:*?"<>|\s]+',
        "",
        f"{form_name or prepared.template['name']}_{unit}_{prepared.as_of:%Y%m%d}.xlsx",
    )
    run = RunResult(
        code=prepared.code,
        version=prepared.template["version"],
        name=prepared.template["name"],
        rows=n,
        seconds=seconds,
        file_hash=digest,
        minutes_saved=int(prepared.template["manual_minutes"]),
        masked=prepared.masked,
        run_id=run_id,
        filename=name,
    )
    return content, run
