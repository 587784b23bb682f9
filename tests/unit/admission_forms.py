"""Real-shaped department forms built in code, for 报表准入 and 表单归并 tests.

Each form is modelled on a public grassroots form (its source is named) with what such forms
carry: a title, a 填报单位 line, one- to three-row headers with merged cells, blank bordered rows,
a 填表人 / 审核人 footer and 注 lines. `expect` is the answer key written down before the
mapper was run: each header path → the field-standard code (or derived value, "seq", or None
when the standard has no such field); "@code" is that field of another person than the row's
(代理人姓名, 监护人电话). A few forms are deliberately unlike the ledger (a
statistics summary, a fire-check record) because real piles are.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

Column = str | tuple[str, ...]
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
UNIT_LINE = "填报单位：________街道________社区"
FOOTER = "填表人：            审核人：            填报日期：      年    月    日"


@dataclass(frozen=True)
class FormSpec:
    file: str  # path inside a pile, the folder naming the department as streets file them
    department: str
    source: str
    title: str
    entity: str
    columns: list[tuple[Column, str | None]]  # (header path, expected field)
    unit_line: str = UNIT_LINE
    footer: str = FOOTER
    notes: tuple[str, ...] = ()
    blank_rows: int = 8
    lines_above: tuple[str, ...] = ()  # 表号 / 制定机关 lines of statistical forms
    number_row: bool = False  # a 栏次 row (甲 乙 1 2 3 …) under the header
    extra_sheet: str | None = None  # a second sheet of instructions (no header)
    notes_extra: dict = field(default_factory=dict)

    @property
    def headers(self) -> list[tuple[str, ...]]:
        return [(c,) if isinstance(c, str) else tuple(c) for c, _ in self.columns]

    @property
    def expect(self) -> dict[str, str | None]:
        return {"/".join(p): e for p, (_, e) in zip(self.headers, self.columns, strict=True)}


def build(spec: FormSpec) -> bytes:
    """The form as an .xlsx file."""
    wb = Workbook()
    ws = wb.active
    ws.title = spec.title[:28] or "Sheet1"
    paths = spec.headers
    width = len(paths)
    depth = max(len(p) for p in paths)
    row = 1
    for line in spec.lines_above:
        ws.cell(row, max(width - 3, 1), line)
        row += 1
    ws.cell(row, 1, spec.title).font = Font(name="黑体", size=16, bold=True)
    ws.cell(row, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    row += 1
    if spec.unit_line:
        ws.cell(row, 1, spec.unit_line)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(width // 2, 1))
        ws.cell(row, width, "单位：人")
        row += 1
    top = row
    for c, path in enumerate(paths, start=1):
        for level in range(depth):
            r = top + level
            if level < len(path):
                cell = ws.cell(r, c, path[level])
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                cell.font = Font(bold=True)
            ws.cell(r, c).border = _BOX
        if len(path) < depth:  # the last part spans the rows below it
            ws.merge_cells(
                start_row=top + len(path) - 1, start_column=c, end_row=top + depth - 1, end_column=c
            )
    for level in range(depth - 1):  # parents over consecutive columns
        c = 1
        while c <= width:
            path = paths[c - 1]
            end = c
            if len(path) > level + 1:
                while (
                    end < width
                    and len(paths[end]) > level + 1
                    and paths[end][: level + 1] == path[: level + 1]
                ):
                    end += 1
                if end > c:
                    ws.merge_cells(
                        start_row=top + level, start_column=c, end_row=top + level, end_column=end
                    )
            c = end + 1
    row = top + depth
    if spec.number_row:
        for c in range(1, width + 1):
            ws.cell(row, c, "甲" if c == 1 else c - 1).border = _BOX
        row += 1
    for _ in range(spec.blank_rows):
        for c in range(1, width + 1):
            ws.cell(row, c).border = _BOX
        row += 1
    row += 1
    if spec.footer:
        ws.cell(row, 1, spec.footer)
        row += 1
    for note in spec.notes:
        ws.cell(row, 1, note)
        row += 1
    for c in range(1, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    if spec.extra_sheet:
        info = wb.create_sheet("填表说明")
        info.cell(1, 1, spec.extra_sheet)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


R = "resident"

FORMS: list[FormSpec] = [
    FormSpec(
        "民政/高龄津贴发放花名册.xlsx",
        "minzheng",
        "莱西市民政局《关于做好80-99周岁高龄津贴申报发放工作的通知》（西民发〔2020〕26号）汇总表模版；"
        "贵池区高龄津贴政策图解（80/90/100 周岁分档）",
        "2024年________街道高龄老人津贴发放花名册",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("公民身份号码", "resident_id_number"),
            ("出生年月", "resident_birth_date"),
            ("年龄", "age"),
            ("户籍地址", "resident_hukou_address"),
            ("津贴标准（元/月）", "elderly_allowance"),
            ("银行卡号", None),
            ("领取人签字", None),
        ],
        notes=("注：80-89周岁每人每月100元，90-99周岁200元，100周岁及以上500元。",),
    ),
    FormSpec(
        "民政/最低生活保障家庭成员情况表.xlsx",
        "minzheng",
        "湘潭市城市居民最低生活保障金申请审批表·申请人家庭成员基本情况（m.wenke99.com/p-542725）",
        "最低生活保障家庭成员基本情况表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("与户主关系", "resident_relation_to_head"),
            ("性别", "resident_sex"),
            ("年龄", "age"),
            ("身份证号码", "resident_id_number"),
            ("身体状况", "resident_health_status"),
            ("工作单位", "resident_employer"),
            ("月收入（元）", None),
            ("身份类别", None),
        ],
        notes=(
            "注：身份类别指（1）优抚（2）在职职工（3）下岗职工（4）离退休人员（5）失业人员（6）其他。",
        ),
    ),
    FormSpec(
        "民政/空巢独居老人基本情况调查表.xlsx",
        "minzheng",
        "“空巢老人”基本情况、志愿服务统计调查表及填表说明（biz.doczj.com/doc/3817323922）",
        "________社区空巢（独居）老人基本情况调查表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("年龄", "age"),
            ("身份证号", "resident_id_number"),
            ("居住地址", "resident_current_address"),
            (("生活状况", "居住方式"), None),
            (("生活状况", "婚姻状况"), "resident_marital_status"),
            (("生活状况", "子女数量"), None),
            (("生活状况", "日常生活"), None),
            ("经济状况", None),
            ("健康状况", "resident_health_status"),
            ("结对关爱类型", None),
            ("服务需求", None),
            ("联系电话", "resident_phone"),
        ],
        notes=(
            "说明：日常生活填“自理、半自理、需要照顾”；结对关爱类型填“银龄互助、社区帮扶、其他”。",
        ),
    ),
    FormSpec(
        "民政/居家养老服务申请表.xlsx",
        "minzheng",
        "杭州市民政局《杭州市社区（村）居家养老服务需求评估表》表一·居家养老服务申请表（2011）",
        "杭州市社区（村）居家养老服务申请汇总表",
        R,
        [
            ("序号", "seq"),
            (("申请人基本情况", "姓名"), "resident_name"),
            (("申请人基本情况", "身份证号码"), "resident_id_number"),
            (("申请人基本情况", "性别"), "resident_sex"),
            (("申请人基本情况", "出生年月"), "resident_birth_date"),
            (("申请人基本情况", "民族"), "resident_ethnicity"),
            (("申请人基本情况", "文化程度"), "resident_education"),
            (("申请人基本情况", "婚姻状况"), "resident_marital_status"),
            ("居住情况", None),
            ("经济条件", None),
            ("居住地址", "resident_current_address"),
            ("手机", "resident_phone"),
            (("代理人", "姓名"), "@resident_name"),
            (("代理人", "与申请人关系"), None),
            (("代理人", "电话"), "@resident_phone"),
        ],
    ),
    FormSpec(
        "残联/残疾人基本服务状况和需求信息动态更新登记表.xlsx",
        "canlian",
        "中国残联、国家统计局《全国残疾人基本服务状况和需求信息数据动态更新》残疾人登记表"
        "（动态1表，国统制〔2016〕57号；360docs.net/doc/7811860459）",
        "残疾人基本服务状况和需求信息动态更新登记表",
        R,
        [
            ("R1.姓名", "resident_name"),
            ("R2.残疾人证号", None),
            ("R3.户籍性质", None),
            ("R4.婚姻状况", "resident_marital_status"),
            ("R5.残疾类别", None),
            ("R6.残疾等级", None),
            ("R15.就业状况", "resident_employment_status"),
            ("R18.未就业主要生活来源", None),
            ("R27.社会救助情况", None),
            ("R29.是否享受托养服务", None),
            ("R31.过去两周是否患有其他疾病", None),
        ],
        lines_above=(
            "表    号：动态1表",
            "制定机关：中国残联",
            "批准机关：国家统计局",
            "批准文号：国统制〔2016〕57号",
            "有效期至：2017年5月",
        ),
        unit_line="________县（区、市）________乡（镇、街道）________村（社区）",
    ),
    FormSpec(
        "残联/重残无业人员基本情况调查表.xlsx",
        "canlian",
        "广东省残联《重残无业人员基本情况调查表》（360docs.net/doc/594314430）",
        "重残无业人员基本情况调查汇总表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("出生年月", "resident_birth_date"),
            ("身份证号", "resident_id_number"),
            ("残疾证号", None),
            ("残疾类别", None),
            ("家庭地址", "resident_current_address"),
            ("电话", "resident_phone"),
            ("所属街道、里委", None),
            ("家庭人均收入", None),
            ("经济来源", None),
        ],
        notes=("注：残疾证号为第二代残疾人证20位号码。",),
    ),
    FormSpec(
        "卫健/育龄妇女信息登记表.xlsx",
        "weijian",
        "计划生育业务培训资料·育龄妇女信息卡填写说明（第21–25项，GB/T 18848-2002；"
        "360docs.net/doc/ba4342082）",
        "育龄妇女基础信息登记表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("身份证号码", "resident_id_number"),
            ("出生日期", "resident_birth_date"),
            ("婚姻状况", "resident_marital_status"),
            (("丈夫情况", "姓名"), "@resident_name"),
            (("丈夫情况", "身份证号码"), "@resident_id_number"),
            ("现有子女数", None),
            ("当前避孕状况", None),
            ("避孕状态开始时间", None),
            ("户籍地", "resident_hukou_address"),
            ("现居住地", "resident_current_address"),
            ("联系电话", "resident_phone"),
        ],
        number_row=True,
    ),
    FormSpec(
        "卫健/高血压患者随访管理花名册.xlsx",
        "weijian",
        "《国家基本公共卫生服务规范（第三版）》高血压患者健康管理服务规范"
        "（360docs.net/doc/404502669）",
        "________社区卫生服务站高血压患者随访管理花名册",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("年龄", "age"),
            ("身份证号", "resident_id_number"),
            ("联系电话", "resident_phone"),
            ("随访日期", None),
            ("随访方式", None),
            (("血压（mmHg）", "收缩压"), None),
            (("血压（mmHg）", "舒张压"), None),
            ("服药依从性", None),
            ("责任医生", "@resident_name"),
        ],
        notes=("注：每年至少面对面随访4次；随访方式填门诊、家庭、电话。",),
    ),
    FormSpec(
        "卫健/出生人口信息登记表.xlsx",
        "weijian",
        "杭州市2023年育儿补助（二孩5000元、三孩20000元）申报所需的出生信息；出生医学证明登记项",
        "2023年度出生人口信息登记表",
        R,
        [
            ("序号", "seq"),
            ("新生儿姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("出生日期", "resident_birth_date"),
            ("孩次", "resident_birth_order"),
            ("母亲姓名", "mother_name"),
            ("母亲身份证号", "@resident_id_number"),
            ("父亲姓名", "father_name"),
            ("出生医学证明编号", None),
            ("户籍登记地", "resident_hukou_address"),
            ("联系电话", "resident_phone"),
        ],
    ),
    FormSpec(
        "退役军人/退役军人信息采集表.xlsx",
        "tuiyi",
        "退役军人事务部2018年退役军人和其他优抚对象信息采集（鲁退役军人发〔2018〕2号；"
        "柯城区信息采集报道 kcnews.zjol.com.cn 2018-10-29）",
        "退役军人和其他优抚对象信息采集汇总表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("身份证号码", "resident_id_number"),
            ("民族", "resident_ethnicity"),
            ("政治面貌", "resident_political_status"),
            (("服役情况", "入伍时间"), None),
            (("服役情况", "退役时间"), None),
            (("服役情况", "服役部队"), None),
            ("人员类别", None),
            ("安置方式", None),
            ("现工作单位", "resident_employer"),
            ("联系电话", "resident_phone"),
            ("家庭住址", "resident_current_address"),
        ],
        notes=("注：人员类别按军队转业干部、退役士兵、复员军人、残疾军人、烈士遗属等十二类填写。",),
    ),
    FormSpec(
        "人社/失业人员登记花名册.xlsx",
        "renshe",
        "西安市就业困难人员认定规范；黎溪镇农民工失业就业登记花名册（360docs.net/doc/288414605）",
        "________街道失业人员登记花名册",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("年龄", "age"),
            ("身份证号", "resident_id_number"),
            ("文化程度", "resident_education"),
            ("家庭地址", "resident_current_address"),
            ("联系电话", "resident_phone"),
            ("失业登记日期", None),
            ("失业前工作单位", None),
            ("就业困难人员类别", None),
            ("就业意向", None),
            ("培训意愿", None),
        ],
    ),
    FormSpec(
        "人社/大中专毕业生就业跟踪服务台账.xlsx",
        "renshe",
        "大中专毕业生就业跟踪服务台账（附件2，360docs.net/doc/288414605）",
        "大中专毕业生就业跟踪服务台账",
        R,
        [
            ("序号", "seq"),
            (("基本信息", "姓名"), "resident_name"),
            (("基本信息", "性别"), "resident_sex"),
            (("基本信息", "年龄"), "age"),
            (("基本信息", "学历"), "resident_education"),
            (("基本信息", "身份证号"), "resident_id_number"),
            ("毕业院校及专业", None),
            ("毕业时间", None),
            ("联系电话", "resident_phone"),
            ("通讯地址", "resident_current_address"),
            ("参加培训情况", None),
            (("跟踪服务记录", "服务日期"), None),
            (("跟踪服务记录", "跟踪服务方式"), None),
        ],
        notes=("说明：本表由街道劳动保障事务所统一收集、存档。",),
    ),
    FormSpec(
        "公安/居住登记申请汇总表.xlsx",
        "gongan",
        "深圳经济特区居住登记申请表填表说明（7zbr.cn/xwxq_602241）；《居住证暂行条例》",
        "流动人口居住登记申请汇总表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("民族", "resident_ethnicity"),
            ("身份证件种类", "resident_id_type"),
            ("证件号码", "resident_id_number"),
            ("户籍地址", "resident_hukou_address"),
            ("房屋地址", None),
            ("户主姓名", "head_name"),
            ("与户主关系", "resident_relation_to_head"),
            ("职业", "resident_occupation"),
            ("来杭事由", None),
            ("服务处所", "resident_employer"),
            ("入住时间", "resident_arrival_date"),
            ("紧急联系电话", "resident_emergency_phone"),
        ],
        notes=("注：职业、来杭事由按代码填写；家庭居住的须填写户主。",),
    ),
    FormSpec(
        "公安/出租房屋登记表.xlsx",
        "gongan",
        "公安部《租赁房屋治安管理规定》登记事项；出租房屋“以房管人”登记台账常见格式",
        "出租房屋治安管理登记表",
        "house",
        [
            ("序号", "seq"),
            ("房屋地址", "house_address"),
            ("房屋编号", "house_no"),
            (("房东（产权人）", "姓名"), "house_owner_name"),
            (("房东（产权人）", "身份证号码"), "house_owner_id_number"),
            (("房东（产权人）", "联系电话"), "house_owner_phone"),
            ("出租间数", None),
            ("承租人数", "house_tenant_count"),
            ("租赁期限", None),
            ("出租登记日期", "house_rental_registered_at"),
            ("治安责任书签订情况", None),
        ],
    ),
    FormSpec(
        "住建/城镇自建房安全隐患排查表.xlsx",
        "zhujian",
        "国务院办公厅《全国自建房安全专项整治工作方案》及蒙山县方案（蒙政办〔2022〕80号）；"
        "山东省房屋普查内容（结构、层数、建成年代、用途）",
        "________街道城镇经营性自建房安全隐患排查表",
        "house",
        [
            ("序号", "seq"),
            ("房屋地址", "house_address"),
            ("产权人", "house_owner_name"),
            ("产权人联系电话", "house_owner_phone"),
            ("建成年代", "house_build_year"),
            ("层数", None),
            ("建筑面积（㎡）", "house_area_sqm"),
            ("结构类型", "house_structure"),
            ("房屋用途", "house_use_type"),
            ("是否用于经营", None),
            ("是否改扩建", None),
            ("安全隐患情况", None),
            ("初步判定", "house_safety_level"),
            ("排查人", "@resident_name"),
            ("排查日期", None),
        ],
        notes=("注：初步判定填“安全”“存在隐患”“危险”；存在隐患的须在一周内委托鉴定。",),
    ),
    FormSpec(
        "住建/危旧房屋治理台账.xlsx",
        "zhujian",
        "城镇危旧房屋治理改造工作台账常见格式（房屋基本情况、鉴定情况、治理情况三段）",
        "危旧房屋治理改造工作台账",
        "house",
        [
            ("序号", "seq"),
            (("房屋基本情况", "房屋坐落"), "house_address"),
            (("房屋基本情况", "产权性质"), "house_property_type"),
            (("房屋基本情况", "建筑面积"), "house_area_sqm"),
            (("房屋基本情况", "房屋结构"), "house_structure"),
            (("鉴定情况", "鉴定等级"), "house_safety_level"),
            (("鉴定情况", "鉴定日期"), None),
            (("鉴定情况", "鉴定单位"), None),
            (("治理情况", "治理方式"), None),
            (("治理情况", "计划完成时间"), None),
            (("治理情况", "责任人"), "@resident_name"),
        ],
    ),
    FormSpec(
        "消防/九小场所消防安全检查记录表.xlsx",
        "xiaofang",
        "“三小”场所消防安全检查内容和情况表（fsou.net 16932634）；《九小场所消防安全检查标准》",
        "“九小场所”消防安全检查记录表",
        "shop",
        [
            ("序号", "seq"),
            ("场所名称", "shop_name"),
            ("场所地址", "shop_address"),
            ("负责人", "shop_legal_person"),
            ("联系电话", "shop_phone"),
            ("场所类型", "shop_category"),
            ("经营面积（㎡）", "shop_area_sqm"),
            (("检查情况", "是否住人"), None),
            (("检查情况", "灭火器配置"), None),
            (("检查情况", "疏散通道"), None),
            (("检查情况", "应急照明"), None),
            (("检查情况", "电气线路"), None),
            ("存在问题", None),
            ("整改期限", None),
            ("检查人", "@resident_name"),
            ("检查日期", "shop_fire_check_date"),
        ],
    ),
    FormSpec(
        "消防/出租房屋消防安全检查表.xlsx",
        "xiaofang",
        "出租房屋（群租房）消防安全专项检查常见格式：居住人数、安全出口、烟感、电动自行车充电",
        "出租房屋消防安全检查情况表",
        "house",
        [
            ("序号", "seq"),
            ("房屋地址", "house_address"),
            ("房东姓名", "house_owner_name"),
            ("房东电话", "house_owner_phone"),
            ("出租间数", None),
            ("居住人数", "occupant_count"),
            ("是否群租", None),
            ("安全出口", None),
            ("独立式烟感报警器", None),
            ("电动自行车停放充电", None),
            ("检查结果", None),
            ("检查日期", "house_fire_check_date"),
        ],
    ),
    FormSpec(
        "应急/防汛防台危险区域人员转移名单.xlsx",
        "yingji",
        "《浙江省防汛防台抗旱条例》人员转移安置要求；厦门市翔安区香山街道防汛防台风应急预案（2024）",
        "防汛防台危险区域人员转移名单",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("年龄", "age"),
            ("联系电话", "resident_phone"),
            ("居住地址", "resident_current_address"),
            ("人员类型", None),
            ("转移安置点", None),
            (("转移责任人", "姓名"), "@resident_name"),
            (("转移责任人", "电话"), "@resident_phone"),
            ("是否已转移", None),
        ],
        notes=("注：人员类型填“老、弱、病、残、孕”；台风红色预警发布后2小时内完成转移。",),
    ),
    FormSpec(
        "应急/特殊群体应急联系人登记表.xlsx",
        "yingji",
        "独居老人等特殊群体应急联系登记（安庆圣埠社区摸排：姓名、身份证号、联系电话、居住地、紧急联系人）",
        "特殊群体应急联系人登记表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("身份证号", "resident_id_number"),
            ("本人电话", "resident_phone"),
            ("居住地址", "resident_current_address"),
            ("紧急联系人", "resident_emergency_contact"),
            ("紧急联系人电话", "resident_emergency_phone"),
            ("结对网格员", "@resident_name"),
            ("备注", None),
        ],
    ),
    FormSpec(
        "统计/社区人口基本情况统计表.xlsx",
        "tongji",
        "统计报表制度的综合表格式（如《全国妇幼卫生调查制度》卫统41表）：栏次行、三级表头",
        "________社区人口基本情况统计表",
        R,
        [
            ("社区（小区）", "community"),
            ("户数", None),
            (("人口数", "合计"), None),
            (("人口数", "按性别分", "男"), None),
            (("人口数", "按性别分", "女"), None),
            (("人口数", "按年龄分", "0-17岁"), None),
            (("人口数", "按年龄分", "18-59岁"), None),
            (("人口数", "按年龄分", "60岁及以上"), None),
            ("流动人口", None),
        ],
        number_row=True,
        extra_sheet="填表说明：本表为时点数，统计截至本月末。",
    ),
    FormSpec(
        "组织/党员信息采集表.xlsx",
        "zuzhi",
        "全国党员管理信息系统党员基本信息采集项（入党时间、转正时间、党员类型、所在党支部）",
        "党员基本信息采集汇总表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("民族", "resident_ethnicity"),
            ("出生日期", "resident_birth_date"),
            ("公民身份号码", "resident_id_number"),
            ("学历", "resident_education"),
            ("入党时间", None),
            ("转正时间", None),
            ("党员类型", None),
            ("所在党支部", None),
            ("工作单位及职务", "resident_employer"),
            ("联系电话", "resident_phone"),
            ("现居住地址", "resident_current_address"),
        ],
    ),
    FormSpec(
        "市场监管/沿街商铺信息登记表.xlsx",
        "shijian",
        "个体工商户登记事项（经营者、统一社会信用代码、经营场所、经营范围）与沿街商铺“门前三包”台账",
        "沿街商铺（个体工商户）信息登记表",
        "shop",
        [
            ("序号", "seq"),
            ("店铺名称", "shop_name"),
            ("统一社会信用代码", "shop_uscc"),
            ("经营者姓名", "shop_legal_person"),
            ("经营者身份证号", "shop_legal_person_id_number"),
            ("联系电话", "shop_phone"),
            ("经营地址", "shop_address"),
            ("经营范围", "shop_business_scope"),
            ("从业人员数", "shop_employees"),
            ("开业日期", "shop_opened_on"),
            ("营业执照有效期", None),
        ],
    ),
    FormSpec(
        "司法/社区矫正对象信息表.xlsx",
        "sifa",
        "《社区矫正法》执行登记事项：矫正类别、矫正期限、起止日期、执行地",
        "社区矫正对象基本信息表",
        R,
        [
            ("序号", "seq"),
            ("姓名", "resident_name"),
            ("性别", "resident_sex"),
            ("身份证号", "resident_id_number"),
            ("户籍地", "resident_hukou_address"),
            ("罪名", None),
            ("矫正类别", None),
            ("矫正期限", None),
            (("矫正起止日期", "起"), None),
            (("矫正起止日期", "止"), None),
            (("监护人", "姓名"), "@resident_name"),
            (("监护人", "联系电话"), "@resident_phone"),
        ],
    ),
]


def pile(specs: list[FormSpec] | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each form, as several uploaded files."""
    return [(s.file.split("/")[-1], build(s)) for s in specs or FORMS]


