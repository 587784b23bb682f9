"""Report benchmarks: one 10,000-row formatted report vs pandas.to_excel, and every template for a street."""

from __future__ import annotations

import io
import time

from yibiaotong import db, reports
from yibiaotong.benchmarks import Context, timed
from yibiaotong.scope import Scope

STREET = "330102009"  # 闸弄口街道
TEMPLATE = "ga_floating"  # 流动人口登记表: 12 columns, a 小计 per community, totals
ROWS = 10_000
BUDGET_MS = 3_000


def _scope() -> Scope:
    return Scope("bench", "district_admin", "330102", clearance=True, name="基准测试")


def _ensure_catalogue() -> None:
    """A cached benchmark database may predate the report tables: migrate and load (idempotent)."""
    db.migrate()
    with db.transaction() as cur:
        reports.load_reports(cur)


def _pandas_baseline(prepared: reports.Prepared) -> None:
    """The same rows through the plainest path: SQL → DataFrame → DataFrame.to_excel."""
    with db.cursor() as cur:
        frame = cur.execute(f"{prepared.sql} limit {ROWS}", prepared.params).df()
    frame.to_excel(io.BytesIO(), index=False)


def run(ctx: Context) -> dict:
    _ensure_catalogue()
    scope = _scope()
    prepared = reports.prepare(scope, TEMPLATE, STREET)
    available = reports.count(prepared)
    rows = min(ROWS, available)

    def one_report() -> None:
        reports.generate(scope, TEMPLATE, io.BytesIO(), STREET, prepared=prepared, limit=ROWS)

    result = timed(one_report, repeat=5, warmup=1)
    baseline = timed(lambda: _pandas_baseline(prepared), repeat=3, warmup=1)
    out = {
        "report_10k_xlsx": {
            **result,
            "budget_ms": BUDGET_MS,
            "baseline": {"pandas_ms": baseline["p50_ms"]},
            "note": f"{reports.template(scope, TEMPLATE)['name']} {rows:,} 行 × "
            f"{len(prepared.columns) + 1} 列（含序号、小计、合计、表尾）",
        }
    }

    codes = [t["code"] for t in reports.templates(scope)]
    started = time.perf_counter()
    total_rows = 0
    slowest = ("", 0.0)
    for code in codes:
        t0 = time.perf_counter()
        run_ = reports.generate(scope, code, io.BytesIO(), STREET)
        seconds = time.perf_counter() - t0
        total_rows += run_.rows
        if seconds > slowest[1]:
            slowest = (run_.name, seconds)
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    out["reports_all_one_street"] = {
        "p50_ms": elapsed_ms,
        "p95_ms": elapsed_ms,
        "templates": len(codes),
        "rows": total_rows,
        "note": f"闸弄口街道 {len(codes)} 张报表共 {total_rows:,} 行；"
        f"最慢：{slowest[0]} {slowest[1]:.1f} 秒",
    }
    return out
