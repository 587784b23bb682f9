"""Import batches: landing a file (hashed, kept in an owner-only folder), reading it back, the
import log, and who may do what with a batch."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from yibiaotong import catalog, config, db
from yibiaotong.importing import sources
from yibiaotong.permissions import IMPORT, checked, granting
from yibiaotong.scope import AccessDenied, Scope

STATES = {
    "landed": "已上传",
    "read": "已读取",
    "previewed": "待确认",
    "committing": "写入中",
    "committed": "已写入",
    "undone": "已撤销",
    "failed": "失败",
    "discarded": "已放弃",
}
MAX_FILE_BYTES = 300 * 1024 * 1024
_NOT_FOUND = "导入批次不存在，或不属于您的辖区。"
# Working tables emptied per batch ({stage_table} of clear_stage.sql).
WORK_TABLES = ("import_raw", "import_clean", "import_current", "import_map")
STAGE_TABLES = (
    *WORK_TABLES,
    "import_row",
    "import_value",
    "import_change",
    "import_reject",
    "import_tag",
)


class ImportError_(ValueError):
    """A request the import engine refuses; the message is Chinese and shown as is."""


_visit_sheet = threading.local()


@contextmanager
def for_visit_sheet() -> Iterator[None]:
    """走访采集's paper round trip: inside this block a social worker's own grid sheet, already
    checked by visits_sheet, goes through this engine as 社区走访采集 (and nowhere else)."""
    _visit_sheet.on = True
    try:
        with granting("social_worker", IMPORT):
            yield
    finally:
        _visit_sheet.on = False


def may_import(scope: Scope) -> None:
    """数据回流 is for the district data admin (whole district) and a street's data clerk: a
    条线部门 account bound to one street (its rows stay inside that street)."""
    if scope.role == "district_admin":
        return
    if scope.role == "social_worker" and getattr(_visit_sheet, "on", False):
        return
    if scope.role == "dept_staff":
        unit = catalog.org_unit(scope.org_code)
        if unit is not None and unit["level"] == "street":
            return
    raise AccessDenied("数据回流仅限区数据局管理员和街道数据专员（绑定街道的条线账号）使用。")


def folder(batch_id: str) -> Path:
    """The batch's own folder beside the database: the landed file and its reports."""
    return config.db_path().resolve().parent / "imports" / batch_id


def _owner_only(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    os.chmod(path.parent, 0o700)


@dataclass(frozen=True)
class Landed:
    """A file kept in its batch folder, not yet in the import log."""

    batch_id: str
    path: Path
    file_name: str
    sha256: str
    size: int


@checked
def keep_file(scope: Scope, data: bytes | BinaryIO | Path, file_name: str) -> Landed:
    """Keep the raw file (hashed, owner-only folder). Nothing enters the database yet: a file
    that turns out unreadable is forgotten and changes nothing."""
    may_import(scope)
    batch_id = uuid.uuid4().hex[:16]
    target = folder(batch_id)
    _owner_only(target)
    suffix = Path(file_name).suffix.lower()[:6]
    path = target / f"source{suffix if suffix.isascii() and suffix else '.dat'}"
    digest = hashlib.sha256()
    size = 0
    try:
        stream = data.open("rb") if isinstance(data, Path) else data
        with path.open("wb") as out:
            if isinstance(stream, bytes | bytearray):
                chunks = [bytes(stream)]
            else:
                chunks = iter(lambda: stream.read(1 << 20), b"")
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise ImportError_(
                        f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请拆分后分批导入。"
                    )
                digest.update(chunk)
                out.write(chunk)
        if isinstance(data, Path):
            stream.close()
        os.chmod(path, 0o600)
        if size == 0:
            raise ImportError_("文件为空，请重新选择。")
    except BaseException:
        forget_file(batch_id)
        raise
    name = Path(file_name).name[:200] or "未命名文件"
    return Landed(batch_id, path, name, digest.hexdigest(), size)


def forget_file(batch_id: str) -> None:
    shutil.rmtree(folder(batch_id), ignore_errors=True)


@checked
def record(
    scope: Scope, landed: Landed, source_code: str, default_org: str | None, settings: dict
) -> None:
    """Log a readable landed file as a batch (state `read`)."""
    src = sources.source(source_code)
    if src is None or not src.importable:
        raise ImportError_("请选择数据来源（回流目录中的部门数据）。")
    if default_org:
        if catalog.org_unit(default_org) is None:
            raise ImportError_("所选的默认落地单位不存在。")
        scope.require_covers(default_org)
    with db.transaction() as cur:
        db.run(
            cur,
            "importing/insert_batch",
            id=landed.batch_id,
            source=src.code,
            entity=src.entity,
            file_name=landed.file_name,
            sha256=landed.sha256,
            size_bytes=landed.size,
            org_code=scope.org_code,
            default_org=default_org,
            created_by=scope.username,
        )
        db.run(
            cur,
            "importing/set_batch_read",
            id=landed.batch_id,
            settings=json.dumps(settings, ensure_ascii=False),
        )


def landed_file(batch_id: str) -> Path:
    files = sorted(folder(batch_id).glob("source.*"))
    if not files:
        raise ImportError_("该批次的原始文件已不存在，请重新上传。")
    return files[0]


def _decode(row: dict) -> dict:
    for key in ("settings", "mapping", "options", "counts"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row


@checked
def get(scope: Scope, batch_id: str, cur=None) -> dict[str, Any]:
    """One batch inside the caller's subtree; the same refusal whether absent or outside."""
    may_import(scope)
    if cur is None:
        rows = db.fetch_dicts("importing/get_batch", id=str(batch_id), org_code=scope.org_code)
    else:
        rel = db.run(cur, "importing/get_batch", id=str(batch_id), org_code=scope.org_code)
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
    if not rows:
        raise AccessDenied(_NOT_FOUND)
    return _decode(rows[0])


@checked
def log(scope: Scope, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """The import log of the caller's subtree, newest first."""
    may_import(scope)
    rows = db.fetch_dicts(
        "importing/list_batches", org_code=scope.org_code, limit=limit, offset=offset
    )
    return [_decode(r) for r in rows]


def set_state(batch_id: str, state: str, message: str | None = None, cur=None) -> None:
    if cur is None:
        with db.transaction() as c:
            db.run(c, "importing/set_batch_state", id=batch_id, state=state, message=message)
    else:
        db.run(cur, "importing/set_batch_state", id=batch_id, state=state, message=message)


def clear(cur, batch_id: str, tables: tuple[str, ...] = STAGE_TABLES) -> None:
    for table in tables:
        db.run_filled(cur, "importing/clear_stage", slots={"stage_table": table}, batch_id=batch_id)


@checked
def discard(scope: Scope, batch_id: str) -> None:
    """Give up a batch that was not committed: its working rows go, its log line stays."""
    batch = get(scope, batch_id)
    if batch["state"] in ("committed", "committing", "undone"):
        raise ImportError_("已写入的批次不能放弃，请使用“撤销”。")
    with db.transaction() as cur:
        clear(cur, batch_id)
        set_state(batch_id, "discarded", "用户放弃", cur)
