"""YAML servicebook writes for people (an import's fragment, a hint saying what to paste) reads
back as exactly the text it stands for: to servicebook, to PyYAML (YAML 1.1) and to YAML 1.2's core
schema, whatever the text holds."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from servicebook.source.yaml import Mapping, Scalar, SourceText, parse_yaml
from servicebook.source.yaml_written import NUMBER_12, flow_scalar, scalar

TRICKY = [
    "Ops: nights # eu",  # a mapping and a comment, written plainly
    "yes",  # a boolean to YAML 1.1
    "1e3",  # a number to YAML 1.2 only
    "0o17",
    "2026-12-07",  # a date to YAML 1.1
    "22:22",  # sexagesimal to YAML 1.1
    "- item",
    "&anchor",
    "*alias",
    "!!str x",
    "---",
    "a\tb",  # a tab, escaped
    'say "hi" \\ there',
    "trailing ",
    "sum(rate(x[5m]))\n",  # a query over lines, as a block
    "line one\nline two",
    "",
]


def _read_back(written: str) -> tuple[object, str]:
    text = f"key: {written}\n"
    tree = parse_yaml(SourceText("catalog.yaml", text))
    assert isinstance(tree, Mapping)
    (value,) = (v for k, v in tree.items if k.value == "key")
    assert isinstance(value, Scalar)
    return yaml.safe_load(text)["key"], value.value


@pytest.mark.parametrize("text", TRICKY)
def test_a_text_written_as_a_scalar_reads_back_as_itself(text: str) -> None:
    for written in (scalar(text, 0), flow_scalar(text)):
        by_pyyaml, by_servicebook = _read_back(written)
        assert by_pyyaml == text and by_servicebook == text, written


@pytest.mark.parametrize("text", TRICKY)
def test_a_flow_scalar_is_one_line_and_never_a_number_to_yaml_1_2(text: str) -> None:
    written = flow_scalar(text)
    assert "\n" not in written
    assert NUMBER_12.match(written) is None


@given(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\x85\u2028\u2029\ufeff")))
def test_any_text_reads_back_as_itself_to_pyyaml(text: str) -> None:
    assert yaml.safe_load(f"key: {flow_scalar(text)}\n")["key"] == text


def test_words_yaml_reads_as_written_stay_plain() -> None:
    assert flow_scalar("Platform Team") == "Platform Team"
    assert flow_scalar("team-payments.eu") == "team-payments.eu"
