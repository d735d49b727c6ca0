"""Hostile inputs of 6 Dec 2026 (twelfth round): what other teams, other tools and other machines
hand servicebook. Release tags on trees, blobs and other tags; thousands of tags (or pages, or
SLOs) that each earn the same warning; release folders and published files that macOS and Windows
checkouts cannot hold (names differing only in case, device names, a final dot); files written in
UTF-16 by Windows tools; a member of an organisation named like one of its own records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servicebook.errors import MAX_ALIKE, SHOWN_ALIKE, Problem, Severity, SourceLocation, alike

from .conftest import GitSite
from .test_federation import Member, organisation


def _published_versions(site: GitSite) -> dict[str, str | None]:
    """version → the tag that publishes it, as the built versions.json says."""
    return {v["version"]: v["tag"] for v in json.loads((site.root / "public" / "versions.json").read_text())}


@pytest.mark.git
@pytest.mark.parametrize(
    ("target", "kind"),
    [("HEAD^{tree}", "tree"), ("HEAD:catalog.yaml", "blob"), ("annotated HEAD^{tree}", "tree")],
    ids=["a tag on a tree", "a tag on a blob", "an annotated tag on a tree"],
)
def test_a_release_tag_on_a_tree_or_a_blob_is_said_to_name_one(run, git_site: GitSite, target: str, kind: str) -> None:
    """A tag can name any object: `git tag v0.2 HEAD^{tree}` (a slip for HEAD^{commit}) or a tag
    a tool put on a file's blob. Such a tag was said to be "not on the first-parent history of the
    built branch", which sent its author looking through the history for a commit that is not
    there. It is said to name a tree (or a blob), which releases nothing, and how to move it."""
    annotated = target.startswith("annotated ")
    named = git_site.git("rev-parse", target.removeprefix("annotated ")).strip()
    git_site.git("tag", *(["-a", "-m", "release"] if annotated else []), "v0.2", named)
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"git: warning: tag v0.2 names a {kind} ({named[:12]}), not a commit, so it releases nothing; skipped"
    ) in result.output
    assert "hint: a release tag names the commit whose catalog it releases: `git tag -f v0.2 <commit>`" in result.output
    assert "first-parent" not in result.output
    assert run("build", "--source", git_site.root, "--strict").exit_code == 1


@pytest.mark.git
def test_an_annotated_tag_of_an_annotated_tag_releases_the_commit_at_the_end_of_the_chain(
    run, git_site: GitSite
) -> None:
    """`git tag -a v0.1 v0.1-rc` (tagging the release candidate's tag, not its commit) makes a tag
    of a tag: git peels the chain to the commit, but only its first link was read, so the release
    was skipped as "not on the first-parent history"."""
    git_site.tag("v0.1-rc", annotated=True)
    git_site.git("tag", "-a", "-m", "release", "v0.1", "v0.1-rc")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert "v0.1" not in result.output.replace("v0.1-rc", "")
    assert _published_versions(git_site) == {"0.1": "v0.1"}


@pytest.mark.git
def test_a_release_tag_named_like_a_branch_releases_its_commit(run, git_site: GitSite) -> None:
    """A branch and a tag both called v0.1 (a release branch cut at the tag): git shortens the tag's
    name to `tags/v0.1` where the two would be ambiguous, which the release pattern v* does not
    match, so the release was left out without a word."""
    git_site.tag("v0.1")
    git_site.git("branch", "v0.1")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert _published_versions(git_site) == {"0.1": "v0.1"}


TAGS = 2_000


@pytest.mark.git
def test_thousands_of_tags_on_one_commit_print_a_few_warnings_and_a_count(run, git_site: GitSite) -> None:
    """Thousands of release tags on one commit (a bot tagging each CI run) each earned a warning and a
    hint: 20,000 tags printed 40,000 lines, the build's own report lost at their top. The first few are shown, then
    one line counts the rest, names the first of them and says how to see each."""
    head = git_site.head()
    git_site.git("update-ref", "--stdin", stdin="".join(f"create refs/tags/v0.1-r{i:05} {head}\n" for i in range(TAGS)))
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert result.output.count("warning: tag v0.1-r") == SHOWN_ALIKE
    assert (
        f"git: warning: {TAGS - SHOWN_ALIKE:,} more warnings like the 3 above, about v0.1-r00003, v0.1-r00004, "
        f"v0.1-r00005 and {TAGS - SHOWN_ALIKE - 3:,} more\n  hint: `servicebook build --all-warnings` shows each\n"
    ) in result.output
    assert len(result.output.splitlines()) < 40
    every = run("build", "--source", git_site.root, "--all-warnings")
    assert every.exit_code == 0, every.output
    assert every.output.count("warning: tag v0.1-r") == TAGS
    github = run("build", "--source", git_site.root, "--format", "github")
    assert github.output.count("::warning file=git") == SHOWN_ALIKE + 1


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_a_warning_each_page_earns_is_shown_for_the_first_few_pages_and_the_rest_counted(
    run, site_copy, fmt: str
) -> None:
    """The same slip in 40 pages (a link whose address has a space, pasted from one template) gave
    40 warnings of two lines. `check` shows the first few, then counts the rest naming what they
    quote; `--all-warnings` shows each and `--format json` lists each, as machines want them."""
    site = site_copy("minimal")
    for i in range(40):
        (site / "content" / f"page-{i:02}.md").write_text(
            f"---\ntitle: Page {i}\n---\nSee [guide {i}](the guide.md).\n"
        )
    result = run("check", "--source", site, "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "text":
        assert result.output.count("is shown as text, not as a link") == SHOWN_ALIKE
        assert (
            f"{site}/content/page-03.md: warning: 37 more warnings like the 3 above, about [guide 3](the guide.md), "
            "[guide 4](the guide.md), [guide 5](the guide.md) and 34 more\n"
            "  hint: `servicebook check --all-warnings` shows each\n"
        ) in result.output
        assert (
            "Ready to build: 1 offering, 1 SLO, 2 tool decisions, 41 policy pages; no errors, 40 warnings (above)."
            in result.output
        )
    else:
        assert result.output.count("::warning ") == SHOWN_ALIKE + 1
        assert "servicebook check passed: 0 errors, 40 warnings" in result.output
    every = run("check", "--source", site, "--format", fmt, "--all-warnings")
    assert every.output.count("is shown as text, not as a link") == 40
    listed = json.loads(run("check", "--source", site, "--format", "json").output)
    assert len(listed["problems"]) == 40


def test_warnings_of_one_kind_are_counted_past_the_first_few_and_errors_never_are() -> None:
    """What `alike` keeps: each error; of warnings of one kind (each about a name of its own), the
    first SHOWN_ALIKE where there are more than MAX_ALIKE, and one line counting the rest where the
    next one was."""

    def warning(name: str, line: int) -> Problem:
        return Problem(
            SourceLocation("catalog.yaml", line, 3),
            f"the decision on '{name}' was due for review on 2026-01-0{line % 9}",
            severity=Severity.WARNING,
            kind="decision-due-for-review",
        )

    errors = [
        Problem(SourceLocation("catalog.yaml", 50 + i, 1), f"unknown offering 'x{i}'") for i in range(MAX_ALIKE + 2)
    ]
    few = [warning(f"tool-{i}", i) for i in range(MAX_ALIKE)]
    assert alike([*few, *errors]) == [*few, *errors]
    many = [warning(f"tool-{i}", i) for i in range(MAX_ALIKE + 1)]
    other = Problem(
        SourceLocation("git"), "tag v9 is not on the first-parent history", severity=Severity.WARNING, subject="v9"
    )
    shown = alike([*many[:4], other, *many[4:], *errors])
    assert shown[:SHOWN_ALIKE] == many[:SHOWN_ALIKE]
    assert shown[SHOWN_ALIKE].message == "3 more warnings like the 3 above, about tool-3, tool-4, tool-5"
    assert shown[SHOWN_ALIKE].location == SourceLocation("catalog.yaml")
    assert shown[SHOWN_ALIKE + 1 :] == [other, *errors]


def test_warnings_are_counted_by_the_kind_said_where_they_are_made_not_by_their_words() -> None:
    """Warnings of one kind (`Problem.kind`) are counted together whatever names their words hold,
    quoted or not (a tag that failed for six different reasons); warnings worded alike but of two
    kinds are not counted as one."""

    def failed(tag: str, why: str, kind: str = "tag-release-failed") -> Problem:
        message = f"tag {tag} was skipped: release {tag} there {why}"
        return Problem(SourceLocation("git"), message, severity=Severity.WARNING, subject=tag, kind=kind)

    reasons = ["has 2 errors", "cannot be read", "has broken links", "cannot be built", "is empty", "has no version"]
    tags = [failed(f"v{i}", why) for i, why in enumerate(reasons)]
    shown = alike(tags)
    assert shown[:SHOWN_ALIKE] == tags[:SHOWN_ALIKE]
    assert [p.message for p in shown[SHOWN_ALIKE:]] == ["3 more warnings like the 3 above, about v3, v4, v5"]
    two_kinds = [failed(f"v{i}", "is empty", "tag-release-failed" if i % 2 else "other") for i in range(MAX_ALIKE + 1)]
    assert alike(two_kinds) == two_kinds


@pytest.mark.git
def test_two_releases_whose_versions_differ_only_in_case_publish_the_earlier_and_say_why(
    run, git_site: GitSite
) -> None:
    """Catalog versions 1.0-rc and then 1.0-RC were published as v/1.0-rc/ and v/1.0-RC/: one folder
    on macOS and Windows, so a checkout of the built site there (a gh-pages branch, a copy on a
    laptop) held one release under both names, or failed. The earlier stays published, as a
    published release never changes; the later is said not to be, and why."""
    git_site.edit('version: "0.1"', 'version: "1.0-rc"')
    first = git_site.commit("Release candidate")
    git_site.tag("v1.0-rc")
    git_site.edit('version: "1.0-rc"', 'version: "1.0-RC"')
    later = git_site.commit("The same candidate, written in capitals")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"git: warning: catalog versions 1.0-rc (tag v1.0-rc) and 1.0-RC (commit {later[:12]}) differ only in case: "
        "v/1.0-rc/ and v/1.0-RC/ are one folder on macOS and Windows, so 1.0-RC is not published"
    ) in result.output
    assert sorted(p.name for p in (git_site.root / "public" / "v").iterdir()) == ["0.1", "1.0-rc"]
    assert _published_versions(git_site) == {"0.1": None, "1.0-rc": "v1.0-rc"}
    assert json.loads((git_site.root / "public" / "versions.json").read_text())[0]["commit"] == first


@pytest.mark.parametrize(
    ("version", "said"),
    [
        (
            "2.0.",
            "'version' '2.0.' ends in '.', which Windows drops from the name of its release's folder (v/2.0./ is v/2.0/ there)",
        ),
        ("CON", "'version' 'CON' names the folder of its release (v/CON/), which Windows takes for a device"),
        ("aux.1", "'version' 'aux.1' names the folder of its release (v/aux.1/), which Windows takes for a device"),
    ],
)
def test_a_version_no_windows_folder_can_be_named_is_a_located_error(run, site_copy, version: str, said: str) -> None:
    """A version names its release's folder, v/<version>/: `2.0.` is v/2.0/ on Windows (which drops
    a final dot) and `CON` or `aux.1` a device there, so no checkout of the site can hold it."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace('version: "0.1"', f'version: "{version}"'))
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"catalog.yaml:3:10: error: {said}" in result.output


