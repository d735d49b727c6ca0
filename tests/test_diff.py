"""`servicebook diff`: each kind of change to a catalog is named in the catalog's own terms, and
every change that weakens a commitment is flagged. Driven through scripted git repositories."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess

import pytest

from .conftest import SITES, GitSite

OFFERING = "  - id: ci\n    name: CI pipelines\n"
SLO_BLOCK = """    slos:
      - id: availability
        name: Pipeline availability
        sli: Share of pipeline runs that start within 60 seconds of being queued.
        objective: 99.5
        window: 30d
"""
NEW_OFFERING = """  - id: runners
    name: Build runners
    summary: Machines that run the pipelines.
    owner: Platform Team
    tier: "2"
    lifecycle: beta
    audience: [developers]
    request:
      how: Ask in the help channel.
"""

CASES = {
    "objective lowered": (
        [("objective: 99.5", "objective: 99.0")],
        [
            (
                "weakened",
                "slo.objective",
                "SLO “Pipeline availability” of “CI pipelines” lowered from 99.5 % to 99 %: the error budget grows "
                "from 3 h 36 min to 7 h 12 min per rolling 30 days",
            )
        ],
    ),
    "objective raised": (
        [("objective: 99.5", "objective: 99.9")],
        [
            (
                "strengthened",
                "slo.objective",
                "SLO “Pipeline availability” of “CI pipelines” raised from 99.5 % to 99.9 %: the error budget shrinks "
                "from 3 h 36 min to 43 min 12 s per rolling 30 days",
            )
        ],
    ),
    # A new window is a new promise even at the same objective: judged by its length (a longer
    # window lets a longer incident fit in the error budget), and at the same length a calendar
    # window judges only whole months where a rolling one judges every span of it.
    "window lengthened": (
        [("window: 30d", "window: 90d")],
        [
            (
                "weakened",
                "slo.window",
                "SLO “Pipeline availability” of “CI pipelines” window lengthened from rolling 30 days to rolling 90 "
                "days: a longer incident fits in its error budget (error budget 3 h 36 min per rolling 30 days → "
                "10 h 48 min per rolling 90 days)",
            )
        ],
    ),
    "window shortened": (
        [("window: 30d", "window: 7d")],
        [
            (
                "strengthened",
                "slo.window",
                "SLO “Pipeline availability” of “CI pipelines” window shortened from rolling 30 days to rolling 7 "
                "days: a shorter incident breaks it (error budget 3 h 36 min per rolling 30 days → 50 min 24 s per "
                "rolling 7 days)",
            )
        ],
    ),
    "window from rolling to calendar": (
        [("window: 30d", "window: calendar-month")],
        [
            (
                "weakened",
                "slo.window",
                "SLO “Pipeline availability” of “CI pipelines” window changed from rolling 30 days to calendar "
                "month: only whole months are judged: an incident across the turn of a month is split in two "
                "(error budget 3 h 36 min per rolling 30 days → 3 h 36 min per calendar month)",
            )
        ],
    ),
    "objective and window changed": (
        [("objective: 99.5\n        window: 30d", "objective: 99.0\n        window: calendar-month")],
        [
            (
                "weakened",
                "slo.objective",
                "SLO “Pipeline availability” of “CI pipelines” lowered from 99.5 % to 99 %: the error budget goes "
                "from 3 h 36 min per rolling 30 days to 7 h 12 min per calendar month",
            ),
            (
                "weakened",
                "slo.window",
                "SLO “Pipeline availability” of “CI pipelines” window changed from rolling 30 days to calendar "
                "month: only whole months are judged: an incident across the turn of a month is split in two",
            ),
        ],
    ),
    "sli changed": (
        [("within 60 seconds", "within 90 seconds")],
        [("neutral", "slo.sli", "SLO “Pipeline availability” of “CI pipelines” measures something else: SLI changed")],
    ),
    "slo removed": (
        [(SLO_BLOCK, "")],
        [
            (
                "weakened",
                "slo.removed",
                "SLO “Pipeline availability” of “CI pipelines” removed (was 99.5 % over rolling 30 days)",
            )
        ],
    ),
    "offering renamed": (
        [(OFFERING, "  - id: ci\n    name: Pipelines\n")],
        [("neutral", "offering.renamed", "Offering ci renamed from “CI pipelines” to “Pipelines”")],
    ),
    "offering deprecated": (
        [("lifecycle: ga", "lifecycle: deprecated")],
        [("weakened", "offering.lifecycle", "Offering “CI pipelines” moved from ga to deprecated")],
    ),
    "offering added": (
        [("tools:\n  - id: shared", NEW_OFFERING + "tools:\n  - id: shared")],
        [("neutral", "offering.added", "Offering “Build runners” (runners) added: beta, tier 2")],
    ),
    "support hours shortened": (
        [('end: "17:00"', 'end: "15:00"')],
        [
            (
                "weakened",
                "support.hours",
                "Team support hours changed from Mon–Fri 09:00–17:00 (UTC) to Mon–Fri 09:00–15:00 (UTC) "
                "(40 h a week → 30 h a week)",
            )
        ],
    ),
    "support days extended": (
        [("days: mon-fri", "days: mon-sat")],
        [
            (
                "strengthened",
                "support.hours",
                "Team support hours changed from Mon–Fri 09:00–17:00 (UTC) to Mon–Sat 09:00–17:00 (UTC) "
                "(40 h a week → 48 h a week)",
            )
        ],
    ),
    "response slower": (
        [("response: 30m", "response: 2h")],
        [
            (
                "weakened",
                "support.response",
                "Team support: first response for sev1 (Critical) slower, from 30 min to 2 h",
            )
        ],
    ),
    "coverage narrowed": (
        [("      coverage: 24x7\n", "")],
        [
            (
                "weakened",
                "support.coverage",
                "Team support: the response clock for sev1 (Critical) now runs during business hours only (was 24x7)",
            )
        ],
    ),
    "channel removed and added": (
        [('name: "#platform-help"', 'name: "#help"')],
        [
            ("weakened", "support.channel.removed", "Team support: chat channel “#platform-help” removed"),
            ("strengthened", "support.channel.added", "Team support: chat channel “#help” added"),
        ],
    ),
    "tool moved down the ladder": (
        [
            (
                "status: supported\n",
                "status: deprecated\n    alternative: ci\n",
            ),
            ("alternative: shared-pipelines", "alternative: ci"),
        ],
        [
            (
                "weakened",
                "tool.status",
                "Tool “Shared pipeline templates” moved down the ladder from supported to deprecated; its since still "
                "says 2026-01-01, the date of the supported decision",
            ),
            (
                "neutral",
                "tool.alternative",
                "Tool “Hand-rolled CI scripts”: alternative changed from shared-pipelines to ci",
            ),
            ("neutral", "tool.alternative", "Tool “Shared pipeline templates”: alternative set to ci"),
        ],
    ),
    "tool moved down the ladder on a day of its own": (
        [
            (
                "status: supported\n    reason: One template we maintain is safer than many we cannot see.\n"
                "    since: 2026-01-01",
                "status: deprecated\n    alternative: ci\n    reason: One template we maintain is safer than many we "
                "cannot see.\n    since: 2026-05-01",
            ),
            ("alternative: shared-pipelines", "alternative: ci"),
        ],
        [
            (
                "weakened",
                "tool.status",
                "Tool “Shared pipeline templates” moved down the ladder from supported to deprecated",
            ),
            (
                "neutral",
                "tool.alternative",
                "Tool “Hand-rolled CI scripts”: alternative changed from shared-pipelines to ci",
            ),
            ("neutral", "tool.alternative", "Tool “Shared pipeline templates”: alternative set to ci"),
            ("neutral", "tool.since", "Tool “Shared pipeline templates”: since changed from 2026-01-01 to 2026-05-01"),
        ],
    ),
    "tool alternative changed": (
        [("alternative: shared-pipelines", "alternative: ci")],
        [
            (
                "neutral",
                "tool.alternative",
                "Tool “Hand-rolled CI scripts”: alternative changed from shared-pipelines to ci",
            )
        ],
    ),
    "catalog version": (
        [('version: "0.1"', 'version: "0.2"')],
        [("neutral", "catalog.version", "Catalog version 0.1 → 0.2")],
    ),
    "catalog version lowered": (
        [('version: "0.1"', 'version: "0.0.9"')],
        [
            (
                "neutral",
                "catalog.version",
                "Catalog version 0.1 → 0.0.9: lower than before (a release of 0.1 may exist already;"
                " a new version number is usually higher than the last)",
            )
        ],
    ),
    "catalog version renamed, no order": (
        [('version: "0.1"', 'version: "0.1-rc1"')],
        [("neutral", "catalog.version", "Catalog version 0.1 → 0.1-rc1")],
    ),
    "offering owner": (
        [("owner: Platform Team\n    tier", "owner: Build Guild\n    tier")],
        [("neutral", "offering.owner", "Offering “CI pipelines”: owner changed from Platform Team to Build Guild")],
    ),
}


@pytest.mark.git
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_kind_of_change_is_named_and_classified(git_site, run, case) -> None:
    edits, expected = CASES[case]
    for old, new in edits:
        git_site.edit(old, new)
    git_site.commit(case)
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    got = [(c["effect"], c["kind"], c["text"]) for c in doc["changes"]]
    assert got == expected


@pytest.mark.git
def test_markdown_puts_weakened_changes_first_with_a_marker(git_site, run) -> None:
    git_site.edit("lifecycle: ga", "lifecycle: beta")
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    git_site.commit("mixed")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2] == "**3 changes: 1 weakens a commitment, 1 strengthens, 1 other**"
    bullets = [line for line in lines if line.startswith("- ")]
    assert bullets == [
        "- ⚠️ **Weakens a commitment:** Offering “CI pipelines” moved from ga to beta",
        "- ⬆️ SLO “Pipeline availability” of “CI pipelines” raised from 99.5 % to 99.9 %: the error budget shrinks "
        "from 3 h 36 min to 43 min 12 s per rolling 30 days",
        "- Catalog version 0.1 → 0.2",
    ]
    assert lines.index("#### Weakened commitments") < lines.index("#### Strengthened commitments")
    assert lines.index("#### Strengthened commitments") < lines.index("#### Other changes")


@pytest.mark.git
def test_head_defaults_to_the_working_tree(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 99.0")
    result = run("diff", "--source", git_site.root, "HEAD", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["head"] == {"revision": "working tree", "commit": None}
    assert doc["summary"] == {"changes": 1, "weakened": 1, "strengthened": 0, "neutral": 0}


@pytest.mark.git
def test_fail_on_weakened_exits_3_only_when_something_weakens(git_site, run) -> None:
    git_site.edit('version: "0.1"', 'version: "0.2"')
    assert run("diff", "--source", git_site.root, "HEAD", "--fail-on", "weakened").exit_code == 0
    result = run("diff", "--source", git_site.root, "HEAD", "--fail-on", "any")
    assert result.exit_code == 3
    assert result.stderr == "diff: 1 change (--fail-on any)\n"
    git_site.edit("objective: 99.5", "objective: 99.0")
    result = run("diff", "--source", git_site.root, "HEAD", "--fail-on", "weakened")
    assert result.exit_code == 3
    assert result.stderr == "diff: 1 change weakens a commitment (--fail-on weakened)\n"


@pytest.mark.git
def test_a_calendar_window_made_rolling_of_the_same_length_strengthens_the_promise(git_site, run) -> None:
    git_site.edit("window: 30d", "window: calendar-quarter")
    git_site.commit("quarterly")
    git_site.edit("window: calendar-quarter", "window: 91d")
    git_site.commit("every 91 days")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    assert [(c["effect"], c["text"]) for c in json.loads(result.stdout)["changes"]] == [
        (
            "strengthened",
            "SLO “Pipeline availability” of “CI pipelines” window changed from calendar quarter to rolling 91 days: "
            "every 91 days are judged, not only whole quarters (error budget 10 h 55 min 12 s per calendar quarter "
            "→ 10 h 55 min 12 s per rolling 91 days)",
        )
    ]


@pytest.mark.git
def test_a_lengthened_window_fails_the_weakened_gate_of_a_pull_request(git_site, run) -> None:
    git_site.edit("window: 30d", "window: 90d")
    result = run("diff", "--source", git_site.root, "HEAD", "--fail-on", "weakened")
    assert result.exit_code == 3
    assert "- ⚠️ **Weakens a commitment:** SLO “Pipeline availability” of “CI pipelines” window lengthened" in (
        result.stdout
    )


@pytest.mark.git
def test_offering_id_change_with_identical_content_is_a_move(git_site, run) -> None:
    git_site.edit(OFFERING, "  - id: pipelines\n    name: CI pipelines\n")
    git_site.edit("offerings: [ci]", "offerings: [pipelines]", "content/welcome.md")
    git_site.edit("(offering:ci)", "(offering:pipelines)", "content/welcome.md")
    git_site.commit("rename id")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    texts = [c["text"] for c in doc["changes"]]
    assert texts[0] == (
        "Offering “CI pipelines” moved from id ci to pipelines (its page moves from offerings/ci/ to offerings/pipelines/, "
        "and the old address is gone; declaring renamed_from: [ci] keeps it)"
    )


@pytest.mark.git
def test_tool_id_change_with_identical_content_is_a_move_not_a_removal(git_site, run) -> None:
    git_site.edit("  - id: shared-pipelines\n", "  - id: shared-templates\n")
    git_site.edit("tools: [shared-pipelines, hand-rolled-scripts]", "tools: [shared-templates, hand-rolled-scripts]")
    git_site.edit("alternative: shared-pipelines", "alternative: shared-templates")
    git_site.edit("(tool:shared-pipelines)", "(tool:shared-templates)", "content/welcome.md")
    git_site.commit("rename a tool id")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 0, result.output  # nothing was weakened: the decision only moved
    doc = json.loads(result.stdout)
    kinds = [c["kind"] for c in doc["changes"]]
    assert "tool.removed" not in kinds and "tool.added" not in kinds
    (move,) = [c for c in doc["changes"] if c["kind"] == "tool.id"]
    assert move["text"] == (
        "Tool “Shared pipeline templates” moved from id shared-pipelines to shared-templates (its page moves from "
        "tools/shared-pipelines/ to tools/shared-templates/, and the old address is gone; declaring "
        "renamed_from: [shared-pipelines] keeps it)"
    )
    assert doc["summary"]["weakened"] == 0


@pytest.mark.git
def test_a_declared_rename_shows_what_else_changed_with_it(git_site, run) -> None:
    """Renaming an offering (or a tool) and lowering its objective in one commit: the objective's
    change is named, not hidden behind 'removed' and 'added'."""
    git_site.edit(OFFERING, "  - id: pipelines\n    name: CI pipelines\n")
    git_site.edit("    policies: [welcome]\n", "    policies: [welcome]\n    renamed_from: [ci]\n")
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.edit("  - id: hand-rolled-scripts\n", "  - id: own-scripts\n    renamed_from: [hand-rolled-scripts]\n")
    git_site.edit("status: unsupported", "status: deprecated")
    git_site.edit("tools: [shared-pipelines, hand-rolled-scripts]", "tools: [shared-pipelines, own-scripts]")
    git_site.edit("offerings: [ci]", "offerings: [pipelines]", "content/welcome.md")
    git_site.edit("(offering:ci)", "(offering:pipelines)", "content/welcome.md")
    git_site.commit("rename and relax")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    kinds = {c["kind"] for c in doc["changes"]}
    assert "offering.removed" not in kinds and "offering.added" not in kinds
    assert "tool.removed" not in kinds and "tool.added" not in kinds
    texts = [c["text"] for c in doc["changes"]]
    assert (
        "Offering “CI pipelines” moved from id ci to pipelines (its page moves from offerings/ci/ to "
        "offerings/pipelines/, and the old address sends readers on)"
    ) in texts
    assert any(c["kind"] == "slo.objective" and c["effect"] == "weakened" for c in doc["changes"]), texts
    assert any(c["kind"] == "tool.id" for c in doc["changes"]), texts
    assert any(c["kind"] == "tool.status" and c["subject"] == "tool:own-scripts" for c in doc["changes"]), texts


@pytest.mark.git
def test_policy_page_sections_added_changed_removed_and_moves(git_site, run) -> None:
    git_site.edit("## What we do not support\n", "## Not supported\n", "content/welcome.md")
    git_site.edit("during business hours", "during office hours", "content/welcome.md")
    (git_site.root / "content/escalation.md").write_text("---\ntitle: Escalation\n---\n\n## Who\n\nUs.\n")
    git_site.commit("pages")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "--format", "json").stdout)
    assert [c["text"] for c in doc["changes"]] == [
        "Policy page “Escalation” (content/escalation.md) added",
        "Policy page “How we work”: section “What we support” changed",
        "Policy page “How we work”: section “Not supported” added",
        "Policy page “How we work”: section “What we do not support” removed",
    ]
    git_site.git("mv", "content/escalation.md", "content/escalate.md")
    git_site.commit("move page")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    # a reviewer is told that the page's address changes with its file's name: links to it break
    assert [c["text"] for c in doc["changes"]] == [
        "Policy page “Escalation” moved from content/escalation.md to content/escalate.md (its page moves "
        "from policies/escalation/ to policies/escalate/, and the old address is gone; declaring "
        "renamed_from: [escalation] in its front matter keeps it)"
    ]


@pytest.mark.git
def test_a_page_moved_with_its_old_name_declared_says_old_links_lead_on(git_site, run) -> None:
    """A page moved and rewritten in one commit (too much for git to call it a rename) is still
    that page moved when it declares its old name; the reviewer reads that old links lead on."""
    (git_site.root / "content/escalation.md").write_text("---\ntitle: Escalation\n---\n\n## Who\n\nUs.\n")
    git_site.commit("a page")
    (git_site.root / "content/escalation.md").unlink()
    (git_site.root / "content/ops").mkdir()
    (git_site.root / "content/ops/escalate.md").write_text(
        "---\ntitle: Escalation\nrenamed_from: [escalation]\n---\n\n## Who answers\n\nThe on-call engineer, "
        "then the team lead, then the head of platform.\n"
    )
    git_site.commit("move and rewrite the page")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    assert [c["text"] for c in doc["changes"]] == [
        "Policy page “Escalation” moved from content/escalation.md to content/ops/escalate.md (its page moves "
        "from policies/escalation/ to policies/ops/escalate/, and the old address sends readers on)",
        "Policy page “Escalation”: section “Who answers” added",
        "Policy page “Escalation”: section “Who” removed",
    ]
    git_site.edit("renamed_from: [escalation]\n", "", "content/ops/escalate.md")
    git_site.commit("forget the old name")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    assert [c["text"] for c in doc["changes"]] == [
        "Policy page “Escalation”: its old address policies/escalation/ no longer sends readers on (links to it break)"
    ]


@pytest.mark.git
def test_the_diff_comment_names_the_links_a_page_move_or_removal_breaks(git_site, run) -> None:
    """A pull request that moves one page and removes another, while an unchanged page still
    links to both: the comment a reviewer reads names those links, where they are, and the new
    name to link to."""
    (git_site.root / "content/escalation.md").write_text("---\ntitle: Escalation\n---\n\n## Who\n\nUs.\n")
    (git_site.root / "content/faq.md").write_text(
        "---\ntitle: FAQ\n---\n\nRead [how we work](welcome.md) first.\n\nThen [escalate](page:escalation#who).\n"
    )
    git_site.commit("pages")
    git_site.git("mv", "content/welcome.md", "content/how-we-work.md")
    git_site.edit("policies: [welcome]", "policies: [how-we-work]")
    git_site.git("rm", "-q", "content/escalation.md")
    git_site.commit("move one page, remove another")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert (
        "- Policy page “FAQ” (content/faq.md) links to a page that is no longer there: line 5 (welcome.md), "
        "line 7 (page:escalation#who); escalation was removed; link to how-we-work instead of welcome\n"
    ) in result.stdout


@pytest.mark.git
def test_a_catalog_naming_a_page_by_the_name_it_was_moved_from_is_told_the_new_one(git_site, run) -> None:
    """A pull request moves content/welcome.md and forgets the catalog's `policies: [welcome]`:
    the diff cannot compare, and says which name the page has now (git's rename), not only
    every page's name."""
    git_site.git("mv", "content/welcome.md", "content/how-we-work.md")
    git_site.commit("move the page")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "markdown")
    assert result.exit_code == 1
    assert (
        "unknown policy page 'welcome' (did you mean 'how-we-work'? content/welcome.md is now "
        "content/how-we-work.md, moved in the commits compared: name the page by its new name)"
    ) in result.stdout


