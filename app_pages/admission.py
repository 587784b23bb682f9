"""报表准入: departments request new reports; the district data admin reviews them."""

from yibiaotong.ui import admission_view
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin", "dept_staff")
page_header(
    "admission",
    "新报表先登记、后审核：系统先看台账已有哪些字段、现有报表是否已经覆盖，再决定是否新增；"
    "批准的报表最长 3 年，到期须续期。",
)
admission_view.page(scope)
