"""Department forms: upload checks, header detection, mapping suggestions and filling a copy."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Alignment, Border, Font, Side

from yibiaotong import auth, db, reports
from yibiaotong.excel import template_fill, upload

STREET = "330102009"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def pairing_form(blank_rows: int = 5, number_row: bool = False, prenumbered: bool = True) -> bytes:
    """A street's own 独居老人结对帮扶登记表: two header rows, repeated names, item numbers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结对表"
    ws["A1"] = "闸弄口街道独居老人结对帮扶登记表"
    ws["A1"].font = Font(name="方正小标宋简体", size=18)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells("A1:J1")
    ws["A2"] = "填报单位："
    ws.merge_cells("A2:E2")
    ws["F2"] = "填报日期："
    ws.merge_cells("F2:J2")
    ws["A3"] = "序号"
    ws.merge_cells("A3:A4")
    ws["B3"] = "老人基本情况"
    ws.merge_cells("B3:G3")
    for col, text in zip(
        "BCDEFG",
        ["D1.姓名", "D2.性别", "D3.身份证号码", "D4.年龄", "D5.联系电话", "D6.居住地址"],
        strict=True,
    ):
        ws[f"{col}4"] = text
    ws["H3"] = "结对联系人"
    ws.merge_cells("H3:J3")
    ws["H4"], ws["I4"], ws["J4"] = "姓名", "联系电话", "关系"
    row = 5
    if number_row:
        for i, col in enumerate("ABCDEFGHIJ", start=1):
            ws[f"{col}5"] = i
        row = 6
    for r in range(row, row + blank_rows):
        for col in "ABCDEFGHIJ":
            ws[f"{col}{r}"].border = BOX
            ws[f"{col}{r}"].font = Font(name="仿宋", size=11)
        if prenumbered:
            ws[f"A{r}"] = r - row + 1
        ws.row_dimensions[r].height = 24
    for r in range(3, 5):
        for col in "ABCDEFGHIJ":
            ws[f"{col}{r}"].border = BOX
            ws[f"{col}{r}"].font = Font(bold=True)
    footer = row + blank_rows + 1
    ws[f"A{footer}"] = "填表人：            审核人：            联系电话："
    ws.merge_cells(f"A{footer}:J{footer}")
    ws[f"A{footer + 1}"] = "说明：本表一式两份，街道、社区各留存一份。"
    ws.column_dimensions["D"].width = 22
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_header_block_is_found_with_parents_item_numbers_and_repeated_names():
    wb = openpyxl.load_workbook(io.BytesIO(pairing_form()))
    block = template_fill.detect_header(wb.active)
    assert (block.first_row, block.last_row, block.data_row) == (3, 4, 5)
    assert block.blank_rows == 5 and block.footer_row == 11 and block.number_row is None
    assert block.title == "闸弄口街道独居老人结对帮扶登记表"
    paths = [c.path for c in block.columns]
    assert paths[0] == ("序号",)
    assert paths[3] == ("老人基本情况", "D3.身份证号码") and block.columns[3].label == "身份证号码"
    assert paths[7] == ("结对联系人", "姓名") and block.columns[1].label == "姓名"
    assert len(block.columns) == 10 and len({c.key for c in block.columns}) == 10


def test_a_numbered_row_under_the_header_is_kept():
    wb = openpyxl.load_workbook(io.BytesIO(pairing_form(number_row=True, prenumbered=False)))
    block = template_fill.detect_header(wb.active)
    assert block.number_row == 5 and block.data_row == 6 and block.blank_rows == 5


@pytest.mark.parametrize(
    "text",
    [
        "D3.身份证号码",
        "3、身份证号码",
        "（三）身份证号码",
        "三、身份证号码",
        "*身份证号码（必填）",
        "身份证\n号码",
    ],
)
def test_item_numbers_and_marks_are_cleaned(text):
    assert template_fill.clean(text) == "身份证号码"


