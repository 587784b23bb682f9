"""Read → map → clean → diff: a landed file becomes staged rows in DuckDB and a preview of what a
commit would do (new, updated field by field, unchanged, conflicts, refused), with counts and
samples. Nothing of the ledger changes here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from yibiaotong import audit, catalog, config, db, mapping
from yibiaotong.importing import batches, cleaning, reader, sources
from yibiaotong.importing.batches import ImportError_
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

Progress = Callable[[float, str], None] | None
SAMPLE = 5
KEPT_MAX_LENGTH = 500
# Ledger keys by entity: the table and key column that fill {entity_table} / {key_column}.
LEDGER_KEYS = {
    "resident": ("resident", "id_number"),
    "shop": ("shop", "uscc"),
    "house": ("house", "house_no"),
    "household": ("household", "household_no"),
}
NAME_FIELDS = {"resident": "resident_name", "shop": "shop_name"}
ADDRESS_FIELDS = {
    "resident": "resident_current_address",
    "household": "household_address",
    "house": "house_address",
    "shop": "shop_address",
}
# Targets a look-alike column (残疾证号, 户籍地派出所 …) may never take: identity and places.
IDENTITY_TARGETS = frozenset(
    {
        "resident_id_number",
        "resident_birth_date",
        "resident_current_address",
        "resident_hukou_address",
        "house_owner_id_number",
        "shop_legal_person_id_number",
        "house_address",
        "shop_address",
        "household_address",
        "head:resident_id_number",
    }
)
HEAD_FIELDS = ("resident_id_number", "resident_name")
NEW_ROW_FIELDS = (
    "resident_name",
    "resident_sex",
    "resident_birth_date",
    "resident_relation_to_head",
)
ACTIONS = {
    "insert": "新增",
    "update": "更新",
    "unchanged": "无变化",
    "conflict": "冲突待审",
    "unplaced": "待落地",
    "reject": "拒绝",
    "hold": "待核实",
    "outside": "辖区外",
    "duplicate": "重复合并",
}
RULES = {
    "trim": "去除首尾空格（含全角空格）",
    "fullwidth": "全角数字字母转半角",
    "id15": "15位身份证号升为18位",
    "date": "日期统一为 年-月-日",
    "serial": "Excel 日期序号转为日期",
    "phone": "电话去除空格、横线、+86",
    "code": "代码值按同义写法转换（男/M/1）",
    "duplicate": "完全相同的重复行合并",
    "empty": "跳过空行",
}


@dataclass
class Column:
    """One column of the file with what the mapper proposes for it."""

    index: int
    header: str
    samples: list[str]
    match: Any  # mapping.HeaderMatch
    target: str | None
    note: str = ""


@dataclass
class ReadResult:
    info: reader.FileInfo
    columns: list[Column]
    targets: dict[str, str]  # every target the user may choose → label


@dataclass
class Summary:
    """What a commit would do, or did: counts by action, field changes, rules, samples."""

    batch: dict
    actions: dict[str, int]
    changes: dict[str, int]
    rules: dict[str, int]
    rejects: int
    households: dict[str, int]
    placement: dict[str, int]
    tags: dict[str, int]
    samples: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def auto_placed_share(self) -> float | None:
        placed = sum(self.placement.get(m, 0) for m in ("org", "household", "address", "community"))
        total = sum(self.placement.values())
        return placed / total if total else None


# ---------------------------------------------------------------- reading and mapping


def _source(batch: dict) -> sources.Source:
    src = sources.source(batch["source"])
    if src is None:
        raise ImportError_("该批次的数据来源已不在回流目录中。")
    return src


def targets(src: sources.Source) -> dict[str, str]:
    """What a column of this source's files may be mapped to, with the labels users read."""
    names = {f["code"]: f["name"] for f in catalog.field_defs(src.entity)}
    out = {src.key_field: f"{names[src.key_field]}（匹配键）"}
    out.update({code: names[code] for code in src.priorities})
    if src.entity == "resident":
        # Facts any resident file may carry: checked against the ID, written for new people,
        # applied to existing ones only where the source has a priority for them.
        for code in NEW_ROW_FIELDS:
            out.setdefault(code, f"{names[code]}（核对及新增人员）")
        out["household_no"] = "户号（关联到户）"
        out["head:resident_id_number"] = "户主身份证号（关联到户）"
        out["head:resident_name"] = "户主姓名（仅核对）"
    out["org"] = "所属单位（街道/社区/网格）"
    if src.tags:
        tags = {t["code"]: t["name"] for t in catalog.tag_tree()}
        out["tag"] = "标签（" + "、".join(tags.get(t, t) for t in src.tags) + "）"
    out["attr"] = "保留为附加信息"
    return out


