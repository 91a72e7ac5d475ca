"""What every part of `LocalMattermost` shares: the world, one lock, the clock of posts and a
change counter.

`LocalMattermost` is put together from parts (mixins), one a module: `Link` (the WebSocket),
`Faults`, `History` (posts, reactions, files; test code acting as people), `Groups`,
`RestApi`. Each keeps its own state, all of it behind the one ``threading.Condition`` here, so
a REST call can store a post and queue its event at once, and tests can ``wait_for`` a
predicate over everything without polling.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime

from watchstander_sandbox.mattermost.world import World


class Core:
    """The shared state; `LocalMattermost` sets the address, token and world before the parts'
    ``__init__`` run."""

    host: str
    port: int
    bot_token: str
    world: World

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self.version = 0  # goes up with every change
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_ms = 0
        self._taken_ms: set[int] = set()

    def _changed(self) -> None:
        """Something changed (held under ``_cond``): wake the waiters."""
        self.version += 1
        self._cond.notify_all()

    def _now_ms(self, at: datetime | None = None) -> int:
        """A new, unique time in ms (held under ``_cond``): now, after every undated one given
        before; or ``at`` (an aware time), moved on by a millisecond while it is taken. Posts
        are ordered by it, as Mattermost orders them by ``create_at``."""
        if at is None:
            ms = max(int(time.time() * 1000), self._last_ms + 1)
        elif at.tzinfo is None:
            raise ValueError("at: a naive time; give its time zone")
        else:
            ms = round(at.timestamp() * 1000)
        while ms in self._taken_ms:
            ms += 1
        self._taken_ms.add(ms)
        if at is None:
            self._last_ms = ms
        return ms
