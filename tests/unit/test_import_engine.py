"""数据回流 end to end on a real DuckDB file: preview counts against an independent computation,
commit then undo leaves every ledger table as it was, a killed commit leaves nothing, a street
clerk cannot write outside the street, and the survivorship (priority) rules."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from import_files import id_number

from yibiaotong import auth, config, db, ledger, validate
from yibiaotong.importing import commit, review, stage, undo
from yibiaotong.importing.batches import ImportError_
from yibiaotong.scope import AccessDenied, Scope

STREET = "330102009"  # 闸弄口街道

LEDGER_TABLES = {
    "resident": "select * from resident",
    "household": "select * from household",
    "house": "select * from house",
    "shop": "select * from shop",
    # A rule refresh re-stamps assigned_at of the rule rows it rewrites; everything else counts.
    "entity_tag": "select entity, entity_id, tag_id, source, assigned_by, "
    "case when source = 'rule' then null else assigned_at end from entity_tag",
    "field_provenance": "select * from field_provenance",
    "tag_period": "select * from tag_period",
}


def ledger_hashes() -> dict[str, str]:
    out = {}
    with db.cursor() as cur:
        for table, sql in LEDGER_TABLES.items():
            rows = sorted(map(repr, cur.execute(sql).fetchall()))
            out[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def residents(where: str = "true", limit: int = 5, params=None) -> list[dict]:
    with db.cursor() as cur:
        rel = cur.execute(
            f"select * from resident where id_type = '01' and status = 'active' and {where} "
            f"order by id limit {limit}",
            params or {},
        )
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def house_address(grid_prefix: str) -> tuple[str, str]:
    """An address that names exactly one house of the ledger, and that house's grid."""
    with db.cursor() as cur:
        return cur.execute(
            "select any_value(address), any_value(grid_code) from house "
            "where starts_with(grid_code, $p) group by address having count(*) = 1 "
            "order by 1 limit 1",
            {"p": grid_prefix},
        ).fetchone()


def csv_file(header: list[str], rows: list[list[str]], encoding: str = "gbk") -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def run_import(scope, data, source, name="名册.csv", mapping=None, roster_tag=None, **kw):
    batch_id, result = stage.upload(scope, data, name, source, kw.pop("default_org", None))
    chosen = {c.index: c.target for c in result.columns}
    chosen.update(mapping or {})
    summary = stage.preview(scope, batch_id, chosen, roster_tag=roster_tag)
    return batch_id, summary


def new_person(n: int, sex: str = "1") -> str:
    body = f"3301021985{(n % 12) + 1:02d}{(n % 27) + 1:02d}{n % 100:02d}" + sex
    return id_number(body)


@pytest.fixture
def admin(writable_db) -> Scope:
    return auth.scope_for("admin")


# ---------------------------------------------------------------- preview counts


