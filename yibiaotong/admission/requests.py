"""Report requests: a department asks for a new report, the district data admin reviews it
against the assessment, and every step is logged; templates expire and are renewed the same way.

States: submitted (待审核) → returned (退回补充) → submitted … → approved_new | approved_existing
| rejected; the requester may withdraw an open request. A renewal request ends renewed or
rejected. Each change is one transaction: the request, its log step, the template it creates
and the access log are written together or not at all; a decision made on a stale view (another
admin decided meanwhile, a double click) is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from yibiaotong import auth, catalog, db, mapping, reports, tags
from yibiaotong.admission import templates as form_templates
from yibiaotong.admission.assessment import (
    AdmissionError,
    Assessment,
    RequestedField,
    assess,
)
from yibiaotong.admission.forms import FormShape
from yibiaotong.permissions import checked
from yibiaotong.reports.definition import MAX_COLUMNS, ReportError
from yibiaotong.scope import AccessDenied, Scope

STATES = {
    "submitted": "待审核",
    "returned": "已退回，待补充",
    "approved_new": "已批准：新建报表",
    "approved_existing": "已批准：使用现有报表",
    "renewed": "已续期",
    "rejected": "未通过",
    "withdrawn": "已撤回",
}
OPEN_STATES = ("submitted", "returned")
ACTIONS = {
    "submit": "提交申请",
    "request_renewal": "申请续期",
    "resubmit": "补充后重新提交",
    "return": "退回补充",
    "approve_new": "批准为新报表",
    "approve_existing": "批准使用现有报表",
    "renew": "批准续期",
    "reject": "不予通过",
    "withdraw": "撤回申请",
}
KINDS = {"new": "新增报表", "renewal": "续期"}
REMIND_DAYS = 30
PAGE_SIZE = 200


@dataclass(frozen=True)
class RequestMeta:
    """What a department states about the report it asks for."""

    title: str
    purpose: str
    legal_basis: str
    frequency: str
    org_code: str
    period: str
    entity: str
    expires_on: date
    tags: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------------------------------
# Who may do what


def _require_requester(scope: Scope) -> str:
    """The caller's department (the role is checked by @checked; the account must name one)."""
    if not scope.department:
        raise AccessDenied("您的账号未设置所属部门，不能提交报表申请；请联系区数据局管理员")
    return scope.department


def _visible_department(scope: Scope) -> str | None:
    """None: every department (the admin); else the caller's own department only."""
    if scope.role == "district_admin":
        return None
    if scope.role == "dept_staff" and scope.department:
        return scope.department
    raise AccessDenied("您的角色不能查看报表申请")


# ---------------------------------------------------------------------------------------------
# Checking a request


def _text(value: Any, what: str, low: int, high: int) -> str:
    text = str(value or "").strip()
    if not low <= len(text) <= high:
        raise AdmissionError(f"{what}应为 {low}–{high} 个字")
    if text[:1] in "=+-@":
        raise AdmissionError(f"{what}不能以 =、+、-、@ 开头")
    return text


def latest_expiry(today: date | None = None) -> date:
    return form_templates.three_years_from(today or date.today())


