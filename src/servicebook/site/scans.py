"""What `check` keeps of each page it link-checks: the page's links and ids (links.page_refs),
in the store by the page's key (pagekeys.py), instead of the page. A page's bytes are a function
of its key (a build keeps a page's file by it), and its links and ids a function of its bytes, so
a check after a build or a check renders only the pages whose keys changed; the others' links are
settled again (links.settle) against the files of this check, so a link to a page that is gone is
found as a check from nothing finds it. Nothing of a page but its links and ids is held, rendered
or not: a check's memory does not grow with the pages' HTML."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from servicebook.cache.codec import read_json
from servicebook.cache.store import Entry, Store
from servicebook.content.htmlrefs import HtmlRefs
from servicebook.site.templates import PageSpec

KIND = "page-refs"  # the store's entries: a page's links and ids, by the page's key


@dataclass(frozen=True, slots=True)
class Checking:
    """How `render_site` checks a site's pages (build.check): each page's links and ids kept in
    `store` by its `key` (pagekeys.reuse_keys); without either, every page is rendered."""

    store: Store | None = None
    key: Callable[[PageSpec], str] | None = None

    def keys(self, specs: list[PageSpec]) -> list[str | None]:
        """Each page's key, where links and ids are kept by it."""
        if self.store is None or self.key is None or not self.store.usable:
            return [None] * len(specs)
        return [self.key(spec) for spec in specs]

    def stored(self, keys: list[str]) -> dict[str, HtmlRefs]:
        """The links and ids the store holds under `keys` (an entry of another shape: not held)."""
        if self.store is None or not keys:
            return {}
        found = {}
        for key, entry in self.store.get(KIND, keys).items():
            refs = decode(entry.data)
            if refs is not None:
                found[key] = refs
        return found

    def put(self, key: str, text: str) -> None:
        """A page's links and ids (`encode`) under its key."""
        if self.store is not None:
            self.store.put(KIND, key, Entry(text))


def encode(refs: HtmlRefs) -> str:
    """A page's links and ids as the store keeps them."""
    return json.dumps([sorted(refs.urls), sorted(refs.ids)], separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> HtmlRefs | None:
    """`encode`'s text read back; None for a text of another shape."""
    try:
        urls, ids = read_json(text)
    except (ValueError, TypeError):
        return None
    if not isinstance(urls, list) or not isinstance(ids, list):
        return None
    if not all(isinstance(u, str) for u in urls) or not all(isinstance(i, str) for i in ids):
        return None
    return HtmlRefs(frozenset(urls), frozenset(ids))
