"""An old link to an offering or a tool that a commit removed from the catalog: the page at its
address says what it was, when and by which commit it went, and what to use instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sitefiles import clean_build, tree
from .test_history_command import scripted

pytestmark = pytest.mark.git


def test_a_removed_offering_s_address_says_when_and_by_which_commit_it_went_and_what_replaced_it(
    tmp_path: Path, run
) -> None:
    site, commits = scripted(tmp_path / "repo")
    assert run("build", "--source", site.root).exit_code == 0
    page = (site.root / "public/offerings/artifacts/index.html").read_text()
    assert "<title>Artifact registry (removed)" in page
    assert '<meta name="robots" content="noindex">' in page
    assert (
        "The offering <code>artifacts</code> is no longer in the catalog: it was removed on 2026-05-28 by commit "
        f"<code>{commits['removed'][:12]}</code> (Test Author: “Remove the artifact registry”)."
    ) in page
    assert '<p class="gone-instead">Use <a href="../ci/">CI pipelines</a> instead.</p>' in page
    # its history up to the removal, as its page had it
    assert "Offering “Artifact registry” (artifacts) removed; use ci instead" in page
    assert "Offering “Artifact registry” (artifacts) added" in page
    # not listed with the offerings
    assert "offerings/artifacts/" not in (site.root / "public/offerings/index.html").read_text()


def test_a_removed_tool_s_address_names_its_alternative(tmp_path: Path, run) -> None:
    site, _ = scripted(tmp_path / "repo")
    text = site.catalog.read_text()
    start = text.index("  - id: jenkins\n")
    site.catalog.write_text(text[:start] + text[text.index("  - id: hand-rolled-scripts", start) :])
    removed = site.commit("Drop Jenkins from the catalog")
    assert run("build", "--source", site.root).exit_code == 0, run("check", "--source", site.root).output
    page = (site.root / "public/tools/jenkins/index.html").read_text()
    assert f"<code>{removed[:12]}</code>" in page
    assert '<p class="gone-instead">Use <a href="../shared-pipelines/">Shared pipeline templates</a> instead.' in page
    assert "removed from the catalog (was unsupported; use shared-pipelines instead)" in page
    assert "<title>Jenkins (removed)" in page
    # as a build from nothing makes it
    assert tree(site.root / "public") == clean_build(run, site.root, tmp_path)


def test_an_offering_added_again_has_its_own_page_not_the_removed_one(tmp_path: Path, run) -> None:
    site, _ = scripted(tmp_path / "repo")
    site.edit(
        "tools:\n  - id: shared",
        "  - id: artifacts\n    name: Artifacts again\n    summary: Back.\n"
        '    owner: Platform Team\n    tier: "2"\n    lifecycle: beta\n    audience: [developers]\n'
        "    request:\n      how: Ask.\ntools:\n  - id: shared",
    )
    site.commit("Bring the artifact registry back")
    result = run("build", "--source", site.root)
    assert result.exit_code == 0, result.output
    page = (site.root / "public/offerings/artifacts/index.html").read_text()
    assert "Artifacts again" in page and "no longer in the catalog" not in page


def test_diff_names_what_to_use_instead_of_a_removed_offering(tmp_path: Path, run) -> None:
    site, commits = scripted(tmp_path / "repo")
    result = run("diff", commits["deprecated"], commits["removed"], "--source", site.root)
    assert result.exit_code == 0, result.output
    assert "Offering “Artifact registry” (artifacts) removed; use ci instead" in result.stdout
    doc = run("diff", commits["deprecated"], commits["removed"], "--source", site.root, "--format", "json")
    assert '"after": "ci"' in doc.stdout


def test_promised_about_a_removed_offering_names_what_its_catalog_said_to_use_instead(tmp_path: Path, run) -> None:
    site, commits = scripted(tmp_path / "repo")
    result = run("promised", "--source", site.root, "--at", "2026-05-28T06:00Z", "--offering", "artifacts")
    assert result.exit_code == 2
    assert f"it was removed by commit {commits['removed'][:12]} of 2026-05-28 05:00 UTC" in result.stderr
    assert result.stderr.rstrip().endswith("; its replaced_by named ci to use instead")


def test_a_removal_made_by_a_commit_whose_catalog_did_not_validate_names_that_commit(tmp_path: Path, run) -> None:
    """The removal is shown with the first commit after it whose catalog validates, as the changes
    page shows it: the page names the commits before it that it carries."""
    site, _ = scripted(tmp_path / "repo")
    text = site.catalog.read_text()
    start = text.index("  - id: jenkins\n")
    site.catalog.write_text(text[:start] + text[text.index("  - id: hand-rolled-scripts", start) :])
    site.edit("tools: [shared-pipelines, hand-rolled-scripts]", "tools: [shared-pipelines, jenkins]")
    broken = site.commit("Drop Jenkins")  # ci still names it: the catalog does not validate
    site.edit("tools: [shared-pipelines, jenkins]", "tools: [shared-pipelines, hand-rolled-scripts]")
    fixed = site.commit("ci: stop naming Jenkins")
    result = run("build", "--source", site.root)
    assert result.exit_code == 0, result.output
    page = (site.root / "public/tools/jenkins/index.html").read_text()
    assert f"by commit <code>{fixed[:12]}</code>" in page
    assert (
        f"<p>It went with the changes of commit <code>{broken[:12]}</code> of 2026-05-28 (“Drop Jenkins”), whose "
        "catalog did not validate: the removal may have been made there.</p>"
    ) in page
