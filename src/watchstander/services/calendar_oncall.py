"""Who is on call from an iCalendar feed (``ONCALL_ICAL_URL``): the third source beside the
bot's own rotation and a PagerDuty schedule.

The feed is read every few minutes (a scheduled job calls :meth:`FeedOnCall.refresh`; a
replica that has not read it for a while reads it when asked). A feed that cannot be read,
is not iCalendar, is too large, or names nobody known changes nothing: the last good answer
stays, the log says why in one line, and ``!oncall`` says so too.

An event names a person by an attendee's e-mail address, an e-mail address in its summary,
an attendee's name, or a person's name (or handle) in its summary, matched to the chat
platform's people (e-mail: ``users.lookupByEmail``; names: ``users.list``).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from watchstander.adapters.calendar_feed import FeedError, FeedEvent
from watchstander.domain.rotation import Override
from watchstander.domain.rotation_fit import at, flatten
from watchstander.services.oncall import OnCall

log = logging.getLogger(__name__)

HORIZON = timedelta(weeks=8)
NAMES_FOR = timedelta(hours=1)  # the workspace's names are read again after this
SHORTEST_NAME = 3  # a shorter name or handle ("al") is not looked for in a summary
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class FeedSource(Protocol):
    def events(self, since: datetime, until: datetime, tz: tzinfo) -> list[FeedEvent]: ...


def normal(text: str) -> str:
    """A name as compared: case, accents' forms and punctuation aside."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


class Matcher:
    """An event -> the chat user it names (or None)."""

    def __init__(
        self,
        by_email: Callable[[str], str | None],
        names: Callable[[], Iterable[tuple[str, str]]] | None = None,
    ) -> None:
        self._by_email = by_email
        self._names = names  # the platform's people: (name or handle, user id) pairs
        self._index: dict[str, str] = {}
        self._index_at: datetime | None = None

    def person(self, event: FeedEvent, now: datetime) -> str | None:
        for email in (*event.emails, *_EMAIL.findall(event.summary)):
            found = self._by_email(email)
            if found:
                return found
        index = self._index_for(now)
        for name in event.names:
            if normal(name) in index:
                return index[normal(name)]
        summary = f" {normal(event.summary)} "
        named = [n for n in index if len(n) >= SHORTEST_NAME and f" {n} " in summary]
        return index[max(named, key=len)] if named else None

    def shifts(
        self, events: Sequence[FeedEvent], now: datetime
    ) -> tuple[list[Override], list[str]]:
        """The events as shifts of people, and the summaries of those naming nobody known."""
        shifts, unknown = [], []
        for event in events:
            person = self.person(event, now)
            if person is None:
                unknown.append(event.summary or "(no summary)")
            else:
                shifts.append(Override(person, event.start, event.end))
        return shifts, list(dict.fromkeys(unknown))

    def _index_for(self, now: datetime) -> dict[str, str]:
        if self._names is None:
            return {}
        if self._index_at is None or now - self._index_at >= NAMES_FOR:
            index: dict[str, str] = {}
            ambiguous: set[str] = set()
            for name, user in self._names():
                key = normal(name)
                if key in index and index[key] != user:
                    ambiguous.add(key)
                index[key] = user
            self._index = {k: v for k, v in index.items() if k and k not in ambiguous}
            self._index_at = now if self._index else None  # none: ask again next time
        return self._index


def read_shifts(
    feed: FeedSource, matcher: Matcher, since: datetime, until: datetime, tz: tzinfo, now: datetime
) -> tuple[list[Override], list[str]]:
    """The feed's shifts, flattened (one person at a time), and whom it names that nobody
    here is; FeedError when it has no shift or names nobody known."""
    events = feed.events(since, until, tz)
    if not events:
        raise FeedError("the calendar feed has no shifts in the weeks ahead")
    shifts, unknown = matcher.shifts(events, now)
    if not shifts:
        raise FeedError(f"the calendar feed names nobody known here (such as '{unknown[0][:60]}')")
    return flatten(shifts), unknown


class FeedOnCall:
    """Who is on call from the feed; the last good reading kept through an outage."""

    def __init__(
        self,
        feed: FeedSource,
        matcher: Matcher,
        fallback: Callable[[datetime], OnCall],
        tz: tzinfo,
        refresh: timedelta = timedelta(minutes=5),
    ) -> None:
        self._feed, self._matcher, self._fallback, self._tz = feed, matcher, fallback, tz
        self._refresh = refresh
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        self._read_at: datetime | None = None
        self._segments: list[Override] = []
        self._problem: str | None = None
        self._unknown: list[str] = []

    @property
    def problem(self) -> str | None:
        """Why the last reading failed (one line), or None."""
        return self._problem

    def __call__(self, now: datetime) -> OnCall:
        with self._lock:
            stale = self._read_at is None or now - self._read_at >= 3 * self._refresh
        if stale:  # the scheduled reading runs elsewhere (or not yet): read it here
            self.refresh(now)
        with self._lock:
            segments, problem = self._segments, self._problem
        note = f"Calendar feed: {problem}; what it said before stands." if problem else None
        current = at(segments, now)
        if current is None:
            fallback = self._fallback(now)
            upcoming = [s.start for s in segments if s.start > now]
            return OnCall(
                fallback.primary,
                fallback.secondary,
                min(upcoming, default=None),
                source=fallback.source,
                note=note,
            )
        following = at(segments, current.end)
        person = following.person if following else None
        return OnCall(current.person, person, current.end, person, "calendar feed", note)

    def refresh(self, now: datetime) -> bool:
        """Read the feed again; True when who is on call when changed."""
        with self._reading:  # one reading at a time; a second caller waits for it
            with self._lock:
                if self._read_at is not None and now - self._read_at < self._refresh / 5:
                    return False  # just read (by the one this caller waited for)
            try:
                segments, unknown = read_shifts(
                    self._feed, self._matcher, now - timedelta(days=1), now + HORIZON, self._tz, now
                )
            except FeedError as exc:
                self._failed(str(exc), now)
                return False
            with self._lock:
                changed = segments != self._segments
                recovered = self._problem is not None
                self._segments, self._problem, self._read_at = segments, None, now
            if recovered:
                log.info("the calendar feed is read again")
            if unknown != self._unknown:
                self._unknown = unknown
                if unknown:
                    log.info(
                        "the calendar feed names %d that nobody here is (such as %r)",
                        len(unknown),
                        unknown[0][:60],
                    )
            return changed

    def _failed(self, why: str, now: datetime) -> None:
        with self._lock:
            said = self._problem == why
            self._problem, self._read_at = why, now
        if not said:
            log.warning("keeping the last calendar feed reading: %s", why)
