"""数据大屏: one org unit's population, housing, shop, grid, quality and usage aggregates, cached."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from yibiaotong import admission, auth, catalog, config, db, small_cells, tags
from yibiaotong.excel.tables import write_tables
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

# Households one grid worker can keep current; a grid above it is shown as overloaded.
GRID_LOAD_HOUSEHOLDS = 300
RECENT_DAYS = 30
OLDEST_BAND = 18  # 5-year bands 0–4 … 85–89, then 90 and over
DRILL_LEVELS = ("district", "street", "community")
CHILD_LEVEL = {"district": "street", "street": "community", "community": "grid"}
LEVEL_NAMES = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}
CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
RESIDENCE_KINDS = {"1": "registered", "2": "floating", "3": "overseas"}  # 户籍, 流动, 境外
KEY_GROUPS = {
    "elderly_80": "高龄老人",
    "living_alone": "独居老人",
    "disabled": "残疾人",
    "dibao": "低保对象",
}
QUALITY_FIELDS = {
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "ethnicity": "民族",
    "education": "文化程度",
    "current_address": "现住址",
}
BIRTH_ORDERS = ("一孩", "二孩", "三孩及以上", "孩次未登记")
RENTED = ("2", "4")  # 出租, 群租
UNREGISTERED = "未登记"
MISSING = "暂无"
CACHE_ENTRIES = 64
# Counts of people, withheld when small for viewers without clearance (houses and shops are not).
PEOPLE = ("residents", "households", *RESIDENCE_KINDS.values())
PEOPLE_COLUMNS = {
    "units": list(PEOPLE),
    "grids": ["residents", "households"],
    "quality_units": ["residents"],
}


@dataclass(frozen=True)
class Figures:
    """Every figure of one view. Frames are small aggregates; treat them as read-only."""

    org_code: str
    org_name: str
    level: str
    child_level: str
    as_of: date
    data_version: int
    computed_at: datetime
    seconds: float
    kpi: dict[str, int | float | None]
    pyramid: pd.DataFrame  # band, age, male, female
    births: pd.DataFrame  # order, births
    key_groups: pd.DataFrame  # code, group, residents
    units: pd.DataFrame  # code, name, registered, floating, overseas, residents, households, …
    occupancy: pd.DataFrame  # occupancy, houses
    house_use: pd.DataFrame  # use, occupancy, houses
    rental: pd.DataFrame  # code, name, houses, rented, share
    shop_categories: pd.DataFrame  # category, open, closed
    inspections: pd.DataFrame  # inspection, shops (open shops)
    grids: pd.DataFrame  # code, name, community, residents, households, overloaded
    completeness: pd.DataFrame  # field, filled, residents, share
    quality_units: pd.DataFrame  # code, name, residents, completeness, id_birth, id_sex
    updated: pd.DataFrame  # entity, records
    usage: dict[str, Any]
    # Set on a view for a viewer without clearance: what was hidden and why (shown as a note).
    withheld: str | None = None

    @property
    def unit_level(self) -> str:
        """Level of the rows of `rental` and `quality_units` (communities, or grids of one)."""
        return "grid" if self.level == "community" else "community"


# ---------------------------------------------------------------- scope and drill-down


def _unit(code: str) -> dict[str, Any]:
    unit = catalog.org_unit(code)
    if unit is None or unit["level"] not in DRILL_LEVELS:
        raise ValueError("未知的辖区，或该层级不提供大屏统计")
    return unit


@checked
def view_org(scope: Scope, org_code: str | None = None) -> str:
    """The org unit a view shows: the caller's own unit or a district/street/community below it."""
    code = scope.narrow(org_code)
    _unit(code)
    return code


@checked
def drill_path(scope: Scope, org_code: str) -> list[dict[str, Any]]:
    """Units from the caller's own unit down to `org_code` (for the breadcrumb and selects)."""
    code = view_org(scope, org_code)
    path = []
    for level in DRILL_LEVELS:
        length = CODE_LENGTH[level]
        if length < len(scope.org_code) or length > len(code):
            continue
        unit = _unit(code[:length])
        path.append({"code": unit["code"], "name": unit["name"], "level": unit["level"]})
    return path


