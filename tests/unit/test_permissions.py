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
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import admission_forms as af
import openpyxl
import pytest
from stdnum.cn import ric
from test_ledger import one_resident

import yibiaotong
from yibiaotong import (
    admission,
    auth,
    dashboard,
    db,
    events,
    health,
    jobs,
    ledger,
    mapping,
    offers,
    permissions,
    reports,
    tag_query,
    tags,
    visits,
    visits_sheet,
)
from yibiaotong.admission import assessment, consolidation, standard
from yibiaotong.admission import requests as admission_requests
from yibiaotong.importing import batches as importing_batches
from yibiaotong.importing import commit as importing_commit
from yibiaotong.importing import rejects as importing_rejects
from yibiaotong.importing import review
from yibiaotong.importing import stage as importing_stage
from yibiaotong.importing import undo as importing_undo
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
        if top in ("ui", "__main__"):
            continue
        if top in permissions.INFRASTRUCTURE_MODULES:
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == info.name and not name.startswith("_"):
                found[f"{short}.{name}"] = fn
    return found


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
        assert {"scope", "caller"} & set(inspect.signature(fn).parameters)
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
    saved: dict[str, Any] = field(default_factory=dict)

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


def _as_report(d: District) -> Callable[[Scope], int]:
    """The caller's own saved query, marked 作为报表."""

    def run(s: Scope) -> int:
        saved = _saved(d)(s)
        tag_query.set_as_report(s, saved)
        return saved

    return run


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
    mapping = reports.analyse_form(d.admin, data, REPORT).mapping
    return lambda s: reports.fill_form(s, REPORT, data, mapping)


def _save_version(d: District) -> Call:
    defn = {**reports.template(d.admin, REPORT)["definition"], "code": f"walk_{d.n()}"}
    return lambda s: reports.save_version(s, defn)


