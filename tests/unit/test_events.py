"""Life events: effects, one logged transaction each, all-or-nothing, scope, consistent households."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest
from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc

from yibiaotong import bootstrap, db, events, ledger
from yibiaotong.ledger import LedgerError, ValidationFailed
from yibiaotong.scope import AccessDenied, Scope

TODAY = date.today()


# ---------------------------------------------------------------- databases and callers


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    """A demo district of ~2,000 residents, built once for the module and copied per test."""
    path = tmp_path_factory.mktemp("events") / "base.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YIBIAOTONG_DB", str(path))
        db.close_all()
        bootstrap.initialise(residents=2000)
        with db.cursor() as cur:
            cur.execute("checkpoint")
        db.close_all()
    return path


@pytest.fixture(autouse=True)
def fresh_db(base_db, tmp_path, monkeypatch):
    copy = tmp_path / "events.duckdb"
    shutil.copy(base_db, copy)
    monkeypatch.setenv("YIBIAOTONG_DB", str(copy))
    db.close_all()
    yield copy
    assert_households_consistent()
    db.close_all()


def org_code(name: str, parent: str) -> str:
    return db.fetch_value("auth/find_org_unit", name=name, parent_name=parent)


@pytest.fixture
def admin() -> Scope:
    return Scope("admin", "district_admin", "330102", clearance=True)


@pytest.fixture
def worker() -> Scope:
    return Scope("sw_tianxian", "social_worker", org_code("天仙社区", "闸弄口街道"), True)


@pytest.fixture
def neighbour() -> Scope:
    return Scope("sw_hongmei", "social_worker", org_code("红梅社区", "闸弄口街道"), True)


# ---------------------------------------------------------------- helpers


def rows(sql: str, **params) -> list[dict]:
    with db.cursor() as cur:
        rel = cur.execute(sql, params)
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def value(sql: str, **params):
    with db.cursor() as cur:
        return cur.execute(sql, params).fetchone()[0]


def resident(rid: int) -> dict:
    return rows("select * from resident where id = $id", id=rid)[0]


def household(hid: int) -> dict:
    return rows("select * from household where id = $id", id=hid)[0]


def active_members(hid: int) -> dict[int, dict]:
    found = rows(
        "select * from resident where household_id = $h and status = 'active' order by id", h=hid
    )
    return {r["id"]: r for r in found}


def change_count() -> int:
    return value("select count(*) from change_log")


def event_rows(before: int) -> list[dict]:
    """change_log rows written after `before` rows existed (the log is append-only)."""
    return rows("select *, rowid from change_log where rowid >= $n order by rowid", n=before)


def assert_one_batch(before: int, event: str) -> list[dict]:
    """The event wrote log rows, all with one batch id and source, in one transaction."""
    new = event_rows(before)
    assert new, "the event wrote no change_log rows"
    assert {r["source"] for r in new} == {f"event:{event}"}
    assert len({r["batch_id"] for r in new}) == 1
    assert None not in {r["batch_id"] for r in new}
    # current_timestamp is the transaction's start: one value means one transaction.
    assert len({r["changed_at"] for r in new}) == 1
    return new


def snapshot() -> dict:
    """Everything an event could touch, to prove a refused event changed nothing."""
    return {
        "resident": rows(
            "select status, count(*), sum(version) from resident group by all order by all"
        ),
        "household": rows(
            "select status, count(*), sum(version) from household group by all order by all"
        ),
        "house": rows("select status, count(*), sum(version) from house group by all order by all"),
        "shop": rows("select status, count(*), sum(version) from shop group by all order by all"),
        "change_log": change_count(),
        "entity_tag": value("select count(*) from entity_tag"),
        "data_version": db.data_version(),
        "house_fields": rows(
            "select id, occupancy, tenant_count, rental_registered_at from house order by id"
        ),
        "relations": rows(
            "select id, household_id, relation_to_head, grid_code, house_id from resident "
            "order by id"
        ),
        "heads": rows("select id, head_id, status from household order by id"),
    }


def assert_households_consistent() -> None:
    """Every active household's head is an active member with relation 02, the only one."""
    broken = rows(
        """
        select h.id
        from household as h
        left join resident as head on head.id = h.head_id
        where
            h.status = 'active'
            and (
                head.id is null
                or head.status != 'active'
                or head.household_id != h.id
                or head.relation_to_head != '02'
                or (
                    select count(*) from resident as r
                    where r.household_id = h.id and r.status = 'active'
                        and r.relation_to_head = '02'
                ) != 1
            )
        """
    )
    assert broken == []
    stranded = rows(
        "select r.id from resident as r join household as h on h.id = r.household_id "
        "where r.status = 'active' and h.status != 'active'"
    )
    assert stranded == []


