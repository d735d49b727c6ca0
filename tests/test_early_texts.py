"""A first build writes the search index's text fragments (a file each policy page, made of that
page alone) from another process while it makes the index (render._write_early,
parallel.beside): the very files the index declares, written once, none of them by the data
files' pool; a build that can keep its last build's files writes none early; and fragments the
other process did not finish are made with the other data files."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import servicebook.site.build
import servicebook.site.render as render
from tests.sitefiles import generated_site, tree

if TYPE_CHECKING:
    from servicebook.site.parallel import Beside

TEXTS = "search/t/"


@pytest.fixture
def spooled(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, str]:
    """Builds that render into a staging folder (as a site of 1,000 pages and more does) over
    two worker processes."""
    monkeypatch.setattr(servicebook.site.build, "SPOOL_FROM", 0)
    env["SERVICEBOOK_WORKERS"] = "2"
    return env


def _made_by_the_data_pool(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the data files handed to the render workers, as the build hands them out."""
    handed: list[str] = []
    real = render.map_shared

    def watched(fn: Callable[..., Any], shared: Any, items: list[int], *args: Any, **kwargs: Any) -> Any:
        if fn is render.render_one:
            jobs = [*shared.specs, *shared.data]
            handed.extend(jobs[i].path for i in items if i >= len(shared.specs))
        return real(fn, shared, items, *args, **kwargs)

    monkeypatch.setattr(render, "map_shared", watched)
    return handed


def _beside_asked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each build, whether it gave another process work to do beside the index."""
    asked: list[bool] = []
    real = render.beside

    def watched(fn: Callable[[], object] | None, workers: int) -> Iterator[Beside]:
        asked.append(fn is not None)
        return real(fn, workers)  # type: ignore[return-value]

    monkeypatch.setattr(render, "beside", watched)
    return asked


def _built_alone(run, site: Path, tmp_path: Path, env: dict[str, str]) -> dict[str, bytes]:
    """The same sources built from nothing by one process (no worker, nothing beside the index)."""
    alone = tmp_path / "alone"
    shutil.copytree(site, alone, ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    env["SERVICEBOOK_WORKERS"] = "1"
    try:
        assert run("build", "--source", alone).exit_code == 0
    finally:
        env["SERVICEBOOK_WORKERS"] = "2"
    return tree(alone / "public")


def test_a_first_build_writes_the_text_fragments_beside_the_index_and_the_data_pool_makes_none(
    run, spooled, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = generated_site(tmp_path / "site", 30)
    handed = _made_by_the_data_pool(monkeypatch)
    assert run("build", "--source", site).exit_code == 0
    built = tree(site / "public")
    texts = sorted(p for p in built if p.startswith(TEXTS))
    assert len(texts) == 30  # one a policy page
    assert handed and not [p for p in handed if p.startswith(TEXTS)]  # the rest of the data files are
    assert built == _built_alone(run, site, tmp_path, spooled)


def test_a_build_that_can_keep_files_of_its_last_build_writes_none_early(
    run, spooled, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = generated_site(tmp_path / "site", 20)
    asked = _beside_asked(monkeypatch)
    assert run("build", "--source", site).exit_code == 0
    page = sorted((site / "content").glob("*.md"))[3]
    page.write_text(page.read_text() + "\nOne more line, and a new word: quokka.\n")
    assert run("build", "--source", site).exit_code == 0
    assert asked == [True, False]
    assert tree(site / "public") == _built_alone(run, site, tmp_path, spooled)


def _fails_half_way(view: Any, spool: Path) -> None:
    """Writes a wrong fragment where the first goes, then fails (a full disk, a bug)."""
    first = spool / next(render.text_files(view, render._early))[0]
    first.parent.mkdir(parents=True, exist_ok=True)
    first.write_bytes(b"not the fragment\n")
    raise OSError("no space left on device")


def test_text_fragments_the_other_process_did_not_write_are_made_with_the_other_data_files(
    run, spooled, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = generated_site(tmp_path / "site", 20)
    handed = _made_by_the_data_pool(monkeypatch)
    monkeypatch.setattr(render, "_write_early", _fails_half_way)
    assert run("build", "--source", site).exit_code == 0
    built = tree(site / "public")
    assert len([p for p in handed if p.startswith(TEXTS)]) == 20
    assert built == _built_alone(run, site, tmp_path, spooled)