CALLS.update(
    {
        "reports.store.templates": _plain(lambda s, d: reports.templates(s)),
        "reports.store.departments_with_templates": _plain(
            lambda s, d: reports.departments_with_templates(s)
        ),
        "reports.store.save_version": _save_version,
        "reports.store.template": _plain(lambda s, d: reports.template(s, REPORT)),
        "reports.store.history": _plain(lambda s, d: reports.history(s, REPORT)),
        "reports.plan.prepare": _plain(lambda s, d: reports.prepare(s, REPORT)),
        "reports.generation.generate": _plain(
            lambda s, d: reports.generate(s, REPORT, io.BytesIO())
        ),
        "reports.generation.generate_bytes": _plain(lambda s, d: reports.generate_bytes(s, REPORT)),
        "reports.generation.batch_codes": _plain(lambda s, d: reports.batch_codes(s)),
        "reports.generation.batch_zip": _plain(
            lambda s, d: reports.batch_zip(s, [REPORT], io.BytesIO())
        ),
        "reports.generation.saved_query_reports": _plain(
            lambda s, d: reports.saved_query_reports(s)
        ),
        "reports.generation.saved_query_bytes": _plain(
            lambda s, d: reports.saved_query_bytes(s, _as_report(d)(s))
        ),
        "reports.generation.runs": _plain(lambda s, d: reports.runs(s)),
        "reports.generation.savings": _plain(lambda s, d: reports.savings(s)),
        "reports.forms.analyse_form": _plain(lambda s, d: reports.analyse_form(s, _form(), REPORT)),
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

# ---------------------------------------------------------------- accounts, operations, 数据回流

STRONG = "Tq8#vLm2-Rx9!pZk4w"  # long and random-looking: zxcvbn accepts it


def _account(d: District, role: str = "social_worker") -> str:
    """A fresh account of `role` placed like the walked user of that role, made by the admin."""
    like = auth.scope_for(USERS[role])
    username = f"walk{d.n()}"
    auth.add_user(
        d.admin, username, "走查用户", STRONG, role, like.org_code, like.department, False
    )
    return username


def _own_password(d: District) -> Callable[[str], Scope]:
    """The caller of change_own_password: a fresh account of the walked role (its own password
    known), so the walked users keep theirs."""

    def caller(role: str) -> Scope:
        return auth.scope_for(_account(d, role))

    return caller


def _offer(d: District) -> str:
    """A tag edited in the console whose catalogue rule changed since: an offer waits."""
    code = "elderly_80"
    rule = next(t for t in tags.tag_index() if t["code"] == code)["rule"]
    tags.update_rule(d.admin, code, rule)
    offered = {**rule, "conditions": [{"field": "age", "op": ">=", "value": 75 + d.n() % 5}]}
    with db.transaction() as cur:
        db.run(
            cur,
            "catalog/offer_catalog_rule",
            code=code,
            rule=json.dumps(rule),
            offered=json.dumps(offered),
        )
    return code


IMPORT_SOURCE = "gongan_floating"
CLERK = "clerk_zlk"  # 数据回流 is for a department account bound to a street (may_import)


def _people(d: District, n: int) -> list[dict]:
    street = auth.scope_for(CLERK).org_code
    with db.cursor() as cur:
        rows = cur.execute(
            "select name, id_number, current_address, id from resident where status = 'active' "
            "and id_number is not null and starts_with(grid_code, $o) order by id limit $n",
            {"o": street, "n": n},
        ).fetchall()
    return [dict(zip(("name", "id_number", "address", "id"), r, strict=True)) for r in rows]


def _csv(rows: list[list[str]]) -> bytes:
    lines = ["姓名,身份证号,现住址", *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def _roster(d: District) -> bytes:
    """One resident of the clerk's street whose address the file changes."""
    person = _people(d, 40)[d.n() % 40]
    return _csv([[person["name"], person["id_number"], (person["address"] or "") + "西"]])


def _uploaded(d: District, data: bytes | None = None) -> tuple[str, Any]:
    clerk = auth.scope_for(CLERK)
    return importing_stage.upload(clerk, data or _roster(d), "名册.csv", IMPORT_SOURCE)


def _previewed(d: District, data: bytes | None = None) -> str:
    clerk = auth.scope_for(CLERK)
    batch_id, result = _uploaded(d, data)
    importing_stage.preview(clerk, batch_id, {c.index: c.target for c in result.columns})
    return batch_id


def _committed(d: District) -> str:
    batch_id = _previewed(d)
    importing_commit.commit(auth.scope_for(CLERK), batch_id)
    return batch_id


def _conflict(d: District) -> str:
    """An undone batch whose field was edited by hand meanwhile: a review item."""
    clerk = auth.scope_for(CLERK)
    person = _people(d, 40)[d.n() % 40]
    batch_id = _previewed(
        d, _csv([[person["name"], person["id_number"], (person["address"] or "") + "东"]])
    )
    importing_commit.commit(clerk, batch_id)
    record = ledger.get(d.admin, "resident", person["id"])
    ledger.save(
        d.admin,
        "resident",
        person["id"],
        {"resident_current_address": f"手改{d.n()}"},
        record["version"],
    )
    importing_undo.undo(clerk, batch_id)
    items, _ = review.conflicts(clerk)
    return next(i["id"] for i in items if i["entity_id"] == person["id"])


def _waiting(d: District) -> tuple[str, int, str]:
    """A new person nowhere to place: a row in 待落地, and a grid of the clerk's street."""
    clerk = auth.scope_for(CLERK)
    n = d.n()
    body = f"3301021986{n % 12 + 1:02d}{n % 27 + 1:02d}{n % 100:02d}1"
    batch_id = _previewed(
        d, _csv([[f"待落{n}", body + ric.calc_check_digit(body + "0"), "火星路1号"]])
    )
    importing_commit.commit(clerk, batch_id)
    rows, _ = review.unplaced(clerk)
    row = next(r for r in rows if r["batch_id"] == batch_id)
    with db.cursor() as cur:
        grid = cur.execute(
            "select code from org_unit where level = 'grid' and starts_with(code, $o) "
            "order by code limit 1",
            {"o": clerk.org_code},
        ).fetchone()[0]
    return batch_id, row["row_no"], grid


CALLS.update(
    {
        "ledger.provenance": _plain(lambda s, d: ledger.provenance(s, "resident", d.resident)),
        "auth.list_users": _plain(lambda s, d: auth.list_users(s)),
        "auth.add_user": _plain(
            lambda s, d: auth.add_user(
                s, f"walk{d.n()}", "走查用户", STRONG, "social_worker", d.grid[:12]
            )
        ),
        "auth.update_user": _fixed(
            _account,
            lambda s, u: auth.update_user(
                s,
                u,
                role="street_leader",
                org_code=auth.scope_for(USERS["street_leader"]).org_code,
                department=None,
                clearance=False,
            ),
        ),
        "auth.reset_password": _fixed(
            _account, lambda s, u: auth.reset_password(s, u, STRONG + "x")
        ),
        "auth.lock_user": _fixed(_account, lambda s, u: auth.lock_user(s, u, 15)),
        "auth.unlock_user": _fixed(_account, lambda s, u: auth.unlock_user(s, u)),
        "auth.set_active": _fixed(_account, lambda s, u: auth.set_active(s, u, False)),
        "auth.access_log_page": _plain(lambda s, d: auth.access_log_page(s, None, None, 10, 0)),
        "auth.access_log_count": _plain(lambda s, d: auth.access_log_count(s, None, None)),
        "auth.change_own_password": _plain(
            lambda s, d: auth.change_own_password(s, STRONG, STRONG + "Q", STRONG + "Q")
        ),
        "health.status": _plain(lambda s, d: health.status(s)),
        "offers.pending": _plain(lambda s, d: offers.pending(s)),
        "offers.adopt": _fixed(_offer, lambda s, code: offers.adopt(s, "tag", code)),
        "offers.decline": _fixed(_offer, lambda s, code: offers.decline(s, "tag", code)),
        "importing.batches.keep_file": _plain(
            lambda s, d: importing_batches.keep_file(s, _roster(d), "名册.csv")
        ),
        "importing.batches.record": _fixed(
            lambda d: importing_batches.keep_file(auth.scope_for(CLERK), _roster(d), "名册.csv"),
            lambda s, landed: importing_batches.record(s, landed, IMPORT_SOURCE, None, {}),
        ),
        "importing.batches.get": _fixed(
            lambda d: _uploaded(d)[0], lambda s, b: importing_batches.get(s, b)
        ),
        "importing.batches.log": _plain(lambda s, d: importing_batches.log(s)),
        "importing.batches.discard": _fixed(
            lambda d: _uploaded(d)[0], lambda s, b: importing_batches.discard(s, b)
        ),
        "importing.stage.upload": _plain(
            lambda s, d: importing_stage.upload(s, _roster(d), "名册.csv", IMPORT_SOURCE)
        ),
        "importing.stage.read": _fixed(
            lambda d: _uploaded(d)[0], lambda s, b: importing_stage.read(s, b)
        ),
        "importing.stage.preview": _fixed(
            _uploaded,
            lambda s, up: importing_stage.preview(
                s, up[0], {c.index: c.target for c in up[1].columns}
            ),
        ),
        "importing.stage.summary": _fixed(_previewed, lambda s, b: importing_stage.summary(s, b)),
        "importing.stage.samples": _fixed(_previewed, lambda s, b: importing_stage.samples(s, b)),
        "importing.commit.commit": _fixed(_previewed, lambda s, b: importing_commit.commit(s, b)),
        "importing.undo.undo": _fixed(_committed, lambda s, b: importing_undo.undo(s, b)),
        "importing.rejects.write_report": _fixed(
            _previewed, lambda s, b: importing_rejects.write_report(s, b, io.BytesIO())
        ),
        "importing.review.conflicts": _plain(lambda s, d: review.conflicts(s)),
        "importing.review.decide": _fixed(_conflict, lambda s, c: review.decide(s, c, False)),
        "importing.review.unplaced": _plain(lambda s, d: review.unplaced(s)),
        "importing.review.place": _fixed(_waiting, lambda s, w: review.place(s, *w)),
    }
)
# ---------------------------------------------------------------- 走访采集

WORKER = USERS["social_worker"]
VERIFY, COLLECT = ["resident_phone", "resident_employer"], ["resident_wechat"]


def _campaign(d: District, fresh: bool = False) -> str:
    """A household campaign over the walked worker's first grid, run by the admin (one shared,
    or a fresh one for a call that uses it up)."""
    if fresh or "campaign" not in d.saved:
        due = TODAY + timedelta(days=30)
        made = visits.create_campaign(
            d.admin, f"走查走访{d.n()}", d.grid, "household", VERIFY, COLLECT, TODAY, due
        )
        if fresh:
            return made
        d.saved["campaign"] = made
    return d.saved["campaign"]


def _task(d: District, fresh: bool = False) -> dict:
    """The walked worker's first task (with its campaign and version)."""
    campaign_id = _campaign(d, fresh)
    rows, _ = visits.visit_list(auth.scope_for(WORKER), campaign_id)
    return {**rows[0], "campaign_id": campaign_id}


def _record_work(s: Scope, task: dict) -> None:
    with db.transaction() as cur:
        visits.record_work(
            cur, s, task["campaign_id"], task["entity_id"], task["grid_code"], [], "walk"
        )


def _sheet(d: District) -> tuple[str, str, bytes]:
    """The worker's collection sheet of the shared campaign's grid, returned untouched."""
    campaign_id = _campaign(d)
    data = visits_sheet.collection_sheet(auth.scope_for(WORKER), campaign_id, d.grid)
    return campaign_id, d.grid, data


CALLS.update(
    {
        "visits.create_campaign": _plain(
            lambda s, d: visits.create_campaign(
                s, f"走查走访{d.n()}", d.grid, "household", VERIFY, COLLECT, TODAY, TODAY
            )
        ),
        "visits.reassign": _fixed(
            lambda d: (_campaign(d), d.grid), lambda s, c: visits.reassign(s, *c, WORKER)
        ),
        "visits.close_campaign": _fixed(
            lambda d: _campaign(d, fresh=True), lambda s, c: visits.close_campaign(s, c)
        ),
        "visits.summary_xlsx": _fixed(_campaign, lambda s, c: visits.summary_xlsx(s, c)),
        "visits.list_campaigns": _plain(lambda s, d: visits.list_campaigns(s)),
        "visits.get_campaign": _fixed(_campaign, lambda s, c: visits.get_campaign(s, c)),
        "visits.visit_list": _fixed(_campaign, lambda s, c: visits.visit_list(s, c)),
        "visits.progress": _fixed(_campaign, lambda s, c: visits.progress(s, c)),
        "visits.open_visit": _fixed(
            _task, lambda s, t: visits.open_visit(s, t["campaign_id"], t["entity_id"])
        ),
        "visits.save_visit": _fixed(
            lambda d: _task(d, fresh=True),
            lambda s, t: visits.save_visit(
                s, t["campaign_id"], t["entity_id"], t["version"], "not_home"
            ),
        ),
        "visits.record_work": _fixed(_task, _record_work),
        "visits.board_progress": _plain(lambda s, d: visits.board_progress(s, s.org_code)),
        "visits.freshness": _plain(lambda s, d: visits.freshness(s, s.org_code)),
        "visits_sheet.my_grids": _fixed(_campaign, lambda s, c: visits_sheet.my_grids(s, c)),
        "visits_sheet.collection_sheet": _fixed(
            lambda d: (_campaign(d), d.grid),
            lambda s, c: visits_sheet.collection_sheet(s, *c),
        ),
        "visits_sheet.check_sheet": _fixed(_sheet, lambda s, x: visits_sheet.check_sheet(s, *x)),
        "visits_sheet.preview_sheet": _fixed(
            _sheet, lambda s, x: visits_sheet.preview_sheet(s, *x)
        ),
        "visits_sheet.commit_sheet": _fixed(
            _sheet, lambda s, x: visits_sheet.commit_sheet(s, *x, None)
        ),
    }
)

# ---------------------------------------------------------------- 报表准入 and 表单归并


def _meta(n: int) -> admission.RequestMeta:
    return admission.RequestMeta(
        title=f"走查申请{n}",
        purpose="掌握辖区高龄老人健康状况，按月随访",
        legal_basis="《浙江省老年人权益保障条例》第二十条",
        frequency="monthly",
        org_code=auth.scope_for(USERS["dept_staff"]).org_code,
        period="每月末",
        entity="resident",
        expires_on=TODAY + timedelta(days=365),
    )


def _fields(n: int) -> list[admission.RequestedField]:
    """Fields of the standard plus one the ledger lacks, named per request (so none repeats)."""
    own = admission.picked("resident", ["resident_name", "resident_sex", "age"])
    return [*own, admission.RequestedField(f"走查项{n}", None, None, "none", 0.0)]


def _submit(s: Scope, d: District) -> int:
    n = d.n()
    return admission.submit(s, _meta(n), _fields(n))


def _request(d: District, returned: bool = False) -> tuple[int, int]:
    """A request of the walked department account, submitted (or sent back): (id, version)."""
    request_id = _submit(auth.scope_for(USERS["dept_staff"]), d)
    if returned:
        admission.return_request(d.admin, request_id, 1, "请补充用途说明")
    return request_id, admission.get(d.admin, request_id)["version"]


def _request_row(d: District) -> dict:
    return admission.get(d.admin, _request(d)[0])


def _template(d: District) -> str:
    """A template of the walked department, approved from its request (it has an expiry)."""
    return admission.approve_new(d.admin, *_request(d))


def _renewal(d: District) -> tuple[int, int]:
    staff = auth.scope_for(USERS["dept_staff"])
    due = TODAY + timedelta(days=400)
    request_id = admission.request_renewal(staff, _template(d), "随访工作延续到下一年度", due)
    return request_id, 1


def _pile(d: District) -> int:
    """A small consolidated pile of real-shaped forms (three of the street's), made once."""
    if "pile" not in d.saved:
        files = [(f.file, af.build(f)) for f in af.FORMS[:3]]
        d.saved["pile"] = consolidation.analyse(d.admin, files, "走查表单归并")
    return d.saved["pile"]


def _cluster(d: District) -> tuple[int, str, list[str], str]:
    """The pile's first cluster of headers the standard lacks, and a new field name for it."""
    pile = _pile(d)
    cluster = consolidation.load(d.admin, pile).clusters[0]
    return pile, cluster.key, list(cluster.headers), f"走查字段{d.n()}"


def _in_transaction(run: Callable[[Any], Any]) -> Any:
    with db.transaction() as cur:
        return run(cur)


CALLS.update(
    {
        "admission.requests.check_meta": _plain(
            lambda s, d: admission_requests.check_meta(s, _meta(d.n()))
        ),
        "admission.requests.preview": _plain(
            lambda s, d: admission.preview(s, _meta(d.n()), _fields(d.n()))
        ),
        "admission.requests.submit": _plain(_submit),
        "admission.requests.resubmit": _fixed(
            lambda d: _request(d, returned=True),
            lambda s, r: admission.resubmit(s, *r, "已补充用途说明"),
        ),
        "admission.requests.withdraw": _fixed(_request, lambda s, r: admission.withdraw(s, *r)),
        "admission.requests.request_renewal": _fixed(
            _template,
            lambda s, code: admission.request_renewal(
                s, code, "随访工作延续到下一年度", TODAY + timedelta(days=400)
            ),
        ),
        "admission.requests.get": _fixed(_request, lambda s, r: admission.get(s, r[0])),
        "admission.requests.list_requests": _plain(lambda s, d: admission.list_requests(s)),
        "admission.requests.assessment_of": _fixed(
            _request_row, lambda s, row: admission.assessment_of(s, row)
        ),
        "admission.requests.expiring": _plain(lambda s, d: admission.expiring(s)),
        "admission.assessment.assess": _plain(
            lambda s, d: assessment.assess(s, "resident", _fields(d.n()), "monthly", s.org_code)
        ),
        "admission.assessment.rows_in_scope": _plain(
            lambda s, d: assessment.rows_in_scope(s, "resident", s.org_code, ())
        ),
        "admission.requests.return_request": _fixed(
            _request, lambda s, r: admission.return_request(s, *r, "请补充用途说明")
        ),
        "admission.requests.reject": _fixed(
            _request, lambda s, r: admission.reject(s, *r, "已有同类报表")
        ),
        "admission.requests.new_template": _fixed(
            _request_row, lambda s, row: admission.new_template(s, row)
        ),
        "admission.requests.default_field_map": _fixed(
            _request_row, lambda s, row: admission.default_field_map(s, row, REPORT)
        ),
        "admission.requests.approve_new": _fixed(
            _request, lambda s, r: admission.approve_new(s, *r)
        ),
        "admission.requests.approve_existing": _fixed(
            _request, lambda s, r: admission.approve_existing(s, *r, REPORT)
        ),
        "admission.requests.renew": _fixed(_renewal, lambda s, r: admission.renew(s, *r)),
        "admission.consolidation.analyse": _plain(
            lambda s, d: consolidation.analyse(
                s, [(f.file, af.build(f)) for f in af.FORMS[3:4]], f"走查归并{d.n()}"
            )
        ),
        "admission.consolidation.load": _fixed(_pile, lambda s, p: consolidation.load(s, p)),
        "admission.consolidation.refresh_figures": _fixed(
            _pile, lambda s, p: consolidation.refresh_figures(s, p)
        ),
        "admission.consolidation.confirm": _fixed(
            _pile, lambda s, p: consolidation.confirm(s, p, {})
        ),
        "admission.consolidation.accept_cluster": _fixed(
            _cluster,
            lambda s, c: consolidation.accept_cluster(s, c[0], c[1], c[2], name=c[3]),
        ),
        "admission.consolidation.set_form": _fixed(
            _pile, lambda s, p: consolidation.set_form(s, p, 1, None, None)
        ),
        "admission.consolidation.plan_templates": _fixed(
            _pile, lambda s, p: consolidation.plan_templates(s, p)
        ),
        "admission.consolidation.create_templates": _fixed(
            _pile, lambda s, p: consolidation.create_templates(s, p, [])
        ),
        "admission.consolidation.piles": _plain(lambda s, d: consolidation.piles(s)),
        "admission.consolidation.export_xlsx": _fixed(
            _pile, lambda s, p: consolidation.export_xlsx(s, p)
        ),
        "admission.standard.add_synonyms": _plain(
            lambda s, d: _in_transaction(
                lambda cur: standard.add_synonyms(
                    cur, s, "resident_employer", [f"走查单位{d.n()}"], None
                )
            )
        ),
        "admission.standard.add_field": _plain(
            lambda s, d: _in_transaction(
                lambda cur: standard.add_field(
                    cur, s, "resident", f"走查字段{d.n()}", "text", ["走查字段"], None
                )
            )
        ),
    }
)

# Who walks a role where the walked user of USERS cannot be the caller.
CALLERS: dict[str, Callable[[District], Callable[[str], Scope]]] = {
    "auth.change_own_password": _own_password,
    **{
        action: (
            lambda d: lambda role: auth.scope_for(CLERK if role == "dept_staff" else USERS[role])
        )
        for action in permissions.RULES
        if action.startswith("importing.")
    },
}

# Calls that return nothing by design (the others must return something).
_RETURNS_NOTHING = {
    "admission.consolidation.set_form",
    "admission.requests.approve_existing",
    "admission.requests.reject",
    "admission.requests.return_request",
    "admission.requests.resubmit",
    "admission.requests.withdraw",
    "visits.close_campaign",
    "visits.record_work",
    "auth.add_user",
    "auth.reset_password",
    "auth.unlock_user",
    "auth.set_active",
    "importing.batches.record",
    "importing.batches.discard",
    "importing.review.decide",
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
                "campaign",
                "visit_task",
                "report_request",
                "form_pile",
                "field_synonym_added",
            )
        )
        rentals = cur.execute("select sum(tenant_count) from house").fetchone()[0]
    return (db.data_version(), counts, rentals)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(permissions.RULES))
def test_each_role_may_do_what_the_table_says_and_nothing_else(district, action, role):
    run = CALLS[action](district)
    walked = CALLERS.get(action, lambda _: lambda r: auth.scope_for(USERS[r]))
    caller = walked(district)(role)
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
