"""Hostile inputs of 7 Dec 2026 (sixteenth round): what servicebook hands to other systems and to
the people who trust them, when a stranger's pull request wrote the catalog: the pull-request
comment `diff` writes, the exports other tools load, the site's own data and links."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest
import yaml
from markdown_it import MarkdownIt

from servicebook.git.diff import MAX_COMMENT, MAX_ROW

from . import test_hostile_round5, test_hostile_round6, test_hostile_round14, test_portals

answering = test_hostile_round5.answering  # the fixture: a server answering the Prometheus API as told

GITHUB_COMMENT_LIMIT = 65_536  # what GitHub's API takes in a comment's body (UTF-16 code units)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _shown(markdown: str) -> str:
    """What a reader of the rendered comment sees (CommonMark, as GitHub and GitLab render it)."""
    html = MarkdownIt("commonmark").render(markdown)
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.git
def test_a_change_too_large_for_a_comment_is_cut_to_one_that_posts_saying_what_is_left_out(git_site, run) -> None:
    """GitHub refuses a comment over 65,536 characters, and the example workflow's comment step may
    fail (a fork's token): the comment of the previous push stays, and reads as this one. A pull
    request that lowers an SLO and adds a page of long headings (each a change of its own) made a
    comment of 140,000 characters. It stays under the limit, counted as GitHub counts (an emoji is
    two), the weakening first, and says how many changes of which section it leaves out."""
    git_site.edit("objective: 99.5", "objective: 99.0")
    page = git_site.root / "content" / "welcome.md"
    headings = "".join(f"\n## {'🔥' * 900} {n}\n\nWords.\n" for n in range(60))
    page.write_text(page.read_text() + f"\n## {'x' * 5000}\n\nWords.\n" + headings)
    git_site.commit("Lower the SLO, and headings")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.output
    comment = result.stdout
    assert _utf16(comment) <= MAX_COMMENT < GITHUB_COMMENT_LIMIT
    summary = json.loads(run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json").stdout)
    assert summary["summary"] == {"changes": 62, "weakened": 1, "strengthened": 0, "neutral": 61}
    rows = [line for line in comment.splitlines() if line.startswith("- ")]
    assert rows[0].startswith("- ⚠️ **Weakens a commitment:** SLO “Pipeline availability” of “CI pipelines” lowered")
    assert max(len(row) for row in rows) < MAX_ROW + 40  # the 5,000-character heading cut short
    assert "x" * (MAX_ROW - 60) + "…" in comment
    left = 62 - len(rows)
    assert left > 0
    assert comment.endswith(
        f"**{left} more changes not shown (other changes: {left}): a pull-request comment holds at most "
        f"60,000 characters. `servicebook diff --format json` lists every change.**\n"
    )


@pytest.mark.git
def test_a_formula_or_an_issue_reference_in_a_name_reads_as_written_in_the_comment(git_site, run) -> None:
    """GitHub renders `$…$` as a TeX formula (in which `%` hides the rest of it) and links `GH-12`
    to issue 12, as it does `#12`: the names of the comment keep them as text, and link nothing."""
    name = "CI $x$ of $$ at 5 % and 2 $, see GH-12 and gh-7 (not ugh-3)"
    git_site.edit("  - id: ci\n    name: CI pipelines\n", f'  - id: ci\n    name: "{name}"\n')
    git_site.commit("Rename")
    comment = run("diff", "--source", git_site.root, "HEAD~1", "HEAD").stdout
    (row,) = [line for line in comment.splitlines() if line.startswith("- ")]
    assert "$" not in row
    assert not re.search(r"(?<![0-9A-Za-z])GH-[0-9]", row, re.IGNORECASE)
    assert _shown(row).replace("\u200b", "").strip() == f"Offering ci renamed from “CI pipelines” to “{name}”"


def test_a_workflow_command_in_a_catalog_is_shown_escaped_in_every_line_a_ci_log_holds(run, site_copy) -> None:
    """GitHub's runner obeys `##[command]data` anywhere in a line of a job's log: a pull request's
    `##[add-mask]lowered` hid a word in the rest of the log, `##[stop-commands]…` every annotation
    after it (the action's "weakens a commitment" included), `##[error]…` made an annotation of its
    own. Every line quoting the catalog shows its bracket as an escape; the annotations themselves
    (`::warning …::`, which the runner reads first) and the JSON keep the text as written."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    text = text.replace("    name: Hand-rolled CI scripts\n", '    name: "##[stop-commands]tok ###[add-mask]lowered"\n')
    text = text.replace("    since: 2026-01-01\n", "    since: 2026-01-01\n    review_by: 2026-02-01\n")
    catalog.write_text(text)
    checked = run("check", "--source", site)
    assert checked.exit_code == 0, checked.output
    assert "the decision on '##\\u005bstop-commands]tok ###\\u005badd-mask]lowered' was due" in checked.output
    built = run("build", "--source", site, "--output", site / "out")
    assert built.exit_code == 0, built.output
    catalog.write_text(text.replace("status: unsupported", 'status: "##[error]unsupported"'))
    failed = run("check", "--source", site)
    assert failed.exit_code == 1
    assert '    status: "##\\u005berror]unsupported"' in failed.output  # the source line under the error
    for output in (checked.output, built.output, failed.output):
        assert "##[" not in output
    github = run("check", "--source", site, "--format", "github").output
    assert all(line.startswith("::") or "##[" not in line for line in github.splitlines())
    problems = json.loads(run("check", "--source", site, "--format", "json").stdout)["problems"]
    assert any("##[error]unsupported" in p["message"] for p in problems)


MEASURED = '{"servicebook_measurements": 1, "end": "2026-03-31T00:00:00Z", "slos": [{"attainment": "0.991"}]}\n'


@pytest.mark.git
def test_a_measurement_snapshot_edited_or_removed_is_flagged_as_weakening_and_one_added_is_listed(
    git_site, run
) -> None:
    """A snapshot records one run of `servicebook measure`, which commits it itself: it is only
    ever added. A pull request that edited one (99.1 % made 99.95 %) made the site and `promised`
    say a breached SLO was kept, and its diff said "No changes": a snapshot changed or removed is
    now a weakened commitment (so `--fail-on weakened` stops it) and one added is listed."""
    snapshot = "measurements/2026-03-31T00-00-00Z.json"
    git_site.write(snapshot, MEASURED)
    git_site.commit("Measurements: 2026-03-31T00-00-00Z.json")
    git_site.write(snapshot, MEASURED.replace("0.991", "0.9995"))
    # taken just before the commit, as `measure` commits it (one committed long after its end is
    # flagged: test_hostile_round17)
    git_site.write("measurements/2026-05-28T00-00-00Z.json", MEASURED.replace("03-31", "05-28"))
    git_site.commit("Tidy the measurements")
    result = run("diff", "--source", git_site.root, "HEAD~1", "HEAD", "--format", "json", "--fail-on", "weakened")
    assert result.exit_code == 3
    got = [(c["kind"], c["subject"], c["effect"]) for c in json.loads(result.stdout)["changes"]]
    assert got == [
        ("measurement.changed", f"measurement:{snapshot}", "weakened"),
        ("measurement.added", "measurement:measurements/2026-05-28T00-00-00Z.json", "neutral"),
    ]
    comment = run("diff", "--source", git_site.root, "HEAD~1", "HEAD").stdout
    assert (
        f"#### Weakened commitments\n\n- ⚠️ **Weakens a commitment:** Measurement snapshot {snapshot} changed: what "
        "was measured then now reads differently, and a broken promise can read as kept (snapshots are only ever "
        "added)\n\n" in comment
    )
    assert (
        "#### Templates and other files\n\n- Measurement snapshot measurements/2026-05-28T00-00-00Z.json added: the "
        "site and \\`promised\\` show it as measured\n" in comment
    )
    (git_site.root / snapshot).unlink()  # uncommitted: the working tree is compared as a revision is
    removed = json.loads(run("diff", "--source", git_site.root, "HEAD", "--format", "json").stdout)["changes"]
    assert [(c["kind"], c["effect"]) for c in removed] == [("measurement.removed", "weakened")]


# What would make a YAML reader read another document, another key, an alias or a tag, were it
# written as it is; and a PromQL selector that a wrapper spliced into a query would read otherwise.
YAML_LOOKING = {
    "offering": 'CI: "x" # y &a *a !!python/object:os.system',
    "summary": "--- ... ? key: value - item | > % @ `",
    "description": "First line: text\n---\nkind: Group\n...\n# not a comment\n- &anchor *anchor !!str",
    "slo": "!!binary aGVsbG8= {a: b} [c]",
    "sli": "Runs: started\n---\napiVersion: evil/v1\n... |\n  indented: yes",
}


def test_texts_that_look_like_yaml_are_read_back_as_written_from_every_export(run, site_copy) -> None:
    """Held (sixteenth round): every export is written by a YAML emitter, never by hand, so a name,
    a summary or an SLI holding a document marker, `: `, `#`, an anchor, an alias or a tag reads back
    as the text it is, in as many documents as without it, and the Backstage entities still pass
    Backstage's own schemas; a selector with a quote inside a label value stays one selector."""
    site = site_copy("minimal")
    catalog = (site / "catalog.yaml").read_text()
    catalog = catalog.replace(
        "  title: Platform services\n", "  title: Platform services\n" + test_hostile_round6.PUBLISHED_TO_BACKSTAGE
    )
    catalog = catalog.replace("    name: CI pipelines\n", f"    name: {json.dumps(YAML_LOOKING['offering'])}\n")
    catalog = catalog.replace(
        "    summary: Shared pipelines that build and test every merge request.\n",
        f"    summary: {json.dumps(YAML_LOOKING['summary'])}\n    description: {json.dumps(YAML_LOOKING['description'])}\n",
    )
    catalog = catalog.replace(
        "        name: Pipeline availability\n", f"        name: {json.dumps(YAML_LOOKING['slo'])}\n"
    )
    catalog = catalog.replace(
        "        sli: Share of pipeline runs that start within 60 seconds of being queued.\n",
        f"        sli: {json.dumps(YAML_LOOKING['sli'])}\n        measurement:\n"
        '          errors: \'ci_runs_total{result="late\\"} or vector(1) #"}\'\n          total: ci_runs_total\n',
    )
    (site / "catalog.yaml").write_text(catalog)
    assert run("check", "--source", site).exit_code == 0
    for fmt, documents in (("openslo", 3), ("sloth", 1), ("pyrra", 1), ("backstage", 3)):
        result = run("export", fmt, "--source", site)
        assert result.exit_code == 0, result.output
        docs = list(yaml.safe_load_all(result.stdout))
        assert len(docs) == documents, fmt
        texts = set(_strings(docs))
        assert {YAML_LOOKING["sli"]} <= texts or fmt == "backstage", fmt
        if fmt == "backstage":
            assert {YAML_LOOKING["offering"], YAML_LOOKING["summary"], YAML_LOOKING["description"]} <= texts
            for entity in docs:
                assert [e.message for e in test_portals._validator(entity["kind"]).iter_errors(entity)] == []
        if fmt == "sloth":
            (spec,) = docs[0]["slos"]
            assert spec["sli"]["events"]["error_query"] == (
                'sum(rate(ci_runs_total{result="late\\"} or vector(1) #"}[{{.window}}]))'
            )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.git
def test_promised_says_when_the_snapshots_it_quotes_differ_from_the_commit(git_site, run) -> None:
    """`promised` names the commit whose catalog it answers from, and quotes what was measured
    from the snapshots as the working tree has them: one edited there (or removed, or never
    committed) made its answer quote what no commit holds, saying nothing. It says so now, on
    standard error, naming them; the answer itself is unchanged."""
    snapshot = "measurements/2026-05-28T00-00-00Z.json"
    git_site.write(snapshot, MEASURED)
    git_site.commit("Measurements")
    clean = run("promised", "--source", git_site.root, "--at", "2026-05-29")
    assert clean.exit_code == 0, clean.output
    assert "note:" not in clean.stderr
    git_site.write(snapshot, MEASURED.replace("0.991", "0.9995"))
    edited = run("promised", "--source", git_site.root, "--at", "2026-05-29")
    assert edited.stdout == clean.stdout
    assert edited.stderr.endswith(
        f"note: the measurements are read from the working tree, where {snapshot} differs from the commit it is at "
        "(edited, removed or not committed): what was measured is what those files say now; commit them, or ask in "
        "a clean checkout\n"
    )


@pytest.mark.git
def test_promised_as_json_names_the_snapshots_it_quotes_that_differ_from_the_commit(git_site, run) -> None:
    """A tool reading `promised --format json` (an auditor's script) reads stdout alone: the note
    on standard error never reached it. The document names those snapshots
    (`measurements_uncommitted`), [] where every one is as committed."""
    snapshot = "measurements/2026-05-28T00-00-00Z.json"
    git_site.write(snapshot, MEASURED)
    git_site.commit("Measurements")
    args = ("promised", "--source", git_site.root, "--at", "2026-05-29", "--format", "json")
    clean = run(*args)
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["measurements_uncommitted"] == []
    git_site.write(snapshot, MEASURED.replace("0.991", "0.9995"))
    edited = run(*args)
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.stdout)["measurements_uncommitted"] == [snapshot]


@pytest.mark.git
def test_verify_names_the_redirects_and_headers_a_host_obeys_that_it_does_not_compare(git_site, run) -> None:
    """`verify` leaves out the files a publishing job adds for the host (`CNAME`, `_redirects`,
    `_headers`), and said "every file matches a rebuild" of a site whose `_redirects` served every
    address from another server (`/* https://evil.example/:splat 200`, a rewrite on Netlify and
    Cloudflare Pages) or whose `_headers` dropped its Content-Security-Policy. They are still not
    differences, but named, for the auditor to read."""
    built = run("build", "--source", git_site.root)
    assert built.exit_code == 0, built.output
    public = git_site.root / "public"
    (public / "_redirects").write_text("/* https://evil.example/:splat 200\n")
    (public / "_headers").write_text("/*\n  ! Content-Security-Policy\n")
    result = run("verify", "--source", git_site.root, "--site", public)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: not compared, as a publishing job adds them: _headers, _redirects; the host obeys them (a redirect "
        "or a rewrite can serve readers another site at the site's own addresses, a header can drop its "
        "Content-Security-Policy): review what they say\n"
    )
    assert "every file matches a rebuild" in result.stdout


def test_a_workflow_command_a_prometheus_writes_into_a_reason_is_shown_escaped(run, site_copy, answering) -> None:
    """`measure` runs in a nightly CI job and prints why an SLO was not measured, quoting what the
    server wrote: a server (or a proxy in front of it) that answered `##[add-mask]99` hid every 99
    in the rest of the job's log. Its bracket is shown as an escape, in the log and the snapshot."""
    site = test_hostile_round14._measured_site(site_copy)
    refusal = test_hostile_round14._refusal("##[add-mask]99 ##[stop-commands]tok")
    result = run("measure", "--source", site, "--prometheus", answering(refusal, refusal), "--at", "2026-06-01T00:00Z")
    assert result.exit_code == 3, result.output
    reason = "query failed: Prometheus refused the query (bad_data): ##\\u005badd-mask]99 ##\\u005bstop-commands]tok"
    assert f"  ci/availability: not measured: {reason}" in result.output.splitlines()
    assert "##[" not in result.output
    (snapshot,) = (site / "measurements").iterdir()
    assert json.loads(snapshot.read_text())["slos"][0]["reason"] == reason


def test_an_email_address_holding_a_percent_escape_is_refused_located(run, site_copy) -> None:
    """The page shows a contact's address as written and links it as `mailto:` + address, which
    the mail client decodes: `platform%2Cattacker@evil.example` read as one address on the page
    and as two recipients in the message (platform, and attacker@evil.example), `%0D%0A` as a
    line break. Refused, located, in a contact's e-mail and in a mailto: link; a `%` that starts
    no escape is still part of an address."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    catalog.write_text(text.replace("email: platform@example.com", "email: user%relay@example.com"))
    assert run("check", "--source", site).exit_code == 0
    catalog.write_text(
        text.replace("email: platform@example.com", "email: platform%2Cattacker@evil.example").replace(
            "    request:\n      how: Add the pipeline template to your repository.\n",
            "    request:\n      how: Add the pipeline template to your repository.\n"
            "      url: mailto:platform%0D%0Abcc%3Aattacker@evil.example\n",
        )
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.endswith("error: 'email' 'platform%2Cattacker@evil.example' is not an e-mail address") for line in lines
    ), result.output
    assert (
        "  hint: a mail client decodes a percent-escape in the address (%2C: a comma, a second recipient; %0A: a new line): write the address as it is, without one"
        in lines
    )
    assert any("mailto: needs one e-mail address (a mail client decodes a percent-escape" in line for line in lines)
