"""What Errbot asks of a backend beyond its events, on Mattermost: its own answers (rare here:
the plugins speak through the core's chat port), replies, identifiers, rooms."""

from __future__ import annotations

import logging
from typing import Any

from errbot.backends.base import Message
from errbot.core import ErrBot

from watchstander.adapters.mattermost_api import MattermostApi, MattermostApiError
from watchstander_errbot.mattermost_ids import MattermostOccupant, MattermostPerson, MattermostRoom

log = logging.getLogger(__name__)


class ErrbotSide(ErrBot):
    """Errbot's ``ErrBot``, with what it asks of a backend done on Mattermost; the backend's
    events are the subclass's."""

    mattermost_api: MattermostApi | None
    bot_identifier: MattermostPerson

    def send_message(self, msg: Message) -> None:
        """Errbot's own answers (rare here: the plugins speak through the core's port)."""
        api = self.mattermost_api
        if api is None:
            return
        to = msg.to
        try:
            if isinstance(to, MattermostRoom):
                channel = to.channelid
            elif isinstance(to, MattermostPerson):
                channel = api.direct_channel(to.userid)
            else:
                channel = api.channel_id(str(to))
            root = ""
            parent = msg.parent
            if parent is not None and msg.is_group:
                made = (parent.extras or {}).get("mattermost_post") or {}
                root = str(made.get("root_id") or made.get("id") or "")
            api.create_post({"channel_id": channel, "root_id": root, "message": msg.body})
        except MattermostApiError as exc:
            log.warning("An answer was not posted: %s", exc)
            return
        super().send_message(msg)

    def build_reply(
        self, msg: Message, text: str | None = None, private: bool = False, threaded: bool = False
    ) -> Message:
        response = self.build_message(text or "")
        response.frm = self.bot_identifier
        frm = msg.frm
        if private or not msg.is_group:
            response.to = MattermostPerson(getattr(frm, "userid", ""), getattr(frm, "nick", ""))
        else:
            response.to = frm.room if isinstance(frm, MattermostOccupant) else msg.to
        response.parent = msg
        return response

    def build_identifier(self, text: str) -> MattermostPerson | MattermostRoom:
        api = self.mattermost_api
        text = text.strip()
        if api is None:
            raise ValueError("not connected to Mattermost yet")
        try:
            if text.startswith(("~", "#")):
                name = text[1:]
                return MattermostRoom(api.channel_id(name), name)
            if text.startswith("@"):
                user = api.user_by_username(text)
                return MattermostPerson(str(user["id"]), str(user.get("username") or ""))
            user = api.user(text)
            return MattermostPerson(text, str(user.get("username") or ""))
        except MattermostApiError:
            return MattermostRoom(text, "")

    def prefix_groupchat_reply(self, message: Message, identifier: Any) -> None:
        message.body = f"@{getattr(identifier, 'nick', identifier)} {message.body}"

    def is_from_self(self, msg: Message) -> bool:
        return getattr(msg.frm, "userid", None) == self.bot_identifier.userid

    def change_presence(self, status: str = "online", message: str = "") -> None:
        pass  # a bot account's presence is Mattermost's to show

    def query_room(self, room: str) -> MattermostRoom:
        api = self.mattermost_api
        name = room.lstrip("~#")
        return MattermostRoom(api.channel_id(name) if api else name, name)

    def rooms(self) -> list[MattermostRoom]:
        return []

    @property
    def mode(self) -> str:
        return "mattermost"
