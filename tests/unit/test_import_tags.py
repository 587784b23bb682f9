"""The ten import tags are set from files by their owning sources, and the seven report templates
that depend on them fill from a ledger built by imports alone (no demo data)."""

from __future__ import annotations

import io
import os
from collections import Counter

import openpyxl
import pytest
from import_files import id_number

from yibiaotong import auth, bootstrap, db, reports
from yibiaotong.importing import commit, stage

GRIDS = ("330102009001001", "330102009001002")


def person(n: int) -> tuple[str, str]:
    sex = "1" if n % 2 == 0 else "2"
    body = f"3301021950{(n % 12) + 1:02d}{(n % 27) + 1:02d}{n:02d}" + sex
    return f"居民{n:02d}", id_number(body)


PEOPLE = [person(n) for n in range(12)]
HOUSEHOLDS = {
    0: ("H-001", "户主"),
    1: ("H-001", "配偶"),
    2: ("H-001", "子"),
    3: ("H-002", "户主"),
    4: ("H-002", "配偶"),
}
# Who each owning source names, by tag (disabled_veteran is a child of veteran: both are named).
TAGGED = {
    "minzheng_assistance": {"dibao": [0], "dibao_edge": [5]},
    "minzheng_tekun": {"tekun": [6]},
    "minzheng_children": {"orphan": [7]},
    "canlian_disabled": {"disabled": [3, 6]},
    "tuiyi_veterans": {"veteran": [8, 9], "disabled_veteran": [9], "martyr_family": [10]},
    "renshe_employment": {"employment_difficulty": [4, 11]},
    "weijian_family_planning": {"fp_special_family": [2]},
}


def csv(header, rows) -> bytes:
    return ("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode("gbk")


def load(scope, source, header, rows, **kw):
    batch_id, result = stage.upload(scope, csv(header, rows), f"{source}.csv", source)
    chosen = {c.index: c.target for c in result.columns}
    chosen.update(kw.pop("mapping", {}))
    summary = stage.preview(scope, batch_id, chosen, **kw)
    commit.commit(scope, batch_id)
    return summary


def build_district(path) -> None:
    """A district filled only by imports: 12 people placed by grid code, two households by 户号,
    then every tag-owning source's file naming its people in a 人员类别 column."""
    os.environ["YIBIAOTONG_DB"] = str(path)
    db.close_all()
    # A real install: one district admin, no demo accounts.
    bootstrap.initialise(residents=0, admin=("admin", "王数据", "Qiantang-River-9"))
    admin = auth.scope_for("admin")
    rows = []
    for n, (name, number) in enumerate(PEOPLE):
        household, relation = HOUSEHOLDS.get(n, ("", ""))
        rows.append(
            [name, number, GRIDS[n % 2] if n not in HOUSEHOLDS else GRIDS[0], household, relation]
        )
    summary = load(
        admin,
        "gongan_hukou",
        ["姓名", "公民身份号码", "所属网格", "户号", "与户主关系"],
        rows,
        mapping={2: "org"},
    )
    assert summary.actions == {"insert": 12}
    for source, tags in TAGGED.items():
        by_person: dict[int, list[str]] = {}
        for tag, people in tags.items():
            for n in people:
                by_person.setdefault(n, []).append(tag)
        rows = [
            [PEOPLE[n][0], PEOPLE[n][1], "、".join(_tag_name(t) for t in sorted(codes))]
            for n, codes in sorted(by_person.items())
        ]
        load(admin, source, ["姓名", "身份证号", "人员类别"], rows, mapping={2: "tag"})


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    previous = os.environ.get("YIBIAOTONG_DB")
    build_district(tmp_path_factory.mktemp("tags") / "imported.duckdb")
    yield auth.scope_for("admin")
    db.close_all()
    if previous is None:
        os.environ.pop("YIBIAOTONG_DB", None)
    else:
        os.environ["YIBIAOTONG_DB"] = previous


@pytest.fixture
def imported_fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("YIBIAOTONG_DB", str(tmp_path / "fresh.duckdb"))
    build_district(tmp_path / "fresh.duckdb")
    yield auth.scope_for("admin")
    db.close_all()


def _tag_name(code: str) -> str:
    with db.cursor() as cur:
        return cur.execute("select name from tag where code = ?", [code]).fetchone()[0]


def test_the_ten_import_tags_are_set_from_files(imported):
    with db.cursor() as cur:
        counts = dict(
            cur.execute(
                "select t.code, count(*) from entity_tag as e join tag as t on t.id = e.tag_id "
                "where e.source = 'import' group by t.code"
            ).fetchall()
        )
    expected = Counter(
        {tag: len(people) for tags in TAGGED.values() for tag, people in tags.items()}
    )
    assert counts == dict(expected)
    assert len(counts) == 10


def test_a_roster_ends_a_tag_it_no_longer_names(imported_fresh):
    # The next 残联 roster names only person 3: person 6's 残疾人 tag ends, with the date.
    summary = load(
        imported_fresh,
        "canlian_disabled",
        ["姓名", "身份证号"],
        [[PEOPLE[3][0], PEOPLE[3][1]]],
        roster_tag="disabled",
    )
    assert summary.tags == {"end": 1}
    with db.cursor() as cur:
        ended = cur.execute(
            "select r.name, p.ended_on is not null from tag_period as p join resident as r "
            "on r.id = p.entity_id join tag as t on t.id = p.tag_id "
            "where t.code = 'disabled' and p.end_batch is not null"
        ).fetchall()
    assert ended == [(PEOPLE[6][0], True)]


@pytest.mark.parametrize(
    ("code", "rows"),
    [
        ("cl_disabled", 2),
        ("mz_tekun", 1),
        ("rs_employment_difficulty", 2),
        ("ty_preferential", 2),  # 伤残军人 or 烈士遗属
        ("ty_veteran_info", 2),
        ("mz_dibao_members", 3),  # every member of the 低保 household H-001
    ],
)
def test_tag_templates_fill_from_an_imported_ledger(imported, code, rows):
    run = reports.generate(imported, code, io.BytesIO(), "330102")
    assert run.rows == rows


def test_the_disabled_summary_counts_the_imported_tags(imported):
    out = io.BytesIO()
    reports.generate(imported, "cl_disabled_summary", out, "330102")
    ws = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    header_row = next(r for r in ws.iter_rows() if any(c.value == "残疾人总数" for c in r))
    column = next(c.column for c in header_row if c.value == "残疾人总数")
    totals = [
        row
        for row in ws.iter_rows()
        if any(isinstance(c.value, str) and "合计" in c.value for c in row)
    ]
    assert totals and ws.cell(totals[-1][0].row, column).value == 2
