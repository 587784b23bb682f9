"""The two queues people work after a commit: value conflicts (both values side by side with
their sources; the reviewer's choice is applied through the ledger's one write path and logged)
and 待落地 (rows no org could be found for; a clerk picks the grid)."""

from __future__ import annotations

import uuid
from datetime import date

from yibiaotong import audit, catalog, db, ledger
from yibiaotong.importing import batches, commit, stage
from yibiaotong.importing.batches import ImportError_
from yibiaotong.permissions import LEDGER, checked, granting
from yibiaotong.scope import AccessDenied, Scope

KINDS = {
    "conflict": "同等优先级来源不一致",
    "identity": "身份证号相同但姓名不同",
    "lower": "较低优先级的新值（未采用）",
    "stale": "预览后台账已被修改",
    "undo": "撤销时该字段已被再次修改",
}
_NOT_FOUND = "审核事项不存在，或不在您的辖区内。"


def _owner(scope: Scope) -> str | None:
    """A street's data clerk works the queues of the batches they loaded; the district admin all
    of the subtree."""
    return None if scope.role == "district_admin" else scope.username


@checked
def conflicts(
    scope: Scope, state: str = "open", limit: int = 50, offset: int = 0
) -> tuple[list[dict], int]:
    """One page of the review queue inside the caller's subtree, values shown per clearance."""
    batches.may_import(scope)
    mine = {"org_code": scope.org_code, "owner": _owner(scope), "state": state}
    rows = db.fetch_dicts("importing/list_conflicts", **mine, limit=limit, offset=offset)
    total = db.fetch_value("importing/count_conflicts", **mine)
    unmasked = 0
    for row in rows:
        defs = {f["code"]: f for f in catalog.field_defs(row["entity"])}
        f = defs.get(row["field"])
        row["field_name"] = f["name"] if f else row["field"].removeprefix("attr:")
        row["kind_name"] = KINDS.get(row["kind"], row["kind"])
        unmasked += bool(scope.clearance and f and f["sensitivity"] == "sensitive")
        for side in ("current_value", "incoming_value"):
            row[side] = ledger.display(scope, f, row[side]) if f else (row[side] or "")
    if unmasked:
        audit.viewed(
            scope,
            "list_view",
            ("import_conflicts", state, tuple(r["id"] for r in rows)),
            f"回流冲突审核：{unmasked} 项含未脱敏敏感字段",
        )
    return rows, total


@checked
def decide(scope: Scope, conflict_id: str, take_incoming: bool) -> None:
    """Apply the incoming value (through ledger.write_changes, logged with its source) or keep
    the ledger's; either way the decision is recorded with who and when. The record is read and
    written here for the caller (a street's data clerk may not open ledger records themselves)
    and never returned."""
    batches.may_import(scope)
    review_batch = f"review-{uuid.uuid4().hex[:12]}"
    with db.transaction() as cur, granting(scope.role, LEDGER):
        rel = db.run(
            cur,
            "importing/get_conflict",
            id=str(conflict_id),
            org_code=scope.org_code,
            owner=_owner(scope),
        )
        row = rel.fetchone()
        if row is None:
            raise AccessDenied(_NOT_FOUND)
        conflict = dict(zip([d[0] for d in rel.description], row, strict=True))
        if conflict["state"] != "open":
            raise ImportError_("该事项已经处理过了。")
        entity = conflict["entity"]
        record = ledger.get(scope, entity, conflict["entity_id"], cur)
        source = f"review:{conflict['incoming_source']}"
        if take_incoming:
            try:
                clean = ledger.validate_changes(
                    entity, record, {conflict["field"]: conflict["incoming_value"]}
                )
            except ledger.ValidationFailed as exc:
                raise ImportError_(f"新值不能写入：{exc}") from exc
            ledger.write_changes(cur, scope, entity, record, clean, source, review_batch)
        else:
            ledger.log_change(
                cur,
                scope,
                entity,
                record["id"],
                "_review",
                conflict["incoming_value"],
                f"保留原值（{conflict['field']}）",
                source,
                review_batch,
                record["version"],
            )
        db.run(
            cur,
            "importing/decide_conflict",
            id=conflict_id,
            state="applied" if take_incoming else "kept",
            username=scope.username,
        )
        ledger.after_write(cur, review_batch)


@checked
def unplaced(scope: Scope, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The 待落地 queue of batches loaded inside the caller's subtree (a clerk's own batches)."""
    batches.may_import(scope)
    mine = {"org_code": scope.org_code, "owner": _owner(scope)}
    rows = db.fetch_dicts("importing/list_unplaced", **mine, limit=limit, offset=offset)
    for row in rows:
        row["candidates"] = [g for g in (row["candidates"] or []) if scope.covers(g)]
    total = db.fetch_value("importing/count_unplaced", **mine)
    return rows, total


@checked
def place(scope: Scope, batch_id: str, row_no: int, grid_code: str) -> int:
    """Put a waiting row into a grid of the caller's subtree and write it like the commit did:
    the record, its household link, provenance, tags, search keys and rule tags. Returns its id."""
    unit = catalog.org_unit(str(grid_code or ""))
    if unit is None or unit["level"] != "grid":
        raise ImportError_("请选择一个网格。")
    scope.require_covers(unit["code"])
    with db.transaction() as cur:
        batch = batches.get(scope, batch_id, cur)
        if _owner(scope) not in (None, batch["created_by"]):
            raise AccessDenied(_NOT_FOUND)
        if batch["state"] != "committed":
            raise ImportError_("该批次已撤销或尚未写入。")
        table, key_column = stage.LEDGER_KEYS[batch["entity"]]
        slots = {"entity_table": table, "key_column": key_column}
        changed = db.run(
            cur,
            "importing/place_row",
            batch_id=batch_id,
            row_no=int(row_no),
            grid_code=unit["code"],
        ).fetchall()
        if not changed:
            raise ImportError_("该行已经落地或不存在。")
        taken = db.run_filled(
            cur, "importing/count_taken_keys", slots=slots, batch_id=batch_id
        ).fetchone()[0]
        if taken:
            raise ImportError_("台账里已有该记录（可能已由他人登记），无需再落地。")
        commit.insert_rows(cur, scope, batch)
        db.run(
            cur,
            "importing/insert_provenance",
            batch_id=batch_id,
            entity=batch["entity"],
            source=batch["source"],
            username=scope.username,
        )
        commit.set_tags(cur, scope, batch, date.today())
        new_id = db.run(cur, "importing/placed_id", batch_id=batch_id).fetchone()[0]
        if batch["entity"] == "resident":
            commit.refresh_search(cur, batch_id)
        ledger.refresh_batch_addresses(cur, batch_id)
        commit.refresh_rules(cur, batch["entity"], [new_id])
        db.bump_data_version(cur)
        commit.finish(cur, batch_id)
    return new_id
