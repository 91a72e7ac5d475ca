"""Settings from the environment: every value that cannot be read stops with one line naming
its variable (and saying how to write it); secrets are kept, and kept out of ``repr``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from watchstander.settings import Settings, SettingsError

DURATIONS = [
    "UPDATE_INTERVAL",
    "EMERGENCY_UPDATE_INTERVAL",
    "CLAIM_TARGET",
    "RESPONSE_TARGET",
    "GENERAL_RESPONSE_TARGET",
    "GENERAL_CLOSE_AFTER",
    "GITHUB_POLL_INTERVAL",
]
CHECKED = [*DURATIONS, "TIMEZONE", "WATCHSTANDER_HTTP_PORT", "REVIEW_SCHEDULE", "DIGEST_SCHEDULE"]
CHECKED.append("REVIEW_REACTIONS")
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-secret-bot",
    "SLACK_APP_TOKEN": "xapp-2222-secret-app",
    "PAGERDUTY_ROUTING_KEY": "R0UT1NGKEY0123456789abcdefABCDEF",
    "PAGERDUTY_API_TOKEN": "u+pd-secret-rest",
    "PAGERDUTY_WEBHOOK_SECRET": "whsec-pd-secret",
    "GITHUB_TOKEN": "ghp_secretsecretsecret",
    "GITHUB_WEBHOOK_SECRET": "gh-webhook-secret",
}


def refused(name: str, value: str) -> str:
    """The one line ``Settings.from_env`` gives for ``name=value`` (it must refuse it)."""
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value, **SECRETS})
    line = str(error.value)
    assert "\n" not in line, line
    assert line.startswith(f"{name}: "), line
    assert not [other for other in CHECKED if re.search(rf"\b{other}\b", line[len(name) :])]
    assert not [secret for secret in SECRETS.values() if secret in line], line
    return line


@pytest.mark.parametrize("name", DURATIONS)
@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("soon", "'soon' is not a duration: write it like 45m, 1h30m or 90s"),
        ("30", "'30' is not a duration: write it like 45m, 1h30m or 90s"),
        ("1w", "'1w' is not a duration: write it like 45m, 1h30m or 90s"),
        ("0m", "'0m' is not a positive duration: write it like 45m"),
    ],
)
def test_a_duration_that_cannot_be_read(name: str, value: str, says: str) -> None:
    assert refused(name, value) == f"{name}: {says}"


@pytest.mark.parametrize("name", DURATIONS)
def test_durations_that_can_be_read(name: str) -> None:
    attribute = {"GITHUB_POLL_INTERVAL": "github_poll_interval"}.get(name, name.lower())
    settings = Settings.from_env({name: " 1h30m "})
    assert getattr(settings, attribute) == timedelta(hours=1, minutes=30)


@pytest.mark.parametrize(
    "value",
    [
        "Mars/Olympus_Mons",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/",
        "utc+2",
        "Europe",  # a folder of the time zone database (OSError in ZoneInfo)
        pytest.param("x" * 300, id="300-characters"),  # too long for a file name (OSError)
    ],
)
def test_an_unknown_time_zone(value: str) -> None:
    assert refused("TIMEZONE", value) == (
        f"TIMEZONE: unknown time zone '{value}': use an IANA name like Europe/Amsterdam"
    )


@pytest.mark.parametrize("value", ["0", "65536", "-1", "http", "80a", "3141.5", "9" * 40])
def test_a_port_that_is_not_one(value: str) -> None:
    line = refused("WATCHSTANDER_HTTP_PORT", value)
    assert line == f"WATCHSTANDER_HTTP_PORT: '{value[:20]}' is not a port: use 1 to 65535"


@pytest.mark.parametrize("name", ["REVIEW_SCHEDULE", "DIGEST_SCHEDULE"])
@pytest.mark.parametrize("value", ["sometimes", "mon 25:00", "mon 10:60", "funday 10:00", "10:00"])
def test_a_schedule_that_cannot_be_read(name: str, value: str) -> None:
    assert refused(name, value) == (
        f"{name}: '{value}' is not a schedule: write it like mon 10:00 or mon-fri 09:00"
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("bugs=beetle", "'bugs' is not a review tag: rename one of "),
        ("bug=", "'bug=': write tag=emoji_name, like bug=beetle"),
        ("bug=two words", "'bug=two words': write tag=emoji_name, like bug=beetle"),
        ("bug=coffin", "two review tags cannot share one reaction name"),
    ],
)
def test_review_reactions_that_cannot_be_read(value: str, says: str) -> None:
    assert refused("REVIEW_REACTIONS", value).startswith(f"REVIEW_REACTIONS: {says}")


def test_good_values_are_read_and_blanks_are_the_defaults() -> None:
    settings = Settings.from_env(
        {
            "TIMEZONE": "Europe/Amsterdam",
            "WATCHSTANDER_HTTP_PORT": "8099",
            "REVIEW_SCHEDULE": "fri 16:30",
            "DIGEST_SCHEDULE": "   ",
            "SUPPORT_CHANNEL": "#help-desk",
            "ONCALL_HANDLE": "@OnCall",
            "EMERGENCY_TAGS": "@Devs, here ,,",
        }
    )
    assert (settings.timezone, settings.http_port) == ("Europe/Amsterdam", 8099)
    assert (settings.review_schedule, settings.digest_schedule) == ("fri 16:30", "mon-fri 09:00")
    assert (settings.support_channel, settings.oncall_handle) == ("help-desk", "oncall")
    assert settings.emergency_tags == ("devs", "here")
    assert settings.digest_target == "help-desk"  # no DIGEST_CHANNEL: the support channel
    assert settings.policy.general_close_after == timedelta(days=3)  # GENERAL_CLOSE_AFTER
    later = Settings.from_env({"GENERAL_CLOSE_AFTER": "5d"}).policy.general_close_after
    assert later == timedelta(days=5)
    assert "today" in settings.topic_stopwords
    assert "heute" not in settings.topic_stopwords
    german = Settings.from_env({"TOPIC_STOPWORDS": "Heute, bitte,,danke "}).topic_stopwords
    assert {"heute", "bitte", "danke", "today"} <= german


def test_secrets_are_kept_but_never_shown() -> None:
    settings = Settings.from_env({**SECRETS, "GITHUB_REPO": "acme/app", "SLACK_API_URL": "  "})
    assert dict(settings.secrets) == SECRETS
    for shown in (repr(settings), str(settings), f"{settings}"):
        assert not [secret for secret in SECRETS.values() if secret in shown]
        assert "github_repo='acme/app'" in shown  # what is not secret is shown
    assert settings.missing_integrations() == []


def test_blank_secrets_are_missing() -> None:
    settings = Settings.from_env({"GITHUB_TOKEN": "  ", "PAGERDUTY_ROUTING_KEY": ""})
    assert dict(settings.secrets) == {}
    assert settings.missing_integrations() == [
        "PagerDuty paging is off: PAGERDUTY_ROUTING_KEY is not set",
        "GitHub issues are off: GITHUB_TOKEN or GITHUB_REPO is not set",
    ]
    assert settings.schedule() is None
    with_schedule = Settings.from_env(
        {"PAGERDUTY_API_TOKEN": "u+token", "PAGERDUTY_SCHEDULE_ID": "PSCHED1"}
    )
    assert with_schedule.schedule() == ("u+token", "PSCHED1")


def test_calendar_feed_url_is_a_secret_and_checked() -> None:
    url = "https://oncall.example.com/api/v1/schedules/ical?token=s3cr3t"
    settings, problems = Settings.read({"ONCALL_ICAL_URL": url})
    assert problems == []
    assert settings.calendar_feed_url == url
    assert "s3cr3t" not in repr(settings)
    _, problems = Settings.read({"ONCALL_ICAL_URL": "file:///etc/s3cr3t"})
    assert problems == ["ONCALL_ICAL_URL: not an http:// or https:// address of a calendar feed"]
    _, problems = Settings.read({"ONCALL_ICAL_URL": url, "PAGERDUTY_SCHEDULE_ID": "P1"})
    assert problems == [
        "ONCALL_ICAL_URL and PAGERDUTY_SCHEDULE_ID: set one source of who is on call, not both"
    ]
    assert Settings.read({})[0].calendar_feed_url is None
