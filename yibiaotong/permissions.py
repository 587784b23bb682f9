"""Least privilege: the reviewed table of which role may call which domain function.

Every public function of the domain package is either in RULES (it takes the caller's Scope and
refuses other roles itself, through @checked) or in NO_CALLER (with the reason it needs none).
tests/unit/test_permissions.py walks the package, so a new function is caught until it is
classified here. Scope (the org subtree) is checked inside each function, in SQL.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from yibiaotong.scope import ROLES, AccessDenied, Scope

F = TypeVar("F", bound=Callable[..., Any])

EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"district_admin"})
# The ledger is kept by social workers and the district data office (台账 page).
LEDGER = frozenset({"district_admin", "social_worker"})
DASHBOARD = frozenset({"district_admin", "street_leader"})
# 数据回流: the district data office and department accounts; importing.batches.may_import then
# keeps a department account to one street (a street's data clerk).
IMPORT = frozenset({"district_admin", "dept_staff"})
# 走访采集: organisers run campaigns over their unit, social workers visit the tasks assigned to
# them, all three follow progress (a social worker within their community).
ORGANISERS = DASHBOARD
VISITORS = frozenset({"social_worker"})
FOLLOWERS = ORGANISERS | VISITORS
# 报表准入: a department account asks (for its own department), the district data office reviews.
REQUESTER = frozenset({"dept_staff"})
ADMISSION = frozenset({"district_admin", "dept_staff"})

# "module.function": (what it does, as a refusal names it; the roles that may call it)
RULES: dict[str, tuple[str, frozenset[str]]] = {
    # 台账
    "ledger.search": ("查询台账", LEDGER),
    "ledger.present": ("查看台账列表", LEDGER),
    # The 数据回流 review reads and writes the one record a clerk's decision touches through
    # these, under granting() (importing.review.decide); a clerk never opens a record itself.
    "ledger.get": ("打开台账记录", LEDGER),
    "ledger.open_record": ("打开台账记录", LEDGER),
    "ledger.display": ("查看台账记录", EVERYONE),  # formats a value the caller holds, per clearance
    "ledger.write_changes": ("修改台账记录", LEDGER),
    "ledger.log_change": ("修改台账记录", LEDGER),
    "ledger.save": ("修改台账记录", LEDGER),
    "ledger.changes_since": ("查看记录的修改", LEDGER),
    "ledger.history": ("查看记录的修改历史", LEDGER),
    "ledger.summary": ("查看辖区概况", EVERYONE),
    "ledger.record_tags": ("查看记录的标签", LEDGER),
    "ledger.manual_tags": ("设置手工标签", LEDGER),
    "ledger.set_manual_tag": ("设置手工标签", LEDGER),
    "ledger.quality_hints": ("查看数据质量提示", LEDGER),
    "ledger.change_log_page": ("查看操作日志", ADMIN),
    "ledger.provenance": ("查看字段来源", LEDGER),
    # 业务办理
    "events.register_birth": ("办理新生儿登记", LEDGER),
    "events.move_in": ("办理迁入", LEDGER),
    "events.move_out": ("办理迁出", LEDGER),
    "events.register_death": ("办理死亡注销", LEDGER),
    "events.split_household": ("办理分户", LEDGER),
    "events.merge_households": ("办理合户", LEDGER),
    "events.register_rental": ("办理房屋出租登记", LEDGER),
    "events.end_rental": ("办理退租", LEDGER),
    "events.open_shop": ("办理商铺开业", LEDGER),
    "events.close_shop": ("办理商铺歇业", LEDGER),
    "events.household_members": ("查看户内成员", LEDGER),
    # 标签查询 (every role; sensitive tags and fields need clearance, checked inside)
    "tag_query.compile_filter": ("使用标签查询", EVERYONE),
    "tag_query.count": ("使用标签查询", EVERYONE),
    "tag_query.summary": ("使用标签查询", EVERYONE),
    "tag_query.columns": ("使用标签查询", EVERYONE),
    "tag_query.page": ("使用标签查询", EVERYONE),
    "tag_query.breakdown": ("使用标签查询", EVERYONE),
    "tag_query.iter_rows": ("导出标签查询结果", EVERYONE),
    "tag_query.export": ("导出标签查询结果", EVERYONE),
    "tag_query.save_query": ("保存查询", EVERYONE),
    "tag_query.list_saved": ("查看已保存的查询", EVERYONE),
    "tag_query.load_saved": ("运行已保存的查询", EVERYONE),
    "tag_query.delete_saved": ("删除已保存的查询", EVERYONE),
    "tag_query.set_as_report": ("把查询转为报表模板", EVERYONE),
    "tag_query.report_templates": ("查看查询转成的报表模板", EVERYONE),
    # 标签
    "tags.visible": ("查看标签", EVERYONE),
    "tags.tag_counts": ("查看标签人数", EVERYONE),
    "tags.tree": ("查看标签", EVERYONE),
    "tags.explain": ("查看记录带标签的原因", EVERYONE),
    "tags.update_rule": ("修改规则标签", ADMIN),
    # 数据大屏
    "dashboard.view_org": ("查看数据大屏", DASHBOARD),
    "dashboard.drill_path": ("查看数据大屏", DASHBOARD),
    "dashboard.drill_options": ("查看数据大屏", DASHBOARD),
    "dashboard.figures": ("查看数据大屏", DASHBOARD),
    "dashboard.export_xlsx": ("导出数据大屏汇总", DASHBOARD),
    # 报表中心 (every role over its scope; which templates a department sees is decided inside)
    "reports.store.templates": ("查看报表模板", EVERYONE),
    "reports.store.departments_with_templates": ("查看报表模板", EVERYONE),
    "reports.store.template": ("查看报表模板", EVERYONE),
    "reports.store.history": ("查看报表模板的版本", EVERYONE),
    "reports.store.save_version": ("保存报表模板", ADMIN),
    "reports.plan.prepare": ("生成报表", EVERYONE),
    "reports.generation.generate": ("生成报表", EVERYONE),
    "reports.generation.generate_bytes": ("生成报表", EVERYONE),
    "reports.generation.batch_codes": ("批量生成报表", EVERYONE),
    "reports.generation.batch_zip": ("批量生成报表", EVERYONE),
    "reports.generation.saved_query_reports": ("查看查询转成的报表", EVERYONE),
    "reports.generation.saved_query_bytes": ("下载查询转成的报表", EVERYONE),
    "reports.generation.runs": ("查看报表运行记录", EVERYONE),
    "reports.generation.savings": ("查看节省工时", EVERYONE),
    "reports.forms.analyse_form": ("填写本单位表样", EVERYONE),
    "reports.forms.fill_form": ("填写本单位表样", EVERYONE),
    # 后台任务: each kind names the roles that may submit it (job_kinds.py, checked on submit);
    # a job is seen by its owner and by a district admin over its org.
    "jobs.enqueue": ("提交后台任务", EVERYONE),
    "jobs.submit": ("提交后台任务", EVERYONE),
    "jobs.run_inline": ("运行后台任务", EVERYONE),
    "jobs.get": ("查看后台任务", EVERYONE),
    "jobs.list_jobs": ("查看后台任务", EVERYONE),
    "jobs.cancel": ("取消后台任务", EVERYONE),
    "jobs.result_file": ("下载后台任务的结果", EVERYONE),
    "jobs.log_lines": ("查看后台任务", EVERYONE),
    "jobs.wait": ("查看后台任务", EVERYONE),
    # 表头对应: which contexts a role may remember choices in is decided inside (CONTEXT_ROLES)
    "mapping.remember": ("记住表头对应关系", EVERYONE),
    # 用户管理 and 访问日志 (the account checks inside auth stay: subtree, last admin …)
    "auth.list_users": ("查看用户", ADMIN),
    "auth.add_user": ("新增用户", ADMIN),
    "auth.update_user": ("修改用户", ADMIN),
    "auth.reset_password": ("重置密码", ADMIN),
    "auth.lock_user": ("锁定用户", ADMIN),
    "auth.unlock_user": ("解锁用户", ADMIN),
    "auth.set_active": ("停用或启用用户", ADMIN),
    "auth.access_log_page": ("查看访问日志", ADMIN),
    "auth.access_log_count": ("查看访问日志", ADMIN),
    "auth.change_own_password": ("修改密码", EVERYONE),
    # 系统状态
    "health.status": ("查看系统状态", ADMIN),
    "offers.pending": ("处理目录更新", ADMIN),
    "offers.adopt": ("处理目录更新", ADMIN),
    "offers.decline": ("处理目录更新", ADMIN),
    # 数据回流
    "importing.batches.keep_file": ("上传回流文件", IMPORT),
    "importing.batches.record": ("上传回流文件", IMPORT),
    "importing.batches.get": ("查看回流批次", IMPORT),
    "importing.batches.log": ("查看回流日志", IMPORT),
    "importing.batches.discard": ("放弃回流批次", IMPORT),
    "importing.stage.upload": ("上传回流文件", IMPORT),
    "importing.stage.read": ("读取回流文件", IMPORT),
    "importing.stage.preview": ("预览回流结果", IMPORT),
    "importing.stage.summary": ("预览回流结果", IMPORT),
    "importing.stage.samples": ("预览回流结果", IMPORT),
    "importing.commit.commit": ("写入回流数据", IMPORT),
    "importing.undo.undo": ("撤销回流批次", IMPORT),
    "importing.rejects.write_report": ("下载回流拒收清单", IMPORT),
    "importing.review.conflicts": ("审核回流冲突", IMPORT),
    "importing.review.decide": ("审核回流冲突", IMPORT),
    "importing.review.unplaced": ("处理待落地记录", IMPORT),
    "importing.review.place": ("处理待落地记录", IMPORT),
    # 走访采集 (campaigns and tasks inside the caller's unit; a social worker's own tasks only)
    "visits.create_campaign": ("发起走访", ORGANISERS),
    "visits.reassign": ("改派走访任务", ORGANISERS),
    "visits.close_campaign": ("结束走访", ORGANISERS),
    "visits.summary_xlsx": ("导出走访汇总", ORGANISERS),
    "visits.list_campaigns": ("查看走访", FOLLOWERS),
    "visits.get_campaign": ("查看走访", FOLLOWERS),
    "visits.visit_list": ("查看走访任务", FOLLOWERS),
    "visits.progress": ("查看走访进度", FOLLOWERS),
    "visits.open_visit": ("走访采集", VISITORS),
    "visits.save_visit": ("走访采集", VISITORS),
    "visits.record_work": ("走访采集", VISITORS),
    "visits.board_progress": ("查看数据大屏", DASHBOARD),
    "visits.freshness": ("查看数据大屏", DASHBOARD),
    "visits_sheet.my_grids": ("下载采集表", VISITORS),
    "visits_sheet.collection_sheet": ("下载采集表", VISITORS),
    "visits_sheet.check_sheet": ("上传采集表", VISITORS),
    "visits_sheet.preview_sheet": ("上传采集表", VISITORS),
    "visits_sheet.commit_sheet": ("上传采集表", VISITORS),
    # 报表准入 (a department account sees and acts on its own department's requests only)
    "admission.requests.check_meta": ("提交报表申请", REQUESTER),
    "admission.requests.preview": ("评估报表申请", ADMISSION),
    "admission.requests.submit": ("提交报表申请", REQUESTER),
    "admission.requests.resubmit": ("补充报表申请", REQUESTER),
    "admission.requests.withdraw": ("撤回报表申请", REQUESTER),
    "admission.requests.request_renewal": ("申请报表续期", REQUESTER),
    "admission.requests.get": ("查看报表申请", ADMISSION),
    "admission.requests.list_requests": ("查看报表申请", ADMISSION),
    "admission.requests.assessment_of": ("查看报表申请", ADMISSION),
    "admission.requests.expiring": ("查看到期报表", ADMISSION),
    "admission.assessment.assess": ("评估报表申请", ADMISSION),
    "admission.assessment.rows_in_scope": ("评估报表申请", ADMISSION),
    "admission.requests.return_request": ("审核报表申请", ADMIN),
    "admission.requests.reject": ("审核报表申请", ADMIN),
    "admission.requests.new_template": ("审核报表申请", ADMIN),
    "admission.requests.default_field_map": ("审核报表申请", ADMIN),
    "admission.requests.approve_new": ("审核报表申请", ADMIN),
    "admission.requests.approve_existing": ("审核报表申请", ADMIN),
    "admission.requests.renew": ("审核报表申请", ADMIN),
    # 表单归并 and the field standard
    "admission.consolidation.analyse": ("进行表单归并", ADMIN),
    "admission.consolidation.load": ("进行表单归并", ADMIN),
    "admission.consolidation.refresh_figures": ("进行表单归并", ADMIN),
    "admission.consolidation.confirm": ("进行表单归并", ADMIN),
    "admission.consolidation.accept_cluster": ("进行表单归并", ADMIN),
    "admission.consolidation.set_form": ("进行表单归并", ADMIN),
    "admission.consolidation.plan_templates": ("进行表单归并", ADMIN),
    "admission.consolidation.create_templates": ("进行表单归并", ADMIN),
    "admission.consolidation.piles": ("进行表单归并", ADMIN),
    "admission.consolidation.export_xlsx": ("导出表单归并结果", ADMIN),
    "admission.standard.add_synonyms": ("修改字段标准", ADMIN),
    "admission.standard.add_field": ("修改字段标准", ADMIN),
}

# Public functions that act for no caller, and why none is needed.
_PURE = "纯计算：只处理调用方传入的值，不读取台账"
_REFERENCE = "参考数据：字段标准、代码表、组织机构、标签体系，所有登录用户均可查阅"
_INSIDE = "只在已检查角色的调用方事务内运行（使用其游标或批次）"
_OPERATOR = "运维入口：命令行、初始化、迁移与缓存，由服务器操作员运行，不经控制台"
_DECLARES = "声明：模块导入时登记任务类型与可提交它的角色（提交时由 jobs 检查）"
_JOB = "后台任务的内容：只在 jobs 按任务类型检查过提交者角色之后，以提交者的身份运行"
_LOGIN = "登录与会话：在确认调用者身份之前、为确认身份而运行"
_FORMS = "只在 reports.forms 为已检查的调用方填写表样时运行（辖区与脱敏已定）"
_PREPARED = "只处理 reports.plan.prepare() 为已检查的调用方准备好的报表（其中已含辖区与脱敏）"
NO_CALLER: dict[str, str] = {
    "ledger.fields": _REFERENCE,
    "ledger.editable_fields": _REFERENCE,
    "ledger.sort_options": _REFERENCE,
    "ledger.name_initials": _PURE,
    "ledger.value_of": _PURE,
    "ledger.validate_changes": _PURE,
    "ledger.differs": _PURE,
    "ledger.after_write": _INSIDE,
    "tag_query.normalise": _PURE,
    "tag_query.describe": _REFERENCE,
    "tag_query.subsidy_for": _PURE,
    "tags.field_refs": _REFERENCE,
    "tags.reference": _REFERENCE,
    "tags.tag_index": _REFERENCE,
    "tags.code_names": _REFERENCE,
    "tags.validate_rule": _PURE,
    "tags.rule_fields": _REFERENCE,
    "tags.describe_rule": _REFERENCE,
    "tags.rule_from_rows": _PURE,
    "tags.refresh_rules": _INSIDE,
    "dashboard.clear_cache": _OPERATOR,
    "dashboard.one_year_before": _PURE,
    "dashboard.age_label": _PURE,
    "dashboard.format_count": _PURE,
    "dashboard.format_share": _PURE,
    "dashboard.summary_xlsx": _PURE,
    "dashboard.export_name": _PURE,
    "reports.definition.standard": _REFERENCE,
    "reports.definition.check_definition": _PURE,
    "reports.definition.column_kind": _PURE,
    "reports.editing.new_definition": _PURE,
    "reports.editing.column_choices": _REFERENCE,
    "reports.editing.condition_fields": _REFERENCE,
    "reports.editing.sort_choices": _REFERENCE,
    "reports.editing.column_rows": _PURE,
    "reports.editing.condition_rows": _PURE,
    "reports.editing.assemble": _PURE,
    "reports.forms.form_choices": _REFERENCE,
    "reports.plan.period_of": _PURE,
    "reports.plan.cn_date": _PURE,
    "reports.plan.title_of": _PURE,
    "reports.plan.layout": _PREPARED,
    "reports.plan.filename": _PREPARED,
    "reports.rows.count": _PREPARED,
    "reports.rows.iter_rows": _PREPARED,
    "reports.rows.headers": _PREPARED,
    "reports.rows.preview": _PREPARED,
    "reports.store.read_files": _OPERATOR,
    "reports.store.load_reports": _OPERATOR,
    "reports.store.in_force": _PURE,
    "ledger.refresh_search_tokens": _INSIDE,
    "jobs.register": _DECLARES,
    "jobs.kinds": _DECLARES,
    "jobs.recover": _OPERATOR,
    "jobs.purge_results": _OPERATOR,
    "jobs.running": _OPERATOR,
    "jobs.result_folder": _INSIDE,
    "job_kinds.report_batch": _JOB,
    "job_kinds.refresh_tags": _JOB,
    "job_kinds.backup": _JOB,
    "mapping.tidy": _PURE,
    "mapping.split_header": _PURE,
    "mapping.memory_key": _PURE,
    "mapping.context_kind": _PURE,
    "mapping.map_headers": _REFERENCE,
    "mapping.check_choices": _PURE,
    "mapping.field_label": _REFERENCE,
    "mapping.labels": _REFERENCE,
    # 台账 (provenance)
    "ledger.provenance_source": _PURE,
    "ledger.provenance_text": _PURE,
    "ledger.source_name": _REFERENCE,
    "tags.attr_refs": _REFERENCE,
    "reports.store.visible": _PURE,
    "reports.store.insert_version": _INSIDE,
    "reports.counts.measure_for": _FORMS,
    "reports.counts.plan_table": _FORMS,
    "job_kinds.report": _JOB,
    "job_kinds.report_list": _JOB,
    "job_kinds.user_admin": _JOB,
    # accounts and sessions
    "auth.get_user": _LOGIN,
    "auth.scope_for": _LOGIN,
    "auth.scope_of": _LOGIN,
    "auth.is_locked": _PURE,
    "auth.user_state": _PURE,
    "auth.insert_user": _INSIDE,
    "auth.log_access": _INSIDE,
    "auth.record": _LOGIN,
    "auth.count_users": _OPERATOR,
    "auth.install_kind": _OPERATOR,
    "auth.create_first_admin": _OPERATOR,
    "auth.system_scope": _OPERATOR,
    "sessions.login": _LOGIN,
    "sessions.logout": _LOGIN,
    "sessions.resume": _LOGIN,
    "sessions.check": _LOGIN,
    "sessions.end": _LOGIN,
    "sessions.issue_token": _LOGIN,
    "sessions.idle_expired": _PURE,
    "sessions.too_long": _PURE,
    "sessions.cookie_key": _OPERATOR,
    "sessions.check_cookie_key": _OPERATOR,
    "sessions.ensure_cookie_key": _OPERATOR,
    "passwords.hash_password": _PURE,
    "passwords.verify": _PURE,
    "passwords.weakness": _PURE,
    # operations: the owner process, backups, health
    "console.cli_scope": _OPERATOR,
    "console.database_problem": _OPERATOR,
    "console.hand_over": _OPERATOR,
    "console.lifespan": _OPERATOR,
    "console.os_user": _OPERATOR,
    "console.owner": _OPERATOR,
    "console.running_console": _OPERATOR,
    "console.system_scope": _OPERATOR,
    "backups.take": _OPERATOR,
    "backups.restore": _OPERATOR,
    "backups.check": _OPERATOR,
    "backups.prune": _OPERATOR,
    "backups.recent": _OPERATOR,
    "backups.last_good": _OPERATOR,
    "backups.due": _OPERATOR,
    "backups.default_target": _OPERATOR,
    "backups.digest_file": _OPERATOR,
    "backups.digest": _INSIDE,
    "backups.differences": _PURE,
    "backups.retained": _PURE,
    "backups.sha256": _PURE,
    "backups.manifest_path": _PURE,
    "backups.key_beside": _PURE,
    "health.growth_per_day": _PURE,
    # 数据回流: steps inside a checked caller's batch, readers of the file it passed, catalogue
    "importing.batches.may_import": "它本身就是数据回流的角色与辖区检查（调用方为已登录用户）",
    "importing.batches.clear": _INSIDE,
    "importing.batches.set_state": _INSIDE,
    "importing.batches.folder": _INSIDE,
    "importing.batches.landed_file": _INSIDE,
    "importing.batches.forget_file": _INSIDE,
    "importing.cleaning.clean": _INSIDE,
    "importing.cleaning.load_rows": _INSIDE,
    "importing.commit.apply_changes": _INSIDE,
    "importing.commit.fill_initials": _INSIDE,
    "importing.commit.finish": _INSIDE,
    "importing.commit.insert_rows": _INSIDE,
    "importing.commit.set_tags": _INSIDE,
    "importing.commit.refresh_rules": _INSIDE,
    "importing.commit.refresh_search": _INSIDE,
    "importing.commit.source_label": _PURE,
    "importing.reader.data_rows": _PURE,
    "importing.reader.detect_delimiter": _PURE,
    "importing.reader.detect_encoding": _PURE,
    "importing.reader.find_header": _PURE,
    "importing.reader.header_names": _PURE,
    "importing.reader.inspect": _PURE,
    "importing.reader.sniff_kind": _PURE,
    "importing.sources.load_sources": _OPERATOR,
    "importing.sources.read_sources": _REFERENCE,
    "importing.sources.read_code_synonyms": _REFERENCE,
    "importing.sources.source": _REFERENCE,
    "importing.sources.sources": _REFERENCE,
    "importing.stage.targets": _REFERENCE,
    "importing.stage.catalog_fields": _REFERENCE,
    "importing.stage.catalog_name": _REFERENCE,
    "importing.stage.check_mapping": _PURE,
    "importing.job_kinds.import_file": _JOB,
    "importing.job_kinds.import_preview": _JOB,
    "importing.job_kinds.import_commit": _JOB,
    "importing.job_kinds.import_undo": _JOB,
    "importing.cli.add_parser": _OPERATOR,
    "importing.cli.run": _OPERATOR,
    "ledger.refresh_address_search": _INSIDE,
    "ledger.refresh_batch_addresses": _INSIDE,
    "reports.store.expired_on": _PURE,
    "reports.store.not_in_force_reason": _PURE,
    "reports.store.granted": _REFERENCE,
    "reports.store.insert_next_version": _INSIDE,
    "events.joined": _INSIDE,
    "importing.batches.for_visit_sheet": _INSIDE,
    "jobs.expired_file": _PURE,
    # 走访采集
    "visits.campaign_fields": _REFERENCE,
    "visits.source_label": _PURE,
    # 报表准入 and 表单归并: the catalogue, the mapper and arithmetic over values passed in
    "admission.assessment.active_templates": _REFERENCE,
    "admission.assessment.classify": _REFERENCE,
    "admission.assessment.coverage": _PURE,
    "admission.assessment.decide": _PURE,
    "admission.assessment.extras_for": _REFERENCE,
    "admission.assessment.field_labels": _REFERENCE,
    "admission.assessment.hours": _PURE,
    "admission.assessment.match_headers": _REFERENCE,
    "admission.assessment.overlaps": _PURE,
    "admission.assessment.picked": _REFERENCE,
    "admission.assessment.template_keys": _PURE,
    "admission.background.consolidate_forms": _JOB,
    "admission.consolidation.guess_entity": _REFERENCE,
    "admission.figures.figures": "报表目录与审批流程的区级计数，不含个人数据"
    "（由已检查角色的数据大屏与管理员首页调用）",
    "admission.forms.read_forms": _PURE,
    "admission.requests.latest_expiry": _PURE,
    "admission.requests.check_fields": _PURE,
    "admission.requests.request_fields": _PURE,
    "admission.requests.request_shape": _PURE,
    "admission.requests.template_code_for": _PURE,
    "admission.standard.reapply": _INSIDE,
    "admission.standard.new_code": _PURE,
    "admission.standard.synonym_text": _PURE,
    "admission.templates.three_years_from": _PURE,
    "admission.templates.guess_department": _REFERENCE,
    "admission.templates.guess_frequency": _PURE,
    "admission.templates.suggest_tags": _REFERENCE,
    "admission.templates.title_pattern": _PURE,
    "admission.templates.columns_for": _PURE,
    "admission.templates.manual_minutes": _PURE,
    "admission.templates.definition": _PURE,
    "admission.templates.needs_review": _PURE,
}

# Modules below the domain: infrastructure, validators, writers and reference data. Their
# functions never read the ledger for a caller (the domain functions above do, then call them).
INFRASTRUCTURE_MODULES = (
    "audit",
    "benchmarks",
    "bootstrap",
    "catalog",
    "cli",
    "conditions",
    "config",
    "db",
    "demo",
    "excel",
    "maintenance",
    "masking",
    "permissions",
    "scope",
    "small_cells",
    "validate",
)


def refusal(scope: Scope, action: str) -> str:
    """The Chinese message a role gets for an action it may not do."""
    what, _ = RULES[action]
    return f"您的角色（{scope.role_name}）无权{what}。"


def allowed(scope: Scope, action: str) -> bool:
    return scope.role in RULES[action][1]


_granted = threading.local()


@contextmanager
def granting(role: str, roles: frozenset[str]) -> Iterator[None]:
    """Inside the block, functions open to exactly `roles` also admit `role`: a caller already
    checked by its own area takes one narrow path through another's (a social worker's own
    visit sheet through the import engine). Thread-local, so other sessions are unaffected."""
    previous = getattr(_granted, "grant", None)
    _granted.grant = (role, roles)
    try:
        yield
    finally:
        _granted.grant = previous


def checked(fn: F) -> F:
    """Refuse every role the table does not name for this function, before it runs."""
    action = f"{fn.__module__.removeprefix('yibiaotong.')}.{fn.__name__}"
    if action not in RULES:
        raise RuntimeError(f"{action} is not in permissions.RULES")
    roles = RULES[action][1]
    names = list(inspect.signature(fn).parameters)
    position = names.index("scope" if "scope" in names else "caller")

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        scope = args[position] if len(args) > position else kwargs.get(names[position])
        if not isinstance(scope, Scope):
            raise AccessDenied("缺少调用者身份，已拒绝。")
        if scope.role not in roles and getattr(_granted, "grant", None) != (scope.role, roles):
            raise AccessDenied(refusal(scope, action))
        return fn(*args, **kwargs)

    guarded.permission = action  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]
