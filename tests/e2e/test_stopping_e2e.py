"""The bot (`errbot -c config.py` on the project's Slack backend) stopped by SIGTERM or SIGINT,
while it runs and during its start-up, and started against a Slack that does not answer:

- a stop signal stops it within `STOPS` (5) seconds with exit code 0: the Socket Mode connection is
  closed, the events it took (acked) are handled and stored, the App is closed (web server,
  scheduler, database), Errbot's storage too;
- each failed attempt to reach Slack is one log line naming the reason, never a traceback,
  with Errbot's back-off between attempts;
- the log file's path is said once, at start."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from e2e_helpers import POSTER, SUPPORT, Bot, errbot_log, exit_code, free_port, wait_until

from watchstander_sandbox.bot_process import bot_env, log_tail, start_bot, stop_bot
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e
URGENT = "<!subteam^S0ONCALL|@oncall> the invoice export is empty, then the bot was stopped"
CLOSED = "Closed: the web server, the scheduler and the database"
LOUD = re.compile(r"\S+ \S+ (INFO|WARNING|ERROR|CRITICAL) ")  # a log line at INFO or above
SIGNALS = pytest.mark.parametrize(
    "stop", [signal.SIGTERM, signal.SIGINT], ids=lambda s: cast(signal.Signals, s).name
)


@SIGNALS
def test_a_signal_stops_the_bot_and_keeps_what_it_took(
    slack: LocalSlack, make_bot: Callable[..., Bot], stop: signal.Signals
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, URGENT)
    envelope = next(
        e["envelope_id"] for e in slack.envelopes if e["payload"]["event"]["ts"] == root
    )
    # The bot took the post (acked it: Slack will not send it again): now it must keep it.
    assert slack.wait_for(lambda s: envelope in s.acks, 30), bot.log_tail()
    assert bot.process is not None
    bot.process.send_signal(stop)
    assert exit_code(bot.process, bot.data) == 0, bot.log_tail()
    with bot.store().transaction() as tx:
        assert tx.thread(SUPPORT, root) is not None, bot.log_tail()
    log = errbot_log(bot.data)
    assert f"Stopping ({stop.name})" in log
    assert CLOSED in log, bot.log_tail()
    assert "Watchstander stopped." in log, bot.log_tail()
    assert "Traceback" not in log


@pytest.mark.parametrize("moment", ["retrying", "activating"])
def test_sigterm_during_start_up_stops_the_bot(
    slack: LocalSlack, tmp_path: Path, moment: str
) -> None:
    if moment == "retrying":
        slack.fail("auth.test", "internal_error")  # a Slack outage: Errbot's back-off, again
    env = bot_env(slack, tmp_path, WATCHSTANDER_LOG_LEVEL="DEBUG")
    process = start_bot(env, tmp_path / "bot-output.log")
    try:
        if moment == "retrying":
            wait_until(lambda: "retrying in" in errbot_log(tmp_path), 60, log_tail(tmp_path))
        else:  # connected: the plugins activate now, on Slack's hello
            assert slack.wait_for(lambda s: s.connected or process.poll() is not None, 60)
        process.send_signal(signal.SIGTERM)
        assert exit_code(process, tmp_path) == 0, log_tail(tmp_path)
    finally:
        stop_bot(process)
    log = errbot_log(tmp_path)
    assert "Stopping (SIGTERM)" in log
    assert "Traceback" not in log
    if "Watching #" in log:  # the App had started: it was closed
        assert CLOSED in log, log_tail(tmp_path)


def test_a_slack_that_does_not_answer_is_one_line_per_attempt(
    slack: LocalSlack, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = bot_env(slack, tmp_path, WATCHSTANDER_LOG_LEVEL="DEBUG", SLACK_API_URL=nowhere)
    process = start_bot(env, tmp_path / "bot-output.log")
    said = f"Slack did not answer at {nowhere}: connection refused; retrying in "
    try:
        wait_until(lambda: errbot_log(tmp_path).count(said) >= 2, 60, log_tail(tmp_path))
        process.send_signal(signal.SIGTERM)
        assert exit_code(process, tmp_path) == 0, log_tail(tmp_path)
    finally:
        stop_bot(process)
    log = errbot_log(tmp_path)
    output = (tmp_path / "bot-output.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log + output
    lines = log.splitlines()
    loud = [line for line in lines if LOUD.match(line) and " INFO " not in line]
    failed = [line for line in loud if said in line]
    assert failed == loud, loud  # nothing else is said about it, slack_sdk included
    attempts = [line for line in lines if "Verifying the Slack token" in line]
    assert len(failed) >= 2
    assert len(attempts) - 1 <= len(failed) <= len(attempts)  # the last may have been cut
    first = next(n for n, line in enumerate(lines) if "Verifying the Slack token" in line)
    end = next(n for n, line in enumerate(lines) if "Stopping (SIGTERM)" in line)
    said_meanwhile = [line for line in lines[first + 1 : end] if LOUD.match(line)]
    assert said_meanwhile == failed, said_meanwhile  # at INFO: one line an attempt, no more
    delays = [float(line.rsplit("retrying in ", 1)[1].split()[0]) for line in failed]
    assert delays == sorted(delays)  # Errbot's back-off
    logging_to = [line for line in lines if "Watchstander: logging to" in line]
    assert len(logging_to) == 1, logging_to  # said once, however many attempts
    assert logging_to[0].endswith(f"logging to {tmp_path / 'errbot' / 'errbot.log'}")
    assert " INFO " in logging_to[0]
