"""用户管理: accounts, their rights, passwords, locks and deactivation (all logged)."""

import streamlit as st

from yibiaotong import auth, catalog, config, passwords
from yibiaotong.scope import ROLE_ORG_LEVEL, ROLES, AccessDenied
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash, page_header, require_role

scope = require_role("district_admin")
page_header("users")

LOCK_LABELS = {15: "15 分钟", 60: "1 小时", 240: "4 小时", 1440: "1 天"}
departments = catalog.departments()
users = auth.list_users(scope)
by_name = {u["username"]: u for u in users}
seconds = config.login_lock_seconds()
window = f"{seconds // 60} 分钟" if seconds >= 60 else f"{seconds} 秒"

st.dataframe(
    [
        {
            "用户名": u["username"],
            "姓名": u["name"],
            "角色": ROLES[u["role"]],
            "辖区": u["org_name"],
            "部门": departments.get(u["department"], "") if u["department"] else "",
            "敏感信息": "可查看" if u["clearance"] else "脱敏",
            "状态": auth.user_state(u),
            f"近 {window}登录失败": u["recent_failures"],
        }
        for u in users
    ],
    hide_index=True,
    placeholder="",
)


def act(action, *args, success, **kwargs) -> None:
    """Run a user-management call: a refusal is shown; success gets a toast and a fresh page."""
    try:
        result = action(scope, *args, **kwargs)
    except (auth.AuthError, AccessDenied) as exc:
        st.error(literal(exc))
        return
    flash(success(result) if callable(success) else success)
    st.rerun()


org_labels = catalog.org_labels(scope.org_code)


def org_choices(role: str) -> list[str]:
    levels = ROLE_ORG_LEVEL[role]
    return [u["code"] for u in catalog.org_units_under(scope.org_code) if u["level"] in levels]


def label(username: str) -> str:
    u = by_name[username]
    return f"{u['username']}（{u['name']}，{auth.user_state(u)}）"


add_tab, rights_tab, password_tab, access_tab = st.tabs(
    ["新增用户", "修改权限", "重置密码", "锁定 / 停用"]
)

with add_tab:
    role = st.selectbox("角色", list(ROLES), format_func=ROLES.get, key="users_add_role")
    with st.form("users_add"):
        c1, c2 = st.columns(2)
        new_username = c1.text_input("用户名", placeholder="如 sw_tianxian2")
        new_name = c2.text_input("姓名")
        org_code = c1.selectbox("辖区", org_choices(role), format_func=org_labels.__getitem__)
        department = c2.selectbox(
            "部门（条线部门人员必填）",
            [None, *departments],
            format_func=lambda d: "无" if d is None else departments[d],
        )
        password = st.text_input("初始密码", type="password", help=passwords.RULES)
        st.caption("新用户首次登录时必须修改初始密码。")
        if st.form_submit_button("创建用户", type="primary"):
            act(
                auth.add_user,
                *(new_username, new_name, password, role, org_code, department),
                success=f"已创建用户 {new_username.strip().lower()}",
            )

with rights_tab:
    who = st.selectbox("用户", list(by_name), format_func=label, key="users_rights_user")
    if who:
        u = by_name[who]
        new_role = st.selectbox(
            "角色",
            list(ROLES),
            list(ROLES).index(u["role"]),
            format_func=ROLES.get,
            key=f"users_role_{who}",
        )
        choices = org_choices(new_role)
        with st.form(f"users_rights_{who}"):
            c1, c2 = st.columns(2)
            new_org = c1.selectbox(
                "辖区",
                choices,
                # the user's own unit, or the one above or below it at the new role's level
                next(
                    (
                        i
                        for i, c in enumerate(choices)
                        if c.startswith(u["org_code"]) or u["org_code"].startswith(c)
                    ),
                    0,
                ),
                format_func=org_labels.__getitem__,
            )
            dept_options = [None, *departments]
            new_department = c2.selectbox(
                "部门",
                dept_options,
                dept_options.index(u["department"]) if u["department"] in dept_options else 0,
                format_func=lambda d: "无" if d is None else departments[d],
            )
            new_clearance = st.toggle("可查看完整的身份证号、电话等敏感信息", u["clearance"])
            st.caption("保存后该用户的登录全部结束，重新登录后按新的权限使用。")
            if st.form_submit_button("保存修改", type="primary"):
                act(
                    auth.update_user,
                    who,
                    role=new_role,
                    org_code=new_org,
                    department=new_department,
                    clearance=new_clearance,
                    success=lambda changes: (
                        f"{who}：{'；'.join(changes)}" if changes else "没有变化"
                    ),
                )

with password_tab, st.form("users_password", clear_on_submit=True):
    who = st.selectbox("用户", list(by_name), format_func=label, key="users_password_user")
    new_password = st.text_input("新密码", type="password", help=passwords.RULES)
    st.caption("重置后该用户的登录全部结束，下次登录须先修改密码。")
    if st.form_submit_button("重置密码"):
        act(auth.reset_password, who, new_password, success=f"已重置 {who} 的密码")

with access_tab:
    who = st.selectbox("用户", list(by_name), format_func=label, key="users_access_user")
    if who:
        u = by_name[who]
        st.caption(
            "锁定：在所选时间内不能登录，已登录的会话立即结束，到期自动解除；解锁同时清除登录失败记录。"
            "停用：长期不能登录（如调离），可随时重新启用。"
        )
        c1, c2, c3, c4 = st.columns([1.4, 1, 1, 1], vertical_alignment="bottom")
        minutes = c1.selectbox("锁定时长", list(LOCK_LABELS), 1, format_func=LOCK_LABELS.get)
        if c2.button("锁定", key="users_lock", disabled=who == scope.username or not u["active"]):
            act(auth.lock_user, who, minutes, success=lambda t: f"已锁定 {who} 至 {t:%m-%d %H:%M}")
        if c3.button("解锁", key="users_unlock"):
            act(auth.unlock_user, who, success=f"已解锁 {who}")
        if u["active"]:
            if c4.button("停用", key="users_deactivate", type="primary"):
                act(auth.set_active, who, False, success=f"已停用 {who}")
        elif c4.button("启用", key="users_reactivate", type="primary"):
            act(auth.set_active, who, True, success=f"已启用 {who}")
