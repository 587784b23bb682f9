"""走访采集 on paper: a grid's collection sheet (known values filled, fields to collect blank, one
row per member, protected header, a hidden signed key column) and its way back — checked row by
row, previewed per household, committed through the import engine as 社区走访采集."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from yibiaotong import auth, catalog, db, ledger, sessions, validate, visits
from yibiaotong.excel import upload
from yibiaotong.excel.cells import display_width, put_text
from yibiaotong.importing import batches, commit, sources, stage
from yibiaotong.permissions import checked
from yibiaotong.scope import AccessDenied, Scope

KEY_HEADER = "系统键（勿改）"
FIXED = ("地址", "姓名", "与户主关系")
OUTCOME_HEADER, NOTE_HEADER = "走访结果", "备注"
TITLE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3
_LOCKED_FILL = PatternFill("solid", fgColor="EEF2F7")
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F4")
_OUTCOME_NAMES = {n: o for o, n in visits.OUTCOMES.items() if o != "pending"}


class SheetError(visits.VisitError):
    """A sheet refused as a whole (another campaign, no key column, a broken header)."""


# ---------------------------------------------------------------- keys


def _secret() -> bytes:
    return hmac.new(sessions.cookie_key().encode(), b"visit-sheet", hashlib.sha256).digest()


def _sign(campaign_id: str, grid: str, record_id: int, version: int) -> str:
    body = f"{campaign_id}|{grid}|{record_id}|{version}"
    sig = hmac.new(_secret(), body.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{body}|{sig}"


def _unsign(key: Any) -> tuple[str, str, int, int] | None:
    """(campaign, grid, resident id, version) of an untouched key, else None."""
    parts = str(key or "").strip().split("|")
    if len(parts) != 5:
        return None
    campaign_id, grid, record_id, version, sig = parts
    try:
        expected = _sign(campaign_id, grid, int(record_id), int(version)).rsplit("|", 1)[1]
    except ValueError:
        return None
    if not hmac.compare_digest(expected, sig):
        return None
    return campaign_id, grid, int(record_id), int(version)


# ---------------------------------------------------------------- what a sheet holds


def _sheet_fields(scope: Scope, campaign: dict) -> list[dict]:
    """The campaign's member fields a sheet carries: sensitive ones only for cleared callers."""
    if campaign["entity"] != "household":
        raise visits.VisitError("纸质采集表目前只用于入户走访（户及成员）。")
    by_code = {f["code"]: f for f in ledger.fields("resident")}
    wanted = [*campaign["verify_fields"], *campaign["collect_fields"]]
    return [
        by_code[c]
        for c in wanted
        if c in by_code and (scope.clearance or by_code[c]["sensitivity"] != "sensitive")
    ]


def _writable(campaign: dict) -> set[str]:
    """Fields the 社区走访采集 source may set through the import engine."""
    src = sources.source(visits.VISIT_SOURCE)
    return set(src.priorities) if src else set()


def _header(f: dict, campaign: dict, writable: set[str]) -> str:
    if f["code"] not in writable:
        return f"{f['name']}（只读）"
    return f"{f['name']}（采集）" if f["code"] in campaign["collect_fields"] else f["name"]


def _grid_tasks(scope: Scope, campaign_id: str, grid_code: str) -> list[dict]:
    unit = catalog.org_unit(str(grid_code or ""))
    if unit is None or unit["level"] != "grid":
        raise visits.VisitError("请选择网格。")
    rows = db.fetch_dicts(
        "visits/grid_tasks",
        campaign_id=campaign_id,
        grid_code=unit["code"],
        org_code=scope.org_code,
        assignee=visits._assignee(scope),
    )
    if not rows:
        raise AccessDenied("该网格没有分派给您的走访任务。")
    return rows


@checked
def my_grids(scope: Scope, campaign_id: str) -> list[dict]:
    """Grids of a campaign where the caller has tasks (to pick a sheet)."""
    campaign = visits.get_campaign(scope, campaign_id)
    rows = db.fetch_dicts(
        "visits/my_grids",
        campaign_id=campaign["id"],
        org_code=scope.org_code,
        assignee=visits._assignee(scope),
    )
    for r in rows:
        r["name"] = catalog.org_label(r["grid_code"])
    return rows


