"""The REST v4 routes for posts, threads, reactions and files, answered as Mattermost answers
them (201 for what is created; ``PostList`` bodies with ``order`` newest first; a
``reaction_added`` for a reaction, not for the same one twice)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from watchstander_sandbox.mattermost.history import History, not_found
from watchstander_sandbox.mattermost.world import (
    JSON,
    MattermostError,
    User,
    forbidden,
    invalid_param,
    valid_id,
)

Reply = tuple[int, Any] | web.Response
MAX_PER_PAGE = 200  # Mattermost truncates per_page to 200; 60 when not given
PENDING_SECONDS = 30.0  # as Mattermost's pendingPostIDsCacheTTL


def _int(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise MattermostError(
            400, "api.context.invalid_param.app_error", f"Invalid {name} parameter."
        ) from None
    if value < 0:
        raise MattermostError(
            400, "api.context.invalid_param.app_error", f"Invalid {name} parameter."
        )
    return value


def _id(match: dict[str, str], name: str) -> str:
    value = match.get(name, "")
    if not valid_id(value):
        raise invalid_param(name)
    return value


class PostsApi(History):
    """Posts, threads, reactions and files over REST."""

    def __init__(self) -> None:
        super().__init__()
        self._pending: dict[str, tuple[str, float]] = {}  # pending_post_id -> post id, when
        self.deduplicated = 0  # creates answered with the post an earlier one made

    def _post_list(self, posts: list[JSON], also: list[JSON] | None = None) -> JSON:
        ordered = sorted(posts, key=lambda p: p["create_at"], reverse=True)
        shown = {p["id"]: self._post_api(p) for p in [*(also or []), *ordered]}
        return {
            "order": [p["id"] for p in ordered], "posts": shown, "next_post_id": "",
            "prev_post_id": "", "has_next": False, "first_inaccessible_post_time": 0,
        }  # fmt: skip

    def _readable_post(self, user: User, post_id: str) -> JSON:
        post = self._post(post_id)
        if not self._can_read(user, self._channel(post["channel_id"])):
            raise forbidden()
        return post

    # ------------------------------------------------------------------------ posts

    def _api_create_post(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        if not isinstance(body, dict) or not valid_id(str(body.get("channel_id") or "")):
            raise invalid_param("channel_id", "body")
        chan = self.world.channel(str(body["channel_id"]))
        if chan is None:
            raise forbidden()  # as Mattermost: no permission on a channel it cannot find
        # as Mattermost's deduplicateCreatePost: a create with a pending_post_id seen within
        # the last 30 s is answered with the post the first one made, and makes none
        pending, now = str(body.get("pending_post_id") or ""), time.monotonic()
        self._pending = {k: v for k, v in self._pending.items() if now - v[1] < PENDING_SECONDS}
        made = self._pending.get(pending) if pending else None
        if made is not None and made[0] in self._posts:
            self.deduplicated += 1
            return 201, self._post_api(self._posts[made[0]])
        post = self._create_post(user, chan, body)
        if pending:
            self._pending[pending] = (post["id"], now)
        return 201, post

    def _api_get_post(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        return 200, self._post_api(self._readable_post(user, _id(match, "post_id")))

    def _api_patch_post(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        post_id = _id(match, "post_id")
        if not isinstance(body, dict):
            raise invalid_param("post", "body")
        self._readable_post(user, post_id)
        return 200, self._patch_post(user, post_id, body)

    def _api_thread(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        post = self._readable_post(user, _id(match, "post_id"))
        root = post["root_id"] or post["id"]
        thread = [self._posts[i] for i in [root, *self._replies.get(root, [])]]
        return 200, self._post_list([p for p in thread if not p["delete_at"]])

    def _api_channel_posts(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        chan = self.world.channel(_id(match, "channel_id"))
        if chan is None:
            raise not_found("channel")
        if not self._can_read(user, chan):
            raise forbidden()
        posts = [
            p for p in self._posts.values() if p["channel_id"] == chan.id and not p["delete_at"]
        ]
        since = _int(query, "since", 0)
        if since:  # as Mattermost: what changed after ``since`` (ms), no paging
            return 200, self._post_list([p for p in posts if p["update_at"] > since])
        page, per_page = _int(query, "page", 0), min(_int(query, "per_page", 60), MAX_PER_PAGE)
        newest = sorted(posts, key=lambda p: p["create_at"], reverse=True)
        picked = newest[page * per_page : (page + 1) * per_page]
        roots = {p["root_id"] for p in picked if p["root_id"]} - {p["id"] for p in picked}
        listing = self._post_list(picked, [self._posts[r] for r in roots if r in self._posts])
        end = (page + 1) * per_page
        listing["prev_post_id"] = newest[end]["id"] if end < len(newest) else ""
        start = page * per_page
        listing["next_post_id"] = newest[start - 1]["id"] if 0 < start <= len(newest) else ""
        return 200, listing

    # -------------------------------------------------------------------- reactions

    def _api_save_reaction(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        if not isinstance(body, dict):
            raise invalid_param("reaction", "body")
        if body.get("user_id") != user.id:
            raise MattermostError(
                403,
                "api.reaction.save_reaction.user_id.app_error",
                "You cannot save reaction for the other user.",
            )
        post_id = str(body.get("post_id") or "")
        if not valid_id(post_id):
            raise MattermostError(
                400, "model.reaction.is_valid.post_id.app_error", "Invalid post id."
            )
        self._readable_post(user, post_id)
        emoji = str(body.get("emoji_name") or "")
        return 201, self._set_reaction(user, post_id, emoji, True)

    def _api_delete_reaction(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        if _id(match, "user_id") != user.id:
            raise forbidden()
        post_id = _id(match, "post_id")
        self._readable_post(user, post_id)
        self._set_reaction(user, post_id, match.get("emoji_name", ""), False)
        return 200, {"status": "OK"}

    def _api_post_reactions(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        post_id = _id(match, "post_id")
        self._readable_post(user, post_id)
        return 200, list(self._reactions.get(post_id, []))

    # ------------------------------------------------------------------------ files

    def _api_upload(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        fields: JSON = body.get("fields", {}) if isinstance(body, dict) else {}
        uploads: list[tuple[str, bytes]] = body.get("files", []) if isinstance(body, dict) else []
        channel_id = str(fields.get("channel_id") or query.get("channel_id") or "")
        if not valid_id(channel_id):
            raise invalid_param("channel_id", "body")
        if not uploads:
            raise MattermostError(
                400, "api.file.upload_file.incorrect_number_of_files.app_error",
                "Unable to upload files. Incorrect number of files specified.",
            )  # fmt: skip
        chan = self.world.channel(channel_id)
        if chan is None:
            raise forbidden()
        infos = [self._store_file(user, chan, name, content) for name, content in uploads]
        client_ids = fields.get("client_ids", [])
        return 201, {"file_infos": infos, "client_ids": client_ids}

    def _readable_file(self, user: User, match: dict[str, str]) -> Any:
        stored = self._files.get(_id(match, "file_id"))
        if stored is None:
            raise not_found("file")
        if not self._can_read(user, self._channel(stored.channel_id)):
            raise forbidden()
        return stored

    def _api_file(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        stored = self._readable_file(user, match)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    def _api_file_info(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        return 200, self._readable_file(user, match).to_api()
