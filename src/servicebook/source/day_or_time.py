"""A day or a time with its offset from UTC, as people type one on a command line (`measure
--at`, `promised --at`): the one reader of those forms, so the two commands take the same text
and answer a near miss with the same hint. What a day alone stands for (its start for `measure`,
its end for `promised`) and which times make sense are each command's own rules."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from servicebook.errors import UsageProblem

# a calendar day and nothing else: `20260331` and `2026-W13-2`, which Python also reads, are not
# what people mean to type
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# a date, T or a space, hours and minutes (seconds if written), and Z or an offset from UTC
_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)(Z|[+-][0-9]{2}:[0-9]{2})")
# "2026-11-03 14:00 UTC", as an auditor writes it: a zone's name is not read, but answered with what to type
_NAMED_ZONE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?) ?(UTC|GMT)")
# a day written year first but otherwise (2026/02/20, 2026-2-20, 2026.02.20): only one reading
_LOOSE_DAY = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
# a time without its offset ("2026-02-20T10:00"), or with one written without its colon ("+0100")
_NO_OFFSET = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)")
_SHORT_OFFSET = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?) ?([+-][0-9]{2})([0-9]{2})"
)


@dataclass(frozen=True, slots=True)
class DayOrTime:
    day: dt.date  # the day written, or the day in UTC that the time falls on
    time: dt.datetime | None  # in UTC; None when a day alone was written


def read_day_or_time(text: str, forms: str, option: str = "--at") -> DayOrTime:
    """`text` as a day (YYYY-MM-DD) or a time with its offset; `forms` is what the command takes,
    as its error says it (with what a day means there)."""
    if _DAY.fullmatch(text):
        try:
            return DayOrTime(dt.date.fromisoformat(text), None)
        except ValueError:
            raise UsageProblem(f"{option} {text!r}: not a real date") from None
    written = _TIME.fullmatch(text)
    if written is None:
        raise UsageProblem(f"{option} {text!r}: not a day or a time; write {forms}{_near_miss(text.strip())}")
    offset = "+00:00" if written[3] == "Z" else written[3]
    try:
        local = dt.datetime.fromisoformat(f"{written[1]}T{written[2]}{offset}")
    except ValueError:
        raise UsageProblem(f"{option} {text!r}: not a real date or time") from None
    try:
        when = local.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 and 9999-12-31T23:59-01:00 are in no year of UTC's
        raise UsageProblem(
            f"{option} {text!r}: a real time, but in UTC it falls outside the years 1 to 9999, the only ones read"
        ) from None
    return DayOrTime(when.date(), when)


def _near_miss(text: str) -> str:
    """What to type for `text` where it has one reading the forms do not take ("; for this one,
    write …"), or what it lacks; "" where there is none to tell."""
    if named := _NAMED_ZONE.fullmatch(text):
        return f"; for this one, write {named[1]}T{named[2]}Z"
    if short := _SHORT_OFFSET.fullmatch(text):
        return f"; for this one, write {short[1]}T{short[2]}{short[3]}:{short[4]}"
    if bare := _NO_OFFSET.fullmatch(text):
        # which zone a bare time is in is the writer's to say: the machine's may not be theirs
        return (
            f"; a time needs its offset from UTC: {bare[1]}T{bare[2]}Z if it is UTC, else with the offset "
            f"of its zone on that day ({bare[1]}T{bare[2]}+01:00 for Zurich in winter)"
        )
    if loose := _LOOSE_DAY.fullmatch(text):
        try:
            return f"; for this one, write {dt.date(int(loose[1]), int(loose[3]), int(loose[4])).isoformat()}"
        except ValueError:  # 2026/02/30: no day to name
            return ""
    return ""
