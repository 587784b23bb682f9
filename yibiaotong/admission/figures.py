"""报表准入 figures for the dashboard's usage panel and the district admin's home page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from yibiaotong import db, reports
from yibiaotong.admission.requests import REMIND_DAYS


def figures(today: date | None = None) -> dict[str, Any]:
    """Requests received, approved, merged, rejected and open; templates in force, retired or
    expired, and expiring soon; forms consolidated and header columns saved. District-wide
    counts of the catalogue and its workflow — no personal data."""
    today = today or date.today()
    counts = {(k, s): n for k, s, n in db.fetch_all("admission/request_counts")}

    def total(kind: str | None = None, *states: str) -> int:
        return sum(
            n
            for (k, s), n in counts.items()
            if (kind is None or k == kind) and (not states or s in states)
        )

    active = retired = expiring = 0
    soon = today + timedelta(days=REMIND_DAYS)
    for t in db.fetch_dicts("reports/list_templates"):
        if reports.in_force(t, today):
            active += 1
            expiring += t["valid_to"] is not None and t["valid_to"] <= soon
        else:
            retired += 1
    piles = db.fetch_dicts("admission/pile_totals")[0]
    return {
        "received": total("new"),
        "approved": total("new", "approved_new"),
        "merged": total("new", "approved_existing"),
        "rejected": total("new", "rejected"),
        "pending": total(None, "submitted"),
        "returned": total(None, "returned"),
        "renewed": total("renewal", "renewed"),
        "templates_active": active,
        "templates_retired": retired,
        "templates_expiring": expiring,
        "piles": int(piles["piles"]),
        "forms_consolidated": int(piles["forms"]),
        "headers_consolidated": int(piles["headers"]),
        "fields_saved": int(piles["fields_saved"]),
    }
