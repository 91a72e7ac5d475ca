"""Settings: one frozen dataclass built from the environment, once, in ``activate()``.

Every setting has a working default except the secrets (SPEC section 9). A bad value raises
:class:`SettingsError` with one line naming the variable and the expected form.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watchstander.domain.durations import DurationError, parse_duration, parse_schedule
from watchstander.domain.review import BY_REACTION, STOPWORDS, Tag, stopwords, tag_table
from watchstander.domain.thread import Policy
from watchstander.logs import SECRET_SETTINGS

DEFAULT_DATABASE_URL = "sqlite:///data/watchstander.db"
T = TypeVar("T")


class SettingsError(ValueError):
    """A setting that cannot be read."""


def chat_of(env: Mapping[str, str]) -> str:
    """The chat platform: ``WATCHSTANDER_CHAT`` (``slack`` or ``mattermost``), or else
    Mattermost when its token is set and Slack's is not."""
    chosen = env.get("WATCHSTANDER_CHAT", "").strip().lower()
    if chosen in ("slack", "mattermost"):
        return chosen
    mattermost = env.get("MATTERMOST_TOKEN", "").strip()
    return "mattermost" if mattermost and not env.get("SLACK_BOT_TOKEN", "").strip() else "slack"


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _schedule(name: str, value: str) -> str:
    try:
        parse_schedule(value)
    except DurationError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    return value


def _tags(value: str) -> Mapping[str, Tag]:
    try:
        return tag_table(value)
    except ValueError as exc:
        raise SettingsError(f"REVIEW_REACTIONS: {exc}") from None


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, a long name
        raise SettingsError(
            f"TIMEZONE: unknown time zone '{value}': use an IANA name like Europe/Amsterdam"
        ) from None
    return value


ANSWERS = ("ephemeral", "thread", "off")
MEANING = ("auto", "off")  # auto: by meaning too when the meaning extra is installed


def _answers(value: str) -> str:
    return _choice("WATCHSTANDER_ANSWERS", value, ANSWERS)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    word = value.lower()
    if word not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
        raise SettingsError(f"{name}: '{value[:20]}' is not a choice: use {listed}")
    return word


LOG_FORMATS = ("text", "json")


