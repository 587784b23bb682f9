"""The console process owns the database file: it holds a lock that says so, applies upgrades at
start, runs jobs, and takes work handed over by the CLI through a request folder.

Why a folder: DuckDB lets one process open the file, so the CLI cannot touch it while the console
runs. The CLI writes a request into `<db>.console/requests/`; the console checks who sent it and
runs it as a job, writing progress to `<db>.console/responses/`. A caller proves who they are by
(1) the request file's OS owner, which must be the account running the console and owning the
database, and (2) a secret in `<db>.console/secret`, readable by that account only. The folder is
mode 700. A malformed request, or one whose claimed uid or user differs from its file's owner, is
refused with a Chinese message and logged.
No Streamlit here: `serve.py` passes `lifespan` to `st.App`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hmac
import json
import logging
import os
import pwd
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yibiaotong import config, db, jobs
from yibiaotong.scope import Scope

log = logging.getLogger("yibiaotong.console")

POLL_SECONDS = 0.3
WARM_SECONDS = 5.0  # how often the warm thread looks at the data version
REWARM_SECONDS = 60.0  # the shortest time between two warms after writes
ACCEPT_TIMEOUT = 30.0  # the console picks a request up within this, or the CLI says it is stuck
MAX_REQUEST_BYTES = 64 * 1024
_REQUEST_NAME = re.compile(r"^[0-9a-f]{32}\.json$")


class ConsoleError(RuntimeError):
    """The console cannot start or cannot be reached; the message is for the operator."""


# ---------------------------------------------------------------------------------------------
# Files of the console folder


def _folder(*parts: str) -> Path:
    path = config.console_dir().joinpath(*parts)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _lock_path() -> Path:
    return config.console_dir() / "console.lock"


def _secret_path() -> Path:
    return config.console_dir() / "secret"


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically (readers never see half of it)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _read_secret() -> str:
    return _secret_path().read_text(encoding="utf-8").strip()


def os_user(uid: int | None = None) -> str:
    uid = os.getuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def cli_scope(user: str | None = None) -> Scope:
    """The CLI acts for the district data office, under the OS account that owns the file."""
    code = db.fetch_value("console/district_code")
    if code is None:
        raise ConsoleError("数据库尚未初始化（没有区级组织机构）。请先运行 `yibiaotong init`。")
    return Scope("cli", "district_admin", code, clearance=True, name=user or os_user())


def system_scope() -> Scope:
    """Who the console's own scheduled work runs as."""
    scope = cli_scope("定时任务")
    return Scope("system", scope.role, scope.org_code, clearance=True, name="定时任务")


# ---------------------------------------------------------------------------------------------
# Is a console running? (the CLI's side)


