"""Generating reports: one workbook, a department's batch zip, the run log and hours saved."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd

from yibiaotong import auth, catalog, db, tag_query
from yibiaotong.excel.cells import file_name
from yibiaotong.excel.report import FormError, FormResult, write_form
from yibiaotong.permissions import checked
from yibiaotong.reports.definition import ReportError
from yibiaotong.reports.plan import Prepared, filename, layout, prepare
from yibiaotong.reports.rows import count, iter_rows
from yibiaotong.reports.store import template, templates
from yibiaotong.scope import AccessDenied, Scope

log = logging.getLogger("yibiaotong")


@dataclass(frozen=True)
class RunResult:
    code: str
    version: int
    name: str
    rows: int
    seconds: float
    file_hash: str
    minutes_saved: int
    masked: bool
    run_id: int | None  # None in a batch: its runs are logged together once delivered
    filename: str


def _write(prepared: Prepared, out: IO[bytes], limit: int | None = None) -> FormResult:
    """Write the workbook to `out` from one read snapshot."""
    with db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            total = count(prepared, cur)
            if limit is not None:
                total = min(total, limit)
            rows = iter_rows(prepared, cur, limit=limit)
            return write_form(out, layout(prepared), rows, row_count=total)
        except FormError as exc:
            raise ReportError(str(exc)) from exc
        finally:
            cur.execute("rollback")


def _log_run(
    prepared: Prepared, rows: int, seconds: float, file_hash: str, batch_id: str | None
) -> tuple[int, int]:
    """Log a run; returns its id and the minutes it saved (see _insert_run)."""
    with db.transaction() as cur:
        return _insert_run(cur, prepared, rows, seconds, file_hash, batch_id)


def _insert_run(
    cur, prepared: Prepared, rows: int, seconds: float, file_hash: str, batch_id: str | None
) -> tuple[int, int]:
    """Insert the run and its access-log line; returns its id and the minutes it saved: the
    template's manual minutes, or 0 when the template was already produced for this org unit
    in this reporting period."""
    defn = prepared.template["definition"]
    detail = (
        f"{defn['name']}（{defn['code']} v{prepared.template['version']}）"
        f"{catalog.org_label(prepared.org_code)} {rows} 行，{'已脱敏' if prepared.masked else '未脱敏'}"
    )
    run_id, minutes = db.run(
        cur,
        "reports/insert_run",
        username=prepared.scope.username,
        template_code=defn["code"],
        template_version=prepared.template["version"],
        org_code=prepared.org_code,
        rows=rows,
        seconds=round(seconds, 3),
        file_hash=file_hash,
        minutes_saved=int(prepared.template["manual_minutes"]),
        masked=prepared.masked,
        batch_id=batch_id,
        frequency=defn["frequency"],
    ).fetchone()
    auth.log_access(
        cur,
        prepared.scope.username,
        "report_unmasked" if not prepared.masked else "report_generate",
        detail,
    )
    return run_id, minutes


def _minutes_if_logged_now(prepared: Prepared) -> int:
    """The minutes a run would book if logged now (a batch logs its runs on delivery)."""
    defn = prepared.template["definition"]
    counted = db.fetch_value(
        "reports/form_counted",
        template_code=defn["code"],
        org_code=prepared.org_code,
        frequency=defn["frequency"],
    )
    return 0 if counted else int(prepared.template["manual_minutes"])


@checked
def generate(
    scope: Scope,
    code: str,
    target: str | Path | IO[bytes],
    org_code: str | None = None,
    masked: bool | None = None,
    batch_id: str | None = None,
    prepared: Prepared | None = None,
    limit: int | None = None,
    defer_log: list[Callable[[Any], int]] | None = None,
) -> RunResult:
    """Generate one report into `target` (a path or a binary stream); log the run; return it.

    Nothing is half-written: the workbook is built in a temporary file first and only then
    copied to the stream or renamed onto the path. `limit` keeps only the first rows (samples,
    benchmarks). With `defer_log` the run is not logged now: its log write (cursor → run id) is
    appended there, for a batch to log every run once the whole batch is delivered.
    Raises ReportError / AccessDenied.
    """
    if prepared is not None and prepared.scope != scope:
        raise AccessDenied("报表计划不属于当前用户")
    prepared = prepared or prepare(scope, code, org_code, masked=masked)
    started = time.perf_counter()
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as tmp:
        result = _write(prepared, tmp, limit)
        tmp.seek(0)
        digest = hashlib.sha256()
        while chunk := tmp.read(1 << 20):
            digest.update(chunk)
        tmp.seek(0)
        if isinstance(target, str | Path):
            path = Path(target)
            part = path.with_name(path.name + ".part")
            try:
                with open(part, "wb") as f:
                    while chunk := tmp.read(1 << 20):
                        f.write(chunk)
                os.replace(part, path)
            finally:
                part.unlink(missing_ok=True)
        else:
            while chunk := tmp.read(1 << 20):
                target.write(chunk)
    seconds = time.perf_counter() - started
    log_args = (prepared, result.rows, seconds, digest.hexdigest(), batch_id)
    if defer_log is None:
        run_id, minutes = _log_run(*log_args)
    else:
        run_id, minutes = None, _minutes_if_logged_now(prepared)
        defer_log.append(lambda cur: _insert_run(cur, *log_args))
    return RunResult(
        code=prepared.code,
        version=prepared.template["version"],
        name=prepared.template["name"],
        rows=result.rows,
        seconds=seconds,
        file_hash=digest.hexdigest(),
        minutes_saved=minutes,
        masked=prepared.masked,
        run_id=run_id,
        filename=filename(prepared),
    )


@checked
def generate_bytes(
    scope: Scope, code: str, org_code: str | None = None, masked: bool | None = None
) -> tuple[bytes, RunResult]:
    """generate() into memory: the file's bytes and the run (for a download button)."""
    buffer = io.BytesIO()
    run = generate(scope, code, buffer, org_code, masked)
    return buffer.getvalue(), run


