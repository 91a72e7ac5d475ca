"""A rotation fitted to the shifts of the three exports: the people in order, the length,
the handoff time across a DST change, and overrides that make it say what the feed says."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from ical_helpers import fixture

from watchstander.adapters.calendar_feed import parse
from watchstander.domain.rotation import Override, timeline
from watchstander.domain.rotation_fit import at, fit, flatten

H = timedelta(hours=1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def who(summary: str) -> str:
    for prefix in ("On Call - ", "[L1] ", "[L0] "):
        summary = summary.replace(prefix, "")
    return summary.split(" - ")[0]


CASES = [
    # file, now, time zone, people, days, weekday, handoff, overrides (person, local start)
    (
        "grafana_oncall.ics",
        datetime(2026, 3, 24, 9, 0, tzinfo=UTC),
        "Europe/Berlin",
        ("alice", "bob", "carol"),
        7,
        0,
        time(10, 0),
        [("dave", "2026-04-06 10:00"), ("erin", "2026-04-20 10:00")],
    ),
    (
        "opsgenie.ics",
        datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
        "Europe/Amsterdam",
        ("Alice Jansen", "Bob de Vries"),
        1,
        None,
        time(0, 0),
        [("Carol Okafor", "2026-03-12 00:00"), ("Carol Okafor", "2026-03-15 17:00")],
    ),
    (
        "pagerduty.ics",
        datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
        "America/New_York",
        ("Bob de Vries", "Carol Okafor", "Alice Jansen"),
        7,
        2,
        time(9, 0),
        [("Bob de Vries", "2026-03-19 18:00")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_exports_fit_a_rotation_and_overrides(case: tuple) -> None:  # type: ignore[type-arg]
    name, now, zone, people, days, weekday, handoff, expected = case
    tz = ZoneInfo(zone)
    events = parse(fixture(name), now, now + timedelta(weeks=12), tz)
    segments = flatten([Override(who(e.summary), e.start, e.end) for e in events])
    rotation, overrides = fit(segments, zone, now)
    assert rotation.people == people
    assert (rotation.length_days, rotation.handoff_weekday, rotation.handoff_time) == (
        days,
        weekday,
        handoff,
    )
    assert [(o.person, f"{o.start.astimezone(tz):%Y-%m-%d %H:%M}") for o in overrides] == expected
    for shift in timeline(rotation, overrides, now, segments[-1].end):  # exactly the feed
        covering = at(segments, shift.start)
        assert covering is not None
        assert covering.person == shift.person


def test_flatten_the_later_start_covers_and_gaps_stay() -> None:
    shifts = [
        Override("a", T0, T0 + 10 * H),
        Override("b", T0 + 2 * H, T0 + 4 * H),  # inside a's: covers it
        Override("a", T0 + 10 * H, T0 + 12 * H),  # adjacent: merged
        Override("c", T0 + 20 * H, T0 + 22 * H),  # after a gap
    ]
    assert flatten(shifts) == [
        Override("a", T0, T0 + 2 * H),
        Override("b", T0 + 2 * H, T0 + 4 * H),
        Override("a", T0 + 4 * H, T0 + 12 * H),
        Override("c", T0 + 20 * H, T0 + 22 * H),
    ]


def test_follow_the_sun_half_days_are_a_daily_rotation_with_overrides() -> None:
    shifts = [
        Override(p, T0 + k * 12 * H, T0 + (k + 1) * 12 * H) for k, p in enumerate(["a", "b"] * 10)
    ]
    rotation, overrides = fit(flatten(shifts), "UTC", T0)
    assert rotation.length_days == 1
    assert set(rotation.people) <= {"a", "b"}
    segments = flatten(shifts)
    for shift in timeline(rotation, overrides, T0, segments[-1].end):
        assert at(segments, shift.start).person == shift.person  # type: ignore[union-attr]


def test_nothing_to_fit() -> None:
    with pytest.raises(ValueError, match="no shifts"):
        fit([], "UTC", T0)
