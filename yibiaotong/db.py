"""One DuckDB database per process: connection, cursors, transactions, migrations, SQL files."""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import duckdb

from yibiaotong import config

_PARAM_RE = re.compile(r"\$([a-z_][a-z0-9_]*)")
_HEADER_RE = re.compile(r"^--\s*params:\s*(.*)$", re.MULTILINE)
_WRITES_RE = re.compile(
    r"\b(?:insert\s+into|update|delete\s+from|merge\s+into|truncate(?:\s+table)?)\s+([a-z_]\w*)",
    re.IGNORECASE,
)
# The reference catalogue. Caches of it (catalog_cached) key on a version that every
# transaction writing one of these tables bumps: a stale sensitivity would be a masking hole.
CATALOG_TABLES = frozenset(
    {"org_unit", "department", "code_list", "code_item", "field_def", "tag_category", "tag"}
)

_databases: dict[str, duckdb.DuckDBPyConnection] = {}
_open_lock = threading.Lock()
# DuckDB allows one writer transaction at a time without conflicts only if we serialise them.
write_lock = threading.RLock()


class DatabaseUnavailable(RuntimeError):
    """The DuckDB file cannot be opened (held by another process, unreadable, not a database);
    the message says why in Chinese."""


class DatabaseLockedError(DatabaseUnavailable):
    """Another process holds the DuckDB file (e.g. the console is running)."""


_HOLDER_RE = re.compile(r"PID (\d+)")


def _unavailable(path: str, exc: duckdb.Error) -> DatabaseUnavailable:
    text = str(exc)
    name = Path(path).name
    if "lock" in text.lower():
        holder = _HOLDER_RE.search(text)
        who = f"（PID {holder.group(1)}）" if holder else ""
        return DatabaseLockedError(f"数据库文件 {name} 正被另一个进程使用{who}。")
    if "not a valid DuckDB database" in text:
        return DatabaseUnavailable(f"文件 {name} 不是有效的数据库文件（可能已损坏或不完整）。")
    if "Permission denied" in text:
        return DatabaseUnavailable(f"没有权限读写数据库文件 {name}：请以数据库文件的所有者运行。")
    return DatabaseUnavailable(f"数据库文件 {name} 无法打开：{text}")


@dataclass(frozen=True)
class Query:
    """One statement from queries/<area>/<name>.sql with its declared parameters."""

    name: str
    sql: str
    params: frozenset[str]
    writes: frozenset[str] = frozenset()  # tables the statement inserts into, updates or deletes

    @property
    def writes_catalog(self) -> bool:
        return bool(self.writes & CATALOG_TABLES)

    def check(self, given: dict[str, Any]) -> None:
        if set(given) != self.params:
            missing = sorted(self.params - set(given))
            extra = sorted(set(given) - self.params)
            raise TypeError(f"query {self.name}: missing params {missing}, unexpected {extra}")


@cache
def query(name: str) -> Query:
    """Load queries/<name>.sql; fail when declared and used parameters differ."""
    path = config.QUERIES_DIR / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    header = _HEADER_RE.search(text)
    declared = set()
    if header and header.group(1).strip() not in ("", "none"):
        declared = {p.strip().split()[0].lstrip("$") for p in header.group(1).split(",")}
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    used = set(_PARAM_RE.findall(body))
    if declared != used:
        raise ValueError(f"{path.name}: declared params {sorted(declared)} but uses {sorted(used)}")
    writes = frozenset(t.lower() for t in _WRITES_RE.findall(body))
    return Query(name, body.strip().rstrip(";"), frozenset(declared), writes)


def _key(path: Path | str | None) -> str:
    return _resolved(str(path or config.db_path()))


@lru_cache(maxsize=64)
def _resolved(path: str) -> str:
    """The absolute path a database is known by (resolving costs system calls: once per name)."""
    return str(Path(path).resolve())


