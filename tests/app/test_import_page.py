"""数据回流 in AppTest: a landed file is mapped, previewed and committed from the page; a conflict
is decided from the review queue; a district-level department account is told who may import."""

from __future__ import annotations

from stdnum.cn import ric
from test_pages import logged_in_app

from yibiaotong import auth, db, jobs, ledger
from yibiaotong.importing import commit, stage
from yibiaotong.ui import import_view


def person_id(n: int) -> str:
    body = f"330102197901{n % 28 + 1:02d}{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def land(username: str, rows: list[list[str]], source: str = "gongan_floating") -> str:
    data = ("姓名,身份证号,现住址\r\n" + "\r\n".join(",".join(r) for r in rows) + "\r\n").encode(
        "gbk"
    )
    batch_id, _ = stage.upload(auth.scope_for(username), data, "流动人口.csv", source)
    return batch_id


def open_import(username: str, batch_id: str | None = None):
    at = logged_in_app(username)
    if batch_id:
        at.session_state[import_view.BATCH_KEY] = batch_id
    at.switch_page("app_pages/data_import.py").run()
    assert not at.exception, at.exception
    return at


def test_map_preview_and_commit_from_the_page(writable_db):
    with db.cursor() as cur:
        address = cur.execute(
            "select address from house where starts_with(grid_code, '330102009') "
            "group by address having count(*) = 1 order by 1 limit 1"
        ).fetchone()[0]
    # Five good rows, then a bad one: the mapper recognises the ID column by its samples.
    rows = [[f"页面新人{n}", person_id(n), address] for n in range(1, 6)]
    batch_id = land("clerk_zlk", [*rows, ["坏人", "123", address]])
    at = open_import("clerk_zlk", batch_id)
    mapping = [at.selectbox(key=f"imp_map_{batch_id}_{i}").value for i in range(3)]
    assert mapping == ["姓名", "身份证号（匹配键）", "现住址"]
    clerk = auth.scope_for("clerk_zlk")
    at.button(key=f"imp_preview_{batch_id}").click().run()
    assert not at.exception, at.exception
    row = jobs.wait(clerk, at.session_state[import_view.JOB_KEY], timeout=120)
    assert row["state"] == "done", row["message"]
    at.run()
    labels = {m.label: m.value for m in at.metric}
    assert labels["新增"] == "5" and labels["拒绝"] == "1"
    at.button(key=f"imp_commit_{batch_id}").click().run()
    at.button(key="imp_commit_go").click().run()
    assert not at.exception, at.exception
    row = jobs.wait(clerk, at.session_state[import_view.JOB_KEY], timeout=120)
    assert row["state"] == "done", row["message"]
    at.run()
    assert any("已写入：新增 5" in s.value for s in at.success)
    with db.cursor() as cur:
        name = cur.execute(
            "select name from resident where id_number = ?", [person_id(1)]
        ).fetchone()
    assert name == ("页面新人1",)


def test_a_conflict_is_decided_from_the_review_queue(writable_db):
    admin = auth.scope_for("admin")
    with db.cursor() as cur:
        rid, name, number, phone = cur.execute(
            "select id, name, id_number, phone from resident where phone is not null "
            "and id_type = '01' order by id limit 1"
        ).fetchone()
    data = f"姓名,身份证号,联系电话\r\n{name},{number},13566667777\r\n".encode("gbk")
    batch_id, result = stage.upload(admin, data, "走访.csv", "community_survey")
    stage.preview(admin, batch_id, {c.index: c.target for c in result.columns})
    commit.commit(admin, batch_id)
    at = open_import("admin")
    at.session_state["imp_tab"] = "冲突审核"
    at.run()
    buttons = [b for b in at.button if b.key and b.key.startswith("imp_take_")]
    assert buttons, "the open conflict is listed"
    buttons[0].click().run()
    assert not at.exception, at.exception
    assert ledger.get(admin, "resident", rid)["phone"] == "13566667777"


def test_district_level_department_accounts_are_told_who_may_import(use_fixture_db):
    at = open_import("weijian")
    assert any("街道数据专员" in w.value for w in at.warning)
