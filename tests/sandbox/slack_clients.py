"""The local Slack server and the real slack_sdk clients for its tests: a server, a WebClient
on it, and Socket Mode clients that record what they were sent (fixtures, loaded by
tests/conftest.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from watchstander_sandbox.slack import LocalSlack

# The scopes that make the SlackV3 backend pick the RTM API instead of Socket Mode.
LEGACY = {"apps", "bot", "bot:basic", "client", "files:write:user", "identify", "post", "read"}


class Inbox:
    """What a Socket Mode client saw: raw frames in arrival order, and acked requests."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.frames: list[dict[str, Any]] = []
        self.requests: list[SocketModeRequest] = []

    def on_raw(self, raw: str) -> None:  # runs on the receiving thread, in arrival order
        with self.lock:
            self.frames.append(json.loads(raw))
            self.lock.notify_all()

    def on_request(self, client: Any, req: SocketModeRequest) -> None:
        with self.lock:
            self.requests.append(req)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    def wait(self, envelopes: int) -> list[str]:
        """The envelope ids received, once there are `envelopes` of them (or after 10 s)."""
        with self.lock:
            self.lock.wait_for(lambda: len(self.envelope_ids()) >= envelopes, timeout=10)
            return self.envelope_ids()

    def first_frame(self) -> dict[str, Any]:
        with self.lock:
            self.lock.wait_for(lambda: bool(self.frames), timeout=10)
            return self.frames[0]

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return [f["envelope_id"] for f in self.frames if "envelope_id" in f]

    def event(self, envelope_id: str) -> dict[str, Any]:
        with self.lock:
            found = next(f for f in self.frames if f.get("envelope_id") == envelope_id)
        event: dict[str, Any] = found["payload"]["event"]
        return event


@pytest.fixture
def server(slack: LocalSlack) -> LocalSlack:
    """The local Slack server (tests/conftest.py's ``slack``), by the name these tests use."""
    return slack


@pytest.fixture
def web(server: LocalSlack) -> WebClient:
    return WebClient(token=server.bot_token, base_url=server.api_url)


@pytest.fixture
def connect(server: LocalSlack, web: WebClient) -> Iterator[Callable[[], Inbox]]:
    """Connect a real SocketModeClient that acks everything; closed at teardown."""
    clients: list[SocketModeClient] = []

    def _connect() -> Inbox:
        inbox = Inbox()
        client = SocketModeClient(
            app_token=server.app_token, web_client=web, on_message_listeners=[inbox.on_raw]
        )
        client.socket_mode_request_listeners.append(inbox.on_request)
        clients.append(client)
        client.connect()
        assert server.wait_for(lambda s: s.connected)
        return inbox

    yield _connect
    for client in clients:
        client.close()


def acked(envelope_id: str, times: int = 1) -> Callable[[LocalSlack], bool]:
    return lambda s: s.acks.count(envelope_id) >= times
