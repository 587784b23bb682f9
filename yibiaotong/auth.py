"""Users and the access log: every user-management call takes the caller's Scope and checks it."""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from datetime import datetime, timedelta

from yibiaotong import catalog, config, db, passwords
from yibiaotong.permissions import checked
from yibiaotong.scope import DEFAULT_CLEARANCE, ROLE_ORG_LEVEL, ROLES, AccessDenied, Scope

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
LOCK_MINUTES = (15, 60, 240, 24 * 60)  # an admin lock lasts a window; deactivation keeps people out
MAX_LOCK_MINUTES = 7 * 24 * 60

# The client address of the run in progress (set by the UI per run; None in the CLI and jobs),
# written into every access-log row without each caller passing it along.
client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


class AuthError(ValueError):
    """A user-management request that cannot be done; the message is shown to the user."""


# ---------------------------------------------------------------- lookups


def get_user(username: str) -> dict | None:
    """One account with its hash and session state (login machinery and tests only)."""
    rows = db.fetch_dicts("auth/get_user", username=username)
    return rows[0] if rows else None


def scope_for(username: str) -> Scope | None:
    """The Scope of an active user, read fresh so role or org changes apply at once."""
    user = get_user(username)
    return scope_of(user) if user and user["active"] else None


def scope_of(user: dict) -> Scope:
    return Scope(
        username=user["username"],
        role=user["role"],
        org_code=user["org_code"],
        clearance=user["clearance"],
        department=user["department"],
        name=user["name"],
    )


def system_scope(name: str = "system") -> Scope:
    """The caller for the command line and set-up: a district admin of the whole district."""
    return Scope(name, "district_admin", db.fetch_value("auth/district_code"), True, name=name)


def count_users() -> int:
    return db.fetch_value("auth/count_users")


def install_kind() -> str | None:
    """'demo' (synthetic district, published demo accounts), 'real', or None before set-up."""
    return db.fetch_value("settings/get_setting", key="install_kind")


def is_locked(user: dict, now: datetime | None = None) -> bool:
    return bool(user["locked_until"] and user["locked_until"] > (now or datetime.now()))


def user_state(user: dict) -> str:
    """Readable account state for the admin list."""
    if not user["active"]:
        return "已停用"
    if is_locked(user):
        return f"锁定至 {user['locked_until']:%m-%d %H:%M}"
    if user["must_change_password"]:
        return "待首次改密"
    return "正常"


# ---------------------------------------------------------------- the caller's rights


def _require_admin(caller: Scope, org_code: str | None = None) -> None:
    if caller.role != "district_admin":
        raise AccessDenied("只有区数据局管理员可以管理用户。")
    if org_code is not None and not caller.covers(org_code):
        raise AccessDenied("只能管理本辖区内的用户。")


def _managed_user(caller: Scope, username: str) -> dict:
    """The account `username` if the caller may manage it; absent and out of reach look alike."""
    _require_admin(caller)
    user = get_user((username or "").strip().lower())
    if not user or not caller.covers(user["org_code"]):
        raise AuthError(f"用户不存在，或不在您的管理范围内：{username}")
    return user


def _check_placement(
    caller: Scope, role: str, org_code: str, department: str | None
) -> tuple[str, str | None]:
    if role not in ROLES:
        raise AuthError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）")
    _require_admin(caller, org_code)
    org = catalog.org_unit(org_code)
    if org is None:
        raise AuthError(f"组织机构代码不存在：{org_code}")
    if org["level"] not in ROLE_ORG_LEVEL[role]:
        raise AuthError(f"角色“{ROLES[role]}”不能绑定到{org['name']}这一层级。")
    department = department or None
    if role == "dept_staff" and not department:
        raise AuthError("条线部门人员须指定所属部门。")
    if department and catalog.department_name(department) is None:
        raise AuthError(f"部门代码不存在：{department}")
    return org_code, department


def _require_strong(password: str, username: str, name: str) -> None:
    if why := passwords.weakness(password, username, name):
        raise AuthError(why)


def _keep_an_admin(cur, username: str) -> None:
    """Refuse a change that would leave no active district admin (checked under the write lock)."""
    if not db.run(cur, "auth/count_other_admins", username=username).fetchone()[0]:
        raise AuthError("系统中必须至少保留一名在用的区数据局管理员，此操作会使系统无人可管理。")


# ---------------------------------------------------------------- user management


def insert_user(
    cur,
    username: str,
    name: str,
    password_hash: str,
    role: str,
    org_code: str,
    *,
    department: str | None = None,
    clearance: bool | None = None,
    must_change: bool,
) -> None:
    """Write one account (already checked, password already hashed outside the write lock)."""
    db.run(
        cur,
        "auth/insert_user",
        username=username,
        name=name,
        password_hash=password_hash,
        role=role,
        org_code=org_code,
        department=department,
        clearance=DEFAULT_CLEARANCE[role] if clearance is None else clearance,
        must_change_password=must_change,
    )


