"""Undo a whole committed batch in one transaction: restore the fields it changed (unless changed
again since: those are listed for review), remove the records it created that nobody touched
since, take back the tags it set and give back the tags it ended, restore provenance and, for
records the batch alone touched, their version."""

from __future__ import annotations

import json
from collections.abc import Callable

from yibiaotong import config, db, ledger
from yibiaotong.importing import batches, commit, stage
from yibiaotong.importing.batches import ImportError_
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

Progress = Callable[[float, str], None] | None
EXTRA_TABLES = ("field_provenance", "entity_tag", "tag_period", "value_conflict")


@checked
def undo(scope: Scope, batch_id: str, progress: Progress = None) -> dict:
    progress = progress or (lambda fraction, step: None)
    undo_id = f"undo-{batch_id}"
    with db.memory_budget(config.import_memory_limit()), db.transaction() as cur:
        batch = batches.get(scope, batch_id, cur)
        if batch["state"] != "committed":
            raise ImportError_("只有已写入的批次可以撤销。")
        entity = batch["entity"]
        table, key_column = stage.LEDGER_KEYS[entity]
        slots = {"entity_table": table, "key_column": key_column}
        user = {"username": scope.username}
        source = f"undo:{batch['source']}"
        progress(0.1, "核对字段")
        fields = db.run(cur, "importing/undo_fields", batch_id=batch_id).fetchall()
        review = sum(1 for *_, restorable in fields if not restorable)
        batches.clear(cur, undo_id, ("import_change", "import_current"))
        db.run(cur, "importing/undo_stage_fields", batch_id=batch_id, undo_id=undo_id)
        db.run(cur, "importing/undo_review_fields", batch_id=batch_id, source=batch["source"])
        progress(0.3, "恢复字段")
        commit.apply_changes(cur, undo_id, entity, guarded=False)
        db.run_filled(
            cur, "importing/save_record_versions", slots=slots, batch_id=undo_id, entity=entity
        )
        db.run_filled(
            cur, "importing/restore_versions", slots=slots, batch_id=batch_id, undo_id=undo_id
        )
        db.run_filled(cur, "importing/bump_versions", slots=slots, batch_id=undo_id, **user)
        db.run(cur, "importing/log_changes", batch_id=undo_id, entity=entity, source=source, **user)
        db.run(cur, "importing/undo_provenance", batch_id=batch_id, undo_id=undo_id)
        db.run(
            cur, "importing/restore_provenance", batch_id=batch_id, undo_id=undo_id, entity=entity
        )
        progress(0.55, "撤回新增记录")
        created = db.run(cur, "importing/undo_created", batch_id=batch_id).fetchall()
        removable = {(e, i) for e, i, ok in created if ok}
        kept = [(e, i) for e, i, ok in created if not ok]
        residents = [i for e, i in removable if e == "resident"]
        households = [i for e, i in removable if e == "household"]
        kept_residents = {i for e, i in kept if e == "resident"}
        if kept_residents:
            # A household stays while a member the batch created had to stay.
            linked = {
                h
                for (h,) in db.run(
                    cur, "importing/households_of", ids=sorted(kept_residents)
                ).fetchall()
            }
            households = [h for h in households if h not in linked]
        main_ids = residents if entity == "resident" else [i for e, i in removable if e == entity]
        for name, ids in (
            (entity, main_ids),
            ("household", households if entity == "resident" else []),
        ):
            if not ids:
                continue
            for extra in EXTRA_TABLES[:3]:
                db.run_filled(
                    cur,
                    "importing/delete_record_extras",
                    slots={"extra_table": extra},
                    entity=name,
                    ids=ids,
                )
            if name == "resident":
                db.run(cur, "ledger/delete_search_tokens", ids=ids)
            db.run_filled(cur, "importing/delete_records", slots={"entity_table": name}, ids=ids)
            ledger.refresh_address_search(cur, name, ids)
        progress(0.7, "恢复标签")
        db.run(cur, "importing/log_undo_tags", batch_id=batch_id, source=source, **user)
        tagged = {
            i for (i,) in db.run(cur, "importing/tagged_by_batch", batch_id=batch_id).fetchall()
        }
        for name in ("undo_tags_set", "undo_tags_ended", "undo_tag_periods", "reopen_tag_periods"):
            db.run(cur, f"importing/{name}", batch_id=batch_id)
        db.run(cur, "importing/void_conflicts", batch_id=batch_id)
        if entity == "resident":
            commit.refresh_search(cur, undo_id)
            db.run(cur, "importing/refresh_initials", batch_id=undo_id)
        ledger.refresh_batch_addresses(cur, undo_id)
        progress(0.8, "更新规则标签")
        touched = sorted(({i for (_, i, *_) in fields} | tagged) - set(main_ids))
        commit.refresh_rules(cur, entity, touched)
        db.bump_data_version(cur)
        counts = dict(batch["counts"] or {})
        counts["undone"] = {
            "fields_restored": len(fields) - review,
            "fields_for_review": review,
            "records_removed": len(main_ids),
            "records_kept_for_review": len(kept),
            "households_removed": len(households) if entity == "resident" else 0,
        }
        batches.clear(cur, undo_id, ("import_change", "import_current"))
        db.run(
            cur,
            "importing/set_batch_undone",
            id=batch_id,
            counts=json.dumps(counts, ensure_ascii=False, default=str),
            **user,
        )
    progress(1.0, "撤销完成")
    return counts["undone"]
