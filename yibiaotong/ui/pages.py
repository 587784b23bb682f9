"""The page registry: which roles see which page, in which menu section."""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = ("district_admin", "street_leader", "dept_staff", "social_worker")


@dataclass(frozen=True)
class PageSpec:
    stem: str  # app_pages/<stem>.py and the URL path
    title: str
    icon: str
    section: str
    roles: tuple[str, ...]
    summary: str  # one line for the home page: what the user can do here
    in_menu: bool = True  # False: reached from elsewhere (修改密码 sits under the user's name)


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "home", "首页", ":material/home:", "工作台", ALL_ROLES, "查看本人账号、辖区和可用功能"
    ),
    PageSpec(
        "account",
        "修改密码",
        ":material/password:",
        "工作台",
        ALL_ROLES,
        "修改本人登录密码；修改后您在其他设备上的登录全部结束",
        in_menu=False,
    ),
    PageSpec(
        "ledger",
        "台账",
        ":material/table_view:",
        "业务",
        ("district_admin", "social_worker"),
        "维护人口、户、房屋、商铺台账，记录全程留痕",
    ),
    PageSpec(
        "tag_query",
        "标签查询",
        ":material/sell:",
        "业务",
        ALL_ROLES,
        "按标签和字段条件圈选人群，如二孩、多孩家庭",
    ),
    PageSpec(
        "reports",
        "报表中心",
        ":material/description:",
        "业务",
        ALL_ROLES,
        "一键生成各部门报表并下载 Excel",
    ),
    PageSpec(
        "report_runs",
        "报表运行记录",
        ":material/schedule:",
        "业务",
        ALL_ROLES,
        "查看报表生成记录和节省的填报时间",
    ),
    PageSpec(
        "dashboard",
        "数据大屏",
        ":material/monitoring:",
        "业务",
        ("district_admin", "street_leader"),
        "查看辖区人口、房屋、商铺、网格统计",
    ),
    PageSpec(
        "data_import",
        "数据回流",
        ":material/cloud_upload:",
        "业务",
        ("district_admin", "dept_staff"),
        "导入部门回流数据：字段对应、清洗、预览、写入、冲突审核、撤销",
    ),
    PageSpec(
        "visits",
        "我的走访",
        ":material/door_front:",
        "业务",
        ("social_worker",),
        "入户走访：核实、更正、补录台账信息，一户一存",
    ),
    PageSpec(
        "campaigns",
        "走访采集",
        ":material/fact_check:",
        "业务",
        ("district_admin", "street_leader", "social_worker"),
        "发起走访、查看各社区网格进度、下载采集表、结束并导出汇总",
    ),
    PageSpec(
        "standards",
        "字段与标签标准",
        ":material/menu_book:",
        "标准",
        ALL_ROLES,
        "查阅统一的字段标准、代码表和标签体系",
    ),
    PageSpec(
        "report_editor",
        "报表模板管理",
        ":material/edit_document:",
        "标准",
        ("district_admin",),
        "低代码配置报表模板：字段、筛选、分组、合计，保存为新版本",
    ),
    PageSpec(
        "admission",
        "报表准入",
        ":material/fact_check:",
        "标准",
        ("district_admin", "dept_staff"),
        "申请新报表、查看台账已有字段与现有报表的重合，审核、续期",
    ),
    PageSpec(
        "consolidation",
        "表单归并",
        ":material/merge:",
        "标准",
        ("district_admin",),
        "把一批部门表单拆成字段、合并成一张字段清单，并生成报表模板",
    ),
    PageSpec(
        "jobs",
        "任务",
        ":material/pending_actions:",
        "系统",
        ALL_ROLES,
        "查看批量报表、备份等后台任务的进度，下载结果文件",
    ),
    PageSpec(
        "health",
        "系统状态",
        ":material/monitor_heart:",
        "系统",
        ("district_admin",),
        "数据库大小与增长、备份及校验、后台任务、内存、参考目录新版本",
    ),
    PageSpec(
        "users",
        "用户管理",
        ":material/manage_accounts:",
        "系统",
        ("district_admin",),
        "新增账号，修改角色、辖区、部门和敏感信息权限，重置密码，锁定、停用账户",
    ),
    PageSpec(
        "change_log",
        "操作日志",
        ":material/history:",
        "系统",
        ("district_admin",),
        "按用户、对象、日期、来源查看台账的每一次修改",
    ),
    PageSpec(
        "access_log",
        "访问日志",
        ":material/shield_person:",
        "系统",
        ("district_admin",),
        "审计登录、导出、报表等访问记录",
    ),
)

BY_STEM = {p.stem: p for p in PAGES}


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]