def valid_id(birth: date, sex: str, seq: int = 12) -> str:
    body = f"330102{birth:%Y%m%d}{seq:02d}{1 if sex == '1' else 2}"
    return body + ric.calc_check_digit(body + "0")


def valid_uscc(serial: str) -> str:
    body = f"91330102MA2H{serial:0>5}"
    return body + stdnum_uscc.calc_check_digit(body)


def tags_of(entity: str, entity_id: int) -> set[str]:
    found = rows(
        "select t.code from entity_tag as e join tag as t on t.id = e.tag_id "
        "where e.entity = $e and e.entity_id = $id",
        e=entity,
        id=entity_id,
    )
    return {r["code"] for r in found}


def three_generations() -> dict:
    """A demo household: head, the head's child and that child's own child (a 孙子女)."""
    found = rows(
        """
        select h.id as household, h.head_id as head, c.id as child, g.id as grandchild,
            if(g.father_id = c.id, g.mother_id, g.father_id) as in_law
        from household as h
        join resident as c on c.household_id = h.id and c.status = 'active'
            and h.head_id in (c.father_id, c.mother_id)
        join resident as g on g.household_id = h.id and g.status = 'active'
            and c.id in (g.father_id, g.mother_id) and g.relation_to_head = '40'
        join resident as p on p.id = if(g.father_id = c.id, g.mother_id, g.father_id)
            and p.household_id = h.id and p.status = 'active'
        where h.status = 'active'
            and (select count(*) from resident as o where o.household_id = h.id
                and o.status = 'active' and o.relation_to_head = '10'
                and h.head_id in (c.father_id, c.mother_id)
                and o.id in (c.father_id, c.mother_id)) = 1
        order by h.id
        limit 1
        """
    )
    assert found, "the demo district has three-generation households"
    family = found[0]
    family["spouse"] = value(
        "select id from resident where household_id = $h and relation_to_head = '10' "
        "and status = 'active'",
        h=family["household"],
    )
    return family


def young_family(scope: Scope, grid: str, house_id: int | None = None) -> dict:
    """Through the events themselves: a mother (户主) and a father (配偶) in a new household."""
    mother_birth = date(1994, 5, 6)
    mother = events.move_in(
        scope,
        {
            "resident_name": "林晓燕",
            "resident_sex": "2",
            "resident_birth_date": mother_birth,
            "resident_id_number": valid_id(mother_birth, "2"),
            "resident_ethnicity": "03",
            "resident_residence_type": "2",
        },
        "02",
        grid_code=grid,
        house_id=house_id,
    )
    hid = resident(mother)["household_id"]
    father = events.move_in(
        scope,
        {"resident_name": "周建国", "resident_sex": "1", "resident_birth_date": "1992-01-02"},
        "10",
        household_id=hid,
    )
    return {"household": hid, "mother": mother, "father": father}


def first_house(scope: Scope) -> tuple[str, int]:
    """The grid and id of the first active house in scope."""
    found = rows(
        "select grid_code, id from house where starts_with(grid_code, $o) and status = 'active' "
        "order by id limit 1",
        o=scope.org_code,
    )
    return found[0]["grid_code"], found[0]["id"]


def first_grid(scope: Scope) -> str:
    return value(
        "select code from org_unit where level = 'grid' and starts_with(code, $o) order by code",
        o=scope.org_code,
    )


def independent_birth_order(parent_id: int, born: date, exclude: int) -> int:
    """The mother's children born on or before the day, counted in Python over the whole table."""
    everyone = rows("select id, mother_id, father_id, birth_date from resident")
    return 1 + sum(
        1
        for r in everyone
        if r["id"] != exclude
        and parent_id in (r["mother_id"], r["father_id"])
        and r["birth_date"] <= born
    )


# ---------------------------------------------------------------- 新生儿登记


