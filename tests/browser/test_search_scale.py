"""The search index of a catalog far larger than the example loads and answers in well under a
second in the browser. The figures are printed at the end of the run."""

from __future__ import annotations

import shutil

import pytest

from servicebook.site.load import load
from servicebook.site.search import search_files
from servicebook.site.views import site_view

from ..conftest import FIXED_EPOCH
from .conftest import REPORT, static_server
from .large_catalog import write_large_catalog

pytestmark = [pytest.mark.browser, pytest.mark.git]  # the example site is built in a git repository

MEASURE = """async (query) => {
  const t0 = performance.now();
  const input = document.querySelector('#search-q');
  input.value = query;
  input.dispatchEvent(new Event('input'));
  const first = () => document.querySelector('#search-results .result');
  while (!first()) { await new Promise(r => setTimeout(r, 5)); }
  const loaded = performance.now() - t0;
  const t1 = performance.now();
  input.value = query + ' 42';
  input.dispatchEvent(new Event('input'));
  while (!document.querySelector('#search-status').textContent.includes('42')) { await new Promise(r => setTimeout(r, 1)); }
  return {first: loaded, next: performance.now() - t1, count: document.querySelectorAll('#search-results .result').length};
}"""


def test_large_catalog_index_loads_and_answers_fast(page, example_public, tmp_path) -> None:
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
        timing = page.evaluate(MEASURE, "gateway")
    assert timing["count"] > 0
    assert timing["first"] < 1000, timing  # download + parse + first answer
    assert timing["next"] < 250, timing  # each keystroke after that
    REPORT.append(
        f"search, {size['offerings']} offerings / {size['slos']} SLOs / {size['tools']} tools / {size['pages']} policies: "
        f"index {sum(map(len, files.values())) / 1024:.0f} KB in {len(files)} files, first answer {timing['first']:.0f} ms (fetch+parse+search), "
        f"next keystroke {timing['next']:.0f} ms"
    )
