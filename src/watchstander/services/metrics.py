"""What the services count and time, as a port: the composition root fills it with the
Prometheus adapter (:mod:`watchstander.adapters.metrics`); without one nothing is counted.
Services call it where the thing happens, after the transaction that decided it committed;
they never import a metrics library."""

from __future__ import annotations

from typing import Protocol

STEPS = ("first_response", "claim", "resolve")  # what ``took`` times, from the post


class Metrics(Protocol):
    def thread_opened(self, level: str) -> None:
        """A new thread's root post was recorded (once), at ``level`` (its label)."""
        ...

    def took(self, step: str, level: str, seconds: float) -> None:
        """A thread reached ``step`` (one of :data:`STEPS`) ``seconds`` after its post."""
        ...

    def timed_action(self, kind: str, level: str) -> None:
        """The bot took a timed action in a thread: ``checkin``, ``escalation``..."""
        ...

    def paged(self, action: str, failed: bool) -> None:
        """A PagerDuty event (``trigger``, ``acknowledge``, ``resolve``) was sent, or failed."""
        ...

    def event_lag(self, seconds: float) -> None:
        """A chat event was handled ``seconds`` after the platform says it happened."""
        ...

    def job_lag(self, job: str, seconds: float) -> None:
        """A scheduled job began ``seconds`` after the time it was scheduled for."""
        ...


class NoMetrics:
    """Counts nothing (services built without the root, tests that need no figures)."""

    def thread_opened(self, level: str) -> None:
        return None

    def took(self, step: str, level: str, seconds: float) -> None:
        return None

    def timed_action(self, kind: str, level: str) -> None:
        return None

    def paged(self, action: str, failed: bool) -> None:
        return None

    def event_lag(self, seconds: float) -> None:
        return None

    def job_lag(self, job: str, seconds: float) -> None:
        return None


NO_METRICS: Metrics = NoMetrics()
