"""The built site: every page type exists, shows what readers come for, and is safe and whole."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from servicebook.source.lookalike import close_to, meant_any

from .conftest import BROKEN_LAYOUT_LINK, SITES, GitSite, add_broken_layout_link
from .htmlcheck import dangers

PAGE_TYPES = [
    "index.html",
    "offerings/index.html",
    "offerings/ci/index.html",
    "slos/index.html",
    "support/index.html",
    "tools/index.html",
    "tools/hand-rolled-scripts/index.html",
    "unsupported/index.html",
    "policies/index.html",
    "policies/welcome/index.html",
    "404.html",
]


def build(run: Callable[..., Result], site: Path) -> Path:
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.output
    return site / "public"


def test_every_page_type_is_built(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    for page in PAGE_TYPES:
        html = (public / page).read_text()
        assert html.startswith("<!doctype html>"), page
        assert '<meta http-equiv="Content-Security-Policy"' in html.split("<head>", 1)[1].split("\n", 2)[1], page


def test_every_page_shows_catalog_version_and_commit_state(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    for page in PAGE_TYPES:
        html = (public / page).read_text()
        assert '<strong class="catalog-version">0.1</strong>' in html, page
        assert "not under version control" in html, page


def test_offering_page_shows_slo_with_error_budget_and_support(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    html = (public / "offerings/ci/index.html").read_text()
    assert "Pipeline availability" in html
    assert "99.5 %" in html
    assert "3 h 36 min" in html  # 0.5 % of 30 days
    assert "Mon–Fri 09:00–17:00 (UTC)" in html
    assert "#platform-help" in html
    assert "30 min" in html  # sev1 response


def test_every_offering_page_says_how_to_get_it_once(built_example: Path) -> None:
    """A new user's trial: the page printed `request.how` twice ("Get it" and "How to get it")."""
    from markupsafe import escape  # as Jinja2 escapes

    public = built_example / "public"
    offerings = json.loads((public / "catalog.json").read_text())["offerings"]
    assert offerings
    for offering in offerings:
        page = (public / f"offerings/{offering['id']}/index.html").read_text()
        how = str(escape(offering["request"]["how"]))
        assert page.count(how) == 1, (offering["id"], how)


