"""走访采集 against the fixture district: tasks, pre-filled values, confirmations, corrections,
life events, stale saves, scope, progress and the summary workbook."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from yibiaotong import auth, db, ledger, visits
from yibiaotong.scope import AccessDenied
from yibiaotong.visits import Departure, Newcomer, RecordEdit

STREET = "330102009"  # 闸弄口街道
VERIFY = ["resident_phone", "resident_education", "resident_marital_status", "resident_employer"]
COLLECT = ["resident_wechat", "resident_emergency_contact"]


def _scopes():
    return {u: auth.scope_for(u) for u in ("admin", "leader_zlk", "sw_tianxian", "sw_hongmei")}


def _campaign(leader, org=STREET, entity="household", verify=VERIFY, collect=COLLECT) -> str:
    return visits.create_campaign(
        leader, "秋季网格走亲", org, entity, verify, collect, "2026-11-01", "2026-11-30"
    )


def _sql(sql: str, **params):
    with db.cursor() as cur:
        return cur.execute(sql, params).fetchall()


@pytest.fixture
def street(writable_db):
    s = _scopes()
    return s, _campaign(s["leader_zlk"])


def _household_with(worker, campaign_id, at_least=2) -> dict:
    """The first household on the worker's list with at least `at_least` members."""
    page = 1
    while True:
        rows, _ = visits.visit_list(worker, campaign_id, "pending", None, page)
        assert rows, "no household with enough members"
        for row in rows:
            if row["members"] >= at_least:
                return visits.open_visit(worker, campaign_id, row["entity_id"])
        page += 1


def _save(worker, cid, visit, *edits, outcome="visited", **more) -> int:
    """Save one household at the version it was opened with."""
    return visits.save_visit(
        worker, cid, visit["entity_id"], visit["version"], outcome, edits=list(edits), **more
    )


def _tick(member, fields) -> RecordEdit:
    return RecordEdit("resident", member["id"], member["version"], tuple(fields))


def _fill(member, **values) -> RecordEdit:
    return RecordEdit("resident", member["id"], member["version"], (), values)


def test_a_campaign_has_one_task_per_active_household_assigned_to_the_grids_worker(street):
    s, cid = street
    expected = _sql(
        "select count(*) from household where status = 'active' and grid_code like $p",
        p=STREET + "%",
    )[0][0]
    assert visits.get_campaign(s["leader_zlk"], cid)["task_count"] == expected > 0
    # Each task goes to the social worker bound to the community of its grid (the demo has one
    # per community for 天仙 and 红梅); grids of other communities wait for an assignment.
    by_worker = dict(
        _sql(
            "select coalesce(assignee, '-'), count(*) from visit_task where campaign_id = $c "
            "group by all",
            c=cid,
        )
    )
    for worker, community in (("sw_tianxian", "330102009001"), ("sw_hongmei", "330102009002")):
        in_community = _sql(
            "select count(*) from household where status = 'active' and grid_code like $p",
            p=community + "%",
        )[0][0]
        assert by_worker[worker] == in_community
        _, counts = visits.visit_list(s[worker], cid)
        assert sum(counts.values()) == in_community


def test_the_list_is_in_building_unit_room_order_and_searchable(street):
    s, cid = street
    rows, counts = visits.visit_list(s["sw_tianxian"], cid, None, None, 1, 500)
    keys = _sql(
        "select t.entity_id, ho.building, ho.unit_no, ho.room_no, t.grid_code from visit_task t "
        "join household h on h.id = t.entity_id left join house ho on ho.id = h.house_id "
        "where t.campaign_id = $c and t.assignee = 'sw_tianxian'",
        c=cid,
    )

    def natural(v):
        return (len(v or ""), v or "")

    oracle = sorted(keys, key=lambda k: (k[4], natural(k[1]), natural(k[2]), natural(k[3]), k[0]))
    assert [r["entity_id"] for r in rows] == [k[0] for k in oracle]
    head = rows[3]["head_name"]
    found, _ = visits.visit_list(s["sw_tianxian"], cid, None, head)
    assert rows[3]["entity_id"] in {r["entity_id"] for r in found}