@checked
def drill_options(scope: Scope, org_code: str) -> list[dict[str, Any]]:
    """Units one level below `org_code` that a view may drill into (streets or communities)."""
    code = view_org(scope, org_code)
    return [
        {"code": c["code"], "name": c["name"], "level": c["level"]}
        for c in catalog.org_children(code)
        if c["level"] in DRILL_LEVELS
    ]


# ---------------------------------------------------------------- cache


_cache: dict[tuple, Figures] = {}
_cache_lock = threading.Lock()
_build_locks: dict[tuple, threading.Lock] = {}


@checked
def figures(scope: Scope, org_code: str | None = None, as_of: date | None = None) -> Figures:
    """All figures of the view as the caller may see them, from the cache while no write batch
    changed the data version. Without clearance, groups of sensitive tags are left out (the rule
    标签查询 applies, tags.visible) and small counts of people are withheld (small_cells)."""
    code = view_org(scope, org_code)
    day = as_of or date.today()
    full = _figures(code, day)
    if scope.clearance:
        return full
    hidden = frozenset(c for c in KEY_GROUPS if not tags.visible(scope, _tag(c)))
    key = (str(config.db_path()), code, day, full.data_version, hidden)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is None:
        hit = _for_uncleared(full, hidden)
        _remember(key, hit)
    return hit


def _remember(key: tuple, figs: Figures) -> None:
    with _cache_lock:
        while len(_cache) >= CACHE_ENTRIES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = figs


def _figures(code: str, day: date) -> Figures:
    """Every figure of a view, computed once per data version (for any caller)."""
    key = (str(config.db_path()), code, day, db.data_version())
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        build_lock = _build_locks.setdefault(key, threading.Lock())
    # Screens refreshing at once after a write wait for one computation instead of repeating it.
    with build_lock:
        with _cache_lock:
            hit = _cache.get(key)
        if hit is None:
            hit = _compute(code, day, key[3])
            _remember(key, hit)
    with _cache_lock:
        _build_locks.pop(key, None)
    return hit


def _tag(code: str) -> dict[str, Any]:
    return next(t for t in tags.tag_index() if t["code"] == code)


def _cells(figs: Figures, groups: list[str]) -> dict[tuple, int]:
    """Every count of people the view shows, keyed by (measure, unit code or row)."""
    v = figs.org_code
    cells: dict[tuple, int] = {("kpi", c): figs.kpi[c] for c in ("births_12m", *groups)}
    for m in PEOPLE:
        cells[(m, v)] = figs.kpi[m]
    birth = figs.completeness["field"] == QUALITY_FIELDS["birth_date"]
    cells[("filled_birth", v)] = int(figs.completeness.loc[birth, "filled"].sum())
    for row in figs.pyramid.itertuples():
        cells[("male", row.band)], cells[("female", row.band)] = row.male, row.female
    for row in figs.births.itertuples():
        cells[("births", row.order)] = row.births
    for name, columns in PEOPLE_COLUMNS.items():
        for row in getattr(figs, name).to_dict("records"):
            for m in columns:
                cells[(m, row["code"])] = int(row[m])
    return cells


def _sums(figs: Figures, cells: dict[tuple, int]) -> list[small_cells.Sum]:
    """The sums a viewer can check: 实有人口 = its three kinds, the pyramid = residents with a
    birth date, births by order = all births, and each unit = the units below it shown."""
    v, kinds = figs.org_code, tuple(RESIDENCE_KINDS.values())
    sums = [
        small_cells.Sum(("filled_birth", v), tuple(c for c in cells if c[0] in ("male", "female"))),
        small_cells.Sum(("kpi", "births_12m"), tuple(c for c in cells if c[0] == "births")),
    ]
    units = {c[1] for c in cells if c[0] == "residents"}
    sums += [small_cells.Sum(("residents", u), tuple((k, u) for k in kinds)) for u in units]
    for m in PEOPLE:
        for parent in units:
            below = [u for u in units if u.startswith(parent) and u != parent]
            for length in sorted({len(u) for u in below}):
                level = tuple((m, u) for u in below if len(u) == length)
                sums.append(small_cells.Sum((m, parent), level))
    return sums


