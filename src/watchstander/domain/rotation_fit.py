"""Shifts from a calendar, as a rotation. Pure: every instant and the time zone come in.

:func:`flatten` turns overlapping shifts into one person at a time (the shift that began
last covers, as an override covers a rotation). :func:`fit` finds the rotation that a list of
shifts follows most (the handoff time most shifts start at, the shift length most of them
last, the people in the order they take their turns) and the overrides that make it say
exactly what the shifts say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TypeVar
from zoneinfo import ZoneInfo

from watchstander.domain.rotation import Override, Rotation, timeline

DAY = timedelta(days=1)
T = TypeVar("T")
MAX_PEOPLE = 12  # the longest cycle looked for


def flatten(shifts: Sequence[Override]) -> list[Override]:
    """One person at a time: where shifts overlap, the one that began last (then the shorter,
    then the later in the list) covers. Gaps stay gaps; adjacent equal people merge."""
    edges = sorted({s.start for s in shifts} | {s.end for s in shifts})
    out: list[Override] = []
    for start, end in pairwise(edges):
        covering = [(s.start, -(s.end - s.start), i, s) for i, s in enumerate(shifts)]
        covering = [c for c in covering if c[3].start <= start and c[3].end >= end]
        if not covering:
            continue
        person = max(covering, key=lambda c: c[:3])[3].person
        if out and out[-1].person == person and out[-1].end == start:
            out[-1] = Override(person, out[-1].start, end)
        else:
            out.append(Override(person, start, end))
    return out


def at(segments: Sequence[Override], when: datetime) -> Override | None:
    """The flattened segment that covers ``when``."""
    return next((s for s in segments if s.start <= when < s.end), None)


def fit(
    segments: Sequence[Override], timezone: str, now: datetime
) -> tuple[Rotation, list[Override]]:
    """The rotation the flattened ``segments`` follow most, and the overrides (from ``now``
    on) that make it match them; a gap in the segments is left to the rotation."""
    if not segments:
        raise ValueError("no shifts to fit")
    tz = ZoneInfo(timezone)
    local = [(s, s.start.astimezone(tz), s.end.astimezone(tz)) for s in segments]
    handoff = _most([start.time().replace(second=0, microsecond=0) for _, start, _ in local])
    lengths = [_days(start, end) for _, start, end in local if start.time() == handoff]
    length = _most([days for days in lengths if days >= 1] or [1])
    regular = [
        (s, start)
        for s, start, end in local
        if start.time() == handoff and _days(start, end) == length
    ]
    weekday = _most([start.weekday() for _, start in regular]) if length % 7 == 0 else None
    first = regular[0][1] if regular else None
    turns = (
        [(round((start - first) / (length * DAY)), s.person) for s, start in regular]
        if first is not None
        else list(enumerate(s.person for s in segments))
    )
    later = [start for s, start in regular if s.start > now]
    anchor = later[0] - timedelta(seconds=1) if later else now
    best: tuple[Rotation, list[Override]] | None = None
    for people in _orders(turns):
        for k in range(len(people)):
            turned = people[k:] + people[:k]
            rotation = Rotation(tuple(turned), anchor, length, weekday, handoff, timezone)
            overrides = difference(rotation, segments, now)
            if best is None or len(overrides) < len(best[1]):
                best = (rotation, overrides)
    assert best is not None
    return best


def difference(rotation: Rotation, segments: Sequence[Override], now: datetime) -> list[Override]:
    """Overrides, from ``now`` on, wherever ``segments`` name someone the rotation does not."""
    out: list[Override] = []
    for seg in segments:
        if seg.end <= now:
            continue
        for shift in timeline(rotation, [], max(seg.start, now), seg.end):
            if shift.person == seg.person:
                continue
            if out and out[-1].person == seg.person and out[-1].end == shift.start:
                out[-1] = Override(seg.person, out[-1].start, shift.end)
            else:
                out.append(Override(seg.person, shift.start, shift.end))
    return out


def _orders(turns: Sequence[tuple[int, str]], longest: int = MAX_PEOPLE) -> list[list[str]]:
    """Candidate orders of people from the turns (shift number, person): for each cycle
    length p, the person most often at each of its p places (a turn given away or left
    empty now and then does not change the cycle), and the order in which people first
    take a turn."""
    seen = list(dict.fromkeys(person for _, person in turns))
    out = [seen[:longest]]
    for p in range(1, min(len(seen), longest) + 1):
        places = [[person for k, person in turns if k % p == j] for j in range(p)]
        if not all(places):
            continue
        people = [_most(place) for place in places]
        if len(set(people)) == p and people not in out:
            out.append(people)
    return out


def _days(start: datetime, end: datetime) -> int:
    """Whole local days from ``start`` to ``end`` (a DST change does not make 6 of 7)."""
    if end.time() == start.time():
        return (end.date() - start.date()).days
    return round((end - start) / DAY)


def _most(values: Sequence[T]) -> T:
    """The most frequent value (ties: the one seen first)."""
    counts = Counter(values)
    top = max(counts.values())
    return next(v for v in values if counts[v] == top)
