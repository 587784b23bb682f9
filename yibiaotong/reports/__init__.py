"""报表中心: versioned department templates generated over the caller's scope.

The package follows the path of a report: `definition` (what a template may say), `store`
(catalogue files, versions, reading), `plan` (a template made runnable for one caller and
unit), `rows` (fetching and presenting rows), `generation` (workbooks, batches, run log, hours
saved), `forms` (a department's own Excel form filled in; `counts` for its statistics tables
and indicator lists) and `editing` (the template editor's domain side). Every function taking
a `Scope` checks the caller's role and unit itself; those taking a `Prepared` trust it, as only
`prepare` makes one, after those checks. Callers use the names below.
"""

from yibiaotong.reports.definition import (
    DERIVED,
    ENTITY_NAMES,
    FREQUENCIES,
    KINDS,
    STATUSES,
    ReportError,
    Standard,
    check_definition,
    standard,
)
from yibiaotong.reports.editing import (
    DEFAULT_ALLOWANCE_BANDS,
    column_choices,
    new_definition,
)
from yibiaotong.reports.forms import (
    FILL_MAX_ROWS,
    FormAnalysis,
    analyse_form,
    fill_form,
    form_choices,
)
from yibiaotong.reports.generation import (
    BatchResult,
    RunResult,
    batch_codes,
    batch_zip,
    generate,
    generate_bytes,
    runs,
    saved_query_bytes,
    saved_query_reports,
    savings,
)
from yibiaotong.reports.plan import LEVEL_NAMES, LEVELS, Column, Prepared, filename, layout, prepare
from yibiaotong.reports.rows import PREVIEW_ROWS, count, headers, iter_rows, preview
from yibiaotong.reports.store import (
    REPORTS_DIR,
    departments_with_templates,
    expired_on,
    history,
    in_force,
    insert_next_version,
    insert_version,
    load_reports,
    read_files,
    save_version,
    template,
    templates,
)

__all__ = [
    "BatchResult",
    "Column",
    "DEFAULT_ALLOWANCE_BANDS",
    "DERIVED",
    "ENTITY_NAMES",
    "FILL_MAX_ROWS",
    "FREQUENCIES",
    "FormAnalysis",
    "KINDS",
    "LEVELS",
    "LEVEL_NAMES",
    "PREVIEW_ROWS",
    "Prepared",
    "REPORTS_DIR",
    "ReportError",
    "RunResult",
    "STATUSES",
    "Standard",
    "analyse_form",
    "batch_codes",
    "batch_zip",
    "check_definition",
    "column_choices",
    "count",
    "departments_with_templates",
    "filename",
    "fill_form",
    "form_choices",
    "generate",
    "generate_bytes",
    "headers",
    "history",
    "expired_on",
    "in_force",
    "insert_next_version",
    "insert_version",
    "iter_rows",
    "layout",
    "load_reports",
    "new_definition",
    "prepare",
    "preview",
    "read_files",
    "runs",
    "save_version",
    "saved_query_bytes",
    "saved_query_reports",
    "savings",
    "standard",
    "template",
    "templates",
]
