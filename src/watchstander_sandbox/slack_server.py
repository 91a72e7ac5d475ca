"""A local, Slack-compatible server: Web API over HTTP plus a Socket Mode websocket.

`LocalSlack` runs an aiohttp app on 127.0.0.1 in a daemon thread. The real errbot SlackV3
backend runs against it unchanged: point slack_sdk's ``WebClient(base_url=server.api_url)``
at it and the builtin ``SocketModeClient`` gets its ``ws://`` URL from
``apps.connections.open``.

Answers use Slack's own shapes: HTTP 200 with ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. Every Web API call is recorded (``calls``). What the bot
posts is stored and echoed back as a ``message`` event, the way Slack echoes a bot's own
messages. Test code acts as people in the workspace (``post``, ``edit``, ``unfurl``,
``react``, ``unreact``, ``push_event``); each pushes the matching Events API envelope over
Socket Mode. Envelopes pushed while no client is connected wait, in order, for the next
connection, and are sent after its ``hello``.

The workspace itself (team, bot user, people, channels, user groups) is the `World`
dataclass. Everything public is thread-safe; state lives behind one ``threading.Condition``
so tests can ``wait_for`` a predicate without polling.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import itertools
import json
import math
import re
import secrets
import socket
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

JSON = dict[str, Any]

BOT_SCOPES = (
    "chat:write,channels:history,groups:history,im:history,reactions:read,reactions:write,"
    "users:read,users:read.email,usergroups:read,usergroups:write,im:write,channels:read,"
    "groups:read,team:read,files:write"
)
MAX_MESSAGE_CHARS = 40_000
PING_SECONDS = 0.1  # server pings on Socket Mode connections (see LocalSlack._ping)
_CREATED = 1_700_000_000  # a fixed "created" epoch for the sandbox's objects
_URL = re.compile(r"https?://[^\s>|]+")


# (method, calls a minute, burst): Slack's tiers for what the bot calls (chat.postMessage:
# about one a second per channel, with short bursts)
CONNECTING = ("auth.test", "apps.connections.open")  # not failed nor limited by ``*``
SLACK_LIMITS = (
    ("chat.postMessage", 60, 5),
    ("conversations.info", 50, 5),
    ("users.info", 100, 10),
    ("bots.info", 100, 10),
    ("team.info", 50, 5),
    ("reactions.add", 50, 5),
    ("usergroups.users.update", 20, 2),
    ("files.getUploadURLExternal", 20, 2),
    ("files.completeUploadExternal", 20, 2),
)


class SlackError(Exception):
    """A Slack error code; Web API methods answer it as ``{"ok": false, "error": code}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# --------------------------------------------------------------------------- the workspace


def _false(names: str) -> JSON:
    return dict.fromkeys(names.split(), False)


@dataclass
class Member:
    """A user of the workspace (a person, or the bot's own user)."""

    id: str
    name: str
    real_name: str
    display_name: str = ""
    email: str = ""
    title: str = ""
    tz: str = "Europe/Amsterdam"
    tz_label: str = "Central European Time"
    tz_offset: int = 3600
    is_bot: bool = False
    bot_id: str = ""
    app_id: str = ""
    deleted: bool = False  # deactivated: users.info still answers, with deleted true

    def to_api(self, team_id: str) -> JSON:
        """The user object of users.info / users.list."""
        first, _, last = self.real_name.partition(" ")
        profile: JSON = {
            "title": self.title, "phone": "", "skype": "", "real_name": self.real_name,
            "real_name_normalized": self.real_name, "display_name": self.display_name,
            "display_name_normalized": self.display_name, "fields": None, "status_text": "",
            "status_emoji": "", "status_expiration": 0, "avatar_hash": "g" + self.id[-6:].lower(),
            "first_name": first, "last_name": last, "team": team_id,
            "image_72": f"https://avatars.sandbox.slack.com/{self.id}_72.png",
        }  # fmt: skip
        if self.is_bot:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id, always_active=True)
        else:
            profile["email"] = self.email
        return {
            "id": self.id, "team_id": team_id, "name": self.name, "deleted": self.deleted,
            "color": "9f69e7", "real_name": self.real_name, "tz": self.tz,
            "tz_label": self.tz_label, "tz_offset": self.tz_offset, "profile": profile,
            **_false("is_admin is_owner is_primary_owner is_restricted is_ultra_restricted"),
            "is_bot": self.is_bot, "is_app_user": False, "updated": _CREATED,
            "is_email_confirmed": not self.is_bot,
        }  # fmt: skip


