"""Read a CSV sheet (RFC 4180, as spreadsheets export it) as the same located nodes as YAML and
JSON (source/yaml.py, source/jsontree.py): a list with a mapping per row, keyed by the header's
names, every value a string that remembers its line and column.

Quoted fields may hold the separator, doubled quotes and line breaks; blank lines and rows of
empty fields are passed over, their lines told to the caller (a reader says them). A header naming
a column twice, an unclosed quote, text after a closing quote and a row with more or fewer fields
than the header are errors with their position (empty trailing fields, as a spreadsheet pads a
row, are not)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from servicebook.errors import Problem, SourceLocation
from servicebook.source.yaml import Mapping, Scalar, Sequence, SourceError, SourceText

SEPARATORS = ",;"  # a comma, or the semicolon of spreadsheets in locales whose decimal mark is a comma


def separator(header: str) -> str | None:
    """The separator a header line uses (a comma unless it has only semicolons), or None when it
    has neither: one column is not a sheet."""
    if "," in header:
        return ","
    return ";" if ";" in header else None


def first_line(text: str) -> str:
    """The first line with anything on it (a sheet's header)."""
    return next((line for line in text.split("\n") if line.strip()), "")


class _Refused(Exception):
    def __init__(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint = line, column, message, hint


def _rows(text: str, sep: str, max_rows: int | None = None) -> list[list[Scalar]]:
    """Every row's fields, each where it starts (its path is the caller's to fill in); a plain
    field without the spaces around it. Refused at the row past `max_rows`, before it is read."""
    rows: list[list[Scalar]] = []
    ends = re.compile(f"[{re.escape(sep)}\n]")
    i, n, line, line_start = 0, len(text), 1, 0
    while i < n:
        if max_rows is not None and len(rows) == max_rows:
            raise _Refused(line, 1, f"the sheet has more than {max_rows:,} rows, the limit", "split it")
        if text[i] == "\n":  # a blank line: a row of one empty field, passed over as a spreadsheet's ,,,, is
            rows.append([Scalar("", SourceLocation("", line, 1), True)])
            i += 1
            line, line_start = line + 1, i
            continue
        row: list[Scalar] = []
        while True:  # a field each time round
            column = i - line_start + 1
            if i < n and text[i] == '"':  # quoted: up to a quote that is not doubled
                start_line, parts, j = line, [], i + 1
                while True:
                    k = text.find('"', j)
                    if k < 0:
                        raise _Refused(start_line, column, "a quoted field is not closed", 'end it with "')
                    parts.append(text[j:k])
                    if not text.startswith('""', k):
                        break
                    parts.append('"')
                    j = k + 2
                body = "".join(parts)
                if "\n" in body:
                    line += body.count("\n")
                    line_start = text.rfind("\n", 0, k) + 1
                i = k + 1
                if i < n and text[i] not in (sep, "\n"):
                    raise _Refused(
                        line,
                        i - line_start + 1,
                        f"text after the closing quote of a field: expected '{sep}' or the end of the row",
                        'a quote inside a quoted field is written twice ("")',
                    )
                row.append(Scalar(body, SourceLocation("", start_line, column), False))
            else:  # plain: up to the separator or the end of the line
                found = ends.search(text, i)
                end = found.start() if found else n
                value = text[i:end]
                lead = len(value) - len(value.lstrip())
                row.append(Scalar(value.strip(), SourceLocation("", line, column + lead), True))
                i = end
            if i < n and text[i] == sep:
                i += 1
                continue
            break
        rows.append(row)
        if i < n:  # at the line break that ends the row
            i += 1
            line, line_start = line + 1, i
    return rows


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet as read: its header's names, its rows as mappings (header name → field) in order,
    and the lines of the empty rows between them (blank, or only separators), which hold nothing."""

    header: tuple[Scalar, ...]
    rows: Sequence
    empty_lines: tuple[int, ...]


def _empty(row: list[Scalar]) -> bool:
    return not any(field.value.strip() for field in row)


def parse_csv(source: SourceText, sep: str = ",", max_rows: int | None = None) -> Sheet:
    """The sheet `source` holds; SourceError with the position of what is wrong (the row past
    `max_rows`, blank ones counted, among them). Empty rows after the last row with anything in
    it (a file's final blank lines, a spreadsheet's padding) are not among its empty lines:
    nothing follows them."""
    path = source.path
    try:
        rows = _rows(source.text, sep, max_rows)
        while rows and _empty(rows[0]):  # blank lines before the header
            rows.pop(0)
        while rows and _empty(rows[-1]):
            rows.pop()
        if not rows:
            raise _Refused(1, 1, "the sheet is empty: it has no header row")
        header = rows[0]
        seen: dict[str, Scalar] = {}
        for name in header:
            folded = name.value.strip().casefold()
            if folded and folded in seen:
                raise _Refused(
                    name.location.line,
                    name.location.column,
                    f"the header names the column '{name.value.strip()}' twice "
                    f"(first at column {seen[folded].location.column})",
                )
            seen[folded] = name
        out: list[Mapping] = []
        empty_lines: list[int] = []
        for row in rows[1:]:
            if _empty(row):  # a blank line, or a spreadsheet's empty row (,,,,)
                empty_lines.append(row[0].location.line)
                continue
            extra = [field for field in row[len(header) :] if field.value.strip()]
            if extra:
                where = extra[0].location
                raise _Refused(
                    where.line, where.column, f"the row has {len(row)} fields; the header names {len(header)}"
                )
            if len(row) < len(header):
                where = row[-1].location
                missing = ", ".join(h.value.strip() for h in header[len(row) :])
                raise _Refused(
                    where.line,
                    where.column + len(row[-1].value),
                    f"the row has {len(row)} of the header's {len(header)} fields: no {missing}",
                    f"give every row every column, an empty one as nothing between two '{sep}'",
                )
            items = tuple(
                (_at(path, name, strip=True), _at(path, field)) for name, field in zip(header, row, strict=False)
            )
            out.append(Mapping(items, SourceLocation(path, row[0].location.line, 1)))
    except _Refused as exc:
        loc = SourceLocation(path, exc.line, exc.column)
        raise SourceError([Problem(loc, exc.message, exc.hint, source_line=source.line(exc.line))]) from None
    return Sheet(
        tuple(_at(path, name, strip=True) for name in header),
        Sequence(tuple(out), SourceLocation(path, 1, 1)),
        tuple(empty_lines),
    )


def _at(path: str, node: Scalar, *, strip: bool = False) -> Scalar:
    loc = node.location
    return Scalar(node.value.strip() if strip else node.value, SourceLocation(path, loc.line, loc.column), node.plain)
