"""Reading a large catalog record by record (records.py) never judges a catalog differently from
reading it whole: it gives the same model, or declines and lets the whole file be read."""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.catalog.records import RecordCache, read_by_records, read_clean, split_catalog
from servicebook.git.snapshots import read_catalog

from .conftest import REPO, SITES, examples

sys.path.insert(0, str(REPO / "bench"))
EXAMPLE = (REPO / "catalog.yaml").read_text()
SLUGS = sorted(p.stem for p in (REPO / "content").glob("*.md"))


def whole(text: str, slugs=SLUGS):
    catalog, problems = read_catalog(text.encode(), slugs)
    return catalog, len(problems)


def test_example_catalog_reads_the_same_by_records() -> None:
    fast = read_by_records(EXAMPLE.encode(), SLUGS, RecordCache(), "catalog.yaml")
    assert fast is not None
    assert fast == whole(EXAMPLE)


def test_generated_large_catalog_reads_the_same_by_records(tmp_path) -> None:
    from generate import generate

    generate(tmp_path / "site", offerings=40, tools=80, pages=5)
    text = (tmp_path / "site/catalog.yaml").read_text()
    slugs = sorted(p.stem for p in (tmp_path / "site/content").glob("*.md"))
    fast = read_by_records(text.encode(), slugs, RecordCache(), "catalog.yaml")
    assert fast is not None and fast[1] == 0
    assert fast == whole(text, slugs)


def test_a_second_version_parses_only_the_record_that_changed() -> None:
    cache = RecordCache()
    read_by_records(EXAMPLE.encode(), SLUGS, cache, "catalog.yaml")
    before = len(cache.parts)
    changed = EXAMPLE.replace("objective: 99.9\n", "objective: 99.8\n", 1)
    assert changed != EXAMPLE
    fast = read_by_records(changed.encode(), SLUGS, cache, "catalog.yaml")
    assert len(cache.parts) == before + 1
    assert fast == whole(changed)


def test_cross_record_errors_are_counted_like_the_whole_file() -> None:
    broken = EXAMPLE.replace("alternative: gitlab-ci", "alternative: no-such-tool", 1)
    assert broken != EXAMPLE
    fast = read_by_records(broken.encode(), SLUGS, RecordCache(), "catalog.yaml")
    assert fast is not None and fast[0] is not None
    assert fast[1] == whole(broken)[1] == 1


def test_unusual_layouts_are_left_to_the_whole_file_reader() -> None:
    minimal = (SITES / "minimal/catalog.yaml").read_text()
    assert split_catalog(minimal) is not None
    cases = {
        "flow list": minimal.replace(
            "tools:\n  - id: shared-pipelines", "tools: [{id: x}]\nx:\n  - id: shared-pipelines"
        ),
        "items at column 0": minimal.replace("\n  - id: shared-pipelines", "\n- id: shared-pipelines"),
        "key twice": minimal + "tools:\n  - id: more\n",
        "tab": minimal.replace("    name: Shared pipeline templates", "\tname: Shared pipeline templates"),
        "bad record": minimal.replace("status: supported", "status: maybe"),
        "older format": minimal.replace("format: 1", "format: 0"),
    }
    for name, text in cases.items():
        assert text != minimal, name
        assert read_by_records(text.encode(), ["welcome"], RecordCache(), "catalog.yaml") is None, name


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_whenever_records_accept_a_catalog_the_whole_file_gives_the_same(data) -> None:
    """Mutate lines of a real catalog (delete, duplicate, re-indent, insert a '- ' item start):
    whatever records.py accepts as valid, the whole-file reader must read identically."""
    text = _mutated_catalog(data, ["tab", "quote"])
    fast = read_by_records(text.encode(), ["welcome"], RecordCache(), "catalog.yaml")
    if fast is not None:
        full, errors = whole(text, ["welcome"])
        if fast[1] == 0:
            assert full == fast[0] and errors == 0
        else:
            assert full is None and errors == fast[1]


# -- read_clean: the build's own use, for releases (releases.py) ------------------------------------


def _whole_read(folder, text: str):
    """What `load` finds reading catalog.yaml whole: (catalog or None, problems)."""
    from servicebook.site.load import _parse_catalog

    folder.mkdir(exist_ok=True)
    (folder / "catalog.yaml").write_text(text)
    read = _parse_catalog(folder)
    if isinstance(read, list):
        return None, read
    return (read.checked.value if read.checked is not None else None), read.problems


