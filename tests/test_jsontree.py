"""The JSON reader of imports (source/jsontree.py) reads what the json module reads, with the
position of every value, and refuses everything else with a located error, never a crash."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.source.jsontree import parse_json
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceError, SourceText
from tests.conftest import examples

# text as a file may hold it: no control character but tab and line feed, no bidirectional control,
# no Unicode line break and no lone surrogate, even written as an escape (test_an_escape_of_…)
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")) | st.sampled_from("\t\n"))
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def _plain(node: Node) -> Any:
    """The node as the json module would give it (numbers and words through json itself)."""
    if isinstance(node, Mapping):
        return {key.value: _plain(value) for key, value in node.items}
    if isinstance(node, Sequence):
        return [_plain(item) for item in node.items]
    assert isinstance(node, Scalar)
    return json.loads(node.value) if node.plain else node.value


@settings(max_examples=examples(500), deadline=None)
@given(documents, st.sampled_from([None, 0, 2, "\t"]))
def test_it_reads_what_the_json_module_reads(value: Any, indent: int | str | None) -> None:
    text = json.dumps(value, indent=indent)
    assert _plain(parse_json(SourceText("x.json", text))) == json.loads(text)


@settings(max_examples=examples(500), deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsn \t\n\\/u', max_size=40))
def test_anything_else_is_a_located_error(text: str) -> None:
    try:  # a duplicate key, which the json module keeps silently, is refused too, and so is an
        # escape of what no text may hold ("\u0000")
        expected = json.loads(text, object_pairs_hook=_no_duplicates)
        if _holds_what_no_text_may(expected):
            raise ValueError("a control character or a lone surrogate")
    except (ValueError, RecursionError):
        with pytest.raises(SourceError) as refused:
            parse_json(SourceText("x.json", text))
        assert refused.value.problems[0].location.line >= 1
        return
    assert _plain(parse_json(SourceText("x.json", text))) == expected


_REFUSED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff\ufffe\uffff]"
)


def _holds_what_no_text_may(value: Any) -> bool:
    if isinstance(value, str):
        return _REFUSED.search(value) is not None
    if isinstance(value, list):
        return any(map(_holds_what_no_text_may, value))
    if isinstance(value, dict):
        return any(_holds_what_no_text_may(k) or _holds_what_no_text_may(v) for k, v in value.items())
    return False


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("\\u001b[31m", "control character U+001B, written as an escape, is not allowed"),
        ("\\u0000", "control character U+0000, written as an escape, is not allowed"),
        ("\\r", "control character U+000D, written as an escape, is not allowed"),
        ("\\u202e", "bidirectional control character U+202E, written as an escape, is not allowed"),
        ("\\u2028", "line break character U+2028, written as an escape, is not allowed"),
        ("\\udfff", "a lone surrogate U+DFFF, written as an escape, is no character"),
    ],
)
def test_an_escape_of_what_no_text_may_hold_is_refused_at_its_string(written: str, message: str) -> None:
    """A radar's JSON took `"\u001b[31m"`, `"\u0000"`, `"\u202e"` or a lone surrogate into the
    fragment it wrote, which `check` then refused (and a terminal showed its warnings as they were):
    JSON is read as strictly as a double-quoted YAML value, which refuses them at its place."""
    with pytest.raises(SourceError) as refused:
        parse_json(SourceText("x.json", '{"entries": [\n  {"title": "Ev' + written + 'il"}]}'))
    problem = refused.value.problems[0]
    assert (problem.location.line, problem.location.column, problem.message) == (2, 13, message)
    assert _plain(parse_json(SourceText("x.json", '{"a": "one\\ttwo\\nthree \\ud83d\\ude00"}'))) == {
        "a": "one\ttwo\nthree \U0001f600"
    }


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def test_a_value_knows_its_line_and_column() -> None:
    node = parse_json(SourceText("x.json", '{\n\t"a": [1,\n\t  "two"]\n}'))
    assert isinstance(node, Mapping)
    items = node.items[0][1]
    assert isinstance(items, Sequence)
    assert [(i.location.line, i.location.column) for i in items.items] == [(2, 8), (3, 4)]


def test_a_duplicate_key_is_refused_where_it_is_repeated() -> None:
    with pytest.raises(SourceError) as refused:
        parse_json(SourceText("x.json", '{"a": 1,\n "a": 2}'))
    problem = refused.value.problems[0]
    assert (problem.location.line, problem.location.column, problem.message) == (
        2,
        2,
        "duplicate key 'a' (first defined at line 1)",
    )


def test_nesting_deeper_than_yaml_allows_is_refused() -> None:
    with pytest.raises(SourceError) as refused:
        parse_json(SourceText("x.json", "[" * 100_000))
    assert "nests deeper" in refused.value.problems[0].message
