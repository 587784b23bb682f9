"""报表运行记录: who generated which report for which unit, and the hours it saved."""

import streamlit as st

from yibiaotong.ui import report_view
from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header("report_runs")

report_view.savings(scope)
st.subheader("运行记录")
report_view.run_log(scope)
