"""What the YAML we write must quote for readers of YAML 1.2, not only for PyYAML's YAML 1.1.

PyYAML's emitter writes a text plainly unless a YAML 1.1 reader would take it for something else.
The readers of our exports (Backstage's, the OpenSLO tools', most JavaScript and Go libraries)
read YAML 1.2's core schema, which takes more plain texts for numbers: an offering `1e3` or `08`,
written `name: 1e3`, is the number 1000 there, and `0o17` is 15 (source/yaml_written.py says which
texts those are, for every YAML we write).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from servicebook.source.yaml_written import NUMBER_12, NUMBER_12_FIRST


def quoting_yaml12_numbers(dumper: Any) -> None:
    """Make `dumper` (a PyYAML Dumper class of ours) quote every text YAML 1.2 reads as a number."""
    dumper.add_implicit_resolver("tag:yaml.org,2002:float", NUMBER_12, NUMBER_12_FIRST)


def dump_stream(docs: Sequence[Mapping[str, Any]]) -> str:
    """A multi-document YAML stream, each document after `---`; the same documents, the same text.
    A Decimal is written as the number it is, digit for digit (an objective of 99.95, never
    99.94999999999999; 99 plainly, as an integer)."""
    if not docs:
        return ""
    # PyYAML's own emitter, never libyaml's: the two fold long quoted values differently, and the
    # stream must be the same bytes wherever it is made (bench/README.md, "OpenSLO export").
    # Imported here: a build imports the exports' modules for the catalog's OpenSLO names, and
    # PyYAML otherwise only where YAML is read by its events (~9 ms of CPU, bench/README.md, "The
    # command line's start").
    import yaml

    class Dumper(yaml.SafeDumper):
        """PyYAML's, quoting what YAML 1.2 reads as a number (an offering `1e3`)."""

    def decimal(dumper: Any, value: Decimal) -> Any:
        # a whole number (an objective of 99) is an int to every reader: tagged float, PyYAML would write
        # it `!!float '99'`, a tag Sloth's and servicebook's own readers refuse
        text = format(value.normalize(), "f")
        return dumper.represent_scalar("tag:yaml.org,2002:" + ("int" if text.lstrip("-").isdigit() else "float"), text)

    quoting_yaml12_numbers(Dumper)
    Dumper.add_representer(Decimal, decimal)
    return yaml.dump_all(
        [dict(d) for d in docs],
        Dumper=Dumper,
        explicit_start=True,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
