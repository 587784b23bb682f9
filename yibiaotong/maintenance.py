"""Online backup inside the process that holds the DuckDB file."""

from __future__ import annotations

from pathlib import Path

from yibiaotong import db


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
