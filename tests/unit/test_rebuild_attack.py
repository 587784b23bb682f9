"""Masked ID numbers and phones cannot be rebuilt: the test plays the attacker.

Uncleared roles walk every path they have — the ledger list, each record and its history (a
social worker whose clearance was withdrawn), the tag-query pages and Excel export, every report
template (street leader, department staff) and the dashboard export — and keep every visible
column of every row. Rows are linked into people the way an attacker would (name and masked
number), birth information is intersected (birth year, exact age today, any date shown), and for
each person the hidden digits are enumerated against the region, sex digit and GB 11643 check
digit that stay visible. No person may be left with a single candidate number, and the true
number must be among the candidates (so the attacker model is right, not merely pessimistic).
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from yibiaotong import auth, dashboard, db, ledger, reports, tag_query
from yibiaotong.config import ROOT
from yibiaotong.scope import AccessDenied, Scope

TODAY = date.today()
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"  # check character for (weighted sum mod 11)
BIRTH = range(6, 14)
EARLIEST = date(1890, 1, 1)
FULL_ID = re.compile(r"(?<![\dX*])\d{17}[\dX](?![\dX*])")
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
RELATIVES = ("户主", "母亲", "父亲", "监护", "联系人", "产权", "负责", "配偶", "紧急")


# ---------------------------------------------------------------- what the attacker keeps


@dataclass
class Person:
    """Everything seen about one person across paths."""

    name: str
    masked_ids: set[str] = field(default_factory=set)
    windows: list[tuple[date, date]] = field(default_factory=list)
    sexes: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


@dataclass
class Sighting:
    """One row's worth of what a path showed about one person."""

    path: str
    name: str | None = None
    masked_id: str | None = None
    window: tuple[date, date] | None = None
    windows: list[tuple[date, date]] = field(default_factory=list)
    sex: str | None = None
    phone: str | None = None