def test_register_birth_second_child_gets_order_tags_and_inherited_facts(worker):
    family = young_family(worker, *first_house(worker))
    hid = family["household"]
    first = events.register_birth(
        worker, hid, "周一诺", "1", TODAY - timedelta(days=200), father_id=family["father"]
    )
    members_before = len(active_members(hid))
    before = change_count()
    born = TODAY - timedelta(days=20)
    second = events.register_birth(worker, hid, "周二丫", "2", born, valid_id(born, "2"))

    baby = resident(second)
    assert baby["mother_id"] == family["mother"]  # inferred: the female 户主 of childbearing age
    assert resident(first)["mother_id"] == family["mother"]
    assert resident(first)["birth_order"] == 1
    assert baby["birth_order"] == 2 == independent_birth_order(family["mother"], born, second)
    assert baby["relation_to_head"] == "30"
    assert resident(first)["relation_to_head"] == "20"
    mother = resident(family["mother"])
    assert baby["ethnicity"] == mother["ethnicity"] == "03"
    assert baby["residence_type"] == mother["residence_type"] == "2"
    assert (baby["grid_code"], baby["house_id"]) == (mother["grid_code"], mother["house_id"])
    assert baby["current_address"] == baby["hukou_address"] == household(hid)["address"]
    assert baby["current_address"]
    assert (baby["employment_status"], baby["marital_status"]) == ("50", "10")
    assert (baby["id_type"], baby["name_initials"], baby["version"]) == ("01", "zey", 1)
    assert baby["id_number"] == valid_id(born, "2")
    assert baby["updated_by"] == worker.username

    assert len(active_members(hid)) == members_before + 1
    assert {"newborn", "second_child"} <= tags_of("resident", second)
    assert "second_child" not in tags_of("resident", first)

    new = assert_one_batch(before, "register_birth")
    assert {(r["entity"], r["entity_id"], r["field"]) for r in new} == {
        ("resident", second, "_created"),
        ("household", hid, "_link"),
    }


def test_register_birth_on_demo_households_counts_like_python(admin):
    """Real households: the mother is inferred, and birth order counts her children of any status."""
    mothers = rows(
        """
        select r.id, r.household_id
        from resident as r
        join household as h on h.id = r.household_id and h.status = 'active'
        where r.status = 'active' and r.sex = '2' and r.relation_to_head in ('02', '10')
            and date_diff('year', r.birth_date, current_date) between 24 and 45
            and (select count(*) from resident as w where w.household_id = r.household_id
                and w.status = 'active' and w.sex = '2'
                and w.relation_to_head in ('02', '10')) = 1
            and exists (select 1 from resident as c where c.mother_id = r.id)
        order by r.id
        limit 5
        """
    )
    assert len(mothers) == 5
    for m in mothers:
        born = TODAY - timedelta(days=3)
        baby = resident(events.register_birth(admin, m["household_id"], "新宝宝", "1", born))
        assert baby["mother_id"] == m["id"]
        assert baby["birth_order"] == independent_birth_order(m["id"], born, baby["id"])
        assert baby["birth_order"] >= 2
        assert baby["relation_to_head"] == "20"


def test_register_birth_to_a_son_of_the_head_is_a_grandchild(admin):
    family = three_generations()
    parent = resident(family["child"])
    mother_id, father_id = (
        (family["in_law"], family["child"])
        if parent["sex"] == "1"
        else (family["child"], family["in_law"])
    )
    born = TODAY - timedelta(days=1)
    baby = resident(
        events.register_birth(
            admin, family["household"], "小孙", "2", born, mother_id=mother_id, father_id=father_id
        )
    )
    assert baby["relation_to_head"] == "40"
    assert (baby["mother_id"], baby["father_id"]) == (mother_id, father_id)
    assert baby["birth_order"] == independent_birth_order(mother_id, born, baby["id"])


BAD_BIRTHS = [
    ({"birth_date": TODAY + timedelta(days=1)}, ValidationFailed, "出生日期"),
    ({"birth_date": TODAY - timedelta(days=400)}, LedgerError, "一周岁以内"),
    ({"name": ""}, ValidationFailed, "姓名"),
    ({"sex": "男性"}, ValidationFailed, "性别"),
    ({"id_number": "330102202601011230"}, ValidationFailed, "身份证号"),
    ({"id_number": "wrong-sex"}, ValidationFailed, "性别与身份证号不符"),
    ({"mother_id": "father"}, LedgerError, "母亲"),
    ({"mother_id": "stranger"}, LedgerError, "母亲须为本户在册成员"),
]


