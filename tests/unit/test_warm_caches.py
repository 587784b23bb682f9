"""The console warms what a district admin's first visit would wait for — the district's dashboard
figures, tag counts and the 标签查询 total — at start and again after a write batch; the warmed
values are the ones any caller gets, each caller's view filtered as before."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pytest

from yibiaotong import auth, console, dashboard, db, tag_query, tags
from yibiaotong.scope import Scope

LEDGER_TABLES = re.compile(r"\b(resident|household|house|shop|entity_tag)\b")


def queries_run(monkeypatch) -> list[str]:
    """Every statement sent to DuckDB through a cursor from here on (named or built)."""
    sent: list[str] = []
    real = db.cursor

    class Counting:
        def __init__(self, cur):
            self._cur = cur

        def execute(self, sql, *args):
            sent.append(sql)
            return self._cur.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._cur, name)

    @contextmanager
    def counting(path=None):
        with real(path) as cur:
            yield Counting(cur)

    monkeypatch.setattr(db, "cursor", counting)
    return sent


def ledger_reads(statements: list[str]) -> list[str]:
    """The statements that read the ledger or its tags (what takes a district ~1 s)."""
    return [s for s in statements if LEDGER_TABLES.search(s)]


def wait_warmed(owner: console.Owner, version: int) -> None:
    deadline = time.monotonic() + 120
    while owner.warmed_version != version:
        assert time.monotonic() < deadline, "the console never warmed its caches"
        time.sleep(0.1)


@pytest.fixture
def owner(writable_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_BACKUP_HOURS", "0")
    monkeypatch.setattr(console, "WARM_SECONDS", 0.2)
    monkeypatch.setattr(console, "REWARM_SECONDS", 0.5)
    dashboard.clear_cache()
    started = console.Owner()
    started.start()
    assert started.ready.wait(120)
    yield started
    started.stop()
    dashboard.clear_cache()


def test_a_district_admins_first_visit_finds_the_figures_computed(owner, monkeypatch):
    admin = auth.scope_for("admin")
    wait_warmed(owner, db.data_version())
    sent = queries_run(monkeypatch)
    figures = dashboard.figures(admin)
    trees = {entity: tags.tree(admin, entity) for entity in tags.ENTITIES}
    total = tag_query.summary(admin, {"entity": "resident"})
    assert not ledger_reads(sent)  # all of it was ready (an org unit lookup is all it asks)
    monkeypatch.undo()

    # The oracle: the same figures computed afresh, and the total counted straight from the table.
    dashboard.clear_cache()
    assert figures.kpi == dashboard.figures(admin).kpi
    with db.cursor() as cur:
        active = cur.execute("select count(*) from resident where status = 'active'").fetchone()[0]
        by_tag = dict(
            cur.execute(
                "select t.id, count(distinct et.entity_id) from entity_tag et "
                "join tag t on t.id = et.tag_id join resident r on r.id = et.entity_id "
                "where et.entity = 'resident' and r.status = 'active' group by t.id"
            ).fetchall()
        )
    assert total["count"] == active
    assert {t["id"]: t["count"] for t in trees["resident"] if t["count"]} == by_tag


def test_after_a_write_batch_the_new_version_is_warmed_too(owner, monkeypatch):
    admin = auth.scope_for("admin")
    wait_warmed(owner, db.data_version())
    with db.transaction() as cur:
        db.bump_data_version(cur)
    wait_warmed(owner, db.data_version())
    sent = queries_run(monkeypatch)
    dashboard.figures(admin)
    tags.tree(admin, "resident")
    assert not ledger_reads(sent)


def test_write_batches_in_quick_succession_are_warmed_once_per_interval(owner, monkeypatch):
    """A campaign saves every few seconds: the district is not recomputed after each save."""
    monkeypatch.setattr(console, "REWARM_SECONDS", 3600)
    wait_warmed(owner, db.data_version())
    warmed = owner.warmed_version
    for _ in range(3):
        with db.transaction() as cur:
            db.bump_data_version(cur)
    time.sleep(1.0)  # five looks of the warm thread
    assert owner.warmed_version == warmed


def test_an_uncleared_caller_still_gets_only_the_tags_they_may_see(owner):
    """The warmed counts are shared by callers of the same unit: each view is filtered."""
    wait_warmed(owner, db.data_version())
    admin = auth.scope_for("admin")
    uncleared = Scope("no_clearance", "district_admin", admin.org_code, clearance=False)
    shown = {t["code"]: t["count"] for t in tags.tree(uncleared, "resident")}
    everything = {t["code"]: t["count"] for t in tags.tree(admin, "resident")}
    sensitive = {t["code"] for t in tags.tag_index() if t["sensitivity"] == "sensitive"}
    assert sensitive & set(everything) and not sensitive & set(shown)
    assert shown == {code: n for code, n in everything.items() if code in shown}
