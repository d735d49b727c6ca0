"""Names made of ASCII letters, digits and '-' from any text (a team's name, a file's): the one place
accents are taken off, so a URL, an id and a Backstage name made of one text agree."""

from __future__ import annotations

import re
import unicodedata

# Latin letters that Unicode does not decompose into a base letter and accents
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def ascii_name(name: str, empty: str = "page") -> str:
    """A name that can be part of a URL, made from `name`: lower case, accents taken off its letters
    (NFKD; Straße: strasse), every run of other characters a '-'; `empty` when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", name.lower().translate(_LETTERS))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "-".join(part for part in re.split(r"[^a-z0-9]+", plain) if part)[:63].strip("-") or empty
