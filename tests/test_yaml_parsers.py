"""Absurd YAML gives a located error with either YAML parser: libyaml (used when PyYAML has it)
and PyYAML's pure-Python parser (the fallback), which are different code with different limits."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.source import yaml as sources
from servicebook.source import yaml_events
from servicebook.source.yaml import SourceError, SourceText, parse_yaml

from .conftest import examples

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
    monkeypatch.setattr(yaml_events, "_Parser", parser)
    with pytest.raises(SourceError) as raised:
        parse_yaml(SourceText("catalog.yaml", text))
    (problem,) = raised.value.problems
    assert problem.message == f"nesting deeper than {yaml_events.MAX_YAML_DEPTH} levels"
    assert problem.location.line >= 1 and problem.location.column >= 1
    assert problem.location.line <= text.count("\n") + 1


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_both_parsers_read_the_same_plain_strings(parser: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_events, "_Parser", parser)
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
    monkeypatch.setattr(yaml_events, "_Parser", parser)
    with pytest.raises(SourceError) as raised:
        parse_yaml(SourceText("catalog.yaml", text))
    (problem,) = raised.value.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert problem.message == f"invalid YAML: {message}"
    assert problem.hint


# Indentation and a missing space, the commonest slips in a hand-edited catalog: said in those
# words, on the line to fix, with the column to move it to (both parsers word these differently).
INDENTATION = {
    "key indented under a value": (
        "slos:\n  - id: x\n    sli: good over valid\n      objective: 99\n",
        (4, 7),
        "'objective:' is indented more than 'sli:' on line 3, so YAML reads it as part of that value",
        "indent 'objective:' to column 5, like 'sli:'",
    ),
    "top-level key indented": (
        "format: 1\n  version: 2\n",
        (2, 3),
        "'version:' is indented more than 'format:' on line 1, so YAML reads it as part of that value",
        "indent 'version:' to column 1, like 'format:'",
    ),
    "key dedented out of its list item": (
        "slos:\n  - id: x\n    sli: s\n  objective: 99\n",
        (4, 3),
        "'objective:' is neither in the list item on line 2 nor a new item",
        "indent it to column 5 to belong to that item, or start a new item with '- '",
    ),
    "list item indented deeper than the first": (
        "tools:\n  - id: a\n    name: b\n   - id: c\n",
        (4, 4),
        "this list item is not aligned with the list's first item on line 2",
        "start it at column 3, like the '-' on line 2",
    ),
    "list item indented less than the first": (
        "tools:\n  - id: a\n    name: b\n - id: c\n",
        (4, 2),
        "this line is indented unlike the lines above it",
        "align it with column 3 (line 2)",
    ),
    "list item left of its key": (
        "team:\n  tradeoffs:\n- favour: Stability\n    over: Flexibility\n",
        (3, 1),
        "this list item is indented less than 'tradeoffs:' on line 2, the key it belongs under",
        "indent it to column 5, under 'tradeoffs:'",
    ),
    "top-level key indented by one": (
        "format: 1\nsite:\n  title: x\n team:\n  name: y\n",
        (4, 2),
        "this line is indented unlike the lines above it",
        "align it with column 1 (line 2) or column 3 (line 3)",
    ),
    "no space after a key's colon": (
        "o:\n  tier: 1\n  lifecycle:ga\n  audience: [x]\n",
        (3, 13),
        "no space after 'lifecycle:', so this line is text, not a key",
        "write 'lifecycle: ga'",
    ),
    "no space after a key's colon, before a key": (
        "o:\n  # the stage\n  lifecycle:ga\n\n  tier: 1\n",
        (3, 13),
        "no space after 'lifecycle:', so this line is text, not a key",
        "write 'lifecycle: ga'",
    ),
    "list item indented under a value": (
        "tools:\n  - id: a\n    since: 2026-01-01\n     - id: b\n",
        (4, 6),
        "this list item is indented more than 'since:' on line 3, so YAML reads it as part of that value",
        "start it at column 3, like the '-' on line 2",
    ),
    "first key indented": (
        "# the catalog\n  format: 1\nversion: 2\n",
        (2, 1),
        "the first key is indented, so the keys after it do not line up with it",
        "start the top-level keys at column 1",
    ),
    "a line of a long value moved left": (
        "team:\n  mission: >-\n    We run\nthe platform.\n  name: x\n",
        (4, 1),
        "this line is neither 'key: value' nor indented under the value it continues",
        "if it continues the value of 'mission:' (line 2), indent it past column 3; if it is a key, write it as "
        "'key: value'",
    ),
    "no space after a list dash": (
        "a:\n  -id: x\n  - id: y\n",
        (2, 4),
        "no space after the '-', so this line is a key, not a list item",
        "write '- id: x'",
    ),
    "no space after a list dash, before the item's next key": (
        "tools:\n  - id: a\n    name: A\n  -id: b\n    name: B\n",
        (4, 4),
        "no space after the '-', so this line is a key, not a list item",
        "write '- id: b'",
    ),
    "no space after the first list dash, before the item's next key": (
        "tools:\n  -id: b\n    name: B\n  - id: c\n",
        (2, 4),
        "no space after the '-', so this line is a key, not a list item",
        "write '- id: b'",
    ),
}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("case", INDENTATION.values(), ids=INDENTATION.keys())
def test_indentation_slips_are_named_on_the_line_to_fix(
    case: tuple[str, tuple[int, int], str, str], parser: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    text, where, message, hint = case
    monkeypatch.setattr(yaml_events, "_Parser", parser)
    with pytest.raises(SourceError) as raised:
        parse_yaml(SourceText("catalog.yaml", text))
    (problem,) = raised.value.problems
    assert (problem.location.line, problem.location.column) == where
    assert (problem.message, problem.hint) == (f"invalid YAML: {message}", hint)


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_a_colon_inside_a_value_still_says_to_quote_it(parser: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_events, "_Parser", parser)
    for text in ("site:\n  title: Platform: services\n", "a:\n  description: long text\n    and note: more\n"):
        with pytest.raises(SourceError) as raised:
            parse_yaml(SourceText("catalog.yaml", text))
        (problem,) = raised.value.problems
        assert problem.message.startswith("invalid YAML: mapping values are not allowed")
        assert problem.hint == "a value containing ': ' must be quoted"


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


def test_every_iana_name_is_found_again_from_a_careless_spelling() -> None:
    """`timezone: Berlin`, `europe/berlin` or `America/New York` each suggest the real name."""
    import zoneinfo

    from servicebook.catalog.validate import timezones_like

    names = sorted(zoneinfo.available_timezones())
    cities: dict[str, list[str]] = {}
    for name in names:
        if "/" in name:
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    for name in names:
        assert timezones_like(name.lower()) == (name,), name
        assert name in timezones_like(name.replace("_", " ").upper()), name
        city = name.rsplit("/", 1)[-1]
        if "/" in name and len(cities[city.lower()]) == 1 and city not in names:  # `Jamaica` is a name too
            assert timezones_like(city) == (name,), name
            assert timezones_like(city.replace("_", " ")) == (name,), name
    assert timezones_like("Europe/Berln") == ("Europe/Berlin",)
    assert timezones_like("Berln") == ("Europe/Berlin",)
    assert timezones_like("Mars/Olympus") == ()


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(st.sampled_from(["a: b", " #x", "#y", "  - c: d #e", "f: |", "  g #h", "\t#i", "\u2003#j", "k", "", " "]))
)
def test_the_quick_look_for_comment_traps_never_misses_one(parts: list[str]) -> None:
    """comment_traps skips a text with no ' #word' anywhere; on any text it finds what reading
    every line finds (whitespace of every kind before the '#', block scalars, items, keys)."""
    text = "\n".join(parts).replace("\n\n", "\n")
    source = SourceText("catalog.yaml", text)
    assert sources.comment_traps(source) == sources._traps(source, text, 0)


# The pieces front matter is written with, and the ones that must send it to libyaml: YAML's
# indicators, quotes, escapes, spaces where they end or change a value, line breaks YAML knows
# beside '\n' (NEL, LS, PS), a BOM, non-ASCII text and characters outside the BMP.
_VALUE_CHARS = st.sampled_from(
    [
        *"aZ09 .,_/()'+-:#\"\\[]{}!&*?|>%@`=~\t",
        "é",
        "ß",
        "\u00a0",
        "\u0085",
        "\u2028",
        "\u2029",
        "\ufeff",
        "\u3000",
        "\U0001f600",
        "\x7f",
        "\ud7ff",
    ]
)
_SIMPLE = st.text(st.sampled_from(list("aZ09 .,_/()'+-é")), max_size=10)
_VALUE = st.one_of(  # mostly what the quick reading takes, so that each odd character is met there
    _SIMPLE, st.tuples(_SIMPLE, _VALUE_CHARS, _SIMPLE).map("".join), st.text(_VALUE_CHARS, max_size=12)
)
_KEY = st.sampled_from(["title", "summary", "owner", "order", "tools", "a", "a-b", "_x", "x_1", "<<", "k y", "-k"])
_SEP = st.sampled_from([": ", ": ", ":  ", ":", ":\t", " : "])
_SHAPED = st.one_of(
    _VALUE,
    _VALUE.map(lambda v: f'"{v}"'),
    _VALUE.map(lambda v: f"'{v}'"),
    st.lists(_VALUE, max_size=4).map(lambda vs: "[" + ",".join(vs) + "]"),
    st.lists(_VALUE, max_size=4).map(lambda vs: "[ " + " , ".join(vs) + " ]"),
    st.sampled_from(["null", "~", "81", "-1", "no", "[]", "[ ]", "[a, b]", "[a,, b]", '"a" b', "a # c", "|", ">-"]),
)
_ITEMS = st.lists(  # a block list: "- item" lines, at one indentation or not
    st.tuples(st.sampled_from(["", " ", "  ", "    "]), st.sampled_from(["- ", "-  ", "-", "- - "]), _SHAPED).map(
        "".join
    ),
    max_size=3,
)
_LINE = st.one_of(
    st.tuples(_KEY, _SEP, _SHAPED).map("".join),
    st.tuples(_KEY, st.sampled_from([":", ": ", ":\n"]), _ITEMS.map("\n".join)).map(
        lambda parts: parts[0] + (parts[1] if parts[1] == ":\n" else parts[1] + "\n") + parts[2]
    ),
    st.sampled_from(["", "# note", "  more", "---", "...", "- x", "title: x"]),
)
_KEY_LINE = st.one_of(
    st.tuples(st.sampled_from(["title", "owner", "tools", "order"]), st.just(": "), _SHAPED).map("".join),
    st.tuples(st.sampled_from(["offerings", "tools"]), st.sampled_from(["", "  "]), st.lists(_SHAPED, max_size=3)).map(
        lambda parts: parts[0] + ":\n" + "\n".join(f"{parts[1]}- {v}" for v in parts[2])
    ),
)
_FRONT = st.one_of(st.lists(_LINE, min_size=1, max_size=6), st.lists(_KEY_LINE, min_size=1, max_size=4))


@settings(max_examples=examples(500), deadline=None)
@given(_FRONT, st.booleans(), st.integers(0, 2))
def test_front_matter_read_without_libyaml_is_what_libyaml_reads(
    lines: list[str], last_newline: bool, offset: int
) -> None:
    """The quick reading of simple front matter (`_flat_mapping`) gives exactly the nodes, values
    and positions that libyaml's events give, or declines and leaves the text to libyaml (which
    may then refuse it with its own located error)."""
    text = "\n".join(lines) + ("\n" if last_newline else "")
    source = SourceText("content/page.md", "---\n" + text + "---\n")
    flat = sources._flat_mapping(source.path, text, offset)
    if flat is None:
        return
    assert flat == sources._parse_events(source, text, offset)


def test_the_common_front_matter_is_read_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy page's usual front matter never reaches libyaml; one with a comment does, and so
    does an error, which keeps libyaml's located message."""
    front = (
        'title: "Mortgages backups policy 0"\n'
        "summary: The change manager is tested against the audit export, and it's kept.\n"
        "owner: Nina Rossi, Delivery Tooling\n"
        "order: 81\n"
        "offerings: [compliance-dashboards-00022, identity-cache-00016]\n"
        "tools:\n"
        "  - ci\n"
        "  - 'cd'\n"
    )
    source = SourceText("content/p.md", "---\n" + front + "---\n")
    expected = sources._parse_events(source, front, 1)
    assert isinstance(expected, sources.Mapping)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("libyaml asked to read simple front matter")

    monkeypatch.setattr(yaml_events.yaml, "parse", refused)
    assert parse_yaml(source, text=front, line_offset=1) == expected
    assert expected.items[4][1] == sources.Sequence(
        (
            sources.Scalar("compliance-dashboards-00022", sources.SourceLocation("content/p.md", 6, 13), True),
            sources.Scalar("identity-cache-00016", sources.SourceLocation("content/p.md", 6, 42), True),
        ),
        sources.SourceLocation("content/p.md", 6, 12),
    )
    assert expected.items[5][1] == sources.Sequence(
        (
            sources.Scalar("ci", sources.SourceLocation("content/p.md", 8, 5), True),
            sources.Scalar("cd", sources.SourceLocation("content/p.md", 9, 5), False),
        ),
        sources.SourceLocation("content/p.md", 8, 3),
    )
    with pytest.raises(AssertionError, match="libyaml asked"):
        parse_yaml(source, text=front + "# a comment\n", line_offset=1)
    monkeypatch.undo()
    with pytest.raises(SourceError) as raised:
        parse_yaml(source, text=front + "title: again\n", line_offset=1)
    assert raised.value.problems[0].message == "duplicate key 'title' (first defined at line 2)"
    assert str(raised.value.problems[0].location) == "content/p.md:10:1"


@pytest.mark.parametrize("length", [128, 129, 1024, 1025, 5000])
@pytest.mark.parametrize("shape", ["{key}: v\n", "{key}:\n  - v\n", "a: {key}\n", "a: [{key}, b]\n", "a:\n- {key}\n"])
def test_long_keys_and_values_read_without_libyaml_only_as_libyaml_reads_them(length: int, shape: str) -> None:
    """libyaml refuses a key of over 1,024 characters (YAML's limit on an implicit key), not a
    long value: the quick reading leaves a long key to libyaml and reads a long value as it does."""
    text = shape.format(key="k" * length)
    source = SourceText("content/page.md", text)
    flat = sources._flat_mapping(source.path, text, 0)
    try:
        assert flat is None or flat == sources._parse_events(source, text, 0)
    except SourceError:
        assert flat is None
    if not shape.startswith("{key}"):
        assert flat is not None
