"""`servicebook check` reads and fills the build's store (.servicebook-cache/): pages whose sources
and code are unchanged are taken from it with their problems, anchors and links, so a check after
a build or a check costs what changed. The store is an optimisation only: the verdict is the one a
check without it gives, in every format, and nothing is written outside the cache."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from servicebook.cache import store as store_module
from servicebook.cache.folder import site_folder
from servicebook.cache.store import checksum, store_file

from .conftest import add_broken_layout_link

FORMATS = ("text", "json", "github")

GUIDE = """---
title: Guide
---

## Old heading

Use the [shared pipeline templates](tool:shared-pipelines), never
[hand-rolled scripts](tool:hand-rolled-scripts). See [how we work](welcome.md).
"""

LINKS = """---
title: Links
---

## Where to look

The [guide's first part](guide.md#old-heading), and [the guide](guide.md).
"""

# links to what another page shows, settled on the rendered site (content/sitelinks.py): this
# page's key does not change when the page it links to does
ANCHORS = """---
title: Anchors
---

## Where the numbers are

The [pipelines' availability](offering:ci#slo-availability) and [severities](site:support#severity-sev1).
"""

Verdict = tuple[int, str]  # exit code, stdout (the problems, in order, with their places)
Run = Callable[..., Result]


@pytest.fixture
def site(site_copy: Callable[[str], Path]) -> Path:
    """The minimal site with two more pages: one linking to the other's heading."""
    root = site_copy("minimal")
    (root / "content" / "guide.md").write_text(GUIDE)
    (root / "content" / "links.md").write_text(LINKS)
    (root / "content" / "anchors.md").write_text(ANCHORS)
    return root


def verdicts(run: Run, site: Path) -> dict[str, Verdict]:
    """check's verdict in each format, the store as it is."""
    found = {}
    for fmt in FORMATS:
        result = run("check", "--source", site, "--format", fmt)
        assert "Traceback" not in result.output
        found[fmt] = (result.exit_code, result.output)
    return found


def verdicts_without_store(run: Run, site: Path) -> dict[str, Verdict]:
    """check's verdict in each format with no store at all (the site's cache folder moved aside,
    and what these checks made of it removed)."""
    cache = site_folder(site)
    aside = site.parent / "cache-aside"
    shutil.move(cache, aside)
    try:
        return verdicts(run, site)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.move(aside, cache)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def break_a_fine_page(site: Path) -> None:
    edit(site / "content" / "guide.md", "(tool:shared-pipelines)", "(tool:shared-pipeline)")


def delete_a_linked_page(site: Path) -> None:
    (site / "content" / "guide.md").unlink()


def rename_a_linked_heading(site: Path) -> None:
    edit(site / "content" / "guide.md", "## Old heading", "## New heading")


def break_a_layout(site: Path) -> None:
    add_broken_layout_link(site)


def break_a_page_from_the_catalog(site: Path) -> None:
    """The tool a page links to leaves the catalog (the page is unchanged)."""
    catalog = site / "catalog.yaml"
    edit(catalog, "tools: [shared-pipelines, hand-rolled-scripts]", "tools: [shared-pipelines]")
    text = catalog.read_text()
    catalog.write_text(text[: text.index("  - id: hand-rolled-scripts")])


def rename_an_slo(site: Path) -> None:
    """The SLO another page links to by its anchor on its offering's page gets another id (that
    page is unchanged, and so is its key)."""
    edit(site / "catalog.yaml", "      - id: availability", "      - id: start-time")


def rename_an_offering(site: Path) -> None:
    """The offering other pages link to gets another id (they are unchanged)."""
    edit(site / "catalog.yaml", "  - id: ci\n    name: CI pipelines", "  - id: pipelines\n    name: CI pipelines")


def remove_a_severity(site: Path) -> None:
    """The support page loses the anchor a page links to (a catalog edit; the page is unchanged)."""
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    start = text.index("    - id: sev1")
    catalog.write_text(text[:start] + text[text.index("    - id: sev2") :])


CHANGES = [
    break_a_fine_page,
    delete_a_linked_page,
    rename_a_linked_heading,
    break_a_layout,
    break_a_page_from_the_catalog,
    rename_an_slo,
    rename_an_offering,
    remove_a_severity,
]


@pytest.mark.parametrize("filled_by", ["build", "check"])
@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_change_since_the_store_was_filled_gives_the_verdict_of_a_check_without_it(
    run: Run, site: Path, change: Callable[[Path], None], filled_by: str
) -> None:
    assert run(filled_by, "--source", site).exit_code == 0
    assert store_file(site_folder(site)).is_file()
    change(site)
    first = verdicts(run, site)  # with the store as the build or check left it
    assert all(code == 1 for code, _ in first.values()), first
    assert verdicts(run, site) == first  # and again, with what that check stored
    assert verdicts_without_store(run, site) == first


def test_a_page_fixed_since_the_store_was_filled_checks_clean(run: Run, site: Path) -> None:
    break_a_fine_page(site)
    assert run("check", "--source", site).exit_code == 1  # its problem stored with the page
    edit(site / "content" / "guide.md", "(tool:shared-pipeline)", "(tool:shared-pipelines)")
    fixed = verdicts(run, site)
    assert all(code == 0 for code, _ in fixed.values()), fixed
    assert verdicts_without_store(run, site) == fixed


def test_a_warning_is_said_again_by_a_check_that_takes_its_page_from_the_store(run: Run, site: Path) -> None:
    # (a page's located warnings are stored with it: a page read back says them at the same place)
    guide = site / "content" / "guide.md"
    guide.write_text(guide.read_text() + "\nSee [the notes](my notes.md).\n")
    first = verdicts(run, site)
    assert "an address cannot contain spaces" in first["json"][1]
    assert first["json"][0] == 0
    assert verdicts(run, site) == first
    assert verdicts_without_store(run, site) == first


def test_a_second_check_takes_the_pages_from_the_store(run: Run, site: Path) -> None:
    # The converse of the tests above, so that they cannot pass by a store never read: the good
    # page's entry made to say the problem its broken version had (checksum and all, as a forger
    # would) is what the next check reports of the good page.
    break_a_fine_page(site)
    assert run("check", "--source", site).exit_code == 1  # the broken page stored with its problem
    edit(site / "content" / "guide.md", "(tool:shared-pipeline)", "(tool:shared-pipelines)")
    assert run("check", "--source", site).exit_code == 0  # the good one stored too
    with sqlite3.connect(store_file(site_folder(site))) as db:
        guides = []
        for key, data, html, text in db.execute("SELECT key, data, html, text FROM entries").fetchall():
            stored = json.loads(data)
            if isinstance(stored, list) and len(stored) == 9 and stored[0] and stored[0][0] == "guide":
                guides.append((key, stored, html, text))
        [broken] = [g for g in guides if g[1][1]]
        [good] = [g for g in guides if not g[1][1]]
        key, forged, html, text = good
        forged[1] = broken[1][1]
        data = json.dumps(forged, separators=(",", ":"))
        db.execute("UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (data, checksum(data, html, text), key))
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert "shared-pipeline'" in result.output


def tree(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every file and folder under `root` but the cache folder: its mode and bytes (or link target)."""
    found: dict[str, tuple[int, bytes | str]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) != site_folder(root)]
        for name in [*dirs, *files]:
            path = Path(folder, name)
            info = path.lstat()
            body: bytes | str = os.readlink(path) if path.is_symlink() else b"" if path.is_dir() else path.read_bytes()
            found[str(path.relative_to(root))] = (info.st_mode, body)
    return found


def test_check_writes_nothing_outside_the_cache(run: Run, site: Path) -> None:
    assert run("build", "--source", site).exit_code == 0
    rename_a_linked_heading(site)
    before = tree(site)
    assert run("check", "--source", site).exit_code == 1
    assert run("check", "--source", site).exit_code == 1
    assert tree(site) == before
    rename_back = (site / "content" / "guide.md").read_text().replace("## New heading", "## Old heading")
    (site / "content" / "guide.md").write_text(rename_back)
    before = tree(site)
    assert run("check", "--source", site).exit_code == 0
    assert tree(site) == before


@pytest.fixture
def checked_once(run: Run, site: Path) -> Iterator[Path]:
    """The site checked once (its store filled), then given a broken page."""
    assert run("check", "--source", site).exit_code == 0
    break_a_fine_page(site)
    yield site


def _truncate(store: Path) -> None:
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 3])


def _garble(store: Path) -> None:
    store.write_bytes(b"not a database" * 1000)


def _make_read_only(store: Path) -> None:
    for path in [store.parent, *store.parent.iterdir()]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _remove(store: Path) -> None:
    shutil.rmtree(store.parent)


def _a_folder_in_its_place(store: Path) -> None:
    shutil.rmtree(store.parent)
    (store / "inside").mkdir(parents=True)


@pytest.mark.parametrize(
    "damage", [_truncate, _garble, _make_read_only, _remove, _a_folder_in_its_place], ids=lambda d: d.__name__[1:]
)
def test_a_damaged_or_missing_store_never_changes_the_verdict(
    run: Run, checked_once: Path, damage: Callable[[Path], None]
) -> None:
    site = checked_once
    expected = verdicts_without_store(run, site)
    store = store_file(site_folder(site))
    for extra in store.parent.glob(store.name + "-*"):  # the write-ahead log, as a killed process leaves it
        extra.unlink()
    damage(store)
    try:
        assert verdicts(run, site) == expected
    finally:
        for path in [store.parent, *store.parent.rglob("*")] if store.parent.exists() else []:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _entries(site: Path) -> Counter[str]:
    """How many entries of each kind the store holds (some are named by the output's path)."""
    with sqlite3.connect(store_file(site_folder(site))) as db:
        return Counter(re.split("[:#]", key)[0] for (key,) in db.execute("SELECT key FROM entries"))


def test_a_check_between_two_builds_does_not_make_the_second_drop_what_the_first_stored(
    run: Run, site: Path, tmp_path: Path
) -> None:
    # The store drops what neither the build that prunes nor the one before it used: a check does
    # not count as a build, so what the first build stored lives as long as with no check between.
    checked = shutil.copytree(site, tmp_path / "checked")
    for each in (site, checked):
        assert run("build", "--source", each).exit_code == 0
        guide = each / "content" / "guide.md"
        guide.write_text(guide.read_text() + "\nAnother sentence.\n")
    assert run("check", "--source", checked).exit_code == 0
    for each in (site, checked):
        assert run("build", "--source", each).exit_code == 0
    assert _entries(site) <= _entries(checked)


def test_a_check_while_a_build_writes_the_store_goes_on_without_it(
    run: Run, checked_once: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store's lock: a check waits for another process's write as a build does (here a moment,
    # not the few seconds a build waits), then checks without the store, with the same verdict.
    site = checked_once
    expected = verdicts_without_store(run, site)
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.1)
    with contextlib.closing(sqlite3.connect(store_file(site_folder(site)), isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")  # as a build storing its pages holds it
        assert verdicts(run, site) == expected
        db.execute("ROLLBACK")


def _public(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_build_from_what_checks_stored_is_the_build_from_nothing(run: Run, site: Path, tmp_path: Path) -> None:
    # What a check stores (pages, the search index's words, catalog.json's sections) is what a build
    # takes next: its output is still byte for byte the one of a build from nothing.
    assert run("build", "--source", site).exit_code == 0
    guide = site / "content" / "guide.md"
    guide.write_text(guide.read_text() + "\nA sentence the checks see first.\n")
    assert run("check", "--source", site).exit_code == 0
    edit(site / "catalog.yaml", "objective: 99.5", "objective: 99.7")
    assert run("check", "--source", site).exit_code == 0
    assert run("build", "--source", site).exit_code == 0
    fresh = shutil.copytree(site, tmp_path / "fresh", ignore=shutil.ignore_patterns("public", ".servicebook-cache"))
    assert run("build", "--source", fresh).exit_code == 0
    assert _public(site / "public") == _public(fresh / "public")


def test_a_check_after_a_check_takes_each_unchanged_pages_links_from_the_store(run: Run, site: Path) -> None:
    # What a check keeps of a page is its links and ids, by the page's key (site/scans.py), and a
    # page whose key is unchanged is not rendered again: the anchors page's entry made to hold one
    # more link (checksum and all, as a forger would) is what the next check reports of it.
    assert run("check", "--source", site).exit_code == 0
    with sqlite3.connect(store_file(site_folder(site))) as db:
        [(key, data, html, text)] = [
            row
            for row in db.execute("SELECT key, data, html, text FROM entries WHERE key LIKE '9.page-refs:%'")
            if "#slo-availability" in row[1]
        ]
        urls, ids = json.loads(data)
        forged = json.dumps([[*urls, "../../offerings/gone/"], ids])
        db.execute(
            "UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (forged, checksum(forged, html, text), key)
        )
    result = run("check", "--source", site, "--format", "json")
    assert result.exit_code == 1
    [problem] = json.loads(result.output)["problems"]
    assert problem["file"] == "policies/anchors/index.html"
    assert problem["message"] == "broken link to '../../offerings/gone/' (no offerings/gone/index.html in the site)"


def test_a_store_only_checks_fill_stops_growing(run: Run, site: Path) -> None:
    # A build drops what neither it nor the build before it used; a store no build opens (a
    # pre-commit hook that only ever checks) is pruned by its checks the same way, or every edit
    # of a page would leave its old entries in it for good.
    guide = site / "content" / "guide.md"
    held = []
    for n in range(4):
        guide.write_text(guide.read_text() + f"\nEdit number {n}.\n")
        assert run("check", "--source", site).exit_code == 0
        held.append(_entries(site))
    # each of the four pages, and the guide as the check before read it; each page's links and ids
    # likewise (the search index's words come and go as its own parts are merged, as in a build's)
    assert [h["4.page"] for h in held] == [4, 5, 5, 5]
    assert held[3]["9.page-refs"] == held[1]["9.page-refs"]


def test_a_check_drops_an_altered_entry_without_the_builds_warning(run: Run, checked_once: Path) -> None:
    # A build says it found cache entries altered on disk (and made them again); a check's verdict
    # is about the sources alone: the same entries are dropped and made again without a word.
    site = checked_once
    expected = verdicts_without_store(run, site)
    with sqlite3.connect(store_file(site_folder(site))) as db:
        db.execute("UPDATE entries SET data = data || ' '")  # every entry, its checksum not
    assert verdicts(run, site) == expected
    assert all("had been altered" not in output for _, output in expected.values()), expected
    with sqlite3.connect(store_file(site_folder(site))) as db:
        db.execute("UPDATE entries SET data = data || ' '")
    edit(site / "content" / "guide.md", "(tool:shared-pipeline)", "(tool:shared-pipelines)")
    built = run("build", "--source", site)
    assert built.exit_code == 0
    assert "had been altered" in built.output
