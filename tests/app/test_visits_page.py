"""我的走访 and 走访采集 in AppTest: a campaign started from the page, a household opened, bad input
refused with the input kept, a second phone's save shown as stale and never overwritten."""

from __future__ import annotations

from test_pages import logged_in_app

from yibiaotong import auth, catalog, db, visits
from yibiaotong.visits import RecordEdit


def _open(username: str, page: str):
    return logged_in_app(username).switch_page(f"app_pages/{page}.py").run()


def _tasks(campaign_id: str) -> int:
    with db.cursor() as cur:
        return cur.execute(
            "select count(*) from visit_task where campaign_id = ?", [campaign_id]
        ).fetchone()[0]


def test_a_street_leader_starts_a_campaign_from_the_page(writable_db):
    at = _open("leader_zlk", "campaigns")
    assert not at.exception
    at.text_input[0].input("冬季走访")
    at.multiselect[0].set_value(["resident_phone", "resident_education"])
    at.multiselect[1].set_value(["resident_wechat"])
    next(b for b in at.button if b.label == "发起走访").click().run()
    assert not at.exception
    campaign = visits.list_campaigns(auth.scope_for("leader_zlk"))[0]
    assert campaign["name"] == "冬季走访" and campaign["org_code"] == "330102009"
    assert _tasks(campaign["id"]) == campaign["task_count"] > 0
    at = _open("leader_zlk", "campaigns")
    assert any(m.label == "已完成 / 任务" for m in at.metric)


def _worker_card():
    leader = auth.scope_for("leader_zlk")
    cid = visits.create_campaign(
        leader,
        "走访",
        "330102009",
        "household",
        ["resident_phone"],
        ["resident_wechat"],
        "2026-11-01",
        "2026-11-30",
    )
    at = _open("sw_tianxian", "visits")
    assert not at.exception
    household = next(b for b in at.button if b.key and b.key.startswith("visit_open_"))
    household.click().run()
    assert not at.exception
    return cid, int(household.key.removeprefix("visit_open_")), at


def _phone_box(at):
    return next(t for t in at.text_input if t.label == "联系电话")


def _save(at):
    next(b for b in at.button if b.label == "保存本户").click().run()


def test_bad_input_is_refused_and_the_input_survives_the_rerun(writable_db):
    cid, household, at = _worker_card()
    box = _phone_box(at)
    box.input("12345")
    _save(at)
    assert not at.exception
    assert any("联系电话" in e.value and "未保存" in e.value for e in at.error)
    assert _phone_box(at).value == "12345"  # the worker's input is still there
    at.run()  # a rerun (a slow connection reconnecting) keeps it too
    assert _phone_box(at).value == "12345"
    assert visits.open_visit(auth.scope_for("sw_tianxian"), cid, household)["version"] == 1


def test_a_save_from_another_phone_is_shown_as_stale_never_overwritten(writable_db):
    cid, household, at = _worker_card()
    worker = auth.scope_for("sw_tianxian")
    other = visits.open_visit(worker, cid, household)
    member = other["records"][0]
    visits.save_visit(
        worker,
        cid,
        household,
        other["version"],
        "visited",
        edits=[
            RecordEdit(
                "resident", member["id"], member["version"], (), {"resident_wechat": "first"}
            )
        ],
    )
    next(t for t in at.text_input if t.label == "微信号").input("second")
    _save(at)
    assert not at.exception
    assert any("已由 毛社工" in e.value and "尚未保存" in e.value for e in at.error)
    assert next(t for t in at.text_input if t.label == "微信号").value == "second"
    with db.cursor() as cur:
        wechat = cur.execute(
            "select attrs->>'resident_wechat' from resident where id = ?", [member["id"]]
        ).fetchone()[0]
    assert wechat == "first"


def test_the_campaign_scope_picker_labels_every_unit_from_one_read(use_fixture_db, monkeypatch):
    """An admin's 走访范围 lists every street, community and grid with its path, and a rerun
    does not ask DuckDB once per option (1,321 lookups took 1–1.7 s of every rerun)."""
    with db.cursor() as cur:  # the oracle: each campaign-level unit's path from org_unit
        paths = dict(
            cur.execute(
                "select code, full_name from org_unit where level in ('street', 'community', 'grid')"
            ).fetchall()
        )
    lookups = []
    one_unit = catalog.org_unit
    monkeypatch.setattr(catalog, "org_unit", lambda code: lookups.append(code) or one_unit(code))
    at = _open("admin", "campaigns")
    assert not at.exception
    picker = next(s for s in at.selectbox if s.label == "走访范围")
    assert len(picker.options) == len(paths) > 100
    assert {label.replace(" › ", "/") for label in picker.options} == set(paths.values())
    assert len(lookups) < 10, f"{len(lookups)} single-unit lookups in one rerun"
