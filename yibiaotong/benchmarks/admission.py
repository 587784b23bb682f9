"""报表准入 and 表单归并 on the benchmark district: a request's assessment over the whole district,
and the consolidation of a pile of 500 forms (the article's district had 468)."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta

import yaml
from openpyxl import Workbook

from yibiaotong import admission, auth, db, reports
from yibiaotong.admission import consolidation
from yibiaotong.benchmarks import Context, timed

PILE = 500
REQUEST = [
    "resident_name",
    "resident_sex",
    "resident_id_number",
    "resident_birth_date",
    "age",
    "resident_hukou_address",
    "community",
    "resident_phone",
]


def catalogue_forms() -> list[tuple[str, list[str]]]:
    """(name, printed headers) of every list template in the catalogue files."""
    out = []
    for path in sorted(reports.REPORTS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("kind", "list") == "list":
            out.append((data["name"], ["序号", *(c["header"] for c in data["columns"])]))
    return out


def form(title: str, headers: list[str], note: str = "") -> bytes:
    """A blank form: title, unit line, header row, a footer and a note."""
    wb = Workbook()
    ws = wb.active
    ws.cell(1, 1, title)
    ws.cell(2, 1, "填报单位：________街道________社区")
    for c, header in enumerate(headers, start=1):
        ws.cell(3, c, header)
    ws.cell(15, 1, "填表人：        审核人：        填报日期：")
    ws.cell(16, 1, note)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pile(n: int = PILE, stamp: str = "") -> list[tuple[str, bytes]]:
    """n forms made from the catalogue's templates, each copy retitled (as streets re-issue
    one department form under their own names); `stamp` in each form's note makes every
    benchmark run a new pile."""
    sources = catalogue_forms()
    files = []
    for i in range(n):
        name, headers = sources[i % len(sources)]
        turn = i // len(sources)
        title = f"{name}（第{turn + 1}轮）"
        # Each round puts the columns in another order: no two header blocks are the same, so
        # nothing is mapped once for many forms (the worst case for the pile).
        shift = turn % (len(headers) - 1)
        order = [headers[0], *headers[1 + shift :], *headers[1 : 1 + shift]]
        files.append((f"{title}.xlsx", form(title, order, f"注：基准 {stamp}")))
    return files


def run(ctx: Context) -> dict:
    admin = auth.scope_for("admin")
    if admin is None:
        return {}
    meta = admission.RequestMeta(
        "高龄老人健康随访名册",
        "掌握辖区高龄老人健康状况",
        "区卫健局文件",
        "monthly",
        admin.org_code,
        "每月末",
        "resident",
        date.today() + timedelta(days=365),
        ("elderly_80",),
    )
    fields = admission.picked("resident", REQUEST) + [
        admission.RequestedField("血型", None, None, "none", 0.0)
    ]
    results = {
        "admission_assess": {
            **timed(lambda: admission.preview(admin, meta, fields), repeat=7),
            "budget_ms": 1_500,
            "note": "coverage, overlap with every template, rows and burden over the district",
        }
    }
    stamp = f"{time.time():.0f}"
    files = pile(PILE, stamp)
    started = time.perf_counter()
    pile_id = consolidation.analyse(admin, files, f"基准 {PILE} 张表 {stamp}")
    analysed = (time.perf_counter() - started) * 1000
    result = consolidation.load(admin, pile_id)
    results["consolidate_500_forms"] = {
        "p50_ms": round(analysed),
        "p95_ms": round(analysed),
        "budget_ms": 120_000,
        "note": f"{PILE} forms ({len({f.shape.signature for f in result.forms})} distinct header "
        f"blocks) read, mapped and stored (a job); {result.reduction()}",
    }

    def reload() -> None:
        with db.transaction() as cur:
            db.bump_data_version(cur)  # a cold view: nothing cached
        consolidation.load(admin, pile_id)

    results["consolidation_view_500"] = {
        **timed(reload, repeat=3, warmup=0),
        "budget_ms": 10_000,
        "note": "the pile re-mapped for the page after a decision (cached until the next one)",
    }
    return results
