"""我的走访 on a phone: the day's list of my households, and one household's card pre-filled from
the ledger — tap ✓ to confirm, correct or fill, record changes of members, one save."""

from __future__ import annotations

import time
from datetime import date, timedelta

import streamlit as st

from yibiaotong import catalog, ledger, visits
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash

CARD = "visit_card"  # the opened household: a snapshot kept until saved or reloaded on purpose
NO_CHANGE, MOVED_OUT, DECEASED = "none", "moved_out", "deceased"
CHANGE_NAMES = {NO_CHANGE: "无变动", MOVED_OUT: "已迁出", DECEASED: "已死亡"}
EVENT_SEXES = {"1": "男", "2": "女"}


def campaign_picker(scope: Scope) -> dict | None:
    """The open campaign the worker is working on (the newest when there are several)."""
    open_ones = [c for c in visits.list_campaigns(scope) if c["state"] == "open"]
    if not open_ones:
        st.info("目前没有进行中的走访任务。街道或区里发起走访后，您的户会出现在这里。")
        return None
    if len(open_ones) == 1:
        return open_ones[0]
    names = {c["id"]: c["name"] for c in open_ones}
    chosen = st.selectbox("走访活动", list(names), format_func=names.get, key="visit_campaign")
    return next(c for c in open_ones if c["id"] == chosen)


# ---------------------------------------------------------------- the list


