"""Users, password hashes, login throttle, session revocation and the cookie key (no Streamlit)."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt

from yibiaotong import config, db
from yibiaotong.scope import DEFAULT_CLEARANCE, ROLE_ORG_LEVEL, ROLES, Scope

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
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")


class AuthError(ValueError):
    """A user-management request that cannot be done; the message is shown to the user."""


class InsecureConfig(RuntimeError):
    """The console refuses to start with this configuration."""


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""


# ---------------------------------------------------------------- cookie key


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
    """Create a 48-byte random key file (mode 600) if none exists; True when created."""
    path = config.secret_key_path()
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48))
    return True


# ---------------------------------------------------------------- passwords


def check_password_policy(password: str) -> None:
    size = len(password.encode("utf-8"))
    if size < 8 or size > 64:
        raise AuthError("密码长度须为 8–64 字节（一个汉字占 3 字节）。")
    if password != password.strip():
        raise AuthError("密码首尾不能是空格。")
    kinds = sum(
        (
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if kinds < 2:
        raise AuthError("密码须至少包含字母、数字、符号中的两类。")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode()


def _verify(password: str, password_hash: str) -> bool:
    data = password.encode("utf-8")
    if len(data) > 72:  # bcrypt 5 raises instead of truncating
        return False
    return bcrypt.checkpw(data, password_hash.encode())


# ---------------------------------------------------------------- users


def get_user(username: str) -> dict | None:
    rows = db.fetch_dicts("auth/get_user", username=username)
    return rows[0] if rows else None


def list_users() -> list[dict]:
    return db.fetch_dicts("auth/list_users")


def add_user(
    username: str,
    name: str,
    password: str,
    role: str,
    org_code: str,
    department: str | None = None,
    clearance: bool | None = None,
    by: str = "system",
) -> None:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AuthError("用户名须为 3–32 位小写字母、数字或 _ . -，以字母开头。")
    if role not in ROLES:
        raise AuthError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）")
    org = db.fetch_dicts("auth/get_org_unit", code=org_code)
    if not org:
        raise AuthError(f"组织机构代码不存在：{org_code}")
    if org[0]["level"] not in ROLE_ORG_LEVEL[role]:
        raise AuthError(f"角色“{ROLES[role]}”不能绑定到{org[0]['name']}这一层级。")
    if role == "dept_staff" and not department:
        raise AuthError("条线部门人员须指定所属部门。")
    if department and not db.fetch_one("auth/get_department", code=department):
        raise AuthError(f"部门代码不存在：{department}")
    if get_user(username):
        raise AuthError(f"用户名已存在：{username}")
    if not name.strip():
        raise AuthError("姓名不能为空。")
    with db.transaction() as cur:
        db.run(
            cur,
            "auth/insert_user",
            username=username,
            name=name.strip(),
            password_hash=hash_password(password),
            role=role,
            org_code=org_code,
            department=department,
            clearance=DEFAULT_CLEARANCE[role] if clearance is None else clearance,
        )
        log_access(cur, by, "user_add", f"{username} {role} {org_code}")


def _require_user(username: str) -> dict:
    user = get_user(username)
    if not user:
        raise AuthError(f"用户不存在：{username}")
    return user


def set_password(username: str, password: str, by: str = "system") -> None:
    _require_user(username)
    with db.transaction() as cur:
        db.run(cur, "auth/set_password", username=username, password_hash=hash_password(password))
        db.run(cur, "auth/revoke_sessions", username=username, after=time.time())
        log_access(cur, by, "password_set", username)


def lock_user(username: str, minutes: int = 60 * 24 * 365, by: str = "system") -> None:
    _require_user(username)
    until = datetime.now() + timedelta(minutes=minutes)
    with db.transaction() as cur:
        db.run(cur, "auth/set_lock", username=username, locked_until=until, failed_logins=0)
        db.run(cur, "auth/revoke_sessions", username=username, after=time.time())
        log_access(cur, by, "user_lock", f"{username} 至 {until:%Y-%m-%d %H:%M}")


def unlock_user(username: str, by: str = "system") -> None:
    _require_user(username)
    with db.transaction() as cur:
        db.run(cur, "auth/set_lock", username=username, locked_until=None, failed_logins=0)
        log_access(cur, by, "user_unlock", username)


def user_state(user: dict) -> str:
    """Readable account state for the admin list."""
    if not user["active"]:
        return "已停用"
    if user["locked_until"] and user["locked_until"] > datetime.now():
        return f"锁定至 {user['locked_until']:%m-%d %H:%M}"
    return "正常"


def scope_for(username: str) -> Scope | None:
    """The Scope of an active user, read fresh so role or org changes apply at once."""
    user = get_user(username)
    if not user or not user["active"]:
        return None
    return Scope(
        username=user["username"],
        role=user["role"],
        org_code=user["org_code"],
        clearance=user["clearance"],
        department=user["department"],
        name=user["name"],
    )


def credentials() -> dict:
    """streamlit-authenticator's credentials dict, built from the database (auto_hash=False)."""
    return {
        "usernames": {
            u["username"]: {
                "name": u["name"],
                "password": u["password_hash"],
                "roles": [u["role"]],
                "email": None,
            }
            for u in db.fetch_dicts("auth/list_login_users")
        }
    }


