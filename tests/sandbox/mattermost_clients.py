"""The local Mattermost server and real clients for its tests: a server, a REST client on it
(``requests``) and WebSocket clients (``websocket-client``) that record every frame they get
(fixtures, loaded by tests/conftest.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import websocket

from watchstander_sandbox.mattermost import LocalMattermost

WAIT = 5.0  # seconds: the bound on every wait in these tests; a miss fails loudly


class Api:
    """REST calls with one user's token (or none)."""

    def __init__(self, server: LocalMattermost, token: str | None) -> None:
        self.base = server.api_url
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy between the test and 127.0.0.1
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=WAIT, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """The JSON body of a call that must answer ``status``."""
        resp = self.call(method, path, **kwargs)
        assert resp.status_code == status, (resp.status_code, resp.text)
        return resp.json()


class Socket:
    """A WebSocket client reading on its own thread; every frame kept, in arrival order."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.closed = False
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                break
            if not raw:
                break
            with self._cond:
                self.frames.append(json.loads(raw))
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def wait(self, check: Callable[[Socket], bool], what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: check(self), WAIT):
                raise AssertionError(f"not within {WAIT} s: {what}; frames: {self.frames}")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [f for f in self.frames if "event" in f and name in (None, f["event"])]

    def wait_events(self, count: int, name: str | None = None) -> list[dict[str, Any]]:
        self.wait(lambda s: len(s.events(name)) >= count, f"{count} {name or 'any'} event(s)")
        return self.events(name)

    def close(self) -> None:
        """Cut the socket (no close handshake: the reader thread owns the reads)."""
        self.ws.abort()  # type: ignore[no-untyped-call]
        self._reader.join(WAIT)
        self.ws.shutdown()  # type: ignore[no-untyped-call]


def connect(
    server: LocalMattermost,
    token: str | None = None,
    *,
    header: bool = False,
    challenge: bool = True,
    **query: str | int,
) -> Socket:
    """A WebSocket on ``server``: authenticated by the upgrade's header, or the challenge."""
    token = server.bot_token if token is None else token
    url = server.websocket_url + (f"?{urlencode(query)}" if query else "")
    headers = [f"Authorization: Bearer {token}"] if header else []
    ws = websocket.create_connection(url, header=headers, timeout=0.5, http_no_proxy=["*"])
    sock = Socket(ws)
    if challenge:
        data = {"token": token}
        sock.send({"seq": 1, "action": "authentication_challenge", "data": data})
    return sock


@pytest.fixture
def mattermost() -> Iterator[LocalMattermost]:
    server = LocalMattermost().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mm_api(mattermost: LocalMattermost) -> Iterator[Api]:
    client = Api(mattermost, mattermost.bot_token)
    yield client
    client.session.close()


@pytest.fixture
def mm_sockets() -> Iterator[list[Socket]]:
    """Sockets a test opened, closed after it."""
    opened: list[Socket] = []
    yield opened
    for sock in opened:
        sock.close()
