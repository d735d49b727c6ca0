"""What the YAML we write must quote for readers of YAML 1.2, not only for PyYAML's YAML 1.1.

PyYAML's emitter writes a text plainly unless a YAML 1.1 reader would take it for something else.
The readers of our exports (Backstage's, the OpenSLO tools', most JavaScript and Go libraries)
read YAML 1.2's core schema, which takes more plain texts for numbers: an offering `1e3` or `08`,
written `name: 1e3`, is the number 1000 there, and `0o17` is 15. Imports nothing: the exports
import PyYAML only when they write.
"""

from __future__ import annotations

import re
from typing import Any

# YAML 1.2.2, 10.3.2 (the core schema): the integer and float forms, besides what YAML 1.1 has.
NUMBER_12 = re.compile(
    r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
FIRST = list("-+.0123456789")  # the characters such a text can start with


def quoting_yaml12_numbers(dumper: Any) -> None:
    """Make `dumper` (a PyYAML Dumper class of ours) quote every text YAML 1.2 reads as a number."""
    dumper.add_implicit_resolver("tag:yaml.org,2002:float", NUMBER_12, FIRST)