def test_a_published_file_named_for_a_windows_device_is_a_located_error(run, site_copy) -> None:
    """`content/aux.png`, linked from a page, was published as policies/aux.png, which Windows takes
    for the device AUX (whatever its ending): no checkout of the built site there holds it."""
    site = site_copy("minimal")
    (site / "content" / "aux.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (site / "content" / "nul.txt").write_text("not linked: not published")
    welcome = site / "content" / "welcome.md"
    welcome.write_text(welcome.read_text() + "\n![The pipeline](aux.png)\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert (
        f"{site}/content/aux.png: error: 'aux.png' cannot be published: Windows takes it for a device (AUX), so no "
        "checkout of the site there can hold it\n  hint: rename it, and the links to it\n"
    ) in result.output
    assert "nul.txt" not in result.output


def test_an_slo_import_of_many_alike_shows_the_first_few_warnings_and_counts_the_rest(run, tmp_path: Path) -> None:
    """A Sloth spec of 40 SLOs, each with its alerting (which the catalog does not carry): 40
    warnings that each say "dropped 'alerting'". The first few are shown and the rest counted, as
    the portal and radar imports already did; `--all-warnings` shows each."""
    slos = "".join(
        f"  - name: requests-{i}\n    objective: 99.9\n    sli:\n      events:\n"
        f"        error_query: sum(rate(errors_total[{{{{.window}}}}]))\n"
        f"        total_query: sum(rate(requests_total[{{{{.window}}}}]))\n"
        f"    alerting:\n      name: Alert{i}\n"
        for i in range(40)
    )
    spec = tmp_path / "sloth.yaml"
    spec.write_text(f'version: "prometheus/v1"\nservice: "myservice"\nslos:\n{slos}')
    result = run("import", "sloth", spec)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning: dropped 'alerting'") == SHOWN_ALIKE
    assert (
        f"{spec}: warning: 37 more warnings like the 3 above, about line 34, line 42, line 50 and 34 more"
        in result.stderr
    )
    assert "hint: `servicebook import sloth --all-warnings` shows each" in result.stderr
    every = run("import", "sloth", spec, "--all-warnings")
    assert every.stderr.count("warning: dropped 'alerting'") == 40
    assert every.stdout == result.stdout


@pytest.mark.parametrize(
    ("encoding", "said", "iconv"),
    [
        ("utf-16", "UTF-16 (little-endian)", "UTF-16LE"),  # Python writes its byte order mark, as PowerShell does
        ("utf-16-le", "UTF-16 (little-endian)", "UTF-16LE"),  # no mark
        ("utf-16-be", "UTF-16 (big-endian)", "UTF-16BE"),
        ("utf-32", "UTF-32 (little-endian)", "UTF-32LE"),
    ],
)
def test_a_file_in_utf16_from_a_windows_machine_is_named_as_such(
    run, site_copy, tmp_path: Path, encoding: str, said: str, iconv: str
) -> None:
    """Windows PowerShell 5's `kubectl get slo -o yaml > slos.yaml` writes UTF-16, and so does
    Notepad's "Unicode": read as UTF-8 it was "invalid UTF-8 (byte 0xff)" under a line of
    replacement characters and escaped NULs, or (without a byte order mark) twenty "NUL byte in
    text file" errors. It is said to be UTF-16, with how to save it as UTF-8."""
    message = f"error: the file is {said}, not UTF-8 (Windows PowerShell's `>` and Notepad's \"Unicode\" write UTF-16)"
    hint = f"elsewhere `iconv -f {iconv} -t UTF-8`"
    spec = tmp_path / "slos.yaml"
    spec.write_bytes(OPENSLO.encode(encoding))
    result = run("import", "openslo", spec)
    assert result.exit_code == 1, result.output
    assert f"{spec}:1:1: {message}\n" in result.output and hint in result.output
    assert "NUL" not in result.output and "\\u0000" not in result.output
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_bytes(catalog.read_text().encode(encoding))
    result = run("check", "--source", site)
    assert result.exit_code == 1, result.output
    assert f"{site}/catalog.yaml:1:1: {message}\n" in result.output


OPENSLO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: checkout
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: good-requests
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total[{{.window}}]))
  objectives:
    - target: 0.999
