"""Conventions as tests: thin pages, SQL only in queries/, every query used and runnable."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from yibiaotong import config, db, ledger
from yibiaotong.config import QUERIES_DIR, ROOT
from yibiaotong.ui.pages import PAGES

PAGE_FILES = sorted((ROOT / "app_pages").glob("*.py"))
QUERY_FILES = sorted(p for p in QUERIES_DIR.rglob("*.sql") if p.parent.name != "schema")
# The demo generator's statements build on each other's temp tables; they run, in order, in
# tests/unit/test_demo.py.
STANDALONE_QUERIES = [p for p in QUERY_FILES if p.parent.name != "demo"]


# Placeholders of f-string query names that stand for a whitelist: ledger functions check
# `entity` against ledger.ENTITIES before they format it into a query name.
PLACEHOLDER_WHITELISTS = {"entity": set(ledger.ENTITIES)}


def _constant_strings(node: ast.AST | None, assigned: dict[str, ast.AST]) -> set[str] | None:
    """The strings an expression can be: a constant, a tuple/list/set of constants, or a module
    name bound to one of those. None when it cannot be told statically."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        parts = [_constant_strings(e, assigned) for e in node.elts]
        return None if any(p is None for p in parts) else set().union(*parts)
    if isinstance(node, ast.Name) and node.id in assigned:
        return _constant_strings(assigned[node.id], assigned)
    return None


class _Module:
    """What one module tells about the values a name can take."""

    def __init__(self, tree: ast.Module):
        self.assigned = {
            t.id: n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        self.functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        self.calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        self.loops = [n for n in ast.walk(tree) if isinstance(n, ast.For)]
        self.parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}

    def values(self, name: str, at: ast.AST) -> set[str] | None:
        """The strings `name` can hold where it is used: a whitelist, a loop over constants, or
        the constant arguments every call of the enclosing function passes for it."""
        if name in PLACEHOLDER_WHITELISTS:
            return PLACEHOLDER_WHITELISTS[name]
        for loop in self.loops:
            target = loop.target
            if isinstance(target, ast.Name) and target.id == name and at in ast.walk(loop):
                return _constant_strings(loop.iter, self.assigned)
        function = self._enclosing(at)
        if function is None:
            return None
        params = [a.arg for a in function.args.args]
        if name not in params:
            return None
        position, found = params.index(name), set()
        callers = [
            c for c in self.calls if isinstance(c.func, ast.Name) and c.func.id == function.name
        ]
        for call in callers:
            given = dict(zip(params, call.args, strict=False))
            given.update({k.arg: k.value for k in call.keywords if k.arg})
            arg = given.get(params[position])
            if isinstance(arg, ast.Name) and arg.id != name:
                more = self.values(arg.id, call)
            else:
                more = _constant_strings(arg, self.assigned)
            if more is None:
                return None
            found |= more
        return found or None

    def _enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None


def used_query_names(package: Path) -> set[str]:
    """Every query name the package can load: its string constants, and each f-string expanded
    over the values its placeholders can take (an f-string whose values cannot be told names no
    query, so a query reachable only through it is reported unused)."""
    names: set[str] = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _Module(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                expansions = [""]
                for part in node.values:
                    if isinstance(part, ast.Constant):
                        options = {part.value}
                    elif isinstance(part.value, ast.Name):
                        options = module.values(part.value.id, node)
                    else:
                        options = None
                    if options is None:
                        expansions = []
                        break
                    expansions = [e + o for e in expansions for o in options]
                names.update(expansions)
    return names


def unused_queries(queries_dir: Path, package: Path) -> list[str]:
    """Query files (outside schema/) that no code of the package names exactly."""
    used = used_query_names(package)
    files = sorted(p for p in queries_dir.rglob("*.sql") if p.parent.name != "schema")
    return [
        name
        for name in (str(p.relative_to(queries_dir).with_suffix("")) for p in files)
        if name not in used
    ]


UNUSED = set(unused_queries(QUERIES_DIR, ROOT / "yibiaotong"))
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|drop)\s+[\w*(]", re.IGNORECASE)
# Slots of the import engine's statements (whitelisted tables and columns at run time).
IMPORT_SLOTS = {
    "entity_table": "resident",
    "key_column": "id_number",
    "column": "name",
    "stage_table": "import_row",
    "extra_table": "field_provenance",
    "filled": "(r.name is not null)::bigint",
}
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

# Parameters whose value names a table (query_table($table)) need a real one; a memory limit
# is a setting of the whole database, not rolled back: the configured one.
SAMPLE_BY_NAME = {"table": "app_setting", "memory_limit": config.memory_limit()}


def test_every_page_file_is_registered_and_every_registered_page_exists():
    assert {p.stem for p in PAGE_FILES} == {spec.stem for spec in PAGES}


def _is_role_gate(statement: ast.stmt) -> bool:
    """`require_role(...)` or `scope = require_role(...)`."""
    value = statement.value if isinstance(statement, ast.Expr | ast.Assign) else None
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "require_role"
    )


