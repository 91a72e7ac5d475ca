"""Mattermost's REST API v4, the calls the bot makes (``requests``, one session).

People, channels and the team are looked up once and remembered; posts are remembered by id
(their ts, `watchstander.inbound.mattermost.post_ts`) and found again by ts, so that a reply
goes under the right root. A refusal is a `MattermostApiError` with Mattermost's own error id
and message; the token never appears in one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any

from watchstander.adapters.mattermost_http import MattermostApiError as MattermostApiError
from watchstander.adapters.mattermost_http import MattermostHttp
from watchstander.inbound.mattermost import matches, post_ts, ts_ms

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # posts remembered by id and ts
NOBODY_FOR = 3600.0  # seconds a name found to be nobody's is remembered (then asked again)
NOBODY_KEPT = 10_000  # such names remembered at most (the oldest forgotten first)
LOOKUPS = 60  # names not known yet looked up in a minute, at most: a flood of @names is words
AUTH_STATUSES = (401,)


class MattermostApi(MattermostHttp):
    """The REST calls (`MattermostHttp`: 429s waited out, counted), with what they look up
    remembered."""

    def __init__(self, url: str, token: str, **http: Any) -> None:
        super().__init__(url, token, **http)
        self._lock = threading.Lock()
        self._users: dict[str, Mapping[str, Any]] = {}
        self._usernames: dict[str, str] = {}  # username -> id
        self._nobody: OrderedDict[str, float] = OrderedDict()  # no person's name -> until
        self._lookups: deque[float] = deque()  # when names not known were looked up (clock)
        self._channels: dict[str, Mapping[str, Any]] = {}  # id -> channel
        self._channel_ids: dict[str, str] = {}  # name -> id
        self._posts: OrderedDict[str, str] = OrderedDict()  # post id -> ts
        self._by_ts: dict[tuple[str, str], str] = {}  # (channel id, ts) -> post id
        self._direct: dict[str, str] = {}  # user id -> direct channel id
        self.me: Mapping[str, Any] = {}
        self.team: Mapping[str, Any] = {}

    # -------------------------------------------------------------- who and where

    def connect(self, team: str) -> None:
        """Who the bot is (a wrong token: status 401) and its team."""
        self.me = self.call("GET", "/users/me")
        self.remember_user(self.me)
        self.team = self.call("GET", f"/teams/name/{team}")

    def remember_user(self, user: Mapping[str, Any]) -> None:
        with self._lock:
            self._users[str(user.get("id"))] = user
            self._usernames[str(user.get("username") or "").lower()] = str(user.get("id"))

    def user(self, user_id: str) -> Mapping[str, Any]:
        with self._lock:
            found = self._users.get(user_id)
        if found is None:
            found = self.call("GET", f"/users/{user_id}")
            self.remember_user(found)
        return found

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            self._users.pop(user_id, None)

    def username(self, user_id: str) -> str | None:
        try:
            return str(self.user(user_id).get("username") or "") or None
        except MattermostApiError:
            return None

    def user_by_username(self, username: str) -> Mapping[str, Any]:
        name = username.lstrip("@").lower()
        with self._lock:
            known = self._usernames.get(name)
        if known:
            return self.user(known)
        found: Mapping[str, Any] = self.call("GET", f"/users/username/{name}")
        self.remember_user(found)
        return found

    def user_id_by_username(self, username: str) -> str | None:
        """An active person's id from their username; None for no such person (remembered
        for an hour), or when more than ``LOOKUPS`` names not known were asked this minute."""
        name = username.lstrip("@").lower()
        now = self._clock()
        with self._lock:
            if self._nobody.get(name, now) > now:
                return None
            if name not in self._usernames:
                while self._lookups and self._lookups[0] <= now - 60:
                    self._lookups.popleft()
                if len(self._lookups) >= LOOKUPS:
                    return None
                self._lookups.append(now)
        try:
            found = self.user_by_username(name)
        except MattermostApiError as exc:
            if exc.status in (400, 404):
                with self._lock:
                    self._nobody[name] = now + NOBODY_FOR
                    self._nobody.move_to_end(name)
                    while len(self._nobody) > NOBODY_KEPT:
                        self._nobody.popitem(last=False)
            return None
        return None if int(found.get("delete_at") or 0) else str(found.get("id"))

    def channel(self, channel_id: str) -> Mapping[str, Any]:
        with self._lock:
            found = self._channels.get(channel_id)
        if found is None:
            found = self.call("GET", f"/channels/{channel_id}")
            assert isinstance(found, Mapping)
            with self._lock:
                self._channels[channel_id] = found
        return found

    def channel_id(self, name: str) -> str:
        """A channel's id from its name (``support``, ``#support`` or ``~support``)."""
        name = name.lstrip("#~")
        with self._lock:
            known = self._channel_ids.get(name)
        if known:
            return known
        found = self.call("GET", f"/teams/{self.team.get('id')}/channels/name/{name}")
        with self._lock:
            self._channels[str(found["id"])] = found
            self._channel_ids[name] = str(found["id"])
        return str(found["id"])

    def direct_channel(self, user_id: str) -> str:
        with self._lock:
            known = self._direct.get(user_id)
        if known:
            return known
        found = self.call("POST", "/channels/direct", json=[self.me.get("id"), user_id])
        with self._lock:
            self._direct[user_id] = str(found["id"])
        return str(found["id"])

    # ------------------------------------------------------------------------ posts

    def remember(self, post: Mapping[str, Any]) -> str:
        """A post's ts, the post remembered (so that it is found again by ts)."""
        post_id, channel = str(post.get("id") or ""), str(post.get("channel_id") or "")
        ts = post_ts(post_id, int(post.get("create_at") or 0))
        with self._lock:
            if post_id not in self._posts:
                self._posts[post_id] = ts
                self._by_ts[(channel, ts)] = post_id
                while len(self._posts) > REMEMBERED:
                    old_id, _ = self._posts.popitem(last=False)
                    self._by_ts = {k: v for k, v in self._by_ts.items() if v != old_id}
        return ts

    def ts_of(self, post_id: str) -> str | None:
        """The ts of a post by its id (asked of Mattermost if not remembered)."""
        with self._lock:
            known = self._posts.get(post_id)
        if known is not None:
            return known
        try:
            return self.remember(self.call("GET", f"/posts/{post_id}"))
        except MattermostApiError as exc:
            log.info("Post %s not found: %s", post_id, exc)
            return None

    def post_id(self, channel: str, ts: str) -> str:
        """The id of the post ``ts`` in ``channel``: remembered, or looked for among the
        posts changed since it was made."""
        with self._lock:
            known = self._by_ts.get((channel, ts))
        if known is not None:
            return known
        since = ts_ms(ts) - 1
        listing = self.call("GET", f"/channels/{channel}/posts?since={since}")
        for post in (listing or {}).get("posts", {}).values():
            self.remember(post)
            if matches(post, ts):
                return str(post["id"])
        raise MattermostApiError(404, "", f"no post {ts} in {channel}", "finding a post")

    def posts_since(self, channel: str, since_ms: int) -> list[Mapping[str, Any]]:
        """The posts of ``channel`` made or changed after ``since_ms``, oldest first."""
        listing = self.call("GET", f"/channels/{channel}/posts?since={since_ms}") or {}
        posts = list((listing.get("posts") or {}).values())
        return sorted(posts, key=lambda p: (int(p.get("update_at") or 0), str(p.get("id"))))

    def thread(self, root_id: str) -> list[Mapping[str, Any]]:
        """A thread's posts (its root and replies), oldest first."""
        listing = self.call("GET", f"/posts/{root_id}/thread") or {}
        posts = list((listing.get("posts") or {}).values())
        return sorted(posts, key=lambda p: (int(p.get("create_at") or 0), str(p.get("id"))))

    def create_post(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """A new post. Its ``pending_post_id`` (the bot's id and a fresh one) lets Mattermost
        answer a create sent again (no answer came) with the post the first one made."""
        sent = {"pending_post_id": f"{self.me.get('id') or ''}:{uuid.uuid4().hex}", **body}
        post: Mapping[str, Any] = self.call("POST", "/posts", json=sent)
        self.remember(post)
        return post

    def patch_post(self, post_id: str, patch: Mapping[str, Any]) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.call("PUT", f"/posts/{post_id}/patch", json=dict(patch))
        return found

    def ephemeral(self, user_id: str, post: Mapping[str, Any]) -> None:
        self.call("POST", "/posts/ephemeral", json={"user_id": user_id, "post": dict(post)})

    def upload(self, channel: str, files: list[tuple[str, bytes]]) -> list[str]:
        """Upload files into ``channel``: their ids, for a post's ``file_ids``."""
        parts = [("files", (name, content)) for name, content in files]
        found = self.call("POST", "/files", data={"channel_id": channel}, files=parts)
        return [str(info["id"]) for info in (found or {}).get("file_infos", [])]

    # ------------------------------------------------------------------------ groups

    def groups(self) -> list[Mapping[str, Any]]:
        found = self.call("GET", "/groups?include_member_count=false&per_page=200")
        return list(found) if isinstance(found, list) else []
