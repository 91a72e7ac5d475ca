"""The sandbox in a browser: #support as a Slack user knows it, served on 127.0.0.1.

`SandboxPage` serves the page (``page/``, no build step) and a small JSON API over the
local Slack-, PagerDuty- and GitHub-compatible servers: the state (messages, threads,
reactions, the bot's direct messages, what reached PagerDuty and GitHub), acting as a person
(post, reply, react), closing a GitHub issue (then GitHub's signed ``issues`` webhook goes to
the bot, as GitHub would send it), and a server-sent event whenever anything changed.

The state says the bot's ``TIMEZONE`` (the page shows every time in it, as the bot's own
messages do) and who is on call now, as the bot says it: the bot's calendar feed
(``/oncall.ics`` on its web server, read every few seconds), the ``@oncall`` user group's
members when the feed names nobody (no rotation is set: the bot then falls back to the first
rotation admin, whom the sandbox's group holds).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from icalendar import Calendar

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack, SlackError
from watchstander_sandbox.web_controls import PageControls, SandboxError
from watchstander_sandbox.web_forms import PageForms
from watchstander_sandbox.web_panels import close_issue, issue_entry, pd_entry

PAGE = Path(__file__).with_name("page")
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ROLES = {"U0BOB": "rotation admin", "U0CAROL": "support lead"}  # and "on call": who is, now
DEFAULT_TIMEZONE = "Europe/Amsterdam"
FEED_EVERY = 2.0  # seconds between two readings of the bot's calendar feed
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the bot is local
_MENTION = re.compile(r"(?<![\w<@!|/.-])@([A-Za-z][\w.-]*)")


def sandbox_timezone(env: Mapping[str, str] = os.environ) -> str:
    """The sandbox's TIMEZONE for the bot: the environment's, or Amsterdam's."""
    return env.get("TIMEZONE") or DEFAULT_TIMEZONE


def on_call_in_feed(feed: bytes, now: datetime) -> str | None:
    """The person whose shift in the bot's calendar feed holds ``now`` (None: nobody's).

    The bot names each shift's event ``<person id>-<start>@watchstander``; its summary says
    the person's name, which may change, so the id is read from the uid."""
    for event in Calendar.from_ical(feed).walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        uid = str(event.get("uid", ""))
        if isinstance(start, datetime) and isinstance(end, datetime) and start <= now < end:
            person, _, rest = uid.rpartition("-")
            if person and rest.endswith("@watchstander"):
                return person
    return None


