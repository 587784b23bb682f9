"""`make bench`: measure the budgets of DESIGN.md on a generated district and write JSON."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from yibiaotong import config

BENCH_DIR = config.ROOT / "data" / "bench"
BUDGETS_MS = {"demo_generate": 300_000}


def _machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def generate(residents: int) -> dict:
    """Build (or reuse) the benchmark database; generation runs in a child to measure its RSS."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"bench-{residents}.duckdb"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["reused"] = True
        return meta
    path.unlink(missing_ok=True)
    env = {**os.environ, "YIBIAOTONG_DB": str(path)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "yibiaotong", "init", "--residents", str(residents)],
        env=env,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    meta = {"db": str(path), "seconds": round(seconds, 2), "peak_rss_mb": round(peak_kb / 1024)}
    meta_path.write_text(json.dumps(meta))
    meta["reused"] = False
    return meta


def main(residents: int = 9_000_000, out: str = "bench/results.json") -> int:
    gen = generate(residents)
    results = {
        "demo_generate": {
            "p50_ms": round(gen["seconds"] * 1000),
            "p95_ms": round(gen["seconds"] * 1000),
            "budget_ms": BUDGETS_MS["demo_generate"],
            "peak_rss_mb": gen["peak_rss_mb"],
            "reused_cached_db": gen["reused"],
        }
    }
    report = {"residents": residents, "machine": _machine(), "results": results}
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, ensure_ascii=False, indent=2))

    print(f"一表通 bench — {residents:,} residents — {_machine()}")
    print(f"{'name':<20}{'p50 ms':>12}{'budget ms':>12}{'peak RSS MB':>14}  note")
    for name, r in results.items():
        note = "cached db (figures of its generation)" if r.get("reused_cached_db") else ""
        print(
            f"{name:<20}{r['p50_ms']:>12,}{r['budget_ms']:>12,}{r.get('peak_rss_mb', ''):>14}  {note}"
        )
    print(f"written to {out_path}")
    return 0
