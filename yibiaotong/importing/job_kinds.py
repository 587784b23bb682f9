"""数据回流 as console jobs: preview, commit and undo of a batch (the page submits them and follows
their progress; closing the tab loses nothing), and a whole file handed over by the CLI."""

from __future__ import annotations

from pathlib import Path

from yibiaotong import jobs
from yibiaotong.importing import commit, stage, undo

ROLES = ("district_admin", "dept_staff")


def _mapping(chosen: dict) -> dict[int, str | None]:
    """JSON keeps column numbers as strings."""
    return {int(k): v for k, v in chosen.items()}


def _actions(summary: stage.Summary) -> str:
    return "，".join(
        f"{stage.ACTIONS.get(k, k)} {v:,}" for k, v in sorted(summary.actions.items()) if v
    )


@jobs.register("import_preview", title="数据回流：预览", roles=ROLES, writes=False)
def import_preview(
    ctx: jobs.JobContext,
    *,
    batch_id: str,
    chosen: dict,
    roster_tag: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> dict:
    summary = stage.preview(
        ctx.scope,
        batch_id,
        _mapping(chosen),
        roster_tag=roster_tag,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        progress=ctx.progress,
    )
    return {"message": f"预览完成：{_actions(summary)}。请核对后确认写入。", "batch_id": batch_id}


@jobs.register("import_commit", title="数据回流：写入", roles=ROLES)
def import_commit(
    ctx: jobs.JobContext, *, batch_id: str, with_address_households: bool = False
) -> dict:
    written = commit.commit(
        ctx.scope,
        batch_id,
        with_address_households=with_address_households,
        progress=ctx.progress,
    )["written"]
    return {
        "message": f"已写入：新增 {written.get('inserted', 0):,}，更新字段 "
        f"{written.get('fields_changed', 0):,}，待审核 {written.get('review', 0):,}。",
        "batch_id": batch_id,
        "written": written,
    }


@jobs.register("import_undo", title="数据回流：撤销", roles=ROLES)
def import_undo(ctx: jobs.JobContext, *, batch_id: str) -> dict:
    result = undo.undo(ctx.scope, batch_id, progress=ctx.progress)
    return {
        "message": f"已撤销：恢复字段 {result['fields_restored']:,}，删除新增 "
        f"{result['records_removed']:,}，待审核 {result['fields_for_review']:,}。",
        "batch_id": batch_id,
        "undone": result,
    }


@jobs.register("import_file", title="数据回流：导入文件", roles=ROLES)
def import_file(
    ctx: jobs.JobContext,
    *,
    path: str,
    source: str,
    overrides: dict | None = None,
    mapping: dict | None = None,
    roster_tag: str | None = None,
    default_org: str | None = None,
    with_address_households: bool = False,
    dry_run: bool = False,
) -> dict:
    """A whole file as the CLI runs it: read, map (the mapper's proposal with the caller's
    corrections by header), preview and, unless a dry run, commit."""
    overrides = overrides or {}
    file = Path(path)
    batch_id, result = stage.upload(ctx.scope, file, file.name, source, default_org, **overrides)
    chosen = {c.index: c.target for c in result.columns}
    by_header = {c.header: c.index for c in result.columns}
    for header, target in (mapping or {}).items():
        if header not in by_header:
            raise stage.ImportError_(f"文件里没有名为“{header}”的列。")
        chosen[by_header[header]] = target
    summary = stage.preview(
        ctx.scope,
        batch_id,
        chosen,
        roster_tag=roster_tag,
        progress=lambda f, step: ctx.progress(f * (1.0 if dry_run else 0.5), step),
        **overrides,
    )
    out = {"batch_id": batch_id, "actions": summary.actions, "rejects": summary.rejects}
    if dry_run:
        out["message"] = f"预览完成（未写入）：{_actions(summary)}。批次 {batch_id}。"
        return out
    written = commit.commit(
        ctx.scope,
        batch_id,
        with_address_households=with_address_households,
        progress=lambda f, step: ctx.progress(0.5 + f / 2, step),
    )["written"]
    out["written"] = written
    out["message"] = (
        f"已写入批次 {batch_id}：新增 {written.get('inserted', 0):,}，更新字段 "
        f"{written.get('fields_changed', 0):,}，待审核 {written.get('review', 0):,}。"
    )
    return out