def test_pre_filled_values_equal_the_ledger(street):
    s, cid = street
    worker = s["sw_tianxian"]
    columns = [c.removeprefix("resident_") for c in VERIFY] + [f"attrs->>'{c}'" for c in COLLECT]
    seen_filled = set()
    rows, _ = visits.visit_list(worker, cid, None, None, 1, 100)
    with db.transaction() as cur:  # the demo leaves 工作单位 empty here: give one member a value
        cur.execute(
            "update resident set employer = '杭州市上城区某某公司' where household_id = ?",
            [rows[0]["entity_id"]],
        )
    for row in rows:
        visit = visits.open_visit(worker, cid, row["entity_id"])
        members = _sql(
            "select id from resident where household_id = $h and status = 'active'",
            h=visit["entity_id"],
        )
        assert {r["id"] for r in visit["records"]} == {m[0] for m in members}
        for record in visit["records"]:
            sql = f"select {', '.join(columns)} from resident where id = $i"
            ledger_row = _sql(sql, i=record["id"])[0]
            shown = {f["code"]: f["value"] for f in record["fields"]}
            assert [shown[c] for c in VERIFY + COLLECT] == list(ledger_row)
            seen_filled |= {c for c, v in zip(VERIFY, ledger_row, strict=False) if v is not None}
    assert seen_filled == set(VERIFY)  # every field was compared on real values
    views = _sql("select count(*) from access_log where action = 'record_view'")[0][0]
    assert views >= len(rows)  # phones are sensitive: each unmasked card is logged


def test_a_confirmation_stamps_without_changing_the_value(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid)
    member = visit["records"][0]
    filled = [f["code"] for f in member["fields"] if not f["missing"]][:3]
    before = _sql("select * from resident where id = $i", i=member["id"])
    logged = _sql("select count(*) from change_log")[0][0]
    _save(worker, cid, visit, _tick(member, filled))
    assert _sql("select * from resident where id = $i", i=member["id"]) == before
    assert _sql("select count(*) from change_log")[0][0] == logged
    stamps = _sql(
        "select field, verified_by, verified_at::date from field_provenance "
        "where entity = 'resident' and entity_id = $i and verified_at is not null",
        i=member["id"],
    )
    assert sorted(stamps) == sorted((f, "sw_tianxian", date.today()) for f in filled)
    text = ledger.provenance_text(ledger.provenance(worker, "resident", member["id"])[filled[0]])
    assert f"核实于 {date.today():%Y-%m-%d} by 毛社工" in text
    again = visits.open_visit(worker, cid, visit["entity_id"])
    assert again["outcome"] == "visited" and again["version"] == visit["version"] + 1


def test_a_correction_changes_the_value_with_source_and_campaign_in_change_log(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid)
    member = visit["records"][0]
    old = _sql("select phone from resident where id = $i", i=member["id"])[0][0]
    _save(
        worker, cid, visit, _fill(member, resident_phone="13900001111", resident_wechat="wx_2026")
    )
    assert _sql("select phone, version from resident where id = $i", i=member["id"]) == [
        ("13900001111", member["version"] + 1)
    ]
    log = _sql(
        "select field, old_value, new_value, source from change_log "
        "where entity = 'resident' and entity_id = $i order by field",
        i=member["id"],
    )
    assert log == [
        ("resident_phone", old, "13900001111", f"visit:{cid}"),
        ("resident_wechat", None, "wx_2026", f"visit:{cid}"),
    ]
    assert ledger.source_name(f"visit:{cid}") == "走访采集：秋季网格走亲"
    prov = _sql(
        "select field, source, verified_by from field_provenance where entity_id = $i "
        "and entity = 'resident' order by field",
        i=member["id"],
    )
    assert prov == [
        ("resident_phone", "community_survey", "sw_tianxian"),
        ("resident_wechat", "community_survey", "sw_tianxian"),
    ]
    actions = _sql(
        "select field, action from visit_field where campaign_id = $c order by field", c=cid
    )
    assert actions == [("resident_phone", "corrected"), ("resident_wechat", "filled")]


