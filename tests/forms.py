"""Department forms as grassroots offices send them, rebuilt in code as .xlsx fixtures.

Their shapes follow public forms: 民政 高龄津贴发放花名册 and 低保家庭成员花名册 (户主 and 家庭成员
columns, 出生年月 as a month), 卫健 新生儿登记表 (the parents' names and ID numbers), 退役军人
信息采集表 (紧急联系人, 配偶), 网格 人口信息采集表 (70 columns across, census-style item numbers
D1.姓名 …), 残联 残疾人统计表 (communities × categories, 合计 row) and an indicator list (项目 |
数值). Titles, merged two-row headers, 填报单位 lines with （盖章） and 年 月 日 blanks, footers,
formulas in 合计 rows and one planted HYPERLINK are there as in the originals.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import openpyxl
from openpyxl.styles import Alignment, Border, Font, Side

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _save(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _title(ws, text: str, width: int) -> None:
    ws.cell(1, 1, text).font = Font(name="方正小标宋简体", size=18)
    ws.cell(1, 1).alignment = CENTRE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.row_dimensions[1].height = 36


def _header(ws, row: int, spec: Sequence[str | tuple[str, Sequence[str]]]) -> int:
    """Header cells from `row`: a plain text spans two rows, (parent, children) one each."""
    c = 1
    two = any(isinstance(s, tuple) for s in spec)
    for item in spec:
        if isinstance(item, tuple):
            parent, children = item
            ws.cell(row, c, parent)
            ws.merge_cells(
                start_row=row, start_column=c, end_row=row, end_column=c + len(children) - 1
            )
            for i, child in enumerate(children):
                ws.cell(row + 1, c + i, child)
            c += len(children)
        else:
            ws.cell(row, c, item)
            if two:
                ws.merge_cells(start_row=row, start_column=c, end_row=row + 1, end_column=c)
            c += 1
    last = row + (1 if two else 0)
    for r in range(row, last + 1):
        for col in range(1, c):
            ws.cell(r, col).border = BOX
            ws.cell(r, col).font = Font(name="黑体", size=10)
            ws.cell(r, col).alignment = CENTRE
    return c - 1


def _blank_rows(ws, first: int, count: int, width: int, height: float = 20) -> None:
    for r in range(first, first + count):
        ws.row_dimensions[r].height = height
        for c in range(1, width + 1):
            ws.cell(r, c).border = BOX
            ws.cell(r, c).font = Font(name="宋体", size=10)


def elderly_allowance() -> bytes:
    """民政 高龄津贴发放花名册: 户主 and 监护人 columns, 出生年月, a 合计 row that sums 发放金额."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    spec = [
        "序号",
        "老人姓名",
        "性别",
        "公民身份号码",
        "出生年月",
        "年龄",
        "发放金额（元）",
        ("户主", ["姓名", "身份证号码"]),
        ("监护人", ["姓名", "联系电话"]),
        "居住地址",
        "领取人签字",
    ]
    _title(ws, "上城区高龄津贴发放花名册", 13)
    ws["A2"] = "填报单位（盖章）：                    填报日期：      年    月    日"
    ws.merge_cells("A2:M2")
    width = _header(ws, 3, spec)
    _blank_rows(ws, 5, 8, width)
    ws["A13"] = "合计"
    ws.merge_cells("A13:F13")
    ws["G13"] = "=SUM(G5:G12)"
    for c in range(1, width + 1):
        ws.cell(13, c).border = BOX
    ws["A15"] = "制表人：              审核人：              联系电话："
    ws.merge_cells("A15:M15")
    ws["A16"] = '=HYPERLINK("http://evil.example/x","点此核对")'
    for col, w in zip("ABCDEFGHIJKLM", (5, 9, 5, 12, 9, 5, 9, 8, 12, 8, 11, 16, 10), strict=True):
        ws.column_dimensions[col].width = w
    return _save(wb)


