"""The versions page says when each release's annotated tag was made, beside its commit's date:
an auditor sees a release tagged weeks after its commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import three_releases

pytestmark = pytest.mark.git


def test_the_versions_page_names_when_an_annotated_tag_was_made(tmp_path: Path, run) -> None:
    site = three_releases(tmp_path / "repo")
    site.clock += 14 * 86400  # a fortnight after its commit
    site.git("tag", "-a", "v1.1", "-m", "release 1.1", "HEAD~1")  # the last commit of 1.1
    result = run("build", "--source", site.root)
    assert result.exit_code == 0, result.output
    html = (site.root / "public/versions/index.html").read_text()
    row = {v: html.split(f'id="v-{v}"', 1)[1].split("</tr>", 1)[0] for v in ("1.0", "1.1", "2.0")}
    # 2.0's annotated tag was made with its commit (GitSite's clock); 1.1's two weeks later
    assert (
        '<span class="muted small">tag v1.1, made <time datetime="2026-06-11T04:00:00Z">2026-06-11 04:00 UTC</time>'
        in row["1.1"]
    )
    assert '<time datetime="2026-05-28">2026-05-28</time>' in row["1.1"]  # its commit's day, as before
    assert '<span class="muted small">tag v2.0, made <time datetime="2026-05-28T04:00:00Z">' in row["2.0"]
    # a lightweight tag records no date: none is made up
    assert '<span class="muted small">tag v1.0</span>' in row["1.0"]
