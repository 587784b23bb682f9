"""load_N: N real Chromium sessions against one console process, the way Streamlit measures its
own server (e2e_playwright/load_testing: one browser per worker process, server sampled with
psutil every 500 ms), on the scenario a district lives by: login → 数据大屏 → 标签查询 → one
ledger save. Every step is timed from the click to its content (the expected element shown and
the app idle); a click that leaves the app idle without its content is a lost click, clicked
again as a user would. Also page_<stem>: each page's click-to-content for one user.

The load runs on its own copy of a generated district (default 1.3 million residents, the
product's district; YIBIAOTONG_LOAD_RESIDENTS), so the benchmark database is never opened by
the console. Pass criteria (Streamlit's): 100 % of sessions complete, p95 < 5 s, RSS growth
< 100 MB per 50 users.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from yibiaotong.benchmarks import Context, bench_dir, generate
from yibiaotong.benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Console
from yibiaotong.ui.pages import pages_for

SESSIONS = (1, 5, 10, 20)
P95_BUDGET_MS = 5000
PAGE_BUDGET_MS = 1000
GROWTH_BUDGET_MB_PER_50 = 100
PASSWORD = "Yb-Load-2026!q7"
STEP_TIMEOUT_S = 90
LOST_AFTER_S = 6  # idle this long after a click, without its content: the click was lost


def load_residents() -> int:
    return int(os.environ.get("YIBIAOTONG_LOAD_RESIDENTS", 1_300_000))


def session_counts(
    variable: str = "YIBIAOTONG_LOAD_SESSIONS", default: tuple[int, ...] = SESSIONS
) -> tuple[int, ...]:
    """How many sessions each round runs (e.g. "1,5" in `variable` for a smoke run)."""
    given = os.environ.get(variable)
    return tuple(int(n) for n in given.split(",")) if given else default


# ---------------------------------------------------------------------------------------------
# One browser session (runs in a worker process of its own)


_STATE_JS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) return "no app";
    for (const e of document.querySelectorAll(
            "[data-testid='stException'], [data-testid='stAlertContentError']")) {
        if (e.dataset.testid === "stException" || e.textContent.includes("页面出现错误")) {
            return "error";
        }
    }
    return app.dataset.testScriptState + "/" + app.dataset.testConnectionState;
}"""
POLL_MS = 50
IDLE = "notRunning/CONNECTED"  # connected, and no script run going on


def _state(page) -> str:
    """The app's script state and connection state, as Streamlit's frontend marks them, or
    "error" when the page shows an exception or the console's error message. One round trip
    ("no app" while the page is still loading): the harness's own polling must not take the
    CPU it measures (it had four round trips per 40 ms poll before)."""
    return page.evaluate(_STATE_JS)


class StepFailed(RuntimeError):
    pass


class _Session:
    def __init__(self, page) -> None:
        self.page = page
        self.steps: list[tuple[str, float]] = []
        self.lost_clicks = 0
        self.lost: list[dict[str, Any]] = []  # what the app did after each lost click

    def step(self, name: str, act, ready) -> None:
        """Do `act` (a click), wait until `ready()` holds with the app idle; time it.

        A click is lost when the app stays idle, without the step's content, for LOST_AFTER_S
        on end — counted from the click or from the app's last run, whichever is later: a run
        that took longer than that is slow, not lost. The states seen since the click go into
        the record, so a lost click can be told apart from a server that never started."""
        page = self.page
        started = time.perf_counter()
        act()
        busy_at = started  # the click, or the last moment the app was seen running
        states: list[tuple[float, str]] = []
        while True:
            page.wait_for_timeout(POLL_MS)
            now = time.perf_counter()
            state = _state(page)
            if not states or states[-1][1] != state:
                states.append((round(now - started, 2), state))
            if state == "error":
                raise StepFailed(f"{name}: the page shows an error")
            idle = state == IDLE
            if idle and ready():
                break
            if not idle:
                busy_at = now
            if now - started > STEP_TIMEOUT_S:
                raise StepFailed(f"{name}: no content after {STEP_TIMEOUT_S} s")
            if idle and now - busy_at > LOST_AFTER_S and not ready():
                self.lost_clicks += 1
                self.lost.append(
                    {"step": name, "after_s": round(now - started, 1), "states": states}
                )
                states = []
                busy_at = now
                act()
        self.steps.append((name, (time.perf_counter() - started) * 1000))

    def login(self, user: str) -> None:
        page = self.page
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(PASSWORD)
        self.step(
            "login",
            lambda: page.get_by_role("button", name="登录").click(),
            lambda: page.get_by_role("heading", name="首页").first.is_visible(),
        )

    def nav(self, name: str, title: str, content=None) -> None:
        page = self.page
        heading = page.get_by_role("heading", name=title).first

        def ready() -> bool:
            return heading.is_visible() and (content is None or content().is_visible())

        # The link's accessible name is "<title>：<description>"; 修改密码 sits under the menu.
        link = page.get_by_test_id("stSidebar").get_by_role(
            "link", name=re.compile(f"^{re.escape(title)}(：|$)")
        )
        self.step(name, lambda: link.first.click(), ready)


