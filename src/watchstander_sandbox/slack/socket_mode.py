"""Socket Mode: the ``ws://`` endpoint that `apps.connections.open` hands out, and the
Events API envelopes sent on it.

Every envelope is pushed onto one queue and written by one task, so envelopes leave in the
order they were pushed. Envelopes pushed while no client is connected wait, in order, for the
next connection, and are sent after its ``hello``. The bot acks each by its ``envelope_id``;
what a connection was sent but never acked goes out again, as a retry, on the next one. Tests
can also make Slack send an envelope again (`redeliver`), say goodbye (`disconnect`), lose the
acks (`stall`) or cut the stream (`drop`), and hold back the envelopes they cause to send them
later in another order (`held`): Slack does not promise to deliver events in ``ts`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import string
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from watchstander_sandbox.slack.core import Core
from watchstander_sandbox.slack.world import JSON

PING_SECONDS = 0.1  # server pings on Socket Mode connections (see SocketMode._ping)
PING_WORDS = b"Ping from applink-local"  # what a ping carries (Slack's: "Ping from applink-N")


class SocketMode(Core):
    """The Socket Mode side of `LocalSlack`: envelopes, acks, connections."""

    def __init__(self) -> None:
        super().__init__()
        self._acks: list[str] = []
        self._inflight: dict[str, tuple[Any, JSON]] = {}  # sent, not acked: envelope id ->
        self._acked: set[str] = set()
        self._ack_payloads: dict[str, list[JSON]] = {}  # envelope id -> each ack's payload
        self._envelopes: dict[str, JSON] = {}
        self._pending: deque[JSON] = deque()
        self._sockets: list[web.WebSocketResponse] = []
        self._transports: dict[int, Any] = {}  # id(socket) -> its TCP transport
        self._stalled = False  # acks lost on the way (see `stall`)
        self._tickets: set[str] = set()
        self._stopping = False
        self._wakeup: asyncio.Event | None = None
        self._sender: asyncio.Task[None] | None = None
        self._holding: Held | None = None  # see `held`
        self._turn = -1  # the connection the last envelope went to

    # -------------------------------------------------------------- observing the bot

    @property
    def acks(self) -> list[str]:
        with self._cond:
            return list(self._acks)

    def acked_with(self, envelope_id: str) -> list[dict[str, Any]]:
        """The payload of each ack of the envelope, oldest first ({} for an ack without one)."""
        with self._cond:
            return copy.deepcopy(self._ack_payloads.get(envelope_id, []))

    @property
    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope pushed, oldest first: after `react`, `envelopes[-1]` is its own."""
        with self._cond:
            return copy.deepcopy(list(self._envelopes.values()))

    @property
    def connected(self) -> bool:
        with self._cond:
            return bool(self._sockets)

    @property
    def connections(self) -> int:
        """How many of the app's Socket Mode connections are open (the envelopes go to
        each in turn)."""
        with self._cond:
            return len(self._sockets)

    # ---------------------------------------------------------------- sending events

    def push_event(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        """Send any inner event to the app, wrapped in an ``events_api`` envelope."""
        envelope_id = str(uuid.uuid4())
        alphabet = string.ascii_uppercase + string.digits
        auth = {"enterprise_id": None, "team_id": self._team, "user_id": self.world.bot.id}
        payload: JSON = {
            "token": "sandboxverificationtoken", "team_id": self._team,
            "context_team_id": self._team, "context_enterprise_id": None,
            "api_app_id": self.world.app_id, "event": copy.deepcopy(event),
            "type": "event_callback",
            "event_id": event_id or "Ev" + "".join(secrets.choice(alphabet) for _ in range(10)),
            "event_time": int(time.time()),
            "authorizations": [{**auth, "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }  # fmt: skip
        envelope: JSON = {"envelope_id": envelope_id, "payload": payload, "type": "events_api"}
        envelope.update(accepts_response_payload=False, retry_attempt=0, retry_reason="")
        return self._push_envelope(envelope)

    def push_interactive(self, payload: JSON, kind: str = "interactive") -> str:
        """Send an ``interactive`` payload (``block_actions``...) or, with ``kind``
        ``slash_commands``, a slash command's, in its Socket Mode envelope: its id."""
        envelope: JSON = {"envelope_id": str(uuid.uuid4()), "payload": copy.deepcopy(payload)}
        envelope.update(type=kind, accepts_response_payload=kind == "slash_commands")
        envelope.update(retry_attempt=0, retry_reason="")
        return self._push_envelope(envelope)

    def _push_envelope(self, envelope: JSON) -> str:
        with self._cond:
            self._envelopes[envelope["envelope_id"]] = envelope
            self._queue(copy.deepcopy(envelope))
        self._wake_sender()
        return str(envelope["envelope_id"])

    def redeliver(self, envelope_id: str) -> None:
        """Send the same envelope again with ``retry_attempt`` + 1, as Slack does on a late ack."""
        with self._cond:
            envelope = self._envelopes[envelope_id]
            envelope.update(retry_attempt=envelope["retry_attempt"] + 1, retry_reason="timeout")
            self._queue(copy.deepcopy(envelope))
        self._wake_sender()

    @contextlib.contextmanager
    def held(self) -> Iterator[Held]:
        """Hold back every envelope pushed in the block (the events of `post`, `react`, ...,
        `push_event`, `redeliver`, and the echoes of the bot's own posts) until the test
        sends them with `Held.release`, in the order it likes. What they record happens at
        once: messages and reactions are stored with increasing ``ts``, and `envelopes` lists
        them; only their delivery waits. Envelopes stay held after the block until released;
        one hold at a time.

            with slack.held() as held:
                slack.react(BOB, SUPPORT, root, "eyes")   # ts t1, not sent
                slack.react(DAVE, SUPPORT, root, "eyes")  # ts t2 > t1, not sent
            held.release(order=[1, 0])  # Dave's envelope, then Bob's
        """
        with self._cond:
            if self._holding is not None:
                raise RuntimeError("already holding envelopes: one hold at a time")
            holding = self._holding = Held(self)
        try:
            yield holding
        finally:
            with self._cond:
                self._holding = None

    def _queue(self, envelope: JSON) -> None:
        """Queue an envelope for the sender, or for the hold (held under ``_cond``)."""
        if self._holding is not None:
            self._holding._envelopes.append(envelope)
        else:
            self._pending.append(envelope)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` frame to every connection and close them, as Slack does
        before a restart (``refresh_requested``, ``warning``, ``link_disabled``)."""
        loop = self._loop
        if loop is None:
            return

        async def drop() -> None:
            with self._cond:
                sockets = list(self._sockets)
            frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "local"}}
            for ws in sockets:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json(frame)
                    await ws.close()

        asyncio.run_coroutine_threadsafe(drop(), loop).result(10)

    def stall(self) -> None:
        """The link goes half-dead: envelopes still go out, but the bot's acks never arrive
        (until `drop`), so what is sent meanwhile is sent again after the reconnect."""
        with self._cond:
            self._stalled = True

    def drop(self) -> None:
        """Cut every Socket Mode connection's TCP stream, with no frame and no close: what a
        network failure or a dead load balancer does. Envelopes sent on it and not acked go
        out again, as retries, on the next connection."""
        loop = self._loop
        if loop is None:
            return

        async def cut() -> None:
            with self._cond:
                transports = list(self._transports.values())
            for transport in transports:
                if transport is not None:
                    transport.abort()

        asyncio.run_coroutine_threadsafe(cut(), loop).result(10)
        with self._cond:
            self._stalled = False

    # ------------------------------------------------------------------- the endpoint

    def _start_sending(self) -> None:
        """Start the sender (on the server's loop, as it starts)."""
        self._wakeup = asyncio.Event()
        self._sender = asyncio.get_running_loop().create_task(self._send_pending())

    async def _stop_link(self) -> None:
        """Refuse new connections, close the open ones and stop the sender."""
        with self._cond:
            self._stopping = True
            sockets = list(self._sockets)
        for ws in sockets:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender

    async def _socket_mode(self, request: web.Request) -> web.StreamResponse:
        with self._cond:
            allowed = request.query.get("ticket", "") in self._tickets and not self._stopping
            count = len(self._sockets) + 1
        if not allowed:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        await ws.send_json(
            {"type": "hello", "num_connections": count,
             "debug_info": {"host": "local", "approximate_connection_time": 18060},
             "connection_info": {"app_id": self.world.app_id}}
        )  # fmt: skip
        with self._cond:
            self._sockets.append(ws)
            self._transports[id(ws)] = request.transport
            self._changed()
        self._wake_sender()
        pinger = asyncio.get_running_loop().create_task(self._ping(ws))
        try:
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    self._on_client_frame(frame.data)
        finally:
            pinger.cancel()
            with self._cond:
                self._transports.pop(id(ws), None)
                if ws in self._sockets:
                    self._sockets.remove(ws)
                # as Slack: what this connection was sent but never acked goes out again,
                # marked as a retry, on the next connection
                lost = [e for i, (w, e) in self._inflight.items() if w is ws]
                for envelope in lost:
                    del self._inflight[envelope["envelope_id"]]
                    if envelope["envelope_id"] not in self._acked:
                        retry = copy.deepcopy(envelope)
                        retry.update(retry_attempt=retry["retry_attempt"] + 1,
                                     retry_reason="timeout")  # fmt: skip
                        self._pending.append(retry)
                self._changed()
            self._wake_sender()
        return ws

    def _on_client_frame(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("envelope_id"):
            with self._cond:
                if self._stalled:
                    return
                self._acks.append(str(message["envelope_id"]))
                answer = message.get("payload")
                self._ack_payloads.setdefault(str(message["envelope_id"]), []).append(
                    answer if isinstance(answer, dict) else {}
                )
                self._acked.add(str(message["envelope_id"]))
                self._inflight.pop(str(message["envelope_id"]), None)
                self._changed()

    # ----------------------------------------------------------- Socket Mode delivery

    @staticmethod
    async def _ping(ws: web.WebSocketResponse) -> None:
        """Ping often (Slack pings every 10 s): slack_sdk's client holds a lock in a blocking
        ``recv`` (3 s timeout) that its ``close()`` must wait for, so frames make closing fast.
        Each ping carries words, as Slack's do: slack_sdk's builtin client takes a frame of
        two bytes (an empty ping) for the start of one and waits for more, holding back an
        event read with it until other bytes come (a pong, up to 5 s later)."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not ws.closed:
                await asyncio.sleep(PING_SECONDS)
                await ws.ping(PING_WORDS)

    def _wake_sender(self) -> None:
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wakeup.set)

    async def _send_pending(self) -> None:
        """The one task that writes envelopes, so they leave in the order they were pushed."""
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while True:
                with self._cond:
                    if not self._pending or not self._sockets:
                        break
                    # as Slack: each envelope to one of the app's connections, in turn
                    self._turn = (self._turn + 1) % len(self._sockets)
                    ws, envelope = self._sockets[self._turn], self._pending.popleft()
                    self._inflight[envelope["envelope_id"]] = (ws, envelope)
                try:
                    await ws.send_json(envelope)
                except (ConnectionError, RuntimeError):
                    with self._cond:  # that connection is gone: keep the envelope for the next
                        self._pending.appendleft(envelope)
                        if ws in self._sockets:
                            self._sockets.remove(ws)
                        self._changed()


class Held:
    """The envelopes kept back by `SocketMode.held`, in the order they were pushed."""

    def __init__(self, link: SocketMode) -> None:
        self._link = link
        self._envelopes: list[JSON] = []
        self._released: set[int] = set()

    @property
    def envelopes(self) -> list[JSON]:
        """Every envelope held, released or not, in the order pushed: `release` takes
        positions in this list."""
        with self._link._cond:
            return copy.deepcopy(self._envelopes)

    def __len__(self) -> int:
        with self._link._cond:
            return len(self._envelopes)

    def release(self, order: Sequence[int] | None = None) -> list[str]:
        """Send the held envelopes at the positions in ``order``, in that order, after
        whatever is already queued; the others stay held for a later release. With no
        ``order``: every envelope still held, in the order pushed. Returns their ids."""
        link = self._link
        with link._cond:
            waiting = [i for i in range(len(self._envelopes)) if i not in self._released]
            picked = waiting if order is None else list(order)
            if len(set(picked)) != len(picked) or not set(picked) <= set(waiting):
                raise ValueError(
                    f"release takes positions of envelopes still held, each once: {waiting}"
                )
            for i in picked:
                self._released.add(i)
                link._pending.append(self._envelopes[i])
            sent = [str(self._envelopes[i]["envelope_id"]) for i in picked]
        link._wake_sender()
        return sent
