"""`yibiaotong import FILE --source CODE`: the same engine as the 数据回流 page, on the command
line — read, show the mapping, preview, and (unless --dry-run) commit."""

from __future__ import annotations

import sys
from pathlib import Path

from yibiaotong import auth, catalog, db
from yibiaotong.importing import commit, rejects, sources, stage
from yibiaotong.importing.batches import ImportError_
from yibiaotong.scope import AccessDenied, Scope

DISTRICT = "330102"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "import",
        help="数据回流：导入部门回流文件（CSV/XLSX/XLS）",
        description="读取文件、显示字段对应和预览，确认无误后写入台账（--dry-run 只预览）。",
    )
    p.add_argument("file", help="CSV、XLSX 或 XLS 文件")
    p.add_argument("--source", help="数据来源编码（--list-sources 查看）")
    p.add_argument("--sheet", help="工作表名称（默认第一个）")
    p.add_argument("--encoding", help="覆盖自动识别的编码，如 gb18030、utf-8")
    p.add_argument("--delimiter", help="覆盖自动识别的分隔符，如 ';' 或 'tab'")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="列名=字段",
        help="指定或更正一列的对应（字段编码、org、household_no、tag、attr 或留空表示不导入）",
    )
    p.add_argument("--roster", help="本文件是该导入标签的完整名册（名册外的人结束该标签）")
    p.add_argument("--org", help="无法定位的行默认落到该组织单位（网格编码最佳）")
    p.add_argument("--households-by-address", action="store_true", help="确认按地址组户的建议")
    p.add_argument("--user", help="以该用户的身份和辖区导入（默认区数据局管理员）")
    p.add_argument("--rejects", help="把拒绝清单写到该 .xlsx 文件")
    p.add_argument("--dry-run", action="store_true", help="只预览，不写入")
    p.add_argument("--list-sources", action="store_true", help="列出回流数据来源")
    p.set_defaults(func=run)


def _scope(args) -> Scope:
    if args.user:
        scope = auth.scope_for(args.user)
        if scope is None:
            raise ImportError_(f"用户“{args.user}”不存在或已停用。")
        return scope
    return Scope("cli", "district_admin", DISTRICT, clearance=True, name="命令行")


def _progress(fraction: float, step: str) -> None:
    width = 30
    done = int(width * max(0.0, min(1.0, fraction)))
    sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {fraction:5.0%} {step:<12}")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _mapping(result: stage.ReadResult, overrides: list[str]) -> dict[int, str | None]:
    chosen = {c.index: c.target for c in result.columns}
    by_header = {c.header: c.index for c in result.columns}
    for item in overrides:
        header, _, target = item.partition("=")
        if header.strip() not in by_header:
            raise ImportError_(f"文件里没有名为“{header.strip()}”的列。")
        chosen[by_header[header.strip()]] = target.strip() or None
    return chosen


def _print_columns(result: stage.ReadResult, chosen: dict[int, str | None]) -> None:
    print(result.info.describe())
    for c in result.columns:
        target = chosen.get(c.index)
        label = result.targets.get(target, target) if target else "（不导入）"
        sample = "、".join(s for s in c.samples[:3] if s)[:40]
        note = c.note or (c.match.reason if c.match else "")
        print(
            f"  {c.header or f'第{c.index + 1}列':<14} → {label:<18} {note[:30]:<30} 例：{sample}"
        )


def _print_summary(summary: stage.Summary) -> None:
    actions = "，".join(
        f"{stage.ACTIONS.get(k, k)} {v:,}" for k, v in sorted(summary.actions.items())
    )
    print(f"预览：{actions or '无数据行'}")
    if summary.changes:
        print("字段变化：" + "，".join(f"{k} {v:,}" for k, v in summary.changes.items()))
    rules = {k: v for k, v in summary.rules.items() if v}
    if rules:
        print("清洗：" + "，".join(f"{stage.RULES.get(k, k)} {v:,}" for k, v in rules.items()))
    if summary.tags:
        print(
            "标签："
            + "，".join(
                f"{'设置' if k == 'set' else '结束'} {v:,}" for k, v in summary.tags.items()
            )
        )
    share = summary.auto_placed_share
    if share is not None:
        print(f"自动落地比例：{share:.1%}")
    if summary.rejects:
        print(f"拒绝 {summary.rejects:,} 行（原因见拒绝清单）")


def run(args) -> int:
    try:
        if args.list_sources:
            for s in sources.sources(importable_only=True):
                tags = "、".join(s.tags)
                print(f"{s.code:<26} {s.name:<18} {s.department_name or '':<12} {tags}")
            return 0
        if not args.source:
            print("错误：请用 --source 指定数据来源（--list-sources 查看）", file=sys.stderr)
            return 2
        path = Path(args.file)
        if not path.is_file():
            print(f"错误：找不到文件 {path}", file=sys.stderr)
            return 2
        if args.org and catalog.org_unit(args.org) is None:
            print(f"错误：未知的组织机构代码“{args.org}”", file=sys.stderr)
            return 2
        scope = _scope(args)
        delimiter = "\t" if args.delimiter == "tab" else args.delimiter
        overrides = {"encoding": args.encoding, "delimiter": delimiter, "sheet": args.sheet}
        batch_id, result = stage.upload(scope, path, path.name, args.source, args.org, **overrides)
        chosen = _mapping(result, args.map)
        _print_columns(result, chosen)
        summary = stage.preview(
            scope, batch_id, chosen, roster_tag=args.roster, progress=_progress, **overrides
        )
        _print_summary(summary)
        if args.rejects and summary.rejects:
            rejects.write_report(scope, batch_id, args.rejects)
            print(f"拒绝清单：{args.rejects}")
        if args.dry_run:
            print(f"只预览，未写入。批次 {batch_id}（可在控制台“数据回流”页面确认写入）")
            return 0
        written = commit.commit(
            scope,
            batch_id,
            with_address_households=args.households_by_address,
            progress=_progress,
        )["written"]
        print(
            f"已写入批次 {batch_id}：新增 {written.get('inserted', 0):,}，"
            f"更新字段 {written.get('fields_changed', 0):,}，待审核 {written.get('review', 0):,}"
        )
        return 0
    except (ImportError_, AccessDenied) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except db.DatabaseLockedError:
        print(
            "错误：控制台正在运行，命令行不能同时打开数据库。请在控制台的“数据回流”页面上传该文件"
            "（进度在页面和“任务”中可见），或先停止控制台再运行本命令。",
            file=sys.stderr,
        )
        return 2
