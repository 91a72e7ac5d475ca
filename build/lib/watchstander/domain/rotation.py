"""Who is on call at an instant: a rotation of people, handoffs at a local wall-clock time,
and overrides on top. Pure: the time zone and every instant come in as arguments.

Shifts are whole days long (a day, a week, two weeks) and hand off at the same local time
(``mon 10:00``), so a daylight-saving change moves no handoff on the clock people read. The
first shift starts when the rotation is set and runs to the first handoff after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RotationError(ValueError):
    """A rotation or override that cannot be; the message says how to write one."""


@dataclass(frozen=True)
class Override:
    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Shift:
    person: str
    start: datetime
    end: datetime
    index: int  # the rotation shift it belongs to (-1: an override)


@dataclass(frozen=True)
class Rotation:
    people: tuple[str, ...]
    start: datetime  # when the first person's shift began
    length_days: int
    handoff_weekday: int | None  # 0 = Monday; None: any day (daily, or lengths not of weeks)
    handoff_time: time
    timezone: str

    def __post_init__(self) -> None:
        if not self.people:
            raise RotationError("a rotation needs at least one person")
        if self.length_days < 1:
            raise RotationError("a shift lasts at least a day: write every 1d, 1w or 2w")

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def handoff(self, k: int) -> datetime:
        """The k-th handoff (k >= 1): the end of shift k-1, the start of shift k."""
        first = self._first_handoff_date()
        day = first + timedelta(days=(k - 1) * self.length_days)
        return _at_local(day, self.handoff_time, self.tz)

    def shift_at(self, at: datetime) -> Shift:
        """The rotation's shift (overrides aside) that holds ``at``."""
        if at < self.start:
            return Shift(self.people[0], self.start, self.handoff(1), 0)
        first = self.handoff(1)
        if at < first:
            return Shift(self.people[0], self.start, first, 0)
        local_day = at.astimezone(self.tz).date()
        k = max(1, (local_day - self._first_handoff_date()).days // self.length_days + 1)
        while self.handoff(k) > at:  # a handoff later in that day than ``at``
            k -= 1
        while self.handoff(k + 1) <= at:
            k += 1
        person = self.people[k % len(self.people)]
        return Shift(person, self.handoff(k), self.handoff(k + 1), k)

    def shifts(self, start: datetime, end: datetime) -> Iterator[Shift]:
        shift = self.shift_at(start)
        while shift.start < end:
            yield shift
            shift = self.shift_at(shift.end)

    def _first_handoff_date(self) -> date:
        local = self.start.astimezone(self.tz)
        day = local.date()
        if self.handoff_weekday is not None:
            day += timedelta(days=(self.handoff_weekday - day.weekday()) % 7)
        if _at_local(day, self.handoff_time, self.tz) <= self.start:
            day += timedelta(days=7 if self.handoff_weekday is not None else 1)
        return day


@dataclass(frozen=True)
class OnCallNow:
    primary: str
    until: datetime
    secondary: str | None
    next_person: str
    overridden: bool


def on_call(rotation: Rotation, overrides: Sequence[Override], at: datetime) -> OnCallNow:
    """Exactly one person at ``at``: the latest override that covers it, else the rotation."""
    shift = rotation.shift_at(at)
    covering = [o for o in overrides if o.start <= at < o.end]
    primary = covering[-1].person if covering else shift.person
    until = _next_boundary(rotation, overrides, at)
    n = len(rotation.people)
    secondary = rotation.people[(max(shift.index, 0) + 1) % n] if n > 1 else None
    if secondary == primary:
        secondary = shift.person if shift.person != primary else None
    return OnCallNow(
        primary=primary,
        until=until,
        secondary=secondary,
        next_person=person_at(rotation, overrides, until),
        overridden=bool(covering),
    )


def person_at(rotation: Rotation, overrides: Sequence[Override], at: datetime) -> str:
    covering = [o for o in overrides if o.start <= at < o.end]
    return covering[-1].person if covering else rotation.shift_at(at).person


def timeline(
    rotation: Rotation, overrides: Sequence[Override], start: datetime, end: datetime
) -> list[Shift]:
    """Who is on call from ``start`` to ``end``, as consecutive segments (overrides applied)."""
    out: list[Shift] = []
    at = start
    while at < end:
        until = min(_next_boundary(rotation, overrides, at), end)
        person = person_at(rotation, overrides, at)
        index = -1 if any(o.start <= at < o.end for o in overrides) else rotation.shift_at(at).index
        if out and out[-1].person == person and out[-1].index == index:
            out[-1] = Shift(person, out[-1].start, until, index)
        else:
            out.append(Shift(person, at, until, index))
        at = until
    return out


def swap(rotation: Rotation, a: str, b: str, now: datetime) -> list[Override]:
    """Overrides that give ``a``'s next shift to ``b`` and ``b``'s next shift to ``a``."""
    if a == b:
        raise RotationError("swap needs two different people")
    found: dict[str, Shift] = {}
    horizon = now + timedelta(days=rotation.length_days * (len(rotation.people) + 1))
    for shift in rotation.shifts(now, horizon):
        if shift.person in (a, b) and shift.person not in found and shift.end > now:
            found[shift.person] = shift
    for person in (a, b):
        if person not in found:
            raise RotationError(f"<@{person}> has no shift in the rotation to swap")
    first, second = found[a], found[b]
    return [
        Override(b, max(first.start, now), first.end),
        Override(a, max(second.start, now), second.end),
    ]


def _next_boundary(rotation: Rotation, overrides: Sequence[Override], at: datetime) -> datetime:
    candidates = [rotation.shift_at(at).end]
    candidates += [o.start for o in overrides if o.start > at]
    candidates += [o.end for o in overrides if o.start <= at < o.end]
    return min(candidates)


def _at_local(day: date, clock: time, tz: tzinfo) -> datetime:
    """A local wall-clock time as an aware instant (a time skipped by DST moves forward)."""
    naive = datetime.combine(day, clock)
    local = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a non-existent local time (spring forward) becomes a real one.
    return local.astimezone(ZoneInfo("UTC")).astimezone(tz)


_HANDOFF = re.compile(r"^(?:(mon|tue|wed|thu|fri|sat|sun)\w*\s+)?(\d{1,2}):(\d{2})$", re.I)


def parse_handoff(text: str) -> tuple[int | None, time]:
    """``mon 10:00`` -> (0, 10:00); ``09:30`` -> (None, 09:30)."""
    match = _HANDOFF.match((text or "").strip())
    if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise RotationError(f"'{text[:30]}' is not a handoff: write it like mon 10:00 or 09:00")
    weekday = WEEKDAYS.index(match.group(1).lower()[:3]) if match.group(1) else None
    return weekday, time(int(match.group(2)), int(match.group(3)))