def _for_uncleared(figs: Figures, hidden_groups: frozenset[str]) -> Figures:
    """The view for a viewer without clearance: sensitive groups gone, small counts withheld."""
    groups = [c for c in KEY_GROUPS if c not in hidden_groups]
    cells = _cells(figs, groups)
    # The residents with a birth date are also the basis of the completeness shares.
    # The view's residents, and those with a birth date, are also the bases of shown shares.
    bases = {("filled_birth", figs.org_code), ("residents", figs.org_code)}
    marks = small_cells.suppress(cells, _sums(figs, cells), keep=bases)

    def column(frame: pd.DataFrame, name: str, key) -> pd.Series:
        values = [marks.get(key(row), row[name]) for row in frame.to_dict("records")]
        return pd.Series(values, index=frame.index, dtype=object)

    pyramid = figs.pyramid.copy()
    for sex in ("male", "female"):
        pyramid[sex] = column(pyramid, sex, lambda r, s=sex: (s, r["band"]))
    births = figs.births.assign(
        births=column(figs.births, "births", lambda r: ("births", r["order"]))
    )
    v = figs.org_code
    key_groups = figs.key_groups[figs.key_groups["code"].isin(groups)].reset_index(drop=True)
    key_groups["residents"] = column(key_groups, "residents", lambda r: ("kpi", r["code"]))
    frames = {}
    for name, columns in PEOPLE_COLUMNS.items():
        frame = getattr(figs, name).copy()
        for m in columns:
            frame[m] = column(frame, m, lambda r, m=m: (m, r["code"]))
        frames[name] = frame
    completeness = figs.completeness.copy()
    if ("residents", v) in marks:  # a unit of under five: its shares would tell the counts
        for name in ("filled", "residents", "share"):
            completeness[name] = small_cells.WITHHELD
    kpi = {c: n for c, n in figs.kpi.items() if c not in hidden_groups}
    kpi.update({m: marks.get((m, figs.org_code), kpi[m]) for m in PEOPLE})
    kpi.update({c: marks.get(("kpi", c), kpi[c]) for c in ("births_12m", *groups)})
    if ("residents", v) in marks:
        kpi["completeness"] = None
    notes = []
    if hidden_groups:
        names = "、".join(KEY_GROUPS[c] for c in KEY_GROUPS if c in hidden_groups)
        notes.append(f"{names}属于敏感信息，需要敏感信息查看权限。")
    if marks:
        notes.append(small_cells.NOTE)
    return replace(
        figs,
        kpi=kpi,
        pyramid=pyramid,
        births=births,
        key_groups=key_groups,
        completeness=completeness,
        withheld="".join(notes) or None,
        **frames,
    )


def clear_cache(id_checks: bool = True) -> None:
    """Forget every cached view and, unless told otherwise, the stored per-grid ID checks too."""
    with _cache_lock:
        _cache.clear()
    if id_checks:
        db.execute("dashboard/forget_id_checks")


# The ID-number checks are the one costly aggregate (string work on every resident, ~1 s at nine
# million), and a write batch touches few grids. So their counts are stored per grid with the
# grid's fingerprint (active residents and latest updated_at, which every write path sets) in
# dashboard_id_check, surviving restarts; only grids whose fingerprint moved are checked again.


def _id_checks(org_code: str, residents: pd.DataFrame) -> pd.DataFrame:
    """Per grid of the view: active residents whose ID disagrees with birth date / sex."""
    prints = residents.groupby("grid_code").agg(
        people=("residents", "sum"), latest=("last_update", "max")
    )
    current = {row.Index: (int(row.people), str(row.latest)) for row in prints.itertuples()}
    counts: dict[str, tuple[int, int]] = {}
    for known in db.fetch_dicts("dashboard/known_id_checks", org_code=org_code):
        if current.get(known["grid_code"]) == (known["people"], known["latest"]):
            counts[known["grid_code"]] = (known["birth_mismatch"], known["sex_mismatch"])
    stale = [grid for grid in current if grid not in counts]
    if stale:
        found = {
            r["grid_code"]: (int(r["id_birth_mismatch"]), int(r["id_sex_mismatch"]))
            for r in db.fetch_dicts("dashboard/id_checks_by_grid", org_code=org_code, grids=stale)
        }
        for grid in stale:
            counts[grid] = found.get(grid, (0, 0))
        with db.transaction() as cur:
            db.run(
                cur,
                "dashboard/save_id_checks",
                grids=stale,
                people=[current[g][0] for g in stale],
                latest=[current[g][1] for g in stale],
                births=[counts[g][0] for g in stale],
                sexes=[counts[g][1] for g in stale],
            )
    rows = [(grid, *counts[grid]) for grid in current]
    return pd.DataFrame(rows, columns=["grid_code", "id_birth_mismatch", "id_sex_mismatch"])


