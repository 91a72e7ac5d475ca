"""The metrics counted where things happen, through real service calls on a real store: a
thread opened once (a redelivery is not a second), its first response, first claim and
resolve timed from its post, check-ins and escalations, pages sent and failed (the real
PagerDuty client against the local Events API), and the event lag."""

from __future__ import annotations

import pytest
from pagerduty_helpers import pager_for
from triage_helpers import CHANNEL, ONCALL, SECONDARY, at, post, reply, ts

from watchstander.adapters.metrics import PrometheusMetrics
from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import CommandContext, Effect
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store
from watchstander_sandbox.pagerduty_server import Failure, LocalPagerDuty

URGENT = "<!subteam^S0ONCALL|@oncall> exports fail"
EMERGENCY = "<!subteam^S0DEVS|@devs> the app is down"
POSTER, DEV = "U0CAROL", "U0DAVE"


def triage(
    store: Store, metrics: PrometheusMetrics, pd: LocalPagerDuty | None = None
) -> TriageService:
    said: list[Effect] = []
    return TriageService(
        store,
        Settings.from_env({"ROTATION_ADMINS": f"{ONCALL},{SECONDARY}"}),
        channel_id=CHANNEL,
        emit=said.append,  # type: ignore[arg-type]
        oncall=lambda now: OnCall(ONCALL, SECONDARY),
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
        pager=pager_for(pd) if pd is not None else None,
        metrics=metrics,
    )


def value(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_an_urgent_thread_opened_answered_claimed_checked_escalated_resolved(store: Store) -> None:
    metrics = PrometheusMetrics()
    service = triage(store, metrics)
    commands = ThreadCommands(service)
    service.handle_message(post(0, POSTER, URGENT), at(0.5))
    service.handle_message(post(0, POSTER, URGENT), at(1))  # redelivered: not a second thread
    assert value(metrics, "watchstander_threads_opened_total", level="urgent") == 1
    assert value(metrics, "watchstander_threads_opened_total", level="general") == 0
    assert value(metrics, "watchstander_event_lag_seconds_count") == 2
    assert value(metrics, "watchstander_event_lag_seconds_sum") == pytest.approx(90)
    service.handle_message(reply(3, 0, DEV, "looking"), at(3))  # answers and claims it
    service.handle_message(reply(4, 0, POSTER, "thanks"), at(4))  # not a second answer
    first = "watchstander_time_to_first_response_seconds"
    assert value(metrics, f"{first}_count", level="urgent") == 1
    assert value(metrics, f"{first}_sum", level="urgent") == pytest.approx(180)
    assert value(metrics, f"{first}_bucket", level="urgent", le="120.0") == 0
    assert value(metrics, f"{first}_bucket", level="urgent", le="300.0") == 1
    claim = "watchstander_time_to_claim_seconds"
    assert value(metrics, f"{claim}_count", level="urgent") == 1
    assert value(metrics, f"{claim}_sum", level="urgent") == pytest.approx(180)
    commands.unclaim(CommandContext(CHANNEL, DEV, ts(5), ts(0)), at(5))
    commands.claim(CommandContext(CHANNEL, SECONDARY, ts(7), ts(0)), at(7))  # not the first
    assert value(metrics, f"{claim}_count", level="urgent") == 1
    # two unanswered check-ins, then the escalation (each interval after the last)
    for minutes in (38, 68, 98):
        service.run_due(at(minutes))
    assert value(metrics, "watchstander_checkins_sent_total", level="urgent") == 2
    assert value(metrics, "watchstander_escalations_total", level="urgent") == 1
    assert value(metrics, "watchstander_timed_actions_total", kind="checkin") == 2
    service.run_due(at(98))  # again: nothing more is due, nothing more is counted
    assert value(metrics, "watchstander_checkins_sent_total", level="urgent") == 2
    commands.resolve(CommandContext(CHANNEL, SECONDARY, ts(120), ts(0)), "fixed", at(120))
    assert value(metrics, "watchstander_time_to_resolve_seconds_count", level="urgent") == 1
    assert value(metrics, "watchstander_time_to_resolve_seconds_sum", level="urgent") == 7200


def test_pages_sent_and_failed(store: Store, pd: LocalPagerDuty) -> None:
    metrics = PrometheusMetrics()
    service = triage(store, metrics, pd)
    service.handle_message(post(0, POSTER, EMERGENCY), at(0))
    assert value(metrics, "watchstander_pages_total", action="trigger", outcome="sent") == 1
    assert value(metrics, "watchstander_threads_opened_total", level="emergency") == 1
    pd.fail_next(*[Failure(503)] * 10)
    service.handle_message(post(1, POSTER, EMERGENCY + " again"), at(1))
    assert value(metrics, "watchstander_pages_total", action="trigger", outcome="failed") == 1
    assert value(metrics, "watchstander_pages_total", action="trigger", outcome="sent") == 1
