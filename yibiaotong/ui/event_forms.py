"""业务办理 forms: guided life events, each one transaction in yibiaotong.events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from yibiaotong import catalog, events, ledger
from yibiaotong.scope import AccessDenied, Scope
from yibiaotong.ui.markdown import literal
from yibiaotong.ui.shell import flash

GOTO_KEY = "ledger_goto"  # (entity, id) to open on the next run, before widgets exist


def _run(action: Callable[[], int], done: str, entity: str) -> None:
    """Run one event; show a Chinese message on refusal, else flash and open its main record."""
    try:
        new_id = action()
    except ledger.ValidationFailed as exc:
        st.error("未办理，请更正：\n\n" + "\n".join(f"- {literal(e)}" for e in exc.errors))
        return
    except (ledger.LedgerError, AccessDenied) as exc:
        st.error(f"未办理：{literal(exc)}")
        return
    flash(done)
    st.session_state[GOTO_KEY] = (entity, new_id)
    st.rerun()


def _code_select(label: str, list_code: str, key: str, default: str | None = None):
    items = catalog.code_items(list_code)
    options = list(items)
    return st.selectbox(
        label,
        options,
        index=options.index(default) if default in options else 0,
        format_func=items.get,
        key=key,
    )


def _member_label(m: dict) -> str:
    return f"{m['name']}（{m['relation_name'] or '关系未填'}，{m['sex_name'] or ''}）"


def _grid_select(scope: Scope, key: str) -> str:
    grids = catalog.org_units_under(scope.org_code, level="grid")
    labels = catalog.org_labels(scope.org_code)
    return st.selectbox(
        "所在网格",
        [g["code"] for g in grids],
        format_func=labels.__getitem__,
        key=key,
    )


# ---------------------------------------------------------------- per record


def resident_events(scope: Scope, rec: dict) -> None:
    if rec["household_id"] and st.button("查看所在户", key="ev_goto_household"):
        st.session_state[GOTO_KEY] = ("household", rec["household_id"])
        st.rerun()
    if rec["status"] != "active":
        st.info("该人员已不在册，不能再办理迁出或注销。")
        return
    members = events.household_members(scope, rec["household_id"]) if rec["household_id"] else []
    others = [m for m in members if m["id"] != rec["id"]]
    is_head = any(m["is_head"] and m["id"] == rec["id"] for m in members)
    with st.form("ev_leave"):
        kind = st.radio("办理事项", ["迁出", "死亡注销"], horizontal=True)
        on_date = st.date_input("日期", date.today(), max_value=date.today(), format="YYYY-MM-DD")
        destination = st.text_input("迁往地（迁出时填写）", max_chars=100)
        new_head = None
        if is_head and others:
            new_head = st.selectbox(
                "新户主（户主离开后必须指定）",
                [m["id"] for m in others],
                format_func=lambda i: _member_label(next(m for m in others if m["id"] == i)),
            )
        if st.form_submit_button("办理", type="primary"):
            if kind == "迁出":
                _run(
                    lambda: events.move_out(scope, rec["id"], on_date, destination, new_head),
                    "已办理迁出。",
                    "resident",
                )
            else:
                _run(
                    lambda: events.register_death(scope, rec["id"], on_date, new_head),
                    "已办理死亡注销。",
                    "resident",
                )


def household_events(scope: Scope, rec: dict) -> None:
    members = events.household_members(scope, rec["id"])
    st.markdown(f"**在册成员 {len(members)} 人**")
    st.dataframe(
        [
            {
                "姓名": m["name"],
                "与户主关系": m["relation_name"],
                "性别": m["sex_name"],
                "编号": m["id"],
            }
            for m in members
        ],
        hide_index=True,
        placeholder="",
    )
    if rec["status"] != "active":
        st.info("该户已销户。")
        return
    birth, move_in, split, merge = st.tabs(["新生儿登记", "迁入成员", "分户", "合户"])
    women = [m for m in members if m["sex"] == "2"]
    men = [m for m in members if m["sex"] == "1"]
    with birth, st.form("ev_birth"):
        name = st.text_input("姓名 *", max_chars=50)
        sex = _code_select("性别 *", "sex", "ev_birth_sex")
        born = st.date_input(
            "出生日期 *", date.today(), max_value=date.today(), format="YYYY-MM-DD"
        )
        id_number = st.text_input("身份证号（已办理的填写）", max_chars=18)
        mother = st.selectbox(
            "母亲",
            [None] + [m["id"] for m in women],
            format_func=lambda i: (
                "自动识别" if i is None else _member_label(next(m for m in women if m["id"] == i))
            ),
        )
        father = st.selectbox(
            "父亲",
            [None] + [m["id"] for m in men],
            format_func=lambda i: (
                "未填" if i is None else _member_label(next(m for m in men if m["id"] == i))
            ),
        )
        if st.form_submit_button("登记", type="primary"):
            _run(
                lambda: events.register_birth(
                    scope, rec["id"], name, sex, born, id_number or None, mother, father
                ),
                "已完成新生儿登记，孩次与标签已自动计算。",
                "resident",
            )
    with move_in, st.form("ev_move_in"):
        fields = _person_fields("ev_in")
        relation = _code_select("与户主关系 *", "relation_to_head", "ev_in_relation", "99")
        if st.form_submit_button("迁入", type="primary"):
            _run(
                lambda: events.move_in(scope, fields, relation, household_id=rec["id"]),
                "已办理迁入。",
                "resident",
            )
    with split, st.form("ev_split"):
        movable = [m for m in members if not m["is_head"]]
        chosen = st.multiselect(
            "分出的成员",
            [m["id"] for m in movable],
            format_func=lambda i: _member_label(next(m for m in movable if m["id"] == i)),
        )
        head = st.selectbox(
            "新户户主",
            [m["id"] for m in movable],
            format_func=lambda i: _member_label(next(m for m in movable if m["id"] == i)),
        )
        if st.form_submit_button("分户", type="primary"):
            _run(
                lambda: events.split_household(scope, rec["id"], chosen, head),
                "已分户，新户已建立。",
                "household",
            )
    with merge, st.form("ev_merge"):
        target = st.number_input("并入的目标户编号", min_value=1, step=1, value=None)
        st.caption("本户全部成员将迁入目标户，本户销户。目标户须在您的辖区内。")
        if st.form_submit_button("合户", type="primary"):
            _run(
                lambda: events.merge_households(scope, rec["id"], int(target or 0)),
                "已合户。",
                "household",
            )


def house_events(scope: Scope, rec: dict) -> None:
    with st.form("ev_rental"):
        tenants = st.number_input(
            "承租人数", min_value=1, max_value=200, value=rec["tenant_count"] or 1
        )
        on_date = st.date_input(
            "出租登记日期", date.today(), max_value=date.today(), format="YYYY-MM-DD"
        )
        st.caption("承租人数达 6 人及以上的按群租登记。")
        if st.form_submit_button("房屋出租登记", type="primary"):
            _run(
                lambda: events.register_rental(scope, rec["id"], tenants, on_date),
                "已完成出租登记。",
            )
    if rec["occupancy"] in ("2", "4") and st.button("退租", key="ev_end_rental"):
        _run(lambda: events.end_rental(scope, rec["id"]), "已办理退租，房屋标记为空置。", "house")


def shop_events(scope: Scope, rec: dict) -> None:
    if rec["status"] != "active":
        st.info("该商铺已歇业。")
        return
    with st.form("ev_close_shop"):
        on_date = st.date_input(
            "歇业日期", date.today(), max_value=date.today(), format="YYYY-MM-DD"
        )
        if st.form_submit_button("办理歇业", type="primary"):
            _run(lambda: events.close_shop(scope, rec["id"], on_date), "已办理歇业。", "shop")


RECORD_EVENTS = {
    "resident": resident_events,
    "household": household_events,
    "house": house_events,
    "shop": shop_events,
}


# ---------------------------------------------------------------- new records


def _person_fields(prefix: str) -> dict:
    c1, c2 = st.columns(2)
    return {
        "resident_name": c1.text_input("姓名 *", max_chars=50, key=f"{prefix}_name"),
        "resident_id_number": c2.text_input("身份证号", max_chars=18, key=f"{prefix}_id"),
        "resident_sex": c1.selectbox(
            "性别", ["1", "2"], format_func=catalog.code_items("sex").get, key=f"{prefix}_sex"
        ),
        "resident_birth_date": c2.date_input(
            "出生日期",
            None,
            min_value=date(1900, 1, 1),
            max_value=date.today(),
            format="YYYY-MM-DD",
            key=f"{prefix}_born",
        ),
        "resident_phone": c1.text_input("联系电话", max_chars=20, key=f"{prefix}_phone"),
        "resident_residence_type": c2.selectbox(
            "人口类型",
            list(catalog.code_items("residence_type")),
            format_func=catalog.code_items("residence_type").get,
            key=f"{prefix}_type",
        ),
    }


def new_record(scope: Scope, entity: str) -> None:
    """Forms that create records: 迁入 as a new household, 商铺开业."""
    if entity in ("resident", "household"):
        with (
            st.expander("迁入新户（新建一户并登记户主）", icon=":material/person_add:"),
            st.form("ev_new_household"),
        ):
            fields = _person_fields("ev_new")
            grid = _grid_select(scope, "ev_new_grid")
            if st.form_submit_button("迁入", type="primary"):
                _run(
                    lambda: events.move_in(scope, fields, "02", grid_code=grid),
                    "已办理迁入，新户已建立。",
                )
    if entity == "shop":
        with st.expander("商铺开业登记", icon=":material/storefront:"), st.form("ev_open_shop"):
            c1, c2 = st.columns(2)
            fields = {
                "shop_name": c1.text_input("店铺名称 *", max_chars=100),
                "shop_uscc": c2.text_input("统一社会信用代码", max_chars=18),
                "shop_category": c1.selectbox(
                    "经营类别",
                    list(catalog.code_items("shop_category")),
                    format_func=catalog.code_items("shop_category").get,
                ),
                "shop_legal_person": c2.text_input("负责人", max_chars=50),
                "shop_phone": c1.text_input("联系电话", max_chars=20),
                "shop_address": c2.text_input("经营地址", max_chars=200),
            }
            grid = _grid_select(scope, "ev_shop_grid")
            if st.form_submit_button("开业登记", type="primary"):
                _run(lambda: events.open_shop(scope, fields, grid), "已完成开业登记。", "shop")