# ---------------------------------------------------------------- computation


def one_year_before(day: date) -> date:
    """The same day a year earlier (29 Feb → 28 Feb): born after it means under 12 months old."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def age_label(band: int) -> str:
    return f"{band * 5}岁及以上" if band >= OLDEST_BAND else f"{band * 5}–{band * 5 + 4}岁"


def _by_prefix(frame: pd.DataFrame, length: int, columns: list[str]) -> pd.DataFrame:
    """Sum grid-level rows up to the units whose codes are `length` characters long."""
    if frame.empty:
        return pd.DataFrame(columns=["code", *columns])
    keyed = frame.assign(code=frame["grid_code"].str[:length])
    return keyed.groupby("code", as_index=False)[columns].sum()


def _mapped(codes: pd.Series, frame: pd.DataFrame, column: str) -> pd.Series:
    return codes.map(dict(zip(frame["code"], frame[column], strict=True))).fillna(0)


def _int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _labelled_counts(
    frame: pd.DataFrame, by: str, names: dict[str, str], value: str, label: str
) -> pd.DataFrame:
    """Counts per code list entry in code-list order; 未登记 only when some rows lack a code."""
    counts = (
        frame.assign(name=frame[by].map(names).fillna(UNREGISTERED))
        .groupby("name")[value]
        .sum()
        .reindex([*names.values(), UNREGISTERED], fill_value=0)
        .astype("int64")
        .rename_axis(label)
        .reset_index()
    )
    return counts[(counts[value] > 0) | (counts[label] != UNREGISTERED)].reset_index(drop=True)


def _pyramid(rows: list[dict[str, Any]]) -> pd.DataFrame:
    pyramid = pd.DataFrame({"band": range(OLDEST_BAND + 1)})
    pyramid["age"] = pyramid["band"].map(age_label)
    for sex, column in (("1", "male"), ("2", "female")):
        counts = {r["band"]: int(r["residents"]) for r in rows if r["sex"] == sex}
        pyramid[column] = [counts.get(band, 0) for band in pyramid["band"]]
    return pyramid


def _births(rows: list[tuple]) -> pd.DataFrame:
    counts = dict.fromkeys(BIRTH_ORDERS, 0)
    for order, n in rows:
        counts[BIRTH_ORDERS[3] if order is None else BIRTH_ORDERS[min(int(order), 3) - 1]] += n
    return pd.DataFrame({"order": list(counts), "births": [int(n) for n in counts.values()]})


def _units(
    under: list[dict[str, Any]],
    org_code: str,
    child_level: str,
    residents: pd.DataFrame,
    households: pd.DataFrame,
    houses: pd.DataFrame,
    shops: pd.DataFrame,
) -> pd.DataFrame:
    """One row per unit one level down (the comparison chart), empty units included."""
    units = pd.DataFrame(
        [
            {"code": u["code"], "name": u["name"]}
            for u in under
            if u["level"] == child_level and u["parent_code"] == org_code
        ],
        columns=["code", "name"],
    )
    length = CODE_LENGTH[child_level]
    for code, kind in RESIDENCE_KINDS.items():
        part = _by_prefix(residents[residents["residence_type"] == code], length, ["residents"])
        units[kind] = _mapped(units["code"], part, "residents")
    units["residents"] = units[list(RESIDENCE_KINDS.values())].sum(axis=1)
    for frame, columns in (
        (households, ["households"]),
        (houses, ["houses", "rented"]),
        (shops, ["open_shops"]),
    ):
        part = _by_prefix(frame, length, columns)
        for column in columns:
            units[column] = _mapped(units["code"], part, column)
    counts = units.columns.difference(["code", "name"])
    units[counts] = units[counts].astype("int64")
    return units


def _rental(houses: pd.DataFrame, length: int, names: dict[str, str]) -> pd.DataFrame:
    rental = _by_prefix(houses, length, ["houses", "rented"])
    rental["name"] = rental["code"].map(names)
    rental["share"] = (rental["rented"] / rental["houses"]).where(rental["houses"] > 0, 0.0)
    rental = rental.sort_values(["share", "code"], ascending=[False, True], ignore_index=True)
    return rental[["code", "name", "houses", "rented", "share"]]


def _shop_categories(kinds: pd.DataFrame) -> pd.DataFrame:
    names = catalog.code_items("shop_category")
    table = (
        kinds.assign(name=kinds["category"].map(names).fillna(UNREGISTERED))
        .pivot_table(index="name", columns="status", values="shops", aggfunc="sum", fill_value=0)
        .reindex(columns=["active", "closed"], fill_value=0)
        .reindex([*names.values(), UNREGISTERED], fill_value=0)
        .rename(columns={"active": "open"})
        .rename_axis(index="category", columns=None)
        .reset_index()
        .astype({"open": "int64", "closed": "int64"})
    )
    return table[table["open"] + table["closed"] > 0].reset_index(drop=True)


def _grids(
    grid_units: list[dict[str, Any]],
    names: dict[str, str],
    residents: pd.DataFrame,
    households: pd.DataFrame,
) -> pd.DataFrame:
    grids = pd.DataFrame(
        {
            "code": [g["code"] for g in grid_units],
            "name": [g["name"] for g in grid_units],
            "community": [names.get(g["code"][:12], "") for g in grid_units],
        }
    )
    people = residents.groupby("grid_code")["residents"].sum()
    homes = households.set_index("grid_code")["households"]
    grids["residents"] = grids["code"].map(people).fillna(0).astype("int64")
    grids["households"] = grids["code"].map(homes).fillna(0).astype("int64")
    grids["overloaded"] = grids["households"] > GRID_LOAD_HOUSEHOLDS
    return grids.sort_values(["households", "code"], ascending=[False, True], ignore_index=True)


FILLED = [f"with_{field}" for field in QUALITY_FIELDS]


def _completeness(residents: pd.DataFrame) -> pd.DataFrame:
    total = _int(residents["residents"].sum())
    frame = pd.DataFrame(
        {
            "field": list(QUALITY_FIELDS.values()),
            "filled": [_int(residents[c].sum()) for c in FILLED],
        }
    )
    frame["residents"] = total
    frame["share"] = frame["filled"] / total if total else 0.0
    return frame


def _quality_units(
    residents: pd.DataFrame, checks: pd.DataFrame, length: int, names: dict[str, str]
) -> pd.DataFrame:
    units = _by_prefix(residents, length, ["residents", *FILLED])
    problems = _by_prefix(checks, length, ["id_birth_mismatch", "id_sex_mismatch"])
    for column in ("id_birth_mismatch", "id_sex_mismatch"):
        units[column] = _mapped(units["code"], problems, column).astype("int64")
    units["name"] = units["code"].map(names)
    units["completeness"] = units[FILLED].sum(axis=1) / (units["residents"] * len(QUALITY_FIELDS))
    units = units.rename(columns={"id_birth_mismatch": "id_birth", "id_sex_mismatch": "id_sex"})
    units = units.sort_values(["completeness", "code"], ignore_index=True)
    return units[["code", "name", "residents", "completeness", "id_birth", "id_sex"]]


def _compute(org_code: str, as_of: date, data_version: int | None = None) -> Figures:
    """Run every aggregate of the view in DuckDB and shape the small results (no cache)."""
    started = time.perf_counter()
    unit = _unit(org_code)
    level = unit["level"]
    since = datetime.combine(as_of, datetime.min.time()) - timedelta(days=RECENT_DAYS)
    scoped = {"org_code": org_code}

    residents = db.fetch_df("dashboard/residents_by_grid", **scoped, since=since)
    checks = _id_checks(org_code, residents)
    pyramid = _pyramid(db.fetch_dicts("dashboard/population_pyramid", **scoped, as_of=as_of))
    births = _births(
        db.fetch_all("dashboard/births_by_order", **scoped, born_after=one_year_before(as_of))
    )
    tagged = dict(db.fetch_all("dashboard/tagged_residents", **scoped, tag_codes=list(KEY_GROUPS)))
    households = db.fetch_df("dashboard/households_by_grid", **scoped, since=since)
    houses = db.fetch_df("dashboard/houses_by_grid", **scoped, since=since)
    houses["rented"] = houses["occupancy"].isin(RENTED) * houses["houses"]
    shop_kinds = db.fetch_df("dashboard/shops_by_kind", **scoped)
    shops = db.fetch_df("dashboard/shops_by_grid", **scoped, since=since)
    usage = _usage(org_code, since, as_of)

    under = catalog.org_units_under(org_code)
    names = {u["code"]: u["name"] for u in under}
    grid_units = [u for u in under if u["level"] == "grid"]
    # Rental share and data quality are shown per community, or per grid inside one community.
    unit_length = CODE_LENGTH["grid" if level == "community" else "community"]

    key_groups = pd.DataFrame(
        {
            "code": list(KEY_GROUPS),
            "group": list(KEY_GROUPS.values()),
            "residents": [int(tagged.get(code, 0)) for code in KEY_GROUPS],
        }
    )
    units = _units(under, org_code, CHILD_LEVEL[level], residents, households, houses, shops)
    occupancy = _labelled_counts(
        houses, "occupancy", catalog.code_items("occupancy"), "houses", "occupancy"
    )
    house_use = (
        houses.assign(
            use=houses["use_type"].map(catalog.code_items("house_use")).fillna(UNREGISTERED),
            occupancy=houses["occupancy"].map(catalog.code_items("occupancy")).fillna(UNREGISTERED),
        )
        .groupby(["use", "occupancy"], as_index=False)["houses"]
        .sum()
        .astype({"houses": "int64"})
    )
    inspections = _labelled_counts(
        shop_kinds[shop_kinds["status"] == "active"],
        "inspection_status",
        catalog.code_items("inspection_status"),
        "shops",
        "inspection",
    )
    grids = _grids(grid_units, names, residents, households)
    completeness = _completeness(residents)
    updated = pd.DataFrame(
        {
            "entity": ["人口", "户", "房屋", "商铺"],
            "records": [
                _int(frame["updated_recently"].sum())
                for frame in (residents, households, houses, shops)
            ],
        }
    )

    total = _int(residents["residents"].sum())
    by_type = residents.groupby("residence_type")["residents"].sum()
    id_birth = _int(checks["id_birth_mismatch"].sum())
    id_sex = _int(checks["id_sex_mismatch"].sum())
    templates = usage["templates"]
    kpi: dict[str, int | float | None] = {
        "residents": total,
        **{kind: _int(by_type.get(code)) for code, kind in RESIDENCE_KINDS.items()},
        "households": _int(households["households"].sum()),
        "houses": _int(houses["houses"].sum()),
        "rented_houses": _int(houses["rented"].sum()),
        "open_shops": _int(shops["open_shops"].sum()),
        "closed_shops": _int(shops["closed_shops"].sum()),
        "grids": len(grid_units),
        "overloaded_grids": int(grids["overloaded"].sum()),
        "births_12m": int(births["births"].sum()),
        **{code: int(tagged.get(code, 0)) for code in KEY_GROUPS},
        "completeness": (
            float(completeness["filled"].sum() / (total * len(QUALITY_FIELDS))) if total else None
        ),
        "id_birth_mismatch": id_birth,
        "id_sex_mismatch": id_sex,
        "id_problems": id_birth + id_sex,
        "updated_recently": int(updated["records"].sum()),
        "reports_month": usage["reports_month"],
        "hours_saved": usage["hours_saved"],
        "templates": None if templates is None else int(templates["templates"].sum()),
        "template_departments": None if templates is None else len(templates),
        "sw_records": usage["sw_records"],
        "sw_workers": usage["sw_workers"],
    }
    return Figures(
        org_code=org_code,
        org_name=unit["name"],
        level=level,
        child_level=CHILD_LEVEL[level],
        as_of=as_of,
        data_version=db.data_version() if data_version is None else data_version,
        computed_at=datetime.now(),
        seconds=round(time.perf_counter() - started, 3),
        kpi=kpi,
        pyramid=pyramid,
        births=births,
        key_groups=key_groups,
        units=units,
        occupancy=occupancy,
        house_use=house_use,
        rental=_rental(houses, unit_length, names),
        shop_categories=_shop_categories(shop_kinds),
        inspections=inspections,
        grids=grids,
        completeness=completeness,
        quality_units=_quality_units(residents, checks, unit_length, names),
        updated=updated,
        usage=usage,
    )


def _usage(org_code: str, since: datetime, as_of: date) -> dict[str, Any]:
    """一表通使用: report runs and templates from the report centre's tables (migration 0060);
    a database made before them shows 暂无 rather than failing."""
    sources = {r["table_name"] for r in db.fetch_dicts("dashboard/usage_sources")}
    edits = db.fetch_dicts("dashboard/social_worker_edits", org_code=org_code, since=since)[0]
    usage: dict[str, Any] = {
        "reports_month": None,
        "hours_saved": None,
        "templates": None,
        "sw_records": int(edits["records"]),
        "sw_saves": int(edits["saves"]),
        "sw_workers": int(edits["workers"]),
    }
    if "report_run" in sources:
        row = db.fetch_dicts(
            "dashboard/report_usage", org_code=org_code, month_start=as_of.replace(day=1)
        )[0]
        usage["reports_month"] = int(row["reports"])
        usage["hours_saved"] = round(float(row["minutes_saved"]) / 60, 1)
    if "report_template" in sources:
        usage["templates"] = db.fetch_df("dashboard/templates_by_department", as_of=as_of)
    usage["admission"] = None
    if {"report_request", "form_pile", "report_template"} <= sources:
        usage["admission"] = admission.figures(as_of)  # district-wide, no personal data
    return usage


# ---------------------------------------------------------------- display helpers


def format_count(value: int | float | str | None) -> str:
    """A KPI as a big screen shows it: 1,234,567, 暂无 when the source does not exist yet, or
    the mark of a withheld count ("<5", "—")."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def format_share(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:.1f}%"