def _members(scope: Scope, tasks: list[dict]) -> list[dict]:
    ids = [t["entity_id"] for t in tasks]
    with db.cursor() as cur:
        rel = db.run(cur, "visits/grid_members", ids=ids, org_code=scope.org_code)
        cols = [d[0] for d in rel.description]
        rows = [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
    for r in rows:
        r["attrs"] = json.loads(r["attrs"]) if r.get("attrs") else {}
    return rows


def _cell_text(f: dict, value: Any) -> str:
    """A value as the sheet writes it (and as an untouched cell reads back)."""
    if value in (None, ""):
        return ""
    if f["code_list"]:
        return catalog.code_items(f["code_list"]).get(str(value), str(value))
    if isinstance(value, date | datetime):
        return value.strftime("%Y-%m-%d")
    if f["data_type"] == "bool":
        return "是" if value in (True, "true", "True") else "否"
    return str(value)


# ---------------------------------------------------------------- download


@checked
def collection_sheet(scope: Scope, campaign_id: str, grid_code: str) -> bytes:
    """The grid's collection sheet as .xlsx bytes."""
    campaign = visits.get_campaign(scope, campaign_id)
    fields = _sheet_fields(scope, campaign)
    writable = _writable(campaign)
    tasks = _grid_tasks(scope, campaign["id"], grid_code)
    labels = {t["entity_id"]: (t["label"] or "").removeprefix("杭州市上城区") for t in tasks}
    relations = catalog.code_items("relation_to_head")
    headers = [KEY_HEADER, *FIXED, *(_header(f, campaign, writable) for f in fields)]
    headers += [OUTCOME_HEADER, NOTE_HEADER]
    wb = Workbook()
    ws = wb.active
    ws.title = "采集表"
    title = f"{campaign['name']} · {catalog.org_label(grid_code)} · 入户采集表（{date.today():%Y-%m-%d}）"
    put_text(ws.cell(TITLE_ROW, 2), title).font = Font(bold=True, size=13)
    widths = [display_width(h) + 2 for h in headers]
    for col, h in enumerate(headers, start=1):
        cell = put_text(ws.cell(HEADER_ROW, col), h)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    row = FIRST_ROW
    for m in _members(scope, tasks):
        values = [
            _sign(campaign["id"], grid_code, m["id"], m["version"]),
            labels.get(m["household_id"], ""),
            m["name"],
            relations.get(m["relation_to_head"] or "", ""),
        ]
        values += [_cell_text(f, ledger.value_of(m, f)) for f in fields]
        values += ["", ""]
        for col, value in enumerate(values, start=1):
            cell = put_text(ws.cell(row, col), value)
            editable = col > 1 + len(FIXED) and (
                col > len(headers) - 2 or fields[col - 2 - len(FIXED)]["code"] in writable
            )
            cell.protection = Protection(locked=not editable)
            if not editable:
                cell.fill = _LOCKED_FILL
            widths[col - 1] = max(widths[col - 1], min(display_width(value) + 2, 40))
        row += 1
    outcomes = DataValidation(
        type="list", formula1='"' + ",".join(_OUTCOME_NAMES) + '"', allow_blank=True
    )
    outcomes.error, outcomes.errorTitle = "请从下拉列表中选择走访结果", "走访结果"
    ws.add_data_validation(outcomes)
    outcome_col = ws.cell(HEADER_ROW, len(headers) - 1).column_letter
    outcomes.add(f"{outcome_col}{FIRST_ROW}:{outcome_col}{max(row - 1, FIRST_ROW)}")
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(HEADER_ROW, col).column_letter].width = width
    ws.column_dimensions["A"].hidden = True
    ws.freeze_panes = ws.cell(FIRST_ROW, 3)
    ws.protection.sheet = True  # header, key and read-only cells locked; no password to forget
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    out = io.BytesIO()
    wb.save(out)
    auth.record(
        scope.username, "visit_sheet", f"{campaign['name']} {grid_code}（{row - FIRST_ROW} 人）"
    )
    return out.getvalue()


# ---------------------------------------------------------------- upload: check


@dataclass
class Change:
    resident_id: int
    name: str
    field: str
    field_name: str
    old: str
    new: str
    value: Any


@dataclass
class Household:
    id: int
    label: str
    outcome: str | None = None
    note: str | None = None
    changes: list[Change] = field(default_factory=list)
    confirmed: list[tuple[int, str]] = field(default_factory=list)  # (resident id, field)
    id_numbers: dict[int, str] = field(default_factory=dict)


@dataclass
class SheetCheck:
    """What an uploaded sheet would do, per household, and the rows refused with reasons."""

    campaign_id: str
    grid_code: str
    households: dict[int, Household]
    refused: list[tuple[int, str]]  # (sheet row, reason)
    rows: int

    @property
    def change_count(self) -> int:
        return sum(len(h.changes) for h in self.households.values())


