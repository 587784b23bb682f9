"""The backflow source catalogue: enough real-shaped sources, every import tag owned by exactly
one of them, priorities per field, and a broken catalogue refused with its entry named."""

from __future__ import annotations

import shutil

import pytest
import yaml

from yibiaotong import catalog, config
from yibiaotong.importing import sources


def test_catalogue_covers_the_articles_categories_and_every_import_tag(use_fixture_db):
    listed = sources.sources(importable_only=True)
    assert len(listed) >= 12
    departments = {s.department for s in listed}
    assert {"gongan", "minzheng", "canlian", "tuiyi", "renshe", "weijian"} <= departments
    text = yaml.safe_load((config.CATALOG_DIR / "tags.yaml").read_text(encoding="utf-8"))
    import_tags = {t["code"] for t in text["tags"] if t.get("kind") == "import"}
    owners = [t for s in listed for t in s.tags]
    assert sorted(owners) == sorted(import_tags)  # each owned once
    assert len(import_tags) == 10
    console = sources.source(sources.CONSOLE)
    assert console is not None and not console.importable
    police = sources.source("gongan_hukou")
    survey = sources.source("community_survey")
    # 公安人口 outranks 社区采集 for identity fields.
    for field in ("resident_name", "resident_birth_date", "resident_sex"):
        assert police.priorities[field] > survey.priorities[field]


def test_key_and_link_fields_cannot_be_set_by_a_source(tmp_path):
    directory = tmp_path / "catalog"
    shutil.copytree(config.CATALOG_DIR, directory)
    data = yaml.safe_load((directory / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"][1]["fields"]["resident_household_id"] = 50
    (directory / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(catalog.CatalogError, match="gongan_hukou.*placement or events"):
        sources.read_sources(directory)


def test_a_tag_owned_twice_is_refused(tmp_path):
    directory = tmp_path / "catalog"
    shutil.copytree(config.CATALOG_DIR, directory)
    data = yaml.safe_load((directory / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"][2]["tags"] = ["dibao"]
    (directory / "sources.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(catalog.CatalogError, match="already owned"):
        sources.read_sources(directory)
