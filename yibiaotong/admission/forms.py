"""A department's own form as the admission desk reads it: title, header paths, footer, notes.

Only the shape is kept — never a cell below the header — so a filled form uploaded by mistake
leaves no personal data behind.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from yibiaotong.excel import template_fill, upload
from yibiaotong.excel.cells import safe_text

# Consolidation reads wide forms (a census-style sheet may have a hundred items); a template or
# a request holds at most reports.definition.MAX_COLUMNS of them.
_FOOTER_WORDS = {
    "填表人": "填表人",
    "制表人": "填表人",
    "填报人": "填表人",
    "审核人": "审核人",
    "复核人": "审核人",
    "负责人": "负责人",
    "联系电话": "联系电话",
    "填报日期": "填报日期",
    "填表日期": "填报日期",
    "制表日期": "填报日期",
}
_NOTE = re.compile(r"^\s*(注|说明|备注|填表说明)\s*[:：0-9一、.]")
# Lines above a statistical form's title: 表号：…, 制定机关：…, 批准文号：…, 有效期至：…
_LABEL_LINE = re.compile(r"^\s*[\u4e00-\u9fff\s]{1,8}[:：]")
_TITLE_WORD = re.compile(r"表|册|单|账|录|卡")


class FormError(ValueError):
    """The upload holds no form the desk can read; the message is Chinese."""


@dataclass(frozen=True)
class FormShape:
    """One form (one sheet): what a template needs to regenerate it in its own layout."""

    name: str  # file name with its folders, plus " › sheet" when a workbook holds several forms
    sheet: str
    sha256: str  # of the workbook file
    title: str
    columns: tuple[tuple[str, ...], ...]  # each column's header texts, parent first
    footer: tuple[str, ...]  # 填表人 / 审核人 / … found below the table
    notes: tuple[str, ...]  # 注：… lines below the table
    signature: str  # template_fill's signature of the header block (the report centre's memory)

    @property
    def headers(self) -> list[str]:
        """Each column's header as one text (parent / child)."""
        return ["/".join(path) for path in self.columns]

    def is_seq(self, index: int) -> bool:
        return template_fill.clean(self.columns[index][-1]) in template_fill.SEQ_NAMES

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormShape:
        return cls(
            name=data["name"],
            sheet=data["sheet"],
            sha256=data["sha256"],
            title=data["title"],
            columns=tuple(tuple(p) for p in data["columns"]),
            footer=tuple(data["footer"]),
            notes=tuple(data["notes"]),
            signature=data["signature"],
        )


def _lines_below(ws: Worksheet, first: int, columns: int, rows: int = 12) -> list[str]:
    texts = []
    for row in ws.iter_rows(min_row=first, max_row=min(ws.max_row, first + rows), max_col=columns):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip():
                texts.append(cell.value.strip())
    return texts


def _title(ws: Worksheet, header_row: int, fallback: str) -> str:
    """The form's title: a line above the header that names a form (…表, …名册, …台账), not a
    "label: value" line such as 表号：动态1表 or 填报单位：."""
    lines = []
    for row in ws.iter_rows(min_row=1, max_row=header_row - 1, max_col=min(ws.max_column, 60)):
        texts = [c.value.strip() for c in row if isinstance(c.value, str) and c.value.strip()]
        if len(texts) == 1 and not _LABEL_LINE.match(texts[0]):
            lines.append(texts[0])
    named = [t for t in lines if _TITLE_WORD.search(t)]
    return (named or lines or [fallback])[0]


def _shape(ws: Worksheet, name: str, digest: str) -> FormShape:
    block = template_fill.detect_header(ws)  # upload.py bounds the columns
    last_col = block.columns[-1].col
    below = _lines_below(ws, block.footer_row, last_col) if block.footer_row else []
    footer = []
    for text in below:
        for word, label in _FOOTER_WORDS.items():
            if word in text and label not in footer:
                footer.append(label)
    notes = [safe_text(t)[:300] for t in below if _NOTE.match(t)]
    stem = posixpath.splitext(posixpath.basename(name))[0]
    title = _title(ws, block.first_row, block.title or stem)
    title = re.sub(r"\s+", " ", safe_text(title)).strip()[:100]
    return FormShape(
        name=name,
        sheet=ws.title,
        sha256=digest,
        title=title,
        columns=tuple(tuple(safe_text(p).strip() for p in c.path) for c in block.columns),
        footer=tuple(footer),
        notes=tuple(notes[:3]),
        signature=block.signature,
    )


def read_forms(data: bytes, name: str) -> tuple[list[FormShape], list[tuple[str, str]]]:
    """The forms of an .xlsx (every visible sheet with a header row) and the sheets passed over
    with the reason; FormError when the workbook holds no form at all."""
    try:
        wb = upload.open_workbook(data)
    except upload.UploadError as exc:
        raise FormError(str(exc)) from exc
    digest = hashlib.sha256(data).hexdigest()
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    shapes: list[FormShape] = []
    passed: list[tuple[str, str]] = []
    for ws in sheets:
        label = name if len(sheets) == 1 else f"{name} › {ws.title}"
        try:
            shapes.append(_shape(ws, label, digest))
        except template_fill.TemplateError as exc:
            passed.append((label, str(exc)))
    if not shapes:
        raise FormError(passed[0][1] if passed else "工作簿中没有可见的工作表，不是一张表样。")
    return shapes, passed
