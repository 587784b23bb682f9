"""Login that reveals nothing, a throttle no attacker can turn against users, sessions that end."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import bcrypt
import pytest

from yibiaotong import auth, config, db, sessions

PASSWORD = "Demo@2026"  # the demo accounts' published password


@pytest.fixture
def admin(writable_db):
    return auth.scope_for("admin")


def access_rows(action: str) -> list[tuple]:
    with db.cursor() as cur:
        return cur.execute(
            "select username, detail, client_address from access_log where action = $a"
            " order by logged_at",
            {"a": action},
        ).fetchall()


def add_failures(username: str, address: str, n: int, ago: timedelta = timedelta(0)) -> None:
    """Failed logins in the window, written as the login writes them (fast: no bcrypt)."""
    with db.transaction() as cur:
        for _ in range(n):
            cur.execute(
                "insert into login_failure (failed_at, username, address) values ($t, $u, $a)",
                {"t": datetime.now() - ago, "u": username, "a": address},
            )


# ---------------------------------------------------------------- one answer for every failure


def test_unknown_wrong_locked_and_deactivated_get_the_same_answer(admin):
    auth.lock_user(admin, "leader_zlk", 60)
    auth.set_active(admin, "weijian", False)
    answers = {
        "unknown": sessions.login("no_such_user", PASSWORD, "198.51.100.1"),
        "wrong": sessions.login("sw_tianxian", "Wrong-pass-1", "198.51.100.2"),
        "locked": sessions.login("leader_zlk", PASSWORD, "198.51.100.3"),
        "deactivated": sessions.login("weijian", PASSWORD, "198.51.100.4"),
    }
    assert not any(r.ok for r in answers.values())
    assert len({r.message for r in answers.values()}) == 1, answers
    assert "锁定" not in answers["locked"].message and "停用" not in answers["deactivated"].message
    # The audit trail knows the difference, with the client address.
    assert [r for r in access_rows("login_failed") if (r[2] or "").startswith("198.51.100.")] == [
        ("no_such_user", "用户不存在", "198.51.100.1"),
        ("sw_tianxian", "密码错误", "198.51.100.2"),
        ("leader_zlk", "账户锁定中", "198.51.100.3"),
        ("weijian", "账户已停用", "198.51.100.4"),
    ]
    ok = sessions.login("sw_hongmei", PASSWORD, "198.51.100.5")
    assert ok.ok and ok.session.username == "sw_hongmei"
    assert access_rows("login_ok")[-1] == ("sw_hongmei", "密码登录", "198.51.100.5")


def test_unknown_users_take_as_long_as_known_ones(admin):
    """Over several tries, an unknown username answers no faster than a wrong password (on main
    it answered in a tenth of the time, so anyone could list the accounts)."""
    auth.lock_user(admin, "leader_zlk", 60)
    cases = {
        "unknown": ("no_such_user", PASSWORD),
        "wrong": ("sw_tianxian", "Wrong-pass-1"),
        "locked": ("leader_zlk", PASSWORD),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    for i in range(7):
        for kind, (username, password) in cases.items():  # interleaved: load hits all alike
            started = time.perf_counter()
            sessions.login(username, password, f"192.0.2.{i * 10 + len(times[kind])}")
            times[kind].append(time.perf_counter() - started)
    # The fastest of several tries: other work on the machine only ever adds time.
    fastest = {k: min(v) for k, v in times.items()}
    assert fastest["wrong"] > 0.05  # a real bcrypt check ran
    for kind in ("unknown", "locked"):
        assert 0.6 < fastest[kind] / fastest["wrong"] < 1.6, fastest


def test_bcrypt_never_runs_under_the_write_lock(admin, monkeypatch):
    """Logins must not queue behind each other (or behind any write) for bcrypt's quarter second."""
    held = []

    def lock_is_free() -> bool:
        free = []

        def probe() -> None:
            if db.write_lock.acquire(blocking=False):
                db.write_lock.release()
                free.append(True)

        t = threading.Thread(target=probe)
        t.start()
        t.join()
        return bool(free)

    real_check, real_hash = bcrypt.checkpw, bcrypt.hashpw
    monkeypatch.setattr(
        bcrypt, "checkpw", lambda p, h: held.append(lock_is_free()) or real_check(p, h)
    )
    monkeypatch.setattr(
        bcrypt, "hashpw", lambda p, s: held.append(lock_is_free()) or real_hash(p, s)
    )

    assert sessions.login("sw_hongmei", PASSWORD, None).ok
    assert not sessions.login("sw_hongmei", "Wrong-pass-1", None).ok
    assert not sessions.login("nobody_here", "Wrong-pass-1", None).ok
    auth.add_user(admin, "sw_new", "新社工", "Qiantang-River-9", "social_worker", "330102009001")
    auth.reset_password(admin, "sw_new", "xihu#longjing88")
    me = auth.scope_for("sw_new")
    auth.change_own_password(me, "xihu#longjing88", "Wq#73kd9Lm-2", "Wq#73kd9Lm-2")
    assert len(held) >= 7 and all(held), held


