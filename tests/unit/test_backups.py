"""Backups proven by restores: every table comes back, a damaged backup is refused and the live
file is untouched, faults say why in Chinese, retention keeps 7 daily + 4 weekly."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibiaotong import auth, backups, config, db
from yibiaotong.config import ROOT


def file_sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables_differing(other: str) -> list[str]:
    """Tables whose rows differ between the live database and the file `other`, compared row by
    row with EXCEPT ALL both ways (independent of the backup's own hashing)."""
    differing = []
    with db.cursor() as cur:
        cur.execute(f"attach '{other}' as other (read_only)")
        try:
            names = [
                n
                for (n,) in cur.execute(
                    "select table_name from duckdb_tables() "
                    "where database_name = current_database() order by 1"
                ).fetchall()
            ]
            theirs = {
                n
                for (n,) in cur.execute(
                    "select table_name from duckdb_tables() where database_name = 'other'"
                ).fetchall()
            }
            assert set(names) == theirs
            for name in names:
                left = cur.execute(
                    f"select count(*) from (select * from main.{name} "
                    f"except all select * from other.main.{name})"
                ).fetchone()[0]
                right = cur.execute(
                    f"select count(*) from (select * from other.main.{name} "
                    f"except all select * from main.{name})"
                ).fetchone()[0]
                if left or right:
                    differing.append(name)
        finally:
            cur.execute("detach other")
    return differing


def test_a_backup_is_checked_private_and_recorded(writable_db):
    result = backups.take(kind="manual", username="admin")
    path = config.backup_dir() / result["path"].split("/")[-1]
    assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(config.backup_dir().stat().st_mode & 0o777) == "0o700"
    manifest = json.loads(backups.manifest_path(path).read_text())
    assert oct(backups.manifest_path(path).stat().st_mode & 0o777) == "0o600"
    assert manifest["sha256"] == file_sha(path)
    with db.cursor() as cur:
        residents = cur.execute("select count(*) from resident").fetchone()[0]
    assert manifest["tables"]["resident"]["rows"] == residents > 0
    key = backups.key_beside(config.backup_dir(), writable_db.stem)
    assert key.read_text() == config.secret_key_path().read_text()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert tables_differing(str(path)) == ["backup"]  # only the record of this very backup
    last = backups.recent(1)[0]
    assert last["ok"] and last["path"] == str(path) and "逐表校验一致" in last["message"]
    # pages (任务, 系统状态) show the message: the file's name, never the server's folders
    assert path.name in last["message"] and str(config.backup_dir()) not in last["message"]
    assert last["total_rows"] == sum(t["rows"] for t in manifest["tables"].values())


def test_restore_of_a_verified_backup_reproduces_every_table(writable_db, tmp_path):
    snapshot = tmp_path / "snapshot.duckdb"  # what the database holds now, by plain file copy
    with db.cursor() as cur:
        cur.execute("checkpoint")
    db.close_all()
    shutil.copy(writable_db, snapshot)
    target = tmp_path / "before-edits.duckdb"
    backups.take(target, kind="cli", username="cli")
    # Life goes on after the backup: an edit, a new user, a lost cookie key.
    with db.transaction() as cur:
        cur.execute(
            "update resident set phone = '13900000000' where id = (select min(id) from resident)"
        )
    auth.add_user(
        auth.system_scope("cli"),
        "newcomer",
        "新同事",
        "Qiantang-River-9",
        "social_worker",
        "330102009001",
    )
    config.secret_key_path().unlink()

    result = backups.restore(target)
    assert "已从备份目录取回 Cookie 签名密钥" in result["message"]
    assert (
        config.secret_key_path().read_text()
        == backups.key_beside(tmp_path, writable_db.stem).read_text()
    )
    assert tables_differing(str(snapshot)) == ["access_log"]  # + the restore's own audit row
    with db.cursor() as cur:
        assert cur.execute(
            "select count(*) from app_user where username = 'newcomer'"
        ).fetchone() == (0,)
        detail = cur.execute(
            "select detail from access_log where action = 'db_restore'"
        ).fetchone()[0]
    assert str(target) in detail
    aside = writable_db.with_name(result["aside"].split("/")[-1])
    con = duckdb.connect(str(aside), read_only=True)
    try:
        kept = con.execute("select count(*) from app_user where username = 'newcomer'").fetchone()
    finally:
        con.close()
    assert kept == (1,), "the file kept aside holds what was there before the restore"


@pytest.fixture
def good_backup(writable_db, tmp_path):
    target = tmp_path / "good.duckdb"
    backups.take(target, kind="cli", username="cli")
    return target


def _damage(path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flipped":
        middle = len(data) // 2
        data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
        path.write_bytes(bytes(data))
    elif how == "no manifest":
        backups.manifest_path(path).unlink()
    elif how == "garbage with a matching manifest":
        path.write_bytes(b"not a database" * 100)
        manifest = json.loads(backups.manifest_path(path).read_text())
        manifest.update(size=path.stat().st_size, sha256=file_sha(path))
        backups.manifest_path(path).write_text(json.dumps(manifest))
    elif how == "edited with a matching manifest":
        con = duckdb.connect(str(path))
        con.execute("update app_user set name = '冒名' where username = 'admin'")
        con.close()
        manifest = json.loads(backups.manifest_path(path).read_text())
        manifest.update(size=path.stat().st_size, sha256=file_sha(path))
        backups.manifest_path(path).write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("truncated", "与校验清单不符"),
        ("flipped", "与校验清单不符"),
        ("no manifest", "找不到校验清单"),
        ("garbage with a matching manifest", "不是可以打开的数据库"),
        ("edited with a matching manifest", "表 app_user 内容不一致"),
    ],
)
def test_a_damaged_backup_is_refused_and_the_live_file_is_untouched(
    good_backup, writable_db, how, message
):
    _damage(good_backup, how)
    with db.cursor() as cur:
        cur.execute("checkpoint")
    db.close_all()
    before = file_sha(writable_db)
    with pytest.raises(backups.BackupError, match=message):
        backups.restore(good_backup)
    assert file_sha(writable_db) == before
    assert not list(writable_db.parent.glob("*.before-restore-*"))
    assert not list(writable_db.parent.glob(".*restore*"))