@dataclass
class Channel:
    """A conversation: public or private channel, or a direct message (``D…``) with `user`."""

    id: str
    name: str = ""
    topic: str = ""
    purpose: str = ""
    is_private: bool = False
    is_member: bool = True
    members: list[str] = field(default_factory=list)
    user: str = ""

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")

    @property
    def channel_type(self) -> str:  # as in Events API ``channel_type``
        return "im" if self.is_im else "group" if self.is_private else "channel"

    @property
    def kind(self) -> str:  # as in conversations.list ``types``
        return "im" if self.is_im else "private_channel" if self.is_private else "public_channel"

    def to_api(self, team_id: str) -> JSON:
        """The conversation object of conversations.info / conversations.list."""
        if self.is_im:
            return {
                "id": self.id, "created": _CREATED, "is_im": True, "is_org_shared": False,
                "user": self.user, "is_user_deleted": False, "priority": 0,
            }  # fmt: skip
        meta = {"creator": "U0ALICE", "last_set": _CREATED}
        return {
            "id": self.id, "name": self.name, "name_normalized": self.name,
            "is_channel": not self.is_private, "is_group": self.is_private,
            "is_private": self.is_private, "is_general": self.name == "general",
            **_false("is_im is_mpim is_archived is_shared is_ext_shared is_org_shared"),
            "is_pending_ext_shared": False, "is_member": self.is_member, "created": _CREATED,
            "creator": "U0ALICE", "unlinked": 0, "context_team_id": team_id,
            "shared_team_ids": [team_id], "updated": _CREATED * 1000, "parent_conversation": None,
            "topic": {"value": self.topic, **meta}, "purpose": {"value": self.purpose, **meta},
            "previous_names": [], "num_members": len(self.members),
        }  # fmt: skip


@dataclass
class UserGroup:
    id: str
    handle: str
    name: str
    description: str = ""
    users: list[str] = field(default_factory=list)
    date_update: int = _CREATED

    def to_api(self, team_id: str, include_users: bool) -> JSON:
        """The user group object of usergroups.list / usergroups.users.update."""
        out: JSON = {
            "id": self.id, "team_id": team_id, "is_usergroup": True, "is_subteam": True,
            "name": self.name, "description": self.description, "handle": self.handle,
            "is_external": False, "date_create": _CREATED, "date_update": self.date_update,
            "date_delete": 0, "auto_type": None, "auto_provision": False,
            "enterprise_subteam_id": "", "created_by": "U0ALICE", "updated_by": "U0ALICE",
            "deleted_by": None, "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users), "channel_count": 0,
        }  # fmt: skip
        if include_users:
            out["users"] = list(self.users)
        return out


def _default_bot() -> Member:
    return Member(
        "UBOT0001", "watchstander", "Watchstander", is_bot=True, bot_id="BBOT0001",
        app_id="A0SANDBOX", tz="America/Los_Angeles", tz_label="Pacific Standard Time",
        tz_offset=-28800,
    )  # fmt: skip


