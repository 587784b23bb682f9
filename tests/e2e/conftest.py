"""Fixtures for browser tests: a demo database, real servers, Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, Server
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="session")
def e2e_db_template(tmp_path_factory) -> Path:
    """A demo database built by the real CLI in a subprocess (the server must own its file)."""
    path = tmp_path_factory.mktemp("e2e") / "template.duckdb"
    env = {**os.environ, "YIBIAOTONG_DB": str(path)}
    subprocess.run(
        [sys.executable, "-m", "yibiaotong", "init", "--residents", "4000"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="module")
def server(e2e_db_template, tmp_path_factory):
    s = Server(e2e_db_template, tmp_path_factory.mktemp("server"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context_factory(browser):
    contexts = []

    def make(viewport=DESKTOP):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()
