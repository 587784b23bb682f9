"""Helpers for browser tests: a real streamlit server process and Playwright waits."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page

from yibiaotong.benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, Console  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# The login throttle window of test servers: five refused tries must fit in it even when each
# answer takes seconds on a loaded machine (the window slides, so older tries drop out).
LOCK_SECONDS = 20


class Server(Console):
    """The console as `make run` starts it, on a copy of a template database; ready when its
    owner has opened the database."""

    def __init__(self, db_template: Path, workdir: Path, extra_env: dict | None = None):
        db_file = workdir / "console.duckdb"
        if not db_file.exists():
            shutil.copy(db_template, db_file)
            shutil.copy(db_template.with_suffix(".cookie_key"), db_file.with_suffix(".cookie_key"))
        env = {"YIBIAOTONG_LOGIN_LOCK_SECONDS": str(LOCK_SECONDS), **(extra_env or {})}
        super().__init__(db_file, workdir, env)
        self.wait_ready()


def wait_for_app(page: Page) -> None:
    """Wait until Streamlit finished the current run (never a fixed sleep)."""
    page.wait_for_timeout(250)  # widget debounce before the rerun starts
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=30_000
    )
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=30_000
    )


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)


def login(page: Page, username: str, password: str, ok: bool = True) -> None:
    """Log in through the form (one click: the login run itself lands on 首页)."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    wait_for_app(page)
    if ok:
        # .first: while a rerun replaces the page, the old and new heading can both be present.
        page.get_by_role("heading", name="首页").first.wait_for(timeout=30_000)
        auth_cookie(page.context)
        wait_for_app(page)


def auth_cookie(context, timeout: float = 15) -> dict:
    """The re-login cookie, written by a script as the login run's page arrives; poll for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in context.cookies():
            if c["name"] == "yibiaotong_auth":
                return c
        time.sleep(0.2)
    raise AssertionError("no re-login cookie was set")


def shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def kill(server: Server) -> None:
    server.kill()


def cli(server: Server, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `yibiaotong …` against the server's database, as an operator would in a shell."""
    return subprocess.run(
        [sys.executable, "-m", "yibiaotong", *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
