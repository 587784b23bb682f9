"""Form consolidation (表单归并): a pile of a department's or a street's forms split into fields
and merged into one list — what Shangcheng did by hand to cut 468 forms to 90.

Per form: its header, each header mapped by the shared mapper. Across the pile: the
consolidated field list with how many forms use each field, the headers the standard does not
know clustered by similarity with a proposed field each (an admin accepts: synonyms, or a new
field in attrs), the reduction "N headers in M forms → K distinct fields, J already in the
ledger", a template per form that regenerates it in its own layout, and an .xlsx of it all.

Only the forms' shapes are stored (form_pile_form.shape); a pile is re-mapped when viewed, so
every decision and every field added since shows at once.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz

from yibiaotong import auth, catalog, db, mapping, reports
from yibiaotong.admission import standard
from yibiaotong.admission import templates as form_templates
from yibiaotong.admission.assessment import (
    SEQ,
    AdmissionError,
    RequestedField,
    classify,
    match_headers,
    rows_in_scope,
)
from yibiaotong.admission.forms import FormError, FormShape, read_forms
from yibiaotong.excel import form_zip
from yibiaotong.excel.tables import write_tables
from yibiaotong.excel.upload import UploadError
from yibiaotong.permissions import checked
from yibiaotong.reports.definition import ReportError
from yibiaotong.scope import Scope

MAPPED = ("exact", "remembered", "fuzzy")  # fuzzy: the mapper's suggestion, shown as 待确认
PENDING = ("fuzzy", "ask")
CLUSTER_MIN = 80.0  # rapidfuzz ratio at which two unknown headers are taken as one field
_TITLE_ENTITY = (
    ("house", re.compile(r"房屋|住房|出租房|危房|自建房|房产|楼栋")),
    ("shop", re.compile(r"商铺|门店|店铺|场所|商户|个体工商户|企业|经营户")),
    ("household", re.compile(r"家庭户|住户|户卡|户籍户|户情")),
)
_TYPE_HINTS = (
    ("date", re.compile(r"(日期|时间|年月|年月日)$")),
    ("int", re.compile(r"(人数|次数|个数|户数|数量|岁)$")),
    ("decimal", re.compile(r"金额|元|面积|收入|费用|补助|补贴")),
    ("phone", re.compile(r"电话|手机|联系方式")),
)
_SENSITIVE_HINT = re.compile(r"病|诊断|残疾|低保|救助|犯罪|吸毒|精神|宗教|收入|存款|账号")


# ---------------------------------------------------------------------------------------------
# Reading a pile


def guess_entity(shape: FormShape, scope: Scope | None = None) -> str:
    """What one row of the form is: the entity whose fields its headers match best (exact ones
    count 1, suggestions ½), helped by words of its title (房屋 …, 商铺 …)."""
    scores: dict[str, float] = {}
    for entity in catalog.ENTITIES:
        matches = match_headers(shape.columns, entity, scope=scope)
        scores[entity] = sum(
            1.0 if m.status in ("exact", "remembered") else 0.5 if m.status == "fuzzy" else 0.0
            for m in matches
            if m.field not in (None, SEQ)
        )
    for entity, words in _TITLE_ENTITY:
        if words.search(shape.title):
            scores[entity] += 2
    return max(catalog.ENTITIES, key=lambda e: scores[e])  # ties: the first, 人口


def _fingerprint(digests: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()


@dataclass(frozen=True)
class _Row:
    file_name: str
    status: str
    reason: str | None = None
    shape: FormShape | None = None
    entity: str | None = None
    department: str | None = None
    sha256: str | None = None


@checked
def analyse(
    scope: Scope,
    files: Sequence[tuple[str, bytes]],
    name: str,
    department: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Read a pile (several .xlsx or one .zip), store each form's shape, entity and department
    and the files passed over with their reasons, in one transaction; returns the pile's id.
    The same set of files consolidated before is refused."""
    name = str(name or "").strip()
    if not 2 <= len(name) <= 60:
        raise AdmissionError("请为这批表单起一个 2–60 字的名称，如“闸弄口街道 2026 年表单梳理”")
    if department is not None and department not in catalog.departments():
        raise AdmissionError("未知的部门")
    try:
        members, passed = form_zip.gather(list(files))
    except UploadError as exc:
        raise AdmissionError(str(exc)) from exc
    rows: list[_Row] = [_Row(s.name, "skipped", s.reason) for s in passed]
    seen: dict[str, str] = {}
    entities: dict[tuple[str, str], str] = {}  # the same header block and title: the same entity
    total = len(members)
    for number, member in enumerate(members):
        if progress:
            progress(number, total, member.name)
        digest = hashlib.sha256(member.data).hexdigest()
        if digest in seen:
            reason = f"与“{seen[digest]}”内容相同，未重复计入"
            rows.append(_Row(member.name, "skipped", reason, sha256=digest))
            continue
        seen[digest] = member.name
        try:
            shapes, sheets = read_forms(member.data, member.name)
        except FormError as exc:
            rows.append(_Row(member.name, "skipped", str(exc), sha256=digest))
            continue
        rows += [_Row(label, "skipped", reason, sha256=digest) for label, reason in sheets]
        folder = posixpath.dirname(member.name)
        for shape in shapes:
            known = (shape.signature, shape.title)
            if known not in entities:
                entities[known] = guess_entity(shape, scope)
            rows.append(
                _Row(
                    shape.name,
                    "ok",
                    shape=shape,
                    entity=entities[known],
                    department=form_templates.guess_department(folder, shape.name, shape.title)
                    or department,
                    sha256=digest,
                )
            )
    if progress:
        progress(total, total, "")
    forms = [r for r in rows if r.status == "ok"]
    if not forms:
        reasons = "；".join(f"{r.file_name}：{r.reason}" for r in rows[:3])
        raise AdmissionError(f"没有读到任何表单（{reasons}）")
    fingerprint = _fingerprint(list(seen))
    with db.transaction() as cur:
        earlier = db.run(cur, "admission/find_pile", fingerprint=fingerprint).fetchone()
        if earlier:
            raise AdmissionError(
                f"这批表单已于 {earlier[2]:%Y-%m-%d %H:%M} 归并过（第 {earlier[0]} 批“{earlier[1]}”），"
                "请直接查看该批结果"
            )
        pile_id = db.run(
            cur,
            "admission/insert_pile",
            name=name,
            department=department,
            fingerprint=fingerprint,
            files=len(members) + len(passed),
            forms=len(forms),
            skipped=len(rows) - len(forms),
            created_by=scope.username,
        ).fetchone()[0]
        for seq, r in enumerate(rows, start=1):
            db.run(
                cur,
                "admission/insert_pile_form",
                pile_id=pile_id,
                seq=seq,
                file_name=r.file_name,
                sheet=r.shape.sheet if r.shape else None,
                sha256=r.sha256,
                status=r.status,
                reason=r.reason,
                title=r.shape.title if r.shape else None,
                entity=r.entity,
                department=r.department,
                shape=json.dumps(r.shape.to_json(), ensure_ascii=False) if r.shape else None,
            )
        auth.log_access(
            cur,
            scope.username,
            "consolidation_run",
            f"第 {pile_id} 批“{name}”：{len(forms)} 张表，跳过 {len(rows) - len(forms)} 个",
        )
    refresh_figures(scope, pile_id)
    return pile_id