@pytest.mark.git
def test_policy_page_front_matter_changes_are_named(git_site, run) -> None:
    # A reviewer sees what a page's front matter now says, not only that it changed: which
    # offerings and tools it applies to, its owner and summary, its place in the list.
    page = "content/welcome.md"
    git_site.edit("offerings: [ci]\n", "owner: Platform Team (Ada)\nofferings: [ci]\ntools: [shared-pipelines]\n", page)
    git_site.commit("front matter")
    git_site.edit("offerings: [ci]\n", "offerings: []\n", page)
    git_site.edit("summary: What to expect from the platform team, and what not to.", "summary: Our promises.", page)
    git_site.edit("order: 10\n", "order: 5\n", page)
    git_site.edit("owner: Platform Team (Ada)\n", "", page)
    git_site.commit("more front matter")
    first = json.loads(run("diff", "--source", git_site.root, "HEAD~2", "HEAD~1", "--format", "json").stdout)
    assert [c["text"] for c in first["changes"]] == [
        "Policy page “How we work”: owner changed from “nobody” to “Platform Team (Ada)”",
        "Policy page “How we work”: now applies to tool “shared-pipelines”",
    ]
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "--format", "json").stdout)
    assert [(c["kind"], c["text"]) for c in doc["changes"]] == [
        ("page.summary", "Policy page “How we work”: summary changed"),
        ("page.owner", "Policy page “How we work”: owner changed from “Platform Team (Ada)” to “nobody”"),
        ("page.offerings", "Policy page “How we work”: no longer applies to offering “ci”"),
        ("page.order", "Policy page “How we work”: its place in the list of policies changed (order 10 → 5)"),
    ]