# ---------------------------------------------------------------- login throttle and sessions


def check_login(username: str, password: str) -> LoginResult:
    """Verify a password with our own time-windowed throttle; every attempt is logged."""
    username = (username or "").strip().lower()
    now = datetime.now()
    with db.transaction() as cur:
        rows = db.run(cur, "auth/get_user", username=username).fetchall()
        if not rows:
            log_access(cur, username, "login_failed", "用户不存在")
            return LoginResult(False, "用户名或密码错误。")
        cols = [d[0] for d in cur.description]
        user = dict(zip(cols, rows[0], strict=True))
        if not user["active"]:
            log_access(cur, username, "login_failed", "账户已停用")
            return LoginResult(False, "账户已停用，请联系管理员。")
        locked_until = user["locked_until"]
        if locked_until and locked_until > now:
            log_access(cur, username, "login_locked", f"锁定至 {locked_until:%H:%M:%S}")
            left = _duration((locked_until - now).total_seconds())
            return LoginResult(False, f"登录失败次数过多，账户已锁定，请 {left}后再试。")
        if _verify(password or "", user["password_hash"]):
            db.run(cur, "auth/set_lock", username=username, locked_until=None, failed_logins=0)
            log_access(cur, username, "login_ok", "密码登录")
            return LoginResult(True)
        failures = user["failed_logins"] + 1
        if failures >= config.MAX_FAILED_LOGINS:
            until = now + timedelta(seconds=config.login_lock_seconds())
            db.run(cur, "auth/set_lock", username=username, locked_until=until, failed_logins=0)
            log_access(
                cur, username, "login_failed", f"第 {failures} 次失败，锁定至 {until:%H:%M:%S}"
            )
            return LoginResult(
                False, f"密码错误次数过多，账户已锁定 {_duration(config.login_lock_seconds())}。"
            )
        db.run(cur, "auth/set_lock", username=username, locked_until=None, failed_logins=failures)
        log_access(cur, username, "login_failed", f"密码错误（第 {failures} 次）")
        left = config.MAX_FAILED_LOGINS - failures
        return LoginResult(False, f"用户名或密码错误，再错 {left} 次将锁定账户。")


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds} 秒" if seconds < 60 else f"{-(-seconds // 60)} 分钟"


def revoke_sessions(username: str, reason: str = "logout") -> None:
    """Make every re-login cookie issued until now worthless (logout, password change)."""
    with db.transaction() as cur:
        db.run(cur, "auth/revoke_sessions", username=username, after=time.time())
        log_access(cur, username, reason, "注销登录，旧 Cookie 作废")


def cookie_is_current(username: str, issued_at: float) -> bool:
    """A re-login cookie counts only if issued after the user's last logout and not locked."""
    user = get_user(username)
    if not user or not user["active"]:
        return False
    if user["locked_until"] and user["locked_until"] > datetime.now():
        return False
    return issued_at > user["sessions_valid_after"]


def log_access(cur, username: str | None, action: str, detail: str = "") -> None:
    db.run(cur, "auth/insert_access_log", username=username, action=action, detail=detail)


def record(username: str | None, action: str, detail: str = "") -> None:
    """Log one access event in its own transaction."""
    with db.transaction() as cur:
        log_access(cur, username, action, detail)


ACCESS_ACTIONS = {
    "login_ok": "密码登录成功",
    "login_cookie": "Cookie 自动登录",
    "login_failed": "登录失败",
    "login_locked": "锁定期间尝试登录",
    "cookie_rejected": "旧 Cookie 被拒绝",
    "logout": "退出登录",
    "user_add": "新增用户",
    "user_lock": "锁定用户",
    "user_unlock": "解锁用户",
    "password_set": "重置密码",
    "record_view": "查看记录（含敏感信息）",
    "tag_query_export": "标签查询导出",
    "tag_rule_edit": "修改规则标签",
    "report_generate": "生成报表",
    "report_unmasked": "生成未脱敏报表",
    "report_template_save": "保存报表模板",
    "dashboard_export": "导出大屏汇总",
    "job_download": "下载任务结果",
}


def access_log_page(username: str | None, action: str | None, limit: int, offset: int):
    """One page of the access log (admin only: the page gate enforces the role)."""
    return db.fetch_df(
        "auth/list_access_log", username=username, action=action, limit=limit, offset=offset
    )


def access_log_count(username: str | None, action: str | None) -> int:
    return db.fetch_value("auth/count_access_log", username=username, action=action)
