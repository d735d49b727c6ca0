"""The search index: compact, complete, in fragments a query fetches as it needs them, and
carrying the answer for unsupported tools."""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from servicebook import routes
from servicebook.site.load import load
from servicebook.site.search import FIELDS, STOP, TITLE_WORDS, excerpt, page_sections, search_records, words
from servicebook.site.search.records import _kinds, _policy_ids
from servicebook.site.views import site_view

from .conftest import FIXED_EPOCH, REPO


def read_index(public: Path) -> dict:
    """The manifest, with every record read back from its fragment (as the script reads them)."""
    manifest = json.loads((public / routes.SEARCH_INDEX).read_bytes())
    chunks = (manifest["records"] + manifest["chunk"] - 1) // manifest["chunk"]
    records = [
        r for n in range(chunks) for r in json.loads((public / routes.search_fragment("r", n)).read_bytes())["records"]
    ]
    return {**manifest, "records": records}


def index_of(run, site):
    assert run("build", "--source", site).exit_code == 0
    raw = b"".join(p.read_bytes() for p in sorted((site / "public/search").rglob("*.json")))
    return raw, read_index(site / "public")


def found(public: Path, word: str) -> dict[int, tuple[int, int]]:
    """Where the index says `word` occurs: record id -> (where, section), as the script decodes it."""
    manifest = json.loads((public / routes.SEARCH_INDEX).read_bytes())
    n = bisect.bisect_right([w.encode("utf-16-be") for w in manifest["words"]], word.encode("utf-16-be")) - 1
    postings = json.loads((public / routes.search_fragment("w", n)).read_bytes())
    flat, out, rid = postings.get(word, []), {}, 0
    for i in range(0, len(flat), 3):
        rid += flat[i]
        out[rid] = (flat[i + 1], flat[i + 2])
    return out


def test_index_holds_offerings_slos_tools_and_policies(run, site_copy) -> None:
    raw, doc = index_of(run, site_copy("minimal"))
    assert doc["catalog_version"] == "0.1"
    kinds = {(r["k"], r["t"]) for r in doc["records"]}
    assert ("offering", "CI pipelines") in kinds
    assert ("slo", "CI pipelines: Pipeline availability") in kinds
    assert ("tool", "Shared pipeline templates") in kinds
    assert ("policy", "How we work") in kinds
    assert b"\n " not in raw  # no pretty-printing: it is downloaded, not read


def test_unsupported_tool_record_names_the_alternative(run, site_copy) -> None:
    _, doc = index_of(run, site_copy("minimal"))
    record = next(r for r in doc["records"] if r["t"] == "Hand-rolled CI scripts")
    assert record["st"] == "unsupported"
    assert record["sl"] == "Unsupported"
    assert record["a"] == {"t": "Shared pipeline templates", "u": "tools/shared-pipelines/"}
    assert record["u"] == "tools/hand-rolled-scripts/"


def test_an_alternative_that_is_an_offering_is_said_to_be_one_in_search_as_on_the_pages(run, site_copy) -> None:
    """Every page says "use CI pipelines (offering)" of an unsupported tool whose alternative is
    an offering; the search results (the record, for the script) and the search page's A to Z
    (without the script) said only "CI pipelines", a tool's name for all a reader knew (newuser23)."""
    site = site_copy("minimal")
    catalog = site / "catalog.yaml"
    text = catalog.read_text()
    assert "    alternative: shared-pipelines\n" in text
    catalog.write_text(text.replace("    alternative: shared-pipelines\n", "    alternative: ci\n"))
    _, doc = index_of(run, site)
    record = next(r for r in doc["records"] if r["t"] == "Hand-rolled CI scripts")
    assert record["a"] == {"t": "CI pipelines", "u": "offerings/ci/", "k": "offering"}
    page = (site / "public/search/index.html").read_text()
    assert '→ use <a href="../offerings/ci/">CI pipelines</a> <span class="muted">(offering)</span>' in page
    assert "(offering)" in (site / "public/tools/hand-rolled-scripts/index.html").read_text()


def test_slo_record_links_to_its_row_and_states_the_budget(run, site_copy) -> None:
    site = site_copy("minimal")
    _, doc = index_of(run, site)
    record = next(r for r in doc["records"] if r["k"] == "slo")
    assert record["u"] == "offerings/ci/#slo-availability"
    assert 'id="slo-availability"' in (site / "public/offerings/ci/index.html").read_text()
    assert record["s"].startswith("99.5 % over rolling 30 days, error budget 3 h 36 min.")


def test_on_call_and_escalation_are_found_by_name_and_lead_to_their_part_of_the_support_page(
    built_example: Path,
) -> None:
    site = built_example
    doc = read_index(site / "public")
    support = (site / "public/support/index.html").read_text()
    for title, anchor in (
        ("On call: help out of hours", "on-call"),
        ("Escalation: when help is not enough", "escalation"),
    ):
        record = next(r for r in doc["records"] if r["t"] == title)
        assert record["u"] == f"support/#{anchor}" and f'id="{anchor}"' in support
        assert record["s"]  # what the catalog says about it


def test_policy_record_lists_headings_with_their_anchors(run, site_copy) -> None:
    site = site_copy("minimal")
    _, doc = index_of(run, site)
    record = next(r for r in doc["records"] if r["k"] == "policy")
    assert ["What we support", "what-we-support"] in record["h"]