def test_the_history_reads_a_page_front_matter_as_the_build_does(site_copy) -> None:
    # The history compares pages the build loaded (the working tree) with pages it reads from
    # git itself: the two must agree, or every build would report front matter changes.
    from servicebook.git.diff import page_info
    from servicebook.site.build import Options, check

    site = site_copy("example")
    loaded, _ = check(Options(source=site, output=site / "public", env={"SOURCE_DATE_EPOCH": "0"}), None)
    assert loaded.site is not None and len(loaded.site.pages) > 5
    for page in loaded.site.pages:
        assert page_info(page.source, page.slug, (site / page.source).read_bytes()).meta == page.meta


@pytest.mark.git
def test_bad_revision_is_a_clear_error_with_exit_2(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "no-such-branch")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision 'no-such-branch': no commit, branch or tag has that name; branches here: main\n"
    )
    assert "Traceback" not in result.output


@pytest.mark.git
def test_diff_without_a_revision_says_what_to_compare_with(git_site, run) -> None:
    # as a new user first types it: the examples, not click's "Missing argument 'BASE'"
    result = run("diff", "--source", git_site.root)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: name what to compare with: `servicebook diff HEAD` for the uncommitted changes, "
        "`servicebook diff origin/main...HEAD` for a branch, `servicebook diff 1.0 1.1` between two releases\n"
    )
    assert result.stdout == ""


