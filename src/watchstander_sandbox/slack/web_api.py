"""The Web API over HTTP, at ``/api/{method}``, and the upload URL of files.getUploadURLExternal.

Answers use Slack's own shapes: HTTP 200 with ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. Every Web API call is recorded (``calls``). What the bot
posts is stored and echoed back as a ``message`` event, the way Slack echoes a bot's own
messages. Lists page with Slack's cursors.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from watchstander_sandbox.slack.faults import Faults
from watchstander_sandbox.slack.home import HomeTab
from watchstander_sandbox.slack.views import Views
from watchstander_sandbox.slack.world import CREATED, JSON, Call, SlackError, UploadedFile

BOT_SCOPES = (
    "chat:write,channels:history,groups:history,im:history,reactions:read,reactions:write,"
    "users:read,users:read.email,usergroups:read,usergroups:write,im:write,channels:read,"
    "groups:read,team:read,files:write,commands"
)
MAX_MESSAGE_CHARS = 40_000


# ------------------------------------------------------------------------------ helpers


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _csv(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(v).strip() for v in items if str(v).strip()]


def _jsonish(value: Any) -> Any:
    """Form bodies carry ``attachments``/``blocks`` as JSON strings, JSON bodies as lists."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    return value


def _paginate(items: list[JSON], params: JSON) -> tuple[list[JSON], JSON]:
    try:
        limit = max(1, min(int(params.get("limit") or 1000), 1000))
        cursor = str(params.get("cursor") or "")
        start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
    except ValueError:
        raise SlackError("invalid_cursor") from None
    end = start + limit
    more = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], {"next_cursor": more}


async def _read_params(request: web.Request) -> JSON:
    """Merge query string with a form, multipart or JSON body, as Slack accepts all three."""
    params: JSON = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        raw = await request.text()  # slack_sdk labels even empty bodies as JSON
        body = json.loads(raw) if raw.strip() else {}
        if isinstance(body, dict):
            params.update(body)
    else:
        for key, value in (await request.post()).items():
            params[key] = value.file.read() if isinstance(value, web.FileField) else value
    return params