# ---------------------------------------------------------------- the throttle


def test_failures_for_one_account_from_one_address_pause_only_that_pair(writable_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_LOGIN_LOCK_SECONDS", "900")
    for _ in range(sessions.PAIR_LIMIT):
        r = sessions.login("sw_hongmei", "Wrong-pass-1", "203.0.113.9")
        assert not r.ok
    assert "本机暂停该账户登录" in r.message
    paused = sessions.login("sw_hongmei", PASSWORD, "203.0.113.9")
    assert not paused.ok and "该账户在本机登录失败次数过多" in paused.message
    # The attacker's address is paused; the user at their own desk is not.
    assert sessions.login("sw_hongmei", PASSWORD, "10.8.1.20").ok
    assert access_rows("login_throttled")[-1][2] == "203.0.113.9"


def test_the_pause_lasts_its_window(writable_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_LOGIN_LOCK_SECONDS", "900")
    add_failures("sw_hongmei", "203.0.113.9", sessions.PAIR_LIMIT, ago=timedelta(minutes=16))
    assert sessions.login("sw_hongmei", PASSWORD, "203.0.113.9").ok
    add_failures("sw_hongmei", "203.0.113.9", sessions.PAIR_LIMIT, ago=timedelta(minutes=10))
    refused = sessions.login("sw_hongmei", PASSWORD, "203.0.113.9")
    assert not refused.ok and "5 分钟" in refused.message  # the oldest failure leaves in 5 min


def test_an_attacker_spraying_from_many_addresses_cannot_lock_the_user_out(writable_db):
    """Failures for one account from everywhere close it to new addresses only."""
    assert sessions.login("sw_tianxian", PASSWORD, "10.8.1.21").ok  # the user's own PC
    for i in range(sessions.ACCOUNT_LIMIT):
        add_failures("sw_tianxian", f"198.18.0.{i}", 1)
    stranger = sessions.login("sw_tianxian", PASSWORD, "198.18.9.9")
    assert not stranger.ok and "曾经登录过的电脑" in stranger.message
    assert sessions.login("sw_tianxian", PASSWORD, "10.8.1.21").ok
    # The same happens for a username nobody has: the answer tells nothing about the account.
    for i in range(sessions.ACCOUNT_LIMIT):
        add_failures("ghost", f"198.18.1.{i}", 1)
    assert "曾经登录过的电脑" in sessions.login("ghost", PASSWORD, "198.18.9.9").message


def test_one_address_trying_many_accounts_is_slowed_then_blocked(writable_db):
    for i in range(sessions.ADDRESS_SLOW):
        add_failures(f"user{i}", "203.0.113.50", 1)
    slowed = sessions.login("sw_hongmei", PASSWORD, "203.0.113.50")
    assert not slowed.ok and "请 1 秒后再试" in slowed.message
    time.sleep(1.1)
    assert sessions.login("sw_hongmei", PASSWORD, "203.0.113.50").ok
    add_failures("x", "203.0.113.50", sessions.ADDRESS_LIMIT)
    blocked = sessions.login("sw_hongmei", PASSWORD, "203.0.113.50")
    assert not blocked.ok and "本机登录失败次数过多" in blocked.message
    assert sessions.login("sw_hongmei", PASSWORD, "203.0.113.51").ok


def test_an_admin_unlock_forgets_the_failures(admin):
    add_failures("sw_hongmei", "203.0.113.9", sessions.PAIR_LIMIT)
    assert not sessions.login("sw_hongmei", PASSWORD, "203.0.113.9").ok
    auth.unlock_user(admin, "sw_hongmei")
    assert sessions.login("sw_hongmei", PASSWORD, "203.0.113.9").ok


# ---------------------------------------------------------------- sessions end when they should


def logged_in(username: str) -> sessions.Session:
    result = sessions.login(username, PASSWORD, None)
    assert result.ok
    return result.session


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("logout elsewhere", "退出了登录"),
        ("admin lock", "锁定"),
        ("password reset", "密码已修改"),
        ("deactivation", "停用"),
        ("role change", "权限有变更"),
    ],
)
def test_an_open_session_ends_when_its_account_changes(admin, what, message):
    tab = logged_in("leader_zlk")
    other_tab = logged_in("leader_zlk")
    assert sessions.check(tab)[0].role == "street_leader"
    if what == "logout elsewhere":
        sessions.logout(other_tab)
    elif what == "admin lock":
        auth.lock_user(admin, "leader_zlk", 15)
    elif what == "password reset":
        auth.reset_password(admin, "leader_zlk", "Qiantang-River-9")
    elif what == "deactivation":
        auth.set_active(admin, "leader_zlk", False)
    else:
        auth.update_user(
            admin,
            "leader_zlk",
            role="dept_staff",
            org_code="330102",
            department="weijian",
            clearance=False,
        )
    with pytest.raises(sessions.SessionEnded, match=message):
        sessions.check(tab)
    # A lock ends sessions for good: lifting it does not revive them.
    if what == "admin lock":
        auth.unlock_user(admin, "leader_zlk")
        with pytest.raises(sessions.SessionEnded):
            sessions.check(tab)


