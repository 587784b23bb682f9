"""Long work inside the console process: queued jobs with progress, a result file and a state
that outlives the page that started them. No Streamlit here: the CLI and tests run the same code.

A job kind is a function `fn(ctx, **params) -> dict | None` registered with `@register`. Jobs
that write take turns (one at a time); jobs that only read run beside them. A job's own writes
are its business (one transaction, or its own undoable batch); what it must write together with
being marked done (e.g. the run log of a delivered batch) it hands to `ctx.deliver()`, which
commits in the same transaction as the state 'done'. Job rows are written only by the thread
running the job, outside the ledger's write lock, so a long writer never hides others' progress.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from yibiaotong import config, db
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

log = logging.getLogger("yibiaotong.jobs")

STATES = {
    "queued": "排队中",
    "running": "运行中",
    "done": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
    "interrupted": "已中断",
}
FINISHED = frozenset({"done", "failed", "cancelled", "interrupted"})
READERS = 2  # jobs that only read run side by side; writing jobs take turns
PROGRESS_FLUSH_SECONDS = 2.0
# Modules whose import registers job kinds (an area adds its module here).
KIND_MODULES = (
    "yibiaotong.job_kinds",
    "yibiaotong.importing.job_kinds",
    "yibiaotong.admission.background",
)

INTERRUPTED = (
    "控制台在任务运行期间停止（重启或进程被终止），任务未完成：未提交的修改已全部撤销，"
    "未生成任何结果。请重新提交。"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class JobError(ValueError):
    """A job request that cannot be done, or a job's own failure; the message is for the user."""


class Cancelled(Exception):
    """Raised inside a job when its user asked to cancel it."""


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    roles: tuple[str, ...]
    writes: bool
    fn: Callable[..., dict | None]
    secret: tuple[str, ...] = ()  # params passed to fn but never stored (passwords)


_KINDS: dict[str, Kind] = {}


def register(
    kind: str,
    *,
    title: str,
    roles: tuple[str, ...],
    writes: bool = True,
    secret: tuple[str, ...] = (),
):
    """Decorator for fn(ctx: JobContext, **params) -> dict | None (a JSON-able result summary)."""

    def decorate(fn: Callable[..., dict | None]) -> Callable[..., dict | None]:
        _KINDS[kind] = Kind(kind, title, tuple(roles), writes, fn, tuple(secret))
        return fn

    return decorate


def kinds() -> dict[str, Kind]:
    for module in KIND_MODULES:
        importlib.import_module(module)
    return _KINDS


def _kind(name: str) -> Kind:
    kind = kinds().get(name)
    if kind is None:
        raise JobError(f"未知的任务类型：{name}")
    return kind


# ---------------------------------------------------------------------------------------------
# Job rows (outside the write lock: only the job's own thread writes its row)


