"""The replay bench's rules: a step lasts until the run it started is over (through a rerun),
counts only when its content came, and waits out a console still opening its file. Driven by a
scripted socket that answers with real Streamlit messages: the rules, not a console, are under
test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading

import pytest
import websockets
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from yibiaotong.benchmarks import replay

FINISHED, EARLY_FOR_RERUN = 0, 2


def _text(text: str) -> bytes:
    msg = ForwardMsg()
    msg.delta.new_element.markdown.body = text
    return msg.SerializeToString()


def _finished(status: int) -> bytes:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg.SerializeToString()


class ScriptedSocket:
    """Answers the n-th message sent with answers[n] (a list of (delay s, frame))."""

    def __init__(self, answers: list[list[tuple[float, bytes]]]) -> None:
        self.answers = answers
        self.sent: list[bytes] = []
        self.queue: asyncio.Queue = asyncio.Queue()

    async def send(self, message: bytes) -> None:
        self.sent.append(message)
        for delay, frame in self.answers[len(self.sent) - 1]:
            asyncio.get_running_loop().call_later(delay, self.queue.put_nowait, frame)

    async def recv(self) -> bytes:
        return await self.queue.get()


@pytest.fixture
def socket(monkeypatch):
    holder: dict[str, ScriptedSocket] = {}

    @contextlib.asynccontextmanager
    async def connect(*_args, **_kwargs):
        yield holder["socket"]

    monkeypatch.setattr(websockets, "connect", connect)
    return holder


def _run(steps, socket_holder, answers) -> dict:
    socket_holder["socket"] = ScriptedSocket(answers)

    async def go():
        start = asyncio.Event()
        start.set()
        return await replay._session("http://127.0.0.1:1", steps, start, [])

    # A thread of its own: Playwright's sync API keeps an event loop running in this one when
    # browser tests ran earlier in the same session.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


LOGIN_PAGE = [(0.01, _text("账号登录")), (0.02, _finished(FINISHED))]


def test_a_step_lasts_through_the_rerun_it_caused_and_needs_its_content(socket):
    steps = [("load", [b"l"]), ("login", [b"a"])]
    rerun = [
        (0.05, _finished(EARLY_FOR_RERUN)),
        (0.25, _text("首页")),
        (0.3, _finished(FINISHED)),
    ]
    result = _run(steps, socket, [LOGIN_PAGE, rerun])
    assert result.get("completed") and not result["errors"]
    ((name, ms),) = result["steps"]
    assert name == "login" and 300 <= ms < 1000  # not over at the first run's end (50 ms)


def test_a_run_without_the_step_s_content_fails_the_session(socket):
    steps = [("load", [b"l"]), ("login", [b"a"])]
    wrong = [(0.01, _text("用户名或密码错误")), (0.02, _finished(FINISHED))]
    result = _run(steps, socket, [LOGIN_PAGE, wrong])
    assert not result.get("completed")
    assert "首页" in result["errors"][0] and "用户名或密码错误" in result["errors"][0]


def test_the_page_is_asked_again_while_the_console_is_still_opening_its_file(socket):
    steps = [("load", [b"l"]), ("login", [b"a"])]
    opening = [(0.01, _text("一表通暂时无法使用")), (0.02, _finished(FINISHED))]
    home = [(0.01, _text("首页")), (0.02, _finished(FINISHED))]
    result = _run(steps, socket, [opening, LOGIN_PAGE, home])
    assert result.get("completed"), result["errors"]
    assert socket["socket"].sent == [b"l", b"l", b"a"]  # load sent again, then the login


def test_a_session_failing_before_the_start_does_not_hold_the_others(monkeypatch):
    broken = ScriptedSocket([[(0.01, _text("一表通暂时无法使用")), (0.02, _finished(1))]])
    working = ScriptedSocket([LOGIN_PAGE, [(0.01, _text("首页")), (0.02, _finished(FINISHED))]])
    sockets = iter([broken, working])

    @contextlib.asynccontextmanager
    async def connect(*_args, **_kwargs):
        yield next(sockets)

    monkeypatch.setattr(websockets, "connect", connect)
    steps = [("load", [b"l"]), ("login", [b"a"])]
    results: list = []
    # A daemon thread: with the old start line the replay never returned.
    worker = threading.Thread(
        target=lambda: results.extend(replay.replay("http://127.0.0.1:1", [steps, steps])),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    assert results, "the replay waited for a session that had already failed"
    first, second = results
    assert "failed" in first["errors"][0] and not first.get("completed")
    assert second.get("completed") and [name for name, _ in second["steps"]] == ["login"]