def _replace_password(
    caller: Scope, username: str, password: str, must_change: bool, action: str, detail: str
) -> float:
    """Store a new password and end every session of `username`; returns the revocation time."""
    password_hash = passwords.hash_password(password)  # bcrypt outside the write lock
    valid_after = time.time()
    with db.transaction() as cur:
        db.run(
            cur,
            "auth/set_password",
            username=username,
            password_hash=password_hash,
            must_change_password=must_change,
        )
        db.run(cur, "auth/revoke_sessions", username=username, after=valid_after)
        log_access(cur, caller.username, action, detail)
    return valid_after


@checked
def list_users(caller: Scope) -> list[dict]:
    """Accounts in the caller's subtree, with failed logins in the current throttle window."""
    _require_admin(caller)
    since = datetime.now() - timedelta(seconds=config.login_lock_seconds())
    return db.fetch_dicts("auth/list_users", org_code=caller.org_code, since=since)


@checked
def add_user(
    caller: Scope,
    username: str,
    name: str,
    password: str,
    role: str,
    org_code: str,
    department: str | None = None,
    clearance: bool | None = None,
) -> None:
    """A new account; its first login must change the password the admin chose."""
    username = (username or "").strip().lower()
    name = (name or "").strip()
    org_code, department = _check_placement(caller, role, org_code, department)
    if not USERNAME_RE.match(username):
        raise AuthError("用户名须为 3–32 位小写字母、数字或 _ . -，以字母开头。")
    if not name:
        raise AuthError("姓名不能为空。")
    if get_user(username):
        raise AuthError(f"用户名已存在：{username}")
    _require_strong(password, username, name)
    password_hash = passwords.hash_password(password)  # bcrypt outside the write lock
    with db.transaction() as cur:
        insert_user(
            cur,
            username,
            name,
            password_hash,
            role,
            org_code,
            department=department,
            clearance=clearance,
            must_change=True,
        )
        log_access(cur, caller.username, "user_add", f"{username} {ROLES[role]} {org_code}")


def create_first_admin(username: str, name: str, password: str) -> None:
    """The one district admin of a real install, made by `init --admin` while no account exists;
    the database is marked a real install in the same transaction. They chose the password
    themselves, so no change is forced."""
    caller = system_scope("init")
    if count_users():
        raise AuthError("数据库中已有账号；新增账号请用 `yibiaotong user add`。")
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise AuthError("用户名须为 3–32 位小写字母、数字或 _ . -，以字母开头。")
    _require_strong(password, username, name)
    password_hash = passwords.hash_password(password)
    with db.transaction() as cur:
        insert_user(
            cur,
            username,
            name.strip() or username,
            password_hash,
            "district_admin",
            caller.org_code,
            must_change=False,
        )
        db.run(cur, "settings/set_setting", key="install_kind", value="real")
        log_access(cur, caller.username, "user_add", f"{username} 首位区数据局管理员")


@checked
def reset_password(caller: Scope, username: str, password: str) -> None:
    """An admin sets a password for someone: their sessions end and they must change it."""
    user = _managed_user(caller, username)
    _require_strong(password, user["username"], user["name"])
    must_change = user["username"] != caller.username
    _replace_password(
        caller, user["username"], password, must_change, "password_set", user["username"]
    )


@checked
def change_own_password(caller: Scope, current: str, new: str, confirm: str) -> float:
    """The caller changes their own password; every other session of theirs ends. Returns the
    time sessions are valid from, which the caller's own session takes as its login time."""
    user = get_user(caller.username)
    if user is None:
        raise AuthError("只能修改本人的密码。")
    if new != confirm:
        raise AuthError("两次输入的新密码不一致。")
    if new == current:
        raise AuthError("新密码不能与当前密码相同。")
    _require_strong(new, user["username"], user["name"])
    if not passwords.verify(current, user["password_hash"]):
        raise AuthError("当前密码不正确。")
    return _replace_password(
        caller, user["username"], new, False, "password_change", "本人修改密码，其他会话已结束"
    )


@checked
def lock_user(caller: Scope, username: str, minutes: int = 60) -> datetime:
    """Keep an account out for a window (its sessions end); deactivation is for good."""
    user = _managed_user(caller, username)
    if user["username"] == caller.username:
        raise AuthError("不能锁定自己的账户。")
    if not 1 <= minutes <= MAX_LOCK_MINUTES:
        raise AuthError("锁定时长须在 1 分钟到 7 天之间；要长期禁止登录，请停用账户。")
    until = datetime.now() + timedelta(minutes=minutes)
    with db.transaction() as cur:
        db.run(cur, "auth/set_lock", username=user["username"], locked_until=until)
        db.run(cur, "auth/revoke_sessions", username=user["username"], after=time.time())
        log_access(cur, caller.username, "user_lock", f"{user['username']} 至 {until:%m-%d %H:%M}")
    return until


@checked
def unlock_user(caller: Scope, username: str) -> None:
    """Lift an admin lock and forget the account's failed logins."""
    user = _managed_user(caller, username)
    with db.transaction() as cur:
        db.run(cur, "auth/set_lock", username=user["username"], locked_until=None)
        db.run(cur, "auth/clear_login_failures", username=user["username"], address=None)
        log_access(cur, caller.username, "user_unlock", user["username"])


