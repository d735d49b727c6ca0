"""catalog.json's lines kept from one catalog to the next (site/outputs.py `CatalogLines`: `serve`'s
next build, the next release): an offering's or a tool's line is made again only when its record
is not the very object it was made of, or when what the offering shows of the rest of the catalog
(the team's support, its SLOs' OpenSLO names) reads differently; the document is always the one
made without them."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from servicebook.catalog import model
from servicebook.site import outputs
from servicebook.site.load import load
from servicebook.site.outputs import CatalogLines, catalog_json
from servicebook.site.templates import DataSpec, Renderer, environment, render_one

from .conftest import FIXED_EPOCH
from .sitefiles import generated_site

ENV = {"SOURCE_DATE_EPOCH": FIXED_EPOCH, "SERVICEBOOK_WORKERS": "1"}


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the offerings and tools whose lines are made."""
    seen: list[str] = []
    offering, tool = outputs.document_offering, outputs.document_tool

    def counted_offering(catalog: model.Catalog, names: object, o: model.Offering) -> object:
        seen.append(o.id)
        return offering(catalog, names, o)  # type: ignore[arg-type]

    def counted_tool(t: model.Tool) -> object:
        seen.append(t.id)
        return tool(t)

    monkeypatch.setattr(outputs, "document_offering", counted_offering)
    monkeypatch.setattr(outputs, "document_tool", counted_tool)
    return seen


def _site(tmp_path: Path) -> model.SiteContent:
    loaded = load(generated_site(tmp_path / "site", pages=2), ENV)
    assert loaded.site is not None, loaded.problems
    return loaded.site


def _with(site: model.SiteContent, **changes: object) -> model.SiteContent:
    """The next version as records.py reads it: a new catalog object (its version bumped), the
    records it did not change the very same objects."""
    catalog = dataclasses.replace(site.catalog, version=site.catalog.version + ".1", **changes)  # type: ignore[arg-type]
    return dataclasses.replace(site, catalog=catalog)


def _document(site: model.SiteContent, lines: CatalogLines) -> bytes:
    kept = catalog_json(site, lines)
    assert kept == catalog_json(site)  # the document made without them
    return kept


def test_the_next_catalog_makes_the_lines_of_the_records_it_changed_only(tmp_path: Path, made: list[str]) -> None:
    site = _site(tmp_path)
    catalog = site.catalog
    lines = CatalogLines()
    _document(site, lines)
    assert len(made) == len(catalog.offerings) + len(catalog.tools)
    made.clear()
    tool = catalog.tools[1]
    renamed = dataclasses.replace(tool, name=tool.name + " (renamed)")
    after = _with(site, tools=(catalog.tools[0], renamed, *catalog.tools[2:]))
    assert b"(renamed)" in _document(after, lines)
    assert made == [tool.id]
    made.clear()
    offering = catalog.offerings[0]
    summarised = dataclasses.replace(offering, summary="Another summary.")
    later = _with(after, offerings=(summarised, *catalog.offerings[1:]))
    assert b"Another summary." in _document(later, lines)
    assert made == [offering.id]


def test_an_offering_line_is_made_again_when_the_teams_support_reads_differently(
    tmp_path: Path, made: list[str]
) -> None:
    site = _site(tmp_path)
    lines = CatalogLines()
    _document(site, lines)
    made.clear()
    support = site.catalog.support
    same = _with(site, support=dataclasses.replace(support))  # read again: an equal new object
    _document(same, lines)
    assert made == []
    moved = dataclasses.replace(support.hours, timezone="Pacific/Auckland")
    after = _with(same, support=dataclasses.replace(support, hours=moved))
    assert b"Pacific/Auckland" in _document(after, lines)
    assert made == [o.id for o in site.catalog.offerings]


def test_an_offering_line_is_made_again_when_its_slos_names_change(tmp_path: Path, made: list[str]) -> None:
    """An SLO's OpenSLO name depends on the other SLOs of the catalog (a name two would share is
    made unique): the line of an offering whose record did not change follows its names."""
    site = _site(tmp_path)
    catalog = site.catalog
    first, second = [o for o in catalog.offerings if o.slos][:2]
    lines = CatalogLines()
    _document(site, lines)
    made.clear()
    # `second` renamed, and its first SLO, so that their plain name is the one `first`'s first SLO has
    clash = f"{first.id}-{first.slos[0].id}"
    cut = next(i for i, c in enumerate(clash) if c == "-" and i != len(first.id))
    slo = dataclasses.replace(second.slos[0], id=clash[cut + 1 :])
    renamed = dataclasses.replace(second, id=clash[:cut], slos=(slo, *second.slos[1:]))
    offerings = tuple(renamed if o is second else o for o in catalog.offerings)
    _document(_with(site, offerings=offerings), lines)
    assert sorted(made) == sorted({first.id, renamed.id})


