"""Which known name a mistaken one was meant to be, and what tells two look-alike names apart."""

from __future__ import annotations

import bisect
import functools
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from servicebook.errors import LOOKALIKE_LETTERS

# Letters of other scripts drawn like Latin ones (errors.LOOKALIKE_LETTERS), and the dashes drawn
# like '-': a Cyrillic keyboard layout or a pasted word puts them in an id or a key, where they look
# right and match nothing. NFKC folds the rest (full-width letters, ligatures, superscripts).
_LOOKALIKES = str.maketrans(
    {
        **LOOKALIKE_LETTERS,
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


# Up to this many known names a mistaken one is measured against each (difflib, ~8 µs a name);
# past it, against the SHORTLIST that share the most runs of three letters with it, counted in an
# index of the names made once per list (_known), over the names holding its rarest runs, at most
# COUNTED: 20,000 misspelt references to 5,000 alike tool ids measured each against all 5,000 (~30
# CPU ms each, by difflib and the names' look-alike forms) and ran for hours.
EXACT_UP_TO = 200
SHORTLIST = 30
COUNTED = 3_000


@dataclass(frozen=True, slots=True)
class _Known:
    """A list of known names as close_to asks it: sorted, by look-alike form, by run of three letters."""

    names: tuple[str, ...]  # sorted, each once
    by_skeleton: dict[str, tuple[str, ...]]  # the names that look like each form (_skeleton)
    by_run: dict[str, tuple[int, ...]]  # the places in `names` of those holding each run of three letters
    folded: tuple[tuple[str, str], ...]  # (name casefolded, name), sorted: _shortened's prefixes
    by_part: dict[str, tuple[str, ...]]  # the names holding each part between dashes or slashes


def _runs(word: str) -> set[str]:
    """The runs of three letters of `word`, its start and end marked (so 'ab' has two)."""
    marked = f"\0{word}\0"
    return {marked[i : i + 3] for i in range(len(marked) - 2)}


def _index(choices: Iterable[str]) -> _Known:
    """The index of `choices`: a long list's made once (_known), a short one's made each time (as
    cheap as looking at each; nor can many short lists push the long ones out of _known's cache)."""
    names = frozenset(choices)
    return _known(names) if len(names) > EXACT_UP_TO else _made(names)


def _made(choices: frozenset[str]) -> _Known:
    """The index of `choices`."""
    names = tuple(sorted(choices))
    by_skeleton: dict[str, list[str]] = {}
    by_run: dict[str, list[int]] = {}
    by_part: dict[str, list[str]] = {}
    for n, name in enumerate(names):
        by_skeleton.setdefault(_skeleton(name), []).append(name)
        for run in _runs(name):
            by_run.setdefault(run, []).append(n)
        for part in dict.fromkeys(_PARTS.split(name)):
            by_part.setdefault(part, []).append(name)
    return _Known(
        names,
        {k: tuple(v) for k, v in by_skeleton.items()},
        {k: tuple(v) for k, v in by_run.items()},
        tuple(sorted((name.casefold(), name) for name in names)),
        {k: tuple(v) for k, v in by_part.items()},
    )


# made once for a long list asked about again and again (a catalog's tool ids, once for each
# unknown reference; a pure function of them, kept while asked)
_known = functools.lru_cache(maxsize=16)(_made)

_PARTS = re.compile(r"[-/]")


def begun_or_part(word: str, choices: Iterable[str]) -> list[str]:
    """The choices `word` begins, or is a part of between dashes or slashes ('ci' of
    'ci-pipelines', 'scanning' of 'security/scanning'), in sorted order, found in the index of
    the choices (_known) rather than by looking at each."""
    known = _index(choices)
    start = bisect.bisect_left(known.names, word)
    found = set(known.by_part.get(word, ()))
    for name in known.names[start:]:
        if not name.startswith(word):
            break
        found.add(name)
    return sorted(found)


def in_order(choices: Iterable[str]) -> tuple[str, ...]:
    """`choices` sorted, each once: sorted once for a list asked about again and again (_known;
    a frozenset is its own key, found again without being read)."""
    return _index(choices).names


def close_to(word: str, choices: Iterable[str], cutoff: float = 0.6) -> list[str]:
    """The choices most like `word`, if any is close enough (difflib's measure, imported here: a
    mistake's hint alone needs it, and a one-page rebuild would pay for it on every run): every
    one as close as the closest, in sorted order, so that the hint does not depend on the order
    the choices came in (difflib's own pick among equals is the one that sorts last). One that
    looks the same comes first: difflib finds 'gа' (a Cyrillic 'а') no closer to 'ga' than to 'beta'.
    Of more than EXACT_UP_TO choices, only the SHORTLIST sharing most runs of three letters with `word`
    are measured."""
    # start-up cost, measured: xml.etree, tarfile, zoneinfo, difflib 7 ms a build together
    import difflib

    known = _index(choices)
    alike = [c for c in known.by_skeleton.get(_skeleton(word), ()) if c != word]
    if alike:
        return alike
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    scored: list[tuple[float, str]] = []
    for choice in _measured(word, known):  # as difflib.get_close_matches measures
        matcher.set_seq1(choice)
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                scored.append((ratio, choice))
    best = max((ratio for ratio, _ in scored), default=None)
    closest = sorted(choice for ratio, choice in scored if ratio == best)
    return closest or _shortened(word, known)


def _measured(word: str, known: _Known) -> Sequence[str]:
    """The names `word` is measured against: all of a short list, else the SHORTLIST sharing the
    most runs of three letters with it, of the names holding its rarest runs (COUNTED at most, but
    those of the rarest run)."""
    if len(known.names) <= EXACT_UP_TO:
        return known.names
    holding = sorted((len(known.by_run.get(run, ())), run) for run in _runs(word))
    shared: Counter[int] = Counter()
    counted = 0
    for size, run in holding:  # in one order, as the names are: ties stay in one order
        if counted and counted + size > COUNTED:
            break
        shared.update(known.by_run.get(run, ()))
        counted += size
    most = sorted(shared.items(), key=operator.itemgetter(1), reverse=True)[:SHORTLIST]
    return [known.names[n] for n, _ in most]


def meant_any(word: str, close: Sequence[str], shown: Callable[[str], str] = str) -> str:
    """`meant` for each of `close` (close_to's), as 'did you mean 'a' or 'b'?' when there are
    several equally close; `shown` writes a choice as the hint names it (a link's path)."""
    if len(close) == 1:
        return meant(word, close[0]).replace(f"'{close[0]}'", f"'{shown(close[0])}'", 1)
    named = [f"'{shown(c)}'" for c in close]
    return f"did you mean {', '.join(named[:-1])} or {named[-1]}?"


def _shortened(word: str, known: _Known) -> list[str]:
    """The one choice `word` is a short form of ('dev', 'devs' for 'developers'; 'desc' for
    'description'), which difflib finds too unlike the whole word: three letters or more that
    begin exactly one of the choices, a plural's 's' aside."""
    stem = word.casefold()
    stem = stem[:-1] if stem.endswith("s") and len(stem) > 3 else stem
    if len(stem) < 3:
        return []
    folded = known.folded
    start = bisect.bisect_left(folded, (stem, ""))
    begun = []
    for name_folded, name in folded[start:]:
        if not name_folded.startswith(stem):
            break
        if name_folded != word.casefold():
            begun.append(name)
        if len(begun) > 1:
            return []
    return begun


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


def drawn_as(name: str) -> str:
    """What `name` looks like (look-alike letters as the Latin ones, invisible characters dropped):
    two names drawn the same are told apart by `alike_apart`. An ASCII name is drawn as itself."""
    return name if name.isascii() else _skeleton(name)


_WORD = re.compile(r"[^\W\d_]+")


def latin_in_disguise(name: str) -> tuple[str, str] | None:
    """A word of `name` written wholly in letters of another script that are drawn as Latin ones,
    and what it reads as ('сору', Cyrillic, reads as 'copy'), where a reader takes it for a Latin
    word: in a name that has Latin letters too ('Pipeline сору'), or one that is that word alone,
    of three letters or more ('СОРУ'); None otherwise. A word of the script's other letters
    ('Команда') reads as what it is, and so does a short word alone ('у', 'Ох')."""
    if name.isascii():
        return None
    words = _WORD.findall(name)
    latin = any(ch.isascii() for word in words for ch in word)
    for word in words:
        alone = len(words) == 1 and len(word) >= 3
        if len(word) >= 2 and (latin or alone) and all(ch in LOOKALIKE_LETTERS for ch in word):
            return word, word.translate(_LOOKALIKES)
    return None


def alike_apart(a: str, b: str) -> str | None:
    """What tells `a` from `b` when they differ only in look-alike or invisible characters ('Team'
    and 'Tеam', 'copy' and Cyrillic 'сору'): the characters that are in one only, named; None when
    they are the same or differ in what a reader sees."""
    if a == b or _skeleton(a) != _skeleton(b):
        return None
    odd = [ch for ch in dict.fromkeys(a + b) if (ch in a) != (ch in b)]
    return ", ".join(_named(ch) for ch in ([ch for ch in odd if not ch.isascii()] or odd))


def _named(ch: str) -> str:
    """U+0430 CYRILLIC SMALL LETTER A (like 'a')."""
    like = _skeleton(ch)
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'a character with no name')}" + (
        f" (like '{like}')" if like and like.isascii() else ""
    )