@checked
def check_meta(scope: Scope, meta: RequestMeta) -> RequestMeta:
    """The particulars checked and tidied; AdmissionError (Chinese) on the first problem."""
    today = date.today()
    title = _text(meta.title, "报表名称", 2, 60)
    purpose = _text(meta.purpose, "用途说明", 5, 500)
    basis = _text(meta.legal_basis, "依据（文件或法规）", 2, 300)
    period = _text(meta.period, "统计期间", 1, 60)
    if meta.frequency not in reports.FREQUENCIES:
        raise AdmissionError("请选择报送频次")
    if meta.entity not in catalog.ENTITY_NAMES:
        raise AdmissionError("请选择报表对象（人口、户、房屋或商铺）")
    org = scope.narrow(meta.org_code)
    if catalog.org_unit(org) is None:
        raise AdmissionError("报表范围不是有效的组织单位")
    if not isinstance(meta.expires_on, date):
        raise AdmissionError("请填写申请的有效期")
    if meta.expires_on <= today:
        raise AdmissionError("有效期应晚于今天")
    if meta.expires_on > latest_expiry(today):
        raise AdmissionError(
            f"有效期最长 3 年，即不晚于 {latest_expiry(today):%Y-%m-%d}；到期后可申请续期"
        )
    known = {t["code"]: t for t in tags.tag_index() if t["entity"] == meta.entity}
    for code in meta.tags:
        tag = known.get(code)
        if tag is None or not tags.visible(scope, tag):
            raise AdmissionError(f"人群标签“{code}”不存在或您无权使用")
    return RequestMeta(
        title,
        purpose,
        basis,
        meta.frequency,
        org,
        period,
        meta.entity,
        meta.expires_on,
        tuple(dict.fromkeys(meta.tags)),
    )


def check_fields(fields: Sequence[RequestedField]) -> None:
    counted = [f for f in fields if f.field != "seq"]
    if not counted:
        raise AdmissionError("申请中没有任何字段：请上传本部门的表样，或从字段标准中选择字段")
    if len(counted) > MAX_COLUMNS:
        raise AdmissionError(
            f"申请了 {len(counted)} 个字段，一张报表最多 {MAX_COLUMNS} 个；请精简字段或拆分为几张报表"
        )


