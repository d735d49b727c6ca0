"""The search index of a catalog far larger than the example stays within its size budget and the
search page answers from it in the browser. How fast it answers is measured by
bench/search_bench.py (figures in bench/README.md), never asserted here: a test that times a
shared CI machine fails by luck."""

from __future__ import annotations

import shutil
import sys

import pytest

from servicebook import routes
from servicebook.site.load import load
from servicebook.site.search import search_files
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
  while (!document.querySelector('#search-status').textContent.includes('42')) { await new Promise(r => setTimeout(r, 1)); }
  return {count: count, status: document.querySelector('#search-status').textContent};
}"""


INDEX_BUDGET = 2 * 1024 * 1024  # bytes a first query may fetch at most: the manifest and the largest fragments


def test_large_catalog_index_stays_in_its_budget_and_answers(page, example_public, tmp_path) -> None:
    (tmp_path / "large").mkdir()
    size = write_large_catalog(tmp_path / "large")
    loaded = load(tmp_path / "large", {"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    assert loaded.site is not None, loaded.problems
    files = search_files(site_view(loaded.site))
    public = tmp_path / "public"
    shutil.copytree(example_public, public)
    shutil.rmtree(public / "search/r")
    shutil.rmtree(public / "search/w")
    shutil.rmtree(public / "search/t")
    for path, data in files.items():
        (public / path).parent.mkdir(parents=True, exist_ok=True)
        (public / path).write_bytes(data)
    with static_server(public) as url:
        page.goto(url + "search/")
        answer = page.evaluate(ANSWER, "gateway")
    assert answer["count"] > 0
    assert "42" in answer["status"]
    assert len(files[routes.SEARCH_INDEX]) < 64 * 1024, "the manifest every first query fetches"
    assert max(map(len, files.values())) < INDEX_BUDGET, f"a search fragment over budget for {size}"
