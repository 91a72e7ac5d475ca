"""The rotation the bot keeps, and the commands that change it.

The bot keeps a rotation (people, shift length, handoff time, overrides) in the store; it is
the triage's source of who is on call (unless a PagerDuty schedule or a calendar feed is).
Only rotation admins and bot admins may change it; every change goes to the audit log.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from watchstander.domain.durations import DurationError, format_duration, parse_duration
from watchstander.domain.rotation import (
    WEEKDAYS,
    Override,
    Rotation,
    RotationError,
    on_call,
    parse_handoff,
    swap,
    timeline,
)
from watchstander.services import rotation_words as words
from watchstander.services.calendar_oncall import FeedOnCall
from watchstander.services.effects import PeoplePort
from watchstander.services.oncall import AdminsOnCall, OnCall, OnCallError, ScheduleOnCall
from watchstander.settings import Settings
from watchstander.store import OverrideRow, RotationRow, Store

CACHE_SECONDS = 60.0


class RotationService:
    """The rotation kept by the bot; callable as the triage's source of who is on call."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        external: Callable[[datetime], OnCall] | None = None,
        people: PeoplePort | None = None,
        *,
        names: Callable[[str], str] = lambda person: person,
    ) -> None:
        self.store = store
        self.names = names  # a person's id -> their name (the calendar feed says names)
        self.settings = settings
        # a PagerDuty schedule or a calendar feed: then it alone says who is on call
        self.external = external
        self.people = people  # who the chat platform knows (None: it cannot say)
        self._fallback = AdminsOnCall(settings)
        self._lock = threading.Lock()
        self._cached: tuple[datetime, Rotation | None, list[Override]] | None = None
        self.changed: list[Callable[[datetime], None]] = []  # told after every change

    # --- reading ------------------------------------------------------------------------------

    def __call__(self, now: datetime) -> OnCall:
        if self.external is not None:
            return self.external(now)
        rotation, overrides = self._load(now)
        if rotation is None:
            fallback = self._fallback(now)
            covering = [o for o in overrides if o.start <= now < o.end]
            if not covering:
                ends = [o.start for o in overrides if o.start > now]
                return OnCall(
                    fallback.primary,
                    fallback.secondary,
                    min(ends, default=None),
                    source=fallback.source,
                )
            cover = covering[-1]
            return OnCall(cover.person, fallback.primary, cover.end, fallback.primary, "override")
        current = on_call(rotation, overrides, now)
        return OnCall(current.primary, current.secondary, current.until, current.next_person)

    def summary(self, now: datetime, args: str = "") -> dict[str, Any]:
        """What ``!oncall`` shows (it takes no words: a mistyped sub-command is said so)."""
        if args.strip():
            raise OnCallError(
                "`!oncall` takes nothing after it; '{words}' is not one of "
                "`!oncall override @person 2h` or `!oncall swap @a @b`.",
                words=args.strip()[:30],
            )
        current = self(now)
        return {
            "primary": current.primary,
            "secondary": current.secondary,
            "until": self._clock(current.until, now),
            "next": current.next_person,
            "source": current.source,
            "note": current.note,
        }

    def show(self, now: datetime, args: str = "", weeks: int = 4) -> dict[str, Any]:
        """What ``!rotation`` shows: the order, the rule, and who is on call when."""
        if args.strip():
            raise OnCallError(
                "`!rotation` takes nothing after it; '{words}' is not "
                "`!rotation set @a @b @c every 1w handoff mon 10:00`.",
                words=args.strip()[:30],
            )
        rotation, overrides = self._load(now)
        if self.external is not None:
            current = self(now)
            return {
                "rotation": None,
                "external": "calendar feed"
                if isinstance(self.external, FeedOnCall)
                else "PagerDuty schedule",
                "fallback": current.primary,
            }
        if rotation is None:
            return {"rotation": None, "fallback": self(now).primary}
        segments = timeline(rotation, overrides, now, now + timedelta(weeks=weeks))
        weekday = rotation.handoff_weekday
        return {
            "rotation": True,
            "people": list(rotation.people),
            "every": format_duration(timedelta(days=rotation.length_days)),
            "handoff": (WEEKDAYS[weekday] + " " if weekday is not None else "")
            + rotation.handoff_time.strftime("%H:%M"),
            "timezone": rotation.timezone,
            "shifts": [
                {
                    "person": s.person,
                    "from": self._stamp(s.start),
                    "to": self._stamp(s.end),
                    "override": s.index < 0,
                }
                for s in segments
            ],
        }

    def calendar(self, now: datetime, weeks: int = 8) -> bytes:
        """The next ``weeks`` of who is on call, as an iCalendar feed."""
        feed = Calendar()
        feed.add("prodid", "-//Watchstander//on call//EN")
        feed.add("version", "2.0")
        feed.add("x-wr-calname", "On call")
        rotation, overrides = self._load(now)
        if rotation is not None:
            for shift in timeline(rotation, overrides, now, now + timedelta(weeks=weeks)):
                event = Event()
                event.add("uid", f"{shift.person}-{int(shift.start.timestamp())}@watchstander")
                event.add("summary", f"On call: {self.names(shift.person)}")
                event.add("dtstart", shift.start)
                event.add("dtend", shift.end)
                event.add("dtstamp", now)
                feed.add_component(event)
        return bytes(feed.to_ical())

    # --- changing -----------------------------------------------------------------------------

    def set_rotation(self, actor: str, args: str, now: datetime) -> dict[str, Any]:
        self._allowed(actor)
        people = words.USER.findall(args)
        rest = words.USER.sub(" ", args)
        if not people:
            raise OnCallError(
                "Name the people in order: `!rotation set @alice @bob @carol every 1w "
                "handoff mon 10:00`"
            )
        if len(set(people)) != len(people):
            raise OnCallError("Each person may appear once in the rotation.")
        every, handoff, left = words.options(rest)
        if left:
            raise OnCallError(
                "'{words}' is not part of `!rotation set @alice @bob @carol every 1w "
                "handoff mon 10:00`",
                words=left[:30],
            )
        self._known(people, "!rotation set @alice @bob")
        try:
            length = parse_duration(words.weeks(every or "1w"))
        except DurationError as exc:
            raise OnCallError("every: {why}", why=exc) from None
        if length.total_seconds() % 86400:
            raise OnCallError("A shift lasts whole days: write every 1d, every 1w or every 2w.")
        days = int(length.total_seconds() // 86400)
        default_handoff = "mon 10:00" if days % 7 == 0 else "10:00"
        try:
            weekday, clock = parse_handoff(handoff or default_handoff)
            rotation = Rotation(
                tuple(people),
                now,
                days,
                weekday if days % 7 == 0 else None,
                clock,
                self.settings.timezone,
            )
        except RotationError as exc:
            raise OnCallError("{why}", why=exc) from None
        with self.store.transaction() as tx:
            tx.set_rotation(
                RotationRow(
                    people=json.dumps(list(rotation.people)),
                    start_at=now,
                    length_days=rotation.length_days,
                    handoff_weekday=rotation.handoff_weekday,
                    handoff_time=rotation.handoff_time.strftime("%H:%M"),
                    timezone=rotation.timezone,
                    set_by=actor,
                    set_at=now,
                )
            )
            tx.audit(now, actor, "rotation:set", None, args[:500])
        self._changed(now)
        return self.show(now)

    def override(self, actor: str, args: str, now: datetime) -> dict[str, Any]:
        self._allowed(actor, external_ok=True)
        match = words.USER.search(args or "")
        if not match:
            raise OnCallError(
                "Name who takes over: `!oncall override @alice 2h` or "
                "`!oncall override @alice from 18:00 to 22:00`"
            )
        if len(words.USER.findall(args)) > 1:
            raise OnCallError(
                "Name one person who takes over: `!oncall override @alice 2h` or "
                "`!oncall override @alice from 18:00 to 22:00`"
            )
        person, rest = match.group(1), words.USER.sub(" ", args).strip()
        start, end = words.span(rest, now, self.settings.tz)
        self._known([person], "!oncall override @alice 2h")
        if self.external is not None:
            if not isinstance(self.external, ScheduleOnCall):
                raise OnCallError(self.elsewhere())
            self.external.override(person, start, end)
            with self.store.transaction() as tx:
                tx.audit(now, actor, "pagerduty:override", None, f"{person} {start} {end}")
            self._changed(now)
            return {"person": person, "from": self._clock(start, now), "to": self._clock(end, now)}
        with self.store.transaction() as tx:
            tx.add_override(
                OverrideRow(
                    person=person,
                    start_at=start,
                    end_at=end,
                    reason="override",
                    created_by=actor,
                    created_at=now,
                )
            )
            tx.audit(now, actor, "rotation:override", None, f"{person} {start} {end}")
        self._changed(now)
        return {"person": person, "from": self._clock(start, now), "to": self._clock(end, now)}

    def swap(self, actor: str, args: str, now: datetime) -> dict[str, Any]:
        self._allowed(actor)
        people = words.USER.findall(args or "")
        left = words.USER.sub(" ", args or "").strip()
        if len(people) != 2 or left:
            raise OnCallError(
                "Name two people and nothing else: `!oncall swap @alice @bob`"
                + (" ('{words}' is not part of it)" if left else ""),
                words=left[:30],
            )
        self._known(people, "!oncall swap @alice @bob")
        rotation, _ = self._load(now)
        if rotation is None:
            raise OnCallError("There is no rotation to swap in yet: `!rotation set @a @b` first.")
        try:
            made = swap(rotation, people[0], people[1], now)
        except RotationError as exc:
            raise OnCallError("{why}", why=exc) from None
        with self.store.transaction() as tx:
            for o in made:
                tx.add_override(
                    OverrideRow(
                        person=o.person,
                        start_at=o.start,
                        end_at=o.end,
                        reason="swap",
                        created_by=actor,
                        created_at=now,
                    )
                )
            tx.audit(now, actor, "rotation:swap", None, " ".join(people))
        self._changed(now)
        return {
            "swaps": [
                {"person": o.person, "from": self._stamp(o.start), "to": self._stamp(o.end)}
                for o in made
            ]
        }

    # --- helpers ------------------------------------------------------------------------------

    def elsewhere(self) -> str:
        """Where who is on call is changed when the bot does not keep it."""
        if isinstance(self.external, FeedOnCall):
            return "Who is on call comes from the calendar feed (ONCALL_ICAL_URL): change it there."
        return "Who is on call comes from the PagerDuty schedule: change it in PagerDuty."

    def is_admin(self, user: str) -> bool:
        return user in self.settings.rotation_admins or user in self.settings.bot_admins

    def _allowed(self, actor: str, external_ok: bool = False) -> None:
        if self.external is not None and not external_ok:
            raise OnCallError(self.elsewhere())
        if not self.is_admin(actor):
            raise OnCallError(
                "Only rotation admins can change the rotation (ROTATION_ADMINS or BOT_ADMINS)."
            )

    def _known(self, people: list[str], usage: str) -> None:
        """Refuse a person the chat platform does not know (one look-up each, cached there)."""
        if self.people is None:
            return
        for person in people:
            if not self.people.exists(person):
                raise OnCallError(
                    f"'{{person}}' is not a person in this workspace: try `{usage}`",
                    person=person,
                )

    def _load(self, now: datetime) -> tuple[Rotation | None, list[Override]]:
        with self._lock:
            cached = self._cached
            if cached is not None and (now - cached[0]).total_seconds() < CACHE_SECONDS:
                return cached[1], cached[2]
        with self.store.transaction() as tx:
            row = tx.rotation()
            rotation = None
            if row is not None:
                weekday, clock = parse_handoff(
                    (WEEKDAYS[row.handoff_weekday] + " " if row.handoff_weekday is not None else "")
                    + row.handoff_time
                )
                rotation = Rotation(
                    tuple(json.loads(row.people)),
                    row.start_at,
                    row.length_days,
                    weekday,
                    clock,
                    row.timezone,
                )
            overrides = [
                Override(o.person, o.start_at, o.end_at)
                for o in tx.overrides(now - timedelta(days=1))
            ]
        with self._lock:
            self._cached = (now, rotation, overrides)
        return rotation, overrides

    def reload(self, now: datetime) -> None:
        """The rotation was changed in the store (an import): read it again, tell listeners."""
        self._changed(now)

    def _forget(self) -> None:
        with self._lock:
            self._cached = None

    def _changed(self, now: datetime) -> None:
        self._forget()
        for listener in self.changed:
            listener(now)

    def _clock(self, at: datetime | None, now: datetime) -> str | None:
        if at is None:
            return None
        return f"{self._stamp(at)} (in {format_duration(at - now)})"

    def _stamp(self, at: datetime) -> str:
        local = at.astimezone(self.settings.tz)
        return f"{WEEKDAYS[local.weekday()]} {local:%d %b %H:%M} {self.settings.timezone}"
