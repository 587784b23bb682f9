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
