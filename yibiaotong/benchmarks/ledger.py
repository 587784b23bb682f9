"""Ledger search benchmark: first page + count by name, pinyin initials and ID fragment."""

from __future__ import annotations

from yibiaotong import db, ledger
from yibiaotong.benchmarks import Context, timed
from yibiaotong.scope import Scope

BUDGET_MS = 150
SQLITE_TABLES = {
    "ledger_resident": (
        "select id, name, name_initials, id_number, phone, current_address, grid_code, status "
        "from resident"
    )
}

_WHERE = (
    "grid_code like '330102%' and status = 'active' and (name like ? or current_address like ?)"
)
SQLITE_COUNT = "select count(*) from ledger_resident where " + _WHERE
SQLITE_PAGE = "select * from ledger_resident where " + _WHERE + " order by id limit 50"


def _samples() -> dict[str, str]:
    """Search terms as people type them, taken from the data itself so every one finds people:
    a whole name, a given name, pinyin initials, 身份证后六位, a whole ID, 手机后四位."""
    with db.cursor() as cur:
        name, initials, id_number, phone = cur.execute(
            "select name, name_initials, id_number, phone from resident "
            "where id_type = '01' and length(name) = 3 and phone is not null "
            "order by id limit 1 offset 4444444"
        ).fetchone()
    return {
        "name": name,
        "given_name": name[1:],
        "initials": initials,
        "id_tail6": id_number[-6:],
        "id_whole": id_number,
        "phone_tail4": phone[-4:],
    }


def run(ctx: Context) -> dict:
    district = Scope("bench", "district_admin", "330102", clearance=True)
    with db.cursor() as cur:
        community = cur.execute(
            "select code from org_unit where level = 'community' order by code limit 1"
        ).fetchone()[0]
    local = Scope("bench", "social_worker", community, clearance=True)
    terms = _samples()
    results = {}
    for kind, term in terms.items():
        results[f"ledger_search_{kind}"] = {
            **timed(lambda t=term: ledger.search(district, "resident", t)),
            "budget_ms": BUDGET_MS,
            "note": f"district scope ({ctx.residents:,}), term {term!r}",
        }
    results["ledger_search_community"] = {
        **timed(lambda: ledger.search(local, "resident", terms["initials"][:2])),
        "budget_ms": BUDGET_MS,
        "note": "one community's scope, initials prefix",
    }

    # Baselines: the same name search (count + first page by id) on SQLite and pandas.
    con = ctx.sqlite(SQLITE_TABLES)
    con.execute("create index if not exists ledger_resident_grid on ledger_resident (grid_code)")
    pattern = f"%{terms['given_name']}%"

    def sqlite_search():
        con.execute(SQLITE_COUNT, (pattern, pattern)).fetchone()
        con.execute(SQLITE_PAGE, (pattern, pattern)).fetchall()

    with db.cursor() as cur:
        frame = cur.execute(SQLITE_TABLES["ledger_resident"]).df()

    def pandas_search():
        hit = frame[
            frame["grid_code"].str.startswith("330102")
            & (frame["status"] == "active")
            & (
                frame["name"].str.contains(terms["given_name"], regex=False)
                | frame["current_address"].str.contains(terms["given_name"], regex=False, na=False)
            )
        ]
        len(hit)
        hit.sort_values("id").head(50)

    results["ledger_search_given_name"]["baseline"] = {
        "sqlite_ms": timed(sqlite_search, repeat=3, warmup=1)["p50_ms"],
        "pandas_ms": timed(pandas_search, repeat=3, warmup=1)["p50_ms"],
    }
    return results
