"""Life events as guided actions: each one scoped, versioned, logged and done in one transaction."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from yibiaotong import catalog, db, ledger, validate
from yibiaotong.ledger import LedgerError, ValidationFailed
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

HEAD, SPOUSE, SON, DAUGHTER, GRANDCHILD = "02", "10", "20", "30", "40"
FATHER, MOTHER, SIBLING, OTHER = "51", "52", "70", "99"
CHILDBEARING_AGES = (15, 49)
MIN_PARENT_AGE = 14
GROUP_RENTAL_TENANTS = 6
RENTED = ("2", "4")
DESTINATION_FIELD = "resident_move_out_destination"

EVENT_NAMES = {
    "register_birth": "新生儿登记",
    "move_in": "迁入",
    "move_out": "迁出",
    "register_death": "死亡注销",
    "split_household": "分户",
    "merge_households": "合户",
    "register_rental": "房屋出租登记",
    "end_rental": "退租",
    "open_shop": "商铺开业",
    "close_shop": "商铺歇业",
}


@dataclass(frozen=True)
class _Event:
    """One running event: its cursor, caller, log source and the batch id all its rows share."""

    cur: Any
    scope: Scope
    source: str
    batch_id: str

    def log(self, entity: str, entity_id: int, field: str, old: Any, new: Any, version: int):
        ledger.log_change(
            self.cur,
            self.scope,
            entity,
            entity_id,
            field,
            old,
            new,
            self.source,
            self.batch_id,
            version,
        )

    def next_id(self, query: str) -> int:
        return int(db.run(self.cur, query).fetchone()[0])

    def update(self, query: str, record: dict, **values: Any) -> int:
        """Run a versioned, scoped update of one loaded record; its new version, or StaleEdit."""
        row = db.run(
            self.cur,
            query,
            id=record["id"],
            org_code=self.scope.org_code,
            version=record["version"],
            username=self.scope.username,
            **values,
        ).fetchone()
        if row is None:
            raise ledger.StaleEdit(record["version"])
        return row[0]


_joined = threading.local()


@contextmanager
def joined(cur, batch_id: str) -> Iterator[None]:
    """Events called inside run in the caller's transaction and batch (a 走访 save is one
    transaction); the caller ends the batch with ledger.after_write."""
    _joined.batch = (cur, batch_id)
    try:
        yield
    finally:
        _joined.batch = None


@contextmanager
def _event(scope: Scope, name: str) -> Iterator[_Event]:
    """One event: a transaction, one batch id; rule tags of the touched records refresh at the end."""
    outer = getattr(_joined, "batch", None)
    if outer is not None:
        yield _Event(outer[0], scope, f"event:{name}", outer[1])
        return
    with db.transaction() as cur:
        event = _Event(cur, scope, f"event:{name}", uuid.uuid4().hex[:12])
        yield event
        ledger.after_write(cur, event.batch_id)


# ---------------------------------------------------------------- input checks


def _failed(exc: validate.ValidationError) -> ValidationFailed:
    return ValidationFailed([str(exc)])


def _field(entity: str, code: str, value: Any, required: bool = False) -> Any:
    f = next(f for f in ledger.fields(entity) if f["code"] == code)
    try:
        clean = ledger._clean(f, value)
    except validate.ValidationError as exc:
        raise _failed(exc) from None
    if required and clean is None:
        raise ValidationFailed([f"{f['name']}：不能为空"])
    return clean


def _date(value: Any, label: str) -> date:
    try:
        return validate.parse_date(value, label, not_future=True)
    except validate.ValidationError as exc:
        raise _failed(exc) from None


def _years_between(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _grid_in_scope(scope: Scope, grid_code: Any) -> str:
    unit = catalog.org_unit(str(grid_code or ""))
    if unit is None or unit["level"] != "grid":
        raise LedgerError("请选择所在网格（须为网格一级的组织单元）。")
    scope.require_covers(unit["code"])
    return unit["code"]


def _columns(entity: str, clean: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Cleaned {field code: value} as typed columns and the attrs of fields without one."""
    by_code = {f["code"]: f for f in ledger.fields(entity)}
    columns, attrs = {}, {}
    for code, value in clean.items():
        column = by_code[code]["column_name"]
        if column:
            columns[column] = value
        elif value is not None:
            attrs[code] = ledger._as_text(value)
    return columns, attrs