# ---------------------------------------------------------------------------------------------
# The consolidated view


@dataclass(frozen=True)
class FormResult:
    seq: int
    name: str
    title: str
    entity: str
    department: str | None
    department_name: str | None
    shape: FormShape
    matches: list[mapping.HeaderMatch]
    template_code: str | None

    def counted(self) -> list[tuple[int, mapping.HeaderMatch]]:
        """Header columns that are fields (序号 excluded)."""
        return [
            (i, m)
            for i, m in enumerate(self.matches)
            if m.field != SEQ and not self.shape.is_seq(i)
        ]


@dataclass
class FieldUse:
    """One distinct field across the pile."""

    field: str
    relation: str | None
    label: str
    in_ledger: bool  # the row's own field (or a value the ledger computes)
    forms: set[int] = field(default_factory=set)
    headers: Counter = field(default_factory=Counter)
    suggested: int = 0  # of its headers, how many are the mapper's unconfirmed suggestion


@dataclass
class Cluster:
    """Headers the standard does not know that look like one field, with a proposal."""

    key: str
    entity: str
    headers: Counter  # tidied header text → occurrences
    forms: set[int]
    paths: list[tuple[int, tuple[str, ...]]]  # (form seq, header path) of every occurrence
    propose_field: str | None = None  # an existing field the headers may be synonyms of
    propose_name: str = ""
    propose_type: str = "text"
    propose_sensitivity: str = "internal"
    why: str = ""