@pytest.mark.parametrize(("change", "error", "message"), BAD_BIRTHS)
def test_register_birth_refusals_write_nothing(worker, change, error, message):
    family = young_family(worker, first_grid(worker))
    born = TODAY - timedelta(days=30)
    args = {"name": "周小小", "sex": "1", "birth_date": born}
    args.update(change)
    if args.get("id_number") == "wrong-sex":
        args["id_number"] = valid_id(born, "2")
    if args.get("mother_id") == "father":
        args["mother_id"] = family["father"]
    if args.get("mother_id") == "stranger":
        args["mother_id"] = value(
            "select min(id) from resident where household_id != $h", h=family["household"]
        )
    before = snapshot()
    with pytest.raises(error) as excinfo:
        events.register_birth(worker, family["household"], **args)
    assert message in str(excinfo.value)
    assert snapshot() == before


def test_failure_after_the_writes_rolls_back_the_whole_event(worker, monkeypatch):
    """A crash after rows were inserted and logged (here in the tag refresh) leaves nothing behind."""
    family = young_family(worker, first_grid(worker))
    before = snapshot()

    def broken(cur, entities):
        raise RuntimeError("tag refresh failed")

    monkeypatch.setattr(ledger, "after_write", broken)
    with pytest.raises(RuntimeError):
        events.register_birth(worker, family["household"], "周未成", "1", TODAY)
    with pytest.raises(RuntimeError):
        events.move_out(worker, family["father"], TODAY, "北京市")
    assert snapshot() == before
    assert value("select count(*) from resident where name = '周未成'") == 0


# ---------------------------------------------------------------- 迁入


def test_move_in_as_head_of_new_household_with_house(worker):
    grid, house = first_house(worker)
    before = change_count()
    rid = events.move_in(
        worker,
        {
            "resident_name": "  赵新来 ",
            "resident_sex": "1",
            "resident_birth_date": "1980年2月3日",
            "resident_id_number": valid_id(date(1980, 2, 3), "1"),
            "resident_phone": "138 1234 5678",
            "resident_wechat": "zhao_xl",
        },
        "02",
        grid_code=grid,
        house_id=house,
    )
    person = resident(rid)
    hh = household(person["household_id"])
    address = value("select address from house where id = $id", id=house)
    assert (person["name"], person["phone"], person["relation_to_head"]) == (
        "赵新来",
        "13812345678",
        "02",
    )
    assert person["move_in_date"] == TODAY
    assert json.loads(person["attrs"]) == {"resident_wechat": "zhao_xl"}
    assert (person["grid_code"], person["house_id"], person["current_address"]) == (
        grid,
        house,
        address,
    )
    assert (hh["head_id"], hh["grid_code"], hh["house_id"], hh["address"], hh["status"]) == (
        rid,
        grid,
        house,
        address,
        "active",
    )
    assert (
        value("select count(*) from household where household_no = $n", n=hh["household_no"]) == 1
    )
    new = assert_one_batch(before, "move_in")
    assert {(r["entity"], r["field"]) for r in new} == {
        ("resident", "_created"),
        ("household", "_created"),
    }


def test_move_in_into_existing_household(worker):
    family = young_family(worker, first_grid(worker))
    hid = family["household"]
    version = household(hid)["version"]
    before = change_count()
    rid = events.move_in(
        worker, {"resident_name": "林母", "resident_sex": "2"}, "52", household_id=hid
    )
    assert resident(rid)["relation_to_head"] == "52"
    assert resident(rid)["household_id"] == hid
    assert household(hid)["head_id"] == family["mother"]
    assert household(hid)["version"] == version  # the household row itself did not change
    assert len(active_members(hid)) == 3
    assert {r["field"] for r in assert_one_batch(before, "move_in")} == {"_created", "_link"}


