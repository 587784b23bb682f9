"""Ledger search benchmark: first page + count by every route, beside the bare DuckDB query that
returns the same rows (raw_ms) and a SQLite / pandas baseline."""

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


# The bare DuckDB statements that return what ledger.search returns for each route (the count and
# the shown columns of the first page), written by hand against the same tables and tokens: our
# layers (routing, two-step paging, masking, pandas) cost the difference.
_RAW_SHOWN = (
    "select r.id, r.name, r.sex, r.birth_date, r.id_number, r.phone, r.residence_type, "
    "r.current_address, g.full_name as org_name, r.status, r.version "
    "from resident as r left join org_unit as g on g.code = r.grid_code "
)
_RAW_SCOPE = "starts_with(r.grid_code, $org) and r.status = 'active'"
_RAW_TOKEN = (
    "from resident_search_token as t where t.kind = $kind and t.token >= $low "
    "and t.token < $low || chr(1114111) and starts_with(t.grid_code, $org) and t.status = 'active'"
)
RAW_ROUTES = {
    "name": (
        f"select count(*) from resident as r where r.name = $term and {_RAW_SCOPE}",
        f"{_RAW_SHOWN} where r.name = $term and {_RAW_SCOPE} order by r.id limit 50",
    ),
    "initials": (
        f"select count(*) from (select 1 from resident as r where {_RAW_SCOPE} "
        "and starts_with(r.name_initials, $term) limit 1000)",
        f"{_RAW_SHOWN} where {_RAW_SCOPE} and starts_with(r.name_initials, $term) "
        "order by r.id limit 50",
    ),
    "address": (
        f"select count(*) from (select 1 from resident as r where {_RAW_SCOPE} "
        "and contains(r.current_address, $term) limit 1000)",
        f"{_RAW_SHOWN} where {_RAW_SCOPE} and contains(r.current_address, $term) "
        "order by r.id limit 50",
    ),
    "token": (
        f"select count(*) {_RAW_TOKEN}",
        f"{_RAW_SHOWN} where r.id in (select t.resident_id {_RAW_TOKEN} "
        "order by t.resident_id limit 50) order by r.id",
    ),
}


# The same for a word on households and houses: a plain scan of the columns the search box
# looks in (ledger/find_by_address answers it through the address tables), and the shown page.
_RAW_WORDS = {
    "household": "contains(h.address, $term) or contains(h.household_no, $term)",
    "house": "contains(h.address, $term) or contains(h.owner_name, $term)",
}
_RAW_PAGES = {
    "household": (
        "select h.id, h.household_no, head.name as head_name, coalesce(sizes.members, 0) "
        "as members, h.household_type, h.address, h.phone, g.full_name as org_name, h.status, "
        "h.version from household as h left join resident as head on head.id = h.head_id "
        "left join org_unit as g on g.code = h.grid_code left join (select household_id, "
        "count(*) as members from resident where household_id in (select id from page) "
        "and status = 'active' group by household_id) as sizes on sizes.household_id = h.id "
        "where h.id in (select id from page) order by h.id"
    ),
    "house": (
        "select h.id, h.house_no, h.address, h.use_type, h.occupancy, h.owner_name, "
        "h.owner_phone, h.tenant_count, g.full_name as org_name, h.status, h.version "
        "from house as h left join org_unit as g on g.code = h.grid_code "
        "where h.id in (select id from page) order by h.id"
    ),
}


def _raw_words(entity: str) -> tuple[str, str]:
    hits = (
        f"from {entity} as h where starts_with(h.grid_code, $org) and h.status = 'active' "
        f"and ({_RAW_WORDS[entity]})"
    )
    page = f"with page as (select h.id {hits} order by h.id limit 50) {_RAW_PAGES[entity]}"
    return f"select count(*) {hits}", page  # noqa: S608 (whitelisted names, values are params)


def _raw(kind: str, term: str, org: str):
    """The bare statements of one route, and their parameters."""
    tokens = {
        "given_name": ("name", term),
        "id_tail6": ("id_number", term[::-1]),
        "id_whole": ("id_number", term[::-1]),
        "phone_tail4": ("phone", term[::-1]),
    }
    if kind in tokens:
        token_kind, low = tokens[kind]
        return RAW_ROUTES["token"], {"kind": token_kind, "low": low, "org": org}
    route = {"initials": "initials", "community": "initials", "address": "address"}.get(
        kind, "name"
    )
    return RAW_ROUTES[route], {"term": term, "org": org}


def raw_timing(kind: str, term: str, scope: Scope, ours: tuple, entity: str = "resident") -> dict:
    """p50 of the bare statements, after checking they return what ledger.search returned."""
    if entity == "resident":
        (count_sql, page_sql), params = _raw(kind, term, scope.org_code)
    else:
        (count_sql, page_sql), params = _raw_words(entity), {"term": term, "org": scope.org_code}

    def run():
        with db.cursor() as cur:
            total = cur.execute(count_sql, params).fetchone()[0]
            return total, cur.execute(page_sql, params).df()

    total, rows = run()
    frame, our_total = ours
    if total != our_total or list(rows["id"]) != list(frame["id"]):
        raise AssertionError(f"ledger_search_{kind}: bare query differs ({total} vs {our_total})")
    return timed(run)