@pytest.mark.git
def test_every_revision_form_git_accepts_names_the_commit_git_resolves(git_site, run) -> None:
    """The revision is git's to read (gitrevisions(7)), not a grammar of ours: each form names
    the very commit `git rev-parse` says it does (but those read from the clone's reflog, which
    are refused: tests/test_hostile_round8.py)."""
    git_site.tag("v1")
    git_site.edit("objective: 99.5", "objective: 99")
    second = git_site.commit("Lower the SLO to 99")
    git_site.tag("v2", annotated=True)
    git_site.write("content/extra.md", "---\ntitle: Extra\n---\nMore.\n")
    git_site.commit("Add a page")
    forms = [
        "HEAD", "@", "HEAD~1", "HEAD^", "HEAD~1^0", "main", "main~2", "refs/heads/main", "v1", "v2",
        "v2^{}", "v2^{commit}", "tags/v1", second, second[:7], second[:12], ":/Lower the", ":/^Add",
        "HEAD^{/Lower}", "v2~1",
    ]  # fmt: skip
    for form in forms:
        expected = git_site.git("rev-parse", "--verify", "--end-of-options", form).strip()
        expected = git_site.git("rev-parse", f"{expected}^{{commit}}").strip()
        result = run("diff", "--source", git_site.root, form, "HEAD", "--format", "json")
        assert result.exit_code == 0, (form, result.output)
        assert json.loads(result.stdout)["base"]["commit"] == expected, form


@pytest.mark.git
def test_a_revision_that_names_something_other_than_a_commit_says_what_it_names(git_site, run) -> None:
    tree = git_site.git("rev-parse", "HEAD^{tree}").strip()
    blob = git_site.git("rev-parse", "HEAD:catalog.yaml").strip()
    for form, kind, found in (("HEAD^{tree}", "tree", tree), ("HEAD:catalog.yaml", "blob", blob)):
        result = run("diff", "--source", git_site.root, form)
        assert result.exit_code == 2
        assert result.stderr == (
            f"error: '{form}' names a {kind} ({found[:12]}), not a commit; name a commit, branch or tag\n"
        )


@pytest.mark.git
def test_an_unknown_revision_lists_the_branches_there_are(git_site, run) -> None:
    for n in range(12):
        git_site.git("branch", f"topic-{n:02}")
    result = run("diff", "--source", git_site.root, ":/no commit says this")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision ':/no commit says this': no commit, branch or tag has that name; branches here: "
        "main, topic-00, topic-01, topic-02, topic-03, topic-04, topic-05, topic-06, topic-07, topic-08 and 3 more\n"
    )


@pytest.mark.git
def test_option_like_revision_is_refused(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "--", "--output=/tmp/x")
    assert result.exit_code == 2
    assert result.stderr == "error: '--output=/tmp/x' is not a revision name\n"


@pytest.mark.git
def test_unrelated_histories_are_refused(git_site, run) -> None:
    git_site.git("checkout", "-q", "--orphan", "other")
    git_site.commit("unrelated root")
    result = run("diff", "--source", git_site.root, "main", "other")
    assert result.exit_code == 2
    assert result.stderr == "error: 'main' and 'other' have unrelated histories: they share no commit\n"


