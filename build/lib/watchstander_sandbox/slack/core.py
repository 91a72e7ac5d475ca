"""What every part of `LocalSlack` shares: the workspace, one lock and a change counter.

`LocalSlack` is put together from parts (mixins), one a module: `SocketMode`, `Faults`,
`History` (what was said, and test code acting as people), `WebApi`. Each part keeps its own
state, but all of it lives behind the one ``threading.Condition`` here, so a Web API call can
store a message and queue its event at once, and tests can ``wait_for`` a predicate over
everything without polling.
"""

from __future__ import annotations

import asyncio
import threading

from watchstander_sandbox.slack.world import World


class Core:
    """The shared state; `LocalSlack` sets the address, tokens and world before the parts'
    ``__init__`` run."""

    host: str
    port: int
    bot_token: str
    app_token: str
    world: World

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self.version = 0  # goes up with every change: the sandbox page follows it
        self._loop: asyncio.AbstractEventLoop | None = None

    def _changed(self) -> None:
        """Something in the workspace changed (held under ``_cond``): wake the waiters."""
        self.version += 1
        self._cond.notify_all()

    @property
    def _team(self) -> str:
        return self.world.team_id
