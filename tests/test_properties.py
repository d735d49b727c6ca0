"""Property-based tests: whatever catalog or page comes in, servicebook either publishes a sound,
harmless site or reports located errors; it never crashes.

Inputs are generated from the minimal fixture site, valid and broken: its catalog text mutated
line by line (deleted, duplicated, re-indented lines, inserted hostile strings and random
characters), its catalog values replaced by values of the wrong type or hostile text, and pages
generated with random links, images, raw HTML, headings and code. For every input:

- no traceback, and the exit code is 0 (built) or 1 (errors in the sources);
- on failure, every report is `path:line:col: error: …` (or `path: error: …` for a whole
  file) pointing into a real file, followed only by its source line, caret and hint;
- on success, every internal link and anchor resolves (checked here, independently of the
  build's own link check) and no page holds a script, event handler, inline style or unsafe URL.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st
from markdown_it.common import normalize_url

from servicebook.catalog.validate import check_url
from servicebook.cli import main
from servicebook.content.markdown import AnchorRef, PackedRefs, normalize_link, sanitize
from servicebook.errors import Problem, SourceLocation

from .conftest import FIXED_EPOCH, SITES, examples
from .htmlcheck import dangers, tags

MINIMAL = SITES / "minimal"
CATALOG = (MINIMAL / "catalog.yaml").read_text()
PAGE = (MINIMAL / "content/welcome.md").read_text()
# Each example is a whole build (~50 ms): modest counts, and no shrinking, which would take
# minutes; a failure prints the generated input as it was.
# SERVICEBOOK_EXAMPLES=1000 make unit explores further (CI runs the default; make quick a tenth).
EXAMPLES = int(os.environ.get("SERVICEBOOK_EXAMPLES", examples(60)))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

HOSTILE = [
    "javascript:alert(1)", "&#106;avascript:alert(1)", "JaVaScRiPt&colon;alert(1)", "java\tscript:x",
    "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/", "https://u:p@evil.example/",
    'https://a" onmouseover="alert(1)', "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "<iframe src=//evil>", "<style>*{}</style>", "{{ 7*7 }}", "{% include 'x' %}", "\u202e", "\u2066", "\x00",
    "\x1b[2J", "\ufeff", "\r", "\u00a0", "\u200b", "&amp;", "*a", "&a ", "!!python/object/apply:os.system ['id']",
    "!!int", "<<: {a: 1}", "? [a, b]", "---\n", "...\n", "'", '"', "\t", ": ", "- ", "# ", "%YAML 1.1\n", "@", "`",
    "|", ">", "yes", "no", "on", "0755", "22:22", "1e3", "2024-13-45", "~", "null", "[", "{", "]", "}", "../..",
    "/etc/passwd", "con", "index", "Café", "ı", "\n", "\\", "[x](javascript:alert(1))", "\u0301",
]  # fmt: skip

PROBLEM_RE = re.compile(r"(?P<path>[^\s:][^:]*?)(?::(?P<line>\d+):(?P<col>\d+))?: (?:error|warning): \S.*")
SOURCE_RE = re.compile(r" (?P<line>\d+) \| .*")
CARET_RE = re.compile(r" +\| *\^")
HINT_RE = re.compile(r"  hint: \S.*")
SUMMARY_RE = re.compile(r"check failed: .+[^.]\.|build failed: .+; nothing was written\.")

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
INERT_TEXT = ["<script>alert(1)</script>", "{{ 7*7 }}", "<img src=x onerror=alert(1)>", 'x" onmouseover="y', "&#106;"]
hostile_or_random = st.one_of(st.sampled_from(HOSTILE), text)


# --- running and judging ----------------------------------------------------------------------


def _build(catalog: str | None = None, pages: dict[str, str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(MINIMAL, site)
        if catalog is not None:
            (site / "catalog.yaml").write_text(catalog, encoding="utf-8", newline="")
        for name, body in (pages or {}).items():
            (site / "content" / name).write_text(body, encoding="utf-8", newline="")
        with contextlib.chdir(site):  # problems name files as from the current folder
            result = CliRunner().invoke(
                main, ["build", "--source", str(site)], env={"SOURCE_DATE_EPOCH": FIXED_EPOCH}, catch_exceptions=False
            )
        _judge(site, result)


def _judge(site: Path, result: Result) -> None:
    event("built" if result.exit_code == 0 else "refused")  # see --hypothesis-show-statistics
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1), result.output
    assert_located(site, result.stderr, failed=result.exit_code == 1)
    if result.exit_code == 0:
        assert_sound_site(site / "public")
    else:
        assert not (site / "public").exists()


def assert_located(site: Path, stderr: str, *, failed: bool) -> None:
    """Every report is a located problem, then optionally its source line with a caret, and a hint."""
    assert all(ch.isprintable() or ch == "\n" for ch in stderr), repr(stderr)
    lines = stderr.splitlines()
    if failed:
        assert lines and SUMMARY_RE.fullmatch(lines.pop()), stderr
    i = 0
    while i < len(lines):
        problem = PROBLEM_RE.fullmatch(lines[i])
        assert problem, f"not a located problem: {lines[i]!r}\n{stderr}"
        path = site / problem["path"]
        assert problem["path"] == "catalog.yaml" or problem["path"].startswith(("content/", "layouts/")), lines[i]
        if problem["line"] is not None and path.is_file():
            count = path.read_bytes().count(b"\n") + 1
            assert 1 <= int(problem["line"]) <= count, lines[i]
        i += 1
        if i < len(lines) and SOURCE_RE.fullmatch(lines[i]):
            assert problem["line"] is not None and SOURCE_RE.fullmatch(lines[i])["line"] == problem["line"]  # type: ignore[index]
            assert i + 1 < len(lines) and CARET_RE.fullmatch(lines[i + 1]), stderr
            i += 2
        if i < len(lines) and HINT_RE.fullmatch(lines[i]):
            i += 1


def assert_sound_site(public: Path) -> None:
    """No danger on any page, and every internal href/src leads to a file (and id) in the site."""
    pages = {str(p.relative_to(public)): p.read_text() for p in sorted(public.rglob("*.html"))}
    ids = {path: {a.get("id") for _, a in tags(html)} for path, html in pages.items()}
    files = {str(p.relative_to(public)) for p in public.rglob("*") if p.is_file()}
    for path, html in pages.items():
        assert dangers(html) == [], (path, dangers(html))
        if path == "404.html":  # served at any depth, so its links are site-absolute by design
            continue
        for _tag, attrs in tags(html):
            for name in ("href", "src"):
                url = attrs.get(name)
                if url is None:
                    continue
                parts = urlsplit(url)
                if parts.scheme in ("http", "https", "mailto"):
                    continue
                assert not parts.scheme and not parts.netloc and not url.startswith("/"), (path, url)
                target = path
                if parts.path:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
                    if parts.path.endswith("/") or target + "/index.html" in files:
                        target = posixpath.normpath(posixpath.join(target, "index.html"))
                    assert target in files, (path, url)
                if parts.fragment and target.endswith(".html"):
                    assert parts.fragment in ids[target], (path, url)


# --- catalogs: mutated text -------------------------------------------------------------------

mutation = st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "indent", "swap"]),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    hostile_or_random,
    st.integers(-4, 4),
)


def mutate(source: str, mutations: list[tuple[str, int, int, str, int]]) -> str:
    lines = source.split("\n")
    for kind, a, b, payload, delta in mutations:
        i, j = a % len(lines), b % len(lines)
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "insert":
            col = b % (len(lines[i]) + 1)
            lines[i] = lines[i][:col] + payload + lines[i][col:]
        elif kind == "indent":
            stripped = lines[i].lstrip(" ")
            lines[i] = " " * max(0, len(lines[i]) - len(stripped) + delta) + stripped
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@SETTINGS
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_catalog_builds_soundly_or_fails_located(mutations: list[tuple[str, int, int, str, int]]) -> None:
    _build(catalog=mutate(CATALOG, mutations))


# --- catalogs: wrong types and hostile values ---------------------------------------------------

value = st.recursive(
    st.one_of(
        st.sampled_from(INERT_TEXT),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        hostile_or_random,
        st.dates(),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)


def _leaf_paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [path, *(p for k, v in data.items() for p in _leaf_paths(v, (*path, k)))]
    if isinstance(data, list):
        return [path, *(p for i, v in enumerate(data) for p in _leaf_paths(v, (*path, i)))]
    return [path]


def _replace(data: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = _replace(data[head], tuple(rest), new)  # type: ignore[index]
    return copy


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 10_000), value), min_size=1, max_size=3))
def test_catalog_with_wrong_types_or_hostile_values_builds_soundly_or_fails_located(
    replacements: list[tuple[int, Any]],
) -> None:
    data = yaml.safe_load(CATALOG)
    for where, new in replacements:
        paths = _leaf_paths(data)
        data = _replace(data, paths[where % len(paths)], new)
    _build(catalog=yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


# --- pages ------------------------------------------------------------------------------------

# Markup that is allowed in text and must come out inert.
INERT = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href=javascript:alert(1)>x</a>",
    "<iframe src=//evil></iframe>", "<style>*{}</style>", "{{ 7*7 }}", "{% include 'x' %}", "\"'><", "&amp;",
    "&#106;avascript:alert(1)", "javascript:alert(1)", "onmouseover=alert(1)", "*a", "`code`", "_x_", "\\",
]  # fmt: skip
GOOD_TARGETS = [
    "offering:ci", "tool:shared-pipelines", "page:welcome", "page:welcome#what-we-support", "welcome.md",
    "welcome.md#what-we-support", "https://example.com/x?a=1&b=2", "mailto:a@example.com", "other.md",
]  # fmt: skip
BAD_TARGETS = [
    "offering:nope", "#nowhere", "../README.md", "/abs/path", "x.html", "file:///etc/passwd",
    "%6Aavascript:alert(1)", "<javascript:alert(1)>", "java%09script:x",
]  # fmt: skip
clean_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Co", "Cn")), max_size=30)


def page(good: bool) -> st.SearchStrategy[str]:
    """A generated page; `good` pages use only links that resolve, so most of them build."""
    targets = (
        st.sampled_from(GOOD_TARGETS)
        if good
        else st.one_of(st.sampled_from(GOOD_TARGETS + BAD_TARGETS + HOSTILE), text)
    )
    words = (
        st.one_of(st.sampled_from(INERT), clean_text) if good else st.one_of(st.sampled_from(INERT), hostile_or_random)
    )
    inline = st.one_of(
        words,
        st.builds(lambda t, u: f"[{t}]({u})", words, targets),
        st.builds(lambda t, u, title: f'[{t}]({u} "{title}")', words, targets, words),
        st.builds(lambda u: f"<{u}>", targets),
        *([] if good else [st.builds(lambda t, u: f"![{t}]({u})", words, targets)]),
    )
    paragraph = st.lists(inline, min_size=1, max_size=6).map(" ".join)
    block = st.one_of(
        paragraph,
        st.builds(lambda level, t: "#" * level + " " + t, st.integers(1, 6), paragraph),
        st.builds(lambda info, body: f"```{info}\n{body}\n```", words, paragraph),
        st.builds(lambda depth, t: ">" * depth + " " + t, st.integers(1, 30), paragraph),
        st.builds(lambda items: "\n".join(f"- {i}" for i in items), st.lists(paragraph, min_size=1, max_size=3)),
        st.builds(lambda label, u: f"[{label}]: {u}", st.sampled_from(["r", "ref", "x"]), targets),
        st.sampled_from([*INERT, "<div onclick=alert(1)>", "<!-- c -->", "| a | b |\n|---|---|\n| 1 | 2 |"]),
    )
    title = st.just("Policy") if good else st.one_of(st.just("Policy"), hostile_or_random)
    front = st.builds(lambda t: f"---\ntitle: {yaml.safe_dump(t).split(chr(10))[0]}\n---\n", title)
    return st.builds(
        lambda f, blocks: f + "\n" + "\n\n".join(blocks) + "\n", front, st.lists(block, min_size=1, max_size=8)
    )


@settings(SETTINGS, max_examples=max(1, EXAMPLES * 5 // 6))
@given(st.booleans().flatmap(page))
def test_generated_page_builds_soundly_or_fails_located(body: str) -> None:
    _build(pages={"other.md": body})


# --- the error report and the URL rule, on their own ------------------------------------------


@settings(max_examples=examples(1000), deadline=None)
@given(text, st.one_of(st.none(), text), st.one_of(st.none(), st.text(max_size=300)), st.integers(0, 400))
def test_problem_report_is_one_printable_line_per_part(
    message: str, hint: str | None, source_line: str | None, column: int
) -> None:
    problem = Problem(SourceLocation("catalog.yaml", 3, column), "m" + message, hint or None, source_line=source_line)
    lines = problem.format().split("\n")
    assert all(ch.isprintable() for line in lines for ch in line)
    assert len(lines) == 1 + (2 if source_line is not None else 0) + (1 if hint else 0)
    assert PROBLEM_RE.fullmatch(lines[0])
    if source_line is not None:
        assert SOURCE_RE.fullmatch(lines[1]) and CARET_RE.fullmatch(lines[2])
        assert len(lines[1]) <= 110  # " 3 | " + a window of at most 100 characters and two '…'
        assert lines[2].index("^") <= len(lines[1])


@settings(max_examples=examples(500), deadline=None)
@given(st.one_of(st.builds(lambda a, b: a + b, st.sampled_from([*HOSTILE, "https://", "mailto:"]), text), text))
def test_an_accepted_url_is_an_http_or_mailto_url_without_credentials(url: str) -> None:
    if check_url(url) is None:
        parts = urlsplit(url)
        assert parts.scheme.lower() in ("http", "https", "mailto")
        assert not re.search(r"[\s\"'<>`\\\x00-\x1f]", url)
        assert "@" not in parts.netloc
        assert parts.scheme == "mailto" or parts.hostname


HOST_LABEL = st.one_of(
    st.text(alphabet="az09-_%|^{}xnXN", min_size=0, max_size=6),
    st.sampled_from(["xn--", "xn--zz", "xn--bcher-kva", "0x", "0x7f", "08", "07", "255", "256", "999", "4294967296"]),
    st.integers(0, 2**33).map(str),
)


@settings(max_examples=examples(2000), deadline=None)
@given(st.lists(HOST_LABEL, min_size=1, max_size=6).map(".".join), st.sampled_from(["", ":8080", ":0"]))
def test_an_accepted_address_is_one_browsers_follow(host: str, port: str) -> None:
    """What `check_url` accepts the URL standard parses too: nh3 (whose parser follows it, as browsers
    do) keeps the link's address, where it would leave a page a link that goes nowhere."""
    url = f"https://{host}{port}/path"
    if check_url(url) is None:
        assert 'href="' in sanitize(f'<a href="{url}">x</a>'), url


