"""数据大屏: placeholder until its issue lands."""

from yibiaotong.ui.shell import require_role, under_construction

require_role("district_admin", "street_leader")
under_construction("dashboard")
