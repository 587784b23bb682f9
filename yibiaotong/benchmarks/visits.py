"""走访采集 benchmarks: a campaign over a whole street, a social worker's list and one save."""

from __future__ import annotations

import itertools
import time
from datetime import date, timedelta

from yibiaotong import auth, db, visits
from yibiaotong.benchmarks import Context, timed
from yibiaotong.visits import RecordEdit

STREET = "330102009"  # 闸弄口街道, ≈ 700,000 residents at 9 million
LEADER, WORKER = "leader_zlk", "sw_tianxian"
VERIFY = ["resident_phone", "resident_education", "resident_marital_status", "resident_employer"]
COLLECT = ["resident_wechat", "resident_emergency_contact"]


def _create(leader) -> str:
    return visits.create_campaign(
        leader, "基准走访", STREET, "household", VERIFY, COLLECT, "2026-11-01", "2026-11-30"
    )


def run(ctx: Context) -> dict[str, dict]:
    leader, worker = auth.scope_for(LEADER), auth.scope_for(WORKER)
    if leader is None or worker is None:
        return {}
    created: list[str] = []
    create = timed(lambda: created.append(_create(leader)), repeat=3, warmup=0)
    campaign_id = created[-1]
    tasks = db.fetch_value("visits/set_task_count", id=campaign_id)
    rows, counts = visits.visit_list(worker, campaign_id, None, None, 1, 2000)
    listing = timed(lambda: visits.visit_list(worker, campaign_id, "pending", None, 1))
    search = timed(lambda: visits.visit_list(worker, campaign_id, None, rows[7]["head_name"], 1))
    households = iter(r["entity_id"] for r in rows if r["members"])
    opened = timed(lambda: visits.open_visit(worker, campaign_id, rows[3]["entity_id"]))
    saves = []
    for n in itertools.count():  # one household per save: open it, then time the save alone
        if len(saves) == 17:
            break
        visit = visits.open_visit(worker, campaign_id, next(households))
        member = visit["records"][-1]
        filled = tuple(f["code"] for f in member["fields"] if not f["missing"])[:3]
        edit = RecordEdit(
            "resident", member["id"], member["version"], filled, {"resident_wechat": f"wx{n}"}
        )
        started = time.perf_counter()
        visits.save_visit(
            worker, campaign_id, visit["entity_id"], visit["version"], "visited", edits=[edit]
        )
        saves.append((time.perf_counter() - started) * 1000)
    saves = sorted(saves[2:])
    year_ago = date.today() - timedelta(days=visits.FRESH_DAYS)
    fresh_street = timed(lambda: visits._freshness_counts(STREET, year_ago), repeat=5)
    fresh_district = timed(lambda: visits._freshness_counts("330102", year_ago), repeat=3)
    board = timed(lambda: visits.board_progress(leader, STREET), repeat=5)
    note = f"{tasks:,} tasks; the worker's list holds {sum(counts.values()):,} households"
    return {
        "campaign_create": {**create, "budget_ms": 10_000, "note": note},
        "visit_list": {**listing, "budget_ms": 300, "note": "first page and counts by outcome"},
        "visit_list_search": {**search, "budget_ms": 300, "note": "a head's name"},
        "visit_open": {**opened, "budget_ms": 300, "note": "members pre-filled with sources"},
        "visit_save": {
            "p50_ms": round(saves[len(saves) // 2], 1),
            "p95_ms": round(saves[int(len(saves) * 0.95)], 1),
            "budget_ms": 300,
            "note": "3 fields confirmed and 1 filled per household, one transaction",
        },
        "visit_board": {**board, "budget_ms": 1500, "note": "dashboard 走访进度 per community"},
        "freshness_street": {**fresh_street, "budget_ms": 1500, "note": "uncached, one street"},
        "freshness_district": {**fresh_district, "budget_ms": 1500, "note": "uncached, 9 M"},
    }
