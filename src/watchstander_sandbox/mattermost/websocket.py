"""The WebSocket at ``/api/v4/websocket``: authentication, events with their ``seq``, and
Mattermost's reconnects, as its server (``app/platform/web_conn.go``, ``web_hub.go``) does
them.

- **Authentication.** Either the upgrade request carries ``Authorization: Bearer <token>``
  (then ``hello`` comes at once), or the client sends
  ``{"seq": 1, "action": "authentication_challenge", "data": {"token": ...}}``: then
  ``hello`` comes, then ``{"status": "OK", "seq_reply": 1}``. A wrong token in the challenge
  closes the socket with no answer; a challenge on an authenticated socket gets no answer; a
  socket not authenticated within ``auth_seconds`` (`AUTH_SECONDS`) is closed.
- **Events.** ``{"event": ..., "data": {...}, "broadcast": {...}, "seq": N}``; ``seq`` counts
  the frames of one connection id, from 0 (its ``hello``). An event for a channel goes to
  every connection of its members (the bot's own posts too).
- **Reconnects.** Mattermost does not replay by default: a new connection gets a new
  connection id, a new ``hello`` and nothing that was sent while it was away. A client that
  authenticated the upgrade with the header can pass ``?connection_id=<from hello>`` and
  ``&sequence_number=<next seq it expects>``: while the old connection is remembered (five
  minutes in Mattermost; here until `expire_connections`), what it missed is sent, with the
  same connection id and the seqs going on (the last 128 frames sent, and every event queued
  since); if that is no longer possible, a new connection id and a new ``hello`` (seq 0);
  if nothing was missed, nothing is resent and no ``hello`` comes. With the challenge instead
  of the header, Mattermost ignores ``connection_id`` (the upgrade had no session), so every
  reconnect is a fresh one.

Faults: `drop_websocket` cuts the TCP streams with no close frame; `send_twice` delivers the
next events twice; `expire_connections` forgets disconnected connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from watchstander_sandbox.mattermost.core import Core
from watchstander_sandbox.mattermost.world import JSON, new_id

AUTH_SECONDS = 5.0  # Mattermost's authCheckInterval: unauthenticated sockets are closed
DEAD_QUEUE = 128  # frames kept per connection for a resume (Mattermost's deadQueueSize)
SEND_QUEUE = 256  # events queued per connection before it is dropped (sendQueueSize)
SERVER_VERSION = "10.5.0.10.5.0.sandbox.false"


@dataclass
class Connection:
    """One connection id of a user, open (``ws``) or remembered for a resume."""

    id: str
    user_id: str
    seq: int = 0  # the seq of the next event written
    dead: deque[JSON] = field(default_factory=lambda: deque(maxlen=DEAD_QUEUE))
    pending: deque[JSON] = field(default_factory=deque)  # to write: events, replies
    ws: web.WebSocketResponse | None = None
    transport: Any = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Link(Core):
    """The WebSocket side of `LocalMattermost`."""

    def __init__(self) -> None:
        super().__init__()
        self._connections: dict[str, Connection] = {}  # connection id -> connection
        self._events: list[JSON] = []  # every event published, without seq
        self.delivered: list[tuple[str, JSON]] = []  # (connection id, frame) as written
        self._twice: list[tuple[str | None, int]] = []  # (event name or any, how many more)
        self._stopping = False
        self.auth_seconds = AUTH_SECONDS  # how long a socket may stay unauthenticated

    # -------------------------------------------------------------- observing the bot

    @property
    def events(self) -> list[JSON]:
        """Every event published (``posted``...), oldest first, without ``seq``."""
        with self._cond:
            return copy.deepcopy(self._events)

    @property
    def connected(self) -> bool:
        with self._cond:
            return any(c.ws is not None for c in self._connections.values())

    @property
    def connection_ids(self) -> list[str]:
        """The connection ids with an open socket."""
        with self._cond:
            return [c.id for c in self._connections.values() if c.ws is not None]

    # ------------------------------------------------------------------------ faults

    def drop_websocket(self) -> None:
        """Cut every open socket's TCP stream, with no close frame: what a network failure
        does. The connections are remembered for a resume; events go on queueing for them."""
        loop = self._loop
        if loop is None:
            return

        async def cut() -> None:
            with self._cond:
                transports = [c.transport for c in self._connections.values() if c.ws]
            for transport in transports:
                if transport is not None:
                    transport.abort()

        asyncio.run_coroutine_threadsafe(cut(), loop).result(10)

    def send_twice(self, event: str | None = None, times: int = 1) -> None:
        """Deliver the next ``times`` events (named ``event``, or any) twice, one right after
        the other, each with its own ``seq``, as when the server publishes an event twice."""
        with self._cond:
            self._twice.append((event, times))

    def expire_connections(self) -> None:
        """Forget every closed connection, as Mattermost does after five minutes or a restart:
        a resume then gets a new connection id and a ``hello``."""
        with self._cond:
            for cid in [c.id for c in self._connections.values() if c.ws is None]:
                del self._connections[cid]

    # ------------------------------------------------------------------- publishing

    def _publish(
        self, name: str, data: JSON, *, channel_id: str = "", user_id: str = "", team_id: str = ""
    ) -> None:
        """Queue an event for every connection it is for (held under ``_cond``)."""
        broadcast = {
            "omit_users": None, "user_id": user_id, "channel_id": channel_id,
            "team_id": team_id, "connection_id": "", "omit_connection_id": "",
        }  # fmt: skip
        event: JSON = {"event": name, "data": data, "broadcast": broadcast}
        self._events.append(copy.deepcopy(event))
        copies = 1
        for i, (wanted, left) in enumerate(self._twice):
            if wanted in (None, name):
                copies = 2
                self._twice[i] = (wanted, left - 1)
                self._twice = [t for t in self._twice if t[1] > 0]
                break
        members = self._audience(channel_id) if channel_id else None
        for conn in list(self._connections.values()):
            if (user_id and conn.user_id != user_id) or (
                members is not None and conn.user_id not in members
            ):
                continue
            for _ in range(copies):
                conn.pending.append(copy.deepcopy(event))
            if len(conn.pending) > SEND_QUEUE:  # as Mattermost: a stuck client is dropped
                del self._connections[conn.id]
                self._close_soon(conn)
            self._wake(conn)
        self._changed()

    def _audience(self, channel_id: str) -> set[str]:
        channel = self.world.channel(channel_id)
        return set(channel.members) if channel else set()

    def _wake(self, conn: Connection) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(conn.wake.set)

    def _close_soon(self, conn: Connection) -> None:
        loop, ws = self._loop, conn.ws
        if loop is not None and ws is not None:
            asyncio.run_coroutine_threadsafe(ws.close(), loop)

    def _hello(self, conn: Connection) -> JSON:
        broadcast = {
            "omit_users": None, "user_id": conn.user_id, "channel_id": "", "team_id": "",
            "connection_id": "", "omit_connection_id": "",
        }  # fmt: skip
        data = {"server_version": SERVER_VERSION, "connection_id": conn.id}
        return {"event": "hello", "data": data, "broadcast": broadcast}

    # ------------------------------------------------------------------- the endpoint

    def _token_user(self, token: str) -> str | None:
        raise NotImplementedError  # the REST side knows the tokens

    async def _stop_link(self) -> None:
        with self._cond:
            self._stopping = True
            sockets = [c.ws for c in self._connections.values() if c.ws is not None]
        for ws in sockets:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        user = self._token_user(header[7:].strip()) if header.startswith("Bearer ") else None
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if self._stopping:
            await ws.close(code=WSCloseCode.GOING_AWAY)
            return ws
        conn: Connection | None = None
        if user is not None:
            conn = self._attach(user, ws, request)
            if conn is None:  # a known connection id without a sequence number
                await ws.close()
                return ws
        writer = None if conn is None else asyncio.get_running_loop().create_task(self._write(conn))
        deadline = time.monotonic() + self.auth_seconds
        try:
            while True:
                wait = None if conn is not None else max(0.0, deadline - time.monotonic())
                try:
                    frame = await ws.receive(timeout=wait)
                except TimeoutError:
                    break  # not authenticated in time
                if frame.type is not WSMsgType.TEXT:
                    if frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                        break
                    if frame.type is WSMsgType.ERROR:
                        break
                    continue
                answer = self._on_frame(frame.data, conn, ws, request)
                if answer is False:
                    break
                if isinstance(answer, Connection):
                    conn = answer
                    writer = asyncio.get_running_loop().create_task(self._write(conn))
        finally:
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
            with self._cond:
                if conn is not None and conn.ws is ws:
                    conn.ws = conn.transport = None
                self._changed()
            await ws.close()
        return ws

    def _attach(
        self, user: str, ws: web.WebSocketResponse, request: web.Request
    ) -> Connection | None:
        """Register an authenticated socket: a fresh connection, or a resumed one."""
        with self._cond:
            wanted = request.query.get("connection_id", "")
            old = self._connections.get(wanted)
            if old is None or old.user_id != user or old.ws is not None:
                conn = Connection(new_id(), user)
                conn.pending.append(self._hello(conn))
            else:
                try:
                    client_seq = int(request.query["sequence_number"])
                except (KeyError, ValueError):
                    return None
                if client_seq < 0:
                    return None
                conn = old
                self._resume(conn, client_seq)
            conn.ws, conn.transport = ws, request.transport
            self._connections[conn.id] = conn
            self._changed()
            return conn

    def _resume(self, conn: Connection, client_seq: int) -> None:
        """What a resumed connection is sent first (held under ``_cond``), as
        ``WebConn.writePump`` decides it."""
        if client_seq == 0:
            return
        sent = list(conn.dead)
        index = next((i for i, f in enumerate(sent) if f["seq"] == client_seq), None)
        if index is not None:  # found: everything from there, as it was
            conn.pending.extendleft(reversed([{"_replay": f} for f in sent[index:]]))
        elif sent and sent[-1]["seq"] != client_seq - 1:  # lost: start again
            old = conn.id
            conn.dead.clear()
            conn.id, conn.seq = new_id(), 0
            del self._connections[old]
            conn.pending.appendleft(self._hello(conn))
        # else: the client has everything; nothing is resent

    def _on_frame(
        self, data: str, conn: Connection | None, ws: web.WebSocketResponse, request: web.Request
    ) -> Connection | bool | None:
        """A client frame: the new connection after a good challenge, False to close."""
        try:
            message = json.loads(data)
        except ValueError:
            return False  # Mattermost closes on a frame it cannot decode
        if not isinstance(message, dict):
            return False
        action, seq = str(message.get("action") or ""), message.get("seq")
        if action == "authentication_challenge":
            if conn is not None:
                return None  # already authenticated: no answer
            token = (message.get("data") or {}).get("token")
            user = self._token_user(token) if isinstance(token, str) else None
            if user is None:
                return False
            with self._cond:
                fresh = Connection(new_id(), user)
                fresh.pending.append(self._hello(fresh))
                fresh.pending.append({"status": "OK", "seq_reply": seq})
                fresh.ws, fresh.transport = ws, request.transport
                self._connections[fresh.id] = fresh
                self._changed()
            return fresh
        if conn is None:
            return None  # Mattermost drops what an unauthenticated socket asks
        reply: JSON = {"status": "OK", "seq_reply": seq}
        if action == "ping":
            reply["data"] = {"text": "pong", "version": SERVER_VERSION,
                             "server_time": int(time.time() * 1000)}  # fmt: skip
        elif action not in ("user_typing", "presence"):
            reply = {"status": "FAIL", "seq_reply": seq, "error": {
                "id": "api.web_socket_router.bad_action.app_error",
                "message": "Unknown WebSocket action.", "detailed_error": "",
                "request_id": "", "status_code": 500}}  # fmt: skip
        with self._cond:
            conn.pending.append(reply)
        self._wake(conn)
        return None

    async def _write(self, conn: Connection) -> None:
        """The one task writing to this socket: events get their ``seq`` as they are written
        and are kept for a resume, as Mattermost's write pump does."""
        ws = conn.ws
        assert ws is not None
        while True:
            with self._cond:
                item = conn.pending.popleft() if conn.pending and conn.ws is ws else None
                if item is not None:
                    if "_replay" in item:
                        item = item["_replay"]
                        conn.seq = item["seq"] + 1
                    elif "event" in item:
                        item = {**item, "seq": conn.seq}
                        conn.seq += 1
                        conn.dead.append(item)
                    self.delivered.append((conn.id, copy.deepcopy(item)))
                    self._changed()
            if item is None:
                conn.wake.clear()
                with self._cond:
                    more = bool(conn.pending)
                if not more:
                    await conn.wake.wait()
                continue
            try:
                await ws.send_str(json.dumps(item))
            except (ConnectionError, RuntimeError):
                return
