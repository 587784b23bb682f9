"""The console process: serves app.py and owns the database file (jobs, CLI hand-over, backups).

`make run` starts it with `streamlit run serve.py`; Streamlit finds the st.App below and runs it
with uvicorn, calling console.lifespan at start and stop.
"""

import streamlit as st

from yibiaotong import console

app = st.App("app.py", lifespan=console.lifespan)
