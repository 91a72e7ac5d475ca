"""The daily digest and the weekly figures, read from the store.

Every figure is counted, grouped or ranked by the database (a handful of statements whatever
the history); this service names the weeks, puts the counts in TIMEZONE and hands the result
to the templates and the pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from watchstander.domain.figures import (
    LEVELS,
    Digest,
    LevelFigures,
    OpenThread,
    Spread,
    Week,
    WeeklyFigures,
    busiest,
    heatmap,
    local_hours,
    weeks_up_to,
)
from watchstander.domain.levels import Level
from watchstander.domain.markup import first_words
from watchstander.settings import Settings
from watchstander.store import Store, ThreadRow

SHOWN = 10  # threads listed per section of the digest; the rest are counted
SERVED_DAYS = timedelta(days=7)  # the daily digest counts the self-served of the last week
LOOKBACK = timedelta(days=14)  # unanswered questions older than this leave the daily digest


class FiguresService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        link: Callable[[str, str], str],
        on_call: Callable[[datetime], Any] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.link = link
        self.on_call = on_call  # -> OnCall (primary, until, next_person)

    def targets(self) -> dict[int, float]:
        """Seconds to a first response, per level."""
        urgent = self.settings.response_target.total_seconds()
        general = self.settings.general_response_target.total_seconds()
        return {Level.GENERAL: general, Level.URGENT: urgent, Level.EMERGENCY: urgent}

    def digest(self, now: datetime) -> Digest:
        """Who is on call, the open urgent and emergency threads (however old), and the general
        questions of the last two weeks that nobody answered within GENERAL_RESPONSE_TARGET
        (a question nobody answered in a fortnight is for the weekly figures, not for every
        morning), and the work taken over from stopped processes since the last digest."""
        late_before = now - self.settings.response_target
        with self.store.transaction() as tx:
            loud, loud_count, unclaimed = tx.open_threads(loud=True, limit=SHOWN)
            _, late_count, _ = tx.open_threads(loud=True, unanswered_before=late_before, limit=0)
            quiet, quiet_count, _ = tx.open_threads(
                loud=False,
                unanswered_before=now - self.settings.general_response_target,
                since=now - max(LOOKBACK, 2 * self.settings.general_response_target),
                limit=SHOWN,
            )
            served = sum(tx.self_served_between(now - SERVED_DAYS, now).values())
            taken_over = tx.taken_over_since(tx.last_audit("digest", now), now)
            in_flight = tx.in_flight()
            tx.audit(now, None, "digest", None, "")  # the next digest counts from here
        current = self.on_call(now) if self.on_call is not None else None
        return Digest(
            now=now,
            on_call=getattr(current, "primary", None),
            next_on_call=getattr(current, "next_person", None),
            next_at=getattr(current, "until", None),
            open=tuple(self._open(row, late_before) for row in loud),
            open_count=loud_count,
            unclaimed_count=unclaimed,
            late_count=late_count,
            unanswered=tuple(self._open(row, now) for row in quiet),
            unanswered_count=quiet_count,
            self_served=served,
            taken_over=taken_over,
            in_flight=in_flight,
        )

    def weekly(self, week: Week, now: datetime) -> WeeklyFigures:
        """A week's figures as they stand at ``now`` (a question not yet at its target is
        pending: neither in nor out of it)."""
        tz = self.settings.tz
        trend = weeks_up_to(week, tz)
        with self.store.transaction() as tx:
            counts = tx.level_counts(week.start, week.end, self.targets(), now)
            spreads = tx.spreads(week.start, week.end)
            weekly = tx.weekly_counts([w.start for w in trend] + [trend[-1].end])
            buckets, already_local = tx.hour_buckets(week.start, week.end, self.settings.timezone)
            served = tx.self_served_between(week.start, week.end)
        by_level: dict[int, dict[str, Spread]] = {}
        for level, metric, n, p50, p90 in spreads:
            by_level.setdefault(level, {})[metric] = Spread(n, p50, p90)
        levels = tuple(
            LevelFigures(
                Level(n).label,
                *counts.get(n, (0, 0, 0, 0, 0))[:3],
                spreads=by_level.get(n, {}),
                pending=counts.get(n, (0, 0, 0, 0, 0))[4],
            )
            for n in (Level.GENERAL, Level.URGENT, Level.EMERGENCY)
        )
        hours = local_hours(buckets, tz, already_local=already_local)
        return WeeklyFigures(
            week=week,
            levels=levels,
            trend=tuple(
                (w, {LEVELS[level]: weekly.get(level, [0] * len(trend))[i] for level in range(3)})
                for i, w in enumerate(trend)
            ),
            heatmap=heatmap(hours),
            busiest=busiest(hours, week),
            open_threads=sum(c[3] for c in counts.values()),
            self_served=served,
        )

    def _open(self, row: ThreadRow, late_before: datetime) -> OpenThread:
        posted = row.posted_at or row.created_at
        late = row.first_response_at is None and posted < late_before
        return OpenThread(
            self.link(row.channel, row.root_ts),
            Level(row.level).label,
            posted,
            row.assignee,
            late,
            first_words(row.root_text or ""),
        )
