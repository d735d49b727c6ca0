"""Read built HTML the way a browser would, to assert what it would run or load."""

from __future__ import annotations

from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.tags


def dangers(html: str) -> list[str]:
    """Scripts other than our own, event handlers, inline styles and non-allow-listed URLs."""
    found = []
    for tag, attrs in tags(html):
        if tag in {"script", "iframe", "object", "embed", "style", "form", "base", "meta"}:
            if tag == "script" and (attrs.get("src") or "").endswith("assets/site.js"):
                continue
            if tag == "meta" and (
                attrs.get("http-equiv") == "Content-Security-Policy"
                or "charset" in attrs
                or attrs.get("name") in {"viewport", "generator", "servicebook-catalog-version", "color-scheme"}
            ):
                continue
            if tag == "form" and attrs.get("role") == "search":
                continue
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES and value is not None:
                v = "".join(value.split()).lower()
                if ":" in v.split("/", 1)[0] and not v.startswith(("http:", "https:", "mailto:")):
                    found.append(f"<{tag} {name}={value!r}>")
                if v.startswith("//"):
                    found.append(f"<{tag} {name}={value!r}>")
    return found
