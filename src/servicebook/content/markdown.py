"""The one Markdown pipeline: safe by construction, with every link resolved or reported.

Raw HTML is never passed through (markdown-it's `js-default` preset escapes it), every link is
checked against an allow-list here, and the output is checked again as a second, independent layer:
taken as it is where an allow-list of tags, attributes, addresses and characters shows that nh3
would give it back unchanged (`sanitized_as_is`), sanitised by nh3 otherwise.
Links between pages are written `offering:ID`, `tool:ID`, `page:SLUG` or as a relative `*.md`
path (with an optional `#anchor`), and become relative URLs so the site works under any prefix.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import unicodedata
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any, NamedTuple, cast
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common import normalize_url
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

import servicebook
from servicebook import routes
from servicebook.catalog.crossrefs import CrossRef, names_another_team
from servicebook.catalog.crossrefs import Kind as CrossKind
from servicebook.catalog.model import TEXT_CHARS
from servicebook.catalog.validate import check_url, did_you_mean, did_you_mean_id, shown
from servicebook.errors import Problem, Severity, SourceLocation
from servicebook.source.lookalike import close_to, in_order, meant_any
from servicebook.source.yaml import SourceText

LANGUAGE_RE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
EXTERNAL_SCHEMES = ("http", "https", "mailto")
# No .svg: an SVG file is a document that can run script when opened from the site.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
# Files a page may link to; never anything a browser would run (.html, .svg, .js, .xml …).
ATTACHMENT_SUFFIXES = (*IMAGE_SUFFIXES, ".pdf", ".txt", ".csv")
ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class", "aria-label"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"class"},
    "td": {"class", "data-label"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}


# markdown-it's nesting cap: where lists or quotes nest deeper, it stops reading the page and drops
# the rest of it without a word, so `render` reports a container that deep (`_too_deep`).
MAX_NESTING = 20


@cache
def markdown_parser() -> MarkdownIt:
    """CommonMark + tables + strikethrough, raw HTML escaped, nesting capped."""
    md = MarkdownIt(
        "js-default",
        {
            "html": False,
            "linkify": False,
            "typographer": False,
            "maxNesting": MAX_NESTING,
            "highlight": _fence_text,  # a fence's text escaped as `_text` escapes it (no highlighting)
        },
    )
    # Every link reaches `_links` below, which reports a bad one with its position instead of
    # markdown-it's silent fallback to literal text.
    md.validateLink = _accept_link  # type: ignore[method-assign]
    md.normalizeLink = normalize_link  # type: ignore[method-assign]
    # Rules that can never apply with these options (raw HTML off, no linkify, no typographer):
    # each would still be tried, and return at once, at every block and inline position.
    md.disable(["html_block", "html_inline", "linkify", "replacements", "smartquotes"])
    md.add_render_rule("heading_close", _render_heading_close)
    # text written as nh3 writes it (html5ever's serializer), so that nh3 would give a plain page's
    # HTML back unchanged and need not be asked (`sanitized_as_is`)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("code_block", _render_code_block)
    return md


def _text(text: str) -> str:
    """Text as an HTML serializer writes it (html5ever's, with which nh3 writes what it keeps):
    `&`, `<`, `>` and the no-break space escaped, quotes as they are. markdown-it-py's own rules
    write quotes as `&quot;`, which nh3 turns back into quotes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


def _render_text(_self: object, tokens: Sequence[Token], idx: int, _options: object, _env: object) -> str:
    return _text(tokens[idx].content)


def _render_code_inline(_self: object, tokens: Sequence[Token], idx: int, _options: object, _env: object) -> str:
    return "<code" + RendererHTML.renderAttrs(tokens[idx]) + ">" + _text(tokens[idx].content) + "</code>"


def _render_code_block(_self: object, tokens: Sequence[Token], idx: int, _options: object, _env: object) -> str:
    return "<pre" + RendererHTML.renderAttrs(tokens[idx]) + "><code>" + _text(tokens[idx].content) + "</code></pre>\n"


def _fence_text(content: str, _language: str, _attributes: str) -> str:
    return _text(content)


def _accept_link(url: str) -> bool:  # noqa: ARG001 - markdown-it's hook signature
    return True


# Addresses markdown-it's normalizeLink returns unchanged: an optional scheme (with a plain host
# name after `//`), then only characters it never encodes, and no `@` or `:` outside the query and
# fragment (where its URL parser would find a user or a port). Property-tested against it.
_PLAIN_LINK_RE = re.compile(
    r"(?:(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[A-Za-z0-9.-]+(?=[/?#]|$)|[A-Za-z][A-Za-z0-9+.-]*:(?!//))?"
    r"[A-Za-z0-9._~/!$&'()*+,;=-]*"
    r"(?:\?[A-Za-z0-9._~/!$&'()*+,;=:@?-]*)?"
    r"(?:#[A-Za-z0-9._~/!$&'()*+,;=:@?-]*)?"
)


def normalize_link(url: str) -> str:
    """markdown-it's normalizeLink, without its URL parse for the plain addresses pages are made
    of (`offering:ci`, `other.md#section`, `https://host/path`): a tenth of parsing a page."""
    return url if _PLAIN_LINK_RE.fullmatch(url) else normalize_url.normalizeLink(url)


def _render_heading_close(_self: object, tokens: Sequence[Token], idx: int, _options: object, _env: object) -> str:
    anchor = tokens[idx].meta.get("anchor")
    link = f'<a class="anchor" href="#{anchor}" aria-label="Link to this section">#</a>' if anchor else ""
    return f"{link}</{tokens[idx].tag}>\n"


def slugify(text: str) -> str:
    """Heading text → anchor: ASCII lower case, words joined by '-'. 'Rollback & recovery' → 'rollback-recovery'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].rstrip("-") or "section"


class AnchorRef(NamedTuple):
    """A link to `#anchor` on page `slug`, checked once every page's headings are known.

    Where it was written is found only if the anchor is missing (`locate_ref`): until then it is
    known as the `href` written `occurrence` times before it in the block of `size` lines that
    starts at `line` (finding the column means reading the block's link addresses again, a tenth
    of a page's Markdown time). A plain tuple: a rebuild reads every page's links back from the
    build cache, and making objects for tens of thousands of them cost more than decoding them."""

    slug: str
    anchor: str
    path: str
    line: int  # 1-based, in the file: the block's first line
    size: int  # lines in the block
    href: str
    occurrence: int

    @property
    def block_location(self) -> SourceLocation:
        return SourceLocation(self.path, self.line)


_REF_FIELDS = 7  # AnchorRef's


@dataclass(frozen=True, slots=True)
class PackedRefs:
    """A page's links to other pages' headings (AnchorRef), held as one string until they are
    checked, which is once every page is loaded: a build's parent holds every page's until then
    (tens of thousands), and as objects they were about 2 KB a page, made among the outlines it
    keeps and freed after them, which left its memory full of holes (bench/README.md, "Memory").
    Iterating gives the AnchorRefs, in order; `targets` the (slug, anchor) of each without them.
    Refs with a NUL in their text (the separator) are kept as they are (`odd`). A build keeps the
    text in its spool file (site/load.py `BodySpool`), as it does the page's HTML, and the refs
    say where (`spooled`): a few hundred bytes a page, which glibc's heap would otherwise hold
    among the pages' HTML on its way through (the same holes, in another allocator). A page read
    back on the command line holds its text as read from the store, whose HTML never goes
    through this process (site/buildcache.py `_kept_page`)."""

    text: str = ""  # "" when `spooled`
    odd: tuple[AnchorRef, ...] = ()
    count: int = 0
    spooled: tuple[int, ...] = ()  # (file descriptor, offset, size) of `text`

    @property
    def packed(self) -> str:
        """The refs as one text (`from_text` reads it back), wherever it is kept."""
        if not self.spooled:
            return self.text
        fd, offset, size = self.spooled
        data = os.pread(fd, size, offset)
        if len(data) != size:
            raise OSError("a page's links are no longer where the build kept them")
        return data.decode("utf-8")

    @classmethod
    def of(cls, refs: Iterable[AnchorRef]) -> PackedRefs:
        refs = tuple(refs)
        if any("\0" in ref.slug or "\0" in ref.anchor or "\0" in ref.path or "\0" in ref.href for ref in refs):
            return cls(odd=refs, count=len(refs))
        return cls("\0".join(f"{r[0]}\0{r[1]}\0{r[2]}\0{r[3]}\0{r[4]}\0{r[5]}\0{r[6]}" for r in refs), (), len(refs))

    @classmethod
    def from_text(cls, text: str) -> PackedRefs:
        """As `text` (of another PackedRefs) says; ValueError if it cannot be one (a damaged store entry)."""
        if not text:
            return cls()
        parts = text.split("\0")
        if len(parts) % _REF_FIELDS:
            raise ValueError("a page's links are cut short")
        # the number columns joined, one C loop (a rebuild reads back every page's links): all
        # decimal digits, and none of them empty (which joined would not show)
        numbers = [*parts[3::_REF_FIELDS], *parts[4::_REF_FIELDS], *parts[6::_REF_FIELDS]]
        if not "".join(numbers).isdecimal() or "" in numbers:
            raise ValueError("a page's links are not links")
        return cls(text, (), len(parts) // _REF_FIELDS)

    @classmethod
    def as_written(cls, text: str) -> PackedRefs:
        """As `text` says, known to be the `packed` text of another PackedRefs (read back from a
        store entry whose checksum matched): counted, not checked (`from_text` checks it)."""
        return cls(text, (), (text.count("\0") + 1) // _REF_FIELDS) if text else cls()

    def __iter__(self) -> Iterator[AnchorRef]:
        if self.odd or not self.count:
            yield from self.odd
            return
        parts = self.packed.split("\0")
        for i in range(0, len(parts), _REF_FIELDS):
            slug, anchor, path, line, size, href, occurrence = parts[i : i + _REF_FIELDS]
            yield AnchorRef(slug, anchor, path, int(line), int(size), href, int(occurrence))

    def __len__(self) -> int:
        return self.count

    def targets(self) -> Iterator[tuple[str, str]]:
        """The page and anchor each ref leads to, in order."""
        if self.odd or not self.count:
            yield from ((ref.slug, ref.anchor) for ref in self.odd)
            return
        parts = self.packed.split("\0")
        yield from zip(parts[0::_REF_FIELDS], parts[1::_REF_FIELDS], strict=True)


@dataclass(frozen=True, slots=True)
class Outline:
    """A page's sections as the history and `servicebook diff` compare them (see `outline`):
    (anchor, title, SHA-256 of the section's text as its 32 bytes) one by one when iterated,
    held as two objects, not a tuple and a digest a section. A site in git holds every page's
    outline for as long as `serve` runs: 55,000 sections at 5,000 pages, where a section's tuple
    and its digest's bytes took two blocks (160 bytes), and here two pointers and its 32 bytes
    (bench/README.md, ownmem21)."""

    names: tuple[str, ...] = ()  # anchor, title, anchor, title, …
    digests: bytes = b""  # 32 bytes a section

    @classmethod
    def of(cls, sections: Iterable[tuple[str, str, bytes]]) -> Outline:
        names: list[str] = []
        digests: list[bytes] = []
        for anchor, title, digest in sections:
            if len(digest) != DIGEST_SIZE:
                raise ValueError("a section's digest is not a SHA-256")
            names += (anchor, title)
            digests.append(digest)
        return cls(tuple(names), b"".join(digests)) if names else NO_OUTLINE

    def __iter__(self) -> Iterator[tuple[str, str, bytes]]:
        names, digests = self.names, self.digests
        for n in range(len(names) // 2):
            yield names[2 * n], names[2 * n + 1], digests[DIGEST_SIZE * n : DIGEST_SIZE * (n + 1)]

    def __len__(self) -> int:
        return len(self.names) // 2


DIGEST_SIZE = 32  # a section's SHA-256
NO_OUTLINE = Outline()


@dataclass(slots=True)
class Rendered:
    html: str
    text: str
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # level, text, anchor
    sections: Outline = NO_OUTLINE  # as the history compares pages (see `outline`)
    anchor_refs: list[AnchorRef] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)  # paths under content/ to copy
    problems: list[Problem] = field(default_factory=list)
    cross_refs: list[CrossRef] = field(default_factory=list)  # links to other teams' records
    # the site's own pages (output paths) whose anchors its links name (model.Page `fragment_targets`)
    fragment_targets: list[str] = field(default_factory=list)
    # with `search`: (heading, anchor, text) of each section, as the search index reads them
    # from `html` (site/search/text.py `page_sections`), read from the tokens instead (`search_sections`)
    search_sections: list[tuple[str, str, str]] = field(default_factory=list)
    # the addresses and ids of `html` as a parser reads them from it (`body_refs`), made from the
    # tokens; b"" when a value could not be packed (the page's HTML is then read for them)
    refs: bytes = b""


@dataclass(frozen=True, slots=True)
class LinkTargets:
    """What links may point to, and how to turn a target into a URL from the current page."""

    offerings: Container[str]
    tools: Container[str]
    pages: Container[str]
    assets: Container[str]  # files under content/ that may be linked or shown, relative to it
    url: Callable[[str], str]  # site path such as "offerings/ci/" → URL relative to the page
    # whether an #anchor on a `site:` link is kept: not where `url` leads such links elsewhere than
    # the page they name (a member's on an organisation site: routes.member_link)
    site_anchors: bool = True
    # the URL of a site path on the organisation site, when the page's catalog names its
    # organisation: `offering:db-team/postgres` (another member team's record) leads there
    elsewhere: Callable[[str], str] | None = None


# Parts of offering and tool pages that only the current catalog's pages have (the history):
# releases under v/<version>/ lack them, so a link to one would break there.
ROOT_ONLY_ANCHORS = frozenset({"history"})


# Ids the page templates use themselves; a heading never takes one of them.
RESERVED_ANCHORS = frozenset({"main", "content", "search", "top", "applies-to", "site-header", "site-footer", "nav"})


# The built-in templates a policy page is made of: a heading must not take an id they use.
PAGE_TEMPLATES = ("base.html", "policy.html", "version_bar.html", "macros.html")


@cache
def theme_anchors() -> frozenset[str]:
    """Every literal id in the templates of a policy page, so that a heading named like one
    ("site-search-results") gets `-2` rather than clobbering the element the page relies on."""
    layouts = Path(servicebook.__file__).parent / "layouts"  # as site/templates.py THEME_DIR
    found: set[str] = set()
    for name in PAGE_TEMPLATES:
        template = layouts / name
        if template.is_file():
            found.update(re.findall(r'\bid="([a-z0-9-]+)"', template.read_text(encoding="utf-8")))
    return frozenset(found)


def _label_cells(tokens: list[Token]) -> None:
    """Each table cell's data-label: its column's header text (a phone shows a row as a card of
    labelled cells)."""
    labels: list[str] = []
    column = 0
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            labels = []
        elif token.type == "tr_open":
            column = 0
        elif token.type == "th_open":
            cell = tokens[i + 1].children or []
            labels.append(" ".join("".join(c.content for c in cell if c.type in ("text", "code_inline")).split()))
            column += 1
        elif token.type == "td_open":
            if column < len(labels) and labels[column]:
                token.attrSet("data-label", labels[column])
            column += 1


def render(  # noqa: C901 - one branch per token type, in document order
    source: SourceText,
    body: str,
    line_offset: int,
    slug: str,
    targets: LinkTargets,
    *,
    sections: bool = False,
    search: bool = False,
) -> Rendered:
    """Render one page's Markdown body; problems are collected, never raised. With `sections`,
    also the page's outline for the history (see `outline`); with `search`, its sections as the
    search index reads them (see `search_sections`)."""
    md = markdown_parser()
    too_many = _too_many_brackets(md, body, source, line_offset)
    if too_many is not None:
        return Rendered(html="", text="", problems=[too_many], search_sections=[("", "", "")] if search else [])
    tokens = md.parse(body)
    out = Rendered(html="", text="", sections=outline(body, tokens) if sections else NO_OUTLINE)
    too_deep = _too_deep(tokens, source, line_offset)
    if too_deep is not None:
        out.problems.append(too_deep)
    lines = body.split("\n")
    used_anchors: set[str] = set(RESERVED_ANCHORS | theme_anchors())
    # where to look for the next free base-N of each heading's base: as anchors are only ever
    # taken, the first free one never comes before it (60,000 headings alike took minutes)
    free_from: dict[str, int] = {}
    text_parts: list[str] = []
    addresses: list[str] = []  # of the links and images, as the HTML has them (`body_refs`)
    index: dict[tuple[int, int], Written] = {}  # where each block's link addresses are written
    page_dir = posixpath.dirname(slug)
    _label_cells(tokens)
    for i, token in enumerate(tokens):
        if token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrSet("class", "align-" + style.split(":", 1)[1])
        elif token.type == "heading_open":
            inline = tokens[i + 1]
            title = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            anchor = base = slugify(title)
            if anchor in used_anchors:  # the first of base-2, base-3 … not taken
                n = free_from.get(base, 2)
                while (anchor := f"{base}-{n}") in used_anchors:
                    n += 1
                free_from[base] = n + 1
            used_anchors.add(anchor)
            token.attrSet("id", anchor)
            tokens[i + 2].meta = {"anchor": anchor}
            out.headings.append((int(token.tag[1]), title, anchor))
        elif token.type == "inline":
            seen: dict[str, int] = {}  # how many links to the same address came before, to locate this one
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    text_parts.append(child.content)
                    if child.type == "text" and "](" in child.content:
                        _links_left_as_text(child.content, token, lines, source, line_offset, out)
                elif child.type in ("link_open", "image"):
                    address = str(child.attrs.get("src" if child.type == "image" else "href", ""))
                    occurrence = seen.get(address, 0)
                    seen[address] = occurrence + 1
                    _link(child, occurrence, index, token, lines, source, line_offset, slug, page_dir, targets, out)
                    addresses.append(str(child.attrs.get("src" if child.type == "image" else "href", "")))
            text_parts.append(" ")
        elif token.type in ("fence", "code_block"):
            language = token.info.split(maxsplit=1)[0] if token.info.strip() else ""
            if not LANGUAGE_RE.fullmatch(language):  # only a plain language name becomes a class
                token.info = ""
            text_parts.append(token.content)
    out.text = _beginning(text_parts, TEXT_CHARS)
    own_anchors = frozenset(a for _, _, a in out.headings)
    for ref in [r for r in out.anchor_refs if r.slug == slug]:
        if ref.anchor not in own_anchors:
            at = locate_ref(ref, lines, source, line_offset, index)
            out.problems.append(_missing_anchor(ref, own_anchors, at, source.line(at.line)))
    out.anchor_refs = [r for r in out.anchor_refs if r.slug != slug]
    html = md.renderer.render(tokens, md.options, {})
    out.html = html if sanitized_as_is(html) else sanitize(html)
    out.refs = body_refs(addresses, out.headings)
    if search:
        out.search_sections = search_sections(tokens)
    return out


def body_refs(addresses: list[str], headings: list[tuple[int, str, str]]) -> bytes:
    """What the HTML of a rendered body links to and which ids it has, as `htmlrefs.read_refs`
    reads them from it, packed for `unpack_refs`: the address of each link and image as `_link`
    left it (the sanitizer keeps every address `_link` lets through, as written), each heading's
    link to its own anchor, and the headings' ids (the only ids the sanitizer keeps); read back by
    `htmlrefs.unpack_refs`: how many addresses, the addresses, the ids, NUL between. b"" when a
    value holds a NUL."""
    urls = set(addresses)
    urls.update(f"#{anchor}" for _, _, anchor in headings if anchor)
    ids = {anchor for _, _, anchor in headings}
    packed = "\0".join([str(len(urls)), *urls, *ids])
    if packed.count("\0") != len(urls) + len(ids):
        return b""
    return packed.encode()


# The headings the search index splits a page at, and the tags whose start and end it reads as a
# space (site/search/text.py `_Sections`): every block-level token is one of them or has a line break
# beside it in the HTML, so a space at each one gives the same words.
SECTION_HEADINGS = frozenset({"h2", "h3", "h4"})


def search_sections(tokens: Sequence[Token]) -> list[tuple[str, str, str]]:
    """(heading, anchor, text) of each section of a rendered page, the part before its first
    heading first (heading and anchor ""), white space collapsed: what site/search/text.py
    `page_sections` reads from the page's sanitised HTML, read from `render`'s tokens instead
    (after its loop: the headings have their anchors). The text is what the HTML shows: inline
    text and code, a code block's content, no image's alt text, and the "#" of the link to itself
    that a heading the index does not split at (h1, h5, h6) ends with. A property test keeps the
    two equal on generated Markdown."""
    found: list[tuple[list[str], str, list[str]]] = [([], "", [])]
    parts = found[0][2]  # where text goes: the current section's text, or its heading
    for token in tokens:
        kind = token.type
        if kind == "inline":
            for child in token.children or ():
                child_kind = child.type
                if child_kind in ("text", "code_inline", "text_special"):
                    parts.append(child.content)
                elif child_kind in ("softbreak", "hardbreak"):
                    parts.append(" ")
        elif kind == "heading_open" and token.tag in SECTION_HEADINGS and token.attrs.get("id"):
            found.append(([], str(token.attrs["id"]), []))
            parts = found[-1][0]
        elif kind == "heading_close" and token.tag in SECTION_HEADINGS and parts is found[-1][0]:
            parts = found[-1][2]
        elif kind == "heading_close":
            parts.append("#" if token.meta.get("anchor") else "")
            parts.append(" ")
        elif kind in ("fence", "code_block"):
            parts.extend((" ", token.content, " "))
        elif token.block:
            parts.append(" ")
    return [(" ".join("".join(h).split()), a, " ".join("".join(t).split())) for h, a, t in found]


# `[text](address with spaces)`: CommonMark reads no link there, and the page shows the brackets.
_TEXT_LINK_RE = re.compile(r"!?\[[^\[\]\n]*\]\(([^()\n]*\s[^()\n]*)\)")


def _links_left_as_text(
    text: str, block: Token, lines: list[str], source: SourceText, line_offset: int, out: Rendered
) -> None:
    """Warn, at the address, of each link that Markdown left as text because its address has a
    space (a file named with spaces, most often): the page would show `[text](my guide.md)`."""
    start, end = (block.map[0], block.map[1]) if block.map else (0, 1)
    for match in _TEXT_LINK_RE.finditer(text):
        address = match[1].strip()
        if not address or address.startswith("<"):  # `<a b.md>` is a link, refused as such
            continue
        line, column = start + 1 + line_offset, 1
        for n in range(start, min(end, len(lines))):
            found = lines[n].find(f"({match[1]})")
            if found != -1:
                line, column = n + 1 + line_offset, found + 2
                break
        out.problems.append(
            Problem(
                SourceLocation(source.path, line, column),
                f"'{shown(match[0])}' is shown as text, not as {'an image' if match[0][0] == '!' else 'a link'}: "
                "an address cannot contain spaces",
                f"name the target without spaces, e.g. ({'-'.join(address.split())})",
                Severity.WARNING,
                kind="link-with-spaces",
                source_line=source.line(line),
            )
        )


# Where markdown-it-py's time goes on hostile pages: each '[' outside code starts a link-label scan
# (parse_link_label with skipToken), about 30-40 µs of CPU each, where any other character costs
# at most ~6 µs. Bounding the brackets bounds a page's Markdown time (bench/README.md, "Markdown").
MAX_LINK_BRACKETS = 10_000
MAX_PAGE_BYTES = 256 * 1024  # a policy page's file: with MAX_LINK_BRACKETS, bounds its Markdown time


def _too_many_brackets(md: MarkdownIt, body: str, source: SourceText, line_offset: int) -> Problem | None:
    """An error at the block where the page's text (code aside) passes MAX_LINK_BRACKETS '[', so
    that a page of bracket runs is refused in linear time instead of rendered for tens of seconds."""
    if body.count("[") <= MAX_LINK_BRACKETS:
        return None
    blocks: list[Token] = []
    md.block.parse(body, md, {}, blocks)  # block structure only: fast, and tells code from text
    seen = 0
    for block in blocks:
        if block.type != "inline":
            continue
        before = seen
        seen += block.content.count("[")
        if seen > MAX_LINK_BRACKETS:
            first, last = block.map if block.map else (0, 1)
            line, column = first + 1 + line_offset, 0
            for n, text in enumerate(body.split("\n")[first:last], first):  # the bracket past the limit
                here = text.count("[")
                if before + here > MAX_LINK_BRACKETS:
                    line, column = n + 1 + line_offset, _nth(text, "[", MAX_LINK_BRACKETS - before) + 1
                    break
                before += here
            return Problem(
                SourceLocation(source.path, line, column),
                f"the page has more than {MAX_LINK_BRACKETS:,} '[' outside code (each may start a link): "
                "it would take too long to render",
                "split the page, or put bracket-heavy text in a code block (``` fences)",
                source_line=source.line(line),
            )
    return None


def _too_deep(tokens: Sequence[Token], source: SourceText, line_offset: int) -> Problem | None:
    """An error at the first list item or quote whose content markdown-it did not read (nested
    MAX_NESTING levels deep, counting each list as well as its items): it dropped the rest of the page."""
    for token in tokens:
        if token.type in ("blockquote_open", "list_item_open") and token.level + 1 >= MAX_NESTING:
            line = (token.map[0] if token.map else 0) + 1 + line_offset
            text = source.line(line) or ""
            return Problem(
                SourceLocation(source.path, line, len(text) - len(text.lstrip()) + 1),
                f"lists and quotes nested more than {MAX_NESTING} levels deep (a quote is one level, a list item two): "
                "Markdown stops reading the page here, and the rest of it would be left out",
                "nest fewer lists and quotes",
                source_line=text,
            )
    return None


def _nth(text: str, char: str, n: int) -> int:
    """The index of the `n`th `char` (0-based count) in `text`."""
    at = -1
    for _ in range(n + 1):
        at = text.index(char, at + 1)
    return at


def page_links(tokens: Sequence[Token], slug: str, line_offset: int) -> tuple[tuple[str, int, str], ...]:
    """The links of a page's body (its `tokens`) to policy pages, `page:NAME` or a relative `.md`
    path as `render` resolves them: each as (the page named, the line its paragraph starts on in
    the file, the link as written), for `servicebook diff` to name the links that a page's move or
    removal breaks."""
    folder = posixpath.dirname(slug)
    found: list[tuple[str, int, str]] = []
    for token in tokens:
        if token.type != "inline" or not token.children or not token.map:
            continue
        for child in token.children:
            href = child.attrGet("href") if child.type == "link_open" else None
            if not isinstance(href, str):
                continue
            path = href.partition("#")[0]
            if path.startswith("page:"):
                target = path[len("page:") :]
            elif path.endswith(".md") and ":" not in path and not path.startswith("/"):
                target = posixpath.normpath(posixpath.join(folder, path[:-3]))
            else:
                continue
            found.append((target, token.map[0] + line_offset + 1, href))
    return tuple(found)


def outline(body: str, tokens: Sequence[Token]) -> Outline:
    """A page's sections as the history and `servicebook diff` compare them: (anchor, title,
    SHA-256 of the section's text), the text before the first heading first (anchor "") when
    there is any. Anchors are numbered as on a bare page (the theme's own ids are not counted),
    so an outline does not change with the theme. The digest is its 32 bytes: a site in git
    holds every page's outline for as long as `serve` runs (55,000 sections at 5,000 pages), and
    a digest as hex text is a block of 128 bytes where its bytes take 32 of the outline's; the
    history's PageInfo and the store hold it as hex (`bytes.hex`)."""
    lines = body.split("\n")
    starts: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            title = "".join(c.content for c in tokens[i + 1].children or [] if c.type in ("text", "code_inline"))
            starts.append((token.map[0], title))
    bounds = [(0, ""), *starts]
    used: set[str] = set()
    sections = []
    for n, (start, title) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(lines)
        text = "\n".join(lines[start + (1 if n else 0) : end]).strip()
        if n == 0 and not text:
            continue
        anchor = base = slugify(title) if n else ""
        k = 2
        while n and anchor in used:
            anchor, k = f"{base}-{k}", k + 1
        used.add(anchor)
        sections.append((anchor, title, hashlib.sha256(text.encode()).digest()))
    return Outline.of(sections)


def _beginning(parts: list[str], limit: int) -> str:
    """The first `limit` characters of the text in `parts`, white space collapsed."""
    kept, size = [], 0
    for part in parts:
        kept.append(part)
        size += sum(len(word) + 1 for word in part.split())
        if size > limit:
            break
    return " ".join("".join(kept).split())[:limit]


SHOWN_HEADINGS = 12  # in a hint, when no heading is spelled like a broken link's #anchor


def _missing_anchor(
    ref: AnchorRef, anchors: Container[str] | Sequence[str], at: SourceLocation, source_line: str | None
) -> Problem:
    hint = None
    if isinstance(anchors, (set, frozenset, list, tuple)):
        names = in_order(anchors)  # made once for a page's headings (lookalike), not once a broken link
        hint = did_you_mean(ref.anchor, anchors) or (
            "its headings: "
            + ", ".join(f"#{a}" for a in names[:SHOWN_HEADINGS])
            + (", …" if len(names) > SHOWN_HEADINGS else "")
            if names
            else "it has no headings"
        )
    where = "this page" if ref.slug == "" else f"page '{ref.slug}'"
    return Problem(at, f"broken link: {where} has no heading '#{ref.anchor}'", hint, source_line=source_line)


def check_anchor_refs(
    refs: Iterable[AnchorRef],
    anchors_by_slug: Mapping[str, frozenset[str]],
    locate: Callable[[AnchorRef], tuple[SourceLocation, str | None]],
) -> list[Problem]:
    """Links into other pages' headings, once every page's headings are known; `locate` gives
    where a broken one was written and that source line (see `locate_ref`)."""
    return [
        _missing_anchor(ref, anchors_by_slug.get(ref.slug, frozenset()), *locate(ref))
        for ref in refs
        if ref.anchor not in anchors_by_slug.get(ref.slug, ())
    ]


def locate_ref(
    ref: AnchorRef,
    lines: list[str],
    source: SourceText,
    line_offset: int,
    index: dict[tuple[int, int], Written] | None = None,
) -> SourceLocation:
    """Where `ref` was written in its page, whose body is `lines`, starting after `line_offset`
    lines of front matter."""
    start = ref.line - 1 - line_offset
    line, column, _ = _locate(ref.href, ref.occurrence, (start, start + ref.size), lines, source, line_offset, index)
    return SourceLocation(ref.path, line, column)


@cache
def _cleaner() -> Callable[[str], str]:
    """nh3's cleaner for the allow-lists above, made once where nh3 has `Cleaner` (recent
    versions: the allow-lists are not converted again for every page); its `clean` otherwise."""
    rules: dict[str, Any] = {
        "tags": ALLOWED_TAGS,
        "attributes": ALLOWED_ATTRIBUTES,
        "url_schemes": {"http", "https", "mailto"},
        "link_rel": None,
        "strip_comments": True,
    }
    made = getattr(nh3, "Cleaner", None)
    if made is None:
        return partial(nh3.clean, **rules)
    return cast("Callable[[str], str]", made(**rules).clean)


def sanitize(html: str) -> str:
    """Second layer: whatever got past the parser, only these tags, attributes and schemes survive."""
    return _cleaner()(html)


# HTML that nh3 (`sanitize`) gives back unchanged, byte for byte: the tags and attributes the
# pipeline writes, in its order and quoting, each within ALLOWED_TAGS and ALLOWED_ATTRIBUTES; text
# and attribute values escaped as nh3's serializer escapes them; link and image addresses that
# are relative (no scheme, not `//host`) or http(s) to a plain host name (no port, user, IP
# address or punycode, which nh3's URL parser may refuse) or mailto; no link inside a link (the
# HTML parser splits it); nothing else. Anything outside it is given to nh3. Cheaper than nh3 by
# ~4x on a policy page (bench/README.md, "A cold build's policy page: nh3 asked only where an
# allow-list cannot vouch for the HTML"); property tests hold it to nh3's output
# (tests/test_sanitizer.py). Tags are taken as nested: markdown-it-py nests them as its tokens
# (a stray end tag is no danger; the Markdown pipeline's own output is held to nh3's).
_PLAIN_TEXT = r"[^<>&\xa0\r\0]*+"  # nh3 writes `>` escaped, a no-break space as `&nbsp;`, no CR or NUL
_PLAIN_ENTITY = r"&(?:amp|lt|gt|nbsp);"
_PLAIN_VALUE = r'"(?:[^"<>&\xa0\r\0]++|&(?:amp|lt|gt|quot|nbsp);)*+"'
_PLAIN_LABEL = r"[A-Za-z0-9]++(?:-[A-Za-z0-9]++)*+"  # no "--": no punycode
_PLAIN_PATH = r"(?:[A-Za-z0-9._~/!$'()*+,;=:@%?#-]|&amp;)*+"
_PLAIN_ADDRESS = (
    rf'"(?:(?i:https?)://(?:{_PLAIN_LABEL}\.)*+[A-Za-z][A-Za-z0-9]*+(?:-[A-Za-z0-9]++)*+(?:[/?#]{_PLAIN_PATH})?'
    rf"|(?i:mailto):{_PLAIN_PATH}"
    rf'|(?![A-Za-z][A-Za-z0-9+.-]*+:|//){_PLAIN_PATH})"'
)
_PLAIN_INLINE = (
    r"</?(?:em|strong|s|code)>|<br>"
    rf"|<img src={_PLAIN_ADDRESS} alt={_PLAIN_VALUE}(?: title={_PLAIN_VALUE})?>"
)
_PLAIN_LINK = (
    rf"<a href={_PLAIN_ADDRESS}(?: title={_PLAIN_VALUE})?>"
    rf"(?:{_PLAIN_TEXT}(?:{_PLAIN_ENTITY}|{_PLAIN_INLINE}))*+{_PLAIN_TEXT}</a>"
)
_PLAIN_ANCHOR = r'<a class="anchor" href="#[a-z0-9-]++" aria-label="Link to this section">#</a>'
_PLAIN_BLOCK = (
    r"</?(?:p|pre|blockquote|ul|ol|li|table|thead|tbody|tr|th|td|h[1-6])>|<hr>"
    rf"|<h[1-6] id={_PLAIN_VALUE}>|<code class={_PLAIN_VALUE}>|<ol start=\"[0-9]++\">"
    rf"|<t[hd](?: data-label={_PLAIN_VALUE})?(?: class={_PLAIN_VALUE})?>"
)
_PLAIN_HTML_RE = re.compile(
    rf"(?:{_PLAIN_TEXT}(?:{_PLAIN_ENTITY}|{_PLAIN_BLOCK}|{_PLAIN_LINK}|{_PLAIN_ANCHOR}|{_PLAIN_INLINE}))*+{_PLAIN_TEXT}"
)


def sanitized_as_is(html: str) -> bool:
    """Whether `html` is made only of what nh3 keeps as it is written (see _PLAIN_HTML_RE), so that
    `sanitize(html) == html`; False says nothing (nh3 may still keep it)."""
    return _PLAIN_HTML_RE.fullmatch(html) is not None


_DESTINATION_START_RE = re.compile(r"\]\(\s*|\]:\s*|<")


def _destinations(line: str, *, definitions_only: bool = False) -> list[tuple[int, str]]:
    """(0-based column, normalised address) of every place in `line` a link address may start.

    The address is decoded exactly as markdown-it decodes it (entities, escapes, percent
    encoding), so a link written `&#106;avascript:` is found where it was written.
    """
    md = markdown_parser()
    found = []
    for match in _DESTINATION_START_RE.finditer(line):
        start = match.end()
        if definitions_only and not (match.group().startswith("]:") and line.lstrip().startswith("[")):
            continue
        if match.group() == "<":
            close = line.find(">", start)
            if close > start:
                found.append((start, md.normalizeLink(line[start:close])))
            continue
        result = md.helpers.parseLinkDestination(line, start, len(line))
        if result.ok:
            found.append((start, md.normalizeLink(result.str)))
    return found


Written = dict[str, list[tuple[int, int]]]  # address → (0-based line, column) where it is written


def _locate(
    href: str,
    occurrence: int,
    span: tuple[int, int],
    lines: list[str],
    source: SourceText,
    line_offset: int,
    index: dict[tuple[int, int], Written] | None = None,
) -> tuple[int, int, str | None]:
    """Where the `occurrence`-th link to `href` in the block of body lines `span` was written
    (reference definitions may be anywhere in the page); the block's first line when it cannot
    be found.

    `index` keeps each block's addresses once found, so a page of thousands of bad links is
    read once, not once per link.
    """
    start, end = span
    index = {} if index is None else index
    passes = ((start, min(end, len(lines)), occurrence), (-1, len(lines), 0))  # -1: definitions
    for first, last, wanted in passes:
        written = index.get((first, last))
        if written is None:
            written = index[(first, last)] = {}
            definitions = first < 0
            for n in range(max(first, 0), last):
                for col, address in _destinations(lines[n], definitions_only=definitions):
                    written.setdefault(address, []).append((n, col))
        places = written.get(href, [])
        if wanted < len(places):
            n, col = places[wanted]
            line = n + 1 + line_offset
            return line, col + 1, source.line(line)
    line = start + 1 + line_offset
    return line, 1, source.line(line)


_DRIVE_RE = re.compile(r"[A-Za-z]:")  # `C:` or `C:\\…`, a Windows drive
_UNWRITABLE_RE = re.compile(r"[\s\x00-\x1f\\]")  # white space (as str.isspace), controls, backslash


def _link(  # noqa: C901
    token: Token,
    occurrence: int,
    index: dict[tuple[int, int], Written],
    block: Token,
    lines: list[str],
    source: SourceText,
    line_offset: int,
    slug: str,
    page_dir: str,
    targets: LinkTargets,
    out: Rendered,
) -> None:
    attr = "src" if token.type == "image" else "href"
    href = str(token.attrs.get(attr, ""))
    raw = unquote(href)

    span = (block.map[0], block.map[1]) if block.map else (0, 1)

    def fail(message: str, hint: str | None = None) -> None:
        line, column, text = _locate(href, occurrence, span, lines, source, line_offset, index)
        out.problems.append(Problem(SourceLocation(source.path, line, column), message, hint, source_line=text))
        token.attrSet(attr, "#")

    def ref(target: str, anchor: str) -> AnchorRef:  # located only if the anchor turns out missing
        return AnchorRef(target, anchor, source.path, span[0] + 1 + line_offset, span[1] - span[0], href, occurrence)

    if "\\" in raw and not _UNWRITABLE_RE.search(raw.replace("\\", "/")):
        # a Windows path (`..\\other.md`, `C:\\x`): a browser reads each backslash as '/', git and
        # servicebook as part of a name
        drive = _DRIVE_RE.match(raw) is not None
        fail(
            f"link address '{shown(raw)}' "
            + ("is a Windows path, which no reader of the site has" if drive else "holds a backslash")
            + ": a link's folders are separated by '/'",
            "link to a file under content/ by its path from this page's folder, with '/' between folders"
            + ("" if drive else f": '{shown(raw.replace(chr(92), '/'))}'"),
        )
        return
    if _UNWRITABLE_RE.search(raw) or ("&" in raw and ";" in raw):
        fail(f"link address '{shown(raw)}' contains spaces, control characters or entities", "write a plain address")
        return
    scheme_match = SCHEME_RE.match(raw)
    scheme = scheme_match[1].lower() if scheme_match else None
    if token.type == "image":
        if scheme is not None or raw.startswith(("/", "#")):
            fail(
                f"image '{shown(raw)}' is not a file next to the page",
                "images must be files under content/ (the site loads nothing from other servers)",
            )
            return
        path, _, _ = raw.partition("#")
        asset = posixpath.normpath(posixpath.join(page_dir, path))
        if asset.startswith("../") or asset == "..":
            fail(f"image '{shown(raw)}' leads outside content/", "images must be files under content/")
            return
        if not asset.lower().endswith(IMAGE_SUFFIXES):
            fail(f"image '{shown(raw)}' is not an image the site shows", f"expected a {', '.join(IMAGE_SUFFIXES)} file")
            return
        if asset not in targets.assets:
            fail(
                f"image '{shown(raw)}' not found under content/",
                f"add content/{shown(asset)}, or correct the path (it is relative to the page's folder)",
            )
            return
        out.assets.append(asset)
        token.attrSet(attr, targets.url(routes.content_file(asset)))
        return
    if scheme in EXTERNAL_SCHEMES:
        why = check_url(href)
        if why:
            fail(f"link '{shown(raw)}' is not allowed: {why}")
        return
    if scheme in ("offering", "tool", "page"):
        target, _, anchor = raw[len(scheme) + 1 :].partition("#")
        known = {"offering": targets.offerings, "tool": targets.tools, "page": targets.pages}[scheme]
        kind: CrossKind = "offering" if scheme == "offering" else "tool" if scheme == "tool" else "page"
        if (
            target not in known
            and targets.elsewhere is not None
            and names_another_team(target, kind, targets.pages if isinstance(targets.pages, Collection) else ())
        ):  # another member team's record: the organisation site checks it (federation/crossrefs.py)
            line, column, text = _locate(href, occurrence, span, lines, source, line_offset, index)
            out.cross_refs.append(CrossRef(kind, target, anchor, SourceLocation(source.path, line, column), text))
            where = routes.cross_team("policy" if kind == "page" else kind, target)
            token.attrSet(attr, targets.elsewhere(where) + (f"#{anchor}" if anchor else ""))
            return
        if target not in known:
            fail(f"broken link: no {scheme} '{shown(target)}'", _suggest(target, known, f"{scheme}s"))
            return
        if scheme == "page":
            if anchor:
                out.anchor_refs.append(ref(target, anchor))
            token.attrSet(attr, targets.url(routes.policy(target)) + (f"#{anchor}" if anchor else ""))
        else:  # an #anchor there (an SLO: #slo-<id>) is checked on the built page (sitelinks.py)
            if anchor in ROOT_ONLY_ANCHORS:
                fail(
                    f"links to the {anchor} of {scheme} pages are not allowed: only the current catalog's pages "
                    "have it, not the releases under v/<version>/ that keep this page",
                    f"link to the page itself: {scheme}:{target}",
                )
                return
            page_url = (routes.offering if scheme == "offering" else routes.tool)(target)
            token.attrSet(attr, targets.url(page_url) + (f"#{anchor}" if anchor else ""))
            if anchor:
                out.fragment_targets.append(routes.output_path(page_url))
        return
    if scheme == "site":
        # the fixed pages of routes.py ("" is the home page); an #anchor on one is checked on the
        # built site and reported at the link (sitelinks.py)
        target, _, anchor = raw[len("site:") :].partition("#")
        names = routes.site_names()
        if target not in names:
            fail(f"broken link: the site has no page '{shown(target)}'", site_pages_hint(target))
            return
        token.attrSet(
            attr, targets.url(routes.page(target)) + (f"#{anchor}" if anchor and targets.site_anchors else "")
        )
        if anchor and targets.site_anchors:
            out.fragment_targets.append(routes.output_path(routes.page(target)))
        return
    if scheme is not None:
        fail(
            f"link scheme '{scheme}:' is not allowed"
            + (
                f" ('{scheme.upper()}:' reads as a Windows drive, which no reader of the site has)"
                if len(scheme) == 1
                else ""
            ),
            "use https://, http://, mailto:, offering:ID, tool:ID, page:SLUG, site:PAGE or a relative .md path",
        )
        return
    if raw.startswith("//"):
        fail("protocol-relative links are not allowed", "write the full https:// address")
        return
    if raw.startswith("/"):
        fail(
            "absolute paths break when the site is published under a prefix",
            _site_address_meant(raw) or "link to the .md file relatively",
        )
        return
    path, _, anchor = raw.partition("#")
    if path and posixpath.normpath(posixpath.join(page_dir, path)).split("/")[0] == "..":
        fail(
            f"link '{shown(raw)}' leads outside content/",
            _site_address_meant(raw) or "pages can link only to pages and files under content/",
        )
        return
    if not path:
        if anchor:
            out.anchor_refs.append(ref(slug, anchor))
        return
    if not path.endswith(".md"):
        asset = posixpath.normpath(posixpath.join(page_dir, path))
        if asset in targets.assets and not asset.lower().endswith(ATTACHMENT_SUFFIXES):
            fail(
                f"'{shown(raw)}' cannot be published: only {', '.join(ATTACHMENT_SUFFIXES)} files can be linked",
                "a browser could run anything else (HTML, SVG, scripts) as part of the site",
            )
            return
        if asset in targets.assets:
            out.assets.append(asset)
            token.attrSet(attr, targets.url(routes.content_file(asset)))
            return
        meant = _meant_url(raw)
        if meant is None and asset.lower().endswith(ATTACHMENT_SUFFIXES):  # a file it would publish, misnamed
            folder, name = posixpath.split(asset)
            beside = (
                [a for a in targets.assets if posixpath.dirname(a) == folder]
                if isinstance(targets.assets, Collection)
                else []
            )
            near = did_you_mean(name, sorted(posixpath.basename(a) for a in beside))  # misspelt in its folder
            fail(
                f"broken link: no file content/{shown(asset)}",
                near or f"add content/{shown(asset)}, or correct the path (it is relative to the page's folder)",
            )
            return
        fail(
            f"broken link: '{shown(raw)}' is not a page",
            meant or _site_address_meant(raw) or "link to another page's .md file, or use offering:ID / tool:ID",
        )
        return
    target = posixpath.normpath(posixpath.join(page_dir, path[:-3]))
    if target not in targets.pages:
        fail(f"broken link: no page content/{target}.md", _suggest_link(target, page_dir, targets.pages))
        return
    if anchor:
        out.anchor_refs.append(ref(target, anchor))
    token.attrSet(attr, targets.url(routes.policy(target)) + (f"#{anchor}" if anchor else ""))


# The fixed pages a `site:` link may name that only some builds make, and which
# (routes.FixedPage.made; "changes" is made by every root build, and a release's link leads there).
_MADE_ONLY = {"with members": "only on an organisation site"}


def made_only(name: str) -> str | None:
    """Which builds make the fixed page `name`, when not every build does ("only on …")."""
    made = next((p.made for p in routes.FIXED_PAGES if p.name == name), None)
    return None if made is None else _MADE_ONLY.get(made)


def site_pages_hint(target: str) -> str:
    """'did you mean …' for a `site:` link to no fixed page, else the pages every build makes
    (the home page is `site:` alone), then those only some builds make, saying which."""
    pages = [p for p in routes.FIXED_PAGES if p.linkable and p.name]
    meant = did_you_mean(target, [p.name for p in pages])
    if meant is not None:
        return meant
    always = [p.name for p in pages if p.made not in _MADE_ONLY]
    some = [f"{p.name} ({_MADE_ONLY[p.made]})" for p in pages if p.made in _MADE_ONLY]
    return f"known site pages: {', '.join(sorted(always))}, `site:` alone for the home page" + "".join(
        f", {s}" for s in some
    )


_ALMOST_URL_RE = re.compile(r"^(?:(https?)(?::/|//|:)(?!/)|(www\.))(?P<rest>.+)$", re.IGNORECASE)


def _meant_url(raw: str) -> str | None:
    """'did you mean' for an outside address missing part of its scheme (`https//x`, `www.x`),
    which would otherwise read as a link to a page."""
    match = _ALMOST_URL_RE.match(raw)
    if match is None:
        return None
    scheme = (match[1] or "https").lower()
    return f"did you mean '{scheme}://{match[2] or ''}{match['rest']}'?"


def _site_address_meant(raw: str) -> str | None:
    """The link that reaches the page a link copied from the built site leads to (`/tools/jenkins/`,
    `../offerings/ci/#slos`, `../../support/`): its offering:, tool:, page: or site: form, else None.
    Such an address cannot be followed from content/, and a release under v/<version>/ would
    lead away from itself with it."""
    path, hash_, anchor = raw.partition("#")
    parts = [p for p in path.partition("?")[0].split("/") if p not in ("", ".", "..")]
    if not parts or (parts[-1] != "index.html" and "." in parts[-1]):
        return None
    site_path = routes.output_path("/".join(p for p in parts if p != "index.html") + "/")
    suffix = hash_ + anchor
    entity = routes.entity_at(site_path)
    if entity is not None:
        kind, ident = entity
        return f"link to it as {'page' if kind == 'policy' else kind}:{ident}{suffix}"
    fixed = routes.fixed_at(site_path)
    if fixed is not None and fixed.linkable and fixed.name:
        return f"link to it as site:{fixed.name}{suffix}"
    return None


def _suggest_link(target: str, page_dir: str, pages: Container[str]) -> str | None:
    """'did you mean …' for a relative link to no page, as the link to write from the page's folder
    (`../welcome.md`, not the page's name `welcome`), else the known pages."""
    if isinstance(pages, Collection) and not isinstance(pages, str):
        close = close_to(target, pages)
        if close:
            return meant_any(target, close, lambda page: f"{posixpath.relpath(page, page_dir or '.')}.md")
    return _suggest(target, pages, "pages")


def _suggest(word: str, known: Container[str], what: str) -> str | None:
    """'did you mean …', else the first known names (as front-matter references do)."""
    if not isinstance(known, Collection) or isinstance(known, str):
        return None
    names = in_order(known)  # sorted once for a site's pages (lookalike), not once a broken link
    listed = f"known {what}: {', '.join(names[:12])}" if names else f"there are no {what}"
    return did_you_mean_id(word, known) or listed
