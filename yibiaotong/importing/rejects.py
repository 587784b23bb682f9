"""The reject report: every refused row of a batch as a spreadsheet shows it (row number, column,
value, reason in Chinese), streamed to .xlsx; sensitive values masked for uncleared roles."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from yibiaotong import auth, db, masking
from yibiaotong.excel import export
from yibiaotong.importing import batches
from yibiaotong.permissions import checked
from yibiaotong.scope import Scope

COLUMNS = (
    export.Column("行号", "int", 8),
    export.Column("列", "text", 16),
    export.Column("值", "id", 24),
    export.Column("原因", "text", 60),
)


@checked
def write_report(scope: Scope, batch_id: str, target: str | Path | IO[bytes]) -> int:
    """Write the batch's reject report to `target`; return the number of lines."""
    batch = batches.get(scope, batch_id)

    def rows():
        with db.cursor() as cur:
            rel = db.run(cur, "importing/reject_rows", batch_id=batch_id)
            while chunk := rel.fetchmany(10_000):
                for row_no, column, value, reason, sensitivity, data_type in chunk:
                    if value is not None and sensitivity == "sensitive" and not scope.clearance:
                        value = masking.mask_value(data_type, value)
                    yield row_no, column or "", value or "", reason

    title = f"导入拒绝清单：{batch['file_name']}（{batch['source_name'] or batch['source']}）"
    count = export.write_xlsx(target, COLUMNS, rows(), sheet_name="拒绝清单", title=title)
    auth.record(scope.username, "import_rejects", f"{batch_id}:{count}")
    return count
