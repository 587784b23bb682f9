"""Command line: init, user management, backup, reports, bench. Shares db.py with the console;
while a console runs, work on its database is handed to it (console.hand_over)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import time
from pathlib import Path

from yibiaotong import auth, config, db
from yibiaotong.backups import BackupError
from yibiaotong.scope import ROLES, AccessDenied


def _progress_bar() -> callable:
    started = time.perf_counter()

    def show(step: str, fraction: float) -> None:
        width = 30
        done = int(width * max(0.0, min(1.0, fraction)))
        elapsed = time.perf_counter() - started
        line = f"\r[{'#' * done}{'.' * (width - done)}] {fraction:5.0%} {elapsed:6.1f}s {step:<24}"
        sys.stderr.write(line)
        if fraction >= 1:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def run_job(kind: str, **params) -> dict | None:
    """Run one job for the command line: handed over to the running console (which owns the
    database file), or here when no console runs. Prints progress; returns the job's result, or
    None after printing why it failed."""
    from yibiaotong import console, jobs

    bar = _progress_bar()
    shown = {"step": None}

    def progress(fraction: float, step: str) -> None:
        if step != shown["step"] or fraction >= 1:
            shown["step"] = step
            bar(step, fraction)

    info = console.running_console()
    if info is not None:
        print(
            f"控制台正在运行（PID {info.get('pid', '?')}），已把任务交给控制台执行。",
            file=sys.stderr,
        )
        try:
            row = console.hand_over(kind, params, on_progress=progress)
        except console.ConsoleError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return None
    else:
        db.migrate()  # as the console does at its start; the catalogue waits for `init`
        row = jobs.run_inline(console.cli_scope(), kind, on_progress=progress, **params)
    if shown["step"] is not None:
        if row.get("state") == "done":
            bar("已完成", 1.0)
        else:
            sys.stderr.write("\n")
    if row.get("state") != "done":
        print(f"错误：{row.get('message') or '任务未完成'}", file=sys.stderr)
        return None
    return row.get("result") or {}


def _done(result: dict | None) -> int:
    if result is None:
        return 2
    if result.get("message"):
        print(result["message"])
    return 0


def _read_password(prompt: str) -> str:
    """Asked twice on a terminal; otherwise one line of standard input (`echo pw | yibiaotong …`).
    Never an argument: command lines end up in shell history and process lists."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("再次输入：") != first:
        raise auth.AuthError("两次输入的密码不一致。")
    return first


def _cmd_init(args) -> int:
    from yibiaotong import bootstrap, console

    if (info := console.running_console()) is not None:
        print(
            f"错误：控制台正在运行（PID {info.get('pid', '?')}）。控制台启动时已应用新的迁移和目录版本；"
            "如需重建数据库，请先停止控制台。",
            file=sys.stderr,
        )
        return 2
    admin = None
    if args.admin:
        password = _read_password(f"区数据局管理员 {args.admin} 的密码：")
        admin = (args.admin, args.admin_name or args.admin, password)
    residents = args.residents if args.residents is not None else (0 if admin else 50_000)
    report = bootstrap.initialise(
        residents, force=args.force, progress=_progress_bar(), admin=admin
    )
    print(f"数据库：{report['db']}")
    if report["migrations"]:
        print(f"已应用迁移：{', '.join(report['migrations'])}")
    print("参考目录：" + "，".join(f"{k} {v}" for k, v in report["catalog"].items()))
    if "demo" in report:
        print(f"演示数据：{report['demo']}，用时 {report['demo_seconds']} 秒")
        print(f"规则标签已计算，用时 {report['tag_refresh_seconds']} 秒")
    if report["demo_users"]:
        print(f"已创建演示账号：{', '.join(report['demo_users'])}（密码见 README，仅供演示）")
    if "admin" in report:
        print(f"正式库：已创建区数据局管理员 {report['admin']}，没有其他账号。")
    if report["install_kind"] == "demo":
        print("这是演示库：数据是虚构的，账号密码是公开的，请勿录入真实信息。")
    elif not report["accounts"]:
        print("尚无任何账号。正式使用请运行：yibiaotong init --admin 用户名（密码随后输入）")
    if report["cookie_key_created"]:
        print(f"已生成 Cookie 签名密钥：{config.secret_key_path().name}（勿提交到 git）")
    return 0


