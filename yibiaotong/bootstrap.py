"""Create or upgrade the database: schema, catalogue, cookie key, and either a demo district with
its demo accounts or a real install with one district admin. A start changes no account."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from yibiaotong import (
    admission,
    auth,
    catalog,
    config,
    dashboard,
    db,
    demo,
    ledger,
    passwords,
    reports,
    sessions,
    tags,
)
from yibiaotong.importing import sources as import_sources
from yibiaotong.scope import Scope

DEMO_PASSWORD = "Demo@2026"

# (username, name, role, org unit as (name, parent name) or None for the district, department)
DEMO_USERS = (
    ("admin", "王数据", "district_admin", None, None),
    ("leader_zlk", "陈街道", "street_leader", ("闸弄口街道", "上城区"), None),
    ("weijian", "李卫健", "dept_staff", None, "weijian"),
    ("sw_tianxian", "毛社工", "social_worker", ("天仙社区", "闸弄口街道"), None),
    ("sw_hongmei", "刘网格", "social_worker", ("红梅社区", "闸弄口街道"), None),
    # A street's data clerk: a department account bound to the street, cleared for ID numbers.
    ("clerk_zlk", "赵专员", "dept_staff", ("闸弄口街道", "上城区"), "minzheng", True),
)
DISTRICT_CODE = "330102"


def _org_code(org: tuple[str, str] | None) -> str:
    if org is None:
        return DISTRICT_CODE
    code = db.fetch_value("auth/find_org_unit", name=org[0], parent_name=org[1])
    if code is None:
        raise RuntimeError(f"catalogue has no org unit {org[1]}/{org[0]}")
    return code


def _create_demo_users(cur, password_hash: str) -> list[str]:
    """The published demo accounts, made once with the demo data. Only here may a password skip
    the strength rules; nobody is forced to change it, so the README's table keeps working."""
    for username, name, role, org, department, *clearance in DEMO_USERS:
        auth.insert_user(
            cur,
            username,
            name,
            password_hash,
            role,
            _org_code(org),
            department=department,
            clearance=clearance[0] if clearance else None,
            must_change=False,
        )
        auth.log_access(cur, "system", "user_add", f"{username} 演示账号")
    db.run(cur, "settings/set_setting", key="install_kind", value="demo")
    return [u[0] for u in DEMO_USERS]


def _check_admin_install(admin: tuple[str, str, str] | None, residents: int) -> None:
    kind = auth.install_kind()
    if admin and kind == "demo":
        raise auth.AuthError(
            "此数据库是演示库（含公开的演示账号），不能改为正式库。"
            "请用新的数据库文件（--db），或加 --force 删除后重建。"
        )
    if admin and kind == "real":
        raise auth.AuthError("数据库已初始化为正式库；新增账号请用 `yibiaotong user add`。")
    if admin and residents:
        raise auth.AuthError("正式库不生成演示数据：请去掉 --residents（或设为 0）。")


def upgrade(catalog_dir: Path | None = None) -> dict:
    """What every start does to an existing database: new migrations and new catalogue versions,
    nothing else — rules, templates and users edited in the console stay as they were (a newer
    catalogue version of an edited one is offered to the admin). Tags whose rule changed are
    refreshed in the same transaction, so entity_tag never disagrees with a rule."""
    report: dict = {"migrations": db.migrate()}
    with db.transaction() as cur:
        before = catalog.rule_snapshot(cur)
        report["catalog"] = catalog.load_catalog(cur, catalog_dir)
        admission.reapply_synonyms(cur)  # synonyms admins added survive the catalogue reload
        report["catalog"]["report_template"] = reports.load_reports(
            cur, None if catalog_dir is None else Path(catalog_dir) / "reports"
        )
        report["catalog"]["import_source"] = import_sources.load_sources(cur, catalog_dir)
        after = catalog.rule_snapshot(cur)
        # Starts before 0202 could leave tags computed under another rule: recompute all once.
        stale = "0202_catalog_versions" in report["migrations"]
        changed = {
            entity
            for code, (entity, rule) in after.items()
            if stale or before.get(code) != (entity, rule)
        }
        if changed:
            for entity in sorted(changed):
                tags.refresh_rules(cur, entity)
            db.bump_data_version(cur)
        report["tags_refreshed"] = sorted(changed)
    return report


def initialise(
    residents: int = 50_000,
    force: bool = False,
    seed: int = 1,
    progress: Callable[[str, float], None] | None = None,
    admin: tuple[str, str, str] | None = None,
) -> dict:
    """Idempotent set-up of the database file at config.db_path(). With `admin` (username, name,
    password) a new database becomes a real install with that one account and never gets demo
    data; without it a new database gets the demo district (when residents > 0) and the demo
    accounts, once. Later runs only migrate and load the catalogue."""
    path = config.db_path()
    if force:
        db.close_all()
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    report: dict = {"db": str(path), "demo_users": [], **upgrade()}
    _check_admin_install(admin, residents)
    if (
        auth.install_kind() is None
        and not admin
        and residents > 0
        and not auth.count_users()
        and not db.fetch_value("ledger/count_residents")
    ):
        started = time.perf_counter()
        with db.write_lock, db.cursor() as cur:
            report["demo"] = demo.generate(cur, residents, seed=seed, progress=progress)
        report["demo_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        with db.transaction() as cur:
            ledger.refresh_search_tokens(cur, None)
            for entity in ("household", "house", "shop"):
                ledger.refresh_address_search(cur, entity, None)
            tags.refresh_rules(cur)
            db.bump_data_version(cur)
        report["tag_refresh_seconds"] = round(time.perf_counter() - started, 2)
        # The first look at the dashboard would check every ID number; do it once here.
        dashboard.figures(Scope("system", "district_admin", DISTRICT_CODE, clearance=True))
        password_hash = passwords.hash_password(DEMO_PASSWORD)  # bcrypt outside the write lock
        with db.transaction() as cur:
            report["demo_users"] = _create_demo_users(cur, password_hash)
    if admin:
        auth.create_first_admin(*admin)
        report["admin"] = admin[0]
    report["install_kind"] = auth.install_kind()
    report["accounts"] = auth.count_users()
    report["cookie_key_created"] = sessions.ensure_cookie_key()
    return report