def running_console() -> dict[str, Any] | None:
    """The running console's pid and start time, or None. Robust: the console holds an flock
    on its lock file for as long as it lives (the kernel drops it when the process dies, even on
    kill -9), so a left-over file never counts."""
    path = _lock_path()
    if not path.exists():
        return None
    with open(path, "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
        else:
            fcntl.flock(f, fcntl.LOCK_UN)
            return None
    try:
        return json.loads((config.console_dir() / "console.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"pid": None}


def hand_over(
    kind: str,
    params: dict[str, Any],
    on_progress: Callable[[float, str], None] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Hand a job to the running console and follow it to its end; returns the final state
    (keys: state, message, result, job_id). Raises ConsoleError when the console does not
    answer or stops meanwhile."""
    request_id = uuid.uuid4().hex
    try:
        token = _read_secret()
    except OSError as exc:
        raise ConsoleError(
            f"无法读取控制台密钥（{exc.strerror}）：请以数据库文件的所有者运行命令行。"
        ) from exc
    request = {
        "id": request_id,
        "kind": kind,
        "params": params,
        "uid": os.getuid(),
        "user": os_user(),
        "token": token,
        "created": time.time(),
    }
    final = _folder("requests") / f"{request_id}.json"
    _write_private(final, json.dumps(request, ensure_ascii=False))
    response_path = _folder("responses") / f"{request_id}.json"
    started = time.monotonic()
    last: dict[str, Any] = {}
    try:
        while True:
            if response_path.exists():
                with contextlib.suppress(OSError, ValueError):
                    last = json.loads(response_path.read_text(encoding="utf-8"))
            state = last.get("state")
            if state in jobs.FINISHED:
                return last
            if state and on_progress:
                on_progress(float(last.get("progress") or 0.0), last.get("step") or "")
            waited = time.monotonic() - started
            if not state and waited > ACCEPT_TIMEOUT:
                raise ConsoleError(
                    f"控制台在 {ACCEPT_TIMEOUT:.0f} 秒内没有接收请求，可能已无响应。请检查控制台进程。"
                )
            if timeout is not None and waited > timeout:
                raise ConsoleError(
                    f"等待超时（{timeout:.0f} 秒）；任务仍在控制台中运行，可在“任务”页面查看。"
                )
            if running_console() is None:
                raise ConsoleError(
                    "控制台已停止，任务未完成（控制台下次启动时会把它记为“已中断”）。"
                )
            time.sleep(POLL_SECONDS)
    finally:
        final.unlink(missing_ok=True)
        if last.get("state") in jobs.FINISHED:
            response_path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# The owner (the console's side)


class Owner:
    """What the console process does besides serving pages: hold the lock, open the database
    (retrying while another process has it), upgrade it, run jobs and take CLI requests."""

    def __init__(self) -> None:
        self.problem: str | None = "正在打开数据库…"
        self._lock_file = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._following: dict[str, tuple[str, Scope]] = {}  # request id → (job id, scope)
        self.ready = threading.Event()
        self.warmed_version: int | None = None  # the data version the caches were warmed for
        self._backup_job: str | None = None
        self.housekeeping: list[Callable[[], None]] = [self._backup_if_due, jobs.purge_results]

    # -- start and stop

    def start(self) -> None:
        folder = _folder()
        os.chmod(folder, 0o700)
        lock = open(_lock_path(), "a+b")  # noqa: SIM115 — held for the life of the process
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            lock.close()
            info = running_console() or {}
            raise ConsoleError(
                f"另一个控制台（PID {info.get('pid', '?')}）已在使用数据库 {config.db_path().name}。"
            ) from exc
        self._lock_file = lock
        _write_private(
            folder / "console.json",
            json.dumps({"pid": os.getpid(), "started": time.time(), "db": str(config.db_path())}),
        )
        if not _secret_path().exists():
            _write_private(_secret_path(), secrets.token_urlsafe(32))
        self._spawn("console-open", self._open_loop)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                (config.console_dir() / "console.json").unlink()
            self._lock_file.close()
            self._lock_file = None

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _open_loop(self) -> None:
        """Open and upgrade the database; while another process holds it, say so and retry."""
        from yibiaotong import bootstrap

        while not self._stop.is_set():
            try:
                bootstrap.upgrade()
                jobs.recover()
            except db.DatabaseUnavailable as exc:
                self.problem = str(exc)
                self._stop.wait(2.0)
                continue
            except Exception as exc:
                log.exception("console: the database could not be opened")
                self.problem = f"数据库无法打开：{exc}"
                self._stop.wait(5.0)
                continue
            self.problem = None
            self.ready.set()
            break
        if self.ready.is_set():
            self._spawn("console-requests", self._request_loop)
            self._spawn("console-warm", self._warm_loop)

    # -- warm caches (the district's figures are ready before the first person asks)

    def _warm_loop(self) -> None:
        """Compute what every district admin's first visit would otherwise wait for: the
        district's dashboard figures and tag counts (cached per data version, shared by all
        callers). Again after write batches, at most every REWARM_SECONDS: a warm costs the
        district ~2.5 CPU-seconds, and during a visit campaign saves come every few seconds."""
        warmed_at = float("-inf")
        while not self._stop.is_set():
            try:
                version = db.data_version()
                due = time.monotonic() - warmed_at >= REWARM_SECONDS
                if version != self.warmed_version and (self.warmed_version is None or due):
                    _warm(system_scope())
                    self.warmed_version, warmed_at = version, time.monotonic()
            except Exception:
                log.exception("console: warming the caches failed")
            self._stop.wait(WARM_SECONDS)

    # -- housekeeping (every minute)

    def _backup_if_due(self) -> None:
        from yibiaotong import backups

        system = system_scope()
        if self._backup_job and jobs.get(system, self._backup_job)["state"] not in jobs.FINISHED:
            return
        if backups.due():
            self._backup_job = jobs.enqueue(system, "backup", {"scheduled": True}, "schedule")

    # -- CLI requests

    def _request_loop(self) -> None:
        requests = _folder("requests")
        next_housekeeping = 0.0
        while not self._stop.is_set():
            for path in sorted(requests.glob("*")):
                if path.name.startswith("."):
                    continue  # being written
                try:
                    self._take(path)
                except Exception:
                    log.exception("console: request %s", path.name)
                    path.unlink(missing_ok=True)
            self._report_progress()
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + 60
                for task in self.housekeeping:
                    try:
                        task()
                    except Exception:
                        log.exception("console: housekeeping %s", getattr(task, "__name__", task))
            self._stop.wait(POLL_SECONDS)

    def _respond(self, request_id: str, **state: Any) -> None:
        _write_private(
            _folder("responses") / f"{request_id}.json",
            json.dumps(state, ensure_ascii=False, default=str),
        )

    def _refuse(self, path: Path, request_id: str | None, reason: str) -> None:
        path.unlink(missing_ok=True)
        log.warning("console: refused CLI request %s: %s", path.name, reason)
        with contextlib.suppress(Exception):
            from yibiaotong import auth

            auth.record("cli", "cli_refused", f"{path.name}：{reason}")
        if request_id:
            self._respond(request_id, state="failed", message=f"请求被拒绝：{reason}")

    def _take(self, path: Path) -> None:
        stem = path.stem if re.fullmatch(r"[0-9a-f]{32}", path.stem) else None
        if not _REQUEST_NAME.match(path.name):
            return self._refuse(path, stem, "文件名不是命令行生成的请求。")
        info = path.stat()
        if info.st_uid != os.getuid():
            return self._refuse(
                path, stem, f"请求文件属于系统用户 {os_user(info.st_uid)}，不是数据库的所有者。"
            )
        if info.st_size > MAX_REQUEST_BYTES:
            return self._refuse(path, stem, "请求文件过大。")
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self._refuse(path, stem, "请求格式错误：不是有效的 JSON。")
        expected = {"id", "kind", "params", "uid", "user", "token", "created"}
        if not isinstance(request, dict) or set(request) != expected:
            return self._refuse(path, stem, "请求格式错误：字段不全或多出未知字段。")
        if request["id"] != stem:
            return self._refuse(path, stem, "请求格式错误：编号与文件名不符。")
        if not isinstance(request["kind"], str) or not isinstance(request["params"], dict):
            return self._refuse(path, stem, "请求格式错误：任务类型或参数无效。")
        if request["uid"] != info.st_uid or request["user"] != os_user(info.st_uid):
            return self._refuse(
                path,
                stem,
                f"请求自称系统用户 {request['user']}（uid {request['uid']}），"
                f"但文件属于 {os_user(info.st_uid)}（uid {info.st_uid}）。",
            )
        token = request["token"] if isinstance(request["token"], str) else ""
        if not hmac.compare_digest(token.encode(), _read_secret().encode()):
            return self._refuse(path, stem, "控制台密钥不符：请以数据库文件的所有者运行命令行。")
        path.unlink(missing_ok=True)  # it may carry a password: gone before the job runs
        scope = cli_scope(request["user"])
        try:
            job_id = jobs.enqueue(scope, request["kind"], request["params"], origin="cli")
        except (jobs.JobError, PermissionError, TypeError) as exc:
            reason = str(exc) if isinstance(exc, jobs.JobError | PermissionError) else "参数无效。"
            return self._respond(stem, state="failed", message=reason)
        from yibiaotong import auth

        auth.record("cli", "cli_request", f"{request['user']}：{request['kind']}（任务 {job_id}）")
        self._following[stem] = (job_id, scope)
        self._respond(stem, state="queued", job_id=job_id, progress=0.0, step="排队中")
        return None

    def _report_progress(self) -> None:
        for request_id, (job_id, scope) in list(self._following.items()):
            row = jobs.get(scope, job_id)
            self._respond(
                request_id,
                state=row["state"],
                job_id=job_id,
                progress=row["progress"],
                step=row["step"],
                message=row["message"],
                result=row["result"],
            )
            if row["state"] in jobs.FINISHED:
                del self._following[request_id]


_owner: Owner | None = None


def _warm(scope: Scope) -> None:
    from yibiaotong import catalog, dashboard, tag_query, tags

    catalog.org_labels(scope.org_code)
    dashboard.figures(scope)
    for entity in tags.ENTITIES:
        tags.tree(scope, entity)
    tag_query.summary(scope, {"entity": "resident"})


def owner() -> Owner | None:
    """The owner of this process, when it is the console (None in the CLI, tests, AppTest)."""
    return _owner


def database_problem() -> str | None:
    """Why the console cannot use the database right now, in Chinese; None when it can."""
    return None if _owner is None else _owner.problem


@contextlib.asynccontextmanager
async def lifespan(app):  # noqa: ARG001 — st.App passes itself
    """st.App lifespan: the process that serves the pages owns the database."""
    global _owner
    owner = Owner()
    owner.start()
    _owner = owner
    try:
        yield
    finally:
        owner.stop()
        _owner = None
