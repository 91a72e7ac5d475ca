"""The daily digest and the weekly figures: weeks in TIMEZONE, what the numbers mean, and how
they read. Pure: the database counts and ranks (see the store), this module names weeks, puts
counts in local hours and turns seconds into words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

LEVELS = ("general", "urgent", "emergency")
METRICS = ("first_response", "claim", "resolve")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TREND_WEEKS = 12
BUSIEST = 3


class FiguresError(ValueError):
    """A week that cannot be read: one line, said to the person who asked."""


@dataclass(frozen=True)
class Week:
    """A calendar week in TIMEZONE: Monday 00:00 to the next Monday 00:00, as UTC instants
    (a week with a daylight-saving change is 167 or 169 hours long)."""

    monday: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        year, number, _ = self.monday.isocalendar()
        sunday = self.monday + timedelta(days=6)
        return f"{year}-W{number:02d} ({self.monday:%a %d %b} to {sunday:%a %d %b})"

    @property
    def short(self) -> str:
        return f"{self.monday:%d %b}"


def week_of(day: date, tz: tzinfo) -> Week:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz).astimezone(UTC)
    return Week(monday, start, end)


def weeks_up_to(week: Week, tz: tzinfo, count: int = TREND_WEEKS) -> list[Week]:
    """The ``count`` weeks that end with ``week``, oldest first."""
    return [week_of(week.monday - timedelta(weeks=n), tz) for n in range(count - 1, -1, -1)]


_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


def parse_week(text: str, now: datetime, tz: tzinfo) -> Week:
    """``!stats [week]``: nothing or ``last`` (the last whole week), ``this``, a date in the
    week (``2026-11-16``), an ISO week (``2026-W47``), or ``-N`` (N weeks before this one)."""
    word = text.strip().lower()
    today = now.astimezone(tz).date()
    if word in ("", "last"):
        return week_of(today - timedelta(days=7), tz)
    if word == "this":
        return week_of(today, tz)
    if re.fullmatch(r"-\d{1,3}", word):
        return week_of(today - timedelta(weeks=int(word[1:])), tz)
    iso = _ISO_WEEK.fullmatch(word)
    try:
        if iso:
            return week_of(date.fromisocalendar(int(iso[1]), int(iso[2]), 1), tz)
        return week_of(date.fromisoformat(word), tz)
    except ValueError:
        raise FiguresError(
            f"'{text.strip()[:40]}' is not a week: try `last`, `this`, `-2`, `2026-W47` or "
            "a date like `2026-11-16`"
        ) from None


@dataclass(frozen=True)
class Spread:
    """How long something took over a week's threads: how many, median and p90, seconds."""

    n: int = 0
    p50: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class LevelFigures:
    level: str
    threads: int = 0
    answered: int = 0  # with a first response
    in_target: int = 0  # first response within the level's target
    spreads: Mapping[str, Spread] = field(default_factory=dict)
    pending: int = 0  # open, unanswered, not yet at the target: neither in nor out of it

    def spread(self, metric: str) -> Spread:
        return self.spreads.get(metric, Spread())

    @property
    def judged(self) -> int:
        """Threads whose target moment has passed, or that were answered (or closed)."""
        return self.threads - self.pending

    @property
    def out_of_target(self) -> int:
        return self.judged - self.in_target

    @property
    def share_in_target(self) -> float | None:
        """In target, of the threads that can be judged: None when there are none yet."""
        return None if not self.judged else self.in_target / self.judged


