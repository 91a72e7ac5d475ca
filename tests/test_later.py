"""Work left by an event: done after, in order, on a thread of its own and in the event's log
context; a fault is one logged trace; a stop waits a bounded time and says what it let go."""

from __future__ import annotations

import logging
import threading

import pytest

from watchstander.later import Later
from watchstander.logs import current_thread, in_thread

WAIT = 10.0  # a bound that fails loudly, never a pause


def test_work_is_done_after_in_order_in_the_events_context() -> None:
    later = Later("test-later", "test work")
    done: list[tuple[int, str, tuple[str, str] | None]] = []
    gate = threading.Event()
    later(gate.wait, WAIT)  # the caller goes on meanwhile
    for n in range(5):
        with in_thread("C0SUPPORT", f"1.{n}"):
            later(lambda n: done.append((n, threading.current_thread().name, current_thread())), n)
    assert done == []
    gate.set()
    assert later.idle(WAIT)
    assert [n for n, _, _ in done] == list(range(5))
    assert {name.startswith("test-later") for _, name, _ in done} == {True}
    assert [about for _, _, about in done] == [("C0SUPPORT", f"1.{n}") for n in range(5)]
    later.close()


def test_a_fault_is_logged_and_the_work_after_it_is_done(caplog: pytest.LogCaptureFixture) -> None:
    later = Later("test-later", "test work")
    done: list[str] = []

    def broken() -> None:
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, "watchstander.later"):
        later(broken)
        later(done.append, "after")
        assert later.idle(WAIT)
    assert done == ["after"]
    (record,) = caplog.records
    assert record.getMessage() == "test work failed"
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError
    later.close()


def test_a_stop_waits_its_bound_then_lets_the_rest_go(caplog: pytest.LogCaptureFixture) -> None:
    later = Later("test-later", "test work")
    done: list[int] = []
    later(done.append, 1)
    later.close(WAIT)  # what was handed over is done first
    assert done == [1]
    gate, running = threading.Event(), threading.Event()
    stuck = Later("test-stuck", "stuck work")

    def held() -> None:
        running.set()
        gate.wait(WAIT)

    stuck(held)
    stuck(done.append, 2)
    assert running.wait(WAIT)
    with caplog.at_level(logging.INFO, "watchstander.later"):
        stuck.close(0.05)
        stuck(done.append, 3)
    gate.set()
    assert stuck.idle(WAIT)
    assert done == [1]  # the queued one was let go, and so was one after the stop
    assert [r.getMessage() for r in caplog.records] == [
        "Stopping: 2 of stuck work left undone after 0 s",
        "Stopping: stuck work left undone",
    ]
