"""任务 in AppTest: a job outlives the session that started it; admins see all, others their own."""

from __future__ import annotations

from test_pages import logged_in_app

from yibiaotong import auth, jobs


def test_a_job_survives_its_starters_session_and_is_found_in_a_new_one(writable_db):
    starter = logged_in_app("leader_zlk")
    starter.switch_page("app_pages/reports.py").run()
    starter.selectbox(key="rb_dept").select("minzheng").run()
    starter.button(key="rb_make").click().run()
    assert not starter.exception, starter.exception
    job_id = starter.session_state["rb_job"]
    del starter  # the tab is closed: its session and script thread are gone

    leader = auth.scope_for("leader_zlk")
    assert jobs.wait(leader, job_id, timeout=120)["state"] == "done"
    fresh = logged_in_app("leader_zlk")
    fresh.switch_page("app_pages/jobs.py").run()
    assert not fresh.exception, fresh.exception
    assert fresh.selectbox(key="jobs_pick").value == job_id
    assert any("已生成 3 张" in s.value for s in fresh.success)
    assert fresh.get("download_button")
    # Another user does not see it; the district admin does, and can start a backup there.
    other = logged_in_app("sw_tianxian")
    other.switch_page("app_pages/jobs.py").run()
    assert not other.get("selectbox") and any("还没有任务" in i.value for i in other.info)
    admin = logged_in_app("admin")
    admin.switch_page("app_pages/jobs.py").run()
    assert admin.selectbox(key="jobs_pick").value == job_id
    admin.button(key="jobs_backup").click().run()
    assert not admin.exception, admin.exception
    backup_id = admin.session_state["jobs_pick"]
    assert backup_id != job_id
    row = jobs.wait(auth.scope_for("admin"), backup_id, timeout=120)
    assert row["state"] == "done", row["message"]


def test_the_expired_file_note_is_shown_only_for_a_job_whose_file_was_deleted(writable_db):
    from datetime import datetime, timedelta

    from yibiaotong import config, reports
    from yibiaotong.ui.markdown import literal

    leader = auth.scope_for("leader_zlk")
    codes = [t["code"] for t in reports.batch_codes(leader, "minzheng")][:1]
    with_file = jobs.run_inline(
        leader, "report_batch", codes=codes, org_code="330102009", label="民政"
    )
    name = jobs.result_file(leader, with_file["id"]).name
    jobs.purge_results(now=datetime.now() + timedelta(days=config.job_result_days() + 1))
    no_file = jobs.run_inline(auth.scope_for("admin"), "refresh_tags")
    assert with_file["state"] == no_file["state"] == "done"

    app = logged_in_app("admin")
    app.switch_page("app_pages/jobs.py").run()

    def notes(job_id: str) -> list[str]:
        app.selectbox(key="jobs_pick").select(job_id).run()
        assert not app.exception, app.exception
        assert not app.get("download_button")
        return [c.value for c in app.caption if "保存期限" in c.value]

    assert notes(no_file["id"]) == []
    # The name is shown as text (Markdown marks escaped), not the job's own message.
    assert notes(with_file["id"]) == [f"结果文件 {literal(name)} 已超过保存期限，已删除。"]
