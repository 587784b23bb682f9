"""Backups proven by checks, and restores that check before they replace anything.

A backup is a consistent copy made inside the process that owns the file (`COPY FROM DATABASE`
in one read transaction). In that same transaction every table's rows and content hash are
taken; the copy is then opened on its own and must give the same figures, or it is deleted.
What was checked is kept beside the copy as `<file>.json` (with the file's SHA-256), so a
restore can refuse a corrupt or truncated file before touching the live one. Backup files and
manifests are mode 600 in a folder of mode 700, with a copy of the cookie key beside them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from yibiaotong import config, db

MANIFEST_FORMAT = 1
_STAMPED = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.duckdb$")


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why in Chinese."""


# ---------------------------------------------------------------------------------------------
# Digests: what a database holds, table by table


def digest(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rows and content hash of every table, the indexes and the schema version."""
    tables = {}
    for (name,) in db.run(cur, "backups/tables").fetchall():
        rows, content = db.run(cur, "backups/table_digest", table=name).fetchone()
        tables[name] = {"rows": rows, "hash": content}
    return {
        "tables": tables,
        "indexes": [name for (name,) in db.run(cur, "backups/indexes").fetchall()],
        "schema_version": db.run(cur, "backups/schema_version").fetchone()[0],
    }


def digest_file(path: Path) -> dict[str, Any]:
    """Digest of a database file opened read-only beside the live one (never the live file)."""
    try:
        con = duckdb.connect(
            str(path),
            read_only=True,
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": config.threads(),
            },
        )
    except duckdb.Error as exc:
        raise BackupError(
            f"文件 {path.name} 不是可以打开的数据库（已损坏或不完整）：{exc}"
        ) from exc
    try:
        with con.cursor() as cur:
            return digest(cur)
    except duckdb.Error as exc:
        raise BackupError(f"文件 {path.name} 读取失败（已损坏或不完整）：{exc}") from exc
    finally:
        con.close()


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What differs between two digests, in Chinese (empty when they agree)."""
    problems = []
    for name, want in expected["tables"].items():
        got = actual["tables"].get(name)
        if got is None:
            problems.append(f"缺少表 {name}")
        elif got["rows"] != want["rows"]:
            problems.append(f"表 {name} 行数 {got['rows']:,}，应为 {want['rows']:,}")
        elif got["hash"] != want["hash"]:
            problems.append(f"表 {name} 内容不一致")
    problems += [f"多出表 {name}" for name in actual["tables"].keys() - expected["tables"].keys()]
    if missing := set(expected["indexes"]) - set(actual["indexes"]):
        problems.append(f"缺少索引 {'、'.join(sorted(missing))}")
    return problems


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Taking a backup


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def key_beside(folder: Path, stem: str) -> Path:
    """The copy of the cookie key kept with the backups (never the live key's own name, even
    when backups are written beside the database)."""
    return folder / f"{stem}.cookie_key.backup"


def default_target(now: datetime | None = None) -> Path:
    """A new file in the backup folder, named by the time it is taken."""
    folder = config.backup_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{config.db_path().stem}-{now or datetime.now():%Y%m%d-%H%M%S}.duckdb"


def _live_bytes() -> int:
    live = config.db_path()
    wal = live.with_name(live.name + ".wal")
    return sum(p.stat().st_size for p in (live, wal) if p.exists())


def _reason(exc: BaseException, target: Path, what: str = "备份") -> str:
    """Why a backup (or restore) failed, as a clerk can read it."""
    if isinstance(exc, BackupError):
        return str(exc)
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "No space left" in text:
        return f"{target.parent} 所在磁盘空间不足，{what}未完成，不完整的文件已删除。"
    if code == errno.EFBIG or "File too large" in text:
        return f"文件超出 {target.parent} 允许的大小，{what}未完成，不完整的文件已删除。"
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or "Permission denied" in text:
        return f"没有写入 {target.parent} 的权限，{what}未完成。"
    return f"{what}未完成：{text}"


def _check_target(target: Path) -> None:
    if target.exists():
        raise BackupError(f"备份文件已存在：{target}。不会覆盖已有文件，请换一个文件名。")
    if not target.parent.is_dir():
        raise BackupError(f"目录不存在：{target.parent}")
    if not os.access(target.parent, os.W_OK):
        raise BackupError(f"没有写入 {target.parent} 的权限，备份未完成。")
    if target.resolve() == config.db_path().resolve():
        raise BackupError("备份目标不能是数据库文件本身。")


def _literal(path: Path) -> str:
    # ATTACH takes no parameters; the path is ours (a resolved file name), quoted as a literal.
    return "'" + str(path).replace("'", "''") + "'"


def _copy(work: Path) -> dict[str, Any]:
    """COPY FROM DATABASE into `work`; returns the digest of the snapshot that was copied."""
    with db.cursor() as cur:
        source = cur.execute("select current_database()").fetchone()[0]
        cur.execute("begin transaction")
        try:
            cur.execute(f"attach {_literal(work)} as yb_backup")
            cur.execute(f'copy from database "{source}" to yb_backup')
            expected = digest(cur)  # the same snapshot the copy read
            cur.execute("commit")
        except BaseException:
            for statement in ("rollback", "detach yb_backup"):
                with contextlib.suppress(duckdb.Error):
                    cur.execute(statement)
            raise
        cur.execute("detach yb_backup")  # its checkpoint writes the copy out: may meet a full disk
    return expected


def _remove(*paths: Path) -> None:
    for path in paths:
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)


