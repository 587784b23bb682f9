"""系统状态: database size and growth, backups and their checks, jobs, sessions, memory, versions."""

from yibiaotong.ui import health_view
from yibiaotong.ui.shell import page_header, require_role

scope = require_role("district_admin")
page_header("health")
health_view.show(scope)
