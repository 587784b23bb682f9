"""Reading files as offices save them, and refusing what is no table, without walking it."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from import_files import HEADER, csv_bytes, sample_people, xlsx_bytes

from yibiaotong import reports
from yibiaotong.auth import Scope
from yibiaotong.excel import upload
from yibiaotong.importing import reader

ADMIN = Scope("admin", "district_admin", "330102", clearance=True)


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path):
    info = reader.inspect(path, path.name)
    rows = reader.data_rows(path, info)
    return info, list(rows.rows), rows.skipped_empty


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("encoding", "shown"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_are_detected_and_decoded(tmp_path, encoding, shown):
    people = sample_people(3)
    people[1][1] = "𠮷祥" if encoding in ("utf-8", "utf-8-sig", "gb18030") else "吉祥"
    people[2][1] = "王䶮" if encoding != "gbk" else "王岩"
    path = write(tmp_path, "名册.csv", csv_bytes(people, encoding=encoding))
    info, rows, _ = read_all(path)
    assert info.kind == "csv" and info.encoding == shown
    assert info.headers == HEADER
    assert [r[1][1] for r in rows] == [p[1] for p in people]
    assert reader.ENCODINGS[shown] in info.describe()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_mixed_newlines_and_quoted_newlines(tmp_path, delimiter):
    people = sample_people(3)
    people[0][6] = "天仙社区\n3幢"  # a cell holding a newline (Alt+Enter in Excel)
    data = csv_bytes(people, delimiter=delimiter, newline="\r\n")
    data = data.replace(b"\r\n" + people[2][0].encode(), b"\n" + people[2][0].encode())  # mixed
    path = write(tmp_path, "x.csv", data)
    info, rows, _ = read_all(path)
    assert info.delimiter == delimiter
    assert "混合" in info.newlines
    assert rows[0][1][6] == "天仙社区\n3幢"
    # Row numbers as a spreadsheet shows them: header is row 1, the quoted newline is one cell.
    assert [n for n, _ in rows] == [2, 3, 4]


def test_title_rows_above_the_header_and_blank_rows_are_skipped(tmp_path):
    people = sample_people(2)
    data = csv_bytes(people, title="闸弄口街道低保对象花名册（2026年11月）")
    data = data.replace(
        people[1][0].encode("gbk") + b",", b"\r\n" + people[1][0].encode("gbk") + b",", 1
    )
    path = write(tmp_path, "t.csv", data)
    info, rows, skipped = read_all(path)
    assert info.header_row == 3 and info.headers == HEADER
    assert [n for n, _ in rows] == [4, 6] and skipped == [5]


def test_csv_cells_that_look_like_our_marks_are_escaped(tmp_path):
    people = sample_people(1)
    people[0][1] = "\x01张三"
    path = write(tmp_path, "m.csv", csv_bytes(people, encoding="utf-8"))
    _, rows, _ = read_all(path)
    assert rows[0][1][1] == "\x7f\x01张三"


def test_a_wrong_encoding_override_says_what_to_do(tmp_path):
    path = write(tmp_path, "g.csv", csv_bytes(sample_people(2), encoding="gbk"))
    with pytest.raises(reader.ReadError, match="解码失败.*改选其他编码"):
        reader.inspect(path, "g.csv", encoding="utf-8")


# ---------------------------------------------------------------- Excel


def test_xlsx_title_merged_header_number_and_date_cells(tmp_path):
    people = sample_people(2)
    rows = [
        [1, people[0][1], 330102195001010011, "男", date(1950, 1, 1), 13800000000, "x"],
        [2, people[1][1], people[1][2], "女", datetime(1951, 2, 2, 0, 0), "13800000001", ""],
    ]
    header = ["序号", "姓名", "身份证号", "性别", "出生日期", "姓名", "身份证号"]
    data = xlsx_bytes(rows, header=header, merged_group=("户主信息", 6, 7))
    path = write(tmp_path, "b.xlsx", data)
    info, got, _ = read_all(path)
    assert info.kind == "xlsx" and info.header_rows == 2 and info.header_row == 4
    assert info.headers == [
        "序号",
        "姓名",
        "身份证号",
        "性别",
        "出生日期",
        "户主姓名",
        "户主身份证号",
    ]
    first = got[0][1]
    assert got[0][0] == 5
    assert first[2].startswith(reader.NUMBER_MARK)  # an ID Excel stored as a number
    assert first[4] == "1950-01-01"  # a real date cell
    assert got[1][1][2] == people[1][2] and got[1][1][4] == "1951-02-02"


def test_formula_cells_are_marked(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "年龄", "备注"])
    ws.append(["张三", "=2026-1990", "=A2"])
    out = io.BytesIO()
    wb.save(out)
    _, rows, _ = read_all(write(tmp_path, "f.xlsx", out.getvalue()))
    assert rows[0][1][1].startswith(reader.FORMULA_MARK)
    assert rows[0][1][2].startswith(reader.FORMULA_MARK)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice converts the .xls")
def test_old_xls_files_are_read(tmp_path):
    src = write(tmp_path, "old.xlsx", xlsx_bytes(sample_people(2)))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "xls", "--outdir", str(tmp_path), str(src)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    info, rows, _ = read_all(tmp_path / "old.xls")
    assert info.kind == "xls" and info.headers == HEADER
    assert [r[1][1] for r in rows] == [p[1] for p in sample_people(2)]


# ---------------------------------------------------------------- refused files


def _huge_dimension_xlsx() -> bytes:
    """A small workbook whose sheet claims A1:XFD1048576 and has a cell at the far corner."""
    src = zipfile.ZipFile(io.BytesIO(xlsx_bytes(sample_people(1), title=None)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<dimension ref="A1:G2"/>', b'<dimension ref="A1:XFD1048576"/>'
                )
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                    b"</sheetData>",
                )
            dst.writestr(item, data)
    return out.getvalue()


def test_a_huge_declared_dimension_is_refused_in_seconds_on_every_path(tmp_path, use_fixture_db):
    data = _huge_dimension_xlsx()
    started = time.perf_counter()
    with pytest.raises(reader.ReadError, match="范围过大"):
        reader.inspect(write(tmp_path, "h.xlsx", data), "h.xlsx")
    with pytest.raises(upload.UploadError, match="范围过大"):
        upload.check_xlsx(data)
    # 报表中心 "fill my own form" opens uploads through the same guard.
    with pytest.raises(reports.ReportError, match="范围过大"):
        reports.analyse_form(ADMIN, data, "mz_tekun")
    assert time.perf_counter() - started < 3


def _macro_workbook() -> bytes:
    src = zipfile.ZipFile(io.BytesIO(xlsx_bytes(sample_people(1))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 VBA")
    return out.getvalue()


def _empty_workbook() -> bytes:
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"%PDF-1.7 not a table", "不是表格文件"),
        ("a.png", b"\x89PNG\r\n\x1a\n\x00\x00", "不是表格文件"),
        ("cut.xlsx", xlsx_bytes(sample_people(2))[:900], "损坏|不是有效"),
        ("empty.xlsx", _empty_workbook(), "空的"),
        ("macro.xlsx", _macro_workbook(), "宏"),
        ("title.csv", "只有一个标题\r\n\r\n".encode("gbk"), "没有找到表头"),
        ("empty.csv", b"", "为空"),
    ],
    ids=["pdf", "png", "truncated", "empty-workbook", "macro-renamed", "no-header", "empty-csv"],
)
def test_bad_files_get_a_clear_chinese_message(tmp_path, name, data, message):
    with pytest.raises((reader.ReadError, upload.UploadError), match=message):
        reader.inspect(write(tmp_path, name, data), name)


def test_a_zip_bomb_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<x/>")
        zf.writestr("xl/workbook.xml", b"<x/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    with pytest.raises(reader.ReadError, match="压缩炸弹"):
        reader.inspect(write(tmp_path, "bomb.xlsx", out.getvalue()), "bomb.xlsx")
