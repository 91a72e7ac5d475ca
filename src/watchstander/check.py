"""`watchstander check`: what is set, missing or wrong, one line each, and whether Slack (or
Mattermost), PagerDuty and GitHub answer with what is given. Never prints a secret."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from watchstander.adapters.calendar_feed import CalendarFeed, FeedError
from watchstander.adapters.code_host import CodeHost, CodeHostError
from watchstander.adapters.minilm import NAME, MiniLM, NoModel
from watchstander.adapters.pager import PagerError, Schedule
from watchstander.adapters.slack_chat import SLACK_FAILURES
from watchstander.adapters.slack_web import slack_error
from watchstander.check_mattermost import mattermost_lines
from watchstander.settings import Settings, chat_of

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
TIMEOUT = 5
SHOWN = 100  # people listed at most with --people


@dataclass(frozen=True)
class Line:
    state: str  # "ok", "wrong", "off" (an integration not set up), "info"
    text: str

    def __str__(self) -> str:
        mark = {"ok": "✓", "wrong": "✗", "off": "-", "info": " "}[self.state]
        return f"{mark} {self.text}"


def check(env: Mapping[str, str], *, people: bool = False) -> list[Line]:
    """Every line `watchstander check` prints, settings first, then the services."""
    settings, problems = Settings.read(env)
    lines = [Line("wrong", problem) for problem in problems]
    if chat_of(env) == "mattermost":
        lines += [Line(state, text) for state, text in mattermost_lines(settings, env, people)]
    else:
        lines += list(_ids(settings, env))
    lines += [Line("off", line) for line in settings.missing_integrations()]
    if chat_of(env) != "mattermost":
        lines += list(_slack(settings, people))
    lines += list(_pagerduty(settings))
    lines += list(_calendar(settings))
    lines += list(_github(settings))
    return lines


def _ids(settings: Settings, env: Mapping[str, str]) -> Iterator[Line]:
    for name, values in (
        ("ROTATION_ADMINS", settings.rotation_admins),
        ("BOT_ADMINS", settings.bot_admins),
    ):
        for value in values:
            if not USER_ID.match(value):
                yield Line("wrong", f"{name}: '{value[:40]}' is not a Slack user id (U…)")
    if not settings.rotation_admins and not settings.bot_admins:
        yield Line("wrong", "ROTATION_ADMINS: nobody may set the rotation (give Slack user ids)")
    group = settings.oncall_usergroup_id
    if group and not GROUP_ID.match(group):
        yield Line(
            "wrong", f"ONCALL_USERGROUP_ID: '{group[:40]}' is not a Slack user group id (S…)"
        )
    elif not group:
        yield Line("off", "ONCALL_USERGROUP_ID is not set: the bot does not keep @oncall")
    yield Line("info", f"WATCHSTANDER_DATABASE_URL: {_no_password(settings.database_url)}")
    yield Line(
        "info", f"SUPPORT_CHANNEL: #{settings.support_channel}; TIMEZONE: {settings.timezone}"
    )
    yield Line("info", f"WATCHSTANDER_ANSWERS: {settings.answers} (earlier threads for a question)")
    yield _meaning(settings)
    for name, prefix in (("SLACK_BOT_TOKEN", "xoxb-"), ("SLACK_APP_TOKEN", "xapp-")):
        token = env.get(name, "").strip()
        if not token:
            yield Line("wrong", f"{name} is not set")
        elif not token.startswith(prefix):
            yield Line("wrong", f"{name} does not start with {prefix}: is it the other token?")


def _meaning(settings: Settings) -> Line:
    """Whether earlier threads are found by meaning too: the model loaded, or why not."""
    if settings.meaning == "off":
        return Line("off", "WATCHSTANDER_MEANING=off: earlier threads are found by their words")
    try:
        MiniLM()
    except NoModel as why:
        return Line("off", f"Earlier threads are found by their words alone: {why}")
    return Line("ok", f"Earlier threads are found by words and meaning ({NAME}, no download)")


def _no_password(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _answer(what: str, call: Callable[[], str]) -> Line:
    """One service's answer: its line, or why it did not answer."""
    try:
        return Line("ok", f"{what}: {call()}")
    except SLACK_FAILURES as exc:
        return Line("wrong", f"{what}: Slack said {slack_error(exc)}")
    except (PagerError, CodeHostError, FeedError) as exc:
        return Line("wrong", f"{what}: {exc}")


