"""Least privilege in the domain: every public function is classified, and walked with every role.

The walk finds the functions by introspecting the package, so a new one fails here until it is
put in permissions.RULES (with the roles that may call it) or permissions.NO_CALLER (with why it
needs no caller), and until it has a call below. Each role then calls each function for real:
a role the table leaves out is refused and changes nothing; a role it names gets a result.
"""

from __future__ import annotations

import importlib
import inspect
import io
import itertools
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
from stdnum.cn import ric
from test_ledger import one_resident

import yibiaotong
from yibiaotong import (
    auth,
    dashboard,
    db,
    events,
    jobs,
    ledger,
    mapping,
    permissions,
    reports,
    tag_query,
    tags,
)
from yibiaotong.scope import ROLES, AccessDenied, Scope

USERS = {
    "district_admin": "admin",
    "street_leader": "leader_zlk",
    "dept_staff": "weijian",
    "social_worker": "sw_tianxian",
}
TODAY = date.today()


# ---------------------------------------------------------------- the package, introspected


def domain_functions() -> dict[str, Callable]:
    """Every public function defined in a domain module of the package, by "module.function"."""
    found = {}
    for info in pkgutil.walk_packages(yibiaotong.__path__, "yibiaotong."):
        short = info.name.removeprefix("yibiaotong.")
        top = short.split(".")[0]
        if (
            top in ("ui", "__main__", *_BEING_REWRITTEN)
            or top in permissions.INFRASTRUCTURE_MODULES
        ):
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == info.name and not name.startswith("_"):
                found[f"{short}.{name}"] = fn
    return found


# TODO(privacy): walked once the teammates' rewrites of these modules are merged.
_BEING_REWRITTEN = ("auth",)
FUNCTIONS = domain_functions()


def test_every_public_domain_function_is_classified():
    unclassified = sorted(set(FUNCTIONS) - set(permissions.RULES) - set(permissions.NO_CALLER))
    assert not unclassified, (
        "add to permissions.RULES (roles) or permissions.NO_CALLER (why no caller): "
        + ", ".join(unclassified)
    )
    assert not set(permissions.RULES) & set(permissions.NO_CALLER)
    stale = sorted((set(permissions.RULES) | set(permissions.NO_CALLER)) - set(FUNCTIONS))
    assert not stale, f"classified but no longer a public domain function: {stale}"


def test_every_ruled_function_checks_its_caller_and_takes_one():
    for action in permissions.RULES:
        fn = FUNCTIONS[action]
        assert getattr(fn, "permission", None) == action, f"{action} lacks @checked"
        assert "scope" in inspect.signature(fn).parameters
        assert permissions.RULES[action][1] <= set(ROLES)


def test_a_function_missing_from_the_table_cannot_be_checked():
    def rogue(scope: Scope) -> None:  # a new domain function nobody put in the table
        pass

    rogue.__module__ = "yibiaotong.ledger"
    with pytest.raises(RuntimeError, match="ledger.rogue"):
        permissions.checked(rogue)


# ---------------------------------------------------------------- a district to walk


@pytest.fixture(scope="module")
def walk_db(private_district):
    """A private copy of the fixture district for the whole walk (it writes)."""
    with private_district("walk") as copy:
        yield copy


@dataclass
class District:
    """Records inside every walked role's scope (天仙社区 lies under 闸弄口 and the district)."""

    admin: Scope
    grid: str
    resident: int
    household: int
    house: int
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    saved: dict[str, int] = field(default_factory=dict)

    def n(self) -> int:
        return next(self.counter)

    def newcomer(self, household: int | None = None) -> int:
        """A resident moved in just now (a new 户主 of a new household without `household`)."""
        n = self.n()
        born = date(1980, 1, 1) + timedelta(days=n)
        body = f"330102{born:%Y%m%d}{n % 100:02d}1"
        fields = {
            "resident_name": f"测试{n}",
            "resident_sex": "1",
            "resident_birth_date": born,
            "resident_id_number": body + ric.calc_check_digit(body + "0"),
        }
        if household is None:
            return events.move_in(self.admin, fields, None, grid_code=self.grid)
        return events.move_in(self.admin, fields, "99", household_id=household)

    def new_household(self, members: int = 1) -> tuple[int, list[int]]:
        head = self.newcomer()
        hid = ledger.get(self.admin, "resident", head)["household_id"]
        return hid, [head, *(self.newcomer(hid) for _ in range(members - 1))]

    def shop(self) -> int:
        return events.open_shop(self.admin, {"shop_name": f"测试商铺{self.n()}"}, self.grid)

    def rented_house(self) -> int:
        events.register_rental(self.admin, self.house, 2, TODAY)
        return self.house


