"""The SlackV3 backend, connected in Socket Mode to the Web API at ``SLACK_API_URL``.

The upstream backend builds its ``WebClient`` with Slack's fixed address, so it cannot reach
GovSlack, a proxy, or the project's local Slack-compatible server. This subclass owns the
Socket Mode connection step and nothing else; every event handler is upstream's.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.web import WebClient
from slackv3 import SlackBackend
from slackv3.person import SlackPerson

log = logging.getLogger(__name__)


class WatchstanderSlackBackend(SlackBackend):  # type: ignore[misc]
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        identity = config.BOT_IDENTITY
        self.api_url = identity.get("api_url") or os.environ.get(
            "SLACK_API_URL", "https://slack.com/api/"
        )
        if not self.api_url.endswith("/"):
            self.api_url += "/"
        if not self.app_token:
            log.fatal("SLACK_APP_TOKEN is not set: Watchstander connects in Socket Mode only.")
            sys.exit(1)

    def serve_once(self) -> bool | None:
        self.slack_web = WebClient(token=self.token, proxy=self.proxies, base_url=self.api_url)
        log.info("Verifying the Slack token at %s", self.api_url)
        try:
            self.auth = self.slack_web.auth_test()
        except SlackApiError as exc:
            log.fatal("Slack refused the bot token (%s): check SLACK_BOT_TOKEN.", exc.response.get("error"))
            sys.exit(2)
        self.bot_identifier = SlackPerson(self.slack_web, self.auth["user_id"])
        self.update_alternate_prefixes()
        self.slack_socket_mode = SocketModeClient(app_token=self.app_token, web_client=self.slack_web)
        self.slack_socket_mode.message_listeners.append(self._sm_handle_hello)
        self.slack_socket_mode.socket_mode_request_listeners.append(self._sm_generic_event_handler)
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