@pytest.mark.git
def test_invalid_catalog_at_a_revision_lists_its_problems_and_exits_1(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 101")
    git_site.commit("broken")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD")
    assert result.exit_code == 1
    assert result.stderr.startswith("HEAD:catalog.yaml:59:20: error: ")
    assert result.stderr.endswith(
        "error: the catalog at HEAD does not validate (1 error); fix it or pick another revision\n"
    )
    # the pull-request comment says so, rather than nothing (which would read as "no changes")
    assert result.stdout.splitlines()[2:] == [
        "**The catalogs could not be compared:** the catalog at HEAD does not validate (1 error); fix it or pick "
        "another revision",
        "",
        "- `HEAD:catalog.yaml:59:20`: 'objective' must be a percentage between 0 and 100 (exclusive), not '101' "
        "(e.g. 99.9)",
    ]


REMOVED = [
    (
        "catalog.removed",
        "weakened",
        "Catalog removed, at version 0.1: there is no catalog.yaml any more, and with it go the team's published "
        "support hours and response targets",
    ),
    ("offering.removed", "weakened", "Offering “CI pipelines” (ci) removed"),
    (
        "tool.removed",
        "weakened",
        "Tool “Shared pipeline templates” (shared-pipelines) removed from the catalog (was supported)",
    ),
    ("category.removed", "neutral", "Category “Continuous integration” (ci) removed"),
    (
        "tool.removed",
        "neutral",
        # what the catalog said to use instead, as the page left at its address says (test_removed_pages)
        "Tool “Hand-rolled CI scripts” (hand-rolled-scripts) removed from the catalog (was unsupported; use "
        "shared-pipelines instead)",
    ),
]


@pytest.mark.git
def test_the_pull_request_that_removes_the_catalog_lists_everything_as_removed(git_site, run) -> None:
    git_site.git("rm", "-q", "catalog.yaml")
    git_site.commit("remove catalog")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 3
    assert result.stderr == "diff: 3 changes weaken a commitment (--fail-on weakened)\n"
    doc = json.loads(result.stdout)
    assert doc["error"] is None
    assert [(c["kind"], c["effect"], c["text"]) for c in doc["changes"]] == REMOVED
    assert doc["changes"][0]["before"] == "0.1" and doc["changes"][0]["after"] is None
    assert doc["summary"] == {"changes": 5, "weakened": 3, "strengthened": 0, "neutral": 2}
    markdown = run("diff", "--source", git_site.root, "HEAD~1", "HEAD")
    assert markdown.exit_code == 0
    lines = markdown.stdout.splitlines()
    assert lines[2] == "**5 changes: 3 weaken a commitment, 0 strengthen, 2 other**"
    assert lines[4:9] == [
        "#### Weakened commitments",
        "",
        "- ⚠️ **Weakens a commitment:** Catalog removed, at version 0.1: there is no catalog.yaml any more, and "
        "with it go the team's published support hours and response targets",
        "- ⚠️ **Weakens a commitment:** Offering “CI pipelines” (ci) removed",
        "- ⚠️ **Weakens a commitment:** Tool “Shared pipeline templates” (shared-pipelines) removed from the "
        "catalog (was supported)",
    ]


@pytest.mark.git
def test_a_catalog_deleted_in_the_working_tree_is_a_change_too(git_site, run) -> None:
    (git_site.root / "catalog.yaml").unlink()
    result = run("diff", "--source", git_site.root, "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(c["kind"], c["effect"], c["text"]) for c in doc["changes"]] == REMOVED
    assert doc["head"] == {"revision": "working tree", "commit": None}


@pytest.mark.git
def test_a_catalog_replaced_by_a_symbolic_link_is_not_taken_for_removed(git_site, run) -> None:
    (git_site.root / "catalog.yaml").rename(git_site.root / "real.yaml")
    (git_site.root / "catalog.yaml").symlink_to("real.yaml")
    result = run("diff", "--source", git_site.root, "HEAD")
    assert result.exit_code == 1
    assert result.stderr == (
        "catalog.yaml: error: symbolic links are not allowed in the source\n"
        "  hint: commit the file itself\n"
        "error: the catalog in the working tree cannot be read (1 error)\n"
    )


@pytest.mark.git
def test_no_catalog_on_either_side_exits_1(tmp_path, run) -> None:
    from .conftest import GitSite

    (tmp_path / "repo").mkdir()
    site = GitSite(tmp_path / "repo")
    site.write("README.md", "Nothing here yet.\n")
    site.commit("Empty repository")
    site.write("README.md", "Still nothing.\n")
    site.commit("Edit")
    result = run("diff", "--source", site.root, "HEAD~1", "HEAD")
    assert result.exit_code == 1
    assert result.stderr == ("error: there is no catalog.yaml at HEAD, nor at HEAD~1: there is no catalog to compare\n")


@pytest.mark.git  # without git, the message says git is missing
def test_outside_git_diff_says_so(run, tmp_path) -> None:
    result = run("diff", "--source", tmp_path, "HEAD")
    assert result.exit_code == 2
    assert "is not in a git repository; `diff` compares git revisions" in result.stderr


def _stale_branch(git_site) -> None:
    """Branch `stale` renames a tool; meanwhile main raises the SLO (the PR never lowered it)."""
    git_site.git("branch", "stale")
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.commit("raise the SLO on main")
    git_site.git("checkout", "-q", "stale")
    git_site.edit("name: Shared pipeline templates", "name: Pipeline templates")
    git_site.commit("rename a tool on the branch")


@pytest.mark.git
def test_three_dots_compare_the_merge_base_so_a_stale_branch_is_not_blamed_for_main(git_site, run) -> None:
    _stale_branch(git_site)
    fork = git_site.git("merge-base", "main", "stale").strip()
    tips = run("diff", "--source", git_site.root, "main", "stale", "--fail-on", "weakened")
    assert tips.exit_code == 3  # two tips: main's raise reads as the branch lowering the SLO
    assert "lowered from 99.9 % to 99.5 %" in tips.stdout
    result = run("diff", "--source", git_site.root, "main...stale", "--fail-on", "weakened", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["text"] for c in doc["changes"]] == [
        "Tool shared-pipelines renamed from “Shared pipeline templates” to “Pipeline templates”"
    ]
    assert doc["base"] == {"revision": "main", "commit": fork, "merge_base_of": ["main", "stale"]}
    assert doc["head"] == {"revision": "stale", "commit": git_site.git("rev-parse", "stale").strip()}
    markdown = run("diff", "--source", git_site.root, "main...HEAD").stdout
    head = git_site.git("rev-parse", "HEAD").strip()
    assert markdown.splitlines()[0] == (
        f"### servicebook diff: merge base of main and HEAD ({fork[:12]}) → HEAD ({head[:12]})"
    )
    assert run("diff", "--source", git_site.root, "main...").stdout == markdown  # an empty side is HEAD


@pytest.mark.git
def test_two_dots_compare_the_tips_as_git_diff_does(git_site, run) -> None:
    _stale_branch(git_site)
    two = run("diff", "--source", git_site.root, "main..stale", "--format", "json")
    spelled = run("diff", "--source", git_site.root, "main", "stale", "--format", "json")
    assert two.exit_code == spelled.exit_code == 0
    assert two.stdout == spelled.stdout
    assert json.loads(two.stdout)["summary"]["weakened"] == 1


@pytest.mark.git
def test_a_range_and_a_head_together_are_refused(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "main...HEAD", "HEAD")
    assert result.exit_code == 2
    assert result.stderr == "error: give either a range 'main...HEAD' or BASE and HEAD, not both\n"


@pytest.mark.git
def test_a_range_with_an_unknown_side_names_it(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "origin/main...HEAD")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision 'origin/main': no commit, branch or tag has that name; did you mean 'main'? "
        "(there is no remote 'origin' here)\n"
    )


@pytest.mark.git
def test_a_revision_further_back_than_the_history_says_how_far_it_goes(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "HEAD~3")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision 'HEAD~3': no commit, branch or tag has that name; HEAD has 0 commits before it\n"
    )


@pytest.mark.git
def test_a_misspelt_revision_gets_a_did_you_mean(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "mian")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: unknown revision 'mian': no commit, branch or tag has that name; did you mean 'main'?\n"
    )


def fetch_as_told(clone, stderr: str) -> None:
    """Run the git command an error message gives, as a person pastes it."""
    command = re.search(r"`(git fetch [^`]+)`", stderr)
    assert command, stderr
    subprocess.run(command[1].split(), cwd=clone, check=True, capture_output=True)


@pytest.mark.git
def test_a_misspelt_remote_branch_gets_a_did_you_mean_beside_the_fetch(git_site, run, tmp_path) -> None:
    # `origin/mian` in a clone that fetched `origin/main`: the slip comes first; the fetch stays, in
    # case the remote does have a branch of that name
    clone = tmp_path / "checkout"
    git_site.git("clone", "-q", str(git_site.root), str(clone))
    result = run("diff", "--source", clone, "origin/mian...HEAD")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision 'origin/mian': no commit, branch or tag has that name; did you mean "
        "'origin/main'? If 'mian' is a branch of 'origin' that was not fetched: "
        "`git fetch origin mian:refs/remotes/origin/mian`\n"
    )


