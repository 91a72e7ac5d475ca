"""End to end: the real bot on the local Slack server serves /healthz, /readyz (Slack
connected through the project's backend, the database answering, role ``single``) and
/metrics (an urgent post counted once, the backend's Slack Web API calls by method), and with
WATCHSTANDER_LOG_FORMAT=json logs one JSON object a line, naming the thread it handles and
never the tokens (logged at DEBUG, where every Slack call is said)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import pytest
from e2e_helpers import POSTER, SUPPORT, Bot, free_port, wait_until
from prometheus_client.parser import text_string_to_metric_families

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e
URGENT = "<!subteam^S0ONCALL|@oncall> the nightly export is empty"


def get(port: int, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
        return answer.status, answer.read()


def samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = get(port, "/metrics")[1].decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_health_metrics_and_json_logs_of_the_real_bot(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    port = free_port()
    bot = make_bot(WATCHSTANDER_HTTP_PORT=str(port), WATCHSTANDER_LOG_FORMAT="json")
    assert get(port, "/healthz") == (200, b'{"status": "live"}\n')
    status, body = get(port, "/readyz")
    assert status == 200, body
    role = "leader" if bot.database.startswith("postgresql") else "single"  # the lease
    assert json.loads(body) == {
        "ready": True,
        "role": role,
        "chat": "connected",
        "database": "ok",
    }
    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)
    opened = ("watchstander_threads_opened_total", (("level", "urgent"),))
    wait_until(lambda: samples(port).get(opened) == 1, 30, "the urgent thread counted")
    got = samples(port)
    assert got[("watchstander_open_urgent_threads", (("level", "urgent"),))] == 1
    assert got[("watchstander_slack_api_calls_total", (("method", "chat.postMessage"),))] >= 2
    assert got[("watchstander_slack_api_calls_total", (("method", "auth.test"),))] >= 1
    assert got[("watchstander_event_lag_seconds_count", ())] >= 1
    assert got[("watchstander_lease_holder", (("role", role),))] == 1

    output = (bot.data / "bot-output.log").read_text(encoding="utf-8")
    assert not (bot.data / "errbot" / "errbot.log").exists()  # JSON on stderr alone
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len(lines) > 20
    assert {"time", "level", "logger", "message"} <= lines[0].keys()
    assert [d for d in lines if d.get("thread_ts") == root and d.get("channel") == SUPPORT]
    assert slack.bot_token not in output
    assert slack.app_token not in output
