"""Checks on an uploaded workbook before anything parses it: size, format, encryption, macros,
zip bombs and the extent its sheets declare or fill (a sheet claiming A1:XFD1048576 is refused
in seconds, without building a single cell)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 2_000
MAX_RATIO = 100  # deflate rarely beats 100:1 on real sheets; bombs reach 1000:1
_RATIO_FLOOR = 1024 * 1024  # small parts (styles, shared strings of a blank form) may compress well
# A department's own form: a few thousand rows at most, a few dozen columns.
FORM_MAX_ROWS = 100_000
FORM_MAX_COLUMNS = 500
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")
_MACRO_PARTS = ("xl/vbaProject.bin", "xl/macrosheets/")
_MACRO_TYPES = (b"macroEnabled", b"vnd.ms-excel.sheet.binary")
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]{0,3})(\d*):?([A-Z]{0,3})(\d*)"')
# Cell and row references in sheet XML; <c r="B7" ...><f> marks a formula cell.
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})\d')
_REF_ROW = re.compile(rb'<(?:c|row) r="[A-Z]{0,3}(\d+)"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f[ >/]')
_SCAN_CHUNK = 4 * 1024 * 1024


class UploadError(ValueError):
    """The upload is refused; the message is Chinese and says what to do."""


@dataclass
class SheetExtent:
    """How far one worksheet reaches: declared (<dimension>) and filled (last cell or row)."""

    part: str
    declared_rows: int = 0
    declared_columns: int = 0
    rows: int = 0
    columns: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column), 1-based


def column_number(letters: bytes | str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + ord(ch) - 64
    return n


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_container(
    data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, max_unzipped: int = MAX_UNZIPPED_BYTES
) -> list[zipfile.ZipInfo]:
    """Refuse anything but a plain, reasonably sized .xlsx container (no XML parsed)."""
    if not data:
        raise UploadError("文件为空，请重新选择。")
    if len(data) > max_bytes:
        raise UploadError(
            f"文件过大（{_megabytes(len(data))}），不能超过 {max_bytes // 1024 // 1024} MB。"
        )
    if data.startswith(_CFB_MAGIC):
        if _ENCRYPTION_STREAM in data:
            raise UploadError(
                "文件设置了打开密码，无法读取。请在 Excel 中取消密码后另存为 .xlsx 再上传。"
            )
        raise UploadError(
            "这是旧版 .xls 文件。请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再上传。"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadError(
            "不是有效的 Excel 文件（.xlsx）。请上传用 Excel 或 WPS 保存的 .xlsx 文件。"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise UploadError("文件已损坏，无法打开。") from exc
    if len(infos) > MAX_ENTRIES:
        raise UploadError("文件结构异常（包含的部件过多），已拒绝。")
    names = {i.filename for i in infos}
    if not all(part in names for part in _REQUIRED):
        raise UploadError("不是有效的 Excel 工作簿（缺少工作簿结构），请确认是 .xlsx 文件。")
    if any(i.flag_bits & 0x1 for i in infos):
        raise UploadError("文件已加密，无法读取。请取消密码后再上传。")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadError("文件解压后异常膨胀（疑似压缩炸弹），已拒绝。")
    if total > max_unzipped:
        raise UploadError(
            f"文件解压后超过 {max_unzipped // 1024 // 1024} MB，已拒绝。"
            "请删除多余的工作表、图片或格式后另存再上传。"
        )
    return infos


def _refuse_macros(zf: zipfile.ZipFile, names: set[str]) -> None:
    content_types = zf.read("[Content_Types].xml")
    if any(n == p or n.startswith(p) for n in names for p in _MACRO_PARTS) or any(
        t in content_types for t in _MACRO_TYPES
    ):
        raise UploadError(
            "文件包含宏（可能是 .xlsm/.xlsb 改了扩展名），为安全起见已拒绝。"
            "请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再上传。"
        )


def _scan(extent: SheetExtent, text: bytes) -> None:
    # A million-row sheet holds ten million references: findall and set work in C, a Python
    # loop over match objects took three times as long.
    if columns := set(_CELL_COLUMN.findall(text)):
        extent.columns = max(extent.columns, *map(column_number, columns))
    if rows := _REF_ROW.findall(text):
        extent.rows = max(extent.rows, max(map(int, rows)))
    if b"<f" in text:
        for m in _FORMULA_CELL.finditer(text):
            extent.formulas.add((int(m.group(2)), column_number(m.group(1))))


def _declared(name: str, head: bytes) -> SheetExtent:
    extent = SheetExtent(name)
    if m := _DIMENSION.search(head):
        c1, r1, c2, r2 = m.groups()
        extent.declared_rows = int(r2 or r1 or 0)
        extent.declared_columns = column_number(c2 or c1 or b"")
    return extent


def _worksheets(zf: zipfile.ZipFile) -> list[str]:
    return sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


def sheet_extents(zf: zipfile.ZipFile) -> list[SheetExtent]:
    """Scan every worksheet part as a byte stream: its declared dimension, the last row and
    column that hold anything, and its formula cells. Never builds cells, so a sheet that
    claims a million rows costs one read of its (bounded) XML."""
    extents = []
    for name in _worksheets(zf):
        with zf.open(name) as part:
            chunk = part.read(_SCAN_CHUNK)
            extent = _declared(name, chunk[:4096])
            tail = b""
            while chunk:
                # A reference is a few dozen bytes: the overlap finds one cut by the chunk edge
                # (one found twice changes no maximum).
                text = tail + chunk
                _scan(extent, text)
                tail = text[-64:]
                chunk = part.read(_SCAN_CHUNK)
        extents.append(extent)
    return extents


def _declared_too_big(extent: SheetExtent, max_rows: int, max_columns: int) -> bool:
    return extent.declared_rows > max_rows or extent.declared_columns > max_columns


def _refuse_extent(extents: list[SheetExtent], max_rows: int, max_columns: int) -> None:
    for extent in extents:
        rows = max(extent.rows, extent.declared_rows)
        columns = max(extent.columns, extent.declared_columns)
        if rows > max_rows or columns > max_columns:
            raise UploadError(
                f"工作表的范围过大（{rows:,} 行 × {columns:,} 列，"
                f"上限 {max_rows:,} 行 × {max_columns:,} 列），已拒绝。"
                "常见原因是整行或整列设置了格式：请删除数据以外的空行空列后另存再上传。"
            )


def inspect_xlsx(
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = FORM_MAX_ROWS,
    max_columns: int = FORM_MAX_COLUMNS,
    max_unzipped: int = MAX_UNZIPPED_BYTES,
) -> list[SheetExtent]:
    """check_container(), no macros, and every sheet within max_rows × max_columns (declared or
    filled). Returns the extents (with formula cells) for readers that want them."""
    check_container(data, max_bytes=max_bytes, max_unzipped=max_unzipped)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        _refuse_macros(zf, set(zf.namelist()))
        # The declared dimension alone decides in microseconds; the scan catches a sheet that
        # declares nothing but puts one cell at XFD1048576.
        for name in _worksheets(zf):
            with zf.open(name) as part:
                declared = _declared(name, part.read(4096))
            if _declared_too_big(declared, max_rows, max_columns):
                _refuse_extent([declared], max_rows, max_columns)
        try:
            extents = sheet_extents(zf)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UploadError("文件已损坏（工作表无法解压），请重新保存后上传。") from exc
    _refuse_extent(extents, max_rows, max_columns)
    return extents


def check_xlsx(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse anything but a plain, reasonably sized .xlsx form, before any XML is parsed."""
    inspect_xlsx(data, max_bytes=max_bytes)


def open_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Workbook:
    """check_xlsx(), then openpyxl in normal mode (styles and merges kept, links dropped).

    openpyxl parses worksheets through defusedxml and other parts through lxml with entity
    resolution off (both are dependencies), so entity expansion in the XML is refused too.
    """
    check_xlsx(data, max_bytes=max_bytes)
    try:
        return load_workbook(io.BytesIO(data), keep_links=False, keep_vba=False, rich_text=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise UploadError(
            "Excel 文件内容无法解析，请用 Excel 或 WPS 重新另存为 .xlsx 后上传。"
        ) from exc