@dataclass
class World:
    """The sandbox workspace. Mutate it before `LocalSlack.start`, or through the server."""

    team_id: str = "T0SANDBOX"
    team_name: str = "Watchstander Sandbox"
    team_domain: str = "sandbox"
    bot: Member = field(default_factory=_default_bot)
    people: list[Member] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    groups: list[UserGroup] = field(default_factory=list)

    @classmethod
    def default(cls) -> World:
        ams = ("Europe/Amsterdam", "Central European Time", 3600)
        lon = ("Europe/London", "Greenwich Mean Time", 0)
        nyc = ("America/New_York", "Eastern Standard Time", -18000)
        people = [
            ("U0ALICE", "alice", "Alice Jansen", "Site Reliability Engineer", ams),
            ("U0BOB", "bob", "Bob de Vries", "Backend Engineer", ams),
            ("U0CAROL", "carol", "Carol Smith", "Support Lead", lon),
            ("U0DAVE", "dave", "Dave Kowalski", "Platform Engineer", nyc),
            ("U0ERIN", "erin", "Erin Okafor", "Engineering Manager", ams),
        ]
        members = [
            Member(uid, name, real, name, f"{real.lower().replace(' ', '.')}@example.com",
                   title, tz, label, offset)
            for uid, name, real, title, (tz, label, offset) in people
        ]  # fmt: skip
        everyone = [m.id for m in members] + ["UBOT0001"]
        channels = [
            Channel("C0SUPPORT", "support", "Ask us anything", "Customer help", members=everyone),
            Channel("C0GENERAL", "general", "", "Company-wide announcements", members=everyone),
            Channel("C0DIGEST", "support-digest", "", "Daily support digests", members=everyone),
            Channel("C0RANDOM", "random", "", "Off-topic", is_member=False, members=everyone[:-1]),
        ]  # fmt: skip
        groups = [
            UserGroup("S0ONCALL", "oncall", "On-call", "Whoever holds the pager", ["U0ALICE"]),
            UserGroup("S0DEVS", "devs", "Developers", "Engineers", ["U0ALICE", "U0BOB", "U0DAVE"]),
        ]  # fmt: skip
        return cls(people=members, channels=channels, groups=groups)

    @property
    def app_id(self) -> str:
        return self.bot.app_id

    def user(self, uid: str) -> Member | None:
        return next((m for m in [self.bot, *self.people] if m.id == uid), None)

    def channel(self, ref: str) -> Channel | None:
        """By id, ``#name`` or name; ``D…`` ids of direct messages open on first use."""
        name = ref.removeprefix("#")
        found = next((c for c in self.channels if ref == c.id or (c.name and name == c.name)), None)
        if found is None and ref.startswith("D") and (who := self.user("U" + ref[1:])):
            found = self.im_with(who.id)
        return found

    def im_with(self, uid: str) -> Channel:
        """The bot's direct-message channel with `uid` (a stable ``D…`` id)."""
        cid = "D" + uid[1:]
        found = next((c for c in self.channels if c.id == cid), None)
        if found is None:
            found = Channel(cid, user=uid, is_private=True, members=[uid, self.bot.id])
            self.channels.append(found)
        return found

    def group(self, ref: str) -> UserGroup | None:
        return next((g for g in self.groups if ref in (g.id, g.handle)), None)

    def mention_group(self, handle: str) -> str:
        group = self.group(handle)
        if group is None:
            raise KeyError(f"no user group {handle!r}")
        return f"<!subteam^{group.id}|@{group.handle}>"

    @staticmethod
    def mention_user(uid: str) -> str:
        return f"<@{uid}>"


@dataclass(frozen=True)
class Call:
    """One Web API call as received: method, merged query/form/JSON params, arrival time."""

    method: str
    params: JSON
    at: float


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes = b""
    title: str = ""
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False


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


# ------------------------------------------------------------------------------ the server


