"""A streaming one-sheet .xlsx writer: rows go straight into the zip, styles are named up front.

Generated reports reach a million rows, so the writer keeps nothing per row but the merged
ranges: a row is serialised as it comes (inline strings, numbers, dates as serials) into the
sheet's zip entry. Measured on this stack it costs about a microsecond a cell, where xlsxwriter
takes seven and openpyxl more (see docs/ARCHITECTURE.md). Everything around the rows — widths,
frozen panes, merges, print setup, print titles, properties — is written per the Office Open
XML spreadsheet schema (ECMA-376 part 1, element order of CT_Worksheet).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from yibiaotong.excel.cells import safe_text

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_EPOCH = date(1899, 12, 30)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FLUSH_ROWS = 500


@dataclass(frozen=True)
class Style:
    """One named cell style: font, thin box border or none, alignment, number format."""

    font: str = "宋体"
    size: float = 10
    bold: bool = False
    border: bool = False
    horizontal: str | None = None  # left | center | right | centerContinuous
    vertical: str = "center"  # top | center | bottom
    wrap: bool = False
    num_format: str = "General"
    quote_prefix: bool = False  # Excel's ' prefix: text that looks like a formula stays text


@dataclass(frozen=True)
class PrintSetup:
    """A4 by default, fitted to the page width, with rows repeated on every page."""

    landscape: bool = False
    paper: int = 9  # A4
    fit_width: bool = True
    centred: bool = True
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.6, 0.7)  # left right top bottom
    repeat_rows: tuple[int, int] | None = None  # 1-based, inclusive
    footer: str = ""  # Excel's &-codes, e.g. "&C第 &P 页，共 &N 页"


@dataclass(frozen=True)
class Properties:
    """What Excel shows under File › Info."""

    title: str = ""
    subject: str = ""
    creator: str = ""
    keywords: str = ""
    description: str = ""
    last_modified_by: str = ""


def _attr(value: Any) -> str:
    return escape(safe_text(value), {'"': "&quot;"})


_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value: str) -> str:
    """Inline-string content: control characters dropped, markup escaped, spaces kept."""
    if _SPECIAL.search(value):
        value = escape(_CONTROL.sub("", value))
    return value


# One cell's XML, for callers that write rows cell by cell (the fast path of report rows).
def text_cell(ref: str, style: int, text: str) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_text(text)}</t></is></c>'


def number_cell(ref: str, style: int, value: int | float | Decimal) -> str:
    return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'


def date_cell(ref: str, style: int, day: date) -> str:
    if isinstance(day, datetime):
        serial: float = (day - datetime(1899, 12, 30)).total_seconds() / 86400
    else:
        serial = day.toordinal() - _EPOCH.toordinal()
    return f'<c r="{ref}" s="{style}"><v>{serial}</v></c>'


def blank_cell(ref: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}"/>'


class SheetStream:
    """Write one worksheet row by row. Set widths, panes and print setup before the first
    row; merge ranges at any time; close() finishes the file (also on error, via `with`)."""

    def __init__(
        self,
        target: str | Path | IO[bytes],
        styles: Mapping[str, Style],
        *,
        sheet_name: str,
        properties: Properties | None = None,
    ) -> None:
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._styles = dict(styles)
        self._style_ids = {name: i + 1 for i, name in enumerate(self._styles)}
        self._sheet_name = sheet_name
        self._properties = properties or Properties()
        self._widths: list[float] = []
        self._freeze: tuple[int, int] = (0, 0)
        self._print: PrintSetup | None = None
        self._merges: list[str] = []
        self._letters: list[str] = []
        self._sheet: IO[bytes] | None = None
        self._pending: list[str] = []
        self.rows = 0  # rows written so far (the next row is rows + 1)

    # -- before the first row

    def set_widths(self, widths: Sequence[float]) -> None:
        self._widths = list(widths)

    def freeze(self, rows: int, cols: int) -> None:
        """Keep the first `rows` rows and `cols` columns in view while scrolling."""
        self._freeze = (rows, cols)

    def print_setup(self, setup: PrintSetup) -> None:
        self._print = setup

    # -- rows

    def style_id(self, name: str) -> int:
        return self._style_ids[name]

    def letter(self, col: int) -> str:
        """Column letter of a 0-based column index."""
        while len(self._letters) <= col:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[col]

    def row(
        self, values: Sequence[Any], styles: Sequence[int], *, height: float | None = None
    ) -> int:
        """Append a row: values (str, int, float, Decimal, date, None) with style ids, column
        by column from A. Returns the row's 1-based number."""
        if self._sheet is None:
            self._open_sheet()
        self.rows += 1
        n = str(self.rows)
        letter = self.letter
        parts = [f'<row r="{n}" ht="{height}" customHeight="1">' if height else f'<row r="{n}">']
        for col, (value, style) in enumerate(zip(values, styles, strict=True)):
            ref = letter(col) + n
            if value is None or (isinstance(value, float) and value != value):
                parts.append(blank_cell(ref, style))
            elif isinstance(value, str):
                parts.append(text_cell(ref, style, value))
            elif isinstance(value, bool):
                parts.append(text_cell(ref, style, "是" if value else "否"))
            elif isinstance(value, int | float | Decimal):
                parts.append(number_cell(ref, style, value))
            elif isinstance(value, date):
                parts.append(date_cell(ref, style, value))
            else:
                raise TypeError(f"cannot write {type(value).__name__} to a cell")
        parts.append("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= _FLUSH_ROWS:
            self._flush()
        return self.rows

    def letters(self, count: int) -> list[str]:
        """The letters of the first `count` columns."""
        self.letter(count - 1)
        return self._letters[:count]

    def cells_row(self, cells: str, *, height: float | None = None) -> int:
        """Append a row of ready cell XML (text_cell, number_cell …) whose references name the
        row this returns: rows + 1."""
        if self._sheet is None:
            self._open_sheet()
        self.rows += 1
        n = self.rows
        head = f'<row r="{n}" ht="{height}" customHeight="1">' if height else f'<row r="{n}">'
        self._pending.append(f"{head}{cells}</row>")
        if len(self._pending) >= _FLUSH_ROWS:
            self._flush()
        return n

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Merge a range (1-based rows, 0-based columns); a single cell is left alone."""
        if (first_row, first_col) != (last_row, last_col):
            self._merges.append(
                f"{self.letter(first_col)}{first_row}:{self.letter(last_col)}{last_row}"
            )

    # -- the file

    def _flush(self) -> None:
        if self._pending:
            self._sheet.write("".join(self._pending).encode("utf-8"))
            self._pending = []

    def _open_sheet(self) -> None:
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        head = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" '
            f'xmlns:r="{_REL}">'
        ]
        if self._print and self._print.fit_width:
            head.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        head.append(f"<sheetViews>{self._view()}</sheetViews>")
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self._widths:
            cols = "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(self._widths, start=1)
            )
            head.append(f"<cols>{cols}</cols>")
        head.append("<sheetData>")
        self._sheet.write("".join(head).encode("utf-8"))

    def _view(self) -> str:
        rows, cols = self._freeze
        if not rows and not cols:
            return '<sheetView tabSelected="1" workbookViewId="0"/>'
        top_left = f"{self.letter(cols)}{rows + 1}"
        pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
        split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
        return (
            f'<sheetView tabSelected="1" workbookViewId="0"><pane{split} '
            f'topLeftCell="{top_left}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{top_left}" sqref="{top_left}"/></sheetView>'
        )

    def _tail(self) -> str:
        out = ["</sheetData>"]
        if self._merges:
            cells = "".join(f'<mergeCell ref="{m}"/>' for m in self._merges)
            out.append(f'<mergeCells count="{len(self._merges)}">{cells}</mergeCells>')
        setup = self._print
        if setup:
            if setup.centred:
                out.append('<printOptions horizontalCentered="1"/>')
            left, right, top, bottom = setup.margins
            out.append(
                f'<pageMargins left="{left}" right="{right}" top="{top}" bottom="{bottom}" '
                'header="0.3" footer="0.3"/>'
            )
            fit = ' fitToWidth="1" fitToHeight="0"' if setup.fit_width else ""
            orientation = "landscape" if setup.landscape else "portrait"
            out.append(f'<pageSetup paperSize="{setup.paper}" orientation="{orientation}"{fit}/>')
            if setup.footer:
                out.append(
                    f"<headerFooter><oddFooter>{_attr(setup.footer)}</oddFooter></headerFooter>"
                )
        out.append("</worksheet>")
        return "".join(out)

    def close(self) -> None:
        """Finish the sheet and write the workbook around it."""
        if self._zip.fp is None:
            return
        if self._sheet is None:
            self._open_sheet()
        self._flush()
        self._sheet.write(self._tail().encode("utf-8"))
        self._sheet.close()
        for name, content in self._parts().items():
            self._zip.writestr(name, content)
        self._zip.close()

    def abort(self) -> None:
        """Give up: close the zip without the workbook parts (the caller discards the file)."""
        if self._sheet is not None:
            self._sheet.close()
        self._zip.close()

    def __enter__(self) -> SheetStream:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    # -- the parts around the sheet

    def _parts(self) -> dict[str, str]:
        xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        sheet = _attr(self._sheet_name)
        titles = ""
        if self._print and self._print.repeat_rows:
            first, last = self._print.repeat_rows
            quoted = self._sheet_name.replace("'", "''")
            titles = (
                '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
                f"{_attr(chr(39) + quoted + chr(39))}!${first}:${last}</definedName></definedNames>"
            )
        return {
            "[Content_Types].xml": xml
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>",
            "_rels/.rels": xml + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>",
            "xl/workbook.xml": xml
            + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets>{titles}</workbook>',
            "xl/_rels/workbook.xml.rels": xml + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
            "xl/styles.xml": xml + self._styles_xml(),
            "docProps/core.xml": xml + self._core_xml(),
            "docProps/app.xml": xml
            + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel</Application></Properties>",
        }

    def _styles_xml(self) -> str:
        fonts: dict[tuple, int] = {("宋体", 10.0, False): 0}
        formats: dict[str, int] = {}
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        for style in self._styles.values():
            font = fonts.setdefault((style.font, float(style.size), style.bold), len(fonts))
            fmt = 0
            if style.num_format != "General":
                fmt = formats.setdefault(style.num_format, 164 + len(formats))
            align = f' vertical="{style.vertical}"'
            if style.horizontal:
                align += f' horizontal="{style.horizontal}"'
            if style.wrap:
                align += ' wrapText="1"'
            quote = ' quotePrefix="1"' if style.quote_prefix else ""
            xfs.append(
                f'<xf numFmtId="{fmt}" fontId="{font}" fillId="0" borderId="{int(style.border)}" '
                f'xfId="0" applyNumberFormat="1" applyFont="1" applyBorder="1" '
                f'applyAlignment="1"{quote}><alignment{align}/></xf>'
            )
        num_fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in formats.items()
        )
        font_xml = "".join(
            f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><name val="{_attr(name)}"/>'
            '<charset val="134"/></font>'
            for (name, size, bold) in fonts
        )
        thin = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'
        return (
            f'<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            f"<border>{thin}</border></borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )

    def _core_xml(self) -> str:
        p = self._properties
        now = datetime.now().replace(microsecond=0).isoformat() + "Z"
        return (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_attr(p.title)}</dc:title><dc:subject>{_attr(p.subject)}</dc:subject>"
            f"<dc:creator>{_attr(p.creator)}</dc:creator><cp:keywords>{_attr(p.keywords)}</cp:keywords>"
            f"<dc:description>{_attr(p.description)}</dc:description>"
            f"<cp:lastModifiedBy>{_attr(p.last_modified_by or p.creator)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>"
        )
