"""Cleaning in DuckDB: a file's rows go in as text cells (Arrow batches), every mapped cell comes
out normalised by its field's type with a Chinese reason when it is wrong and the rules that
changed it (queries/importing/clean_cells.sql). Set-based, so a million rows clean in seconds."""

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


def load_rows(cur, batch_id: str, rows: Iterable[tuple[int, list[str | None]]]) -> int:
    """Append (spreadsheet row number, text cells) to import_raw in Arrow batches."""
    numbers: list[int] = []
    cells: list[list[str | None]] = []
    total = 0

    def flush() -> None:
        if numbers:
            table = pa.table(
                {
                    "batch_id": pa.array([batch_id] * len(numbers), pa.string()),
                    "row_no": pa.array(numbers, pa.int32()),
                    "cells": pa.array(cells, pa.list_(pa.string())),
                }
            )
            cur.from_arrow(table).insert_into("import_raw")
            numbers.clear()
            cells.clear()

    for number, row in rows:
        numbers.append(number)
        cells.append(row)
        total += 1
        if len(numbers) >= ARROW_BATCH:
            flush()
    flush()
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
    db.run(cur, "importing/clean_cells", batch_id=batch_id, today=today or date.today())