@checked
def set_active(caller: Scope, username: str, active: bool) -> None:
    """Deactivate (sessions end, login refused) or reactivate an account."""
    user = _managed_user(caller, username)
    if user["active"] == active:
        raise AuthError(f"{user['username']} 已经是{'启用' if active else '停用'}状态。")
    with db.transaction() as cur:
        if not active and user["role"] == "district_admin":
            _keep_an_admin(cur, user["username"])
        db.run(cur, "auth/set_active", username=user["username"], active=active)
        db.run(cur, "auth/revoke_sessions", username=user["username"], after=time.time())
        action = "user_reactivate" if active else "user_deactivate"
        log_access(cur, caller.username, action, user["username"])


@checked
def update_user(
    caller: Scope,
    username: str,
    *,
    role: str,
    org_code: str,
    department: str | None,
    clearance: bool,
) -> list[str]:
    """Change role, org unit, department and clearance; returns what changed (also logged).
    The user's sessions end, so nobody keeps working under the old rights."""
    user = _managed_user(caller, username)
    org_code, department = _check_placement(caller, role, org_code, department)
    changes = [
        f"{label} {old} → {new}"
        for label, old, new in (
            ("角色", ROLES[user["role"]], ROLES[role]),
            ("辖区", user["org_code"], org_code),
            ("部门", user["department"] or "无", department or "无"),
            ("敏感信息", _clearance(user["clearance"]), _clearance(clearance)),
        )
        if old != new
    ]
    if not changes:
        return []
    with db.transaction() as cur:
        if user["role"] == "district_admin" and role != "district_admin":
            _keep_an_admin(cur, user["username"])
        db.run(
            cur,
            "auth/update_user",
            username=user["username"],
            role=role,
            org_code=org_code,
            department=department,
            clearance=clearance,
        )
        db.run(cur, "auth/revoke_sessions", username=user["username"], after=time.time())
        log_access(cur, caller.username, "user_update", f"{user['username']}：{'；'.join(changes)}")
    return changes


def _clearance(cleared: bool) -> str:
    return "可查看" if cleared else "脱敏"


# ---------------------------------------------------------------- access log


def log_access(
    cur, username: str | None, action: str, detail: str = "", address: str | None = None
) -> None:
    """One access-log row; the client address defaults to the current run's."""
    db.run(
        cur,
        "auth/insert_access_log",
        username=username,
        action=action,
        detail=detail,
        address=address or client_address.get(),
    )


def record(username: str | None, action: str, detail: str = "") -> None:
    """Log one access event in its own transaction."""
    with db.transaction() as cur:
        log_access(cur, username, action, detail)


ACCESS_ACTIONS = {
    "login_ok": "密码登录成功",
    "login_cookie": "Cookie 自动登录",
    "login_failed": "登录失败",
    "login_throttled": "登录被限制（失败过多）",
    "cookie_rejected": "旧 Cookie 被拒绝",
    "session_ended": "会话结束",
    "logout": "退出登录",
    "user_add": "新增用户",
    "user_update": "修改用户",
    "user_lock": "锁定用户",
    "user_unlock": "解锁用户",
    "user_deactivate": "停用用户",
    "user_reactivate": "启用用户",
    "password_set": "重置密码",
    "password_change": "本人修改密码",
    "record_view": "查看记录（含敏感信息）",
    "tag_query_export": "标签查询导出",
    "tag_rule_edit": "修改规则标签",
    "report_generate": "生成报表",
    "report_unmasked": "生成未脱敏报表",
    "report_template_save": "保存报表模板",
    "dashboard_export": "导出大屏汇总",
    "admission_submit": "提交报表申请",
    "admission_request_renewal": "申请报表续期",
    "admission_resubmit": "补充后重新提交报表申请",
    "admission_withdraw": "撤回报表申请",
    "admission_return": "退回报表申请",
    "admission_approve_new": "批准报表申请（新建报表）",
    "admission_approve_existing": "批准报表申请（使用现有报表）",
    "admission_renew": "批准报表续期",
    "admission_reject": "报表申请不予通过",
    "consolidation_run": "表单归并",
    "consolidation_accept": "表单归并：纳入字段标准",
    "consolidation_templates": "表单归并：生成报表模板",
    "import_rejects": "下载导入拒绝清单",
    "visit_sheet": "下载走访采集表",
    "visit_summary": "导出走访汇总",
    "job_download": "下载任务结果",
    "cli_request": "命令行请求",
    "cli_refused": "拒绝命令行请求",
    "db_restore": "恢复数据库",
    "catalog_offer": "处理参考目录新版本",
}


@checked
def access_log_page(
    caller: Scope, username: str | None, action: str | None, limit: int, offset: int
):
    """One page of the access log (district admins only)."""
    _require_admin(caller)
    return db.fetch_df(
        "auth/list_access_log", username=username, action=action, limit=limit, offset=offset
    )


@checked
def access_log_count(caller: Scope, username: str | None, action: str | None) -> int:
    _require_admin(caller)
    return db.fetch_value("auth/count_access_log", username=username, action=action)
