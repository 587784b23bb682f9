"""The console's own job kinds: a reports batch, a full tag refresh, a backup."""

from __future__ import annotations

import os
from datetime import datetime

from yibiaotong import catalog, db, jobs, maintenance, reports, tags
from yibiaotong.scope import ROLES

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
def backup(ctx: jobs.JobContext, *, path: str | None = None) -> dict:
    """A consistent copy of the whole database (to `path`, or into the backup folder)."""
    ctx.progress(0.0, "正在备份…")
    target = maintenance.backup(path or maintenance.default_target())
    return {"message": f"已备份到 {target}", "path": str(target)}
