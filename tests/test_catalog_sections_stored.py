"""catalog.json's catalog sections (its settings, offerings and tools) are a function of the catalog
alone: a build of the command line keeps their lines in the store by the key of the catalog's
bytes (outputs.stored_sections), so a rebuild after a page edit does not make them again, and
a catalog edit, or an entry altered or of another shape, makes them again. Every output is a
clean build's."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from servicebook.cache.store import _key, checksum, store_file
from servicebook.site import outputs

from .sitefiles import clean_build, generated_site, tree


@pytest.fixture
def site(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVICEBOOK_WORKERS", "1")  # catalog.json made in this process
    site = generated_site(tmp_path / "site", 20)
    assert run("build", "--source", site).exit_code == 0
    return site


def _refuse_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_: object) -> None:
        raise AssertionError("catalog.json's catalog sections made again")

    monkeypatch.setattr(outputs, "catalog_sections", refused)


def _edit_page(site) -> None:
    page = sorted((site / "content").glob("*.md"))[7]
    page.write_text(page.read_text() + "\nOne more sentence.\n")


def _entries(site) -> list[tuple[str, str, str]]:
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        prefix = _key(outputs.CATALOG_SECTIONS, "")
        return db.execute("SELECT key, data, text FROM entries WHERE key LIKE ?", (prefix + "%",)).fetchall()


def test_a_page_edit_does_not_make_catalog_jsons_catalog_sections_again(run, site, tmp_path, monkeypatch) -> None:
    _edit_page(site)
    with monkeypatch.context() as refusing:
        _refuse_sections(refusing)
        result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    assert "altered" not in result.output
    assert tree(site / "public") == clean_build(run, site, tmp_path)


def test_a_catalog_edit_makes_catalog_jsons_catalog_sections_again(run, site, tmp_path, monkeypatch) -> None:
    catalog = site / "catalog.yaml"
    catalog.write_text(re.sub(r"objective: [0-9.]+", "objective: 97.5", catalog.read_text(), count=1))
    made: list[object] = []
    real = outputs.catalog_sections
    monkeypatch.setattr(outputs, "catalog_sections", lambda c: made.append(c) or real(c))
    assert run("build", "--source", site).exit_code == 0
    assert len(made) == 1
    monkeypatch.undo()
    assert '"objective": 97.5' in (site / "public" / "catalog.json").read_text()
    assert tree(site / "public") == clean_build(run, site, tmp_path)


@pytest.mark.parametrize("how", ["altered", "forged into another shape", "forged empty"])
def test_catalog_jsons_catalog_sections_altered_in_the_store_are_made_again(
    run, site, tmp_path, monkeypatch, how: str
) -> None:
    # altered: its checksum no longer matches (named in the build's warning); forged: a matching
    # checksum over data that is not a list of lines (made again all the same)
    (key, data, text), *others = _entries(site)
    assert not others
    lines = json.loads(data)
    assert isinstance(lines, list) and lines
    forged = {
        "altered": json.dumps(['  "POISON": 1', *lines[1:]]),
        "forged into another shape": json.dumps({"lines": lines}),
        "forged empty": "[]",
    }[how]
    with sqlite3.connect(store_file(site / ".servicebook-cache")) as db:
        if how == "altered":
            db.execute("UPDATE entries SET data = ? WHERE key = ?", (forged, key))
        else:
            db.execute(
                "UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (forged, checksum(forged, "", text), key)
            )
    _edit_page(site)
    made: list[object] = []
    real = outputs.catalog_sections
    monkeypatch.setattr(outputs, "catalog_sections", lambda c: made.append(c) or real(c))
    result = run("build", "--source", site)
    assert result.exit_code == 0
    assert len(made) == 1
    assert ("catalog.json's catalog sections" in result.output) == (how == "altered")
    monkeypatch.undo()
    assert "POISON" not in (site / "public" / "catalog.json").read_text()
    assert tree(site / "public") == clean_build(run, site, tmp_path)
    _edit_page(site)  # and the lines stored again are taken by the next build
    with monkeypatch.context() as refusing:
        _refuse_sections(refusing)
        assert run("build", "--source", site).exit_code == 0