def test_a_value_failing_its_validator_writes_nothing(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid)
    first, second = visit["records"][:2]
    tables = "select (select count(*) from change_log), (select count(*) from field_provenance)"
    before = _sql(tables)
    with pytest.raises(ledger.ValidationFailed, match="联系电话"):
        _save(
            worker,
            cid,
            visit,
            _tick(first, ["resident_education"]),
            _fill(second, resident_phone="12"),
        )
    assert _sql(tables) == before
    assert visits.open_visit(worker, cid, visit["entity_id"])["outcome"] == "pending"


def test_a_second_save_from_another_phone_is_refused_and_shown(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid)
    member = visit["records"][0]
    _save(worker, cid, visit, _fill(member, resident_wechat="a1"))
    with pytest.raises(visits.StaleVisit, match="毛社工"):
        _save(worker, cid, visit, _fill(member, resident_wechat="b2"))
    assert _sql("select attrs->>'resident_wechat' from resident where id = $i", i=member["id"]) == [
        ("a1",)
    ]


def test_newborn_and_departure_go_through_the_life_events_in_the_same_batch(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid, at_least=3)
    leaving = next(r for r in visit["records"] if not r["is_head"])
    born = date.today().replace(day=1)
    _save(
        worker,
        cid,
        visit,
        newcomers=[Newcomer("测新生", "2", born)],
        departures=[Departure(leaving["id"], "moved_out", date.today(), "宁波市")],
    )
    batch = _sql(
        "select batch_id from visit_task where campaign_id = $c and entity_id = $e",
        c=cid,
        e=visit["entity_id"],
    )[0][0]
    sources = dict(
        _sql(
            "select field || ':' || entity_id, source from change_log where batch_id = $b",
            b=batch,
        )
    )
    assert sources[f"_status:{leaving['id']}"] == "event:move_out"
    newborn = _sql(
        "select id, status, birth_date from resident where household_id = $h and name = '测新生'",
        h=visit["entity_id"],
    )
    assert newborn and newborn[0][1:] == ("active", born)
    assert sources[f"_created:{newborn[0][0]}"] == "event:register_birth"
    assert _sql("select status from resident where id = $i", i=leaving["id"]) == [("moved_out",)]


def test_a_failing_life_event_undoes_the_whole_save(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid)
    member = visit["records"][0]
    logged = _sql("select count(*) from change_log")[0][0]
    with pytest.raises(ledger.LedgerError, match="一周岁以内"):
        _save(
            worker,
            cid,
            visit,
            _fill(member, resident_wechat="x"),
            newcomers=[Newcomer("测太老", "1", date(2000, 1, 1))],
        )
    assert _sql("select count(*) from change_log")[0][0] == logged
    assert _sql("select count(*) from visit_field")[0][0] == 0


def test_a_worker_cannot_see_or_save_another_grids_tasks_even_with_crafted_ids(street):
    s, cid = street
    auth.add_user(
        s["admin"], "sw_grid1", "吴网格", "Wz#visit-2026-grid", "social_worker", "330102009001001"
    )
    grid_worker = auth.scope_for("sw_grid1")
    mine = visits.visit_list(s["sw_tianxian"], cid, None, None, 1, 500)[0]
    # Reassigned: the grid's households go to the grid's own worker, the rest stay.
    moved = visits.reassign(s["leader_zlk"], cid, "330102009001001", "sw_grid1")
    grid_rows, counts = visits.visit_list(grid_worker, cid, None, None, 1, 500)
    assert len(grid_rows) == moved == sum(counts.values()) > 0
    assert {r["grid_code"] for r in grid_rows} == {"330102009001001"}
    other = next(r for r in mine if r["grid_code"] != "330102009001001")
    own = visits.open_visit(grid_worker, cid, grid_rows[0]["entity_id"])
    foreign = visits.open_visit(s["sw_tianxian"], cid, other["entity_id"])
    before = _sql("select count(*) from change_log")[0][0]
    with pytest.raises(AccessDenied, match="走访任务不存在"):
        visits.open_visit(grid_worker, cid, other["entity_id"])
    # The community's worker still covers the grid, but its tasks are no longer theirs.
    with pytest.raises(AccessDenied, match="走访任务不存在"):
        visits.open_visit(s["sw_tianxian"], cid, own["entity_id"])
    with pytest.raises(AccessDenied):
        visits.save_visit(s["sw_tianxian"], cid, own["entity_id"], own["version"], "not_home")
    with pytest.raises(AccessDenied):
        visits.save_visit(grid_worker, cid, other["entity_id"], 1, "visited")
    with pytest.raises(AccessDenied):  # another community's worker, a household of 天仙
        visits.open_visit(s["sw_hongmei"], cid, other["entity_id"])
    # My own task, but a member of another grid's household slipped into the edits.
    stranger = foreign["records"][0]
    with pytest.raises(AccessDenied, match="不属于该走访任务"):
        _save(grid_worker, cid, own, _fill(stranger, resident_wechat="x"))
    with pytest.raises(AccessDenied, match="不是该户在册成员"):
        _save(
            grid_worker,
            cid,
            own,
            outcome="moved_away",
            departures=[Departure(stranger["id"], "moved_out", date.today(), "上海")],
        )
    with pytest.raises(AccessDenied):
        visits.open_visit(grid_worker, "not-a-campaign", own["entity_id"])
    with pytest.raises(AccessDenied):
        visits.open_visit(grid_worker, cid, "1 or 1=1")
    assert _sql("select count(*) from change_log")[0][0] == before
    for role in ("leader_zlk", "admin"):
        with pytest.raises(AccessDenied):
            visits.save_visit(s[role], cid, own["entity_id"], own["version"], "visited")
        with pytest.raises(AccessDenied), db.transaction() as cur:  # the shared write step too
            visits.record_work(cur, s[role], cid, own["entity_id"], "x", [("resident",)], "b")
    with pytest.raises(AccessDenied):
        _campaign(s["sw_tianxian"])
    with pytest.raises(AccessDenied):  # a street leader outside the street
        _campaign(s["leader_zlk"], org="330102001")