def _token_refresh(ctx: Context) -> dict:
    """What every ledger write batch adds for search: rebuilding the tokens of the residents it
    touched (100 spread over the district; one saved record)."""
    step = max(1, ctx.residents // 100)
    with db.cursor() as cur:
        ids = [
            r[0]
            for r in cur.execute(
                "select id from resident where id % $step = 0 limit 100", {"step": step}
            ).fetchall()
        ]

    def refresh(batch):
        with db.transaction() as cur:
            ledger.refresh_search_tokens(cur, batch)

    batch = timed(lambda: refresh(ids), repeat=7, warmup=1)
    one = timed(lambda: refresh(ids[:1]), repeat=9, warmup=1)
    return {
        **batch,
        "one_record_p50_ms": one["p50_ms"],
        "note": f"tokens of {len(ids)} residents of a write batch; one saved record: "
        f"{one['p50_ms']} ms",
    }


def _samples() -> dict[str, str]:
    """Search terms as people type them, taken from the data itself so every one finds people:
    a whole name, a given name, pinyin initials, 身份证后六位, a whole ID, 手机后四位, a name with
    楼 (a surname that looks like an address), a piece of an address."""
    with db.cursor() as cur:
        name, initials, id_number, phone, address = cur.execute(
            "select name, name_initials, id_number, phone, current_address from resident "
            "where id_type = '01' and length(name) = 3 and phone is not null "
            "and current_address is not null order by id limit 1 offset 4444444"
        ).fetchone()
        lou = cur.execute(
            "select name from resident where name like '楼%' and length(name) = 3 "
            "order by id limit 1 offset 20000"
        ).fetchone()[0]
    return {
        "name": name,
        "given_name": name[1:],
        "initials": initials,
        "id_tail6": id_number[-6:],
        "id_whole": id_number,
        "phone_tail4": phone[-4:],
        "surname_lou": lou,
        "address": address.split("号")[0][-6:],
    }


def _word_samples() -> dict[str, tuple[str, str, str]]:
    """(entity, term, the street of the record it came from) of household and house searches as
    people type them: a piece of a household's address (its road and number), the same for a
    house, and an owner's name with 楼 (a surname that is also a building: the address look-up
    and the owner scan)."""
    with db.cursor() as cur:
        household, h_grid = cur.execute(
            "select address, grid_code from household where address is not null "
            "order by id limit 1 offset 1777777"
        ).fetchone()
        house, grid = cur.execute(
            "select address, grid_code from house order by id limit 1 offset 2222222"
        ).fetchone()
        owner, o_grid = cur.execute(
            "select owner_name, grid_code from house where owner_name like '楼%' "
            "and length(owner_name) = 3 order by id limit 1 offset 2000"
        ).fetchone()
    return {
        "household_address": ("household", household.split("号")[0][-6:], h_grid[:9]),
        "house_address": ("house", house.split("号")[0][-6:], grid[:9]),
        "house_owner_lou": ("house", owner, o_grid[:9]),
    }


def _word_searches(district: Scope) -> dict:
    """Households and houses found by a word, district-wide and narrowed to the street of the
    record the term came from (as the district office picks a street on the page), beside the
    bare scan giving the same rows."""
    results = {}
    for kind, (entity, term, street) in _word_samples().items():
        for where, org in (("district", None), ("street", street)):
            ours = timed(lambda e=entity, t=term, o=org: ledger.search(district, e, t, org_code=o))
            bare = Scope(district.username, district.role, org or district.org_code, True)
            found = ledger.search(district, entity, term, org_code=org)
            raw = raw_timing(kind, term, bare, found, entity)
            results[f"ledger_search_{kind}_{where}"] = {
                **ours,
                "raw_ms": raw["p50_ms"],
                "budget_ms": BUDGET_MS,
                "note": f"{where} scope {bare.org_code}, term {term!r}, {found[1]:,} found; "
                f"bare scan {raw['p50_ms']} ms",
            }
    return results


def run(ctx: Context) -> dict:
    district = Scope("bench", "district_admin", "330102", clearance=True)
    with db.cursor() as cur:
        community = cur.execute(
            "select code from org_unit where level = 'community' order by code limit 1"
        ).fetchone()[0]
    local = Scope("bench", "social_worker", community, clearance=True)
    terms = _samples()
    results = {}
    searches = {kind: (district, term) for kind, term in terms.items()}
    searches["community"] = (local, terms["initials"][:2])
    for kind, (scope, term) in searches.items():
        ours = timed(lambda s=scope, t=term: ledger.search(s, "resident", t))
        raw = raw_timing(kind, term, scope, ledger.search(scope, "resident", term))
        where = (
            "one community's scope"
            if kind == "community"
            else f"district scope ({ctx.residents:,})"
        )
        results[f"ledger_search_{kind}"] = {
            **ours,
            "raw_ms": raw["p50_ms"],
            "budget_ms": BUDGET_MS,
            "note": f"{where}, term {term!r}; bare DuckDB {raw['p50_ms']} ms",
        }

    results.update(_word_searches(district))
    results["search_tokens_refresh"] = _token_refresh(ctx)

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
