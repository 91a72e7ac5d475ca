"""The Mattermost backend: Mattermost's REST API v4 (``requests``) and its WebSocket events
(``websocket-client``), for Errbot and the Watchstander plugins.

Events are read on the main thread and handled one at a time, in the order they came, by one
worker thread: ``posted`` (root posts, replies by ``root_id``, direct messages with their
``!commands``), ``post_edited``, ``reaction_added`` and ``reaction_removed``. Each is handled
once, even when the socket sends it twice. The bot's own posts are only remembered.

Mattermost has no acks: an event is not sent again because the bot died while handling it. So
the bot keeps, per channel, the time of the last post it handled (a cursor file in its data
folder), and after a start, or a reconnect that Mattermost could not resume, it reads the
posts changed since then over REST (``GET /channels/{id}/posts?since=``) and handles those
it has not handled. A reconnect resumes where it can (the token in the upgrade's header,
``connection_id`` and ``sequence_number``): Mattermost then sends what was missed itself.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from errbot.backends.base import REACTION_ADDED, REACTION_REMOVED, Message, Reaction

from watchstander.adapters.mattermost_api import AUTH_STATUSES, MattermostApi, MattermostApiError
from watchstander.adapters.mattermost_socket import MattermostSocket, SocketClosed
from watchstander.inbound import Ignored
from watchstander.inbound.mattermost import (
    POST_EVENTS,
    REACTION_EVENTS,
    event_key,
    message_from_mattermost,
    ms_ts,
    payload,
    reaction_from_mattermost,
)
from watchstander.lease import SecondProcess, hold_file
from watchstander.settings import Settings
from watchstander.stopping import StopSignals
from watchstander.store import StoreError
from watchstander_errbot import mattermost_errbot, runtime
from watchstander_errbot.mattermost_ids import (
    Cursor,
    MattermostOccupant,
    MattermostPerson,
    MattermostRoom,
)

log = logging.getLogger(__name__)

SEEN_EVENTS = 5000  # events remembered, so that one sent twice is handled once
CATCH_UP = {"event": "_catch_up"}  # queued after a fresh connection's hello
STOP = {"event": "_stop"}
RETRY_AFTER = 5.0  # seconds before what the database refused is read again over REST


class NotConnected(Exception):
    """One attempt to connect failed, for the reason given."""


# the module, not its class: Errbot takes the one ErrBot subclass named here as the backend
class WatchstanderMattermostBackend(mattermost_errbot.ErrbotSide):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        identity = config.BOT_IDENTITY
        self.mattermost_url = str(identity.get("url") or "").rstrip("/")
        self._token = str(identity.get("token") or "")
        self._team = str(identity.get("team") or "")
        if not (self.mattermost_url and self._token and self._team):
            log.fatal("MATTERMOST_URL, MATTERMOST_TOKEN and MATTERMOST_TEAM must all be set.")
            sys.exit(2)
        self.bot_identifier = MattermostPerson("", "watchstander")
        self.mattermost_api: MattermostApi | None = None
        self.socket = MattermostSocket(self.mattermost_url, self._token)
        self.cursor = Cursor(Path(config.BOT_DATA_DIR) / "mattermost-cursor.json")
        self._events: queue.Queue[Mapping[str, Any]] = queue.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._worker: threading.Thread | None = None
        self._plugins_ready = threading.Event()
        self._connected_once = False
        self._failed: str | None = None  # why the database did not take the event handled
        self._held: set[str] = set()  # channels whose cursor waits for a refused event
        self._retry: threading.Timer | None = None
        self.stop_signals = StopSignals().install()
        settings = Settings.read()[0]
        self._handles = frozenset((settings.oncall_handle, *settings.emergency_tags))  # tags
        try:  # SQLite is for one process: a second on the same file stops here
            hold_file(settings.database_url)
        except SecondProcess as exc:
            log.fatal("%s.", exc)
            sys.exit(3)

    # ------------------------------------------------------------------ connecting

    def serve_forever(self) -> None:
        """Connect and read events until a stop signal; a dropped link is connected again
        at once, then with a growing pause while it keeps failing. A stop finishes the event
        being handled, deactivates the plugins and exits with 0."""
        pause = 0.5
        try:
            self.stop_signals.arm()
            while True:
                try:
                    self._serve()
                except (NotConnected, SocketClosed) as exc:
                    log.warning("%s; connecting again in %.1f s.", exc, pause)
                    threading.Event().wait(pause)
                    pause = min(pause * 2, 60.0)
                    continue
                pause = 0.5
        except KeyboardInterrupt:
            log.info("Stopping (%s).", self.stop_signals.requested or "asked to")
            runtime.stopping()
        finally:
            self.stop_signals.disarm()
            self.socket.close()
            worker = self._worker
            if worker is not None:
                self._events.put(STOP)
                worker.join(timeout=30)
            self.disconnect_callback()
            self.shutdown()
        log.info("Watchstander stopped.")

    def _serve(self) -> None:
        """One link: connect (REST first, the first time), then read until it drops."""
        if self.mattermost_api is None:
            self._connect_rest()
        self.socket.open()
        if not self._connected_once:
            self._connected_once = True
            self.connect_callback()  # the plugins are activated here
            self._plugins_ready.set()
        log.info("Connected to Mattermost's WebSocket at %s", self.socket.url)
        while True:
            frame = self.socket.receive()  # SocketClosed when it drops
            if frame is None:
                continue
            if frame.get("event") == "hello":
                log.info("A new WebSocket connection: catching up on posts over REST")
                self._events.put(CATCH_UP)
            else:
                self._events.put(frame)

    def _connect_rest(self) -> None:
        local = _local(self.mattermost_url)
        api = MattermostApi(self.mattermost_url, self._token, proxies=not local)
        log.info("Verifying the Mattermost token at %s", self.mattermost_url)
        try:
            api.connect(self._team)
        except MattermostApiError as exc:
            if exc.status in AUTH_STATUSES:
                log.fatal("Mattermost refused the token (%s): check MATTERMOST_TOKEN.", exc.status)
                sys.exit(2)
            if exc.status == 404 and api.me:  # the token is good: the team is not
                log.fatal("Mattermost has no team %r: check MATTERMOST_TEAM.", self._team)
                sys.exit(2)
            where = self.mattermost_url
            raise NotConnected(f"Mattermost did not answer at {where}: {exc}") from None
        me = api.me
        self.bot_identifier = MattermostPerson(str(me.get("id")), str(me.get("username") or ""))
        settings = Settings.read()[0]
        try:
            support = api.channel_id(settings.support_channel)
            self.cursor.start(support, int(time.time() * 1000))
        except MattermostApiError as exc:
            log.warning("No channel %r on Mattermost (%s)", settings.support_channel, exc)
        self.mattermost_api = api
        self._worker = threading.Thread(target=self._work, name="mattermost-events", daemon=True)
        self._worker.start()

    def is_connected(self) -> bool:
        """The WebSocket is up and the plugins take its events (``/readyz``)."""
        return self._plugins_ready.is_set() and self.socket.is_open

    # ---------------------------------------------------------------------- events

    def _work(self) -> None:
        while True:
            event = self._events.get()
            if event is STOP:
                return
            try:
                if event is CATCH_UP:
                    self._catch_up()
                else:
                    self._handle(event)
            except Exception:  # a fault of ours: logged, and the next event is handled
                log.exception("handling a Mattermost %s event failed", event.get("event"))

    def _first_time(self, key: str | None) -> bool:
        if key is None:
            return True
        if key in self._seen:
            log.debug("Dropping an event seen before: %s", key)
            return False
        self._seen[key] = None
        while len(self._seen) > SEEN_EVENTS:
            self._seen.popitem(last=False)
        return True

    def _handle(self, event: Mapping[str, Any], *, advance: bool = True) -> None:
        name, data = str(event.get("event") or ""), event.get("data") or {}
        if name not in POST_EVENTS and name not in REACTION_EVENTS:
            if name == "user_updated":
                user = (data.get("user") or {}).get("id")
                if user and self.mattermost_api is not None:
                    self.mattermost_api.forget_user(str(user))
            return
        key = event_key(event)
        if not self._first_time(key):
            return
        self._failed = None  # set by _dispatch_to_plugins
        try:
            if name in POST_EVENTS:
                post = payload(data, "post")
                kind = str(data.get("channel_type") or "")
                self._on_post(post, name == "post_edited", kind, advance)
            else:
                self._on_reaction(payload(data, "reaction"), name == "reaction_added")
        except Ignored as why:
            log.debug("Ignoring a Mattermost %s event: %s", name, why)
        if self._failed is not None:
            self._refused(key, data, self._failed)

    def _refused(self, key: str | None, data: Mapping[str, Any], why: str) -> None:
        """The database did not take an event: its channel's cursor stays before it, and it
        is read again over REST in a while (Mattermost will not send it again)."""
        if key is not None:
            self._seen.pop(key, None)
        try:
            found = payload(data, "post" if "post" in data else "reaction")
        except Ignored:
            return
        self._held.add(str(found.get("channel_id") or ""))
        log.warning("An event was not taken (%s): read again in %.0f s", why, RETRY_AFTER)
        if self._retry is None or not self._retry.is_alive():
            self._retry = threading.Timer(RETRY_AFTER, self._events.put, [CATCH_UP])
            self._retry.daemon = True
            self._retry.start()

    def _dispatch_to_plugins(self, method: Any, *args: Any, **kwargs: Any) -> None:
        """Errbot's, and a database that did not answer noted (see `_refused`); a plugin
        without ``method`` is left out."""
        for plugin in self.plugin_manager.get_all_active_plugins():
            hook = getattr(plugin, method, None)
            if hook is None:
                continue
            try:
                hook(*args, **kwargs)
            except StoreError as exc:
                self._failed = str(exc).splitlines()[0][:200] if str(exc) else "StoreError"
            except Exception:
                log.exception("%s on %s crashed.", method, plugin.name)

    def _advance(self, channel: str, at: int) -> None:
        if channel not in self._held:
            self.cursor.advance(channel, at)

    def _catch_up(self) -> None:
        """What changed in the channels followed since their cursor, handled once: posts
        made, posts edited, and the reactions on posts changed (Mattermost moves a post's
        ``update_at`` when it gets or loses a reaction): those added, and those taken away
        (the plugins compare what a post shows now with what its thread's record holds)."""
        api = self.mattermost_api
        assert api is not None
        for channel, since in self.cursor.channels().items():
            self._held.discard(channel)  # what was refused is among what is read now
            try:
                posts = api.posts_since(channel, since)
            except MattermostApiError as exc:
                log.warning("Catching up on %s failed: %s", channel, exc)
                continue
            for post in posts:
                if int(post.get("create_at") or 0) > since:
                    self._handle({"event": "posted", "data": {"post": dict(post)}}, advance=False)
                elif int(post.get("edit_at") or 0) > since:
                    event = {"event": "post_edited", "data": {"post": dict(post)}}
                    self._handle(event, advance=False)
                reactions = (post.get("metadata") or {}).get("reactions") or []
                for reaction in reactions:
                    found = {"channel_id": channel, **reaction}
                    event = {"event": "reaction_added", "data": {"reaction": found}}
                    self._handle(event)
                if int(post.get("create_at") or 0) <= since and self._failed is None:
                    self._reactions_now(channel, post, reactions)
                self._advance(channel, int(post.get("update_at") or 0))
            if posts:
                log.info("Caught up on %d post(s) changed in %s", len(posts), channel)

    def _reactions_now(
        self, channel: str, post: Mapping[str, Any], reactions: list[Mapping[str, Any]]
    ) -> None:
        """Tell the plugins which reactions a post seen before shows now (as of its
        ``update_at``): a reaction taken away while the bot was not looking is noticed."""
        api = self.mattermost_api
        assert api is not None
        present = set()
        for reaction in reactions:
            try:
                inbound = reaction_from_mattermost(
                    {"channel_id": channel, **reaction}, True, api.ts_of
                )
            except Ignored:
                continue
            present.add((inbound.user, inbound.name))
        item_ts, at = api.remember(post), ms_ts(int(post.get("update_at") or 0))
        self._failed = None  # set by _dispatch_to_plugins
        self._dispatch_to_plugins("callback_reactions_now", channel, item_ts, present, at)
        if self._failed is not None:
            self._refused(None, {"post": dict(post)}, self._failed)

    def _on_post(
        self, post: Mapping[str, Any], edited: bool, channel_type: str, advance: bool
    ) -> None:
        api = self.mattermost_api
        assert api is not None
        channel = str(post.get("channel_id") or "")
        api.remember(post)
        me = self.bot_identifier.userid
        if post.get("user_id") != me:
            self._dispatch_post(post, edited, channel_type, channel)
        if advance and self._failed is None:
            self._advance(channel, int(post.get("update_at") or post.get("create_at") or 0))

    def _dispatch_post(
        self, post: Mapping[str, Any], edited: bool, channel_type: str, channel: str
    ) -> None:
        api = self.mattermost_api
        assert api is not None
        me = self.bot_identifier.userid
        inbound = message_from_mattermost(
            post, me, api.ts_of, edited=edited, person_id_of=api.user_id_by_username,
            handles=self._handles,
        )  # fmt: skip
        user = str(post.get("user_id") or "")
        try:
            found = api.user(user)
            channel_info = api.channel(channel) if not channel_type else {"type": channel_type}
        except MattermostApiError as exc:
            log.warning("A post from %s in %s not handled: %s", user, channel, exc)
            return
        username = str(found.get("username") or "")
        if channel_info.get("type") == "D":
            self.cursor.start(channel, int(post.get("create_at") or 0) - 1)
            frm: MattermostPerson = MattermostPerson(user, username)
            to: Any = self.bot_identifier
        else:
            room = MattermostRoom(channel, str(channel_info.get("name") or ""))
            frm, to = MattermostOccupant(user, username, room), room
        msg = Message(  # the core's markup: people named as the commands read them
            body=inbound.text, frm=frm, to=to, extras={"inbound": inbound, "mattermost_post": post}
        )
        if edited:  # an edit is seen by the plugins; a command is never run again
            self._dispatch_to_plugins("callback_message", msg)
        else:
            self.callback_message(msg)

    def _on_reaction(self, reaction: Mapping[str, Any], added: bool) -> None:
        api = self.mattermost_api
        assert api is not None
        user = str(reaction.get("user_id") or "")
        if user == self.bot_identifier.userid:
            return
        inbound = reaction_from_mattermost(reaction, added, api.ts_of)
        username = api.username(user) or ""
        event = Reaction(
            reactor=MattermostPerson(user, username),
            action=REACTION_ADDED if added else REACTION_REMOVED,
            timestamp=inbound.event_ts,
            reaction_name=inbound.name,
            reacted_to={"inbound": inbound, "mattermost_reaction": dict(reaction)},
        )
        self.callback_reaction(event)


def _local(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host in ("127.0.0.1", "localhost", "::1") or bool(os.environ.get("NO_PROXY") == "*")
