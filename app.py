"""Entry point: page frame, login, role-based navigation — nothing else."""

import streamlit as st

from yibiaotong.ui import shell

st.set_page_config(page_title="一表通", page_icon=":material/table_chart:", layout="wide")
shell.style()
scope = shell.login()
shell.run_page(shell.navigation(scope))