def take(
    target: str | Path | None = None,
    *,
    kind: str = "manual",
    username: str = "system",
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Copy the whole database, check the copy against the snapshot it was made from, keep the
    manifest and the cookie key beside it, record the attempt; BackupError (Chinese) on failure.
    The live file is only read."""
    say = progress or (lambda fraction, step: None)
    started = datetime.now()
    target = Path(target).expanduser().resolve() if target else default_target(started)
    work = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    record: dict[str, Any] = {
        "id": f"{started:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}",
        "path": str(target),
        "kind": kind,
        "username": username,
        "started_at": started,
        "source_bytes": _live_bytes(),
        "backup_bytes": None,
        "tables": None,
        "total_rows": None,
        "manifest": None,
    }
    try:
        _check_target(target)
        try:
            say(0.05, "正在复制数据库…")
            expected = _copy(work)
            os.chmod(work, 0o600)
            say(0.6, "正在校验备份（逐表核对行数和内容）…")
            problems = differences(expected, digest_file(work))
            if problems:
                raise BackupError("备份校验失败，已删除该备份：" + "；".join(problems[:5]))
            manifest = {
                "format": MANIFEST_FORMAT,
                "source": config.db_path().stem,
                "created": started.isoformat(timespec="seconds"),
                "duckdb": duckdb.__version__,
                "size": work.stat().st_size,
                "sha256": sha256(work),
                **expected,
            }
            _write_private(manifest_path(target), json.dumps(manifest, ensure_ascii=False))
            os.replace(work, target)
        except BaseException:
            _remove(work)
            manifest_path(target).unlink(missing_ok=True)
            raise
        _keep_key_beside(target.parent)
    except (BackupError, OSError, duckdb.Error) as exc:
        message = _reason(exc, target)
        _record(record, ok=False, message=message)
        raise BackupError(message) from exc
    rows = sum(t["rows"] for t in expected["tables"].values())
    message = (
        f"已备份到 {_shown(target)}（{len(expected['tables'])} 张表，{rows:,} 行，"
        f"{manifest['size'] / 1e6:.1f} MB），逐表校验一致。"
    )
    record.update(
        backup_bytes=manifest["size"],
        tables=len(expected["tables"]),
        total_rows=rows,
        manifest=json.dumps(manifest, ensure_ascii=False),
    )
    _record(record, ok=True, message=message)
    say(1.0, "备份完成")
    return {"message": message, "path": str(target), "rows": rows, "size": manifest["size"]}


def _shown(target: Path) -> str:
    """How a backup is named on pages: its file name inside the backup folder (the server's
    folder layout stays off the screen); a target an admin chose by path keeps the full path."""
    if target.parent.resolve() == config.backup_dir().resolve():
        return f"备份目录的 {target.name}"
    return str(target)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _keep_key_beside(folder: Path) -> None:
    """The cookie key travels with the backups: a restore on a new machine needs it."""
    key = config.secret_key_path()
    beside = key_beside(folder, config.db_path().stem)
    if key.exists() and (not beside.exists() or beside.read_bytes() != key.read_bytes()):
        _write_private(beside, key.read_text(encoding="utf-8"))


def _record(record: dict[str, Any], *, ok: bool, message: str) -> None:
    with db.transaction() as cur:
        db.run(cur, "backups/insert_backup", **record, ok=ok, message=message)


def recent(limit: int = 20) -> list[dict[str, Any]]:
    return db.fetch_dicts("backups/recent_backups", limit=limit)


def last_good(kind: str | None = None) -> datetime | None:
    return db.fetch_value("backups/last_backup", kind=kind, ok=True)


# ---------------------------------------------------------------------------------------------
# Schedule and retention


RETRY_AFTER = timedelta(hours=1)


def due(now: datetime | None = None) -> bool:
    """A scheduled backup is due when the last good one is older than the interval (and a
    failed attempt, e.g. a full disk, is retried after an hour, not every minute)."""
    hours = config.backup_hours()
    if hours <= 0:
        return False
    now = now or datetime.now()
    last = last_good("scheduled")
    if last is not None and now - last < timedelta(hours=hours):
        return False
    failed = db.fetch_value("backups/last_backup", kind="scheduled", ok=False)
    return failed is None or now - failed >= RETRY_AFTER


def retained(stamps: Iterable[datetime], daily: int = 7, weekly: int = 4) -> set[datetime]:
    """Grandfather-father-son: the newest backup of each of the last `daily` days that have one,
    and of each of the last `weekly` ISO weeks that have one."""
    newest_first = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set()
    for count, key in ((daily, lambda t: t.date()), (weekly, lambda t: t.isocalendar()[:2])):
        seen: list = []
        for stamp in newest_first:
            if key(stamp) not in seen:
                if len(seen) == count:
                    break
                seen.append(key(stamp))
                keep.add(stamp)
    return keep


def prune(folder: Path | None = None) -> list[Path]:
    """Delete this database's stamped backups (and manifests) that retention does not keep."""
    folder = folder or config.backup_dir()
    stem = config.db_path().stem
    files: dict[datetime, Path] = {}
    for path in folder.glob(f"{stem}-*.duckdb"):
        match = _STAMPED.match(path.name)
        if match and match.group("stem") == stem:
            files[datetime.strptime(match.group("stamp"), "%Y%m%d-%H%M%S")] = path
    keep = retained(files)
    removed = []
    for stamp, path in sorted(files.items()):
        if stamp not in keep:
            path.unlink(missing_ok=True)
            manifest_path(path).unlink(missing_ok=True)
            removed.append(path)
    return removed


# ---------------------------------------------------------------------------------------------
# Checking and restoring


def check(path: str | Path) -> dict[str, Any]:
    """Prove a backup whole before it is used: its manifest, size, SHA-256 and every table's
    rows and content hash. Returns the manifest; BackupError (Chinese) otherwise."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    try:
        manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(
            f"找不到校验清单 {manifest_path(path).name}：无法证明这个备份完整，拒绝使用。"
        ) from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"校验清单 {manifest_path(path).name} 无法读取，拒绝使用。") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"校验清单 {manifest_path(path).name} 格式不对，拒绝使用。")
    if path.stat().st_size != manifest["size"] or sha256(path) != manifest["sha256"]:
        raise BackupError(
            f"备份文件 {path.name} 与校验清单不符（大小或校验和不同）：文件已损坏或不完整，拒绝使用。"
        )
    actual = digest_file(path)
    problems = differences(manifest, actual)
    if manifest.get("duckdb") != duckdb.__version__:
        problems = [p for p in problems if "内容不一致" not in p]  # hashes differ across versions
    if problems:
        raise BackupError(f"备份文件 {path.name} 内容校验失败：" + "；".join(problems[:5]))
    return manifest


def restore(path: str | Path, *, username: str = "cli") -> dict[str, Any]:
    """Replace the live database by a checked backup; the current file is kept aside first.
    Run with the console stopped (the caller checks). Returns what was done."""
    path = Path(path).expanduser().resolve()
    manifest = check(path)
    live = config.db_path().resolve()
    if path == live:
        raise BackupError("不能用数据库文件本身恢复。")
    db.close_all()
    live.parent.mkdir(parents=True, exist_ok=True)
    _checkpoint(live)
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    copy = live.with_name(f".{live.name}.restore-{secrets.token_hex(4)}")
    try:
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o600)
        if sha256(copy) != manifest["sha256"]:
            raise BackupError("复制备份时出错（校验和不同），未做任何替换。")
        aside = live.with_name(f"{live.name}.before-restore-{stamp}")
        if live.exists():
            os.link(live, aside)  # the live name keeps pointing at a whole file throughout
            os.chmod(aside, 0o600)
        wal = live.with_name(live.name + ".wal")
        if wal.exists():
            os.replace(wal, aside.with_name(aside.name + ".wal"))
        os.replace(copy, live)
    except OSError as exc:
        raise BackupError(_reason(exc, live, "恢复") + "数据库文件没有被替换。") from exc
    finally:
        copy.unlink(missing_ok=True)
    key = _restore_key(path.parent, manifest["source"])
    rows = sum(t["rows"] for t in manifest["tables"].values())
    detail = f"从 {path} 恢复（备份于 {manifest['created']}，{rows:,} 行）" + (
        f"；原数据库文件保存为 {aside.name}" if aside.exists() else ""
    )
    with db.transaction() as cur:
        db.run(
            cur,
            "auth/insert_access_log",
            username=username,
            action="db_restore",
            detail=detail,
            address=None,
        )
    return {
        "message": f"已{detail}。{key}",
        "aside": str(aside) if aside.exists() else None,
        "rows": rows,
    }


def _checkpoint(live: Path) -> None:
    """Fold the live file's WAL into it, so the file kept aside is whole on its own. A live file
    that no longer opens (the reason for restoring, perhaps) is kept aside as it is."""
    if not live.exists():
        return
    try:
        con = duckdb.connect(str(live))
    except duckdb.Error:
        return
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def _restore_key(folder: Path, stem: str) -> str:
    key = config.secret_key_path()
    if key.exists():
        return "Cookie 签名密钥保持不变。"
    beside = key_beside(folder, stem)
    if beside.exists():
        _write_private(key, beside.read_text(encoding="utf-8"))
        return "已从备份目录取回 Cookie 签名密钥。"
    from yibiaotong import sessions

    sessions.ensure_cookie_key()
    return "备份旁没有 Cookie 签名密钥，已生成新密钥：所有用户需要重新登录。"