def _cmd_user(args) -> int:
    if args.user_cmd == "list":
        result = run_job("user_admin", action="list")
        if result is None:
            return 2
        for u in result["users"]:
            print(
                f"{u['username']:<16} {u['name']:<6} {ROLES[u['role']]:<8} {u['org_code']:<16} "
                f"{u['department'] or '-':<10} {u['state']}"
            )
        return 0
    if args.user_cmd == "add":
        password = _read_password(f"{args.username} 的初始密码：")
        return _done(
            run_job(
                "user_admin",
                action="add",
                username=args.username,
                name=args.name,
                role=args.role,
                org=args.org,
                department=args.department,
                password=password,
            )
        )
    if args.user_cmd == "passwd":
        password = _read_password(f"{args.username} 的新密码：")
        return _done(
            run_job("user_admin", action="passwd", username=args.username, password=password)
        )
    if args.user_cmd == "lock":
        return _done(
            run_job("user_admin", action="lock", username=args.username, minutes=args.minutes)
        )
    if args.user_cmd == "update":
        return _done(
            run_job(
                "user_admin",
                action="update",
                username=args.username,
                role=args.role,
                org=args.org,
                department=args.department,
                clearance=None if args.clearance is None else args.clearance == "yes",
            )
        )
    # unlock, deactivate, reactivate
    return _done(run_job("user_admin", action=args.user_cmd, username=args.username))


def _cmd_backup(args) -> int:
    return _done(run_job("backup", path=str(Path(args.path).resolve())))


def _cmd_restore(args) -> int:
    from yibiaotong import backups, console

    if args.check:
        manifest = backups.check(args.path)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        print(
            f"备份完整：{len(manifest['tables'])} 张表，{rows:,} 行，备份于 {manifest['created']}，"
            "文件校验和与逐表内容均与备份时一致。"
        )
        return 0
    if (info := console.running_console()) is not None:
        print(
            f"错误：控制台正在运行（PID {info.get('pid', '?')}）。恢复会替换它正在使用的数据库文件，"
            "请先停止控制台，再运行 restore。",
            file=sys.stderr,
        )
        return 2
    if not args.yes:
        answer = input(f"将用 {args.path} 替换当前数据库（当前文件会先另存）。输入 yes 确认：")
        if answer.strip().lower() != "yes":
            print("已取消，未做任何修改。")
            return 1
    print(backups.restore(args.path)["message"])
    return 0


def _cmd_report(args) -> int:
    if args.list:
        result = run_job("report_list", department=args.department)
        if result is None:
            return 2
        for code, version, department, name in result["templates"]:
            print(f"{code:<28} v{version:<3} {department:<12} {name}")
        return 0
    if not args.code or not args.org or not args.out:
        print("错误：需要 CODE、--org 与 --out（或用 --list 列出模板）", file=sys.stderr)
        return 2
    if not args.org.isdigit():
        print(f"错误：未知的组织机构代码“{args.org}”", file=sys.stderr)
        return 2
    # The CLI acts for the district data office; --masked writes what an uncleared role sees.
    return _done(
        run_job(
            "report",
            code=args.code,
            org=args.org,
            out=str(Path(args.out).resolve()),
            masked=args.masked,
            user=args.user,
        )
    )


def _cmd_refresh_tags(args) -> int:
    return _done(run_job("refresh_tags"))