def _log_format(value: str) -> str:
    word = value.lower()
    if word not in LOG_FORMATS:
        raise SettingsError(
            f"WATCHSTANDER_LOG_FORMAT: '{value[:20]}' is not a choice: use text or json"
        )
    return word


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"WATCHSTANDER_HTTP_PORT: '{value[:20]}' is not a port: use 1 to 65535")
    return int(value)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    support_channel: str = "support"
    digest_channel: str = ""
    oncall_handle: str = "oncall"
    oncall_usergroup_id: str = ""
    emergency_tags: tuple[str, ...] = ("devs", "here", "channel")
    timezone: str = "UTC"
    update_interval: timedelta = timedelta(minutes=30)
    emergency_update_interval: timedelta = timedelta(minutes=15)
    claim_target: timedelta = timedelta(minutes=15)
    response_target: timedelta = timedelta(hours=1)
    general_response_target: timedelta = timedelta(days=1)
    general_close_after: timedelta = timedelta(days=3)
    bot_admins: tuple[str, ...] = ()
    rotation_admins: tuple[str, ...] = ()
    slack_api_url: str = "https://slack.com/api/"
    pagerduty_events_url: str = "https://events.pagerduty.com"
    pagerduty_api_url: str = "https://api.pagerduty.com"
    pagerduty_schedule_id: str = ""
    review_schedule: str = "mon 10:00"
    digest_schedule: str = "mon-fri 09:00"
    review_tags: Mapping[str, Tag] = field(default_factory=lambda: BY_REACTION)
    topic_stopwords: frozenset[str] = STOPWORDS  # with TOPIC_STOPWORDS (other languages)
    github_poll_interval: timedelta = timedelta(minutes=15)
    lease_length: timedelta = timedelta(seconds=15)  # PostgreSQL: the scheduler's lease
    github_repo: str = ""
    postmortem_dir: str = "data/postmortems"
    templates_dir: str = "data/templates"
    github_api_url: str = "https://api.github.com"
    http_host: str = "127.0.0.1"
    http_port: int = 3141
    public_url: str = ""
    answers: str = (
        "ephemeral"  # earlier threads suggested to the poster alone, in the thread, or off
    )
    meaning: str = "auto"  # answers found by meaning too (the meaning extra), or off
    log_format: str = "text"  # json: one JSON object a line (Errbot's config reads it too)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    @property
    def policy(self) -> Policy:
        return Policy(
            update_interval=self.update_interval,
            emergency_update_interval=self.emergency_update_interval,
            claim_target=self.claim_target,
            response_target=self.response_target,
            general_close_after=self.general_close_after,
        )

    @property
    def digest_target(self) -> str:
        return self.digest_channel or self.support_channel

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings, or :class:`SettingsError` naming the first one that is wrong."""
        settings, problems = cls.read(env)
        if problems:
            raise SettingsError(problems[0])
        return settings

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
        """The settings (a wrong one left at its default) and one line per wrong setting."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        def checked(read: Callable[[], T], fallback: Callable[[], T]) -> T:
            try:
                return read()
            except SettingsError as exc:
                problems.append(str(exc))
                return fallback()

        def duration(name: str, default: str) -> timedelta:
            def read() -> timedelta:
                try:
                    return parse_duration(get(name, default))
                except DurationError as exc:
                    raise SettingsError(f"{name}: {exc}") from None

            return checked(read, lambda: parse_duration(default))

        def schedule(name: str, default: str) -> str:
            return checked(lambda: _schedule(name, get(name, default)), lambda: default)

        timezone = checked(lambda: _timezone(get("TIMEZONE", "UTC")), lambda: "UTC")
        secret_names = SECRET_SETTINGS
        # Mattermost's @all is Slack's @everyone: an emergency there too
        emergency = "devs,here,channel" + (",all" if chat_of(env) == "mattermost" else "")
        settings = cls(
            database_url=get("WATCHSTANDER_DATABASE_URL", DEFAULT_DATABASE_URL),
            support_channel=get("SUPPORT_CHANNEL", "support").lstrip("#"),
            digest_channel=get("DIGEST_CHANNEL", "").lstrip("#"),
            oncall_handle=get("ONCALL_HANDLE", "oncall").lstrip("@").lower(),
            oncall_usergroup_id=get("ONCALL_USERGROUP_ID", ""),
            emergency_tags=tuple(
                t.lstrip("@").lower() for t in _list(get("EMERGENCY_TAGS", emergency))
            ),
            timezone=timezone,
            update_interval=duration("UPDATE_INTERVAL", "30m"),
            emergency_update_interval=duration("EMERGENCY_UPDATE_INTERVAL", "15m"),
            claim_target=duration("CLAIM_TARGET", "15m"),
            response_target=duration("RESPONSE_TARGET", "1h"),
            general_response_target=duration("GENERAL_RESPONSE_TARGET", "1d"),
            general_close_after=duration("GENERAL_CLOSE_AFTER", "3d"),
            bot_admins=_list(get("BOT_ADMINS", "")),
            rotation_admins=_list(get("ROTATION_ADMINS", "")),
            slack_api_url=get("SLACK_API_URL", "https://slack.com/api/"),
            pagerduty_events_url=get("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com"),
            pagerduty_api_url=get("PAGERDUTY_API_URL", "https://api.pagerduty.com"),
            pagerduty_schedule_id=get("PAGERDUTY_SCHEDULE_ID", ""),
            review_schedule=schedule("REVIEW_SCHEDULE", "mon 10:00"),
            digest_schedule=schedule("DIGEST_SCHEDULE", "mon-fri 09:00"),
            review_tags=checked(lambda: _tags(get("REVIEW_REACTIONS", "")), lambda: BY_REACTION),
            topic_stopwords=stopwords(_list(get("TOPIC_STOPWORDS", ""))),
            github_poll_interval=duration("GITHUB_POLL_INTERVAL", "15m"),
            lease_length=duration("WATCHSTANDER_LEASE", "15s"),
            github_repo=get("GITHUB_REPO", ""),
            postmortem_dir=get("POSTMORTEM_DIR", "data/postmortems"),
            templates_dir=get("WATCHSTANDER_TEMPLATES", "data/templates"),
            github_api_url=get("GITHUB_API_URL", "https://api.github.com"),
            http_host=get("WATCHSTANDER_HTTP_HOST", "127.0.0.1"),
            http_port=checked(lambda: _port(get("WATCHSTANDER_HTTP_PORT", "3141")), lambda: 3141),
            public_url=get("WATCHSTANDER_PUBLIC_URL", ""),
            answers=checked(
                lambda: _answers(get("WATCHSTANDER_ANSWERS", "ephemeral")), lambda: "ephemeral"
            ),
            meaning=checked(
                lambda: _choice(
                    "WATCHSTANDER_MEANING", get("WATCHSTANDER_MEANING", "auto"), MEANING
                ),
                lambda: "auto",
            ),
            log_format=checked(
                lambda: _log_format(get("WATCHSTANDER_LOG_FORMAT", "text")), lambda: "text"
            ),
            secrets={name: env[name] for name in secret_names if env.get(name, "").strip()},
        )
        problems += settings._feed_problems()
        return settings, problems

    def _feed_problems(self) -> list[str]:
        url = self.calendar_feed_url
        if url is None:
            return []
        if not re.match(r"^(https?|webcal)://[^/\s?#]+", url, re.I):
            return ["ONCALL_ICAL_URL: not an http:// or https:// address of a calendar feed"]
        if self.pagerduty_schedule_id:
            return [
                "ONCALL_ICAL_URL and PAGERDUTY_SCHEDULE_ID: set one source of who is on call, "
                "not both"
            ]
        return []

    @property
    def calendar_feed_url(self) -> str | None:
        """ONCALL_ICAL_URL: who is on call comes from that iCalendar feed."""
        return self.secrets.get("ONCALL_ICAL_URL", "").strip() or None

    def schedule(self) -> tuple[str, str] | None:
        """(API token, schedule id) when who is on call comes from PagerDuty."""
        token = self.secrets.get("PAGERDUTY_API_TOKEN")
        return (token, self.pagerduty_schedule_id) if token and self.pagerduty_schedule_id else None

    def missing_integrations(self) -> list[str]:
        """One line per integration that is off because its secret is missing."""
        lines = []
        if "PAGERDUTY_ROUTING_KEY" not in self.secrets:
            lines.append("PagerDuty paging is off: PAGERDUTY_ROUTING_KEY is not set")
        if "GITHUB_TOKEN" not in self.secrets or not self.github_repo:
            lines.append("GitHub issues are off: GITHUB_TOKEN or GITHUB_REPO is not set")
        return lines
