"""An iCalendar feed of who is on call (Grafana OnCall's, Opsgenie's, PagerDuty's export, or
any calendar's): read over HTTP with a time-out and a size limit, its recurring events
expanded (``recurring-ical-events``: RRULE, EXDATE, RECURRENCE-ID, time zones) into plain
events between two instants.

Every failure is a :class:`FeedError` whose message is one line, safe to show in chat: it
names the feed's host, never its address (a feed's address usually holds its secret).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

import httpx2
import recurring_ical_events
from icalendar import Calendar

LIMIT = 5 * 1024 * 1024  # bytes: a feed larger than this is refused
SCHEMES = ("http", "https", "webcal")
_MAILTO = re.compile(r"^mailto:", re.I)


class _Unnamed(logging.Filter):
    """httpx2 logs each request's whole address at INFO: a feed's address holds its secret,
    so the line names the host alone."""

    def __init__(self) -> None:
        super().__init__()
        self.secret: set[str] = set()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and str(args[1]) in self.secret:
            url = urlsplit(str(args[1]))
            record.args = (args[0], f"{url.scheme}://{url.netloc}/(a calendar feed)", *args[2:])
        return True

    def add(self, url: str) -> None:
        with self._lock:
            if not self.secret:
                logging.getLogger("httpx2").addFilter(self)
            self.secret.add(url)


_UNNAMED = _Unnamed()


class FeedError(Exception):
    """The feed could not be read or understood; the message is one line, safe in chat."""


@dataclass(frozen=True)
class FeedEvent:
    """One shift of the feed: its words, who it names, and when (aware instants)."""

    summary: str
    emails: tuple[str, ...]  # attendees' addresses (mailto:)
    names: tuple[str, ...]  # attendees' names (CN)
    start: datetime
    end: datetime


def feed_address(text: str) -> str:
    """A feed's address as a client reads it (``webcal://`` is ``https://``), or FeedError."""
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise FeedError("that is not an http:// or https:// address of a calendar feed")
    if parts.scheme.lower() == "webcal":
        url = "https" + url[len(parts.scheme) :]
    return url


class CalendarFeed:
    """Reads one feed; :meth:`events` gives its shifts between two instants."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        limit: int = LIMIT,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self._url = feed_address(url)
        self._host = urlsplit(self._url).hostname or "?"
        _UNNAMED.add(self._url)
        self._limit = limit
        self._client = httpx2.Client(
            timeout=timeout,
            follow_redirects=True,
            max_redirects=5,
            transport=transport,
            trust_env=False,
            headers={"Accept": "text/calendar, */*;q=0.1", "User-Agent": "Watchstander"},
        )

    @property
    def host(self) -> str:
        return self._host

    def events(self, since: datetime, until: datetime, tz: tzinfo) -> list[FeedEvent]:
        """The feed's events overlapping ``since``..``until``; dates and floating times are
        read in ``tz``."""
        return parse(self.fetch(), since, until, tz)

    def fetch(self) -> bytes:
        """The feed's body, at most ``limit`` bytes."""
        where = f"the calendar feed at {self._host}"
        try:
            with self._client.stream("GET", self._url) as response:
                if response.status_code != 200:
                    raise FeedError(f"{where} answered {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._limit:
                    raise FeedError(f"{where} is too large (over {self._limit // 2**20} MB)")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self._limit:
                        raise FeedError(f"{where} is too large (over {self._limit // 2**20} MB)")
                return bytes(body)
        except httpx2.TimeoutException:
            raise FeedError(f"{where} did not answer in time") from None
        except httpx2.HTTPError as exc:
            raise FeedError(f"{where} could not be reached ({type(exc).__name__})") from None
        except (httpx2.InvalidURL, httpx2.StreamError) as exc:
            raise FeedError(f"{where} could not be read ({type(exc).__name__})") from None

    def close(self) -> None:
        self._client.close()


def parse(data: bytes, since: datetime, until: datetime, tz: tzinfo) -> list[FeedEvent]:
    """The events of an iCalendar text between two instants, recurrences expanded."""
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR"):
        raise FeedError("the calendar feed is not iCalendar (no BEGIN:VCALENDAR)")
    try:
        calendar = Calendar.from_ical(data)
        found = recurring_ical_events.of(calendar, skip_bad_series=True).between(since, until)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        why = type(exc).__name__
        raise FeedError(f"the calendar feed is not valid iCalendar ({why})") from None
    events = []
    for component in found:
        start = _instant(component.get("DTSTART"), tz)
        end = _instant(component.get("DTEND"), tz)
        if start is None:
            continue
        if end is None:
            duration = component.get("DURATION")
            span = getattr(duration, "dt", None)
            end = start + (span if isinstance(span, timedelta) else timedelta(days=1))
        if end <= start:
            continue
        emails, names = _attendees(component.get("ATTENDEE"))
        events.append(
            FeedEvent(
                summary=str(component.get("SUMMARY") or "").strip(),
                emails=emails,
                names=names,
                start=start,
                end=end,
            )
        )
    return sorted(events, key=lambda e: (e.start, e.end))


def _instant(prop: Any, tz: tzinfo) -> datetime | None:
    """An instant in UTC (so that subtracting two gives real time across a DST change)."""
    value = getattr(prop, "dt", prop)
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    elif isinstance(value, date):
        local = datetime.combine(value, time(0), tzinfo=tz)
    else:
        return None
    return local.astimezone(UTC)


def _attendees(prop: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    people = prop if isinstance(prop, list) else [prop] if prop is not None else []
    emails, names = [], []
    for person in people:
        address = _MAILTO.sub("", str(person)).strip()
        if "@" in address:
            emails.append(address)
        params = getattr(person, "params", {}) or {}
        name = str(params.get("CN") or "").strip()
        if name:
            names.append(name)
    return tuple(emails), tuple(names)
