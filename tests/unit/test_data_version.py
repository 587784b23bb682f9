"""The data version that every result cache keys on: read from the file once, then known in memory
until a write batch of this process commits a bump (or the file is reopened) — so a page run's
cache lookups cost no query, and no cache ever serves figures from before a committed write."""

from __future__ import annotations

import threading

import duckdb
import pytest

from yibiaotong import db


def stored_version() -> int:
    """The counter as the file holds it (the oracle: read around db.data_version)."""
    with db.cursor() as cur:
        row = cur.execute("select value from app_setting where key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def count_queries(monkeypatch) -> list[str]:
    """Every named query run from here on."""
    seen: list[str] = []
    real = db.fetch_value

    def counting(name, /, **params):
        seen.append(name)
        return real(name, **params)

    monkeypatch.setattr(db, "fetch_value", counting)
    return seen


def test_the_version_is_read_once_and_follows_every_committed_bump(writable_db, monkeypatch):
    queries = count_queries(monkeypatch)
    first = db.data_version()
    assert first == stored_version()
    for _ in range(50):  # the lookups of a page run
        assert db.data_version() == first
    assert queries.count("settings/get_setting") <= 1

    with db.transaction() as cur:
        db.bump_data_version(cur)
        assert db.data_version() == first  # not committed yet: readers keep the old version
    assert stored_version() == first + 1
    assert db.data_version() == first + 1


def test_a_rolled_back_bump_leaves_the_version(writable_db):
    before = db.data_version()
    with pytest.raises(ZeroDivisionError), db.transaction() as cur:
        db.bump_data_version(cur)
        1 / 0  # noqa: B018
    assert db.data_version() == stored_version() == before


def test_a_bump_on_a_cursor_of_its_own_is_known_at_once(writable_db):
    """Outside db.transaction() the statement commits by itself (DuckDB's autocommit)."""
    before = db.data_version()
    with db.write_lock, db.cursor() as cur:
        db.bump_data_version(cur)
    assert db.data_version() == stored_version() == before + 1


def test_a_reader_racing_a_commit_never_keeps_the_older_version(writable_db, monkeypatch):
    """A read of the file that began before a bump committed must not be remembered after it."""
    before = db.data_version()
    db._forget_data_version(db._key(None))  # the next call reads the file
    reading, committed = threading.Event(), threading.Event()
    real = db.fetch_value

    def slow_read(name, /, **params):
        value = real(name, **params)  # the old version, read before the commit
        reading.set()
        committed.wait(10)
        return value

    monkeypatch.setattr(db, "fetch_value", slow_read)
    seen = []
    reader = threading.Thread(target=lambda: seen.append(db.data_version()))
    reader.start()
    reading.wait(10)
    monkeypatch.setattr(db, "fetch_value", real)
    with db.transaction() as cur:
        db.bump_data_version(cur)
    committed.set()
    reader.join(10)
    assert seen == [before]
    assert db.data_version() == stored_version() == before + 1


def test_reopening_the_file_reads_the_version_again(writable_db):
    """Another process (the CLI while no console runs, a restore) may have changed the file."""
    before = db.data_version()
    path = db._key(None)
    db.close_all()
    other = duckdb.connect(path)  # not through db: this process's memory is not told
    other.execute(
        "update app_setting set value = cast(cast(value as bigint) + 5 as varchar) "
        "where key = 'data_version'"
    )
    other.close()
    assert db.data_version() == stored_version() == before + 5
