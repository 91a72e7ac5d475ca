"""A TCP relay for tests of a database that goes away: the bot connects to the relay's port on
127.0.0.1 and the relay to the real server. `Relay.down` cuts every connection it carries and
closes its port (a new connection is refused, as by a firewall's reject), `Relay.up` opens
the same port again. `Relay.hang` holds what either side sends (as a firewall dropping the
packets: nothing is refused, nothing answers) until `up`, or `down` cuts it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

from sqlalchemy.engine import make_url

from watchstander_sandbox.loop_thread import start_loop, stop_loop

CHUNK = 65536


class Relay:
    """Relays each connection to ``host:port``; `start` binds a free port (`port`)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.accepted = 0  # connections taken, in all
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # one per connection, while it lasts
        self._flowing: asyncio.Event | None = None  # clear while the relay hangs

    @classmethod
    def to_database(cls, url: str) -> Relay:
        """A relay to the server of the SQLAlchemy URL ``url`` (not started)."""
        parsed = make_url(url)
        return cls(parsed.host or "127.0.0.1", parsed.port or 5432)

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the relay's."""
        relayed = make_url(url).set(host="127.0.0.1", port=self.port)
        return relayed.render_as_string(hide_password=False)

    def start(self) -> Relay:
        self._loop, self._thread, self.port = start_loop("relay", "127.0.0.1", 0, self._listen)
        return self

    def down(self) -> None:
        """Cut every connection now and refuse new ones until `up`."""
        self._call(self._down())

    def up(self) -> None:
        """Take connections again, on the same port, and pass on what was held."""
        self._call(self._up())

    def hang(self) -> None:
        """Hold what either side sends, on every connection, old or new, until `up`."""
        self._call(self._hang())

    def stop(self) -> None:
        stop_loop(self._loop, self._thread, self._shutdown)
        self._loop = self._thread = None

    @property
    def carried(self) -> int:
        """How many connections the relay carries now."""
        return len(self._open) // 2

    def _call(self, work: Any) -> None:
        assert self._loop is not None, "the relay is not started"
        asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    async def _listen(self, sock: socket.socket) -> None:
        if self._flowing is None:
            self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._relay, sock=sock)

    async def _hang(self) -> None:
        assert self._flowing is not None
        self._flowing.clear()

    async def _down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()  # the listening socket: connecting is refused from now on
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _shutdown(self) -> None:
        await self._down()
        if self._tasks:  # each ends once its connection is cut
            await asyncio.wait(self._tasks, timeout=5)

    async def _up(self) -> None:
        if self._server is not None:
            assert self._flowing is not None
            self._flowing.set()
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        await self._listen(sock)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted just before the port closed
            writer.transport.abort()
            return
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            far_reader, far_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, far_writer))
        await asyncio.gather(self._pipe(reader, far_writer), self._pipe(far_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy until either side ends; then the other side is closed too."""
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(CHUNK):
                assert self._flowing is not None
                await self._flowing.wait()
                if writer.is_closing():
                    break
                writer.write(data)
                await writer.drain()
        self._open.discard(writer)
        writer.close()
