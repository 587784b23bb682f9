"""Unmasked lists and records are logged by the domain: once per page view, never for masked ones."""

from __future__ import annotations

import pytest

from yibiaotong import audit, auth, db, ledger, reports, tag_query
from yibiaotong.importing import commit, review, stage, undo
from yibiaotong.scope import Scope

SPEC = {"entity": "resident", "tags": {"all": ["elderly"]}}


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


def _clerk_import(rows: list[list[str]]) -> str:
    """A GBK roster from 公安流动人口, read and previewed by the street's (cleared) data clerk."""
    clerk = auth.scope_for("clerk_zlk")
    lines = ["姓名,身份证号,联系电话", *(",".join(r) for r in rows)]
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    batch_id, result = stage.upload(clerk, data, "名册.csv", "gongan_floating")
    stage.preview(clerk, batch_id, {c.index: c.target for c in result.columns})
    return batch_id


def _without_phone(n: int = 1) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(
            "select id, name, id_number from resident where status = 'active' and phone is null "
            "and id_number is not null and starts_with(grid_code, $o) order by id limit $n",
            {"o": auth.scope_for("clerk_zlk").org_code, "n": n},
        ).fetchall()


def test_import_samples_and_conflicts_unmasked_are_logged_once_per_page_view(logged):
    clerk = auth.scope_for("clerk_zlk")
    assert clerk.clearance
    (rid, name, number), *_ = _without_phone()
    batch_id = _clerk_import([[name, number, "13912340001"]])  # the preview shows samples too
    before = len(logged())
    with audit.page_view("view-1"):
        for _ in range(3):
            stage.samples(clerk, batch_id)
    assert len(logged()) == before + 1 and batch_id[:8] in logged()[-1]
    uncleared = Scope(clerk.username, clerk.role, clerk.org_code, False, clerk.department)
    shown = stage.samples(uncleared, batch_id)
    assert number not in str(shown) and len(logged()) == before + 1  # masked: nothing to log

    # A phone the batch set, changed by hand, then the batch undone: a review item on a phone.
    commit.commit(clerk, batch_id)
    admin = auth.scope_for("admin")
    version = ledger.get(admin, "resident", rid)["version"]
    ledger.save(admin, "resident", rid, {"resident_phone": "13912340002"}, version)
    undo.undo(clerk, batch_id)
    before = len(logged())
    with audit.page_view("view-2"):
        for _ in range(3):
            items, _ = review.conflicts(clerk)
    (item,) = (i for i in items if i["entity_id"] == rid)
    assert item["field_name"] == "联系电话" and item["current_value"].startswith("1391234000")
    assert len(logged()) == before + 1 and "回流冲突" in logged()[-1]
    masked, _ = review.conflicts(uncleared)
    assert "1391234000" not in str(masked) and len(logged()) == before + 1
