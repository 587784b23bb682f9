"""修改密码: every user changes their own password here."""

import streamlit as st

from yibiaotong import sessions
from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.session_view import password_form
from yibiaotong.ui.shell import page_header, require_role

scope = require_role(*ALL_ROLES)
page_header("account")

with st.container(border=True):
    if password_form(scope, sessions.cookie_key(), "account_password"):
        st.success("密码已修改。您在其他设备或浏览器上的登录已全部结束。", icon=":material/check:")
