"""The search index: compact, complete, and carrying the answer for unsupported tools."""

from __future__ import annotations

import json

from servicebook.site.search import excerpt


def index_of(run, site):
    assert run("build", "--source", site).exit_code == 0
    raw = (site / "public/search/index.json").read_bytes()
    return raw, json.loads(raw)


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


def test_slo_record_links_to_its_row_and_states_the_budget(run, site_copy) -> None:
    site = site_copy("minimal")
    _, doc = index_of(run, site)
    record = next(r for r in doc["records"] if r["k"] == "slo")
    assert record["u"] == "offerings/ci/#slo-availability"
    assert 'id="slo-availability"' in (site / "public/offerings/ci/index.html").read_text()
    assert record["s"].startswith("99.5 % over rolling 30 days, error budget 3 h 36 min.")


def test_on_call_and_escalation_are_found_by_name_and_lead_to_their_part_of_the_support_page(run, site_copy) -> None:
    site = site_copy("example")
    _, doc = index_of(run, site)
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
