"""LibreOffice renders a workbook as a clerk would print it: the PDF, its text, page 1 as PNG."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")
MISSING = "make test installs libreoffice-calc and poppler-utils"


def to_pdf(xlsx: Path, out_dir: Path) -> Path:
    assert SOFFICE and PDFTOPPM and PDFTOTEXT, MISSING
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(xlsx)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / (xlsx.stem + ".pdf")


def first_page_png(pdf: Path, png: Path, dpi: int = 80) -> Path:
    """Page 1 as a PNG at `png` (its suffix is .png)."""
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            PDFTOPPM,
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(png.with_suffix("")),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return png


def pdf_text(pdf: Path, *options: str) -> str:
    return subprocess.run(
        [PDFTOTEXT, *options, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
