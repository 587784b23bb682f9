"""Privacy on the real pages (AppTest): what reaches the browser, and what the audit log keeps."""

from __future__ import annotations

from datetime import date

from test_ledger_page import first_resident_id, open_ledger
from test_pages import logged_in_app

from yibiaotong import auth, db, ledger, masking


def sent(at) -> str:
    """Everything the page would send to the browser: every element's message, table data
    included (Arrow strings travel as plain bytes)."""
    return "\n".join(str(node.proto) for node in at._tree if getattr(node, "proto", None))


def test_an_unmasked_list_is_logged_once_per_page_view(logged):
    at = open_ledger("sw_tianxian")
    assert not at.exception
    assert len(logged("list_view")) == 1
    at.run()
    at.run()
    assert len(logged("list_view")) == 1  # reruns of the same view
    at.toggle(key="ledger_desc_resident").set_value(True).run()
    assert len(logged("list_view")) == 2  # another list of people
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/ledger.py").run()
    assert len(logged("list_view")) == 3  # a new visit of the page
    assert all("含未脱敏敏感字段" in d for d in logged("list_view"))


def test_a_record_view_is_logged_by_the_domain_once_per_page_view(logged):
    rid = first_resident_id(auth.scope_for("sw_tianxian").org_code)
    at = open_ledger("sw_tianxian", entity="resident", id=str(rid))
    assert not at.exception
    for _ in range(3):
        at.run()
    assert logged("record_view") == [f"resident:{rid}"]


def test_a_masked_list_is_not_logged_as_an_unmasked_view(logged):
    with db.transaction() as cur:
        cur.execute("update app_user set clearance = false where username = 'sw_tianxian'")
    at = open_ledger("sw_tianxian")
    assert not at.exception
    assert logged("list_view") == []


def test_an_uncleared_record_page_sends_no_id_birth_date_or_phone(logged):
    with db.transaction() as cur:
        cur.execute("update app_user set clearance = false where username = 'sw_hongmei'")
    scope = auth.scope_for("sw_hongmei")
    admin = auth.scope_for("admin")
    rid = first_resident_id(scope.org_code)
    record = ledger.get(admin, "resident", rid)
    # A phone change puts old and new numbers into the record's history too.
    ledger.save(admin, "resident", rid, {"resident_phone": "13912345678"}, record["version"])
    record = ledger.get(admin, "resident", rid)
    assert record["id_number"] and record["birth_date"]

    at = open_ledger("sw_hongmei", entity="resident", id=str(rid))
    assert not at.exception
    page = sent(at)
    assert masking.mask_id(record["id_number"]) in page
    assert f"{record['birth_date'].year}年" in page
    hidden = record["id_number"][6:16]
    born: date = record["birth_date"]
    for secret in (
        record["id_number"],
        hidden,
        born.isoformat(),
        f"{born:%Y%m%d}",
        f"{born:%Y/%m/%d}",
        "13912345678",
        "1234567",  # the hidden middle of the new phone with its neighbours
    ):
        assert secret not in page, secret
    assert logged("record_view") == []  # nothing unmasked was shown


def test_a_street_leader_is_told_no_by_the_domain_not_only_the_menu(writable_db):
    at = logged_in_app("leader_zlk")
    scope = auth.scope_for("leader_zlk")
    rid = first_resident_id(scope.org_code)
    before = ledger.get(auth.scope_for("admin"), "resident", rid)
    try:
        ledger.save(scope, "resident", rid, {"resident_phone": "13800000000"}, before["version"])
    except PermissionError as exc:
        assert "街道领导" in str(exc)
    else:
        raise AssertionError("a street leader changed a phone number through ledger.save")
    assert ledger.get(auth.scope_for("admin"), "resident", rid)["version"] == before["version"]
    assert not at.exception
