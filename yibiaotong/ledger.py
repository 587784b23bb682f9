"""The ledger of residents, households, houses and shops, always read and written within a Scope."""

from __future__ import annotations

from yibiaotong import db
from yibiaotong.scope import Scope


def summary(scope: Scope) -> dict[str, int]:
    """Counts of active rows in the caller's subtree."""
    rows = db.fetch_dicts("ledger/summary_in_scope", org_code=scope.org_code)
    return rows[0]
