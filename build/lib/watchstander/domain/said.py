"""What a thread must be told: the bot's messages come from comparing what it already said
(:class:`Said`, kept with the thread) with the state the replay derived
(:mod:`watchstander.domain.thread`), so nothing is said twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from watchstander.domain.levels import Level
from watchstander.domain.thread import Event, Kind, ThreadState


@dataclass(frozen=True)
class Said:
    """What the bot has already told the thread (kept with the thread in the store)."""

    level: Level = Level.GENERAL
    assignee: str | None = None
    resolved: bool = False
    next_checkin_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    kind: str
    level: Level
    assignee: str | None = None
    previous: str | None = None
    at: datetime | None = None


def changes(said: Said, s: ThreadState, new: Iterable[Event]) -> list[Change]:
    """What the thread must be told after ``new`` events, given what it was already told."""
    out: list[Change] = []
    if s.is_open and s.level >= Level.URGENT and s.level > said.level:
        out.append(Change("announce", s.level, s.assignee, at=s.next_checkin_at))
    elif s.level >= Level.URGENT and s.is_open:
        if s.assignee is not None and s.assignee != said.assignee:
            kind = "handed_off" if said.assignee else "claimed"
            out.append(Change(kind, s.level, s.assignee, said.assignee, s.next_checkin_at))
        elif s.assignee is None and said.assignee is not None:
            out.append(Change("released", s.level, None, said.assignee))
        elif s.assignee is not None and s.next_checkin_at != said.next_checkin_at:
            committed = any(
                e.until is not None and e.actor == s.assignee
                for e in new
                if e.kind in (Kind.REPLY, Kind.ETA)
            )
            if committed:
                out.append(Change("eta", s.level, s.assignee, at=s.next_checkin_at))
    if not s.is_open and not said.resolved and s.level >= Level.URGENT:
        out.append(Change("resolved", s.level, s.resolved_by))
    return out


def said_after(s: ThreadState) -> Said:
    return Said(
        level=s.level,
        assignee=s.assignee,
        resolved=not s.is_open,
        next_checkin_at=s.next_checkin_at,
    )