def test_backup_targets_that_exist_or_cannot_be_written_are_refused(writable_db, tmp_path):
    existing = tmp_path / "exists.duckdb"
    existing.write_bytes(b"keep me")
    with pytest.raises(backups.BackupError, match="已存在"):
        backups.take(existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(backups.BackupError, match="目录不存在"):
        backups.take(tmp_path / "missing" / "x.duckdb")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(backups.BackupError, match="目录不存在"):
        backups.take(blocker / "x.duckdb")
    failures = [b for b in backups.recent() if not b["ok"]]
    assert len(failures) == 3 and all(b["message"] for b in failures)


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB filesystem (tmpfs, when we may mount), else a 1 MB file-size limit for the child."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
        ).returncode
        == 0
    )
    yield mount, None if mounted else 1 << 20
    if mounted:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_disk_that_fills_during_a_backup_leaves_no_file_and_says_so(writable_db, small_disk):
    folder, file_limit = small_disk
    with db.cursor() as cur:
        cur.execute("checkpoint")
        tables_before = {
            n: cur.execute(f"select count(*) from {n}").fetchone()[0]
            for (n,) in cur.execute("select table_name from duckdb_tables()").fetchall()
        }
    db.close_all()

    def limit() -> None:
        if file_limit:
            import resource

            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    child = subprocess.run(
        [sys.executable, "-m", "yibiaotong", "backup", str(folder / "full.duckdb")],
        cwd=ROOT,
        env={**os.environ, "YIBIAOTONG_DB": str(writable_db)},
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )
    assert child.returncode == 2
    assert "空间不足" in child.stderr or "超出" in child.stderr, child.stderr
    assert "Traceback" not in child.stderr
    assert list(folder.iterdir()) == [], "no partial backup or manifest is left behind"
    with db.cursor() as cur:
        for name, rows in tables_before.items():
            if name not in ("backup", "job", "job_log", "access_log"):
                assert cur.execute(f"select count(*) from {name}").fetchone()[0] == rows, name
        failed = cur.execute("select ok, message from backup").fetchall()
    assert len(failed) == 1 and not failed[0][0] and "未完成" in failed[0][1]


