"""系统状态 figures: database size and growth, backups and their checks, jobs, memory, versions."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from typing import Any

import psutil

from yibiaotong import backups, config, console, db, jobs
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope


def _file_bytes(path) -> int:
    return path.stat().st_size if path.exists() else 0


def growth_per_day(points: list[tuple[datetime, int]]) -> float | None:
    """Bytes per day between the first and last recorded size (None with fewer than two a day
    apart)."""
    if len(points) < 2:
        return None
    (t0, b0), (t1, b1) = points[0], points[-1]
    days = (t1 - t0).total_seconds() / 86400
    return None if days < 1 else (b1 - b0) / days


@checked
def status(scope: Scope, now: datetime | None = None) -> dict[str, Any]:
    """Everything the health page shows; district admins only."""
    if scope.role != "district_admin":
        raise AccessDenied("只有区数据局管理员可以查看系统状态")
    now = now or datetime.now()
    live = config.db_path()
    wal = live.with_name(live.name + ".wal")
    recent = backups.recent(10)
    good = next((b for b in recent if b["ok"]), None)
    hours = config.backup_hours()
    last_scheduled = backups.last_good("scheduled")
    process = psutil.Process(os.getpid())
    points = db.fetch_all("health/size_history", since=now - timedelta(days=30))
    return {
        "db_path": str(live),
        "db_bytes": _file_bytes(live),
        "wal_bytes": _file_bytes(wal),
        "growth_per_day": growth_per_day(points),
        "disk_free": shutil.disk_usage(live.parent).free,
        "backup_dir": str(config.backup_dir()),
        "backups": recent,
        "last_good_backup": good,
        "last_backup": recent[0] if recent else None,
        "next_backup": None
        if hours <= 0
        else (last_scheduled + timedelta(hours=hours) if last_scheduled else now),
        "jobs": db.fetch_dicts("health/unfinished_jobs"),
        "rss_bytes": process.memory_info().rss,
        "engine_bytes": db.fetch_value("health/duckdb_memory"),
        "memory_limit": db.fetch_value("health/memory_limit"),
        "memory_budget_held": db.memory_budget_held(),
        "system_available": psutil.virtual_memory().available,
        "data_version": db.data_version(),
        "schema_version": db.fetch_value("backups/schema_version"),
        "owner": console.owner() is not None,
        "pid": os.getpid(),
        "started": datetime.fromtimestamp(process.create_time()),
        "running_here": jobs.running(),
    }