@pytest.mark.git
def test_a_remote_branch_that_was_not_fetched_says_how_to_fetch_it(git_site, run, tmp_path) -> None:
    # a CI checkout of a pull request: the remote is known, its base branch was never fetched, and
    # the clone keeps one branch only, so a plain `git fetch origin release` would not keep it
    git_site.git("branch", "release")
    clone = tmp_path / "checkout"
    git_site.git("clone", "-q", "--single-branch", "--branch", "main", str(git_site.root), str(clone))
    result = run("diff", "--source", clone, "origin/release...HEAD")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: unknown revision 'origin/release': no commit, branch or tag has that name; the remote 'origin' "
        "is known but its branch 'release' was not fetched: `git fetch origin release:refs/remotes/origin/release`\n"
    )
    fetch_as_told(clone, result.stderr)
    assert run("diff", "--source", clone, "origin/release...HEAD").exit_code == 0


@pytest.mark.git
def test_a_shallow_clone_is_told_the_one_fetch_that_brings_the_base_branch_and_the_history(
    git_site, run, tmp_path
) -> None:
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.commit("raise")
    git_site.git("branch", "release", "HEAD~1")
    clone = tmp_path / "checkout"
    git_site.git("clone", "-q", "--depth", "1", "--branch", "main", f"file://{git_site.root}", str(clone))
    result = run("diff", "--source", clone, "origin/release...HEAD")
    assert result.exit_code == 2
    assert "`git fetch --unshallow origin release:refs/remotes/origin/release`" in result.stderr
    fetch_as_told(clone, result.stderr)
    done = run("diff", "--source", clone, "origin/release...HEAD", "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert [c["kind"] for c in json.loads(done.stdout)["changes"]] == ["slo.objective"]


@pytest.mark.git
def test_an_invalid_catalog_at_the_merge_base_is_named_by_its_commit(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 101")
    fork = git_site.commit("broken")
    git_site.git("checkout", "-q", "-b", "topic")
    git_site.edit("objective: 101", "objective: 99.5")
    git_site.commit("fixed")
    result = run("diff", "--source", git_site.root, "main...topic")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{fork[:12]}:catalog.yaml:59:20: error: ")
    assert result.stderr.endswith(
        f"error: the catalog at {fork[:12]} does not validate (1 error); fix it or pick another revision\n"
    )


@pytest.mark.git
def test_the_pull_request_that_adds_the_catalog_lists_everything_as_added(tmp_path, run) -> None:
    from .conftest import SITES, GitSite

    (tmp_path / "repo").mkdir()
    site = GitSite(tmp_path / "repo")
    site.write("README.md", "The platform team's catalog, soon.\n")
    site.commit("Empty repository")
    for path in (SITES / "minimal").rglob("*"):
        if path.is_file():
            site.write(path.relative_to(SITES / "minimal").as_posix(), path.read_text())
    site.commit("Add the catalog")
    result = run("diff", "--source", site.root, "HEAD~1", "HEAD", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(c["kind"], c["text"]) for c in doc["changes"]] == [
        ("catalog.added", "Catalog added, at version 0.1: there was no catalog.yaml before"),
        ("category.added", "Category “Continuous integration” (ci) added"),
        ("offering.added", "Offering “CI pipelines” (ci) added: ga, tier 1"),
        ("tool.added", "Tool “Hand-rolled CI scripts” (hand-rolled-scripts) added: unsupported"),
        ("tool.added", "Tool “Shared pipeline templates” (shared-pipelines) added: supported"),
        ("page.added", "Policy page “How we work” (content/welcome.md) added"),
    ]
    assert doc["summary"] == {"changes": 6, "weakened": 0, "strengthened": 0, "neutral": 6}
    markdown = run("diff", "--source", site.root, "HEAD~1", "HEAD").stdout
    assert "**6 changes: 0 weaken a commitment, 0 strengthen, 6 other**" in markdown


BANNER = '{% extends "theme/offering.html" %}{% block content %}<p>Frozen until May</p>{{ super() }}{% endblock %}'


@pytest.mark.git
def test_templates_and_files_under_content_are_reported_in_their_own_section(git_site, run) -> None:
    git_site.write("layouts/README.md", "How to override a template.\n")
    git_site.write("content/img/flow.png", "png v1")
    git_site.commit("files that are not templates, and an image")
    git_site.write("layouts/offering.html", BANNER)
    git_site.write("layouts/README.md", "Explained better.\n")  # not a template: not reported
    git_site.write("content/img/flow.png", "png v2")
    git_site.write("content/.notes.txt", "hidden: the build skips it\n")
    git_site.commit("banner")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    doc = json.loads(result.stdout)
    assert [(c["kind"], c["subject"], c["text"]) for c in doc["changes"]] == [
        ("file.changed", "file:content/img/flow.png", "File content/img/flow.png changed"),
        ("template.added", "template:layouts/offering.html", "Template layouts/offering.html added"),
    ]
    markdown = run("diff", "--source", git_site.root, "HEAD~1", "HEAD").stdout
    assert markdown.split("\n", 2)[2] == (
        "**2 changes: 0 weaken a commitment, 0 strengthen, 2 other**\n"
        "\n"
        "#### Templates and other files\n"
        "\n"
        "Templates decide what every page shows, beyond the catalog: review them like code.\n"
        "\n"
        "- File content/img/flow.png changed\n"
        "- Template layouts/offering.html added\n"
    )
    git_site.git("rm", "-q", "layouts/offering.html")
    git_site.commit("no banner")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    assert [c["text"] for c in doc["changes"]] == ["Template layouts/offering.html removed"]


@pytest.mark.git
def test_template_changes_in_the_working_tree_are_seen_untracked_or_not(git_site, run) -> None:
    git_site.write("layouts/base.html", "{% extends 'theme/base.html' %}")
    git_site.commit("a base template")
    assert json.loads(run("diff", "--source", git_site.root, "HEAD", "--format", "json").stdout)["changes"] == []
    git_site.write("layouts/base.html", "{% extends 'theme/base.html' %}{# v2 #}")
    git_site.write("layouts/offering.html", BANNER)  # untracked
    git_site.edit("objective: 99.5", "objective: 99.0")
    result = run("diff", "--source", git_site.root, "HEAD")
    bullets = [line for line in result.stdout.splitlines() if line.startswith("- ")]
    assert bullets[1:] == ["- Template layouts/base.html changed", "- Template layouts/offering.html added"]
    assert result.stdout.index("#### Weakened commitments") < result.stdout.index("#### Templates and other files")


@pytest.mark.git
def test_template_changes_in_the_working_tree_of_a_site_in_a_folder_of_its_repository(tmp_path, run) -> None:
    """A site in a sub-folder (a monorepo's platform/): the working tree's templates and files
    were hashed by paths git read from the top of the repository, so every `diff` against the
    working tree failed ("git hash-object failed on the templates or files under content/")."""
    root = tmp_path / "mono"
    root.mkdir()
    repo = GitSite(root)
    shutil.copytree(SITES / "minimal", root / "platform")
    repo.write("platform/layouts/offering.html", BANNER)
    repo.write("platform/content/img/flow.png", "png v1")
    repo.commit("the catalog, in a folder")
    site = root / "platform"
    assert json.loads(run("diff", "--source", site, "HEAD", "--format", "json").stdout)["changes"] == []
    (site / "layouts/offering.html").write_text(BANNER + "{# v2 #}")
    (site / "content/img/flow.png").write_text("png v2")
    result = run("diff", "--source", site, "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [c["text"] for c in json.loads(result.stdout)["changes"]] == [
        "File content/img/flow.png changed",
        "Template layouts/offering.html changed",
    ]


@pytest.mark.git
def test_nothing_changed_says_so(git_site, run) -> None:
    result = run("diff", "--source", git_site.root, "HEAD")
    assert result.stdout.splitlines()[2] == "**No changes to the catalog, the policy pages or the templates.**"


def _offering_with(oid: str, name: str, support: str) -> str:
    return (
        f'  - id: {oid}\n    name: {name}\n    summary: {name}.\n    owner: Platform Team\n    tier: "2"\n'
        f"    lifecycle: ga\n    audience: [developers]\n    request:\n      how: Ask.\n{support}"
    )


OVERRIDES = (
    # keeps the team's hours, has its own channel
    _offering_with(
        "runners", "Build runners", "    support:\n      channels:\n        - kind: chat\n          name: '#runners'\n"
    )
    # keeps the team's hours, has its own on-call
    + _offering_with(
        "registry",
        "Artifact registry",
        "    support:\n      oncall:\n        summary: Registry on call.\n        how: Page.\n",
    )
    # its own hours: a change of the team's does not reach it
    + _offering_with(
        "secrets",
        "Secrets",
        "    support:\n      hours:\n        days: mon-sun\n        start: '00:00'\n        end: '23:59'\n"
        "        timezone: UTC\n",
    )
)


@pytest.mark.git
def test_a_team_wide_support_change_is_listed_once_not_for_every_offering_with_an_override(git_site, run) -> None:
    git_site.edit("tools:\n  - id: shared", OVERRIDES + "tools:\n  - id: shared")
    git_site.commit("offerings with support overrides")
    git_site.edit('end: "17:00"', 'end: "16:00"')
    git_site.edit("response: 30m", "response: 1h")
    git_site.commit("shorter team hours, slower sev1")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert [(c["subject"], c["text"]) for c in doc["changes"]] == [
        (
            "support",
            "Team support hours changed from Mon–Fri 09:00–17:00 (UTC) to Mon–Fri 09:00–16:00 (UTC) "
            "(40 h a week → 35 h a week)",
        ),
        ("support", "Team support: first response for sev1 (Critical) slower, from 30 min to 1 h"),
    ]
    assert doc["summary"] == {"changes": 2, "weakened": 2, "strengthened": 0, "neutral": 0}
    assert result.stderr == "diff: 2 changes weaken a commitment (--fail-on weakened)\n"


@pytest.mark.git
def test_an_offering_that_keeps_what_the_team_gives_up_is_listed_for_its_own_change(git_site, run) -> None:
    git_site.edit("tools:\n  - id: shared", OVERRIDES + "tools:\n  - id: shared")
    git_site.commit("offerings with support overrides")
    git_site.edit('end: "17:00"', 'end: "16:00"')
    # Build runners now set their own hours, to keep 17:00, and take the team's channels instead of
    # their own: what changes for their users is listed, the hours (unchanged for them) are not.
    git_site.edit(
        "      channels:\n        - kind: chat\n          name: '#runners'\n",
        "      hours:\n        days: mon-fri\n        start: '09:00'\n        end: '17:00'\n        timezone: UTC\n",
    )
    git_site.commit("team hours shorter, runners keep theirs")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    assert [(c["effect"], c["text"]) for c in doc["changes"]] == [
        (
            "weakened",
            "Team support hours changed from Mon–Fri 09:00–17:00 (UTC) to Mon–Fri 09:00–16:00 (UTC) "
            "(40 h a week → 35 h a week)",
        ),
        ("weakened", "Support for “Build runners”: chat channel “#runners” removed"),
        ("strengthened", "Support for “Build runners”: chat channel “#platform-help” added"),  # the team's, now
    ]


@pytest.mark.git
def test_json_of_an_invalid_working_tree_says_why_and_keeps_the_exit_code(git_site, run, tmp_path) -> None:
    git_site.edit("objective: 99.5", "objective: 101")
    result = run("diff", "--source", git_site.root, "HEAD", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "error: the catalog in the working tree does not validate (1 error); fix it or pick another revision\n"
    )
    doc = json.loads(result.stdout)
    assert doc == {
        "servicebook_diff": 1,
        "base": {"revision": "HEAD"},
        "head": {"revision": "working tree"},
        "error": {
            "message": "the catalog in the working tree does not validate (1 error); fix it or pick another revision",
            "exit_code": 1,
            "problems": [
                {
                    "revision": None,
                    "file": "catalog.yaml",
                    "line": 59,
                    "column": 20,
                    "severity": "error",
                    "message": "'objective' must be a percentage between 0 and 100 (exclusive), not '101'",
                    "hint": "e.g. 99.9",
                }
            ],
        },
        "summary": None,
        "changes": [],
    }


@pytest.mark.git
def test_json_of_a_failed_diff_names_the_revision_and_the_file_as_check_json_does(git_site, run, monkeypatch) -> None:
    git_site.edit("objective: 99.5", "objective: 101")
    git_site.commit("broken")
    monkeypatch.chdir(git_site.root.parent)
    result = run("diff", "--source", "repo", "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)["error"]["problems"]
    assert (problem["revision"], problem["file"], problem["line"]) == ("HEAD", "repo/catalog.yaml", 59)
    unknown = run("diff", "--source", "repo", "nope", "--format", "json")
    assert unknown.exit_code == 2
    assert json.loads(unknown.stdout)["error"] == {
        "message": "unknown revision 'nope': no commit, branch or tag has that name; branches here: main",
        "exit_code": 2,
        "problems": [],
    }


@pytest.mark.git
def test_json_of_a_diff_that_worked_has_no_error(git_site, run) -> None:
    assert json.loads(run("diff", "--source", git_site.root, "HEAD", "--format", "json").stdout)["error"] is None


@pytest.mark.git
def test_json_of_a_failed_range_names_its_sides_as_given(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 101")
    git_site.commit("broken")
    result = run("diff", "--source", git_site.root, "main~1...main", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert (doc["base"], doc["head"]) == ({"revision": "main~1...main"}, {"revision": "main"})
    assert doc["error"]["problems"][0]["revision"] == "main"


@pytest.mark.git
def test_mentions_and_issue_references_in_names_do_not_notify_anyone_when_posted(git_site, run) -> None:
    from markdown_it import MarkdownIt

    name = "CI for @acme/security-team, see #123 & &#64;ops (mail ci@example.com)"
    git_site.edit(OFFERING, f'  - id: ci\n    name: "{name}"\n')
    git_site.commit("rename")
    markdown = run("diff", "--source", git_site.root, "HEAD~1", "HEAD").stdout
    (bullet,) = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert bullet == (
        "- Offering ci renamed from “CI pipelines” to “CI for @&#8203;acme/security-team, see #&#8203;123 "
        "&amp; &amp;#&#8203;64;ops (mail ci@example.com)”"
    )
    # What a reader sees: the same words; what a forge scans for mentions: none left.
    html = MarkdownIt("commonmark").render(bullet)
    seen = htmllib.unescape(re.sub(r"<[^>]+>", "", html)).strip()
    assert seen.replace("\u200b", "") == f"Offering ci renamed from “CI pipelines” to “{name}”"
    assert not re.search(r"(?<![0-9A-Za-z])@[0-9A-Za-z]|#[0-9]", seen)
    json_text = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    assert json_text["changes"][0]["after"] == name  # only the Markdown is neutralised


@pytest.mark.git
def test_a_changed_channel_names_what_changed_in_it(git_site, run) -> None:
    git_site.edit("use_for: Questions and non-urgent requests", "use_for: Questions only")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD", "--format", "json").stdout)
    assert [c["text"] for c in doc["changes"]] == ["Team support: chat channel “#platform-help” changed (use_for)"]


@pytest.mark.git
def test_a_time_slice_that_needs_fewer_good_events_weakens_the_promise(git_site, run) -> None:
    slices = "        window: 30d\n        budgeting: timeslices\n        timeslice_target: 100\n        timeslice_window: 1m\n"
    git_site.edit("        window: 30d\n", slices)
    git_site.commit("Time slices")
    git_site.edit("timeslice_target: 100", "timeslice_target: 95")
    git_site.edit("timeslice_window: 1m", "timeslice_window: 5m")
    git_site.commit("Looser slices")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    got = [(c["effect"], c["kind"], c["text"]) for c in json.loads(result.stdout)["changes"]]
    assert got == [
        (
            "weakened",
            "slo.timeslice_target",
            "SLO “Pipeline availability” of “CI pipelines” time-slice target lowered from 100 % to 95 %",
        ),
        (
            "neutral",
            "slo.timeslice_window",
            "SLO “Pipeline availability” of “CI pipelines” time slice changed from 1m to 5m",
        ),
    ]


@pytest.mark.git
def test_a_change_of_budgeting_says_what_now_spends_the_error_budget(git_site, run) -> None:
    """Events or time slices: neither promise follows from the other, so the change is neither
    weaker nor stronger, but the reviewer reads what the same objective now counts."""
    slices = "        window: 30d\n        budgeting: timeslices\n        timeslice_target: 95\n        timeslice_window: 5m\n"
    git_site.edit("        window: 30d\n", slices)
    git_site.commit("Time slices")
    to_slices = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json")
    to_events = run("diff", "--source", git_site.root, "HEAD", "HEAD~1", "--format", "json")
    got = [(c["effect"], c["kind"], c["text"]) for r in (to_slices, to_events) for c in json.loads(r.stdout)["changes"]]
    assert got == [
        (
            "neutral",
            "slo.budgeting",
            "SLO “Pipeline availability” of “CI pipelines” budgeting changed from occurrences to timeslices: "
            "the error budget (3 h 36 min per rolling 30 days) is now spent by bad time slices of 5m, not "
            "by failed events: a slice is bad when fewer than 95 % of its events are good, so errors spread "
            "thinly no longer spend it, and a bad slice at a quiet hour spends as much as one at peak",
        ),
        (
            "neutral",
            "slo.budgeting",
            "SLO “Pipeline availability” of “CI pipelines” budgeting changed from timeslices to occurrences: "
            "the error budget (3 h 36 min per rolling 30 days) is now spent by failed events, not by bad time "
            "slices of 5m (a slice was bad when fewer than 95 % of its events are good): every failed "
            "event spends it, and a failure at peak spends more than one at a quiet hour",
        ),
    ]


@pytest.mark.parametrize(
    ("old", "new", "lower"),
    [
        ("2026.11", "2026.9", True),  # numbers, not text: 9 < 11
        ("2026.9", "2026.11", False),
        ("1.2.0", "1.2", False),  # the same version, trailing zeros aside
        ("1.2", "1.1.9", True),
        ("3.0", "10.0", False),
        ("1.0-rc2", "1.0-rc1", False),  # not only numbers and dots: no order claimed
        ("beta", "alpha", False),
    ],
)
def test_a_catalog_version_is_lower_only_when_both_are_numbers_and_dots(old, new, lower) -> None:
    from servicebook.git.diff import _goes_back

    assert _goes_back(old, new) is lower


@pytest.mark.git
def test_a_page_that_follows_a_renamed_offering_says_so_once(git_site, run) -> None:
    """ci becomes ci-pipelines (renamed_from: [ci]) and the page that applies to it follows: the
    diff says the page follows the offering to its new id, once, rather than that it applies to
    ci-pipelines now and no longer to ci, which read as two changes of scope (newuser20's rename
    of payment-api listed both)."""
    git_site.edit("offerings:\n  - id: ci\n", "offerings:\n  - id: ci-pipelines\n    renamed_from: [ci]\n")
    git_site.edit("(offering:ci)", "(offering:ci-pipelines)", "content/welcome.md")
    git_site.edit("offerings: [ci]", "offerings: [ci-pipelines]", "content/welcome.md")
    git_site.commit("Rename ci to ci-pipelines")
    doc = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    pages = [c for c in doc["changes"] if c["kind"] == "page.offerings"]
    assert [(c["text"], c["before"], c["after"]) for c in pages] == [
        ("Policy page “How we work”: follows offering “ci” to its new id “ci-pipelines”", "ci", "ci-pipelines")
    ]
    assert run("build", "--source", git_site.root).exit_code == 0  # and so does the changes page
    changes = (git_site.root / "public/changes/index.html").read_text()
    assert "follows offering “ci” to its new id “ci-pipelines”" in changes
    assert "no longer applies to" not in changes


@pytest.mark.git
def test_a_day_or_a_time_names_the_commit_in_force_then(git_site, run) -> None:
    """An auditor asks what changed between two days: a day names the last commit on HEAD's
    first-parent history dated up to its end (UTC), a time the last up to its second, as
    `promised --at` reads them; a branch or tag of that name still wins."""
    first = git_site.head()  # 'Initial catalog', 2026-05-28 01:00 UTC
    git_site.clock += 86400  # 2026-05-29 02:00
    git_site.edit("objective: 99.5", "objective: 99.0")
    lowered = git_site.commit("Relax the pipeline SLO")
    git_site.clock += 4 * 86400  # 2026-06-02 03:00
    git_site.edit("objective: 99.0", "objective: 99.9")
    raised = git_site.commit("A stricter pipeline SLO")
    result = run("diff", "--source", git_site.root, "2026-05-28", "2026-05-30", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["base"] == {"revision": "2026-05-28", "commit": first}
    assert doc["head"] == {"revision": "2026-05-30", "commit": lowered}
    assert doc["summary"]["weakened"] == 1
    for when, expected in (("2026-05-29T02:00Z", lowered), ("2026-05-29T01:59:59Z", first), ("2026-06-02", raised)):
        doc = json.loads(run("diff", "--source", git_site.root, when, "HEAD", "--format", "json").stdout)
        assert doc["base"]["commit"] == expected, when
    too_early = run("diff", "--source", git_site.root, "2026-05-27")
    assert too_early.exit_code == 2
    assert too_early.stderr == (
        f"error: '2026-05-27': no commit on the history of HEAD is dated on or before 2026-05-27: the first is {first[:12]} "
        "of 2026-05-28 01:00 UTC\n"
    )
    git_site.git("tag", "2026-06-02", first)  # a tag's name is read as git reads it
    doc = json.loads(run("diff", "--source", git_site.root, "2026-06-02", "HEAD", "--format", "json").stdout)
    assert doc["base"]["commit"] == first