def page_problems(source: str) -> list[str]:
    """Why a page file is not thin: it imports duckdb, holds SQL, or does anything before the
    role gate (the first statement after its docstring and imports)."""
    tree = ast.parse(source)
    problems = []
    imported = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    if "duckdb" in imported:
        problems.append("imports duckdb")
    strings = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    if [s for s in strings if SQL_WORDS.search(s) and " from " in s.lower()]:
        problems.append("holds SQL")
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    body = [n for n in body if not isinstance(n, ast.Import | ast.ImportFrom)]
    if not body or not _is_role_gate(body[0]):
        problems.append("does not call require_role() first")
    return problems


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_page_is_thin(path):
    assert page_problems(path.read_text(encoding="utf-8")) == [], path.name


GATE = "from yibiaotong.ui.shell import require_role\n"
THICK_PAGES = {
    "gate second": f'"""Doc."""\n{GATE}import streamlit as st\nst.title("x")\nrequire_role("a")\n',
    "gate only mentioned": f'"""Doc."""\n{GATE}st.caption("require_role")\n',
    "gate as an argument": f'"""Doc."""\n{GATE}print(require_role)\n',
    "no gate": f'"""Doc."""\n{GATE}',
    "duckdb": f'"""Doc."""\nimport duckdb\n{GATE}require_role("a")\n',
    "sql": f'"""Doc."""\n{GATE}require_role("a")\nq = "select id from resident"\n',
}


@pytest.mark.parametrize("source", THICK_PAGES.values(), ids=THICK_PAGES.keys())
def test_thin_page_check_catches_planted_violations(source):
    assert page_problems(source)
    assert not page_problems(f'"""Doc."""\n{GATE}scope = require_role("a")\nprint(scope)\n')


def test_unused_query_check_matches_names_exactly(tmp_path):
    """A query no code names is reported even when an f-string formats the same area, and the
    names an f-string can take come from its whitelist or its callers' constants."""
    package, queries = tmp_path / "pkg", tmp_path / "queries"
    package.mkdir()
    (queries / "ledger").mkdir(parents=True)
    (queries / "demo").mkdir()
    for name in (
        "ledger/find_resident",
        "ledger/zz_never_used",
        "demo/make_grids",
        "demo/drop_grids",
        "demo/zz_never_run",
    ):
        (queries / f"{name}.sql").write_text("-- x\n-- params: none\nselect 1\n")
    (package / "mod.py").write_text(
        'DROPS = ("drop_grids",)\n'
        'def find(entity):\n    return f"ledger/find_{entity}"\n'
        'def _run(cur, name):\n    return f"demo/{name}"\n'
        'def build(cur):\n    _run(cur, "make_grids")\n'
        "    for drop in DROPS:\n        _run(cur, drop)\n"
        'def anything(text):\n    return f"demo/{text}"\n'
    )
    assert unused_queries(queries, package) == ["demo/zz_never_run", "ledger/zz_never_used"]


# ---------------------------------------------------------------- the domain never imports streamlit

DOMAIN = ROOT / "yibiaotong"


def import_graph(package: Path) -> dict[str, set[str]]:
    """module -> modules it imports (package modules by full name, others by top-level name)."""
    modules = {_module_name_in(package, p): p for p in package.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([base] if base else []))
                targets.add(base)
                targets |= {f"{base}.{alias.name}" for alias in node.names}
        graph[name] = {
            t if t in modules else t.split(".")[0]
            for t in targets
            if t in modules or not t.startswith(package.name)
        }
    return graph


