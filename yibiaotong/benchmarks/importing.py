"""数据回流 benchmark: a 1,000,000-row GB18030 CSV of residents (10 % updates of existing people,
5 % faulty rows, the rest new people at addresses of the ledger's houses) previewed and committed
on a copy of the 9-million district, in a child process whose peak RSS is the figure; beside it a
pandas read_csv + merge baseline on the same file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from yibiaotong import config, db
from yibiaotong.benchmarks import Context

ROWS = 1_000_000
UPDATES = 0.10
FAULTY = 0.05
BUDGET_PREVIEW_MS = 30_000
BUDGET_COMMIT_MS = 60_000
BUDGET_RSS_MB = 2048
SOURCE = "gongan_hukou"
# The child opens the database with the console's memory_limit; the import holds it at
# config.import_memory_limit() while it runs (YIBIAOTONG_IMPORT_MEMORY_LIMIT tries another).
MEMORY_LIMIT = config.memory_limit()
HEADER = "姓名,身份证号,性别,出生日期,民族,户籍地址,现住址,联系电话"

# The file as a police extract would come: updates keep name, sex and birth date and bring a new
# 户籍地址; new people have valid IDs the ledger lacks and live at an existing house's address;
# faulty rows carry a wrong check digit, an ID Excel turned into a number, an impossible date or a
# formula for a name. Dates and phones come in the forms offices type them.
_FILE_SQL = """
copy (
    with
    olds as (
        select id, name, id_number, sex, birth_date, ethnicity, current_address, phone
        from resident
        where id_type = '01' and status = 'active' and id % $every = 0
        limit $updates
    ),
    houses as (
        select address, row_number() over () as n
        from (select address from house using sample 200000 rows (reservoir, 7))
    ),
    fresh as (
        select
            n,
            '浙江省杭州市' || substr('甲乙丙丁戊己庚辛壬癸', 1 + n % 10, 1) || '某路' || n % 997 || '号' as hukou,
            date '1940-01-01' + cast(n % 25000 as integer) as born,
            -- (birth date, sequence, county) is unique for every n below 25 million
            '3301' || cast(90 + (n // 25000000) % 10 as varchar) as region,
            lpad(cast((n // 25000) % 1000 as varchar), 3, '0') as seq
        from range(1, $new + 1) as t(n)
    ),
    fresh_ids as (
        select
            *,
            region || strftime(born, '%Y%m%d') || seq as body
        from fresh
    ),
    new_rows as (
        select
            f.n,
            substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', 1 + f.n % 20, 1)
            || substr('嘉子雨思欣浩宇梓涵一诗俊䶮𠮷明华', 1 + (f.n // 20) % 16, 1)
            || substr('豪轩涵怡然晨阳琪萱博文杰', 1 + (f.n // 320) % 12, 1) as name,
            f.body || yb_id_check(f.body) as id_number,
            case when cast(substr(f.seq, 3, 1) as integer) % 2 = 1 then '男' else '女' end as sex,
            case f.n % 3
                when 0 then strftime(f.born, '%Y年%-m月%-d日')
                when 1 then strftime(f.born, '%Y%m%d')
                else strftime(f.born, '%Y/%-m/%-d')
            end as birth,
            '汉族' as ethnicity,
            f.hukou,
            h.address,
            case when f.n % 4 = 0 then '+86 139 ' || lpad(cast(f.n % 10000 as varchar), 4, '0') || ' ' || lpad(cast(f.n % 9999 as varchar), 4, '0') else '' end as phone
        from fresh_ids as f
        left join houses as h on h.n = 1 + f.n % 200000
    ),
    update_rows as (
        select
            name,
            id_number,
            case sex when '1' then '男' else '女' end,
            strftime(birth_date, '%Y-%m-%d'),
            '',
            '浙江省杭州市上城区新迁路' || id % 500 || '号',
            current_address,
            ''
        from olds
    ),
    faulty_rows as (
        select
            case when n % 4 = 3 then '=HYPERLINK("x")' else name end,
            case n % 4
                when 0 then left(id_number, 17) || case when right(id_number, 1) = '1' then '2' else '1' end
                when 1 then '3.30102E+17'
                else id_number
            end,
            sex,
            case when n % 4 = 2 then '2023-02-30' else birth end,
            ethnicity,
            hukou,
            address,
            phone
        from new_rows
        where n > $new - $faulty
    )
    select * from update_rows
    union all
    select name, id_number, sex, birth, ethnicity, hukou, address, phone
    from new_rows
    where n <= $new - $faulty
    union all
    select * from faulty_rows
) to '{path}' (header false, delimiter ',', quote '"')
"""


def build_file(folder: Path, rows: int = ROWS) -> Path:
    """The benchmark file in GB18030 (cached beside the benchmark database)."""
    target = folder / f"import-{rows}.gb18030.csv"
    if target.exists():
        return target
    utf8 = folder / f"import-{rows}.utf8.csv"
    updates = int(rows * UPDATES)
    faulty = int(rows * FAULTY)
    with db.cursor() as cur:
        total = cur.execute("select count(*) from resident").fetchone()[0]
        sql = _FILE_SQL.replace("{path}", str(utf8).replace("'", "''"))
        cur.execute(
            sql,
            {
                "every": max(1, total // (updates * 2)),
                "updates": updates,
                "new": rows - updates,
                "faulty": faulty,
            },
        )
    with (
        utf8.open("r", encoding="utf-8", newline="") as src,
        target.open("w", encoding="gb18030", newline="") as out,
    ):
        out.write(HEADER + "\r\n")
        while chunk := src.read(1 << 22):
            out.write(chunk.replace("\n", "\r\n"))
    utf8.unlink()
    return target


CHILD = """
import json, sys, threading, time
import psutil
from yibiaotong.importing import commit, stage
from yibiaotong.scope import Scope

scope = Scope("bench", "district_admin", "330102", clearance=True, name="基准测试")
marks = []
# step → highest RSS sampled while it ran (MB). Not ru_maxrss: on Linux a child inherits its
# parent's high-water mark through fork and exec, and the parent holds the pandas baseline.
peaks = {}
def sample():
    process = psutil.Process()
    while True:
        step = marks[-1][0] if marks else "上传"
        peaks[step] = max(peaks.get(step, 0), process.memory_info().rss / 1048576)
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
def progress(fraction, step):
    marks.append((step, time.perf_counter()))

started = time.perf_counter()
batch_id, result = stage.upload(scope, __import__("pathlib").Path(sys.argv[1]), "公安户籍.csv", sys.argv[2])
chosen = {c.index: c.target for c in result.columns}
summary = stage.preview(scope, batch_id, chosen, progress=progress)
preview_s = time.perf_counter() - started
preview_marks = marks[:]
preview_rss = max(peaks.values())
marks.clear()
started = time.perf_counter()
written = commit.commit(scope, batch_id, progress=progress)["written"]
commit_s = time.perf_counter() - started
print(json.dumps({
    "preview_s": preview_s, "commit_s": commit_s, "preview_marks": preview_marks,
    "commit_marks": marks, "preview_rss_mb": preview_rss,
    "rss_mb": max(peaks.values()),
    "peaks": peaks, "actions": summary.actions, "changes": summary.changes, "rejects": summary.rejects,
    "placement": summary.placement, "written": written, "mapping": chosen,
}, ensure_ascii=False, default=str))
"""


def _stages(marks: list, peaks: dict[str, float], rows: int) -> dict[str, dict]:
    """Seconds, rows per second and peak RSS of each step between progress marks."""
    out: dict[str, dict] = {}
    for (step, at), (_, nxt) in zip(marks, marks[1:], strict=False):
        seconds = nxt - at
        entry = out.setdefault(step, {"seconds": 0.0})
        entry["seconds"] = round(entry["seconds"] + seconds, 2)
    for step, entry in out.items():
        entry["rows_per_s"] = round(rows / entry["seconds"]) if entry["seconds"] else None
        if step in peaks:
            entry["peak_rss_mb"] = round(peaks[step])
    return out


def _pandas_baseline(path: Path) -> float:
    """The plainest path: pandas read_csv (GB18030) and a merge on 身份证号 with the ledger."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(path, encoding="gb18030", dtype=str)
    with db.cursor() as cur:
        ledger = cur.execute("select id, id_number, name from resident").df()
    merged = frame.merge(ledger, left_on="身份证号", right_on="id_number", how="left")
    merged["id"].notna().sum()
    return (time.perf_counter() - started) * 1000


def run(ctx: Context) -> dict:
    from yibiaotong.importing import sources

    db.migrate()  # a cached benchmark database may predate the import tables
    with db.transaction() as cur:
        sources.load_sources(cur)
    folder = ctx.db_path.parent
    path = build_file(folder)
    baseline_ms = _pandas_baseline(path)
    # The import writes: run it on a copy, so the cached district stays as generated.
    copy = folder / "import-bench.duckdb"
    with db.cursor() as cur:
        cur.execute("checkpoint")
    db.close_all()
    shutil.copy(ctx.db_path, copy)
    shutil.copy(ctx.db_path.with_suffix(".cookie_key"), copy.with_suffix(".cookie_key"))
    try:
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), SOURCE],
            # DuckDB fills its buffer up to memory_limit, which decides most of the peak RSS.
            env={**os.environ, "YIBIAOTONG_DB": str(copy), "YIBIAOTONG_MEMORY_LIMIT": MEMORY_LIMIT},
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise RuntimeError(f"import benchmark failed:\n{child.stderr[-4000:]}")
    finally:
        copy.unlink(missing_ok=True)
        copy.with_suffix(".cookie_key").unlink(missing_ok=True)
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)
    report = json.loads(child.stdout.strip().splitlines()[-1])
    rows = ROWS
    preview_ms = round(report["preview_s"] * 1000)
    commit_ms = round(report["commit_s"] * 1000)
    common = (
        f"{rows:,} 行 GB18030 CSV（更新 10%、错误 5%），DuckDB memory_limit：控制台 {MEMORY_LIMIT}，"
        f"导入期间 {config.import_memory_limit()}"
    )
    return {
        "import_1m_preview": {
            "p50_ms": preview_ms,
            "p95_ms": preview_ms,
            "budget_ms": BUDGET_PREVIEW_MS,
            "peak_rss_mb": round(report["preview_rss_mb"]),
            "rows_per_s": round(rows / report["preview_s"]),
            "stages": _stages(report["preview_marks"], report["peaks"], rows),
            "baseline": {"pandas_ms": round(baseline_ms)},
            "counts": report["actions"],
            "note": f"{common}；预览 {report['actions']}；拒绝 {report['rejects']:,} 行",
        },
        "import_1m_commit": {
            "p50_ms": commit_ms,
            "p95_ms": commit_ms,
            "budget_ms": BUDGET_COMMIT_MS,
            "peak_rss_mb": round(report["rss_mb"]),
            "rss_budget_mb": BUDGET_RSS_MB,
            "rows_per_s": round(rows / report["commit_s"]),
            "stages": _stages(report["commit_marks"], report["peaks"], rows),
            "written": report["written"],
            "note": f"{common}；写入 {report['written']}；一个事务",
        },
    }
