"""Tag benchmarks: rule refresh (full and a ledger batch) and a 3-tag AND query vs SQLite and pandas."""

from __future__ import annotations

import gc
import time

from yibiaotong import auth, db, tag_query, tags
from yibiaotong.benchmarks import Context, timed
from yibiaotong.scope import Scope

QUERY_TAGS = ("elderly", "living_alone", "party_member")  # 老年人 且 独居老人 且 党员
STREET_USER = "leader_zlk"  # 闸弄口街道's leader: the budget's "with scope"
DISTRICT_USER = "admin"
PAGE = 50
BATCH = 100  # residents in one ledger write batch


def _scope(username: str, role: str, org_code: str) -> Scope:
    return auth.scope_for(username) or Scope(username, role, org_code, clearance=False)


def _spec() -> dict:
    return {"entity": "resident", "tags": {"all": list(QUERY_TAGS)}}


def _refresh_full() -> dict[str, int]:
    with db.transaction() as cur:
        return tags.refresh_rules(cur)


def _refresh_batch(ids: list[int]) -> None:
    with db.transaction() as cur:
        tags.refresh_rules(cur, "resident", ids=ids)


def _sqlite_query(con, org: str, tag_ids: list[int]) -> tuple[int, list]:
    hi = org[:-1] + chr(ord(org[-1]) + 1)
    where = "e.status = 'active' and e.grid_code >= ? and e.grid_code < ?" + "".join(
        " and e.id in (select entity_id from tq_entity_tag where tag_id = ?)" for _ in tag_ids
    )
    args = [org, hi, *tag_ids]
    total = con.execute(f"select count(*) from tq_resident as e where {where}", args).fetchone()[0]
    rows = con.execute(
        f"select e.id, e.name, e.sex, e.birth_date, e.id_number, e.phone from tq_resident as e "
        f"where {where} order by e.id limit {PAGE}",
        args,
    ).fetchall()
    return total, rows


def _raw_query(org: str, tag_ids: list[int]) -> tuple[int, list[int]]:
    """The bare DuckDB statements returning what tag_query.page returns: count and first page."""
    where = "starts_with(e.grid_code, $org) and e.status = 'active'" + "".join(
        f" and e.id in (select entity_id from entity_tag where entity = 'resident' and tag_id = $t{i})"
        for i in range(len(tag_ids))
    )
    params = {"org": org, **{f"t{i}": t for i, t in enumerate(tag_ids)}}
    with db.cursor() as cur:
        total = cur.execute(f"select count(*) from resident as e where {where}", params).fetchone()[
            0
        ]
        rows = cur.execute(
            "select e.id, e.name, e.sex, e.birth_date, e.id_number, e.phone, g.full_name "
            f"from resident as e left join org_unit as g on g.code = e.grid_code where {where} "
            f"order by e.id limit {PAGE}",
            params,
        ).fetchall()
    return total, [r[0] for r in rows]


def _pandas_query(res, et, org: str, tag_ids: list[int]) -> tuple[int, object]:
    categories = res["grid_code"].cat.categories
    in_scope = categories.str.startswith(org)
    mask = in_scope[res["grid_code"].cat.codes.to_numpy()] & (res["status"] == "active").to_numpy()
    for tag_id in tag_ids:
        mask &= res["id"].isin(et["entity_id"][et["tag_id"] == tag_id]).to_numpy()
    hit = res[mask]
    return len(hit), hit.nsmallest(PAGE, "id")


