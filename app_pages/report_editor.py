"""报表模板管理: district admins configure report templates and save them as new versions."""

from yibiaotong.ui import template_editor
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin")
page_header(
    "report_editor",
    "选择字段和表头、筛选标签、分组与合计，预览后保存为新版本；旧的运行记录仍指向原版本。",
)
template_editor.editor(scope)
