"""Paths and settings, read from the environment in one place."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = ROOT / "queries"
CATALOG_DIR = ROOT / "data" / "catalog"


def db_path() -> Path:
    """The DuckDB file: $YIBIAOTONG_DB, else data/yibiaotong.duckdb."""
    return Path(os.environ.get("YIBIAOTONG_DB", ROOT / "data" / "yibiaotong.duckdb"))


def secret_key_path() -> Path:
    """Cookie signing key file, kept beside the database and out of git."""
    return db_path().with_suffix(".cookie_key")


def memory_limit() -> str:
    return os.environ.get("YIBIAOTONG_MEMORY_LIMIT", "4GB")


def import_memory_limit() -> str:
    """DuckDB's memory_limit while an import previews or commits (db.memory_budget): with the
    Python side of the reader it keeps the process within the 2 GB an import may take."""
    return os.environ.get("YIBIAOTONG_IMPORT_MEMORY_LIMIT", "1GB")


def bcrypt_slots() -> int:
    """How many password checks may run at once: all cores but one by default (docs/SCALING.md)."""
    return max(1, int(os.environ.get("YIBIAOTONG_BCRYPT_SLOTS", (os.cpu_count() or 2) - 1)))


def threads() -> int:
    return int(os.environ.get("YIBIAOTONG_THREADS", os.cpu_count() or 2))


def login_lock_seconds() -> int:
    """The login throttle's sliding window: failures older than this no longer count (15 min)."""
    return int(os.environ.get("YIBIAOTONG_LOGIN_LOCK_SECONDS", 15 * 60))


COOKIE_NAME = "yibiaotong_auth"


def idle_minutes() -> float:
    """A session (and its re-login cookie) ends after this long without a click (default 30)."""
    return float(os.environ.get("YIBIAOTONG_IDLE_MINUTES", 30))


def session_max_hours() -> float:
    """However active, a login lasts at most one working day (default 8 hours)."""
    return float(os.environ.get("YIBIAOTONG_SESSION_HOURS", 8))


def beside_db(suffix: str) -> Path:
    """A folder beside the database file, named after it: yibiaotong.jobs, yibiaotong.backups …"""
    path = db_path()
    return path.with_name(path.stem + suffix)


def jobs_dir() -> Path:
    """Result files of jobs, one folder per job (owner-only)."""
    return beside_db(".jobs")


def console_dir() -> Path:
    """The running console's lock, secret and the request folder the CLI hands work to."""
    return beside_db(".console")


def backup_dir() -> Path:
    """Scheduled and on-demand backups: $YIBIAOTONG_BACKUP_DIR, else beside the database."""
    return Path(os.environ.get("YIBIAOTONG_BACKUP_DIR") or beside_db(".backups"))


def job_result_days() -> float:
    """How long a job's result file is kept for download (default 7 days)."""
    return float(os.environ.get("YIBIAOTONG_JOB_RESULT_DAYS", 7))


def backup_hours() -> float:
    """Hours between scheduled backups (default 24; 0 turns the schedule off)."""
    return float(os.environ.get("YIBIAOTONG_BACKUP_HOURS", 24))