# ---------------------------------------------------------------------------------------------
# Schedule and retention

stamps = st.lists(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 4, 1)),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(stamps)
def test_retention_keeps_the_newest_of_the_last_7_days_and_4_weeks(times):
    kept = backups.retained(times)
    by_day: dict = {}
    by_week: dict = {}
    for t in times:
        by_day.setdefault(t.date(), []).append(t)
        by_week.setdefault(t.isocalendar()[:2], []).append(t)
    days = sorted(by_day)[-7:]
    weeks = sorted(by_week)[-4:]
    expected = {max(by_day[d]) for d in days} | {max(by_week[w]) for w in weeks}
    assert kept == expected
    assert len(kept) <= 11
    if times:
        assert max(times) in kept


def test_prune_deletes_what_retention_drops_with_its_manifest(writable_db, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    start = datetime(2026, 3, 1, 2, 0, 0)
    for day in range(40):
        for hour in (2, 14):  # two backups a day
            stamp = start + timedelta(days=day, hours=hour - 2)
            path = folder / f"{writable_db.stem}-{stamp:%Y%m%d-%H%M%S}.duckdb"
            path.write_text("x")
            backups.manifest_path(path).write_text("{}")
    (folder / "someone-else-20260301-020000.duckdb").write_text("other database")
    removed = backups.prune(folder)
    left = sorted(p.name for p in folder.glob(f"{writable_db.stem}-*.duckdb"))
    # 2026-03-01 … 04-09 (a Thursday), twice a day: the evening backups of the last 7 days
    # (04-03 … 04-09) and the Sundays closing ISO weeks 13 and 12 (03-29, 03-22); weeks 15 and
    # 14 end on days already kept.
    days = ["0322", "0329", "0403", "0404", "0405", "0406", "0407", "0408", "0409"]
    assert left == [f"{writable_db.stem}-2026{d}-140000.duckdb" for d in days]
    assert len(removed) == 80 - len(left)
    assert all(backups.manifest_path(folder / name).exists() for name in left)
    assert len(list(folder.glob("*.json"))) == len(left)
    assert (folder / "someone-else-20260301-020000.duckdb").exists()


def _attempt(cur, ok: bool, ago: timedelta) -> None:
    at = datetime.now() - ago
    cur.execute(
        "insert into backup (id, path, kind, username, started_at, finished_at, ok, message) "
        "values ($id, 'x', 'scheduled', 'system', $at, $at, $ok, 'm')",
        {"id": f"{ok}-{ago}", "at": at, "ok": ok},
    )


def test_a_scheduled_backup_is_due_daily_and_a_failure_is_retried_hourly(writable_db, monkeypatch):
    assert backups.due()
    backups.take(kind="scheduled", username="system")
    assert not backups.due()
    assert backups.due(now=datetime.now() + timedelta(hours=24, minutes=1))
    monkeypatch.setenv("YIBIAOTONG_BACKUP_HOURS", "0")
    assert not backups.due(now=datetime.now() + timedelta(days=30))
    monkeypatch.setenv("YIBIAOTONG_BACKUP_HOURS", "24")
    with db.transaction() as cur:
        cur.execute("delete from backup")
        _attempt(cur, True, timedelta(hours=30))
        _attempt(cur, False, timedelta(minutes=10))  # e.g. the disk was full
    assert not backups.due()
    assert backups.due(now=datetime.now() + timedelta(minutes=55))
