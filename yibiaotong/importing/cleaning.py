"""Cleaning in DuckDB: a file's rows go in as text cells (Arrow batches); every distinct value of a
mapped column is cleaned once by its field's type, with a Chinese reason when it is wrong and the
rules that changed it (queries/importing/clean_values.sql). Set-based, so a million rows clean
in seconds: a column of a million cells holds far fewer distinct values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from yibiaotong import db

ARROW_BATCH = 100_000


@dataclass(frozen=True)
class Spec:
    """How one mapped column is cleaned: its target and the kind of value it holds."""

    col: int  # 0-based column of the file
    header: str
    target: str  # field code, head:<field>, org, household_no, tag or attr:<header>
    kind: str  # a data_type of the field standard (text, date, id_number …)
    code_list: str | None = None
    max_length: int | None = None


def _arrow_batch(batch_id: str, numbers: list[int], cells: list[list[str | None]]) -> pa.Table:
    """Rows of equal width as a list<varchar> column built from one flat array (pyarrow converts a
    flat list of strings ten times faster than a list of lists)."""
    width = len(cells[0]) if cells else 0
    if any(len(row) != width for row in cells):
        values = pa.array(cells, pa.list_(pa.string()))
    else:
        flat = pa.array([cell for row in cells for cell in row], pa.string())
        offsets = pa.array(range(0, width * len(cells) + 1, width), pa.int32())
        values = pa.ListArray.from_arrays(offsets, flat)
    return pa.table(
        {
            "batch_id": pa.array([batch_id] * len(numbers), pa.string()),
            "row_no": pa.array(numbers, pa.int32()),
            "cells": values,
        }
    )


def load_rows(cur, batch_id: str, rows: Iterable[tuple[int, list[str | None]]]) -> int:
    """Append (spreadsheet row number, text cells) to import_raw in Arrow batches."""
    numbers: list[int] = []
    cells: list[list[str | None]] = []
    total = 0
    for number, row in rows:
        numbers.append(number)
        cells.append(row)
        total += 1
        if len(numbers) >= ARROW_BATCH:
            cur.from_arrow(_arrow_batch(batch_id, numbers, cells)).insert_into("import_raw")
            numbers.clear()
            cells.clear()
    if numbers:
        cur.from_arrow(_arrow_batch(batch_id, numbers, cells)).insert_into("import_raw")
    return total


def clean(cur, batch_id: str, specs: list[Spec], today: date | None = None) -> None:
    """Record the mapping, collapse exact duplicate rows and clean every mapped cell."""
    db.run(
        cur,
        "importing/insert_map",
        batch_id=batch_id,
        cols=[s.col for s in specs],
        headers=[s.header for s in specs],
        targets=[s.target for s in specs],
        kinds=[s.kind for s in specs],
        code_lists=[s.code_list for s in specs],
        max_lengths=[s.max_length for s in specs],
    )
    db.run(cur, "importing/mark_duplicates", batch_id=batch_id)
    db.run(cur, "importing/delete_duplicate_raw", batch_id=batch_id)
    db.run(cur, "importing/clean_values", batch_id=batch_id, today=today or date.today())
