"""Filling a department's own Excel form: analyse its header, map it, write the rows into a copy."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yibiaotong import catalog, db, tags
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
# Header words of real forms for derived values (the field standard carries the fields' own).
DERIVED_SYNONYMS: dict[str, tuple[str, ...]] = {
    "age": ("年龄", "周岁", "年龄（岁）", "实足年龄"),
    "street": ("所属街道", "街道", "街道名称", "镇街"),
    "community": ("所属社区", "社区", "社区名称", "所在社区", "村社"),
    "grid": ("所属网格", "网格", "网格名称", "所在网格"),
    "household_no": ("户号", "户编号"),
    "head_name": ("户主姓名", "户主", "监护人姓名"),
    "member_count": ("家庭人口", "家庭人口数", "家庭成员数", "户内人数", "共同生活人数"),
    "mother_name": ("母亲姓名", "母亲", "母亲名字"),
    "father_name": ("父亲姓名", "父亲", "父亲名字"),
    "childcare_subsidy": ("补助金额", "育儿补助", "补助金额（元）", "发放金额"),
    "occupant_count": ("居住人数", "实住人数", "入住人数"),
}


@dataclass
class FormAnalysis:
    """What the upload step found: the header block and the suggested (or remembered) mapping."""

    block: template_fill.HeaderBlock
    entity: str
    mapping: dict[str, str | None]  # column key → field code / derived name / "seq" / None
    scores: dict[str, float]
    remembered: bool
    choices: dict[str, str]  # choice key → label, for the confirmation widgets


def form_choices(entity: str) -> list[template_fill.Choice]:
    """What a form header may map to for one entity: fields (name + synonyms), derived, 序号."""
    refs, _ = tags.reference(entity)
    synonyms = {f["code"]: f["synonyms"] or [] for f in catalog.field_defs(entity)}
    out = [template_fill.Choice(template_fill.SEQ, "序号（自动编号）", template_fill.SEQ_NAMES)]
    seen = set()
    for ref in refs.values():
        if ref.code and ref.code not in seen:
            seen.add(ref.code)
            names = (ref.label, *synonyms.get(ref.code, []))
            out.append(template_fill.Choice(ref.code, ref.label, tuple(names)))
    for key, d in DERIVED.items():
        if entity in d.entities and key != "elderly_allowance":
            out.append(
                template_fill.Choice(
                    key, f"{d.label}（派生）", (d.label, *DERIVED_SYNONYMS.get(key, ()))
                )
            )
    return out


def analyse_form(data: bytes, entity: str) -> FormAnalysis:
    """Check the upload, find its header block, suggest a mapping (or recall a confirmed one)."""
    try:
        wb = upload.open_workbook(data)
        block = template_fill.detect_header(wb.active)
    except (upload.UploadError, template_fill.TemplateError) as exc:
        raise ReportError(str(exc)) from exc
    choices = form_choices(entity)
    _, mapping, scores = template_fill.suggest(block.columns, {entity: choices}, entity)
    remembered = False
    rows = db.fetch_dicts("reports/find_form_mapping", signature=block.signature)
    if rows and rows[0]["entity"] == entity:
        saved = rows[0]["mapping"]
        saved = json.loads(saved) if isinstance(saved, str) else saved
        keys = {c.key for c in choices}
        mapping = {k: (saved.get(k) if saved.get(k) in keys else None) for k in mapping}
        remembered = True
    return FormAnalysis(
        block, entity, mapping, scores, remembered, {c.key: c.label for c in choices}
    )


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
    allowed = {c.key for c in form_choices(entity)}
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
        with db.transaction() as cur:
            db.run(
                cur,
                "reports/upsert_form_mapping",
                signature=block.signature,
                form_name=(form_name or block.title or prepared.template["name"])[:100],
                entity=entity,
                mapping=json.dumps(dict(mapping), ensure_ascii=False, sort_keys=True),
                updated_by=scope.username,
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
