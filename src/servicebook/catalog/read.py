"""The one reader of a catalog's text: YAML with positions, upgraded to the current format and
read into the model, with every problem found; whole, or record by record (records.py); or only
the version it names (`catalog_version`, what telling releases apart needs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from servicebook.catalog import model
from servicebook.catalog.records import RecordCache, read_clean
from servicebook.catalog.upgrade import newer_format, upgrade
from servicebook.catalog.validate import Checked, folder_name, read_record
from servicebook.errors import Problem, SourceLocation
from servicebook.source.yaml import Mapping, Node, Scalar, SourceError, SourceText, comment_traps, decode, parse_yaml


@dataclass(frozen=True, slots=True)
class CatalogRead:
    """A catalog as read, before the rules that span records (validate.check_catalog)."""

    source: SourceText
    node: Node | None  # the YAML tree in the current format; None when read record by record
    checked: Checked[model.Catalog] | None  # None: it did not validate
    notes: tuple[Problem, ...]  # what reading an older format said (upgrade.py)
    traps: tuple[Problem, ...]  # values YAML cut short at a ` #` (source.yaml.comment_traps)
    found: tuple[Problem, ...]  # the records' own problems

    @property
    def problems(self) -> list[Problem]:
        return [*self.notes, *self.traps, *self.found]


def read_catalog(source: SourceText, records: RecordCache | None = None) -> CatalogRead:
    """Raises source.yaml.SourceError when the text is not YAML at all.

    With `records` (the records other versions of this catalog have read: a past release's
    catalog shares most of them), the catalog is read record by record when every part reads
    with no problem at all; then the whole read would find the same catalog and no problem but
    its comment traps (records.read_clean). Its locations are then the file's alone: a caller
    that has to locate a later problem reads the file whole again (site/load.py `_Locations`).
    """
    if records is not None:
        catalog = read_clean(source.text, records, source.path)
        if catalog is not None:
            whole = Checked(catalog, {(): SourceLocation(source.path)})
            return CatalogRead(source, None, whole, (), tuple(comment_traps(source)), ())
    node = parse_yaml(source)
    newer = newer_format(source, node)
    if newer is not None:  # a later servicebook's catalog: judged by no rule of this one
        return CatalogRead(source, None, None, (), (), (newer,))
    node, notes = upgrade(source, node)  # older formats keep building (see upgrade.py)
    checked, found = read_record(source, node, model.Catalog, "the catalog", EMPTY_CATALOG)
    return CatalogRead(source, node, checked, tuple(notes), tuple(comment_traps(source)), tuple(found))


# What to do with a catalog.yaml that holds nothing (a new file, or only comments)
EMPTY_CATALOG = (
    "write the catalog's keys (format, version, site, team, support, offerings, …): "
    "`servicebook init DIR` writes one that builds, and docs/writing-a-catalog.md lists every field"
)


# The top-level `version:` line, plain or quoted: enough to tell releases apart without parsing
# every historical catalog (a 1,000-commit history of a 4.5 MB catalog would take minutes).
_VERSION_LINE = re.compile(
    r"""^version:[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)'|([^\s"'#&*!|>{\[][^\n]*?))[ \t]*(?:[ \t]#.*)?$""",
    re.MULTILINE,
)


def catalog_version(data: bytes) -> str | None:
    """The version the catalog in `data` names (its top-level `version:`), or None when it names
    none the format accepts. For every catalog this reader accepts it is the version the whole
    read gives (see `written_version`)."""
    value = written_version(data)
    return value if value is not None and folder_name(value) else None


def written_version(data: bytes) -> str | None:
    """The version the catalog in `data` names as it is written, whether or not it can name a
    release's folder (`folder_name`); None when it names none. One `version:` line, plain or single-
    or double-quoted, is taken as it is written, without parsing the rest (a catalog the reader
    refuses may still name a version this way: its build says what is wrong with it), and anything
    else (no such line, several, escapes, flow style) is parsed."""
    found = _VERSION_LINE.findall(data.decode("utf-8", "replace"))
    if len(found) == 1:
        value: str = "".join(found[0])  # the one group that matched (a quoted "" matches none)
    else:
        try:
            node = parse_yaml(decode("catalog.yaml", data))
        except SourceError:
            return None
        if not isinstance(node, Mapping):
            return None
        named = [v.value for k, v in node.items if k.value == "version" and isinstance(v, Scalar)]
        if len(named) != 1:
            return None
        value = named[0]
    return value
