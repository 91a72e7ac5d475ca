"""The SlackV3 backend, connected in Socket Mode to the Web API at ``SLACK_API_URL``.

The upstream backend builds its ``WebClient`` with Slack's fixed address, so it cannot reach
GovSlack, a proxy, or the project's local Slack-compatible server. This subclass owns the
Socket Mode connection step, uses the project's Web API client (``adapters/slack_web``: the
lookups upstream makes for every event remembered and refreshed when Slack says they changed,
429s waited out as Slack asks, each refusal one log line), sends at Slack's pace per channel,
drops redelivered envelopes, and passes real edits of posts with links; every event handler is
otherwise upstream's.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import OrderedDict
from typing import Any, NoReturn

import slackv3
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web import SlackResponse, WebClient
from slackv3.person import SlackPerson

from watchstander.adapters.slack_web import (
    AUTH_ERRORS,
    CachedWebClient,
    pacer_from_setting,
    slack_error,
)

log = logging.getLogger(__name__)

SEEN_EVENTS = 5000  # Slack redelivers an envelope whose ack came late: remember recent ids


class WatchstanderSlackBackend(slackv3.SlackBackend):
    auth: SlackResponse | None  # auth.test's answer, once connected (upstream's: None before)

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        identity = config.BOT_IDENTITY
        self.api_url = identity.get("api_url") or os.environ.get(
            "SLACK_API_URL", "https://slack.com/api/"
        )
        if not self.api_url.endswith("/"):
            self.api_url += "/"
        self._plugins_ready = threading.Event()
        self.pacer = pacer_from_setting(os.environ.get("WATCHSTANDER_SLACK_PACE", ""))
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()
        if not self.app_token:
            log.fatal("SLACK_APP_TOKEN is not set: Watchstander connects in Socket Mode only.")
            sys.exit(1)

    def connect_callback(self) -> None:
        super().connect_callback()
        self._plugins_ready.set()

    def _sm_generic_event_handler(
        self, client: BaseSocketModeClient, req: SocketModeRequest
    ) -> None:
        """Ack at once; hand the event on once, and only after the plugins are active."""
        self._forget_changed((req.payload or {}).get("event") or {})  # before the ack
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        event_id = str((req.payload or {}).get("event_id") or req.envelope_id)
        with self._seen_lock:
            if event_id in self._seen:
                log.debug("Dropping a redelivered event %s", event_id)
                return
            self._seen[event_id] = None
            while len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)
        if not self._plugins_ready.wait(timeout=120):
            log.error("Plugins were not ready after 120 s; dropping event %s", event_id)
            return
        self._generic_wrapper(req.payload)

    def _forget_changed(self, event: dict[str, Any]) -> None:
        """Slack says a user, a channel or the team changed: look it up again next time."""
        web = getattr(self, "slack_web", None)
        if not isinstance(web, CachedWebClient):
            return
        kind = event.get("type")
        if kind == "user_change":
            web.forget("user", str((event.get("user") or {}).get("id") or ""))
        elif kind in ("channel_rename", "group_rename"):
            web.forget("channel", str((event.get("channel") or {}).get("id") or ""))
        elif kind == "team_rename":
            web.forget("team")

    def _handle_message(self, webclient: WebClient, event: dict[str, Any]) -> None:
        """Pass real edits of posts that carry attachments; drop pure link unfurls.

        Upstream drops every ``message_changed`` whose message has attachments, and a link
        unfurl adds them, so a real edit of a post with a link would never be seen.
        """
        if self._is_own(event.get("message") or event):
            return  # the bot's own posts: Errbot ignores them, so skip their user lookups
        if event.get("subtype") == "message_changed":
            inner = event.get("message") or {}
            if "attachments" in inner:
                previous = event.get("previous_message") or {}
                if inner.get("text", "") == previous.get("text", ""):
                    return
                stripped = {k: v for k, v in inner.items() if k != "attachments"}
                event = {**event, "message": stripped}
        super()._handle_message(webclient, event)

    def send_message(self, msg: Any) -> Any:
        """Every message (answers, check-ins, digests) at Slack's pace for its channel."""
        to = getattr(msg, "to", None)
        channel = str(getattr(to, "channelid", None) or getattr(to, "userid", None) or to)
        with self.pacer.turn(channel):
            waited = self.pacer.wait(channel)
            if waited:
                log.debug("Waited %.2f s for Slack's pace in %s", waited, channel)
            return super().send_message(msg)

    def _is_own(self, message: dict[str, Any]) -> bool:
        me = getattr(self.bot_identifier, "userid", None)
        own_bot = self.auth.get("bot_id") if self.auth is not None else None
        return bool(
            (me and message.get("user") == me) or (own_bot and message.get("bot_id") == own_bot)
        )

    @staticmethod
    def _refused_at_start(exc: SlackApiError, what: str, setting: str) -> NoReturn:
        """A wrong token: one line, and exit (a retry would not help). Anything else (still
        rate limited, a Slack outage) is raised for Errbot to retry, with its back-off."""
        error = slack_error(exc)
        if error not in AUTH_ERRORS:
            log.warning("Slack refused %s at start-up (%s): trying again", what, error)
            raise exc
        log.fatal("Slack refused %s (%s): check %s.", what, error, setting)
        sys.exit(2)

    def serve_once(self) -> bool | None:
        self.slack_web = CachedWebClient(
            token=self.token, proxy=self.proxies, base_url=self.api_url, pacer=self.pacer
        )
        log.info("Verifying the Slack token at %s", self.api_url)
        try:
            self.auth = self.slack_web.auth_test()
        except SlackApiError as exc:
            self._refused_at_start(exc, "the bot token", "SLACK_BOT_TOKEN")
        self.slack_web.team_id = self.auth.get("team_id")
        self.bot_identifier = SlackPerson(self.slack_web, self.auth["user_id"])
        self.update_alternate_prefixes()
        try:  # the address asked for here, so that a refusal is said in one line
            url = self.slack_web.apps_connections_open(app_token=self.app_token)["url"]
        except SlackApiError as exc:
            self._refused_at_start(exc, "a Socket Mode connection", "SLACK_APP_TOKEN")
        self.slack_socket_mode = SocketModeClient(
            app_token=self.app_token, web_client=self.slack_web
        )
        self.slack_socket_mode.message_listeners.append(self._sm_handle_hello)
        self.slack_socket_mode.socket_mode_request_listeners.append(self._sm_generic_event_handler)
        self.slack_socket_mode.wss_uri = url  # a reconnect asks Slack for a new one
        self.slack_socket_mode.connect()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            log.info("Interrupt received, shutting down.")
            return True
        finally:
            self.slack_socket_mode.close()
            self.disconnect_callback()
        return None