"""


@pytest.mark.git
@pytest.mark.parametrize(
    ("own", "what", "folder"),
    [("offering", "offering", "offerings"), ("tool", "tool decision", "tools"), ("page", "policy page", "policies")],
)
def test_a_member_whose_id_is_one_of_the_organisations_own_records_is_a_located_error(
    run, tmp_path: Path, own: str, what: str, folder: str
) -> None:
    """A member called `ci` on a site whose own offering is `ci`: the member's Postgres was
    published at offerings/ci/postgres/, inside the organisation's CI offering's page, and
    `offering:ci/postgres` read as a part of it. So for a tool decision or a policy page of the
    member's id. `federate update` refuses it as the build does (it locked the member)."""
    ident = {"offering": "ci", "tool": "shared-pipelines", "page": "welcome"}[own]
    db = Member(tmp_path, "db", "Database Team")
    org = organisation(tmp_path, f"  - id: {ident}\n    repository: {db.url}\n")
    line = (org / "catalog.yaml").read_text().splitlines().index("members:") + 2  # the member's `- id:`
    said = (
        f"{org}/catalog.yaml:{line}:9: error: member id '{ident}' is also this site's own {what} '{ident}': the "
        f"member's records would be published inside its page ({folder}/{ident}/…)"
    )
    updated = run("federate", "update", "--source", org)
    assert updated.exit_code == 1, updated.output
    assert said in updated.output
    assert not (org / "servicebook.lock").exists()
    result = run("build", "--source", org, "--no-versions")
    assert result.exit_code == 1, result.output
    assert said in result.output
    assert not (org / "public").exists()