MOVE_IN_REFUSALS = [
    ({"resident_sex": "1"}, "02", "existing", LedgerError, "已有户主"),
    ({"resident_sex": "1"}, None, "existing", ValidationFailed, "与户主关系"),
    ({"resident_sex": "1"}, "88", "existing", ValidationFailed, "与户主关系"),
    ({"resident_name": ""}, "02", "new", ValidationFailed, "姓名"),
    ({"resident_grid_code": "330102001001001"}, "02", "new", ValidationFailed, "不能在此修改"),
    (
        {
            "resident_birth_date": "1990-01-01",
            "resident_id_number": valid_id(date(1980, 1, 1), "1"),
        },
        "02",
        "new",
        ValidationFailed,
        "出生日期与身份证号不符",
    ),
    ({}, "02", "community", LedgerError, "网格"),
    ({}, "02", "taken-id", LedgerError, "已有在册人员"),
]


@pytest.mark.parametrize(("fields", "relation", "where", "error", "message"), MOVE_IN_REFUSALS)
def test_move_in_refusals_write_nothing(worker, fields, relation, where, error, message):
    family = young_family(worker, first_grid(worker))
    values = {"resident_name": "钱多多", **fields}
    if where == "taken-id":
        values["resident_id_number"] = resident(family["mother"])["id_number"]
    target = {
        "existing": {"household_id": family["household"]},
        "new": {"grid_code": first_grid(worker)},
        "community": {"grid_code": worker.org_code},
        "taken-id": {"grid_code": first_grid(worker)},
    }[where]
    before = snapshot()
    with pytest.raises(error) as excinfo:
        events.move_in(worker, values, relation, **target)
    assert message in str(excinfo.value)
    assert snapshot() == before


# ---------------------------------------------------------------- 迁出 / 死亡注销


def test_head_moving_out_hands_over_and_relations_follow_the_new_head(admin):
    family = three_generations()
    hid, head, child = family["household"], family["head"], family["child"]
    before_members = active_members(hid)
    before_household = household(hid)
    before_snapshot = snapshot()
    with pytest.raises(LedgerError, match="请指定新户主"):
        events.move_out(admin, head, TODAY, "上海市浦东新区")
    outsider = value("select min(id) from resident where household_id != $h", h=hid)
    with pytest.raises(LedgerError, match="新户主须为本户在册的其他成员"):
        events.move_out(admin, head, TODAY, "上海市浦东新区", new_head_id=outsider)
    with pytest.raises(LedgerError, match="只有户主"):
        events.move_out(admin, child, TODAY, "上海市", new_head_id=family["spouse"])
    assert snapshot() == before_snapshot

    before = change_count()
    events.move_out(admin, head, TODAY - timedelta(days=2), "上海市浦东新区", new_head_id=child)
    gone = resident(head)
    assert (gone["status"], gone["move_out_date"]) == ("moved_out", TODAY - timedelta(days=2))
    assert "上海市浦东新区" in gone["attrs"]
    assert gone["version"] == before_members[head]["version"] + 1
    hh = household(hid)
    assert hh["head_id"] == child
    assert (hh["version"], hh["updated_by"]) == (before_household["version"] + 1, "admin")
    assert gone["updated_by"] == "admin"
    members = active_members(hid)
    assert head not in members
    assert members[child]["relation_to_head"] == "02"
    assert members[family["spouse"]]["relation_to_head"] == (
        "52" if before_members[family["spouse"]]["sex"] == "2" else "51"
    )
    assert members[family["in_law"]]["relation_to_head"] == "10"
    assert members[family["grandchild"]]["relation_to_head"] in ("20", "30")
    for rid, member in members.items():
        changed = member["relation_to_head"] != before_members[rid]["relation_to_head"]
        assert member["version"] == before_members[rid]["version"] + changed
    new = assert_one_batch(before, "move_out")
    fields = {(r["entity_id"], r["field"]) for r in new}
    assert {(head, "_status"), (head, "resident_move_out_date"), (head, "_link")} <= fields
    assert (child, "resident_relation_to_head") in fields
    assert (hid, "household_head_id") in fields