def _proposed_target(match, src: sources.Source, allowed: dict[str, str]) -> tuple[str | None, str]:
    """The mapper's answer as a target of this source, or None with why. Only a sure answer
    (exact or remembered) is preselected: a fuzzy one, like an ambiguous one, waits for the user."""
    if match.field is None:
        return None, match.reason or ""
    if match.status not in ("exact", "remembered"):
        return None, match.reason or "请确认"
    relation = match.relation
    if relation:
        if relation == "head" and match.field in HEAD_FIELDS:
            return f"head:{match.field}", match.reason or ""
        return None, f"该列是{relation}的信息，不写入本人字段"
    if match.field == "household_no" and src.entity == "resident":
        return "household_no", match.reason or ""
    if match.field.endswith("_grid_code"):
        return "org", match.reason or ""
    if match.field in allowed:
        return match.field, match.reason or ""
    return None, "本数据来源不能设置该字段"


@checked
def upload(
    scope: Scope,
    data,
    file_name: str,
    source_code: str,
    default_org: str | None = None,
    **overrides: str | None,
) -> tuple[str, ReadResult]:
    """Land a file and read it. A file that cannot be read is refused with a Chinese message and
    leaves nothing behind (no batch, no folder); a readable one becomes a batch in the log."""
    src = sources.source(source_code)
    if src is None or not src.importable:
        raise ImportError_("请选择数据来源（回流目录中的部门数据）。")
    landed = batches.keep_file(scope, data, file_name)
    try:
        info = _inspect(landed.path, landed.file_name, **overrides)
        batches.record(scope, landed, src.code, default_org, info.settings())
    except BaseException:
        batches.forget_file(landed.batch_id)
        raise
    return landed.batch_id, _columns(scope, src, info)


def _inspect(path, file_name: str, **overrides: str | None) -> reader.FileInfo:
    try:
        return reader.inspect(path, file_name, **overrides)
    except reader.ReadError as exc:
        raise ImportError_(str(exc)) from exc


