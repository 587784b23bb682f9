"""操作日志: every ledger change, filtered by user, entity, date and source."""

import math
from datetime import date, timedelta

import streamlit as st

from yibiaotong import ledger
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin")
page_header("change_log")

c1, c2, c3, c4 = st.columns(4)
username = c1.text_input("操作人", key="change_log_user", placeholder="全部").strip().lower()
entity = c2.selectbox(
    "对象",
    [None, *ledger.ENTITIES],
    format_func=lambda e: "全部" if e is None else ledger.ENTITIES[e],
    key="change_log_entity",
)
source = c3.selectbox(
    "来源",
    [None, "console", "event", "import"],
    format_func=lambda s: {
        None: "全部",
        "console": "控制台编辑",
        "event": "业务办理",
        "import": "数据回流",
    }[s],
    key="change_log_source",
)
days = c4.date_input(
    "日期",
    (date.today() - timedelta(days=30), date.today()),
    max_value=date.today(),
    key="change_log_days",
    format="YYYY-MM-DD",
)
date_from, date_to = (days + (None,))[:2] if isinstance(days, tuple) else (days, days)

page = st.session_state.get("change_log_page", 1)
rows, total = ledger.change_log_page(scope, username, entity, source, date_from, date_to, page)
pages = max(1, math.ceil(total / ledger.PAGE_SIZE))
st.caption(f"共 {total:,} 条修改记录")
st.dataframe(
    [
        {
            "时间": r["changed_at"].strftime("%Y-%m-%d %H:%M:%S"),
            "操作人": r["username"],
            "对象": f"{ledger.ENTITIES[r['entity']]} #{r['entity_id']}",
            "字段": r["field_name"],
            "原值": r["old"],
            "新值": r["new"],
            "来源": r["source"],
        }
        for r in rows
    ],
    hide_index=True,
    placeholder="",
)
if pages > 1:
    st.pagination(pages, key="change_log_page")
