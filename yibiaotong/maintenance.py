"""Online backup inside the process that holds the DuckDB file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from yibiaotong import config, db


def _literal(text: str) -> str:
    # ATTACH takes no parameters; the path is ours (CLI argument), quoted as a SQL string literal.
    return "'" + text.replace("'", "''") + "'"


def backup(target: str | Path) -> Path:
    """Copy the whole database into a new file (also compacts it)."""
    target = Path(target).resolve()
    if target.exists():
        raise FileExistsError(f"备份文件已存在：{target}")
    with db.write_lock, db.cursor() as cur:
        source = cur.execute("select current_database()").fetchone()[0]
        cur.execute(f"attach {_literal(str(target))} as yibiaotong_backup")
        try:
            cur.execute(f'copy from database "{source}" to yibiaotong_backup')
        finally:
            cur.execute("detach yibiaotong_backup")
    return target


def default_target() -> Path:
    """A new file in the backup folder, named by the time it is taken."""
    folder = config.backup_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{config.db_path().stem}-{datetime.now():%Y%m%d-%H%M%S}.duckdb"
