"""Create or upgrade the database: schema, catalogue, demo district, demo accounts, cookie key."""

from __future__ import annotations

import time
from collections.abc import Callable

from yibiaotong import auth, catalog, config, dashboard, db, demo, ledger, reports, tags
from yibiaotong.scope import Scope

DEMO_PASSWORD = "Demo@2026"

# (username, name, role, org unit as (name, parent name) or None for the district, department)
DEMO_USERS = (
    ("admin", "王数据", "district_admin", None, None),
    ("leader_zlk", "陈街道", "street_leader", ("闸弄口街道", "上城区"), None),
    ("weijian", "李卫健", "dept_staff", None, "weijian"),
    ("sw_tianxian", "毛社工", "social_worker", ("天仙社区", "闸弄口街道"), None),
    ("sw_hongmei", "刘网格", "social_worker", ("红梅社区", "闸弄口街道"), None),
)
DISTRICT_CODE = "330102"


def _org_code(org: tuple[str, str] | None) -> str:
    if org is None:
        return DISTRICT_CODE
    code = db.fetch_value("auth/find_org_unit", name=org[0], parent_name=org[1])
    if code is None:
        raise RuntimeError(f"catalogue has no org unit {org[1]}/{org[0]}")
    return code


def create_demo_users() -> list[str]:
    created = []
    for username, name, role, org, department in DEMO_USERS:
        if auth.get_user(username) is None:
            auth.add_user(username, name, DEMO_PASSWORD, role, _org_code(org), department)
            created.append(username)
    return created


def initialise(
    residents: int = 50_000,
    force: bool = False,
    seed: int = 1,
    progress: Callable[[str, float], None] | None = None,
) -> dict:
    """Idempotent set-up of the database file at config.db_path()."""
    path = config.db_path()
    if force:
        db.close_all()
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    report: dict = {"db": str(path)}
    report["migrations"] = db.migrate()
    with db.transaction() as cur:
        report["catalog"] = catalog.load_catalog(cur)
        report["catalog"]["report_template"] = reports.load_reports(cur)
    if residents > 0 and not db.fetch_value("ledger/count_residents"):
        started = time.perf_counter()
        with db.write_lock, db.cursor() as cur:
            report["demo"] = demo.generate(cur, residents, seed=seed, progress=progress)
        report["demo_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        with db.transaction() as cur:
            ledger.refresh_search_tokens(cur, None)
            tags.refresh_rules(cur)
            db.bump_data_version(cur)
        report["tag_refresh_seconds"] = round(time.perf_counter() - started, 2)
        # The first look at the dashboard would check every ID number; do it once here.
        dashboard.figures(Scope("system", "district_admin", DISTRICT_CODE, clearance=True))
    report["demo_users"] = create_demo_users()
    report["cookie_key_created"] = auth.ensure_cookie_key()
    return report
