"""The REST API v4 subset over HTTP: routing, Bearer-token sessions, Mattermost's error
bodies, and the routes for users, teams and channels (posts, reactions and files in
``posts_api.py``, custom groups in ``groups_api.py``).

Every call is recorded (`Call`) with the status it got. Before a route runs: the rate limiter
(429, plain text), then an injected fault, then the session: a missing, wrong or deactivated
user's token is 401 ``api.context.session_expired.app_error``. A path no route knows is 404
``api.context.404.app_error``. A body that is not JSON is 400.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from watchstander_sandbox.mattermost.faults import Faults
from watchstander_sandbox.mattermost.groups_api import GroupsApi
from watchstander_sandbox.mattermost.history import not_found
from watchstander_sandbox.mattermost.posts_api import MAX_PER_PAGE, PostsApi, Reply, _id, _int
from watchstander_sandbox.mattermost.world import (
    Call,
    MattermostError,
    User,
    forbidden,
    invalid_param,
    unauthorized,
    valid_id,
)

API = "/api/v4"
Handler = Callable[[User, dict[str, str], Any, Any], Reply]

# (HTTP method, route, handler): the order matters only for paths two routes could match
ROUTES = (
    ("GET", "/users", "users"),
    ("GET", "/users/me", "me"),
    ("POST", "/users/ids", "users_by_ids"),
    ("GET", "/users/username/{username}", "user_by_username"),
    ("GET", "/users/email/{email}", "user_by_email"),
    ("GET", "/users/{user_id}/groups", "user_groups"),
    ("DELETE", "/users/{user_id}/posts/{post_id}/reactions/{emoji_name}", "delete_reaction"),
    ("GET", "/users/{user_id}", "user"),
    ("GET", "/teams/name/{name}", "team_by_name"),
    ("GET", "/teams/{team_id}/channels/name/{name}", "channel_by_name"),
    ("GET", "/teams/{team_id}", "team"),
    ("POST", "/channels/direct", "direct_channel"),
    ("GET", "/channels/{channel_id}/posts", "channel_posts"),
    ("GET", "/channels/{channel_id}", "channel"),
    ("POST", "/posts", "create_post"),
    ("GET", "/posts/{post_id}/thread", "thread"),
    ("GET", "/posts/{post_id}/reactions", "post_reactions"),
    ("PUT", "/posts/{post_id}/patch", "patch_post"),
    ("GET", "/posts/{post_id}", "get_post"),
    ("POST", "/reactions", "save_reaction"),
    ("POST", "/files", "upload"),
    ("GET", "/files/{file_id}/info", "file_info"),
    ("GET", "/files/{file_id}", "file"),
    ("GET", "/groups", "groups"),
    ("GET", "/groups/{group_id}/members", "group_members"),
    ("POST", "/groups/{group_id}/members", "add_group_members"),
    ("DELETE", "/groups/{group_id}/members", "remove_group_members"),
    ("GET", "/groups/{group_id}", "group"),
)


async def _read_body(request: web.Request) -> Any:
    """JSON, or a multipart form's fields and files (``{"fields":..., "files": [(name,
    bytes)]}``); None without a body."""
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        fields: dict[str, Any] = {}
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            name, filename = part.name, part.filename
            if filename:
                files.append((filename, bytes(data)))
            elif name == "client_ids":
                fields.setdefault("client_ids", []).append(data.decode())
            elif name:
                fields[name] = data.decode()
        return {"fields": fields, "files": files}
    raw = await request.text()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise MattermostError(
            400,
            "api.context.invalid_body_param.app_error",
            "Invalid or missing body in request body.",
        ) from None


class RestApi(PostsApi, GroupsApi, Faults):
    """The REST side of `LocalMattermost`: its routes, each ``_api_<name>``."""

    def __init__(self) -> None:
        super().__init__()
        self._calls: list[Call] = []
        self._tokens: dict[str, str] = {}  # token -> user id

    # ---------------------------------------------------------------------- tokens

    def token_for(self, user: str) -> str:
        """A personal access token for ``user``, so a test can call REST as that person."""
        with self._cond:
            who = self._user(user)
            token = next((t for t, u in self._tokens.items() if u == who.id), None)
            if token is None:
                token = uuid.uuid4().hex[:26]
                self._tokens[token] = who.id
            return token

    def _token_user(self, token: str) -> str | None:
        with self._cond:
            uid = (
                self.world.bot.id if token and token == self.bot_token else self._tokens.get(token)
            )
            user = self.world.user(uid) if uid else None
            return user.id if user is not None and not user.delete_at else None

    # ---------------------------------------------------------------------- routing

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get(API + "/websocket", self._websocket_route)
        app.router.add_get(API + "/websocket/", self._websocket_route)
        for method, route, name in ROUTES:
            handler: Handler = getattr(self, "_api_" + name)
            app.router.add_route(method, API + route, self._wrap(API + route, handler))
        app.router.add_route("*", API + "/{tail:.*}", self._wrap("", None))

    async def _websocket_route(self, request: web.Request) -> web.StreamResponse:
        injected = self._injected("GET", request.path, API + "/websocket")
        if injected is not None:
            return self._injected_response(injected)
        return await self._websocket(request)

    def _wrap(
        self, route: str, handler: Handler | None
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            request_id = uuid.uuid4().hex[:26]
            params: dict[str, Any] = dict(request.query)
            response = await self._answer(request, route, handler, params, request_id)
            response.headers["X-Request-Id"] = request_id
            response.headers["X-Version-Id"] = "10.5.0.sandbox"
            with self._cond:
                call = Call(request.method, request.path, route or request.path, params,
                            response.status, time.time())  # fmt: skip
                self._calls.append(call)
                if response.status == 429 and call not in self.failed:
                    self.limited.append(call)
                self._changed()
            return response

        return handle

    async def _answer(
        self,
        request: web.Request,
        route: str,
        handler: Handler | None,
        params: dict[str, Any],
        request_id: str,
    ) -> web.Response:
        limited = self._throttle()
        extra = limited.headers if limited is not None else {}
        if limited is not None and not limited.allowed:
            return web.Response(status=429, text="limit exceeded\n", headers=extra)
        injected = self._injected(request.method, request.path, route)
        if injected is not None:
            with self._cond:
                self.failed.append(Call(request.method, request.path, route, params,
                                        injected.status, time.time()))  # fmt: skip
            if not injected.done:
                return self._injected_response(injected)
        try:
            if handler is None:
                raise MattermostError(
                    404, "api.context.404.app_error", "Sorry, we could not find the page."
                )
            body = await _read_body(request)
            if isinstance(body, dict) and "files" not in body:
                params.update(body)
            elif body is not None and not isinstance(body, dict):
                params["body"] = body
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header[:7].lower() == "bearer " else ""
            uid = self._token_user(token)
            if uid is None:
                raise unauthorized()
            with self._cond:
                reply = handler(self._user(uid), dict(request.match_info), request.query, body)
        except MattermostError as err:
            return web.json_response(err.body(request_id), status=err.status, headers=extra)
        if injected is not None:  # done, and its answer lost (late)
            await asyncio.sleep(injected.delay)
            return self._injected_response(injected)
        if isinstance(reply, web.Response):
            reply.headers.update(extra)
            return reply
        status, payload = reply
        return web.json_response(payload, status=status, headers=extra)

    @staticmethod
    def _injected_response(injected: Any) -> web.Response:
        if isinstance(injected.body, str | bytes):
            return web.Response(
                status=injected.status, body=injected.body, headers=injected.headers
            )
        return web.json_response(injected.body, status=injected.status, headers=injected.headers)

    # ----------------------------------------------------------------- users, teams

    def _api_me(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        return 200, user.to_api()

    def _api_user(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        if match.get("user_id") == "me":
            return 200, user.to_api()
        return 200, self._user(_id(match, "user_id")).to_api()

    def _api_users(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        """As Mattermost's GET /users: sorted by username, ``page`` and ``per_page`` (60 when
        not given, at most 200), ``in_team`` (a team's members; the bot's team holds everyone),
        ``active`` or ``inactive`` (not both); bots are users too."""
        flags = {}
        for name in ("active", "inactive"):
            raw = str(query.get(name, "")).lower()
            if raw not in ("", "true", "false"):
                raise invalid_param(name)
            flags[name] = raw == "true"
        if flags["active"] and flags["inactive"]:
            raise invalid_param("inactive")
        team = str(query.get("in_team", ""))
        if team and not valid_id(team):
            raise invalid_param("in_team")
        if team and team != self.world.team.id:
            raise forbidden()
        page, per_page = _int(query, "page", 0), min(_int(query, "per_page", 60), MAX_PER_PAGE)
        found = sorted(self.world.everyone(), key=lambda u: u.username)
        if flags["active"]:
            found = [u for u in found if not u.delete_at]
        elif flags["inactive"]:
            found = [u for u in found if u.delete_at]
        return 200, [u.to_api() for u in found[page * per_page : (page + 1) * per_page]]

    def _api_users_by_ids(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        if (
            not isinstance(body, list)
            or not body
            or not all(isinstance(i, str) and valid_id(i) for i in body)
        ):
            raise invalid_param("user_ids", "body")
        return 200, [u.to_api() for i in dict.fromkeys(body) if (u := self.world.user(i))]

    def _api_user_by_username(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        name = match.get("username", "").lower()
        found = next((u for u in self.world.everyone() if u.username == name), None)
        if found is None:
            raise not_found("user")
        return 200, found.to_api()

    def _api_user_by_email(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        email = match.get("email", "").lower()
        found = next((u for u in self.world.everyone() if u.email.lower() == email), None)
        if found is None:
            raise not_found("user")
        return 200, found.to_api()

    def _api_team_by_name(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        if match.get("name") != self.world.team.name:
            raise not_found("team")
        return 200, self.world.team.to_api()

    def _api_team(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        if _id(match, "team_id") != self.world.team.id:
            raise not_found("team")
        return 200, self.world.team.to_api()

    # --------------------------------------------------------------------- channels

    def _api_channel_by_name(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        team_id = _id(match, "team_id")
        name = match.get("name", "")
        chan = next(
            (c for c in self.world.channels if c.team_id == team_id and c.name == name), None
        )
        if chan is None:
            raise MattermostError(
                404, "app.channel.get_by_name.missing.app_error", "Channel does not exist."
            )
        if not self._can_read(user, chan):
            raise forbidden()
        return 200, chan.to_api()

    def _api_channel(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        chan = self.world.channel(_id(match, "channel_id"))
        if chan is None:
            raise not_found("channel")
        if not self._can_read(user, chan):
            raise forbidden()
        return 200, chan.to_api()

    def _api_direct_channel(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        if (
            not isinstance(body, list)
            or len(body) != 2
            or not all(isinstance(i, str) and valid_id(i) for i in body)
        ):
            raise invalid_param("user_ids", "body")
        if user.id not in body:
            raise forbidden()
        if any(self.world.user(i) is None for i in body):
            raise MattermostError(
                400,
                "api.channel.create_direct_channel.invalid_user.app_error",
                "Invalid user ID for direct channel creation.",
            )
        with self._cond:
            chan = self.world.direct(body[0], body[1])
            self._changed()
        return 201, chan.to_api()
