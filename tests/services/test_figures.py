"""Weekly figures and the daily digest on a real database (SQLite and PostgreSQL): golden
figures from threads whose medians, p90s and counts are known by construction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from watchstander.domain.figures import week_of
from watchstander.services.figures import FiguresService
from watchstander.services.oncall import OnCall
from watchstander.settings import Settings
from watchstander.store import Store

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = week_of(date(2026, 11, 16), AMS)  # Mon 16 Nov 00:00 CET = Sun 15 Nov 23:00 UTC
LATER = WEEK.end + timedelta(days=30)  # every thread of the week is past its target
M, H = 60.0, 3600.0
URGENT = [  # (first response, claim, resolve) after the post, in seconds; None: not yet
    (1 * M, 2 * M, 1 * H),
    (2 * M, 4 * M, 2 * H),
    (3 * M, 6 * M, None),
    (4 * M, 8 * M, None),
    (10 * M, None, None),
]


def service(store: Store, **env: str) -> FiguresService:
    settings = Settings.from_env({"TIMEZONE": "Europe/Amsterdam", **env})
    return FiguresService(
        store,
        settings,
        link=lambda c, t: f"https://slack/{c}/{t}",
        on_call=lambda now: OnCall("U0ALICE", "U0BOB", now + timedelta(hours=5), "U0BOB"),
    )


def thread(store: Store, posted: datetime, level: int, *times: float | None, **more: Any) -> None:
    """A thread as the triage leaves it: posted, then answered, claimed, resolved."""
    names = ("first_response_at", "claimed_at", "resolved_at")
    values: dict[str, Any] = {"posted_at": posted, "level": level, "root_text": "help", **more}
    for name, seconds in zip(names, times, strict=False):
        values[name] = None if seconds is None else posted + timedelta(seconds=seconds)
    if values.get("claimed_at"):
        values.setdefault("assignee", "U0DAVE")
    with store.transaction() as tx:
        row, _ = tx.ensure_thread("C0SUPPORT", f"{posted.timestamp():.6f}", posted)
        tx.save_thread(row, values)


def golden(store: Store) -> None:
    start = WEEK.start
    for n, times in enumerate(URGENT):
        thread(store, start + timedelta(days=1, hours=n), 1, *times)
    thread(store, start + timedelta(days=2, hours=9), 2, 30.0, 60.0, 45 * M)
    for n, response in enumerate((1 * H, 30 * H, None)):
        thread(store, start + timedelta(days=3, hours=n + 8, minutes=15), 0, response)
    thread(store, start, 0, 5.0)  # the first instant of the week: in
    thread(store, start - timedelta(seconds=1), 1, 1.0)  # the last of the week before: out
    thread(store, WEEK.end, 1, 1.0)  # the next week: out
    thread(store, start - timedelta(weeks=3), 0)  # three weeks before: in the trend only


def test_golden_figures(store: Store) -> None:
    golden(store)
    figures = service(store).weekly(WEEK, LATER)
    general, urgent, emergency = figures.levels
    assert (general.threads, general.answered, general.in_target) == (4, 3, 2)
    assert (urgent.threads, urgent.answered, urgent.in_target) == (5, 5, 5)
    assert (emergency.threads, emergency.in_target) == (1, 1)
    got = {
        metric: (s.n, round(s.p50 or 0), round(s.p90 or 0))
        for metric in ("first_response", "claim", "resolve")
        for s in [urgent.spread(metric)]
    }
    # percentile_cont: median of 1,2,3,4,10 min is 3 min; p90 at 3.6 is 4 + 0.6 * 6 = 7.6 min
    assert got == {
        "first_response": (5, 180, 456),
        "claim": (4, 300, 444),  # 2,4,6,8 min: 5 min, 6 + 0.7 * 2 = 7.4 min
        "resolve": (2, 5400, 6840),  # 1 h, 2 h: 1.5 h, 1.9 h
    }
    one = emergency.spread("resolve")
    assert (one.n, one.p50, one.p90) == (1, 45 * M, 45 * M)
    assert general.spread("resolve").n == 0
    assert general.spread("resolve").p50 is None
    assert figures.total == 10
    assert figures.open_threads == 3 + 0 + 4
    assert urgent.share_in_target == 1.0


def test_the_trend_and_the_hours_are_in_local_time(store: Store) -> None:
    golden(store)
    figures = service(store).weekly(WEEK, LATER)
    assert len(figures.trend) == 12
    assert figures.trend[-1][0] == WEEK
    assert [sum(c.values()) for _, c in figures.trend][-4:] == [1, 0, 1, 10]
    assert figures.trend[-1][1] == {"general": 4, "urgent": 5, "emergency": 1}
    # urgent posts Tue 17 Nov 00:00..04:00 CET; general Thu 19 Nov 08:15..10:15 CET
    assert [figures.heatmap[1][h] for h in range(5)] == [1, 1, 1, 1, 1]
    assert [figures.heatmap[3][h] for h in (7, 8, 9, 10, 11)] == [0, 1, 1, 1, 0]
    assert figures.heatmap[0][0] == 1  # Mon 00:00, the first instant of the week
    assert sum(map(sum, figures.heatmap)) == 10  # the week's threads, no other
    assert figures.busiest[0] == (0, 2)  # midnight: the first instant, and an urgent post


def test_a_week_across_the_change_to_winter_time(store: Store) -> None:
    week = week_of(date(2026, 10, 19), AMS)  # the clocks go back on Sun 25 Oct, 03:00 -> 02:00
    assert week.end - week.start == timedelta(hours=169)

    def at(month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=UTC)

    thread(store, at(10, 18, 22, 5), 1, 60.0)  # Mon 00:05 CEST: in
    thread(store, at(10, 18, 21, 55), 1, 60.0)  # Sun 23:55 CEST the week before: out
    thread(store, at(10, 25, 0, 30), 1, 60.0, 60.0, 2 * H)  # Sun 02:30 CEST
    thread(store, at(10, 25, 1, 30), 1, 60.0)  # Sun 02:30 CET, an hour later
    thread(store, at(10, 25, 22, 30), 0)  # Sun 23:30 CET: in
    thread(store, at(10, 25, 23, 10), 0)  # Mon 00:10 CET: the next week
    figures = service(store).weekly(week, week.end + timedelta(days=30))
    assert figures.total == 4
    assert figures.heatmap[6][2] == 2  # 02:30 twice: once in summer time, once in winter time
    assert figures.heatmap[6][23] == 1  # 23:30 CET (23:55 CEST the Sunday before is not in)
    assert figures.heatmap[0][0] == 1  # the Monday 00:05 (the next Monday's is not in)
    resolve = figures.levels[1].spread("resolve")
    assert resolve.p50 == pytest.approx(2 * H)  # two real hours, though the clock says one


def test_an_empty_week_and_one_with_open_threads_only(store: Store) -> None:
    empty = service(store).weekly(WEEK, LATER)
    assert empty.total == 0
    assert empty.busiest == ()
    assert sum(map(sum, empty.heatmap)) == 0
    assert all(level.share_in_target is None for level in empty.levels)
    thread(store, WEEK.start + timedelta(hours=30), 1)
    thread(store, WEEK.start + timedelta(hours=31), 2, 120.0)
    only_open = service(store).weekly(WEEK, LATER)
    assert only_open.total == 2
    assert only_open.open_threads == 2
    assert only_open.levels[2].spread("first_response").p50 == 120.0
    assert only_open.levels[1].spread("first_response").n == 0
    assert only_open.levels[1].spread("resolve").p90 is None


def test_the_daily_digest(store: Store) -> None:
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    quiet = service(store).digest(now)
    assert quiet.quiet
    assert quiet.on_call == "U0ALICE"
    assert quiet.next_on_call == "U0BOB"
    thread(store, now - timedelta(hours=3), 1)  # urgent, unclaimed, no answer: late
    thread(store, now - timedelta(hours=5), 2, 60.0, 60.0)  # emergency, claimed
    thread(store, now - timedelta(minutes=20), 1)  # urgent, not late yet
    thread(store, now - timedelta(hours=9), 1, 60.0, 60.0, 600.0)  # resolved: not shown
    thread(store, now - timedelta(days=2), 0)  # a general question nobody answered
    thread(store, now - timedelta(hours=2), 0)  # general, still within a day
    thread(store, now - timedelta(days=3), 0, 60.0)  # general, answered
    thread(store, now - timedelta(days=15), 0)  # unanswered, but older than two weeks
    digest = service(store).digest(now)
    assert [t.level for t in digest.open] == ["emergency", "urgent", "urgent"]  # oldest first
    assert (digest.open_count, digest.unclaimed_count, digest.late_count) == (3, 2, 1)
    assert [t.late for t in digest.open] == [False, True, False]
    assert digest.open[0].assignee == "U0DAVE"
    assert digest.open[1].assignee is None
    assert digest.unanswered_count == 1
    assert digest.unanswered[0].level == "general"
    assert not digest.quiet


def test_a_thread_not_yet_at_its_target_is_neither_in_nor_out(store: Store) -> None:
    """`!stats this` three minutes after a question: pending, not "0% answered"."""
    now = WEEK.start + timedelta(days=2)
    thread(store, now - timedelta(minutes=3), 0)  # general, 3 minutes old: pending
    thread(store, now - timedelta(hours=2), 0, 10 * M)  # answered within a day: in
    thread(store, now - timedelta(days=1, minutes=1), 0)  # unanswered past a day: out
    thread(store, now - timedelta(minutes=20), 1)  # urgent, 20 minutes old: pending
    thread(store, now - timedelta(minutes=70), 1, 65 * M)  # answered after the target: out
    thread(store, now - timedelta(minutes=10), 1, None, None, 60.0)  # closed unanswered: out
    general, urgent, emergency = service(store).weekly(WEEK, now).levels
    assert (general.threads, general.pending, general.in_target) == (3, 1, 1)
    assert general.out_of_target == 1
    assert general.share_in_target == 0.5
    assert (urgent.threads, urgent.pending, urgent.in_target, urgent.out_of_target) == (3, 1, 0, 2)
    assert emergency.share_in_target is None
    alone = week_of(date(2026, 11, 23), AMS)
    thread(store, alone.start + timedelta(hours=9), 0)
    fresh = service(store).weekly(alone, alone.start + timedelta(hours=9, minutes=3)).levels[0]
    assert (fresh.threads, fresh.pending, fresh.share_in_target) == (1, 1, None)  # not 0%
    assert service(store).weekly(alone, alone.end).levels[0].share_in_target == 0.0  # later: out


def test_the_digest_names_each_thread_by_the_first_words_of_its_post(store: Store) -> None:
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    words = "the revenue report does not tie out since Monday, please look"
    thread(store, now - timedelta(hours=3), 1, root_text=f"<!subteam^S0ONCALL|@oncall> {words}")
    thread(store, now - timedelta(days=2), 0, root_text="Where is the export button?")
    digest = service(store).digest(now)
    assert digest.open[0].words == "@\u2060oncall the revenue report does not tie out…"
    assert digest.unanswered[0].words == "Where is the export button?"