@pytest.fixture(scope="module")
def district(walk_db) -> District:
    worker = auth.scope_for("sw_tianxian")
    with db.cursor() as cur:

        def first(sql: str) -> Any:
            return cur.execute(sql + " order by 1 limit 1", {"o": worker.org_code}).fetchone()[0]

        grid = first("select code from org_unit where level = 'grid' and starts_with(code, $o)")
        resident = first(
            "select id from resident where status = 'active' and household_id is not null "
            "and starts_with(grid_code, $o)"
        )
        house = first("select id from house where status = 'active' and starts_with(grid_code, $o)")
    admin = auth.scope_for("admin")
    household = ledger.get(admin, "resident", resident)["household_id"]
    return District(admin, grid, resident, household, house)


# ---------------------------------------------------------------- one real call per function

SPEC = {"entity": "resident", "tags": {"all": ["elderly"]}}
PHONE = {
    "code": "resident_phone",
    "sensitivity": "sensitive",
    "data_type": "phone",
    "code_list": None,
}
Call = Callable[[Scope], Any]


def _save(d: District) -> Call:
    def run(s: Scope) -> int:
        version = ledger.get(d.admin, "resident", d.resident)["version"]
        return ledger.save(
            s, "resident", d.resident, {"resident_employer": f"单位{d.n()}"}, version
        )

    return run


def _write_changes(d: District) -> Call:
    def run(s: Scope) -> int:
        with db.transaction() as cur:
            record = ledger.get(d.admin, "resident", d.resident, cur)
            change = {"resident_employer": f"单位{d.n()}"}
            return ledger.write_changes(cur, s, "resident", record, change, "console", "walk")

    return run


def _log_change(d: District) -> Call:
    def run(s: Scope) -> None:
        with db.transaction() as cur:
            ledger.log_change(
                cur, s, "resident", d.resident, "resident_employer", "a", "b", "console", None, 1
            )

    return run


def _saved(d: District) -> Callable[[Scope], int]:
    """The caller's own saved query, made as the caller (so a refused role has none)."""
    return lambda s: tag_query.save_query(s, f"查询{d.n()}", SPEC)


def _raw_rows(d: District):
    with db.cursor() as cur:
        return db.run(cur, "ledger/page_resident", ids=[d.resident]).df()


def _update_rule(d: District) -> Call:
    rule = next(t for t in tags.tag_index() if t["code"] == "elderly")["rule"]
    return lambda s: tags.update_rule(s, "elderly", rule)


def _split(d: District) -> Call:
    household, people = d.new_household(2)
    return lambda s: events.split_household(s, household, [people[1]], people[1])


def _merge(d: District) -> Call:
    source, target = d.new_household()[0], d.new_household()[0]
    return lambda s: events.merge_households(s, source, target)


def _fixed(make: Callable[[District], Any], run: Callable[[Scope, Any], Any]):
    """A call whose target is made (as the admin) before the caller runs it."""

    def prepare(d: District) -> Call:
        target = make(d)
        return lambda s: run(s, target)

    return prepare


def _plain(run: Callable[[Scope, District], Any]):
    return lambda d: lambda s: run(s, d)


