"""Which known name a mistaken one was meant to be, and what tells two look-alike names apart."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence

# Letters of other scripts drawn like Latin ones (from Unicode's confusables), and the dashes drawn
# like '-': a Cyrillic keyboard layout or a pasted word puts them in an id or a key, where they look
# right and match nothing. NFKC folds the rest (full-width letters, ligatures, superscripts).
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("аеіјорсѕухһԁԛԝӏɑɡıαεινκορτυχ", "aeijopcsyxhdqwlagiaeivkoptux", strict=True)),
        **dict(zip("АВЕІЈКМНОРСЅТХУΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEIJKMHOPCSTXYABEZHIKMNOPTYX", strict=True)),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\u2043\ufe63\uff0d", "-"),
    }
)


def _skeleton(word: str) -> str:
    """What `word` looks like: look-alike letters as the Latin ones, invisible characters dropped."""
    folded = unicodedata.normalize("NFKC", word).translate(_LOOKALIKES)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def looks_alike(a: str, b: str) -> bool:
    """Whether a reader could take text `a` for `b`: the same once look-alike letters, case,
    invisible characters and runs of spaces are not told apart ('Platform team', 'PLATFORM  TEAM',
    'Plаtform Team' with a Cyrillic 'а')."""
    return " ".join(_skeleton(a).casefold().split()) == " ".join(_skeleton(b).casefold().split())


def close_to(word: str, choices: Iterable[str], cutoff: float = 0.6) -> list[str]:
    """The choices most like `word`, if any is close enough (difflib's measure, imported here: a
    mistake's hint alone needs it, and a one-page rebuild would pay for it on every run): every
    one as close as the closest, in sorted order, so that the hint does not depend on the order
    the choices came in (difflib's own pick among equals is the one that sorts last). One that
    looks the same comes first: difflib finds 'gа' (a Cyrillic 'а') no closer to 'ga' than to 'beta'."""
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import difflib

    choices = sorted(set(choices))
    looks = _skeleton(word)
    alike = [c for c in choices if c != word and _skeleton(c) == looks]
    if alike:
        return alike
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    scored: list[tuple[float, str]] = []
    for choice in choices:  # as difflib.get_close_matches measures
        matcher.set_seq1(choice)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                scored.append((ratio, choice))
    best = max((ratio for ratio, _ in scored), default=None)
    closest = [choice for ratio, choice in scored if ratio == best]
    return closest or _shortened(word, choices)


def meant_any(word: str, close: Sequence[str], shown: Callable[[str], str] = str) -> str:
    """`meant` for each of `close` (close_to's), as 'did you mean 'a' or 'b'?' when there are
    several equally close; `shown` writes a choice as the hint names it (a link's path)."""
    if len(close) == 1:
        return meant(word, close[0]).replace(f"'{close[0]}'", f"'{shown(close[0])}'", 1)
    named = [f"'{shown(c)}'" for c in close]
    return f"did you mean {', '.join(named[:-1])} or {named[-1]}?"


def _shortened(word: str, choices: list[str]) -> list[str]:
    """The one choice `word` is a short form of ('dev', 'devs' for 'developers'; 'desc' for
    'description'), which difflib finds too unlike the whole word: three letters or more that
    begin exactly one of the choices, a plural's 's' aside."""
    stem = word.casefold()
    stem = stem[:-1] if stem.endswith("s") and len(stem) > 3 else stem
    if len(stem) < 3:
        return []
    begun = [c for c in choices if c.casefold().startswith(stem) and c.casefold() != word.casefold()]
    return begun if len(begun) == 1 else []


def meant(word: str, close: str) -> str:
    """'did you mean …?', and where `word` and `close` look the same, what tells them apart: the
    hint "did you mean 'name'?" under "unknown key 'nаme'" read as nonsense."""
    if _skeleton(word) != _skeleton(close):
        return f"did you mean '{close}'?"
    told = []
    for text, who in ((word, f"'{word}'"), (close, "it")):
        odd = [ch for ch in dict.fromkeys(text) if not ch.isascii()]
        if odd:
            told.append(f"{who} has " + ", ".join(_named(ch) for ch in odd))
    return f"did you mean '{close}'? They look alike: {'; '.join(told)}"


def _named(ch: str) -> str:
    """U+0430 CYRILLIC SMALL LETTER A (like 'a')."""
    like = _skeleton(ch)
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'a character with no name')}" + (
        f" (like '{like}')" if like and like.isascii() else ""
    )
