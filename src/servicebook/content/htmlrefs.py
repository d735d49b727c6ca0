"""What an HTML page links to and which anchors it has, as a browser reads them: an HTML parser,
not a pattern, so single-quoted and unquoted attributes, upper-case names, character references
and links inside comments or scripts are read the way a browser reads them.

libxml2's HTML parser (through lxml) rather than the standard library's html.parser: the link
check reads every page of the site, and html.parser is several times slower than the rest of the
check together (figures in bench/README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from lxml import etree


@dataclass(frozen=True, slots=True)
class HtmlRefs:
    """The addresses a page's elements point to (`href` and `src` of any element, decoded, as
    written otherwise) and the names its #fragments can reach (`id` of any element, `name` of an
    `<a>`)."""

    urls: frozenset[str]
    ids: frozenset[str]


def read_refs(html: bytes) -> HtmlRefs:
    """The links and anchors of one UTF-8 HTML document (or fragment); never fails: what a browser
    would recover from, the parser recovers from too."""
    if not html.strip():  # libxml2 refuses an empty document; it has nothing to read
        return HtmlRefs(frozenset(), frozenset())
    root = etree.fromstring(html, _parser())
    if root is None:
        return HtmlRefs(frozenset(), frozenset())
    urls, ids = _queries()
    return HtmlRefs(frozenset(urls(root)), frozenset(ids(root)))


def unpack_refs(packed: bytes) -> HtmlRefs:
    """The links and anchors that content/markdown.py `body_refs` packed: how many addresses, the
    addresses, the ids, NUL between."""
    count, *parts = packed.decode().split("\0")
    urls = int(count)
    return HtmlRefs(frozenset(parts[:urls]), frozenset(parts[urls:]))


@cache
def _parser() -> etree.HTMLParser:
    # huge_tree: a page of many megabytes (a catalog of thousands of entries) is read whole, not cut
    return etree.HTMLParser(encoding="utf-8", no_network=True, huge_tree=True, collect_ids=False)


@cache
def _queries() -> tuple[etree.XPath, etree.XPath]:
    # plain strings, not lxml's "smart" ones that know their element (each costs more to make)
    return etree.XPath("//@href | //@src", smart_strings=False), etree.XPath("//@id | //a/@name", smart_strings=False)
