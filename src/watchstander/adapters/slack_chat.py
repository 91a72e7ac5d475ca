"""Slack as the core's chat port: posting (at Slack's pace, in parts Slack takes), direct
messages, pictures, and what the services ask of Slack beyond that (user-group handles, the
``@oncall`` group's members, e-mail addresses, thread links, channel ids).

Text comes here already rendered in Slack's ``mrkdwn`` by the one voice, so it is posted as
it is: no Markdown conversion, ``link_names`` off (no plain ``@name`` becomes a mention), and
no unfurling of the bot's own links. Every refusal becomes :class:`ChatError`, one line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from watchstander.adapters.slack_blocks import blocks
from watchstander.adapters.slack_web import STAND_IN, ChannelPacer, slack_error
from watchstander.services.controls import Control
from watchstander.services.effects import ChatError

log = logging.getLogger(__name__)

PART = 3900  # characters a message part holds (Slack advises at most 4,000)
SLACK_FAILURES = (SlackApiError, OSError, ValueError)  # refusals, the network, bad answers


def parts(text: str, limit: int = PART) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut between lines where it can."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not out:
        out.append(current)
    return out


class SlackChat:
    """The chat port on Slack's Web API (``client``: a slack_sdk ``WebClient``)."""

    def __init__(
        self,
        client: Any,
        pacer: ChannelPacer | None = None,
        *,
        workspace_url: str = "https://slack.com/",
        channel_lookup: Callable[[str], str] | None = None,
    ) -> None:
        self._client = client
        self._pacer = pacer or ChannelPacer(rate=1e9, burst=10**9)
        self._workspace = workspace_url.rstrip("/")
        self._lookup = channel_lookup
        self._ims: dict[str, str] = {}

    def post(
        self,
        channel: str,
        thread_ts: str | None,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> str | None:
        """Post ``text`` (in parts); the controls go on the first part, as Block Kit."""
        first: str | None = None
        for part in parts(text):
            ts = self._post_part(channel, thread_ts, part, () if first else controls)
            first = first or ts
        return first

    def whisper(
        self,
        channel: str,
        thread_ts: str | None,
        person: str,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> None:
        """``chat.postEphemeral``: seen by ``person`` alone, in the channel or the thread."""
        first = parts(text)[0]
        params: dict[str, Any] = {"channel": channel, "user": person, "text": first}
        if thread_ts:
            params["thread_ts"] = thread_ts
        drawn = blocks(first, controls)
        if drawn is not None:
            params["blocks"] = drawn
        try:
            self._client.chat_postEphemeral(**params)
        except SLACK_FAILURES as exc:
            raise ChatError(f"Slack did not take the answer ({slack_error(exc)})") from None

    def update(self, channel: str, ts: str, text: str, *, controls: Sequence[Control] = ()) -> None:
        """``chat.update``: the message's text and its controls (none: the blocks go)."""
        part = parts(text)[0]
        params: dict[str, Any] = {"channel": channel, "ts": ts, "text": part, "link_names": False}
        params["blocks"] = blocks(part, controls) or []
        with self._pacer.turn(channel):
            self._pacer.wait(channel)
            try:
                answer = self._client.chat_update(**params)
            except SLACK_FAILURES as exc:
                raise ChatError(f"Slack did not update the message ({slack_error(exc)})") from None
        if not answer.get("ok", True):
            raise ChatError(f"Slack did not update the message ({answer.get('error')})")

    def publish_home(self, person: str, view: Mapping[str, Any]) -> None:
        """``views.publish``: ``view`` (a ``home`` view) becomes ``person``'s App Home tab."""
        try:
            self._client.views_publish(user_id=person, view=dict(view))
        except SLACK_FAILURES as exc:  # not_enabled (no Home tab), user_not_found, ...
            raise ChatError(f"Slack did not show the Home tab ({slack_error(exc)})") from None

    def _post_part(
        self, channel: str, thread_ts: str | None, text: str, controls: Sequence[Control] = ()
    ) -> str | None:
        params: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "link_names": False,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            params["thread_ts"] = thread_ts
        drawn = blocks(text, controls)
        if drawn is not None:
            params["blocks"] = drawn
        with self._pacer.turn(channel):
            self._pacer.wait(channel)
            try:
                answer = self._client.chat_postMessage(**params)
            except SLACK_FAILURES as exc:
                raise ChatError(f"Slack did not take the message ({slack_error(exc)})") from None
        if not answer.get("ok", True):
            raise ChatError(f"Slack did not take the message ({answer.get('error')})")
        ts = answer.get("ts")
        return str(ts) if ts else None

    def bot_said(self, channel: str, thread_ts: str, text: str, since: datetime) -> bool:
        """``conversations.replies`` since ``since``: a message of the bot with ``text``."""
        first = parts(text)[0]
        oldest = f"{since.timestamp() - 1:.6f}"
        try:
            answer = self._client.conversations_replies(
                channel=channel, ts=thread_ts, oldest=oldest, limit=1000, inclusive=True
            )
        except SLACK_FAILURES as exc:
            raise ChatError(f"Slack did not show the thread ({slack_error(exc)})") from None
        return any(
            m.get("bot_id") and m.get("text") == first and str(m.get("ts", "")) >= oldest
            for m in answer.get("messages") or ()
        )

    def direct(self, person: str, text: str) -> str | None:
        channel = self._ims.get(person)
        if channel is None:
            try:
                answer = self._client.conversations_open(users=person)
            except SLACK_FAILURES as exc:
                raise ChatError(
                    f"Slack did not open a direct message ({slack_error(exc)})"
                ) from None
            channel = self._ims[person] = str((answer.get("channel") or {}).get("id") or "")
        return self.post(channel, None, text)

    def upload(
        self, channel: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> int:
        """Pictures through ``files_upload_v2``, given the channel id (the backend's own
        ``send_stream_request`` passes a ``<#C…|name>`` string, which Slack rejects)."""
        uploads = [{"file": data, "filename": name, "title": title} for name, data, title in files]
        try:
            answer = self._client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                file_uploads=uploads,
                request_file_info=False,
            )
        except SLACK_FAILURES as exc:
            raise ChatError(f"Slack did not take the pictures ({slack_error(exc)})") from None
        return len(answer.get("files") or [])

    def link(self, channel: str, ts: str) -> str:
        """A message's address in the workspace (the review's issues link to threads)."""
        return f"{self._workspace}/archives/{channel}/p{ts.replace('.', '')}"

    def channel_id(self, name: str) -> str:
        """A channel's id from its name (an id is kept as it is)."""
        if self._lookup is None or (name[:1] in ("C", "G") and name.upper() == name):
            return name
        return str(self._lookup(name))


class GroupHandles:
    """``usergroups.list`` as {group id: handle}, refreshed at most every ``ttl`` seconds.

    Slack writes a bare ``<!subteam^ID>`` in some payloads; this map turns the id back into a
    handle. On an error the last good map is kept and the error is logged once per refresh.
    """

    def __init__(
        self,
        client: Any,
        *,
        ttl: float = 600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._monotonic = monotonic
        self._handles: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, str]:
        with self._lock:
            now = self._monotonic()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl:
                self._fetched_at = now
                self._refresh()
            return dict(self._handles)

    def _refresh(self) -> None:
        try:
            response = self._client.usergroups_list()
            groups = response.get("usergroups") or []
            self._handles = {str(g["id"]): str(g.get("handle", "")) for g in groups if "id" in g}
        except SLACK_FAILURES as exc:
            log.warning(
                "usergroups.list failed, keeping %d known groups: %s",
                len(self._handles),
                slack_error(exc),
            )


class UserGroup:
    """The Slack user group ``@oncall``: who is in it, and making it exactly one person."""

    def __init__(self, client: Any, group_id: str) -> None:
        self._client = client
        self.group_id = group_id

    def members(self) -> list[str]:
        try:
            response = self._client.usergroups_users_list(usergroup=self.group_id)
        except SLACK_FAILURES as exc:
            raise ChatError(f"usergroups.users.list: {slack_error(exc)}") from None
        return [str(user) for user in response.get("users") or []]

    def set_members(self, users: list[str]) -> None:
        try:
            self._client.usergroups_users_update(usergroup=self.group_id, users=",".join(users))
        except SLACK_FAILURES as exc:
            raise ChatError(f"usergroups.users.update: {slack_error(exc)}") from None


GONE = ("user_not_found",)  # users.info's answer for an id this workspace has no user for


class EmailDirectory:
    """The workspace's people: e-mail address -> Slack user id (``users.lookupByEmail``),
    remembered once found; whether a user id is a person here (``users.info``)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def __call__(self, email: str) -> str | None:
        key = email.strip().lower()
        with self._lock:
            if key in self._known:
                return self._known[key]
        try:
            user = self._client.users_lookupByEmail(email=email).get("user") or {}
            found = str(user["id"]) if user.get("id") else None
        except SLACK_FAILURES as exc:  # users_not_found, missing_scope, ratelimited
            log.warning("no Slack user for a PagerDuty e-mail address: %s", slack_error(exc))
            return None
        with self._lock:
            self._known[key] = found
        return found

    def email_of(self, user_id: str) -> str | None:
        """The e-mail address on a Slack profile (``users.info``, needs users:read.email)."""
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except SLACK_FAILURES as exc:
            log.warning("no e-mail address for a Slack user: %s", slack_error(exc))
            return None
        email = (user.get("profile") or {}).get("email")
        return str(email) if email else None

    def exists(self, user_id: str) -> bool:
        """Whether Slack knows ``user_id`` as a person who was not removed (``users.info``,
        remembered by the backend's client: no call per command). Slack saying nothing
        (an outage, a rate limit, a missing scope) is not a no: the command goes on."""
        try:
            answer = self._client.users_info(user=user_id)
        except SLACK_FAILURES as exc:  # a client that does not remember look-ups raises
            return slack_error(exc) not in GONE
        if answer.get(STAND_IN) in GONE:  # the remembering client's stand-in for a refusal
            return False
        return not bool((answer.get("user") or {}).get("deleted"))


class PeopleNames:
    """A Slack user id -> the person's name as people read it (``users.info``: the real name,
    else the display name); the id itself when Slack will not say. The client caches."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __call__(self, user_id: str) -> str:
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except SLACK_FAILURES as exc:
            log.info("no name for a Slack user: %s", slack_error(exc))
            return user_id
        profile = user.get("profile") or {}
        name = profile.get("real_name") or profile.get("display_name") or user.get("name")
        return str(name or user_id)


class PeopleByName:
    """Every person of the workspace by name: (real name, display name or handle, user id)
    pairs from ``users.list`` (paged; bots and removed people left out). Slack saying
    nothing is one line in the log and no names."""

    def __init__(self, client: Any, pages: int = 50) -> None:
        self._client = client
        self._pages = pages

    def __call__(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        cursor = None
        try:
            for _ in range(self._pages):
                answer = self._client.users_list(limit=200, cursor=cursor)
                for user in answer.get("members") or []:
                    if user.get("deleted") or user.get("is_bot") or not user.get("id"):
                        continue
                    profile = user.get("profile") or {}
                    for name in {
                        profile.get("real_name"),
                        profile.get("display_name"),
                        user.get("real_name"),
                        user.get("name"),
                    }:
                        if name:
                            pairs.append((str(name), str(user["id"])))
                cursor = (answer.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SLACK_FAILURES as exc:
            log.warning("no names of people from Slack: %s", slack_error(exc))
        return pairs