def test_death_of_the_last_member_dissolves_the_household(worker):
    alone = {"resident_name": "孙独居", "resident_birth_date": "1940-01-01"}
    rid = events.move_in(worker, alone, "02", grid_code=first_grid(worker))
    hid = resident(rid)["household_id"]
    before = change_count()
    events.register_death(worker, rid, TODAY)
    person, hh = resident(rid), household(hid)
    assert (person["status"], person["death_date"], person["version"]) == ("deceased", TODAY, 2)
    assert (hh["status"], hh["version"]) == ("dissolved", 2)
    new = assert_one_batch(before, "register_death")
    assert {(r["entity"], r["field"]) for r in new} == {
        ("resident", "_status"),
        ("resident", "resident_death_date"),
        ("household", "_link"),
        ("household", "_status"),
    }
    frozen = snapshot()
    with pytest.raises(LedgerError, match="已注销"):
        events.register_death(worker, rid, TODAY)
    with pytest.raises(LedgerError, match="已注销"):
        events.move_out(worker, rid, TODAY, "杭州市西湖区")
    with pytest.raises(LedgerError, match="已销户"):
        events.register_birth(worker, hid, "遗腹子", "1", TODAY)
    assert snapshot() == frozen


def test_death_date_before_birth_is_refused(worker):
    family = young_family(worker, first_grid(worker))
    before = snapshot()
    with pytest.raises(LedgerError, match="不能早于出生日期"):
        events.register_death(worker, family["father"], "1980-01-01")
    with pytest.raises(ValidationFailed, match="死亡日期"):
        events.register_death(worker, family["father"], TODAY + timedelta(days=1))
    with pytest.raises(ValidationFailed, match="迁往地"):
        events.move_out(worker, family["father"], TODAY, "  ")
    assert snapshot() == before


# ---------------------------------------------------------------- 分户 / 合户


def test_split_then_merge_recomputes_relations_both_ways(admin):
    family = three_generations()
    hid, child = family["household"], family["child"]
    leaving = [child, family["in_law"], family["grandchild"]]
    original = active_members(hid)
    old_version = household(hid)["version"]

    before = change_count()
    new_id = events.split_household(admin, hid, leaving, child)
    new, old = household(new_id), household(hid)
    assert (new["head_id"], new["grid_code"], new["house_id"], new["address"]) == (
        child,
        old["grid_code"],
        old["house_id"],
        old["address"],
    )
    assert new["household_no"] == f"{old['grid_code']}-{new_id:08d}"
    assert old["version"] == old_version  # membership changed, not the row
    moved = active_members(new_id)
    assert set(moved) == set(leaving)
    assert moved[child]["relation_to_head"] == "02"
    assert moved[family["in_law"]]["relation_to_head"] == "10"
    grandchild_sex = original[family["grandchild"]]["sex"]
    assert moved[family["grandchild"]]["relation_to_head"] == (
        "20" if grandchild_sex == "1" else "30"
    )
    assert all(moved[r]["version"] == original[r]["version"] + 1 for r in leaving)
    assert set(active_members(hid)) == set(original) - set(leaving)
    new_rows = assert_one_batch(before, "split_household")
    assert ("household", new_id, "_created") in {
        (r["entity"], r["entity_id"], r["field"]) for r in new_rows
    }
    assert {r["entity_id"] for r in new_rows if r["field"] == "resident_household_id"} == set(
        leaving
    )

    before = change_count()
    assert events.merge_households(admin, new_id, hid) == hid
    assert household(new_id)["status"] == "dissolved"
    back = active_members(hid)
    assert set(back) == set(original)
    for rid, member in original.items():
        if rid != family["in_law"]:  # a 儿媳/女婿 has no code of its own: 99 before and after
            assert back[rid]["relation_to_head"] == member["relation_to_head"]
    assert back[family["in_law"]]["relation_to_head"] == "99"
    merged = assert_one_batch(before, "merge_households")
    assert ("household", new_id, "_status") in {
        (r["entity"], r["entity_id"], r["field"]) for r in merged
    }


def test_split_refusals_write_nothing(admin, worker):
    family = three_generations()
    hid, child = family["household"], family["child"]
    everyone = list(active_members(hid))
    others = [r for r in everyone if r != family["head"]]
    outsider = value("select min(id) from resident where household_id != $h", h=hid)
    foreign_house = value(
        "select min(id) from house where grid_code != $g",
        g=household(hid)["grid_code"],
    )
    cases = [
        ([], child, None, "至少选择"),
        ([child], family["head"], None, "新户主须为分出的成员之一"),
        ([family["head"], child], child, None, "不能包含原户主"),
        (everyone, child, None, "不能包含原户主"),
        ([child, outsider], child, None, "不是本户在册成员"),
        ([child], child, foreign_house, "不在该户所在网格"),
    ]
    assert others
    before = snapshot()
    for members, head, house, message in cases:
        with pytest.raises(LedgerError, match=message):
            events.split_household(admin, hid, members, head, house_id=house)
    with pytest.raises(LedgerError, match="不能将一户并入其自身"):
        events.merge_households(admin, hid, hid)
    assert snapshot() == before