def test_preview_counts_equal_an_independent_computation(admin):
    people = residents(where="phone is not null", limit=6)
    address, grid = house_address("330102")
    header = ["姓名", "身份证号", "联系电话", "现住址", "备注"]
    rows = [
        # unchanged, an address change (75 beats the ledger's 70), a phone change (60 loses to 70)
        [people[0]["name"], people[0]["id_number"], "", "", ""],
        [people[1]["name"], people[1]["id_number"], "", people[1]["current_address"] + "附1号", ""],
        [people[2]["name"], people[2]["id_number"], "13812345678", "", ""],
        # the same ID with another name
        [people[3]["name"] + "某", people[3]["id_number"], "", "", ""],
        # new people: one placed by the address of a house, one nowhere to place
        ["新居民甲", new_person(1), "13900000001", address, ""],
        ["新居民乙", new_person(2, "2"), "", "火星路1号", ""],
        # refused: check digit, ID stored as a number, a formula, a repeated key with other content
        [
            "坏号",
            people[4]["id_number"][:-1] + ("0" if people[4]["id_number"][-1] != "0" else "1"),
            "",
            "",
            "",
        ],
        ["数字", "3.30102E+17", "", "", ""],
        ["=HYPERLINK()", new_person(3), "", "", ""],
        ["重复甲", new_person(4), "", address, ""],
        ["重复乙", new_person(4), "", address, ""],
        # an exact duplicate of the first row
        [people[0]["name"], people[0]["id_number"], "", "", ""],
    ]
    data = csv_file(header, rows)
    batch_id, summary = run_import(admin, data, "gongan_floating", mapping={4: "attr"})

    # Independent oracle: each row by the standard's validators and a plain read of the ledger.
    ledger_by_id = {p["id_number"]: p for p in residents(limit=100000)}
    expected = Counter()
    seen_rows = set()
    keys = Counter(validate_key(r[1]) for r in rows)
    for r in rows:
        if tuple(r) in seen_rows:
            expected["duplicate"] += 1
            continue
        seen_rows.add(tuple(r))
        key = validate_key(r[1])
        try:
            validate.text(r[0], "姓名", 50)
        except validate.ValidationError:
            key = None
        if key is None or (keys[key] > 1 and key not in ledger_by_id):
            expected["reject"] += 1
        elif key in ledger_by_id:
            current = ledger_by_id[key]
            if r[0] != current["name"]:
                expected["conflict"] += 1
            elif (r[3] and r[3] != current["current_address"]) or (r[2] and not current["phone"]):
                expected["update"] += 1  # a better source, or an empty field filled
            else:
                expected["unchanged"] += 1  # a lower-priority phone is recorded, not applied
        else:
            expected["insert" if r[3] == address else "unplaced"] += 1
    assert summary.actions == dict(expected)
    assert summary.changes == {"apply": 1, "lower": 1, "identity": 1}
    assert summary.placement == {"address": 1, "none": 1}
    with db.cursor() as cur:
        refused_rows = cur.execute(
            "select count(distinct row_no) from import_reject where batch_id = ?", [batch_id]
        ).fetchone()[0]
    assert refused_rows == expected["reject"] == summary.rejects


def validate_key(text: str) -> str | None:
    try:
        return validate.id_number(text)
    except validate.ValidationError:
        return None


# ---------------------------------------------------------------- commit and undo


def test_commit_then_undo_leaves_every_ledger_table_identical(admin):
    before = ledger_hashes()
    people = residents(where="starts_with(grid_code, '330102009')", limit=3)
    address, _ = house_address(STREET)
    header = ["姓名", "身份证号", "现住址", "户号", "与户主关系", "备注"]
    rows = [
        [
            people[0]["name"],
            people[0]["id_number"],
            people[0]["current_address"] + "东",
            "",
            "",
            "核对",
        ],
        ["新户主", new_person(11), address, "ZLK-2026-001", "户主", ""],
        ["新配偶", new_person(12, "2"), address, "ZLK-2026-001", "配偶", ""],
    ]
    batch_id, summary = run_import(
        admin,
        csv_file(header, rows),
        "minzheng_assistance",
        mapping={5: "attr"},
        roster_tag="dibao",
    )
    assert summary.actions["insert"] == 2 and summary.tags["set"] == 3
    assert summary.tags.get("end", 0) > 0  # the district's other 低保 holders are not on the roster
    written = commit.commit(admin, batch_id)["written"]
    assert written["inserted"] == 2 and written["households_created"] == 1
    assert ledger_hashes() != before
    with db.cursor() as cur:
        head = cur.execute(
            "select h.household_no, r.name from household as h join resident as r on r.id = h.head_id "
            "where h.household_no = 'ZLK-2026-001'"
        ).fetchone()
    assert head == ("ZLK-2026-001", "新户主")
    result = undo.undo(admin, batch_id)
    assert result["fields_for_review"] == 0 and result["records_kept_for_review"] == 0
    assert ledger_hashes() == before
    assert stage.summary(admin, batch_id).batch["state"] == "undone"


