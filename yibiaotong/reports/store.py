"""Stored templates: catalogue files loaded as versions, templates read, edited versions saved."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from yibiaotong import auth, catalog, config, db, tags
from yibiaotong.permissions import checked
from yibiaotong.reports.definition import (
    _CODE_RE,
    ENTITY_NAMES,
    FREQUENCIES,
    KINDS,
    ReportError,
    _fail,
    check_definition,
    standard,
)
from yibiaotong.scope import AccessDenied, Scope

REPORTS_DIR = config.CATALOG_DIR / "reports"


def read_files(directory: Path | str | None = None) -> list[tuple[str, Any]]:
    """(file name, parsed YAML) of every data/catalog/reports/*.yaml, in name order."""
    directory = Path(directory or REPORTS_DIR)
    out = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            out.append(
                (
                    path.name,
                    yaml.load(path.read_text(encoding="utf-8"), Loader=catalog._UniqueKeyLoader),
                )
            )
        except yaml.YAMLError as exc:
            raise catalog.CatalogError(f"reports/{path.name}", "YAML", str(exc)) from exc
    return out


def _definition_json(defn: Mapping[str, Any]) -> str:
    return json.dumps(defn, ensure_ascii=False, sort_keys=True)


def insert_version(
    cur,
    defn: Mapping[str, Any],
    source: str,
    created_by: str,
    catalog_version: int | None = None,
    offer: str | None = None,
) -> None:
    db.run(
        cur,
        "reports/insert_template",
        code=defn["code"],
        version=defn["version"],
        name=defn["name"],
        department=defn["department"],
        frequency=defn["frequency"],
        entity=defn["entity"],
        kind=defn["kind"],
        status=defn["status"],
        valid_from=defn["valid_from"],
        valid_to=defn["valid_to"],
        manual_minutes=defn["manual_minutes"],
        definition=_definition_json(defn),
        source=source,
        created_by=created_by,
        catalog_version=catalog_version,
        offer=offer,
    )


def _content(defn: Mapping[str, Any]) -> str:
    """A definition without its version number (a catalogue version may be stored under another)."""
    return _definition_json({k: v for k, v in defn.items() if k != "version"})


def load_reports(cur: duckdb.DuckDBPyConnection, directory: Path | str | None = None) -> int:
    """Validate data/catalog/reports/*.yaml and store catalogue versions not stored yet; run it
    inside the caller's transaction, after catalog.load_catalog. Idempotent, and it changes
    nothing made in the console: a stored version is never changed; a new catalogue version of
    a template whose version in use was made in the template editor is stored as an offer
    ('pending') for the admin instead of being put in use, under the next free number if the
    editor took the file's. A file whose content differs from the catalogue version it names
    must raise its version. Returns the number of templates in the files."""
    std = standard(cur)
    stored: dict[str, list[dict[str, Any]]] = {}
    for code, version, d, source, catalog_version, offer in db.run(
        cur, "reports/template_versions"
    ).fetchall():
        stored.setdefault(code, []).append(
            {
                "version": version,
                "definition": json.loads(d) if isinstance(d, str) else d,
                "source": source,
                "catalog_version": catalog_version,
                "offer": offer,
            }
        )
    seen: set[str] = set()
    for file, data in read_files(directory):
        entry = data.get("code", "?") if isinstance(data, Mapping) else "?"
        try:
            defn = check_definition(data, std)
        except ReportError as exc:
            raise catalog.CatalogError(f"reports/{file}", str(entry), str(exc)) from exc
        if defn["code"] in seen:
            raise catalog.CatalogError(f"reports/{file}", defn["code"], "duplicate template code")
        seen.add(defn["code"])
        versions = stored.get(defn["code"], [])
        from_file = defn["version"]
        same = [v for v in versions if v["catalog_version"] == from_file]
        if same:
            if _content(same[0]["definition"]) != _content(defn):
                raise catalog.CatalogError(
                    f"reports/{file}",
                    defn["code"],
                    f"version {from_file} is already stored with other content (by an earlier "
                    "file); raise `version` above the highest stored one",
                )
            continue
        if any((v["catalog_version"] or 0) > from_file for v in versions):
            continue  # an older file than one already loaded
        in_use = max(
            (v for v in versions if v["offer"] is None), key=lambda v: v["version"], default=None
        )
        numbers = {v["version"] for v in versions}
        number = from_file if from_file not in numbers else max(numbers) + 1
        offer = "pending" if in_use is not None and in_use["source"] == "editor" else None
        insert_version(
            cur,
            {**defn, "version": number},
            "catalog",
            "catalog",
            catalog_version=from_file,
            offer=offer,
        )
    return len(seen)


# ---------------------------------------------------------------------------------------------
# Reading templates


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("definition"), str):
        row["definition"] = json.loads(row["definition"])
    return row


def expired_on(template: Mapping[str, Any], today: date | None = None) -> date | None:
    """The day an active template's approval ran out (valid_to), when that day has passed."""
    today = today or date.today()
    valid_to = template["valid_to"]
    if template["status"] == "active" and valid_to is not None and valid_to < today:
        return valid_to
    return None


def not_in_force_reason(template: Mapping[str, Any], today: date | None = None) -> str:
    """Why a template may not be generated (Chinese), for a template that is not in force."""
    name = template["name"]
    ended = expired_on(template, today)
    if ended is not None:
        return (
            f"报表“{name}”已于 {ended:%Y-%m-%d} 到期（已停用），不能生成；"
            "如仍需使用，请由主管部门在“报表准入”中申请续期，经审核通过后恢复"
        )
    if template["status"] != "active":
        return f"报表“{name}”已停用"
    return f"报表“{name}”自 {template['valid_from']:%Y-%m-%d} 起生效，尚不能生成"


def in_force(template: Mapping[str, Any], today: date | None = None) -> bool:
    today = today or date.today()
    return (
        template["status"] == "active"
        and (template["valid_from"] is None or template["valid_from"] <= today)
        and (template["valid_to"] is None or today <= template["valid_to"])
    )


def granted(scope: Scope) -> frozenset[str]:
    """Other departments' templates the caller's department uses because 报表准入 approved its
    request as "use existing template X" (empty for roles that see every template)."""
    if scope.role != "dept_staff":
        return frozenset()
    rows = db.fetch_all("admission/granted_templates", department=scope.department)
    return frozenset(code for (code,) in rows)


def visible(scope: Scope, row: Mapping[str, Any], grants: frozenset[str] | None = None) -> bool:
    """Department staff work with their own department's templates and those granted to them;
    other roles with all."""
    if scope.role != "dept_staff" or row["department"] == scope.department:
        return True
    return row["code"] in (granted(scope) if grants is None else grants)


@checked
def templates(
    scope: Scope,
    department: str | None = None,
    frequency: str | None = None,
    search: str | None = None,
    entity: str | None = None,
    include_inactive: bool = False,
) -> list[dict[str, Any]]:
    """Current versions of the templates the caller may use (department staff: their own
    department's), filtered; each with `runnable` and `blocked_by` (why the caller cannot run
    it, e.g. a sensitive tag without clearance) and `in_force`."""
    rows = [_decode(r) for r in db.fetch_dicts("reports/list_templates")]
    search = (search or "").strip().lower()
    sensitive = {t["code"] for t in tags.tag_index() if t["sensitivity"] == "sensitive"}
    grants = granted(scope)
    out = []
    for row in rows:
        row["in_force"] = in_force(row)
        if not visible(scope, row, grants):
            continue
        row["expired_on"] = expired_on(row)
        # An expired template stays listed, marked 已到期, so its department sees why it is gone.
        if not include_inactive and not row["in_force"] and row["expired_on"] is None:
            continue
        if department and row["department"] != department:
            continue
        if frequency and row["frequency"] != frequency:
            continue
        if entity and row["entity"] != entity:
            continue
        defn = row["definition"]
        if search and not any(
            search in str(text).lower()
            for text in (
                row["name"],
                row["code"],
                row["department_name"],
                defn.get("description", ""),
            )
        ):
            continue
        row["frequency_name"] = FREQUENCIES.get(row["frequency"], row["frequency"])
        row["kind_name"] = KINDS.get(row["kind"], row["kind"])
        row["entity_name"] = ENTITY_NAMES.get(row["entity"], row["entity"])
        row["description"] = defn.get("description", "")
        row["blocked_by"] = None if scope.clearance else _needs_clearance(defn, sensitive)
        if row["expired_on"] is not None:
            row["blocked_by"] = f"已于 {row['expired_on']:%Y-%m-%d} 到期，须经续期审核后才能生成"
        row["runnable"] = row["in_force"] and row["blocked_by"] is None
        out.append(row)
    return out


def _needs_clearance(defn: Mapping[str, Any], sensitive_tags: set[str]) -> str | None:
    """Why an uncleared caller cannot run this template: sensitive tags or condition fields."""
    used = _tags_of(defn) & sensitive_tags
    if used:
        names = {t["code"]: t["name"] for t in tags.tag_index()}
        return f"涉及敏感人群（{'、'.join(names[c] for c in sorted(used))}），需要敏感信息查看权限"
    refs, _ = tags.reference(defn["entity"])
    specs = [defn.get("filter") or {}] + list(defn.get("measures") or [])
    fields = {c.get("field") for s in specs for c in s.get("conditions") or []}
    hidden = sorted({refs[f].label for f in fields if f in refs and refs[f].sensitive})
    if hidden:
        return f"按敏感字段（{'、'.join(hidden)}）筛选，需要敏感信息查看权限"
    return None


def _tags_of(defn: Mapping[str, Any]) -> set[str]:
    specs = [defn.get("filter") or {}] + list(defn.get("measures") or [])
    return {
        t
        for s in specs
        for mode in ("all", "any", "none")
        for t in (s.get("tags") or {}).get(mode, [])
    }


@checked
def template(scope: Scope, code: str, version: int | None = None) -> dict[str, Any]:
    """One template version the caller may use (the current one when version is None);
    ReportError if absent, AccessDenied for another department's template (department staff)."""
    rows = db.fetch_dicts("reports/get_template", code=code, version=version)
    if not rows:
        _fail(f"报表模板“{code}”不存在" + (f"（版本 {version}）" if version else ""))
    row = _decode(rows[0])
    if not visible(scope, row):
        raise AccessDenied("该报表属于其他部门，您只能使用本部门的报表")
    return row


@checked
def history(scope: Scope, code: str) -> list[dict[str, Any]]:
    """All versions of one template the caller may use, newest first, with their run counts."""
    template(scope, code)
    return db.fetch_dicts("reports/template_history", code=code)


@checked
def departments_with_templates(scope: Scope) -> dict[str, str]:
    """Department code → name of departments that have templates in force."""
    return {t["department"]: t["department_name"] for t in templates(scope)}


@checked
def save_version(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    """Store an edited (or new) template as its next version; district admins only.

    The new version number is one above the highest stored (catalogue offers included); runs
    made with older versions keep pointing at them. Returns the stored definition.
    """
    with db.transaction() as cur:
        return insert_next_version(cur, scope, data)


def insert_next_version(cur, scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    """save_version() inside the caller's transaction (admission approves a request and stores
    its template in one transaction)."""
    if scope.role != "district_admin":
        raise AccessDenied("只有区数据局管理员可以修改报表模板")
    data = dict(data)
    code = data.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        _fail("模板编码应为 2–48 位小写字母、数字或下划线，以字母开头")
    data["version"] = db.run(cur, "reports/next_version", code=code).fetchone()[0]
    defn = check_definition(data)
    insert_version(cur, defn, "editor", scope.username)
    auth.log_access(
        cur,
        scope.username,
        "report_template_save",
        f"{defn['name']}（{code}）第 {defn['version']} 版",
    )
    return defn
