"""Commit a previewed batch in one transaction under its batch id, set-based: new records, field
changes guarded by the value the preview saw, provenance, change_log, conflicts for review, import
tags set and ended, search keys, rule tags and the data version."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from pypinyin import Style, lazy_pinyin

from yibiaotong import catalog, config, db, ledger, tags
from yibiaotong.importing import batches, sources, stage
from yibiaotong.importing.batches import ImportError_
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

Progress = Callable[[float, str], None] | None
# Above this many touched records one full rule refresh of the entity beats per-id refreshes.
FULL_REFRESH_AT = 20_000


def source_label(source_code: str) -> str:
    """How a batch's writes are named in change_log: import:<source>."""
    return f"import:{source_code}"


def _column_fields(entity: str) -> dict[str, str]:
    """Field code → column of the fields a file may change (the whitelist for {column})."""
    return {
        f["code"]: f["column_name"]
        for f in catalog.field_defs(entity)
        if f["column_name"] and f["column_name"] not in sources.UNIMPORTABLE_COLUMNS
    }


def fill_initials(cur, batch_id: str) -> None:
    """Teach pinyin_initial the characters of the batch's names (pypinyin, once per character)."""
    chars = [c for (c,) in db.run(cur, "importing/name_characters", batch_id=batch_id).fetchall()]
    pairs = [
        (c, "".join(lazy_pinyin(c, style=Style.FIRST_LETTER, errors="ignore")).lower())
        for c in chars
    ]
    if pairs:
        db.run(
            cur,
            "importing/add_initials",
            chars=[c for c, _ in pairs],
            initials=[i for _, i in pairs],
        )


def _snapshot(cur, batch_id: str, entity: str, slots: dict) -> None:
    batches.clear(cur, batch_id, ("import_current",))
    db.run(cur, f"importing/current_values_{entity}", batch_id=batch_id)
    db.run_filled(cur, "importing/current_kept_columns", slots=slots, batch_id=batch_id)


def refresh_search(cur, batch_id: str) -> None:
    """The ledger's search tokens of the residents the batch inserted or renamed / re-phoned."""
    ids = [i for (i,) in db.run(cur, "importing/search_touched", batch_id=batch_id).fetchall()]
    if ids:
        ledger.refresh_search_tokens(cur, ids)


def refresh_rules(cur, entity: str, ids: list[int]) -> None:
    if not ids:
        return
    if len(ids) > FULL_REFRESH_AT:
        tags.refresh_rules(cur, entity)
    else:
        tags.refresh_rules(cur, entity, ids=ids)


@checked
def commit(
    scope: Scope,
    batch_id: str,
    *,
    with_address_households: bool = False,
    progress: Progress = None,
    today: date | None = None,
) -> dict:
    """Write a previewed batch. One transaction: a failure (or a killed process) leaves nothing."""
    progress = progress or (lambda fraction, step: None)
    today = today or date.today()
    with db.memory_budget(config.import_memory_limit()), db.transaction() as cur:
        batch = batches.get(scope, batch_id, cur)
        if batch["state"] != "previewed":
            raise ImportError_(
                f"该批次状态为“{batches.STATES.get(batch['state'], batch['state'])}”，"
                "只有预览完成的批次可以写入。"
            )
        entity = batch["entity"]
        source = source_label(batch["source"])
        table, key_column = stage.LEDGER_KEYS[entity]
        slots = {"entity_table": table, "key_column": key_column}
        user = {"username": scope.username}
        taken = db.run_filled(
            cur, "importing/count_taken_keys", slots=slots, batch_id=batch_id
        ).fetchone()[0]
        if taken:
            raise ImportError_(f"预览之后台账里已登记了其中 {taken} 条记录，请重新预览后再写入。")
        progress(0.05, "写入新增记录")
        insert_rows(cur, scope, batch, with_address_households)
        progress(0.35, "更新字段")
        _snapshot(cur, batch_id, entity, slots)
        db.run_filled(
            cur, "importing/save_record_versions", slots=slots, batch_id=batch_id, entity=entity
        )
        apply_changes(cur, batch_id, entity, guarded=True)
        _snapshot(cur, batch_id, entity, slots)
        db.run(cur, "importing/mark_stale_changes", batch_id=batch_id)
        db.run(cur, "importing/prune_record_versions", batch_id=batch_id)
        db.run_filled(cur, "importing/bump_versions", slots=slots, batch_id=batch_id, **user)
        progress(0.55, "记录来源与日志")
        db.run(
            cur, "importing/log_changes", batch_id=batch_id, entity=entity, source=source, **user
        )
        db.run(cur, "importing/save_provenance", batch_id=batch_id, entity=entity)
        db.run(cur, "importing/delete_replaced_provenance", batch_id=batch_id, entity=entity)
        db.run(
            cur,
            "importing/insert_provenance",
            batch_id=batch_id,
            entity=entity,
            source=batch["source"],
            **user,
        )
        db.run(
            cur,
            "importing/insert_conflicts",
            batch_id=batch_id,
            entity=entity,
            source=batch["source"],
        )
        progress(0.65, "设置标签")
        set_tags(cur, scope, batch, today)
        if entity == "resident":
            refresh_search(cur, batch_id)
            db.run(cur, "importing/refresh_initials", batch_id=batch_id)
        ledger.refresh_batch_addresses(cur, batch_id)
        progress(0.75, "更新规则标签")
        touched = [
            i for (i,) in db.run(cur, "importing/touched_records", batch_id=batch_id).fetchall()
        ]
        refresh_rules(cur, entity, touched)
        db.bump_data_version(cur)
        counts = dict(batch["counts"] or {})
        counts["written"] = _written(cur, batch_id)
        finish(cur, batch_id)
        db.run(
            cur,
            "importing/set_batch_committed",
            id=batch_id,
            counts=json.dumps(counts, ensure_ascii=False, default=str),
            **user,
        )
    progress(1.0, "写入完成")
    return counts


