"""Weeks in TIMEZONE, `!stats` arguments, local hours and durations (pure)."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from watchstander.domain.figures import (
    FiguresError,
    busiest,
    duration,
    local_hours,
    parse_week,
    week_of,
    weeks_up_to,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("", date(2026, 11, 16)),
        ("last", date(2026, 11, 16)),
        ("this", date(2026, 11, 23)),
        ("-3", date(2026, 11, 2)),
        ("2026-W47", date(2026, 11, 16)),
        ("2026w01", date(2025, 12, 29)),
        ("2026-10-25", date(2026, 10, 19)),
    ],
)
def test_stats_weeks(text: str, monday: date) -> None:
    assert parse_week(text, NOW, AMS).monday == monday


@pytest.mark.parametrize("text", ["yesterday", "2026-W60", "2026-13-01", "-", "x" * 500])
def test_a_wrong_week_is_one_line(text: str) -> None:
    with pytest.raises(FiguresError, match="is not a week: try") as error:
        parse_week(text, NOW, AMS)
    assert "\n" not in str(error.value)
    assert len(str(error.value)) < 200


def test_weeks_are_local_and_follow_the_clock_changes() -> None:
    summer_end = week_of(date(2026, 10, 21), AMS)
    assert summer_end.start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert summer_end.end - summer_end.start == timedelta(hours=169)
    spring = week_of(date(2026, 3, 29), AMS)  # a Sunday: its week began on the 23rd
    assert spring.monday == date(2026, 3, 23)
    assert spring.end - spring.start == timedelta(hours=167)
    trend = weeks_up_to(week_of(date(2026, 11, 16), AMS), AMS)
    assert len(trend) == 12
    assert trend[0].monday == date(2026, 8, 31)
    assert all(a.end == b.start for a, b in itertools.pairwise(trend))
    assert "2026-W47" in trend[-1].label


def bucket(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A time bucket as the database gives it to ``local_hours``: a naive time (UTC on
    SQLite, already local on PostgreSQL), made from an aware one on purpose."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


def test_quarter_hours_fall_in_local_hours_even_half_an_hour_off() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30
    buckets = [(bucket(2026, 11, 24, 3, 15), 2), (bucket(2026, 11, 24, 3, 30), 5)]
    hours = local_hours(buckets, kolkata, already_local=False)
    assert hours == {(date(2026, 11, 24), 8): 2, (date(2026, 11, 24), 9): 5}
    local = local_hours([(bucket(2026, 11, 24, 9, 0), 4)], kolkata, already_local=True)
    assert local == {(date(2026, 11, 24), 9): 4}
    week = week_of(date(2026, 11, 24), kolkata)
    assert busiest({**hours, (date(2026, 12, 9), 1): 50}, week) == ((9, 5), (8, 2))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.4, "0s"),
        (59, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3900, "1h 05m"),
        (90000, "1d 1h"),
    ],
)
def test_durations_read_like_people_write_them(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text
