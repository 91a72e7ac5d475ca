"""Calendar feeds read over HTTP from a local server: the three exports' forms (recurring
events, exceptions, time zones across a DST change, all-day shifts, attendees), and what
goes wrong (an error status, a time-out, a huge feed, not iCalendar), each one line that
never shows the feed's secret address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ical_helpers import SECRET, FeedServer, fixture

from watchstander.adapters.calendar_feed import CalendarFeed, FeedError, feed_address, parse

BERLIN, AMSTERDAM, NEW_YORK = (
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Europe/Amsterdam"),
    ZoneInfo("America/New_York"),
)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    running = FeedServer().start()
    yield running
    running.stop()


def read(server: FeedServer, since: datetime, weeks: int, tz: ZoneInfo, **kw: object) -> list:  # type: ignore[type-arg]
    feed = CalendarFeed(server.feed, timeout=2.0, **kw)  # type: ignore[arg-type]
    try:
        return feed.events(since, since + timedelta(weeks=weeks), tz)
    finally:
        feed.close()


def test_grafana_oncall_weekly_rotation_with_exceptions_across_dst(server: FeedServer) -> None:
    server.body = fixture("grafana_oncall.ics")
    now = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
    events = read(server, now, 6, BERLIN)
    who = [(e.summary, e.start.astimezone(UTC)) for e in events]
    assert who == [
        ("[L1] alice", datetime(2026, 3, 23, 9, 0, tzinfo=UTC)),  # 10:00 CET
        ("[L1] bob", datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),  # 10:00 CEST: DST on the 29th
        ("[L0] dave", datetime(2026, 4, 6, 8, 0, tzinfo=UTC)),  # carol's week: EXDATE, override
        ("[L1] alice", datetime(2026, 4, 13, 8, 0, tzinfo=UTC)),
        ("[L1] erin", datetime(2026, 4, 20, 8, 0, tzinfo=UTC)),  # bob's: RECURRENCE-ID
        ("[L1] carol", datetime(2026, 4, 27, 8, 0, tzinfo=UTC)),
        ("[L1] alice", datetime(2026, 5, 4, 8, 0, tzinfo=UTC)),
    ]
    assert events[0].end - events[0].start == timedelta(days=7) - timedelta(hours=1)


def test_opsgenie_all_day_shifts_and_attendees(server: FeedServer) -> None:
    server.body = fixture("opsgenie.ics")
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    events = read(server, now, 1, AMSTERDAM)
    first = events[0]
    assert (first.summary, first.emails, first.names) == (
        "Bob de Vries - Ops_schedule - Daily rotation",
        ("bob.de.vries@example.com",),
        ("Bob de Vries",),
    )
    assert first.start == datetime(2026, 3, 11, 0, 0, tzinfo=AMSTERDAM)  # VALUE=DATE, local
    assert first.end - first.start == timedelta(days=1)
    carol = [e for e in events if e.summary.startswith("Carol")]
    assert [e.start.astimezone(UTC) for e in carol] == [
        datetime(2026, 3, 11, 23, 0, tzinfo=UTC),  # all day on the 12th (alice's EXDATE)
        datetime(2026, 3, 15, 16, 0, tzinfo=UTC),  # 09:00 in Los Angeles (TZID)
    ]
    assert carol[0].names == ("Carol Okafor",)


def test_pagerduty_expanded_shifts_in_utc(server: FeedServer) -> None:
    server.body = fixture("pagerduty.ics")
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    events = read(server, now, 3, NEW_YORK)
    assert [e.emails[0].split("@")[0] for e in events] == [
        "bob.de.vries",
        "carol.okafor",
        "alice.jansen",
        "bob.de.vries",  # the 4-hour override
        "alice.jansen",
        "bob.de.vries",
    ]
    weekly = [e for e in events if e.end - e.start > timedelta(days=6)]
    assert {e.start.astimezone(NEW_YORK).hour for e in weekly} == {9}  # 14:00Z, then 13:00Z


@pytest.mark.parametrize("status", [500, 404, 403])
def test_an_error_status_is_one_line_without_the_address(
    server: FeedServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    server.body, server.status = fixture("pagerduty.ics"), status
    with pytest.raises(FeedError) as failed:
        read(server, datetime(2026, 3, 5, tzinfo=UTC), 1, NEW_YORK)
    assert str(failed.value) == f"the calendar feed at 127.0.0.1 answered {status}"
    assert SECRET not in str(failed.value)
    assert "HTTP Request" in caplog.text  # the client's own line names the host alone
    assert SECRET not in caplog.text


def test_a_feed_that_does_not_answer_in_time(server: FeedServer) -> None:
    server.hung = True
    feed = CalendarFeed(server.feed, timeout=0.2)
    with pytest.raises(FeedError, match=r"^the calendar feed at 127\.0\.0\.1 did not answer in"):
        feed.fetch()
    feed.close()


@pytest.mark.parametrize("declare", [True, False])
def test_a_huge_feed_is_refused(server: FeedServer, declare: bool) -> None:
    server.body = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"x" * 200_000 + b"\r\nEND:VCALENDAR\r\n"
    server.declare = declare
    feed = CalendarFeed(server.feed, limit=100_000)
    with pytest.raises(FeedError, match="is too large"):
        feed.fetch()
    feed.close()


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Sign in</body></html>",
        b"",
        b'{"schedule": []}',
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:cut short",
        b"BEGIN:VCALENDAR\r\n\x00\xff\xfe:::\r\nEND:VCALENDAR",
    ],
)
def test_not_icalendar(body: bytes) -> None:
    since = datetime(2026, 3, 5, tzinfo=UTC)
    with pytest.raises(FeedError, match=r"^the calendar feed is not "):
        parse(body, since, since + timedelta(days=7), NEW_YORK)


def test_addresses() -> None:
    assert feed_address("webcal://example.com/a.ics") == "https://example.com/a.ics"
    assert feed_address(" https://example.com/a.ics ") == "https://example.com/a.ics"
    for bad in ("file:///etc/passwd", "ftp://example.com/a.ics", "example.com/a.ics", "https://"):
        with pytest.raises(FeedError, match="not an http"):
            feed_address(bad)


def test_an_event_icalendar_cannot_read_is_left_out() -> None:
    since = datetime(2026, 3, 5, tzinfo=UTC)
    body = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR"
    assert parse(body, since, since + timedelta(days=7), NEW_YORK) == []