def test_unsupported_page_names_reason_and_alternative(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    html = (public / "unsupported/index.html").read_text()
    row = html.split('id="tool-hand-rolled-scripts"', 1)[1].split("</tr>", 1)[0]
    assert "We cannot support build logic we did not write." in row
    assert '<a href="../tools/shared-pipelines/">Shared pipeline templates</a>' in row
    assert "2026-01-01" in row


def test_policy_page_renders_markdown_and_resolves_references(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    html = (public / "policies/welcome/index.html").read_text()
    assert '<h2 id="what-we-support">What we support' in html
    assert '<a href="../../offerings/ci/">CI pipelines</a>' in html
    assert '<a href="../../tools/shared-pipelines/">shared pipeline templates</a>' in html


def test_catalog_json_carries_derived_numbers(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    doc = json.loads((public / "catalog.json").read_text())
    slo = doc["offerings"][0]["slos"][0]
    assert slo["error_budget_seconds"] == 12960
    assert slo["openslo"]["spec"]["objectives"][0]["target"] == 0.995
    assert doc["catalog_version"] == "0.1"
    assert {t["id"]: t["status"] for t in doc["tools"]} == {
        "shared-pipelines": "supported",
        "hand-rolled-scripts": "unsupported",
    }


def test_catalog_json_has_a_line_for_each_offering_tool_and_page(built_example: Path) -> None:
    # Two versions of catalog.json compare line by line: a changed offering is one changed line.
    public = built_example / "public"
    text = (public / "catalog.json").read_text()
    doc = json.loads(text)
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and lines[1] == '  "servicebook": 1,'
    for key in ("offerings", "tools", "pages"):
        start = lines.index(f'  "{key}": [')
        items = lines[start + 1 : start + 1 + len(doc[key])]
        assert [json.loads(line.rstrip(",")) for line in items] == doc[key]
        assert lines[start + 1 + len(doc[key])] in ("  ],", "  ]")


def test_catalog_json_is_the_catalog_document_whether_or_not_its_sections_were_kept(site_copy) -> None:
    # A long-running process (serve) keeps the lines of the catalog's sections while the catalog
    # object is the same: the file is the whole document either way, in the document's key order.
    import dataclasses

    from servicebook.site.build import Options, check
    from servicebook.site.catalog_json import catalog_document
    from servicebook.site.outputs import CatalogLines
    from servicebook.site.outputs import catalog_json as _catalog_json

    loaded, _ = check(Options(source=site_copy("example"), output=Path("unused"), env={"SOURCE_DATE_EPOCH": "0"}), None)
    assert loaded.site is not None
    kept = CatalogLines()
    first, again = _catalog_json(loaded.site, kept), _catalog_json(loaded.site, kept)
    assert first == again == _catalog_json(loaded.site)
    assert kept.catalog is loaded.site.catalog
    document = json.loads(first)
    assert document == catalog_document(loaded.site) and list(document) == list(catalog_document(loaded.site))
    # another catalog (an edit in serve) is not answered with the lines of the last one
    other = dataclasses.replace(loaded.site.catalog, offerings=loaded.site.catalog.offerings[:1])
    changed = dataclasses.replace(loaded.site, catalog=other)
    assert _catalog_json(changed, kept) == _catalog_json(changed) != first
    assert kept.catalog is other


def test_catalog_json_is_written_page_by_page_with_the_lines_of_the_whole_document(site_copy) -> None:
    # The pages' lines go into the file one page at a time (a large site's document is not held
    # whole): the bytes are those of the whole document written a line per item, pages or none.
    import dataclasses

    from servicebook.site.build import Options, check
    from servicebook.site.catalog_json import catalog_document
    from servicebook.site.outputs import _record_lines
    from servicebook.site.outputs import catalog_json as _catalog_json

    loaded, _ = check(Options(source=site_copy("example"), output=Path("unused"), env={"SOURCE_DATE_EPOCH": "0"}), None)
    assert loaded.site is not None and loaded.site.pages
    for site in (loaded.site, dataclasses.replace(loaded.site, pages=())):
        whole = "{\n" + ",\n".join(_record_lines(catalog_document(site))) + "\n}\n"
        assert _catalog_json(site) == whole.encode("utf-8")


def test_published_schema_matches_schema_command(run, site_copy) -> None:
    public = build(run, site_copy("minimal"))
    printed = run("schema")
    assert json.loads(printed.output) == json.loads((public / "schema.json").read_text())


def test_raw_html_in_markdown_is_shown_as_text_not_executed(run, site_copy) -> None:
    site = site_copy("minimal")
    page = site / "content/welcome.md"
    page.write_text(
        page.read_text()
        + '\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[x](https://ok.example "t\\" onmouseover=alert(3)")\n'
    )
    public = build(run, site)
    html = (public / "policies/welcome/index.html").read_text()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert dangers(html) == []
    assert "&lt;script&gt;" in html


def test_template_syntax_in_content_is_shown_literally(run, site_copy) -> None:
    site = site_copy("minimal")
    page = site / "content/welcome.md"
    page.write_text(page.read_text() + "\nLiteral {{ 7 * 7 }} and {% raw %}.\n")
    html = (build(run, site) / "policies/welcome/index.html").read_text()
    assert "Literal {{ 7 * 7 }} and {% raw %}." in html


def test_site_layout_overrides_and_extends_builtin_theme(run, site_copy) -> None:
    site = site_copy("minimal")
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policy.html").write_text(
        '{% extends "theme/policy.html" %}{% block content %}<p class="custom">Custom</p>{{ super() }}{% endblock %}'
    )
    html = (build(run, site) / "policies/welcome/index.html").read_text()
    assert '<p class="custom">Custom</p>' in html
    assert "What we support" in html


def test_template_typo_fails_the_build_with_its_location(run, site_copy) -> None:
    site = site_copy("minimal")
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policy.html").write_text(
        '{% extends "theme/policy.html" %}\n{% block content %}{{ page.meta.titel }}{% endblock %}\n'
    )
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert "layouts/policy.html:2:1: error: while rendering policies/welcome/index.html" in result.stderr
    assert "titel" in result.stderr
    assert not (site / "public").exists()


def test_broken_link_in_a_layout_fails_the_build(run, site_copy) -> None:
    site = site_copy("minimal")
    add_broken_layout_link(site)
    result = run("build", "--source", site)
    assert result.exit_code == 1
    assert BROKEN_LAYOUT_LINK in result.stderr


def test_a_layout_link_to_a_malformed_address_of_another_site_is_left_alone(run, site_copy) -> None:
    # urlsplit raises on an unclosed [IPv6 host: that was a traceback; the link check judges only
    # links into the site, and this one has a scheme
    site = site_copy("minimal")
    (site / "layouts").mkdir(exist_ok=True)
    (site / "layouts/policy.html").write_text(
        '{% extends "theme/policy.html" %}\n'
        '{% block content %}<a href="http://[::1">there</a>{{ super() }}{% endblock %}\n'
    )
    result = run("build", "--source", site)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert 'href="http://[::1"' in (site / "public/policies/welcome/index.html").read_text()


def test_the_help_line_names_the_teams_own_urgent_severity_not_sev1(run, site_copy) -> None:
    """A team whose severities are P1 to P3: on-call is for a p1 incident; one with no severity
    whose response clock runs 24x7 is told only to page on-call out of hours."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("id: sev1", "id: p1").replace("id: sev2", "id: p2"))
    home = (build(run, site) / "index.html").read_text()
    assert "Out of hours, for a p1 incident: <a" in home and 'data-urgent="p1"' in home
    assert "sev1 incident" not in home
    offering = (site / "public/offerings/ci/index.html").read_text()
    assert 'data-oncall="#support" data-urgent="p1"' in offering
    catalog.write_text(catalog.read_text().replace("      coverage: 24x7\n", ""))
    home = (build(run, site) / "index.html").read_text()
    assert "Out of hours: <a" in home and "data-urgent" not in home
    assert "data-oncall" not in (site / "public/offerings/ci/index.html").read_text()  # no one answers at night


def test_without_javascript_the_search_page_says_where_words_beyond_names_and_summaries_are(run, site_copy) -> None:
    """The A to Z list has names and summaries; a word of a tool's reason or an SLO's indicator is
    on the whole-catalog page, which the no-script notice links."""
    public = build(run, site_copy("minimal"))
    notice = (public / "search/index.html").read_text().split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert "Every offering, tool decision and policy is in the A to Z list below with its summary" in notice
    assert '<a href="../catalog/">the whole catalog on one page</a>' in notice
    whole = (public / "catalog/index.html").read_text()
    assert "We cannot support build logic we did not write." in whole  # a tool's reason
    assert "Share of pipeline runs that start within 60 seconds" in whole  # an SLO's indicator


def test_without_javascript_a_word_only_in_an_offerings_description_is_on_the_page_search_sends_you_to(
    run, site_copy
) -> None:
    """The no-script notice names descriptions among what the whole-catalog page holds, and that
    page shows each offering's description, so the browser's find there finds a word of it."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "    summary: Shared pipelines that build and test every merge request.\n",
            "    summary: Shared pipelines that build and test every merge request.\n"
            "    description: Runners are immutable images, rebuilt every night.\n",
        )
    )
    public = build(run, site)
    notice = (public / "search/index.html").read_text().split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert "For a word of an offering's description" in notice
    assert "immutable" not in (public / "search/index.html").read_text()  # not in the A to Z list
    whole = (public / "catalog/index.html").read_text()
    assert "Runners are immutable images, rebuilt every night." in whole