@dataclass(frozen=True)
class WeeklyFigures:
    week: Week
    levels: tuple[LevelFigures, ...]
    trend: tuple[tuple[Week, Mapping[str, int]], ...]  # the last TREND_WEEKS, oldest first
    heatmap: tuple[tuple[int, ...], ...]  # 7 days (Monday first) x 24 local hours of the week
    busiest: tuple[tuple[int, int], ...]  # (local hour, threads) of the week, busiest first
    open_threads: int = 0  # of the week's threads, still open
    # questions answered by the bot's suggestions, by source: "thread" (a thread resolved by
    # "This answered it"), "form" (the help form stopped at "This answers it": no thread)
    self_served: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(level.threads for level in self.levels)

    @property
    def served(self) -> int:
        return sum(self.self_served.values())

    @property
    def questions(self) -> int:
        """Every question asked: the week's threads, and those the form answered before
        any thread was posted."""
        return self.total + self.self_served.get("form", 0)

    @property
    def deflection(self) -> float | None:
        """The share of the questions that earlier answers settled without anyone's help
        (the seeds' deflection figure); None with no questions."""
        return self.served / self.questions if self.questions else None


def local_hours(
    buckets: Iterable[tuple[datetime, int]], tz: tzinfo, *, already_local: bool
) -> dict[tuple[date, int], int]:
    """Counts per (local date, local hour) from the database's time buckets: local hours
    already (PostgreSQL, ``AT TIME ZONE``), or UTC quarter hours, which fall in exactly one
    local hour in every time zone (SQLite)."""
    out: dict[tuple[date, int], int] = {}
    for start, count in buckets:
        local = start if already_local else start.replace(tzinfo=UTC).astimezone(tz)
        key = (local.date(), local.hour)
        out[key] = out.get(key, 0) + count
    return out


def heatmap(hours: Mapping[tuple[date, int], int]) -> tuple[tuple[int, ...], ...]:
    grid = [[0] * 24 for _ in range(7)]
    for (day, hour), count in hours.items():
        grid[day.weekday()][hour] += count
    return tuple(tuple(row) for row in grid)


def busiest(
    hours: Mapping[tuple[date, int], int], week: Week, limit: int = BUSIEST
) -> tuple[tuple[int, int], ...]:
    """The week's busiest local hours of the day: (hour, threads), most first."""
    per_hour = [0] * 24
    last = week.monday + timedelta(days=6)
    for (day, hour), count in hours.items():
        if week.monday <= day <= last:
            per_hour[hour] += count
    ranked = sorted((h for h in range(24) if per_hour[h]), key=lambda h: (-per_hour[h], h))
    return tuple((h, per_hour[h]) for h in ranked[:limit])


def duration(seconds: float | None) -> str:
    """45s, 12m, 1h 05m, 2d 3h; an em dash for no value."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


# The daily digest


@dataclass(frozen=True)
class OpenThread:
    link: str
    level: str
    posted_at: datetime
    assignee: str | None
    late: bool  # no first response within the level's target
    words: str = ""  # the first words of its post: how the digest names it


@dataclass(frozen=True)
class Digest:
    now: datetime
    on_call: str | None
    next_on_call: str | None
    next_at: datetime | None
    open: tuple[OpenThread, ...]  # urgent and emergency, oldest first (the first few)
    open_count: int
    unclaimed_count: int
    late_count: int
    unanswered: tuple[OpenThread, ...]  # general questions past their target (the first few)
    unanswered_count: int
    self_served: int = 0  # questions self-served in the last seven days
    # work a gone process left half-done, taken over since the last digest, by what it was
    # (issue, page, digest, review); and issues and pages in flight now
    taken_over: Mapping[str, int] = field(default_factory=dict)
    in_flight: Mapping[str, int] = field(default_factory=dict)

    @property
    def quiet(self) -> bool:
        return not self.open_count and not self.unanswered_count


def age(thread: OpenThread, now: datetime) -> str:
    return duration((now - thread.posted_at).total_seconds())


def digest_lines(threads: Sequence[OpenThread], now: datetime) -> list[dict[str, str]]:
    """What the template shows of each thread."""
    return [
        {
            "link": t.link,
            "level": t.level,
            "age": age(t, now),
            "assignee": t.assignee or "",
            "late": "yes" if t.late else "",
            "words": t.words,
        }
        for t in threads
    ]
