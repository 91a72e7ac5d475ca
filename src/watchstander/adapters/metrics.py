"""The services' :class:`~watchstander.services.metrics.Metrics` port as Prometheus metrics,
in a registry of the App's own (never the process-wide default: two Apps in one test
process count apart), served on ``/metrics`` in Prometheus' text format.

What is counted where it happens comes in through the port; what is a state (the open urgent
threads, this replica's role, the chat platform's API calls counted by its client: Slack's
Web API by method, Mattermost's REST API by HTTP method and route) is read when Prometheus
scrapes, from the callables given here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

PREFIX = "watchstander"
LEVELS = ("general", "urgent", "emergency")
PAGE_ACTIONS = ("trigger", "acknowledge", "resolve")
# from half a minute to a day: how long people take to answer, claim and resolve
PEOPLE_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400)
# from 50 ms to 5 minutes: how late the bot is itself
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
LEADING_ROLES = frozenset({"single", "leader"})  # roles that run the scheduled work
# each chat platform's API calls are a metric of its own (their methods are named its way)
API_NAMES = {"slack": "Slack Web API", "mattermost": "Mattermost REST API"}
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ApiCounts(Protocol):
    """A chat platform's Web API calls and rate-limit refusals so far, by method."""

    def __call__(self) -> tuple[Mapping[str, int], Mapping[str, int]]: ...


class PrometheusMetrics:
    """The port's counters and histograms, and the states read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.opened = Counter(
            f"{PREFIX}_threads_opened", "Threads opened, by level", ["level"], registry=r
        )
        self.steps = {
            step: Histogram(
                f"{PREFIX}_time_to_{step}_seconds",
                f"Seconds from a thread's post to its {step.replace('_', ' ')}, by level",
                ["level"],
                buckets=PEOPLE_BUCKETS,
                registry=r,
            )
            for step in ("first_response", "claim", "resolve")
        }
        self.checkins = Counter(
            f"{PREFIX}_checkins_sent", "Check-ins asked for, by level", ["level"], registry=r
        )
        self.escalations = Counter(
            f"{PREFIX}_escalations", "Escalations after unanswered check-ins", ["level"], registry=r
        )
        self.actions = Counter(
            f"{PREFIX}_timed_actions",
            "Every timed action the bot took (check-ins, reminders, breaches...)",
            ["kind"],
            registry=r,
        )
        self.pages = Counter(
            f"{PREFIX}_pages",
            "PagerDuty events sent or failed, by action",
            ["action", "outcome"],
            registry=r,
        )
        self.event_lags = Histogram(
            f"{PREFIX}_event_lag_seconds",
            "Seconds from a chat event's own time to its handling",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.job_lags = Histogram(
            f"{PREFIX}_scheduler_lag_seconds",
            "Seconds from a scheduled job's due time to its start, by job",
            ["job"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        for level in LEVELS:  # every series exists from the start (rate() sees the first one)
            self.opened.labels(level)
            self.checkins.labels(level)
            self.escalations.labels(level)
            for histogram in self.steps.values():
                histogram.labels(level)
        for action in PAGE_ACTIONS:
            for outcome in ("sent", "failed"):
                self.pages.labels(action, outcome)

    # --- the port -------------------------------------------------------------------------------

    def thread_opened(self, level: str) -> None:
        self.opened.labels(level).inc()

    def took(self, step: str, level: str, seconds: float) -> None:
        histogram = self.steps.get(step)
        if histogram is not None:
            histogram.labels(level).observe(max(0.0, seconds))

    def timed_action(self, kind: str, level: str) -> None:
        self.actions.labels(kind).inc()
        if kind == "checkin":
            self.checkins.labels(level).inc()
        elif kind == "escalation":
            self.escalations.labels(level).inc()

    def paged(self, action: str, failed: bool) -> None:
        self.pages.labels(action, "failed" if failed else "sent").inc()

    def event_lag(self, seconds: float) -> None:
        self.event_lags.observe(max(0.0, seconds))

    def job_lag(self, job: str, seconds: float) -> None:
        self.job_lags.labels(job).observe(max(0.0, seconds))

    # --- read at scrape time --------------------------------------------------------------------

    def read_at_scrape(
        self,
        *,
        open_threads: Callable[[], Mapping[str, int] | None],
        role: Callable[[], str],
        api_calls: ApiCounts | None = None,
        api_platform: str = "slack",
    ) -> None:
        """The states Prometheus reads when it scrapes (each asked once per scrape);
        ``api_calls`` are ``api_platform``'s (a key of API_NAMES)."""
        if api_platform not in API_NAMES:
            raise ValueError(f"no API metrics for the platform {api_platform!r}")
        self.registry.register(_AtScrape(open_threads, role, api_calls, api_platform))

    def exposition(self) -> bytes:
        """Everything, in Prometheus' text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)


class _AtScrape(Collector):
    def __init__(
        self,
        open_threads: Callable[[], Mapping[str, int] | None],
        role: Callable[[], str],
        api_calls: ApiCounts | None,
        api_platform: str,
    ) -> None:
        self._open, self._role, self._calls = open_threads, role, api_calls
        self._platform = api_platform

    def describe(self) -> Iterable[Metric]:
        return []  # nothing is read when registered

    def collect(self) -> Iterable[Metric]:
        counts = self._open()
        if counts is not None:  # the database did not answer: no figure rather than a wrong one
            gauge = GaugeMetricFamily(
                f"{PREFIX}_open_urgent_threads",
                "Open urgent and emergency threads, by level",
                labels=["level"],
            )
            for level in LEVELS[1:]:
                gauge.add_metric([level], counts.get(level, 0))
            yield gauge
        role = self._role()
        holder = GaugeMetricFamily(
            f"{PREFIX}_lease_holder",
            "1 when this replica runs the scheduled work (single or leader), else 0",
            labels=["role"],
        )
        holder.add_metric([role], 1 if role in LEADING_ROLES else 0)
        yield holder
        # every platform's families are declared (a dashboard's queries name them all); the
        # one the bot runs on has samples
        for platform, name in API_NAMES.items():
            calls = CounterMetricFamily(
                f"{PREFIX}_{platform}_api_calls", f"{name} calls, by method", labels=["method"]
            )
            limited = CounterMetricFamily(
                f"{PREFIX}_{platform}_api_ratelimited",
                f"{name} answers of 429 (rate limited), by method",
                labels=["method"],
            )
            if self._calls is not None and platform == self._platform:
                made, refused = self._calls()
                for method, n in sorted(made.items()):
                    calls.add_metric([method], n)
                for method, n in sorted(refused.items()):
                    limited.add_metric([method], n)
            yield calls
            yield limited