def _scenario(s: _Session, user: str, id_number: str) -> None:
    s.login(user)
    _overview(s)
    _ledger_save(s, id_number)


def _overview(s: _Session) -> None:
    """数据大屏, then 标签查询 with one tag ticked: the same clicks for every user of a unit."""
    page = s.page
    s.nav("dashboard", "数据大屏", lambda: page.get_by_test_id("stMetric").first)
    count = page.get_by_test_id("stMetric").filter(has_text="符合条件").first
    s.nav("tag_query", "标签查询", lambda: count)
    page.get_by_test_id("stExpander").filter(has_text="计划生育").locator("summary").first.click()
    second_child = page.get_by_test_id("stCheckbox").filter(has_text=re.compile(r"└ 二孩(\s|$)"))
    second_child.first.wait_for(timeout=STEP_TIMEOUT_S * 1000)
    s.step(
        "tag_tick",
        lambda: second_child.locator("label").first.click(),
        lambda: page.get_by_test_id("stMetric").filter(has_text="育儿补助合计").first.is_visible(),
    )


def _ledger_save(s: _Session, id_number: str) -> None:
    """台账: find one resident by ID number, open the record, change 工作单位 and save it."""
    page = s.page
    s.nav("ledger", "台账")
    box = page.get_by_label("搜索")
    box.fill(id_number)
    s.step(
        "ledger_search",
        lambda: box.press("Enter"),
        lambda: page.get_by_text("共 1 条").is_visible(),
    )
    grid = page.get_by_test_id("stDataFrame").first

    def open_row() -> None:
        frame = grid.bounding_box()
        page.mouse.click(frame["x"] + 16, frame["y"] + 52)

    s.step(
        "ledger_record",
        open_row,
        lambda: page.get_by_role("heading", name="人口：").first.is_visible(),
    )
    page.get_by_label("工作单位").fill(f"负载测试 {time.time():.3f}")
    s.step(
        "ledger_save",
        lambda: page.get_by_role("button", name="保存修改").click(),
        lambda: page.get_by_role("dialog").get_by_role("button", name="确认保存").is_visible(),
    )
    s.step(
        "ledger_confirm",
        lambda: page.get_by_role("dialog").get_by_role("button", name="确认保存").click(),
        lambda: page.get_by_text("已保存").first.is_visible(),
    )


def _pages(s: _Session, user: str, visits: int) -> None:
    """Each page of the admin's menu, `visits` times over (click-to-heading)."""
    s.login(user)
    for _ in range(visits):
        for spec in pages_for("district_admin"):
            s.nav(f"page_{spec.stem}", spec.title)


def session(url: str, user: str, id_number: str, mode: str, barrier, out) -> None:
    """One user's browser in its own process; puts its result on `out`."""
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {"user": user, "steps": [], "lost_clicks": 0, "errors": []}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
                # Streamlit's own load test times this: from goto to the app's first run done.
                started = time.perf_counter()
                page.goto(url, timeout=120_000)
                page.get_by_label("用户名").wait_for(timeout=120_000)
                while _state(page) != IDLE:
                    if time.perf_counter() - started > STEP_TIMEOUT_S:
                        raise StepFailed(f"first load: not idle after {STEP_TIMEOUT_S} s")
                    page.wait_for_timeout(POLL_MS)
                result["initial_load_ms"] = (time.perf_counter() - started) * 1000
                s = _Session(page)
                if barrier is not None:
                    barrier.wait(timeout=300)  # everyone clicks 登录 at the same moment
                try:
                    if mode == "pages":
                        _pages(s, user, visits=3)
                    else:
                        _scenario(s, user, id_number)
                    result["completed"] = True
                finally:
                    result["steps"], result["lost_clicks"] = s.steps, s.lost_clicks
                    result["lost"] = s.lost
            finally:
                browser.close()
    except Exception as exc:  # a failed session is a result, not a crash of the benchmark
        result["errors"].append(f"{type(exc).__name__}: {str(exc)[:300]}")
    out.put(result)


