"""走访采集: campaigns of door-to-door verification, a social worker's visit list, one save per
household (confirm, correct, fill, life events), verification stamps and progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from yibiaotong import catalog, db, events, ledger, validate
from yibiaotong.ledger import LedgerError, ValidationFailed
from yibiaotong.permissions import ORGANISERS as ORGANISERS  # who runs campaigns (the pages ask)
from yibiaotong.permissions import VISITORS as VISITORS  # who visits
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

ENTITIES = {"household": "户（含成员）", "house": "房屋", "shop": "商铺"}
# What a campaign of each entity verifies: the record itself, and for households their members.
SUBJECT_ENTITIES = {"household": ("household", "resident"), "house": ("house",), "shop": ("shop",)}
OUTCOMES = {
    "pending": "未走访",
    "visited": "已走访",
    "not_home": "不在家",
    "refused": "拒访",
    "moved_away": "已搬离",
}
ACTIONS = {"confirmed": "确认", "corrected": "更正", "filled": "补录"}
CAMPAIGN_LEVELS = ("street", "community", "grid")
VISIT_SOURCE = "community_survey"  # the catalogue source of values collected in person
PAGE_SIZE = 30
FRESH_DAYS = 365
_NO_TASK = "走访任务不存在，或不属于您。"


class VisitError(LedgerError):
    """A request 走访采集 refuses; the message is Chinese and shown as is."""


@dataclass
class StaleVisit(LedgerError):
    """Someone saved this household after the phone loaded it; nothing was written."""

    saved_by: str | None
    saved_at: datetime | None

    def __str__(self) -> str:
        when = f"{self.saved_at:%m-%d %H:%M}" if self.saved_at else ""
        who = self.saved_by or "他人"
        return (
            f"保存失败：该户已由 {who} 于 {when} 保存过，您的录入尚未保存。"
            "请查看最新信息后重新确认。"
        )


def source_label(campaign_id: str) -> str:
    """How a visit's writes are named in change_log: visit:<campaign id>."""
    return f"visit:{campaign_id}"


# ---------------------------------------------------------------- campaigns


def campaign_fields(entity: str) -> dict[str, str]:
    """Fields a campaign of this entity may verify or collect: the editable fields of the record
    and, for households, of their members (life-event columns change only through events)."""
    if entity not in ENTITIES:
        raise VisitError("请选择走访对象（户、房屋或商铺）。")
    out = {}
    for subject in reversed(SUBJECT_ENTITIES[entity]):
        prefix = "成员·" if subject == "resident" else ""
        out.update({f["code"]: prefix + f["name"] for f in ledger.editable_fields(subject)})
    return out


@checked
def create_campaign(
    scope: Scope,
    name: str,
    org_code: str,
    entity: str,
    verify_fields: list[str],
    collect_fields: list[str],
    starts_on: Any,
    due_on: Any,
) -> str:
    """A campaign with one task per active household / house / shop of the unit, assigned to the
    social worker nearest each grid; one transaction. Returns the campaign id."""
    try:
        name = validate.text(name, "走访名称", 50)
        starts = validate.parse_date(starts_on, "开始日期")
        due = validate.parse_date(due_on, "截止日期")
    except validate.ValidationError as exc:
        raise ValidationFailed([str(exc)]) from None
    if not name or len(name) < 2:
        raise VisitError("请填写走访名称（至少 2 个字）。")
    if due < starts:
        raise VisitError("截止日期不能早于开始日期。")
    unit = catalog.org_unit(str(org_code or ""))
    if unit is None or unit["level"] not in CAMPAIGN_LEVELS:
        raise VisitError("走访范围须为街道、社区或网格。")
    scope.require_covers(unit["code"])
    allowed = campaign_fields(entity)
    verify, collect = list(dict.fromkeys(verify_fields)), list(dict.fromkeys(collect_fields))
    unknown = [c for c in verify + collect if c not in allowed]
    if unknown:
        raise VisitError(f"字段不可用于走访：{'、'.join(unknown[:5])}")
    if set(verify) & set(collect):
        raise VisitError("同一字段不能既“核实”又“采集”。")
    if not verify and not collect:
        raise VisitError("请至少选择一个要核实或采集的字段。")
    campaign_id = uuid.uuid4().hex[:12]
    with db.transaction() as cur:
        db.run(
            cur,
            "visits/insert_campaign",
            id=campaign_id,
            name=name,
            org_code=unit["code"],
            entity=entity,
            verify_fields=verify,
            collect_fields=collect,
            starts_on=starts,
            due_on=due,
            username=scope.username,
        )
        db.run(cur, f"visits/insert_tasks_{entity}", campaign_id=campaign_id, org_code=unit["code"])
        if not db.run(cur, "visits/set_task_count", id=campaign_id).fetchone()[0]:
            raise VisitError("该范围内没有在册的走访对象。")
        db.bump_data_version(cur)
    return campaign_id