class LocalSlack:
    """A Slack workspace on 127.0.0.1: Web API at `api_url`, Socket Mode at ``/link/``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str = "xoxb-local",
        app_token: str = "xapp-local",
        world: World | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.bot_token, self.app_token = bot_token, app_token
        self.world = world or World.default()
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._acks: list[str] = []
        self._messages: dict[str, list[JSON]] = {}
        self.version = 0  # goes up with every change: the sandbox page follows it
        self.limited: list[Call] = []  # calls answered 429
        self._inflight: dict[str, tuple[Any, JSON]] = {}  # sent, not acked: envelope id ->
        self._acked: set[str] = set()
        self._limits: dict[str, tuple[float, float]] = {}  # method -> (per second, burst)
        self._failures: dict[str, tuple[str, int | None, JSON]] = {}  # method -> error, times
        self.failed: list[Call] = []  # calls answered with an injected error
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._files: dict[str, UploadedFile] = {}
        self._envelopes: dict[str, JSON] = {}
        self._pending: deque[JSON] = deque()
        self._sockets: list[web.WebSocketResponse] = []
        self._transports: dict[int, Any] = {}  # id(socket) -> its TCP transport
        self._stalled = False  # acks lost on the way (see `stall`)
        self._tickets: set[str] = set()
        self._file_ids = itertools.count(1)
        self._last_us = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._wakeup: asyncio.Event | None = None
        self._sender: asyncio.Task[None] | None = None

    # -------------------------------------------------------------------- lifecycle

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/"

    def start(self) -> LocalSlack:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="local-slack", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._startup(sock), loop).result(timeout=10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=15)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
            self._loop = self._thread = None

    async def _startup(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/link/", self._socket_mode)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._wakeup = asyncio.Event()
        self._sender = asyncio.get_running_loop().create_task(self._send_pending())

    async def _shutdown(self) -> None:
        with self._cond:
            self._stopping = True
            sockets = list(self._sockets)
        for ws in sockets:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self._runner is not None:
            await self._runner.cleanup()

    # -------------------------------------------------------------- observing the bot

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    @property
    def acks(self) -> list[str]:
        with self._cond:
            return list(self._acks)

    @property
    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope pushed, oldest first: after `react`, `envelopes[-1]` is its own."""
        with self._cond:
            return copy.deepcopy(list(self._envelopes.values()))

    @property
    def connected(self) -> bool:
        with self._cond:
            return bool(self._sockets)

    @property
    def files(self) -> list[UploadedFile]:
        with self._cond:
            return [copy.deepcopy(f) for f in self._files.values() if f.completed]

    def wait_for(self, predicate: Callable[[LocalSlack], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Top-level messages of `channel`, oldest first; a thread's replies given `thread_ts`."""
        with self._cond:
            stored = self._messages.get(self._channel(channel).id, [])
            if thread_ts is None:
                picked = [m for m in stored if m.get("thread_ts", m["ts"]) == m["ts"]]
            else:
                picked = [m for m in stored if m.get("thread_ts") == thread_ts != m["ts"]]
            return copy.deepcopy(picked)

    # ---------------------------------------------------------- acting as people

    def post(
        self,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        stranger: bool = False,
    ) -> str:
        """A person's post. ``stranger``: from a user id users.info will not know
        (``user_not_found``), as a member of another organisation in a shared channel."""
        with self._cond:
            uid, chan = user if stranger else self._member(user).id, self._channel(channel)
            msg: JSON = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text}
            msg.update(user=uid, ts=self._next_ts(), team=self._team)
            self._store(chan, msg, thread_ts)
            return str(msg["ts"])

    def edit(
        self,
        user: str,
        channel: str,
        ts: str,
        text: str,
        attachments: list[dict[str, Any]] | None = None,
    ) -> str:
        with self._cond:
            chan = self._channel(channel)
            msg = self._message(chan.id, ts)
            if msg.get("user") != user:
                raise SlackError("cant_update_message")
            previous, edit_ts = copy.deepcopy(msg), self._next_ts()
            msg.update(text=text, edited={"user": user, "ts": edit_ts})
            if attachments is not None:
                msg["attachments"] = copy.deepcopy(attachments)
            return self._push_changed(chan, msg, previous, edit_ts)

    def unfurl(self, channel: str, ts: str) -> str:
        with self._cond:
            chan = self._channel(channel)
            msg = self._message(chan.id, ts)
            previous = copy.deepcopy(msg)
            found = _URL.search(str(msg.get("text", "")))
            url = found.group(0) if found else "https://example.com/"
            site = url.split("/")[2]
            msg["attachments"] = [
                {"id": 1, "from_url": url, "original_url": url, "title_link": url,
                 "title": f"{site} | page title", "fallback": f"{site}: page title",
                 "text": "A preview of the linked page.", "service_name": site}
            ]  # fmt: skip
            return self._push_changed(chan, msg, previous, self._next_ts())

    def react(self, user: str, channel: str, ts: str, name: str) -> str:
        with self._cond:
            return self._reaction(self._member(user).id, self._channel(channel), ts, name, True)

    def unreact(self, user: str, channel: str, ts: str, name: str) -> str:
        with self._cond:
            return self._reaction(self._member(user).id, self._channel(channel), ts, name, False)

    def push_event(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        """Send any inner event to the app, wrapped in an ``events_api`` envelope."""
        envelope_id = str(uuid.uuid4())
        alphabet = string.ascii_uppercase + string.digits
        auth = {"enterprise_id": None, "team_id": self._team, "user_id": self.world.bot.id}
        payload: JSON = {
            "token": "sandboxverificationtoken", "team_id": self._team,
            "context_team_id": self._team, "context_enterprise_id": None,
            "api_app_id": self.world.app_id, "event": copy.deepcopy(event),
            "type": "event_callback",
            "event_id": event_id or "Ev" + "".join(secrets.choice(alphabet) for _ in range(10)),
            "event_time": int(time.time()),
            "authorizations": [{**auth, "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }  # fmt: skip
        envelope: JSON = {"envelope_id": envelope_id, "payload": payload, "type": "events_api"}
        envelope.update(accepts_response_payload=False, retry_attempt=0, retry_reason="")
        with self._cond:
            self._envelopes[envelope_id] = envelope
            self._pending.append(copy.deepcopy(envelope))
        self._wake_sender()
        return envelope_id

    def redeliver(self, envelope_id: str) -> None:
        """Send the same envelope again with ``retry_attempt`` + 1, as Slack does on a late ack."""
        with self._cond:
            envelope = self._envelopes[envelope_id]
            envelope.update(retry_attempt=envelope["retry_attempt"] + 1, retry_reason="timeout")
            self._pending.append(copy.deepcopy(envelope))
        self._wake_sender()

    # ---------------------------------------------------------------- state helpers

    def _changed(self) -> None:
        """Something in the workspace changed (held under ``_cond``): wake the waiters."""
        self.version += 1
        self._cond.notify_all()

    def snapshot(self) -> dict[str, Any]:
        """Every channel's messages (threads, reactions), to be restored by a later run."""
        with self._cond:
            return {"messages": copy.deepcopy(self._messages)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Put back what ``snapshot`` saved (or sample data in its shape), pushing no event:
        the app saw these messages before (or the sample loader told it)."""
        with self._cond:
            messages = snapshot.get("messages") or {}
            self._messages = {str(c): list(m) for c, m in messages.items()}
            stamps = [m.get("ts", "0") for ms in self._messages.values() for m in ms]
            newest = max((float(t) for t in stamps), default=0.0)
            self._last_us = max(self._last_us, int(newest * 1_000_000))
            self._changed()

    def file(self, file_id: str) -> UploadedFile | None:
        with self._cond:
            return self._files.get(file_id)

    @property
    def _team(self) -> str:
        return self.world.team_id

    def _next_ts(self) -> str:
        self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def _member(self, uid: Any) -> Member:
        found = self.world.user(str(uid or ""))
        if found is None:
            raise SlackError("user_not_found")
        return found

    def _channel(self, ref: Any) -> Channel:
        ref = str(ref or "")
        found = self.world.channel(ref)
        if found is None and ref.startswith(("U", "W")) and self.world.user(ref):
            found = self.world.im_with(ref)  # chat.postMessage to a user id posts to the DM
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def _chan(self, params: JSON) -> Channel:
        return self._channel(params.get("channel"))

    def _group(self, params: JSON) -> UserGroup:
        found = self.world.group(str(params.get("usergroup") or ""))
        if found is None:
            raise SlackError("no_such_subteam")
        return found

    def _message(self, cid: str, ts: Any) -> JSON:
        found = next((m for m in self._messages.get(cid, []) if m["ts"] == ts), None)
        if found is None:
            raise SlackError("message_not_found")
        return found

    def _store(self, chan: Channel, msg: JSON, thread_ts: str | None) -> None:
        """Store a new message (a reply if `thread_ts`) and push its ``message`` event."""
        stored = self._messages.setdefault(chan.id, [])
        if thread_ts:
            root = next((m for m in stored if m["ts"] == thread_ts), None)
            msg["thread_ts"] = root.get("thread_ts", thread_ts) if root else thread_ts
            root = next((m for m in stored if m["ts"] == msg["thread_ts"]), None)
            if root is not None:
                msg["parent_user_id"] = root.get("user", "")
                users = [u for u in root.get("reply_users", []) if u != msg["user"]]
                root.update(thread_ts=root["ts"], reply_users=[*users, msg["user"]])
                root.update(reply_count=root.get("reply_count", 0) + 1, latest_reply=msg["ts"])
                root["reply_users_count"] = len(root["reply_users"])
        stored.append(msg)
        event = {**copy.deepcopy(msg), "channel": chan.id, "event_ts": msg["ts"]}
        self.push_event({**event, "channel_type": chan.channel_type})
        self._changed()

    def _push_changed(self, chan: Channel, msg: JSON, previous: JSON, ts: str) -> str:
        event: JSON = {"type": "message", "subtype": "message_changed"}
        event["message"] = copy.deepcopy(msg)
        event.update(previous_message=previous, channel=chan.id, hidden=True, ts=ts, event_ts=ts)
        self.push_event({**event, "channel_type": chan.channel_type})
        self._changed()
        return ts

    def _reaction(self, uid: str, chan: Channel, ts: Any, name: str, added: bool) -> str:
        if not name:
            raise SlackError("invalid_name")
        msg = self._message(chan.id, ts)
        reactions: list[JSON] = msg.get("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        users: list[str] = entry["users"] if entry else []
        if (uid in users) == added:
            raise SlackError("already_reacted" if added else "no_reaction")
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions = [*reactions, entry]
        entry["users"] = [*users, uid] if added else [u for u in users if u != uid]
        entry["count"] = len(entry["users"])
        msg["reactions"] = [r for r in reactions if r["count"]]
        if not msg["reactions"]:
            del msg["reactions"]
        event_ts = self._next_ts()
        self.push_event(
            {"type": "reaction_added" if added else "reaction_removed", "user": uid,
             "reaction": name, "item": {"type": "message", "channel": chan.id, "ts": ts},
             "item_user": msg.get("user", ""), "event_ts": event_ts}
        )  # fmt: skip
        self._changed()
        return event_ts

    def _bot_message(self, params: JSON) -> JSON:
        bot = self.world.bot
        text = str(params.get("text") or "")
        msg: JSON = {"user": bot.id, "type": "message", "ts": self._next_ts(), "bot_id": bot.bot_id}
        msg.update(app_id=bot.app_id, text=text, team=self._team)
        msg["bot_profile"] = {
            "id": bot.bot_id, "deleted": False, "name": bot.name, "updated": _CREATED,
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

    # ------------------------------------- Web API methods: "a.bC" is handled by _api_a_bC

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
        info = {"id": bot.bot_id, "deleted": False, "name": bot.name, "updated": _CREATED}
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
        self._bot_message(params)
        return {"message_ts": self._next_ts()}

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

    def fail(self, method: str, error: str, times: int | None = None, **extra: Any) -> None:
        """Answer ``method`` (``*``: every method but auth.test and apps.connections.open)
        with Slack's error ``error`` (and ``extra`` fields, as ``needed`` and ``provided``
        for ``missing_scope``), ``times`` times or until `heal`; nothing is done."""
        with self._cond:
            self._failures[method] = (error, times, dict(extra))

    def heal(self, method: str | None = None) -> None:
        """Stop the injected errors (of one method, or all)."""
        with self._cond:
            if method is None:
                self._failures.clear()
            else:
                self._failures.pop(method, None)

    def _injected(self, method: str, params: JSON) -> JSON | None:
        with self._cond:
            key = method if method in self._failures else "*"
            rule = self._failures.get(key)
            if rule is None or (key == "*" and method in CONNECTING):
                return None
            error, times, extra = rule
            if times is not None:
                if times <= 1:
                    del self._failures[key]
                else:
                    self._failures[key] = (error, times - 1, extra)
            self.failed.append(Call(method, params, time.time()))
            self._changed()
            return {"error": error, **extra}

    def limit(self, method: str, per_minute: float, burst: int = 1) -> None:
        """Answer ``method`` with 429 past ``per_minute`` calls (``burst`` at once), as Slack's
        tiers do; ``chat.postMessage`` is counted per channel. ``*``: every method (but
        auth.test and apps.connections.open) that has no limit of its own, each counted
        apart."""
        with self._cond:
            self._limits[method] = (per_minute / 60.0, float(burst))

    def slack_limits(self) -> None:
        """Slack's published limits for the methods the bot calls (Tier 2-4; about one
        message a second per channel, with short bursts)."""
        for method, per_minute, burst in SLACK_LIMITS:
            self.limit(method, per_minute, burst)

    def _throttled(self, method: str, params: JSON) -> float | None:
        """None if the call may go now (a token taken), else the seconds until it may."""
        with self._cond:
            rule = self._limits.get(method)
            if rule is None and method not in CONNECTING:
                rule = self._limits.get("*")
            if rule is None:
                return None
            rate, burst = rule
            key = f"{method}:{params.get('channel')}" if method == "chat.postMessage" else method
            now = time.monotonic()
            tokens, then = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` frame to every connection and close them, as Slack does
        before a restart (``refresh_requested``, ``warning``, ``link_disabled``)."""
        loop = self._loop
        if loop is None:
            return

        async def drop() -> None:
            with self._cond:
                sockets = list(self._sockets)
            frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "local"}}
            for ws in sockets:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_json(frame)
                    await ws.close()

        asyncio.run_coroutine_threadsafe(drop(), loop).result(10)

    def stall(self) -> None:
        """The link goes half-dead: envelopes still go out, but the bot's acks never arrive
        (until `drop`), so what is sent meanwhile is sent again after the reconnect."""
        with self._cond:
            self._stalled = True

    def drop(self) -> None:
        """Cut every Socket Mode connection's TCP stream, with no frame and no close: what a
        network failure or a dead load balancer does. Envelopes sent on it and not acked go
        out again, as retries, on the next connection."""
        loop = self._loop
        if loop is None:
            return

        async def cut() -> None:
            with self._cond:
                transports = list(self._transports.values())
            for transport in transports:
                if transport is not None:
                    transport.abort()

        asyncio.run_coroutine_threadsafe(cut(), loop).result(10)
        with self._cond:
            self._stalled = False

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

    async def _socket_mode(self, request: web.Request) -> web.StreamResponse:
        with self._cond:
            allowed = request.query.get("ticket", "") in self._tickets and not self._stopping
            count = len(self._sockets) + 1
        if not allowed:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        await ws.send_json(
            {"type": "hello", "num_connections": count,
             "debug_info": {"host": "local", "approximate_connection_time": 18060},
             "connection_info": {"app_id": self.world.app_id}}
        )  # fmt: skip
        with self._cond:
            self._sockets.append(ws)
            self._transports[id(ws)] = request.transport
            self._changed()
        self._wake_sender()
        pinger = asyncio.get_running_loop().create_task(self._ping(ws))
        try:
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:
                    self._on_client_frame(frame.data)
        finally:
            pinger.cancel()
            with self._cond:
                self._transports.pop(id(ws), None)
                if ws in self._sockets:
                    self._sockets.remove(ws)
                # as Slack: what this connection was sent but never acked goes out again,
                # marked as a retry, on the next connection
                lost = [e for i, (w, e) in self._inflight.items() if w is ws]
                for envelope in lost:
                    del self._inflight[envelope["envelope_id"]]
                    if envelope["envelope_id"] not in self._acked:
                        retry = copy.deepcopy(envelope)
                        retry.update(retry_attempt=retry["retry_attempt"] + 1,
                                     retry_reason="timeout")  # fmt: skip
                        self._pending.append(retry)
                self._changed()
            self._wake_sender()
        return ws

    def _on_client_frame(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("envelope_id"):
            with self._cond:
                if self._stalled:
                    return
                self._acks.append(str(message["envelope_id"]))
                self._acked.add(str(message["envelope_id"]))
                self._inflight.pop(str(message["envelope_id"]), None)
                self._changed()

    # ----------------------------------------------------------- Socket Mode delivery

    @staticmethod
    async def _ping(ws: web.WebSocketResponse) -> None:
        """Ping often, as Slack does now and then: slack_sdk's client holds a lock in a blocking
        ``recv`` (3 s timeout) that its ``close()`` must wait for, so frames make closing fast."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not ws.closed:
                await asyncio.sleep(PING_SECONDS)
                await ws.ping()

    def _wake_sender(self) -> None:
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wakeup.set)

    async def _send_pending(self) -> None:
        """The one task that writes envelopes, so they leave in the order they were pushed."""
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while True:
                with self._cond:
                    if not self._pending or not self._sockets:
                        break
                    ws, envelope = self._sockets[-1], self._pending.popleft()
                    self._inflight[envelope["envelope_id"]] = (ws, envelope)
                try:
                    await ws.send_json(envelope)
                except (ConnectionError, RuntimeError):
                    with self._cond:  # that connection is gone: keep the envelope for the next
                        self._pending.appendleft(envelope)
                        if ws in self._sockets:
                            self._sockets.remove(ws)
                        self._changed()