def apply_changes(cur, batch_id: str, entity: str, *, guarded: bool) -> None:
    """Write a batch's `apply` changes: attrs in one patch per record, then one guarded UPDATE per
    changed column (the column from the field standard's whitelist)."""
    table, key_column = stage.LEDGER_KEYS[entity]
    slots = {"entity_table": table, "key_column": key_column}
    db.run_filled(
        cur, "importing/apply_attrs", slots=slots, batch_id=batch_id, entity=entity, guarded=guarded
    )
    changed = {f for (f,) in db.run(cur, "importing/changed_fields", batch_id=batch_id).fetchall()}
    for field, column in _column_fields(entity).items():
        if field in changed:
            db.run_filled(
                cur,
                "importing/apply_field",
                slots={**slots, "column": column},
                batch_id=batch_id,
                field=field,
            )


def insert_rows(cur, scope: Scope, batch: dict, with_address_households: bool = False) -> None:
    """Insert the batch's rows marked `insert` (all new rows at commit; one placed row later):
    ids, households, search initials, the records and their `_created` log rows."""
    batch_id, entity = batch["id"], batch["entity"]
    table, key_column = stage.LEDGER_KEYS[entity]
    slots = {"entity_table": table, "key_column": key_column}
    user = {"username": scope.username}
    source = source_label(batch["source"])
    db.run_filled(cur, "importing/allocate_ids", slots=slots, batch_id=batch_id)
    if entity == "resident":
        db.run(
            cur,
            "importing/assign_households",
            batch_id=batch_id,
            with_addresses=with_address_households,
        )
        fill_initials(cur, batch_id)
    db.run(cur, f"importing/insert_new_{entity}", batch_id=batch_id, entity=entity, **user)
    if entity == "resident":
        db.run(cur, "importing/insert_households", batch_id=batch_id, **user)
        db.run(cur, "importing/log_created_households", batch_id=batch_id, source=source, **user)
    db.run(cur, "importing/log_created", batch_id=batch_id, entity=entity, source=source, **user)


def set_tags(cur, scope: Scope, batch: dict, today: date) -> None:
    """Set and end the import tags the preview planned (tags of rows inserted now included)."""
    batch_id, entity = batch["id"], batch["entity"]
    user = {"username": scope.username}
    source = source_label(batch["source"])
    db.run(cur, "importing/log_tags", batch_id=batch_id, entity=entity, source=source, **user)
    db.run(cur, "importing/set_tags", batch_id=batch_id, entity=entity, **user)
    db.run(
        cur,
        "importing/open_tag_periods",
        batch_id=batch_id,
        entity=entity,
        source=batch["source"],
        **user,
    )
    db.run(
        cur,
        "importing/close_tag_periods",
        batch_id=batch_id,
        entity=entity,
        today=today,
        source=batch["source"],
    )
    db.run(cur, "importing/end_open_periods", batch_id=batch_id, entity=entity, today=today)
    db.run(cur, "importing/delete_ended_tags", batch_id=batch_id, entity=entity)


def finish(cur, batch_id: str) -> None:
    """Keep only what the rows still waiting in 待落地 need; mark the written rows."""
    db.run(cur, "importing/finish_commit", batch_id=batch_id)
    db.run(cur, "importing/mark_inserted", batch_id=batch_id)
    db.run(cur, "importing/finish_commit_tags", batch_id=batch_id)
    batches.clear(cur, batch_id, ("import_change", "import_current"))


def _written(cur, batch_id: str) -> dict[str, int]:
    return {
        name: n for name, n in db.run(cur, "importing/written_counts", batch_id=batch_id).fetchall()
    }
