"""系统状态 in AppTest: figures that match the file, a backup from the button, offers settled."""

from __future__ import annotations

import json
import shutil

import yaml
from test_pages import logged_in_app

from yibiaotong import auth, bootstrap, config, db, jobs, tags


def test_health_shows_size_backups_and_takes_one_now(writable_db):
    at = logged_in_app("admin")
    at.switch_page("app_pages/health.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    wal = writable_db.with_name(writable_db.name + ".wal")
    size = writable_db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    assert metrics["数据库大小"] == f"{size / 1e6:.1f} MB"
    assert any("还没有校验通过的备份" in w.value for w in at.warning)
    at.button(key="health_backup").click().run()
    job_id = at.session_state["health_backup_job"]
    row = jobs.wait(auth.scope_for("admin"), job_id, timeout=120)
    assert row["state"] == "done", row["message"]
    at.run()
    assert any(
        "最近一次校验通过的备份" in s.value and "逐表校验一致" in s.value for s in at.success
    )
    frame = at.dataframe[0].value
    assert list(frame["校验"]) == ["通过"] and list(frame["方式"]) == ["手动"]
    assert (config.backup_dir() / row["result"]["path"].split("/")[-1]).is_file()


def test_an_offered_rule_is_adopted_from_the_page(writable_db, tmp_path):
    rule70 = {"match": "all", "conditions": [{"field": "age", "op": ">=", "value": 70}]}
    admin = auth.scope_for("admin")
    tags.update_rule(admin, "elderly_80", rule70)
    folder = tmp_path / "catalog"
    shutil.copytree(config.CATALOG_DIR, folder)
    data = yaml.safe_load((folder / "tags.yaml").read_text(encoding="utf-8"))
    for tag in data["tags"]:
        if tag["code"] == "elderly_80":
            tag["rule"] = {
                "match": "all",
                "conditions": [{"field": "age", "op": ">=", "value": 75}],
            }
    (folder / "tags.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bootstrap.upgrade(folder)

    at = logged_in_app("admin")
    at.switch_page("app_pages/health.py").run()
    assert any("有 1 项" in i.value for i in at.info)
    assert any("75" in t.value for t in at.text)
    at.button(key="offer_tag_elderly_80_None_adopt").click().run()
    assert not at.exception, at.exception
    assert any("没有待确认的新版本" in c.value for c in at.caption)
    with db.cursor() as cur:
        (rule,) = cur.execute("select rule from tag where code = 'elderly_80'").fetchone()
    assert json.loads(rule)["conditions"][0]["value"] == 75
