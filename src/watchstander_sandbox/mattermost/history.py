"""What was said: every channel's posts, threads (``root_id``), edits, reactions and files;
and test code acting as people (`post`, `edit`, `react`, `unreact`, `upload`, `deactivate`),
each change publishing the event Mattermost would (``posted``, ``post_edited``,
``reaction_added``, ``reaction_removed``).

The REST API uses the same methods, so a person's post and the bot's go through the same
checks: Mattermost's limit of 16,383 characters (``model.post.is_valid.msg.app_error``, 400),
a ``root_id`` that is a root post of the same channel, channel membership, and an active user.
A post can be dated in the past (``at=``), so a test can make a deadline fall due at once.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from typing import Any

from watchstander_sandbox.mattermost.websocket import Link
from watchstander_sandbox.mattermost.world import (
    JSON,
    Channel,
    MattermostError,
    StoredFile,
    User,
    forbidden,
    new_id,
)

MAX_POST_CHARS = 16_383  # Mattermost's limit (PostMessageMaxRunesV2), counted in characters
_MENTION = re.compile(r"@([a-z0-9][a-z0-9._\-]*)", re.IGNORECASE)
_EMOJI = re.compile(r"^[a-zA-Z0-9_+\-]{1,64}$")


def not_found(what: str) -> MattermostError:
    ids = {
        "post": ("app.post.get.app_error", "Unable to get the post."),
        "user": ("app.user.missing_account.const", "Unable to find the user."),
        "channel": ("app.channel.get.existing.app_error", "Unable to find the existing channel."),
        "team": ("app.team.get_by_name.missing.app_error", "Unable to find the existing team."),
        "file": ("app.file_info.get.app_error", "Unable to get the file info."),
        "group": ("app.group.no_rows", "No matching group found."),
    }
    error_id, message = ids[what]
    return MattermostError(404, error_id, message)


class History(Link):
    """Every post, oldest first, and the people acting on them."""

    custom_groups: str  # "on", "unlicensed" or "disabled" (see `Groups`)

    def __init__(self) -> None:
        super().__init__()
        self._posts: dict[str, JSON] = {}  # post id -> stored post, in creation order
        self._replies: dict[str, list[str]] = {}  # root post id -> its replies' ids
        self._reactions: dict[str, list[JSON]] = {}  # post id -> its reactions
        self._files: dict[str, StoredFile] = {}

    # ------------------------------------------------------------------ reading

    def messages(self, channel: str, root_id: str | None = None) -> list[dict[str, Any]]:
        """The root posts of ``channel``, oldest first; a thread's replies given ``root_id``."""
        with self._cond:
            cid = self._channel(channel).id
            picked = [
                p for p in self._posts.values()
                if p["channel_id"] == cid and p["root_id"] == (root_id or "")
            ]  # fmt: skip
            return [self._post_api(p) for p in sorted(picked, key=lambda p: p["create_at"])]

    def post_by_id(self, post_id: str) -> dict[str, Any]:
        with self._cond:
            return self._post_api(self._post(post_id))

    def reactions(self, post_id: str) -> list[dict[str, Any]]:
        with self._cond:
            return copy.deepcopy(self._reactions.get(post_id, []))

    def stored_file(self, file_id: str) -> StoredFile | None:
        with self._cond:
            return copy.deepcopy(self._files.get(file_id))

    def user_id(self, username: str) -> str:
        return self._user(username).id

    def channel_id(self, name: str) -> str:
        return self._channel(name).id

    # ---------------------------------------------------------- acting as people

    def post(
        self,
        user: str,
        channel: str,
        text: str,
        root_id: str | None = None,
        *,
        props: JSON | None = None,
        file_ids: list[str] | None = None,
        at: datetime | None = None,
    ) -> str:
        """A person's post (a reply in ``root_id``'s thread); its id. ``at``: posted then."""
        with self._cond:
            who, chan = self._user(user), self._channel(channel)
            body: JSON = {"message": text, "root_id": root_id or "", "props": props or {}}
            body["file_ids"] = file_ids or []
            return str(self._create_post(who, chan, body, at)["id"])

    def edit(self, user: str, post_id: str, text: str) -> None:
        with self._cond:
            self._patch_post(self._user(user), post_id, {"message": text})

    def react(self, user: str, post_id: str, emoji: str, *, at: datetime | None = None) -> None:
        with self._cond:
            self._set_reaction(self._user(user), post_id, emoji, True, at)

    def unreact(self, user: str, post_id: str, emoji: str) -> None:
        with self._cond:
            self._set_reaction(self._user(user), post_id, emoji, False)

    def upload(self, user: str, channel: str, name: str, content: bytes) -> str:
        """A person's uploaded file (not yet in a post); its id, for ``post(file_ids=)``."""
        with self._cond:
            return str(
                self._store_file(self._user(user), self._channel(channel), name, content)["id"]
            )

    def deactivate(self, user: str, active: bool = False) -> None:
        """Deactivate a user (``delete_at`` set), or activate one again."""
        with self._cond:
            who = self._user(user)
            who.delete_at = 0 if active else self._now_ms()
            self._changed()

    # ------------------------------------------------------------ shared with REST

    def _user(self, ref: Any) -> User:
        found = self.world.user(str(ref or ""))
        if found is None:
            raise not_found("user")
        return found

    def _channel(self, ref: Any) -> Channel:
        found = self.world.channel(str(ref or ""))
        if found is None:
            raise not_found("channel")
        return found

    def _post(self, post_id: str) -> JSON:
        found = self._posts.get(post_id)
        if found is None or found["delete_at"]:
            raise not_found("post")
        return found

    def _post_api(self, post: JSON) -> JSON:
        """A stored post as the API shows it (thread count, files and reactions)."""
        out = copy.deepcopy(post)
        root = post["root_id"] or post["id"]
        replies = [self._posts[r] for r in self._replies.get(root, [])]
        replies = [p for p in replies if not p["delete_at"]]
        out["reply_count"] = len(replies)
        out["last_reply_at"] = max((p["create_at"] for p in replies), default=0)
        metadata: JSON = {}
        if post.get("file_ids"):
            metadata["files"] = [self._files[f].to_api() for f in post["file_ids"]]
        if self._reactions.get(post["id"]):
            metadata["reactions"] = copy.deepcopy(self._reactions[post["id"]])
            out["has_reactions"] = True
        out["metadata"] = metadata
        return out

    def _can_read(self, user: User, chan: Channel) -> bool:
        return user.id in chan.members or chan.type == "O"

    def _create_post(
        self, user: User, chan: Channel, body: JSON, at: datetime | None = None
    ) -> JSON:
        message = str(body.get("message") or "")
        if len(message) > MAX_POST_CHARS:
            raise MattermostError(400, "model.post.is_valid.msg.app_error", "Invalid Message")
        if user.delete_at or user.id not in chan.members:
            raise forbidden()
        root_id = str(body.get("root_id") or "")
        if root_id:
            root = self._posts.get(root_id)
            if root is None or root["delete_at"] or root["root_id"]:
                raise MattermostError(
                    400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter."
                )
            if root["channel_id"] != chan.id:
                raise MattermostError(
                    400,
                    "api.post.create_post.channel_root_id.app_error",
                    "Invalid ChannelId for RootId parameter.",
                )
        props = body.get("props") if isinstance(body.get("props"), dict) else {}
        ms = self._now_ms(at)
        post: JSON = {
            "id": new_id(), "create_at": ms, "update_at": ms, "edit_at": 0, "delete_at": 0,
            "is_pinned": False, "user_id": user.id, "channel_id": chan.id, "root_id": root_id,
            "original_id": "", "message": message, "type": "", "props": copy.deepcopy(props),
            "hashtags": "", "pending_post_id": str(body.get("pending_post_id") or ""),
            "reply_count": 0, "last_reply_at": 0, "participants": None,
        }  # fmt: skip
        files = [
            f for f in body.get("file_ids") or []
            if isinstance(f, str) and (s := self._files.get(f)) is not None
            and s.user_id == user.id and not s.post_id
        ][:10]  # fmt: skip
        if files:  # as Mattermost: files not the poster's, or already used, are left out
            post["file_ids"] = files
            for f in files:
                self._files[f].post_id = post["id"]
        self._posts[post["id"]] = post
        if root_id:
            self._replies.setdefault(root_id, []).append(post["id"])
        chan.last_post_at = ms
        shown = self._post_api(post)
        data: JSON = {
            "channel_display_name": chan.display_name or chan.name, "channel_name": chan.name,
            "channel_type": chan.type, "post": json.dumps(shown),
            "sender_name": f"@{user.username}", "set_online": True, "team_id": chan.team_id,
        }  # fmt: skip
        if files:
            data["otherFile"] = "true"
        mentioned = self._mentions(message, chan, user.id)
        if mentioned:
            data["mentions"] = json.dumps(mentioned)
        self._publish("posted", data, channel_id=chan.id)
        return shown

    def _mentions(self, message: str, chan: Channel, sender: str) -> list[str]:
        """Who a post mentions, as the ``mentions`` of ``posted``: channel members named,
        everyone for ``@channel``, ``@all`` and ``@here``, a custom group's members, the other
        one in a direct message; never the poster."""
        found: list[str] = []
        for match in _MENTION.finditer(message):
            name = match.group(1).lower()
            while True:
                people = self._mentioned(name, chan)
                if people or not name or name[-1] not in "._-":
                    break
                name = name[:-1]
            found += [p for p in people if p not in found and p != sender]
        if chan.type == "D":  # as Mattermost: a direct message mentions the other one
            found += [p for p in chan.members if p not in found and p != sender]
        return found

    def _mentioned(self, name: str, chan: Channel) -> list[str]:
        if name in ("channel", "all", "here"):
            return list(chan.members)
        user = self.world.user(name)
        if user is not None and user.username == name:
            return [user.id] if user.id in chan.members else []
        group = self.world.group(name) if self.custom_groups == "on" else None
        return [u for u in group.members if u in chan.members] if group else []

    def _patch_post(self, user: User, post_id: str, patch: JSON) -> JSON:
        post = self._post(post_id)
        if post["user_id"] != user.id:
            raise forbidden()
        if "message" in patch:
            message = str(patch.get("message") or "")
            if len(message) > MAX_POST_CHARS:
                raise MattermostError(400, "model.post.is_valid.msg.app_error", "Invalid Message")
            post["message"] = message
        if isinstance(patch.get("props"), dict):
            post["props"] = copy.deepcopy(patch["props"])
        if isinstance(patch.get("is_pinned"), bool):
            post["is_pinned"] = patch["is_pinned"]
        post["edit_at"] = post["update_at"] = self._now_ms()
        shown = self._post_api(post)
        self._publish("post_edited", {"post": json.dumps(shown)}, channel_id=post["channel_id"])
        return shown

    def _set_reaction(
        self, user: User, post_id: str, emoji: str, added: bool, at: datetime | None = None
    ) -> JSON:
        """Add (or remove) a reaction; adding one twice changes nothing and says nothing,
        as Mattermost's upsert; removing one that is not there likewise."""
        if not _EMOJI.match(emoji or ""):
            raise MattermostError(
                400, "model.reaction.is_valid.emoji_name.app_error", "Invalid emoji name."
            )
        post = self._post(post_id)
        chan = self._channel(post["channel_id"])
        if user.delete_at or user.id not in chan.members:
            raise forbidden()
        existing = self._reactions.setdefault(post_id, [])
        mine = next(
            (r for r in existing if r["user_id"] == user.id and r["emoji_name"] == emoji), None
        )
        if added and mine is None:
            ms = self._now_ms(at)
            mine = {
                "user_id": user.id, "post_id": post_id, "emoji_name": emoji, "create_at": ms,
                "update_at": ms, "delete_at": 0, "remote_id": "", "channel_id": chan.id,
            }  # fmt: skip
            existing.append(mine)
        elif not added and mine is not None:
            existing.remove(mine)
            mine = {**mine, "delete_at": self._now_ms(), "update_at": self._now_ms()}
        else:
            return mine or {"user_id": user.id, "post_id": post_id, "emoji_name": emoji}
        # as Mattermost's reaction store: the post's update_at moves on (so a client catching
        # up with ``since`` finds the post, and its reactions in its metadata)
        post["update_at"] = self._now_ms()
        name = "reaction_added" if added else "reaction_removed"
        self._publish(name, {"reaction": json.dumps(mine)}, channel_id=chan.id)
        return copy.deepcopy(mine)

    def _store_file(self, user: User, chan: Channel, name: str, content: bytes) -> JSON:
        if user.id not in chan.members:
            raise forbidden()
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        mime = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                "svg": "image/svg+xml", "txt": "text/plain", "csv": "text/csv",
                "json": "application/json"}.get(ext, "application/octet-stream")  # fmt: skip
        stored = StoredFile(new_id(), user.id, chan.id, name, content, mime, self._now_ms())
        self._files[stored.id] = stored
        self._changed()
        return stored.to_api()
