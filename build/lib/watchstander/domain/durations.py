"""Durations and commitments: "90s", "1h30m", "need 30 minutes", "by 15:30" -> time.

Pure: the moment a text was written (``now``) and the time zone come in as arguments.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

MAX_COMMITMENT = timedelta(days=7)

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_PART = rf"(\d{{1,4}}(?:\.\d+)?)\s*({_UNIT})(?![a-z])"
_DURATION = rf"(?:{_PART}\s*(?:and\s+)?)+"
_WORDS = {
    "half an hour": 1800,
    "an hour": 3600,
    "a minute": 60,
    "a few minutes": 300,
    "a couple of minutes": 120,
    "a day": 86400,
}
_WORD = "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True))
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"

_STRICT_DURATION = re.compile(rf"^\s*{_DURATION}\s*$", re.I)
_STRICT_TIME = re.compile(rf"^\s*(?:by\s+|at\s+|until\s+)?{_TIME}\s*$", re.I)
_CUE_DURATION = re.compile(
    rf"\b(?:need|needs|needed|give me|in|another|within|eta|back in)\s+"
    rf"(?:about\s+|another\s+|roughly\s+|~\s*)?(?:({_WORD})|({_DURATION}))",
    re.I,
)
_CUE_TIME = re.compile(rf"\b(?:by|until|till|eta)\s+{_TIME}(?![\d.:/-])", re.I)


class DurationError(ValueError):
    """A duration or time that cannot be read; the message says how to write one."""


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``1h``, ``1d``, ``1h30m``, ``45 minutes`` -> timedelta."""
    match = _STRICT_DURATION.match(text or "")
    if not match:
        raise DurationError(f"'{_clip(text)}' is not a duration: write it like 45m, 1h30m or 90s")
    value = _sum_parts(match.group(0))
    if value <= timedelta(0):
        raise DurationError(f"'{_clip(text)}' is not a positive duration: write it like 45m")
    return value


def format_duration(value: timedelta) -> str:
    """The short form used in chat: ``1h30m``, ``45m``, ``2d``."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0m"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts[:2])


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """A strict duration or time of day (``45m``, ``15:30``, ``by 3pm``) -> the moment it names."""
    text = (text or "").strip()
    if _STRICT_DURATION.match(text):
        moment = now + parse_duration(text)
    else:
        match = _STRICT_TIME.match(text)
        if not match:
            raise DurationError(
                f"'{_clip(text)}' is neither a duration nor a time: try 45m, 1h30m or 15:30"
            )
        moment = _next_time(match, now, tz)
    if moment - now > MAX_COMMITMENT:
        raise DurationError(f"'{_clip(text)}' is more than 7 days away: pick a nearer time")
    return moment


def parse_commitment(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """The next check-in a free-form reply asks for, or None when it names none.

    "need 30 minutes", "45m", "1h", "give me an hour", "by 15:30", "eta 3pm". A number that is
    not introduced by such a cue ("the report from 2h ago") is not a commitment.
    """
    text = (text or "")[:2000]
    try:
        return parse_when(text, now, tz)
    except DurationError:
        pass
    match = _CUE_DURATION.search(text)
    if match:
        words, duration = match.group(1), match.group(2)
        delta = timedelta(seconds=_WORDS[words.lower()]) if words else _sum_parts(duration)
        if timedelta(0) < delta <= MAX_COMMITMENT:
            return now + delta
    match = _CUE_TIME.search(text)
    if match:
        try:
            return _next_time(match, now, tz)
        except DurationError:
            return None
    return None


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(
    r"^\s*((?:mon|tue|wed|thu|fri|sat|sun)(?:\s*[-,]\s*(?:mon|tue|wed|thu|fri|sat|sun))*|daily)"
    r"\s+(\d{1,2}):(\d{2})\s*$",
    re.I,
)


def parse_schedule(text: str) -> tuple[str, int, int]:
    """``mon 10:00``, ``mon-fri 09:00``, ``mon,thu 16:30`` or ``daily 08:00`` -> (days in
    cron's day-of-week form, hour, minute)."""
    match = _SCHEDULE.match(text or "")
    if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise DurationError(
            f"'{_clip(text)}' is not a schedule: write it like mon 10:00 or mon-fri 09:00"
        )
    days = re.sub(r"\s+", "", match.group(1).lower())
    return ("*" if days == "daily" else days), int(match.group(2)), int(match.group(3))


def _sum_parts(text: str) -> timedelta:
    total = 0.0
    for amount, unit in re.findall(_PART, text, re.I):
        total += float(amount) * _UNITS[unit.lower()]
    return timedelta(seconds=round(total))


def _next_time(match: re.Match[str], now: datetime, tz: tzinfo) -> datetime:
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise DurationError(f"'{match.group(0).strip()}' is not a time: try 3pm or 15:00")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        raise DurationError(f"'{match.group(0).strip()}' is not a time: write it like 15:30")
    if hour > 23 or minute > 59:
        raise DurationError(f"'{match.group(0).strip()}' is not a time: write it like 15:30")
    local = now.astimezone(tz)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=hour, minute=minute)
    # Re-localise so a daylight-saving change between now and then is honoured.
    naive = candidate.replace(tzinfo=None)
    return _localize(naive, tz).astimezone(now.tzinfo)


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    return naive.replace(tzinfo=tz)


def _clip(text: str | None, limit: int = 40) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