def _clean(text: str):
    from servicebook.catalog.records import read_clean
    from servicebook.source.yaml import comment_traps, decode

    source = decode("catalog.yaml", text.encode())
    catalog = read_clean(source.text, RecordCache(), "catalog.yaml")
    return catalog, comment_traps(source)


def test_a_clean_catalog_reads_by_records_as_load_reads_it_whole(tmp_path) -> None:
    from generate import generate

    generate(tmp_path / "site", offerings=40, tools=80, pages=5)
    beta = "use_for: Everything about preview environments during the beta"
    trap = EXAMPLE.replace(beta, beta + " #preview-help", 1)  # YAML cuts the value there: a warning
    assert trap != EXAMPLE
    fraction = EXAMPLE.replace("objective: 99.9\n", "objective: 9.99\n", 1)  # warned by load's own check
    for n, text in enumerate([EXAMPLE, (tmp_path / "site/catalog.yaml").read_text(), trap, fraction]):
        catalog, traps = _clean(text)
        assert catalog is not None
        assert (catalog, traps) == _whole_read(tmp_path / str(n), text)
    assert _clean(trap)[1]  # the comment trap is reported, as by the whole read


def test_a_catalog_with_any_problem_is_left_to_the_whole_read() -> None:
    minimal = (SITES / "minimal/catalog.yaml").read_text()
    assert "objective: 99.5" in minimal
    for text in (
        minimal.replace("    name: Shared pipeline templates", "    name: Shared pipeline templates\n    name: Again"),
        minimal.replace("status: supported", "status: maybe"),
        minimal.replace("format: 1", "format: 0"),
    ):
        assert text != minimal
        assert _clean(text)[0] is None


@settings(max_examples=examples(60), deadline=None)
@given(data=st.data())
def test_whenever_a_clean_read_accepts_a_catalog_load_reads_the_same(tmp_path_factory, data) -> None:
    text = _mutated_catalog(data, ["hash"])
    catalog, traps = _clean(text)
    if catalog is not None:
        assert (catalog, traps) == _whole_read(tmp_path_factory.mktemp("whole"), text)


def _mutated_catalog(data, extra: list[str]) -> str:
    """The minimal catalog with one to three lines mutated: deleted, duplicated, re-indented,
    a comment or a '- ' item start inserted, or one of the `extra` mutations (a tab, an
    unclosed quote, a ` #channel` comment)."""
    lines = (SITES / "minimal/catalog.yaml").read_text().split("\n")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "item", "comment", *extra]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent" and lines[i].startswith("  "):
            lines[i] = lines[i][2:]
        elif op == "comment":
            lines.insert(i, data.draw(st.sampled_from(["# note", "  # note", "      # note", ""])))
        elif op == "tab":
            lines[i] = "\t" + lines[i]
        elif op == "quote":
            lines[i] = lines[i] + ' "'
        elif op == "hash":
            lines[i] = lines[i] + " #channel"
        elif op == "item":
            lines.insert(i, "  - id: " + data.draw(st.sampled_from(["x", "ci", "shared-pipelines"])))
    return "\n".join(lines)


def test_a_record_is_judged_again_when_a_record_it_names_changes() -> None:
    """The history reads many versions through one cache, which remembers each record's problems:
    a record that did not change is still judged anew when the tool its `alternative` names, or
    the offering its `replaced_by` names, changed, or when an id it refers to went away."""
    gitlab = "  - id: gitlab-ci\n    name: GitLab CI/CD\n    category: ci\n    status: supported\n"
    ci = "  - id: ci-pipelines\n"
    assert gitlab in EXAMPLE and EXAMPLE.count(ci) == 1
    ci_lifecycle = EXAMPLE[EXAMPLE.index(ci) :].index("    lifecycle: ga\n") + EXAMPLE.index(ci)
    versions = [
        EXAMPLE,
        EXAMPLE.replace(gitlab, gitlab.replace("supported", "deprecated\n    alternative: jenkins")),
        EXAMPLE[:ci_lifecycle] + "    lifecycle: deprecated\n    sunset: 2030-01-01\n" + EXAMPLE[ci_lifecycle + 18 :],
        EXAMPLE.replace(gitlab, gitlab.replace("gitlab-ci", "gitlab")),
        EXAMPLE,
    ]
    shared = RecordCache()
    counts = []
    for text in versions:
        fast = read_by_records(text.encode(), SLUGS, shared, "catalog.yaml")
        assert fast is not None
        assert fast == read_by_records(text.encode(), SLUGS, RecordCache(), "catalog.yaml")
        assert fast[1] == whole(text)[1]
        counts.append(fast[1])
    assert counts[0] == counts[-1] == 0 and all(counts[1:-1]), counts  # each change broke another record