def test_progress_figures_equal_an_independent_count(street):
    s, cid = street
    worker = s["sw_tianxian"]
    rows, _ = visits.visit_list(worker, cid, "pending", None, 1, 12)
    plan = ["visited", "not_home", "refused", "not_home", "visited", "moved_away", "visited"]
    for row, outcome in zip(rows, plan, strict=False):
        visit = visits.open_visit(worker, cid, row["entity_id"])
        edits = []
        if outcome == "visited":
            for r in visit["records"]:
                filled = [f["code"] for f in r["fields"] if not f["missing"]]
                edits.append(
                    RecordEdit(
                        "resident",
                        r["id"],
                        r["version"],
                        tuple(filled[:2]),
                        {"resident_wechat": f"wx{r['id']}"},
                    )
                )
        visits.save_visit(
            worker, cid, row["entity_id"], visit["version"], outcome, edits=edits, minutes=3
        )
    # The oracle: the ledger's own logs read in Python, not the progress SQL.
    changes = _sql(
        "select entity_id, field, old_value from change_log where source = $s", s=f"visit:{cid}"
    )
    stamps = _sql("select entity_id, field from field_provenance where verified_by = 'sw_tianxian'")
    changed = {(e, f) for e, f, _ in changes}
    outcomes = _sql("select grid_code, outcome from visit_task where campaign_id = $c", c=cid)
    # Still missing: campaign fields empty now among members of visited households.
    visited_ids = [r["entity_id"] for r, o in zip(rows, plan, strict=False) if o == "visited"]
    members = _sql(
        "select phone, education, marital_status, employer, attrs->>'resident_wechat', "
        "attrs->>'resident_emergency_contact' from resident where status = 'active' "
        "and list_contains($h, household_id)",
        h=visited_ids,
    )
    missing = sum(v in (None, "") for m in members for v in m)
    by_unit = {r["unit"]: r for r in visits.progress(s["leader_zlk"], cid, "community")}
    tianxian = by_unit["330102009001"]
    mine = [o for g, o in outcomes if g.startswith("330102009001")]
    assert tianxian["tasks"] == len(mine)
    for outcome in ("visited", "not_home", "refused", "moved_away", "pending"):
        assert tianxian[outcome] == mine.count(outcome)
    assert tianxian["filled"] == sum(1 for _, _, old in changes if old is None)
    assert tianxian["corrected"] == sum(1 for _, _, old in changes if old is not None)
    assert tianxian["confirmed"] == len({s for s in stamps if s not in changed})
    assert tianxian["missing"] == missing
    assert tianxian["minutes"] == pytest.approx(3 * len(plan))
    assert sum(r["tasks"] for r in by_unit.values()) == len(outcomes)
    board = {r["unit"]: r for r in visits.board_progress(s["leader_zlk"], STREET)}
    assert board["330102009001"]["done"] == len(plan)
    # A worker's own view of the same campaign only holds their subtree.
    assert {r["unit"] for r in visits.progress(worker, cid, "community")} == {"330102009001"}