@dataclass
class Pending:
    """A header the mapper is not sure of (a suggestion or a choice), once per text and entity."""

    header: str  # the memory key: tidied parts joined with "/"
    entity: str
    status: str
    suggestion: str | None
    candidates: list[tuple[str, float, str]]
    occurrences: list[tuple[int, tuple[str, ...]]]  # (form seq, header path)
    text: str = ""  # as printed on the first form it occurs in


@dataclass
class Consolidation:
    pile: dict[str, Any]
    forms: list[FormResult]
    skipped: list[dict[str, Any]]
    fields: list[FieldUse]
    clusters: list[Cluster]
    pending: list[Pending]

    @property
    def headers(self) -> int:
        """N: header columns of the forms (序号 not counted)."""
        return sum(len(f.counted()) for f in self.forms)

    @property
    def distinct(self) -> int:
        """K: distinct fields — the mapped ones plus one per cluster of unknown headers."""
        return len(self.fields) + len(self.clusters)

    @property
    def in_ledger(self) -> int:
        """J: distinct fields the ledger already holds."""
        return sum(f.in_ledger for f in self.fields)

    def reduction(self) -> str:
        return (
            f"{len(self.forms)} 张表共 {self.headers:,} 个表头 → {self.distinct:,} 个不同字段，"
            f"其中 {self.in_ledger:,} 个台账已有"
        )


def _decode_shape(row: Mapping[str, Any]) -> FormShape:
    data = row["shape"]
    return FormShape.from_json(json.loads(data) if isinstance(data, str) else data)


def _context(shape: FormShape) -> str:
    return f"form:{shape.signature}"


def _pile(pile_id: int) -> dict[str, Any]:
    rows = db.fetch_dicts("admission/get_pile", id=pile_id)
    if not rows:
        raise AdmissionError(f"第 {pile_id} 批表单归并不存在")
    return rows[0]


@checked
def load(scope: Scope, pile_id: int) -> Consolidation:
    """The pile mapped now: per form, the consolidated list, clusters and pending decisions.
    Cached per data version (every decision and field added bumps it)."""
    return db.cached("consolidation", _load, pile_id, scope)


def _load(pile_id: int, scope: Scope) -> Consolidation:
    pile = _pile(pile_id)
    rows = db.fetch_dicts("admission/pile_forms", pile_id=pile_id)
    forms, skipped = [], []
    # Communities file the same department form again and again: one header block is mapped once.
    memo: dict[tuple[str, str], list[mapping.HeaderMatch]] = {}
    for row in rows:
        if row["status"] != "ok":
            skipped.append(row)
            continue
        shape = _decode_shape(row)
        key = (shape.signature, row["entity"])
        if key not in memo:
            memo[key] = match_headers(
                shape.columns, row["entity"], context=_context(shape), scope=scope
            )
        matches = memo[key]
        forms.append(
            FormResult(
                row["seq"],
                row["file_name"],
                row["title"],
                row["entity"],
                row["department"],
                row["department_name"],
                shape,
                matches,
                row["template_code"],
            )
        )
    fields = _field_list(forms)
    clusters = _clusters(forms)
    return Consolidation(pile, forms, skipped, fields, clusters, _pending(forms))