def test_excerpt_cuts_at_a_word_and_collapses_space() -> None:
    assert excerpt("a  b\nc", 10) == "a b c"
    assert excerpt("alpha beta gamma delta", 12) == "alpha beta…"


def test_a_word_only_in_a_policy_page_body_finds_the_page_and_the_section_it_is_in(built_example: Path) -> None:
    site = built_example
    doc = read_index(site / "public")
    public = site / "public"
    hits = found(public, "kubectl")
    assert [doc["records"][rid]["t"] for rid in hits] == ["Change approval"]
    [(rid, (where, section))] = hits.items()
    assert where == 8  # the page's text, not its title, summary or headings
    text = json.loads((public / routes.search_fragment("t", rid)).read_bytes())["sections"]
    heading, anchor, body = text[section]
    assert heading == "Rollback" and "kubectl" in body
    assert f'id="{anchor}"' in (public / "policies/change-approval/index.html").read_text()


def test_tool_reasons_and_offering_descriptions_are_searched_whole(built_example: Path) -> None:
    site = built_example
    doc = read_index(site / "public")
    for rid, (where, _section) in found(site / "public", "plugins").items():
        record = doc["records"][rid]
        if record["t"] == "Jenkins":
            assert where & 8 and "plugins" in record["d"]  # past the excerpt shown as its summary
            break
    else:
        raise AssertionError("Jenkins's reason mentions plugins")


def test_the_on_call_record_keeps_the_way_to_reach_on_call() -> None:
    loaded = load(REPO, {"SOURCE_DATE_EPOCH": FIXED_EPOCH})
    assert loaded.site is not None
    record = next(r for r in search_records(site_view(loaded.site)) if r["t"] == "On call: help out of hours")
    assert record["s"].rstrip(".").endswith("nobody watches it at night")
    assert "+41 44 000 10 10" in record["s"]


def test_words_are_lower_case_without_accents_split_at_anything_but_letters_and_digits() -> None:
    assert words("Zürich on-call: CI/CD, sev1 withCredentials() 東京") == [
        "zurich", "on", "call", "ci", "cd", "sev1", "withcredentials", "東京"
    ]  # fmt: skip


def test_words_fragments_hold_ordered_ranges_that_the_manifest_names_by_their_first_word(built_example: Path) -> None:
    site = built_example
    doc = read_index(site / "public")
    first = doc["words"]
    assert first == sorted(first, key=lambda w: w.encode("utf-16-be")) and len(first) > 1
    for n, start in enumerate(first):
        held = list(json.loads((site / "public" / routes.search_fragment("w", n)).read_bytes()))
        assert held[0] == start
        assert held == sorted(held, key=lambda w: w.encode("utf-16-be"))
        if n + 1 < len(first):
            assert held[-1].encode("utf-16-be") < first[n + 1].encode("utf-16-be")


def test_the_script_knows_the_same_small_words_as_the_index() -> None:
    script = (REPO / "src/servicebook/static/search.js").read_text()
    listed = re.search(r"var STOP = \(([^)]*)\)\.split", script, re.S)
    assert listed is not None
    assert set(" ".join(re.findall(r'"([^"]*)"', listed.group(1))).split()) == STOP


def test_page_sections_split_at_headings_without_their_self_links() -> None:
    html = (
        '<p>Intro <em>text</em>.</p><h2 id="one">One<a class="anchor" href="#one">#</a></h2><p>First.</p>'
        '<h3 id="two">Two &amp; more</h3><ul><li>a</li><li>b</li></ul>'
    )
    assert page_sections(html) == [("", "", "Intro text."), ("One", "one", "First."), ("Two & more", "two", "a b")]


def test_a_title_word_says_whether_it_begins_the_title_and_how_many_words_the_title_has(run, site_copy) -> None:
    """What the script ranks "a title that is the query, or begins with it" by, before it fetches records."""
    site = site_copy("minimal")
    _, doc = index_of(run, site)
    rid = next(i for i, r in enumerate(doc["records"]) if r["t"] == "Shared pipeline templates")
    for word, lead in (("shared", True), ("pipeline", False), ("templates", False)):
        where, _section = found(site / "public", word)[rid]
        assert where & FIELDS["title"]
        assert bool(where & FIELDS["lead"]) is lead, word
        assert where >> TITLE_WORDS == 3, word
    body_only = [w for _rid, (w, _s) in found(site / "public", "pipeline").items() if not w & FIELDS["title"]]
    assert all(w >> TITLE_WORDS == 0 and not w & FIELDS["lead"] for w in body_only)


@given(st.lists(st.sampled_from(["offering", "slo", "tool", "policy", "page"]), max_size=12))
def test_the_kinds_and_policy_ids_found_at_once_are_those_found_record_by_record(kinds: list[str]) -> None:
    """_kinds and _policy_ids (found at once over 20,000 records) say what a look at each
    record says."""
    records = [{"k": kind} for kind in kinds]
    expected: list[list[object]] = []
    for rid, r in enumerate(records):
        if not expected or expected[-1][0] != r["k"]:
            expected.append([r["k"], rid])
    assert _kinds(records) == expected
    policy = _policy_ids(_kinds(records), len(records))
    assert policy == [rid for rid, r in enumerate(records) if r["k"] == "policy"]