def test_freshness_is_the_share_of_values_verified_this_year(street):
    s, cid = street
    worker = s["sw_tianxian"]
    before = visits.freshness(s["leader_zlk"], STREET)
    visit = _household_with(worker, cid)
    member = visit["records"][0]
    filled = [f["code"] for f in member["fields"] if not f["missing"]]
    _save(worker, cid, visit, _tick(member, filled))
    after = visits.freshness(s["leader_zlk"], STREET)
    assert after["verified"] == before["verified"] + len(filled)
    columns = [f["column_name"] for f in ledger.fields("resident") if f["column_name"]]
    oracle = _sql(
        "select count(*) from (select unnest(["
        + ", ".join(f"{c}::varchar" for c in columns)
        + "]) as v from resident where status = 'active' and grid_code like $p) where v is not null",
        p=STREET + "%",
    )[0][0]
    assert after["filled"] == oracle
    assert after["share"] == pytest.approx(after["verified"] / oracle)


def test_closing_freezes_the_tasks_and_the_summary_counts_them(street):
    s, cid = street
    worker = s["sw_tianxian"]
    visit = _household_with(worker, cid)
    member = visit["records"][0]
    _save(worker, cid, visit, _fill(member, resident_wechat="z"), minutes=7)
    with pytest.raises(AccessDenied):
        visits.close_campaign(worker, cid)
    visits.close_campaign(s["leader_zlk"], cid)
    other, _ = visits.visit_list(worker, cid, "pending", None, 1, 1)
    again = visits.open_visit(worker, cid, other[0]["entity_id"])
    with pytest.raises(visits.VisitError, match="已结束"):
        visits.save_visit(worker, cid, other[0]["entity_id"], again["version"], "not_home")
    book = openpyxl.load_workbook(io.BytesIO(visits.summary_xlsx(s["leader_zlk"], cid)))
    progress = list(book["进度"].iter_rows(values_only=True))
    tianxian = next(r for r in progress if r[0] == "天仙社区")
    assert tianxian[2] == 1 and tianxian[9] == 1 and tianxian[11] == 7.0
    assert _sql("select action from access_log where username = 'leader_zlk'")[-1:] == [
        ("visit_summary",)
    ]
    fields = list(book["字段变化"].iter_rows(values_only=True))
    assert ("成员·微信号", 0, 0, 1) in fields


def test_campaign_input_is_checked(writable_db):
    leader = auth.scope_for("leader_zlk")
    cases = [
        (("", STREET, "household", VERIFY, []), "名称"),
        (("走访", STREET, "household", ["resident_death_date"], []), "不可用于走访"),
        (("走访", STREET, "household", ["resident_phone"], ["resident_phone"]), "既"),
        (("走访", STREET, "household", [], []), "至少"),
        (("走访", "330102009001001999", "household", VERIFY, []), "范围"),
        (("走访", STREET, "person", VERIFY, []), "对象"),
    ]
    for args, message in cases:
        with pytest.raises(ledger.LedgerError, match=message):
            visits.create_campaign(leader, *args, "2026-11-01", "2026-11-30")
    with pytest.raises(ledger.LedgerError, match="截止日期"):
        visits.create_campaign(
            leader, "走访", STREET, "household", VERIFY, [], "2026-11-30", "2026-11-01"
        )
    assert _sql("select count(*) from campaign")[0][0] == 0
    house = visits.create_campaign(
        leader,
        "出租房屋核查",
        "330102009001",
        "house",
        ["house_occupancy"],
        [],
        "2026-11-01",
        "2026-11-30",
    )
    expected = _sql(
        "select count(*) from house where status = 'active' and grid_code like '330102009001%'"
    )[0][0]
    assert visits.get_campaign(leader, house)["task_count"] == expected
