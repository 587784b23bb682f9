"""台账 page in AppTest: search, open a record, bad input refused, edit confirmed and logged."""

from __future__ import annotations

from test_pages import logged_in_app

from yibiaotong import auth, catalog, db, ledger


def open_ledger(username: str, **query):
    at = logged_in_app(username)
    for k, v in query.items():
        at.query_params[k] = v
    return at.switch_page("app_pages/ledger.py").run()


def first_resident_id(org_code: str) -> int:
    with db.cursor() as cur:
        return cur.execute(
            "select min(id) from resident where starts_with(grid_code, $o) and status = 'active'",
            {"o": org_code},
        ).fetchone()[0]


def submit(at) -> None:
    next(b for b in at.button if b.label == "保存修改").click().run()


def test_search_lists_only_the_community(writable_db):
    at = open_ledger("sw_tianxian")
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    scope = auth.scope_for("sw_tianxian")
    _, total = ledger.search(scope, "resident")
    assert f"共 {total:,} 条" in caption
    at.text_input(key="ledger_q_resident").input("' or 1=1 --").run()
    assert not at.exception
    assert any("没有符合条件的记录" in i.value for i in at.info)


def test_crafted_id_of_another_community_is_refused(writable_db):
    other = first_resident_id(auth.scope_for("sw_hongmei").org_code)
    at = open_ledger("sw_tianxian", entity="resident", id=str(other))
    assert not at.exception
    assert any("不在您的辖区" in e.value for e in at.error)
    assert not at.get("form")


def test_bad_phone_is_refused_with_field_name_and_nothing_saved(writable_db):
    scope = auth.scope_for("sw_tianxian")
    rid = first_resident_id(scope.org_code)
    before = ledger.get(scope, "resident", rid)
    at = open_ledger("sw_tianxian", entity="resident", id=str(rid))
    prefix = f"ledger_f_resident_{rid}_{before['version']}"
    at.text_input(key=f"{prefix}_resident_phone").input("1381234")
    submit(at)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "联系电话" in errors and "未保存" in errors
    assert ledger.get(scope, "resident", rid)["version"] == before["version"]


def test_edit_confirm_save_shows_in_history(writable_db):
    scope = auth.scope_for("sw_tianxian")
    rid = first_resident_id(scope.org_code)
    before = ledger.get(scope, "resident", rid)
    at = open_ledger("sw_tianxian", entity="resident", id=str(rid))
    prefix = f"ledger_f_resident_{rid}_{before['version']}"
    at.text_input(key=f"{prefix}_resident_employer").input("天仙社区卫生服务站")
    submit(at)
    assert not at.exception
    assert any("工作单位" in m.value for m in at.markdown)
    at.button(key="ledger_confirm").click().run()
    assert not at.exception
    after = ledger.get(scope, "resident", rid)
    assert after["employer"] == "天仙社区卫生服务站"
    assert after["version"] == before["version"] + 1
    history = ledger.history(scope, "resident", rid)
    assert history[0]["field_name"] == "工作单位" and history[0]["username"] == "sw_tianxian"


def test_register_birth_from_the_household_record(writable_db):
    scope = auth.scope_for("sw_tianxian")
    with db.cursor() as cur:
        hid, members = cur.execute(
            "select h.id, count(*) from household as h join resident as r on r.household_id = h.id "
            "where starts_with(h.grid_code, $o) and h.status = 'active' and r.status = 'active' "
            "and exists (select 1 from resident as m where m.household_id = h.id and m.sex = '2' "
            "and m.relation_to_head in ('02', '10') and m.birth_date > current_date - interval 40 year) "
            "group by h.id order by h.id limit 1",
            {"o": scope.org_code},
        ).fetchone()
    at = open_ledger("sw_tianxian", entity="household", id=str(hid))
    assert not at.exception
    form_inputs = [t for t in at.text_input if t.label == "姓名 *"]
    form_inputs[0].input("王小宝")
    next(b for b in at.button if b.label == "登记").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(events_members(scope, hid)) == members + 1
    newborn = next(m for m in events_members(scope, hid) if m["name"] == "王小宝")
    assert newborn["relation_name"] in ("子", "女", "孙子女")
    assert any(h.value == "人口：王小宝" for h in at.subheader), (at.main, dict(at.query_params))


def events_members(scope, household_id):
    from yibiaotong import events

    return events.household_members(scope, household_id)


def test_the_scope_picker_labels_every_unit_from_one_read(use_fixture_db, monkeypatch):
    """An admin's 范围 lists every unit of the district with its path, and a rerun does not
    ask DuckDB once per option (660 options took 1 s of every ledger rerun)."""
    with db.cursor() as cur:  # the oracle: each unit's path straight from org_unit
        paths = dict(cur.execute("select code, full_name from org_unit").fetchall())
    lookups = []
    one_unit = catalog.org_unit
    monkeypatch.setattr(catalog, "org_unit", lambda code: lookups.append(code) or one_unit(code))
    at = open_ledger("admin")
    picker = next(s for s in at.selectbox if s.label == "范围")
    assert len(picker.options) == len(paths) > 100
    shown = {label.replace(" › ", "/") for label in picker.options}
    assert shown == set(paths.values())
    assert len(lookups) < 10, f"{len(lookups)} single-unit lookups in one rerun"
