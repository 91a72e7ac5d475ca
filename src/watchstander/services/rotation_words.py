"""The words of the rotation commands: people as mentions, ``every 2w``, ``handoff mon
10:00``, and an override's length (``2h``) or span (``from 18:00 to 22:00``, ``fri 18:00``,
``2026-12-24 18:00``, in TIMEZONE). Each mistake is an :class:`OnCallError`, one line."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from watchstander.domain.durations import DurationError, parse_duration
from watchstander.domain.markup import PERSON_ID
from watchstander.domain.rotation import RotationError, parse_handoff
from watchstander.services.oncall import OnCallError

USER = PERSON_ID  # a person named in a command, in the core's markup (each door writes it)
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})$")
_EVERY = re.compile(r"\bevery\s+(\S+)", re.I)
_HANDOFF = re.compile(r"\bhandoff\s+((?:[a-z]{3,9}\s+)?\S+)", re.I)


def options(rest: str) -> tuple[str | None, str | None, str]:
    """``every`` and ``handoff`` of ``!rotation set`` (the people taken out already), and
    whatever words are left over: they are part of neither."""
    every, handoff = _EVERY.search(rest), _HANDOFF.search(rest)
    left = _HANDOFF.sub(" ", _EVERY.sub(" ", rest, count=1), count=1).strip()
    return (
        every.group(1).strip() if every else None,
        handoff.group(1).strip() if handoff else None,
        left,
    )


def weeks(text: str) -> str:
    """``1w`` / ``2 weeks`` -> days, for the duration reader."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*(?:w|wk|wks|week|weeks)\s*", text or "", re.I)
    return f"{int(match.group(1)) * 7}d" if match else text


def span(text: str, now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """An override's start and end: ``2h`` from now, or ``from 18:00 to 22:00``."""
    found = re.fullmatch(r"from\s+(.+?)\s+to\s+(.+)", text.strip(), re.I)
    if found:
        start = when(found.group(1), now, tz)
        end = when(found.group(2), start, tz)
    else:
        try:
            start, end = now, now + parse_duration(text)
        except DurationError:
            raise OnCallError(
                "'{text}' is not a duration or a span: try 2h, or from 18:00 to 22:00",
                text=text[:40],
            ) from None
    if end <= start:
        raise OnCallError("The override must end after it starts.")
    if end - start > timedelta(days=60):
        raise OnCallError("An override lasts 60 days at most: change the rotation instead.")
    return start, end


def when(text: str, after: datetime, tz: tzinfo) -> datetime:
    """``18:00`` (the next one), ``fri 18:00`` or ``2026-12-24 18:00``, in ``tz``."""
    text = text.strip()
    iso = _ISO.match(text)
    if iso:
        try:
            naive = datetime.fromisoformat(f"{iso.group(1)} {iso.group(2).zfill(5)}")
        except ValueError:
            raise OnCallError("'{text}' is not a date and time", text=text[:30]) from None
        return naive.replace(tzinfo=tz).astimezone(after.tzinfo)
    try:
        weekday, clock = parse_handoff(text)
    except RotationError:
        raise OnCallError(
            "'{text}' is not a time: write 18:00, fri 18:00 or 2026-12-24 18:00",
            text=text[:30],
        ) from None
    local = after.astimezone(tz)
    for days in range(0, 8):
        day = local.date() + timedelta(days=days)
        if weekday is not None and day.weekday() != weekday:
            continue
        moment = datetime.combine(day, clock).replace(tzinfo=tz)
        if moment > local:
            return moment.astimezone(after.tzinfo)
    raise OnCallError("'{text}' is not a time I can place", text=text[:30])
