"""Jobs: queued work with progress, results, one writer at a time, failures that change nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from datetime import datetime, timedelta

import pytest

from yibiaotong import config, db, jobs
from yibiaotong.config import ROOT
from yibiaotong.scope import AccessDenied, Scope

ADMIN = Scope("admin", "district_admin", "330102", clearance=True)
LEADER = Scope("leader_zlk", "street_leader", "330102009")
WORKER = Scope("sw_tianxian", "social_worker", "330102009001", clearance=True)
ALL = ("district_admin", "street_leader", "dept_staff", "social_worker")

# Test kinds: each records when it ran, so the test can compare against the clock, not the runner.
SPANS: dict[str, tuple[float, float]] = {}
GATES: dict[str, threading.Event] = {}


def _span(ctx, name: str, seconds: float) -> None:
    started = time.monotonic()
    gate = GATES.get(name)
    deadline = started + seconds
    while time.monotonic() < deadline or (gate is not None and not gate.is_set()):
        ctx.check_cancelled()
        ctx.progress(min(0.99, (time.monotonic() - started) / max(seconds, 0.01)), f"{name} 进行中")
        time.sleep(0.02)
    SPANS[name] = (started, time.monotonic())


@jobs.register("test_writer", title="测试写任务", roles=ALL, writes=True)
def _writer(ctx, *, name: str, seconds: float = 0.3):
    _span(ctx, name, seconds)
    return {"message": f"{name} 完成"}


@jobs.register("test_reader", title="测试读任务", roles=ALL, writes=False)
def _reader(ctx, *, name: str, seconds: float = 0.3):
    _span(ctx, name, seconds)
    return None


@jobs.register("test_half_write", title="测试中途失败", roles=ALL, writes=True)
def _half_write(ctx, *, error: str):
    with db.transaction() as cur:
        cur.execute("insert into app_setting values ('half_written', 'yes')")
        if error == "domain":
            raise ValueError("第 3 行身份证号校验位错误，已全部撤销。")
        raise KeyError("internal detail that must not reach a user")


@jobs.register("test_file", title="测试结果文件", roles=ALL, writes=False, secret=("password",))
def _file(ctx, *, text: str, password: str = ""):
    path = ctx.result_path("结果/../a:b.txt")
    path.write_text(text + password, encoding="utf-8")
    ctx.log("写入结果文件")
    return {"message": "ok", "size": len(text)}


def runs_of_batch(batch_id: str) -> int:
    with db.cursor() as cur:
        sql = "select count(*) from report_run where batch_id = $b"
        return cur.execute(sql, {"b": batch_id}).fetchone()[0]


@pytest.fixture
def job_db(writable_db):
    yield writable_db
    for job_id in jobs.running():
        jobs.wait(ADMIN, job_id, timeout=30)


def test_a_batch_job_writes_its_zip_and_logs_its_runs_on_delivery(job_db):
    from yibiaotong import reports

    codes = [t["code"] for t in reports.batch_codes(LEADER, "minzheng")]
    job_id = jobs.submit(LEADER, "report_batch", codes=codes, org_code="330102009", label="民政")
    row = jobs.wait(LEADER, job_id, timeout=120)
    assert row["state"] == "done", row["message"]
    path = jobs.result_file(LEADER, job_id)
    assert path is not None and path.name.startswith("民政报表_闸弄口街道_")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(path) as zf:
        books = [n for n in zf.namelist() if n.endswith(".xlsx")]
        note = zf.read("生成说明.txt").decode("utf-8")
    logged = runs_of_batch(job_id)  # runs are logged under the job's id
    assert logged == len(books) == row["result"]["reports"] > 0
    assert f"已生成 {len(books)} 张" in note
    # Another street leader cannot see it; the admin of the district can.
    with pytest.raises(jobs.JobError):
        jobs.get(Scope("leader_x", "street_leader", "330102001"), job_id)
    assert jobs.get(ADMIN, job_id)["owner"] == "leader_zlk"
    assert [j["id"] for j in jobs.list_jobs(LEADER)] == [job_id]


def test_writers_take_turns_while_readers_go_on(job_db):
    SPANS.clear()
    ids = [
        jobs.submit(ADMIN, "test_writer", name="w1", seconds=0.4),
        jobs.submit(ADMIN, "test_writer", name="w2", seconds=0.4),
        jobs.submit(ADMIN, "test_reader", name="r1", seconds=0.4),
    ]
    for job_id in ids:
        assert jobs.wait(ADMIN, job_id, timeout=30)["state"] == "done"
    (w1s, w1e), (w2s, w2e), (r1s, r1e) = SPANS["w1"], SPANS["w2"], SPANS["r1"]
    assert w1e <= w2s or w2e <= w1s, "two writing jobs overlapped"
    assert r1s < max(w1e, w2e) and r1e > min(w1s, w2s), "the reader waited for the writers"


def test_a_failing_job_leaves_nothing_half_written_and_says_why_in_chinese(job_db):
    domain = jobs.submit(ADMIN, "test_half_write", error="domain")
    internal = jobs.submit(ADMIN, "test_half_write", error="internal")
    a, b = jobs.wait(ADMIN, domain), jobs.wait(ADMIN, internal)
    assert (a["state"], b["state"]) == ("failed", "failed")
    assert a["message"] == "第 3 行身份证号校验位错误，已全部撤销。"
    assert "任务出错" in b["message"] and "internal detail" not in b["message"]
    assert db.fetch_value("settings/get_setting", key="half_written") is None


def test_cancel_a_queued_and_a_running_job(job_db):
    GATES["held"] = threading.Event()
    running = jobs.submit(ADMIN, "test_writer", name="held", seconds=0.1)
    queued = jobs.submit(ADMIN, "test_writer", name="behind", seconds=0.1)
    deadline = time.monotonic() + 10
    while jobs.get(ADMIN, running)["state"] != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert jobs.get(ADMIN, queued)["state"] == "queued"
    with pytest.raises(jobs.JobError):
        jobs.cancel(WORKER, running)  # not the owner
    jobs.cancel(ADMIN, queued)
    jobs.cancel(ADMIN, running)
    assert jobs.wait(ADMIN, running)["state"] == "cancelled"
    assert jobs.get(ADMIN, queued)["state"] == "cancelled"
    assert "behind" not in SPANS and "held" not in SPANS
    with pytest.raises(jobs.JobError, match="已取消"):
        jobs.cancel(ADMIN, queued)
    GATES.pop("held")


def test_role_and_parameters_are_checked_at_submission(job_db):
    with pytest.raises(AccessDenied):
        jobs.submit(WORKER, "refresh_tags")
    with pytest.raises(jobs.JobError, match="未知的任务类型"):
        jobs.submit(ADMIN, "drop_everything")
    with pytest.raises(jobs.JobError, match="参数"):
        jobs.submit(ADMIN, "test_reader", name=object())
    assert jobs.list_jobs(ADMIN) == []


def test_result_file_name_is_tamed_and_secrets_are_not_stored(job_db):
    row = jobs.run_inline(WORKER, "test_file", text="内容", password="Secret#123")
    assert row["state"] == "done" and row["result"] == {"message": "ok", "size": 2}
    path = jobs.result_file(WORKER, row["id"])
    assert path.parent == jobs.result_folder(row["id"]) and path.name == "a_b.txt"
    assert path.read_text(encoding="utf-8") == "内容Secret#123"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert row["params"] == {"text": "内容"}
    assert "Secret" not in json.dumps(db.fetch_all("jobs/get_job", id=row["id"]), default=str)
    assert [r["line"] for r in jobs.log_lines(WORKER, row["id"])] == ["写入结果文件"]


def test_result_files_expire_but_the_job_stays_as_history(job_db):
    row = jobs.run_inline(WORKER, "test_file", text="x")
    assert jobs.result_file(WORKER, row["id"]) is not None
    later = datetime.now() + timedelta(days=config.job_result_days() + 1)
    assert jobs.purge_results(now=later) == 1
    assert jobs.result_file(WORKER, row["id"]) is None
    assert not jobs.result_folder(row["id"]).exists()
    assert jobs.get(WORKER, row["id"])["state"] == "done"


CHILD = """
import os, sys
from yibiaotong import jobs, reports
from yibiaotong.scope import Scope
admin = Scope("admin", "district_admin", "330102", clearance=True)
codes = [t["code"] for t in reports.batch_codes(admin)]
jobs.run_inline(admin, "report_batch", codes=codes * 20, org_code="330102", label="全部")
"""


def test_a_killed_process_leaves_its_batch_interrupted_with_no_run_delivered(job_db):
    """kill -9 while a batch writes its zip: the next process finds the job interrupted, its
    partial file gone and not one of its runs in the run log."""
    db.close_all()
    env = {**os.environ, "YIBIAOTONG_DB": str(job_db)}
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        parts = []
        while not parts and time.monotonic() < deadline:
            parts = list(config.jobs_dir().glob("*/*.part")) if config.jobs_dir().exists() else []
            time.sleep(0.05)
        assert parts, "the batch never started writing"
        time.sleep(1.0)  # some templates are in the zip by now
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    job_id = parts[0].parent.name
    assert runs_of_batch(job_id) == 0
    assert jobs.recover() == 1
    row = jobs.get(ADMIN, job_id)
    assert row["state"] == "interrupted" and "未完成" in row["message"]
    assert jobs.result_file(ADMIN, job_id) is None and not parts[0].parent.exists()