@checked
def read(
    scope: Scope,
    batch_id: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> ReadResult:
    """Read a batch's file again, with the user's overrides of encoding, delimiter or sheet (a
    preview records the settings it used)."""
    batch = batches.get(scope, batch_id)
    src = _source(batch)
    info = _inspect(
        batches.landed_file(batch_id),
        batch["file_name"],
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
    )
    return _columns(scope, src, info)


def _columns(scope: Scope, src: sources.Source, info: reader.FileInfo) -> ReadResult:
    """Propose a target per column through the one header mapper, remembered per source."""
    samples = [[_shown(row[i]) for row in info.samples] for i in range(len(info.headers))]
    matches = mapping.map_headers(
        info.headers, src.entity, context=f"source:{src.code}", samples=samples, scope=scope
    )
    allowed = targets(src)
    household_names = _household_names() if src.entity == "resident" else set()
    columns = []
    for index, (header, match) in enumerate(zip(info.headers, matches, strict=True)):
        target, note = _proposed_target(match, src, allowed)
        if target is None and match.relation is None and header in household_names:
            target, note = "household_no", "户号：新成员按户号关联到户"
        columns.append(Column(index, header, samples[index], match, target, note))
    return ReadResult(info, columns, allowed)


def _household_names() -> set[str]:
    f = next(f for f in catalog.field_defs("household") if f["code"] == "household_no")
    return {f["name"], *(f["synonyms"] or [])}


def _shown(cell: str | None) -> str:
    """A cell as the user saw it in the spreadsheet (marks removed)."""
    if cell is None:
        return ""
    return cell.lstrip(reader.NUMBER_MARK + reader.FORMULA_MARK)


def check_mapping(
    src: sources.Source, columns: list[Column], chosen: dict[int, str | None]
) -> list[cleaning.Spec]:
    """Validate the user's mapping: how each mapped column is cleaned."""
    allowed = targets(src)
    defs = {f["code"]: f for f in catalog.field_defs(src.entity)}
    by_index = {c.index: c for c in columns}
    seen: dict[str, str] = {}
    out = []
    errors = []
    for index, target in sorted(chosen.items()):
        if not target:
            continue
        column = by_index.get(index)
        if column is None:
            errors.append(f"第 {index + 1} 列不存在")
            continue
        if target == "attr":
            target = f"attr:{column.header or f'第{index + 1}列'}"
        elif target not in allowed:
            errors.append(f"“{column.header}”：本数据来源不能写入该字段")
            continue
        if target in seen:
            errors.append(f"“{column.header}”与“{seen[target]}”对应了同一个字段")
            continue
        lookalike = column.match is not None and column.match.status == "lookalike"
        if lookalike and target in IDENTITY_TARGETS:
            errors.append(
                f"“{column.header}”是编号或地点类的相似列，不能作为{allowed.get(target, target)}"
            )
            continue
        seen[target] = column.header
        out.append(_spec(index, column.header, target, defs))
    if src.key_field not in seen:
        errors.append(f"请指定哪一列是{defs[src.key_field]['name']}（用来与台账比对）")
    if errors:
        raise ImportError_("；".join(errors))
    return out


def _spec(index: int, header: str, target: str, defs: dict[str, dict]) -> cleaning.Spec:
    base = target.split(":", 1)[1] if target.startswith("head:") else target
    f = defs.get(base)
    if f is None:  # org, household_no, tag, attr:…
        return cleaning.Spec(index, header, target, "text", None, KEPT_MAX_LENGTH)
    return cleaning.Spec(index, header, target, f["data_type"], f["code_list"], f["max_length"])


# ---------------------------------------------------------------- preview


def _load_raw(cur, batch_id: str, info: reader.FileInfo, path, progress: Progress) -> list[int]:
    rows = reader.data_rows(path, info, progress)
    try:
        cleaning.load_rows(cur, batch_id, rows.rows)
    except reader.ReadError as exc:
        raise ImportError_(str(exc)) from exc
    return rows.skipped_empty


@checked
def preview(
    scope: Scope,
    batch_id: str,
    chosen: dict[int, str | None],
    *,
    roster_tag: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    remember: bool = True,
    progress: Progress = None,
    today: date | None = None,
) -> Summary:
    """Stage the whole file with the confirmed mapping and classify every row against the
    ledger; the preview the user confirms. Writes only the batch's working tables, in one
    transaction that does not take the ledger's write lock (the console stays usable)."""
    progress = progress or (lambda fraction, step: None)
    batch = batches.get(scope, batch_id)
    if batch["state"] in ("committed", "committing", "undone", "discarded"):
        raise ImportError_(f"该批次状态为“{batches.STATES[batch['state']]}”，不能再预览。")
    src = _source(batch)
    if roster_tag is not None and roster_tag not in src.tags:
        raise ImportError_("名册标签须为本数据来源负责的导入标签。")
    progress(0.0, "读取文件")
    result = read(scope, batch_id, encoding=encoding, delimiter=delimiter, sheet=sheet)
    specs = check_mapping(src, result.columns, chosen)
    headers = {c.index: c.header for c in result.columns}
    if remember:
        # The mapper remembers field choices; links, org, tags and kept columns are ours.
        fields = set(catalog_fields(src.entity))
        mapping.remember(
            scope,
            f"source:{src.code}",
            {headers[i]: t for i, t in chosen.items() if t is None or t in fields},
        )
    table, key_column = LEDGER_KEYS[src.entity]
    slots = {"entity_table": table, "key_column": key_column}
    key_header = next(s.header for s in specs if s.target == src.key_field)
    key_name = catalog_name(src.entity, src.key_field)
    area = batch["default_org"] or scope.org_code
    path = batches.landed_file(batch_id)
    with db.memory_budget(config.import_memory_limit()), db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            batches.clear(cur, batch_id)
            skipped = _load_raw(
                cur, batch_id, result.info, path, lambda f, s: progress(0.05 + 0.45 * f, s)
            )
            progress(0.5, "清洗数据")
            cleaning.clean(cur, batch_id, specs, today)
            db.run(cur, "importing/clean_tag_cells", batch_id=batch_id, source=src.code)
            progress(0.65, "与台账比对")
            db.run(cur, "importing/insert_values", batch_id=batch_id)
            db.run_filled(
                cur,
                "importing/classify_rows",
                slots=slots,
                batch_id=batch_id,
                key_field=src.key_field,
                key_name=key_name,
                org_code=scope.org_code,
            )
            if src.entity == "resident":
                db.run(cur, "importing/hold_id_mismatch", batch_id=batch_id)
            db.run(
                cur,
                "importing/require_new_fields",
                batch_id=batch_id,
                entity=src.entity,
                key_field=src.key_field,
            )
            db.run(cur, f"importing/current_values_{src.entity}", batch_id=batch_id)
            db.run_filled(cur, "importing/current_kept_columns", slots=slots, batch_id=batch_id)
            db.run(
                cur,
                "importing/diff_values",
                batch_id=batch_id,
                source=src.code,
                entity=src.entity,
                name_field=NAME_FIELDS.get(src.entity),
                console=sources.CONSOLE,
            )
            db.run(cur, "importing/settle_matched_rows", batch_id=batch_id)
            progress(0.8, "落地到网格")
            db.run(
                cur,
                "importing/place_rows",
                batch_id=batch_id,
                default_org=batch["default_org"],
                address_field=ADDRESS_FIELDS[src.entity],
            )
            db.run(cur, "importing/settle_new_rows", batch_id=batch_id, org_code=scope.org_code)
            if src.entity == "resident":
                db.run(cur, "importing/household_refs", batch_id=batch_id, org_code=scope.org_code)
            db.run(
                cur,
                "importing/plan_tags",
                batch_id=batch_id,
                roster_tag=roster_tag,
                entity=src.entity,
            )
            if roster_tag:
                db.run_filled(
                    cur,
                    "importing/plan_roster_ends",
                    slots=slots,
                    batch_id=batch_id,
                    roster_tag=roster_tag,
                    entity=src.entity,
                    area=area,
                )
            db.run(cur, "importing/insert_cell_rejects", batch_id=batch_id)
            db.run(cur, "importing/insert_row_rejects", batch_id=batch_id, key_header=key_header)
            rules = dict(db.run(cur, "importing/rule_counts", batch_id=batch_id).fetchall())
            batches.clear(cur, batch_id, batches.WORK_TABLES[:3])
            counts = _counts(cur, batch_id)
            counts["rules"] = {**rules, "empty": len(skipped)}
            counts["rules"]["duplicate"] = counts["actions"].get("duplicate", 0)
            db.run(
                cur,
                "importing/set_batch_previewed",
                id=batch_id,
                settings=json.dumps(result.info.settings(), ensure_ascii=False),
                mapping=json.dumps(
                    {str(s.col): s.target for s in specs}, ensure_ascii=False, sort_keys=True
                ),
                options=json.dumps({"roster_tag": roster_tag, "area": area}, ensure_ascii=False),
                counts=json.dumps(counts, ensure_ascii=False),
            )
            cur.execute("commit")
        except BaseException:
            cur.execute("rollback")
            raise
    progress(1.0, "预览完成")
    return summary(scope, batch_id)


def catalog_fields(entity: str) -> list[str]:
    return [f["code"] for f in catalog.field_defs(entity)]


def catalog_name(entity: str, field_code: str) -> str:
    return next(f["name"] for f in catalog.field_defs(entity) if f["code"] == field_code)


def _counts(cur, batch_id: str) -> dict[str, Any]:
    rows = db.run(cur, "importing/preview_counts", batch_id=batch_id).fetchall()
    out: dict[str, dict[str, int]] = {}
    for group, name, n in rows:
        out.setdefault(group, {})[name] = n
    return {
        "actions": out.get("action", {}),
        "changes": out.get("change", {}),
        "households": out.get("household", {}),
        "placement": out.get("placement", {}),
        "tags": out.get("tag", {}),
        "rejects": out.get("rejects", {}).get("rows", 0),
    }


@checked
def summary(scope: Scope, batch_id: str) -> Summary:
    """The preview (or commit) counts of a batch with samples for the page."""
    batch = batches.get(scope, batch_id)
    counts = batch.get("counts") or {}
    result = Summary(
        batch,
        counts.get("actions", {}),
        counts.get("changes", {}),
        counts.get("rules", {}),
        counts.get("rejects", 0),
        counts.get("households", {}),
        counts.get("placement", {}),
        counts.get("tags", {}),
    )
    if batch["state"] == "previewed":
        result.samples = samples(scope, batch_id)
    return result


@checked
def samples(scope: Scope, batch_id: str) -> dict[str, list[dict]]:
    """A few rows per action and field changes per kind, masked for the caller's clearance."""
    batch = batches.get(scope, batch_id)
    out: dict[str, list[dict]] = {}
    for row in db.fetch_dicts("importing/sample_rows", batch_id=batch_id, per_action=SAMPLE):
        out.setdefault(row["action"], []).append(row)
    for row in db.fetch_dicts("importing/sample_changes", batch_id=batch_id, per_kind=SAMPLE):
        out.setdefault(f"change:{row['kind']}", []).append(row)
    sensitive = {
        f["code"] for f in catalog.field_defs(batch["entity"]) if f["sensitivity"] == "sensitive"
    }
    shown = {
        sources.KEY_FIELDS[batch["entity"]],
        *(r.get("field") for g in out.values() for r in g),
    }
    if scope.clearance and sensitive & shown:  # sample rows name a record by its key (ID number)
        audit.viewed(
            scope,
            "list_view",
            ("import_samples", batch_id),
            f"回流预览样例（批次 {batch_id[:8]}）：{sum(map(len, out.values()))} 行，含未脱敏敏感字段",
        )
    return _masked(scope, batch["entity"], out)


def _masked(scope: Scope, entity: str, groups: dict[str, list[dict]]) -> dict[str, list[dict]]:
    from yibiaotong import ledger

    defs = {f["code"]: f for f in catalog.field_defs(entity)}
    key = sources.KEY_FIELDS[entity]
    for rows in groups.values():
        for row in rows:
            if row.get("key") is not None:
                row["key"] = ledger.display(scope, defs[key], row["key"])
            f = defs.get(row.get("field") or "")
            if f is not None:
                row["field_name"] = f["name"]
                for side in ("old_value", "new_value"):
                    row[side] = ledger.display(scope, f, row.get(side))
            elif row.get("field"):
                row["field_name"] = str(row["field"]).removeprefix("attr:")
    return groups
