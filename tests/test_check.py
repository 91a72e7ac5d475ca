"""`watchstander check` against the local Slack, PagerDuty and GitHub servers: one line per
setting that is wrong, whether each service answers, the ids people need, and never a secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_helpers import free_port

from watchstander.check import check
from watchstander_errbot import cli
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack

SECRETS = ("xoxb-local", "xapp-local", "gh-secret-token", "pd-secret-token", "routing-secret")


def good_env(slack: LocalSlack, gh: LocalGitHub, pd: LocalPagerDuty) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "ROTATION_ADMINS": "U0ALICE,U0BOB",
        "ONCALL_USERGROUP_ID": "S0ONCALL",
        "GITHUB_TOKEN": gh.token,
        "GITHUB_REPO": gh.repo,
        "GITHUB_API_URL": gh.url,
        "PAGERDUTY_ROUTING_KEY": "routing-secret",
        "PAGERDUTY_API_TOKEN": pd.api_token,
        "PAGERDUTY_SCHEDULE_ID": "PSCHED1",
        "PAGERDUTY_API_URL": pd.url,
        "WATCHSTANDER_DATABASE_URL": "postgresql+psycopg2://bot:hunter2@db.example/watch",
    }


@pytest.fixture
def pd_rest() -> Iterator[LocalPagerDuty]:
    server = LocalPagerDuty(api_token="pd-secret-token").start()
    yield server
    server.stop()


def test_a_good_install_answers_everywhere(
    slack: LocalSlack, gh: LocalGitHub, pd_rest: LocalPagerDuty
) -> None:
    lines = check(good_env(slack, gh, pd_rest), people=True)
    text = "\n".join(str(line) for line in lines)
    assert [line.text for line in lines if line.state == "wrong"] == []
    assert "the bot is @" in text
    assert "#support: found (C0SUPPORT); the bot is a member" in text
    assert "S0ONCALL @oncall (On-call)" in text  # the ids the settings need
    assert "U0CAROL carol" in text
    assert "schedule PSCHED1 answered" in text
    assert f"GitHub: {gh.repo} answered; the token can write its issues" in text
    assert "bot:***@db.example" in text
    assert "found by words and meaning (all-MiniLM-L6-v2, no download)" in text  # make test's
    for secret in (*SECRETS, "hunter2"):
        assert secret not in text


def test_the_meaning_extra_turned_off_is_one_line(
    slack: LocalSlack, gh: LocalGitHub, pd_rest: LocalPagerDuty
) -> None:
    env = good_env(slack, gh, pd_rest) | {"WATCHSTANDER_MEANING": "off"}
    lines = [line for line in check(env) if "MEANING" in line.text or "meaning" in line.text]
    assert [(line.state, line.text) for line in lines] == [
        ("off", "WATCHSTANDER_MEANING=off: earlier threads are found by their words")
    ]
    bad = env | {"WATCHSTANDER_MEANING": "yes please"}
    wrong = [line.text for line in check(bad) if line.state == "wrong"]
    assert "WATCHSTANDER_MEANING: 'yes please' is not a choice: use auto or off" in wrong


def test_every_wrong_setting_is_one_line_and_the_exit_is_not_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    free = free_port()
    wrong = {
        "SLACK_BOT_TOKEN": "xapp-swapped",
        "SLACK_APP_TOKEN": "xoxb-swapped",
        "SLACK_API_URL": f"http://127.0.0.1:{free}/api/",
        "TIMEZONE": "Mars/Olympus",
        "UPDATE_INTERVAL": "soon",
        "CLAIM_TARGET": "-5",
        "REVIEW_SCHEDULE": "someday",
        "DIGEST_SCHEDULE": "never 25:00",
        "WATCHSTANDER_HTTP_PORT": "http",
        "REVIEW_REACTIONS": "nonsense",
        "ROTATION_ADMINS": "bob,<!channel>",
        "ONCALL_USERGROUP_ID": "oncall",
    }
    monkeypatch.setattr("os.environ", wrong)
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    wrong_lines = [line for line in out if line.startswith("✗ ")]
    for name in (
        "TIMEZONE",
        "UPDATE_INTERVAL",
        "CLAIM_TARGET",
        "REVIEW_SCHEDULE",
        "DIGEST_SCHEDULE",
        "WATCHSTANDER_HTTP_PORT",
        "REVIEW_REACTIONS",
        "ONCALL_USERGROUP_ID",
    ):
        assert sum(line.startswith(f"✗ {name}") for line in wrong_lines) == 1, (name, out)
    assert sum("ROTATION_ADMINS" in line for line in wrong_lines) == 2
    assert any("SLACK_BOT_TOKEN does not start with xoxb-" in line for line in wrong_lines)
    assert any(line.startswith("✗ Slack bot token: ") for line in wrong_lines)
    assert out[-1] == f"{len(wrong_lines)} to fix"
    assert not any("Traceback" in line or "swapped" in line for line in out)


def test_a_refused_token_says_slack_s_reason(slack: LocalSlack) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_API_URL": slack.api_url}
    lines = [line for line in check(env) if line.text.startswith("Slack bot token")]
    assert [line.state for line in lines] == ["wrong"]
    assert "invalid_auth" in lines[0].text


def test_the_manifest_command_prints_the_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["manifest", "--private-channel"]) == 0
    assert '"message.groups"' in capsys.readouterr().out


def test_run_without_tokens_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.environ", {})
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "SLACK_BOT_TOKEN and SLACK_APP_TOKEN not set" in err[0]


def test_the_calendar_feed_is_read_once() -> None:
    from ical_helpers import SECRET, FeedServer, fixture

    server = FeedServer().start()
    try:
        server.body = fixture("pagerduty.ics")
        lines = [str(line) for line in check({"ONCALL_ICAL_URL": server.feed})]
        shown = [line for line in lines if "Calendar feed" in line]
        assert len(shown) == 1
        assert shown[0].startswith("✓ Calendar feed at 127.0.0.1: ")
        server.status = 500
        lines = [str(line) for line in check({"ONCALL_ICAL_URL": server.feed})]
        assert "✗ Calendar feed at 127.0.0.1: the calendar feed at 127.0.0.1 answered 500" in lines
        assert all(SECRET not in line for line in lines)
    finally:
        server.stop()