def test_catalog_json_from_the_kept_lines_holds_one_copy_of_its_bytes_as_it_is_made(tmp_path: Path) -> None:
    # At 20,000 pages the pages' lines are 8 MB: joined once with what comes before and after
    # them, not joined, then added to (a copy of all of it each time, in memory the kernel finds
    # anew: a `serve` rebuild made four).
    loaded = load(generated_site(tmp_path / "site", pages=500), ENV)
    assert loaded.site is not None, loaded.problems
    site = loaded.site
    lines = CatalogLines()
    _document(site, lines)
    tracemalloc.start()
    try:
        document = catalog_json(site, lines)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert document == catalog_json(site)
    assert peak < 2 * len(document)  # (the catalog's part before the pages' is copied a few times)


def test_catalog_json_s_pages_lines_made_with_none_kept_are_held_as_bytes_alone_as_they_are_made(
    tmp_path: Path,
) -> None:
    """`serve`'s first build from nothing makes catalog.json in a worker, so its first edit makes
    every page's line in the process (CatalogLines.page_lines): each is encoded as it is made, not
    all made as text first and encoded then (at 5,000 pages the text beside the bytes was 2 MiB
    more of that edit's peak). Then the next document takes them as they are."""
    loaded = load(generated_site(tmp_path / "site", pages=400), ENV)
    assert loaded.site is not None, loaded.problems
    site = loaded.site
    lines = CatalogLines()
    tracemalloc.start()
    try:
        parts = lines.page_parts(site.pages, b"{", b"}")
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = sum(map(len, lines.encoded))
    assert len(lines.encoded) == len(site.pages) and all(isinstance(line, bytes) for line in lines.encoded)
    assert size > 100_000 and held < 1.3 * size
    assert peak - held < 0.25 * size  # (the text of one line at a time, and what makes it)
    assert b"".join(parts) == b"".join(lines.page_parts(site.pages, b"{", b"}"))


class _Counting:
    """A SHA-256 that counts the bytes it is given (its copies into the same count)."""

    def __init__(self, made: object, count: list[int]) -> None:
        self.made, self.count = made, count

    def update(self, data: bytes) -> None:
        self.count[0] += len(data)
        self.made.update(data)  # type: ignore[attr-defined]

    def copy(self) -> _Counting:
        return _Counting(self.made.copy(), self.count)  # type: ignore[attr-defined]

    def hexdigest(self) -> str:
        return self.made.hexdigest()  # type: ignore[attr-defined,no-any-return]


