"""用户管理: accounts, roles, org units; unlock locked accounts."""

import streamlit as st

from yibiaotong import auth, catalog
from yibiaotong.scope import ROLES
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin")
page_header("users")

users = auth.list_users()
st.dataframe(
    [
        {
            "用户名": u["username"],
            "姓名": u["name"],
            "角色": ROLES[u["role"]],
            "辖区": u["org_name"],
            "部门": catalog.department_name(u["department"]) if u["department"] else "",
            "敏感信息": "可查看" if u["clearance"] else "脱敏",
            "状态": auth.user_state(u),
        }
        for u in users
    ],
    hide_index=True,
    placeholder="",
)

add_tab, password_tab, lock_tab = st.tabs(["新增用户", "重置密码", "锁定 / 解锁"])
usernames = [u["username"] for u in users]

with add_tab, st.form("users_add", clear_on_submit=False):
    c1, c2 = st.columns(2)
    new_username = c1.text_input("用户名", placeholder="如 sw_tianxian2")
    new_name = c2.text_input("姓名")
    role = c1.selectbox("角色", list(ROLES), format_func=ROLES.get)
    units = catalog.org_units_under(scope.org_code)
    org_code = c2.selectbox("辖区", [u["code"] for u in units], format_func=catalog.org_label)
    departments = catalog.departments()
    department = c1.selectbox(
        "部门（条线部门人员必填）",
        [None, *departments],
        format_func=lambda d: "无" if d is None else departments[d],
    )
    password = c2.text_input(
        "初始密码", type="password", help="8–64 字节，至少含字母、数字、符号中的两类"
    )
    if st.form_submit_button("创建用户", type="primary"):
        try:
            auth.add_user(
                new_username, new_name, password, role, org_code, department, by=scope.username
            )
        except auth.AuthError as exc:
            st.error(str(exc))
        else:
            st.toast(f"已创建用户 {new_username}")
            st.rerun()

with password_tab, st.form("users_password"):
    who = st.selectbox("用户", usernames, key="users_password_user")
    new_password = st.text_input("新密码", type="password")
    if st.form_submit_button("重置密码"):
        try:
            auth.set_password(who, new_password, by=scope.username)
        except auth.AuthError as exc:
            st.error(str(exc))
        else:
            st.toast(f"已重置 {who} 的密码，其已登录的 Cookie 全部作废")

with lock_tab:
    who = st.selectbox("用户", usernames, key="users_lock_user")
    c1, c2 = st.columns(2)
    if c1.button("锁定账户", key="users_lock", disabled=who == scope.username):
        auth.lock_user(who, by=scope.username)
        st.toast(f"已锁定 {who}")
        st.rerun()
    if c2.button("解锁账户", key="users_unlock", type="primary"):
        auth.unlock_user(who, by=scope.username)
        st.toast(f"已解锁 {who}")
        st.rerun()