def zipped(
    members: list[tuple[str, bytes]], *, gbk_names: bool = False, encrypt: tuple[str, ...] = ()
) -> bytes:
    """A zip of the members. `gbk_names` writes names in GBK without the UTF-8 flag, as Chinese
    Windows' built-in zip does; names in `encrypt` get the encryption flag set (their content
    is unreadable without a password either way)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    raw = bytearray(out.getvalue())
    if gbk_names or encrypt:
        raw = _rewrite_names(bytes(raw), gbk_names, encrypt)
    return bytes(raw)


def _rewrite_names(data: bytes, gbk: bool, encrypt: tuple[str, ...]) -> bytearray:
    """Re-encode member names (GBK, flag 0x800 cleared) and set the encryption flag on some,
    in both the local and the central headers."""
    import struct

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    central = []
    for info in src.infolist():
        payload = data[info.header_offset :]
        name_len, extra_len = struct.unpack("<HH", payload[26:30])
        body_start = 30 + name_len + extra_len
        body = payload[body_start : body_start + info.compress_size]
        name = info.filename.encode("gbk") if gbk else info.filename.encode("utf-8")
        flags = info.flag_bits & ~0x800 if gbk else info.flag_bits | 0x800
        if info.filename in encrypt:
            flags |= 0x1
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                flags,
                info.compress_type,
                0,
                0x5821,
                info.CRC,
                info.compress_size,
                info.file_size,
                len(name),
                0,
            )
        )
        out.write(name)
        out.write(body)
        central.append((info, name, flags, offset))
    start = out.tell()
    for info, name, flags, offset in central:
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                flags,
                info.compress_type,
                0,
                0x5821,
                info.CRC,
                info.compress_size,
                info.file_size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(name)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
    )
    return bytearray(out.getvalue())


def wide_form(columns: int = 300) -> bytes:
    """A form with `columns` header columns (a data dump passed off as a form)."""
    spec = FormSpec(
        "宽表.xlsx",
        "tongji",
        "test",
        "超宽统计表",
        R,
        [(f"指标{i}", None) for i in range(1, columns + 1)],
        blank_rows=2,
    )
    return build(spec)


def not_a_form() -> bytes:
    """A workbook with no header row: one note."""
    wb = Workbook()
    wb.active["A1"] = "会议纪要：请各社区于本周五前报送材料。"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