def test_changing_ones_own_password_ends_the_other_sessions_only(writable_db):
    here, elsewhere = logged_in("sw_tianxian"), logged_in("sw_tianxian")
    me = sessions.check(here)[0]
    valid_after = auth.change_own_password(me, PASSWORD, "Qiantang-River-9", "Qiantang-River-9")
    with pytest.raises(sessions.SessionEnded):
        sessions.check(elsewhere)
    assert sessions.check(sessions.Session("sw_tianxian", valid_after))[0] == me
    assert sessions.login("sw_tianxian", "Qiantang-River-9", None).ok
    assert not sessions.login("sw_tianxian", PASSWORD, None).ok


def test_the_per_run_check_is_one_primary_key_lookup(writable_db, monkeypatch):
    session = logged_in("sw_tianxian")
    statements = []
    real = db.run
    monkeypatch.setattr(
        db, "run", lambda cur, name, /, **p: statements.append(name) or real(cur, name, **p)
    )
    started = time.perf_counter()
    for _ in range(200):
        sessions.check(session)
    per_check_ms = (time.perf_counter() - started) / 200 * 1000
    assert statements == ["auth/get_user"] * 200
    print(f"session check: {per_check_ms:.2f} ms")


def test_idle_timeout_is_configurable(monkeypatch):
    monkeypatch.delenv("YIBIAOTONG_IDLE_MINUTES", raising=False)
    now = time.time()
    assert not sessions.idle_expired(now - 29 * 60, now)
    assert sessions.idle_expired(now - 31 * 60, now)
    monkeypatch.setenv("YIBIAOTONG_IDLE_MINUTES", "5")
    assert sessions.idle_expired(now - 6 * 60, now)
    # However busy, one login lasts a working day.
    assert not sessions.too_long(sessions.Session("u", now - 7.9 * 3600), now)
    assert sessions.too_long(sessions.Session("u", now - 8.1 * 3600), now)


# ---------------------------------------------------------------- the re-login cookie


KEY = "k" * 48


def test_cookie_resumes_a_live_session_and_nothing_else(admin):
    session = logged_in("leader_zlk")
    token = sessions.issue_token(session, KEY)
    assert sessions.resume(token, KEY) == session
    assert sessions.resume(token, "x" * 48) is None  # forged with another key
    assert sessions.resume(token + "x", KEY) is None
    assert sessions.resume("not a token", KEY) is None
    # It lives as long as the idle timeout; the UI re-issues it while the user works.
    expired = sessions.issue_token(session, KEY, now=time.time() - config.idle_minutes() * 60 - 1)
    assert sessions.resume(expired, KEY) is None
    # However busy, a login lasts one working day.
    old = sessions.Session("leader_zlk", time.time() - config.session_max_hours() * 3600 - 1)
    assert sessions.resume(sessions.issue_token(old, KEY), KEY) is None
    # After a logout (here or elsewhere) the cookie is worthless.
    sessions.logout(session)
    assert sessions.resume(token, KEY) is None
    assert access_rows("cookie_rejected")[-1][0] == "leader_zlk"


def test_sample_and_short_cookie_keys_are_refused():
    for key in (None, "", "some_key", "secret", "x" * 31):
        with pytest.raises(sessions.InsecureConfig):
            sessions.check_cookie_key(key)
    assert sessions.check_cookie_key(KEY) == KEY


def test_throttle_table_stays_small(writable_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_LOGIN_LOCK_SECONDS", "900")
    add_failures("old", "203.0.113.1", 50, ago=timedelta(hours=2))
    sessions.login("someone", "Wrong-pass-1", "203.0.113.2")
    with db.cursor() as cur:
        assert cur.execute("select count(*) from login_failure").fetchone()[0] == 1


def test_login_failures_are_counted_against_the_typed_name(writable_db):
    """Unknown names are counted like real ones, so the throttle's answers cannot list accounts."""
    sessions.login("  Ghost ", "Wrong-pass-1", "203.0.113.3")
    with db.cursor() as cur:
        rows = cur.execute("select username, address from login_failure").fetchall()
    assert rows == [("ghost", "203.0.113.3")]
