"""replay_N: the console's own ceiling, with the browsers off its machine.

On this 2-core machine the browsers of `load_N` take most of the CPU (each Chromium spends
about 8 CPU-seconds drawing one scenario, the console about 2), so `load_N` measures the machine,
not the console. In production the browsers run on the social workers' own phones and PCs.
This area measures what the console serves when the browsers are elsewhere:

1. **Record.** A real Chromium runs the `load` scenario (login → 数据大屏 → 标签查询 → one ledger
   save) once per session, each on its own resident, against a copy of the district; every
   message the browser sends over Streamlit's websocket (`BackMsg`: one `rerun_script` per
   click, with the page's widget states) is kept with the step it belongs to.
2. **Replay.** A fresh console on a pristine copy of the same district (so every recorded widget
   and record version is valid again) gets N lightweight websocket clients at once, each
   sending its recording step by step, exactly as its browser did. A step is timed from its
   first message to the end of the run it started (`script_finished`, after any reruns), and
   counts only when the step's content arrived (its expected text in the run's messages):
   the server's click-to-content, without the browser's drawing.

The browser's own drawing time for each step is measured in `load_1` (one browser, no
contention); a user's click-to-content is about the sum of the two.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import time
from operator import itemgetter
from pathlib import Path
from typing import Any

from yibiaotong.benchmarks import bench_dir, generate, load
from yibiaotong.benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Console

SESSIONS = (1, 10, 20, 50, 100)
STEP_TIMEOUT_S = 180
# What each step's run must bring (the content the browser round waits for).
EXPECTED = {
    "login": "首页",
    "dashboard": "实有人口",
    "tag_query": "符合条件",
    "tag_tick": "育儿补助合计",
    "ledger": "搜索",
    "ledger_search": "共 1 条",
    "ledger_record": "人口：",
    "ledger_save": "确认保存",
    "ledger_confirm": "已保存",
}
OVERVIEW = ("dashboard", "tag_query", "tag_tick")
LOGIN_FORM = "账号登录".encode()
# Figures of `load._summary` that only a browser round has.
BROWSER_ONLY = (
    "lost_clicks",
    "lost",
    "initial_load_p50_ms",
    "initial_load_p95_ms",
    "passed_by_streamlit_metric",
    "browsers_cpu_s",
)
_DONE = {0, 3}  # ScriptFinishedStatus: FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY
_FAILED = {1}  # FINISHED_WITH_COMPILE_ERROR


# ---------------------------------------------------------------------------------------------
# Recording (a real browser per session)


class _Recorder(load._Session):
    """The browser scenario, with every websocket message the page sends filed under its step."""

    def __init__(self, page) -> None:
        super().__init__(page)
        self.label = "load"
        self.sent: list[tuple[str, bytes]] = []
        page.on("websocket", lambda ws: ws.on("framesent", self._sent))

    def _sent(self, payload) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if not isinstance(payload, bytes):
            return
        msg = BackMsg()
        msg.ParseFromString(payload)
        # Timer reruns (a fragment's run_every) are the page's clock, not the user's clicks.
        if msg.WhichOneof("type") == "rerun_script" and msg.rerun_script.is_auto_rerun:
            return
        self.sent.append((self.label, payload))

    def step(self, name: str, act, ready) -> None:
        # Kept after the step: messages the page sends after its content belong to it too.
        self.label = name
        super().step(name, act, ready)


Recording = list[tuple[str, list[bytes]]]  # the steps in order, each with its messages


def record(url: str, users: list[str], ids: list[str]) -> list[Recording]:
    """One recording per (user, resident). The first user's browser runs the whole scenario;
    the others run only what differs per user (login and the ledger save) and borrow its
    数据大屏 and 标签查询 messages, which are the same for every user of the unit (their widgets
    are keyed by the unit), so recording 50 sessions takes minutes, not a quarter hour."""
    from playwright.sync_api import sync_playwright

    recordings = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for user, id_number in zip(users, ids, strict=True):
                context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
                page = context.new_page()
                session = _Recorder(page)
                page.goto(url, timeout=120_000)
                page.get_by_label("用户名").wait_for(timeout=120_000)
                page.wait_for_timeout(300)  # the first runs' messages are in
                session.login(user)
                if not recordings:
                    load._overview(session)
                load._ledger_save(session, id_number)
                page.wait_for_timeout(300)
                context.close()
                steps: Recording = [
                    (label, [payload for _, payload in sent])
                    for label, sent in itertools.groupby(session.sent, key=itemgetter(0))
                ]
                if recordings:
                    shared = [step for step in recordings[0] if step[0] in OVERVIEW]
                    steps = steps[:2] + shared + steps[2:]  # load, login, overview, ledger
                recordings.append(steps)
        finally:
            browser.close()
    return recordings


# ---------------------------------------------------------------------------------------------
# Replay (N websocket clients in one asyncio loop)


async def _until_done(ws, deadline: float) -> bytes:
    """Receive until the run started by the last message is over; the messages' bytes."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    seen = bytearray()
    while True:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise load.StepFailed(f"no end of run after {STEP_TIMEOUT_S} s")
        raw = await asyncio.wait_for(ws.recv(), timeout)
        seen += raw
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        if msg.WhichOneof("type") == "script_finished":
            if msg.script_finished in _DONE:
                return bytes(seen)
            if msg.script_finished in _FAILED:
                raise load.StepFailed("the page script failed")


