"""`LocalSlack`: the local Slack server, put together from its parts.

`LocalSlack` runs an aiohttp app on 127.0.0.1 in a daemon thread. The real errbot SlackV3
backend runs against it unchanged: point slack_sdk's ``WebClient(base_url=server.api_url)``
at it and the builtin ``SocketModeClient`` gets its ``ws://`` URL from
``apps.connections.open``.

Answers use Slack's own shapes: HTTP 200 with ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. Every Web API call is recorded (``calls``). What the bot
posts is stored and echoed back as a ``message`` event, the way Slack echoes a bot's own
messages. Test code acts as people in the workspace (``post``, ``edit``, ``unfurl``,
``react``, ``unreact``, ``push_event``); each pushes the matching Events API envelope over
Socket Mode. Envelopes pushed while no client is connected wait, in order, for the next
connection, and are sent after its ``hello``; a test can hold them back and send them in
another order (``held``).

The workspace itself (team, bot user, people, channels, user groups) is the `World`
dataclass. Everything public is thread-safe; state lives behind one ``threading.Condition``
so tests can ``wait_for`` a predicate without polling.
"""

from __future__ import annotations

import copy
import socket
import threading
from collections.abc import Callable

from aiohttp import web

from watchstander_sandbox.loop_thread import start_loop, stop_loop
from watchstander_sandbox.slack.web_api import WebApi
from watchstander_sandbox.slack.world import Call, UploadedFile, World


class LocalSlack(WebApi):
    """A Slack workspace on 127.0.0.1: Web API at `api_url`, Socket Mode at ``/link/``.

    The parts: `WebApi` (the ``_api_*`` methods), `History` (messages; acting as people),
    `SocketMode` (envelopes, acks, connections), `Faults` (injected errors, rate limits)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str = "xoxb-local",
        app_token: str = "xapp-local",
        world: World | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.bot_token, self.app_token = bot_token, app_token
        self.world = world or World.default()
        super().__init__()  # each part's own state
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -------------------------------------------------------------------- lifecycle

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/"

    def start(self) -> LocalSlack:
        self._loop, self._thread, self.port = start_loop(
            "local-slack", self.host, self.port, self._startup
        )
        return self

    def stop(self) -> None:
        stop_loop(self._loop, self._thread, self._shutdown)
        self._loop, self._thread = None, None

    async def _startup(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/link/", self._socket_mode)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._start_sending()

    async def _shutdown(self) -> None:
        await self._stop_link()
        if self._runner is not None:
            await self._runner.cleanup()

    # -------------------------------------------------------------- observing the bot

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    @property
    def files(self) -> list[UploadedFile]:
        with self._cond:
            return [copy.deepcopy(f) for f in self._files.values() if f.completed]

    def file(self, file_id: str) -> UploadedFile | None:
        with self._cond:
            return self._files.get(file_id)

    def wait_for(self, predicate: Callable[[LocalSlack], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)
