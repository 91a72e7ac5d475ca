"""The Prometheus adapter: the scheduler's lag (the real APScheduler, a job run late),
Slack's Web API calls and 429s by method (the local Slack server's rate limit, the
project's client) and Mattermost's REST calls and 429s by route (the local Mattermost
server's limiter) as read at scrape time, the replica's role, and a database that does not
answer giving no open-thread figure rather than a wrong one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError

from watchstander.adapters.api_tally import ApiTally
from watchstander.adapters.mattermost_api import MattermostApi, MattermostApiError
from watchstander.adapters.mattermost_http import RATE_LIMIT_RETRIES as MM_RETRIES
from watchstander.adapters.metrics import PrometheusMetrics
from watchstander.adapters.slack_web import RATE_LIMIT_RETRIES, CachedWebClient
from watchstander.jobs import Scheduler
from watchstander.store import Store
from watchstander_sandbox.mattermost import LocalMattermost
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


def samples_of(metrics: PrometheusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


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


def test_mattermost_calls_and_429s_by_route_on_metrics(mattermost: LocalMattermost) -> None:
    slept: list[float] = []
    api = MattermostApi(mattermost.url, mattermost.bot_token, proxies=False, sleep=slept.append)
    api.connect(mattermost.world.team.name)
    support = api.channel_id("support")
    mattermost.rate_limit(per_second=0.001, burst=1)  # one call, then 429s
    api.create_post({"channel_id": support, "message": "one"})
    with pytest.raises(MattermostApiError, match="still rate limited"):
        api.create_post({"channel_id": support, "message": "two"})
    mattermost.rate_limit(None)
    assert len(slept) == MM_RETRIES  # no real wait: the sleeps are recorded
    assert all(wait > 60 for wait in slept)  # as Retry-After said, capped at a minute
    metrics = PrometheusMetrics()
    metrics.read_at_scrape(
        open_threads=lambda: None, role=lambda: "single", api_calls=api.tally,
        api_platform="mattermost",
    )  # fmt: skip
    samples = samples_of(metrics)
    calls, limited = (
        "watchstander_mattermost_api_calls_total",
        "watchstander_mattermost_api_ratelimited_total",
    )
    assert samples[(calls, (("method", "POST /posts"),))] == 2
    assert samples[(calls, (("method", "GET /users/me"),))] == 1
    assert samples[(calls, (("method", "GET /teams/{id}/channels/name/{id}"),))] == 1
    assert samples[(limited, (("method", "POST /posts"),))] == MM_RETRIES + 1
    assert not [k for k in samples if k[0].startswith("watchstander_slack_api")]  # declared only
    with pytest.raises(ValueError, match="teams"):
        PrometheusMetrics().read_at_scrape(
            open_threads=lambda: None, role=lambda: "single", api_platform="teams"
        )
