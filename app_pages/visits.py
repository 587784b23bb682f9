"""我的走访: a social worker's households of the open campaign, and one household's card."""

import streamlit as st

from yibiaotong.ui import visit_view
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("social_worker")
page_header("visits")

if visit_view.CARD in st.session_state:
    visit_view.card(scope)
elif campaign := visit_view.campaign_picker(scope):
    visit_view.task_list(scope, campaign)
