"""`servicebook serve`: rebuilds on change, shows errors in page and terminal, never dies."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from servicebook.site.serve import error_page, inject, is_source, watched_dirs

from .conftest import FIXED_EPOCH
from .servehelp import running_serve, wait_for

PAGE = '<!doctype html>\n<html><head>\n<meta http-equiv="Content-Security-Policy" content="x">\n</head>\n<body data-root="./">\n<p>hi</p></body></html>'


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # only ever 127.0.0.1
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_injected_reload_script_is_a_file_and_the_csp_stays_first() -> None:
    served = inject(PAGE, 7, None)
    assert served.index("Content-Security-Policy") < served.index("/__servicebook/reload.js")
    assert '<script src="/__servicebook/reload.js" data-generation="7" defer></script></head>' in served
    assert "<script>" not in served and "style=" not in served


def test_errors_are_shown_escaped_at_the_top_of_the_body() -> None:
    served = inject(PAGE, 2, "catalog.yaml:3:1: error: <script>")
    body = served.split('<body data-root="./">', 1)[1]
    assert body.startswith('<div class="sb-serve-errors" role="alert">')
    assert "catalog.yaml:3:1: error: &lt;script&gt;" in body
    assert "catalog.yaml:1:1" in error_page(1, "catalog.yaml:1:1: error: x")


def test_only_catalog_content_and_layouts_trigger_a_rebuild(tmp_path: Path) -> None:
    assert is_source(tmp_path / "catalog.yaml", tmp_path)
    assert is_source(tmp_path / "content/a/b.md", tmp_path)
    assert is_source(tmp_path / "layouts/base.html", tmp_path)
    assert not is_source(tmp_path / "public/index.html", tmp_path)
    assert not is_source(tmp_path / ".catalog.yaml.swp", tmp_path)
    assert not is_source(tmp_path.parent / "catalog.yaml", tmp_path)


def test_watched_folders_skip_everything_but_the_sources(tmp_path: Path) -> None:
    for folder in ("content/guides", "layouts", ".venv/lib/python", ".git/objects", "public/x"):
        (tmp_path / folder).mkdir(parents=True)
    assert watched_dirs(tmp_path) == (
        str(tmp_path),
        str(tmp_path / "content"),
        str(tmp_path / "content/guides"),
        str(tmp_path / "layouts"),
    )


def test_serve_rebuilds_shows_errors_and_keeps_the_last_good_build(site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    with running_serve(site, FIXED_EPOCH) as served:
        version = lambda: json.loads(fetch(served.url + "__servicebook/version")[1])  # noqa: E731
        assert version() == {"generation": 1, "ok": True}
        status, html = fetch(served.url + "offerings/ci/")
        assert status == 200 and "<h1>CI pipelines</h1>" in html
        assert '<script src="/__servicebook/reload.js" data-generation="1" defer>' in html

        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        wait_for(lambda: version()["generation"] == 2, what="the rebuild")
        assert version()["ok"] is False
        status, html = fetch(served.url + "offerings/ci/")
        assert status == 200 and "<h1>CI pipelines</h1>" in html  # the last good build
        assert re.search(r'class="sb-serve-errors".*catalog\.yaml:59:20: error: ', html, re.S)
        wait_for(lambda: "Serving the last good build" in served.output(), what="the terminal")
        assert "catalog.yaml:59:20: error: 'objective' must be a percentage" in served.output()

        catalog.write_text(catalog.read_text().replace("objective: 199.5", "objective: 99.9"))
        wait_for(lambda: version() == {"generation": 3, "ok": True}, what="the fixed build")
        status, html = fetch(served.url + "offerings/ci/")
        assert "99.9 %" in html and "sb-serve-errors" not in html
        assert fetch(served.url + "nowhere/")[0] == 404
        assert served.process.poll() is None


def test_serve_names_files_as_check_and_build_do(site_copy, tmp_path, monkeypatch) -> None:
    from servicebook.site.serve import Preview

    site = site_copy("minimal")  # tmp_path/minimal
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    monkeypatch.chdir(tmp_path)
    said: list[str] = []
    preview = Preview(Path("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append)
    try:
        assert preview.rebuild()
        assert said[0].startswith("minimal/catalog.yaml:") and ": warning: '#platform' starts a YAML comment" in said[0]
        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        assert not preview.rebuild()
        errors = preview.state()[1]
        assert errors is not None and "\nminimal/catalog.yaml:" in "\n" + errors
        assert "minimal/catalog.yaml:" in said[-2]
    finally:
        preview.close()


def test_serve_shows_each_warning_once_per_session(site_copy, tmp_path, monkeypatch) -> None:
    from servicebook.site.serve import Preview

    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("name: Platform Team", "name: Platform Team #platform", 1))
    monkeypatch.chdir(tmp_path)
    said: list[str] = []
    preview = Preview(Path("minimal"), {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append)
    trap = ": warning: '#platform' starts a YAML comment"
    try:
        assert preview.rebuild()
        assert sum(trap in line for line in said) == 1
        assert said[-1] == "Rebuilt: 15 pages."
        # an edit above it moves the warning down a line: the same warning, not shown again
        said.clear()
        catalog.write_text("# edited\n" + catalog.read_text())
        assert preview.rebuild()
        assert said == ["Rebuilt: 15 pages (1 warning shown before still applies)."]
        # a new warning is shown, the old one is not
        said.clear()
        catalog.write_text(catalog.read_text().replace("name: CI pipelines", "name: CI pipelines #ci", 1))
        assert preview.rebuild()
        assert len(said) == 2
        assert said[0].startswith("minimal/catalog.yaml:") and ": warning: '#ci' starts a YAML comment" in said[0]
        assert said[1] == "Rebuilt: 15 pages (1 warning shown before still applies)."
        # a failed build in between does not make the preview forget what it showed
        said.clear()
        catalog.write_text(catalog.read_text().replace("objective: 99.5", "objective: 199.5"))
        assert not preview.rebuild()
        catalog.write_text(catalog.read_text().replace("objective: 199.5", "objective: 99.5"))
        said.clear()
        assert preview.rebuild()
        assert said == ["Rebuilt: 15 pages (2 warnings shown before still apply)."]
    finally:
        preview.close()


@pytest.mark.git
def test_serve_shows_a_shallow_clone_warning_once(git_site, tmp_path) -> None:
    import os
    import subprocess

    from servicebook.site.serve import Preview

    git_site.edit("objective: 99.5", "objective: 99.6")
    git_site.commit("second")
    clone = tmp_path / "shallow"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{git_site.root}", str(clone)], check=True, env=env)
    said: list[str] = []
    preview = Preview(clone, {"SOURCE_DATE_EPOCH": FIXED_EPOCH}, said.append, said.append)
    try:
        for n in range(3):
            (clone / "catalog.yaml").write_text((clone / "catalog.yaml").read_text() + f"# save {n}\n")
            assert preview.rebuild()
        shallow = [line for line in said if ": warning: this is a shallow clone: " in line]
        assert len(shallow) == 1
        assert said[-2:] == ["Rebuilt: 29 pages (1 warning shown before still applies)."] * 2
    finally:
        preview.close()
