"""Login and sessions: a throttled password login that reveals nothing, the re-login cookie,
and the check every run makes that its session is still valid (no Streamlit here)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from yibiaotong import auth, config, db, passwords
from yibiaotong.scope import Scope

# Throttle, all within the sliding window config.login_lock_seconds() (default 15 minutes):
PAIR_LIMIT = 5  # failures for one account from one address: that pair waits
ADDRESS_SLOW = 10  # failures from one address (any account): each further try waits 2^k s …
ADDRESS_LIMIT = 30  # … and from here on the address waits
ACCOUNT_LIMIT = 20  # failures for one account from anywhere: only its known addresses may try
KNOWN_ADDRESS_DAYS = 30

GENERIC_FAILURE = "用户名或密码错误，或账户暂不可用。"

# Keys printed in streamlit-authenticator's docs and examples: anyone can forge cookies with them.
SAMPLE_COOKIE_KEYS = frozenset(
    {
        "some_key",
        "some_signature_key",
        "random_signature_key",
        "abcdef",
        "secret",
        "key",
        "test",
        "changeme",
        "some_cookie_name",
    }
)


class InsecureConfig(RuntimeError):
    """The console refuses to start with this configuration."""


class SessionEnded(Exception):
    """The session may not go on; the message tells the user why."""


@dataclass(frozen=True)
class Session:
    username: str
    login_at: float  # unix seconds; a revocation after this ends the session


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    session: Session | None = None


# ---------------------------------------------------------------- password login


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds} 秒" if seconds < 60 else f"{-(-seconds // 60)} 分钟"


def _refusal(t: dict, now: datetime, window: timedelta) -> str | None:
    """Why this attempt is refused before any password check, or None. Nothing here depends on
    whether the account exists: failures are counted against whatever username was typed."""
    if t["address_failures"] >= ADDRESS_LIMIT:
        left = (t["first_address_failure"] + window - now).total_seconds()
        return f"本机登录失败次数过多，已暂停登录，请 {_duration(left)}后再试。"
    if t["address_failures"] >= ADDRESS_SLOW:
        gap = min(60, 2 ** (t["address_failures"] - ADDRESS_SLOW))
        left = gap - (now - t["last_address_failure"]).total_seconds()
        if left > 0:
            return f"本机登录失败较多，请 {_duration(left)}后再试。"
    if t["pair_failures"] >= PAIR_LIMIT:
        left = (t["first_pair_failure"] + window - now).total_seconds()
        return f"该账户在本机登录失败次数过多，请 {_duration(left)}后再试。"
    if t["account_failures"] >= ACCOUNT_LIMIT and not t["known_address"]:
        left = (t["first_account_failure"] + window - now).total_seconds()
        return (
            "该账户近期在多处登录失败，暂时只能从曾经登录过的电脑登录。"
            f"请 {_duration(left)}后再试，或联系管理员。"
        )
    return None


def login(username: str, password: str, address: str | None) -> LoginResult:
    """Check a password. Unknown users, wrong passwords, locked and deactivated accounts get the
    same message after the same work (one bcrypt check each); the outcome is written afterwards,
    so bcrypt never runs under the write lock."""
    username = (username or "").strip().lower()[:64]
    where = address or ""
    now = datetime.now()  # all throttle times are this clock's, never the database's
    window = timedelta(seconds=config.login_lock_seconds())
    throttle = db.fetch_dicts(
        "auth/login_throttle",
        username=username,
        address=where,
        since=now - window,
        known_since=now - timedelta(days=KNOWN_ADDRESS_DAYS),
    )[0]
    if message := _refusal(throttle, now, window):
        with db.transaction() as cur:
            auth.log_access(cur, username, "login_throttled", message, address)
        return LoginResult(False, message)

    user = auth.get_user(username)
    password_ok = passwords.verify(password, user["password_hash"] if user else None)
    if user is None:
        why = "用户不存在"
    elif not password_ok:
        why = "密码错误"
    elif not user["active"]:
        why = "账户已停用"
    elif auth.is_locked(user):
        why = "账户锁定中"
    else:
        with db.transaction() as cur:
            db.run(cur, "auth/clear_login_failures", username=username, address=where)
            db.run(cur, "auth/remember_address", username=username, address=where, at=now)
            auth.log_access(cur, username, "login_ok", "密码登录", address)
        return LoginResult(True, session=Session(username, time.time()))

    with db.transaction() as cur:
        db.run(cur, "auth/prune_login_failures", before=now - window)
        db.run(cur, "auth/insert_login_failure", username=username, address=where, failed_at=now)
        auth.log_access(cur, username, "login_failed", why, address)
    left = PAIR_LIMIT - throttle["pair_failures"] - 1
    if left > 0:
        return LoginResult(False, f"{GENERIC_FAILURE}再失败 {left} 次，本机将暂停该账户登录。")
    return LoginResult(
        False, f"登录失败次数过多，本机暂停该账户登录 {_duration(window.total_seconds())}。"
    )


# ---------------------------------------------------------------- the per-run check


def check(session: Session) -> tuple[Scope, bool]:
    """The caller's fresh Scope and whether they must change their password first; raises
    SessionEnded when the account was deactivated, locked, or its sessions revoked (logout
    elsewhere, password change or reset, a change of rights) after this session began.
    One primary-key lookup."""
    user = auth.get_user(session.username)
    if user is None or not user["active"]:
        raise SessionEnded("账户已停用，会话已结束。如有疑问请联系管理员。")
    if auth.is_locked(user):
        raise SessionEnded("账户已被管理员临时锁定，会话已结束。")
    if user["sessions_valid_after"] > session.login_at:
        raise SessionEnded(
            "本会话已结束：您在别处退出了登录、密码已修改，或账户权限有变更。请重新登录。"
        )
    return auth.scope_of(user), bool(user["must_change_password"])


def idle_expired(last_active: float, now: float | None = None) -> bool:
    return (now or time.time()) - last_active > config.idle_minutes() * 60


def too_long(session: Session, now: float | None = None) -> bool:
    """However busy, a login lasts one working day."""
    return (now or time.time()) - session.login_at > config.session_max_hours() * 3600


def end(session: Session, reason: str) -> None:
    """Log why a session ended (idle, revoked …)."""
    auth.record(session.username, "session_ended", reason)


def logout(session: Session) -> None:
    """End every session of the user: the re-login cookie and other tabs stop working."""
    with db.transaction() as cur:
        db.run(cur, "auth/revoke_sessions", username=session.username, after=time.time())
        auth.log_access(cur, session.username, "logout", "退出登录，全部会话结束")


# ---------------------------------------------------------------- the re-login cookie


def issue_token(session: Session, key: str, now: float | None = None) -> str:
    """A signed cookie that expires after the idle timeout; the UI re-issues it while the user
    works, so a browser left alone (or closed) for longer must log in again."""
    now = now or time.time()
    claims = {
        "sub": session.username,
        "login": session.login_at,
        "exp": int(now + config.idle_minutes() * 60),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def resume(token: str | None, key: str) -> Session | None:
    """The session a re-login cookie stands for, if it is still good (and logged)."""
    if not token:
        return None
    try:
        claims = jwt.decode(
            token, key, algorithms=["HS256"], options={"require": ["exp", "sub", "login"]}
        )
        session = Session(str(claims["sub"]), float(claims["login"]))
    except (jwt.PyJWTError, TypeError, ValueError):
        return None
    if too_long(session):
        return None
    try:
        check(session)
    except SessionEnded as exc:
        auth.record(session.username, "cookie_rejected", str(exc))
        return None
    auth.record(session.username, "login_cookie", "Cookie 自动登录")
    return session


def check_cookie_key(key: str | None) -> str:
    if not key:
        raise InsecureConfig("未找到 Cookie 签名密钥。请先运行 `yibiaotong init` 生成。")
    if key.strip().lower() in SAMPLE_COOKIE_KEYS or len(key.encode()) < 32:
        raise InsecureConfig(
            "Cookie 签名密钥是示例值或短于 32 字节，任何人都能伪造登录。"
            "请删除密钥文件后运行 `yibiaotong init` 重新生成。"
        )
    return key


def cookie_key() -> str:
    """The signing key: $YIBIAOTONG_COOKIE_KEY, else the key file beside the database."""
    key = os.environ.get("YIBIAOTONG_COOKIE_KEY")
    if key is None:
        path = config.secret_key_path()
        key = path.read_text(encoding="utf-8").strip() if path.exists() else None
    return check_cookie_key(key)


def ensure_cookie_key() -> bool:
    """Create a 48-byte random key file readable by its owner only; True when created."""
    path = config.secret_key_path()
    if path.exists():
        path.chmod(0o600)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48))
    return True