# action → prepare(district) → run(caller): targets are made first, so a refused call is
# checked against the state just before it.
CALLS: dict[str, Callable[[District], Call]] = {
    "ledger.search": _plain(lambda s, d: ledger.search(s, "resident", "测试")),
    "ledger.present": _fixed(_raw_rows, lambda s, rows: ledger.present(s, "resident", rows)),
    "ledger.get": _plain(lambda s, d: ledger.get(s, "resident", d.resident)),
    "ledger.open_record": _plain(lambda s, d: ledger.open_record(s, "resident", d.resident)),
    "ledger.display": _plain(lambda s, d: ledger.display(s, PHONE, "13812345678")),
    "ledger.write_changes": _write_changes,
    "ledger.log_change": _log_change,
    "ledger.save": _save,
    "ledger.changes_since": _plain(lambda s, d: ledger.changes_since(s, "resident", d.resident, 0)),
    "ledger.history": _plain(lambda s, d: ledger.history(s, "resident", d.resident)),
    "ledger.summary": _plain(lambda s, d: ledger.summary(s)),
    "ledger.record_tags": _plain(lambda s, d: ledger.record_tags(s, "resident", d.resident)),
    "ledger.manual_tags": _plain(lambda s, d: ledger.manual_tags(s, "resident")),
    "ledger.set_manual_tag": _plain(
        lambda s, d: ledger.set_manual_tag(
            s, "resident", d.resident, "only_child_parent", bool(d.n() % 2)
        )
    ),
    "ledger.quality_hints": _fixed(
        lambda d: ledger.get(d.admin, "resident", d.resident),
        lambda s, record: ledger.quality_hints(s, "resident", record),
    ),
    "ledger.change_log_page": _plain(
        lambda s, d: ledger.change_log_page(s, None, None, None, None, None, 1)
    ),
    "events.register_birth": _fixed(
        lambda d: d.new_household()[0],
        lambda s, hid: events.register_birth(s, hid, "新生儿", "2", TODAY - timedelta(days=3)),
    ),
    "events.move_in": _plain(
        lambda s, d: events.move_in(
            s,
            {"resident_name": f"迁入{d.n()}", "resident_sex": "2"},
            "99",
            household_id=d.household,
        )
    ),
    "events.move_out": _fixed(
        lambda d: d.newcomer(d.household),
        lambda s, rid: events.move_out(s, rid, TODAY, "西湖区"),
    ),
    "events.register_death": _fixed(
        lambda d: d.newcomer(d.household), lambda s, rid: events.register_death(s, rid, TODAY)
    ),
    "events.split_household": _split,
    "events.merge_households": _merge,
    "events.register_rental": _plain(lambda s, d: events.register_rental(s, d.house, 3, TODAY)),
    "events.end_rental": _fixed(District.rented_house, lambda s, h: events.end_rental(s, h)),
    "events.open_shop": _plain(
        lambda s, d: events.open_shop(s, {"shop_name": f"店{d.n()}"}, d.grid)
    ),
    "events.close_shop": _fixed(District.shop, lambda s, shop: events.close_shop(s, shop, TODAY)),
    "events.household_members": _plain(lambda s, d: events.household_members(s, d.household)),
    "tag_query.compile_filter": _plain(lambda s, d: tag_query.compile_filter(s, SPEC)),
    "tag_query.count": _plain(lambda s, d: tag_query.count(s, SPEC)),
    "tag_query.summary": _plain(lambda s, d: tag_query.summary(s, SPEC)),
    "tag_query.columns": _plain(lambda s, d: tag_query.columns(s, SPEC)),
    "tag_query.page": _plain(lambda s, d: tag_query.page(s, SPEC, 5)),
    "tag_query.breakdown": _plain(lambda s, d: tag_query.breakdown(s, SPEC)),
    "tag_query.iter_rows": _plain(
        lambda s, d: list(itertools.islice(tag_query.iter_rows(s, SPEC), 3))
    ),
    "tag_query.export": _plain(
        lambda s, d: tag_query.export(s, {**SPEC, "org_code": d.grid}, io.BytesIO())
    ),
    "tag_query.save_query": _plain(lambda s, d: _saved(d)(s)),
    "tag_query.list_saved": _plain(lambda s, d: tag_query.list_saved(s)),
    "tag_query.load_saved": _plain(lambda s, d: tag_query.load_saved(s, _saved(d)(s))),
    "tag_query.delete_saved": _plain(lambda s, d: tag_query.delete_saved(s, _saved(d)(s))),
    "tag_query.set_as_report": _plain(lambda s, d: tag_query.set_as_report(s, _saved(d)(s))),
    "tag_query.report_templates": _plain(lambda s, d: tag_query.report_templates(s)),
    "tags.visible": _plain(lambda s, d: tags.visible(s, {"sensitivity": "internal"})),
    "tags.tag_counts": _plain(lambda s, d: tags.tag_counts(s, "resident")),
    "tags.tree": _plain(lambda s, d: tags.tree(s, "resident")),
    "tags.explain": _plain(lambda s, d: tags.explain(s, "resident", d.resident)),
    "tags.update_rule": _update_rule,
    "dashboard.view_org": _plain(lambda s, d: dashboard.view_org(s)),
    "dashboard.drill_path": _plain(lambda s, d: dashboard.drill_path(s, s.org_code)),
    "dashboard.drill_options": _plain(lambda s, d: dashboard.drill_options(s, s.org_code)),
    "dashboard.figures": _plain(lambda s, d: dashboard.figures(s)),
    "dashboard.export_xlsx": _plain(lambda s, d: dashboard.export_xlsx(s)),
}
REPORT = "wj_newborn"  # 卫健's own newborn register: no sensitive tag, so every role may run it