def test_a_field_changed_after_the_batch_is_listed_for_review_not_overwritten(admin):
    person = residents(limit=1)[0]
    rows = [[person["name"], person["id_number"], person["current_address"] + "西"]]
    batch_id, _ = run_import(
        admin, csv_file(["姓名", "身份证号", "现住址"], rows), "gongan_floating"
    )
    commit.commit(admin, batch_id)
    record = ledger.get(admin, "resident", person["id"])
    ledger.save(
        admin,
        "resident",
        person["id"],
        {"resident_current_address": "手工改过的地址"},
        record["version"],
    )
    result = undo.undo(admin, batch_id)
    assert result == {**result, "fields_restored": 0, "fields_for_review": 1}
    assert ledger.get(admin, "resident", person["id"])["current_address"] == "手工改过的地址"
    items, total = review.conflicts(admin)
    item = next(i for i in items if i["kind"] == "undo" and i["entity_id"] == person["id"])
    # The reviewer weighs what the ledger holds now (the hand edit) against what undo would put
    # back (the value before the batch), never the batch's own value.
    assert (item["current_value"], item["incoming_value"]) == (
        "手工改过的地址",
        person["current_address"],
    )
    assert item["current_source"] == "console"


def test_an_undo_conflict_on_a_house_waits_in_the_review_queue_of_its_grid(admin):
    """Not only residents: a house field edited by hand after a 住建 batch is a review item placed
    in the house's grid, so the reviewers of that grid see it."""
    with db.cursor() as cur:
        house_id, house_no, grid, area = cur.execute(
            "select id, house_no, grid_code, area_sqm from house where status = 'active' "
            "and house_no is not null and area_sqm is not null order by id limit 1"
        ).fetchone()
    data = csv_file(["房屋编号", "建筑面积"], [[house_no, f"{float(area) + 10:.2f}"]])
    batch_id, summary = run_import(admin, data, "zhujian_house")
    assert summary.actions.get("update") == 1
    commit.commit(admin, batch_id)
    record = ledger.get(admin, "house", house_id)
    ledger.save(admin, "house", house_id, {"house_area_sqm": "123.45"}, record["version"])
    assert undo.undo(admin, batch_id)["fields_for_review"] == 1
    items, _ = review.conflicts(admin, limit=500)
    (item,) = [i for i in items if i["batch_id"] == batch_id]
    assert (item["entity"], item["entity_id"], item["grid_code"]) == ("house", house_id, grid)
    assert float(item["current_value"]) == 123.45 and float(item["incoming_value"]) == float(area)


KILL_SCRIPT = """
import os, sys, time
from yibiaotong import auth
from yibiaotong.importing import commit
def pause(fraction, step):
    if step == "更新字段":  # new records are inserted, fields not yet: the middle of the commit
        open(sys.argv[2], "w").write("ready")
        time.sleep(120)
commit.commit(auth.scope_for("admin"), sys.argv[1], progress=pause)
"""


def test_a_commit_killed_midway_leaves_no_partial_batch(admin, writable_db, tmp_path):
    people = residents(limit=2)
    address, _ = house_address("330102")
    rows = [
        [people[0]["name"], people[0]["id_number"], people[0]["current_address"] + "北"],
        ["被杀进程", new_person(21), address],
    ]
    batch_id, _ = run_import(
        admin, csv_file(["姓名", "身份证号", "现住址"], rows), "gongan_floating"
    )
    before = ledger_hashes()
    with db.cursor() as cur:
        logged = cur.execute("select count(*) from change_log").fetchone()[0]
        cur.execute("checkpoint")
    db.close_all()
    marker = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, batch_id, str(marker)],
        env={**os.environ, "YIBIAOTONG_DB": str(writable_db)},
        cwd=config.ROOT,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the commit never reached its middle"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Reopen the file as the console would after a crash.
    assert ledger_hashes() == before
    with db.cursor() as cur:
        assert cur.execute("select count(*) from change_log").fetchone()[0] == logged
        state = cur.execute("select state from import_batch where id = ?", [batch_id]).fetchone()[0]
    assert state == "previewed"
    assert commit.commit(admin, batch_id)["written"]["inserted"] == 1  # and it can be committed


# ---------------------------------------------------------------- scope


