"""The site's audit trail: the changes page, the Atom feed, each offering's and tool's history and
"last changed" on every page, built from scripted git histories with their edge cases."""

from __future__ import annotations

import dataclasses
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from servicebook.cache.digest import digest
from servicebook.git import history, snapshots
from servicebook.git.diff import Change
from servicebook.git.history import Timeline, load_timeline
from servicebook.git.repo import BUILD_INPUTS, build_info, open_repo
from servicebook.site.changes import EntryView, HistoryMemo, HistoryView, atom_feed
from servicebook.site.fresh import scan_sources

from .sitefiles import clean_build, tree

ATOM = "{http://www.w3.org/2005/Atom}"
REPO_LINES = (
    "site:\n  title: Platform services\n",
    "site:\n  title: Platform services\n  repository: https://github.com/acme/catalog\n"
    "  base_url: https://platform.example.com/docs/\n",
)


def _timeline(root: Path, *, use_disk_cache: bool = True) -> Timeline:
    """The history as a build of `root` reads it."""
    repo = open_repo(root)
    return load_timeline(repo, build_info(repo, {}), use_disk_cache=use_disk_cache)


def build(run, root: Path) -> Path:
    result = run("build", "--source", root)
    assert result.exit_code == 0, result.output
    return root / "public"


def scripted_history(git_site) -> dict[str, str]:
    """Initial catalog, then: lower the SLO (by another author), deprecate a tool, raise the SLO."""
    commits = {}
    git_site.edit("objective: 99.5", "objective: 99.0")
    commits["lower"] = git_site.commit(
        "Relax the pipeline SLO during the migration", author="Ops Lead <ops@example.com>"
    )
    git_site.edit("status: supported\n", "status: best-effort\n")
    commits["tool"] = git_site.commit("Shared templates: best effort only")
    git_site.edit("objective: 99.0", "objective: 99.9")
    commits["raise"] = git_site.commit("Migration done: a stricter pipeline SLO")
    return commits


@pytest.mark.git
def test_changes_page_lists_each_commit_with_its_semantic_diff(git_site, run) -> None:
    git_site.edit(*REPO_LINES)
    git_site.commit("Name the repository")
    commits = scripted_history(git_site)
    html = (build(run, git_site.root) / "changes/index.html").read_text()
    lower = commits["lower"]
    assert f'<section class="change-entry" id="c-{lower[:12]}"' in html
    assert '<h2 id="c-' + lower[:12] + '-title">Relax the pipeline SLO during the migration</h2>' in html
    assert (
        f'2026-05-28 03:00 UTC · Ops Lead · <a href="https://github.com/acme/catalog/commit/{lower}">'
        f'<code>{lower[:12]}</code></a> · <strong class="weakens">1 weakens a commitment</strong>'
    ) in html
    assert (
        '<li class="change change-weakened"><strong class="weakens">Weakens a commitment:</strong> SLO “Pipeline '
        "availability” of “CI pipelines” lowered from 99.5 % to 99 %: the error budget grows from 3 h 36 min to "
        "7 h 12 min per rolling 30 days</li>"
    ) in html
    # newest first
    assert html.index(commits["raise"][:12]) < html.index(commits["tool"][:12]) < html.index(lower[:12])
    assert "Catalog published: 1 offering, 2 tool decisions, 1 category" in html
    assert "(hand-rolled-scripts) added" not in html  # named in the tool's own history instead


