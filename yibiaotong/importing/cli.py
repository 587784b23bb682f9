"""`yibiaotong import FILE --source CODE`: the same engine as the 数据回流 page, on the command
line — read, map, preview, and (unless --dry-run) commit. It runs as the `import_file` job: handed
to the console when one runs (the console owns the database file), else in this process; either
way the progress is shown and the mapping, preview and result are printed."""

from __future__ import annotations

import sys
from pathlib import Path

from yibiaotong import cli as main_cli
from yibiaotong.importing import sources, stage


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


def _print_result(result: dict) -> None:
    print(result["file"])
    for header, label, note in result["columns"]:
        print(f"  {header:<14} → {label:<18} {note[:40]}")
    preview = result["preview"]
    actions = "，".join(
        f"{stage.ACTIONS.get(k, k)} {v:,}" for k, v in sorted(preview["actions"].items())
    )
    print(f"预览：{actions or '无数据行'}")
    if preview["changes"]:
        print("字段变化：" + "，".join(f"{k} {v:,}" for k, v in preview["changes"].items()))
    rules = {k: v for k, v in preview["rules"].items() if v}
    if rules:
        print("清洗：" + "，".join(f"{stage.RULES.get(k, k)} {v:,}" for k, v in rules.items()))
    if preview["tags"]:
        print(
            "标签："
            + "，".join(
                f"{'设置' if k == 'set' else '结束'} {v:,}" for k, v in preview["tags"].items()
            )
        )
    if preview["placed_share"] is not None:
        print(f"自动落地比例：{preview['placed_share']:.1%}")
    if preview["rejects"]:
        print(f"拒绝 {preview['rejects']:,} 行（原因见拒绝清单）")
    if result.get("rejects_file"):
        print(f"拒绝清单：{result['rejects_file']}")
    print(result["message"])


def _list_sources() -> int:
    """From the catalogue file: works while the console holds the database."""
    for s in sources.read_sources():
        if s["importable"]:
            print(
                f"{s['code']:<26} {s['name']:<18} {s['department'] or '':<12} {'、'.join(s['tags'])}"
            )
    return 0


def run(args) -> int:
    if args.list_sources:
        return _list_sources()
    if not args.source:
        print("错误：请用 --source 指定数据来源（--list-sources 查看）", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    mapping = {}
    for item in args.map:
        header, _, target = item.partition("=")
        mapping[header.strip()] = target.strip() or None
    result = main_cli.run_job(
        "import_file",
        path=str(path.resolve()),
        source=args.source,
        overrides={
            "encoding": args.encoding,
            "delimiter": "\t" if args.delimiter == "tab" else args.delimiter,
            "sheet": args.sheet,
        },
        mapping=mapping,
        roster_tag=args.roster,
        default_org=args.org,
        with_address_households=args.households_by_address,
        dry_run=args.dry_run,
        user=args.user,
        rejects_path=str(Path(args.rejects).resolve()) if args.rejects else None,
    )
    if result is None:
        return 2
    _print_result(result)
    return 0
