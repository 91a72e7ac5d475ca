from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from watchstander.domain.durations import (
    DurationError,
    format_duration,
    parse_commitment,
    parse_duration,
    parse_when,
)

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("45 minutes", timedelta(minutes=45)),
        ("2 hours", timedelta(hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "30", "-5m", "0m", "1x", "m30"])
def test_bad_durations_say_how(text: str) -> None:
    with pytest.raises(DurationError, match="45m"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("45m", "1h30m", "2d", "90s"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


@pytest.mark.parametrize(
    ("reply", "minutes"),
    [
        ("need 30 minutes", 30),
        ("Need 30 min to dig in", 30),
        ("45m", 45),
        ("1h", 60),
        ("give me an hour", 60),
        ("looking, back in 20m", 20),
        ("in 2 hours", 120),
        ("need another half an hour", 30),
    ],
)
def test_commitments(reply: str, minutes: int) -> None:
    assert parse_commitment(reply, NOW, UTC) == NOW + timedelta(minutes=minutes)


def test_by_a_time_in_the_team_time_zone() -> None:
    # 14:00 UTC is 15:00 in Amsterdam; "by 15:30" is half an hour away.
    assert parse_commitment("on it, by 15:30", NOW, AMS) == NOW + timedelta(minutes=30)
    assert parse_commitment("eta 4pm", NOW, AMS) == NOW + timedelta(hours=1)


def test_a_time_already_past_means_tomorrow() -> None:
    assert parse_when("09:00", NOW, UTC) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_by_a_time_across_a_daylight_saving_change() -> None:
    # Amsterdam leaves summer time on 2026-10-25 at 03:00 local.
    before = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 22:00 local, CEST
    moment = parse_when("09:00", before, AMS)
    assert moment == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # 09:00 CET


@pytest.mark.parametrize(
    "reply",
    [
        "the report from 2h ago is wrong",
        "it has been down for 2 hours",
        "we have 30 customers affected",
        "by 2 people",
        "",
        "x" * 50_000,
    ],
)
def test_not_commitments(reply: str) -> None:
    assert parse_commitment(reply, NOW, UTC) is None


def test_too_far_is_refused() -> None:
    with pytest.raises(DurationError, match="7 days"):
        parse_when("30d", NOW, UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 10:00", ("mon", 10, 0)),
        ("mon-fri 09:00", ("mon-fri", 9, 0)),
        ("Mon, Thu 16:30", ("mon,thu", 16, 30)),
        ("daily 08:15", ("*", 8, 15)),
    ],
)
def test_schedules(text: str, expected: tuple[str, int, int]) -> None:
    from watchstander.domain.durations import parse_schedule

    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["monday", "10:00", "mon 25:00", "someday 10:00", ""])
def test_bad_schedules_say_how(text: str) -> None:
    from watchstander.domain.durations import parse_schedule

    with pytest.raises(DurationError, match="mon-fri 09:00"):
        parse_schedule(text)