URL_CHARS = "aZ09._~:/?#=&+,;!*'()-@$%[] \\<>\"é"
url_text = st.text(alphabet=URL_CHARS, max_size=16)
url_start = st.sampled_from(
    ["", "https://", "http:", "HTTP://Ex.COM", "//", "mailto:", "offering:", "page:", "../", "a.md#", "javascript:"]
)


@settings(max_examples=examples(3000), deadline=None)
@given(st.builds(lambda a, b: a + b, url_start, url_text))
def test_the_fast_link_normaliser_agrees_with_markdown_it(url: str) -> None:
    """normalize_link skips markdown-it's URL parse for plain addresses: only where that changes nothing."""
    assert normalize_link(url) == normalize_url.normalizeLink(url)


_REF_TEXT = st.text(max_size=12)  # any text, NUL (the packing's separator) included
_REFS = st.lists(
    st.builds(
        AnchorRef,
        _REF_TEXT,
        _REF_TEXT,
        _REF_TEXT,
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        _REF_TEXT,
        st.integers(0, 50),
    ),
    max_size=6,
)


@given(_REFS)
def test_a_pages_links_packed_read_back_as_they_were_in_order(refs: list[AnchorRef]) -> None:
    packed = PackedRefs.of(refs)
    assert list(packed) == refs and len(packed) == len(refs)
    assert list(packed.targets()) == [(r.slug, r.anchor) for r in refs]
    if not packed.odd:  # as the build cache stores and reads it back
        assert PackedRefs.from_text(packed.text) == packed


@given(_REFS, st.integers(0, 6 * 7), st.sampled_from(["", "x", "-1", "1.5", " 1"]))
def test_packed_links_whose_numbers_are_not_numbers_are_refused(refs: list[AnchorRef], at: int, bad: str) -> None:
    # from_text checks the line, size and occurrence of every link at once (the columns joined):
    # an empty field, a sign, a point or a letter in any of them is a damaged entry, never a link
    packed = PackedRefs.of(refs)
    assume(not packed.odd and packed.count)
    parts = packed.text.split("\0")
    number = [i for i in range(len(parts)) if i % 7 in (3, 4, 6)][at % (3 * packed.count)]
    parts[number] = bad
    with pytest.raises(ValueError):
        PackedRefs.from_text("\0".join(parts))


def test_property_tests_are_never_timed() -> None:
    # the suite's profiles (conftest.py) turn off hypothesis's 200 ms deadline: speed belongs in bench/
    assert settings().deadline is None