def _derived_keys(entity: str) -> set[str]:
    return {k for k, d in reports.DERIVED.items() if entity in d.entities}


def _field_list(forms: Sequence[FormResult]) -> list[FieldUse]:
    uses: dict[tuple[str, str | None], FieldUse] = {}
    for form in forms:
        derived = _derived_keys(form.entity)
        for i, m in form.counted():
            if m.field is None or m.status not in MAPPED:
                continue
            key = (m.field, None if m.field in derived else m.relation)
            use = uses.get(key)
            if use is None:
                label = mapping.field_label(m.field)
                if key[1]:
                    label = f"{mapping.RELATIONS.get(key[1], '他人')}·{label}"
                use = uses[key] = FieldUse(m.field, key[1], label, key[1] is None)
            use.forms.add(form.seq)
            use.headers[form.shape.headers[i]] += 1
            use.suggested += m.status == "fuzzy"
    return sorted(uses.values(), key=lambda u: (-len(u.forms), u.label))


def _pending(forms: Sequence[FormResult]) -> list[Pending]:
    out: dict[tuple[str, str], Pending] = {}
    for form in forms:
        for i, m in form.counted():
            if m.status not in PENDING:
                continue
            text = mapping.memory_key(form.shape.columns[i])
            item = out.get((text, form.entity))
            if item is None:
                item = out[(text, form.entity)] = Pending(
                    text,
                    form.entity,
                    m.status,
                    m.field,
                    [(c.field, c.score, c.why) for c in m.candidates],
                    [],
                    form.shape.headers[i],
                )
            item.occurrences.append((form.seq, form.shape.columns[i]))
    return sorted(out.values(), key=lambda p: (-len(p.occurrences), p.header))


def _unknown(forms: Sequence[FormResult]):
    """(entity, tidied text, form seq, path, match) of every header without a field."""
    for form in forms:
        for i, m in form.counted():
            if (m.field is not None and m.status in MAPPED) or m.status in PENDING:
                continue
            path = form.shape.columns[i]
            text = standard.synonym_text(path)
            if text:
                yield form.entity, text, form.seq, path, m


def _similar(a: str, b: str) -> float:
    score = fuzz.ratio(a, b)
    if min(len(a), len(b)) >= 2 and (a in b or b in a):
        score = max(score, 85.0)
    return score


def _clusters(forms: Sequence[FormResult]) -> list[Cluster]:
    """Unknown headers grouped per entity: each text joins the most similar cluster (ratio ≥
    CLUSTER_MIN, or one text inside the other) — unless a form has both, for two columns of one
    form are two fields (矫正起止日期 起 / 止) — else starts one; frequent texts first."""
    by_entity: dict[str, list] = defaultdict(list)
    for entity, text, seq, path, m in _unknown(forms):
        by_entity[entity].append((text, seq, path, m))
    out: list[Cluster] = []
    for entity, items in by_entity.items():
        counts = Counter(text for text, *_ in items)
        forms_of: dict[str, set[int]] = defaultdict(set)
        for text, seq, *_ in items:
            forms_of[text].add(seq)
        clusters: list[Cluster] = []
        members: dict[str, set[int]] = {}  # cluster key → forms of the texts it holds
        home: dict[str, Cluster] = {}
        for text, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            fits = [
                c
                for c in clusters
                if _similar(text, c.propose_name) >= CLUSTER_MIN
                and not members[c.key] & forms_of[text]
            ]
            best = max(fits, key=lambda c: _similar(text, c.propose_name), default=None)
            if best is None:
                best = Cluster(f"{entity}:{text}", entity, Counter(), set(), [], propose_name=text)
                clusters.append(best)
                members[best.key] = set()
            members[best.key] |= forms_of[text]
            home[text] = best
        candidates: dict[str, Counter] = defaultdict(Counter)
        for text, seq, path, m in items:
            c = home[text]
            c.headers[text] += 1
            c.forms.add(seq)
            c.paths.append((seq, path))
            for cand in m.candidates:  # the best score any of its headers gave each field
                if cand.field not in mapping.IDENTITY_FIELDS and cand.field != SEQ:
                    candidates[c.key][cand.field] = max(candidates[c.key][cand.field], cand.score)
        for c in clusters:
            _propose(c, candidates[c.key])
        out += clusters
    return sorted(out, key=lambda c: (-len(c.forms), c.key))


