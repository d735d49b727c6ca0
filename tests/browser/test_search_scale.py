"""The search index of a catalog far larger than the example stays within its size budget and the
search page answers from it in the browser. How fast it answers is measured by
bench/search_bench.py (figures in bench/README.md), never asserted here: a test that times a
shared CI machine fails by luck."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from servicebook.site.load import load
from servicebook.site.search import search_index
from servicebook.site.views import site_view

from ..conftest import FIXED_EPOCH, REPO
from .conftest import static_server

sys.path.insert(0, str(REPO / "bench"))
from large_catalog import write_large_catalog

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

ANSWER = """async (query) => {
  const input = document.querySelector('#search-q');
  input.value = query;
  input.dispatchEvent(new Event('input'));
  const first = () => document.querySelector('#search-results .result');
  while (!first()) { await new Promise(r => setTimeout(r, 5)); }
  const count = document.querySelectorAll('#search-results .result').length;
  input.value = query + ' 42';
  input.dispatchEvent(new Event('input'));
  while (!document.querySelector('#search-status').textContent.includes('42')) { await new Promise(r => setTimeout(r, 5)); }
  return {count: count, status: document.querySelector('#search-status').textContent};
}"""
INDEX_BUDGET = 2 * 1024 * 1024  # bytes of search/index.json for 1,000 offerings and 3,000 tools


def test_large_catalog_index_stays_in_its_budget_and_answers(page, example_public, tmp_path) -> None:
    (tmp_path / "large").mkdir()
    size = write_large_catalog(tmp_path / "large")
    loaded = load(tmp_path / "large", {"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    assert loaded.site is not None, loaded.problems
    raw = json.dumps(search_index(site_view(loaded.site)), ensure_ascii=False, separators=(",", ":")).encode()
    public = tmp_path / "public"
    shutil.copytree(example_public, public)
    (public / "search/index.json").write_bytes(raw)
    with static_server(public) as url:
        page.goto(url + "search/")
        answer = page.evaluate(ANSWER, "gateway")
    assert answer["count"] > 0
    assert "42" in answer["status"]
    assert len(raw) < INDEX_BUDGET, f"search/index.json is {len(raw):,} bytes for {size}"
