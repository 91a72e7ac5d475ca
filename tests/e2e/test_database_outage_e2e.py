"""The database refusing work under the bot: an event it could not record is not acked (so
Slack sends it again) and nothing is said; once the database takes it again, Slack's retry is
answered, once. Runs on PostgreSQL, where the bot shares the database with other processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from database_helpers import rename_table
from e2e_helpers import POSTER, SUPPORT, Bot, wait_until
from test_replicas_e2e import pg_url
from test_triage_e2e import URGENT

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e


__all__ = ["pg_url"]  # the fixture, from the replicas' tests


@pytest.fixture
def bot(slack: LocalSlack, tmp_path: Path, pg_url: str) -> Iterator[Bot]:
    started = Bot(slack, tmp_path, pg_url)
    try:
        started.start()
        yield started
    finally:
        started.close()


def test_an_event_the_database_refused_is_not_acked_and_its_retry_is_answered_once(
    slack: LocalSlack, bot: Bot, pg_url: str
) -> None:
    rename_table(pg_url, "events", "events_away")  # every statement on events fails now
    try:
        root = slack.post(POSTER, SUPPORT, URGENT)
        (envelope,) = [e for e in slack.envelopes if e["payload"]["event"].get("ts") == root]
        envelope_id = str(envelope["envelope_id"])
        wait_until(lambda: "left to Slack's retry" in bot.log_tail(), 30, "the refusal logged")
        assert envelope_id not in slack.acks
        assert bot.texts(root) == []
    finally:
        rename_table(pg_url, "events_away", "events")
    slack.redeliver(envelope_id)  # Slack's retry of an envelope not acked
    bot.wait_posts(root, 1)
    wait_until(lambda: envelope_id in slack.acks, 30, "the retry acked")
    slack.redeliver(envelope_id)  # and once more: handled once, acked again
    wait_until(lambda: slack.acks.count(envelope_id) == 2, 30, "the second retry acked")
    assert len(bot.texts(root)) == 1
    own = (bot.data / "errbot" / "errbot.log").read_text(encoding="utf-8")  # the log, once
    lines = [line for line in own.splitlines() if "not taken" in line]
    assert len(lines) == 1, lines
    assert "relation" in lines[0]  # the database's own first line, not a traceback