def _propose(cluster: Cluster, candidates: Counter) -> None:
    """An existing field the mapper found close (its candidates), else a new field named after
    the most frequent header, typed by the header's last word."""
    if candidates:
        code, best = max(candidates.items(), key=lambda kv: kv[1])
        if code not in mapping.EXTRAS and best >= mapping.FUZZY_MIN:
            cluster.propose_field = code
            cluster.why = f"与标准字段“{mapping.field_label(code)}”相近，建议作为其同义词"
            return
    name = cluster.propose_name
    cluster.propose_type = next((t for t, p in _TYPE_HINTS if p.search(name)), "text")
    cluster.propose_sensitivity = "sensitive" if _SENSITIVE_HINT.search(name) else "internal"
    cluster.why = "字段标准中没有相近字段，建议新增（保存在扩展属性中）"


# ---------------------------------------------------------------------------------------------
# Decisions


@checked
def refresh_figures(scope: Scope, pile_id: int) -> Consolidation:
    """Recompute the pile and store its reduction (for the figures)."""
    result = load(scope, pile_id)
    db.execute(
        "admission/update_pile_figures",
        id=pile_id,
        headers=result.headers,
        distinct_fields=result.distinct,
        held_fields=result.in_ledger,
    )
    return result


def _bump() -> None:
    with db.transaction() as cur:
        db.bump_data_version(cur)


@checked
def confirm(scope: Scope, pile_id: int, decisions: Mapping[tuple[str, str], str | None]) -> int:
    """Settle pending headers: (header text, entity) → field code, or None for "not a standard
    field" (it then joins the clusters). Remembered for each form it occurs in, so the report
    centre filling that form recalls it too. Returns the headers decided."""
    result = load(scope, pile_id)
    by_key = {(p.header, p.entity): p for p in result.pending}
    forms = {f.seq: f for f in result.forms}
    per_context: dict[str, dict[tuple[str, ...], str | None]] = defaultdict(dict)
    for key, chosen in decisions.items():
        item = by_key.get(key)
        if item is None:
            continue
        for seq, path in item.occurrences:
            per_context[_context(forms[seq].shape)][path] = chosen
    try:
        for choices in per_context.values():
            mapping.check_choices(choices)
    except mapping.MappingError as exc:
        raise AdmissionError(str(exc)) from exc
    for context, choices in per_context.items():
        mapping.remember(scope, context, choices)
    _bump()
    refresh_figures(scope, pile_id)
    return len(decisions)


@checked
def accept_cluster(
    scope: Scope,
    pile_id: int,
    key: str,
    headers: Sequence[str],
    *,
    field: str | None = None,
    name: str = "",
    data_type: str = "text",
    sensitivity: str = "internal",
) -> str:
    """Add a cluster's headers to the field standard: as synonyms of `field`, or as a new field
    `name` of the cluster's entity (kept in attrs). Returns the field's code."""
    cluster = next((c for c in load(scope, pile_id).clusters if c.key == key), None)
    if cluster is None:
        raise AdmissionError("该组表头已处理或已不存在，请刷新")
    chosen = [h for h in headers if h in cluster.headers]
    if not chosen:
        raise AdmissionError("请至少选择一个表头")
    with db.transaction() as cur:
        if field:
            standard.add_synonyms(cur, scope, field, chosen, pile_id)
            code = field
        else:
            code = standard.add_field(
                cur, scope, cluster.entity, name, data_type, chosen, pile_id, sensitivity
            )
        db.bump_data_version(cur)
        auth.log_access(
            cur,
            scope.username,
            "consolidation_accept",
            f"第 {pile_id} 批：{'、'.join(chosen)[:120]} → {code}",
        )
    refresh_figures(scope, pile_id)
    return code


