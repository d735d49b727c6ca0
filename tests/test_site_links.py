"""`site:` links in policy pages: what only the built site can settle (an #anchor on a page the
site makes) is reported at the link in the Markdown, the same way by check and build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import SITES, GitSite


def _link(site: Path, markdown: str) -> None:
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text() + f"\n{markdown}\n")


def _line_of(site: Path, text: str) -> int:
    lines = (site / "content" / "welcome.md").read_text().split("\n")
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_a_missing_anchor_on_a_site_page_is_reported_at_the_link(run, site_copy, monkeypatch) -> None:
    site = site_copy("minimal")
    monkeypatch.chdir(site)
    _link(site, "Ask us: [support times](site:support#times), or [see](site:support#contacts).")
    line = _line_of(site, "site:support#times")
    expected = [
        f"content/welcome.md:{line}:25: error: broken link: the support page has no '#times'",
        f" {line} | Ask us: [support times](site:support#times), or [see](site:support#contacts).",
        "    |                         ^",
    ]
    for command in ("check", "build"):
        result = run(command, "--source", site)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[:3] == expected
        assert lines[3].startswith("  hint: its anchors: channels, contacts, hours, on-call, response-targets, ")
        assert lines[-1] == (
            "check failed: 1 error." if command == "check" else "build failed: 1 error; nothing was written."
        )
    doc = json.loads(run("check", "--source", site, "--format", "json").stdout)
    assert [(p["file"], p["line"], p["column"]) for p in doc["problems"]] == [("content/welcome.md", line, 25)]


def test_a_near_miss_anchor_gets_a_did_you_mean(run, site_copy) -> None:
    site = site_copy("minimal")
    _link(site, "[who](site:support#contact)")
    result = run("check", "--source", site)
    assert "broken link: the support page has no '#contact'" in result.stderr
    assert "  hint: did you mean 'contacts'?" in result.stderr


def test_every_place_a_broken_site_link_is_written_is_reported(run, site_copy, monkeypatch) -> None:
    # and only there: the same text as an example, in code, is not a link
    site = site_copy("minimal")
    monkeypatch.chdir(site)
    _link(
        site,
        "[a](site:#nowhere) and <site:#nowhere> not `site:#nowhere`\n\n[b]: site:#nowhere\n\n```\nsite:#nowhere\n```",
    )
    result = run("check", "--source", site)
    located = [line.split(": error: ")[0] for line in result.stderr.splitlines() if ": error: " in line]
    first = _line_of(site, "[a](site:#nowhere)")
    assert located == [
        f"content/welcome.md:{first}:5",
        f"content/welcome.md:{first}:25",
        f"content/welcome.md:{first + 2}:6",
    ]


def test_a_link_to_the_changes_page_passes_check_as_it_passes_build(run, site_copy) -> None:
    # every build makes changes/ (outside git it says there is no history): check must not refuse it
    site = site_copy("minimal")
    _link(site, "What changed: [changes](site:changes).")
    assert run("check", "--source", site).exit_code == 0
    assert run("build", "--source", site).exit_code == 0
    assert (site / "public" / "changes" / "index.html").is_file()


def test_the_parts_of_the_support_page_can_be_linked(run, site_copy) -> None:
    site = site_copy("minimal")
    parts = ("hours", "on-call", "channels", "response-targets", "contacts")
    _link(site, " ".join(f"[{part}](site:support#{part})" for part in parts))
    assert run("build", "--source", site).exit_code == 0
    support = (site / "public" / "support" / "index.html").read_text()
    assert all(f'id="{part}"' in support for part in parts)
    # only there: the offering pages and the one-page catalog repeat these parts, without ids
    for page in ("catalog/index.html", "offerings/ci/index.html"):
        assert 'id="hours"' not in (site / "public" / page).read_text()


def test_a_policy_heading_named_like_a_support_part_keeps_its_own_anchor(run, site_copy) -> None:
    site = site_copy("minimal")
    _link(site, "## Escalation\n\n[here](#escalation)")
    assert run("build", "--source", site).exit_code == 0
    assert 'id="escalation"' in (site / "public" / "policies" / "welcome" / "index.html").read_text()


def test_a_link_can_name_a_part_of_an_offering_or_tool_page(run, site_copy, monkeypatch) -> None:
    # an SLO (#slo-<id>), a section: checked on the built page, by check as by build
    site = site_copy("minimal")
    monkeypatch.chdir(site)
    _link(site, "[SLO](offering:ci#slo-availability), [why](tool:hand-rolled-scripts#why)")
    assert run("check").exit_code == 0
    assert run("build").exit_code == 0
    page = (site / "public" / "policies" / "welcome" / "index.html").read_text()
    assert 'href="../../offerings/ci/#slo-availability"' in page
    _link(site, "[gone](offering:ci#slo-latency)")
    line = _line_of(site, "offering:ci#slo-latency")
    for command in ("check", "build"):
        lines = run(command).stderr.splitlines()
        assert (
            lines[0]
            == f"content/welcome.md:{line}:8: error: broken link: offering 'ci' has no '#slo-latency' on its page"
        )
        assert lines[3].startswith("  hint: ")


@pytest.mark.parametrize(
    ("link", "edit"),
    [
        ("offering:ci#slo-availability", ("- id: availability", "- id: start-time")),  # the SLO renamed
        ("site:support#severity-sev1", ("- id: sev1", "- id: p1")),  # the severity renamed
    ],
)
def test_a_kept_page_whose_link_lost_its_anchor_fails_the_rebuild_as_a_build_from_nothing(
    run, site_copy, monkeypatch, link, edit
) -> None:
    # the page is kept (its Markdown did not change), but the page it links into was made again
    # without the anchor: the rebuild says so at the link, as a build from nothing would
    site = site_copy("minimal")
    monkeypatch.chdir(site)
    _link(site, f"[there]({link})")
    assert run("build").exit_code == 0
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace(*edit))
    rebuilt = run("build")
    assert rebuilt.exit_code == 1, rebuilt.stderr
    line = _line_of(site, link)
    assert rebuilt.stderr.startswith(f"content/welcome.md:{line}:9: error: broken link: "), rebuilt.stderr
    assert (site / ".servicebook-cache").is_dir()  # the rebuild had the last build's pages to keep
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".servicebook-cache")
    assert run("build").stderr == rebuilt.stderr


def test_a_link_to_the_history_of_an_offering_is_refused_as_releases_lack_it(run, site_copy, monkeypatch) -> None:
    site = site_copy("minimal")
    monkeypatch.chdir(site)
    _link(site, "[how it changed](offering:ci#history)")
    line = _line_of(site, "offering:ci#history")
    assert run("check").stderr.splitlines()[0::3][:2] == [
        f"content/welcome.md:{line}:18: error: links to the history of offering pages are not allowed: only the "
        "current catalog's pages have it, not the releases under v/<version>/ that keep this page",
        "  hint: link to the page itself: offering:ci",
    ]


@pytest.mark.git
def test_a_release_whose_pages_link_to_the_changes_page_leads_its_readers_to_the_roots(run, tmp_path) -> None:
    # releases keep no history of their own: such a link made every release unbuildable; each
    # release now publishes a changes page of its own that sends readers on to the root's
    shutil.copytree(SITES / "minimal", tmp_path / "repo")
    repo = GitSite(tmp_path / "repo")
    repo.write(".gitignore", "/public/\n/.servicebook-cache/\n")
    repo.edit(
        "during business hours.", "during business hours; see [what changed](site:changes).", "content/welcome.md"
    )
    repo.commit("0.1")
    repo.tag("v0.1")
    repo.edit('version: "0.1"', 'version: "0.2"')
    repo.commit("0.2")
    result = run("build", "--source", repo.root, "--strict")
    assert result.exit_code == 0, result.output
    public = repo.root / "public"
    assert sorted(p.name for p in (public / "v").iterdir()) == ["0.1", "0.2"]
    # the same Markdown makes the same link in the release as at the root, unchanged after rendering
    assert 'href="../../changes/"' in (public / "v/0.1/policies/welcome/index.html").read_text()
    assert 'href="../../changes/"' in (public / "policies/welcome/index.html").read_text()
    pointer = (public / "v/0.1/changes/index.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=../../../changes/">' in pointer
    assert '<a href="../../../changes/">Changes</a>' in pointer
    assert run("verify", "--source", repo.root, "--site", public).exit_code == 0