@pytest.mark.git
def test_a_release_tag_on_a_catalog_whose_version_cannot_name_a_folder_is_skipped_saying_why(
    run, git_site: GitSite
) -> None:
    """A tag made before versions were held to names every system can give a folder (`CON`): the
    release is skipped, and the warning says the version may be why, not only that the catalog
    "cannot be read"."""
    git_site.edit('version: "0.1"', 'version: "CON"')
    commit = git_site.commit("A version Windows cannot name a folder")
    git_site.tag("vCON")
    git_site.edit('version: "CON"', 'version: "1.0"')
    git_site.commit("A version every system can name a folder")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"git: warning: tag vCON: the catalog at {commit[:12]} cannot be read, or its version cannot name a release's "
        "folder (one ending in '.', or a device name on Windows); skipped"
    ) in result.output
    assert not (git_site.root / "public" / "v" / "CON").exists()


@pytest.mark.git
@pytest.mark.parametrize(
    ("version", "why"),
    [
        ("1.0.", "Windows drops the '.' it ends in: v/1.0./ is v/1.0/ there"),
        ("CON", "Windows takes it for a device: no checkout of the site there could hold it"),
    ],
)
def test_an_untagged_commit_whose_version_cannot_name_a_folder_is_said_not_to_be_released(
    run, git_site: GitSite, version: str, why: str
) -> None:
    """The last commit carrying a version written before versions were held to names every system
    can give a folder: by the untagged rule it would be released, and it was not, silently."""
    git_site.edit('version: "0.1"', f'version: "{version}"')
    commit = git_site.commit("A version Windows cannot name a folder")
    git_site.edit(f'version: "{version}"', 'version: "1.1"')
    git_site.commit("A version every system can name a folder")
    result = run("build", "--source", git_site.root)
    assert result.exit_code == 0, result.output
    assert (
        f"git: warning: commit {commit[:12]}: catalog version '{version}' is not released: it cannot name a "
        f"release's folder ({why})\n"
    ) in result.output
    assert sorted(p.name for p in (git_site.root / "public" / "v").iterdir() if p.is_dir()) == ["0.1", "1.1"]
