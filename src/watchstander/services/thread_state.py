"""A thread's state from the store: its recorded events and the bot's own timed actions,
replayed by the domain (``domain.thread``), and the derived state written back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from watchstander.domain.levels import Level
from watchstander.domain.said import said_after
from watchstander.domain.thread import Event, Kind, Policy, ThreadState, next_due, replay
from watchstander.services.inbound import datetime_to_ts
from watchstander.store import EventRow, ThreadRow, Tx


def event_of(row: EventRow, root_ts: str) -> Event:
    """The domain's view of one recorded event of the thread whose root is ``root_ts``."""
    return Event(
        kind=Kind(row.kind),
        ts=row.ts,
        actor=row.actor,
        at=row.at,
        text=row.text or "",
        level=Level(row.level or 0),
        reaction=row.reaction or "",
        target=row.target or "",
        on_root=row.item_ts == root_ts,
        until=row.until,
        item_ts=row.item_ts,
        seq=row.id or 0,
    )


def load_state(
    tx: Tx, thread: ThreadRow, policy: Policy, events: Sequence[Event] | None = None
) -> ThreadState:
    """Replay the thread. ``events``: a thread made by this very transaction, which holds only
    those (nothing else can be stored for it yet, so nothing is read)."""
    if events is not None:
        return replay(events, policy)
    found = [event_of(row, thread.root_ts) for row in tx.events(thread)]
    found += [
        Event(kind=Kind(a.kind), ts=datetime_to_ts(a.sent_at), actor=None, at=a.sent_at)
        for a in tx.actions(thread)
    ]
    return replay(found, policy)


def store_state(
    tx: Tx, thread: ThreadRow, state: ThreadState, policy: Policy, now: datetime
) -> None:
    """Write what the replay derived (and what the bot has now said) to the thread's row."""
    tx.save_thread(thread, state_values(state, policy, now))


def state_values(state: ThreadState, policy: Policy, now: datetime) -> dict[str, Any]:
    """A thread row's derived columns: the state, its next timed action, what was said."""
    upcoming = next_due(state, policy)
    said = said_after(state)
    return {
        "poster": state.poster,
        "root_text": state.root_text,
        "level": int(state.level),
        "posted_at": state.posted_at,
        "raised_at": state.raised_at,
        "assignee": state.assignee,
        "claimed_at": state.claimed_at,
        "watchers": json.dumps(state.watchers),
        "first_response_at": state.first_response_at,
        "last_update_at": state.last_update_at,
        "next_checkin_at": state.next_checkin_at,
        "breached": state.breached,
        "resolved_at": state.resolved_at,
        "resolved_by": state.resolved_by,
        "resolve_note": state.resolve_note,
        "next_due_at": upcoming.at if upcoming else None,
        "next_due_kind": upcoming.kind.value if upcoming else None,
        "said_level": int(said.level),
        "said_assignee": said.assignee,
        "said_resolved": said.resolved,
        "said_next_checkin_at": said.next_checkin_at,
        "updated_at": now,
    }


def steps_reached(
    before: tuple[datetime | None, ...], state: ThreadState
) -> list[tuple[str, str, float]]:
    """The steps a thread has just reached (its first response, its first claim, its resolve),
    each with the seconds since its post, given the thread row's times ``before``."""
    first_response, claimed, resolved = before
    posted, level = state.posted_at, state.level.label
    if posted is None:
        return []
    reached = [
        ("first_response", first_response, state.first_response_at),
        ("claim", claimed, state.claims[0].at if len(state.claims) == 1 else None),
        ("resolve", resolved, state.resolved_at),
    ]
    return [
        (step, level, (now - posted).total_seconds())
        for step, was, now in reached
        if was is None and now is not None
    ]
