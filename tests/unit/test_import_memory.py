"""数据回流 within its memory budget: the file reaches DuckDB a bounded batch of rows at a time
(never the whole file in Python), and DuckDB's memory_limit is held down while an import runs
and given back afterwards."""

from __future__ import annotations

import uuid

import duckdb
import pytest
from import_files import id_number

from yibiaotong import auth, config, db, health
from yibiaotong.importing import cleaning, commit, reader, stage


def limit_now() -> str:
    with db.cursor() as cur:
        return cur.execute("select current_setting('memory_limit')").fetchone()[0]


def as_duckdb_shows(limit: str) -> str:
    """The oracle: how a fresh DuckDB spells a limit it was given."""
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = $l", {"l": limit})
        return con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def test_staging_holds_at_most_one_batch_of_rows_in_python(writable_db, tmp_path, monkeypatch):
    monkeypatch.setattr(cleaning, "ARROW_BATCH", 1_000)
    rows = 12_345
    path = tmp_path / "名册.csv"
    lines = ["姓名,身份证号"] + [f"人{n},{n}" for n in range(rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    info = reader.inspect(path, path.name)
    batch = uuid.uuid4().hex[:12]
    ahead = []  # rows read from the file but not yet in import_raw, sampled while reading
    with db.cursor() as cur:

        def watched(source):
            for n, row in enumerate(source):
                if n % 250 == 0:
                    stored = cur.execute(
                        "select count(*) from import_raw where batch_id = ?", [batch]
                    ).fetchall()[0][0]
                    ahead.append(n - stored)
                yield row

        loaded = cleaning.load_rows(cur, batch, watched(reader.data_rows(path, info).rows))
        stored = cur.execute("select count(*) from import_raw where batch_id = ?", [batch])
        assert loaded == stored.fetchall()[0][0] == rows
    assert max(ahead) <= cleaning.ARROW_BATCH


def test_the_memory_budget_is_shared_by_its_holders_and_given_back(writable_db):
    configured = as_duckdb_shows(config.memory_limit())
    assert limit_now() == configured
    with db.memory_budget("300MB"):
        assert limit_now() == as_duckdb_shows("300MB")
        with db.memory_budget("300MB"):
            pass
        assert limit_now() == as_duckdb_shows("300MB")  # another holder is still inside
    assert limit_now() == configured
    with pytest.raises(RuntimeError), db.memory_budget("300MB"):
        raise RuntimeError("a failed import")
    assert limit_now() == configured


def test_system_status_shows_the_limit_the_engine_works_under_now(writable_db):
    admin = auth.scope_for("admin")
    shown = health.status(admin)
    assert (shown["memory_limit"], shown["memory_budget_held"]) == (limit_now(), False)
    with db.memory_budget("300MB"):
        shown = health.status(admin)
        assert (shown["memory_limit"], shown["memory_budget_held"]) == (limit_now(), True)
        assert shown["memory_limit"] != as_duckdb_shows(config.memory_limit())


def test_preview_and_commit_run_within_the_import_budget(writable_db, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_IMPORT_MEMORY_LIMIT", "700MB")
    admin = auth.scope_for("admin")
    data = f"姓名,身份证号\r\n预算内,{id_number('33010219850101003')}\r\n".encode("gbk")
    batch_id, result = stage.upload(admin, data, "名册.csv", "gongan_floating")
    seen = {}

    def progress(fraction, step):
        seen[step] = limit_now()

    stage.preview(admin, batch_id, {c.index: c.target for c in result.columns}, progress=progress)
    commit.commit(admin, batch_id, progress=progress)
    inside = ("清洗数据", "与台账比对", "落地到网格", "写入新增记录", "更新规则标签")
    assert {seen[step] for step in inside} == {as_duckdb_shows("700MB")}
    assert limit_now() == as_duckdb_shows(config.memory_limit())
