"""What a thread is told: a change the domain decided, or a timed action, as the
:class:`Effect` whose template names the thread's level, its holder, who is on call and the
moments that matter, read as people in TIMEZONE read them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from watchstander.domain.durations import format_duration
from watchstander.domain.levels import Level
from watchstander.domain.said import Change
from watchstander.domain.thread import Due, ThreadState
from watchstander.services.controls import THREAD_CONTROLS
from watchstander.services.effects import Effect
from watchstander.services.oncall import OnCall
from watchstander.settings import Settings
from watchstander.store import ThreadRow

# A page's status (the store's) as the card says it
PAGE_WORDS = {
    "pending": "being sent to PagerDuty",
    "triggered": "sent to PagerDuty",
    "failed": "PagerDuty did not take it",
    "acknowledged": "acknowledged in PagerDuty",
    "resolved": "resolved in PagerDuty",
}


class ThreadWords:
    def __init__(
        self, settings: Settings, oncall: Callable[[datetime], OnCall], *, paging: bool
    ) -> None:
        self.settings = settings
        self.policy = settings.policy
        self.oncall = oncall
        self.paging = paging  # whether emergencies are paged (the templates say so)

    def clock(self, at: datetime | None, now: datetime) -> str | None:
        """``15:30 Europe/Amsterdam (in 25m)``: a moment as people in TIMEZONE read it."""
        if at is None:
            return None
        local = at.astimezone(self.settings.tz).strftime("%H:%M")
        delta = at - now
        if abs(delta) >= timedelta(minutes=1):
            delta = timedelta(minutes=round(delta.total_seconds() / 60))
        if delta.total_seconds() >= 0:
            return f"{local} {self.settings.timezone} (in {format_duration(delta)})"
        return f"{local} {self.settings.timezone} ({format_duration(-delta)} ago)"

    def change(
        self, thread: ThreadRow, state: ThreadState, change: Change, now: datetime
    ) -> Effect:
        data = self._about(change.level, change.assignee, now)
        data.update(
            {
                "previous": change.previous,
                "poster": state.poster,
                "next_checkin": self.clock(change.at, now),
                "resolved_by": state.resolved_by,
                "note": state.resolve_note,
                "paging": self.paging,
            }
        )
        controls = THREAD_CONTROLS if change.kind == "announce" and state.is_open else ()
        return Effect(change.kind, thread.channel, thread.root_ts, data, controls=controls)

    def card(
        self, thread: ThreadRow, state: ThreadState, page: str | None, now: datetime
    ) -> Effect:
        """The thread's state on the bot's first reply: level, holder, next check-in (a time
        of day, which does not go stale as "in 25m" would), the page, who is on call; the
        controls while it is open."""
        data = self._about(state.level, state.assignee, now)
        at = state.next_checkin_at
        data.update(
            {
                "resolved": not state.is_open,
                "resolved_by": state.resolved_by,
                "next_checkin": (
                    f"{at.astimezone(self.settings.tz):%H:%M} {self.settings.timezone}"
                    if at is not None
                    else None
                ),
                "page": PAGE_WORDS.get(page or ""),
            }
        )
        controls = THREAD_CONTROLS if state.is_open else ()
        return Effect("card", thread.channel, thread.root_ts, data, controls=controls)

    def action(self, thread: ThreadRow, state: ThreadState, action: Due, now: datetime) -> Effect:
        oncall = self.oncall(now)
        escalate_to = oncall.primary
        if escalate_to in (None, state.assignee):
            escalate_to = oncall.secondary
        interval = self.policy.interval(state.level)
        data = self._about(state.level, state.assignee, now)
        data.update(
            {
                "escalate_to": escalate_to,
                "age": format_duration(now - (state.raised_at or now)),
                "next_checkin": self.clock(now + interval, now),
                "unanswered": state.unanswered,
            }
        )
        return Effect(action.kind.value, thread.channel, thread.root_ts, data)

    def _about(self, level: Level, assignee: str | None, now: datetime) -> dict[str, Any]:
        """What every message about a thread can name: its level, its assignee, who is on call."""
        oncall = self.oncall(now)
        return {
            "level": level.label,
            "emergency": level is Level.EMERGENCY,
            "assignee": assignee,
            "oncall": oncall.primary,
            "secondary": oncall.secondary,
        }