async def _session(url: str, steps: Recording, start: asyncio.Event, ready: list) -> dict[str, Any]:
    import websockets

    result: dict[str, Any] = {"steps": [], "errors": [], "lost_clicks": 0}
    uri = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(
            uri, subprotocols=["streamlit"], origin=url, max_size=None, open_timeout=120
        ) as ws:
            for name, messages in steps:
                if name != "load" and not start.is_set():
                    ready.append(1)
                    await start.wait()  # everyone logs in at the same moment
                began = time.perf_counter()
                deadline = time.monotonic() + STEP_TIMEOUT_S
                content = b""
                for message in messages:
                    await ws.send(message)
                    content += await _until_done(ws, deadline)
                while name == "load" and LOGIN_FORM not in content:
                    # The console may still be opening the file ("一表通暂时无法使用"): ask
                    # again, as that page does by itself every few seconds.
                    await asyncio.sleep(1)
                    await ws.send(messages[0])
                    content = await _until_done(ws, deadline)
                expected = EXPECTED.get(name)
                if expected and expected.encode() not in content:
                    shown = re.findall(r"[\u4e00-\u9fff]{2,}", content.decode("utf-8", "ignore"))
                    raise load.StepFailed(
                        f"{name}: no “{expected}” in the run; it showed {shown[:12]}"
                    )
                if name != "load":
                    result["steps"].append((name, (time.perf_counter() - began) * 1000))
        result["completed"] = True
    except Exception as exc:  # a failed session is a result, not a crash of the benchmark
        result["errors"].append(f"{type(exc).__name__}: {str(exc)[:300]}")
    return result


async def _replay(url: str, recordings: list) -> list[dict]:
    start = asyncio.Event()
    ready: list[int] = []
    tasks = [asyncio.create_task(_session(url, steps, start, ready)) for steps in recordings]
    # Until every session is at the start line or has failed on the way there.
    while len(ready) + sum(t.done() for t in tasks) < len(tasks):
        await asyncio.sleep(0.05)
    start.set()
    return list(await asyncio.gather(*tasks))


def replay(url: str, recordings: list) -> list[dict]:
    return asyncio.run(_replay(url, recordings))


# ---------------------------------------------------------------------------------------------
# The area


def _restore(pristine: Path, db_file: Path) -> None:
    """The district as it was before any recording: the recordings' saves (in the file or
    still in its write-ahead log) must not bump the versions their widgets were keyed on."""
    Path(f"{db_file}.wal").unlink(missing_ok=True)
    shutil.copy(pristine, db_file)


def run(ctx) -> dict:
    residents = load.load_residents()
    base = Path(generate(residents)["db"])
    work = bench_dir() / "replay"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pristine = work / "pristine.duckdb"
    counts = load.session_counts("YIBIAOTONG_REPLAY_SESSIONS", SESSIONS)
    users = [f"bench_{i:02d}" for i in range(max(counts) + 1)]  # bench_00 warms up
    db_file = work / "replay.duckdb"
    shutil.copy(base, db_file)
    shutil.copy(base.with_suffix(".cookie_key"), db_file.with_suffix(".cookie_key"))
    ids = load._prepare(db_file, users)
    shutil.copy(db_file, pristine)  # accounts in, nothing edited yet
    env = {"YIBIAOTONG_BACKUP_HOURS": "0", "YIBIAOTONG_TIME_RUNS": "1"}
    note = f"{residents:,}-resident district; websocket replay of real browser sessions"

    started = time.perf_counter()
    with Console(db_file, work, env) as console:  # recorded on a copy: its saves are thrown away
        recordings = record(console.url, users, ids[: len(users)])
    record_s = time.perf_counter() - started

    results: dict[str, dict] = {}
    for n in counts:
        _restore(pristine, db_file)
        with Console(db_file, work, env) as console:
            replay(console.url, recordings[:1])  # warm-up (bench_00), as the browser round does
            sampler = load._Sampler(console.pid, work / "server.log")
            began, clients_cpu = time.perf_counter(), time.process_time()
            outcome = replay(console.url, recordings[1 : n + 1])
            server = sampler.stop()
            server["clients_cpu_s"] = round(time.process_time() - clients_cpu, 1)
        summary = load._summary(n, outcome, server, time.perf_counter() - began)
        for key in BROWSER_ONLY:
            summary.pop(key, None)
        results[f"replay_{n}"] = {**summary, "note": note, "recorded_in_s": round(record_s)}
    return results
