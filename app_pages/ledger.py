"""台账: search the ledger in scope, open a record, edit it with history."""

import streamlit as st

from yibiaotong import ledger
from yibiaotong.ui import ledger_view
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin", "social_worker")
page_header("ledger")
ledger_view.apply_goto()

requested = st.query_params.get("entity")
requested = requested if requested in ledger.ENTITIES else "resident"
st.session_state.setdefault("ledger_entity", requested)
entity = (
    st.segmented_control(
        "台账",
        list(ledger.ENTITIES),
        format_func=ledger.ENTITIES.get,
        key="ledger_entity",
        label_visibility="collapsed",
    )
    or requested
)
if entity != requested:
    st.query_params.pop("id", None)
st.query_params["entity"] = entity
if st.query_params.get("id"):
    ledger_view.record(scope, entity, st.query_params["id"])
else:
    ledger_view.browse(scope, entity)