def connect(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """The process-wide database for `path` (default: config.db_path()), opened once."""
    key = _key(path)
    with _open_lock:
        con = _databases.get(key)
        if con is None:
            Path(key).parent.mkdir(parents=True, exist_ok=True)
            _keep_private(Path(key))
            try:
                con = duckdb.connect(
                    key,
                    config={
                        "autoinstall_known_extensions": False,
                        "autoload_known_extensions": False,
                        "memory_limit": config.memory_limit(),
                        "threads": config.threads(),
                    },
                )
            except (duckdb.IOException, duckdb.PermissionException) as exc:
                raise _unavailable(key, exc) from exc
            _databases[key] = con
            _bump_catalog_version(key)  # another process may have changed the file meanwhile
        return con


def _keep_private(path: Path) -> None:
    """The database holds personal data: its files are for their owner only. DuckDB re-creates
    the .wal at every checkpoint, so only the process umask keeps that one private."""
    os.umask(os.umask(0) | 0o077)
    for file in (path, path.with_name(path.name + ".wal")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def close_all() -> None:
    """Close every open database (tests and CLI shutdown)."""
    with _open_lock:
        for con in _databases.values():
            con.close()
        _databases.clear()


@contextmanager
def cursor(path: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh cursor per call: DuckDB 2 refuses concurrent calls on one connection."""
    cur = connect(path).cursor()
    try:
        yield cur
    finally:
        cur.close()


# Cursors of open db.transaction()s → whether the transaction wrote the catalogue.
_transactions: dict[int, bool] = {}


@contextmanager
def transaction(path: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Serialised write transaction; rolls back on any error."""
    with write_lock, cursor(path) as cur:
        cur.execute("begin transaction")
        _transactions[id(cur)] = False
        try:
            yield cur
        except BaseException:
            cur.execute("rollback")
            raise
        else:
            cur.execute("commit")
        finally:
            if _transactions.pop(id(cur)):
                _bump_catalog_version(_key(path))


def _before(cur: duckdb.DuckDBPyConnection, q: Query) -> None:
    """A catalogue write must run in a db.transaction(), whose end bumps the catalogue version."""
    if q.writes_catalog:
        if id(cur) not in _transactions:
            raise RuntimeError(f"query {q.name} writes the catalogue: run it in db.transaction()")
        _transactions[id(cur)] = True


_budget_lock = threading.Lock()
_budget_holders = 0


@contextmanager
def memory_budget(limit: str) -> Iterator[None]:
    """Hold DuckDB's memory_limit (one for the whole database: every session shares it) at
    `limit` while a large job runs, spilling past it to the temp directory; the configured
    limit comes back when the last holder leaves. Without it DuckDB keeps the table blocks a
    large join read cached up to the console's limit, which is most of the process's memory."""
    global _budget_holders
    with _budget_lock:
        _budget_holders += 1
        if _budget_holders == 1:
            _set_memory_limit(limit)
    try:
        yield
    finally:
        with _budget_lock:
            _budget_holders -= 1
            if _budget_holders == 0:
                _set_memory_limit(config.memory_limit())


def memory_budget_held() -> bool:
    """Whether a large job holds the engine under its lowered memory limit now."""
    return _budget_holders > 0


def _set_memory_limit(limit: str) -> None:
    with cursor() as cur:
        run(cur, "settings/set_memory_limit", memory_limit=limit)


def run(cur: duckdb.DuckDBPyConnection, name: str, /, **params: Any) -> duckdb.DuckDBPyConnection:
    """Execute the named query on `cur` with checked $named parameters."""
    q = query(name)
    q.check(params)
    _before(cur, q)
    return cur.execute(q.sql, params) if params else cur.execute(q.sql)


_SLOT_RE = re.compile(r"\{([a-z_]+)\}")


def run_filled(
    cur: duckdb.DuckDBPyConnection, name: str, /, slots: dict[str, str], **params: Any
) -> duckdb.DuckDBPyConnection:
    """Like run(), for a query with `{slot}`s (sort keys, match conditions) that the caller fills
    with fragments from its own whitelist: identifiers cannot be parameters. A fragment never
    carries a value (no quotes, comments or semicolons); its $params are checked like the rest."""
    q = query(name)
    sql = q.sql
    for slot, fragment in slots.items():
        if re.search(r"['\";]|--|/\*", fragment):
            raise ValueError(f"fragment for {{{slot}}} carries a literal: {fragment!r}")
        sql = sql.replace("{" + slot + "}", fragment)
    if unfilled := _SLOT_RE.findall(sql):
        raise ValueError(f"query {name}: unfilled slots {unfilled}")
    used = set(_PARAM_RE.findall(sql))
    if used != set(params):
        raise TypeError(f"query {name}: uses params {sorted(used)}, given {sorted(params)}")
    _before(cur, q)
    return cur.execute(sql, params)


def fetch_df(name: str, /, **params: Any):
    """Run a read query and return a pandas DataFrame (one page, never a whole table)."""
    with cursor() as cur:
        return run(cur, name, **params).df()


def fetch_all(name: str, /, **params: Any) -> list[tuple]:
    with cursor() as cur:
        return run(cur, name, **params).fetchall()


def fetch_one(name: str, /, **params: Any) -> tuple | None:
    with cursor() as cur:
        return run(cur, name, **params).fetchone()


def fetch_value(name: str, /, **params: Any) -> Any:
    row = fetch_one(name, **params)
    return None if row is None else row[0]


def fetch_dicts(name: str, /, **params: Any) -> list[dict[str, Any]]:
    with cursor() as cur:
        rel = run(cur, name, **params)
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


def execute(name: str, /, **params: Any) -> None:
    """Run one write statement in its own transaction."""
    with transaction() as cur:
        run(cur, name, **params)


def migrations() -> list[Path]:
    return sorted((config.QUERIES_DIR / "schema").glob("[0-9][0-9][0-9][0-9]_*.sql"))


def migrate(path: Path | str | None = None) -> list[str]:
    """Apply pending queries/schema/NNNN_*.sql in order; record each in schema_version."""
    applied: list[str] = []
    with write_lock, cursor(path) as cur:
        cur.execute(
            "create table if not exists schema_version ("
            " version integer primary key, name varchar not null,"
            " applied_at timestamp not null default current_timestamp)"
        )
        done = {v for (v,) in cur.execute("select version from schema_version").fetchall()}
        for file in migrations():
            version = int(file.name[:4])
            if version in done:
                continue
            cur.execute("begin transaction")
            try:
                cur.execute(file.read_text(encoding="utf-8"))
                cur.execute(
                    "insert into schema_version (version, name) values ($v, $n)",
                    {"v": version, "n": file.stem},
                )
            except BaseException:
                cur.execute("rollback")
                raise
            cur.execute("commit")
            applied.append(file.stem)
    if applied:  # a migration may change catalogue tables
        _bump_catalog_version(_key(path))
    return applied


def run_ids(
    cur: duckdb.DuckDBPyConnection, name: str, ids: Iterable[Any], /, **params: Any
) -> list[dict]:
    """Rows of a by-ids query as dicts: ids deduplicated, sorted, None dropped. A query that
    also declares $lo / $hi gets the ids' bounds, so zone maps skip other row groups."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return []
    bounds = {"lo": ids[0], "hi": ids[-1]} if {"lo", "hi"} <= query(name).params else {}
    rel = run(cur, name, ids=ids, **bounds, **params)
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


_cache_lock = threading.Lock()
_cache: dict[tuple, Any] = {}


def cached(kind: str, build: Callable[..., Any], *args: Any) -> Any:
    """Results that depend on the data, per database and data version: every write batch bumps
    the version, so nothing goes stale. Reference data is catalog_cached."""
    key = (str(config.db_path()), data_version(), kind, *args)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = build(*args)
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = value
    return value


_catalog_cache: dict[tuple, Any] = {}
_catalog_versions: dict[str, int] = {}
_catalog_counter = itertools.count(1)


def _bump_catalog_version(key: str) -> None:
    with _cache_lock:
        _catalog_versions[key] = next(_catalog_counter)


def catalog_version(path: Path | str | None = None) -> int:
    """Version of the reference catalogue as this process knows it. Only the process that holds
    the file can write it (DESIGN rule 9), so the version lives in memory: bumped when a
    transaction that wrote a catalogue table ends (after its commit), when a migration ran, and
    when the file is (re)opened. Reading it costs no query."""
    key = _key(path)
    with _cache_lock:
        if key not in _catalog_versions:
            _catalog_versions[key] = next(_catalog_counter)
        return _catalog_versions[key]


def catalog_cached(kind: str, build: Callable[..., Any], *args: Any) -> Any:
    """Reference data (field standard, code lists, tags, org units) cached per database and
    catalogue version. A build that reads while a writer commits may store newer data under the
    older version, never older data under the newer one: versions only grow."""
    key = (_key(None), catalog_version(), kind, *args)
    with _cache_lock:
        if key in _catalog_cache:
            return _catalog_cache[key]
    value = build(*args)
    with _cache_lock:
        if len(_catalog_cache) > 1024:
            _catalog_cache.clear()
        _catalog_cache[key] = value
    return value


def data_version() -> int:
    """Counter bumped by every write batch; caches key on it."""
    value = fetch_value("settings/get_setting", key="data_version")
    return int(value or 0)


def bump_data_version(cur: duckdb.DuckDBPyConnection) -> None:
    run(cur, "settings/bump_data_version")


def is_initialised() -> bool:
    """True when migrations ran and the catalogue is loaded."""
    try:
        return bool(fetch_value("settings/count_org_units"))
    except duckdb.CatalogException:
        return False