def task_list(scope: Scope, campaign: dict) -> None:
    """Search, outcome filter with counts, one button per household in building / unit order."""
    st.caption(f"{campaign['name']} · 截止 {campaign['due_on']:%Y-%m-%d}")
    term = st.text_input(
        "搜索",
        placeholder="地址、门牌或姓名",
        key="visit_term",
        label_visibility="collapsed",
        on_change=_first_page,
    )
    _, counts = visits.visit_list(scope, campaign["id"], None, term, 1, 1)
    total = sum(counts.values())
    done = total - counts["pending"]
    st.progress(done / total if total else 0.0, text=f"已完成 {done} / {total} 户")
    options = {o: f"{name} {counts[o]}" for o, name in visits.OUTCOMES.items()}
    outcome = st.pills(
        "筛选",
        list(options),
        format_func=options.get,
        default="pending",
        key="visit_filter",
        on_change=_first_page,
    )
    page = st.session_state.get("visit_page", 1)
    rows, _ = visits.visit_list(scope, campaign["id"], outcome, term, page)
    if not rows:
        st.info("没有符合条件的户。")
    for row in rows:
        label = _row_label(campaign["entity"], row)
        if st.button(label, key=f"visit_open_{row['entity_id']}", width="stretch"):
            open_card(scope, campaign["id"], row["entity_id"])
            st.rerun()
    shown = counts[outcome] if outcome else total
    pages = max(1, -(-shown // visits.PAGE_SIZE))
    if pages > 1:
        left, mid, right = st.columns(3, vertical_alignment="center")
        if left.button("上一页", disabled=page <= 1, key="visit_prev", width="stretch"):
            st.session_state["visit_page"] = page - 1
            st.rerun()
        mid.caption(f"第 {page} / {pages} 页")
        if right.button("下一页", disabled=page >= pages, key="visit_next", width="stretch"):
            st.session_state["visit_page"] = page + 1
            st.rerun()


def _first_page() -> None:
    st.session_state.pop("visit_page", None)


def _row_label(entity: str, row: dict) -> str:
    place = (row["label"] or "").removeprefix("杭州市上城区")
    mark = "" if row["outcome"] == "pending" else f"【{row['outcome_name']}】"
    if entity == "household":
        return f"{mark}{place} · {row.get('head_name') or '无户主'} · {row.get('members', 0)} 人"
    return f"{mark}{place}"


def open_card(scope: Scope, campaign_id: str, entity_id: int) -> None:
    st.session_state[CARD] = {
        "visit": visits.open_visit(scope, campaign_id, entity_id),
        "opened": time.time(),
        "generation": time.time_ns(),
    }


def close_card() -> None:
    st.session_state.pop(CARD, None)


# ---------------------------------------------------------------- one household


def card(scope: Scope) -> None:
    """The opened household: members with their fields, changes of members, outcome, one save."""
    state = st.session_state[CARD]
    v = state["visit"]
    if st.button("返回列表", icon=":material/arrow_back:", key="visit_back"):
        close_card()
        st.rerun()
    st.subheader((v["label"] or "").removeprefix("杭州市上城区"))
    if v["outcome"] != "pending":
        who = v["visited_by"] or ""
        st.caption(f"已记录：{visits.OUTCOMES[v['outcome']]} · {v['visited_at']:%m-%d %H:%M} {who}")
    if v["state"] != "open":
        st.warning("该走访已结束，任务已冻结，只能查看。")
    k = f"v{state['generation']}"  # widget keys live as long as this snapshot: no lost input
    people = [r for r in v["records"] if r["entity"] == "resident"]
    with st.form(f"{k}_form", border=False, enter_to_submit=False):
        for record in v["records"]:
            _record_box(scope, record, k)
        if v["entity"] == "household":
            _member_changes(people, k)
            _newcomers(k)
        outcomes = {o: n for o, n in visits.OUTCOMES.items() if o != "pending"}
        st.radio(
            "走访结果",
            list(outcomes),
            format_func=outcomes.get,
            horizontal=True,
            index=list(outcomes).index(v["outcome"]) if v["outcome"] in outcomes else 0,
            key=f"{k}_outcome",
        )
        st.text_area("备注（选填）", value=v["note"] or "", max_chars=200, key=f"{k}_note")
        saved = st.form_submit_button(
            "保存本户", type="primary", icon=":material/save:", width="stretch"
        )
    if saved:
        _save(scope, state, k)
    if state.get("stale"):
        st.error(state["stale"])
        if st.button("载入最新信息（放弃本次录入）", key=f"{k}_reload"):
            open_card(scope, v["campaign_id"], v["entity_id"])
            st.rerun()


def _record_box(scope: Scope, record: dict, k: str) -> None:
    with st.container(border=True):
        if record["entity"] == "resident":
            facts = [record["relation"] or "成员"]
            if record["birth_year"]:
                facts.append(f"{record['birth_year']} 年生")
            st.markdown(f"**{literal(record['title'])}**  \n{' · '.join(facts)}")
        else:
            st.markdown(f"**{literal(record['title'])}**")
        for f in record["fields"]:
            key = f"{k}_{record['entity']}_{record['id']}_{f['code']}"
            _field_row(scope, f, key)


def _field_row(scope: Scope, f: dict, key: str) -> None:
    """✓ beside the pre-filled value; the input below corrects it or fills a missing one."""
    if f["missing"]:
        note = "待采集" if f["collect"] else "台账缺失，请补录"
    else:
        note = f"来源：{f['source']}"
        if f["verified_at"]:
            note += f" · 核实于 {f['verified_at']:%Y-%m-%d} {f['verified_by'] or ''}"
    left, right = st.columns([4, 1], vertical_alignment="bottom", wrap=False)
    with left:
        _input(f, key)
    right.checkbox("✓", key=f"{key}__ok", disabled=f["missing"], help="信息无误，确认")
    st.caption(note)


def _input(f: dict, key: str) -> None:
    label = f["name"]
    if f["hidden"]:  # masked for an uncleared caller: shown, never editable, never sent back
        st.text_input(label, f["shown"], disabled=True, key=key)
        return
    value = f["value"]
    if f["data_type"] == "code":
        items = catalog.code_items(f["code_list"])
        options = [None, *items]
        st.selectbox(
            label,
            options,
            index=options.index(value) if value in options else 0,
            format_func=lambda c: "—" if c is None else items[c],
            key=key,
        )
    elif f["data_type"] == "date":
        st.date_input(
            label,
            value,
            min_value=date(1890, 1, 1),
            max_value=date.today(),
            format="YYYY-MM-DD",
            key=key,
        )
    else:
        st.text_input(
            label,
            "" if value is None else str(value),
            placeholder="待采集" if f["collect"] else "",
            key=key,
        )


def _member_changes(people: list[dict], k: str) -> None:
    with st.expander("人员变动（迁出、死亡）"):
        for p in people:
            st.selectbox(
                literal(p["title"]),
                list(CHANGE_NAMES),
                format_func=CHANGE_NAMES.get,
                key=f"{k}_chg_{p['id']}",
            )
        st.date_input("变动日期", date.today(), max_value=date.today(), key=f"{k}_chg_date")
        st.text_input("迁往地（迁出时填写）", key=f"{k}_chg_dest")
        heads = {p["id"]: p["title"] for p in people}
        st.selectbox(
            "新户主（户主迁出或死亡时选择）",
            [None, *heads],
            format_func=lambda i: "—" if i is None else heads[i],
            key=f"{k}_chg_head",
        )


def _newcomers(k: str) -> None:
    with st.expander("新增人员（新生儿、新成员）"):
        st.caption("新生儿：一周岁以内，出生日期由系统核对。")
        _person(f"{k}_nb", "新生儿", "身份证号（选填）", date.today() - timedelta(days=366))
        st.divider()
        _person(f"{k}_nm", "新成员", "身份证号", date(1900, 1, 1))
        relations = catalog.code_items("relation_to_head")
        st.selectbox(
            "与户主关系",
            [None, *relations],
            format_func=lambda c: "—" if c is None else relations[c],
            key=f"{k}_nm_rel",
        )


def _person(key: str, who: str, id_label: str, earliest: date) -> None:
    """Name, sex, birth date and ID number of a person added during the visit."""
    st.text_input(f"{who}姓名", key=f"{key}_name")
    st.radio(
        f"{who}性别",
        list(EVENT_SEXES),
        format_func=EVENT_SEXES.get,
        horizontal=True,
        index=None,
        key=f"{key}_sex",
    )
    st.date_input(
        f"{who}出生日期", None, min_value=earliest, max_value=date.today(), key=f"{key}_birth"
    )
    st.text_input(f"{who}{id_label}", key=f"{key}_id")


def _entered(state: dict, k: str) -> tuple[list, list, list]:
    """What the form holds, as the domain's edits, newcomers and departures."""
    s = st.session_state
    v = state["visit"]
    edits = []
    for record in v["records"]:
        confirm, values = [], {}
        for f in record["fields"]:
            key = f"{k}_{record['entity']}_{record['id']}_{f['code']}"
            if s.get(f"{key}__ok"):
                confirm.append(f["code"])
            if not f["hidden"]:
                entered = s.get(key)
                if ledger.differs(f, entered, f["value"]):
                    values[f["code"]] = entered
        if confirm or values:
            edits.append(
                visits.RecordEdit(
                    record["entity"], record["id"], record["version"], tuple(confirm), values
                )
            )
    newcomers = []
    if (s.get(f"{k}_nb_name") or "").strip():
        newcomers.append(
            visits.Newcomer(
                s[f"{k}_nb_name"], s.get(f"{k}_nb_sex"), s.get(f"{k}_nb_birth"), s.get(f"{k}_nb_id")
            )
        )
    if (s.get(f"{k}_nm_name") or "").strip():
        newcomers.append(
            visits.Newcomer(
                s[f"{k}_nm_name"],
                s.get(f"{k}_nm_sex"),
                s.get(f"{k}_nm_birth"),
                s.get(f"{k}_nm_id"),
                s.get(f"{k}_nm_rel"),
                newborn=False,
            )
        )
    departures = [
        visits.Departure(
            r["id"],
            s[f"{k}_chg_{r['id']}"],
            s.get(f"{k}_chg_date"),
            s.get(f"{k}_chg_dest"),
            s.get(f"{k}_chg_head"),
        )
        for r in v["records"]
        if r["entity"] == "resident" and s.get(f"{k}_chg_{r['id']}", NO_CHANGE) != NO_CHANGE
    ]
    return edits, newcomers, departures


def _save(scope: Scope, state: dict, k: str) -> None:
    v = state["visit"]
    edits, newcomers, departures = _entered(state, k)
    try:
        visits.save_visit(
            scope,
            v["campaign_id"],
            v["entity_id"],
            v["version"],
            st.session_state[f"{k}_outcome"],
            st.session_state.get(f"{k}_note"),
            edits,
            newcomers,
            departures,
            minutes=(time.time() - state["opened"]) / 60,
        )
    except (visits.StaleVisit, ledger.StaleEdit) as exc:
        state["stale"] = f"{literal(exc)} 您的录入仍保留在上方。"
        return
    except ledger.ValidationFailed as exc:
        st.error("未保存，请更正：\n\n" + "\n".join(f"- {literal(e)}" for e in exc.errors))
        return
    except (ledger.LedgerError, AccessDenied) as exc:
        st.error(f"未保存：{exc}")
        return
    # A ticked value that was also changed counts as changed, as the domain records it.
    confirmed = sum(len(set(e.confirm) - set(e.values or {})) for e in edits)
    changed = sum(len(e.values or {}) for e in edits)
    flash(f"已保存：确认 {confirmed} 项，更正或补录 {changed} 项。")
    close_card()
    st.rerun()