def test_catalog_json_from_the_kept_lines_has_its_sha256_resumed_from_the_last_ones_before_the_edited_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` has the SHA-256 of the catalog.json it made (CatalogLines `digest`, for the
    manifest) from the states the last document's hash had every HASH_STEP bytes: a page's line
    changed, only the bytes from the last state before it are hashed again (at 20,000 pages the
    document is 8 MB). The digest is always the document's, whatever changed: a page near the
    end, the first, one near the start, the catalog's part, a page added and one taken away."""
    loaded = load(generated_site(tmp_path / "site", pages=300), ENV)
    assert loaded.site is not None, loaded.problems
    site = loaded.site
    count = [0]
    real = hashlib.sha256
    monkeypatch.setattr(outputs, "hashlib", SimpleNamespace(sha256=lambda: _Counting(real(), count)))
    monkeypatch.setattr(outputs, "HASH_STEP", 4096)
    lines = CatalogLines(hashes=True)  # (serve's)

    def edited(at: int, title: str) -> model.SiteContent:
        page = site.pages[at]
        meta = dataclasses.replace(page.meta, title=title)
        return dataclasses.replace(
            site, pages=(*site.pages[:at], dataclasses.replace(page, meta=meta), *site.pages[at + 1 :])
        )

    document = _document(site, lines)
    assert lines.digest == (len(document), real(document).hexdigest())
    versions = [("a page near the end", edited(len(site.pages) - 3, "Near the end"))]
    versions.append(("the first page", edited(0, "The first")))
    versions.append(("a page near the start", edited(2, "Near the start")))
    versions.append(("the catalog's part", _with(versions[-1][1])))
    versions.append(("a page added", dataclasses.replace(site, pages=(*site.pages, site.pages[0]))))
    versions.append(("a page taken away", dataclasses.replace(site, pages=site.pages[:-2])))
    for what, version in versions:
        count[0] = 0
        document = _document(version, lines)
        assert lines.digest == (len(document), real(document).hexdigest()), what
        if what == "a page near the end":  # from the last state before the edited line: a few steps
            assert 0 < count[0] <= 3 * 4096 < len(document) // 4, what
        elif what == "the first page":  # the catalog's part before the pages is the same
            assert 0 < count[0] < len(document) and (len(document) - count[0]) % 4096 == 0, what
        elif what != "a page near the start":
            assert count[0] == len(document), what


def test_what_catalog_json_is_made_of_is_told_from_the_last_pages_hash_before_the_first_page_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """catalog.json is made of each page's html_sha256, the snapshots and the build's stamp, and
    the digest of these (outputs._page_bodies_and_snapshots) says when it must be made again; in
    `serve` (CatalogLines.bodies) it is resumed from the state its hash had every BODIES_STEP
    pages, before the first page that is not the very page it was: pages near the end edited, only
    those after the last state before them are hashed again. Always the digest made of every page:
    the first page edited, pages added, taken away, none."""
    loaded = load(generated_site(tmp_path / "site", pages=100), ENV)
    assert loaded.site is not None, loaded.problems
    site = loaded.site
    count = [0]
    real = hashlib.blake2b
    monkeypatch.setattr(outputs, "hashlib", SimpleNamespace(blake2b=lambda **kw: _Counting(real(**kw), count)))
    monkeypatch.setattr(outputs, "BODIES_STEP", 8)
    lines = CatalogLines()

    def expected(pages: tuple[model.Page, ...]) -> str:
        parts = [*(p.html_sha256 for p in pages), repr(site.snapshots), repr(site.build)]
        return real("\0".join(parts).encode(), digest_size=20).hexdigest()  # type: ignore[arg-type]

    def edited(pages: tuple[model.Page, ...], at: int) -> tuple[model.Page, ...]:
        page = dataclasses.replace(pages[at], html_sha256=f"{at:064x}")
        return (*pages[:at], page, *pages[at + 1 :])

    pages = site.pages
    steps = [
        ("every page", pages),
        ("a page near the end", edited(pages, len(pages) - 2)),
        ("the first page", edited(pages, 0)),
        ("a page added", (*pages, pages[3])),
        ("pages taken away", pages[:-5]),
        ("none", ()),
        ("every page again", pages),
        ("the same pages", pages),
    ]
    for what, now in steps:
        count[0] = 0
        assert lines.bodies(now, repr(site.snapshots), repr(site.build)) == expected(now), what
        after = len(repr(site.snapshots)) + 1 + len(repr(site.build))
        if what in ("a page near the end", "the same pages"):  # the last 8 pages' at most, and the rest
            assert count[0] - after <= 8 * 65 < len(pages) * 65 // 4, what
        elif what == "every page again":
            assert count[0] - after >= len(pages) * 65, what


def test_catalog_json_s_sha256_is_noted_only_for_serve(tmp_path: Path) -> None:
    """Only `serve`'s CatalogLines (`hashes`) note the SHA-256 of catalog.json as they make it:
    the releases' (releases.LastMade) are made and hashed as any build's files are."""
    site = _site(tmp_path)
    plain, served = CatalogLines(), CatalogLines(hashes=True)
    _document(site, plain)
    document = _document(site, served)
    assert plain.digest is None and not plain.marks
    assert served.digest == (len(document), hashlib.sha256(document).hexdigest())


def test_a_kept_catalog_json_is_made_in_parts_of_the_kept_lines_and_written_part_by_part(tmp_path: Path) -> None:
    # `serve` made catalog.json again after each edit by joining every page's line (3.7 MB at
    # 5,000 pages, a one-page rebuild's largest object): now the kept lines are its parts, as held
    site = _site(tmp_path)
    lines = CatalogLines()
    assert b"".join(outputs.catalog_json_parts(site, lines)) == catalog_json(site)  # (the first makes the lines)
    parts = outputs.catalog_json_parts(site, lines)
    assert isinstance(parts, list) and b"".join(parts) == catalog_json(site)
    held = {id(line) for line in lines.encoded}
    assert held and held <= {id(part) for part in parts}  # each page's line the very bytes kept
    spec = DataSpec("catalog.json", lambda: outputs.catalog_json_parts(site, lines), "")
    spool = tmp_path / "spool"
    spool.mkdir()
    renderer = Renderer(environment(tmp_path / "layouts"), [], {}, tmp_path / "layouts", spool, frozenset(), [spec])
    assert render_one(renderer, 0) == (None, None)
    assert (spool / "catalog.json").read_bytes() == catalog_json(site)
    in_memory = Renderer(environment(tmp_path / "layouts"), [], {}, tmp_path / "layouts", None, frozenset(), [spec])
    assert render_one(in_memory, 0) == (catalog_json(site), None)  # joined where nothing is spooled


class _Unread:
    """A part of a document that must not be read (a part before the state a hash resumes from)."""

    def __len__(self) -> int:
        raise AssertionError("a part before the state the SHA-256 resumes from was read")


@pytest.mark.parametrize("sizes", ["each part ends on a state", "parts of every size"])
def test_catalog_json_s_sha256_is_resumed_without_going_through_the_parts_before_its_state(
    monkeypatch: pytest.MonkeyPatch, sizes: str
) -> None:
    """At 20,000 pages catalog.json is 40,000 parts: `serve`'s CatalogLines keeps each state of
    the document's SHA-256 with the part it was taken in, so a line edited near the end resumes
    there and reads none of the parts before it (a pass over all 40,000 cost ~2.5 ms a rebuild).
    The digest is the document's, the states at the parts' ends or inside them, edits going back
    to the start."""
    monkeypatch.setattr(outputs, "HASH_STEP", 64)
    before = b"{" * 58  # with lines of 58 bytes and separators of 6, each state falls between two parts
    if sizes == "each part ends on a state":
        lines = [f"[{i:055d}]".encode() for i in range(200)]
    else:
        lines = [f'{{"page": {i}, "title": "{"x" * (i * 7 % 90)}"}}'.encode() for i in range(200)]
    catalog = CatalogLines(hashes=True)
    parts = outputs._parts(before, lines, b"\n]}\n")
    assert catalog._digest(parts, before, 0) is parts
    assert catalog.digest == (len(b"".join(parts)), hashlib.sha256(b"".join(parts)).hexdigest())
    for edited in (190, 150, 151, 100, 40, 3, 0):
        now = list(parts)
        now[2 * edited + 1] = f"[edited {edited}]".encode()
        same = sum(map(len, parts[: 2 * edited + 1]))  # the bytes before the edited line
        resumed = same // 64 * 64  # the last state at or before them
        ends = list(itertools.accumulate(map(len, parts)))
        unread = [_Unread() if end < resumed else part for part, end in zip(now, ends, strict=True)]
        assert edited < 10 or sum(isinstance(part, _Unread) for part in unread) > edited
        catalog._digest(unread, before, same)  # type: ignore[arg-type]
        document = b"".join(now)
        assert catalog.digest == (len(document), hashlib.sha256(document).hexdigest()), edited
        parts = now


def test_a_spooled_catalog_json_in_parts_is_written_by_the_kernel_from_the_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A buffered file's `writelines` copied catalog.json's 40,000 parts at 20,000 pages into an
    # 8 KiB buffer and wrote it a thousand times (~14 CPU ms of a rebuild, against ~6 for writev)
    site = _site(tmp_path)
    lines = CatalogLines()
    outputs.catalog_json_parts(site, lines)
    calls: list[int] = []
    real = os.writev

    def writev(fd: int, buffers: list[bytes]) -> int:
        calls.append(len(buffers))
        return real(fd, buffers)

    monkeypatch.setattr(os, "writev", writev)
    parts = outputs.catalog_json_parts(site, lines)
    spec = DataSpec("catalog.json", lambda: parts, "")
    spool = tmp_path / "spool"
    spool.mkdir()
    renderer = Renderer(environment(tmp_path / "layouts"), [], {}, tmp_path / "layouts", spool, frozenset(), [spec])
    assert render_one(renderer, 0) == (None, None)
    assert (spool / "catalog.json").read_bytes() == catalog_json(site)
    assert calls == [len(parts)]  # the parts as they are, in one call


@given(
    st.lists(st.binary(max_size=40), min_size=2, max_size=40),
    st.lists(st.tuples(st.integers(1, 39), st.binary(max_size=40)), max_size=6),
)
# an empty part, edited, that begins where a state was taken (at 32 bytes): the state's part is
# the one after it, so resuming from that state left the edited part out of the hash
@example(parts=[b"", b"", b"\0" * 3, b"\0" * 8, b"\0" * 9, b"\0" * 11, b"", b"\0"], edits=[(6, b"\0")])
def test_catalog_json_s_sha256_resumed_is_the_document_s_whatever_the_parts_sizes(
    parts: list[bytes], edits: list[tuple[int, bytes]]
) -> None:
    # States every 16 bytes: parts empty, shorter than a step, longer than several; each edit
    # resumed from the last state before the part it changed (`same`: the bytes before it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outputs, "HASH_STEP", 16)
        before = b"{" + parts[0]
        parts[0] = before
        catalog = CatalogLines(hashes=True)
        catalog._digest(parts, before, 0)
        assert catalog.digest == (len(b"".join(parts)), hashlib.sha256(b"".join(parts)).hexdigest())
        for place, data in edits:
            at = min(place, len(parts) - 1)
            parts = [*parts[:at], data, *parts[at + 1 :]]
            catalog._digest(parts, before, sum(map(len, parts[:at])))
            document = b"".join(parts)
            assert catalog.digest == (len(document), hashlib.sha256(document).hexdigest())
            assert [mark[2] for mark in catalog.marks] == sorted(mark[2] for mark in catalog.marks)
