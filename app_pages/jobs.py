"""任务: running and recent jobs with their progress, results and logs; admins start upkeep jobs."""

import streamlit as st

from yibiaotong.ui import job_view
from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header("jobs")

if scope.role == "district_admin":
    left, right, _ = st.columns([1, 1, 2])
    if left.button("立即备份", icon=":material/backup:", key="jobs_backup"):
        job_view.start(scope, "backup", "jobs_pick")
    if right.button("重新计算规则标签", icon=":material/sell:", key="jobs_refresh"):
        job_view.start(scope, "refresh_tags", "jobs_pick")

job_view.job_list(scope)
