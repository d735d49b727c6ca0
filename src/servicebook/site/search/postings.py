"""A record's postings: where each word of it occurs (field bits, section), and the parts of a
policy page its render worker makes for the index (`page_parts`)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Container, Iterable
from typing import Any

from servicebook.cache.codec import read_json
from servicebook.catalog import model
from servicebook.site.search.records import _record_of
from servicebook.site.search.text import FIELDS, LONGEST_WORD, STOP, TITLE_WORDS, _compact, page_sections, words


def page_parts(sections: list[tuple[str, str, str]], html_sha256: str) -> bytes:
    """What the index needs of a policy page's HTML, made once, where the page was rendered
    (site/load.py, in the worker that renders its Markdown), from its `sections` as
    `page_sections` reads them from the HTML (content/markdown.py `search_sections` reads them
    from the Markdown's tokens): the digest of the HTML (so that a reader can tell these are its
    page's), the postings of its sections (`section_postings`: a record's postings are those of
    its own fields and these, see `merged_postings`) and its text fragment, the file's very bytes;
    a line each."""
    postings = json.dumps(section_postings(sections), ensure_ascii=False, separators=(",", ":"))
    return f"{html_sha256}\n{postings}\n".encode() + _compact({"sections": sections})


def spooled_parts(page: model.Page) -> tuple[bytes, bytes] | None:
    """The postings (JSON) and the text fragment `page_parts` made of `page`, where the build
    kept them (model.Page `search_spooled`); None when it did not, or they are not its HTML's."""
    if len(page.search_spooled) != 3:
        return None
    fd, offset, size = page.search_spooled
    try:
        data = os.pread(fd, size, offset)
    except OSError:
        return None
    made_of, _, rest = data.partition(b"\n")
    if len(data) != size or made_of != page.html_sha256.encode():
        return None
    postings, _, fragment = rest.partition(b"\n")
    return postings, fragment


def _add_words(found: dict[str, list[int]], bit: int, text: str, section: int = 0, skip: Container[str] = ()) -> None:
    """Each word of `text` into `found` (word → [where, section]): its `bit` added, and `section`
    when it has none yet (the first section other than the first it occurs in)."""
    for w in dict.fromkeys(words(text)):  # a word again in the same text changes nothing
        if len(w) > LONGEST_WORD or w in skip:
            continue
        at = found.get(w)
        if at is None:
            found[w] = [bit, section]
        else:
            at[0] |= bit
            if not at[1]:
                at[1] = section


def _record_words(record: dict[str, Any]) -> dict[str, list[int]]:
    """The words of a record's own fields (not its page's sections), all in section 0."""
    found: dict[str, list[int]] = {}
    _add_words(found, FIELDS["title"], record["t"])
    title = words(record["t"])
    for n, w in enumerate(title):
        if len(w) <= LONGEST_WORD:
            found[w][0] |= (FIELDS["lead"] if n == 0 else 0) | min(len(title), 7) << TITLE_WORDS
    alternative = record.get("a")
    keys = " ".join([record.get("x", ""), record.get("sl", ""), alternative["t"] if alternative else ""])
    _add_words(found, FIELDS["keys"], keys)
    _add_words(found, FIELDS["summary"], record["s"])
    if "d" in record:
        _add_words(found, FIELDS["body"], record["d"], skip=STOP)
    return found


def _section_words(found: dict[str, list[int]], sections: Iterable[tuple[str, str, str]]) -> dict[str, list[int]]:
    for n, (heading, _anchor, text) in enumerate(sections):
        _add_words(found, FIELDS["keys"], heading, n)
        _add_words(found, FIELDS["body"], text, n, STOP)
    return found


def _flat(found: dict[str, list[int]]) -> list[Any]:
    return [part for w, (where, section) in found.items() for part in (w, where, section)]


def record_postings(record: dict[str, Any], sections: list[tuple[str, str, str]]) -> list[Any]:
    """Where each word of one record occurs, whatever the record's id: [word, where, section, …]
    (`FIELDS` and `TITLE_WORDS` bits; the first section other than the first it occurs in)."""
    return _flat(_section_words(_record_words(record), sections))


def section_postings(sections: list[tuple[str, str, str]]) -> list[Any]:
    """The postings of a page's sections alone (`record_postings` without the record's fields)."""
    return _flat(_section_words({}, sections))


def merged_postings(record: dict[str, Any], postings: list[Any]) -> list[Any]:
    """`record_postings(record, sections)` from the `section_postings(sections)` made before:
    the record's own words are all in section 0, so a word of both has the bits of both and the
    sections' section; the same list, in the same order."""
    return _merged(_record_words(record), postings)


def _merged(found: dict[str, list[int]], postings: list[Any]) -> list[Any]:
    """The postings of a record's own words (`found`, which this changes) and of the rest."""
    for w, where, section in zip(postings[0::3], postings[1::3], postings[2::3], strict=True):
        at = found.get(w)
        if at is None:
            found[w] = [where, section]
        else:
            at[0] |= where
            if not at[1]:
                at[1] = section
    return _flat(found)


def _tokenise(shared: tuple[list[dict[str, Any]], dict[int, model.Page]], rid: int) -> list[Any]:
    records, pages = shared
    page = pages.get(rid)
    return record_postings(_record_of(records, pages, rid), page_sections(page.html) if page is not None else [])


def _postings_of(data: str) -> list[Any] | None:
    """A record's postings as stored (`_Words._keep`), or None when the entry is not what this
    code writes."""
    try:
        stored = read_json(data)
        own, rest = stored["r"], stored["b"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(own, list) and isinstance(rest, list)) or len(own) % 3 or len(rest) % 3:
        return None
    try:
        postings = _merged({own[k]: [own[k + 1], own[k + 2]] for k in range(0, len(own), 3)}, rest)
        postings[0::3] = map(sys.intern, postings[0::3])  # one string per word, not per posting
    except TypeError:  # a word that is not a string, a place that is not a number
        return None
    return postings


def _places(postings: list[Any]) -> dict[str, tuple[int, int]]:
    """A record's postings by word."""
    return {postings[k]: (postings[k + 1], postings[k + 2]) for k in range(0, len(postings), 3)}
