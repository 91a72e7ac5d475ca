"""Work an event leaves once it is answered (earlier threads offered to a new post, the nudge
of a post that answers another), done on a thread of its own, in the order it came, so that
the next event is not kept waiting for it. A stop waits a bounded time for what was handed
over, then lets the rest go, in one line that says how much. Each runs in the context of
the event that left it (its log lines name the same thread)."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

log = logging.getLogger(__name__)


class Later:
    """One worker thread, in order; each fault logged with its trace, never raised."""

    def __init__(self, name: str, what: str) -> None:
        self.what = what  # what each piece of work is, for the stop's line
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: set[Future[object]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, work: Callable[..., object], *args: Any) -> None:
        """Hand ``work(*args)`` over; after the stop it is let go (one log line)."""
        with self._lock:
            if self._closed:
                log.info("Stopping: %s left undone", self.what)
                return
            # in the caller's context: its log lines say which thread they are about
            future = self._pool.submit(contextvars.copy_context().run, work, *args)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[object]) -> None:
        with self._lock:
            self._pending.discard(future)
        if future.cancelled():
            return
        fault = future.exception()
        if fault is not None:
            log.error("%s failed", self.what, exc_info=fault)

    def idle(self, timeout: float) -> bool:
        """Whether all the work handed over so far is done, waiting at most ``timeout`` s."""
        with self._lock:
            pending = list(self._pending)
        return not wait(pending, timeout).not_done

    def close(self, timeout: float = 5.0) -> None:
        """Let the work handed over finish (at most ``timeout`` s); the rest is let go."""
        with self._lock:
            self._closed = True
        finished = self.idle(timeout)
        with self._lock:
            left = len(self._pending)
        self._pool.shutdown(wait=finished, cancel_futures=True)
        if not finished:
            log.warning("Stopping: %d of %s left undone after %.0f s", left, self.what, timeout)
