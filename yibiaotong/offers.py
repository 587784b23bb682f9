"""Catalogue versions offered, not forced: a newer catalogue rule of a tag, or version of a report
template, that an administrator had edited in the console. The admin adopts it or keeps the
edit; either way the choice is logged, and an adopted rule refreshes its tags at once."""

from __future__ import annotations

import json
from typing import Any

from yibiaotong import auth, db, reports, tags
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope


class OfferError(ValueError):
    """The offer is gone (settled meanwhile) or unknown; the message is for the user."""


def _admin(scope: Scope) -> None:
    if scope.role != "district_admin":
        raise AccessDenied("只有区数据局管理员可以处理参考目录的新版本")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@checked
def pending(scope: Scope) -> list[dict[str, Any]]:
    """Every offer waiting: kind 'tag' or 'template', code, name, what is in use, what is offered."""
    _admin(scope)
    out = []
    for row in db.fetch_dicts("offers/tag_offers"):
        out.append(
            {
                "kind": "tag",
                "code": row["code"],
                "version": None,
                "name": row["name"],
                "in_use": tags.describe_rule(row["entity"], _json(row["rule"])),
                "offered": tags.describe_rule(row["entity"], _json(row["offered_rule"])),
                "edited": f"{row['rule_edited_by']} 于 {row['rule_edited_at']:%Y-%m-%d %H:%M} 修改",
            }
        )
    for row in db.fetch_dicts("offers/template_offers"):
        out.append(
            {
                "kind": "template",
                "code": row["code"],
                "version": row["version"],
                "name": row["name"],
                "in_use": f"第 {row['in_use_version']} 版（{row['in_use_by']} 于 "
                f"{row['in_use_at']:%Y-%m-%d %H:%M} 保存）",
                "offered": f"参考目录第 {row['catalog_version']} 版（存为第 {row['version']} 版）",
                "edited": f"{row['in_use_by']} 在模板管理中修改",
            }
        )
    return out


@checked
def adopt(scope: Scope, kind: str, code: str, version: int | None = None) -> str:
    """Put the offered catalogue version in use; returns a Chinese summary."""
    _admin(scope)
    with db.transaction() as cur:
        if kind == "tag":
            row = db.run(cur, "offers/adopt_tag_rule", code=code).fetchone()
            if row is None:
                raise OfferError("该标签没有待确认的新规则（可能已被处理）。")
            counts = tags.refresh_rules(cur, row[0])
            db.bump_data_version(cur)
            message = f"标签 {code} 已采用参考目录的新规则，重新计算后 {counts.get(code, 0):,} 条。"
        elif kind == "template":
            settled = db.run(
                cur, "offers/settle_template_offer", code=code, version=version, offer="adopted"
            ).fetchone()
            if settled is None:
                raise OfferError("该模板没有待确认的新版本（可能已被处理）。")
            number = db.run(cur, "reports/next_version", code=code).fetchone()[0]
            defn = {**_json(settled[0]), "version": number}
            reports.insert_version(cur, defn, "catalog", scope.username, catalog_version=settled[1])
            message = f"模板 {code} 已采用参考目录第 {settled[1]} 版，作为第 {number} 版启用。"
        else:
            raise OfferError(f"未知的类型：{kind}")
        auth.log_access(cur, scope.username, "catalog_offer", message)
    return message


@checked
def decline(scope: Scope, kind: str, code: str, version: int | None = None) -> str:
    """Keep the version edited in the console; the offer goes away."""
    _admin(scope)
    with db.transaction() as cur:
        if kind == "tag":
            done = db.run(cur, "offers/decline_tag_rule", code=code).fetchone()
        elif kind == "template":
            done = db.run(
                cur, "offers/settle_template_offer", code=code, version=version, offer="declined"
            ).fetchone()
        else:
            raise OfferError(f"未知的类型：{kind}")
        if done is None:
            raise OfferError("没有待确认的新版本（可能已被处理）。")
        message = f"{'标签' if kind == 'tag' else '模板'} {code} 保留控制台中修改的版本，不采用参考目录的新版本。"
        auth.log_access(cur, scope.username, "catalog_offer", message)
    return message
