"""The chat platform an Errbot backend gives the core: Slack (the project's backend, or
upstream's SlackV3), Mattermost (the project's backend), or any other Errbot backend through
Errbot's own ``send``."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from watchstander.adapters.mattermost_api import MattermostApiError
from watchstander.adapters.mattermost_chat import (
    MattermostChat,
    MattermostGroup,
    MattermostPeople,
    group_handles,
)
from watchstander.adapters.slack_chat import (
    EmailDirectory,
    GroupHandles,
    PeopleByName,
    PeopleNames,
    SlackChat,
    UserGroup,
)
from watchstander.adapters.slack_home import SlackHome
from watchstander.app import Platform
from watchstander.render import MattermostVoice, PlainVoice, SlackVoice
from watchstander.services.controls import Control
from watchstander.services.effects import ChatError

GROUPS_FOR = 300.0  # seconds a server's custom groups are remembered


def platform_for(bot: Any) -> Platform:
    if getattr(bot, "mattermost_api", None) is not None:
        return mattermost_platform(bot)
    if getattr(bot, "slack_web", None) is not None:
        return slack_platform(bot)
    return errbot_platform(bot)


def slack_platform(bot: Any) -> Platform:
    web = bot.slack_web
    workspace = str((getattr(bot, "auth", None) or {}).get("url") or "https://slack.com/")
    chat = SlackChat(
        web,
        getattr(bot, "pacer", None),  # the project's backend paces; upstream's does not
        workspace_url=workspace,
        channel_lookup=bot.channelname_to_channelid,
    )
    voice = SlackVoice()
    return Platform(
        chat=chat,
        voice=voice,
        link=chat.link,
        channel_id=chat.channel_id,
        group_handles=GroupHandles(web),
        user_group=lambda group: UserGroup(web, group),
        people=EmailDirectory(web),
        names=PeopleNames(web),
        named=PeopleByName(web),
        home=SlackHome(chat, voice),
        # the project's backend says whether Socket Mode is up and counts its calls
        connected=getattr(bot, "is_connected", None),
        api_calls=getattr(bot, "api_tally", None),
    )


class ErrbotChat:
    """Errbot's own ``send``, for backends that are not Slack (Errbot's text and test
    backends): plain text, no threads, no files."""

    def __init__(self, bot: Any) -> None:
        self._bot = bot

    def post(
        self,
        channel: str,
        thread_ts: str | None,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> str | None:
        self._bot.send(self._bot.build_identifier(channel), text)  # no controls: text alone
        return None

    def whisper(
        self,
        channel: str,
        thread_ts: str | None,
        person: str,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> None:
        self.direct(person, text)  # no ephemeral messages here: directly, to that person

    def update(self, channel: str, ts: str, text: str, *, controls: Sequence[Control] = ()) -> None:
        raise ChatError("this chat backend cannot change a message")  # post gives no ts

    def direct(self, person: str, text: str) -> str | None:
        return self.post(person, None, text)

    def upload(
        self, channel: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> int:
        raise ChatError("this chat backend takes no files")


def errbot_platform(bot: Any) -> Platform:
    chat = ErrbotChat(bot)
    return Platform(
        chat=chat,
        voice=PlainVoice(),
        link=lambda channel, ts: f"#{channel}/{ts}",
        channel_id=lambda name: name,
    )


def mattermost_platform(bot: Any) -> Platform:
    """The project's Mattermost backend: its REST client (``mattermost_api``)."""
    api = bot.mattermost_api
    chat = MattermostChat(api, site_url=bot.mattermost_url)
    people = MattermostPeople(api)

    def channel_name(channel: str) -> str | None:
        try:
            return str(api.channel(channel).get("name") or "") or None
        except MattermostApiError:  # a look-up that failed: the channel named by its id
            return None

    remembered: list[tuple[float, Mapping[str, str]]] = []

    def handles() -> Mapping[str, str]:
        if not remembered or time.monotonic() - remembered[0][0] > GROUPS_FOR:
            remembered[:] = [(time.monotonic(), group_handles(api))]
        return remembered[0][1]

    return Platform(
        chat=chat,
        voice=MattermostVoice(api.username, channel_name),
        link=chat.link,
        channel_id=chat.channel_id,
        group_handles=handles,
        user_group=lambda group: MattermostGroup(api, group),  # its id or its name
        people=people,
        names=people.name,
        connected=getattr(bot, "is_connected", None),
        api_calls=api.tally,  # the REST calls and 429s, by HTTP method and route
        api_platform="mattermost",
    )