def _write(name: str, /, **params: Any) -> list[tuple]:
    """One autocommitted statement on the job tables, retried if it meets a concurrent commit."""
    for attempt in range(5):
        try:
            with db.cursor() as cur:
                rel = db.run(cur, name, **params)
                return rel.fetchall() if rel.description else []
        except duckdb.TransactionException:
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    return []


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("params", "result"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    row["state_name"] = STATES[row["state"]]
    return row


def _row(job_id: str) -> dict[str, Any] | None:
    rows = db.fetch_dicts("jobs/get_job", id=job_id)
    return _decode(rows[0]) if rows else None


def _may_see(scope: Scope, row: dict[str, Any]) -> bool:
    if row["owner"] == scope.username:
        return True
    return scope.role == "district_admin" and scope.covers(row["org_code"])


def result_folder(job_id: str) -> Path:
    return config.jobs_dir() / job_id


def _remove_results(job_id: str) -> None:
    shutil.rmtree(result_folder(job_id), ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Running one job


@dataclass
class _Live:
    """What a running job's page needs at once, kept in memory (the row is flushed every 2 s)."""

    job_id: str
    kind: Kind
    scope: Scope
    params: dict[str, Any]
    progress: float = 0.0
    step: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)
    flushed_at: float = 0.0


class JobContext:
    """What a job function gets: its caller's scope, progress, a result file, a log, cancel."""

    def __init__(self, live: _Live, on_progress: Callable[[float, str], None] | None = None):
        self._live = live
        self._on_progress = on_progress
        self._result: Path | None = None
        self._deliveries: list[Callable[[duckdb.DuckDBPyConnection], None]] = []
        self.scope = live.scope
        self.job_id = live.job_id

    def progress(self, fraction: float, step: str) -> None:
        """Report progress (0..1) and the current step in Chinese; cheap to call often."""
        live = self._live
        live.progress = max(0.0, min(1.0, float(fraction)))
        live.step = str(step)
        if self._on_progress:
            self._on_progress(live.progress, live.step)
        now = time.monotonic()
        if now - live.flushed_at >= PROGRESS_FLUSH_SECONDS:
            live.flushed_at = now
            _write("jobs/set_progress", id=self.job_id, progress=live.progress, step=live.step)

    def result_path(self, filename: str) -> Path:
        """Where the job writes its result file (a folder of its own, readable by the owner)."""
        name = _SAFE_NAME.sub("_", Path(filename).name).strip(" .") or "result"
        folder = result_folder(self.job_id)
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        self._result = folder / name
        return self._result

    def log(self, text: str) -> None:
        _write("jobs/insert_log", job_id=self.job_id, line=str(text))

    @property
    def cancelled(self) -> bool:
        return self._live.cancel.is_set()

    def check_cancelled(self) -> None:
        """Stop here if the user cancelled (raises Cancelled)."""
        if self.cancelled:
            raise Cancelled

    def deliver(self, write: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Writes that count only if the job succeeds: committed with the state 'done'."""
        self._deliveries.append(write)


def _message(exc: BaseException, job_id: str) -> str:
    """A failure in Chinese: the domain's own message, or a plain one (details in the log)."""
    text = str(exc)
    if isinstance(exc, ValueError | PermissionError | OSError) and _CJK.search(text):
        return text
    log.error("job %s failed", job_id, exc_info=exc)
    return f"任务出错，未完成，数据未被修改（任务编号 {job_id}，详情已记入日志）。"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _finish(
    job_id: str,
    state: str,
    message: str,
    *,
    step: str = "",
    progress: float = 0.0,
    result=None,
    result_file=None,
    cur: duckdb.DuckDBPyConnection | None = None,
) -> None:
    params = {
        "id": job_id,
        "state": state,
        "step": step,
        "message": message,
        "result": _json(result),
        "result_file": result_file,
        "progress": progress,
    }
    if cur is None:
        _write("jobs/finish_job", **params)
    else:
        db.run(cur, "jobs/finish_job", **params)


def _execute(live: _Live, on_progress: Callable[[float, str], None] | None = None) -> None:
    """Run one claimed job to its end state; never raises."""
    ctx = JobContext(live, on_progress)
    job_id = live.job_id
    try:
        result = live.kind.fn(ctx, **live.params)
        ctx.check_cancelled()
        _json(result)  # a result that cannot be stored is a failure, before anything is kept
        result_file = None
        if ctx._result is not None:
            if not ctx._result.is_file():
                raise JobError("任务没有生成结果文件。")
            ctx._result.chmod(0o600)
            result_file = ctx._result.name
        done = {
            "step": "已完成",
            "progress": 1.0,
            "result": result,
            "result_file": result_file,
        }
        message = (result or {}).get("message") or "已完成。"
        if ctx._deliveries:
            with db.transaction() as cur:
                for write in ctx._deliveries:
                    write(cur)
                _finish(job_id, "done", message, cur=cur, **done)
        else:
            _finish(job_id, "done", message, **done)
    except Cancelled:
        _remove_results(job_id)
        _finish(
            job_id,
            "cancelled",
            "已按要求取消：未保存任何结果，数据未被修改。",
            step="已取消",
            progress=live.progress,
        )
    except BaseException as exc:  # a job must end in a state, whatever happened
        _remove_results(job_id)
        try:
            _finish(job_id, "failed", _message(exc, job_id), step=live.step, progress=live.progress)
        except Exception:
            log.exception("job %s: could not record its failure", job_id)
        if not isinstance(exc, Exception):
            raise


# ---------------------------------------------------------------------------------------------
# The runner: one per process, started by the first submitted job


class _Runner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Live] = []
        self._live: dict[str, _Live] = {}
        self._writer_busy = False
        self._readers = 0

    def add(self, live: _Live) -> None:
        with self._lock:
            self._live[live.job_id] = live
            self._queue.append(live)
            self._dispatch()

    def live(self, job_id: str) -> _Live | None:
        return self._live.get(job_id)

    def running(self) -> list[str]:
        with self._lock:
            return [j for j in self._live if all(q.job_id != j for q in self._queue)]

    def unqueue(self, job_id: str) -> bool:
        """Take a job that has not started off the queue; False when it already started."""
        with self._lock:
            for live in self._queue:
                if live.job_id == job_id:
                    self._queue.remove(live)
                    self._live.pop(job_id, None)
                    return True
        return False

    def _dispatch(self) -> None:  # holds self._lock
        for live in list(self._queue):
            if live.kind.writes:
                if self._writer_busy:
                    continue
                self._writer_busy = True
            else:
                if self._readers >= READERS:
                    continue
                self._readers += 1
            self._queue.remove(live)
            threading.Thread(
                target=self._run, args=(live,), name=f"job-{live.job_id}", daemon=True
            ).start()

    def _run(self, live: _Live) -> None:
        try:
            if _write("jobs/start_job", id=live.job_id):
                _execute(live)
        except Exception:
            log.exception("job %s could not start", live.job_id)
        finally:
            with self._lock:
                if live.kind.writes:
                    self._writer_busy = False
                else:
                    self._readers -= 1
                self._live.pop(live.job_id, None)
                self._dispatch()


_runner = _Runner()
_recovered: set[str] = set()
_recover_lock = threading.Lock()


def recover() -> int:
    """Jobs a stopped or killed process left queued or running become 'interrupted' (never
    'done'), their partial result files are removed, and expired result files are deleted.
    Runs once per database per process, before this process runs any job on it."""
    key = str(config.db_path().resolve())
    with _recover_lock:
        if key in _recovered:
            return 0
        stale = [job_id for (job_id,) in db.fetch_all("jobs/unfinished_jobs")]
        for job_id in stale:
            if _runner.live(job_id) is None:
                _remove_results(job_id)
                _finish(job_id, "interrupted", INTERRUPTED, step="已中断")
        purge_results()
        _recovered.add(key)
        return len(stale)


def purge_results(now: datetime | None = None) -> int:
    """Delete result files older than the retention period; the job rows stay as history."""
    before = (now or datetime.now()) - timedelta(days=config.job_result_days())
    expired = [job_id for (job_id,) in db.fetch_all("jobs/expired_results", before=before)]
    for job_id in expired:
        _remove_results(job_id)
        _write("jobs/forget_result", id=job_id)
    return len(expired)


# ---------------------------------------------------------------------------------------------
# Public API


def _new_id() -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _prepare(scope: Scope, kind_name: str, params: dict[str, Any], origin: str) -> _Live:
    kind = _kind(kind_name)
    if scope.role not in kind.roles:
        raise AccessDenied(f"您的角色无权运行“{kind.title}”")
    stored = {k: v for k, v in params.items() if k not in kind.secret}
    try:
        params_json = json.dumps(stored, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise JobError(f"任务参数无法保存：{exc}") from exc
    recover()
    live = _Live(_new_id(), kind, scope, dict(params))
    _write(
        "jobs/insert_job",
        id=live.job_id,
        kind=kind.name,
        title=kind.title,
        params=params_json,
        writes=kind.writes,
        owner=scope.username,
        org_code=scope.org_code,
        origin=origin,
    )
    return live


@checked
def enqueue(scope: Scope, kind: str, params: dict[str, Any], origin: str = "console") -> str:
    """submit() with the origin recorded (console, cli, schedule)."""
    live = _prepare(scope, kind, params, origin)
    _runner.add(live)
    return live.job_id


@checked
def submit(scope: Scope, kind: str, **params: Any) -> str:
    """Queue a job for the runner of this process; returns its id. The role is checked here."""
    return enqueue(scope, kind, params)


@checked
def run_inline(
    scope: Scope,
    kind: str,
    *,
    origin: str = "cli",
    on_progress: Callable[[float, str], None] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Run a job in the calling thread through the same code (no console: CLI, tests)."""
    live = _prepare(scope, kind, params, origin)
    _write("jobs/start_job", id=live.job_id)
    _execute(live, on_progress)
    return get(scope, live.job_id)


@checked
def get(scope: Scope, job_id: str) -> dict[str, Any]:
    """One job (its owner or a district admin over its org); live progress while it runs."""
    row = _row(job_id) if isinstance(job_id, str) else None
    if row is None or not _may_see(scope, row):
        raise JobError("任务不存在，或您无权查看。")
    live = _runner.live(job_id)
    if live is not None and row["state"] == "running":
        row["progress"], row["step"] = live.progress, live.step
    return row


@checked
def list_jobs(scope: Scope, limit: int = 50) -> list[dict[str, Any]]:
    """Recent jobs: the caller's own, or all in a district admin's org."""
    owner = None if scope.role == "district_admin" else scope.username
    rows = [_decode(r) for r in db.fetch_dicts("jobs/list_jobs", owner=owner, limit=limit)]
    rows = [r for r in rows if _may_see(scope, r)]
    for row in rows:
        live = _runner.live(row["id"])
        if live is not None and row["state"] == "running":
            row["progress"], row["step"] = live.progress, live.step
    return rows


@checked
def cancel(scope: Scope, job_id: str) -> None:
    """Cancel a queued job at once, or ask a running one to stop at its next check."""
    row = get(scope, job_id)
    if row["state"] in FINISHED:
        raise JobError(f"任务已{row['state_name']}，不能取消。")
    if _runner.unqueue(job_id):
        _finish(job_id, "cancelled", "已在开始前取消，未做任何修改。", step="已取消")
        return
    live = _runner.live(job_id)
    if live is None:
        raise JobError("该任务不在本控制台进程中运行，无法取消。")
    live.cancel.set()
    live.step = "正在取消…"


@checked
def result_file(scope: Scope, job_id: str) -> Path | None:
    """The result file of a finished job, for its owner or an admin; None once it expired."""
    row = get(scope, job_id)
    if row["state"] != "done" or not row["result_file"]:
        return None
    path = result_folder(job_id) / row["result_file"]
    return path if path.is_file() else None


def expired_file(row: dict[str, Any]) -> str | None:
    """The name of the result file a job made and purge_results deleted; None for a job that
    still has its file or never made one (an import, a user change)."""
    result = row.get("result")
    return result.get("expired_file") if isinstance(result, dict) else None


@checked
def log_lines(scope: Scope, job_id: str) -> list[dict[str, Any]]:
    get(scope, job_id)
    return db.fetch_dicts("jobs/job_log", job_id=job_id)


def running() -> list[str]:
    """Ids of jobs running in this process."""
    return _runner.running()


@checked
def wait(scope: Scope, job_id: str, timeout: float = 600, poll: float = 0.1) -> dict[str, Any]:
    """Block until the job finished (tests, the CLI hand-over); JobError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        row = get(scope, job_id)
        if row["state"] in FINISHED:
            return row
        if time.monotonic() > deadline:
            raise JobError(f"等待任务超时（{timeout:.0f} 秒），任务仍在{row['state_name']}。")
        time.sleep(poll)