def test_a_street_clerk_cannot_write_outside_the_street(admin):
    clerk = auth.scope_for("clerk_zlk")
    inside = residents(where="starts_with(grid_code, '330102009')", limit=1)[0]
    outside = residents(where="not starts_with(grid_code, '330102009')", limit=1)[0]
    address_in, _ = house_address(STREET)
    address_out, grid_out = house_address("330102001")
    header = ["姓名", "身份证号", "现住址", "所属社区"]
    rows = [
        [inside["name"], inside["id_number"], inside["current_address"] + "南", ""],
        [outside["name"], outside["id_number"], outside["current_address"] + "南", ""],
        ["街内新人", new_person(31), address_in, ""],
        ["街外新人", new_person(32), address_out, ""],
        ["别街新人", new_person(33), "", "湖滨街道东坡路社区"],
    ]
    before = ledger_hashes()
    batch_id, summary = run_import(
        clerk, csv_file(header, rows), "gongan_floating", mapping={3: "org"}
    )
    assert summary.actions == {"update": 1, "outside": 3, "insert": 1}
    with db.cursor() as cur:
        reasons = cur.execute(
            "select row_no, reason from import_reject where batch_id = ? order by row_no",
            [batch_id],
        ).fetchall()
    assert [r for r, _ in reasons] == [3, 5, 6] and all("辖区" in why for _, why in reasons)
    commit.commit(clerk, batch_id)
    assert (
        ledger.get(admin, "resident", outside["id"])["current_address"]
        == outside["current_address"]
    )
    with db.cursor() as cur:
        grids = cur.execute(
            "select distinct r.grid_code from change_log as c join resident as r on r.id = c.entity_id "
            "where c.batch_id = ? and c.entity = 'resident'",
            [batch_id],
        ).fetchall()
    assert grids and all(g.startswith(STREET) for (g,) in grids)
    assert ledger_hashes() != before
    # Other roles and a district-level department account may not import at all.
    for username in ("sw_tianxian", "weijian", "leader_zlk"):
        with pytest.raises(AccessDenied):
            stage.upload(auth.scope_for(username), b"a,b\n1,2\n", "x.csv", "gongan_floating")
    # A batch of the district is not the clerk's to see.
    admin_batch, _ = run_import(admin, csv_file(header, rows[:1]), "gongan_floating")
    with pytest.raises(AccessDenied):
        stage.summary(clerk, admin_batch)


# ---------------------------------------------------------------- survivorship


def test_priority_rules(admin):
    person, other = residents(where="phone is not null", limit=2)

    def load(source, header, row):
        batch_id, summary = run_import(admin, csv_file(header, [row]), source)
        commit.commit(admin, batch_id)
        return summary

    # 公安 (95) replaces a hand-entered name (console 50).
    s = load(
        "gongan_hukou",
        ["姓名", "身份证号", "籍贯"],
        [person["name"], person["id_number"], "浙江省宁波市"],
    )
    assert s.changes == {"apply": 1}
    # 社区采集 (30) cannot replace 公安's native place… it does not set it at all; its name (30)
    # differs → identity conflict; its phone (70) equals the console's 70 → a conflict.
    s = load(
        "community_survey",
        ["姓名", "身份证号", "联系电话"],
        [person["name"], person["id_number"], "13911112222"],
    )
    assert s.changes == {"conflict": 1}
    # 民政 (60) and 残联 (60) share a priority for the phone: the first fills, the second conflicts
    # once 民政 set it; 民政 refreshing its own value applies.
    s = load(
        "minzheng_assistance",
        ["姓名", "身份证号", "联系电话"],
        [other["name"], other["id_number"], "13700000001"],
    )
    assert s.changes == {"lower": 1}  # the ledger's hand-entered phone is 70
    with db.transaction() as cur:
        cur.execute("update resident set phone = null where id = ?", [other["id"]])
    s = load(
        "minzheng_assistance",
        ["姓名", "身份证号", "联系电话"],
        [other["name"], other["id_number"], "13700000001"],
    )
    assert s.changes == {"apply": 1}  # an empty field is filled by anyone
    s = load(
        "canlian_disabled",
        ["姓名", "身份证号", "联系电话"],
        [other["name"], other["id_number"], "13700000002"],
    )
    assert s.changes == {"conflict": 1}
    s = load(
        "minzheng_assistance",
        ["姓名", "身份证号", "联系电话"],
        [other["name"], other["id_number"], "13700000003"],
    )
    assert s.changes == {"apply": 1}
    s = load(
        "weijian_vaccine",
        ["姓名", "身份证号", "联系电话"],
        [other["name"], other["id_number"], "13700000004"],
    )
    assert s.changes == {"lower": 1}
    assert ledger.get(admin, "resident", other["id"])["phone"] == "13700000003"
    sources = ledger.provenance(admin, "resident", other["id"])
    assert sources["resident_phone"]["source"] == "minzheng_assistance"


