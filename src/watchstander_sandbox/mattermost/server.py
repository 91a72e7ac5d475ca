"""`LocalMattermost`: the local Mattermost server, put together from its parts.

`LocalMattermost` runs an aiohttp app on 127.0.0.1 in a daemon thread with its own event
loop: the REST API v4 subset at `api_url` and the WebSocket at `websocket_url`. Tests start and
stop it, act as people (`post`, `edit`, `react`, `unreact`, `upload`, `deactivate`), look at
what the bot called (`calls`, `calls_to`) and what was said (`messages`, `events`), inject
faults (`fail_next`, `rate_limit`, `drop_websocket`, `send_twice`, `expire_connections`), and
`wait_for` a predicate over all of it without polling. Everything public is thread-safe.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from aiohttp import web

from watchstander_sandbox.loop_thread import start_loop, stop_loop
from watchstander_sandbox.mattermost.rest import RestApi
from watchstander_sandbox.mattermost.world import Call, World


class LocalMattermost(RestApi):
    """A Mattermost server on 127.0.0.1, with one team, its people, channels and groups.

    ``bot_token`` is the bot account's token; `token_for` gives a person one.
    ``custom_groups``: ``"on"`` (a licensed server), ``"unlicensed"`` or ``"disabled"``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str = "mm-bot-token-sandbox00000",
        world: World | None = None,
        custom_groups: str = "on",
    ) -> None:
        self.host, self.port, self.bot_token = host, port, bot_token
        self.world = world or World.default()
        self.custom_groups = "on"
        super().__init__()  # each part's own state
        self.set_custom_groups(custom_groups)
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -------------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """The server's address, as ``MATTERMOST_URL``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v4"

    @property
    def websocket_url(self) -> str:
        return f"ws://{self.host}:{self.port}/api/v4/websocket"

    def start(self) -> LocalMattermost:
        self._loop, self._thread, self.port = start_loop(
            "local-mattermost", self.host, self.port, self._startup
        )
        return self

    def stop(self) -> None:
        stop_loop(self._loop, self._thread, self._shutdown)
        self._loop, self._thread = None, None

    def __enter__(self) -> LocalMattermost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _startup(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        await self._stop_link()
        if self._runner is not None:
            await self._runner.cleanup()

    # -------------------------------------------------------------- observing the bot

    @property
    def calls(self) -> list[Call]:
        """Every REST call, oldest first."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, what: str) -> list[Call]:
        """The calls to ``"POST /api/v4/posts"``, ``"/api/v4/posts"`` or a route
        (``"PUT /api/v4/posts/{post_id}/patch"``)."""
        with self._cond:
            return [c for c in self._calls if c.matches(what)]

    def wait_for(self, predicate: Callable[[LocalMattermost], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(self)`` holds (True), or ``timeout`` seconds (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)
