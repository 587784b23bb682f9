"""报表中心: pick a department's template, preview it, download it as a formatted Excel form."""

import streamlit as st

from yibiaotong.ui import report_view
from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header(
    "reports", "选择部门报表，按您的辖区一键生成与纸质表样式一致的 Excel；也可整批打包下载。"
)

catalogue_tab, batch_tab, fill_tab = st.tabs(["一键生成", "批量下载", "套用本单位表样"])
with catalogue_tab:
    report_view.catalogue(scope)
with batch_tab:
    report_view.batch(scope)
with fill_tab:
    report_view.fill_form(scope)
