"""数据大屏 for viewers without clearance: the tag-query rule for sensitive groups, small cells.

The full view a cleared admin gets is the oracle: a street leader's view of the same unit must
show each count as it is, or "<5" exactly where it is 1–4, or "—"; and no sum the page shows
may give a "<5" back. Every other way to an aggregate of a sensitive tag is refused alike.
"""

from __future__ import annotations

import io
import itertools
from datetime import date

import pytest
from openpyxl import load_workbook

from yibiaotong import auth, dashboard, reports, tag_query, tags
from yibiaotong.scope import AccessDenied
from yibiaotong.small_cells import SMALL, WITHHELD

STREET = "330102009"  # 闸弄口街道, leader_zlk's unit
TODAY = date.today()
SENSITIVE_GROUPS = {"disabled", "dibao"}


@pytest.fixture(autouse=True)
def fresh_cache():
    dashboard.clear_cache(id_checks=False)
    yield
    dashboard.clear_cache(id_checks=False)


def leader():
    return auth.scope_for("leader_zlk")


def admin():
    return auth.scope_for("admin")


def tag(code: str) -> dict:
    return next(t for t in tags.tag_index() if t["code"] == code)


def views() -> list[str]:
    """The street and every community of it (where small counts abound)."""
    return [STREET] + [u["code"] for u in dashboard.drill_options(leader(), STREET)]


# ---------------------------------------------------------------- sensitive groups


@pytest.mark.parametrize("code", list(dashboard.KEY_GROUPS))
def test_a_group_is_on_the_board_exactly_when_tag_query_lets_the_viewer_use_it(
    use_fixture_db, code
):
    for scope in (leader(), admin()):
        figs = dashboard.figures(scope, STREET, as_of=TODAY)
        visible = tags.visible(scope, tag(code))
        assert visible == (code in set(figs.key_groups["code"])) == (code in figs.kpi)
        spec = {"entity": "resident", "tags": {"all": [code]}, "org_code": STREET}
        if visible:
            count = tag_query.count(scope, spec)
            shown = figs.kpi[code]
            assert shown == count or (shown == SMALL and 0 < count < 5)
        else:
            with pytest.raises(AccessDenied):
                tag_query.count(scope, spec)
            with pytest.raises(AccessDenied):
                tag_query.breakdown(scope, spec)
            assert code not in {t["code"] for t in tags.tree(scope, "resident")}
            assert tag(code)["id"] not in tags.tag_counts(scope, "resident")
    assert {
        c for c in dashboard.KEY_GROUPS if not tags.visible(leader(), tag(c))
    } == SENSITIVE_GROUPS


def test_no_report_gives_an_uncleared_viewer_an_aggregate_of_a_sensitive_tag(use_fixture_db):
    sensitive = {t["code"] for t in tags.tag_index() if t["sensitivity"] == "sensitive"}
    using = [
        t
        for t in reports.templates(admin(), include_inactive=True)
        if sensitive & set(_tags_in(t["definition"]))
    ]
    assert using, "the catalogue has templates on sensitive tags (残疾人、低保 …)"
    for template in using:
        with pytest.raises(AccessDenied):
            reports.prepare(leader(), template["code"])


def _tags_in(definition: dict) -> list[str]:
    specs = [definition.get("filter") or {}, *(definition.get("measures") or [])]
    return [
        code
        for s in specs
        for mode in ("all", "any", "none")
        for code in (s.get("tags") or {}).get(mode, [])
    ]


# ---------------------------------------------------------------- small cells


def shown_counts(figs) -> dict[tuple, object]:
    """Every count of people the board and its export show, by where it is shown."""
    out = {("kpi", m): figs.kpi[m] for m in (*dashboard.PEOPLE, "births_12m")}
    out.update({("kpi", c): figs.kpi[c] for c in figs.key_groups["code"]})
    for row in figs.pyramid.itertuples():
        out[("male", row.band)], out[("female", row.band)] = row.male, row.female
    for row in figs.births.itertuples():
        out[("births", row.order)] = row.births
    for name, columns in dashboard.PEOPLE_COLUMNS.items():
        for row in getattr(figs, name).to_dict("records"):
            for m in columns:
                out[(name, m, row["code"])] = row[m]
    return out


