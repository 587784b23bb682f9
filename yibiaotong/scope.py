"""Who may see and do what: the Scope every domain function receives."""

from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "district_admin": "区数据局管理员",
    "street_leader": "街道领导",
    "dept_staff": "条线部门人员",
    "social_worker": "社区社工",
}

# Level of org unit each role is bound to; a user's rows are the subtree of that unit.
ROLE_ORG_LEVEL: dict[str, tuple[str, ...]] = {
    "district_admin": ("district",),
    "street_leader": ("street",),
    "dept_staff": ("district", "street"),
    "social_worker": ("community", "grid"),
}

# Roles cleared to see sensitive fields unmasked by default (an admin may change a user's clearance).
DEFAULT_CLEARANCE: dict[str, bool] = {
    "district_admin": True,
    "street_leader": False,
    "dept_staff": False,
    "social_worker": True,
}


class AccessDenied(PermissionError):
    """Raised when a request reaches outside the caller's org subtree or role."""


@dataclass(frozen=True)
class Scope:
    """The caller: username, role, org unit (a code prefix) and clearance for sensitive fields."""

    username: str
    role: str
    org_code: str
    clearance: bool = False
    department: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if not self.org_code or not self.org_code.isdigit():
            raise ValueError(f"bad org code {self.org_code!r}")

    @property
    def role_name(self) -> str:
        return ROLES[self.role]

    def covers(self, org_code: str | None) -> bool:
        """True when `org_code` lies in this scope's subtree."""
        return bool(org_code) and org_code.startswith(self.org_code)

    def require_covers(self, org_code: str | None) -> None:
        if not self.covers(org_code):
            raise AccessDenied("无权访问本辖区以外的数据")

    def narrow(self, org_code: str | None) -> str:
        """The org prefix for a query: the requested unit if inside scope, else refuse."""
        if not org_code:
            return self.org_code
        if org_code.startswith(self.org_code):
            return org_code
        raise AccessDenied("无权访问本辖区以外的数据")