def test_split_of_everyone_but_the_head_into_a_new_house(worker):
    grid, house = first_house(worker)
    family = young_family(worker, grid)
    hid = family["household"]
    new_id = events.split_household(worker, hid, [family["father"]], family["father"], house)
    father = resident(family["father"])
    address = value("select address from house where id = $id", id=house)
    assert (father["household_id"], father["house_id"], father["current_address"]) == (
        new_id,
        house,
        address,
    )
    assert household(new_id)["address"] == address
    assert list(active_members(hid)) == [family["mother"]]


# ---------------------------------------------------------------- 房屋出租 / 退租


def test_rental_and_end_of_rental(worker):
    house = rows(
        "select * from house where starts_with(grid_code, $o) and occupancy in ('1', '3') "
        "order by id limit 1",
        o=worker.org_code,
    )[0]
    before = change_count()
    events.register_rental(worker, house["id"], 3, TODAY - timedelta(days=1))
    after = rows("select * from house where id = $id", id=house["id"])[0]
    assert (after["occupancy"], after["tenant_count"], after["rental_registered_at"]) == (
        "2",
        3,
        TODAY - timedelta(days=1),
    )
    assert after["version"] == house["version"] + 1
    new = assert_one_batch(before, "register_rental")
    assert {r["field"] for r in new} == {
        "house_occupancy",
        "house_tenant_count",
        "house_rental_registered_at",
    }
    assert "rented" in tags_of("house", house["id"])

    events.register_rental(worker, house["id"], "8", TODAY)
    assert value("select occupancy from house where id = $id", id=house["id"]) == "4"
    assert "group_rented" in tags_of("house", house["id"])

    before = change_count()
    events.end_rental(worker, house["id"])
    ended = rows("select * from house where id = $id", id=house["id"])[0]
    assert (ended["occupancy"], ended["tenant_count"]) == ("3", 0)
    assert {r["field"] for r in assert_one_batch(before, "end_rental")} == {
        "house_occupancy",
        "house_tenant_count",
    }
    assert "vacant" in tags_of("house", house["id"])
    frozen = snapshot()
    with pytest.raises(LedgerError, match="未登记出租"):
        events.end_rental(worker, house["id"])
    with pytest.raises(ValidationFailed, match="承租人数"):
        events.register_rental(worker, house["id"], 0, TODAY)
    with pytest.raises(ValidationFailed, match="承租人数"):
        events.register_rental(worker, house["id"], "三", TODAY)
    assert snapshot() == frozen


# ---------------------------------------------------------------- 商铺开业 / 歇业


def test_open_and_close_shop(worker):
    grid = first_grid(worker)
    before = change_count()
    shop_id = events.open_shop(
        worker,
        {
            "shop_name": "天仙小面馆",
            "shop_uscc": valid_uscc("10001").lower(),
            "shop_category": "01",
            "shop_phone": "0571-87654321",
            "shop_business_scope": "餐饮服务",
        },
        grid,
    )
    shop = rows("select * from shop where id = $id", id=shop_id)[0]
    assert (shop["status"], shop["uscc"], shop["grid_code"], shop["opened_on"]) == (
        "active",
        valid_uscc("10001"),
        grid,
        TODAY,
    )
    assert "餐饮服务" in shop["attrs"]
    assert "catering" in tags_of("shop", shop_id)
    assert {r["field"] for r in assert_one_batch(before, "open_shop")} == {"_created"}

    frozen = snapshot()
    with pytest.raises(ValidationFailed, match="统一社会信用代码"):
        events.open_shop(worker, {"shop_name": "错码店", "shop_uscc": "91330102MA2H100010"}, grid)
    with pytest.raises(LedgerError, match="已有使用该代码"):
        events.open_shop(worker, {"shop_name": "重复店", "shop_uscc": valid_uscc("10001")}, grid)
    with pytest.raises(ValidationFailed, match="店铺名称"):
        events.open_shop(worker, {"shop_uscc": valid_uscc("10002")}, grid)
    with pytest.raises(LedgerError, match="不能早于开业日期"):
        events.close_shop(worker, shop_id, "2000-01-01")
    assert snapshot() == frozen

    before = change_count()
    events.close_shop(worker, shop_id, TODAY)
    closed = rows("select * from shop where id = $id", id=shop_id)[0]
    assert (closed["status"], closed["closed_on"], closed["version"]) == ("closed", TODAY, 2)
    assert {r["field"] for r in assert_one_batch(before, "close_shop")} == {
        "_status",
        "shop_closed_on",
    }
    with pytest.raises(LedgerError, match="已歇业"):
        events.close_shop(worker, shop_id, TODAY)