def test_mapping_is_suggested_from_synonyms_and_repeated_names_stay_open(use_fixture_db):
    analysis = reports.analyse_form(
        auth.scope_for("admin"), pairing_form(), "yj_living_alone_pairing"
    )
    by_label = {c.display: analysis.mapping[c.key] for c in analysis.block.columns}
    assert by_label == {
        "序号": "seq",
        "老人基本情况 › D1.姓名": "resident_name",
        "老人基本情况 › D2.性别": "resident_sex",
        "老人基本情况 › D3.身份证号码": "resident_id_number",
        "老人基本情况 › D4.年龄": "age",
        "老人基本情况 › D5.联系电话": "resident_phone",
        "老人基本情况 › D6.居住地址": "resident_current_address",
        "结对联系人 › 姓名": None,
        "结对联系人 › 联系电话": None,
        "结对联系人 › 关系": None,
    }
    assert not analysis.remembered


def _filled(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def test_filling_inserts_rows_above_the_footer_and_keeps_the_form(writable_db):
    admin = auth.scope_for("admin")
    analysis = reports.analyse_form(
        auth.scope_for("admin"), pairing_form(), "yj_living_alone_pairing"
    )
    prepared = reports.prepare(admin, "yj_living_alone_pairing", STREET)
    expected = reports.count(prepared)
    assert expected > 5
    content, run = reports.fill_form(
        admin, "yj_living_alone_pairing", pairing_form(), analysis.mapping, STREET
    )
    assert run.rows == expected
    ws = _filled(content)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:J1", "A2:E2", "F2:J2", "A3:A4", "B3:G3", "H3:J3"} <= merged
    assert ws["A1"].value == "闸弄口街道独居老人结对帮扶登记表"
    assert ws["A1"].font.name == "方正小标宋简体"
    assert ws["A2"].value == "填报单位：上城区闸弄口街道"
    assert ws["F2"].value.startswith("填报日期：20")
    assert ws["D4"].value == "D3.身份证号码"
    footer = 5 + expected + 1
    assert ws[f"A{footer}"].value.startswith("填表人")
    assert f"A{footer}:J{footer}" in merged
    assert ws[f"A{footer + 1}"].value.startswith("说明")
    data = list(ws.iter_rows(min_row=5, max_row=4 + expected, values_only=True))
    assert [r[0] for r in data] == list(range(1, expected + 1))
    assert all(r[1] and r[2] in ("男", "女") and len(r[3]) == 18 for r in data)
    assert all(r[7] is None and r[8] is None for r in data)  # left for the 结对联系人 by hand
    for r in range(5, 5 + expected):
        for c in range(1, 11):
            border = ws.cell(r, c).border
            assert all(getattr(border, side).style for side in ("left", "right", "top", "bottom"))
        assert ws.row_dimensions[r].height >= 24
        assert ws.cell(r, 2).font.name == "仿宋"
    assert ws.cell(5, 4).data_type == "s"
    with db.cursor() as cur:
        logged = cur.execute(
            "select rows, file_hash from report_run where id = $i", {"i": run.run_id}
        ).fetchone()
    assert logged[0] == expected


def test_fewer_rows_than_blank_rows_keep_the_footer_in_place():
    wb = openpyxl.load_workbook(io.BytesIO(pairing_form(blank_rows=10)))
    block = template_fill.detect_header(wb.active)
    n = template_fill.fill(
        wb,
        block,
        [template_fill.Fill(1, "seq"), template_fill.Fill(2, 0)],
        [["=cmd|' /C calc'!A0"], ["李四"]],
        unit="天仙社区",
    )
    assert n == 2
    ws = _filled(template_fill.save(wb))
    assert ws["A16"].value.startswith("填表人")
    assert (
        ws["B5"].value == "=cmd|' /C calc'!A0"
        and ws["B5"].data_type == "s"
        and ws["B5"].quotePrefix
    )
    assert ws["A7"].value == 3 and ws["B7"].value is None  # the form's own numbering stays
    assert ws["A7"].border.left.style == "thin"
    assert ws["A2"].value == "填报单位：天仙社区"


def test_confirmed_mapping_is_remembered_for_the_next_upload(writable_db):
    admin = auth.scope_for("admin")
    first = reports.analyse_form(auth.scope_for("admin"), pairing_form(), "yj_living_alone_pairing")
    mapping = dict(first.mapping)
    key = next(c.key for c in first.block.columns if c.display == "结对联系人 › 关系")
    mapping[key] = "resident_relation_to_head"
    phone = next(c.key for c in first.block.columns if c.display == "老人基本情况 › D5.联系电话")
    mapping[phone] = None
    reports.fill_form(
        admin, "yj_living_alone_pairing", pairing_form(), mapping, STREET, form_name="结对表"
    )
    again = reports.analyse_form(auth.scope_for("admin"), pairing_form(), "yj_living_alone_pairing")
    assert again.remembered and again.mapping == mapping


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "为空"),
        ("姓名,身份证号\n张三,1".encode("gbk"), "不是有效"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 512
            + "EncryptionInfo".encode("utf-16-le"),
            "密码",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".xls"),
        (_zip({"hello.txt": b"hi"}), "工作簿结构"),
        (
            _zip(
                {
                    "[Content_Types].xml": b"<x/>",
                    "xl/workbook.xml": b"<x/>",
                    "xl/worksheets/sheet1.xml": b"\0" * (30 * 1024 * 1024),
                }
            ),
            "压缩炸弹",
        ),
    ],
    ids=["empty", "csv", "encrypted", "xls", "not-xlsx-zip", "zip-bomb"],
)
def test_bad_uploads_are_refused_before_parsing(data, message):
    with pytest.raises(upload.UploadError, match=message):
        upload.check_xlsx(data)