def test_small_counts_show_as_marks_exactly_where_they_are_small(use_fixture_db):
    marked = 0
    for code in views():
        truth = shown_counts(dashboard.figures(admin(), code, as_of=TODAY))
        mine = shown_counts(dashboard.figures(leader(), code, as_of=TODAY))
        for where, value in truth.items():
            if where[0] == "kpi" and where[1] in SENSITIVE_GROUPS:
                assert where not in mine
                continue
            got = mine[where]
            if 0 < value < 5:
                assert got == SMALL, (code, where, value, got)
                marked += 1
            elif got == WITHHELD:
                pass  # withheld so that a "<5" beside it cannot be worked out
            else:
                assert got == value, (code, where, value, got)
    assert marked > 20, "the fixture's communities have small counts to hide"


def test_no_shown_sum_gives_a_small_count_back(use_fixture_db):
    """The sums a reader can check on the board, each alone: with every other figure of the
    sum shown, one hidden cell could be computed. (The joint attack is in test_small_cells.)"""
    for code in views():
        figs = dashboard.figures(leader(), code, as_of=TODAY)
        kinds = [figs.kpi[k] for k in ("registered", "floating", "overseas")]
        births = list(figs.births["births"]) + [figs.kpi["births_12m"]]
        sums = [[figs.kpi["residents"], *kinds], births]
        for row in figs.units.to_dict("records"):
            sums.append([row["residents"], row["registered"], row["floating"], row["overseas"]])
        for m in ("residents", "households"):
            sums.append([figs.kpi[m], *figs.units[m]])
            sums.append([figs.kpi[m], *figs.grids[m]])
        for values in sums:
            hidden = [v for v in values if isinstance(v, str)]
            assert len(hidden) != 1 or hidden[0] != SMALL, (code, values)
            if hidden and all(h == SMALL for h in hidden):
                # only "<5" cells hidden: their sum is known, and must not force one reading
                total, *parts = values
                known = (total if not isinstance(total, str) else 0) - sum(
                    p for p in parts if not isinstance(p, str)
                )
                readings = [
                    c
                    for c in itertools.product(range(1, 5), repeat=len(hidden))
                    if _fits(values, c, known)
                ]
                assert len({r[0] for r in readings}) > 1 or not readings, (code, values)


def _fits(values: list, guess: tuple, known: int) -> bool:
    total, *parts = values
    guesses = iter(guess)
    total_value = next(guesses) if isinstance(total, str) else total
    part_values = [next(guesses) if isinstance(p, str) else p for p in parts]
    return total_value == sum(part_values)


def test_the_export_of_an_uncleared_view_shows_the_marks_and_says_why(writable_db):
    community = views()[1]
    mine = load_workbook(io.BytesIO(dashboard.export_xlsx(leader(), community)))
    full = load_workbook(io.BytesIO(dashboard.export_xlsx(admin(), community)))
    overview = [r for r in mine["概览"].iter_rows(values_only=True)]
    labels = {r[0] for r in overview}
    assert not labels & {"残疾人", "低保对象"}
    assert any(r[0] == "说明" and "<5" in r[1] for r in overview)
    marks = 0
    for name in ("人口", "网格", "数据质量"):
        theirs = tables(full[name])
        for title, rows in tables(mine[name]).items():
            if title == "重点人群":
                continue
            for mine_row, full_row in zip(rows, theirs[title], strict=True):
                for a, b in zip(mine_row, full_row, strict=True):
                    if a == SMALL:
                        assert isinstance(b, int) and 0 < b < 5, (name, title, b)
                        marks += 1
                    elif a != WITHHELD:
                        assert a == b, (name, title, a, b)
    assert marks > 0


def tables(ws) -> dict[str, list[tuple]]:
    """The titled tables of a summary sheet: title → body rows (header left out)."""
    out: dict[str, list[tuple]] = {}
    title = None
    for row in ws.iter_rows(values_only=True):
        if not any(v is not None for v in row):
            title = None
        elif title is None:
            title = row[0]
            out[title] = []
        else:
            out[title].append(row)
    return {t: rows[1:] for t, rows in out.items()}
