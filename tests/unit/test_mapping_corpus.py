"""The header mapper on the corpus of real headers (data/corpus/headers.yaml), answers written first."""

from __future__ import annotations

import pytest

from yibiaotong import mapping
from yibiaotong.benchmarks import mapping as corpus

PERSON_RIGHT_MIN = 90.0
WRONG_MAX = 3.0


@pytest.fixture(scope="module")
def tallies(fixture_db):
    result = corpus.score(corpus.load())
    for split, tally in result.items():
        print(f"header_mapping[{split}]: {tally.summary()}")
    return result


def test_the_corpus_is_real_sized_and_its_answers_are_fields_of_the_standard(use_fixture_db):
    forms = corpus.load()
    codes = set(mapping.labels("resident")) | {
        c for e in ("household", "house", "shop") for c in mapping.labels(e)
    }
    assert len(forms) >= 40 and len({f["department"] for f in forms}) >= 12
    assert sum(len(f["headers"]) for f in forms) >= 500
    assert {f["split"] for f in forms} == {"tune", "holdout"}
    for form in forms:
        assert form["source"] and form["entity"] in ("resident", "household", "house", "shop")
        for row in form["headers"]:
            for answer in row[1:]:
                if answer not in (None, corpus.ASK):
                    assert answer.split("@")[0] in codes, (form["id"], row)


def test_no_header_ever_gets_an_identity_field_it_does_not_hold(tallies):
    assert tallies["all"].identity_slips == []


@pytest.mark.parametrize("split", ["all", "tune", "holdout"])
def test_person_field_headers_are_mapped_right(tallies, split):
    tally = tallies[split]
    summary = tally.summary()
    assert summary["person_right_pct"] >= PERSON_RIGHT_MIN, tally.misses
    assert summary["wrong_pct"] <= WRONG_MAX, tally.misses


def test_the_scores_follow_the_mapper(use_fixture_db, monkeypatch):
    """The scoring must see a broken mapper: one that maps every header to 姓名 scores badly."""

    def careless(headers, entity, **kwargs):
        return [
            mapping.HeaderMatch(str(h), "resident_name", "exact", None, (), "") for h in headers
        ]

    monkeypatch.setattr(mapping, "map_headers", careless)
    broken = corpus.score(corpus.load())["all"].summary()
    assert broken["person_right_pct"] < 30 and broken["wrong_pct"] > 50
