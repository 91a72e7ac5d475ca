"""Handoffs: when the person on call changes, say so in the support channel, tell the new
person in a direct message what is open, and keep the ``@oncall`` user group right.

Each change is announced once (a unique row per moment in the store). The first time the bot
learns who is on call is not a handoff: it is recorded silently.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from watchstander.domain.levels import Level
from watchstander.domain.markup import first_line
from watchstander.services.effects import ChatError, Effect, Speaker
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import Store

log = logging.getLogger(__name__)


class GroupPort(Protocol):
    def members(self) -> list[str]: ...

    def set_members(self, users: list[str]) -> None: ...


class HandoffService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        rotation: RotationService,
        *,
        channel_id: str,
        emit: Speaker,
        group: GroupPort | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.rotation = rotation
        self.channel_id = channel_id
        self.say = emit
        self.group = group

    def check(self, now: datetime, *, sync_group: bool = False) -> datetime | None:
        """Announce a change of the person on call (once); the next moment to look again."""
        current = self.rotation(now)
        if current.primary is None:
            return current.until
        with self.store.transaction() as tx:
            last = tx.last_handoff()
            previous = last.to_person if last is not None else None
            changed = previous != current.primary
            made = changed and tx.add_handoff_once(last, now, current.primary)
            open_threads = (
                [
                    {
                        "root_ts": row.root_ts,
                        "level": Level(row.level).label,
                        "summary": first_line(row.root_text, 60) or "(post not seen)",
                        "assignee": row.assignee,
                    }
                    for row in tx.threads(min_level=int(Level.URGENT), limit=20)
                ]
                if made
                else []
            )
            if made:
                tx.audit(now, None, "handoff", None, f"{previous} -> {current.primary}")
        if made and previous is not None:
            data = {
                "previous": previous,
                "person": current.primary,
                "until": self.rotation.summary(now)["until"],
                "threads": open_threads,
                "channel": self.channel_id,
            }
            self.say(Effect("handoff", self.channel_id, None, data))
            self.say(Effect.direct("handoff_dm", current.primary, data))
        if self.group is not None and (made or sync_group):
            self._sync_group(current.primary)
        return current.until

    def _sync_group(self, person: str) -> None:
        assert self.group is not None
        try:
            if self.group.members() != [person]:
                self.group.set_members([person])
                log.info("@%s now holds exactly the person on call", self.settings.oncall_handle)
        except ChatError as exc:  # not_in_channel, missing_scope, a free plan, ratelimited
            log.warning("could not update the on-call user group: %s", exc)