def test_404_page_links_work_at_any_depth(run, site_copy) -> None:
    html = (build(run, site_copy("minimal")) / "404.html").read_text()
    assert 'href="/assets/style.css"' in html
    assert 'href="/offerings/"' in html


@pytest.mark.git
def test_edit_links_point_at_the_source_file_inside_the_repository(tmp_path, run) -> None:
    (tmp_path / "repo").mkdir()
    repo = GitSite(tmp_path / "repo")
    site = repo.root / "docs/catalog"
    shutil.copytree(SITES / "minimal", site)
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "  title: Platform services\n",
            "  title: Platform services\n  repository: https://github.com/acme/platform\n  branch: trunk\n",
        )
    )
    repo.commit("Catalog in a subfolder")
    public = build(run, site)
    edit = "https://github.com/acme/platform/edit/trunk/docs/catalog/"
    assert (
        f'<a href="{edit}content/welcome.md">Edit this page</a>' in (public / "policies/welcome/index.html").read_text()
    )
    assert f'<a href="{edit}catalog.yaml">Edit this page</a>' in (public / "offerings/ci/index.html").read_text()
    for generated in ("search/index.html", "404.html"):
        assert "Edit this page" not in (public / generated).read_text()


@pytest.mark.git
@pytest.mark.parametrize(
    ("repository", "forge", "commit", "edit"),
    [
        ("https://github.com/acme/platform", None, "/commit/{sha}", "/edit/main/content/welcome.md"),
        ("https://gitlab.example.com/acme/platform", None, "/-/commit/{sha}", "/-/edit/main/content/welcome.md"),
        ("https://codeberg.org/acme/platform", None, "/commit/{sha}", "/_edit/main/content/welcome.md"),
        ("https://git.acme.example/acme/platform", "gitea", "/commit/{sha}", "/_edit/main/content/welcome.md"),
        ("https://bitbucket.org/acme/platform", None, "/commits/{sha}", "/src/main/content/welcome.md?mode=edit"),
        ("https://code.acme.example/acme/platform", "gitlab", "/-/commit/{sha}", "/-/edit/main/content/welcome.md"),
    ],
)
def test_commit_and_edit_links_are_spelled_as_the_forge_spells_them(
    tmp_path, run, repository: str, forge: str | None, commit: str, edit: str
) -> None:
    repo = GitSite(tmp_path)
    shutil.copytree(SITES / "minimal", tmp_path, dirs_exist_ok=True)
    catalog = tmp_path / "catalog.yaml"
    line = f"  repository: {repository}\n" + (f"  forge: {forge}\n" if forge else "")
    catalog.write_text(
        catalog.read_text().replace("  title: Platform services\n", "  title: Platform services\n" + line)
    )
    sha = repo.commit("Catalog")
    page = (build(run, tmp_path) / "policies/welcome/index.html").read_text()
    assert f'<a href="{repository}{commit.format(sha=sha)}"><code>{sha[:12]}</code></a>' in page
    assert f'<a href="{repository}{edit}">Edit this page</a>' in page