# -- one cache across many versions: what the last read of a section carries forward -------------


@functools.cache
def _generated() -> tuple[str, tuple[str, ...]]:
    from generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "site", offerings=12, tools=30, pages=3)
        slugs = tuple(sorted(p.stem for p in (Path(tmp) / "site/content").glob("*.md")))
        return (Path(tmp) / "site/catalog.yaml").read_text(), slugs


def _records_edited(data, text: str) -> str:
    """`text` with one record-sized edit: a line changed, a line inserted (one the text is split
    by, or one it is not), a record removed, doubled or moved."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("  - id: ")]
    op = data.draw(st.sampled_from(["line", "insert", "remove", "double", "move", "same"]))
    a, b = sorted(data.draw(st.lists(st.sampled_from(starts), min_size=2, max_size=2)))
    end = next((s for s in starts if s > a), len(lines))
    record = lines[a:end]
    if op == "line":
        i = data.draw(st.integers(a, max(a, end - 1)))
        lines[i] = lines[i] + data.draw(st.sampled_from([" x", "9", ""]))
    elif op == "insert":
        i = data.draw(st.integers(a, end))
        lines.insert(i, data.draw(st.sampled_from(_LINES)))
    elif op == "remove":
        del lines[a:end]
    elif op == "double":
        lines[a:a] = record
    elif op == "move" and b >= end:
        lines[b:b] = record
        del lines[a:end]
    return "\n".join(lines)


# Lines the patterns that split a catalog look at (a top-level key, an item start, a shallow line,
# a tab in the indentation) and lines they do not (blank, comments, lines inside a record).
_LINES = [
    "",
    "# note",
    "  # note",
    "      deep: x",
    "        - nested",
    "    name: Again",
    "  - id: inserted",
    "  -",
    "   odd: 1",
    " odd: 1",
    "top: 1",
    "tools:",
    "\tx: 1",
    "      \ttab: 1",
    "      text with a\ttab inside",
]


@settings(max_examples=examples(40), deadline=None)
@given(st.data())
def test_versions_read_through_one_cache_are_read_as_each_alone(data) -> None:
    """The history reads a thousand versions through one cache; the records of a section that the
    last read shares with this one, before and after what changed, are taken from it. Each
    version must still read exactly as it does through a cache of its own."""
    from servicebook.catalog.records import read_clean

    text, slugs = _generated()
    shared = RecordCache()
    for _ in range(data.draw(st.integers(2, 5))):
        alone = read_by_records(text.encode(), list(slugs), RecordCache(), "catalog.yaml")
        assert read_by_records(text.encode(), list(slugs), shared, "catalog.yaml") == alone
        assert read_clean(text, shared, "catalog.yaml") == read_clean(text, RecordCache(), "catalog.yaml")
        text = _records_edited(data, text)


def test_a_version_that_edits_one_record_reads_that_record_only(monkeypatch) -> None:
    from servicebook.catalog import records

    text, slugs = _generated()
    cache = RecordCache()
    read_by_records(text.encode(), list(slugs), cache, "catalog.yaml")
    read: list[str] = []
    real = records._part
    monkeypatch.setattr(
        records, "_part", lambda cache, shown, part, *a, **k: read.append(part) or real(cache, shown, part, *a, **k)
    )
    edited = text.replace("objective: 99", "objective: 98", 1)
    assert edited != text
    assert read_by_records(edited.encode(), list(slugs), cache, "catalog.yaml") == whole(edited, list(slugs))
    assert len(read) == 1  # the one offering whose objective changed


# -- the cross-record rules carried from one version to the next (validate.RecordChecks) -----------


@functools.cache
def _example_catalog():
    catalog = read_by_records(EXAMPLE.encode(), SLUGS, RecordCache(), "catalog.yaml")
    assert catalog is not None
    return catalog[0]


def _model_edited(data, catalog):
    """`catalog` with one record (or the team's support, or the categories) changed the way a
    commit changes it; the other records stay the very same objects, as records.py keeps them."""
    import dataclasses
    import datetime as dt

    from servicebook.catalog import model

    offerings, tools = list(catalog.offerings), list(catalog.tools)
    ids = [o.id for o in offerings] + [t.id for t in tools] + ["no-such-id"]
    what = data.draw(
        st.sampled_from(["offering", "offering", "offering", "tool", "tool", "tool", "support", "categories", "none"])
    )
    # records that others name (a successor, an alternative) are picked more often
    named = {o.replaced_by for o in offerings} | {t.alternative for t in tools}
    if what == "offering":
        often = [i for i, o in enumerate(offerings) if o.id in named]
        i = data.draw(st.sampled_from([*often, *often, *range(len(offerings))]))
        field, value = data.draw(
            st.sampled_from(
                [("lifecycle", v) for v in model.Lifecycle]
                + [
                    ("replaced_by", data.draw(st.sampled_from([None, *ids]))),
                    ("depends_on", (data.draw(st.sampled_from(ids)),)),
                    ("id", data.draw(st.sampled_from([*ids, "new-offering"]))),
                    ("renamed_from", (data.draw(st.sampled_from([*ids, "old-offering"])),)),
                    ("sunset", data.draw(st.sampled_from([None, dt.date(2020, 1, 1), dt.date(2040, 1, 1)]))),
                    ("name", "Renamed"),
                    ("sunset", "passed"),
                ]
            )
        )
        if value == "passed":  # deprecated, with a sunset that has passed
            field, value = "lifecycle", model.Lifecycle.DEPRECATED
            offerings[i] = dataclasses.replace(offerings[i], sunset=dt.date(2020, 1, 1))
        offerings[i] = dataclasses.replace(offerings[i], **{field: value})
    elif what == "tool":
        often = [i for i, t in enumerate(tools) if t.id in named]
        i = data.draw(st.sampled_from([*often, *often, *range(len(tools))]))
        field, value = data.draw(
            st.sampled_from(
                [("status", v) for v in model.ToolStatus]
                + [
                    ("alternative", data.draw(st.sampled_from([None, *ids]))),
                    ("id", data.draw(st.sampled_from([*ids, "new-tool"]))),
                    ("review_by", data.draw(st.sampled_from([None, dt.date(2020, 1, 1), dt.date(2040, 1, 1)]))),
                    ("category", data.draw(st.sampled_from(["ci", "no-such-category"]))),
                ]
            )
        )
        tools[i] = dataclasses.replace(tools[i], **{field: value})
    elif what == "support":
        catalog = dataclasses.replace(catalog, support=dataclasses.replace(catalog.support, oncall=None))
    elif what == "categories":
        catalog = dataclasses.replace(catalog, categories=catalog.categories[1:])
    return dataclasses.replace(catalog, offerings=tuple(offerings), tools=tuple(tools))


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_each_version_checked_through_the_last_ones_finds_what_a_check_of_its_own_finds(data) -> None:
    """Whatever a commit changes (a lifecycle a `replaced_by` reads, a status an `alternative`
    reads, an id, an old id, the team's support, the categories, the pages, the date), the
    problems found carrying the last version's checks forward are those a fresh check finds,
    in the same order, each one equal."""
    import datetime as dt

    from servicebook.catalog.validate import Checked, RecordChecks, check_catalog
    from servicebook.errors import SourceLocation
    from servicebook.source.yaml import SourceText

    catalog, memo = _example_catalog(), RecordChecks()
    source = SourceText("catalog.yaml", "")
    today = data.draw(st.sampled_from([None, dt.date(2030, 1, 1), dt.date(2030, 1, 1)]))
    for _ in range(data.draw(st.integers(2, 8))):
        slugs = data.draw(st.sampled_from([SLUGS, SLUGS, SLUGS, SLUGS[1:]]))
        if data.draw(st.integers(0, 4)) == 0:
            today = data.draw(st.sampled_from([None, dt.date(2030, 1, 1)]))
        checked = Checked(catalog, {(): SourceLocation("catalog.yaml")})
        fresh = check_catalog(source, checked, slugs, today, release=True)
        assert check_catalog(source, checked, slugs, today, release=True, memo=memo) == fresh
        catalog = _model_edited(data, catalog)


def test_a_record_that_comes_to_name_another_is_judged_again_when_that_one_changes() -> None:
    """A tool whose alternative is changed to another tool, then that tool deprecated; an
    offering whose successor is changed, then that successor retired: each step's problems
    carried forward are a fresh check's."""
    import dataclasses
    import datetime as dt

    from servicebook.catalog import model
    from servicebook.catalog.validate import Checked, RecordChecks, check_catalog
    from servicebook.errors import SourceLocation
    from servicebook.source.yaml import SourceText

    catalog, memo = _example_catalog(), RecordChecks()
    source, today = SourceText("catalog.yaml", ""), dt.date(2030, 1, 1)
    tools, offerings = list(catalog.tools), list(catalog.offerings)
    a, b = [i for i, t in enumerate(tools) if t.status is model.ToolStatus.DEPRECATED and t.alternative][:2]
    leaving = next(i for i, o in enumerate(offerings) if o.replaced_by)
    other = next(
        i
        for i, o in enumerate(offerings)
        if o.lifecycle is model.Lifecycle.GA and o.id != offerings[leaving].replaced_by
    )

    def edit(items, i, **changes):
        items[i] = dataclasses.replace(items[i], **changes)
        return dataclasses.replace(catalog, tools=tuple(tools), offerings=tuple(offerings))

    versions = [
        catalog,
        edit(tools, a, alternative=tools[b].alternative),
        edit(tools, a, alternative=tools[b].id),  # a names b, which is deprecated: a problem
        edit(tools, b, status=model.ToolStatus.SUPPORTED),  # and is no more
        edit(offerings, leaving, replaced_by=offerings[other].id),
        edit(offerings, other, lifecycle=model.Lifecycle.RETIRED),  # a successor that is retired too
        edit(offerings, other, lifecycle=model.Lifecycle.GA),
        edit(offerings, other, lifecycle=model.Lifecycle.DEPRECATED, sunset=dt.date(2020, 1, 1)),  # passed
    ]
    found = []
    for version in versions:
        checked = Checked(version, {(): SourceLocation("catalog.yaml")})
        fresh = check_catalog(source, checked, SLUGS, today, release=True)
        assert check_catalog(source, checked, SLUGS, today, release=True, memo=memo) == fresh
        found.append(len(fresh))
    assert found[2] > found[1] and found[5] > found[4] and found[7] > found[6], found  # each step did


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_the_diff_of_versions_that_share_records_is_the_diff_by_id(data) -> None:
    """diff_catalogs compares only the records two versions do not share when every id keeps its
    place; what it finds is what comparing every record by id finds (the new version's records
    in reverse order share no place with the old's)."""
    import dataclasses

    from servicebook.git.diff import diff_catalogs

    def unique(catalog):  # as in a catalog that validated: with an id given twice, order matters
        return all(len({r.id for r in records}) == len(records) for records in (catalog.offerings, catalog.tools))

    old = _example_catalog()
    for _ in range(data.draw(st.integers(1, 4))):
        new = _model_edited(data, old)
        if unique(new):
            by_id = dataclasses.replace(new, offerings=new.offerings[::-1], tools=new.tools[::-1])
            assert diff_catalogs(old, new) == diff_catalogs(old, by_id) == diff_catalogs(old, new, validated=True)
            old = new


def test_a_version_read_after_a_clean_read_takes_its_records() -> None:
    # the build reads its catalog cleanly (read_clean), the release diff the releases' catalogs by
    # records: a record read with no problem at all is read with no error, and not parsed again
    cache = RecordCache()
    clean = read_clean(EXAMPLE, cache, "catalog.yaml")
    assert clean is not None
    changed = EXAMPLE.replace("objective: 99.9\n", "objective: 99.8\n", 1)
    fast = read_by_records(changed.encode(), SLUGS, cache, "catalog.yaml")
    assert fast is not None and fast == whole(changed)
    kept = [a is b for a, b in zip(fast[0].offerings, clean.offerings, strict=True)]
    assert kept.count(False) == 1  # the one record that changed, read
    assert all(a is b for a, b in zip(fast[0].tools, clean.tools, strict=True))