@checked
def set_form(scope: Scope, pile_id: int, seq: int, entity: str | None, department: str | None):
    """Correct a form's entity or department before its template is made."""
    if entity is not None and entity not in catalog.ENTITY_NAMES:
        raise AdmissionError("未知的对象")
    if department is not None and department not in catalog.departments():
        raise AdmissionError("未知的部门")
    with db.transaction() as cur:
        db.run(
            cur,
            "admission/set_form_choice",
            pile_id=pile_id,
            seq=seq,
            entity=entity,
            department=department,
        )
        db.bump_data_version(cur)
    refresh_figures(scope, pile_id)


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class TemplatePlan:
    seq: int
    name: str
    definition: dict[str, Any] | None
    problem: str | None  # why no template can be made (Chinese)
    notes: list[str]


@checked
def plan_templates(
    scope: Scope, pile_id: int, seqs: Sequence[int] | None = None
) -> list[TemplatePlan]:
    """The template each form would get (or why it cannot): its own title, columns, groups,
    序号, footer and notes; tags suggested from its title; 3 years' validity."""
    result = load(scope, pile_id)
    today = date.today()
    plans = []
    for form in result.forms:
        if seqs is not None and form.seq not in seqs:
            continue
        if form.template_code:
            plans.append(
                TemplatePlan(form.seq, form.name, None, f"已生成模板 {form.template_code}", [])
            )
            continue
        if not form.department:
            plans.append(TemplatePlan(form.seq, form.name, None, "未确定所属部门，请先选择", []))
            continue
        fields = [
            RequestedField(
                h, m.field if m.status in ("exact", "remembered") else None, m.relation, m.status
            )
            for h, m in zip(form.shape.headers, form.matches, strict=True)
        ]
        fields = [
            RequestedField(f.header, SEQ, None, f.status) if form.shape.is_seq(i) else f
            for i, f in enumerate(fields)
        ]
        assessed = classify(form.entity, fields)
        name, title = form_templates.title_pattern(form.title)
        tag_codes = form_templates.suggest_tags(form.entity, form.title)
        rows, _ = rows_in_scope(scope, form.entity, scope.org_code, tag_codes)
        try:
            defn = form_templates.definition(
                code=f"{form.department}_f{pile_id}_{form.seq}",
                name=name,
                department=form.department,
                frequency=form_templates.guess_frequency(form.title),
                entity=form.entity,
                assessed=assessed,
                tag_codes=tag_codes,
                shape=form.shape,
                title=title,
                description=f"由表单归并第 {pile_id} 批自动生成，来源：{form.name}",
                valid_from=today,
                valid_to=form_templates.three_years_from(today),
                minutes=form_templates.manual_minutes(
                    sum(a.kind == "held" for a in assessed), rows
                ),
            )
            reports.check_definition(defn)
        except (AdmissionError, ReportError) as exc:
            plans.append(TemplatePlan(form.seq, form.name, None, str(exc), []))
            continue
        plans.append(
            TemplatePlan(form.seq, form.name, defn, None, form_templates.needs_review(defn))
        )
    return plans