def test_conflict_review_applies_through_the_write_path(admin):
    person = residents(where="phone is not null", limit=1)[0]
    header = ["姓名", "身份证号", "联系电话"]
    batch_id, _ = run_import(
        admin,
        csv_file(header, [[person["name"], person["id_number"], "13655556666"]]),
        "community_survey",
    )
    commit.commit(admin, batch_id)
    items, _ = review.conflicts(admin)
    item = next(i for i in items if i["batch_id"] == batch_id)
    assert (item["current_value"], item["incoming_value"]) == (person["phone"], "13655556666")
    review.decide(admin, item["id"], take_incoming=True)
    assert ledger.get(admin, "resident", person["id"])["phone"] == "13655556666"
    provenance = ledger.provenance(admin, "resident", person["id"])["resident_phone"]
    assert provenance["source"] == "community_survey"
    history = ledger.history(admin, "resident", person["id"])
    assert history[0]["source"] == "review:community_survey" and history[0]["new"] == "13655556666"
    with pytest.raises(ImportError_, match="处理过"):
        review.decide(admin, item["id"], take_incoming=False)


def test_a_street_clerk_reads_only_the_conflicts_of_its_own_batches_masked(admin):
    """As an attacker with a street clerk's account: no ledger record opens, another's batch's
    conflicts neither show nor decide, its own show masked (uncleared) and still decide."""
    street = auth.scope_for("clerk_zlk").org_code
    auth.add_user(
        admin, "clerk_plain", "钱专员", "Quartz-Meadow-8142-Lk", "dept_staff", street, "gongan"
    )
    clerk = auth.scope_for("clerk_plain")
    assert not clerk.clearance
    theirs, own = residents(
        where=f"starts_with(grid_code, '{STREET}') and phone is not null", limit=2
    )
    with pytest.raises(AccessDenied):
        ledger.get(clerk, "resident", own["id"])
    header = ["姓名", "身份证号", "联系电话"]

    def conflicting(scope: Scope, person: dict, phone: str) -> str:
        rows = [[person["name"], person["id_number"], phone]]
        batch_id, _ = run_import(scope, csv_file(header, rows), "community_survey")
        commit.commit(scope, batch_id)
        return batch_id

    admins = conflicting(admin, theirs, "13655551111")
    (other,) = [i for i in review.conflicts(admin, limit=500)[0] if i["batch_id"] == admins]
    mine = conflicting(clerk, own, "13655552222")
    items, total = review.conflicts(clerk, limit=500)
    assert {i["batch_id"] for i in items} == {mine} and total == len(items) == 1
    with pytest.raises(AccessDenied):
        review.decide(clerk, other["id"], take_incoming=True)
    (item,) = items
    for shown, full in (
        (item["current_value"], own["phone"]),
        (item["incoming_value"], "13655552222"),
    ):
        assert shown and shown != full and shown[:3] == full[:3] and shown[-4:] == full[-4:]
    review.decide(clerk, item["id"], take_incoming=True)
    assert ledger.get(admin, "resident", own["id"])["phone"] == "13655552222"
    assert ledger.get(admin, "resident", theirs["id"])["phone"] == theirs["phone"]


