"""Reactions taken away while the bot could not see it happen.

A platform that catches up over REST after an outage (Mattermost: the posts changed since a
time) shows the reactions a message has now, never their removal. So the thread's record is
asked which reactions it holds on that message (added, not removed since), and each one the
platform no longer shows is handled as removed then: a 👀 that claimed the thread lets go, as
if the removal had been seen when it happened.

Once recorded, the removal is no longer held, so a second catch-up (or another replica's at
the same time: the same key) records nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from watchstander.domain.thread import Kind
from watchstander.services.inbound import InboundReaction
from watchstander.store import EventRow, Store

log = logging.getLogger(__name__)


class ReactionHandler(Protocol):
    store: Store

    def handle_reaction(self, reaction: InboundReaction, now: datetime) -> bool: ...


def held(events: Sequence[EventRow], item_ts: str) -> set[tuple[str, str]]:
    """(person, reaction name) on the message ``item_ts``, as the record holds them now."""
    found: set[tuple[str, str]] = set()
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        if event.item_ts != item_ts or not event.reaction:
            continue
        key = (event.actor or "", event.reaction)
        if event.kind == Kind.REACTION_ADDED.value:
            found.add(key)
        elif event.kind == Kind.REACTION_REMOVED.value:
            found.discard(key)
    return found


def reactions_now(
    triage: ReactionHandler,
    channel: str,
    item_ts: str,
    present: Iterable[tuple[str, str]],
    event_ts: str,
    now: datetime,
) -> int:
    """The message ``item_ts`` shows ``present`` (person, reaction name) as of ``event_ts``:
    every reaction the record holds there and it does not show is handled as removed at
    ``event_ts``. How many were."""
    with triage.store.transaction() as tx:
        thread = tx.thread_of_message(channel, item_ts)
        if thread is None:
            return 0
        gone = sorted(held(tx.events(thread), item_ts) - set(present))
    for user, name in gone:
        log.info("A %s reaction was taken away while the bot was not looking", name)
        triage.handle_reaction(InboundReaction(channel, item_ts, user, name, False, event_ts), now)
    return len(gone)