def _refuse_duplicate_id(ev: _Event, id_number: str | None) -> None:
    if (
        id_number
        and db.run(
            ev.cur,
            "ledger/count_id_number_in_scope",
            org_code=ev.scope.org_code,
            id_number=id_number,
            id=-1,
        ).fetchone()[0]
    ):
        raise LedgerError("身份证号：辖区内已有在册人员使用该号码，请勿重复登记。")


# ---------------------------------------------------------------- loading within scope


def _active(ev: _Event, entity: str, record_id: Any, what: str) -> dict:
    """A record inside scope (else AccessDenied) that is still active."""
    record = ledger.get(ev.scope, entity, record_id, ev.cur)
    if record["status"] != "active":
        status = ledger.STATUS_NAMES.get(record["status"], record["status"])
        raise LedgerError(f"{what}当前状态为“{status}”，不能办理此业务。")
    return record


def _members(cur, scope: Scope, household_id: int) -> list[dict]:
    rel = db.run(
        cur, "events/household_members", household_id=household_id, org_code=scope.org_code
    )
    cols = [d[0] for d in rel.description]
    rows = [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
    for row in rows:
        row["attrs"] = json.loads(row["attrs"]) if row.get("attrs") else {}
    return rows


def _head_of(household: dict, members: list[dict]) -> dict | None:
    return next((m for m in members if m["id"] == household["head_id"]), None)


# ---------------------------------------------------------------- relations


def _child_code(sex: str | None) -> str:
    return {"1": SON, "2": DAUGHTER}.get(sex or "", OTHER)


def _relation_to(member: dict, head: dict, head_children: list[tuple]) -> str:
    """与户主关系 of a member towards a head, from the parent links of both."""
    if member["id"] == head["id"]:
        return HEAD
    if head["id"] in (member["mother_id"], member["father_id"]):
        return _child_code(member["sex"])
    if member["id"] == head["father_id"]:
        return FATHER
    if member["id"] == head["mother_id"]:
        return MOTHER
    child_ids = {child for child, _, _ in head_children}
    co_parents = {p for _, mother, father in head_children for p in (mother, father)}
    if member["id"] in co_parents:
        return SPOUSE
    if child_ids & {member["mother_id"], member["father_id"]}:
        return GRANDCHILD
    shared = {p for p in (head["mother_id"], head["father_id"]) if p is not None}
    if shared & {member["mother_id"], member["father_id"]}:
        return SIBLING
    return OTHER


def _children_of(ev: _Event, person_id: int) -> list[tuple]:
    return db.run(ev.cur, "events/children_of", parent_id=person_id).fetchall()


def _set_relations(ev: _Event, members: list[dict], head: dict) -> None:
    """Recompute the relations of members who stay in their household under a new head."""
    children = _children_of(ev, head["id"])
    for member in members:
        relation = _relation_to(member, head, children)
        if relation != member["relation_to_head"]:
            ledger.write_changes(
                ev.cur,
                ev.scope,
                "resident",
                member,
                {"resident_relation_to_head": relation},
                ev.source,
                ev.batch_id,
            )


def _move_member(
    ev: _Event, member: dict, household: dict, relation: str, address: str | None
) -> None:
    """Relink one member to another household (same scope) and log every field that changed."""
    after = {
        "household_id": household["id"],
        "grid_code": household["grid_code"],
        "house_id": household["house_id"],
        "current_address": address if member["house_id"] != household["house_id"] else None,
        "relation_to_head": relation,
    }
    after["current_address"] = after["current_address"] or member["current_address"]
    version = ev.update(
        "events/relink_resident",
        member,
        **after,
    )
    for column, value in after.items():
        if member[column] != value:
            ev.log("resident", member["id"], f"resident_{column}", member[column], value, version)


def _set_head(ev: _Event, household: dict, head: dict) -> int:
    version = ev.update(
        "events/set_household_head",
        household,
        head_id=head["id"],
    )
    ev.log(
        "household", household["id"], "household_head_id", household["head_id"], head["id"], version
    )
    return version


def _dissolve(ev: _Event, household: dict) -> None:
    version = ev.update(
        "events/dissolve_household",
        household,
    )
    ev.log("household", household["id"], "_status", "active", "dissolved", version)


def _new_household(
    ev: _Event,
    head_id: int,
    grid_code: str,
    house_id: int | None,
    address: str | None,
    phone: str | None,
    household_type: str | None,
) -> dict:
    household_id = ev.next_id("events/next_household_id")
    household_no = f"{grid_code}-{household_id:08d}"
    if db.run(ev.cur, "events/count_household_no", household_no=household_no).fetchone()[0]:
        raise LedgerError(f"户号 {household_no} 已被占用，请联系管理员。")
    row = {
        "id": household_id,
        "household_no": household_no,
        "head_id": head_id,
        "household_type": household_type or "1",
        "address": address,
        "house_id": house_id,
        "phone": phone,
        "grid_code": grid_code,
    }
    db.run(ev.cur, "events/insert_household", username=ev.scope.username, **row)
    ev.log("household", household_id, "_created", None, household_no, 1)
    return {**row, "version": 1, "status": "active"}


def _insert_resident(
    ev: _Event, resident_id: int, columns: dict[str, Any], attrs: dict[str, str]
) -> None:
    params = dict.fromkeys(db.query("events/insert_resident").params)
    params.update(columns)
    params.update(
        id=resident_id,
        name_initials=ledger.name_initials(columns["name"]),
        username=ev.scope.username,
        attrs=json.dumps(attrs, ensure_ascii=False),
    )
    db.run(ev.cur, "events/insert_resident", **params)
    ev.log("resident", resident_id, "_created", None, columns["name"], 1)


def _house_in_grid(ev: _Event, house_id: Any, grid_code: str) -> dict:
    house = _active(ev, "house", house_id, "所选房屋")
    if house["grid_code"] != grid_code:
        raise LedgerError("所选房屋不在该户所在网格内。")
    return house


# ---------------------------------------------------------------- 新生儿登记


def _parent(
    members: dict[int, dict], parent_id: Any, label: str, sex: str, born: date
) -> dict | None:
    if parent_id in (None, ""):
        return None
    try:
        parent = members.get(int(parent_id))
    except (TypeError, ValueError):
        parent = None
    if parent is None:
        raise LedgerError(f"{label}须为本户在册成员。")
    if parent["sex"] != sex:
        raise LedgerError(f"{label}（{parent['name']}）的性别与登记不符。")
    if parent["birth_date"] and _years_between(parent["birth_date"], born) < MIN_PARENT_AGE:
        raise LedgerError(f"{label}（{parent['name']}）的年龄与新生儿出生日期不符。")
    return parent


def _infer_mother(members: list[dict], father: dict | None, born: date) -> dict | None:
    """The one female 户主 or 配偶 of childbearing age, unless the father is not head or spouse."""
    if father is not None and father["relation_to_head"] not in (HEAD, SPOUSE):
        return None
    low, high = CHILDBEARING_AGES
    candidates = [
        m
        for m in members
        if m["relation_to_head"] in (HEAD, SPOUSE)
        and m["sex"] == "2"
        and m["birth_date"] is not None
        and low <= _years_between(m["birth_date"], born) <= high
    ]
    return candidates[0] if len(candidates) == 1 else None


@checked
def register_birth(
    scope: Scope,
    household_id: int,
    name: str,
    sex: str,
    birth_date: Any,
    id_number: str | None = None,
    mother_id: int | None = None,
    father_id: int | None = None,
) -> int:
    """新生儿登记 into an active household; returns the new resident's id."""
    name = _field("resident", "resident_name", name, required=True)
    sex = _field("resident", "resident_sex", sex, required=True)
    born = _date(birth_date, "出生日期")
    earliest = _one_year_before(date.today())
    if born < earliest:
        raise LedgerError(
            f"新生儿登记仅适用于一周岁以内的婴儿（出生日期不早于 {earliest.isoformat()}）；"
            "一周岁以上人员请办理“迁入”登记。"
        )
    if id_number not in (None, ""):
        try:
            id_number = validate.id_number(id_number, "身份证号")
            validate.check_id_matches(id_number, born, sex, "身份证号")
        except validate.ValidationError as exc:
            raise _failed(exc) from None
    else:
        id_number = None

    with _event(scope, "register_birth") as ev:
        household = _active(ev, "household", household_id, "该户")
        members = _members(ev.cur, ev.scope, household["id"])
        by_id = {m["id"]: m for m in members}
        mother = _parent(by_id, mother_id, "母亲", "2", born)
        father = _parent(by_id, father_id, "父亲", "1", born)
        if mother is None:
            mother = _infer_mother(members, father, born)
        parents = [p for p in (mother, father) if p is not None]
        relations = {p["relation_to_head"] for p in parents}
        if relations & {HEAD, SPOUSE}:
            relation = _child_code(sex)
        elif relations & {SON, DAUGHTER}:
            relation = GRANDCHILD
        else:
            relation = OTHER
        order_parent = (mother or father or {}).get("id")
        # A sibling with the same birth date (a twin registered first) counts as born before.
        earlier = db.run(
            ev.cur,
            "events/count_children_before",
            parent_id=order_parent,
            household_id=household["id"],
            birth_date=born,
        ).fetchone()[0]
        _refuse_duplicate_id(ev, id_number)
        columns = {
            "id_type": "01",
            "id_number": id_number,
            "name": name,
            "sex": sex,
            "birth_date": born,
            "ethnicity": (mother or {}).get("ethnicity") or "01",
            "political_status": "13",
            "marital_status": "10",
            "employment_status": "50",
            "household_id": household["id"],
            "relation_to_head": relation,
            "house_id": household["house_id"],
            "residence_type": (mother or {}).get("residence_type") or "1",
            "hukou_address": household["address"],
            "current_address": household["address"],
            "birth_order": 1 + earlier,
            "mother_id": mother and mother["id"],
            "father_id": father and father["id"],
            "grid_code": household["grid_code"],
        }
        resident_id = ev.next_id("events/next_resident_id")
        _insert_resident(ev, resident_id, columns, {})
        ev.log(
            "household", household["id"], "_link", None, f"新增成员：{name}", household["version"]
        )
    return resident_id


# ---------------------------------------------------------------- 迁入


@checked
def move_in(
    scope: Scope,
    fields: dict[str, Any],
    relation_to_head: str | None,
    household_id: int | None = None,
    grid_code: str | None = None,
    house_id: int | None = None,
) -> int:
    """迁入 into an existing household, or as 户主 of a new one in a grid; returns the resident id."""
    values = {k: v for k, v in (fields or {}).items() if k != "resident_relation_to_head"}
    if household_id is None:
        if relation_to_head not in (None, "", HEAD):
            raise LedgerError("迁入并新立户的人员须登记为户主。")
        relation_to_head = HEAD
    elif relation_to_head in (None, ""):
        raise ValidationFailed(["与户主关系：不能为空"])
    values["resident_relation_to_head"] = relation_to_head
    if values.get("resident_id_type") in (None, ""):
        values["resident_id_type"] = "01"
    if values.get("resident_residence_type") in (None, ""):
        values["resident_residence_type"] = "1"
    if values.get("resident_move_in_date") in (None, ""):
        values["resident_move_in_date"] = date.today()
    if values.get("resident_name") is None or not str(values["resident_name"]).strip():
        raise ValidationFailed(["姓名：不能为空"])
    clean = ledger.validate_changes("resident", {}, values)
    columns, attrs = _columns("resident", clean)

    with _event(scope, "move_in") as ev:
        if columns.get("id_type") == "01":
            _refuse_duplicate_id(ev, columns.get("id_number"))
        head = None
        if household_id is not None:
            household = _active(ev, "household", household_id, "迁入的户")
            head = _head_of(household, _members(ev.cur, scope, household["id"]))
            if head is not None and relation_to_head == HEAD:
                raise LedgerError(f"该户已有户主（{head['name']}），迁入人员不能再登记为户主。")
            if head is None and relation_to_head != HEAD:
                raise LedgerError("该户暂无在册户主，迁入人员须登记为户主。")
            grid, house, address = (
                household["grid_code"],
                household["house_id"],
                household["address"],
            )
        else:
            household = None
            grid = _grid_in_scope(scope, grid_code)
            house_row = _house_in_grid(ev, house_id, grid) if house_id is not None else None
            house = house_row["id"] if house_row else None
            address = house_row["address"] if house_row else None
        columns["current_address"] = columns.get("current_address") or address
        if columns.get("residence_type") == "1":
            columns["hukou_address"] = columns.get("hukou_address") or columns["current_address"]
        resident_id = ev.next_id("events/next_resident_id")
        if household is None:
            household = _new_household(
                ev,
                resident_id,
                grid,
                house,
                columns["current_address"],
                columns.get("phone"),
                household_type=None,
            )
        columns.update(grid_code=grid, house_id=house, household_id=household["id"])
        _insert_resident(ev, resident_id, columns, attrs)
        if household_id is not None:
            joined = f"迁入成员：{columns['name']}"
            ev.log("household", household["id"], "_link", None, joined, household["version"])
            if head is None:
                _set_head(ev, household, {"id": resident_id})
    return resident_id


# ---------------------------------------------------------------- 迁出 / 死亡注销


def _retire(
    scope: Scope,
    event: str,
    resident_id: int,
    on_date: Any,
    new_head_id: int | None,
    destination: str | None = None,
) -> int:
    moving_out = event == "move_out"
    label = "迁出日期" if moving_out else "死亡日期"
    on = _date(on_date, label)
    if moving_out:
        try:
            destination = validate.text(destination, "迁往地", 100)
        except validate.ValidationError as exc:
            raise _failed(exc) from None

    with _event(scope, event) as ev:
        person = _active(ev, "resident", resident_id, "该人员")
        if person["birth_date"] and on < person["birth_date"]:
            raise LedgerError(f"{label}不能早于出生日期（{person['birth_date'].isoformat()}）。")
        household = None
        if person["household_id"] is not None:
            household = ledger.get(scope, "household", person["household_id"], ev.cur)
            if household["status"] != "active":
                household = None
        members = _members(ev.cur, ev.scope, household["id"]) if household else []
        remaining = [m for m in members if m["id"] != person["id"]]
        is_head = household is not None and household["head_id"] == person["id"]
        new_head = None
        if is_head and remaining:
            if new_head_id in (None, ""):
                raise LedgerError(
                    f"{person['name']}是户主，户内还有 {len(remaining)} 名在册成员，请指定新户主。"
                )
            new_head = next((m for m in remaining if str(m["id"]) == str(new_head_id)), None)
            if new_head is None:
                raise LedgerError("新户主须为本户在册的其他成员。")
        elif new_head_id not in (None, ""):
            raise LedgerError("只有户主迁出或死亡时才需指定新户主。")

        attrs = dict(person["attrs"])
        if moving_out:
            # Kept under the code a 迁往地 field of the standard would get, so it shows up once added.
            attrs[DESTINATION_FIELD] = destination
        status = "moved_out" if moving_out else "deceased"
        version = ev.update(
            "events/retire_resident",
            person,
            status=status,
            move_out_date=on if moving_out else None,
            death_date=None if moving_out else on,
            attrs=json.dumps(attrs, ensure_ascii=False),
        )
        ev.log("resident", person["id"], "_status", "active", status, version)
        date_field = "resident_move_out_date" if moving_out else "resident_death_date"
        ev.log("resident", person["id"], date_field, None, on, version)
        if moving_out:
            ev.log("resident", person["id"], "_link", None, f"迁往：{destination}", version)
        if household is not None:
            what = "迁出" if moving_out else "死亡注销"
            ev.log(
                "household",
                household["id"],
                "_link",
                f"{what}成员：{person['name']}",
                None,
                household["version"],
            )
            if new_head is not None:
                _set_relations(ev, remaining, new_head)
                _set_head(ev, household, new_head)
            elif not remaining:
                _dissolve(ev, household)
    return person["id"]


@checked
def move_out(
    scope: Scope, resident_id: int, on_date: Any, destination: str, new_head_id: int | None = None
) -> int:
    """迁出: the resident leaves (status moved_out); a departing 户主 hands over to new_head_id."""
    return _retire(scope, "move_out", resident_id, on_date, new_head_id, destination)


@checked
def register_death(
    scope: Scope, resident_id: int, on_date: Any, new_head_id: int | None = None
) -> int:
    """死亡注销 (status deceased); a deceased 户主 hands over to new_head_id."""
    return _retire(scope, "register_death", resident_id, on_date, new_head_id)


# ---------------------------------------------------------------- 分户 / 合户


@checked
def split_household(
    scope: Scope,
    household_id: int,
    member_ids: list[int],
    new_head_id: int,
    house_id: int | None = None,
) -> int:
    """分户: some members (not the 户主) leave for a new household in the same grid; its id."""
    try:
        chosen = list(dict.fromkeys(int(i) for i in member_ids or []))
        new_head_id = int(new_head_id)
    except (TypeError, ValueError):
        raise LedgerError("请选择要分出的成员和新户主。") from None
    if not chosen:
        raise LedgerError("请至少选择一名要分出的成员。")
    if new_head_id not in chosen:
        raise LedgerError("新户主须为分出的成员之一。")

    with _event(scope, "split_household") as ev:
        old = _active(ev, "household", household_id, "该户")
        members = {m["id"]: m for m in _members(ev.cur, ev.scope, old["id"])}
        strangers = [i for i in chosen if i not in members]
        if strangers:
            raise LedgerError(f"所选人员（编号 {strangers[0]}）不是本户在册成员。")
        if old["head_id"] in chosen:
            raise LedgerError("分出的成员不能包含原户主。")
        if len(chosen) >= len(members):
            raise LedgerError("不能分出全部成员；请保留至少一名成员（含户主）在原户。")
        if house_id is None:
            house, address = old["house_id"], old["address"]
        else:
            house_row = _house_in_grid(ev, house_id, old["grid_code"])
            house, address = house_row["id"], house_row["address"]
        head = members[new_head_id]
        new = _new_household(
            ev,
            head["id"],
            old["grid_code"],
            house,
            address,
            head["phone"] or old["phone"],
            old["household_type"],
        )
        children = _children_of(ev, head["id"])
        for member_id in chosen:
            member = members[member_id]
            _move_member(ev, member, new, _relation_to(member, head, children), address)
        moved = f"分出 {len(chosen)} 人至户号 {new['household_no']}"
        ev.log("household", old["id"], "_link", None, moved, old["version"])
    return new["id"]


@checked
def merge_households(scope: Scope, source_id: int, target_id: int) -> int:
    """合户: every member of the source joins the target under its 户主; the source is dissolved."""
    if str(source_id) == str(target_id):
        raise LedgerError("不能将一户并入其自身，请选择另一户。")
    with _event(scope, "merge_households") as ev:
        source = _active(ev, "household", source_id, "被并入的户")
        target = _active(ev, "household", target_id, "并入的目标户")
        head = _head_of(target, _members(ev.cur, ev.scope, target["id"]))
        if head is None:
            raise LedgerError("目标户没有在册户主，请先为目标户指定户主。")
        children = _children_of(ev, head["id"])
        moving = _members(ev.cur, ev.scope, source["id"])
        for member in moving:
            _move_member(
                ev, member, target, _relation_to(member, head, children), target["address"]
            )
        _dissolve(ev, source)
        joined = f"并入户号 {source['household_no']} 的 {len(moving)} 人"
        ev.log("household", target["id"], "_link", None, joined, target["version"])
    return target["id"]


# ---------------------------------------------------------------- 房屋出租 / 退租


@checked
def register_rental(scope: Scope, house_id: int, tenant_count: Any, on_date: Any) -> int:
    """房屋出租登记: occupancy 出租 (群租 from 6 tenants), tenant count and registration date."""
    tenants = _field("house", "house_tenant_count", tenant_count, required=True)
    if tenants < 1:
        raise ValidationFailed(["承租人数：出租登记须至少1人"])
    on = _date(on_date, "出租登记日期")
    occupancy = "4" if tenants >= GROUP_RENTAL_TENANTS else "2"
    with _event(scope, "register_rental") as ev:
        house = _active(ev, "house", house_id, "该房屋")
        clean = {
            "house_occupancy": occupancy,
            "house_tenant_count": tenants,
            "house_rental_registered_at": on,
        }
        ledger.write_changes(ev.cur, scope, "house", house, clean, ev.source, ev.batch_id)
    return house["id"]


@checked
def end_rental(scope: Scope, house_id: int) -> int:
    """退租: occupancy 空置 and no tenants."""
    with _event(scope, "end_rental") as ev:
        house = _active(ev, "house", house_id, "该房屋")
        if house["occupancy"] not in RENTED:
            raise LedgerError("该房屋当前未登记出租，无需办理退租。")
        clean = {"house_occupancy": "3", "house_tenant_count": 0}
        ledger.write_changes(ev.cur, scope, "house", house, clean, ev.source, ev.batch_id)
    return house["id"]


# ---------------------------------------------------------------- 商铺开业 / 歇业


@checked
def open_shop(scope: Scope, fields: dict[str, Any], grid_code: str) -> int:
    """商铺开业 in a grid inside scope; returns the new shop's id."""
    values = dict(fields or {})
    if values.get("shop_name") is None or not str(values["shop_name"]).strip():
        raise ValidationFailed(["店铺名称：不能为空"])
    if values.get("shop_opened_on") in (None, ""):
        values["shop_opened_on"] = date.today()
    clean = ledger.validate_changes("shop", {}, values)
    columns, attrs = _columns("shop", clean)
    with _event(scope, "open_shop") as ev:
        grid = _grid_in_scope(scope, grid_code)
        uscc = columns.get("uscc")
        if (
            uscc
            and db.run(
                ev.cur, "events/count_active_uscc_in_scope", org_code=scope.org_code, uscc=uscc
            ).fetchone()[0]
        ):
            raise LedgerError("统一社会信用代码：辖区内已有使用该代码的在营商铺，请勿重复登记。")
        shop_id = ev.next_id("events/next_shop_id")
        params = dict.fromkeys(db.query("events/insert_shop").params)
        params.update(columns)
        params.update(
            id=shop_id,
            grid_code=grid,
            username=scope.username,
            attrs=json.dumps(attrs, ensure_ascii=False),
        )
        db.run(ev.cur, "events/insert_shop", **params)
        ev.log("shop", shop_id, "_created", None, columns["name"], 1)
    return shop_id


@checked
def close_shop(scope: Scope, shop_id: int, on_date: Any) -> int:
    """商铺歇业: status closed with the closing date."""
    on = _date(on_date, "歇业日期")
    with _event(scope, "close_shop") as ev:
        shop = _active(ev, "shop", shop_id, "该商铺")
        if shop["opened_on"] and on < shop["opened_on"]:
            raise LedgerError(f"歇业日期不能早于开业日期（{shop['opened_on'].isoformat()}）。")
        version = ev.update(
            "events/close_shop",
            shop,
            closed_on=on,
        )
        ev.log("shop", shop["id"], "_status", "active", "closed", version)
        ev.log("shop", shop["id"], "shop_closed_on", None, on, version)
    return shop["id"]


# ---------------------------------------------------------------- for the pages


@checked
def household_members(scope: Scope, household_id: int) -> list[dict]:
    """Active members of a household in scope, head first, with 与户主关系 names."""
    with db.cursor() as cur:
        household = ledger.get(scope, "household", household_id, cur)
        members = _members(cur, scope, household["id"])
    sexes = catalog.code_items("sex")
    return [
        {
            "id": m["id"],
            "name": m["name"],
            "sex": m["sex"],
            "sex_name": sexes.get(m["sex"] or "", ""),
            "birth_date": m["birth_date"],
            "relation_to_head": m["relation_to_head"],
            "relation_name": m["relation_name"] or "",
            "is_head": m["id"] == household["head_id"],
            "version": m["version"],
        }
        for m in members
    ]
