"""YAML written for people to read back or paste: a text as a scalar that every YAML reader reads as
exactly that text. servicebook reads every value as written, but the readers of what we hand out
do not: PyYAML (YAML 1.1, what an editor's schema check may use) types `yes`, `1.10` and `22:22`,
and YAML 1.2's core schema (Backstage's, the OpenSLO tools', most JavaScript and Go libraries)
takes more plain texts for numbers (`1e3`, `08`, `0o17`). The imports' fragments and the hints that
say what to paste into catalog.yaml write their texts here.
"""

from __future__ import annotations

import re

# YAML 1.2.2, 10.3.2 (the core schema): the integer and float forms, besides what YAML 1.1 has.
NUMBER_12 = re.compile(
    r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
NUMBER_12_FIRST = list("-+.0123456789")  # the characters such a text can start with

_PLAIN = re.compile(r"[A-Za-z0-9][^\n]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
_TEXT = "tag:yaml.org,2002:str"


def _a_text_to_every_reader(text: str) -> bool:
    """Whether `text`, written plainly, is a text to every YAML reader: not a number, a date, a
    boolean or null to YAML 1.1 nor a number to YAML 1.2's core schema. The catalog's docs write
    such a value quoted (`tier: "2"`), and so does what we write."""
    # Imported here: catalog validation imports this module for its hints, and a build otherwise
    # imports PyYAML only where YAML is read by its events (~9 ms of CPU, bench/README.md, "The
    # command line's start").
    import yaml

    # PyYAML's resolver, as its loader resolves a plain scalar (types-PyYAML leaves it untyped)
    resolved = yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return resolved == _TEXT and text.lower() not in _YAML_WORDS and NUMBER_12.match(text) is None


def _plain(text: str) -> bool:
    return bool(
        _PLAIN.fullmatch(text)
        and text == text.strip()
        and _a_text_to_every_reader(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and text.isprintable()
    )


def flow_scalar(text: str) -> str:
    """`text` on one line: plain when nothing in it means anything to YAML, otherwise
    double-quoted (JSON's escapes are YAML's), so that `Ops: nights # eu` does not read back as a
    mapping or lose what follows its `#`, and `yes` stays a text."""
    return text if _plain(text) else '"' + "".join(_escape(ch) for ch in text) + '"'


def scalar(text: str, indent: int) -> str:
    """`text` as the value of a key indented by `indent`: plain or double-quoted as `flow_scalar`,
    or a literal block for a text over lines such as a query (with or without one final line
    break)."""
    if _plain(text):
        return text
    # a block keeps one final line break (`|`, as a query written as a block in YAML ends) or none (`|-`)
    body, block = (text[:-1], "|") if text.endswith("\n") and not text.endswith("\n\n") else (text, "|-")
    lines = body.split("\n")
    if (
        (len(lines) > 1 or block == "|")
        and body
        and body == body.rstrip()
        and not body.startswith((" ", "\n"))
        and all(line == line.rstrip() for line in lines)
        and all(ch.isprintable() for line in lines for ch in line)
    ):
        pad = " " * (indent + 2)
        return block + "\n" + "\n".join(pad + line if line else "" for line in lines)
    return flow_scalar(text)


def _escape(ch: str) -> str:
    if ch in '"\\':
        return "\\" + ch
    if ch.isprintable() or ch == " ":
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
