"""Shared fixtures: a fixture district built from code (real catalogue + generated demo data)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from yibiaotong import bootstrap, db

FIXTURE_RESIDENTS = 6_000


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory) -> Path:
    """A DuckDB file with schema, catalogue, ~6k demo residents and the demo accounts."""
    path = tmp_path_factory.mktemp("db") / "fixture.duckdb"
    previous = os.environ.get("YIBIAOTONG_DB")
    os.environ["YIBIAOTONG_DB"] = str(path)
    db.close_all()
    bootstrap.initialise(residents=FIXTURE_RESIDENTS)
    yield path
    db.close_all()
    if previous is None:
        os.environ.pop("YIBIAOTONG_DB", None)
    else:
        os.environ["YIBIAOTONG_DB"] = previous


@pytest.fixture
def use_fixture_db(fixture_db, monkeypatch) -> Path:
    """Point the process at the fixture database (tests that switch databases restore it)."""
    monkeypatch.setenv("YIBIAOTONG_DB", str(fixture_db))
    return fixture_db


@pytest.fixture
def empty_db(tmp_path, monkeypatch) -> Path:
    """A fresh database with schema and catalogue only, for tests that write."""
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("YIBIAOTONG_DB", str(path))
    db.close_all()
    bootstrap.initialise(residents=0)
    yield path
    db.close_all()


def copy_of(fixture_db: Path, folder: Path, name: str) -> Path:
    """A copy of the fixture district (and its cookie key) in `folder`, checkpointed first."""
    os.environ["YIBIAOTONG_DB"] = str(fixture_db)
    with db.cursor() as cur:
        cur.execute("checkpoint")
    db.close_all()
    copy = folder / name
    shutil.copy(fixture_db, copy)
    shutil.copy(fixture_db.with_suffix(".cookie_key"), copy.with_suffix(".cookie_key"))
    return copy


@pytest.fixture(scope="session")
def private_district(fixture_db, tmp_path_factory):
    """private_district(name): a block in which the process uses its own copy of the fixture
    district (for tests that write; a module fixture can hold one for all its tests)."""

    @contextmanager
    def copy_of_fixture(name: str) -> Iterator[Path]:
        with pytest.MonkeyPatch.context() as mp:
            copy = copy_of(fixture_db, tmp_path_factory.mktemp(name), f"{name}.duckdb")
            mp.setenv("YIBIAOTONG_DB", str(copy))
            yield copy
            db.close_all()

    return copy_of_fixture


@pytest.fixture
def writable_db(fixture_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the fixture district for tests that write."""
    copy = copy_of(fixture_db, tmp_path, "writable.duckdb")
    monkeypatch.setenv("YIBIAOTONG_DB", str(copy))
    yield copy
    db.close_all()


@pytest.fixture(scope="module")
def module_db(fixture_db, tmp_path_factory) -> Path:
    """One copy of the fixture district per test module: what its tests write stays there."""
    path = copy_of(fixture_db, tmp_path_factory.mktemp("module"), "module.duckdb")
    yield path
    db.close_all()
    os.environ["YIBIAOTONG_DB"] = str(fixture_db)


@pytest.fixture
def logged(writable_db):
    """logged(action): details of the access_log rows of an action written since the test began
    (the fixture district already holds some)."""
    with db.cursor() as cur:
        before = cur.execute("select count(*) from access_log").fetchone()[0]

    def details(action: str = "list_view") -> list[str]:
        with db.cursor() as cur:
            rows = cur.execute(
                "select action, detail from access_log order by rowid offset $n", {"n": before}
            ).fetchall()
        return [detail for kind, detail in rows if kind == action]

    return details
