"""The bench's baseline: upstream's ``SlackV3`` backend exactly as it ships, but for one thing.
Upstream builds its ``WebClient`` with Slack's fixed address; this copy of its Socket Mode
``serve_once`` passes ``SLACK_API_URL`` as the client's ``base_url`` so that it reaches the
local Slack-compatible server. No cache, no pacing, no retry handlers, no dedup."""

from __future__ import annotations

import logging
import os
import threading

import slackv3
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.web import WebClient
from slackv3.person import SlackPerson

log = logging.getLogger(__name__)


class PlainSlackBackend(slackv3.SlackBackend):
    def serve_once(self) -> bool | None:
        base = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
        self.slack_web = WebClient(token=self.token, proxy=self.proxies, base_url=base)
        self.auth = self.slack_web.auth_test()
        self.bot_identifier = SlackPerson(self.slack_web, self.auth["user_id"])
        self.update_alternate_prefixes()
        self.slack_socket_mode = SocketModeClient(
            app_token=self.app_token,
            web_client=self.slack_web,
            on_message_listeners=[self._sm_handle_hello],
        )
        self.slack_socket_mode.message_listeners.append(self._sm_handle_hello)
        self.slack_socket_mode.socket_mode_request_listeners.append(self._sm_generic_event_handler)
        self.slack_socket_mode.connect()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return True
        finally:
            self.disconnect_callback()
        return None
