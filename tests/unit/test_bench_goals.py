"""`make bench` names every goal a figure misses (budgets, our layers over the bare query, the
speed-up over pandas), so a slow change cannot hide in a table of numbers."""

from __future__ import annotations

import pytest

from yibiaotong.benchmarks import RAW_RATIO, missed


@pytest.mark.parametrize(
    ("result", "misses"),
    [
        ({"p50_ms": 150, "budget_ms": 150}, False),
        ({"p50_ms": 151, "budget_ms": 150}, True),
        ({"p50_ms": 30, "budget_ms": 150, "raw_ms": 20}, False),  # 1.5×
        ({"p50_ms": 31, "budget_ms": 150, "raw_ms": 20}, True),  # 1.55×
        ({"p50_ms": 400, "baseline": {"pandas_ms": 1000}, "min_speedup": 2.5}, False),
        ({"p50_ms": 401, "baseline": {"pandas_ms": 1000}, "min_speedup": 2.5}, True),
        ({"p50_ms": 900, "baseline": {"pandas_ms": 1000}}, False),  # no speed-up asked
        ({"peak_rss_mb": 4000}, False),
        ({"p50_ms": 900, "budget_ms": 5000, "p95_ms": 4000, "passed": True}, False),
        ({"p50_ms": 900, "budget_ms": 5000, "p95_ms": 9000, "passed": False}, True),  # a load round
    ],
)
def test_a_figure_is_named_exactly_when_it_misses_its_goal(result, misses):
    p50, budget, raw = result.get("p50_ms"), result.get("budget_ms"), result.get("raw_ms")
    pandas_ms = (result.get("baseline") or {}).get("pandas_ms")
    expected = (
        (budget is not None and p50 > budget)
        or (raw is not None and p50 / raw > RAW_RATIO)
        or ("min_speedup" in result and pandas_ms / p50 < result["min_speedup"])
        or result.get("passed") is False
    )
    assert expected == misses  # the table above is itself right
    found = missed({"figure": result})
    assert bool(found) == misses
    assert all(line.startswith("figure: ") for line in found)
