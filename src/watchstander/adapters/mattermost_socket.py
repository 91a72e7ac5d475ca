"""Mattermost's WebSocket (``websocket-client``), authenticated in the upgrade's header so that
a reconnect can resume: it passes the ``connection_id`` of the last ``hello`` and the
``sequence_number`` of the next event it expects, and Mattermost sends what was missed, with
no new ``hello``. Where Mattermost can no longer resume (the connection forgotten, frames
lost), it starts a new connection with a ``hello``: `MattermostSocket.fresh` is then True and
the caller catches up over REST.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import websocket

log = logging.getLogger(__name__)

READ_TIMEOUT = 30.0  # seconds without a frame before the bot pings; twice: the link is dead


class SocketClosed(Exception):
    """The link dropped or was closed; the reason in a few words."""


class MattermostSocket:
    """One link at a time; `open` again after a drop resumes where it can."""

    def __init__(self, url: str, token: str, *, read_timeout: float = READ_TIMEOUT) -> None:
        scheme = "wss" if url.startswith("https") else "ws"
        self.url = f"{scheme}://{url.split('://', 1)[-1].rstrip('/')}/api/v4/websocket"
        self._token = token
        self._read_timeout = read_timeout
        self._ws: websocket.WebSocket | None = None
        self.connection_id = ""
        self.next_seq = 0  # the seq of the next event expected
        self.fresh = True  # the current link began with a hello (nothing was resumed)
        self._ping_seq = 0
        self._idle = 0

    def open(self) -> None:
        """Connect, resuming the last connection if there was one."""
        query = ""
        if self.connection_id:
            query = "?" + urlencode(
                {"connection_id": self.connection_id, "sequence_number": self.next_seq}
            )
        try:
            self._ws = websocket.create_connection(
                self.url + query,
                header=[f"Authorization: Bearer {self._token}"],
                timeout=self._read_timeout,
                http_no_proxy=["*"] if "127.0.0.1" in self.url or "localhost" in self.url else None,
                enable_multithread=True,
            )
        except (OSError, websocket.WebSocketException) as exc:
            raise SocketClosed(_why(exc)) from None
        self.fresh = not self.connection_id  # a hello says otherwise, see `receive`
        self._idle = 0

    def receive(self) -> Mapping[str, Any] | None:
        """The next event (None for a frame that is not one: a reply, a ping's answer).
        A ``hello`` starts a new connection: ``fresh`` becomes True."""
        ws = self._ws
        if ws is None:
            raise SocketClosed("not connected")
        try:
            raw = ws.recv()
        except websocket.WebSocketTimeoutException:
            self._idle += 1
            if self._idle > 1:
                self.close()
                raise SocketClosed("no frame for a minute") from None
            self._ping()
            return None
        except (OSError, websocket.WebSocketException) as exc:
            self.close()
            raise SocketClosed(_why(exc)) from None
        if not raw:
            self.close()
            raise SocketClosed("closed by Mattermost")
        self._idle = 0
        try:
            frame = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(frame, dict) or "event" not in frame:
            return None
        seq = frame.get("seq")
        if isinstance(seq, int):
            self.next_seq = seq + 1
        if frame.get("event") == "hello":
            self.connection_id = str((frame.get("data") or {}).get("connection_id") or "")
            self.fresh = True
        return frame

    def _ping(self) -> None:
        self._ping_seq += 1
        try:
            if self._ws is not None:
                self._ws.send(json.dumps({"seq": self._ping_seq, "action": "ping"}))
        except (OSError, websocket.WebSocketException):
            pass  # the next read says the link is gone

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.abort()  # type: ignore[no-untyped-call]
                ws.shutdown()  # type: ignore[no-untyped-call]
            except Exception:  # a closed socket has nothing more to say
                log.debug("closing the socket", exc_info=True)

    @property
    def is_open(self) -> bool:
        return self._ws is not None and bool(self._ws.connected)


def _why(exc: BaseException) -> str:
    text = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:120]
