"""`yibiaotong import`: the engine on the command line, and a clear word while the console runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from import_files import id_number

from yibiaotong import cli, config, db


def test_dry_run_previews_and_writes_nothing(writable_db, tmp_path, capsys):
    path = tmp_path / "流动人口.csv"
    body = "3301021985010100" + "1"
    path.write_bytes(f"姓名,身份证号,备注\r\n命令行新人,{id_number(body)},x\r\n".encode("gbk"))
    with db.cursor() as cur:
        before = cur.execute("select count(*) from resident").fetchone()[0]
    code = cli.main(
        ["import", str(path), "--source", "gongan_floating", "--map", "备注=attr", "--dry-run"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "GB18030" in out and "保留为附加信息" in out and "只预览，未写入" in out
    with db.cursor() as cur:
        assert cur.execute("select count(*) from resident").fetchone()[0] == before
        state = cur.execute("select state from import_batch order by created_at desc limit 1")
        assert state.fetchone()[0] == "previewed"


def test_an_unknown_column_or_source_is_a_clear_error(writable_db, tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_bytes("姓名,身份证号\r\n张三,1\r\n".encode("gbk"))
    assert cli.main(["import", str(path), "--source", "nope"]) == 2
    assert "数据来源" in capsys.readouterr().err
    assert cli.main(["import", str(path), "--source", "gongan_floating", "--map", "无此列=x"]) == 2
    assert "没有名为“无此列”的列" in capsys.readouterr().err


HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); open(sys.argv[2], 'w'); time.sleep(60)"


def test_while_another_process_holds_the_database_the_cli_says_what_to_do(writable_db, tmp_path):
    db.close_all()
    ready = tmp_path / "holding"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(writable_db), str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        path = tmp_path / "x.csv"
        path.write_bytes("姓名,身份证号\r\n张三,1\r\n".encode("gbk"))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "yibiaotong",
                "import",
                str(path),
                "--source",
                "gongan_floating",
            ],
            env={**os.environ, "YIBIAOTONG_DB": str(writable_db)},
            cwd=config.ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert "控制台" in result.stderr and "数据回流" in result.stderr
