"""Who is on call, as the services ask it: the person, the secondary, until when and who is
next. Before the bot keeps a rotation, the first of ``ROTATION_ADMINS`` is on call and the
second is the secondary; with a PagerDuty schedule, PagerDuty says (see :class:`ScheduleOnCall`).
The rotation the bot keeps, and the commands that change it, are in
:mod:`watchstander.services.rotation`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from watchstander.adapters.pager import PagerError
from watchstander.services.effects import Refusal
from watchstander.settings import Settings

log = logging.getLogger(__name__)


class OnCallError(Refusal):
    """A rotation command that cannot be done, and why (one line)."""


@dataclass(frozen=True)
class OnCall:
    primary: str | None
    secondary: str | None
    until: datetime | None = None
    next_person: str | None = None
    source: str = "rotation"
    note: str | None = None  # why the source could not be read (one line), if it could not


class AdminsOnCall:
    """The first rotation admin is on call, the second is the secondary."""

    def __init__(self, settings: Settings) -> None:
        people = settings.rotation_admins or settings.bot_admins
        self._primary = people[0] if people else None
        self._secondary = people[1] if len(people) > 1 else None

    def __call__(self, now: datetime) -> OnCall:
        return OnCall(self._primary, self._secondary, source="ROTATION_ADMINS")


class ScheduleSource(Protocol):
    def on_call(self, since: datetime, until: datetime) -> list[tuple[str, datetime, datetime]]: ...

    def user_id(self, email: str) -> str: ...

    def add_override(self, user_id: str, start: datetime, end: datetime) -> None: ...


class ScheduleOnCall:
    """Who is on call from a PagerDuty schedule, PagerDuty users mapped to chat people by e-mail.

    The schedule is read again every ``refresh``; when PagerDuty cannot be read the last
    good answer is kept (and said once in the log), and with none, ``fallback`` answers.
    """

    def __init__(
        self,
        schedule: ScheduleSource,
        person_by_email: Callable[[str], str | None],
        fallback: Callable[[datetime], OnCall],
        refresh: timedelta = timedelta(minutes=5),
        email_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self._schedule = schedule
        self._person_by_email = person_by_email
        self._email_of = email_of
        self._fallback = fallback
        self._refresh = refresh
        self._lock = threading.Lock()
        self._read_at: datetime | None = None
        self._shifts: list[tuple[str, datetime, datetime]] = []

    def __call__(self, now: datetime) -> OnCall:
        shifts = self._load(now)
        current = [s for s in shifts if s[1] <= now < s[2]]
        if not current:
            return self._fallback(now)
        email, _, until = current[0]
        after = [s for s in shifts if s[1] <= until < s[2]]
        primary = self._person_by_email(email)
        following = self._person_by_email(after[0][0]) if after else None
        if primary is None:
            return self._fallback(now)
        return OnCall(primary, following, until, following, "PagerDuty")

    def override(self, person: str, start: datetime, end: datetime) -> None:
        """An override in the PagerDuty schedule itself; raises OnCallError when impossible."""
        email = self._email_of(person) if self._email_of is not None else None
        if not email:
            raise OnCallError("I cannot find that person's e-mail address to match PagerDuty.")
        try:
            self._schedule.add_override(self._schedule.user_id(email), start, end)
        except PagerError as exc:
            raise OnCallError("{why}.", why=exc) from None
        with self._lock:
            self._read_at = None  # read the schedule again

    def _load(self, now: datetime) -> list[tuple[str, datetime, datetime]]:
        with self._lock:
            if self._read_at is not None and now - self._read_at < self._refresh:
                return self._shifts
        try:
            shifts = self._schedule.on_call(now, now + timedelta(weeks=8))
        except PagerError as exc:
            log.warning("keeping the last PagerDuty schedule: %s", exc)
            shifts = None
        with self._lock:
            self._read_at = now
            if shifts is not None:
                self._shifts = shifts
            return self._shifts
