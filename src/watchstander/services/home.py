"""A person's Home: the open threads they posted or hold, who is on call now and next, and
the next handoff, in the team's TIMEZONE. Read-only: it loads, puts times into words, and
hands the record to the platform's :class:`HomePort` (on Slack, the App Home tab).

It is drawn when the person opens it (nothing refreshes it while it stays open). Slack sends
an event at every opening: each is shown, but a burst from one person is shown once per
``every`` (a few seconds), by the clock passed in.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from watchstander.domain.durations import format_duration
from watchstander.domain.levels import Level
from watchstander.domain.markup import first_line
from watchstander.domain.rotation import WEEKDAYS
from watchstander.services.effects import ChatError
from watchstander.services.oncall import OnCall
from watchstander.settings import Settings
from watchstander.store import Store, ThreadRow

log = logging.getLogger(__name__)

MOST = 100  # threads loaded for one Home (a Home tab holds at most 100 blocks)
EVERY = timedelta(seconds=5)  # one person's Home is drawn at most once in this while
REMEMBERED = 10_000  # people whose last drawing is remembered for the burst rule


@dataclass(frozen=True)
class HomeThread:
    """One open thread as a Home lists it: every value in words, not yet quoted."""

    level: str  # general, urgent, emergency
    summary: str  # the root post's first line (mentions already defused)
    link: str
    posted: bool  # the person posted it
    poster: str | None
    assignee: str | None
    age: str  # since it was posted: "2h5m"
    next_checkin: str | None  # "Tue 10:30 (in 20m)", "Tue 10:30 (15m late)"
    breached: bool


@dataclass(frozen=True)
class Home:
    """What a person's Home shows."""

    user: str
    threads: tuple[HomeThread, ...]
    more: int  # their open threads not in ``threads``
    on_call: str | None
    backup: str | None  # the secondary
    next_person: str | None
    handoff: str | None  # "Mon 30 Nov 10:00 Europe/Amsterdam (in 5d23h)"
    source: str  # "rotation", "override", "PagerDuty", "ROTATION_ADMINS"
    drawn: str  # "Tue 24 Nov 10:00 Europe/Amsterdam"


class HomePort(Protocol):
    def show(self, user: str, home: Home) -> None:
        """Show ``home`` to ``user`` (raises :class:`ChatError` when the platform refuses)."""
        ...


class HomeService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        on_call: Callable[[datetime], OnCall],
        *,
        link: Callable[[str, str], str],
        port: HomePort | None = None,
        every: timedelta = EVERY,
    ) -> None:
        self.store = store
        self.settings = settings
        self.on_call = on_call
        self.link = link
        self.port = port
        self.every = every
        self._lock = threading.Lock()
        self._drawn: OrderedDict[str, datetime] = OrderedDict()

    def home(self, user: str, now: datetime) -> Home:
        """``user``'s Home at ``now``."""
        with self.store.transaction() as tx:
            rows, total = tx.threads_of(user, limit=MOST)
            threads = tuple(self._thread(row, user, now) for row in rows)
        current = self.on_call(now)
        return Home(
            user=user,
            threads=threads,
            more=max(0, total - len(threads)),
            on_call=current.primary,
            backup=current.secondary,
            next_person=current.next_person,
            handoff=self._clock(current.until, now),
            source=current.source,
            drawn=self._stamp(now),
        )

    def opened(self, user: str, now: datetime) -> bool:
        """``user`` opened their Home: show it, unless it was shown less than ``every`` ago.
        False when this platform has no Home. A refusal of the platform is one log line."""
        if self.port is None:
            return False
        with self._lock:
            last = self._drawn.get(user)
            if last is not None and timedelta(0) <= now - last < self.every:
                log.debug("Home of %s shown %s ago: not again yet", user, now - last)
                return True
            self._drawn[user] = now
            self._drawn.move_to_end(user)
            while len(self._drawn) > REMEMBERED:
                self._drawn.popitem(last=False)
        try:
            self.port.show(user, self.home(user, now))
        except ChatError as exc:
            log.warning("could not show %s their Home: %s", user, exc)
            with self._lock:
                if self._drawn.get(user) == now:
                    del self._drawn[user]  # the next opening tries again
        return True

    def _thread(self, row: ThreadRow, user: str, now: datetime) -> HomeThread:
        level = Level(row.level)
        watched = level >= Level.URGENT and row.assignee is not None
        due = row.next_checkin_at if watched else None
        return HomeThread(
            level=level.label,
            summary=first_line(row.root_text, 80) or "(post not seen)",
            link=self.link(row.channel, row.root_ts),
            posted=row.poster == user,
            poster=row.poster,
            assignee=row.assignee,
            age=format_duration(now - (row.posted_at or row.created_at)),
            next_checkin=None if due is None else self._due(due, now),
            breached=row.breached,
        )

    def _due(self, at: datetime, now: datetime) -> str:
        local = at.astimezone(self.settings.tz)
        when = f"{WEEKDAYS[local.weekday()].capitalize()} {local:%H:%M}"
        if at < now:
            return f"{when} ({format_duration(now - at)} late)"
        return f"{when} (in {format_duration(at - now)})"

    def _clock(self, at: datetime | None, now: datetime) -> str | None:
        if at is None:
            return None
        return f"{self._stamp(at)} (in {format_duration(at - now)})"

    def _stamp(self, at: datetime) -> str:
        local = at.astimezone(self.settings.tz)
        day = WEEKDAYS[local.weekday()].capitalize()
        return f"{day} {local:%d %b %H:%M} {self.settings.timezone}"
