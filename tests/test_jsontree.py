"""The JSON reader of imports (source/jsontree.py) reads what the json module reads, with the
position of every value, and refuses everything else with a located error, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.source.jsontree import parse_json
from servicebook.source.yaml import Mapping, Node, Scalar, Sequence, SourceError, SourceText
from tests.conftest import examples

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
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
    try:  # a duplicate key, which the json module keeps silently, is refused too
        expected = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError):
        with pytest.raises(SourceError) as refused:
            parse_json(SourceText("x.json", text))
        assert refused.value.problems[0].location.line >= 1
        return
    assert _plain(parse_json(SourceText("x.json", text))) == expected


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
