"""Starts change nothing users made: a restart keeps edited rules, templates and users; a newer
catalogue version is offered, not forced; any rule change refreshes its tags."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date

import pytest
import yaml

from yibiaotong import auth, bootstrap, config, db, offers, reports, tags
from yibiaotong.config import ROOT
from yibiaotong.scope import AccessDenied, Scope

ADMIN = Scope("admin", "district_admin", "330102", clearance=True)


def rule(age: int) -> dict:
    return {"match": "all", "conditions": [{"field": "age", "op": ">=", "value": age}]}


def rows(sql: str, params: dict | None = None) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchall()


def aged_at_least(years: int) -> set[int]:
    """Active residents of at least `years` full years today, computed here from birth dates."""
    today = date.today()
    return {
        i
        for i, born in rows("select id, birth_date from resident where status = 'active'")
        if born
        and today.year - born.year - ((today.month, today.day) < (born.month, born.day)) >= years
    }


def tagged(code: str) -> set[int]:
    return {
        i
        for (i,) in rows(
            "select entity_id from entity_tag join tag on tag.id = tag_id where tag.code = $c",
            {"c": code},
        )
    }


def current_rule(code: str) -> dict:
    import json

    (text,) = rows("select rule from tag where code = $c", {"c": code})[0]
    return json.loads(text)


def restart(db_file) -> subprocess.CompletedProcess:
    """`make run` on an existing database: `yibiaotong init` in a new process."""
    db.close_all()
    result = subprocess.run(
        [sys.executable, "-m", "yibiaotong", "init"],
        cwd=ROOT,
        env={**os.environ, "YIBIAOTONG_DB": str(db_file)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_a_restart_leaves_edited_rules_templates_and_users_as_they_were(writable_db):
    tags.update_rule(ADMIN, "elderly_80", rule(70))
    assert tagged("elderly_80") == aged_at_least(70)
    defn = reports.template(ADMIN, "mz_tekun")["definition"]
    saved = reports.save_version(ADMIN, {**defn, "name": "特困人员名册（街道版）"})
    auth.lock_user(ADMIN, "sw_hongmei", minutes=60)
    auth.reset_password(ADMIN, "leader_zlk", "Qiantang-River-9")
    hash_before = auth.get_user("leader_zlk")["password_hash"]
    locked_before = auth.get_user("sw_hongmei")["locked_until"]

    restart(writable_db)
    restart(writable_db)  # and once more: nothing drifts

    assert current_rule("elderly_80") == rule(70)
    assert tagged("elderly_80") == aged_at_least(70) != aged_at_least(80)
    now = reports.template(ADMIN, "mz_tekun")
    assert (now["version"], now["name"], now["source"]) == (
        saved["version"],
        "特困人员名册（街道版）",
        "editor",
    )
    assert auth.get_user("leader_zlk")["password_hash"] == hash_before
    assert auth.get_user("sw_hongmei")["locked_until"] == locked_before
    assert offers.pending(ADMIN) == []


@pytest.fixture
def next_catalogue(tmp_path):
    """A copy of the catalogue as a later release might ship it."""
    folder = tmp_path / "catalog"
    shutil.copytree(config.CATALOG_DIR, folder)
    return folder


def _edit_tag_rule(folder, code: str, new_rule: dict) -> None:
    path = folder / "tags.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for tag in data["tags"]:
        if tag["code"] == code:
            tag["rule"] = new_rule
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _bump_template(folder, code: str, version: int, name: str) -> None:
    path = folder / "reports" / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(version=version, name=name)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_new_catalogue_version_is_applied_where_unedited_and_offered_where_edited(
    writable_db, next_catalogue
):
    tags.update_rule(ADMIN, "elderly_80", rule(70))  # edited here
    edited = reports.save_version(
        ADMIN, {**reports.template(ADMIN, "mz_tekun")["definition"], "name": "特困（改）"}
    )
    _edit_tag_rule(next_catalogue, "elderly_80", rule(75))
    _edit_tag_rule(next_catalogue, "centenarian", rule(95))  # nobody edited this one
    # The release's new template version has the number the editor already used: never a block.
    _bump_template(next_catalogue, "mz_tekun", edited["version"], "特困人员救助供养名册（2027版）")
    _bump_template(next_catalogue, "mz_centenarian", 2, "百岁老人名册（2027版）")

    report = bootstrap.upgrade(next_catalogue)

    assert (
        report["catalog"]["tag_rules_updated"] == 1 and report["catalog"]["tag_rules_offered"] == 1
    )
    assert current_rule("centenarian") == rule(95)
    assert tagged("centenarian") == aged_at_least(95), "an applied rule refreshes its tags"
    assert current_rule("elderly_80") == rule(70)
    assert tagged("elderly_80") == aged_at_least(70)
    assert reports.template(ADMIN, "mz_tekun")["name"] == "特困（改）"
    assert reports.template(ADMIN, "mz_centenarian")["name"] == "百岁老人名册（2027版）"
    waiting = {(o["kind"], o["code"]): o for o in offers.pending(ADMIN)}
    assert set(waiting) == {("tag", "elderly_80"), ("template", "mz_tekun")}
    assert "75" in waiting[("tag", "elderly_80")]["offered"]
    offered_version = waiting[("template", "mz_tekun")]["version"]
    assert offered_version == edited["version"] + 1

    # A second start with the same release offers nothing new and changes nothing.
    bootstrap.upgrade(next_catalogue)
    assert len(offers.pending(ADMIN)) == 2 and current_rule("elderly_80") == rule(70)

    with pytest.raises(AccessDenied):
        offers.adopt(Scope("leader_zlk", "street_leader", "330102009"), "tag", "elderly_80")
    offers.adopt(ADMIN, "tag", "elderly_80")
    assert current_rule("elderly_80") == rule(75)
    assert tagged("elderly_80") == aged_at_least(75)
    offers.decline(ADMIN, "template", "mz_tekun", offered_version)
    assert reports.template(ADMIN, "mz_tekun")["name"] == "特困（改）"
    assert offers.pending(ADMIN) == []
    with pytest.raises(offers.OfferError):
        offers.adopt(ADMIN, "tag", "elderly_80")
    # The adopted rule is the catalogue's again: the next release's change to it applies.
    _edit_tag_rule(next_catalogue, "elderly_80", rule(77))
    bootstrap.upgrade(next_catalogue)
    assert current_rule("elderly_80") == rule(77) and tagged("elderly_80") == aged_at_least(77)


def test_an_adopted_template_version_becomes_the_newest_version_in_use(writable_db, next_catalogue):
    edited = reports.save_version(
        ADMIN, {**reports.template(ADMIN, "mz_tekun")["definition"], "name": "特困（改）"}
    )
    _bump_template(next_catalogue, "mz_tekun", 2, "特困人员救助供养名册（2027版）")
    bootstrap.upgrade(next_catalogue)
    (offer,) = offers.pending(ADMIN)
    later = reports.save_version(
        ADMIN, {**reports.template(ADMIN, "mz_tekun")["definition"], "name": "特困（再改）"}
    )
    assert later["version"] == offer["version"] + 1  # the offer's number stays taken
    offers.adopt(ADMIN, "template", "mz_tekun", offer["version"])
    now = reports.template(ADMIN, "mz_tekun")
    assert (
        now["name"] == "特困人员救助供养名册（2027版）" and now["version"] == later["version"] + 1
    )
    history = {h["version"]: h["source"] for h in reports.history(ADMIN, "mz_tekun")}
    assert history == {
        1: "catalog",
        edited["version"]: "editor",
        offer["version"]: "catalog",
        later["version"]: "editor",
        now["version"]: "catalog",
    }