@checked
def create_templates(
    scope: Scope, pile_id: int, seqs: Sequence[int]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Create the templates of the chosen forms in one transaction; forms that cannot have one
    are listed with the reason. Returns (codes created, [(form, reason)])."""
    plans = plan_templates(scope, pile_id, seqs)
    created, refused = [], []
    with db.transaction() as cur:
        for plan in plans:
            if plan.definition is None:
                refused.append((plan.name, plan.problem or ""))
                continue
            defn = reports.insert_next_version(cur, scope, plan.definition)
            db.run(
                cur,
                "admission/set_form_template",
                pile_id=pile_id,
                seq=plan.seq,
                template_code=defn["code"],
            )
            created.append(defn["code"])
        if created:
            db.bump_data_version(cur)
            auth.log_access(
                cur,
                scope.username,
                "consolidation_templates",
                f"第 {pile_id} 批：生成 {len(created)} 个报表模板",
            )
    return created, refused


# ---------------------------------------------------------------------------------------------
# Listing and export


@checked
def piles(scope: Scope, limit: int = 50) -> list[dict[str, Any]]:
    return db.fetch_dicts("admission/list_piles", limit=limit)


STATUS_NAMES = mapping.STATUS_NAMES


@checked
def export_xlsx(scope: Scope, pile_id: int) -> bytes:
    """The analysis as a workbook: overview, consolidated fields, per form, clusters, skipped."""
    result = load(scope, pile_id)
    pile = result.pile
    entity_names = catalog.ENTITY_NAMES
    overview = [
        ["归并批次", f"第 {pile['id']} 批：{pile['name']}"],
        ["导出时间", datetime.now().strftime("%Y-%m-%d %H:%M")],
        ["归并结果", result.reduction()],
        ["表单数", len(result.forms)],
        ["表头数（不含序号）", result.headers],
        ["不同字段数", result.distinct],
        ["台账已有字段数", result.in_ledger],
        ["待确认的表头", len(result.pending)],
        ["未对应表头的聚类", len(result.clusters)],
        ["未读取的文件或工作表", len(result.skipped)],
    ]
    fields = [
        [
            u.label,
            u.field,
            "是" if u.in_ledger else "否",
            len(u.forms),
            "；".join(f"{h}（{n}）" for h, n in u.headers.most_common()),
            u.suggested,
        ]
        for u in result.fields
    ]
    per_form = []
    for form in result.forms:
        for i, m in enumerate(form.matches):
            best = m.candidates[0].score if m.candidates else None
            per_form.append(
                [
                    form.name,
                    form.title,
                    entity_names.get(form.entity, form.entity),
                    form.department_name or "",
                    i + 1,
                    form.shape.headers[i],
                    mapping.field_label(m.field) if m.field else "",
                    STATUS_NAMES.get(m.status, m.status),
                    best,
                    m.reason,
                ]
            )
    clusters = [
        [
            c.propose_name,
            entity_names[c.entity],
            "；".join(f"{h}（{n}）" for h, n in c.headers.most_common()),
            len(c.forms),
            mapping.field_label(c.propose_field)
            if c.propose_field
            else f"新增字段“{c.propose_name}”",
            c.why,
        ]
        for c in result.clusters
    ]
    skipped = [[r["file_name"], r["reason"]] for r in result.skipped]
    return write_tables(
        {
            "归并概览": [("表单归并概览", ["项目", "内容"], overview)],
            "合并字段清单": [
                (
                    "合并后的字段清单（按使用表数排序）",
                    ["字段", "字段编码", "台账已有", "使用表数", "各表写法（次数）", "其中待确认"],
                    fields,
                )
            ],
            "各表明细": [
                (
                    "各表表头与对应字段",
                    [
                        "表单",
                        "标题",
                        "对象",
                        "部门",
                        "列",
                        "表头",
                        "对应字段",
                        "匹配",
                        "置信度",
                        "说明",
                    ],
                    per_form,
                )
            ],
            "未对应表头": [
                (
                    "字段标准中没有的表头（按相似度聚类）",
                    ["聚类", "对象", "表头写法（次数）", "涉及表数", "建议", "说明"],
                    clusters,
                )
            ],
            "未读取": [("未读取的文件或工作表", ["文件", "原因"], skipped)],
        }
    )
