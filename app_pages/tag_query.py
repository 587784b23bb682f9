"""标签查询: placeholder until its issue lands."""

from yibiaotong.ui.pages import ALL_ROLES
from yibiaotong.ui.shell import require_role, under_construction

require_role(*ALL_ROLES)
under_construction("tag_query")