class SandboxPage:
    def __init__(
        self,
        slack: LocalSlack,
        pagerduty: LocalPagerDuty,
        github: LocalGitHub,
        *,
        webhook: tuple[str, str] | None = None,  # (the bot's /github URL, the secret)
        host: str = "127.0.0.1",
        port: int = 8080,
        on_change: Callable[[], None] | None = None,
        timezone: str | None = None,  # the bot's TIMEZONE (default: `sandbox_timezone()`)
        calendar: str | None = None,  # the bot's /oncall.ics (default: beside its /github)
    ) -> None:
        self.slack, self.pagerduty, self.github = slack, pagerduty, github
        self.webhook = webhook
        self.timezone = timezone or sandbox_timezone()
        if calendar is None and webhook is not None:
            calendar = webhook[0].rsplit("/", 1)[0] + "/oncall.ics"
        self.calendar = calendar
        self._feed_on_call: str | None = None  # the last reading of the feed
        self._feed_read = threading.Event()  # the feed was read at least once
        self._stop = threading.Event()
        self.host, self.port = host, port
        self.on_change = on_change  # e.g. save the sandbox's state
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping = False
        self.controls = PageControls(slack, self._person)  # buttons, menus, ephemerals
        self.forms = PageForms(slack, self._person)  # shortcuts, commands, modals, Home

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    # ------------------------------------------------------------------------------ the state

    def version(self) -> tuple[int, int, tuple[tuple[int, str], ...], str | None, int]:
        issues = tuple((int(i["number"]), str(i["state"])) for i in list(self.github.issues))
        pd, controls = len(self.pagerduty.events), self.controls.changes
        return self.slack.version, pd, issues, self.on_call(), controls

    def on_call(self) -> str | None:
        """Who is on call now, as the bot says: its calendar feed, else the @oncall group."""
        if self._feed_on_call is not None:
            return self._feed_on_call
        group = next((g for g in self.slack.world.groups if g.handle == "oncall"), None)
        return group.users[0] if group is not None and group.users else None

    def read_feed(self) -> None:
        """Read the bot's calendar feed once (kept as it was when the bot does not answer)."""
        if self.calendar is None:
            return
        try:
            with _DIRECT.open(self.calendar, timeout=5) as answer:
                feed = answer.read()
            self._feed_on_call = on_call_in_feed(feed, datetime.now(UTC))
        except (OSError, ValueError):  # the bot is starting, or stopped; a feed it garbled
            return
        self._feed_read.set()

    def _follow_feed(self) -> None:
        while not self._stop.is_set():
            self.read_feed()
            self._stop.wait(FEED_EVERY)

    def state(self) -> dict[str, Any]:
        world = self.slack.world
        support = world.channel("support")
        assert support is not None
        names = {m.id: m.name for m in [*world.people, world.bot]}
        on_call = self.on_call()
        every = self.slack.messages(support.id)
        dms = {}
        for person in world.people:
            im = world.im_with(person.id)
            dms[person.id] = [self._message(m, names, []) for m in self.slack.messages(im.id)]
        return {
            "version": list(self.version()),
            "team": world.team_name,
            "workspace_url": f"https://{world.team_domain}.slack.com/",  # the bot's links
            "timezone": self.timezone,
            "on_call": on_call,
            "channel": {"id": support.id, "name": support.name},
            "people": [
                {
                    "id": m.id,
                    "name": m.name,
                    "real_name": m.real_name,
                    "role": "on call" if m.id == on_call else ROLES.get(m.id),
                }
                for m in world.people
            ],
            "bot": {"id": world.bot.id, "name": world.bot.name},
            "groups": [{"id": g.id, "handle": g.handle} for g in world.groups],
            "messages": [
                self._message(m, names, self.slack.messages(support.id, m["ts"])) for m in every
            ],
            "dms": dms,
            "ephemerals": {  # each person's own, in #support (the page shows the chosen one's)
                person: [self._message(e, names, []) for e in shown]
                for person, shown in self.controls.ephemerals().items()
            },
            **self.forms.state(),  # "app" (shortcuts, commands), "views" and "home" by person
            "pagerduty": [pd_entry(e) for e in list(self.pagerduty.events)],
            "github": [issue_entry(i) for i in list(self.github.issues)],
        }

    def _message(self, m: dict[str, Any], names: dict[str, str], replies: list[Any]) -> Any:
        user = str(m.get("user") or "")
        out = {
            "ts": m["ts"],
            "user": user,
            "user_name": names.get(user, user),
            "is_bot": bool(m.get("bot_id")),
            "text": str(m.get("text") or ""),
            "time": datetime.fromtimestamp(float(m["ts"]), UTC).isoformat(),
            "reactions": [
                {"name": r["name"], "users": list(r.get("users", []))}
                for r in m.get("reactions", [])
            ],
            "files": [
                {"name": f.get("name"), "title": f.get("title"), "url": f"/files/{f.get('id')}"}
                for f in m.get("files", [])
            ],
            "blocks": list(m.get("blocks") or []),  # Block Kit, drawn by the page (escaped)
        }
        if m.get("thread_ts") and m.get("thread_ts") != m["ts"]:
            out["thread_ts"] = m["thread_ts"]
        if replies:
            out["replies"] = [self._message(r, names, []) for r in replies]
        return out

    # ------------------------------------------------------------------------------ acting

    def post(self, user: str, text: str, thread_ts: str | None) -> str:
        person = self._person(user)
        text = text.strip()
        if not text:
            raise SandboxError("write something first")
        if len(text) > 40_000:
            raise SandboxError("Slack takes at most 40,000 characters in a message")
        support = self.slack.world.channel("support")
        assert support is not None
        return self.slack.post(person, support.id, self._mentions(text), thread_ts or None)

    def react(self, user: str, ts: str, name: str, add: bool) -> None:
        person = self._person(user)
        if not re.fullmatch(r"[a-z0-9_+'-]{1,100}", name or ""):
            raise SandboxError(f"'{str(name)[:40]}' is not a reaction name")
        support = self.slack.world.channel("support")
        assert support is not None
        try:
            act = self.slack.react if add else self.slack.unreact
            act(person, support.id, ts, name)
        except SlackError as exc:  # already_reacted, message_not_found, user_not_found...
            raise SandboxError(f"Slack says: {exc}") from None

    def close_issue(self, number: int) -> None:
        """Close issue ``number`` on the local GitHub, then tell the bot as GitHub would."""
        if not close_issue(self.github, number, self.webhook):
            raise SandboxError(f"there is no open issue #{number}")

    def _person(self, user: str) -> str:
        if self.slack.world.user(str(user)) is None or str(user) == self.slack.world.bot.id:
            raise SandboxError(f"there is nobody called '{str(user)[:40]}' here")
        return str(user)

    def _mentions(self, text: str) -> str:
        """What the Slack client does to "@oncall", "@devs", "@alice", "@here" as you type."""
        world = self.slack.world

        def token(match: re.Match[str]) -> str:
            name = match.group(1).lower()
            if name in ("here", "channel", "everyone"):
                return f"<!{name}>"
            group = next((g for g in world.groups if g.handle == name), None)
            if group is not None:
                return world.mention_group(name)
            person = next((m for m in world.people if m.name == name), None)
            return f"<@{person.id}>" if person else match.group(0)

        return _MENTION.sub(token, text)

    # ------------------------------------------------------------------------------ serving

    def start(self) -> SandboxPage:
        self._thread = threading.Thread(target=self._serve, name="sandbox-page", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the sandbox page did not start")
        if self.calendar is not None:
            watch = threading.Thread(target=self._follow_feed, name="sandbox-oncall", daemon=True)
            watch.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._stop.set()
        loop, runner = self._loop, self._runner
        if loop is not None and runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_get(r"/{name:[a-z][a-z0-9_-]*\.(?:js|css)}", self._static)
        app.router.add_get("/api/state", self._get_state)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/post", self._post)
        app.router.add_post("/api/react", self._react)
        app.router.add_post("/api/close", self._close)
        self.controls.routes(app, self._route)
        self.forms.routes(app, self._route)
        app.router.add_get("/files/{file_id}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self.host, self.port)
        loop.run_until_complete(site.start())
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-store"})

    async def _static(self, request: web.Request) -> web.StreamResponse:
        """The page's script modules and style sheet, named as ``page/`` has them; browsers
        run a module only if it comes as JavaScript. Checked again on every load (an ETag),
        so an updated sandbox never runs modules of two versions."""
        path = PAGE / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        headers = {"Content-Type": STATIC_TYPES[path.suffix], "Cache-Control": "no-cache"}
        return web.FileResponse(path, headers=headers)

    async def _get_state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        last: Any = None
        quiet = 0.0
        try:
            while not self._stopping:
                now = self.version()
                if now != last:
                    last = now
                    await response.write(f"event: version\ndata: {json.dumps(now)}\n\n".encode())
                    quiet = 0.0
                elif quiet >= 15:
                    await response.write(b": still here\n\n")
                    quiet = 0.0
                await asyncio.sleep(0.2)
                quiet += 0.2
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def _post(self, request: web.Request) -> web.Response:
        def post(body: dict[str, Any]) -> dict[str, Any]:
            thread = body.get("thread_ts")
            text = str(body.get("text") or "")
            return {"ts": self.post(str(body.get("user")), text, str(thread) if thread else None)}

        return await self._act(request, post)

    async def _react(self, request: web.Request) -> web.Response:
        def react(body: dict[str, Any]) -> dict[str, Any]:
            user, ts, name = str(body.get("user")), str(body.get("ts")), str(body.get("name"))
            self.react(user, ts, name, bool(body.get("add", True)))
            return {"ok": True}

        return await self._act(request, react)

    async def _close(self, request: web.Request) -> web.Response:
        def close(body: dict[str, Any]) -> dict[str, Any]:
            number = body.get("number")
            if not isinstance(number, int):
                raise SandboxError("give the issue's number")
            self.close_issue(number)
            return {"ok": True}

        return await self._act(request, close)

    def _route(self, action: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
        """A POST route doing ``action`` with the request's JSON object (see `_act`)."""
        return lambda request: self._act(request, action)

    async def _act(
        self, request: web.Request, action: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise SandboxError("send a JSON object")
            result = await asyncio.get_running_loop().run_in_executor(None, action, body)
        except json.JSONDecodeError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        except SandboxError as error:
            return web.json_response({"error": str(error)}, status=400)
        if self.on_change is not None:
            self.on_change()
        return web.json_response(result)

    async def _file(self, request: web.Request) -> web.Response:
        upload = self.slack.file(request.match_info["file_id"])
        if upload is None or not upload.completed:
            return web.Response(status=404, text="no such file")
        kind = "image/png" if upload.content[:4] == b"\x89PNG" else "application/octet-stream"
        return web.Response(body=upload.content, content_type=kind)
