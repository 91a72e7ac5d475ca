"""SIGTERM and SIGINT as a request to stop, for the processes that run the bot (the Errbot
backend) and the sandbox: both stop the same way, whichever signal came.

A signal handler runs in the main thread between two of its bytecodes, possibly while that
thread holds a lock (an ``Event``'s, say): a handler that takes a lock itself can then wait
forever. So the handler takes none: it notes the signal and, while `armed`, raises
``KeyboardInterrupt`` in the main thread, once. The main thread's ``finally`` blocks then stop
what was started, in order; signals that come while they do so are noted and ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn, TypeVar

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
T = TypeVar("T")


class StopSignals:
    """SIGTERM and SIGINT, noted; raised as ``KeyboardInterrupt`` in the main thread by the
    first one that comes while armed (which disarms), or by `arm` once one has come."""

    def __init__(self) -> None:
        self.requested: str | None = None  # the first stop signal's name, once one came
        self.armed = False
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        """Take SIGTERM and SIGINT (from the main thread only; elsewhere, nothing is done)."""
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._on_signal)
        return self

    def uninstall(self) -> None:
        """Give SIGTERM and SIGINT back to whoever had them before `install`."""
        while self._previous:
            number, handler = self._previous.popitem()
            signal.signal(number, handler)

    def arm(self) -> None:
        """From now on a stop signal interrupts the main thread; one that came before does
        so now."""
        self.armed = True
        if self.requested is not None and self.armed:
            self.armed = False
            raise KeyboardInterrupt

    def until_stopped(self, every: float = 1.0) -> NoReturn:
        """Wait for a stop signal, armed: its ``KeyboardInterrupt`` is raised here. One that
        was lost (raised while the main thread ran code that swallowed it, a ``__del__`` or a
        library's ``except BaseException``) is raised again within ``every`` seconds."""
        while True:
            self.arm()
            threading.Event().wait(every)

    def disarm(self) -> None:
        """Stopping now: later signals are only noted."""
        self.armed = False

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        if self.requested is None:
            self.requested = signal.Signals(number).name
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt


class Abandoned(Exception):
    """The process is stopping: a call to an outside service was left unanswered. What it
    was to do was recorded before it was asked, and is done again at the next start."""


def unless_stopping(call: Callable[[], T], stopping: threading.Event, what: str) -> T:
    """``call()``'s result (or its exception), unless ``stopping`` is set first: then
    `Abandoned` at once, and ``call`` is left to end by itself in a daemon thread (its
    client's time-out), so that a stop never waits for GitHub or PagerDuty."""
    if stopping.is_set():
        raise Abandoned(what)
    done = threading.Event()
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except Exception as exc:  # noqa: BLE001 (raised again in the caller's thread)
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name=f"outside: {what}", daemon=True).start()
    while not done.wait(0.05):  # a stop is noticed within 50 ms
        if stopping.is_set():
            raise Abandoned(what)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]