def _fingerprint(department: str, meta: RequestMeta, fields: Sequence[RequestedField]) -> str:
    content = {
        "department": department,
        "entity": meta.entity,
        "org": meta.org_code,
        "frequency": meta.frequency,
        "tags": sorted(meta.tags),
        "fields": [[f.header, f.field, f.relation] for f in fields],
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _refuse_duplicate(cur, department: str, fingerprint: str, title: str, code: str | None):
    row = db.run(
        cur,
        "admission/find_open_duplicate",
        department=department,
        fingerprint=fingerprint,
        title=title,
        template_code=code,
    ).fetchone()
    if row:
        raise AdmissionError(
            f"本部门已有一份相同的申请（第 {row[0]} 号“{row[2]}”，{STATES[row[1]]}），请勿重复提交"
        )


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _step(
    cur, scope: Scope, request_id: int, action: str, before: str | None, after: str, note: str
):
    db.run(
        cur,
        "admission/insert_step",
        request_id=request_id,
        username=scope.username,
        action=action,
        from_state=before,
        to_state=after,
        note=note or None,
    )
    auth.log_access(
        cur, scope.username, f"admission_{action}", f"报表申请第 {request_id} 号：{note}"[:300]
    )
    db.bump_data_version(cur)  # the figures on the dashboard and home page are cached by it


# ---------------------------------------------------------------------------------------------
# The requester


@checked
def preview(scope: Scope, meta: RequestMeta, fields: Sequence[RequestedField]) -> Assessment:
    """The assessment the requester sees before submitting (nothing is stored)."""
    return assess(
        scope, meta.entity, fields, meta.frequency, scope.narrow(meta.org_code), meta.tags
    )


def _register(
    scope: Scope,
    kind: str,
    meta: RequestMeta,
    fields: Sequence[RequestedField],
    fingerprint: str,
    *,
    shape: FormShape | None = None,
    code: str | None = None,
    note: str | None = None,
) -> int:
    """Store a checked request with its assessment and its first log step, unless the
    department already has the same one open; returns its number."""
    department = scope.department
    result = assess(scope, meta.entity, fields, meta.frequency, meta.org_code, meta.tags)
    with db.transaction() as cur:
        _refuse_duplicate(cur, department, fingerprint, meta.title, code)
        request_id = db.run(
            cur,
            "admission/insert_request",
            kind=kind,
            department=department,
            requested_by=scope.username,
            title=meta.title,
            purpose=meta.purpose,
            legal_basis=meta.legal_basis,
            frequency=meta.frequency,
            org_code=meta.org_code,
            period=meta.period,
            entity=meta.entity,
            filter=_json({"tags": {"all": list(meta.tags)}}),
            expires_on=meta.expires_on,
            fields=_json([f.to_json() for f in fields]),
            form=_json(shape.to_json() if shape else None),
            assessment=_json(result.to_json()),
            template_code=code,
            fingerprint=fingerprint,
        ).fetchone()[0]
        action = "submit" if kind == "new" else "request_renewal"
        _step(cur, scope, request_id, action, None, "submitted", note or meta.title)
    return request_id


@checked
def submit(
    scope: Scope,
    meta: RequestMeta,
    fields: Sequence[RequestedField],
    shape: FormShape | None = None,
) -> int:
    """Register a request; returns its number. The decisions on the form's headers are also
    remembered for this request (the mapper's memory, context "request:<id>")."""
    department = _require_requester(scope)
    meta = check_meta(scope, meta)
    check_fields(fields)
    fingerprint = _fingerprint(department, meta, fields)
    request_id = _register(scope, "new", meta, fields, fingerprint, shape=shape)
    decided = {f.header: f.field for f in fields if f.status == "confirmed"}
    if decided:
        mapping.remember(scope, f"request:{request_id}", decided)
    return request_id


@checked
def resubmit(
    scope: Scope,
    request_id: int,
    version: int,
    answer: str,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Answer the reviewer's questions and submit again (particulars may be revised)."""
    department = _require_requester(scope)
    row = get(scope, request_id)
    if row["department"] != department or row["state"] != "returned":
        raise AdmissionError("只有被退回的本部门申请可以补充后重新提交")
    answer = _text(answer, "补充说明", 2, 500)
    changes = dict(changes or {})
    meta = check_meta(
        scope,
        RequestMeta(
            row["title"],
            changes.get("purpose", row["purpose"]),
            changes.get("legal_basis", row["legal_basis"]),
            changes.get("frequency", row["frequency"]),
            row["org_code"],
            changes.get("period", row["period"]),
            row["entity"],
            changes.get("expires_on", row["expires_on"]),
            tuple(row["filter"]["tags"]["all"]),
        ),
    )
    fields = request_fields(row)
    result = assess(scope, meta.entity, fields, meta.frequency, meta.org_code, meta.tags)
    with db.transaction() as cur:
        done = db.run(
            cur,
            "admission/resubmit_request",
            id=request_id,
            version=version,
            purpose=meta.purpose,
            legal_basis=meta.legal_basis,
            frequency=meta.frequency,
            period=meta.period,
            expires_on=meta.expires_on,
            assessment=_json(result.to_json()),
            fingerprint=_fingerprint(department, meta, fields),
        ).fetchone()
        if done is None:
            raise AdmissionError(_stale(request_id))
        _step(cur, scope, request_id, "resubmit", "returned", "submitted", answer)


@checked
def withdraw(scope: Scope, request_id: int, version: int) -> None:
    department = _require_requester(scope)
    row = get(scope, request_id)
    if row["department"] != department or row["state"] not in OPEN_STATES:
        raise AdmissionError("只有尚未审结的本部门申请可以撤回")
    _change(scope, row, version, "withdraw", "withdrawn", "申请人撤回")


@checked
def request_renewal(scope: Scope, code: str, reason: str, expires_on: date) -> int:
    """Ask to renew one of the department's templates (expired or about to): a short review."""
    department = _require_requester(scope)
    reason = _text(reason, "续期理由", 5, 500)
    try:
        t = reports.template(scope, code)
    except ReportError as exc:
        raise AdmissionError(str(exc)) from exc
    if t["department"] != department:
        raise AccessDenied("只能为本部门的报表申请续期")
    if t["valid_to"] is None or t["status"] != "active":
        raise AdmissionError(f"报表“{t['name']}”没有有效期限制，无需续期")
    defn = t["definition"]
    fields = [
        RequestedField(c["header"], c.get("field") or c.get("derived"))
        for c in defn.get("columns") or []
    ]
    meta = check_meta(
        scope,
        RequestMeta(
            t["name"],
            reason,
            _renewal_basis(code),
            t["frequency"],
            scope.org_code,
            "续期",
            defn["entity"],
            expires_on,
            tuple((defn.get("filter") or {}).get("tags", {}).get("all", [])),
        ),
    )
    fingerprint = _fingerprint(department, meta, fields) + f":renew:{code}:{t['version']}"
    request_id = _register(
        scope, "renewal", meta, fields, fingerprint, code=code, note=f"{t['name']}：{meta.purpose}"
    )
    return request_id


def _renewal_basis(code: str) -> str:
    """The legal basis the template was last approved on, if it came through admission."""
    return db.fetch_value("admission/basis_of_template", template_code=code) or "原报表依据"


# ---------------------------------------------------------------------------------------------
# Reading


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("filter", "fields", "form", "assessment", "field_map"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    row["state_name"] = STATES[row["state"]]
    row["kind_name"] = KINDS[row["kind"]]
    row["frequency_name"] = reports.FREQUENCIES.get(row["frequency"], row["frequency"])
    row["entity_name"] = catalog.ENTITY_NAMES.get(row["entity"], row["entity"])
    return row


def _row(request_id: int) -> dict[str, Any]:
    rows = db.fetch_dicts("admission/get_request", id=request_id)
    if not rows:
        raise AdmissionError("申请不存在，或不属于您的部门")
    return _decode(rows[0])


@checked
def get(scope: Scope, request_id: int) -> dict[str, Any]:
    """One request the caller may see (own department, or any for the admin), with its log."""
    department = _visible_department(scope)
    row = _row(request_id)
    if department is not None and row["department"] != department:
        raise AdmissionError("申请不存在，或不属于您的部门")
    row["steps"] = db.fetch_dicts("admission/list_steps", request_id=request_id)
    for step in row["steps"]:
        step["action_name"] = ACTIONS.get(step["action"], step["action"])
        step["state_name"] = STATES.get(step["to_state"], step["to_state"])
    return row


@checked
def list_requests(
    scope: Scope, states: Sequence[str] | None = None, limit: int = PAGE_SIZE, offset: int = 0
) -> list[dict[str, Any]]:
    """Requests the caller may see, newest first (own department's, or all for the admin)."""
    department = _visible_department(scope)
    rows = db.fetch_dicts(
        "admission/list_requests",
        department=department,
        states=list(states) if states else None,
        limit=limit,
        offset=offset,
    )
    for row in rows:
        row["state_name"] = STATES[row["state"]]
        row["kind_name"] = KINDS[row["kind"]]
    return rows


def request_fields(row: Mapping[str, Any]) -> list[RequestedField]:
    return [RequestedField(**f) for f in row["fields"]]


def request_shape(row: Mapping[str, Any]) -> FormShape | None:
    return FormShape.from_json(row["form"]) if row.get("form") else None


@checked
def assessment_of(scope: Scope, row: Mapping[str, Any]) -> Assessment:
    """The assessment of a stored request, computed now against today's ledger and catalogue
    (a department account only of its own department's requests)."""
    department = _visible_department(scope)
    if department is not None and row["department"] != department:
        raise AdmissionError("申请不存在，或不属于您的部门")
    return assess(
        scope,
        row["entity"],
        request_fields(row),
        row["frequency"],
        row["org_code"],
        row["filter"]["tags"]["all"],
    )


# ---------------------------------------------------------------------------------------------
# The reviewer


def _stale(request_id: int) -> str:
    return f"第 {request_id} 号申请已被他人处理或已更新，请刷新后查看当前状态"


def _change(
    scope: Scope,
    row: Mapping[str, Any],
    version: int,
    action: str,
    state: str,
    note: str,
    *,
    cur=None,
    template_code: str | None = None,
    template_version: int | None = None,
    field_map: Any = None,
) -> None:
    def apply(cur) -> None:
        done = db.run(
            cur,
            "admission/set_state",
            id=row["id"],
            version=version,
            state=state,
            note=note,
            template_code=template_code,
            template_version=template_version,
            field_map=_json(field_map),
        ).fetchone()
        if done is None:
            raise AdmissionError(_stale(row["id"]))
        _step(cur, scope, row["id"], action, row["state"], state, note)

    if cur is not None:
        apply(cur)
    else:
        with db.transaction() as tx:
            apply(tx)


def _open_for_review(scope: Scope, request_id: int, kind: str | None = None) -> dict[str, Any]:
    row = get(scope, request_id)
    if row["state"] != "submitted":
        raise AdmissionError(f"第 {request_id} 号申请当前{row['state_name']}，不能审核")
    if kind and row["kind"] != kind:
        raise AdmissionError(
            "这是一份续期申请，请用“批准续期”或“不予通过”" if kind == "new" else "这不是续期申请"
        )
    return row


@checked
def return_request(scope: Scope, request_id: int, version: int, questions: str) -> None:
    """Send a request back with questions for the department."""
    row = _open_for_review(scope, request_id)
    _change(scope, row, version, "return", "returned", _text(questions, "退回的问题", 2, 500))


@checked
def reject(scope: Scope, request_id: int, version: int, reason: str) -> None:
    row = _open_for_review(scope, request_id)
    _change(scope, row, version, "reject", "rejected", _text(reason, "不予通过的理由", 2, 500))


def template_code_for(row: Mapping[str, Any]) -> str:
    return f"{row['department']}_req{row['id']:04d}"


@checked
def new_template(scope: Scope, row: Mapping[str, Any], result: Assessment | None = None) -> dict:
    """The template an approval would create: the request's fields in its form's own layout."""
    shape = request_shape(row)
    result = result or assessment_of(scope, row)
    today = date.today()
    return form_templates.definition(
        code=template_code_for(row),
        name=row["title"],
        department=row["department"],
        frequency=row["frequency"],
        entity=row["entity"],
        assessed=result.fields,
        tag_codes=row["filter"]["tags"]["all"],
        shape=shape,
        title=form_templates.title_pattern(shape.title)[1] if shape else None,
        description=f"报表准入第 {row['id']} 号申请：{row['purpose']}",
        valid_from=today,
        valid_to=min(row["expires_on"], latest_expiry(today)),
        minutes=form_templates.manual_minutes(result.held, result.rows),
    )


@checked
def approve_new(scope: Scope, request_id: int, version: int, note: str = "") -> str:
    """Approve as a new template: it enters the catalogue (versioned, with department, frequency
    and expiry) in the same transaction as the decision; returns its code."""
    row = _open_for_review(scope, request_id, "new")
    defn = _with_template(
        scope,
        row,
        version,
        new_template(scope, row),
        "approve_new",
        "approved_new",
        note,
        lambda d: f"已新建报表“{d['name']}”，有效期至 {d['valid_to']}",
        "无法生成报表模板",
    )
    return defn["code"]


def _with_template(scope, row, version, data, action, state, note, default_note, failure) -> dict:
    """Store a template version and move the request, in one transaction."""
    with db.transaction() as cur:
        try:
            defn = reports.insert_next_version(cur, scope, data)
        except ReportError as exc:
            raise AdmissionError(f"{failure}：{exc}") from exc
        text = note.strip() or default_note(defn)
        _change(
            scope,
            row,
            version,
            action,
            state,
            text[:500],
            cur=cur,
            template_code=defn["code"],
            template_version=defn["version"],
        )
    return defn


@checked
def default_field_map(scope: Scope, row: Mapping[str, Any], code: str) -> dict[str, str | None]:
    """Requested header → the existing template's column header holding the same field."""
    t = reports.template(scope, code)
    columns = {c.get("field") or c.get("derived"): c["header"] for c in t["definition"]["columns"]}
    return {f.header: columns.get(f.field) for f in request_fields(row) if f.field != "seq"}


@checked
def approve_existing(
    scope: Scope,
    request_id: int,
    version: int,
    code: str,
    field_map: Mapping[str, str | None] | None = None,
    note: str = "",
) -> None:
    """Approve as "use existing template X": the department uses X (it is granted to them);
    `field_map` (requested header → X's column, None where X has nothing) is kept."""
    row = _open_for_review(scope, request_id, "new")
    try:
        t = reports.template(scope, code)
    except ReportError as exc:
        raise AdmissionError(str(exc)) from exc
    if not reports.in_force(t) or t["definition"].get("kind") != "list":
        raise AdmissionError(f"报表“{t['name']}”不是在用的名册类报表，不能作为替代")
    if t["definition"]["entity"] != row["entity"]:
        raise AdmissionError(f"报表“{t['name']}”的对象与申请不同，不能作为替代")
    mapped = dict(field_map) if field_map is not None else default_field_map(scope, row, code)
    headers = {c["header"] for c in t["definition"]["columns"]}
    bad = [v for v in mapped.values() if v is not None and v not in headers]
    if bad:
        raise AdmissionError(f"“{bad[0]}”不是报表“{t['name']}”的列")
    covered = sum(v is not None for v in mapped.values())
    text = note.strip() or (
        f"请使用现有报表“{t['name']}”（{t['department']}），"
        f"覆盖申请的 {covered}/{len(mapped)} 个字段"
    )
    _change(
        scope,
        row,
        version,
        "approve_existing",
        "approved_existing",
        text[:500],
        template_code=code,
        template_version=t["version"],
        field_map=mapped,
    )


@checked
def renew(scope: Scope, request_id: int, version: int, note: str = "") -> int:
    """Approve a renewal: the template's next version runs to the requested expiry (≤ 3 years
    from today); returns that version."""
    row = _open_for_review(scope, request_id, "renewal")
    t = reports.template(scope, row["template_code"])
    today = date.today()
    valid_to = min(row["expires_on"], latest_expiry(today))
    data = {**t["definition"], "code": t["code"], "status": "active", "valid_to": valid_to}
    defn = _with_template(
        scope,
        row,
        version,
        data,
        "renew",
        "renewed",
        note,
        lambda d: f"已续期至 {valid_to:%Y-%m-%d}",
        "无法续期",
    )
    return defn["version"]


# ---------------------------------------------------------------------------------------------
# Expiry


@checked
def expiring(scope: Scope, within_days: int = REMIND_DAYS, today: date | None = None) -> list[dict]:
    """Templates past their expiry or expiring within `within_days`: the caller's department's
    (all for the admin), each with days left (negative: expired) and any open renewal."""
    department = _visible_department(scope)
    today = today or date.today()
    horizon = today + timedelta(days=within_days)
    pending = {
        r["template_code"]: r["id"]
        for r in db.fetch_dicts(
            "admission/list_requests",
            department=department,
            states=list(OPEN_STATES),
            limit=PAGE_SIZE,
            offset=0,
        )
        if r["kind"] == "renewal"
    }
    out = []
    for t in db.fetch_dicts("reports/list_templates"):
        if department is not None and t["department"] != department:
            continue
        if t["status"] != "active" or t["valid_to"] is None or t["valid_to"] > horizon:
            continue
        out.append(
            {
                "code": t["code"],
                "name": t["name"],
                "department_name": t["department_name"],
                "valid_to": t["valid_to"],
                "days_left": (t["valid_to"] - today).days,
                "expired": t["valid_to"] < today,
                "renewal_request": pending.get(t["code"]),
            }
        )
    out.sort(key=lambda r: r["days_left"])
    return out
