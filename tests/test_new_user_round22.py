"""What a new user met, installing the wheel and working through a platform team's second week
(newuser22): each a behaviour that was wrong, and is said here as it should be."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import require_component

NOBODY = "65534"


def test_init_in_a_folder_it_may_not_list_says_so_without_a_traceback(tmp_path: Path) -> None:
    require_component(os.geteuid() == 0, "root, to run init as another user", "run the tests as root (CI does)")
    require_component(shutil.which("setpriv"), "setpriv", "install util-linux")
    here = tmp_path / "enter-only"
    here.mkdir(mode=0o311)
    here.chmod(0o311)  # others may enter it, not list it (root lists every folder: so run as nobody)
    tmp_path.chmod(0o755)
    done = subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            sys.executable,
            "-m",
            "servicebook",
            "init",
        ],
        cwd=here,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(here)},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "error: cannot read the current folder (Permission denied): name the folder for the new site, "
        "`servicebook init my-catalog`, somewhere you may write"
    )


def test_a_policy_page_that_opens_with_its_title_has_one_h1_which_keeps_the_heading_anchor(
    run, site_copy, tmp_path: Path
) -> None:
    root = site_copy("minimal")
    page = root / "content/welcome.md"
    text = page.read_text()
    opening = "---\n\n## What we support"
    assert opening in text
    # brought in from a wiki: its title as a heading, and a link to that heading
    page.write_text(
        text.replace(opening, "---\n\n# How we work\n\nBack to [the top](#how-we-work).\n\n## What we support")
    )
    out = tmp_path / "public"
    result = run("build", "--source", root, "--output", out)
    assert result.exit_code == 0, result.output
    html = (out / "policies/welcome/index.html").read_text()
    assert html.count("<h1") == 1
    assert '<h1 id="how-we-work">How we work</h1>' in html
    assert '<a href="#how-we-work">the top</a>' in html

    # a first heading that is not the title is the body's own, kept where it is
    page.write_text(text.replace(opening, "---\n\n# Our rules\n\n## What we support"))
    assert run("build", "--source", root, "--output", out).exit_code == 0
    html = (out / "policies/welcome/index.html").read_text()
    assert "<h1>How we work</h1>" in html
    assert '<h1 id="our-rules">Our rules<a class="anchor"' in html


def test_a_tool_page_says_when_its_review_by_date_has_passed_at_the_build(run, site_copy, env, tmp_path: Path) -> None:
    root = site_copy("minimal")
    catalog = root / "catalog.yaml"
    text = catalog.read_text()
    assert text.count("    since: 2026-01-01\n") >= 1
    catalog.write_text(text.replace("    since: 2026-01-01\n", "    since: 2026-01-01\n    review_by: 2026-06-30\n"))
    out = tmp_path / "public"
    overdue = "overdue: this decision was due for review before this catalog was built"
    env["SOURCE_DATE_EPOCH"] = "1782000000"  # 2026-06-21: before the review date
    assert run("build", "--source", root, "--output", out).exit_code == 0
    page = (out / "tools/shared-pipelines/index.html").read_text()
    assert '<time datetime="2026-06-30">2026-06-30</time></dd>' in page
    assert overdue not in page
    env["SOURCE_DATE_EPOCH"] = "1790000000"  # 2026-09-21: after it (the build warns, and now the page says so)
    result = run("build", "--source", root, "--output", out)
    assert result.exit_code == 0
    assert "was due for review on 2026-06-30" in result.output
    page = (out / "tools/shared-pipelines/index.html").read_text()
    assert f'<time datetime="2026-06-30">2026-06-30</time> <strong class="stale">{overdue}</strong></dd>' in page