def run(ctx: Context) -> dict[str, dict]:
    db.migrate()  # a cached benchmark database may predate the saved_query migration
    results: dict[str, dict] = {}

    with db.transaction() as cur:  # from scratch: what `yibiaotong init` does once
        cur.execute("delete from entity_tag where source = 'rule'")
        started = time.perf_counter()
        counts = tags.refresh_rules(cur)
        scratch_ms = round((time.perf_counter() - started) * 1000, 1)
    full = timed(_refresh_full, repeat=3, warmup=0)
    with db.cursor() as cur:
        cur.execute("checkpoint")  # what DuckDB's automatic checkpoint does after such writes
    results["tag_refresh_full"] = {
        **full,
        "from_scratch_ms": scratch_ms,
        "note": f"all {len(counts)} rule tags of 4 entities, {sum(counts.values()):,} tag rows "
        f"(p50: data unchanged, only changes are written; from scratch {scratch_ms / 1000:.1f} s)",
    }

    with db.cursor() as cur:
        step = max(1, ctx.residents // BATCH)
        ids = [
            r[0]
            for r in cur.execute(
                "select id from resident where id % $step = 0 limit $n", {"step": step, "n": BATCH}
            ).fetchall()
        ]
    batch = timed(lambda: _refresh_batch(ids), repeat=7, warmup=1)
    one = timed(lambda: _refresh_batch(ids[len(ids) // 2 : len(ids) // 2 + 1]), repeat=9)
    results["tag_refresh_batch"] = {
        **batch,
        "one_record_p50_ms": one["p50_ms"],
        "note": f"{len(ids)} residents spread over the district and their households (a "
        f"ledger write batch); one saved record: {one['p50_ms']} ms",
    }

    spec = _spec()
    street = _scope(STREET_USER, "street_leader", "330102009")
    district = _scope(DISTRICT_USER, "district_admin", "330102")
    by_code = {t["code"]: t["id"] for t in tags.tag_index()}
    tag_ids = [by_code[c] for c in QUERY_TAGS]

    def ours(scope: Scope):
        # What the budget names: the count and the first page (masked, display columns looked
        # up). page() finds the matches once and returns both (df.attrs["total"]).
        def run_query():
            frame = tag_query.page(scope, spec, PAGE, 0)
            return frame.attrs["total"], frame

        return run_query

    measured = {}
    for name, scope in (("tag_query_and3", street), ("tag_query_and3_district", district)):
        measured[name] = (scope, timed(ours(scope), repeat=15, warmup=2))

    con = ctx.sqlite(
        {
            "tq_resident": "select id, grid_code, status, name, sex, birth_date, id_number, phone "
            "from resident",
            "tq_entity_tag": "select entity_id, tag_id from entity_tag where entity = 'resident'",
        }
    )
    con.execute("create unique index if not exists tq_resident_id on tq_resident (id)")
    con.execute("create index if not exists tq_resident_grid on tq_resident (grid_code, status)")
    con.execute("create index if not exists tq_entity_tag_tag on tq_entity_tag (tag_id, entity_id)")
    con.commit()

    with db.cursor() as cur:
        res = cur.execute("select id, grid_code, status from resident").df()
        res["grid_code"] = res["grid_code"].astype("category")
        res["status"] = res["status"].astype("category")
        et = cur.execute("select entity_id, tag_id from entity_tag where entity = 'resident'").df()

    for name, (scope, ours_timing) in measured.items():
        total, frame = ours(scope)()
        if _raw_query(scope.org_code, tag_ids) != (total, frame.attrs["ids"]):
            raise AssertionError(f"{name}: the bare DuckDB query returns other rows")
        raw = timed(lambda s=scope: _raw_query(s.org_code, tag_ids), repeat=15, warmup=2)
        sqlite_total = _sqlite_query(con, scope.org_code, tag_ids)[0]
        pandas_total = _pandas_query(res, et, scope.org_code, tag_ids)[0]
        if not total == sqlite_total == pandas_total:
            raise AssertionError(f"{name}: counts differ {total} {sqlite_total} {pandas_total}")
        sqlite = timed(lambda s=scope: _sqlite_query(con, s.org_code, tag_ids), repeat=5, warmup=1)
        pandas = timed(
            lambda s=scope: _pandas_query(res, et, s.org_code, tag_ids), repeat=5, warmup=1
        )
        results[name] = {
            **ours_timing,
            "raw_ms": raw["p50_ms"],
            "budget_ms": 150,
            "baseline": {"sqlite_ms": sqlite["p50_ms"], "pandas_ms": pandas["p50_ms"]},
            "note": f"老年人∧独居老人∧党员, scope {scope.org_code}: {total:,} matches; "
            f"count + first page of {PAGE}; bare DuckDB {raw['p50_ms']} ms",
        }
    con.close()
    res = et = None  # free the baseline frames before other areas run
    gc.collect()
    return {
        k: results[k]
        for k in (
            "tag_query_and3",
            "tag_query_and3_district",
            "tag_refresh_full",
            "tag_refresh_batch",
        )
    }
