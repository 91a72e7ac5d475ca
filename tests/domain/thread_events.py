"""Events of one thread for the domain's tests: a fixed start, Slack timestamps from minutes,
and makers for posts, replies, edits, reactions, commands and the bot's own actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from watchstander.domain.levels import Level
from watchstander.domain.thread import BOT_ACTIONS, Event, Kind, Policy, ThreadState, replay

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = Policy()  # check-ins every 30m (15m for emergencies), claim in 15m, answer in 1h
POSTER, DEV, DEV2, DEV3 = "U0CAROL", "U0DAVE", "U0ERIN", "U0BOB"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ts(minutes: float) -> str:
    return f"{at(minutes).timestamp():.6f}"


def post(minutes: float = 0, level: Level = Level.URGENT, text: str = "help") -> Event:
    return Event(Kind.POST, ts(minutes), POSTER, at(minutes), text=text, level=level)


def reply(
    minutes: float, user: str, level: Level = Level.GENERAL, until: datetime | None = None
) -> Event:
    return Event(Kind.REPLY, ts(minutes), user, at(minutes), level=level, until=until)


def edit(minutes: float, text: str, level: Level, *, on_root: bool = True) -> Event:
    return Event(Kind.EDIT, ts(minutes), POSTER, at(minutes), text, level, on_root=on_root)


def react(
    minutes: float, user: str, name: str = "eyes", *, on: float = 0, added: bool = True
) -> Event:
    kind = Kind.REACTION_ADDED if added else Kind.REACTION_REMOVED
    return Event(
        kind, ts(minutes), user, at(minutes), reaction=name, on_root=on == 0, item_ts=ts(on)
    )


def command(
    kind: Kind, minutes: float, user: str, *, target: str = "", until: datetime | None = None
) -> Event:
    return Event(kind, ts(minutes), user, at(minutes), text="note", target=target, until=until)


def bot(kind: Kind, minutes: float) -> Event:
    """The bot's own timed action (never recorded with a ``seq``)."""
    return Event(kind, ts(minutes), None, at(minutes))


def recorded(*events: Event) -> list[Event]:
    """``events`` as the bot recorded them, in this order (``seq`` 1, 2, ...)."""
    return [
        e if e.kind in BOT_ACTIONS else replace(e, seq=n) for n, e in enumerate(events, start=1)
    ]


def state(*events: Event) -> ThreadState:
    return replay(recorded(*events), POLICY)