@checked
def list_campaigns(scope: Scope) -> list[dict]:
    """Campaigns over the caller's unit or inside it, open ones first."""
    return db.fetch_dicts("visits/list_campaigns", org_code=scope.org_code)


@checked
def get_campaign(scope: Scope, campaign_id: str, cur=None) -> dict:
    params = {"id": str(campaign_id or ""), "org_code": scope.org_code}
    if cur is None:
        rows = db.fetch_dicts("visits/get_campaign", **params)
    else:
        rel = db.run(cur, "visits/get_campaign", **params)
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
    if not rows:
        raise AccessDenied("走访活动不存在，或不在您的辖区内。")
    return rows[0]


def _organised(scope: Scope, campaign_id: str, cur) -> dict:
    """A campaign the caller organises: the caller's unit covers the campaign's unit."""
    campaign = get_campaign(scope, campaign_id, cur)
    if not scope.covers(campaign["org_code"]):
        raise AccessDenied("只有发起范围覆盖该走访的管理员或街道领导可以这样做。")
    return campaign


@checked
def reassign(scope: Scope, campaign_id: str, grid_code: str, username: str) -> int:
    """Hand a grid's tasks to another social worker whose unit covers the grid."""
    from yibiaotong import auth

    unit = catalog.org_unit(str(grid_code or ""))
    if unit is None or unit["level"] != "grid":
        raise VisitError("请选择网格。")
    scope.require_covers(unit["code"])
    user = auth.get_user(str(username or ""))
    if (
        user is None
        or user["role"] != "social_worker"
        or not user["active"]
        or not unit["code"].startswith(user["org_code"])
    ):
        raise VisitError("只能改派给负责该网格的在岗社工。")
    with db.transaction() as cur:
        campaign = _organised(scope, campaign_id, cur)
        if campaign["state"] != "open":
            raise VisitError("走访已结束，任务已冻结。")
        moved = db.run(
            cur,
            "visits/reassign_tasks",
            campaign_id=campaign["id"],
            grid_code=unit["code"],
            assignee=user["username"],
        ).fetchall()
        db.bump_data_version(cur)
    return len(moved)


@checked
def close_campaign(scope: Scope, campaign_id: str) -> None:
    """Close a campaign: its tasks are frozen (no visit can be saved any more)."""
    with db.transaction() as cur:
        campaign = _organised(scope, campaign_id, cur)
        if not db.run(
            cur, "visits/close_campaign", id=campaign["id"], username=scope.username
        ).fetchone():
            raise VisitError("该走访已经结束。")
        db.bump_data_version(cur)


# ---------------------------------------------------------------- my visits


def _assignee(scope: Scope) -> str | None:
    """Social workers see only the tasks assigned to them; organisers see all in their scope."""
    return scope.username if scope.role == "social_worker" else None