# ---------------------------------------------------------------- scope


def test_no_event_reaches_another_community_even_with_crafted_ids(worker, neighbour, admin):
    """The 红梅 social worker cannot run any event on 天仙 records, whatever ids are sent."""
    family = young_family(worker, first_grid(worker))
    theirs_hid = family["household"]
    theirs_house = value(
        "select min(id) from house where starts_with(grid_code, $o)", o=worker.org_code
    )
    theirs_shop = events.open_shop(admin, {"shop_name": "天仙超市"}, first_grid(worker))
    mine = rows(
        "select h.id, h.head_id from household as h where starts_with(h.grid_code, $o) "
        "and h.status = 'active' and (select count(*) from resident as r where "
        "r.household_id = h.id and r.status = 'active') >= 2 order by h.id limit 1",
        o=neighbour.org_code,
    )[0]
    mine_member = value(
        "select min(id) from resident where household_id = $h and status = 'active' "
        "and id != $head",
        h=mine["id"],
        head=mine["head_id"],
    )
    attempts = [
        lambda: events.register_birth(neighbour, theirs_hid, "越界", "1", TODAY),
        lambda: events.register_birth(
            neighbour, mine["id"], "越界", "1", TODAY, mother_id=family["mother"]
        ),
        lambda: events.move_in(neighbour, {"resident_name": "越界"}, "99", household_id=theirs_hid),
        lambda: events.move_in(
            neighbour, {"resident_name": "越界"}, "02", grid_code=first_grid(worker)
        ),
        lambda: events.move_in(
            neighbour,
            {"resident_name": "越界"},
            "02",
            grid_code=first_grid(neighbour),
            house_id=theirs_house,
        ),
        lambda: events.move_out(neighbour, family["father"], TODAY, "北京"),
        lambda: events.move_out(
            neighbour, mine["head_id"], TODAY, "北京", new_head_id=family["father"]
        ),
        lambda: events.register_death(neighbour, family["mother"], TODAY),
        lambda: events.split_household(neighbour, theirs_hid, [family["father"]], family["father"]),
        lambda: events.split_household(neighbour, mine["id"], [family["father"]], family["father"]),
        lambda: events.split_household(
            neighbour, mine["id"], [mine_member], mine_member, house_id=theirs_house
        ),
        lambda: events.merge_households(neighbour, mine["id"], theirs_hid),
        lambda: events.merge_households(neighbour, theirs_hid, mine["id"]),
        lambda: events.register_rental(neighbour, theirs_house, 2, TODAY),
        lambda: events.end_rental(neighbour, theirs_house),
        lambda: events.open_shop(neighbour, {"shop_name": "越界店"}, first_grid(worker)),
        lambda: events.close_shop(neighbour, theirs_shop, TODAY),
        lambda: events.household_members(neighbour, theirs_hid),
    ]
    before = snapshot()
    for number, attempt in enumerate(attempts):
        with pytest.raises((AccessDenied, LedgerError)) as excinfo:
            attempt()
        message = str(excinfo.value)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), (number, message)
        assert "天仙" not in message and "林晓燕" not in message, (number, message)
    assert snapshot() == before


def test_household_members_for_the_ui(worker):
    family = young_family(worker, first_grid(worker))
    members = events.household_members(worker, family["household"])
    assert [(m["id"], m["relation_name"], m["is_head"]) for m in members] == [
        (family["mother"], "户主", True),
        (family["father"], "配偶", False),
    ]
    assert "id_number" not in members[0]