def _form() -> bytes:
    """A department's own blank form: a title, one header row, room for rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "新生儿访视登记表"
    for col, text in zip("ABCD", ["序号", "姓名", "性别", "出生日期"], strict=True):
        ws[f"{col}2"] = text
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _fill_form(d: District) -> Call:
    data = _form()
    mapping = reports.analyse_form(data, "resident").mapping
    return lambda s: reports.fill_form(s, REPORT, data, mapping)


def _save_version(d: District) -> Call:
    defn = {**reports.template(REPORT)["definition"], "code": f"walk_{d.n()}"}
    return lambda s: reports.save_version(s, defn)


CALLS.update(
    {
        "reports.store.templates": _plain(lambda s, d: reports.templates(s)),
        "reports.store.departments_with_templates": _plain(
            lambda s, d: reports.departments_with_templates(s)
        ),
        "reports.store.save_version": _save_version,
        "reports.plan.prepare": _plain(lambda s, d: reports.prepare(s, REPORT)),
        "reports.generate.generate": _plain(lambda s, d: reports.generate(s, REPORT, io.BytesIO())),
        "reports.generate.generate_bytes": _plain(lambda s, d: reports.generate_bytes(s, REPORT)),
        "reports.generate.batch_codes": _plain(lambda s, d: reports.batch_codes(s)),
        "reports.generate.batch_zip": _plain(
            lambda s, d: reports.batch_zip(s, [REPORT], io.BytesIO())
        ),
        "reports.generate.saved_query_reports": _plain(lambda s, d: reports.saved_query_reports(s)),
        "reports.generate.saved_query_bytes": _plain(
            lambda s, d: reports.saved_query_bytes(s, _saved(d)(s))
        ),
        "reports.generate.runs": _plain(lambda s, d: reports.runs(s)),
        "reports.generate.savings": _plain(lambda s, d: reports.savings(s)),
        "reports.forms.fill_form": _fill_form,
    }
)
BATCH = {"codes": [REPORT]}


def _job(d: District) -> Callable[[Scope], str]:
    """A finished job of the caller's own (a one-report batch over their unit)."""
    return lambda s: jobs.run_inline(s, "report_batch", org_code=s.org_code, **BATCH)["id"]


def _queued(s: Scope, submit: Callable[[], str]) -> dict:
    """A job handed to the runner thread, waited for so that nothing runs on afterwards."""
    return jobs.wait(s, submit(), timeout=120)


def _cancel(s: Scope) -> None:
    job = jobs.enqueue(s, "report_batch", {"org_code": s.org_code, **BATCH})
    try:
        jobs.cancel(s, job)
    except jobs.JobError as exc:  # it finished before the cancel arrived
        assert "不能取消" in str(exc)
    jobs.wait(s, job, timeout=120)