@checked
def visit_list(
    scope: Scope,
    campaign_id: str,
    outcome: str | None = None,
    term: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[list[dict], dict[str, int]]:
    """One page of the caller's tasks (by grid, building, unit, room) and counts by outcome."""
    campaign = get_campaign(scope, campaign_id)
    if outcome is not None and outcome not in OUTCOMES:
        raise VisitError("未知的走访结果。")
    term = (term or "").strip()[:30] or None
    base = {
        "campaign_id": campaign["id"],
        "org_code": scope.org_code,
        "assignee": _assignee(scope),
        "term": term,
        "members": campaign["entity"] == "household",
    }
    page = max(1, int(page))
    with db.cursor() as cur:
        counts = dict(db.run(cur, "visits/count_tasks", **base).fetchall())
        rel = db.run(
            cur,
            "visits/list_tasks",
            **base,
            outcome=outcome,
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
        if rows and campaign["entity"] == "household":
            ids = [r["entity_id"] for r in rows]
            cards = db.run(
                cur, "visits/household_cards", ids=ids, org_code=scope.org_code
            ).fetchall()
            by_id = {i: (head, n) for i, head, n in cards}
            for row in rows:
                row["head_name"], row["members"] = by_id.get(row["entity_id"], (None, 0))
    for row in rows:
        row["outcome_name"] = OUTCOMES[row["outcome"]]
    counts = {o: int(counts.get(o, 0)) for o in OUTCOMES}
    return rows, counts


def _task(scope: Scope, campaign_id: Any, entity_id: Any, cur) -> dict:
    try:
        entity_id = int(entity_id)
    except (TypeError, ValueError):
        raise AccessDenied(_NO_TASK) from None
    rel = db.run(
        cur,
        "visits/get_task",
        campaign_id=str(campaign_id or ""),
        entity_id=entity_id,
        org_code=scope.org_code,
        assignee=_assignee(scope),
    )
    row = rel.fetchone()
    if row is None:
        raise AccessDenied(_NO_TASK)
    return dict(zip([d[0] for d in rel.description], row, strict=True))


def _subjects(scope: Scope, task: dict, cur) -> list[dict]:
    """The records a visit verifies: the household and its active members, or the house / shop."""
    entity = task["entity"]
    record = ledger.get(scope, entity, task["entity_id"], cur)
    record["_entity"] = entity
    if entity != "household":
        return [record]
    rel = db.run(
        cur, "events/household_members", household_id=record["id"], org_code=scope.org_code
    )
    ids = [r[0] for r in rel.fetchall()]  # id is the first column of resident
    members = [ledger.get(scope, "resident", i, cur) for i in ids]
    for m in members:
        m["_entity"] = "resident"
    return [record, *members]


def _campaign_defs(task: dict) -> tuple[dict[str, dict], set[str]]:
    """The campaign's field definitions by code, and which of them are to be collected."""
    wanted = [*task["verify_fields"], *task["collect_fields"]]
    defs = {}
    for subject in SUBJECT_ENTITIES[task["entity"]]:
        for f in ledger.fields(subject):
            if f["code"] in wanted:
                defs[f["code"]] = f
    return {c: defs[c] for c in wanted if c in defs}, set(task["collect_fields"])


def _title(record: dict) -> str:
    entity = record["_entity"]
    if entity == "resident":
        return record["name"]
    if entity == "household":
        return f"户 {record['household_no']}"
    if entity == "house":
        return record["address"]
    return record["name"]


@checked
def open_visit(scope: Scope, campaign_id: str, entity_id: int) -> dict:
    """A task opened on the phone: each record with the campaign's fields pre-filled from the
    ledger, with their source and last verification (masked for uncleared callers)."""
    with db.cursor() as cur:
        task = _task(scope, campaign_id, entity_id, cur)
        subjects = _subjects(scope, task, cur)
        defs, collect = _campaign_defs(task)
        provenance = {}
        for entity in {s["_entity"] for s in subjects}:
            ids = [s["id"] for s in subjects if s["_entity"] == entity]
            rel = db.run(cur, "visits/member_provenance", entity=entity, ids=ids)
            cols = [d[0] for d in rel.description]
            for r in rel.fetchall():
                row = dict(zip(cols, r, strict=True))
                provenance[(entity, row["entity_id"], row["field"])] = row
    records = []
    for s in subjects:
        entity = s["_entity"]
        fields = []
        for code, f in defs.items():
            if f["entity"] != entity:
                continue
            value = ledger.value_of(s, f)
            hidden = f["sensitivity"] == "sensitive" and not scope.clearance
            prov = provenance.get((entity, s["id"], code))
            fields.append(
                {
                    "code": code,
                    "name": f["name"],
                    "data_type": f["data_type"],
                    "code_list": f["code_list"],
                    "shown": ledger.display(scope, f, value),
                    "value": None if hidden else value,
                    "hidden": hidden,
                    "missing": value in (None, ""),
                    "collect": code in collect,
                    "source": prov["source_name"] if prov else "原有台账",
                    "verified_at": prov["verified_at"] if prov else None,
                    "verified_by": prov["verified_by"] if prov else None,
                }
            )
        if not fields and entity != "resident":
            continue  # the household itself has none of the campaign's fields
        records.append(
            {
                "entity": entity,
                "id": s["id"],
                "version": s["version"],
                "title": _title(s),
                "is_head": entity == "resident" and s["relation_to_head"] == events.HEAD,
                "relation": catalog.code_items("relation_to_head").get(
                    s.get("relation_to_head") or "", ""
                ),
                "birth_year": s["birth_date"].year if s.get("birth_date") else None,
                "fields": fields,
            }
        )
    if scope.clearance and any(
        f["sensitivity"] == "sensitive" for f in defs.values()
    ):  # an unmasked view of sensitive values is logged, as in the ledger
        from yibiaotong import auth

        auth.record(scope.username, "record_view", f"走访 {task['entity']}:{task['entity_id']}")
    return {
        "campaign_id": task["campaign_id"],
        "campaign_name": task["campaign_name"],
        "entity": task["entity"],
        "entity_id": task["entity_id"],
        "state": task["state"],
        "label": task["label"],
        "outcome": task["outcome"],
        "note": task["note"],
        "version": task["version"],
        "visited_at": task["visited_at"],
        "visited_by": task["visited_by"],
        "records": records,
    }


@dataclass
class RecordEdit:
    """What the worker did to one record: the version the phone loaded, fields ticked ✓ and
    values entered (a correction or a missing value filled)."""

    entity: str
    id: int
    version: int
    confirm: tuple[str, ...] = ()
    values: dict[str, Any] | None = None


@dataclass
class Newcomer:
    """A person added during the visit: a newborn (新生儿登记) or a new member (迁入)."""

    name: str
    sex: str
    birth_date: Any
    id_number: str | None = None
    relation: str | None = None  # 与户主关系 of a new member; a newborn's is derived
    newborn: bool = True


@dataclass
class Departure:
    """A member who moved out or died, recorded through the life event."""

    resident_id: int
    kind: str  # moved_out | deceased
    on_date: Any
    destination: str | None = None
    new_head_id: int | None = None


@checked
def save_visit(
    scope: Scope,
    campaign_id: str,
    entity_id: int,
    version: int,
    outcome: str,
    note: str | None = None,
    edits: list[RecordEdit] | None = None,
    newcomers: list[Newcomer] | None = None,
    departures: list[Departure] | None = None,
    minutes: float | None = None,
) -> int:
    """One save per household: outcome and note, confirmations stamped, corrections and filled
    values validated and written with source 走访采集 and the campaign, life events — all in one
    transaction under one batch id. A stale task or record refuses the whole save."""
    edits, newcomers, departures = edits or [], newcomers or [], departures or []
    if outcome not in OUTCOMES or outcome == "pending":
        raise VisitError("请选择走访结果。")
    try:
        note = validate.text(note, "备注", 200) if note else None
    except validate.ValidationError as exc:
        raise ValidationFailed([str(exc)]) from None
    touches = any(e.confirm or e.values for e in edits) or newcomers
    if outcome != "visited" and touches:
        raise VisitError(f"走访结果为“{OUTCOMES[outcome]}”时不能核实或修改信息，请改为“已走访”。")
    if departures and outcome not in ("visited", "moved_away"):
        raise VisitError("登记迁出或死亡须选择“已走访”或“已搬离”。")
    minutes = min(max(float(minutes or 0), 0.0), 240.0)
    batch_id = uuid.uuid4().hex[:12]
    source = source_label(str(campaign_id))
    with db.transaction() as cur:
        task = _task(scope, campaign_id, entity_id, cur)
        if task["state"] != "open":
            raise VisitError("该走访已结束，任务已冻结，不能再保存。")
        if task["version"] != version:
            raise StaleVisit(_user_name(task["visited_by"]), task["visited_at"])
        subjects = {(s["_entity"], s["id"]): s for s in _subjects(scope, task, cur)}
        defs, _ = _campaign_defs(task)
        log = _apply_edits(cur, scope, task, subjects, defs, edits, source, batch_id)
        _life_events(cur, scope, task, subjects, newcomers, departures, batch_id)
        after = _subjects(scope, task, cur)
        missing = sum(
            1
            for s in after
            for code, f in defs.items()
            if f["entity"] == s["_entity"] and ledger.value_of(s, f) in (None, "")
        )
        row = db.run(
            cur,
            "visits/update_task",
            campaign_id=task["campaign_id"],
            entity_id=task["entity_id"],
            org_code=scope.org_code,
            version=version,
            outcome=outcome,
            note=note,
            username=scope.username,
            minutes=minutes,
            missing=missing,
            batch_id=batch_id,
        ).fetchone()
        if row is None:
            raise StaleVisit(None, None)
        record_work(
            cur, scope, task["campaign_id"], task["entity_id"], task["grid_code"], log, batch_id
        )
        ledger.after_write(cur, batch_id)
    return row[0]


def _user_name(username: str | None) -> str | None:
    from yibiaotong import auth

    user = auth.get_user(username) if username else None
    return user["name"] if user else username


def _apply_edits(cur, scope, task, subjects, defs, edits, source, batch_id) -> list[tuple]:
    """Validate every record's edit first (all errors at once), then write and stamp."""
    errors: list[str] = []
    planned = []
    for edit in edits:
        record = subjects.get((edit.entity, int(edit.id)))
        if record is None:
            raise AccessDenied("要核实的记录不属于该走访任务。")
        who = _title(record)
        if record["version"] != edit.version:
            raise ledger.StaleEdit(
                record["version"],
                ledger.changes_since(scope, edit.entity, record["id"], edit.version, cur),
            )
        own = {c: f for c, f in defs.items() if f["entity"] == edit.entity}
        if stray := [c for c in [*edit.confirm, *(edit.values or {})] if c not in own]:
            raise VisitError(f"{who}：字段不在本次走访范围内（{'、'.join(stray[:3])}）。")
        changes = {
            c: v
            for c, v in (edit.values or {}).items()
            if ledger.differs(own[c], v, ledger.value_of(record, own[c]))
        }
        try:
            clean = ledger.validate_changes(edit.entity, record, changes) if changes else {}
        except ValidationFailed as exc:
            errors.extend(f"{who}：{e}" for e in exc.errors)
            continue
        planned.append((edit, record, own, clean))
    if errors:
        raise ValidationFailed(errors)
    log = []
    for edit, record, own, clean in planned:
        if clean:
            ledger.write_changes(cur, scope, edit.entity, record, clean, source, batch_id)
        for code, value in clean.items():
            old = ledger.value_of(record, own[code])
            action = "filled" if old in (None, "") else "corrected"
            log.append(
                (edit.entity, record["id"], code, action, ledger._as_text(old), _text(value))
            )
        # ✓ on a value left as it was; a ticked value that was also changed counts as changed.
        confirmed = [
            c
            for c in dict.fromkeys(edit.confirm)
            if c not in clean and ledger.value_of(record, own[c]) not in (None, "")
        ]
        for code in confirmed:
            value = _text(ledger.value_of(record, own[code]))
            log.append((edit.entity, record["id"], code, "confirmed", value, value))
    return log


@checked
def record_work(cur, scope, campaign_id, task_entity_id, grid_code, log, batch_id) -> None:
    """Inside the caller's transaction: what a visit did to each field (rows of
    (entity, id, field, action, old, new)) for progress, and the verification stamps of every
    field it confirmed, corrected or filled."""
    if not log:
        return
    db.run(
        cur,
        "visits/insert_visit_fields",
        campaign_id=campaign_id,
        task_entity_id=task_entity_id,
        grid_code=grid_code,
        entities=[r[0] for r in log],
        entity_ids=[r[1] for r in log],
        fields=[r[2] for r in log],
        actions=[r[3] for r in log],
        old_values=[r[4] for r in log],
        new_values=[r[5] for r in log],
        batch_id=batch_id,
        username=scope.username,
    )
    stamped: dict[tuple[str, int], list[str]] = {}
    for entity, entity_id, code, *_ in log:
        stamped.setdefault((entity, entity_id), []).append(code)
    for (entity, entity_id), codes in stamped.items():
        keys = {"entity": entity, "entity_id": entity_id, "fields": codes}
        db.run(cur, "visits/stamp_verified", **keys, username=scope.username)
        db.run(cur, "visits/insert_verified", **keys, username=scope.username)


def _text(value: Any) -> str | None:
    return ledger._as_text(value)


def _life_events(cur, scope, task, subjects, newcomers, departures, batch_id) -> None:
    """新生儿登记, 迁入, 迁出 and 死亡注销 inside the visit's transaction and batch."""
    if (newcomers or departures) and task["entity"] != "household":
        raise VisitError("只有入户走访可以登记人员变动。")
    household_id = task["entity_id"]
    with events.joined(cur, batch_id):
        for d in departures:
            if ("resident", _int(d.resident_id)) not in subjects:
                raise AccessDenied("要登记变动的人员不是该户在册成员。")
            if d.kind == "moved_out":
                events.move_out(scope, d.resident_id, d.on_date, d.destination, d.new_head_id)
            elif d.kind == "deceased":
                events.register_death(scope, d.resident_id, d.on_date, d.new_head_id)
            else:
                raise VisitError("人员变动须为迁出或死亡。")
        for n in newcomers:
            if n.newborn:
                events.register_birth(
                    scope, household_id, n.name, n.sex, n.birth_date, n.id_number or None
                )
            else:
                fields = {
                    "resident_name": n.name,
                    "resident_sex": n.sex,
                    "resident_birth_date": n.birth_date,
                    "resident_id_number": n.id_number or None,
                }
                events.move_in(scope, fields, n.relation, household_id=household_id)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- progress


LEVEL_LENGTHS = {"street": 9, "community": 12, "grid": 15}


@checked
def progress(scope: Scope, campaign_id: str, level: str = "community") -> list[dict]:
    """Per unit of a level inside the caller's scope: tasks by outcome, fields confirmed,
    corrected and filled, values still missing after visits, minutes spent."""
    if level not in LEVEL_LENGTHS:
        raise VisitError("未知的统计层级。")
    campaign = get_campaign(scope, campaign_id)
    return db.fetch_dicts(
        "visits/progress_by_unit",
        campaign_id=campaign["id"],
        org_code=scope.org_code,
        length=LEVEL_LENGTHS[level],
    )


@checked
def board_progress(scope: Scope, org_code: str) -> list[dict]:
    """The dashboard's figure: households visited of the open campaigns' tasks, per child unit of
    the viewed unit (a grid shows itself)."""
    org = scope.narrow(org_code)
    length = min(len(org) + 3, 15) if len(org) >= 9 else 9
    return db.fetch_dicts("visits/open_campaign_progress", org_code=org, length=length)


@checked
def freshness(scope: Scope, org_code: str, as_of: date | None = None) -> dict[str, Any]:
    """Data freshness: the share of filled resident values verified in person in the last 12
    months, inside a unit of the caller's scope (cached per data version)."""
    org = scope.narrow(org_code)
    since = (as_of or date.today()) - timedelta(days=FRESH_DAYS)
    verified, filled = db.cached("visit_freshness", _freshness_counts, org, since)
    return {"verified": verified, "filled": filled, "share": verified / filled if filled else None}


def _freshness_counts(org: str, since: date) -> tuple[int, int]:
    columns = {
        f["code"]: f["column_name"]
        for f in ledger.fields("resident")
        if f["column_name"] and f["column_name"].isidentifier()
    }
    filled = " + ".join(f"(r.{c} is not null)::bigint" for c in columns.values()) or "0"
    with db.cursor() as cur:
        verified, total = db.run_filled(
            cur,
            "visits/freshness",
            slots={"filled": filled},
            org_code=org,
            since=datetime.combine(since, datetime.min.time()),
            fields=list(columns),
        ).fetchone()
    return int(verified or 0), int(total or 0)


# ---------------------------------------------------------------- summary workbook


@checked
def summary_xlsx(scope: Scope, campaign_id: str) -> bytes:
    """The campaign's summary for the street (inside the caller's scope): households visited per
    community and grid, changes by field and time spent."""
    from yibiaotong.excel.tables import write_tables

    campaign = get_campaign(scope, campaign_id)
    headers = ["单位", "任务", "已走访", "不在家", "拒访", "已搬离", "未走访"]
    headers += ["确认", "更正", "补录", "仍缺失", "用时（分钟）"]

    def table(level: str) -> list[list[Any]]:
        return [
            [
                r["unit_name"],
                r["tasks"],
                r["visited"],
                r["not_home"],
                r["refused"],
                r["moved_away"],
                r["pending"],
                r["confirmed"],
                r["corrected"],
                r["filled"],
                r["missing"],
                round(float(r["minutes"]), 1),
            ]
            for r in progress(scope, campaign["id"], level)
        ]

    names = campaign_fields(campaign["entity"])
    by_field = db.fetch_dicts(
        "visits/changes_by_field", campaign_id=campaign["id"], org_code=scope.org_code
    )
    fields = [
        [names.get(r["field"], r["field"]), r["confirmed"], r["corrected"], r["filled"]]
        for r in by_field
    ]
    from yibiaotong import auth

    auth.record(scope.username, "visit_summary", f"{campaign['name']}（{scope.org_code}）")
    state = "已结束" if campaign["state"] == "closed" else "进行中"
    about = [
        ["走访名称", campaign["name"]],
        ["范围", catalog.org_label(campaign["org_code"])],
        ["对象", ENTITIES[campaign["entity"]]],
        ["时间", f"{campaign['starts_on']:%Y-%m-%d} 至 {campaign['due_on']:%Y-%m-%d}"],
        ["状态", state],
        ["汇总范围", catalog.org_label(scope.org_code)],
        ["导出时间", f"{datetime.now():%Y-%m-%d %H:%M}"],
    ]
    return write_tables(
        {
            "概况": [("走访概况", ["项目", "内容"], about)],
            "进度": [
                ("按社区", headers, table("community")),
                ("按网格", headers, table("grid")),
            ],
            "字段变化": [("按字段", ["字段", "确认", "更正", "补录"], fields)],
        }
    )
