"""Accounts: demo accounts only with demo data, a real install with one admin, user management
that checks its caller, and files on disk that only their owner can read."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from yibiaotong import auth, bootstrap, config, db, sessions
from yibiaotong.scope import AccessDenied, Scope

STRONG = "Qiantang-River-9"
ROOT_ORG = "330102"
TIANXIAN = "330102009001"
HONGMEI = "330102009002"


def usernames() -> list[str]:
    with db.cursor() as cur:
        return [r[0] for r in cur.execute("select username from app_user order by 1").fetchall()]


def log_rows(action: str) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(
            "select username, detail from access_log where action = $a order by logged_at",
            {"a": action},
        ).fetchall()


def cli(*args: str, stdin: str = "", db_path=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "YIBIAOTONG_DB": str(db_path or config.db_path())}
    return subprocess.run(
        [sys.executable, "-m", "yibiaotong", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=config.ROOT,
        timeout=300,
    )


# ---------------------------------------------------------------- installs


def test_a_real_install_has_its_one_admin_and_never_another_account(tmp_path, monkeypatch):
    path = tmp_path / "real.duckdb"
    db.close_all()
    made = cli(
        "init", "--admin", "wang", "--admin-name", "王主任", stdin=STRONG + "\n", db_path=path
    )
    assert made.returncode == 0, made.stderr
    assert "正式库" in made.stdout
    # Later starts (make run reruns init with its demo defaults) add nothing.
    again = cli("init", db_path=path)
    assert again.returncode == 0, again.stderr
    assert "演示" not in again.stdout
    listed = cli("user", "list", db_path=path)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["wang"]
    refused = cli("init", "--admin", "li", stdin=STRONG + "\n", db_path=path)
    assert refused.returncode == 2 and "user add" in refused.stderr
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    try:
        assert usernames() == ["wang"]
        assert auth.install_kind() == "real"
        assert not db.fetch_value("ledger/count_residents")
        assert sessions.login("wang", STRONG, None).ok
        user = auth.get_user("wang")
        assert (user["role"], user["org_code"], user["must_change_password"]) == (
            "district_admin",
            ROOT_ORG,
            False,
        )
    finally:
        db.close_all()


def test_a_real_install_refuses_a_weak_admin_password_and_demo_data(tmp_path):
    path = tmp_path / "real.duckdb"
    weak = cli("init", "--admin", "wang", stdin="admin123\n", db_path=path)
    assert weak.returncode == 2 and "常见密码" in weak.stderr
    demo = cli("init", "--admin", "wang", "--residents", "100", stdin=STRONG + "\n", db_path=path)
    assert demo.returncode == 2 and "不生成演示数据" in demo.stderr
    ok = cli("init", "--admin", "wang", stdin=STRONG + "\n", db_path=path)
    assert ok.returncode == 0, ok.stderr


def test_demo_accounts_come_only_with_demo_data(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_DB", str(tmp_path / "catalogue_only.duckdb"))
    db.close_all()
    report = bootstrap.initialise(residents=0)
    assert report["demo_users"] == [] and usernames() == []
    assert auth.install_kind() is None
    db.close_all()


def test_a_start_never_recreates_resets_or_reenables_a_changed_demo_account(writable_db):
    admin = auth.scope_for("admin")
    auth.reset_password(admin, "leader_zlk", STRONG)
    auth.set_active(admin, "weijian", False)
    with db.transaction() as cur:
        cur.execute("delete from app_user where username = 'sw_hongmei'")
    before = {u: auth.get_user(u)["password_hash"] for u in ("admin", "leader_zlk")}
    report = bootstrap.initialise(residents=6000)  # what make run does on every start
    assert report["demo_users"] == []
    assert "sw_hongmei" not in usernames()
    assert not auth.get_user("weijian")["active"]
    assert {u: auth.get_user(u)["password_hash"] for u in before} == before
    assert auth.install_kind() == "demo"


def test_an_old_database_with_demo_accounts_is_marked_demo(tmp_path, monkeypatch):
    """Databases made before this change all got the published accounts: they are demos."""
    monkeypatch.setenv("YIBIAOTONG_DB", str(tmp_path / "old.duckdb"))
    db.close_all()
    with db.write_lock, db.cursor() as cur:
        cur.execute(
            "create table schema_version (version integer primary key, name varchar not null,"
            " applied_at timestamp not null default current_timestamp)"
        )
        for file in [f for f in db.migrations() if int(f.name[:4]) < 100]:
            cur.execute(file.read_text(encoding="utf-8"))
            cur.execute(
                "insert into schema_version (version, name) values ($v, $n)",
                {"v": int(file.name[:4]), "n": file.stem},
            )
        cur.execute(
            "insert into app_user (username, name, password_hash, role, org_code)"
            " values ('admin', '王数据', 'x', 'district_admin', '330102')"
        )
    db.migrate()
    assert auth.install_kind() == "demo"
    db.close_all()


# ---------------------------------------------------------------- who may manage users


@pytest.fixture
def admin(writable_db) -> Scope:
    return auth.scope_for("admin")


NOT_ADMINS = ["leader_zlk", "weijian", "sw_tianxian"]


@pytest.mark.parametrize("username", NOT_ADMINS)
def test_only_a_district_admin_manages_users(writable_db, username):
    caller = auth.scope_for(username)
    attempts = [
        lambda: auth.list_users(caller),
        lambda: auth.add_user(caller, "sw_x", "某某", STRONG, "social_worker", TIANXIAN),
        lambda: auth.reset_password(caller, "sw_hongmei", STRONG),
        lambda: auth.lock_user(caller, "sw_hongmei", 15),
        lambda: auth.unlock_user(caller, "sw_hongmei"),
        lambda: auth.set_active(caller, "sw_hongmei", False),
        lambda: auth.update_user(
            caller,
            username,
            role="district_admin",
            org_code=ROOT_ORG,
            department=None,
            clearance=True,
        ),
        lambda: auth.access_log_page(caller, None, None, 10, 0),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied):
            attempt()
    assert auth.get_user(username)["role"] == auth.scope_for(username).role
    assert auth.get_user("sw_hongmei")["active"] and not auth.get_user("sw_x")


def test_an_admin_manages_only_their_own_subtree(writable_db):
    # An admin bound to one street (a scope the domain may be handed) sees and changes only it.
    street = Scope("street_admin", "district_admin", "330102009", clearance=True)
    with db.cursor() as cur:
        in_street = {
            name
            for (name,) in cur.execute(
                "select username from app_user where starts_with(org_code, '330102009')"
            ).fetchall()
        }
    assert {"leader_zlk", "sw_tianxian", "sw_hongmei"} <= in_street
    assert {u["username"] for u in auth.list_users(street)} == in_street
    with pytest.raises(auth.AuthError, match="不在您的管理范围内"):
        auth.lock_user(street, "weijian", 15)
    with pytest.raises(AccessDenied):
        auth.add_user(street, "sw_far", "远方", STRONG, "social_worker", "330102001001")
    with pytest.raises(AccessDenied):
        auth.update_user(
            street,
            "sw_hongmei",
            role="social_worker",
            org_code="330102001001",
            department=None,
            clearance=True,
        )


def test_a_user_changes_only_their_own_password(writable_db):
    caller = auth.scope_for("sw_tianxian")
    auth.change_own_password(caller, "Demo@2026", STRONG, STRONG)
    assert sessions.login("sw_tianxian", STRONG, None).ok
    assert sessions.login("sw_hongmei", "Demo@2026", None).ok  # nobody else's changed
    with pytest.raises(auth.AuthError, match="当前密码不正确"):
        auth.change_own_password(caller, "Demo@2026", "xihu#longjing88", "xihu#longjing88")
    with pytest.raises(auth.AuthError, match="不一致"):
        auth.change_own_password(caller, STRONG, "xihu#longjing88", "xihu#longjing89")
    with pytest.raises(auth.AuthError, match="常见密码"):
        auth.change_own_password(caller, STRONG, "password1", "password1")
    assert log_rows("password_change")[-1] == ("sw_tianxian", "本人修改密码，其他会话已结束")


# ---------------------------------------------------------------- management an office can run


def test_admin_set_passwords_must_be_changed_at_first_login(admin):
    auth.add_user(admin, "sw_new", "新社工", STRONG, "social_worker", TIANXIAN)
    session = sessions.login("sw_new", STRONG, None).session
    assert sessions.check(session)[1] is True
    me = sessions.check(session)[0]
    valid_after = auth.change_own_password(me, STRONG, "xihu#longjing88", "xihu#longjing88")
    assert sessions.check(sessions.Session("sw_new", valid_after))[1] is False
    auth.reset_password(admin, "sw_new", "Wq#73kd9Lm-2")
    assert auth.get_user("sw_new")["must_change_password"]
    # Demo accounts are not forced: the README's table keeps working.
    assert not any(auth.get_user(u)["must_change_password"] for u in ("admin", "leader_zlk"))


def test_every_change_is_logged_with_who_did_what(admin):
    auth.add_user(admin, "sw_new", "新社工", STRONG, "social_worker", TIANXIAN)
    changes = auth.update_user(
        admin, "sw_new", role="social_worker", org_code=HONGMEI, department=None, clearance=False
    )
    assert changes == [f"辖区 {TIANXIAN} → {HONGMEI}", "敏感信息 可查看 → 脱敏"]
    auth.update_user(
        admin,
        "sw_new",
        role="street_leader",
        org_code="330102009",
        department=None,
        clearance=False,
    )
    auth.lock_user(admin, "sw_new", 15)
    auth.unlock_user(admin, "sw_new")
    auth.set_active(admin, "sw_new", False)
    auth.set_active(admin, "sw_new", True)
    auth.reset_password(admin, "sw_new", "xihu#longjing88")
    user = auth.get_user("sw_new")
    assert (user["role"], user["org_code"], user["clearance"]) == (
        "street_leader",
        "330102009",
        False,
    )
    with db.cursor() as cur:
        rows = cur.execute(
            "select username, action, detail from access_log"
            " where action like 'user_%' or action like 'password_%' order by logged_at"
        ).fetchall()
    assert [(u, a) for u, a, _ in rows[-8:]] == [
        ("admin", "user_add"),
        ("admin", "user_update"),
        ("admin", "user_update"),
        ("admin", "user_lock"),
        ("admin", "user_unlock"),
        ("admin", "user_deactivate"),
        ("admin", "user_reactivate"),
        ("admin", "password_set"),
    ]
    assert rows[-6][2] == "sw_new：角色 社区社工 → 街道领导；辖区 330102009002 → 330102009"


def test_a_role_must_fit_its_org_level_and_department(admin):
    with pytest.raises(auth.AuthError, match="不能绑定"):
        auth.add_user(admin, "sw_new", "新社工", STRONG, "social_worker", "330102009")
    with pytest.raises(auth.AuthError, match="须指定所属部门"):
        auth.update_user(
            admin,
            "sw_hongmei",
            role="dept_staff",
            org_code=ROOT_ORG,
            department=None,
            clearance=False,
        )
    assert auth.get_user("sw_hongmei")["role"] == "social_worker"


def test_a_lock_lasts_its_window_and_deactivation_is_for_good(admin):
    from datetime import datetime, timedelta

    until = auth.lock_user(admin, "sw_hongmei", 15)
    assert timedelta(minutes=14) < until - datetime.now() <= timedelta(minutes=15)
    with pytest.raises(auth.AuthError, match="7 天"):
        auth.lock_user(admin, "sw_hongmei", 60 * 24 * 365)
    with db.transaction() as cur:  # the window has passed
        cur.execute("update app_user set locked_until = now() - interval 1 minute")
    assert sessions.login("sw_hongmei", "Demo@2026", None).ok
    auth.set_active(admin, "sw_hongmei", False)
    assert not sessions.login("sw_hongmei", "Demo@2026", None).ok
    assert auth.user_state(auth.get_user("sw_hongmei")) == "已停用"


def test_the_console_always_keeps_an_active_district_admin(admin):
    with pytest.raises(auth.AuthError, match="至少保留一名"):
        auth.set_active(admin, "admin", False)
    with pytest.raises(auth.AuthError, match="至少保留一名"):
        auth.update_user(
            admin,
            "admin",
            role="dept_staff",
            org_code=ROOT_ORG,
            department="weijian",
            clearance=False,
        )
    with pytest.raises(auth.AuthError, match="不能锁定自己"):
        auth.lock_user(admin, "admin", 15)
    assert auth.get_user("admin")["active"] and auth.get_user("admin")["role"] == "district_admin"
    # With a second admin, stepping down is allowed.
    auth.add_user(admin, "admin2", "张数据", STRONG, "district_admin", ROOT_ORG)
    auth.set_active(admin, "admin", False)
    assert not auth.get_user("admin")["active"]


def test_cli_acts_as_the_system_caller(writable_db):
    db.close_all()  # the CLI process must own the file
    made = cli(
        "user",
        "add",
        "sw_cli",
        "--name",
        "命令行",
        "--role",
        "social_worker",
        "--org",
        TIANXIAN,
        stdin=STRONG + "\n",
    )
    assert made.returncode == 0, made.stderr
    weak = cli("user", "passwd", "sw_cli", stdin="12345678a\n")
    assert weak.returncode == 2 and "常见密码" in weak.stderr
    assert cli("user", "update", "sw_cli", "--clearance", "no").returncode == 0
    assert cli("user", "deactivate", "sw_cli").returncode == 0
    last_admin = cli("user", "deactivate", "admin")
    assert last_admin.returncode == 2 and "至少保留一名" in last_admin.stderr
    user = auth.get_user("sw_cli")
    assert (user["clearance"], user["active"], user["must_change_password"]) == (False, False, True)
    assert log_rows("user_add")[-1] == ("cli", f"sw_cli 社区社工 {TIANXIAN}")


# ---------------------------------------------------------------- files on disk


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_wal_and_cookie_key_are_for_their_owner_only(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_DB", str(tmp_path / "private.duckdb"))
    old = os.umask(0o022)
    try:
        db.close_all()
        bootstrap.initialise(residents=0)
        path = config.db_path()
        with db.transaction() as cur:  # a write leaves a .wal until the next checkpoint
            cur.execute("insert into app_setting values ('probe', '1')")
        wal = path.with_name(path.name + ".wal")
        assert wal.exists()
        assert mode(path) == mode(wal) == mode(config.secret_key_path()) == 0o600
        db.close_all()
        # Files an older version left readable to everyone are closed on the next start.
        path.chmod(0o644)
        config.secret_key_path().chmod(0o644)
        bootstrap.initialise(residents=0)
        assert mode(path) == mode(config.secret_key_path()) == 0o600
    finally:
        db.close_all()
        os.umask(old)