def test_unplaced_rows_wait_and_a_clerk_places_them(admin):
    rows = [["无处安放", new_person(41), "不存在路9号"]]
    batch_id, summary = run_import(
        admin, csv_file(["姓名", "身份证号", "现住址"], rows), "gongan_floating"
    )
    assert summary.actions == {"unplaced": 1}
    commit.commit(admin, batch_id)
    waiting, total = review.unplaced(admin)
    assert total == 1 and waiting[0]["label"] == "无处安放"
    grid = "330102009001001"
    new_id = review.place(admin, batch_id, waiting[0]["row_no"], grid)
    record = ledger.get(admin, "resident", new_id)
    assert record["grid_code"] == grid and record["name"] == "无处安放"
    assert (
        record["birth_date"].isoformat()
        == "1985-" + new_person(41)[10:12] + "-" + new_person(41)[12:14]
    )
    assert review.unplaced(admin)[1] == 0


def test_a_street_clerk_places_only_its_own_waiting_rows_and_gets_no_id_number(admin):
    street = auth.scope_for("clerk_zlk").org_code
    auth.add_user(
        admin, "clerk_wait", "孙专员", "Harbor-Lantern-5290-Wq", "dept_staff", street, "gongan"
    )
    clerk, other = auth.scope_for("clerk_wait"), auth.scope_for("clerk_zlk")
    number = new_person(42)
    batch_id, summary = run_import(
        clerk,
        csv_file(["姓名", "身份证号", "现住址"], [["无处安放二", number, "不存在路10号"]]),
        "gongan_floating",
    )
    assert summary.actions == {"unplaced": 1}
    commit.commit(clerk, batch_id)
    waiting, total = review.unplaced(clerk)
    assert total == 1 and [r["label"] for r in waiting] == ["无处安放二"]
    assert number not in repr(waiting)  # the domain hands out no ID number, masked or not
    # Another clerk of the same street neither sees the row nor places it.
    assert review.unplaced(other) == ([], 0)
    grid = f"{street}001001"
    with pytest.raises(AccessDenied):
        review.place(other, batch_id, waiting[0]["row_no"], grid)
    assert batch_id in {r["batch_id"] for r in review.unplaced(admin)[0]}
    new_id = review.place(clerk, batch_id, waiting[0]["row_no"], grid)
    assert ledger.get(admin, "resident", new_id)["id_number"] == number


def test_the_reject_report_lists_rows_as_the_spreadsheet_shows_them(admin, tmp_path):
    import openpyxl

    from yibiaotong.importing import rejects

    header = ["姓名", "身份证号"]
    rows = [["好人", new_person(51)], ["坏号", "330102198501010000"], ["=1+1", new_person(52)]]
    data = ("花名册\r\n\r\n" + "\r\n".join(",".join(r) for r in [header, *rows])).encode("gbk")
    batch_id, _ = stage.upload(admin, data, "名册.csv", "gongan_floating")
    stage.preview(admin, batch_id, {0: "resident_name", 1: "resident_id_number"})
    out = tmp_path / "拒绝清单.xlsx"
    assert rejects.write_report(admin, batch_id, out) == 2
    ws = openpyxl.load_workbook(out).active
    lines = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=3)]
    assert [(n, col) for n, col, _, _ in lines] == [(5, "身份证号"), (6, "姓名")]
    assert "校验位错误" in lines[0][3] and lines[1][2] == "=1+1"
    assert ws.cell(4, 3).data_type == "s"  # formula-looking text stays text


def test_a_refused_file_changes_nothing(admin):
    before = ledger_hashes()
    with db.cursor() as cur:
        batches_before = cur.execute("select count(*) from import_batch").fetchone()[0]
        logged = cur.execute("select count(*) from change_log").fetchone()[0]
    for data in (b"%PDF-1.4", "只有标题\r\n".encode("gbk"), b""):
        with pytest.raises(ImportError_):
            stage.upload(admin, data, "x.csv", "gongan_floating")
    assert ledger_hashes() == before
    with db.cursor() as cur:
        assert cur.execute("select count(*) from import_batch").fetchone()[0] == batches_before
        assert cur.execute("select count(*) from change_log").fetchone()[0] == logged


