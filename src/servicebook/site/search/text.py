"""Text as the search index and its script read it: words, excerpts, a policy page's sections
from its HTML, the compact JSON of the files the browser downloads."""

from __future__ import annotations

import json
import re
import unicodedata
from html import unescape
from html.parser import HTMLParser

EXCERPT_CHARS = 240


LONGEST_WORD = 40  # longer runs of letters and digits (hashes, keys) are not indexed


# Where in a record a word occurs, as bits (the script ranks a title above a page's body); "lead"
# is the title's first word.
FIELDS = {"title": 1, "keys": 2, "summary": 4, "body": 8, "lead": 16}


TITLE_WORDS = 5  # a title word's bits from here on: how many words its title has (7: 7 or more)


# Words a question is made of that say nothing about what is looked for (static/search.js has the same list).
STOP = frozenset(
    "a about an and are can do does for from get how i in is it me my of on or our should the to use "  # noqa: SIM905
    "using we what when where which who why with you your".split()
)


_MARKS = re.compile("[\u0300-\u036f]")


_WORD = re.compile(r"[^\W_]+")


# ASCII text's bytes with every one but [a-z0-9] a space: what `_WORD` finds in lower-cased ASCII
_ASCII_WORDS = bytes(c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))


def words(text: str) -> list[str]:
    """The words of `text` as the index and the script see them."""
    if text.isascii():  # nothing to decompose, no marks to drop (most text, and much faster)
        return text.lower().encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _WORD.findall(_MARKS.sub("", unicodedata.normalize("NFD", text.lower())))


def _order(word: str) -> bytes:  # JavaScript compares strings by UTF-16 code units
    return word.encode("utf-16-be")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first `limit` characters of `text` with whitespace collapsed, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:—-– ")
    return cut + "…"


class _Sections(HTMLParser):
    """A page's rendered HTML as its sections' plain text, split at headings that have an id."""

    BLOCKS = frozenset("p li td th pre blockquote dd dt div br tr h1 h2 h3 h4 h5 h6".split())  # noqa: SIM905

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[list[str]] = [["", "", ""]]
        self._heading: str | None = None  # the tag of the heading being read
        self._skip = False  # in a heading's "#" link to itself

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        anchor = attributes.get("id")
        if tag == "a" and self._heading and attributes.get("class") == "anchor":
            self._skip = True
        elif tag in ("h2", "h3", "h4") and anchor:
            self._heading = tag
            self.sections.append(["", anchor, ""])
        elif tag in self.BLOCKS:
            self._add(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._skip = False
        elif tag == self._heading:
            self._heading = None
        elif tag in self.BLOCKS:
            self._add(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._add(data)

    def _add(self, text: str) -> None:
        self.sections[-1][0 if self._heading else 2] += text


def page_sections(html: str) -> list[tuple[str, str, str]]:
    """(heading, anchor, text) of each section of a page, the part before its first heading first
    (heading and anchor "")."""
    sections = _quick_sections(html)
    if sections is None:
        parser = _Sections()
        parser.feed(html)
        parser.close()
        sections = parser.sections
    return [(" ".join(h.split()), a, " ".join(t.split())) for h, a, t in sections]


# A start or end tag as the sanitizer writes them: attributes double-quoted or bare.
_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*")?)*)\s*(/?)>')


_ATTR = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?')


def _quick_sections(html: str) -> list[list[str]] | None:  # noqa: C901 - one loop: what the handlers do, inline
    """What `_Sections` reads from `html`, with one regular expression instead of html.parser's
    state machine (a fifth of a full build's time went to it); None for anything but the plain
    tags and text the Markdown pipeline's sanitizer writes (a comment, a `<` in text, a script),
    which `_Sections` reads instead. A property test keeps the two equal."""
    blocks = _Sections.BLOCKS
    sections: list[list[list[str]]] = [[[], [""], []]]  # heading parts, anchor, text parts
    heading: str | None = None
    skip = False
    at = 0
    for tag in _TAG.finditer(html):
        text = html[at : tag.start()]
        at = tag.end()
        if text:
            if "<" in text:
                return None
            if not skip:
                sections[-1][0 if heading else 2].append(unescape(text) if "&" in text else text)
        closing, name, attrs, empty = tag.groups()
        name = name.lower()
        if not closing:
            if name in ("script", "style"):  # their content is not markup: html.parser reads it apart
                return None
            # only a heading's id and a link's class matter: most tags' attributes are not read
            if name == "a" and heading and attrs and _attributes(attrs).get("class") == "anchor":
                skip = True
            elif name in ("h2", "h3", "h4") and attrs and (anchor := _attributes(attrs).get("id")):
                heading = name
                sections.append([[], [anchor], []])
            elif name in blocks:
                sections[-1][0 if heading else 2].append(" ")
        if closing or empty:
            if name == "a":
                skip = False
            elif name == heading:
                heading = None
            elif name in blocks:
                sections[-1][0 if heading else 2].append(" ")
    rest = html[at:]
    if "<" in rest:
        return None
    if rest and not skip:
        sections[-1][0 if heading else 2].append(unescape(rest))
    return [["".join(h), a[0], "".join(t)] for h, a, t in sections]


def _attributes(attrs: str) -> dict[str, str | None]:
    """A tag's attributes as html.parser gives them: names lower-cased, values unescaped, the
    last of a repeated name."""
    if not attrs:
        return {}
    return {a[1].lower(): None if a[2] is None else unescape(a[2]) for a in _ATTR.finditer(attrs)}


def _compact(data: object) -> bytes:
    """JSON without spaces, for files the browser downloads rather than people read."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