def test_huge_upload_is_refused():
    with pytest.raises(upload.UploadError, match="过大"):
        upload.check_xlsx(b"PK" + b"\0" * 2048, max_bytes=1024)


def test_form_without_header_and_unparseable_xml_are_refused(use_fixture_db):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "只有标题的表"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(reports.ReportError, match="没有找到表头"):
        reports.analyse_form(auth.scope_for("admin"), out.getvalue(), "yj_living_alone_pairing")
    broken = _zip({"[Content_Types].xml": b"<oops", "xl/workbook.xml": b"<oops"})
    with pytest.raises(reports.ReportError, match="无法解析"):
        reports.analyse_form(auth.scope_for("admin"), broken, "yj_living_alone_pairing")


def test_filling_a_summary_template_is_refused(use_fixture_db):
    admin = auth.scope_for("admin")
    analysis = reports.analyse_form(
        auth.scope_for("admin"), pairing_form(), "yj_living_alone_pairing"
    )
    with pytest.raises(reports.ReportError, match="统计表"):
        reports.fill_form(
            admin, "tj_population_structure", pairing_form(), analysis.mapping, STREET
        )


LAUGHS = (
    '<!DOCTYPE x [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈">'
    + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)


@pytest.mark.parametrize(
    ("part", "text", "expanding"),
    [
        ("docProps/core.xml", b"</cp:coreProperties>", b"<dc:title>&i;</dc:title>"),
        ("xl/workbook.xml", b'name="Sheet"', b'name="&i;"'),
        ("xl/worksheets/sheet1.xml", b"<v>2026</v>", b"<v>&i;</v>"),
    ],
    ids=["properties", "workbook", "worksheet"],
)
def test_entity_expansion_in_any_part_is_refused_quickly(part, text, expanding):
    """A billion-laughs form (10^9 characters once expanded) is refused in well under a second,
    whichever XML part carries it (openpyxl reads parts through lxml or defusedxml)."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = 2026
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts[part].split(b"?>", 1)[-1]
    assert text in xml
    target = expanding + text if text.startswith(b"</") else expanding
    parts[part] = LAUGHS.encode() + xml.replace(text, target, 1)
    started = time.perf_counter()
    with pytest.raises(upload.UploadError, match="无法解析"):
        upload.open_workbook(_zip(parts))
    assert time.perf_counter() - started < 2
