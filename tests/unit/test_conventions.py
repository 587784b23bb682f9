"""Conventions as tests: thin pages, SQL only in queries/, every query used and runnable."""

from __future__ import annotations

import ast
import re
from datetime import date

import duckdb
import pytest

from yibiaotong import db
from yibiaotong.config import QUERIES_DIR, ROOT
from yibiaotong.ui.pages import PAGES

PAGE_FILES = sorted((ROOT / "app_pages").glob("*.py"))
QUERY_FILES = sorted(p for p in QUERIES_DIR.rglob("*.sql") if p.parent.name != "schema")
# The demo generator's statements build on each other's temp tables; they run, in order, in
# tests/unit/test_demo.py.
STANDALONE_QUERIES = [p for p in QUERY_FILES if p.parent.name != "demo"]


def _query_name_patterns() -> list[re.Pattern]:
    """Every string in the package, f-strings turned into patterns ({entity} matches a word)."""
    patterns = []
    for path in (ROOT / "yibiaotong").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                patterns.append(re.escape(node.value))
            elif isinstance(node, ast.JoinedStr):
                parts = [
                    re.escape(v.value) if isinstance(v, ast.Constant) else r"\w+"
                    for v in node.values
                ]
                patterns.append("".join(parts))
    return [re.compile(p) for p in patterns if p]


NAME_PATTERNS = _query_name_patterns()
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|drop)\s+[\w*(]", re.IGNORECASE)
SAMPLE = {
    "varchar": "330102",
    "integer": 1,
    "bigint": 1,
    "smallint": 1,
    "double": 0.0,
    "boolean": False,
    "date": date(2026, 1, 1),
    "timestamp": None,
    "json": "{}",
}

# Parameters whose value names a table (query_table($table)) need a real one.
SAMPLE_BY_NAME = {"table": "app_setting"}


def test_every_page_file_is_registered_and_every_registered_page_exists():
    assert {p.stem for p in PAGE_FILES} == {spec.stem for spec in PAGES}


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_page_is_thin(path):
    source = path.read_text()
    tree = ast.parse(source)
    imports = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "duckdb" not in imports
    strings = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    assert not [s for s in strings if SQL_WORDS.search(s) and " from " in s.lower()]
    calls = [n for n in tree.body if isinstance(n, ast.Assign | ast.Expr)]
    first = calls[0] if not isinstance(tree.body[0], ast.Expr) else tree.body[1]
    # The first statement after the docstring and imports is the role gate.
    body = [n for n in tree.body[1:] if not isinstance(n, ast.Import | ast.ImportFrom)]
    assert "require_role" in ast.unparse(body[0]), f"{path.name} must call require_role() first"
    assert first is not None


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(QUERIES_DIR)))
def test_query_has_header_and_is_used(path):
    name = str(path.relative_to(QUERIES_DIR).with_suffix(""))
    text = path.read_text()
    assert text.startswith("-- "), "first line: a comment saying what the query is for"
    assert "-- params:" in text
    db.query(name)  # declared and used params agree
    area, stem = name.split("/", 1)
    used = any(p.fullmatch(name) or p.fullmatch(stem) for p in NAME_PATTERNS)
    assert used, f"{name} is not referenced by the package"


def _sample_params(query: db.Query, text: str) -> dict:
    header = re.search(r"^--\s*params:\s*(.*)$", text, re.MULTILINE).group(1)
    params = {}
    for part in header.split(","):
        words = part.split()
        if len(words) >= 2 and words[0].startswith("$"):
            kind = words[1].lower()
            name = words[0][1:]
            params[name] = [] if kind.endswith("[]") else SAMPLE_BY_NAME.get(name, SAMPLE.get(kind))
    assert set(params) == set(query.params)
    return params


@pytest.mark.parametrize("path", STANDALONE_QUERIES, ids=lambda p: str(p.relative_to(QUERIES_DIR)))
def test_query_runs_on_fixture_database(use_fixture_db, path):
    """Every statement binds against the real schema (writes run inside a rolled-back transaction)."""
    name = str(path.relative_to(QUERIES_DIR).with_suffix(""))
    query = db.query(name)
    params = _sample_params(query, path.read_text())
    # Slots take whitelisted fragments at run time (db.run_filled); fill them with neutral ones.
    sql = query.sql.replace("{order_by}", "id").replace("{match}", "true").replace("{key}", "true")
    with db.write_lock, db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            cur.execute(sql, params) if params else cur.execute(sql)
        except duckdb.ConstraintException:
            pass  # bound and planned fine; the sample values broke a constraint
        finally:
            cur.execute("rollback")