# ---------------------------------------------------------------------------------------------
# The harness (benchmark process)


def _prepare(db_file: Path, users: list[str]) -> list[str]:
    """Bench accounts (district admins: the only role with all three pages) and ID numbers of
    distinct residents for the saves, written with the console down."""
    code = f"""
import json
from yibiaotong import auth, db, passwords
district = db.fetch_value("auth/district_code")
hashed = passwords.hash_password({PASSWORD!r})
with db.transaction() as cur:
    for name in {users!r}:
        if auth.get_user(name) is None:
            auth.insert_user(cur, name, "压测" + name[-2:], hashed, "district_admin", district,
                             must_change=False)
with db.cursor() as cur:
    rows = cur.execute(
        "select id_number from resident where status = 'active' and id_type = '01' "
        "and id_number is not null order by hash(id) limit 200").fetchall()
print(json.dumps([r[0] for r in rows]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "YIBIAOTONG_DB": str(db_file)},
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


class _Sampler:
    """RSS and CPU of the console process every 500 ms (as Streamlit's MetricsCollector), and
    the CPU time of the browsers (this benchmark's worker processes and their Chromiums) and of
    the whole machine, so the console's own cost is told apart from theirs."""

    def __init__(self, pid: int, server_log: Path) -> None:
        self.process = psutil.Process(pid)
        self.server_log = server_log
        self._log_from = server_log.stat().st_size
        self.rss: list[float] = []
        self.cpu: list[float] = []
        self._browsers: dict[int, float] = {}  # pid → CPU seconds last seen
        self._console_cpu = _cpu_seconds(self.process)
        self._machine = psutil.cpu_times()
        self._load = os.getloadavg()
        self._started = time.perf_counter()
        self._stop = threading.Event()
        self.process.cpu_percent()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                self.rss.append(self.process.memory_info().rss / 2**20)
                self.cpu.append(self.process.cpu_percent())
            except psutil.Error:
                break
            for child in me.children(recursive=True):
                if child.pid != self.process.pid:
                    with contextlib.suppress(psutil.Error):
                        self._browsers[child.pid] = _cpu_seconds(child)
            self._stop.wait(0.5)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(5)
        wall = time.perf_counter() - self._started
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - (sum(self._machine) - self._machine.idle)
        return {
            "rss_mb_start": round(self.rss[0]),
            "rss_mb_peak": round(max(self.rss)),
            "rss_mb_end": round(self.rss[-1]),
            "rss_mb_growth": round(self.rss[-1] - self.rss[0], 1),
            "cpu_percent_avg": round(statistics.mean(self.cpu)),
            "console_cpu_s": round(_cpu_seconds(self.process) - self._console_cpu, 1),
            "browsers_cpu_s": round(sum(self._browsers.values()), 1),
            "machine_cpu_s": round(busy, 1),
            "machine_cpu_capacity_s": round(wall * (os.cpu_count() or 1), 1),
            "load_average_before": round(self._load[0], 2),
            "load_average_after": round(os.getloadavg()[0], 2),
            **self._page_runs(),
        }

    def _page_runs(self) -> dict[str, Any]:
        """Server time of the round's page runs (the console prints them, YIBIAOTONG_TIME_RUNS):
        what the console itself spent on a click, apart from the network and the browser."""
        with self.server_log.open(encoding="utf-8", errors="replace") as log:
            log.seek(self._log_from)
            runs = [float(m.group(1)) for m in _RUN_LINE.finditer(log.read())]
        if not runs:
            return {"server_runs": 0}
        return {
            "server_runs": len(runs),
            "server_run_p50_ms": round(_percentile(runs, 0.5)),
            "server_run_p95_ms": round(_percentile(runs, 0.95)),
            "server_run_max_ms": round(max(runs)),
        }


_RUN_LINE = re.compile(r"^yb-page-run \S+ (\d+)$", re.MULTILINE)


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(console: Console, n: int, mode: str, users: list[str], ids: list[str]) -> list[dict]:
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    barrier = spawn.Barrier(n) if n > 1 else None
    workers = [
        spawn.Process(target=session, args=(console.url, users[i], ids[i], mode, barrier, out))
        for i in range(n)
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=1800) for _ in workers]
    for w in workers:
        w.join(60)
    return results


def _summary(n: int, results: list[dict], server: dict[str, float], seconds: float) -> dict:
    times = [ms for r in results for _, ms in r["steps"]]
    by_step: dict[str, list[float]] = {}
    for r in results:
        for name, ms in r["steps"]:
            by_step.setdefault(name, []).append(ms)
    completed = sum(1 for r in results if r.get("completed"))
    # Streamlit's budget is per 50 users: a round of fewer users gets the whole 100 MB (caches
    # that one user fills are not a per-user cost).
    growth_per_50 = server["rss_mb_growth"] * 50 / max(n, 50)
    p95 = round(_percentile(times, 0.95)) if times else None
    passed = completed == n and p95 is not None and p95 < P95_BUDGET_MS
    passed = passed and growth_per_50 < GROWTH_BUDGET_MB_PER_50
    # Streamlit's own load test times only the first load of the app (goto → first run done);
    # ours times every click of the scenario. Both are reported; `passed` is ours.
    loads = [r["initial_load_ms"] for r in results if "initial_load_ms" in r]
    load_p95 = round(_percentile(loads, 0.95)) if loads else None
    streamlit_passed = completed == n and load_p95 is not None and load_p95 < P95_BUDGET_MS
    streamlit_passed = streamlit_passed and growth_per_50 < GROWTH_BUDGET_MB_PER_50
    return {
        "p50_ms": round(_percentile(times, 0.5)) if times else None,
        "p95_ms": p95,
        "budget_ms": P95_BUDGET_MS,
        "sessions": n,
        "success": f"{completed}/{n}",
        "errors": [e for r in results for e in r["errors"]],
        "lost_clicks": sum(r["lost_clicks"] for r in results),
        "lost": [lost for r in results for lost in r.get("lost", [])][:20],
        "steps": {
            name: {"p50_ms": round(_percentile(v, 0.5)), "p95_ms": round(_percentile(v, 0.95))}
            for name, v in by_step.items()
        },
        **server,
        "rss_mb_growth_per_50_users": round(growth_per_50, 1),
        "seconds": round(seconds, 1),
        "initial_load_p50_ms": round(_percentile(loads, 0.5)) if loads else None,
        "initial_load_p95_ms": load_p95,
        "passed_by_streamlit_metric": streamlit_passed,
        "passed": passed,
    }


def run(ctx: Context) -> dict:
    residents = load_residents()
    base = Path(generate(residents)["db"])
    work = bench_dir() / "load"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_file = work / "load.duckdb"
    shutil.copy(base, db_file)
    shutil.copy(base.with_suffix(".cookie_key"), db_file.with_suffix(".cookie_key"))
    counts = session_counts()
    users = [f"bench_{i:02d}" for i in range(max(counts) + 1)]  # bench_00 warms up
    ids = iter(_prepare(db_file, users))
    note = f"{residents:,}-resident district, console and browsers on this machine"
    # No backup of the district mid-measurement; each page run's server time printed.
    env = {"YIBIAOTONG_BACKUP_HOURS": "0", "YIBIAOTONG_TIME_RUNS": "1"}
    results: dict[str, dict] = {}

    with Console(db_file, work, env) as console:
        _round(console, 1, "scenario", users[:1], [next(ids)])  # warm caches, as in a day's use
        (one,) = _round(console, 1, "pages", users[:1], [""])
    if one["errors"]:
        results["page_errors"] = {"errors": one["errors"], "note": note}
    by_page: dict[str, list[float]] = {}
    for name, ms in one["steps"]:
        if name.startswith("page_"):
            by_page.setdefault(name, []).append(ms)
    for name, values in by_page.items():
        results[name] = {
            "p50_ms": round(statistics.median(values)),
            "p95_ms": round(max(values)),
            "first_ms": round(values[0]),
            "budget_ms": PAGE_BUDGET_MS,
            "note": f"one user, click to heading, {len(values)} visits; {note}",
        }
    for n in counts:
        with Console(db_file, work, env) as console:
            _round(console, 1, "scenario", users[:1], [next(ids)])  # warm-up
            sampler = _Sampler(console.pid, work / "server.log")
            started = time.perf_counter()
            outcome = _round(
                console, n, "scenario", users[1 : n + 1], [next(ids) for _ in range(n)]
            )
            server = sampler.stop()
        results[f"load_{n}"] = {
            **_summary(n, outcome, server, time.perf_counter() - started),
            "note": note,
        }
    return results