def _module_name_in(package: Path, path: Path) -> str:
    parts = (package.name, *path.relative_to(package).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def streamlit_paths(package: Path) -> list[list[str]]:
    """For each module outside <package>.ui that reaches streamlit (directly or through other
    modules), the chain of imports that gets there."""
    graph = import_graph(package)
    found = []
    for start in sorted(graph):
        if start == f"{package.name}.ui" or start.startswith(f"{package.name}.ui."):
            continue
        seen, stack = {start}, [[start]]
        while stack:
            chain = stack.pop()
            for target in sorted(graph.get(chain[-1], ())):
                if target.split(".")[0].startswith("streamlit"):
                    found.append([*chain, target])
                    stack.clear()
                    break
                if target in graph and target not in seen:
                    seen.add(target)
                    stack.append([*chain, target])
    return found


# The replay bench is a client of the console's websocket, as a browser is: it reads and writes
# Streamlit's protocol messages (streamlit.proto) and nothing else of Streamlit.
PROTOCOL_CLIENTS = {"yibiaotong.benchmarks.replay": DOMAIN / "benchmarks" / "replay.py"}


def test_domain_never_imports_streamlit():
    assert [chain for chain in streamlit_paths(DOMAIN) if chain[0] not in PROTOCOL_CLIENTS] == []
    for path in PROTOCOL_CLIENTS.values():
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        streamlit = [name for name in imported if name and name.startswith("streamlit")]
        assert streamlit and all(name.startswith("streamlit.proto.") for name in streamlit)
    # The same, as Python sees it: importing every domain module loads no streamlit.
    code = (
        "import importlib, pkgutil, sys, yibiaotong\n"
        "for m in pkgutil.walk_packages(yibiaotong.__path__, 'yibiaotong.'):\n"
        "    if not m.name.startswith('yibiaotong.ui') and m.name != 'yibiaotong.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0].startswith('streamlit')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_check_finds_streamlit_through_other_modules(tmp_path):
    package = tmp_path / "yb"
    (package / "ui").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "ui/__init__.py": "",
        "ui/widgets.py": "import streamlit as st\n",
        "clean.py": "import json\nfrom yb import helpers\n",
        "helpers.py": "from . import middle\n",
        "middle.py": "from yb.ui import widgets\n",
        "auth_like.py": "import streamlit_authenticator\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    chains = {chain[0]: chain for chain in streamlit_paths(package)}
    assert chains["yb.clean"] == [
        "yb.clean",
        "yb.helpers",
        "yb.middle",
        "yb.ui.widgets",
        "streamlit",
    ]
    assert chains["yb.auth_like"][-1] == "streamlit_authenticator"
    assert "yb.ui.widgets" not in chains


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(QUERIES_DIR)))
def test_query_has_header_and_is_used(path):
    name = str(path.relative_to(QUERIES_DIR).with_suffix(""))
    text = path.read_text()
    assert text.startswith("-- "), "first line: a comment saying what the query is for"
    assert "-- params:" in text
    db.query(name)  # declared and used params agree
    assert name not in UNUSED, f"{name} is not referenced by the package"


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
    sql = query.sql.replace("{order_by}", "id").replace("{head_initials}", "false")
    for slot in ("{match}", "{key}", "{scope}", "{in_book}", "{word_match}"):
        sql = sql.replace(slot, "true")
    sql = sql.replace("{words}", "[e.name]")
    for slot, fragment in IMPORT_SLOTS.items():
        sql = sql.replace("{" + slot + "}", fragment)
    with db.write_lock, db.cursor() as cur:
        cur.execute("begin transaction")
        try:
            cur.execute(sql, params) if params else cur.execute(sql)
        except duckdb.ConstraintException:
            pass  # bound and planned fine; the sample values broke a constraint
        finally:
            cur.execute("rollback")


# ---------------------------------------------------------------- tables leave missing values blank

UI_FILES = [*PAGE_FILES, *sorted((ROOT / "yibiaotong" / "ui").glob("*.py"))]


def tables_printing_none(source: str) -> list[int]:
    """Lines of st.dataframe / st.data_editor calls without placeholder="": Streamlit prints
    None in every missing cell unless told otherwise."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("dataframe", "data_editor")
        and not any(
            k.arg == "placeholder" and isinstance(k.value, ast.Constant) and k.value.value == ""
            for k in node.keywords
        )
    ]


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_tables_show_missing_values_blank(path):
    assert tables_printing_none(path.read_text(encoding="utf-8")) == []


def test_blank_table_check_catches_a_table_without_placeholder():
    assert tables_printing_none("st.dataframe(df, hide_index=True)\n") == [1]
    assert tables_printing_none("x = 1\nst.data_editor(df, placeholder='-')\n") == [2]
    assert tables_printing_none("st.dataframe(df, placeholder='')\n") == []