def _text_of(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw(f: dict, text: str) -> Any:
    """A typed cell as the ledger's value: code names back to codes."""
    if f["code_list"]:
        items = catalog.code_items(f["code_list"])
        by_name = {name: code for code, name in items.items()}
        return by_name.get(text, text)
    return text


@checked
def check_sheet(scope: Scope, campaign_id: str, grid_code: str, data: bytes) -> SheetCheck:
    """Read a returned sheet; nothing is written. Refused: a sheet without its key column or of
    another campaign (whole), and rows of another grid, with an edited key, formula text, a value
    failing its validator, or changed since the download (each row with its reason)."""
    campaign = visits.get_campaign(scope, campaign_id)
    if campaign["state"] != "open":
        raise SheetError("该走访已结束，任务已冻结，不能再上传采集表。")
    fields = _sheet_fields(scope, campaign)
    writable = _writable(campaign)
    tasks = {t["entity_id"]: t for t in _grid_tasks(scope, campaign["id"], grid_code)}
    try:
        ws = upload.open_workbook(data).worksheets[0]
    except upload.UploadError as exc:
        raise SheetError(str(exc)) from None
    header = [_text_of(c) for c in next(ws.iter_rows(HEADER_ROW, HEADER_ROW))]
    if not header or header[0] != KEY_HEADER:
        raise SheetError(
            "采集表缺少隐藏的键列（第一列），无法与台账核对。请重新下载本网格的采集表后填写。"
        )
    columns = {h: i for i, h in enumerate(header)}
    by_header = {_header(f, campaign, writable): f for f in fields}
    missing = [h for h in [*FIXED, *by_header, OUTCOME_HEADER] if h not in columns]
    if missing:
        raise SheetError(f"采集表缺少列：{'、'.join(missing)}。请使用本次走访下载的采集表。")
    members = {m["id"]: m for m in _members(scope, list(tasks.values()))}
    check = SheetCheck(campaign["id"], grid_code, {}, [], 0)
    rows_by_household: dict[int, list[tuple[int, list]]] = {}
    for number, cells in enumerate(ws.iter_rows(min_row=FIRST_ROW), start=FIRST_ROW):
        if all(_text_of(c) == "" for c in cells):
            continue
        check.rows += 1
        reason = _check_row(campaign, grid_code, cells, members)
        if reason:
            check.refused.append((number, reason))
            continue
        record = members[_unsign(cells[0].value)[2]]
        rows_by_household.setdefault(record["household_id"], []).append((number, cells))
    for household_id, rows in rows_by_household.items():
        h = Household(
            household_id, (tasks[household_id]["label"] or "").removeprefix("杭州市上城区")
        )
        outcomes = {_text_of(cells[columns[OUTCOME_HEADER]]) for _, cells in rows} - {""}
        if len(outcomes) > 1:
            check.refused.extend((n, "同一户的走访结果填写不一致，本户未导入") for n, _ in rows)
            continue
        text = next(iter(outcomes), "")
        if text and text not in _OUTCOME_NAMES:
            reason = f"走访结果“{text[:10]}”不是可选的结果（{'、'.join(_OUTCOME_NAMES)}）"
            check.refused.extend((n, reason) for n, _ in rows)
            continue
        h.outcome = _OUTCOME_NAMES.get(text)
        for number, cells in rows:
            reason = _read_row(h, cells, columns, by_header, writable, members)
            if reason:
                check.refused.append((number, reason))
        if h.changes or h.outcome:
            check.households[household_id] = h
    check.refused.sort()
    return check


def _check_row(campaign, grid_code, cells, members) -> str | None:
    """Why a row cannot be used at all (a formula, its key), or None."""
    for c in cells:
        if c.data_type == "f":
            return f"{c.coordinate} 含公式，未导入（请直接填写值）"
    key = _unsign(cells[0].value if cells else None)
    if key is None:
        return "系统键被修改或缺失，无法核对，未导入"
    campaign_id, grid, record_id, version = key
    if campaign_id != campaign["id"]:
        return "该行不是本次走访的采集表，未导入"
    if grid != grid_code:
        return f"该行属于其他网格（{catalog.org_label(grid)}），未导入"
    record = members.get(record_id)
    if record is None:
        return "该成员已不在本网格您负责的户中，未导入"
    if record["version"] != version:
        return "下载后台账已更新该成员，请重新下载采集表后再填写，未导入"
    return None


def _read_row(h, cells, columns, by_header, writable, members) -> str | None:
    """Collect one member's changes and confirmations into the household; a reason refuses the
    whole row (nothing of it is kept). Blank cells change nothing; an untouched known value
    counts as confirmed when the household was visited."""
    record = members[_unsign(cells[0].value)[2]]
    changes, confirmed, raw = [], [], {}
    for header, f in by_header.items():
        text = _text_of(cells[columns[header]])
        known = _cell_text(f, ledger.value_of(record, f))
        if text == "" or text == known:
            if known and text == known:
                confirmed.append((record["id"], f["code"]))
            continue
        if text.startswith("="):
            return f"“{f['name']}”含公式样式的文字，未导入"
        if f["code"] not in writable:
            return f"“{f['name']}”不能通过纸质采集表修改，请用手机走访更正"
        raw[f["code"]] = _raw(f, text)
        changes.append((f, known, text))
    if changes and h.outcome != "visited":
        return "修改信息须在“走访结果”填写“已走访”"
    if changes and not record.get("id_number"):
        return "该成员没有身份证号，纸质采集无法与台账比对，请用手机走访更正"
    clean = {}
    if changes:
        try:
            clean = ledger.validate_changes("resident", record, raw)
        except ledger.ValidationFailed as exc:
            return "；".join(exc.errors)
    note = _text_of(cells[columns[NOTE_HEADER]]) if NOTE_HEADER in columns else ""
    if note:
        try:
            h.note = validate.text(note, "备注", 200)
        except validate.ValidationError as exc:
            return str(exc)
    for f, known, text in changes:
        h.changes.append(
            Change(
                record["id"], record["name"], f["code"], f["name"], known, text, clean[f["code"]]
            )
        )
        h.id_numbers[record["id"]] = record["id_number"]
    if h.outcome == "visited":
        h.confirmed.extend(confirmed)
    return None


# ---------------------------------------------------------------- upload: through the engine


def _engine_file(check: SheetCheck) -> tuple[bytes, dict[int, str]]:
    """The changed cells as a CSV the import engine reads: 身份证号 and one column per field."""
    codes = sorted({c.field for h in check.households.values() for c in h.changes})
    names = {f["code"]: f["name"] for f in ledger.fields("resident")}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([names["resident_id_number"], *(names[c] for c in codes)])
    for h in check.households.values():
        by_member: dict[int, dict[str, str]] = {}
        for c in h.changes:
            by_member.setdefault(c.resident_id, {})[c.field] = ledger._as_text(c.value) or ""
        for resident_id, values in by_member.items():
            writer.writerow([h.id_numbers[resident_id], *(values.get(c, "") for c in codes)])
    chosen = {0: "resident_id_number", **{i + 1: c for i, c in enumerate(codes)}}
    return out.getvalue().encode("utf-8"), chosen


@checked
def preview_sheet(scope: Scope, campaign_id: str, grid_code: str, data: bytes):
    """Check the sheet, then stage its changed cells in the import engine (source 社区走访采集):
    (check, batch id or None, the engine's summary or None). Nothing of the ledger changes."""
    check = check_sheet(scope, campaign_id, grid_code, data)
    if not check.change_count:
        return check, None, None
    payload, chosen = _engine_file(check)
    with batches.for_visit_sheet():
        batch_id, _ = stage.upload(
            scope,
            payload,
            f"走访采集表_{grid_code}.csv",
            visits.VISIT_SOURCE,
            default_org=grid_code,
        )
        summary = stage.preview(scope, batch_id, chosen, remember=False)
    return check, batch_id, summary


@checked
def commit_sheet(
    scope: Scope, campaign_id: str, grid_code: str, data: bytes, batch_id: str | None
) -> dict[str, int]:
    """Commit the previewed batch through the import engine, then record outcomes, corrections,
    fills and confirmations on the campaign's tasks (the sheet is checked again, never trusted
    from the preview). The engine's commit and this bookkeeping are two transactions: a failure
    between them leaves the values written (undoable as an import batch) and the tasks open."""
    check = check_sheet(scope, campaign_id, grid_code, data)
    written: list[tuple] = []
    if batch_id is not None:
        with batches.for_visit_sheet():
            batch = batches.get(scope, batch_id)
            if batch["source"] != visits.VISIT_SOURCE or batch["created_by"] != scope.username:
                raise AccessDenied("该导入批次不是您上传的采集表。")
            commit.commit(scope, batch_id)
        written = db.fetch_all("visits/batch_changes", batch_id=batch_id)
    elif check.change_count:
        raise SheetError("采集表有修改，请先预览再确认写入。")
    applied = {(r[0], r[1]): r for r in written}
    counts = {"households": 0, "applied": len(written), "confirmed": 0}
    visit_batch = batch_id or uuid.uuid4().hex[:12]
    with db.transaction() as cur:
        for h in check.households.values():
            log = [
                ("resident", e, f, "filled" if old is None else "corrected", old, new)
                for (e, f), (_, _, old, new) in applied.items()
                if e in {c.resident_id for c in h.changes}
            ]
            log += [("resident", e, f, "confirmed", None, None) for e, f in h.confirmed]
            if h.outcome:
                db.run(
                    cur,
                    "visits/record_task",
                    campaign_id=check.campaign_id,
                    entity_id=h.id,
                    org_code=scope.org_code,
                    outcome=h.outcome,
                    note=h.note,
                    username=scope.username,
                    batch_id=visit_batch,
                )
                counts["households"] += 1
            visits.record_work(cur, scope, check.campaign_id, h.id, grid_code, log, visit_batch)
            counts["confirmed"] += len(h.confirmed)
        db.bump_data_version(cur)
    return counts
