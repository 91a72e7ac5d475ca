"""End to end on Mattermost under its rate limiter: the real bot (a subprocess) against the
local Mattermost server answering 429 as Mattermost's limiter does. A burst is answered once
each, nothing lost, and ``/metrics`` counts the 429s by route."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_mattermost_e2e import WAIT, MattermostBot, settle

from watchstander_sandbox.bot_process import free_port
from watchstander_sandbox.mattermost import LocalMattermost

pytestmark = pytest.mark.e2e
BURST = 8


def scraped(port: int) -> dict[tuple[str, str], float]:
    """(sample name, its method label) -> value, from the bot's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=WAIT) as answer:
        text = answer.read().decode()
    return {
        (s.name, s.labels.get("method", "")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_burst_under_the_rate_limit_is_answered_once_each(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    port = free_port()
    bot = MattermostBot(mattermost, tmp_path)
    bot.start(WATCHSTANDER_HTTP_PORT=str(port))
    try:
        mattermost.rate_limit(per_second=4, burst=2)  # Mattermost's limiter, tight
        roots = [
            mattermost.post("carol", "support", f"@oncall burst {n}: the export is broken")
            for n in range(BURST)
        ]
        for root in roots:
            bot.wait_replies(root, 1)
        settle(bot)
        answers = {root: [p["message"] for p in bot.posts(root)] for root in roots}
        assert all(len(said) == 1 for said in answers.values()), answers
        assert mattermost.limited, "the limiter never answered 429: the test proves nothing"
        posts_refused = [c for c in mattermost.limited if c.matches("POST /api/v4/posts")]
        got = scraped(port)
        limited = "watchstander_mattermost_api_ratelimited_total"
        assert sum(v for (name, _), v in got.items() if name == limited) >= len(posts_refused)
        assert got[(limited, "POST /posts")] == len(posts_refused)
        assert got[("watchstander_mattermost_api_calls_total", "POST /posts")] >= BURST
        assert not [k for k in got if k[0] == "watchstander_slack_api_calls_total"]
        assert "still rate limited" not in bot.log()
        assert "Traceback" not in bot.log()
    finally:
        mattermost.rate_limit(None)
        bot.stop()
