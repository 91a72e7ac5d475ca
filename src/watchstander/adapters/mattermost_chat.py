"""Mattermost as the core's chat port: posts and replies (``root_id``), messages shown to one
person (an ephemeral post where the bot may make one, a direct message otherwise), edits of
the bot's own posts, direct messages, files for the figures' pictures, links to posts, and
channel ids by name.

Text comes here already written in Mattermost's Markdown by the one voice. A thread is named
by its root's ts (`watchstander.inbound.mattermost.post_ts`); the API client finds the post.
Controls (buttons) are not drawn: Mattermost's interactive buttons call back an HTTP address
of the bot's, which this backend does not offer, so emoji and ``!commands`` do their work.
Every refusal becomes :class:`ChatError`, one line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from watchstander.adapters.mattermost_api import MattermostApi, MattermostApiError
from watchstander.adapters.slack_chat import parts
from watchstander.services.controls import Control
from watchstander.services.effects import ChatError

log = logging.getLogger(__name__)

PART = 16_000  # Mattermost takes posts of up to 16,383 characters
NO_EPHEMERAL = (403, 404, 501)  # no permission to post ephemerally, or no such route


class MattermostChat:
    """The chat port on Mattermost's REST API."""

    def __init__(self, api: MattermostApi, *, site_url: str) -> None:
        self._api = api
        self._site = site_url.rstrip("/")
        self._ephemeral = True  # until Mattermost says the bot may not

    def _root(self, channel: str, thread_ts: str | None) -> str:
        if not thread_ts:
            return ""
        try:
            return self._api.post_id(channel, thread_ts)
        except MattermostApiError as exc:
            raise ChatError(f"the thread {thread_ts} was not found: {exc}") from None

    def post(
        self,
        channel: str,
        thread_ts: str | None,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> str | None:
        root = self._root(channel, thread_ts)
        first: str | None = None
        for part in parts(text, PART):
            body = {"channel_id": channel, "root_id": root, "message": part}
            try:
                post = self._api.create_post(body)
            except MattermostApiError as exc:
                raise ChatError(str(exc)) from None
            first = first or self._api.remember(post)
        return first

    def bot_said(self, channel: str, thread_ts: str, text: str, since: datetime) -> bool:
        """The thread as Mattermost shows it: a post of the bot's since ``since`` with
        ``text`` (its first part), for a message owed by a process that stopped half-way."""
        first = parts(text, PART)[0]
        after = int(since.timestamp() * 1000) - 1000
        try:
            posts = self._api.thread(self._root(channel, thread_ts))
        except MattermostApiError as exc:
            raise ChatError(f"Mattermost did not show the thread ({exc})") from None
        me = str(self._api.me.get("id") or "")
        return any(
            p.get("user_id") == me and p.get("message") == first
            and int(p.get("create_at") or 0) >= after
            for p in posts
        )  # fmt: skip

    def whisper(
        self,
        channel: str,
        thread_ts: str | None,
        person: str,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> None:
        if self._ephemeral:
            root = self._root(channel, thread_ts)
            post = {"channel_id": channel, "root_id": root, "message": text[:PART]}
            try:
                self._api.ephemeral(person, post)
                return
            except MattermostApiError as exc:
                if exc.status not in NO_EPHEMERAL:
                    raise ChatError(str(exc)) from None
                self._ephemeral = False
                log.warning(
                    "Mattermost does not let the bot post ephemeral messages (%s): what is "
                    "for one person alone is sent to them directly from now on.",
                    exc.status,
                )
        self.direct(person, text)

    def update(self, channel: str, ts: str, text: str, *, controls: Sequence[Control] = ()) -> None:
        post_id = self._root(channel, ts)
        try:
            self._api.patch_post(post_id, {"message": text[:PART]})
        except MattermostApiError as exc:
            raise ChatError(str(exc)) from None

    def direct(self, person: str, text: str) -> str | None:
        try:
            channel = self._api.direct_channel(person)
        except MattermostApiError as exc:
            raise ChatError(str(exc)) from None
        return self.post(channel, None, text)

    def upload(
        self, channel: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> int:
        root = self._root(channel, thread_ts)
        try:
            ids = self._api.upload(channel, [(name, content) for name, content, _ in files])
            titles = ", ".join(title for _, _, title in files)
            body = {"channel_id": channel, "root_id": root, "message": titles, "file_ids": ids}
            self._api.create_post(body)
        except MattermostApiError as exc:
            raise ChatError(str(exc)) from None
        return len(ids)

    def link(self, channel: str, ts: str) -> str:
        """The address of the post ``ts`` (its id looked up; the channel if not found)."""
        team = str(self._api.team.get("name") or "")
        try:
            return f"{self._site}/{team}/pl/{self._api.post_id(channel, ts)}"
        except MattermostApiError:
            return f"{self._site}/{team}/channels/{channel}"

    def channel_id(self, name: str) -> str:
        try:
            return self._api.channel_id(name)
        except MattermostApiError as exc:
            raise ChatError(f"no channel {name!r}: {exc}") from None


class MattermostPeople:
    """Who Mattermost knows: whether a person exists (and is active), e-mail addresses, names."""

    def __init__(self, api: MattermostApi) -> None:
        self._api = api

    def __call__(self, email: str) -> str | None:
        try:
            return str(self._api.call("GET", f"/users/email/{email}")["id"])
        except (MattermostApiError, KeyError, TypeError):
            return None

    def email_of(self, user: str) -> str | None:
        try:
            return str(self._api.user(user).get("email") or "") or None
        except MattermostApiError:
            return None

    def exists(self, user: str) -> bool:
        try:
            return not int(self._api.user(user).get("delete_at") or 0)
        except MattermostApiError as exc:
            return exc.status not in (400, 404)

    def name(self, user: str) -> str:
        try:
            found: Mapping[str, Any] = self._api.user(user)
        except MattermostApiError:
            return user
        full = f"{found.get('first_name') or ''} {found.get('last_name') or ''}".strip()
        return full or str(found.get("username") or user)


def group_handles(api: MattermostApi) -> Mapping[str, str]:
    """Custom group id -> its handle; none where the server has no custom groups."""
    try:
        found: Iterable[Mapping[str, Any]] = api.groups()
    except MattermostApiError:
        return {}
    return {str(g.get("id")): str(g.get("name") or "") for g in found if g.get("name")}


class MattermostGroup:
    """A custom group (``@oncall``): who is in it, and making it exactly these people.
    ``group`` is its id or its name; a server without custom groups says so (ChatError)."""

    def __init__(self, api: MattermostApi, group: str) -> None:
        self._api = api
        self._group = group.lstrip("@")
        self._id: str | None = None

    def _group_id(self) -> str:
        if self._id is None:
            found = [
                str(g.get("id"))
                for g in self._groups()
                if self._group in (str(g.get("id")), str(g.get("name") or ""))
            ]
            if not found:
                raise ChatError(f"no custom group {self._group!r} on this server")
            self._id = found[0]
        return self._id

    def _groups(self) -> list[Mapping[str, Any]]:
        try:
            return self._api.groups()
        except MattermostApiError as exc:
            raise ChatError(f"custom groups: {exc}") from None

    def members(self) -> list[str]:
        try:
            found = self._api.call("GET", f"/groups/{self._group_id()}/members?per_page=200")
        except MattermostApiError as exc:
            raise ChatError(str(exc)) from None
        return [str(u.get("id")) for u in (found or {}).get("members") or []]

    def set_members(self, users: list[str]) -> None:
        now = self.members()
        group = self._group_id()
        try:
            add = [u for u in users if u not in now]
            if add:
                self._api.call("POST", f"/groups/{group}/members", json={"user_ids": add})
            remove = [u for u in now if u not in users]
            if remove:
                self._api.call("DELETE", f"/groups/{group}/members", json={"user_ids": remove})
        except MattermostApiError as exc:
            raise ChatError(str(exc)) from None
