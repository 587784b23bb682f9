"""台账: placeholder until its issue lands."""

from yibiaotong.ui.shell import require_role, under_construction

require_role("district_admin", "social_worker")
under_construction("ledger")