# ---------------------------------------------------------------- Excel summary


def _or_missing(value: Any) -> Any:
    return MISSING if value is None else value


def _tables(figs: Figures) -> dict[str, list[tuple[str, list[str], list[list[Any]]]]]:
    """Sheets of the summary: sheet name → [(table title, headers, rows)]."""
    k = figs.kpi
    child = LEVEL_NAMES[figs.child_level]
    unit = LEVEL_NAMES[figs.unit_level]

    def rows(frame: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
        return frame[columns].astype(object).values.tolist()

    def pct(value: float | str) -> float | str:
        return value if isinstance(value, str) else round(float(value) * 100, 1)

    usage = figs.usage
    templates = usage.get("templates")
    return {
        "概览": [
            (
                f"{figs.org_name} 数据大屏汇总（统计日 {figs.as_of.isoformat()}）",
                ["指标", "数值"],
                [
                    ["实有人口", k["residents"]],
                    ["户籍人口", k["registered"]],
                    ["流动人口", k["floating"]],
                    ["境外人员", k["overseas"]],
                    ["在册户数", k["households"]],
                    ["房屋", k["houses"]],
                    ["出租房屋（含群租）", k["rented_houses"]],
                    ["在营商铺", k["open_shops"]],
                    ["歇业商铺", k["closed_shops"]],
                    ["网格", k["grids"]],
                    [f"超负荷网格（>{GRID_LOAD_HOUSEHOLDS}户）", k["overloaded_grids"]],
                    ["近12个月出生", k["births_12m"]],
                    *[[name, k[code]] for code, name in KEY_GROUPS.items() if code in k],
                    [
                        "关键字段完整率（%）",
                        None if k["completeness"] is None else pct(k["completeness"]),
                    ],
                    ["身份证号校验不一致（项）", k["id_problems"]],
                    [f"近{RECENT_DAYS}天更新记录", k["updated_recently"]],
                    *([["说明", figs.withheld]] if figs.withheld else []),
                ],
            )
        ],
        "人口": [
            (
                "人口金字塔",
                ["年龄段", "男", "女"],
                rows(figs.pyramid, ["age", "male", "female"]),
            ),
            ("近12个月出生（按孩次）", ["孩次", "人数"], rows(figs.births, ["order", "births"])),
            ("重点人群", ["人群", "人数"], rows(figs.key_groups, ["group", "residents"])),
            (
                f"各{child}人口",
                [child, "户籍人口", "流动人口", "境外人员", "实有人口", "户数"],
                rows(
                    figs.units,
                    ["name", "registered", "floating", "overseas", "residents", "households"],
                ),
            ),
        ],
        "房屋": [
            ("房屋使用情况", ["使用情况", "房屋数"], rows(figs.occupancy, ["occupancy", "houses"])),
            (
                "房屋用途与使用情况",
                ["用途", "使用情况", "房屋数"],
                rows(figs.house_use, ["use", "occupancy", "houses"]),
            ),
            (
                f"各{unit}出租率",
                [unit, "房屋数", "出租（含群租）", "出租率（%）"],
                [
                    [r[0], r[1], r[2], pct(r[3])]
                    for r in rows(figs.rental, ["name", "houses", "rented", "share"])
                ],
            ),
        ],
        "商铺": [
            (
                "商铺类别",
                ["类别", "在营", "歇业"],
                rows(figs.shop_categories, ["category", "open", "closed"]),
            ),
            (
                "在营商铺检查状态",
                ["检查状态", "商铺数"],
                rows(figs.inspections, ["inspection", "shops"]),
            ),
        ],
        "网格": [
            (
                f"网格负荷（超过 {GRID_LOAD_HOUSEHOLDS} 户为超负荷）",
                ["网格", "所属社区", "实有人口", "户数", "是否超负荷"],
                [
                    [r[0], r[1], r[2], r[3], "是" if r[4] else "否"]
                    for r in rows(
                        figs.grids, ["name", "community", "residents", "households", "overloaded"]
                    )
                ],
            )
        ],
        "数据质量": [
            (
                "关键字段完整率",
                ["字段", "已填", "在册人口", "完整率（%）"],
                [
                    [r[0], r[1], r[2], pct(r[3])]
                    for r in rows(figs.completeness, ["field", "filled", "residents", "share"])
                ],
            ),
            (
                f"各{unit}完整率与校验",
                [unit, "在册人口", "完整率（%）", "身份证号与出生日期不符", "身份证号与性别不符"],
                [
                    [r[0], r[1], pct(r[2]), r[3], r[4]]
                    for r in rows(
                        figs.quality_units,
                        ["name", "residents", "completeness", "id_birth", "id_sex"],
                    )
                ],
            ),
            (
                f"近{RECENT_DAYS}天更新记录",
                ["对象", "记录数"],
                rows(figs.updated, ["entity", "records"]),
            ),
        ],
        "一表通使用": [
            (
                "一表通使用",
                ["指标", "数值"],
                [
                    ["本月生成报表", _or_missing(usage["reports_month"])],
                    ["本月节省工时（小时）", _or_missing(usage["hours_saved"])],
                    ["在用报表模板", _or_missing(k["templates"])],
                    [f"社工近{RECENT_DAYS}天更新记录", usage["sw_records"]],
                    [f"近{RECENT_DAYS}天活跃社工", usage["sw_workers"]],
                    *_admission_rows(usage.get("admission")),
                ],
            ),
            (
                "各部门在用报表模板",
                ["部门", "模板数"],
                [[MISSING, MISSING]] if templates is None else templates.values.tolist(),
            ),
        ],
    }


ADMISSION_FIGURES = (
    ("received", "报表准入：收到新报表申请"),
    ("approved", "报表准入：批准新建"),
    ("merged", "报表准入：并入现有报表"),
    ("rejected", "报表准入：不予通过"),
    ("templates_retired", "到期或停用的报表模板"),
    ("forms_consolidated", "表单归并：已归并表单（张）"),
    ("fields_saved", "表单归并：省去的重复字段"),
)


def _admission_rows(figures: dict[str, Any] | None) -> list[list[Any]]:
    return [
        [label, MISSING if figures is None else figures[key]] for key, label in ADMISSION_FIGURES
    ]


def summary_xlsx(figs: Figures) -> bytes:
    """The view's figures as a formatted workbook: one sheet per figure group."""
    return write_tables(_tables(figs))


@checked
def export_xlsx(scope: Scope, org_code: str | None = None) -> bytes:
    """The summary workbook of a view the caller may see, as the caller sees it; logged."""
    figs = figures(scope, org_code)
    data = summary_xlsx(figs)
    auth.record(scope.username, "dashboard_export", f"数据大屏汇总 {figs.org_code}")
    return data


def export_name(figs: Figures) -> str:
    return f"数据大屏_{figs.org_name}_{figs.as_of.strftime('%Y%m%d')}.xlsx"