CALLS.update(
    {
        "jobs.run_inline": _plain(
            lambda s, d: jobs.run_inline(s, "report_batch", org_code=s.org_code, **BATCH)
        ),
        "jobs.enqueue": _plain(
            lambda s, d: _queued(
                s, lambda: jobs.enqueue(s, "report_batch", {"org_code": s.org_code, **BATCH})
            )
        ),
        "jobs.submit": _plain(
            lambda s, d: _queued(
                s, lambda: jobs.submit(s, "report_batch", org_code=s.org_code, **BATCH)
            )
        ),
        "jobs.get": _plain(lambda s, d: jobs.get(s, _job(d)(s))),
        "jobs.list_jobs": _plain(lambda s, d: jobs.list_jobs(s)),
        "jobs.cancel": _plain(lambda s, d: _cancel(s)),
        "jobs.result_file": _plain(lambda s, d: jobs.result_file(s, _job(d)(s))),
        "jobs.log_lines": _plain(lambda s, d: jobs.log_lines(s, _job(d)(s))),
        "jobs.wait": _plain(lambda s, d: jobs.wait(s, _job(d)(s))),
        "mapping.remember": _plain(
            lambda s, d: mapping.remember(s, f"form:walk{d.n()}", {"姓名": "resident_name"})
        ),
    }
)
# Calls that return nothing by design (the others must return something).
_RETURNS_NOTHING = {
    "jobs.cancel",
    "mapping.remember",
    "ledger.log_change",
    "ledger.set_manual_tag",
    "tag_query.delete_saved",
    "tag_query.set_as_report",
}


def test_every_ruled_function_has_a_call():
    assert sorted(set(permissions.RULES) - set(CALLS)) == []
    assert sorted(set(CALLS) - set(permissions.RULES)) == []


def _state() -> tuple:
    """What a refused call must leave as it was."""
    with db.cursor() as cur:
        counts = tuple(
            cur.execute(f"select count(*) from {table}").fetchone()[0]
            for table in (
                "change_log",
                "saved_query",
                "resident",
                "household",
                "shop",
                "entity_tag",
            )
        )
        rentals = cur.execute("select sum(tenant_count) from house").fetchone()[0]
    return (db.data_version(), counts, rentals)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(permissions.RULES))
def test_each_role_may_do_what_the_table_says_and_nothing_else(district, action, role):
    caller = auth.scope_for(USERS[role])
    run = CALLS[action](district)
    if role in permissions.RULES[action][1]:
        result = run(caller)
        assert result is not None or action in _RETURNS_NOTHING
        return
    before = _state()
    with pytest.raises(AccessDenied) as refused:
        run(caller)
    assert str(refused.value) == permissions.refusal(caller, action)
    assert _state() == before


# ---------------------------------------------------------------- scope, not only role


def test_changes_of_a_record_outside_the_scope_are_refused(writable_db):
    admin, worker, neighbour = (auth.scope_for(u) for u in ("admin", "sw_tianxian", "sw_hongmei"))
    theirs = one_resident(neighbour.org_code)["id"]
    version = ledger.get(admin, "resident", theirs)["version"]
    ledger.save(admin, "resident", theirs, {"resident_employer": "邻社区的单位"}, version)
    assert [c["new"] for c in ledger.changes_since(neighbour, "resident", theirs, version)] == [
        "邻社区的单位"
    ]
    with pytest.raises(AccessDenied):
        ledger.changes_since(worker, "resident", theirs, version)


def test_the_change_log_shows_only_records_inside_the_callers_scope(writable_db):
    admin = auth.scope_for("admin")
    street = auth.scope_for("leader_zlk").org_code
    inside = one_resident(street)["id"]
    outside = one_resident("330102001")["id"]  # 湖滨街道, another street
    for rid in (inside, outside):
        version = ledger.get(admin, "resident", rid)["version"]
        ledger.save(admin, "resident", rid, {"resident_employer": f"单位{rid}"}, version)
    everything, total = ledger.change_log_page(admin, None, "resident", None, None, None, 1)
    assert {inside, outside} <= {r["entity_id"] for r in everything}
    # An admin account bound to one street (the role is checked, the subtree still applies).
    narrowed = Scope("admin", "district_admin", street, clearance=True)
    mine, count = ledger.change_log_page(narrowed, None, "resident", None, None, None, 1)
    with db.cursor() as cur:
        expected = cur.execute(
            "select count(*) from change_log as c join resident as r on r.id = c.entity_id "
            "where c.entity = 'resident' and starts_with(r.grid_code, $o)",
            {"o": street},
        ).fetchone()[0]
    assert count == expected == len(mine) and total > count
    assert inside in {r["entity_id"] for r in mine} and outside not in {
        r["entity_id"] for r in mine
    }
