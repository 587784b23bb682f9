"""Ledger: validation, scope (also by crafted ids), stale saves, history in the same transaction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from stdnum.cn import ric

from yibiaotong import auth, db, ledger
from yibiaotong.scope import AccessDenied, Scope


def scope_of(username: str, clearance: bool | None = None) -> Scope:
    s = auth.scope_for(username)
    if clearance is None:
        return s
    return Scope(s.username, s.role, s.org_code, clearance, s.department, s.name)


def sql_value(sql: str, params: dict | None = None):
    with db.cursor() as cur:
        return cur.execute(sql, params or {}).fetchone()[0]


def one_resident(org_code: str) -> dict:
    with db.cursor() as cur:
        rid = cur.execute(
            "select id from resident where starts_with(grid_code, $o) and status = 'active' "
            "and id_type = '01' order by id limit 1",
            {"o": org_code},
        ).fetchone()[0]
    return ledger.get(auth.scope_for("admin"), "resident", rid)


def change_count() -> int:
    return sql_value("select count(*) from change_log")


def valid_id(birth: date, sex: str, prefix: str = "330102") -> str:
    seq = "123" if sex == "1" else "124"
    body = f"{prefix}{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def worker(writable_db) -> Scope:
    return scope_of("sw_tianxian")


@pytest.fixture
def neighbour(writable_db) -> Scope:
    return scope_of("sw_hongmei")


# ---------------------------------------------------------------- validation


BAD_INPUTS = [
    ("resident_id_number", "330102199001011230", "身份证号"),  # wrong check digit
    ("resident_id_number", "330102199002301234", "身份证号"),  # 30 February
    ("resident_phone", "1381234567", "联系电话"),  # 10 digits
    ("resident_birth_date", (date.today() + timedelta(days=3)).isoformat(), "出生日期"),
    ("resident_ethnicity", "火星族", "民族"),
    ("resident_employer", "很长" * 60, "工作单位"),
    ("resident_employer", '=HYPERLINK("http://x")', "工作单位"),
    ("resident_occupation", "+cmd", "职业"),
    ("resident_native_place", "@SUM(A1)", "籍贯"),
]


@pytest.mark.parametrize(("code", "value", "label"), BAD_INPUTS)
def test_bad_input_is_refused_by_field_and_nothing_written(worker, code, value, label):
    rec = one_resident(worker.org_code)
    before = change_count()
    with pytest.raises(ledger.ValidationFailed) as excinfo:
        ledger.save(worker, "resident", rec["id"], {code: value}, rec["version"])
    message = str(excinfo.value)
    assert label in message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert change_count() == before
    assert ledger.get(worker, "resident", rec["id"])["version"] == rec["version"]


def test_id_number_must_agree_with_birth_date_and_sex(worker):
    rec = one_resident(worker.org_code)
    other_sex = "2" if rec["sex"] == "1" else "1"
    mismatched = valid_id(rec["birth_date"], other_sex)
    with pytest.raises(ledger.ValidationFailed, match="性别"):
        ledger.save(
            worker, "resident", rec["id"], {"resident_id_number": mismatched}, rec["version"]
        )


def test_fields_outside_the_standard_or_event_only_are_refused(worker):
    rec = one_resident(worker.org_code)
    with pytest.raises(ledger.ValidationFailed):
        ledger.save(
            worker, "resident", rec["id"], {"grid_code; drop table resident": "x"}, rec["version"]
        )
    with pytest.raises(ledger.ValidationFailed):
        ledger.save(worker, "resident", rec["id"], {"resident_household_id": 1}, rec["version"])


# ---------------------------------------------------------------- saving and history


def test_save_writes_matching_change_log_rows_in_the_same_transaction(worker):
    rec = one_resident(worker.org_code)
    before = change_count()
    new_phone = "13905710001"
    version = ledger.save(
        worker,
        "resident",
        rec["id"],
        {
            "resident_phone": new_phone,
            "resident_employer": "天仙社区服务中心",
            "resident_name": rec["name"],
        },
        rec["version"],
    )
    assert version == rec["version"] + 1
    saved = ledger.get(worker, "resident", rec["id"])
    assert saved["phone"] == new_phone and saved["employer"] == "天仙社区服务中心"
    assert saved["updated_by"] == "sw_tianxian"
    with db.cursor() as cur:
        rows = cur.execute(
            "select field, old_value, new_value, username, version from change_log "
            "where entity = 'resident' and entity_id = $id order by field",
            {"id": rec["id"]},
        ).fetchall()
    assert change_count() == before + 2  # the unchanged name is not logged
    assert rows == [
        ("resident_employer", rec["employer"], "天仙社区服务中心", "sw_tianxian", version),
        ("resident_phone", rec["phone"], new_phone, "sw_tianxian", version),
    ]
    readable = ledger.history(worker, "resident", rec["id"])
    assert {r["field_name"] for r in readable} == {"联系电话", "工作单位"}


def test_a_failure_after_the_update_rolls_everything_back(worker, monkeypatch):
    rec = one_resident(worker.org_code)
    before = change_count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "log_change", broken)
    with pytest.raises(RuntimeError):
        ledger.save(worker, "resident", rec["id"], {"resident_employer": "新单位"}, rec["version"])
    after = ledger.get(worker, "resident", rec["id"])
    assert after["employer"] == rec["employer"] and after["version"] == rec["version"]
    assert change_count() == before


def test_code_values_are_stored_as_codes_and_shown_as_names(worker):
    rec = one_resident(worker.org_code)
    ledger.save(worker, "resident", rec["id"], {"resident_education": "20"}, rec["version"])
    assert ledger.get(worker, "resident", rec["id"])["education"] == "20"
    names = [(r["old"], r["new"]) for r in ledger.history(worker, "resident", rec["id"])]
    assert names[0][1] == "大学本科"


def test_stale_save_is_refused_with_what_changed_and_can_be_reapplied(worker):
    rec = one_resident(worker.org_code)
    loaded_by_a = rec["version"]
    # Session B saves first.
    ledger.save(worker, "resident", rec["id"], {"resident_employer": "B 的单位"}, rec["version"])
    # Session A saves the same field from its stale copy: refused, nothing overwritten.
    with pytest.raises(ledger.StaleEdit) as excinfo:
        ledger.save(worker, "resident", rec["id"], {"resident_employer": "A 的单位"}, loaded_by_a)
    stale = excinfo.value
    assert "已被他人修改" in str(stale)
    assert [(c["field_name"], c["new"]) for c in stale.meanwhile] == [("工作单位", "B 的单位")]
    assert ledger.get(worker, "resident", rec["id"])["employer"] == "B 的单位"
    # A re-applies on the version it was shown.
    ledger.save(
        worker, "resident", rec["id"], {"resident_employer": "A 的单位"}, stale.current_version
    )
    assert ledger.get(worker, "resident", rec["id"])["employer"] == "A 的单位"


def test_name_change_updates_pinyin_initials(worker):
    rec = one_resident(worker.org_code)
    ledger.save(worker, "resident", rec["id"], {"resident_name": "张嘉豪"}, rec["version"])
    rows, total = ledger.search(worker, "resident", "zjh")
    assert rec["id"] in set(rows["id"])


# ---------------------------------------------------------------- scope


def test_social_worker_cannot_read_edit_or_count_another_community(worker, neighbour):
    theirs = one_resident(neighbour.org_code)
    with pytest.raises(AccessDenied):
        ledger.get(worker, "resident", theirs["id"])
    with pytest.raises(AccessDenied):
        ledger.save(worker, "resident", theirs["id"], {"resident_employer": "x"}, theirs["version"])
    with pytest.raises(AccessDenied):
        ledger.history(worker, "resident", theirs["id"])
    with pytest.raises(AccessDenied):
        ledger.search(worker, "resident", org_code=neighbour.org_code)
    assert (
        ledger.get(auth.scope_for("admin"), "resident", theirs["id"])["version"]
        == theirs["version"]
    )
    for entity in ledger.ENTITIES:
        rows, total = ledger.search(worker, entity, status=None, page_size=10_000)
        expected = sql_value(
            f"select count(*) from {entity} where starts_with(grid_code, $o)",  # noqa: S608
            {"o": worker.org_code},
        )
        assert total == expected == len(rows)
    with db.cursor() as cur:
        for entity in ledger.ENTITIES:
            ids = [r[0] for r in cur.execute(f"select id from {entity} limit 5000").fetchall()]  # noqa: S608
            outside = [
                i
                for i in ids
                if not cur.execute(
                    f"select starts_with(grid_code, $o) from {entity} where id = $i",  # noqa: S608
                    {"o": worker.org_code, "i": i},
                ).fetchone()[0]
            ][:50]
            for record_id in outside:
                with pytest.raises(AccessDenied):
                    ledger.get(worker, entity, record_id)


def test_summary_counts_only_the_subtree(worker):
    counts = ledger.summary(worker)
    assert counts["residents"] == sql_value(
        "select count(*) from resident where starts_with(grid_code, $o) and status = 'active'",
        {"o": worker.org_code},
    )


def test_crafted_record_ids_are_refused_without_error(worker):
    for crafted in ("1 or 1=1", "-1", "999999999999", "'; drop table resident; --", None):
        with pytest.raises((AccessDenied, ledger.LedgerError)):
            ledger.get(worker, "resident", crafted)
    assert sql_value("select count(*) from resident") > 0


# ---------------------------------------------------------------- search and masking


def test_search_by_initials_id_fragment_and_phone_fragment(worker):
    rec = one_resident(worker.org_code)
    initials = ledger.name_initials(rec["name"])
    rows, _ = ledger.search(worker, "resident", initials)
    assert rec["id"] in set(rows["id"])
    for term in (
        rec["id_number"],
        rec["id_number"][-6:],
        rec["id_number"][-4:],
        rec["id_number"][5:13],
    ):
        rows, _ = ledger.search(worker, "resident", term)
        assert rec["id"] in set(rows["id"]), term
        assert all(term in i for i in rows["id_number"].dropna() if len(term) in (8, 18)), term
    if rec["phone"]:
        for term in (rec["phone"], rec["phone"][-4:]):
            rows, _ = ledger.search(worker, "resident", term)
            assert rec["id"] in set(rows["id"]), term
    rows, _ = ledger.search(worker, "resident", rec["id_number"][-6:])
    assert all(i.endswith(rec["id_number"][-6:]) for i in rows["id_number"])
    rows, total = ledger.search(worker, "resident", "' or 1=1 --")
    assert total == 0


def test_search_masks_sensitive_columns_for_uncleared_roles(worker):
    uncleared = Scope(worker.username, worker.role, worker.org_code, False)
    rows, _ = ledger.search(uncleared, "resident", page_size=20)
    assert rows["id_number"].dropna().str.contains(r"\*{8}").all()
    full, _ = ledger.search(worker, "resident", page_size=20)
    assert not full["id_number"].dropna().str.contains(r"\*").any()


def test_sort_keys_come_from_a_whitelist(worker):
    with pytest.raises(ledger.LedgerError):
        ledger.search(worker, "resident", sort="name; drop table resident")
    rows, _ = ledger.search(worker, "resident", sort="birth_date", descending=True, page_size=30)
    dates = list(rows["birth_date"].dropna())
    assert dates == sorted(dates, reverse=True)


def test_quality_hints_find_duplicate_ids_in_scope(worker):
    with db.cursor() as cur:
        ids = [
            r[0]
            for r in cur.execute(
                "select id from resident where starts_with(grid_code, $o) and status = 'active' "
                "and id_type = '01' order by id limit 2",
                {"o": worker.org_code},
            ).fetchall()
        ]
        cur.execute(
            "update resident set id_number = (select id_number from resident where id = $a) where id = $b",
            {"a": ids[0], "b": ids[1]},
        )
    hints = ledger.quality_hints(worker, "resident", ledger.get(worker, "resident", ids[0]))
    assert any("同一身份证号" in h for h in hints)


@pytest.mark.parametrize(
    ("data_type", "entered", "current", "changed"),
    [
        ("decimal", 85.5, "85.50", False),
        ("decimal", 85.51, "85.50", True),
        ("int", 3, 3, False),
        ("text", " 张三 ", "张三", False),
        ("text", "", None, False),
        ("text", "李四", None, True),
        ("date", date(2020, 1, 2), date(2020, 1, 2), False),
        ("code", None, "01", True),
    ],
)
def test_form_values_that_do_not_change_a_field_are_not_edits(data_type, entered, current, changed):
    assert ledger.differs({"data_type": data_type}, entered, current) is changed