@dataclass
class BatchResult:
    runs: list[RunResult]
    skipped: list[tuple[str, str]]  # (template name, reason)
    batch_id: str
    seconds: float


@checked
def batch_codes(scope: Scope, department: str | None = None) -> list[dict[str, Any]]:
    """Templates a batch includes: all in force for the department (or all), runnable or not."""
    return templates(scope, department=department)


def _name_of(scope: Scope, code: str) -> str:
    try:
        return template(scope, code)["name"]
    except (ReportError, AccessDenied):
        return code


@checked
def batch_zip(
    scope: Scope,
    codes: Sequence[str],
    target: str | Path | IO[bytes],
    org_code: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    deliver: Callable[[Callable[[Any], None]], None] | None = None,
    batch_id: str | None = None,
) -> BatchResult:
    """Every template in `codes` for one org unit into one .zip; a template the caller may not
    run (sensitive tags, stopped, retired field) is listed in 生成说明.txt instead, and so is
    one that fails for an unforeseen reason (logged): the others are still delivered. Each
    workbook goes through a temporary file into the zip.

    The runs are logged only once the zip is complete, all in one transaction — or, with
    `deliver` (a job's), in the transaction that marks the job done — so a batch that dies
    half-way leaves no run recorded as delivered."""
    batch_id = batch_id or uuid.uuid4().hex[:12]
    pending: list[Callable[[Any], int]] = []
    started = time.perf_counter()
    runs: list[RunResult] = []
    skipped: list[tuple[str, str]] = []
    org = scope.narrow(org_code)
    total = len(codes)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for number, code in enumerate(codes, start=1):
            if progress:
                progress(number - 1, total, code)
            with tempfile.TemporaryDirectory() as folder:
                book = Path(folder) / "report.xlsx"
                try:
                    prepared = prepare(scope, code, org)
                    run = generate(
                        scope,
                        code,
                        book,
                        org,
                        batch_id=batch_id,
                        prepared=prepared,
                        defer_log=pending,
                    )
                except (ReportError, AccessDenied) as exc:
                    skipped.append((_name_of(scope, code), str(exc)))
                    continue
                except Exception:  # one broken template must not cost the others their batch
                    log.exception("batch %s: template %s failed", batch_id, code)
                    skipped.append(
                        (
                            _name_of(scope, code),
                            "生成时出错（已记入系统日志），请联系区数据局管理员",
                        )
                    )
                    continue
                department = catalog.department_name(prepared.template["department"]) or ""
                zf.write(book, file_name(f"{number:02d}_{department}_{run.filename}"))
            runs.append(run)
        lines = [
            f"一表通报表中心 批量生成 {datetime.now():%Y-%m-%d %H:%M}",
            f"范围：{catalog.org_label(org)}；生成人：{scope.username}",
            f"已生成 {len(runs)} 张，共 {sum(r.rows for r in runs):,} 行，"
            f"节省人工约 {sum(r.minutes_saved for r in runs) / 60:.1f} 小时。",
        ]
        if skipped:
            lines.append("")
            lines.append("未生成的报表：")
            lines += [f"- {name}：{reason}" for name, reason in skipped]
        zf.writestr("生成说明.txt", "\r\n".join(lines) + "\r\n")

    def log_runs(cur) -> None:
        for write in pending:
            write(cur)

    if deliver is None:
        with db.transaction() as cur:
            log_runs(cur)
    else:
        deliver(log_runs)
    if progress:
        progress(total, total, "")
    return BatchResult(runs, skipped, batch_id, time.perf_counter() - started)