def _slack(settings: Settings, people: bool) -> Iterator[Line]:
    bot, app = settings.secrets.get("SLACK_BOT_TOKEN"), settings.secrets.get("SLACK_APP_TOKEN")
    url = settings.slack_api_url
    if app:
        client = WebClient(token=app, base_url=url, timeout=TIMEOUT)
        yield _answer("Slack app token", lambda: _socket_mode(client))
    if not bot:
        return
    client = WebClient(token=bot, base_url=url, timeout=TIMEOUT)
    line = _answer("Slack bot token", lambda: _who(client))
    yield line
    if line.state != "ok":
        return
    yield _answer(
        f"#{settings.support_channel}", lambda: _channel(client, settings.support_channel)
    )
    groups = _answer("User groups", lambda: _groups(client))
    if groups.state != "ok":
        groups = Line(
            "off",
            f"{groups.text} (user groups need a paid Slack plan and permission to manage them; "
            "without, the bot works and says once that it cannot keep @oncall)",
        )
    yield groups
    if people:
        yield _answer("People", lambda: _people(client))


def _socket_mode(client: WebClient) -> str:
    client.apps_connections_open(app_token=str(client.token))
    return "Socket Mode would connect"


def _who(client: WebClient) -> str:
    answer = client.auth_test()
    return f"the bot is @{answer.get('user')} in {answer.get('team')}"


def _channel(client: WebClient, wanted: str) -> str:
    cursor = None
    for _ in range(50):  # 50 pages of 200 channels
        answer = client.conversations_list(
            types="public_channel,private_channel", limit=200, cursor=cursor
        )
        for channel in answer.get("channels") or []:
            if wanted in (channel.get("id"), channel.get("name")):
                member = "the bot is a member" if channel.get("is_member") else "invite the bot"
                return f"found ({channel.get('id')}); {member}"
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return "not found: check SUPPORT_CHANNEL, or invite the bot to a private channel"


def _groups(client: WebClient) -> str:
    groups = client.usergroups_list().get("usergroups") or []
    listed = "; ".join(f"{g.get('id')} @{g.get('handle')} ({g.get('name')})" for g in groups)
    return listed or "none in this workspace"


def _people(client: WebClient) -> str:
    members = [
        m for m in client.users_list(limit=SHOWN).get("members") or [] if not m.get("deleted")
    ]
    listed = "; ".join(
        f"{m.get('id')} {m.get('name')} ({(m.get('profile') or {}).get('real_name') or '-'})"
        for m in members[:SHOWN]
    )
    return listed or "nobody visible"


def _pagerduty(settings: Settings) -> Iterator[Line]:
    if "PAGERDUTY_ROUTING_KEY" in settings.secrets:
        yield Line("info", "PAGERDUTY_ROUTING_KEY is set (PagerDuty checks it only with an alert)")
    found = settings.schedule()
    if found is None:
        return
    token, schedule_id = found
    schedule = Schedule(token, schedule_id, settings.pagerduty_api_url, timeout=TIMEOUT, attempts=1)
    try:
        now = datetime.now(UTC)

        def shifts() -> str:
            count = len(schedule.on_call(now, now + timedelta(days=7)))
            return f"schedule {schedule_id} answered: {count} shifts in the next 7 days"

        yield _answer("PagerDuty", shifts)
    finally:
        schedule.close()


def _calendar(settings: Settings) -> Iterator[Line]:
    """ONCALL_ICAL_URL read once: how many shifts it holds in the next 7 days."""
    url = settings.calendar_feed_url
    if url is None:
        return
    try:
        feed = CalendarFeed(url, timeout=TIMEOUT)
    except FeedError as exc:
        yield Line("wrong", f"ONCALL_ICAL_URL: {exc}")
        return
    now = datetime.now(UTC)

    def shifts() -> str:
        events = feed.events(now, now + timedelta(days=7), settings.tz)
        names = len({event.summary for event in events})
        return f"{len(events)} shifts in the next 7 days ({names} different summaries)"

    try:
        yield _answer(f"Calendar feed at {feed.host}", shifts)
    finally:
        feed.close()


def _github(settings: Settings) -> Iterator[Line]:
    token = settings.secrets.get("GITHUB_TOKEN")
    if not token or not settings.github_repo:
        return
    host = CodeHost(token, settings.github_repo, settings.github_api_url, timeout=TIMEOUT)
    try:
        yield _answer("GitHub", host.check)
    finally:
        host.close()
