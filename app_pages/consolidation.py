"""表单归并: a pile of a department's or a street's forms merged into one field list."""

from yibiaotong.ui import consolidation_view
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin")
page_header(
    "consolidation",
    "上传一批表单（多个 .xlsx 或一个 .zip），拆出每张表的字段、合并成一张字段清单，"
    "把没见过的表头纳入字段标准，并为每张表生成按原样式输出的报表模板。",
)
consolidation_view.page(scope)
