"""数据回流: load department extracts — read, map, preview, commit, review, place, undo."""

import streamlit as st

from yibiaotong.importing import batches, review
from yibiaotong.scope import AccessDenied
from yibiaotong.ui import import_view as ui
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin", "dept_staff")
page_header("data_import")
try:
    batches.may_import(scope)
except AccessDenied as exc:
    st.warning(literal(exc), icon=":material/block:")
    st.stop()

conflicts = review.conflicts(scope, limit=1)[1]
waiting = review.unplaced(scope, limit=1)[1]
if conflicts or waiting:
    st.caption(f"待审核冲突 {conflicts:,} 项，待落地 {waiting:,} 行。")
ui.job_panel(scope)
upload_tab, conflict_tab, place_tab, log_tab = st.tabs(
    ["上传与预览", "冲突审核", "待落地", "导入日志"], key="imp_tab", on_change="rerun"
)
if upload_tab.open:
    with upload_tab:
        ui.current_batch(scope)
if conflict_tab.open:
    with conflict_tab:
        ui.conflict_queue(scope)
if place_tab.open:
    with place_tab:
        ui.unplaced_queue(scope)
if log_tab.open:
    with log_tab:
        ui.import_log(scope)
