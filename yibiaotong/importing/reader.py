"""Reading files as offices save them: CSV in any Chinese encoding and dialect, XLSX and XLS,
with the header row found below titles and merged two-row header blocks joined.

A reader yields rows as lists of text cells. Spreadsheet cells that were numbers are marked
with NUMBER_MARK and formula cells with FORMULA_MARK in front of their text, so that cleaning can
refuse an ID number Excel stored as a number (its last digits are gone) or a formula, instead of
guessing; a real date cell arrives as ISO text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import charset_normalizer
from python_calamine import CalamineWorkbook

from yibiaotong.excel import upload

NUMBER_MARK = "\x01"
FORMULA_MARK = "\x02"
MAX_COLUMNS = 200
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_XLSX_BYTES = 100 * 1024 * 1024
MAX_XLSX_UNZIPPED = 1024 * 1024 * 1024
HEADER_SCAN_ROWS = 30
SAMPLE_ROWS = 5
DELIMITERS = {",": "逗号", ";": "分号", "\t": "制表符", "|": "竖线"}
# Encodings offered when detection is overridden. GB18030 decodes every GBK and GB2312 file too,
# plus characters outside GBK (𠮷, 䶮) that a strict GBK decoder would refuse.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8（带 BOM）",
    "gb18030": "GB18030 / GBK / GB2312",
    "big5": "Big5（繁体）",
    "utf-16": "UTF-16",
}
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLS_MACROS = "_VBA_PROJECT".encode("utf-16-le")
_GROUP_SUFFIX = re.compile(r"(基本)?(信息|情况)$")
_DATA_LIKE = re.compile(r"^\s*[\d\-/.:年月日 ]{6,}\s*$")

Progress = Callable[[float, str], None] | None
_BLANK = NUMBER_MARK + FORMULA_MARK + " \t\r\n\u3000"


class ReadError(ValueError):
    """The file cannot be read as a table; the message is Chinese and says what to do."""


@dataclass
class FileInfo:
    """What reading found: the kind of file, how it is encoded and laid out, and its header."""

    kind: str  # csv | xlsx | xls
    encoding: str | None = None
    encoding_detected: str | None = None
    delimiter: str | None = None
    newlines: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    header_row: int = 1  # the (last) header row as a spreadsheet numbers it
    header_rows: int = 1
    headers: list[str] = field(default_factory=list)
    samples: list[list[str | None]] = field(default_factory=list)

    def settings(self) -> dict:
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "header_rows": self.header_rows,
        }

    def describe(self) -> str:
        """One line for the page: 文件类型、编码、分隔符、表头位置."""
        if self.kind == "csv":
            parts = [
                "CSV 文本",
                f"编码 {ENCODINGS.get(self.encoding, self.encoding)}",
                f"分隔符 {DELIMITERS.get(self.delimiter, repr(self.delimiter))}",
            ]
            if self.newlines:
                parts.append(f"换行 {self.newlines}")
        else:
            parts = [f"Excel 工作簿（.{self.kind}）", f"工作表“{self.sheet}”"]
        rows = (
            f"第 {self.header_row} 行"
            if self.header_rows == 1
            else f"第 {self.header_row - 1}–{self.header_row} 行（两行合并表头）"
        )
        parts.append(f"表头在{rows}")
        return "，".join(parts)


# ---------------------------------------------------------------- what kind of file


def sniff_kind(head: bytes, file_name: str) -> str:
    """csv | xlsx | xls by content (never by the name alone); refuse what is no table."""
    if not head:
        raise ReadError("文件为空，请重新选择。")
    if head.startswith(_CFB_MAGIC):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip().startswith((b"%PDF", b"<html", b"<!DOCTYPE", b"\x89PNG", b"\xff\xd8")):
        raise ReadError("这不是表格文件（CSV、XLSX 或 XLS），请导出为 Excel 或 CSV 后再上传。")
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("这不是表格文件（含二进制内容），请导出为 Excel 或 CSV 后再上传。")
    return "csv"


# ---------------------------------------------------------------- CSV


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8; otherwise what
    charset-normalizer finds, with the GBK family read as GB18030 (its superset)."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the sample
            return "utf-8"
    best = charset_normalizer.from_bytes(head[:262_144]).best()
    guess = (best.encoding if best else "gb18030").lower().replace("_", "-")
    if guess in ("gbk", "gb2312", "gb18030", "hz", "cp936", "euc-cn") or guess.startswith("gb"):
        return "gb18030"
    if guess in ENCODINGS:
        return guess
    return "gb18030"  # a Chinese office's default when nothing else fits


def _newline_kinds(sample: bytes) -> str:
    crlf = sample.count(b"\r\n")
    lf = sample.count(b"\n") - crlf
    cr = sample.count(b"\r") - crlf
    kinds = [name for name, n in (("CRLF", crlf), ("LF", lf), ("CR", cr)) if n]
    return "、".join(kinds) + ("（混合）" if len(kinds) > 1 else "") if kinds else ""


def detect_delimiter(text: str) -> str:
    """The csv sniffer on the first lines, falling back to the most consistent candidate."""
    try:
        return csv.Sniffer().sniff(text, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        lines = [line for line in text.splitlines()[:50] if line.strip()]
        if not lines:
            return ","
        scores = {}
        for d in DELIMITERS:
            counts = [line.count(d) for line in lines]
            scores[d] = (min(counts) > 0, max(counts), -len(set(counts)))
        return max(scores, key=scores.get)


def _has_marks(path: Path) -> bool:
    """Whether the file holds a byte that could pass for our number or formula mark (almost
    never): only then is every cell checked and such a cell escaped."""
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            if b"\x01" in chunk or b"\x02" in chunk:
                return True
    return False


def _csv_cell(cell: str) -> str | None:
    """A CSV cell as text; one that starts like our marks is escaped (and refused as control)."""
    if cell == "":
        return None
    if cell[0] in (NUMBER_MARK, FORMULA_MARK):
        return "\x7f" + cell
    return cell


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="strict", newline="")


def _csv_rows(path: Path, encoding: str, delimiter: str, progress: Progress = None):
    size = max(path.stat().st_size, 1)
    marks = _has_marks(path)
    with _open_text(path, encoding) as f:
        reader = csv.reader(f, delimiter=delimiter, quotechar='"', strict=False)
        number = 0
        try:
            for number, row in enumerate(reader, start=1):
                if progress and number % 50_000 == 0:
                    progress(f.buffer.tell() / size, "读取文件")
                yield [_csv_cell(c) for c in row] if marks else [c or None for c in row]
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"文件按 {ENCODINGS.get(encoding, encoding)} 解码失败（第 {number + 1} 行附近），"
                "请在“文件编码”中改选其他编码后重试。"
            ) from exc
        except csv.Error as exc:
            raise ReadError(f"CSV 第 {number + 1} 行格式有误：{exc}") from exc


# ---------------------------------------------------------------- Excel


def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
            return NUMBER_MARK + str(int(value))
        return NUMBER_MARK + repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


@dataclass
class _Workbook:
    book: CalamineWorkbook
    kind: str
    formulas: dict[str, set[tuple[int, int]]]  # sheet name → formula cells (1-based)


def _open_workbook(path: Path, kind: str) -> _Workbook:
    data = path.read_bytes()
    formulas: dict[str, set[tuple[int, int]]] = {}
    if kind == "xlsx":
        try:
            extents = upload.inspect_xlsx(
                data,
                max_bytes=MAX_XLSX_BYTES,
                max_rows=MAX_ROWS,
                max_columns=MAX_COLUMNS,
                max_unzipped=MAX_XLSX_UNZIPPED,
            )
        except upload.UploadError as exc:
            raise ReadError(str(exc)) from exc
    else:
        if b"EncryptionInfo".decode().encode("utf-16-le") in data:
            raise ReadError("文件设置了打开密码，无法读取。请取消密码后另存再上传。")
        if _XLS_MACROS in data:
            raise ReadError("文件包含宏，为安全起见已拒绝。请另存为不含宏的 .xlsx 后再上传。")
        extents = []
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for damaged files
        raise ReadError(
            "Excel 文件已损坏或不完整，无法读取。请用 Excel 或 WPS 重新另存后上传。"
        ) from exc
    if kind == "xlsx":
        # Worksheet parts are numbered in workbook order (sheet1.xml is the first sheet).
        parts = {e.part: e for e in extents}
        for index, name in enumerate(book.sheet_names, start=1):
            extent = parts.get(f"xl/worksheets/sheet{index}.xml")
            if extent is not None:
                formulas[name] = extent.formulas
    return _Workbook(book, kind, formulas)


def _sheet_rows(wb: _Workbook, sheet: str, progress: Progress = None):
    try:
        ws = wb.book.get_sheet_by_name(sheet)
    except Exception as exc:
        raise ReadError(f"工作表“{sheet}”无法读取，文件可能已损坏。") from exc
    start_row, start_col = ws.start or (0, 0)
    formulas = wb.formulas.get(sheet, set())
    merged = {}
    for (r1, c1), (r2, c2) in ws.merged_cell_ranges or []:
        if r2 - r1 < 5 and c2 - c1 < 50:  # header blocks; a merged data column is not filled
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        merged[(r, c)] = (r1, c1)
    first_cells: dict[tuple[int, int], str | None] = {}
    # Blank cells before the first used one: the spreadsheet's own row and column numbers.
    yield from ([None] for _ in range(start_row))
    total = max(ws.height or 1, 1)
    for index, values in enumerate(ws.iter_rows()):
        r = start_row + index
        row = [None] * start_col
        for offset, value in enumerate(values):
            c = start_col + offset
            text = _cell_text(value)
            if (r + 1, c + 1) in formulas:  # refused by cleaning, cached value or not
                text = FORMULA_MARK + (text or "").lstrip(NUMBER_MARK)
            if text is None and (r, c) in merged:
                text = first_cells.get(merged[(r, c)])
            if r < 40:
                first_cells[(r, c)] = text
            row.append(text)
        if progress and index % 50_000 == 0:
            progress(index / total, "读取文件")
        yield row


# ---------------------------------------------------------------- header


def _is_label(text: str | None) -> bool:
    """Text that can be a column name: not a number cell, not digits or a date."""
    return (
        text is not None
        and not text.startswith(NUMBER_MARK)
        and bool(text.strip())
        and not _DATA_LIKE.match(text)
    )


def _label_count(row: list[str | None]) -> int:
    """Distinct labels: a title merged across the row counts once."""
    return len({c.strip() for c in row if _is_label(c)})


def _under_group(top: list[str | None], i: int) -> bool:
    """Column i of the header row is part of a group label spanning several columns."""
    left = top[i - 1] if i > 0 else None
    right = top[i + 1] if i + 1 < len(top) else None
    return top[i] is None or top[i] in (left, right) or right is None


def find_header(rows: list[list[str | None]]) -> tuple[int, int]:
    """(index of the last header row, number of header rows: 1 or 2) among the first rows.

    The header is the first row with nearly as many distinct text labels as the richest row:
    a title above it fills one merged cell, notes fill few. When the row below is text as well
    and differs from the header only under a group label (户主信息 spanning 姓名 and 身份证号,
    merged or followed by blank cells), the two rows form one header."""
    counts = [_label_count(r) for r in rows]
    widest = max(counts, default=0)
    if widest < 2:
        raise ReadError(
            "没有找到表头：前 30 行里没有一行包含两个以上的列名。请确认文件第一个工作表是数据表，"
            "或在“工作表”中选择正确的表。"
        )
    header = next(i for i, n in enumerate(counts) if n >= max(2, 0.6 * widest))
    if header + 1 < len(rows):
        width = max(len(rows[header]), len(rows[header + 1]))
        top = (rows[header] + [None] * width)[:width]
        below = (rows[header + 1] + [None] * width)[:width]
        filled = [c for c in below if c is not None]
        differing = [i for i in range(width) if below[i] is not None and below[i] != top[i]]
        if (
            differing
            and all(_is_label(c) for c in filled)
            and all(_under_group(top, i) for i in differing)
        ):
            return header + 1, 2
    return header, 1


def header_names(rows: list[list[str | None]], header: int, depth: int) -> list[str]:
    """Column names; a two-row block joins group and column (户主信息 + 姓名 → 户主姓名)."""
    top = rows[header - depth + 1]
    width = max(len(rows[header]), len(top))
    names: list[str] = []
    group = None
    for i in range(width):
        cell = rows[header][i] if i < len(rows[header]) else None
        if depth == 2:
            parent = top[i] if i < len(top) else None
            group = parent if parent is not None else group
            child = cell
            if child is None or child == parent:
                name = parent or ""
            else:
                prefix = _GROUP_SUFFIX.sub("", group or "") if group and group != child else ""
                name = prefix + child
        else:
            name = cell or ""
        names.append(re.sub(r"\s+", "", name.lstrip(NUMBER_MARK + FORMULA_MARK)))
    while names and not names[-1]:
        names.pop()
    return names


# ---------------------------------------------------------------- the public API


def inspect(
    path: Path,
    file_name: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> FileInfo:
    """Detect how the file is saved (or take the user's overrides) and find its header."""
    with path.open("rb") as f:
        head = f.read(65_536)
    kind = sniff_kind(head, file_name)
    if kind == "csv":
        detected = detect_encoding(path)
        chosen = encoding or detected
        if chosen not in ENCODINGS:
            raise ReadError(f"不支持的编码：{chosen}")
        try:
            text = head.decode(chosen, errors="ignore")
        except LookupError as exc:
            raise ReadError(f"不支持的编码：{chosen}") from exc
        delim = delimiter or detect_delimiter(text)
        info = FileInfo(
            "csv",
            encoding=chosen,
            encoding_detected=detected,
            delimiter=delim,
            newlines=_newline_kinds(head),
        )
        rows = _first_rows(_csv_rows(path, chosen, delim))
    else:
        wb = _open_workbook(path, kind)
        names = list(wb.book.sheet_names)
        if not names:
            raise ReadError("工作簿里没有工作表。")
        chosen_sheet = sheet or names[0]
        if chosen_sheet not in names:
            raise ReadError(f"工作簿里没有名为“{chosen_sheet}”的工作表。")
        info = FileInfo(kind, sheets=names, sheet=chosen_sheet)
        rows = _first_rows(_sheet_rows(wb, chosen_sheet))
    if not any(any(c is not None for c in r) for r in rows):
        raise ReadError("文件（或所选工作表）是空的，没有任何数据。")
    header, depth = find_header(rows)
    info.header_row, info.header_rows = header + 1, depth
    info.headers = header_names(rows, header, depth)
    if len(info.headers) > MAX_COLUMNS:
        raise ReadError(f"列数过多（{len(info.headers)} 列，上限 {MAX_COLUMNS} 列）。")
    width = len(info.headers)
    info.samples = [
        (r + [None] * width)[:width]
        for r in rows[header + 1 :]
        if any(c is not None for c in r[:width])
    ][:SAMPLE_ROWS]
    return info


def _first_rows(rows: Iterator[list[str | None]]) -> list[list[str | None]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= HEADER_SCAN_ROWS:
            break
    return out


@dataclass
class DataRows:
    """The data rows below the header, numbered as a spreadsheet shows them."""

    rows: Iterator[tuple[int, list[str | None]]]
    skipped_empty: list[int]


def data_rows(path: Path, info: FileInfo, progress: Progress = None) -> DataRows:
    """Every row below the header as (row number, cells cut to the header's width); empty rows
    are skipped and counted."""
    if info.kind == "csv":
        source = _csv_rows(path, info.encoding, info.delimiter, progress)
    else:
        source = _sheet_rows(_open_workbook(path, info.kind), info.sheet, progress)
    width = len(info.headers)
    result = DataRows(iter(()), [])

    def numbered():
        for number, row in enumerate(source, start=1):
            if number <= info.header_row:
                continue
            if number > MAX_ROWS + 1:
                raise ReadError(f"行数超过上限 {MAX_ROWS:,} 行，请拆分文件后分批导入。")
            cells = (row + [None] * width)[:width] if len(row) != width else row
            # Cheap first: most rows have a non-blank first cell.
            if not any(cells) or not "".join(filter(None, cells)).strip(_BLANK):
                result.skipped_empty.append(number)
                continue
            yield number, cells

    result.rows = numbered()
    return result
