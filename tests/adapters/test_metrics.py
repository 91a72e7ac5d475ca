"""The Prometheus adapter: the scheduler's lag (the real APScheduler, a job run late),
Slack's Web API calls and 429s by method (the local Slack server's rate limit, the
project's client) as read at scrape time, the replica's role, and a database that does not
answer giving no open-thread figure rather than a wrong one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError

from watchstander.adapters.metrics import PrometheusMetrics
from watchstander.adapters.slack_web import RATE_LIMIT_RETRIES, ApiTally, CachedWebClient
from watchstander.jobs import Scheduler
from watchstander.store import Store
from watchstander_sandbox.slack import LocalSlack


def value(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_the_schedulers_lag_is_a_jobs_start_minus_its_time(store: Store) -> None:
    metrics = PrometheusMetrics()
    scheduler = Scheduler(store.engine, UTC, store.writer)
    scheduler.when_job_late(metrics.job_lag, lambda: datetime.now(UTC))
    ran = threading.Event()
    scheduler.when_job_done(ran.set)
    scheduler.start()
    try:
        scheduler.arm(datetime.now(UTC) - timedelta(seconds=40))  # missed by 40 s: runs now
        assert ran.wait(10), "the timer job did not run within 10 s"
    finally:
        scheduler.shutdown()
    name = "watchstander_scheduler_lag_seconds"
    assert value(metrics, f"{name}_count", job="due-timers") == 1
    assert 40 <= value(metrics, f"{name}_sum", job="due-timers") < 50
    assert value(metrics, f"{name}_bucket", job="due-timers", le="30.0") == 0
    assert value(metrics, f"{name}_bucket", job="due-timers", le="60.0") == 1


def test_slack_calls_and_429s_by_method_on_metrics(slack: LocalSlack) -> None:
    tally = ApiTally()
    slept: list[float] = []
    client = CachedWebClient(
        token=slack.bot_token, base_url=slack.api_url, tally=tally, sleep=slept.append
    )
    slack.limit("reactions.add", per_minute=1, burst=1)
    client.auth_test()
    client.chat_postMessage(channel="C0SUPPORT", text="hello")
    ts_ = client.chat_postMessage(channel="C0SUPPORT", text="react here")["ts"]
    client.reactions_add(channel="C0SUPPORT", timestamp=ts_, name="eyes")
    with pytest.raises(SlackApiError, match="ratelimited"):  # 429, retried, all 429
        client.reactions_add(channel="C0SUPPORT", timestamp=ts_, name="tada")
    assert len(slept) == RATE_LIMIT_RETRIES  # no real wait: the retries' sleeps are recorded
    assert len(slack.limited) == RATE_LIMIT_RETRIES + 1
    metrics = PrometheusMetrics()
    metrics.read_at_scrape(open_threads=lambda: None, role=lambda: "standby", api_calls=tally)
    text = metrics.exposition().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    calls, limited = (
        "watchstander_slack_api_calls_total",
        "watchstander_slack_api_ratelimited_total",
    )
    assert samples[(calls, (("method", "chat.postMessage"),))] == 2
    assert samples[(calls, (("method", "reactions.add"),))] == 2
    assert samples[(calls, (("method", "auth.test"),))] == 1
    assert samples[(limited, (("method", "reactions.add"),))] == RATE_LIMIT_RETRIES + 1
    assert (limited, (("method", "chat.postMessage"),)) not in samples
    assert samples[("watchstander_lease_holder", (("role", "standby"),))] == 0
    assert not [k for k in samples if k[0] == "watchstander_open_urgent_threads"]  # no figure
