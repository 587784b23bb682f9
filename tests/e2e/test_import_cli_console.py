"""`yibiaotong import` while the console serves: the file is handed to the console as an
import_file job, the CLI shows its progress and prints the mapping, preview and result, and the
console writes the ledger and the reject report."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest
from browser_helpers import Server, cli
from stdnum.cn import ric

pytestmark = pytest.mark.e2e


def _read(db_file, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _new_ids(db_file, n: int) -> list[str]:
    taken = {r[0] for r in _read(db_file, "select id_number from resident")}
    out = []
    for seq in range(100, 1000):
        body = f"33010219790203{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in taken:
            out.append(number)
        if len(out) == n:
            return out
    raise AssertionError("no free ID numbers")


def test_a_gbk_csv_imported_by_the_cli_is_handed_to_the_running_console(e2e_db_template, tmp_path):
    (address,) = _read(
        e2e_db_template,
        "select address from house where starts_with(grid_code, '330102009') "
        "group by address having count(*) = 1 order by 1 limit 1",
    )[0]
    first, second = _new_ids(e2e_db_template, 2)
    path = tmp_path / "流动人口登记.csv"
    lines = [
        "姓名,身份证号,现住址",
        f"命令行甲,{first},{address}",
        f"命令行乙,{second},{address}",
        f"命令行丙,{first[:17]}{'0' if first[-1] != '0' else '1'},{address}",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    report = tmp_path / "拒绝清单.xlsx"

    console = Server(e2e_db_template, tmp_path)
    try:
        # One sample ID is invalid, so the mapper asks: the operator maps the column by --map.
        run = cli(
            console,
            *("import", str(path), "--source", "gongan_floating"),
            *("--map", "身份证号=resident_id_number", "--rejects", str(report)),
        )
        assert run.returncode == 0, run.stderr
        assert "已把任务交给控制台" in run.stderr
        assert "100%" in run.stderr and "已完成" in run.stderr  # the job's progress bar
        assert "GB18030" in run.stdout and "身份证号（匹配键）" in run.stdout
        assert "预览：" in run.stdout and "新增 2" in run.stdout and "拒绝 1" in run.stdout
        assert "已写入批次" in run.stdout and "新增 2" in run.stdout.splitlines()[-1]
        # The console wrote the reject report where the operator asked.
        rows = list(openpyxl.load_workbook(report).active.iter_rows(min_row=3, values_only=True))
        assert [(r[0], r[1]) for r in rows] == [(4, "身份证号")] and "校验位" in rows[0][3]
    finally:
        console.stop()
    written = _read(
        console.db_file,
        "select id_number, name from resident where id_number in (?, ?) order by id_number",
        [first, second],
    )
    assert written == [(first, "命令行甲"), (second, "命令行乙")]
    assert _read(console.db_file, "select origin, state from job where kind = 'import_file'") == [
        ("cli", "done")
    ]