def _cmd_bench(args) -> int:
    from yibiaotong import benchmarks

    only = args.only.split(",") if args.only else None
    return benchmarks.main(residents=args.residents, out=args.out, only=only)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yibiaotong", description="一表通 命令行")
    parser.add_argument("--db", help="DuckDB 文件路径（默认 data/yibiaotong.duckdb）")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("init", help="建库、加载参考目录；演示库或正式库（--admin）")
    p.add_argument(
        "--residents", type=int, help="演示人口数（默认 50000；0 = 仅参考目录；正式库不可用）"
    )
    p.add_argument("--admin", metavar="USERNAME", help="正式库：创建唯一的区数据局管理员")
    p.add_argument("--admin-name", help="管理员姓名（默认同用户名）")
    p.add_argument("--force", action="store_true", help="删除已有数据库后重建")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("user", help="用户管理")
    us = p.add_subparsers(dest="user_cmd", required=True)
    us.add_parser("list", help="列出用户")
    a = us.add_parser("add", help="新增用户（密码从提示或标准输入读取，首次登录须修改）")
    a.add_argument("username")
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=list(ROLES))
    a.add_argument("--org", required=True, help="组织机构代码")
    a.add_argument("--department")
    a = us.add_parser("passwd", help="重置密码（从提示或标准输入读取）")
    a.add_argument("username")
    a = us.add_parser("lock", help="临时锁定账户")
    a.add_argument("username")
    a.add_argument("--minutes", type=int, default=60, help="锁定分钟数（默认 60，最长 7 天）")
    a = us.add_parser("unlock", help="解锁账户并清除登录失败记录")
    a.add_argument("username")
    for cmd, text in (("deactivate", "停用账户"), ("reactivate", "启用账户")):
        us.add_parser(cmd, help=text).add_argument("username")
    a = us.add_parser("update", help="修改角色、辖区、部门、敏感信息权限")
    a.add_argument("username")
    a.add_argument("--role", choices=list(ROLES))
    a.add_argument("--org", help="组织机构代码")
    a.add_argument("--department", help="部门代码（空字符串 = 无）")
    a.add_argument("--clearance", choices=["yes", "no"], help="可否查看敏感信息")
    p.set_defaults(func=_cmd_user)

    p = sub.add_parser("backup", help="在线一致性备份到新的 DuckDB 文件，并逐表校验")
    p.add_argument("path")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("restore", help="检查备份并恢复（控制台需先停止；当前文件先另存）")
    p.add_argument("path", help="备份文件（旁边须有同名 .json 校验清单）")
    p.add_argument("--check", action="store_true", help="只检查备份是否完整，不恢复")
    p.add_argument("--yes", action="store_true", help="不再询问，直接恢复")
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("report", help="生成一张报表")
    p.add_argument("code", nargs="?", help="报表模板编码，如 mz_elderly_allowance")
    p.add_argument("--org", help="组织机构代码（街道、社区或网格）")
    p.add_argument("--out", help="输出 .xlsx 文件")
    p.add_argument("--masked", action="store_true", help="敏感信息脱敏")
    p.add_argument("--user", default="cli", help="记入运行日志的用户名（默认 cli）")
    p.add_argument("--list", action="store_true", help="列出在用的报表模板")
    p.add_argument("--department", help="与 --list 合用：只列出该部门")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("refresh-tags", help="重新计算全部规则标签")
    p.set_defaults(func=_cmd_refresh_tags)

    from yibiaotong.importing import cli as import_cli

    import_cli.add_parser(sub)

    p = sub.add_parser("bench", help="性能基准（默认 900 万人口）")
    p.add_argument("--residents", type=int, default=9_000_000)
    p.add_argument("--out", default="bench/results.json")
    p.add_argument(
        "--only", help="只运行这些部分（逗号分隔，如 load 或 ledger,tags），其余结果保留"
    )
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.db:
        os.environ["YIBIAOTONG_DB"] = args.db
    # Details of failures go to a log file beside the database, not onto the operator's screen.
    log_file = config.beside_db(".cli.log")
    if log_file.parent.is_dir():
        logging.basicConfig(filename=log_file, level=logging.WARNING, force=True)
    try:
        return args.func(args)
    except (auth.AuthError, AccessDenied, db.DatabaseUnavailable, BackupError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    finally:
        db.close_all()