def test_catalog_json_page_hash_is_that_of_the_published_text(run, site_copy) -> None:
    site = site_copy("minimal")
    public = build(run, site)
    page = (public / "policies" / "welcome" / "index.html").read_text()
    (entry,) = json.loads((public / "catalog.json").read_text())["pages"]
    text = page[page.index('<div class="prose">\n') + 20 : page.index("\n</div>\n", page.index('class="prose"'))]
    assert entry["content_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    source = site / "content" / "welcome.md"
    source.write_text(source.read_text().replace("business hours", "office hours"))
    again = json.loads((build(run, site) / "catalog.json").read_text())["pages"][0]
    assert again["content_sha256"] != entry["content_sha256"]


def test_home_page_counts_agree_with_their_nouns(run, site_copy) -> None:
    home = (build(run, site_copy("minimal")) / "index.html").read_text()
    assert '<span class="num big">1</span> offering</a>' in home
    assert '<span class="num big">1</span> supported tool</a>' in home
    assert '<span class="num big">1</span> policy</a>' in home


def test_support_page_lists_the_team_contacts(run, site_copy) -> None:
    support = (build(run, site_copy("minimal")) / "support" / "index.html").read_text()
    assert '<h2 id="contacts">Contacts</h2>' in support
    assert '<li>Platform help, Questions and requests — <a href="mailto:platform@example.com">' in support


def test_site_links_lead_to_the_generated_pages(run, site_copy) -> None:
    site = site_copy("minimal")
    page = site / "content" / "welcome.md"
    page.write_text(
        page.read_text() + "\nSee [support](site:support#contacts), [what we do not support](site:unsupported)"
        " and [home](site:).\n"
    )
    html = (build(run, site) / "policies" / "welcome" / "index.html").read_text()
    assert '<a href="../../support/#contacts">support</a>' in html
    assert '<a href="../../unsupported/">what we do not support</a>' in html
    assert '<a href="../../">home</a>' in html
    page.write_text(page.read_text().replace("site:support#contacts", "site:support#nowhere"))
    failed = run("build", "--source", site)
    assert failed.exit_code == 1
    assert "#nowhere" in failed.stderr


def test_an_old_id_keeps_its_page_and_sends_readers_to_the_new_one(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text().replace(
        "    policies: [welcome]\n", "    policies: [welcome]\n    renamed_from: [pipelines]\n"
    )
    text = text.replace(
        "  title: Platform services\n", "  title: Platform services\n  base_url: https://platform.example.org/\n"
    )
    catalog.write_text(
        text.replace(
            "    alternative: shared-pipelines\n", "    alternative: shared-pipelines\n    renamed_from: [scripts]\n"
        )
    )
    public = build(run, site)
    moved = (public / "offerings" / "pipelines" / "index.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=../ci/">' in moved
    assert 'This offering was called <code>pipelines</code>; it is now <a href="../ci/">CI pipelines</a>.' in moved
    tool = (public / "tools" / "scripts" / "index.html").read_text()
    assert '<a href="../hand-rolled-scripts/">Hand-rolled CI scripts</a>' in tool
    sitemap = (public / "sitemap.xml").read_text()
    assert "offerings/ci/" in sitemap and "offerings/pipelines/" not in sitemap and "tools/scripts/" not in sitemap


def test_without_javascript_an_old_name_is_found_in_the_a_to_z_list_beside_the_new_one(run, site_copy) -> None:
    """A reader with an old link's id or an old page name in mind uses the browser's find on the
    search page's A to Z list (what readers without JavaScript get): each renamed offering, tool
    and policy page says what it was called, as the JavaScript search finds it by its old names."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text()
        .replace("    policies: [welcome]\n", "    policies: [welcome]\n    renamed_from: [pipelines, builds]\n")
        .replace(
            "    alternative: shared-pipelines\n", "    alternative: shared-pipelines\n    renamed_from: [scripts]\n"
        )
    )
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text().replace("order: 10\n", "order: 10\nrenamed_from: [hello]\n"))
    a_to_z = (build(run, site) / "search/index.html").read_text().split('id="a-z"', 1)[1]
    entries = {
        line.split('">', 2)[1].split("</a>")[0]: line for line in a_to_z.splitlines() if line.startswith("    <li>")
    }
    assert "formerly <code>pipelines</code>, <code>builds</code>" in entries["CI pipelines"]
    assert "formerly <code>scripts</code>" in entries["Hand-rolled CI scripts"]
    assert "formerly <code>hello</code>" in entries["How we work"]
    assert sum("formerly" in line for line in entries.values()) == 3  # nothing else was renamed


def test_a_renamed_policy_page_keeps_its_old_address_sending_readers_on(run, site_copy) -> None:
    """content/welcome.md moved to content/guide/how-we-work.md: links and bookmarks to
    policies/welcome/ still lead to the page, without JavaScript, and the old address is no page
    of its own for search engines."""
    site = site_copy("minimal")
    text = (site / "content" / "welcome.md").read_text()
    (site / "content" / "welcome.md").unlink()
    (site / "content" / "guide").mkdir()
    (site / "content" / "guide" / "how-we-work.md").write_text(
        text.replace("order: 10\n", "order: 10\nrenamed_from: [welcome]\n")
    )
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text()
        .replace("policies: [welcome]", "policies: [guide/how-we-work]")
        .replace(
            "  title: Platform services\n", "  title: Platform services\n  base_url: https://platform.example.org/\n"
        )
    )
    public = build(run, site)
    moved = (public / "policies" / "welcome" / "index.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=../guide/how-we-work/">' in moved
    assert (
        'This policy page was called <code>welcome</code>; it is now <a href="../guide/how-we-work/">How we work</a>.'
    ) in moved
    assert (public / "policies" / "guide" / "how-we-work" / "index.html").is_file()
    sitemap = (public / "sitemap.xml").read_text()
    assert "policies/guide/how-we-work/" in sitemap and "policies/welcome/" not in sitemap


def test_catalog_json_lists_a_moved_pages_old_names_as_it_lists_an_offerings(run, site_copy) -> None:
    """A script reading catalog.json follows a page's move as it follows an offering's: both list
    their old names under renamed_from (and a page that never moved has none, as an offering)."""
    site = site_copy("minimal")
    text = (site / "content" / "welcome.md").read_text()
    (site / "content" / "welcome.md").unlink()
    moved = text.replace("order: 10\n", "order: 10\nrenamed_from: [welcome]\n")
    (site / "content" / "how-we-work.md").write_text(
        moved.replace("offerings: [ci]", "offerings: [ci-pipelines]").replace(
            "(offering:ci)", "(offering:ci-pipelines)"
        )
    )
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text()
        .replace("policies: [welcome]", "policies: [how-we-work]")
        .replace("offerings:\n  - id: ci\n", "offerings:\n  - id: ci-pipelines\n    renamed_from: [ci]\n")
    )
    document = json.loads((build(run, site) / "catalog.json").read_text())
    (offering,) = document["offerings"]
    (page,) = document["pages"]
    assert offering["renamed_from"] == ["ci"]
    assert page["renamed_from"] == ["welcome"]
    assert list(page) == ["slug", "title", "summary", "source", "renamed_from", "url", "content_sha256"]
    page_file = site / "content" / "how-we-work.md"
    page_file.write_text(page_file.read_text().replace("renamed_from: [welcome]\n", ""))
    catalog.write_text(catalog.read_text().replace("    renamed_from: [ci]\n", ""))
    again = json.loads((build(run, site) / "catalog.json").read_text())
    assert "renamed_from" not in again["offerings"][0] and "renamed_from" not in again["pages"][0]


@pytest.mark.parametrize(
    ("old", "message", "hint"),
    [
        (
            "escalation",
            "'escalation' is the name of a page that is there (content/escalation.md), so it cannot be an old name "
            "of 'welcome'",
            "remove it from renamed_from, or remove or rename content/escalation.md",
        ),
        ("welcome", "'welcome' is this page's own name", "list only the names it had before"),
        (
            "content/old-welcome.md",
            "'content/old-welcome.md' cannot be the name of a page",
            "did you mean 'old-welcome'? an old name is the page's old file under content/ without .md",
        ),
    ],
)
def test_a_page_cannot_claim_a_name_that_is_not_its_old_one(run, site_copy, old, message, hint) -> None:
    site = site_copy("minimal")
    page = site / "content" / "welcome.md"
    page.write_text(page.read_text().replace("order: 10\n", f"order: 10\nrenamed_from: [x, {old}]\n"))
    (site / "content" / "escalation.md").write_text("---\ntitle: Escalation\n---\n\nUs.\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1
    column = len("renamed_from: [x, ") + 1
    assert f"content/welcome.md:5:{column}: error: {message}" in result.output
    assert f"hint: {hint}" in result.output
    assert "Traceback" not in result.output


def test_two_pages_cannot_claim_the_same_old_name(run, site_copy) -> None:
    site = site_copy("minimal")
    (site / "content" / "a.md").write_text("---\ntitle: A\nrenamed_from: [old]\n---\n\nA.\n")
    (site / "content" / "b.md").write_text("---\ntitle: B\nrenamed_from: [old]\n---\n\nB.\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert "content/b.md:3:16: error: 'old' is an old name of both 'a' and 'b'" in result.output


def test_a_reference_to_a_renamed_page_by_its_old_name_says_its_new_one(run, site_copy) -> None:
    """After content/welcome.md became content/how-we-work.md, the catalog's `policies: [welcome]`
    and a page's link to welcome.md are errors that name the page's new name."""
    site = site_copy("minimal")
    text = (site / "content" / "welcome.md").read_text()
    (site / "content" / "welcome.md").unlink()
    (site / "content" / "how-we-work.md").write_text(
        text.replace("order: 10\n", "order: 10\nrenamed_from: [welcome]\n")
    )
    (site / "content" / "escalation.md").write_text("---\ntitle: Escalation\n---\n\nSee [how we work](welcome.md).\n")
    result = run("check", "--source", site)
    assert result.exit_code == 1
    hint = (
        "hint: did you mean 'how-we-work'? content/welcome.md is now content/how-we-work.md, as its renamed_from says: "
        "name the page by its new name"
    )
    assert "error: unknown policy page 'welcome'" in result.output
    assert "error: broken link: no page content/welcome.md" in result.output
    assert result.output.count(hint) == 2, result.output


@pytest.mark.git
def test_a_page_moved_with_git_mv_and_not_committed_is_named_by_check(tmp_path, run) -> None:
    """`git mv content/welcome.md content/guide/how-we-work.md`, then `check` before the commit:
    the catalog's `policies: [welcome]` and a link to welcome.md are told the page's new name, and
    how to keep its old address (the diff of the pull request says the same once committed)."""
    repo = GitSite(tmp_path)
    shutil.copytree(SITES / "minimal", tmp_path, dirs_exist_ok=True)
    repo.write("content/escalation.md", "---\ntitle: Escalation\n---\n\nSee [how we work](welcome.md).\n")
    repo.commit("Catalog")
    (tmp_path / "content" / "guide").mkdir()
    repo.git("mv", "content/welcome.md", "content/guide/how-we-work.md")
    result = run("check", "--source", tmp_path)
    assert result.exit_code == 1
    hint = (
        "hint: did you mean 'guide/how-we-work'? content/welcome.md is now content/guide/how-we-work.md, moved in the "
        "working tree (not committed yet): name the page by its new name, and declare renamed_from: [welcome] in its "
        "front matter to keep its old address sending readers on"
    )
    assert "error: unknown policy page 'welcome'" in result.output
    assert "error: broken link: no page content/welcome.md" in result.output
    assert result.output.count(hint) == 2, result.output
    repo.commit("Move the page")  # committed: no longer the working tree's (diff tells it from here)
    assert "moved in the working tree" not in run("check", "--source", tmp_path).output


@pytest.mark.git
def test_a_page_moved_with_plain_mv_and_not_told_to_git_is_named_by_check(tmp_path, run) -> None:
    """A plain `mv` (git sees a page gone and a new, untracked one): `check` tells a reference by
    the old name the new one, whether the page kept its bytes or was edited as it moved (then by
    its file name, when one untracked page has it); two untracked pages of that file name are no
    guess."""
    repo = GitSite(tmp_path)
    shutil.copytree(SITES / "minimal", tmp_path, dirs_exist_ok=True)
    repo.write("content/escalation.md", "---\ntitle: Escalation\n---\n\nSee [how we work](welcome.md).\n")
    repo.commit("Catalog")
    guide = tmp_path / "content" / "guide"
    guide.mkdir()
    (tmp_path / "content" / "welcome.md").rename(guide / "how-we-work.md")
    hint = "did you mean 'guide/how-we-work'? content/welcome.md is now content/guide/how-we-work.md, moved in the"
    result = run("check", "--source", tmp_path)
    assert result.exit_code == 1
    assert result.output.count(hint) == 2, result.output
    (guide / "how-we-work.md").rename(guide / "welcome.md")
    with (guide / "welcome.md").open("a") as page:
        page.write("\nEdited as it moved.\n")
    assert run("check", "--source", tmp_path).output.count("content/welcome.md is now content/guide/welcome.md") == 2
    (tmp_path / "content" / "other").mkdir()
    (tmp_path / "content" / "other" / "welcome.md").write_text("---\ntitle: Another welcome\n---\n\nHi.\n")
    assert "moved in the working tree" not in run("check", "--source", tmp_path).output


def test_a_reference_to_an_offering_or_tool_by_its_old_id_says_its_new_one(run, site_copy) -> None:
    """The offering ci became build-pipelines and the tool shared-pipelines became templates, each
    with renamed_from: a page's `offerings: [ci]`, its links and a tool's `alternative:` by the old
    ids are errors whose hint gives the new id (as for a moved page), not the list of every id."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text()
        .replace("offerings:\n  - id: ci\n", "offerings:\n  - id: build-pipelines\n    renamed_from: [ci]\n")
        .replace("  - id: shared-pipelines\n", "  - id: templates\n    renamed_from: [shared-pipelines]\n")
        .replace("tools: [shared-pipelines, ", "tools: [templates, ")
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1
    offering = "hint: did you mean 'build-pipelines'? offering ci is now build-pipelines, as its renamed_from says: "
    tool = "hint: did you mean 'templates'? tool shared-pipelines is now templates, as its renamed_from says: "
    assert "error: unknown offering 'ci'" in result.output
    assert "error: broken link: no offering 'ci'" in result.output
    assert result.output.count(offering + "name it by its new id\n") == 2, result.output
    assert "error: unknown tool or offering 'shared-pipelines'" in result.output
    assert "error: broken link: no tool 'shared-pipelines'" in result.output
    assert result.output.count(tool + "name it by its new id\n") == 2, result.output


def test_an_id_written_as_the_start_of_the_real_one_is_suggested(run, site_copy) -> None:
    """The offering ci became ci-pipelines: the page's `offerings: [ci]` and `offering:ci` link
    are told the id they most likely mean, not only a list of every id."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace(
            "  - id: ci\n    name: CI pipelines", "  - id: ci-pipelines\n    name: CI pipelines"
        )
    )
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert "error: unknown offering 'ci'" in result.output
    assert "error: broken link: no offering 'ci'" in result.output
    assert result.output.count("hint: did you mean 'ci-pipelines'?") == 2, result.output
    # a page named without its folder
    (site / "content" / "security").mkdir()
    (site / "content" / "security" / "scanning.md").write_text("---\ntitle: Scanning\n---\n\nUs.\n")
    catalog.write_text(catalog.read_text().replace("policies: [welcome]", "policies: [welcome, scanning]"))
    assert "hint: did you mean 'security/scanning'?" in run("check", "--source", site).output


def test_equally_close_names_are_all_suggested_in_order(run, site_copy) -> None:
    """'log' is as close to the page blog as to the page logs: the hint names both, in order, in
    the catalog and in a page's link, rather than the one difflib happens to rank first (it
    named logs, the one that sorts last, whatever the order of the pages)."""
    site = site_copy("minimal")
    for name in ("logs", "blog"):
        (site / "content" / f"{name}.md").write_text(f"---\ntitle: {name.title()}\n---\n\nUs.\n")
    (site / "content" / "guide").mkdir()
    (site / "content" / "guide" / "start.md").write_text("---\ntitle: Start\n---\n\nSee [the log](../log.md).\n")
    catalog = site / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("policies: [welcome]", "policies: [welcome, log]"))
    result = run("check", "--source", site)
    assert result.exit_code == 1
    assert "error: unknown policy page 'log'\n" in result.output
    assert "hint: did you mean 'blog' or 'logs'?\n" in result.output, result.output
    assert "hint: did you mean '../blog.md' or '../logs.md'?\n" in result.output, result.output


def test_a_hint_among_equally_close_choices_does_not_depend_on_their_order() -> None:
    words = ["logs", "blog", "clog", "log-in", "catalog"]
    for order in (words, words[::-1], sorted(words)):
        assert close_to("log", order) == ["blog", "clog", "logs"]
    assert meant_any("log", ["blog", "clog", "logs"]) == "did you mean 'blog', 'clog' or 'logs'?"
    assert close_to("biuld", ["build", "check"]) == ["build"]


def test_support_open_every_hour_of_the_week_says_nothing_of_outside_hours(run, site_copy) -> None:
    """An offering supported Mon–Sun 00:00–24:00 with the team's on-call: its page and the home
    page said 'on call outside those hours', of hours that have no outside."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    hours = '    days: mon-fri\n    start: "09:00"\n    end: "17:00"\n'
    catalog.write_text(catalog.read_text().replace(hours, '    days: mon-sun\n    start: "00:00"\n    end: "24:00"\n'))
    public = build(run, site)
    offering = (public / "offerings" / "ci" / "index.html").read_text()
    assert "Mon–Sun 00:00–24:00 (UTC)</span>" in offering
    assert "outside those hours" not in offering
    home = (public / "index.html").read_text()
    assert "Mon–Sun 00:00–24:00 (UTC).</p>" in home
    assert "outside those hours" not in home


def test_a_deprecated_offering_says_where_to_go_and_when_it_ends(run, site_copy) -> None:
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    second = text[text.index("  - id: ci\n    name: CI pipelines") : text.index("tools:\n  - id: shared")]
    old = second.replace("id: ci\n", "id: old-ci\n", 1).replace("lifecycle: ga", "lifecycle: deprecated")
    old = old.replace(
        "    policies: [welcome]\n", "    policies: [welcome]\n    replaced_by: ci\n    sunset: 2027-03-31\n"
    )
    catalog.write_text(text.replace(second, second + old))
    page = (build(run, site) / "offerings" / "old-ci" / "index.html").read_text()
    assert (
        '<p class="notice">This offering is deprecated and will be retired on 2027-03-31.'
        ' Move to <a href="../ci/">CI pipelines</a>.</p>'
    ) in page
    catalog.write_text(catalog.read_text().replace("sunset: 2027-03-31", "sunset: 2025-12-31"))
    late = run("check", "--source", site)
    assert late.exit_code == 0
    assert "warning: 'CI pipelines' was to be retired on 2025-12-31" in late.stderr
