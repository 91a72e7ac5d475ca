"""The SlackV3 backend, connected in Socket Mode to the Web API at ``SLACK_API_URL``.

The upstream backend builds its ``WebClient`` with Slack's fixed address, so it cannot reach
GovSlack, a proxy, or the project's local Slack-compatible server. This subclass owns the
Socket Mode connection step, uses the project's Web API client (``adapters/slack_web``: the
lookups upstream makes for every event remembered and refreshed when Slack says they changed,
429s waited out as Slack asks, each refusal one log line), sends at Slack's pace per channel,
drops redelivered envelopes, passes real edits of posts with links, and hands buttons, menus
and slash commands (``interactive`` and ``slash_commands`` envelopes, which upstream drops)
to the plugins as platform-neutral actions, and forms (shortcuts, ``/support``, modals) as
form records, whose answers it draws (``views.open``/``views.update``, a submission's ack);
every event handler is otherwise upstream's.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any, NoReturn

import slackv3
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web import SlackResponse, WebClient
from slackv3.person import SlackPerson

from watchstander.adapters.api_tally import ApiTally
from watchstander.adapters.slack_web import (
    AUTH_ERRORS,
    CachedWebClient,
    pacer_from_setting,
    slack_error,
)
from watchstander.inbound import Ignored
from watchstander.inbound.slack import action_from_slack, command_from_slack, home_from_slack
from watchstander.inbound.slack_views import form_event
from watchstander.lease import SecondProcess, hold_file
from watchstander.settings import Settings
from watchstander.stopping import StopSignals
from watchstander.store import StoreError
from watchstander_errbot import runtime
from watchstander_errbot.deliveries import Deliveries
from watchstander_errbot.slack_forms import SlackForms

log = logging.getLogger(__name__)

_handling = threading.local()  # .failed: why the database did not take the event being handled


class WatchstanderSlackBackend(SlackForms, slackv3.SlackBackend):
    auth: SlackResponse | None  # auth.test's answer, once connected (upstream's: None before)
    slack_socket_mode: SocketModeClient | None  # this attempt's link, while it lasts

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
        self.api_tally = ApiTally()  # every client's calls and 429s, for /metrics
        self._deliveries = Deliveries()
        self._failure: str | None = None  # why the last attempt to connect failed
        self.stop_signals = StopSignals().install()
        self._stopping = False
        log.info("Watchstander: logging to %s", getattr(config, "BOT_LOG_FILE", None) or "stderr")
        if not self.app_token:
            log.fatal("SLACK_APP_TOKEN is not set: Watchstander connects in Socket Mode only.")
            sys.exit(1)
        try:  # SQLite is for one process: a second on the same file stops here
            hold_file(Settings.read()[0].database_url)
        except SecondProcess as exc:
            log.fatal("%s.", exc)
            sys.exit(3)

    def connect_callback(self) -> None:
        super().connect_callback()
        self._plugins_ready.set()

    def is_connected(self) -> bool:
        """Slack's Socket Mode link is up and the plugins take its events (``/readyz``)."""
        link = getattr(self, "slack_socket_mode", None)
        return self._plugins_ready.is_set() and link is not None and link.is_connected()

    def _sm_generic_event_handler(
        self, client: BaseSocketModeClient, req: SocketModeRequest
    ) -> None:
        """Hand the event on once, after the plugins are active, and ack it once handled: a
        process killed while handling it never acks it, and Slack sends it again (to another
        connection, another replica). An event the database could not take is not acked
        either (Slack's retry brings it back). A redelivery is not handled again: acked at
        once when the event was handled here, with the first delivery when it is being
        handled (`Deliveries`)."""
        if req.type == "interactive" and (req.payload or {}).get("type") == "view_submission":
            self._submission(client, req)
            return
        self._forget_changed((req.payload or {}).get("event") or {})
        event_id = str((req.payload or {}).get("event_id") or req.envelope_id)

        def ack() -> None:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

        delivery = self._deliveries.take(event_id, ack)
        if delivery == "handled":
            log.debug("Dropping a redelivered event %s", event_id)
            return
        if delivery == "handling":
            log.info("Event %s again while it is handled here: acked with it, if taken", event_id)
            return
        if not self._plugins_ready.wait(timeout=120):
            log.error("Plugins were not ready after 120 s; event %s left to a retry", event_id)
            self._deliveries.refused(event_id)
            return
        _handling.failed = None  # set by _dispatch_to_plugins
        try:
            if req.type in ("interactive", "slash_commands"):
                self._interaction(req.type, req.payload or {}, req.envelope_id)
            else:
                self._generic_wrapper(req.payload)
        except Exception:  # a fault of ours: Slack's retry would meet it again
            log.exception("handling event %s failed", event_id)
        failed: str | None = _handling.failed
        if failed is not None:
            log.warning("Event %s not taken (%s): left to Slack's retry", event_id, failed)
            self._deliveries.refused(event_id)
            return
        for send in (ack, *self._deliveries.handled(event_id)):  # each on its connection
            try:
                send()
            except (OSError, SlackClientError) as exc:  # its connection is gone: sent again
                log.info("An ack of event %s was not sent: %s", event_id, exc)

    def _dispatch_to_plugins(self, method: Any, *args: Any, **kwargs: Any) -> None:
        """Errbot's, and a database that did not answer noted: the event is not acked."""
        for plugin in self.plugin_manager.get_all_active_plugins():
            try:
                getattr(plugin, method)(*args, **kwargs)
            except StoreError as exc:
                _handling.failed = str(exc).splitlines()[0][:200] if str(exc) else "StoreError"
            except Exception:
                log.exception("%s on %s crashed.", method, plugin.name)

    def _interaction(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        """A form's payload to `_form`; a button pressed, an option chosen or a slash command,
        as an `Action`, to the first active plugin whose ``callback_action`` takes it;
        otherwise one log line."""
        try:
            form = form_event(kind, payload)
            if form is None and kind == "interactive":
                action = action_from_slack(payload)
            elif form is None:
                action = command_from_slack(payload, envelope_id)
        except Ignored as why:
            log.info("Ignoring an %s envelope: %s", kind, why)
            return
        if form is not None:
            self._form(form, payload)
            return
        for plugin in self.plugin_manager.get_all_active_plugins():
            take = getattr(plugin, "callback_action", None)
            if take is not None and take(action):
                return
        log.info("No plugin handles the action %r; ignored", action.action_id[:60])

    def _handle_app_home_opened(self, webclient: WebClient, event: dict[str, Any]) -> None:
        """A person opened the bot's Home tab: the first active plugin whose
        ``callback_home`` takes it shows it (upstream's dispatch hides an AttributeError
        raised here as "not supported": faults are logged here)."""
        try:
            user = home_from_slack(event)
        except Ignored as why:
            log.debug("Ignoring app_home_opened: %s", why)
            return
        try:
            for plugin in self.plugin_manager.get_all_active_plugins():
                take = getattr(plugin, "callback_home", None)
                if take is not None and take(user):
                    return
        except Exception:  # a fault of ours: logged, and the bot runs on
            log.exception("showing the Home tab failed")
            return
        log.info("No plugin shows the Home tab; ignored")

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
        rate limited, a Slack outage) is a failed attempt, tried again with Errbot's back-off."""
        error = slack_error(exc)
        if error not in AUTH_ERRORS:
            raise NotConnected(f"Slack refused {what} at start-up ({error})") from exc
        log.fatal("Slack refused %s (%s): check %s.", what, error, setting)
        sys.exit(2)

    def serve_forever(self) -> None:
        """Errbot's loop (connect; on a failure, try again after its back-off), with a failed
        attempt said in one line, and SIGTERM or SIGINT stopping it cleanly, even during
        start-up: the connection is closed, the events being handled are finished, the
        plugins are deactivated (the App closed: scheduler, web server, database), Errbot's
        storage is closed, and the process exits with 0."""
        try:
            self.stop_signals.arm()
            while not self.serve_once():
                self.stop_signals.arm()  # a signal during the failed attempt's end: stop now
                log.warning(
                    "%s; retrying in %d s.",
                    self._failure,
                    self._reconnection_delay,
                )
                self._delay_reconnect()
                self._reconnection_count += 1
        except KeyboardInterrupt:
            self._say_stopping()
        finally:  # a stop signal, or a wrong token (exit code 2)
            self.stop_signals.disarm()
            self.shutdown()
        log.info("Watchstander stopped.")

    def _say_stopping(self) -> None:
        if not self._stopping:
            self._stopping = True
            log.info("Stopping (%s).", self.stop_signals.requested or "asked to")
            runtime.stopping()  # no event being handled waits for GitHub or PagerDuty

    def serve_once(self) -> bool:
        """Connect and serve until a stop signal (True); False when this attempt failed (the
        reason in ``_failure``)."""
        self._failure = None
        self.slack_socket_mode = None
        try:
            self._connect()
            self.stop_signals.until_stopped()
        except KeyboardInterrupt:
            self._say_stopping()
            return True
        except NotConnected as exc:
            self._failure = str(exc)
        except Exception:  # not Slack's answer nor the network's: a fault, with its traceback
            log.exception("Connecting to Slack failed")
            self._failure = "Connecting to Slack failed (see above)"
        finally:
            self.stop_signals.disarm()  # whatever happens next, this attempt's end is orderly
            socket_mode = self.slack_socket_mode
            if socket_mode is not None:
                # A frame cut by the close is no news (Slack sends again what was not acked):
                # slack_sdk would log it as an error, with a traceback
                socket_mode.logger = demoted("slack_sdk.socket_mode.closing")
                # no new events (the queue's loop ends within a second); those being handled
                # are finished and acked while the link is up; then it closes. What was not
                # taken is not acked: Slack sends it again.
                socket_mode.closed, socket_mode.auto_reconnect_enabled = True, False
                socket_mode.message_processor.shutdown()
                socket_mode.message_workers.shutdown(wait=True)
                socket_mode.close()
                self.slack_socket_mode = None
                self.disconnect_callback()
        return False

    def _connect(self) -> None:
        """auth.test, apps.connections.open, then the Socket Mode link (``slack_socket_mode``).
        Slack not answering or refusing for a while raises `NotConnected`; a wrong token exits
        (code 2)."""
        # what slack_sdk says of the start-up calls is DEBUG: a failed attempt is one line, ours
        probe = CachedWebClient(
            token=self.token,
            proxy=self.proxies,
            base_url=self.api_url,
            logger=demoted("slack_sdk.web.start_up"),
            tally=self.api_tally,
        )
        log.log(
            logging.INFO if self._reconnection_count == 0 else logging.DEBUG,
            "Verifying the Slack token at %s",
            self.api_url,
        )
        try:
            try:
                self.auth = probe.auth_test()
            except SlackApiError as exc:
                self._refused_at_start(exc, "the bot token", "SLACK_BOT_TOKEN")
            try:  # the address asked for here, so that a refusal is said in one line
                url = probe.apps_connections_open(app_token=self.app_token)["url"]
            except SlackApiError as exc:
                self._refused_at_start(exc, "a Socket Mode connection", "SLACK_APP_TOKEN")
        except (OSError, SlackClientError) as exc:
            raise NotConnected(f"Slack did not answer at {self.api_url}: {reason(exc)}") from exc
        self.slack_web = CachedWebClient(
            token=self.token,
            proxy=self.proxies,
            base_url=self.api_url,
            pacer=self.pacer,
            tally=self.api_tally,
        )
        self.slack_web.team_id = self.auth.get("team_id")
        self.bot_identifier = SlackPerson(self.slack_web, self.auth["user_id"])
        self.update_alternate_prefixes()
        self.slack_socket_mode = socket_mode = SocketModeClient(
            app_token=self.app_token, web_client=self.slack_web
        )
        socket_mode.message_listeners.append(self._sm_handle_hello)
        socket_mode.socket_mode_request_listeners.append(self._sm_generic_event_handler)
        socket_mode.wss_uri = url  # a reconnect asks Slack for a new one
        try:
            socket_mode.connect()
        except (OSError, SlackClientError) as exc:
            socket_mode.close()
            self.slack_socket_mode = None
            where = url.split("?", 1)[0]  # not the ticket
            raise NotConnected(
                f"Slack's Socket Mode did not answer at {where}: {reason(exc)}"
            ) from exc


class _ToDebug(logging.Filter):
    """Every record at DEBUG, without its traceback, and only if DEBUG is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.exc_info, record.exc_text = None, None
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def demoted(name: str) -> logging.Logger:
    """A logger for slack_sdk whose lines are all DEBUG: what the start-up calls and a closing
    Socket Mode client say (errors, retries) is said by the backend, in one line."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _ToDebug) for f in logger.filters):
        logger.addFilter(_ToDebug())
    return logger


class NotConnected(Exception):
    """One attempt to connect failed, for the reason given: Errbot's back-off, then again."""


def reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words: ``connection refused``, ``timed out``..."""
    cause = getattr(exc, "reason", None)  # urllib's URLError wraps the socket's error
    if isinstance(cause, BaseException):
        exc = cause
    elif isinstance(cause, str) and cause:
        return cause
    text = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]
