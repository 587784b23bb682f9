"""Checks on an uploaded .xlsx before openpyxl parses it: size, format, encryption, zip bomb."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 2_000
MAX_RATIO = 100  # deflate rarely beats 100:1 on real sheets; bombs reach 1000:1
_RATIO_FLOOR = 1024 * 1024  # small parts (styles, shared strings of a blank form) may compress well
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")


class UploadError(ValueError):
    """The upload is refused; the message is Chinese and says what to do."""


def check_xlsx(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse anything but a plain, reasonably sized .xlsx, before any XML is parsed."""
    if not data:
        raise UploadError("文件为空，请重新选择。")
    if len(data) > max_bytes:
        raise UploadError(
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），表样文件不能超过 {max_bytes // 1024 // 1024} MB。"
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
            "不是有效的 Excel 文件（.xlsx）。请上传用 Excel 或 WPS 保存的 .xlsx 表样。"
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
    if total > MAX_UNZIPPED_BYTES:
        raise UploadError(
            f"文件解压后超过 {MAX_UNZIPPED_BYTES // 1024 // 1024} MB，表样文件不应这么大，已拒绝。"
        )


def open_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Workbook:
    """check_xlsx(), then openpyxl in normal mode (styles and merges kept, links dropped).

    openpyxl parses through defusedxml when it is installed (it is a dependency), so entity
    expansion in the XML is refused too.
    """
    check_xlsx(data, max_bytes=max_bytes)
    try:
        return load_workbook(io.BytesIO(data), keep_links=False, keep_vba=False, rich_text=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise UploadError(
            "Excel 文件内容无法解析，请用 Excel 或 WPS 重新另存为 .xlsx 后上传。"
        ) from exc