@checked
def saved_query_reports(scope: Scope) -> list[dict[str, Any]]:
    """Tag queries marked 作为报表 that the caller may run: their own and those shared with
    them — department staff only their own (a colleague's query may need other fields)."""
    own_only = scope.role == "dept_staff"
    return [
        q for q in tag_query.list_saved(scope) if q.get("as_report") and (q["mine"] or not own_only)
    ]


@checked
def saved_query_bytes(scope: Scope, saved_id: int) -> bytes:
    """One such query exported through the tag query's own Excel export (logged there)."""
    if not any(q["id"] == saved_id for q in saved_query_reports(scope)):
        raise AccessDenied("该自定义报表不存在，或不能由您生成")
    spec = tag_query.load_saved(scope, saved_id)
    buffer = io.BytesIO()
    tag_query.export(scope, spec, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Run log and hours saved


def _department_of(scope: Scope) -> str | None:
    """Department staff see their own department's runs; other roles every department's."""
    return scope.department if scope.role == "dept_staff" else None


@checked
def runs(scope: Scope, limit: int = 50, offset: int = 0) -> pd.DataFrame:
    """One page of runs inside the caller's scope, newest first, with Chinese column labels.
    计入节省 says whether the run booked its form's manual minutes (the first of its template,
    unit and reporting period) or repeated one already counted."""
    frame = db.fetch_df(
        "reports/list_runs",
        org_code=scope.org_code,
        department=_department_of(scope),
        limit=int(limit),
        offset=int(offset),
    )
    frame = frame.rename(
        columns={
            "created_at": "生成时间",
            "user_name": "生成人",
            "template_name": "报表",
            "template_version": "版本",
            "department_name": "部门",
            "org_name": "范围",
            "period": "报送期",
            "rows": "行数",
            "seconds": "耗时（秒）",
            "minutes_saved": "节省（分钟）",
        }
    )
    frame["计入节省"] = frame.pop("counted").map({True: "是", False: "否（同期已计）"})
    frame["脱敏"] = frame.pop("masked").map({True: "是", False: "否"})
    frame["文件摘要"] = frame.pop("file_hash").str[:12]
    return frame[
        [
            "生成时间",
            "生成人",
            "报表",
            "版本",
            "部门",
            "范围",
            "报送期",
            "行数",
            "耗时（秒）",
            "节省（分钟）",
            "计入节省",
            "脱敏",
            "文件摘要",
        ]
    ]


@checked
def savings(scope: Scope, today: date | None = None) -> dict[str, Any]:
    """Runs, forms and hours saved inside the scope: totals, this month, per department, per
    month. A form counts once per template, org unit and reporting period, however often it
    is downloaded."""
    today = today or date.today()
    department = _department_of(scope)
    org = scope.org_code
    row = db.fetch_dicts(
        "reports/run_totals", org_code=org, month_start=today.replace(day=1), department=department
    )[0]
    since = date(today.year - 1, today.month, 1)
    return {
        "runs": row["runs"],
        "forms": row["forms"],
        "rows": int(row["rows"]),
        "hours": round(row["minutes_saved"] / 60, 1),
        "runs_month": row["runs_month"],
        "forms_month": row["forms_month"],
        "hours_month": round(row["minutes_month"] / 60, 1),
        "by_department": db.fetch_df(
            "reports/saved_by_department", org_code=org, department=department
        ),
        "by_month": db.fetch_df(
            "reports/saved_by_month", org_code=org, since=since, department=department
        ),
    }
