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


# Syntax errors are shown where the author has to act, whichever parser found them: the parsers
# give up at different places with different words, so these pin only our own messages.
WHERE_TO_ACT = {
    "unclosed list, next key": ("a: 1\ntitle: [unclosed\nnext: 2\n", 2, 8, "this '[' is never closed"),
    "unclosed list at the end": ("a: 1\ntitle: [unclosed", 2, 8, "this '[' is never closed"),
    "unclosed mapping": ("a:\n  - {id: x\n  - y\n", 2, 5, "this '{' is never closed"),
    "unclosed nested list": ("a: [x, [y, z]\nb: 1\n", 1, 4, "this '[' is never closed"),
    "unclosed double quote": ('a: 1\ntitle: "unclosed\nnext: 2\n', 2, 8, "this '\"' is never closed"),
    "unclosed single quote": ("a: 1\ntitle: 'unclosed\nnext: 2\n", 2, 8, 'this "\'" is never closed'),
    "quote closed lines later": (
        'a: 1\ntitle: "abc\nb: 2\ndesc: "x"\n',
        2,
        8,
        "this '\"' is not closed on its line (it runs on to line 4)",
    ),
    "apostrophe in single quotes": ("title: 'it's mine'\n", 1, 12, "text after the closing quote"),
    "escaped quotes are not the opening one": (
        'title: "say \\"hi\\"" there\n',
        1,
        21,
        "text after the closing quote",
    ),
    "doubled single quote is not the opening one": ("title: 'it''s' there\n", 1, 16, "text after the closing quote"),
    "text after a list": ("title: [beta] runners\n", 1, 15, "text after the closing ']'"),
}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("case", WHERE_TO_ACT.values(), ids=WHERE_TO_ACT.keys())
def test_syntax_errors_point_at_what_to_fix(
    case: tuple[str, int, int, str], parser: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, line, column, message = case
    monkeypatch.setattr(sources, "_Parser", parser)
    with pytest.raises(SourceError) as raised:
        parse_yaml(SourceText("catalog.yaml", text))
    (problem,) = raised.value.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert problem.message == f"invalid YAML: {message}"
    assert problem.hint


def test_an_error_inside_a_closed_multi_line_list_stays_where_the_parser_found_it() -> None:
    with pytest.raises(SourceError) as raised:
        parse_yaml(SourceText("catalog.yaml", "a: [x,\n  'y' z]\n"))
    (problem,) = raised.value.problems
    assert (problem.location.line, problem.location.column) == (2, 7)


def test_front_matter_errors_are_placed_in_the_page() -> None:
    page = SourceText("content/p.md", "---\ntitle: ok\nlist: [a\n---\nBody\n")
    front, _, _ = sources.split_front_matter(page)
    with pytest.raises(SourceError) as raised:
        parse_yaml(page, text=front, line_offset=1)
    (problem,) = raised.value.problems
    assert (problem.location.line, problem.location.column) == (3, 7)
    assert problem.source_line == "list: [a"
    assert problem.hint == "close the list with ']', or quote the value if it is text: list: \"[a\""