@pytest.mark.git
def test_feed_is_valid_atom_with_absolute_links_when_base_url_is_set(git_site, run) -> None:
    git_site.edit(*REPO_LINES)
    git_site.commit("Name the repository")
    commits = scripted_history(git_site)
    public = build(run, git_site.root)
    feed = ET.fromstring((public / "changes/feed.xml").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://platform.example.com/docs/changes/"
    assert feed.findtext(f"{ATOM}updated") == "2026-05-28T05:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 5
    first = entries[0]
    assert first.findtext(f"{ATOM}title") == "Migration done: a stricter pipeline SLO"
    assert first.findtext(f"{ATOM}id") == f"https://platform.example.com/docs/changes/#c-{commits['raise'][:12]}"
    assert first.find(f"{ATOM}author/{ATOM}name").text == "Test Author"
    assert entries[2].findtext(f"{ATOM}title") == "Relax the pipeline SLO during the migration (1 weakens a commitment)"
    assert "WEAKENS A COMMITMENT: SLO “Pipeline availability”" in entries[2].findtext(f"{ATOM}content")
    for entry in entries:  # RFC 4287: every entry has id, title, updated and an author
        for tag in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{tag}")
    html = (public / "index.html").read_text()
    assert '<link rel="alternate" type="application/atom+xml" title="Changes" href="changes/feed.xml">' in html


@pytest.mark.git
def test_feed_without_base_url_uses_urns_and_relative_links(git_site, run) -> None:
    scripted_history(git_site)
    feed = ET.fromstring((build(run, git_site.root) / "changes/feed.xml").read_bytes())
    assert feed.findtext(f"{ATOM}id").startswith("urn:servicebook:changes:")
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id").startswith("urn:servicebook:commit:")
    assert entry.find(f"{ATOM}link").get("href").startswith("./#c-")
    assert feed.find(f"{ATOM}link[@rel='self']") is None


@pytest.mark.git
def test_offering_page_shows_its_slo_objectives_over_time(git_site, run) -> None:
    commits = scripted_history(git_site)
    html = (build(run, git_site.root) / "offerings/ci/index.html").read_text()
    section = html.split('<h2 id="history">History</h2>', 1)[1].split("</section>", 1)[0]
    rows = section.split("<tr>")[2:]
    assert len(rows) == 3  # raised, lowered, added with the first catalog
    assert commits["raise"][:12] in rows[0] and "raised from 99 % to 99.9 %" in rows[0]
    assert commits["lower"][:12] in rows[1] and "lowered from 99.5 % to 99 %" in rows[1]
    assert "Offering “CI pipelines” (ci) added: ga, tier 1" in rows[2]
    assert "Last changed: 2026-05-28 04:00 UTC in <code>" + commits["raise"][:12] in html


@pytest.mark.git
def test_tool_page_shows_its_status_over_time(git_site, run) -> None:
    commits = scripted_history(git_site)
    public = build(run, git_site.root)
    html = (public / "tools/shared-pipelines/index.html").read_text()
    assert "moved down the ladder from supported to best-effort" in html
    assert "Last changed: 2026-05-28 03:00 UTC in <code>" + commits["tool"][:12] in html
    other = (public / "tools/hand-rolled-scripts/index.html").read_text()
    initial = git_site.git("rev-list", "--max-parents=0", "HEAD").strip()
    assert f"Last changed: 2026-05-28 01:00 UTC in <code>{initial[:12]}</code>" in other  # untouched since
    assert "Tool “Hand-rolled CI scripts” (hand-rolled-scripts) added: unsupported" in other


@pytest.mark.git
def test_last_changed_on_index_pages_and_policy_pages(git_site, run) -> None:
    commits = scripted_history(git_site)
    public = build(run, git_site.root)
    assert f"<code>{commits['raise'][:12]}</code>" in (public / "index.html").read_text().split("Last changed")[1]
    assert f"<code>{commits['tool'][:12]}</code>" in (public / "tools/index.html").read_text().split("Last changed")[1]
    initial = git_site.git("rev-list", "--max-parents=0", "HEAD").strip()
    policy = (public / "policies/welcome/index.html").read_text()
    assert f"Last changed: 2026-05-28 01:00 UTC in <code>{initial[:12]}</code>" in policy


@pytest.mark.git
def test_renamed_policy_page_keeps_its_history(git_site, run) -> None:
    git_site.edit("during business hours", "during office hours", "content/welcome.md")
    edited = git_site.commit("Reword the welcome page")
    git_site.git("mv", "content/welcome.md", "content/how-we-work.md")
    git_site.edit("policies: [welcome]", "policies: [how-we-work]")
    git_site.commit("Rename the welcome page")
    timeline = _timeline(git_site.root)
    assert [c.text for c in timeline.entries[0].changes] == [
        "Offering “CI pipelines”: policies changed from welcome to how-we-work",
        "Policy page “How we work” moved from content/welcome.md to content/how-we-work.md (its page moves from "
        "policies/welcome/ to policies/how-we-work/, and the old address is gone; declaring renamed_from: [welcome] "
        "in its front matter keeps it)",
    ]
    from servicebook.site.changes import history_view

    view = history_view(timeline, lambda _sha: None)
    events = view.history_of("page:how-we-work")
    assert [e.entry.commit for e in events][1] == edited  # the edit made under the old name
    assert [c.text for c in events[1].changes] == ["Policy page “How we work”: section “What we support” changed"]


@pytest.mark.git
def test_merge_commit_carries_what_the_branch_changed(git_site, run) -> None:
    git_site.git("checkout", "-q", "-b", "feature")
    git_site.edit("response: 30m", "response: 15m")
    git_site.commit("Faster sev1 response")
    git_site.git("checkout", "-q", "main")
    git_site.edit("owner: Platform Team\n    tier", "owner: Build Guild\n    tier")
    git_site.commit("New owner")
    git_site.clock += 3600
    git_site.git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature'", "feature")
    timeline = _timeline(git_site.root)
    merge = timeline.entries[0]
    assert merge.merge and merge.message == "Merge branch 'feature'"
    assert [c.text for c in merge.changes] == [
        "Team support: first response for sev1 (Critical) faster, from 30 min to 15 min"
    ]
    assert [e.message for e in timeline.entries] == ["Merge branch 'feature'", "New owner", "Initial catalog"]


@pytest.mark.git
def test_a_merge_names_who_wrote_the_changes_it_brought_in(git_site, run) -> None:
    """An auditor asks who lowered an objective: the author of the branch's commit, not the
    person who merged it."""
    git_site.git("checkout", "-q", "-b", "weaken")
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.commit("Relax the pipeline objective", author="Carol Weakener <carol@example.com>")
    git_site.write("README.md", "not a catalog file\n")
    git_site.commit("Readme", author="Rita Readme <rita@example.com>")  # touches neither catalog nor pages
    git_site.git("checkout", "-q", "main")
    git_site.clock += 3600
    git_site.git("merge", "-q", "--no-ff", "-m", "Merge branch 'weaken'", "weaken")
    public = build(run, git_site.root)
    changes = (public / "changes/index.html").read_text()
    assert "· Test Author · <code>" in changes
    assert '<span class="badge">merge</span> of changes by Carol Weakener · <strong class="weakens">' in changes
    offering = (public / "offerings/ci/index.html").read_text()
    assert '<td>Carol Weakener <span class="muted small">(merged by Test Author)</span></td>' in offering
    feed = (public / "changes/feed.xml").read_text()
    assert "<contributor>\n      <name>Carol Weakener</name>\n    </contributor>" in feed
    assert "Rita Readme" not in changes + offering + feed
    again = build(run, git_site.root)  # the second time from the cache, which says the same
    assert (again / "changes/index.html").read_text() == changes


@pytest.mark.git
def test_a_squashed_pull_request_names_its_co_authors(git_site, run) -> None:
    """An auditor asks who lowered an objective: a squash merge (or a pair) names the others in
    Co-authored-by trailers, and the site names them with the author, as the forge does."""
    git_site.edit("objective: 99.5", "objective: 99.0")
    git_site.commit(
        "Relax the pipeline objective (#12)\n\n* relax it\n* say why\n\n"
        "Co-authored-by: Dave Pair <dave@example.com>\nco-authored-by: Erin Other <erin@example.com>\n"
        "Co-authored-by: Carol Weakener <carol@example.com>\nReviewed-by: Rita Reviewer <rita@example.com>",
        author="Carol Weakener <carol@example.com>",
    )
    public = build(run, git_site.root)
    changes = (public / "changes/index.html").read_text()
    assert "· Carol Weakener with Dave Pair, Erin Other · <code>" in changes
    offering = (public / "offerings/ci/index.html").read_text()
    assert "<td>Carol Weakener with Dave Pair, Erin Other</td>" in offering
    feed = ET.parse(public / "changes/feed.xml").getroot()
    newest = feed.findall(f"{ATOM}entry")[0]
    assert [a.findtext(f"{ATOM}name") for a in newest.findall(f"{ATOM}author")] == [
        "Carol Weakener",
        "Dave Pair",
        "Erin Other",
    ]
    # a reviewer is no author: named as the trailer says, on a line of its own (test_history_command)
    assert "Rita Reviewer" not in offering
    assert '<p class="meta muted small">Committed by Test Author · Reviewed-by: Rita Reviewer</p>' in changes
    entry = _timeline(git_site.root).entries[0]
    assert entry.coauthors == ("Dave Pair", "Erin Other")
    assert entry.approvals == ("Reviewed-by: Rita Reviewer",)
    again = build(run, git_site.root)  # the second time from the cache, which says the same
    assert (again / "changes/index.html").read_text() == changes


@pytest.mark.git
def test_invalid_commit_appears_as_such_and_does_not_break_the_build(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 101")
    git_site.commit("Oops")
    git_site.edit("objective: 101", "objective: 99.9")
    git_site.commit("Fix the objective")
    html = (build(run, git_site.root) / "changes/index.html").read_text()
    assert "The catalog in this commit did not validate (1 error);" in html
    fix = html.split("Fix the objective", 1)[1].split("</section>", 1)[0]
    assert "raised from 99.5 % to 99.9 %" in fix  # against the last catalog that validated


@pytest.mark.git
def test_uncommitted_changes_show_as_working_tree(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 98")
    public = build(run, git_site.root)
    html = (public / "changes/index.html").read_text()
    assert '<section class="change-entry" id="working-tree"' in html
    assert '<h2 id="working-tree-title">Uncommitted changes (working tree)</h2>' in html
    offering = (public / "offerings/ci/index.html").read_text()
    assert "Last changed: uncommitted changes (working tree)" in offering


@pytest.mark.git
def test_shallow_clone_says_the_history_is_truncated(git_site, run, tmp_path) -> None:
    scripted_history(git_site)
    clone = tmp_path / "shallow"
    git_site.git("clone", "-q", "--depth", "2", f"file://{git_site.root}", str(clone))
    html = (build(run, clone) / "changes/index.html").read_text()
    assert "This history is truncated: the site was built from a shallow clone." in html
    assert "<code>git fetch --unshallow --tags</code>" in html
    assert html.count('class="change-entry"') == 2
    assert "The history before this commit is not in the clone" in html
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"], check=True, capture_output=True)
    html = (build(run, clone) / "changes/index.html").read_text()  # HEAD did not move, the history did
    assert "This history is truncated" not in html
    assert html.count('class="change-entry"') == 4


def test_not_a_git_repository_builds_and_says_there_is_no_history(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    html = (public / "changes/index.html").read_text()
    assert "not a git repository, so there is no history to show" in html
    assert not (public / "changes/feed.xml").exists()
    assert "Last changed" not in (public / "offerings/ci/index.html").read_text()


@pytest.mark.git
def test_history_output_is_byte_identical_between_builds_and_a_rebuild_parses_nothing(git_site, run, tmp_path) -> None:
    scripted_history(git_site)
    first = build(run, git_site.root)
    snapshot = {p.relative_to(first): p.read_bytes() for p in sorted(first.rglob("*")) if p.is_file()}
    assert _timeline(git_site.root).parsed == 0  # all from the disk cache
    fresh = _timeline(git_site.root, use_disk_cache=False)
    assert fresh.parsed == 4  # one per distinct catalog blob
    second = build(run, git_site.root)
    again = {p.relative_to(second): p.read_bytes() for p in sorted(second.rglob("*")) if p.is_file()}
    assert again == snapshot
    assert (git_site.root / ".servicebook-cache/.gitignore").read_text().endswith("*\n")


@pytest.mark.git
def test_a_long_history_is_paged_and_links_find_the_right_page(git_site, run) -> None:
    for n in range(55):
        git_site.edit(f'version: "0.1"\n# note {n - 1}\n' if n else 'version: "0.1"\n', f'version: "0.1"\n# note {n}\n')
        git_site.edit("Pipeline availability", f"Pipeline availability {n}" if n == 0 else "Pipeline availability 0")
        git_site.commit(f"Edit {n}")
    public = build(run, git_site.root)
    first = (public / "changes/index.html").read_text()
    second = (public / "changes/2/index.html").read_text()
    assert first.count('class="change-entry"') == 50 and second.count('class="change-entry"') == 6
    assert '<a href="2/" rel="next">Older changes →</a>' in first
    assert '<a href="../" rel="prev">← Newer changes</a>' in second
    assert 'Changes <span class="muted">(page 2 of 2)</span>' in second
    initial = git_site.git("rev-list", "--max-parents=0", "HEAD").strip()
    tool = (public / "tools/hand-rolled-scripts/index.html").read_text()
    assert f'<a href="../../changes/2/#c-{initial[:12]}">what changed</a>' in tool
    feed = ET.fromstring((public / "changes/feed.xml").read_bytes())
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert links[0].startswith("./#c-") and links[-1] == f"2/#c-{initial[:12]}"


@pytest.mark.git
def test_control_and_bidi_characters_in_commit_messages_do_not_reach_the_site(git_site, run) -> None:
    git_site.edit("objective: 99.5", "objective: 99.9")
    git_site.git("add", "-A")
    git_site.clock += 3600
    git_site.git("commit", "-q", "-m", "Raise\x01 the \u202eSLO\u202c", "--author", "Eve\x1b[31m <eve@example.com>")
    public = build(run, git_site.root)
    feed = ET.fromstring((public / "changes/feed.xml").read_bytes())  # would fail on a control character
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Raise the SLO"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Eve[31m"
    html = (public / "changes/index.html").read_text()
    assert "\u202e" not in html and "\x1b" not in html


@pytest.mark.git
def test_reading_by_records_gives_the_same_timeline(git_site, monkeypatch) -> None:
    scripted_history(git_site)
    git_site.edit("objective: 99.9", "objective: 101")
    git_site.commit("Broken")
    repo = open_repo(git_site.root)
    info = build_info(repo, {})
    whole = load_timeline(repo, info, use_disk_cache=False)
    monkeypatch.setattr(snapshots, "BY_RECORDS", 0)
    by_records = load_timeline(repo, info, use_disk_cache=False)
    assert by_records.entries == whole.entries
    assert by_records.entries[0].state == "invalid" and by_records.entries[0].errors == 1


@pytest.mark.git
def test_the_example_site_shows_its_own_history(run, tmp_path) -> None:
    """The bundled example, committed into a repository of its own (never this repository's
    history: the suite must pass from an sdist or a shallow clone), lists each of its commits
    with its subject escaped."""
    import shutil

    from .conftest import REPO, GitSite

    (tmp_path / "example").mkdir()
    site = GitSite(tmp_path / "example")
    shutil.copy(REPO / "catalog.yaml", site.root)
    shutil.copytree(REPO / "content", site.root / "content")
    first = site.commit("Publish the example catalog")
    text = site.catalog.read_text()
    assert "objective: 99.9\n" in text
    site.edit("objective: 99.9\n", "objective: 99.5\n")
    subject = """Lower the "runners" SLO & say why in <the> team's words"""
    second = site.commit(subject)
    result = run("build", "--source", site.root, "--output", tmp_path / "public", "--no-versions")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "public/changes/index.html").read_text()
    for sha in (first, second):
        assert f'<h2 id="c-{sha[:12]}-title">' in html
    assert "Lower the &#34;runners&#34; SLO &amp; say why in &lt;the&gt; team&#39;s words" in html
    assert subject not in html


@pytest.mark.git
def test_a_site_in_a_subfolder_of_the_repository_has_its_history_and_diff(tmp_path, run) -> None:
    import shutil

    from .conftest import SITES, GitSite

    (tmp_path / "mono").mkdir()
    repo = GitSite(tmp_path / "mono")
    shutil.copytree(SITES / "minimal", repo.root / "docs" / "catalog")
    (repo.root / "README.md").write_text("a monorepo\n")
    repo.commit("Add the catalog")
    repo.edit("objective: 99.5", "objective: 99.0", "docs/catalog/catalog.yaml")
    repo.commit("Relax the SLO")
    (repo.root / "README.md").write_text("a monorepo, edited\n")
    repo.commit("Unrelated change")
    site = repo.root / "docs" / "catalog"
    timeline = _timeline(site)
    assert [e.message for e in timeline.entries] == ["Relax the SLO", "Add the catalog"]
    result = run("diff", "--source", site, "HEAD~2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"kind": "slo.objective"' in result.stdout


@pytest.mark.git
def test_an_offering_given_a_new_id_keeps_its_history(git_site) -> None:
    from servicebook.site.changes import history_view

    git_site.edit("objective: 99.5", "objective: 99.0")
    lowered = git_site.commit("Relax the SLO")
    git_site.edit("  - id: ci\n    name: CI pipelines\n", "  - id: pipelines\n    name: CI pipelines\n")
    git_site.edit("offerings: [ci]", "offerings: [pipelines]", "content/welcome.md")
    git_site.edit("(offering:ci)", "(offering:pipelines)", "content/welcome.md")
    git_site.commit("Rename the offering's id")
    view = history_view(_timeline(git_site.root), lambda _sha: None)
    events = view.history_of("offering:pipelines")
    assert [e.entry.message for e in events] == ["Rename the offering's id", "Relax the SLO", "Initial catalog"]
    assert events[1].entry.commit == lowered
    assert view.history_of("offering:ci") == ()


@pytest.mark.git
def test_the_history_takes_the_pages_the_build_read_without_parsing_them_again(git_site, monkeypatch) -> None:
    # A page's outline comes from the build's own reading of it, whether committed (git's blob id)
    # or edited in the working tree; only versions the build did not read are parsed again.
    import servicebook.git.diff
    from servicebook.site.build import Options, gather

    git_site.write("content/handbook.md", "---\ntitle: Handbook\n---\n\n## Paging\n\nPage us.\n")
    git_site.commit("Add the handbook")
    git_site.edit("Page us.", "Page us, then call.", "content/handbook.md")  # uncommitted
    parsed: list[str] = []
    real = servicebook.git.diff.page_info
    monkeypatch.setattr(servicebook.git.diff, "page_info", lambda path, *rest: parsed.append(path) or real(path, *rest))
    monkeypatch.setattr(snapshots, "page_info", servicebook.git.diff.page_info)
    env = {"SERVICEBOOK_WORKERS": "1"}
    repo = open_repo(git_site.root)
    info = build_info(repo, env)
    loaded, _ = gather(Options(git_site.root, git_site.root / "public", env=env), action="build", build=info)
    assert loaded.site is not None
    seeded = load_timeline(repo, loaded.site.build, use_disk_cache=False, outlines=loaded.outlines)
    assert parsed == ["content/handbook.md"]  # only its committed version: the build read the edited one
    parsed.clear()
    fresh = load_timeline(repo, loaded.site.build, use_disk_cache=False)
    assert sorted(parsed) == ["content/handbook.md"] * 2 + ["content/welcome.md"] * 2  # committed, working tree
    assert seeded == fresh  # the same history either way


@pytest.mark.git
def test_the_changes_page_and_history_sections_mark_where_each_release_was_cut(git_site, run) -> None:
    """An auditor reading the changes needs to see which commit each release is: the entry of a
    release commit links to v/<version>/, on the changes page and in every History section."""
    git_site.tag("v0.1")
    first = git_site.git("rev-parse", "HEAD").strip()
    git_site.edit("objective: 99.5", "objective: 99.0")
    unreleased = git_site.commit("Relax the pipeline SLO")
    git_site.edit('version: "0.1"', 'version: "0.2"')
    released = git_site.commit("Release 0.2")
    git_site.tag("v0.2")
    git_site.edit("objective: 99.0", "objective: 99.9")
    git_site.commit("Raise it again, not yet released")
    public = build(run, git_site.root)
    html = (public / "changes/index.html").read_text()
    sections = {m.split('"', 1)[0]: m for m in html.split('<section class="change-entry" id="c-')[1:]}
    assert '· <a class="badge release" href="../v/0.2/">Release 0.2</a>' in sections[released[:12]]
    assert '<a class="badge release" href="../v/0.1/">Release 0.1</a>' in sections[first[:12]]
    assert "badge release" not in sections[unreleased[:12]]
    assert html.count('class="badge release"') == 2
    offering = (public / "offerings/ci/index.html").read_text()
    assert '<a class="badge release" href="../../v/0.1/">Release 0.1</a>' in offering  # the commit that added it
    assert (public / "v/0.2/index.html").is_file()


@pytest.mark.git
def test_a_build_after_new_commits_replays_only_those_and_equals_a_replay_from_nothing(
    git_site, run, tmp_path, monkeypatch
) -> None:
    """The command line keeps where its replay of the history ended (the disk cache, by commit):
    the next build replays only the commits made since, when that commit is on HEAD's
    first-parent line, and the whole history otherwise (a branch reset, an entry it cannot
    read); every time, the timeline is the one a replay from nothing reads, and the site a
    build from nothing's."""
    from servicebook.git import history

    from .sitefiles import clean_build, tree

    replayed: list[int] = []
    real = history._replay
    monkeypatch.setattr(
        history,
        "_replay",
        lambda reader, repo, commits, *a: replayed.append(len(commits)) or real(reader, repo, commits, *a),
    )

    def check(expected: list[int]) -> None:
        replayed.clear()
        kept = _timeline(git_site.root)
        assert replayed == expected
        replayed.clear()
        assert kept == _timeline(git_site.root, use_disk_cache=False)
        assert [e.date for e in kept.entries] == [
            e.date for e in _timeline(git_site.root, use_disk_cache=False).entries
        ]

    scripted_history(git_site)
    check([4])  # nothing kept yet: the whole history
    check([0])  # the same commit: nothing replayed
    git_site.edit("during business hours", "during office hours", "content/welcome.md")
    git_site.commit("Reword the welcome page")
    git_site.write("README.md", "not a catalog file\n")
    git_site.commit("Readme")  # touches neither the catalog nor the pages
    check([1])
    git_site.git("checkout", "-q", "-b", "feature")
    git_site.edit("response: 30m", "response: 15m")
    git_site.commit("Faster sev1 response")
    check([1])
    git_site.git("checkout", "-q", "main")
    git_site.clock += 3600
    git_site.git("merge", "-q", "--no-ff", "-m", "Merge branch 'feature'", "feature")
    check([6])  # the kept commit is the merge's second parent, not on the first-parent line
    assert _timeline(git_site.root).entries[0].contributors == ("Test Author",)
    git_site.git("reset", "-q", "--hard", "HEAD~2")
    git_site.edit("objective: 99.9", "objective: 99.8")
    git_site.commit("Rewritten: another objective")
    check([6])  # history rewritten
    for entry in (git_site.root / ".servicebook-cache/history").glob("*/*.json"):
        if '"head"' in entry.read_text():  # (with the checksum of what it says, as the cache writes it)
            forged = b'{"head": "--all", "entries": [], "files": {}, "last_valid": null}'
            entry.write_bytes(f"{digest(forged)}\n".encode() + forged)
    check([6])  # not an entry this code wrote
    # a build after a commit, from what the last build kept, is a build from nothing's
    assert run("build", "--source", git_site.root).exit_code == 0
    git_site.edit("objective: 99.8", "objective: 99.7")
    git_site.commit("One more objective")
    replayed.clear()
    assert run("build", "--source", git_site.root).exit_code == 0
    assert replayed == [1]
    assert tree(git_site.root / "public") == clean_build(run, git_site.root, tmp_path)


def _worktree_steps(git_site) -> list[tuple[str, Callable[[], object], set[str]]]:
    """Uncommitted changes to a site of thirty committed notes, in order, each with the files that
    differ from the commit after it (what the history's working-tree entry must read)."""
    site = git_site.root
    return [
        ("a page edited", lambda: git_site.edit("Note 4.", "Note four.", "content/note-04.md"), {"content/note-04.md"}),
        (
            "another page edited",
            lambda: git_site.edit("Note 9.", "Note nine.", "content/note-09.md"),
            {"content/note-04.md", "content/note-09.md"},
        ),
        (
            "a page added",
            lambda: git_site.write("content/paging.md", "---\ntitle: Paging\n---\n\n## Hours\n\nHi.\n"),
            {"content/note-04.md", "content/note-09.md", "content/paging.md"},
        ),
        (
            "a page removed",
            (site / "content" / "note-12.md").unlink,
            {"content/note-04.md", "content/note-09.md", "content/paging.md"},
        ),
        (
            "an SLO edited",
            lambda: git_site.edit("objective: 99.5", "objective: 99.0"),
            {"content/note-04.md", "content/note-09.md", "content/paging.md"},
        ),
        (
            "a page as committed again",
            lambda: git_site.git("checkout", "--", "content/note-04.md"),
            {"content/note-09.md", "content/paging.md"},
        ),
    ]


def _thirty_notes(git_site) -> None:
    (git_site.root / ".gitignore").write_text("public/\n.servicebook-cache/\n")
    for n in range(30):
        git_site.write(f"content/note-{n:02d}.md", f"---\ntitle: Note {n}\n---\n\nNote {n}.\n")
    git_site.commit("Thirty notes")


@pytest.mark.git
def test_a_command_line_rebuild_reads_for_the_history_only_the_working_tree_files_not_as_committed(
    git_site, run, tmp_path, monkeypatch
) -> None:
    """The history's working-tree entry (history._worktree_ids) is made of the ids of catalog.yaml
    and every page as they are on disk. A build of the command line takes a page whose hash (the
    survey's: git's id of its bytes) is the blob the commit holds as that blob, unread, and reads
    only catalog.yaml and the pages that differ from the commit, not every page of the site
    (5,000 files read and hashed at 5,000 pages, for a one-page edit). Each output is a build from
    nothing's."""
    _thirty_notes(git_site)
    site = git_site.root
    read: list[int] = []  # each file the history read from the working tree (hashed as it is read)
    real = history.worktree_blob_id
    monkeypatch.setattr(history, "worktree_blob_id", lambda data: read.append(len(data)) or real(data))
    assert run("build", "--source", site).exit_code == 0
    for what, change, differ in _worktree_steps(git_site):
        change()
        read.clear()
        result = run("build", "--source", site)
        assert result.exit_code == 0, (what, result.output)
        assert len(read) == len(differ) + 1, (what, len(read))  # and catalog.yaml
        assert tree(site / "public") == clean_build(run, site, tmp_path), what


@pytest.mark.git
def test_the_working_tree_entry_made_from_the_surveys_hashes_is_the_one_made_from_every_file(git_site) -> None:
    """The history's working-tree entry made with the survey's hashes (reading only the files not
    as committed) equals the one made by reading every page, after each uncommitted change; and
    hidden pages, which the build skips, are left out of both."""
    _thirty_notes(git_site)
    repo = open_repo(git_site.root)
    steps = [
        *_worktree_steps(git_site),
        ("a hidden page", lambda: git_site.write("content/.draft.md", "---\ntitle: Draft\n---\n\nNot yet.\n"), set()),
    ]
    for what, change, _ in steps:
        change()
        hashes, _ = scan_sources(git_site.root, BUILD_INPUTS)
        info = build_info(repo, {})
        surveyed = load_timeline(repo, info, use_disk_cache=False, hashes=hashes)
        every = load_timeline(repo, info, use_disk_cache=False)
        assert surveyed.entries[0].commit is None and surveyed.entries[0].changes, what  # the working tree's
        assert surveyed == every, what


def _feed_entry(n: int, changes: int) -> EntryView:
    commit = f"{n:040x}"
    made = tuple(Change("page.added", f"page:p{i}", "neutral", f"Policy page “Page {i}” added") for i in range(changes))
    return EntryView(
        commit, commit[:12], None, f"c-{commit[:12]}", "changes/", "A", "2026-05-28 14:00 UTC", "2026-05-28T14:00:00Z",
        f"Commit {n}", False, "ok", 0, made, 0,
    )  # fmt: skip


def test_a_serve_rebuild_takes_the_last_feed_while_its_committed_entries_are_the_very_ones() -> None:
    """A commit that added 5,000 pages is one feed entry of 5,000 lines: `serve` made its 0.5 MB
    feed again at every rebuild, ~2 MiB of text and XML on the way at the top of its memory
    (bench/README.md, ownmem27); with the view's memo the last one is taken, the same bytes."""
    import tracemalloc

    working = dataclasses.replace(_feed_entry(0, 1), commit=None, short=None, date="", iso="")
    first = _feed_entry(1, 5000)
    view = HistoryView(available=True, shallow=False, entries=(working, first))
    memo = HistoryMemo()
    made = atom_feed(view, "Platform", None, None, memo)
    assert made == atom_feed(view, "Platform", None, None)
    # (the working tree's entry another, the commit's viewed again: the first uncommitted edit's)
    entries = (dataclasses.replace(working, message="x"), dataclasses.replace(first))
    again = HistoryView(available=True, shallow=False, entries=entries)
    tracemalloc.start()
    try:
        taken = atom_feed(again, "Platform", None, None, memo)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert taken == made
    assert peak < 2 * len(made)  # the feed itself, not the text and XML it is made from (~5 times its size)
    # a new commit, another title: made again, as a build without a memo makes it
    newer = HistoryView(available=True, shallow=False, entries=(working, _feed_entry(2, 3), first))
    assert atom_feed(newer, "Platform", None, None, memo) == atom_feed(newer, "Platform", None, None)
    assert atom_feed(newer, "Other", None, None, memo) == atom_feed(newer, "Other", None, None)
    assert b"Changes to Other" in atom_feed(newer, "Other", None, None, memo)
