"""``!rotation import <url>``: a calendar feed, once, as the bot's own rotation, so a team can
leave the tool it came from (Grafana OnCall, Opsgenie, PagerDuty, any calendar).

The rotation the bot keeps hands off whole-day shifts at one local time; a feed's shifts may
not all fit that. The import keeps the rotation most of them follow (the people in their
order, the shift length and the handoff time most of them have) and makes the rest
overrides, so that the next weeks say exactly what the feed said. Admins only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol
from urllib.parse import urlsplit

from watchstander.adapters.calendar_feed import FeedError, FeedEvent
from watchstander.domain.durations import format_duration
from watchstander.domain.rotation import WEEKDAYS, RotationError
from watchstander.domain.rotation_fit import fit
from watchstander.services.calendar_oncall import Matcher, read_shifts
from watchstander.services.oncall import OnCallError
from watchstander.services.rotation import RotationService
from watchstander.store import OverrideRow, RotationRow

WEEKS = 12  # how far ahead the feed is read (and made overrides where it needs them)
MOST_OVERRIDES = 500  # a feed needing more follows no rotation
USAGE = "`!rotation import https://…/schedule.ics`"
# a link in the core's markup (<url> or <url|label>), or typed in angle brackets (&lt;url&gt;)
_LINK = re.compile(r"^(?:<([^>|]+)(?:\|[^>]*)?>|&lt;(.+?)&gt;)$")


class Feed(Protocol):
    def events(self, since: datetime, until: datetime, tz: tzinfo) -> list[FeedEvent]: ...

    def close(self) -> None: ...


class RotationImport:
    def __init__(
        self,
        rotation: RotationService,
        matcher: Matcher | None,
        open_feed: Callable[[str], Feed],
    ) -> None:
        self._rotation, self._matcher, self._open = rotation, matcher, open_feed

    def run(self, actor: str, args: str, now: datetime) -> dict[str, Any]:
        """Read the feed, fit a rotation, store it with its overrides; what was imported."""
        settings = self._rotation.settings
        if not self._rotation.is_admin(actor):
            raise OnCallError(
                "Only rotation admins can change the rotation (ROTATION_ADMINS or BOT_ADMINS)."
            )
        url = _address(args)
        if self._matcher is None:
            raise OnCallError("This chat platform cannot tell who a calendar's people are.")
        try:
            feed = self._open(url)
        except FeedError as exc:
            raise OnCallError("{why}: try " + USAGE, why=exc) from None
        try:
            segments, unknown = read_shifts(
                feed, self._matcher, now, now + timedelta(weeks=WEEKS), settings.tz, now
            )
        except FeedError as exc:
            raise OnCallError("{why}; nothing changed.", why=exc) from None
        finally:
            feed.close()
        try:
            rotation, overrides = fit(segments, settings.timezone, now)
        except (ValueError, RotationError) as exc:
            raise OnCallError("The feed's shifts make no rotation ({why}).", why=exc) from None
        if len(overrides) > MOST_OVERRIDES:
            raise OnCallError(
                "The feed's shifts follow no rotation ({count} exceptions in {weeks} weeks); "
                "nothing changed.",
                count=len(overrides),
                weeks=WEEKS,
            )
        weekday = rotation.handoff_weekday
        handoff = (WEEKDAYS[weekday] + " " if weekday is not None else "") + (
            rotation.handoff_time.strftime("%H:%M")
        )
        host = urlsplit(url).hostname or "?"
        with self._rotation.store.transaction() as tx:
            replaced = tx.end_overrides(now)
            tx.set_rotation(
                RotationRow(
                    people=json.dumps(list(rotation.people)),
                    start_at=rotation.start,
                    length_days=rotation.length_days,
                    handoff_weekday=weekday,
                    handoff_time=rotation.handoff_time.strftime("%H:%M"),
                    timezone=rotation.timezone,
                    set_by=actor,
                    set_at=now,
                )
            )
            for o in overrides:
                tx.add_override(
                    OverrideRow(
                        person=o.person,
                        start_at=o.start,
                        end_at=o.end,
                        reason="import",
                        created_by=actor,
                        created_at=now,
                    )
                )
            detail = f"{host}: {' '.join(rotation.people)} every {rotation.length_days}d {handoff}"
            tx.audit(now, actor, "rotation:import", None, f"{detail}, {len(overrides)} overrides")
        self._rotation.reload(now)
        return {
            "people": list(rotation.people),
            "every": format_duration(timedelta(days=rotation.length_days)),
            "handoff": handoff,
            "timezone": rotation.timezone,
            "overrides": len(overrides),
            "replaced": replaced,
            "unknown": unknown[:3],
            "more_unknown": max(0, len(unknown) - 3),
            "host": host,
            "weeks": WEEKS,
            "external": "calendar feed"
            if settings.calendar_feed_url
            else "PagerDuty schedule"
            if self._rotation.external is not None
            else None,
        }


def _address(args: str) -> str:
    words = (args or "").split()
    if len(words) != 1:
        raise OnCallError("Give the feed's address and nothing else: " + USAGE)
    word = words[0]
    link = _LINK.match(word)
    return (link.group(1) or link.group(2) if link else word).replace("&amp;", "&")
