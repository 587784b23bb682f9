"""Unmasked lists and records are logged by the domain: once per page view, never for masked ones."""

from __future__ import annotations

import pytest

from yibiaotong import audit, auth, db, ledger, reports, tag_query

SPEC = {"entity": "resident", "tags": {"all": ["elderly"]}}


@pytest.fixture
def logged(writable_db):
    with db.cursor() as cur:
        before = cur.execute("select count(*) from access_log").fetchone()[0]

    def rows(action: str = "list_view") -> list[str]:
        with db.cursor() as cur:
            found = cur.execute(
                "select action, detail from access_log order by rowid offset $n", {"n": before}
            ).fetchall()
        return [detail for kind, detail in found if kind == action]

    return rows


# Each path a cleared user sees unmasked people through, and its masked twin.
LISTS = {
    "台账列表": lambda s: ledger.search(s, "resident"),
    "标签查询": lambda s: tag_query.page(s, SPEC, 20),
    "报表预览": lambda s: reports.preview(reports.prepare(s, "mz_elderly_allowance", masked=False)),
}


@pytest.mark.parametrize("path", list(LISTS))
def test_an_unmasked_list_is_logged_once_per_page_view(logged, path):
    worker = auth.scope_for("sw_tianxian")
    with audit.page_view("view-1"):
        for _ in range(3):  # three reruns of one page view
            LISTS[path](worker)
    assert len(logged()) == 1
    with audit.page_view("view-2"):
        LISTS[path](worker)
    assert len(logged()) == 2
    LISTS[path](worker)  # outside a page view (command line): every call
    LISTS[path](worker)
    assert len(logged()) == 4
    assert all("未脱敏" in d for d in logged())


def test_masked_lists_are_not_logged_as_unmasked_views(logged):
    leader = auth.scope_for("leader_zlk")
    tag_query.page(leader, SPEC, 20)
    reports.preview(reports.prepare(leader, "mz_elderly_allowance"))
    cleared_but_masked = auth.scope_for("admin")
    reports.preview(reports.prepare(cleared_but_masked, "mz_elderly_allowance", masked=True))
    assert logged() == []


def test_a_record_view_is_logged_once_per_page_view(logged):
    worker = auth.scope_for("sw_tianxian")
    rid = int(ledger.search(worker, "resident")[0]["id"].iloc[0])
    with audit.page_view("view-1"):
        for _ in range(4):
            ledger.open_record(worker, "resident", rid)
    assert logged("record_view") == [f"resident:{rid}"]
