"""Who is on call from a calendar feed served over HTTP: people matched by e-mail and by
name, the last good answer kept through an outage (an error, a time-out, not iCalendar, a
huge feed, nobody known), one line in the log and in `!oncall`, and hostile words in the
feed never pinging anyone."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ical_helpers import SECRET, FeedServer, fixture

from watchstander.adapters.calendar_feed import CalendarFeed
from watchstander.render import Renderer, SlackVoice
from watchstander.render.views import views
from watchstander.services.calendar_oncall import FeedOnCall, Matcher
from watchstander.services.oncall import AdminsOnCall
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import Store

EMAILS = {
    "alice.jansen@example.com": "U0ALICE",
    "bob.de.vries@example.com": "U0BOB",
    "carol.okafor@example.com": "U0CAROL",
}
NAMES = [
    ("alice", "U0ALICE"),
    ("Alice Jansen", "U0ALICE"),
    ("bob", "U0BOB"),
    ("carol", "U0CAROL"),
    ("Carol Okafor", "U0CAROL"),
    ("dave", "U0DAVE"),
    ("Erin Smith", "U0ERIN"),
    ("erin", "U0ERIN"),
    ("Sam Lee", "U0SAM1"),  # two people with one name: neither is taken by it
    ("Sam Lee", "U0SAM2"),
]
FIVE = timedelta(minutes=5)


OPENED: list[CalendarFeed] = []


@pytest.fixture
def server() -> Iterator[FeedServer]:
    running = FeedServer().start()
    yield running
    while OPENED:
        OPENED.pop().close()
    running.stop()


def source(server: FeedServer, zone: str, timeout: float = 2.0) -> tuple[FeedOnCall, Settings]:
    settings = Settings.from_env(
        {"ROTATION_ADMINS": "U0ADMIN", "TIMEZONE": zone, "ONCALL_ICAL_URL": server.feed}
    )
    feed = CalendarFeed(server.feed, timeout=timeout)
    OPENED.append(feed)
    matcher = Matcher(EMAILS.get, lambda: NAMES)
    return FeedOnCall(feed, matcher, AdminsOnCall(settings), settings.tz), settings


def said(settings: Settings, store: Store, oncall: FeedOnCall, now: datetime) -> str:
    """What `!oncall` answers, through the one voice."""
    rotation = RotationService(store, settings, oncall)
    return Renderer(SlackVoice(), views(settings)).render("oncall", rotation.summary(now))


def test_grafana_names_people_by_handle_across_dst(server: FeedServer) -> None:
    server.body = fixture("grafana_oncall.ics")
    oncall, _ = source(server, "Europe/Berlin")
    now = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
    current = oncall(now)
    assert (current.primary, current.next_person, current.source) == (
        "U0ALICE",
        "U0BOB",
        "calendar feed",
    )
    assert current.until == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert oncall(datetime(2026, 4, 7, tzinfo=UTC)).primary == "U0DAVE"  # the override
    assert oncall(datetime(2026, 4, 21, tzinfo=UTC)).primary == "U0ERIN"  # RECURRENCE-ID


def test_opsgenie_by_attendee_email_and_attendee_name(server: FeedServer) -> None:
    server.body = fixture("opsgenie.ics")
    oncall, _ = source(server, "Europe/Amsterdam")
    now = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
    assert oncall(now).primary == "U0BOB"
    assert oncall(now).until == datetime(2026, 3, 11, 23, 0, tzinfo=UTC)
    assert oncall(now).next_person == "U0CAROL"  # carol@old-tool.invalid: by her name


def test_pagerduty_by_attendee_email(server: FeedServer) -> None:
    server.body = fixture("pagerduty.ics")
    oncall, _ = source(server, "America/New_York")
    assert oncall(datetime(2026, 3, 20, 0, 0, tzinfo=UTC)).primary == "U0BOB"  # 4h override
    assert oncall(datetime(2026, 3, 20, 2, 0, tzinfo=UTC)).primary == "U0ALICE"


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        ("status", "the calendar feed at 127.0.0.1 answered 500"),
        ("html", "the calendar feed is not iCalendar (no BEGIN:VCALENDAR)"),
        ("huge", "the calendar feed at 127.0.0.1 is too large (over 5 MB)"),
        ("nobody", "the calendar feed names nobody known here (such as 'On call: <!channel>')"),
        ("timeout", "the calendar feed at 127.0.0.1 did not answer in time"),
    ],
)
def test_a_bad_reading_keeps_the_last_good_one(
    server: FeedServer,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    spoil: str,
    why: str,
) -> None:
    server.body = fixture("pagerduty.ics")
    oncall, settings = source(server, "America/New_York", timeout=0.3)
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert oncall(now).primary == "U0BOB"
    if spoil == "status":
        server.status = 500
    elif spoil == "html":
        server.body = b"<html>Sign in</html>"
    elif spoil == "huge":
        server.body = b"BEGIN:VCALENDAR\r\n" + b"X" * (6 * 2**20)
    elif spoil == "nobody":  # addresses nobody has, summaries naming nobody
        server.body = re.sub(
            rb"SUMMARY:On Call - [^\r]*",
            b"SUMMARY:On call: <!channel>",
            fixture("pagerduty.ics").replace(b"mailto:", b"mailto:gone."),
        )
    else:
        server.hung = True
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert oncall.refresh(now + FIVE) is False
        assert oncall.refresh(now + 2 * FIVE) is False  # said once
    current = oncall(now + 2 * FIVE)
    assert current.primary == "U0BOB"  # the last good answer stands
    assert oncall.problem == why
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [f"keeping the last calendar feed reading: {why}"]
    assert SECRET not in caplog.text
    text = said(settings, store, oncall, now + 2 * FIVE)
    assert "<@U0BOB> is on call" in text
    assert text.count("\n") == 1
    assert "⚠️ Calendar feed: " in text
    assert "<!channel>" not in text
    assert "what it said before stands" in text
    server.hung, server.status, server.body = False, 200, fixture("pagerduty.ics")
    with caplog.at_level(logging.INFO):
        oncall.refresh(now + 3 * FIVE)
    assert oncall.problem is None
    assert "the calendar feed is read again" in caplog.text


def test_hostile_summaries_never_ping(server: FeedServer, store: Store) -> None:
    hostile = "<!here> <!subteam^S123> <@U0NOPE> " + "\u202e" * 50 + "x" * 3000
    server.body = fixture("pagerduty.ics").replace(
        b"SUMMARY:On Call - Alice Jansen - Ops Primary",
        ("SUMMARY:On Call - " + hostile).encode(),
    )
    oncall, settings = source(server, "America/New_York")
    now = datetime(2026, 3, 19, 12, 0, tzinfo=UTC)
    assert oncall(now).primary == "U0ALICE"  # by her attendee address: the words are aside
    text = said(settings, store, oncall, now)
    for ping in ("<!here>", "<!subteam", "<@U0NOPE>"):
        assert ping not in text


def test_an_unread_feed_and_nobody_in_it_falls_back_to_the_admins(server: FeedServer) -> None:
    server.status = 503
    oncall, _ = source(server, "UTC")
    current = oncall(datetime(2026, 3, 5, tzinfo=UTC))
    assert (current.primary, current.source) == ("U0ADMIN", "ROTATION_ADMINS")
    assert current.note == (
        "Calendar feed: the calendar feed at 127.0.0.1 answered 503; what it said before stands."
    )


def test_read_again_only_when_due(server: FeedServer) -> None:
    server.body = fixture("pagerduty.ics")
    oncall, _ = source(server, "America/New_York")
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    oncall(now)
    oncall(now + FIVE)  # the scheduled reading's job (not here) reads it
    assert server.requests == 1
    oncall(now + 3 * FIVE)  # nobody read it for three rounds: read when asked
    assert server.requests == 2
    assert oncall.refresh(now + 4 * FIVE) is False  # the same shifts: nothing changed
    server.body = fixture("opsgenie.ics")
    assert oncall.refresh(now + 5 * FIVE) is True


def test_the_name_index_drops_shared_names() -> None:
    matcher = Matcher(lambda email: None, lambda: NAMES)
    from watchstander.adapters.calendar_feed import FeedEvent

    now = datetime(2026, 3, 5, tzinfo=UTC)

    def event(summary: str, *names: str) -> FeedEvent:
        return FeedEvent(summary, (), names, now, now + timedelta(hours=1))

    assert matcher.person(event("Sam Lee"), now) is None
    assert matcher.person(event("On call: ERIN SMITH (primary)"), now) == "U0ERIN"
    assert matcher.person(event("x", "Carol Okafor"), now) == "U0CAROL"
    assert matcher.person(event("bobby tables"), now) is None  # a word, not a name in it
    assert ZoneInfo("UTC") is not None
