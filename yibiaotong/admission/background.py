"""Consolidating a pile of forms runs as a job: 500 forms take a minute and the page may close."""

from __future__ import annotations

from yibiaotong import jobs
from yibiaotong.admission import consolidation


@jobs.register(
    "consolidate_forms",
    title="表单归并",
    roles=("district_admin",),
    writes=True,
    secret=("files",),  # the uploaded workbooks are handed over in memory, never stored
)
def consolidate_forms(
    ctx: jobs.JobContext, *, name: str, department: str | None = None, files: list
) -> dict:
    """Read and map every form, store the pile in one transaction; the result names the pile."""

    def progress(done: int, total: int, member: str) -> None:
        ctx.check_cancelled()
        step = f"正在读取 {done + 1}/{total}：{member}" if member else "正在合并字段…"
        ctx.progress(0.9 * done / total if total else 0.9, step)

    pile_id = consolidation.analyse(ctx.scope, files, name, department, progress)
    result = consolidation.load(ctx.scope, pile_id)
    return {
        "message": f"第 {pile_id} 批：{result.reduction()}；未读取 {len(result.skipped)} 个文件或工作表。",
        "pile_id": pile_id,
        "forms": len(result.forms),
        "headers": result.headers,
        "distinct_fields": result.distinct,
        "held_fields": result.in_ledger,
        "unread": [[r["file_name"], r["reason"]] for r in result.skipped],
    }
