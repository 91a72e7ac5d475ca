"""What the local Slack- and Mattermost-compatible servers share: an aiohttp server on its own
event loop in a daemon thread, started on a bound socket and stopped in order."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any


def start_loop(
    name: str, host: str, port: int, startup: Callable[[socket.socket], Coroutine[Any, Any, None]]
) -> tuple[asyncio.AbstractEventLoop, threading.Thread, int]:
    """Bind ``host:port`` (0: any free port), run a new loop in a thread named ``name`` and
    ``startup`` on it with the bound socket: the loop, its thread and the port bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(startup(sock), loop).result(timeout=10)
    return loop, thread, int(sock.getsockname()[1])


def stop_loop(
    loop: asyncio.AbstractEventLoop | None,
    thread: threading.Thread | None,
    shutdown: Callable[[], Coroutine[Any, Any, None]],
) -> None:
    """Run ``shutdown`` on the loop, then stop the loop and its thread (nothing if not started)."""
    if loop is None or thread is None:
        return
    try:
        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=15)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