def _year_window(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _shift(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_window(age: int) -> tuple[date, date]:
    """Born in this window means `age` full years today (a day of slack either side)."""
    return _shift(TODAY, age + 1) + timedelta(days=0), _shift(TODAY, age) + timedelta(days=1)


def _birth_window(value: Any) -> tuple[date, date] | None:
    """What a shown 出生日期 / 出生年月 value says: a day, a month or a year."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value, value
    text = str(value)
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text):
        day = date(int(m[1]), int(m[2]), int(m[3]))
        return day, day
    if m := re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", text):
        first = date(int(m[1]), int(m[2]), 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return first, last
    if m := re.fullmatch(r"(\d{4})年?", text):
        return _year_window(int(m[1]))
    return None


def sighting(path: str, row: Mapping[str, Any]) -> Sighting:
    """Read one row by its column labels, as an attacker reads a spreadsheet."""
    seen = Sighting(path)
    for label, value in row.items():
        label = str(label)
        if value is None or value == "" or any(word in label for word in RELATIVES):
            continue
        text = str(value).strip()
        if label.endswith("姓名") or label == "姓名":
            seen.name = text
        elif ("身份" in label or "证件号" in label) and re.fullmatch(r"[\dX*]{15,18}", text):
            seen.masked_id = text
        elif "出生" in label:
            if (window := _birth_window(value)) is not None:
                seen.windows.append(window)
        elif label.startswith("年龄") and re.fullmatch(r"\d{1,3}", text):
            seen.windows.append(_age_window(int(text)))
        elif label == "性别":
            seen.sex = text
        elif ("电话" in label or "手机" in label) and re.fullmatch(r"[\d*\-转]{7,20}", text):
            seen.phone = text
    return seen


# ---------------------------------------------------------------- the enumeration


def _days(masked: str, window: tuple[date, date]) -> Iterator[str]:
    """Birth dates (YYYYMMDD) in the window that agree with any birth digit the mask shows."""
    day = window[0]
    while day <= window[1]:
        text = f"{day:%Y%m%d}"
        if all(masked[i] in ("*", text[i - 6]) for i in BIRTH):
            yield text
        day += timedelta(days=1)


def _assignments(masked: str, sex: str | None) -> list[list[tuple[int, int]]]:
    """Digit choices of the hidden positions outside the birth date and the check digit."""
    choices = []
    for i, ch in enumerate(masked[:17]):
        if ch != "*" or i in BIRTH:
            continue
        digits = range(10)
        if i == 16 and sex in ("男", "女"):
            digits = [d for d in digits if d % 2 == (1 if sex == "男" else 0)]
        choices.append([(i, d) for d in digits])
    return choices


def id_candidates(masked: str, window: tuple[date, date], sex: str | None) -> list[str]:
    """Every number that shows as `masked`, was born in `window` and fits the sex and the check
    digit, listed one by one (the slow, obvious way; used to check count_candidates)."""
    out = []
    for text in _days(masked, window):
        for assignment in itertools.product(*_assignments(masked, sex)):
            body = list(masked[:17])
            body[6:14] = text
            for i, d in assignment:
                body[i] = str(d)
            check = CHECK[sum(WEIGHTS[i] * int(body[i]) for i in range(17)) % 11]
            if masked[17] in ("*", check):
                out.append("".join(body) + check)
    return out


@functools.lru_cache(maxsize=4096)
def _birth_residues(window: tuple[date, date]) -> Counter:
    """Birth dates of a window by the weighted sum mod 11 of their eight digits."""
    return Counter(
        sum(WEIGHTS[i] * int(t[i - 6]) for i in BIRTH) % 11 for t in _days("*" * 18, window)
    )


def count_candidates(masked: str, window: tuple[date, date], sex: str | None) -> int:
    """len(id_candidates(...)) by counting: per birth date, how many assignments of the other
    hidden digits give the weighted sum the visible check digit needs (mod 11)."""
    ways = [0] * 11  # assignments of the other hidden digits by their weighted sum mod 11
    ways[0] = 1
    for choices in _assignments(masked, sex):
        step = [0] * 11
        for residue, n in enumerate(ways):
            for i, d in choices:
                step[(residue + WEIGHTS[i] * d) % 11] += n
        ways = step
    if any(masked[i] != "*" for i in BIRTH):  # a mask showing birth digits: date by date
        births = Counter(
            sum(WEIGHTS[i] * int(t[i - 6]) for i in BIRTH) % 11 for t in _days(masked, window)
        )
    else:
        births = _birth_residues(window)
    fixed = sum(
        WEIGHTS[i] * int(ch) for i, ch in enumerate(masked[:17]) if ch != "*" and i not in BIRTH
    )
    if masked[17] == "*":
        return sum(births.values()) * sum(ways)
    need = CHECK.index(masked[17])
    return sum(n * ways[(need - fixed - residue) % 11] for residue, n in births.items())


def fits(number: str, masked: str, window: tuple[date, date], sex: str | None) -> bool:
    """Whether a true number is among the candidates (the attacker model is right)."""
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    shown = all(m in ("*", n) for m, n in zip(masked, number, strict=True))
    parity = sex not in ("男", "女") or int(number[16]) % 2 == (1 if sex == "男" else 0)
    return shown and parity and window[0] <= born <= window[1]


def phone_candidates(masks: set[str]) -> int:
    """10 to the number of digit positions no shown form of the number reveals."""
    by_length = defaultdict(list)
    for m in masks:
        by_length[len(m)].append(m)
    counts = []
    for same in by_length.values():
        hidden = sum(all(m[i] == "*" for m in same) for i in range(len(same[0])))
        counts.append(10**hidden)
    return min(counts)


# ---------------------------------------------------------------- the paths


@pytest.fixture(scope="module")
def district(private_district):
    """A private copy of the fixture district: sw_hongmei has lost clearance, and some phones
    of her community were changed (so the history shows old and new numbers)."""
    with private_district("attack") as copy:
        with db.transaction() as cur:
            cur.execute("update app_user set clearance = false where username = 'sw_hongmei'")
        admin = auth.scope_for("admin")
        worker = auth.scope_for("sw_hongmei")
        ids = list(ledger.search(admin, "resident", org_code=worker.org_code, page_size=8)[0]["id"])
        for n, rid in enumerate(ids):
            version = ledger.get(admin, "resident", rid)["version"]
            ledger.save(admin, "resident", rid, {"resident_phone": f"1391234{n:04d}"}, version)
        yield copy


def _frame_rows(frame) -> Iterator[dict]:
    yield from frame.to_dict("records")


def _workbook(data: bytes, header_row: int = 0) -> tuple[str, list[dict]]:
    """All cell text of a workbook (for the leak scan) and, given a header row, the rows of its
    first sheet under that header."""
    texts, rows = [], []
    for number, ws in enumerate(load_workbook(io.BytesIO(data), read_only=True).worksheets):
        header = None
        for at, values in enumerate(ws.iter_rows(values_only=True), start=1):
            texts += [str(v) for v in values if v is not None]
            if number or not header_row or at < header_row:
                continue
            if at == header_row:
                header = values
            else:
                rows.append(dict(zip(header, values, strict=False)))
    return "\n".join(texts), rows


LEDGER_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "联系电话",
}


def ledger_paths(worker: Scope) -> Iterator[tuple[str, dict, str]]:
    """The ledger list page by page, then each record page: its fields and its history."""
    page = 1
    while True:
        rows, total = ledger.search(worker, "resident", None, status=None, page=page)
        for row in _frame_rows(rows):
            yield (
                "台账列表",
                {LEDGER_LABELS.get(k, k): v for k, v in row.items()},
                json.dumps(row, default=str, ensure_ascii=False),
            )
        if page * ledger.PAGE_SIZE >= total:
            break
        page += 1
    with db.cursor() as cur:
        ids = [
            r[0]
            for r in cur.execute(
                "select id from resident where starts_with(grid_code, $o) order by id",
                {"o": worker.org_code},
            ).fetchall()
        ]
    fields = ledger.fields("resident")
    for rid in ids:
        record = ledger.open_record(worker, "resident", rid)
        shown = {f["name"]: ledger.display(worker, f, ledger.value_of(record, f)) for f in fields}
        hints = ledger.quality_hints(worker, "resident", record)
        history = ledger.history(worker, "resident", rid)
        # One record page: its fields, hints and every old and new value of its history.
        for change in history:
            for value in (change["old"], change["new"]):
                shown.setdefault(f"历史·{change['field_name']}", value)
        page_text = json.dumps([shown, hints, history], default=str, ensure_ascii=False)
        yield "记录与历史", shown, page_text
        for change in history:
            for value in (change["old"], change["new"]):
                row = {"姓名": record["name"], change["field_name"]: value}
                yield "记录历史", row, str(value)


SPECS = (
    {"entity": "resident"},
    {"entity": "resident", "tags": {"any": ["second_child", "multi_child"]}},
    {"entity": "household"},
)


def tag_query_paths(scope: Scope) -> Iterator[tuple[str, dict, str]]:
    for spec in SPECS:
        offset = 0
        while True:
            frame = tag_query.page(scope, spec, 500, offset)
            for row in _frame_rows(frame):
                yield "标签查询页面", row, json.dumps(row, default=str, ensure_ascii=False)
            offset += 500
            if offset >= frame.attrs["total"]:
                break
        buffer = io.BytesIO()
        tag_query.export(scope, spec, buffer)
        text, rows = _workbook(buffer.getvalue(), header_row=2)
        yield "标签查询导出", {}, text
        for row in rows:
            yield "标签查询导出", row, ""


def report_paths(scope: Scope) -> Iterator[tuple[str, dict, str]]:
    """Every template the caller may run: its rows as the workbook gets them, and the workbook."""
    for template in reports.templates(scope, include_inactive=True):
        try:
            prepared = reports.prepare(scope, template["code"])
            buffer = io.BytesIO()
            reports.generate(scope, template["code"], buffer, prepared=prepared)
        except (reports.ReportError, AccessDenied):
            continue
        path = f"报表·{template['name']}"
        yield path, {}, _workbook(buffer.getvalue())[0]
        if prepared.kind != "list":
            continue
        headers = [c.header for c in prepared.columns]
        for values in reports.iter_rows(prepared):
            yield path, dict(zip(headers, values, strict=False)), ""


FORM_HEADERS = (
    "序号",
    "姓名",
    "性别",
    "出生年月",
    "公民身份号码",
    "联系电话",
    "户主姓名",
    "户主身份证号",
)


def _blank_form() -> bytes:
    """A department's own roster form: a title, one header row (出生年月 is filled as a month)."""
    wb = Workbook()
    wb.active.append(["人员花名册"])
    wb.active.append(list(FORM_HEADERS))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def form_paths(scope: Scope, limit: int = 6) -> Iterator[tuple[str, dict, str]]:
    """The caller's own form filled from resident templates: every column the mapper offers."""
    data, done = _blank_form(), 0
    for template in reports.templates(scope):
        if template["entity"] != "resident" or template["kind"] != "list" or done == limit:
            continue
        try:
            analysis = reports.analyse_form(scope, data, template["code"])
            mapping = {
                k: analysis.mapping.get(k) or analysis.suggested.get(k) for k in analysis.mapping
            }
            filled, _ = reports.fill_form(scope, template["code"], data, mapping, remember=False)
        except (reports.ReportError, AccessDenied):
            continue
        done += 1
        text, rows = _workbook(filled, header_row=2)
        path = f"表样·{template['name']}"
        yield path, {}, text
        for row in rows:
            yield path, row, ""


def dashboard_paths(scope: Scope) -> Iterator[tuple[str, dict, str]]:
    yield "大屏导出", {}, _workbook(dashboard.export_xlsx(scope))[0]


# ---------------------------------------------------------------- the attack


@dataclass
class Findings:
    people: dict[tuple[str, str], Person]
    unlinked: list[Sighting]
    rows: dict[str, int]
    leaks: list[str]


def attack(paths: Iterable[tuple[str, dict, str]], secrets: Mapping[str, str]) -> Findings:
    people: dict[tuple[str, str], Person] = {}
    unlinked: list[Sighting] = []
    rows: dict[str, int] = defaultdict(int)
    leaks = []
    for path, row, text in paths:
        rows[path] += 1
        for found in FULL_ID.findall(text) + FULL_MOBILE.findall(text):
            if found in secrets:
                leaks.append(f"{path}: {secrets[found]}")
        if not row:
            continue
        seen = sighting(path, row)
        if seen.name and seen.masked_id and len(seen.masked_id) == 18:
            person = people.setdefault((seen.name, seen.masked_id), Person(seen.name))
            person.masked_ids.add(seen.masked_id)
            person.windows += seen.windows
            person.sexes |= {seen.sex} - {None}
            person.phones |= {seen.phone} - {None}
        elif seen.name and (seen.windows or seen.phone):
            unlinked.append(seen)
    # A row without a number joins the one person of that name, if there is exactly one.
    by_name = defaultdict(list)
    for person in people.values():
        by_name[person.name].append(person)
    for seen in unlinked:
        if len(by_name[seen.name]) == 1:
            person = by_name[seen.name][0]
            person.windows += seen.windows
            person.phones |= {seen.phone} - {None}
    return Findings(people, unlinked, dict(rows), leaks)


def windows_of(person: Person) -> list[tuple[date, date]]:
    """The birth windows left after intersecting what was seen. Namesakes who share a masked
    number (same region and last two digits) contradict each other; the attacker then keeps
    one window per consistent group of sightings."""
    groups: list[tuple[date, date]] = []
    for a, b in person.windows:
        for n, (low, high) in enumerate(groups):
            if max(low, a) <= min(high, b):
                groups[n] = (max(low, a), min(high, b))
                break
        else:
            groups.append((max(EARLIEST, a), min(TODAY, b)))
    return groups or [(EARLIEST, TODAY)]


def residents_by_key() -> dict[tuple[str, str], list[dict]]:
    from yibiaotong import masking

    out = defaultdict(list)
    with db.cursor() as cur:
        rel = cur.execute("select name, id_number, phone from resident")
        for name, number, phone in rel.fetchall():
            if number:
                out[(name, masking.mask_id(number))].append({"id": number, "phone": phone})
    return out


def secrets_of_district() -> dict[str, str]:
    with db.cursor() as cur:
        rows = cur.execute(
            "select id_number, phone from resident union all "
            "select owner_id_number, owner_phone from house union all "
            "select null, phone from household"
        ).fetchall()
    out = {}
    for number, phone in rows:
        if number and len(number) == 18:
            out[number] = "身份证号"
        if phone and len(phone) == 11:
            out[phone] = "手机号"
    return out


def test_no_uncleared_path_gives_back_an_id_number_or_a_phone(district, capsys):
    worker, leader, staff = (auth.scope_for(u) for u in ("sw_hongmei", "leader_zlk", "weijian"))
    assert not (worker.clearance or leader.clearance or staff.clearance)
    paths = itertools.chain(
        ledger_paths(worker),
        tag_query_paths(worker),
        tag_query_paths(leader),
        tag_query_paths(staff),
        report_paths(leader),
        report_paths(staff),
        form_paths(leader),
        dashboard_paths(leader),
    )
    found = attack(paths, secrets_of_district())
    assert found.leaks == []

    truth = residents_by_key()
    fewest_ids, fewest_phones, checked, dated = None, None, 0, 0
    for key, person in found.people.items():
        assert len(person.masked_ids) == 1, person.masked_ids
        sex = next(iter(person.sexes)) if len(person.sexes) == 1 else None
        owners = truth.get(key, [])
        windows = windows_of(person)
        for window in windows:
            if (window[1] - window[0]).days > 800:  # no birth information: tens of thousands
                continue
            dated += 1
            n = count_candidates(key[1], window, sex)
            fewest_ids = n if fewest_ids is None else min(fewest_ids, n)
            assert n > 1, f"{person.name} rebuilt from {person}"
        if len(owners) == 1 and len(windows) == 1:
            assert fits(owners[0]["id"], key[1], windows[0], sex), (person, windows)
            checked += 1
        if person.phones:
            n = phone_candidates(person.phones)
            fewest_phones = n if fewest_phones is None else min(fewest_phones, n)
            assert n > 1
    assert checked > 1000 and dated > 1000, (checked, dated)
    assert set(found.rows) >= {"台账列表", "记录与历史", "标签查询页面", "标签查询导出", "大屏导出"}
    assert sum(path.startswith("报表·") for path in found.rows) >= 20
    assert sum(path.startswith("表样·") for path in found.rows) >= 3
    with capsys.disabled():
        print(
            f"\nrebuild attack: {sum(found.rows.values()):,} rows on {len(found.rows)} paths, "
            f"{len(found.people):,} people linked ({dated:,} with birth information, "
            f"{checked:,} checked against the truth); fewest ID candidates {fewest_ids}, "
            f"fewest phone candidates {fewest_phones}"
        )
        (ROOT / "artifacts").mkdir(exist_ok=True)
        (ROOT / "artifacts" / "rebuild-attack.json").write_text(
            json.dumps(
                {
                    "rows_by_path": found.rows,
                    "people": len(found.people),
                    "with_birth_information": dated,
                    "checked_against_truth": checked,
                    "fewest_id_candidates": fewest_ids,
                    "fewest_phone_candidates": fewest_phones,
                },
                ensure_ascii=False,
                indent=1,
            )
        )


def test_the_enumeration_finds_the_old_mask_beside_a_full_birth_date():
    # The attacker model against the mask it replaced: 6 + 4 kept and the date shown in full.
    body = "33010219850317241"
    number = body + CHECK[sum(w * int(c) for w, c in zip(WEIGHTS, body, strict=True)) % 11]
    born = (date(1985, 3, 17),) * 2
    old = number[:6] + "*" * 8 + number[14:]
    assert id_candidates(old, born, "男") == [number]
    new = number[:6] + "*" * 10 + number[16:]
    assert number in id_candidates(new, born, "男") and fits(number, new, born, "男")
    assert len(id_candidates(new, born, "男")) >= 9


@pytest.mark.parametrize("seed", range(6))
def test_counting_agrees_with_listing(seed):
    rng = random.Random(seed)
    body = (
        f"3301{rng.randrange(100):02d}{date(1950, 1, 1) + timedelta(rng.randrange(25000)):%Y%m%d}"
    )
    body += f"{rng.randrange(1000):03d}"
    number = body + CHECK[sum(w * int(c) for w, c in zip(WEIGHTS, body, strict=True)) % 11]
    start = date(int(number[6:10]), 1, 1)
    for keep in (2, 4):
        masked = number[:6] + "*" * (12 - keep) + number[18 - keep :]
        for window, sex in (((start, start.replace(month=12, day=31)), None), ((start,) * 2, "男")):
            assert count_candidates(masked, window, sex) == len(id_candidates(masked, window, sex))
