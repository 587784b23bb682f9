"""访问日志: audit logins, lock-outs, exports and reports."""

import math

import streamlit as st

from yibiaotong import auth
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin")
page_header("access_log")

PAGE_SIZE = 50
left, right = st.columns(2)
username = left.text_input("用户名", key="access_log_user", placeholder="全部用户").strip().lower()
action = right.selectbox(
    "事件",
    [None, *auth.ACCESS_ACTIONS],
    format_func=lambda a: "全部事件" if a is None else auth.ACCESS_ACTIONS[a],
    key="access_log_action",
)
total = auth.access_log_count(scope, username or None, action)
pages = max(1, math.ceil(total / PAGE_SIZE))
st.caption(f"共 {total:,} 条记录")
page = st.pagination(pages, key="access_log_page") if pages > 1 else 1
rows = auth.access_log_page(scope, username or None, action, PAGE_SIZE, (page - 1) * PAGE_SIZE)
rows["action"] = rows["action"].map(lambda a: auth.ACCESS_ACTIONS.get(a, a))
rows["client_address"] = rows["client_address"].fillna("")
st.dataframe(
    rows,
    hide_index=True,
    column_config={
        "logged_at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm:ss"),
        "username": "用户",
        "action": "事件",
        "detail": "详情",
        "client_address": "客户端地址",
    },
    placeholder="",
)
