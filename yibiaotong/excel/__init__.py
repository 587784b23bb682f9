"""Excel files in and out: formatted streaming export (more writers and readers join here)."""

from yibiaotong.excel.export import Column, display_width, safe_text, write_xlsx

__all__ = ["Column", "display_width", "safe_text", "write_xlsx"]
