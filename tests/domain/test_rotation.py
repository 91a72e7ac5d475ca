"""The rotation: who is on call at any instant, handoffs in local time, overrides, swaps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchstander.domain.rotation import (
    Override,
    Rotation,
    RotationError,
    on_call,
    parse_handoff,
    person_at,
    swap,
    timeline,
)

AMS = "Europe/Amsterdam"
# Tuesday 2026-11-24 09:00 UTC = 10:00 in Amsterdam.
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def weekly(people: tuple[str, ...] = ("A", "B", "C"), start: datetime = NOW) -> Rotation:
    return Rotation(people, start, 7, 0, time(10, 0), AMS)


def test_first_shift_runs_to_the_next_handoff() -> None:
    rotation = weekly()
    now = on_call(rotation, [], NOW)
    assert now.primary == "A"
    assert now.secondary == "B"
    assert now.next_person == "B"
    assert now.until == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 10:00 local
    assert person_at(rotation, [], now.until) == "B"
    assert person_at(rotation, [], now.until + timedelta(days=7)) == "C"
    assert person_at(rotation, [], now.until + timedelta(days=14)) == "A"


def test_override_wins_and_ends() -> None:
    rotation = weekly()
    cover = Override("Z", NOW + timedelta(hours=1), NOW + timedelta(hours=3))
    assert person_at(rotation, [cover], NOW + timedelta(hours=2)) == "Z"
    during = on_call(rotation, [cover], NOW + timedelta(hours=2))
    assert during.overridden
    assert during.until == cover.end
    assert during.next_person == "A"
    before = on_call(rotation, [cover], NOW)
    assert before.until == cover.start
    assert before.next_person == "Z"


def test_swap_exchanges_next_shifts() -> None:
    rotation = weekly()
    overrides = swap(rotation, "B", "C", NOW)
    handoff = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert person_at(rotation, overrides, handoff) == "C"
    assert person_at(rotation, overrides, handoff + timedelta(days=7)) == "B"
    assert person_at(rotation, overrides, handoff + timedelta(days=14)) == "A"
    with pytest.raises(RotationError, match="no shift"):
        swap(rotation, "B", "nobody", NOW)


def test_handoff_keeps_local_time_across_daylight_saving() -> None:
    # Amsterdam leaves summer time on Sunday 2026-10-25.
    rotation = Rotation(
        ("A", "B"), datetime(2026, 10, 20, 8, 0, tzinfo=UTC), 1, None, time(10, 0), AMS
    )
    before, after = rotation.handoff(4), rotation.handoff(6)
    assert before.astimezone(ZoneInfo(AMS)).time() == time(10, 0)
    assert after.astimezone(ZoneInfo(AMS)).time() == time(10, 0)
    assert before.astimezone(UTC).hour == 8
    assert after.astimezone(UTC).hour == 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [("mon 10:00", (0, time(10))), ("Friday 16:30", (4, time(16, 30))), ("09:00", (None, time(9)))],
)
def test_parse_handoff(text: str, expected: tuple[int | None, time]) -> None:
    assert parse_handoff(text) == expected


@pytest.mark.parametrize("text", ["monday", "25:00", "mon", "10", ""])
def test_bad_handoffs_say_how(text: str) -> None:
    with pytest.raises(RotationError, match="mon 10:00"):
        parse_handoff(text)


ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    people = tuple(draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=5, unique=True)))
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 365 * 24 * 60))
    )
    length = draw(st.sampled_from([1, 7, 14]))
    weekday = draw(st.one_of(st.none(), st.integers(0, 6))) if length % 7 == 0 else None
    hour = draw(st.sampled_from([0, 6, 9, 10, 17, 23]))  # never inside a DST gap
    return Rotation(people, start, length, weekday, time(hour, 30), draw(st.sampled_from(ZONES)))


@st.composite
def overrides(draw: st.DrawFn, rotation: Rotation) -> list[Override]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        begin = rotation.start + timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
        out.append(
            Override(
                draw(st.sampled_from("XYZ")),
                begin,
                begin + timedelta(minutes=draw(st.integers(1, 10 * 24 * 60))),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_exactly_one_person_at_any_instant(data: st.DataObject) -> None:
    rotation = data.draw(rotations())
    extra = data.draw(overrides(rotation))
    end = rotation.start + timedelta(days=70)
    segments = timeline(rotation, extra, rotation.start, end)
    # contiguous, no gaps, no overlaps, each segment one person
    assert segments[0].start == rotation.start
    assert segments[-1].end == end
    for left, right in itertools.pairwise(segments):
        assert left.end == right.start
        assert left.start < left.end
    # any instant: the segment's person is who is on call, and on_call agrees
    for offset in data.draw(st.lists(st.integers(0, 70 * 24 * 60 - 1), min_size=1, max_size=8)):
        at = rotation.start + timedelta(minutes=offset)
        (segment,) = [s for s in segments if s.start <= at < s.end]
        assert (
            person_at(rotation, extra, at) == segment.person == on_call(rotation, extra, at).primary
        )
    # handoffs line up with overrides: every override edge inside the range is a boundary
    boundaries = {s.start for s in segments} | {end}
    for o in extra:
        for edge in (o.start, o.end):
            if rotation.start < edge < end and person_at(rotation, extra, edge) != person_at(
                rotation, extra, edge - timedelta(microseconds=1)
            ):
                assert edge in boundaries


@settings(max_examples=150, deadline=None)
@given(rotation=rotations(), k=st.integers(1, 120))
def test_daylight_saving_shifts_no_handoff(rotation: Rotation, k: int) -> None:
    local = rotation.handoff(k).astimezone(rotation.tz)
    assert local.time() == rotation.handoff_time
    gap = rotation.handoff(k + 1).astimezone(rotation.tz).date() - local.date()
    assert gap == timedelta(days=rotation.length_days)
    if rotation.handoff_weekday is not None:
        assert local.weekday() == rotation.handoff_weekday
    assert rotation.handoff(1) > rotation.start
