"""The console's own job kinds: a reports batch, a full tag refresh, a backup."""

from __future__ import annotations

import os
from datetime import datetime

from yibiaotong import auth, backups, catalog, db, jobs, reports, tags
from yibiaotong.scope import ROLES, Scope

ALL_ROLES = tuple(ROLES)


@jobs.register("report_batch", title="批量生成报表", roles=ALL_ROLES, writes=False)
def report_batch(ctx: jobs.JobContext, *, codes: list[str], org_code: str, label: str = "") -> dict:
    """Every template in `codes` for one unit into one zip; the runs are logged on delivery."""
    org = ctx.scope.narrow(org_code)
    names = {t["code"]: t["name"] for t in reports.batch_codes(ctx.scope)}
    unit = catalog.org_name(org) or org
    path = ctx.result_path(f"{label or '全部'}报表_{unit}_{datetime.now():%Y%m%d}.zip")
    part = path.with_name(path.name + ".part")

    def progress(done: int, total: int, code: str) -> None:
        ctx.check_cancelled()
        step = f"正在生成 {done + 1}/{total}：{names.get(code, code)}" if code else "打包完成"
        ctx.progress(done / total if total else 1.0, step)

    result = reports.batch_zip(
        ctx.scope, codes, part, org, progress, deliver=ctx.deliver, batch_id=ctx.job_id
    )
    os.replace(part, path)
    rows = sum(r.rows for r in result.runs)
    minutes = sum(r.minutes_saved for r in result.runs)
    return {
        "message": f"已生成 {len(result.runs)} 张报表，共 {rows:,} 行，节省人工约 {minutes / 60:.1f} 小时"
        + (f"；{len(result.skipped)} 张未生成（见压缩包内说明）" if result.skipped else "")
        + "。",
        "reports": len(result.runs),
        "rows": rows,
        "minutes_saved": minutes,
        "skipped": [list(s) for s in result.skipped],
    }


@jobs.register("refresh_tags", title="重新计算规则标签", roles=("district_admin",))
def refresh_tags(ctx: jobs.JobContext) -> dict:
    """Every rule tag of every entity, in one transaction."""
    ctx.progress(0.0, "正在重新计算全部规则标签…")
    with db.transaction() as cur:
        counts = tags.refresh_rules(cur)
        db.bump_data_version(cur)
    total = sum(counts.values())
    return {
        "message": f"已重新计算 {len(counts)} 个规则标签，共 {total:,} 条。",
        "tags": len(counts),
        "tagged": total,
    }


@jobs.register("backup", title="备份数据库", roles=("district_admin",), writes=False)
def backup(ctx: jobs.JobContext, *, path: str | None = None, scheduled: bool = False) -> dict:
    """A consistent, checked copy of the whole database (to `path`, or into the backup folder);
    a scheduled one then prunes the folder to 7 daily and 4 weekly backups."""
    origin = "scheduled" if scheduled else ("cli" if ctx.scope.username == "cli" else "manual")
    try:
        result = backups.take(path, kind=origin, username=ctx.scope.username, progress=ctx.progress)
    except backups.BackupError as exc:
        raise jobs.JobError(str(exc)) from exc
    if scheduled:
        removed = backups.prune()
        if removed:
            result["message"] += (
                f"按保留规则（7 天每日 + 4 周每周）删除了 {len(removed)} 个旧备份。"
            )
    return result


# ---------------------------------------------------------------------------------------------
# Command-line work (handed to the console when it runs, run in the CLI process otherwise)


@jobs.register(
    "user_admin", title="用户管理（命令行）", roles=("district_admin",), secret=("password",)
)
def user_admin(
    ctx: jobs.JobContext,
    *,
    action: str,
    username: str | None = None,
    name: str | None = None,
    role: str | None = None,
    org: str | None = None,
    department: str | None = None,
    minutes: int | None = None,
    password: str | None = None,
    clearance: bool | None = None,
) -> dict:
    """The CLI's user commands, done by the console for the caller it checked (ctx.scope)."""
    caller = ctx.scope
    if action == "list":
        users = [
            {
                "username": u["username"],
                "name": u["name"],
                "role": u["role"],
                "org_code": u["org_code"],
                "department": u["department"],
                "state": auth.user_state(u),
            }
            for u in auth.list_users(caller)
        ]
        return {"message": f"共 {len(users)} 个用户。", "users": users}
    if action == "add":
        auth.add_user(caller, username, name, password, role, org, department)
        return {"message": f"已创建用户 {username}（首次登录须修改密码）"}
    if action == "passwd":
        auth.reset_password(caller, username, password)
        return {"message": f"已重置 {username} 的密码，其会话已结束，下次登录须修改密码"}
    if action == "lock":
        until = auth.lock_user(caller, username, minutes=minutes or 60)
        return {"message": f"已锁定 {username} 至 {until:%Y-%m-%d %H:%M}"}
    if action == "unlock":
        auth.unlock_user(caller, username)
        return {"message": f"已解锁 {username}"}
    if action in ("deactivate", "reactivate"):
        auth.set_active(caller, username, action == "reactivate")
        return {"message": f"已{'启用' if action == 'reactivate' else '停用'} {username}"}
    if action == "update":
        user = auth.get_user(username) or {}
        changes = auth.update_user(
            caller,
            username,
            role=role or user.get("role"),
            org_code=org or user.get("org_code"),
            department=user.get("department") if department is None else department,
            clearance=user.get("clearance") if clearance is None else clearance,
        )
        return {"message": "；".join(changes) if changes else "没有变化"}
    raise jobs.JobError(f"未知的用户操作：{action}")


@jobs.register("report", title="生成报表（命令行）", roles=("district_admin",), writes=False)
def report(
    ctx: jobs.JobContext, *, code: str, org: str, out: str, masked: bool = False, user: str = "cli"
) -> dict:
    """One report of a unit to a file; `user` is the name the run log records."""
    org = ctx.scope.narrow(org)
    if catalog.org_unit(org) is None:
        raise jobs.JobError(f"未知的组织机构代码“{org}”")
    scope = Scope(user, "district_admin", org, clearance=not masked, name=user)
    ctx.progress(0.0, f"正在生成 {code}…")
    run = reports.generate(scope, code, out, org_code=org)
    return {
        "message": f"已生成 {out}：{run.name}（第 {run.version} 版）{run.rows} 行，"
        f"用时 {run.seconds:.2f} 秒，{'已脱敏' if run.masked else '未脱敏'}，"
        f"SHA-256 {run.file_hash[:16]}…",
        "rows": run.rows,
    }


@jobs.register(
    "report_list", title="列出报表模板（命令行）", roles=("district_admin",), writes=False
)
def report_list(ctx: jobs.JobContext, *, department: str | None = None) -> dict:
    rows = [
        [t["code"], t["version"], t["department_name"], t["name"]]
        for t in reports.templates(ctx.scope, department=department)
    ]
    return {"message": f"共 {len(rows)} 张模板。", "templates": rows}
