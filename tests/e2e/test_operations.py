"""运维 against a real console process: the CLI hands work over, the request folder refuses
impostors, kill -9 during a batch delivers nothing, a locked database speaks Chinese, and a batch
outlives the tab that started it."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import duckdb
import pytest
from browser_helpers import (
    DESKTOP,
    PHONE,
    Console,
    Server,
    cli,
    kill,
    login,
    open_app,
    shot,
    wait_for_app,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "Demo@2026"


def query(db_file: Path, sql: str, params: dict | None = None) -> list[tuple]:
    """Read the file directly (only when no console holds it)."""
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


@pytest.fixture
def console(e2e_db_template, tmp_path):
    server = Server(e2e_db_template, tmp_path)
    yield server
    if server.proc.poll() is None:
        server.stop()


def test_cli_locks_unlocks_and_backs_up_while_the_console_serves(console, tmp_path):
    locked = cli(console, "user", "lock", "sw_hongmei", "--minutes", "30")
    assert locked.returncode == 0, locked.stderr
    assert "已把任务交给控制台" in locked.stderr and "已锁定 sw_hongmei" in locked.stdout
    listing = cli(console, "user", "list")
    assert "sw_hongmei" in listing.stdout and "锁定至" in listing.stdout
    unlocked = cli(console, "user", "unlock", "sw_hongmei")
    assert unlocked.returncode == 0 and "已解锁 sw_hongmei" in unlocked.stdout
    target = tmp_path / "备份" / "handed-over.duckdb"
    target.parent.mkdir()
    backup = cli(console, "backup", str(target))
    assert backup.returncode == 0, backup.stderr
    assert target.is_file() and oct(target.stat().st_mode & 0o777) == "0o600"
    refused = cli(console, "backup", str(target))
    assert refused.returncode == 2 and "已存在" in refused.stderr

    console.stop()
    live = console.db_file
    assert query(live, "select locked_until from app_user where username = 'sw_hongmei'") == [
        (None,)
    ]
    actions = query(
        live,
        "select action from access_log where username = 'cli' and action like 'user_%' "
        "order by logged_at",
    )
    assert [a for (a,) in actions] == ["user_lock", "user_unlock"]
    for table in ("resident", "app_user", "report_template"):
        sql = f"select count(*), sum(hash(t)::hugeint) from {table} as t"
        assert query(target, sql) == query(live, sql), table


def _request(server: Server, body: object, name: str | None = None) -> str:
    """Drop a request file the way an impostor or a broken script would (atomically)."""
    request_id = uuid.uuid4().hex
    folder = server.db_file.with_name(server.db_file.stem + ".console") / "requests"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{request_id}.tmp"
    tmp.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    tmp.rename(folder / (name or f"{request_id}.json"))
    return request_id


def _response(server: Server, request_id: str, timeout: float = 30) -> dict:
    path = server.db_file.with_name(server.db_file.stem + ".console") / "responses"
    path = path / f"{request_id}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        time.sleep(0.1)
    raise AssertionError("the console never answered")


def test_request_folder_refuses_malformed_and_impostor_entries(console):
    assert cli(console, "user", "list").returncode == 0  # the console took requests already
    secret_file = console.db_file.with_name(console.db_file.stem + ".console") / "secret"
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    secret = secret_file.read_text().strip()
    me = {"uid": os.getuid(), "user": pwd.getpwuid(os.getuid()).pw_name}

    def body(request_id: str, **changes) -> dict:
        base = {"id": request_id, "kind": "user_admin", "params": {"action": "unlock"}}
        return {**base, **me, "token": secret, "created": time.time(), **changes}

    broken = _request(console, "{not json")
    assert "不是有效的 JSON" in _response(console, broken)["message"]
    rid = uuid.uuid4().hex
    _request(console, body(rid, uid=4242, user="zhangsan"), name=f"{rid}.json")
    answer = _response(console, rid)
    assert answer["state"] == "failed" and "自称系统用户 zhangsan" in answer["message"]
    rid = uuid.uuid4().hex
    _request(console, body(rid, token="guessed"), name=f"{rid}.json")
    assert "密钥不符" in _response(console, rid)["message"]
    rid = uuid.uuid4().hex
    _request(console, body(rid, kind="drop_database"), name=f"{rid}.json")
    assert "未知的任务类型" in _response(console, rid)["message"]
    _request(console, body("x"), name="evil.json")
    time.sleep(1.5)
    folder = console.db_file.with_name(console.db_file.stem + ".console")
    assert not list((folder / "requests").glob("*.json")), "refused requests are removed"

    console.stop()
    refused = query(console.db_file, "select detail from access_log where action = 'cli_refused'")
    assert len(refused) == 4  # the unknown kind is refused by the job layer, not the folder
    assert any("evil.json" in d for (d,) in refused)
    kinds = query(console.db_file, "select kind from job where origin = 'cli'")
    assert [k for (k,) in kinds] == ["user_admin"]


def test_kill_9_during_a_batch_leaves_it_interrupted_with_no_run_delivered(
    console, e2e_db_template, tmp_path, monkeypatch
):
    from yibiaotong import console as console_module
    from yibiaotong import db

    monkeypatch.setenv("YIBIAOTONG_DB", str(console.db_file))
    codes = [
        c for (c,) in query(e2e_db_template, "select distinct code from report_template order by 1")
    ]
    outcome: dict = {}

    def hand_over() -> None:
        try:
            outcome["row"] = console_module.hand_over(
                "report_batch", {"codes": codes * 5, "org_code": "330102", "label": "全部"}
            )
        except console_module.ConsoleError as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=hand_over)
    thread.start()
    jobs_dir = console.db_file.with_name(console.db_file.stem + ".jobs")
    deadline = time.monotonic() + 120
    parts: list[Path] = []
    while not parts and time.monotonic() < deadline:
        parts = list(jobs_dir.glob("*/*.part")) if jobs_dir.exists() else []
        time.sleep(0.05)
    assert parts, "the batch never started"
    time.sleep(1.0)
    kill(console)
    thread.join(30)
    assert "控制台已停止" in outcome.get("error", ""), outcome
    job_id = parts[0].parent.name
    assert query(console.db_file, "select state from job where id = $j", {"j": job_id}) == [
        ("running",)
    ]
    assert query(
        console.db_file, "select count(*) from report_run where batch_id = $j", {"j": job_id}
    ) == [(0,)]

    again = Server(e2e_db_template, console.db_file.parent)  # the next start of the console
    try:
        assert cli(again, "user", "list").returncode == 0  # the owner is up and has recovered
    finally:
        again.stop()
    db.close_all()
    state, message = query(
        console.db_file, "select state, message from job where id = $j", {"j": job_id}
    )[0]
    assert state == "interrupted" and "未完成" in message
    assert not parts[0].parent.exists()


HOLDER = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(600)"


def test_a_locked_database_speaks_chinese_and_the_console_recovers(
    e2e_db_template, tmp_path, context_factory
):
    db_file = tmp_path / "console.duckdb"
    shutil.copy(e2e_db_template, db_file)
    shutil.copy(e2e_db_template.with_suffix(".cookie_key"), db_file.with_suffix(".cookie_key"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_file)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    server = Console(db_file, tmp_path)  # not Server: its owner cannot open the file yet
    try:
        for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
            page = context_factory(viewport).new_page()
            open_app(page, server.url)
            # The page says "正在打开数据库…" while the console retries opening the file,
            # then the reason: wait longer than Playwright's 5 s default.
            expect(page.get_by_role("heading", name="一表通暂时无法使用")).to_be_visible(
                timeout=20_000
            )
            expect(page.get_by_text(f"正被另一个进程使用（PID {holder.pid}）")).to_be_visible(
                timeout=20_000
            )
            shot(page, f"ops-locked-{suffix}")
        holder.kill()
        holder.wait(10)
        # The page retries by itself and shows the login once the console has the file.
        expect(page.get_by_label("用户名")).to_be_visible(timeout=30_000)
        login(page, "admin", PASSWORD)
    finally:
        if holder.poll() is None:
            holder.kill()
        server.stop()


def test_an_admin_starts_a_district_batch_closes_the_tab_and_downloads_it_from_jobs(
    console, context_factory, tmp_path
):
    first = context_factory(DESKTOP)
    page = first.new_page()
    open_app(page, console.url)
    login(page, "admin", PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="报表中心").click()
    wait_for_app(page)
    page.get_by_role("tab", name="批量下载").click()
    wait_for_app(page)
    page.get_by_role("button", name="生成压缩包").click()
    wait_for_app(page)
    expect(page.get_by_text("压缩包在后台生成")).to_be_visible()
    shot(page, "ops-batch-started-desktop")
    first.close()  # the tab is gone while the batch runs

    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = context_factory(viewport).new_page()
        open_app(page, console.url)
        login(page, "admin", PASSWORD)
        if suffix == "phone":
            page.get_by_test_id("stExpandSidebarButton").click()
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="任务").click()
        wait_for_app(page)
        collapse = page.get_by_role("button", name="Collapse sidebar")
        if suffix == "phone" and collapse.is_visible():
            collapse.click()
        expect(page.get_by_role("heading", name="任务").first).to_be_visible()
        download_button = page.get_by_role("button", name="下载 全部报表_上城区_")
        expect(download_button).to_be_visible(timeout=180_000)
        expect(page.get_by_text("批量生成报表 · 已完成").first).to_be_visible()
        shot(page, f"ops-jobs-{suffix}")
    with page.expect_download() as download:
        download_button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as zf:
        books = [n for n in zf.namelist() if n.endswith(".xlsx")]
        note = zf.read("生成说明.txt").decode("utf-8")
    assert len(books) >= 30 and f"已生成 {len(books)} 张" in note
