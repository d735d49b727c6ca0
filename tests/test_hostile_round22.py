"""Hostile inputs of 7 Dec 2026 (twenty-second round): the files imported and the servers and
repositories servicebook talks to, as attackers (a Backstage descriptor whose substitutions read a
file over and over, a history cache entry of terabytes), each refused in words, located, within
bounded time and memory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from servicebook.cache.disk import MAX_ENTRY_BYTES
from servicebook.interop.fragment import MAX_IMPORT_BYTES

from .conftest import GitSite

COMPONENT = """---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc-{n}
  description:
    $text: ./description.txt
spec:
  type: service
  owner: platform
  lifecycle: production
"""


def test_backstage_substitutions_read_no_more_together_than_one_import_may(run, tmp_path: Path) -> None:
    """Backstage reads `$text: ./file` for each entity that names it, and so did the import: a file of
    8 MB named by 200 entities was read 200 times into a fragment of 1.6 GB, 12 CPU minutes (and a
    `$yaml` of short values is 790 MB of nodes each time). What the substitutions of one import read
    is counted together, each file each time it is read, and held to what one import may read: past
    it, the substitution is an error at its line and column, the file unread."""
    share = MAX_IMPORT_BYTES * 3 // 8  # two reads fit, the third does not
    (tmp_path / "description.txt").write_text("d" * (share - 1) + "\n")
    entities = tmp_path / "entities.yaml"
    entities.write_text("".join(COMPONENT.format(n=n) for n in range(4)))

    result = run("import", "backstage", entities)

    assert result.exit_code == 1, result.output[-2000:]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for n in (2, 3):  # each entity is 11 lines; its `$text` key on its 7th
        assert (
            f"{entities}:{11 * n + 7}:5: error: Component 'svc-{n}': $text ./description.txt: "
            f"{tmp_path}/description.txt is {share:,} bytes, after {2 * share:,} read by the substitutions "
            f"before it: more than one import reads ({MAX_IMPORT_BYTES:,} bytes)"
        ) in result.stderr
    assert "hint: write the value, or import the entities that name the file in parts" in result.stderr
    assert f"{entities}:{11 + 7}:5: error" not in result.stderr
    assert "import failed: 2 errors; nothing was written." in result.stderr


@pytest.mark.git
def test_a_history_cache_entry_of_a_terabyte_is_a_miss_not_read(run, git_site: GitSite) -> None:
    """The history parsed from git is kept in the cache as files of JSON, each read whole before its
    checksum was checked: a restored cache holding an entry of a terabyte with no data in it (a
    sparse file, a few kilobytes on disk) was a MemoryError, a traceback, and an entry of gigabytes
    as much memory. An entry larger than any servicebook writes is a miss, unread, made again from
    git; the site is what a cold build makes."""
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.commit("A higher objective")
    assert run("build", "--source", git_site.root).exit_code == 0
    public = git_site.root / "public"
    cold = {p.relative_to(public): p.read_bytes() for p in public.rglob("*") if p.is_file()}
    cache = git_site.root / ".servicebook-cache"
    entries = sorted((cache / "history").glob("*/*.json"))
    assert entries
    for entry in entries:
        os.truncate(entry, 1 << 40)
    for kept in ("store", "build", "releases", "sources"):  # so that the history is read again
        shutil.rmtree(cache / kept, ignore_errors=True)
    shutil.rmtree(public)

    result = run("build", "--source", git_site.root)

    assert result.exit_code == 0, result.output
    assert {p.relative_to(public): p.read_bytes() for p in public.rglob("*") if p.is_file()} == cold
    assert all(entry.stat().st_size < MAX_ENTRY_BYTES for entry in entries)  # written again, whole
