"""Driving Debian's Chromium with Playwright: the launch flags the browser tests and the load
benchmark share, and the wait Streamlit's own tests use (the app's script state, never a sleep)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from yibiaotong import config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Console:
    """The console as `make run` starts it (`streamlit run serve.py`) on a free port, for the
    browser tests and the load benchmark; ready once its owner has opened the database."""

    def __init__(self, db_file: Path, workdir: Path, extra_env: dict | None = None) -> None:
        self.db_file = Path(db_file)
        self.env = {**os.environ, "YIBIAOTONG_DB": str(self.db_file), **(extra_env or {})}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(workdir) / "server.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "serve.py",
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={self.port}",
            ],
            cwd=config.ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.proc.pid
        if not self._healthy(timeout=90):
            self.stop()
            raise RuntimeError("the console did not become healthy")

    def _healthy(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        return True
            except OSError:
                time.sleep(0.3)
        return False

    def wait_ready(self, timeout: float = 300) -> None:
        """Until the owner has opened and upgraded the database (its request folder exists)."""
        requests = self.db_file.with_name(self.db_file.stem + ".console") / "requests"
        deadline = time.monotonic() + timeout
        while not requests.is_dir():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the console never opened its database")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()

    def kill(self) -> None:
        """kill -9: no shutdown handler runs, as when the machine loses power."""
        self.proc.kill()
        self.proc.wait(10)
        self.log.close()

    def __enter__(self) -> Console:
        self.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.stop()
