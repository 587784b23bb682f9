"""Excel files in and out: streamed exports, paper-form reports, filled department forms, uploads."""

from yibiaotong.excel.cells import display_width, kind_of, put_text, safe_text
from yibiaotong.excel.export import Column, write_xlsx

__all__ = ["Column", "display_width", "kind_of", "put_text", "safe_text", "write_xlsx"]