class WebApi(Views, HomeTab, Faults):
    """The Web API side of `LocalSlack`: its methods, as ``_api_<method>``, and the routes."""

    def __init__(self) -> None:
        super().__init__()
        self._calls: list[Call] = []
        self._files: dict[str, UploadedFile] = {}
        self._file_ids = itertools.count(1)

    # ------------------------------------------------------------------- HTTP routes

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        header = request.headers.get("Authorization", "")
        form_token = params.pop("token", None)  # the legacy way, still accepted by Slack
        token = header[7:].strip() if header.startswith("Bearer ") else str(form_token or "")
        wait = self._throttled(method, params)
        failure = None if wait is not None else self._injected(method, params)
        if failure is not None:  # as Slack: HTTP 200, ok false, the error code
            return web.json_response({"ok": False, **failure})
        if wait is not None:  # as Slack: HTTP 429, Retry-After in whole seconds, nothing done
            with self._cond:
                self.limited.append(Call(method, params, time.time()))
                self._changed()
            retry = str(max(1, math.ceil(wait)))
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": retry})
        with self._cond:
            try:
                body = {"ok": True, **self._dispatch(method, params, token)}
            except SlackError as err:
                body = {"ok": False, "error": err.error}
            self._calls.append(Call(method, params, time.time()))
            self._changed()
        headers = {"x-oauth-scopes": BOT_SCOPES} if token == self.bot_token else {}
        return web.json_response(body, headers=headers)

    def _dispatch(self, method: str, params: JSON, token: str) -> JSON:
        handler: Callable[[JSON], JSON] | None = getattr(
            self, "_api_" + method.replace(".", "_"), None
        )
        if handler is None or "." not in method:
            raise SlackError("unknown_method")
        if not token:
            raise SlackError("not_authed")
        if token not in (self.bot_token, self.app_token):
            raise SlackError("invalid_auth")
        if (token == self.app_token) != (method == "apps.connections.open"):
            raise SlackError("not_allowed_token_type")
        return handler(params)

    async def _upload(self, request: web.Request) -> web.Response:
        content = await request.read()
        with self._cond:
            upload = self._files.get(request.match_info["file_id"])
            if upload is None:
                return web.Response(status=404, text="file not found")
            upload.content = content
            self._changed()
        return web.Response(text=f"OK - {len(content)}")

    # ------------------------------------- Web API methods: "a.bC" is handled by _api_a_bC

    def _bot_message(self, params: JSON) -> JSON:
        bot = self.world.bot
        text = str(params.get("text") or "")
        msg: JSON = {"user": bot.id, "type": "message", "ts": self._next_ts(), "bot_id": bot.bot_id}
        msg.update(app_id=bot.app_id, text=text, team=self._team)
        msg["bot_profile"] = {
            "id": bot.bot_id, "deleted": False, "name": bot.name, "updated": CREATED,
            "app_id": bot.app_id, "team_id": self._team,
            "icons": {"image_48": f"https://avatars.sandbox.slack.com/{bot.bot_id}_48.png"},
        }  # fmt: skip
        for key in ("attachments", "blocks"):
            if params.get(key):
                msg[key] = _jsonish(params[key])
        if not (text or msg.get("attachments") or msg.get("blocks")):
            raise SlackError("no_text")
        if len(text) > MAX_MESSAGE_CHARS:
            raise SlackError("msg_too_long")
        return msg

    def _api_auth_test(self, params: JSON) -> JSON:
        w = self.world
        return {
            "url": f"https://{w.team_domain}.slack.com/", "team": w.team_name,
            "user": w.bot.name, "team_id": w.team_id, "user_id": w.bot.id, "bot_id": w.bot.bot_id,
            "is_enterprise_install": False,
        }  # fmt: skip

    def _api_apps_connections_open(self, params: JSON) -> JSON:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}"}

    def _api_users_info(self, params: JSON) -> JSON:
        return {"user": self._member(params.get("user")).to_api(self._team)}

    def _api_users_setPresence(self, params: JSON) -> JSON:
        return {}

    def _api_users_list(self, params: JSON) -> JSON:
        everyone = [m.to_api(self._team) for m in [*self.world.people, self.world.bot]]
        page, meta = _paginate(everyone, params)
        return {"members": page, "cache_ts": int(time.time()), "response_metadata": meta}

    def _api_users_lookupByEmail(self, params: JSON) -> JSON:
        email = str(params.get("email") or "").lower()
        found = next((m for m in self.world.people if m.email.lower() == email), None)
        if found is None:
            raise SlackError("users_not_found")
        return {"user": found.to_api(self._team)}

    def _api_bots_info(self, params: JSON) -> JSON:
        bot = self.world.bot
        if params.get("bot") != bot.bot_id:
            raise SlackError("bot_not_found")
        info = {"id": bot.bot_id, "deleted": False, "name": bot.name, "updated": CREATED}
        return {"bot": {**info, "app_id": bot.app_id, "user_id": bot.id, "icons": {}}}

    def _api_team_info(self, params: JSON) -> JSON:
        w = self.world
        team: JSON = {"id": w.team_id, "name": w.team_name, "domain": w.team_domain}
        team.update(url=f"https://{w.team_domain}.slack.com/", email_domain="example.com")
        return {"team": {**team, "icon": {"image_default": True}, "is_verified": False}}

    def _api_conversations_info(self, params: JSON) -> JSON:
        return {"channel": self._chan(params).to_api(self._team)}

    def _api_conversations_members(self, params: JSON) -> JSON:
        members = list(self._chan(params).members)
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _api_conversations_list(self, params: JSON) -> JSON:
        types = _csv(params.get("types")) or ["public_channel"]
        found = [c.to_api(self._team) for c in self.world.channels if c.kind in types]
        page, meta = _paginate(found, params)
        return {"channels": page, "response_metadata": meta}

    def _api_conversations_open(self, params: JSON) -> JSON:
        if params.get("channel"):
            chan = self._chan(params)
        else:
            users = _csv(params.get("users"))
            if len(users) != 1:
                raise SlackError("users_list_not_supplied" if not users else "not_supported")
            member = self._member(users[0])
            if member.is_bot:
                raise SlackError("cannot_dm_bot")
            chan = self.world.im_with(member.id)
        full = _flag(params.get("return_im"))
        out = chan.to_api(self._team) if full else {"id": chan.id}
        return {"no_op": True, "already_open": True, "channel": out}

    def _api_conversations_history(self, params: JSON) -> JSON:
        chan = self._chan(params)
        stored = self._messages.get(chan.id, [])
        top = [m for m in reversed(stored) if m.get("thread_ts", m["ts"]) == m["ts"]]
        page, meta = _paginate(copy.deepcopy(top), params)
        more = bool(meta["next_cursor"])
        return {"messages": page, "has_more": more, "pin_count": 0, "response_metadata": meta}

    def _api_conversations_replies(self, params: JSON) -> JSON:
        chan = self._chan(params)
        try:
            root = self._message(chan.id, params.get("ts"))
        except SlackError:
            raise SlackError("thread_not_found") from None
        root_ts = root.get("thread_ts", root["ts"])
        thread = [m for m in self._messages[chan.id] if m.get("thread_ts", m["ts"]) == root_ts]
        page, meta = _paginate(copy.deepcopy(thread), params)
        return {"messages": page, "has_more": bool(meta["next_cursor"]), "response_metadata": meta}

    def _api_chat_postMessage(self, params: JSON) -> JSON:
        chan = self._chan(params)
        if not chan.is_member and not chan.is_im:
            raise SlackError("not_in_channel")
        msg = self._bot_message(params)
        self._store(chan, msg, str(params.get("thread_ts") or "") or None)
        return {"channel": chan.id, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _api_chat_update(self, params: JSON) -> JSON:
        chan = self._chan(params)
        msg = self._message(chan.id, params.get("ts"))
        if msg.get("user") != self.world.bot.id:
            raise SlackError("cant_update_message")
        new = self._bot_message({**msg, **params})
        previous, edit_ts = copy.deepcopy(msg), self._next_ts()
        msg.update(text=new["text"], edited={"user": self.world.bot.id, "ts": edit_ts})
        for key in ("attachments", "blocks"):
            if key in params:
                msg[key] = new.get(key, [])
        self._push_changed(chan, msg, previous, edit_ts)
        out = {"channel": chan.id, "ts": msg["ts"], "text": msg["text"]}
        return {**out, "message": copy.deepcopy(msg)}

    def _api_chat_delete(self, params: JSON) -> JSON:
        chan = self._chan(params)
        msg = self._message(chan.id, params.get("ts"))
        if msg.get("user") != self.world.bot.id:
            raise SlackError("cant_delete_message")
        self._messages[chan.id].remove(msg)
        event_ts = self._next_ts()
        self.push_event(
            {"type": "message", "subtype": "message_deleted", "hidden": True,
             "deleted_ts": msg["ts"], "channel": chan.id, "previous_message": msg,
             "ts": event_ts, "event_ts": event_ts, "channel_type": chan.channel_type}
        )  # fmt: skip
        return {"channel": chan.id, "ts": msg["ts"]}

    def _api_chat_postEphemeral(self, params: JSON) -> JSON:
        chan = self._chan(params)
        who = self._member(params.get("user"))
        if not chan.is_im and who.id not in chan.members:
            raise SlackError("user_not_in_channel")
        msg = self._bot_message(params)
        thread_ts = str(params.get("thread_ts") or "") or None
        return {"message_ts": self._show_ephemeral(chan.id, who.id, msg, thread_ts)}

    def _api_reactions_add(self, params: JSON, added: bool = True) -> JSON:
        name = str(params.get("name") or "").strip(":")
        self._reaction(self.world.bot.id, self._chan(params), params.get("timestamp"), name, added)
        return {}

    def _api_reactions_remove(self, params: JSON) -> JSON:
        return self._api_reactions_add(params, added=False)

    def _api_usergroups_list(self, params: JSON) -> JSON:
        with_users = _flag(params.get("include_users"))
        return {"usergroups": [g.to_api(self._team, with_users) for g in self.world.groups]}

    def _api_usergroups_users_list(self, params: JSON) -> JSON:
        return {"users": list(self._group(params).users)}

    def _api_usergroups_users_update(self, params: JSON) -> JSON:
        group = self._group(params)
        users = _csv(params.get("users"))
        if not users:
            raise SlackError("no_users_provided")
        if any(self.world.user(u) is None for u in users):
            raise SlackError("invalid_users")
        group.users, group.date_update = users, int(time.time())
        return {"usergroup": group.to_api(self._team, include_users=True)}

    def _api_files_getUploadURLExternal(self, params: JSON) -> JSON:
        filename, length = str(params.get("filename") or ""), str(params.get("length") or "")
        if not filename or not length.isdigit():
            raise SlackError("invalid_arguments")
        fid = f"F0SANDBOX{next(self._file_ids):04d}"
        self._files[fid] = UploadedFile(fid, filename, int(length))
        url = f"http://{self.host}:{self.port}/upload/v1/{fid}"
        return {"upload_url": url, "file_id": fid}

    def _api_files_completeUploadExternal(self, params: JSON) -> JSON:
        wanted = _jsonish(params.get("files") or "[]")
        channels = _csv(params.get("channels")) or _csv(params.get("channel_id"))
        chan_ids = [self._channel(c).id for c in channels]
        thread_ts = str(params.get("thread_ts") or "") or None
        done: list[JSON] = []
        for item in wanted if isinstance(wanted, list) else []:
            upload = self._files.get(str(item.get("id")))
            if upload is None:
                raise SlackError("file_not_found")
            upload.title = str(item.get("title") or upload.filename)
            upload.channel = chan_ids[0] if chan_ids else None
            upload.thread_ts, upload.completed = thread_ts, True
            upload.initial_comment = params.get("initial_comment")
            done.append(
                {"id": upload.id, "created": int(time.time()), "name": upload.filename,
                 "title": upload.title, "mimetype": "application/octet-stream",
                 "filetype": "binary", "user": self.world.bot.id, "size": len(upload.content),
                 "mode": "hosted", "is_external": False, "is_public": bool(chan_ids),
                 "url_private": f"https://files.sandbox.slack.com/files-pri/{upload.id}",
                 "channels": chan_ids, "shares": {}}
            )  # fmt: skip
        if chan_ids and done:  # as Slack does: the files appear as a message of the uploader
            bot = self.world.bot
            shared: JSON = {"user": bot.id, "type": "message", "subtype": "file_share"}
            shared.update(ts=self._next_ts(), bot_id=bot.bot_id, team=self._team)
            shared.update(text=str(params.get("initial_comment") or ""), upload=True)
            shared["files"] = [
                {"id": f["id"], "name": f["name"], "title": f["title"]} for f in done
            ]
            self._store(self._channel(chan_ids[0]), shared, thread_ts)
        self._changed()
        return {"files": done}
