"""SIGTERM and SIGINT as a request to stop: raised once as KeyboardInterrupt while armed, only
noted otherwise (sent to this process, whose main thread runs the test)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import pytest

from watchstander.stopping import Abandoned, StopSignals, unless_stopping


@pytest.fixture
def stops() -> Iterator[StopSignals]:
    taken = StopSignals().install()
    yield taken
    taken.uninstall()


def deliver(number: signal.Signals) -> None:
    """Send ``number`` to this process; its handler runs before this returns."""
    signal.raise_signal(number)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=lambda n: n.name)
def test_an_armed_signal_interrupts_the_main_thread_once(
    stops: StopSignals, number: signal.Signals
) -> None:
    stops.arm()
    with pytest.raises(KeyboardInterrupt):
        deliver(number)
    assert stops.requested == number.name
    deliver(signal.SIGTERM)  # stopping already: noted, not raised again
    assert stops.requested == number.name


def test_a_signal_before_arming_is_raised_when_armed(stops: StopSignals) -> None:
    deliver(signal.SIGTERM)  # start-up: nothing to interrupt yet
    assert stops.requested == "SIGTERM"
    with pytest.raises(KeyboardInterrupt):
        stops.arm()
    assert not stops.armed
    with pytest.raises(KeyboardInterrupt):
        stops.arm()  # a stop asked for stays asked for


def test_a_stop_whose_interrupt_was_swallowed_is_raised_again(stops: StopSignals) -> None:
    stops.arm()
    with contextlib.suppress(KeyboardInterrupt):  # as a ``__del__`` or a library's
        deliver(signal.SIGTERM)  # ``except BaseException`` would
    assert not stops.armed
    with pytest.raises(KeyboardInterrupt):
        stops.until_stopped(every=0.01)


def test_until_stopped_waits_for_a_stop() -> None:
    stops = StopSignals()  # not installed: the stop is noted by hand, from another thread
    ended: list[BaseException] = []

    def wait() -> None:
        try:
            stops.until_stopped(every=0.01)
        except KeyboardInterrupt as stop:
            ended.append(stop)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert not ended  # no stop yet
    stops.requested = "SIGTERM"
    waiter.join(10)
    assert not waiter.is_alive(), "until_stopped did not notice the stop within 10 s"
    assert len(ended) == 1


def test_a_disarmed_signal_is_only_noted(stops: StopSignals) -> None:
    stops.arm()
    stops.disarm()
    deliver(signal.SIGINT)
    assert stops.requested == "SIGINT"


def test_uninstall_gives_the_signals_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    taken = StopSignals().install()
    assert signal.getsignal(signal.SIGTERM) != before
    taken.uninstall()
    assert signal.getsignal(signal.SIGTERM) == before


def test_unless_stopping_gives_the_call_s_result_or_its_error() -> None:
    stopping = threading.Event()
    assert unless_stopping(lambda: 42, stopping, "an answer") == 42

    def fails() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        unless_stopping(fails, stopping, "a refusal")


def test_unless_stopping_lets_go_of_a_call_that_has_not_answered() -> None:
    stopping, release, asked = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        asked.set()
        release.wait(30)  # GitHub or PagerDuty, slow to answer
        return "late"

    def stop_once_asked() -> None:
        assert asked.wait(10), "the call never started"
        stopping.set()

    helper = threading.Thread(target=stop_once_asked)
    helper.start()
    try:
        with pytest.raises(Abandoned, match="a slow service"):
            unless_stopping(slow, stopping, "a slow service")
        assert not release.is_set()  # it let go while the call still waited
        with pytest.raises(Abandoned):  # once stopping, nothing more is asked
            unless_stopping(lambda: pytest.fail("asked while stopping"), stopping, "more")
    finally:
        release.set()
        helper.join(10)