def dibao_family() -> bytes:
    """民政 低保家庭成员花名册: one row per member, with 户主 and 配偶 columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _title(ws, "最低生活保障家庭成员花名册", 10)
    ws["A2"] = "街道（乡镇）："
    ws.merge_cells("A2:D2")
    ws["E2"] = "填表日期：    年  月  日"
    ws.merge_cells("E2:J2")
    spec = [
        "序号",
        "户主姓名",
        "家庭成员姓名",
        "与户主关系",
        "身份证号码",
        "出生年月",
        "配偶姓名",
        "联系电话",
        "家庭住址",
        "备注",
    ]
    width = _header(ws, 3, spec)
    _blank_rows(ws, 4, 10, width)
    ws["A15"] = "经办人：            审核人："
    return _save(wb)


def newborn_register() -> bytes:
    """卫健 新生儿登记表: the parents' names, ID numbers and phone."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _title(ws, "新生儿登记表", 11)
    ws["A2"] = "填报单位：                    填报时间："
    ws.merge_cells("A2:K2")
    spec = [
        "序号",
        ("新生儿", ["姓名", "性别", "出生日期", "孩次"]),
        ("母亲", ["姓名", "身份证号"]),
        ("父亲", ["姓名", "身份证号", "联系电话"]),
        "家庭住址",
    ]
    width = _header(ws, 3, spec)
    _blank_rows(ws, 5, 5, width)
    ws["A11"] = "填表人：              联系电话："
    return _save(wb)


def veteran_info() -> bytes:
    """退役军人信息采集表: 紧急联系人 (the row's own fields) and 配偶."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _title(ws, "退役军人和其他优抚对象信息采集表", 10)
    spec = [
        "序号",
        "姓名",
        "性别",
        "公民身份号码",
        "联系电话",
        ("配偶", ["姓名", "联系电话"]),
        ("紧急联系人", ["姓名", "联系电话"]),
        "现居住地址",
    ]
    width = _header(ws, 2, spec)
    _blank_rows(ws, 4, 6, width)
    ws["A11"] = "采集人：            采集日期："
    return _save(wb)


# 网格 人口信息采集表: census-style items, 70 columns across (more than a screen, or the old 60).
CENSUS_ITEMS = (
    "姓名",
    "曾用名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "与户主关系",
    "户主姓名",
    "户主身份证号",
    "政治面貌",
    "婚姻状况",
    "文化程度",
    "宗教信仰",
    "职业",
    "工作单位",
    "联系电话",
    "户籍地址",
    "现住址",
    "籍贯",
    "人口类型",
    "来杭日期",
    "居住证号",
    "健康状况",
    "就业状况",
    "父亲姓名",
    "母亲姓名",
    "配偶姓名",
    "配偶身份证号",
    "车牌号",
    "微信号",
)


def census_wide(columns: int = 70) -> bytes:
    """The census items at the right-hand end, after spare columns: fields past column 60."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _title(ws, "网格人口信息采集表", columns)
    ws.cell(2, 1, "社区：            网格：            采集日期：")
    spare = columns - 1 - len(CENSUS_ITEMS)
    items = ["序号", *(f"备用项{i}" for i in range(1, spare + 1))]
    items += [f"D{i}.{name}" for i, name in enumerate(CENSUS_ITEMS, start=1)]
    width = _header(ws, 3, items)
    _blank_rows(ws, 4, 3, width)
    ws.cell(8, 1, "网格员：            审核：")
    return _save(wb)


def disabled_statistics(communities: Sequence[str]) -> bytes:
    """残联 残疾人基本情况统计表: one row per community and 合计, categories across."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _title(ws, "残疾人基本情况统计表", 8)
    ws["A2"] = "填报单位（盖章）：                 统计时间：    年  月  日"
    ws.merge_cells("A2:H2")
    spec = [
        "序号",
        "社区",
        "残疾人总数",
        ("性别", ["男", "女"]),
        ("年龄", ["0-17岁", "60岁及以上"]),
        "持证率（%）",
    ]
    width = _header(ws, 3, spec)
    for i, name in enumerate([*communities, "合计"], start=5):
        ws.cell(i, 1, i - 4 if name != "合计" else None)
        ws.cell(i, 2, name)
        for c in range(1, width + 1):
            ws.cell(i, c).border = BOX
    last = 5 + len(communities)
    ws.cell(last + 2, 1, "填表人：          审核人：")
    return _save(wb)


INDICATOR_ITEMS = (
    "户籍人口",
    "流动人口",
    "60-79岁",
    "80周岁及以上",
    "独居老人",
    "党员",
    "退役军人",
    "户数",
    "垃圾分类达标率",
)


def population_indicators() -> bytes:
    """A street's 人口基本情况 indicator list: 项目 | 数值 | 备注."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _title(ws, "社区人口基本情况表", 3)
    ws["A2"] = "填报单位："
    ws.merge_cells("A2:C2")
    width = _header(ws, 3, ["项目", "数值", "备注"])
    for i, item in enumerate(INDICATOR_ITEMS, start=4):
        ws.cell(i, 1, item)
        for c in range(1, width + 1):
            ws.cell(i, c).border = BOX
    ws.cell(4 + len(INDICATOR_ITEMS) + 1, 1, "填表人：")
    return _save(wb)
