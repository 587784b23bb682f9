"""A template that regenerates a department's form in its own layout: its title, its columns in
order with their printed headers and parent headers, 序号, its footer and notes. Fields the
ledger holds are filled; the others stay as blank columns to be filled by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from yibiaotong import catalog, tags
from yibiaotong.admission.assessment import (
    MINUTES_PER_CELL,
    AdmissionError,
    Assessed,
)
from yibiaotong.admission.forms import FormShape
from yibiaotong.reports import DEFAULT_ALLOWANCE_BANDS, DERIVED
from yibiaotong.reports.definition import FOOTER_LABELS, MAX_COLUMNS

MAX_MINUTES = 10_000  # the template standard's ceiling for manual_minutes
EXPIRY_YEARS = 3  # an approval lasts at most three years (cf. OMB ICR), then it is renewed
# Words naming each department in file names, folder names and form titles.
DEPARTMENT_WORDS = {
    "chengguan": ("城管", "综合执法", "市容"),
    "minzheng": ("民政", "低保", "高龄津贴", "养老"),
    "xiaofang": ("消防",),
    "zhujian": ("住建", "房管", "危房", "房屋安全"),
    "weijian": ("卫健", "卫生", "计生", "计划生育", "疾控", "医生"),
    "gongan": ("公安", "派出所", "警务"),
    "canlian": ("残联", "残疾"),
    "tuiyi": ("退役军人", "退役", "优抚", "双拥"),
    "renshe": ("人社", "人力社保", "劳动保障", "就业", "失业", "社保"),
    "zuzhi": ("组织部", "党员", "党建"),
    "yingji": ("应急", "防汛", "防台", "安全生产"),
    "shijian": ("市场监管", "市监", "食品安全"),
    "jiaoyu": ("教育", "学校", "学龄"),
    "sifa": ("司法", "矫正", "调解"),
    "tongji": ("统计", "普查"),
    "yibao": ("医保", "医疗保障"),
    "fulian": ("妇联", "妇女", "儿童"),
    "tuanwei": ("团区委", "共青团"),
    "wenlv": ("文广旅体", "文化", "体育", "旅游"),
    "zhengfa": ("政法", "综治", "平安"),
}
_FREQUENCY_WORDS = (
    ("daily", ("日报", "每日", "每天")),
    ("weekly", ("周报", "每周")),
    ("monthly", ("月报", "每月", "月度", "按月")),
    ("quarterly", ("季报", "季度", "每季")),
    ("half_yearly", ("半年",)),
    ("yearly", ("年报", "年度", "每年")),
)
_BLANK_UNIT = re.compile(r"[_＿\s]{2,}(?=街道|社区|村|镇)(?:街道|社区|村|镇)?")
_YEAR = re.compile(r"(?:19|20)\d{2}(?=\s*年)")


def three_years_from(day: date) -> date:
    try:
        return day.replace(year=day.year + EXPIRY_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + EXPIRY_YEARS, day=28)


def guess_department(*texts: str) -> str | None:
    """The department a form belongs to, from its folder, file name or title (None: unknown)."""
    known = catalog.departments()
    for text in texts:
        for code, words in DEPARTMENT_WORDS.items():
            if code in known and any(w in text for w in words):
                return code
    return None


def guess_frequency(title: str) -> str:
    for code, words in _FREQUENCY_WORDS:
        if any(w in title for w in words):
            return code
    return "on_demand"


def suggest_tags(entity: str, title: str) -> list[str]:
    """Tags whose name the form's title contains (高龄老人津贴发放花名册 → 高龄老人), the most
    specific only: a shorter name inside a longer matched one is dropped."""
    found = [
        t for t in tags.tag_index() if t["entity"] == entity and t["name"] and t["name"] in title
    ]
    names = [t["name"] for t in found]
    return [
        t["code"]
        for t in found
        if not any(t["name"] != other and t["name"] in other for other in names)
    ]


def title_pattern(title: str) -> tuple[str, str]:
    """(template name, title pattern): a printed year becomes {年} and a blank before 街道 /
    社区 becomes {单位}, so the regenerated form carries this year's and the caller's own."""
    pattern = _BLANK_UNIT.sub("{单位}", title)
    pattern = _YEAR.sub("{年}", pattern)
    name = re.sub(r"\{年\}\s*年度?|\{[^}]*\}", "", pattern)
    name = re.sub(r"[（(]?\s*[)）]", "", name).strip(" _＿-—:：") or "未命名报表"
    if len(name) < 2:
        name = f"{name}报表"
    return name[:60], pattern[:300]


def columns_for(
    entity: str, assessed: Sequence[Assessed], paths: Sequence[Sequence[str]] | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """Template columns in the form's order and whether it has a 序号 column. Held fields are
    filled, everything else is a blank column under its printed header."""
    columns, seq = [], False
    derived = {k for k, d in DERIVED.items() if entity in d.entities}
    for i, a in enumerate(assessed):
        path = list(paths[i]) if paths else [a.header]
        if a.kind == "seq":
            seq = True
            continue
        header = (path[-1].strip() or a.label)[:40]
        if a.kind == "held" and a.field in derived:
            column: dict[str, Any] = {"derived": a.field, "header": header}
            if a.field == "elderly_allowance":
                column["bands"] = DEFAULT_ALLOWANCE_BANDS
        elif a.kind == "held":
            column = {"field": a.field, "header": header}
        else:
            column = {"blank": True, "header": header}
        if len(path) > 1:
            column["group"] = " / ".join(p.strip() for p in path[:-1])[:40]
        columns.append(column)
    if not columns:
        raise AdmissionError("表中除序号外没有任何列，无法生成报表模板")
    if len(columns) > MAX_COLUMNS:
        raise AdmissionError(
            f"共 {len(columns)} 列，超过一张报表模板最多 {MAX_COLUMNS} 列的上限；"
            "请按业务拆分成几张表"
        )
    return columns, seq


def manual_minutes(held: int, rows: int | None) -> int:
    """Minutes one run saves: the held cells a person would otherwise fill (capped)."""
    return int(min(MAX_MINUTES, round(held * (rows or 0) * MINUTES_PER_CELL)))


def definition(
    *,
    code: str,
    name: str,
    department: str,
    frequency: str,
    entity: str,
    assessed: Sequence[Assessed],
    tag_codes: Sequence[str] = (),
    shape: FormShape | None = None,
    title: str | None = None,
    description: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    minutes: int = 0,
) -> dict[str, Any]:
    """A template definition (to be checked by reports.check_definition when stored)."""
    columns, seq = columns_for(entity, assessed, shape.columns if shape else None)
    footer = [label for label in FOOTER_LABELS if shape and label in shape.footer]
    data: dict[str, Any] = {
        "code": code,
        "version": 1,
        "name": name,
        "department": department,
        "frequency": frequency,
        "entity": entity,
        "kind": "list",
        "status": "active",
        "valid_from": valid_from,
        "valid_to": valid_to,
        "manual_minutes": minutes,
        "description": description[:300],
        "filter": {"tags": {"all": list(tag_codes), "any": [], "none": []}, "conditions": []},
        "columns": columns,
        "layout": {
            "footer": footer or ["填表人", "审核人", "填报日期"],
            "seq": seq or shape is None,
            "note": shape.notes[0] if shape and shape.notes else None,
        },
    }
    if title:
        data["title"] = title
    return data


def needs_review(defn: Mapping[str, Any]) -> list[str]:
    """What an admin should look at before a created template is used (Chinese)."""
    notes = []
    blanks = [c["header"] for c in defn["columns"] if c.get("blank")]
    if blanks:
        notes.append(f"{len(blanks)} 列台账没有，生成时留空待填：{'、'.join(blanks[:6])}")
    if not defn["filter"]["tags"]["all"]:
        notes.append("未设置人群标签，将列出范围内全部记录；如只需部分人群，请在报表模板管理中补充")
    return notes
