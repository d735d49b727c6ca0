"""Absurd YAML gives a located error with either YAML parser: libyaml (used when PyYAML has it)
and PyYAML's pure-Python parser (the fallback), which are different code with different limits."""

from __future__ import annotations

import pytest
import yaml

from servicebook import sources
from servicebook.sources import SourceError, SourceText, parse_yaml

DEEP = {
    "block": "root:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(3000)) + "  " * 3001 + "leaf\n",
    "flow-sequence": "root: " + "[" * 5000 + "]" * 5000 + "\n",
    "flow-mapping": "root: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "unclosed": "root: " + "[" * 5000 + "\n",
}
PARSERS = {"libyaml": getattr(yaml, "CSafeLoader", yaml.SafeLoader), "pure-python": yaml.SafeLoader}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_nesting_thousands_deep_is_a_located_error_not_a_crash(
    text: str, parser: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "_Parser", parser)
    with pytest.raises(SourceError) as raised:
        parse_yaml(SourceText("catalog.yaml", text))
    (problem,) = raised.value.problems
    assert problem.message == f"nesting deeper than {sources.MAX_YAML_DEPTH} levels"
    assert problem.location.line >= 1 and problem.location.column >= 1
    assert problem.location.line <= text.count("\n") + 1


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_both_parsers_read_the_same_plain_strings(parser: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_Parser", parser)
    node = parse_yaml(SourceText("catalog.yaml", "a: no\nb: 0755\nc: 22:22\nd: 2024-01-02\ne: [1e3, on]\n"))
    assert isinstance(node, sources.Mapping)
    values = {k.value: v for k, v in node.items}
    assert [values[k].value for k in "abcd"] == ["no", "0755", "22:22", "2024-01-02"]  # type: ignore[union-attr]
    assert [item.value for item in values["e"].items] == ["1e3", "on"]  # type: ignore[union-attr]
