"""A pile of uploaded forms: several .xlsx files or one .zip, read safely into memory.

Nothing is extracted to disk. A member is refused with a reason a clerk can read — encrypted,
not an Excel workbook, a zip inside the zip, an unsafe path (zip-slip), a size that does not
add up (zip bomb) — and the rest are read. Member names written by Chinese Windows (GBK
without the UTF-8 flag) are decoded as GBK; folders are kept in the name ("民政/高龄.xlsx").
"""

from __future__ import annotations

import io
import posixpath
import stat
import zipfile
from dataclasses import dataclass

from yibiaotong.excel.upload import MAX_UPLOAD_BYTES, UploadError

MAX_ZIP_BYTES = 50 * 1024 * 1024  # Streamlit's maxUploadSize
MAX_ZIP_ENTRIES = 5_000
MAX_FORMS = 1_000  # the article's district had 468 forms; one pile stays below this
MAX_TOTAL_BYTES = 400 * 1024 * 1024
MAX_RATIO = 100  # as excel/upload.py: real sheets rarely compress past 100:1
_RATIO_FLOOR = 1024 * 1024
_UTF8_FLAG = 0x800
_JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True)
class Member:
    """One workbook of the pile: its name (folders kept) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Skipped:
    """A file of the pile that was not read, and why (Chinese)."""

    name: str
    reason: str


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: zipfile reads names without the UTF-8 flag as
    cp437, which garbles what Chinese Windows wrote in GBK (and what some tools wrote in UTF-8
    without setting the flag)."""
    name = info.filename
    if info.flag_bits & _UTF8_FLAG:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def _unsafe(name: str) -> bool:
    """A path that would leave the folder it is extracted to (zip-slip), or an absolute one."""
    normal = name.replace("\\", "/")
    return (
        normal.startswith("/")
        or (len(normal) > 1 and normal[1] == ":")
        or ".." in normal.split("/")
    )


def kind_reason(name: str) -> str | None:
    """Why a file is not read as a form (None: it is an .xlsx workbook)."""
    base = posixpath.basename(name.replace("\\", "/"))
    lower = base.lower()
    if lower in _JUNK_NAMES or base.startswith(("~$", "._")) or "__macosx/" in name.lower():
        return "系统或临时文件，已忽略"
    suffix = posixpath.splitext(lower)[1]
    if suffix == ".xlsx":
        return None
    if suffix == ".xls":
        return "旧版 .xls 文件，请在 Excel 中“另存为”.xlsx 后再上传"
    if suffix in (".xlsm", ".xlsb", ".xltm"):
        return "含宏的工作簿，为安全起见不读取；请另存为 .xlsx 后再上传"
    if suffix in (".et", ".ett", ".ods"):
        return "WPS/OpenDocument 表格，请另存为 .xlsx 后再上传"
    if suffix in (".zip", ".rar", ".7z", ".gz", ".tar"):
        return "压缩包内的压缩包不展开，请先解压，再把其中的表单一并上传"
    if suffix in (".csv", ".txt"):
        return "文本数据文件不是表样，表单归并只读取 .xlsx 表单"
    return "不是 Excel 表单（.xlsx），已跳过"


def read_zip(data: bytes) -> tuple[list[Member], list[Skipped]]:
    """The workbooks in a zip and the members skipped with their reasons; UploadError when the
    zip itself is refused (not a zip, too big, too many entries, a bomb as a whole)."""
    if len(data) > MAX_ZIP_BYTES:
        raise UploadError(f"压缩包过大（{len(data) / 1024 / 1024:.1f} MB），不能超过 50 MB。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadError("不是有效的 .zip 压缩包，请重新压缩（或直接选择多个 .xlsx 文件）上传。")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError("压缩包已损坏，无法打开。") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UploadError(f"压缩包内文件过多（{len(infos):,} 个），已拒绝。")
    if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise UploadError("压缩包解压后超过 400 MB，疑似压缩炸弹或混入了其他文件，已拒绝。")
    members: list[Member] = []
    skipped: list[Skipped] = []
    with zf:
        for info in infos:
            if info.is_dir():
                continue
            name = member_name(info)
            reason = _member_reason(info, name)
            if reason is None:
                try:
                    with zf.open(info) as part:
                        content = part.read(info.file_size + 1)
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
                    reason = "无法解压（文件已损坏）"
                else:
                    if len(content) != info.file_size:
                        reason = "解压后的大小与记录不符（疑似压缩炸弹），已跳过"
            if reason is not None:
                skipped.append(Skipped(name, reason))
            else:
                members.append(Member(name, content))
    return members, skipped


def _member_reason(info: zipfile.ZipInfo, name: str) -> str | None:
    if _unsafe(name):
        return "路径不安全（含“..”或绝对路径），已跳过"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "符号链接，不是文件，已跳过"
    if info.flag_bits & 0x1:
        return "文件已加密，无法读取；请取消密码后再压缩上传"
    if reason := kind_reason(name):
        return reason
    if info.file_size > MAX_UPLOAD_BYTES:
        return f"解压后 {info.file_size / 1024 / 1024:.1f} MB，单个表单不能超过 10 MB"
    if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return "解压后异常膨胀（疑似压缩炸弹），已跳过"
    return None


def gather(files: list[tuple[str, bytes]]) -> tuple[list[Member], list[Skipped]]:
    """Several uploaded files: .xlsx as they are, a .zip expanded, anything else skipped with a
    reason. UploadError when nothing can be read or the pile is too big."""
    members: list[Member] = []
    skipped: list[Skipped] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            found, passed = read_zip(data)
            folder = posixpath.splitext(posixpath.basename(name))[0]
            prefix = f"{folder}/" if len(files) > 1 else ""
            members += [Member(prefix + m.name, m.data) for m in found]
            skipped += [Skipped(prefix + s.name, s.reason) for s in passed]
        elif reason := kind_reason(name):
            skipped.append(Skipped(name, reason))
        else:
            members.append(Member(name, data))
    if len(members) > MAX_FORMS:
        raise UploadError(
            f"共 {len(members):,} 个表单，超过一次归并的上限 {MAX_FORMS:,} 个；请按部门或街道分批上传。"
        )
    if not members:
        reasons = "；".join(f"{s.name}：{s.reason}" for s in skipped[:3])
        raise UploadError(
            "没有可读取的 .xlsx 表单。"
            + (f"（{reasons}）" if reasons else "请选择 .xlsx 文件或 .zip 压缩包。")
        )
    return members, skipped
