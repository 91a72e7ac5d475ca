"""Errbot's identifiers on Mattermost (a person, a channel, a person in a channel), and the
cursor of the last post seen in each channel, kept in a file so that the next start catches up
on what came while the bot was away."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from errbot.backends.base import Person, Room, RoomOccupant

log = logging.getLogger(__name__)


class MattermostPerson(Person):
    """A Mattermost user, by id (``userid``) and ``username``."""

    def __init__(self, userid: str, username: str = "", fullname: str = "") -> None:
        self._userid, self._username, self._fullname = userid, username, fullname

    @property
    def userid(self) -> str:
        return self._userid

    @property
    def username(self) -> str:
        return self._username

    @property
    def person(self) -> str:
        return self._userid

    @property
    def client(self) -> str:
        return ""

    @property
    def nick(self) -> str:
        return self._username

    @property
    def aclattr(self) -> str:
        return self._userid

    @property
    def fullname(self) -> str:
        return self._fullname or self._username

    @property
    def email(self) -> str:
        return ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MattermostPerson) and other.userid == self.userid

    def __hash__(self) -> int:
        return hash(self._userid)

    def __str__(self) -> str:
        return f"@{self._username}" if self._username else self._userid


class MattermostRoom(Room):
    """A channel (or a direct message's channel), by id and name."""

    def __init__(self, channelid: str, name: str = "") -> None:
        self.channelid, self.name = channelid, name

    def join(self, username: str | None = None, password: str | None = None) -> None:
        raise NotImplementedError("the bot is added to channels in Mattermost")

    def leave(self, reason: str | None = None) -> None:
        raise NotImplementedError("the bot is removed from channels in Mattermost")

    def create(self) -> None:
        raise NotImplementedError("channels are made in Mattermost")

    def destroy(self) -> None:
        raise NotImplementedError("channels are removed in Mattermost")

    @property
    def aclattr(self) -> str:
        return self.channelid

    @property
    def exists(self) -> bool:
        return True

    @property
    def joined(self) -> bool:
        return True

    @property
    def topic(self) -> str:
        return ""

    @property
    def occupants(self) -> list[RoomOccupant]:
        return []

    def invite(self, *args: Any) -> None:
        raise NotImplementedError("people are added to channels in Mattermost")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MattermostRoom) and other.channelid == self.channelid

    def __hash__(self) -> int:
        return hash(self.channelid)

    def __str__(self) -> str:
        return f"~{self.name}" if self.name else self.channelid


class MattermostOccupant(MattermostPerson, RoomOccupant):
    """A person, in a channel."""

    def __init__(self, userid: str, username: str, room: MattermostRoom) -> None:
        super().__init__(userid, username)
        self._room = room

    @property
    def room(self) -> MattermostRoom:
        return self._room


class Cursor:
    """The time (ms, Mattermost's ``update_at``) of the last post handled in each channel,
    kept in a JSON file; what is older is never fetched again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._at: dict[str, int] = {}
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            self._at = {str(k): int(v) for k, v in found.items()} if isinstance(found, dict) else {}
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            log.warning("The Mattermost cursor %s could not be read (%s): starting now", path, exc)

    def channels(self) -> dict[str, int]:
        with self._lock:
            return dict(self._at)

    def get(self, channel: str) -> int | None:
        with self._lock:
            return self._at.get(channel)

    def start(self, channel: str, at: int) -> None:
        """Follow ``channel`` from ``at`` unless it is followed already."""
        with self._lock:
            if channel in self._at:
                return
            self._at[channel] = at
        self._save()

    def advance(self, channel: str, at: int) -> None:
        with self._lock:
            if at <= self._at.get(channel, 0):
                return
            self._at[channel] = at
        self._save()

    def _save(self) -> None:
        with self._lock:
            text = json.dumps(self._at, sort_keys=True)
        part = self.path.with_suffix(".part")
        try:
            part.write_text(text, encoding="utf-8")
            os.replace(part, self.path)
        except OSError as exc:
            log.warning("The Mattermost cursor %s could not be written (%s)", self.path, exc)