def test_sql_injection_text_in_a_name_is_just_a_name(admin):
    name = "王'); drop table resident;--"
    address, _ = house_address("330102")
    batch_id, summary = run_import(
        admin,
        csv_file(["姓名", "身份证号", "现住址"], [[name, new_person(61), address]], "utf-8"),
        "gongan_floating",
    )
    commit.commit(admin, batch_id)
    with db.cursor() as cur:
        assert (
            cur.execute("select count(*) from resident where name = ?", [name]).fetchone()[0] == 1
        )


def test_a_lookalike_column_is_never_confirmed_as_an_identity_field(admin):
    data = csv_file(
        ["姓名", "身份证号", "残疾证号"], [["张三", new_person(71), new_person(72) + "43"]]
    )
    batch_id, result = stage.upload(admin, data, "残联.csv", "canlian_disabled")
    assert result.columns[2].target is None
    assert result.columns[2].match.status == "lookalike"
    chosen = {0: "resident_name", 1: None, 2: "resident_id_number"}
    with pytest.raises(ImportError_, match="相似列"):
        stage.preview(admin, batch_id, chosen)


def test_an_ambiguous_or_doubtful_header_is_asked_never_guessed(admin):
    header = ["姓名", "身份证号", "日期", "地址", "号码", "编号"]
    row = ["张三", new_person(81), "2020-01-01", "东坡路1号", "13800000000", "A1"]
    _, result = stage.upload(admin, csv_file(header, [row]), "问卷.csv", "community_survey")
    proposed = {c.header: c.target for c in result.columns}
    assert proposed == {
        "姓名": "resident_name",
        "身份证号": "resident_id_number",
        "日期": None,  # 出生日期? 迁入日期? … the user chooses
        "地址": None,  # 户籍地址 or 现住址
        "号码": None,  # 身份证号? 电话? 车牌? never guessed as an identity field
        "编号": None,  # only a fuzzy resemblance to 户编号
    }
    asked = {c.header: c.match.status for c in result.columns}
    assert asked["日期"] == asked["地址"] == asked["号码"] == "ask"


def test_an_excel_file_with_number_ids_date_cells_and_a_merged_header(admin):
    from datetime import date

    from import_files import xlsx_bytes

    address, _ = house_address("330102")
    good = new_person(91)
    header = ["姓名", "身份证号", "出生日期", "现住址", "姓名", "身份证号"]
    rows = [
        [
            "表格新人",
            good,
            date(1985, int(good[10:12]), int(good[12:14])),
            address,
            "表格户主",
            new_person(92),
        ],
        ["数字身份证", int(new_person(93)), date(1985, 1, 1), address, "", ""],
        ["公式", "=A3", date(1985, 1, 1), address, "", ""],
    ]
    data = xlsx_bytes(rows, header=header, merged_group=("户主信息", 5, 6))
    batch_id, result = stage.upload(admin, data, "走访.xlsx", "community_survey")
    assert [c.header for c in result.columns][4:] == ["户主姓名", "户主身份证号"]
    targets = {c.header: c.target for c in result.columns}
    assert (
        targets["户主身份证号"] == "head:resident_id_number"
    )  # another person: never the row's own
    chosen = {c.index: c.target for c in result.columns}
    chosen[1] = "resident_id_number"  # two of three sample IDs are bad: the mapper asked
    summary = stage.preview(admin, batch_id, chosen)
    assert summary.actions == {"insert": 1, "reject": 2}
    with db.cursor() as cur:
        reasons = dict(
            cur.execute(
                "select row_no, reason from import_reject where batch_id = ? order by row_no",
                [batch_id],
            ).fetchall()
        )
    assert "丢失位数" in reasons[6]
    assert "公式" in reasons[7]  # a formula cell, refused whatever it computed
    commit.commit(admin, batch_id)
    record = residents(where="name = '表格新人'", limit=1)[0]
    assert (
        record["id_number"] == good and record["birth_date"].isoformat() == rows[0][2].isoformat()
    )
