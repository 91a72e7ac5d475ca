"""Who is on call: !oncall, overrides, swaps and the rotation. Parses, calls the rotation
service the triage plugin built, renders templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from errbot import BotPlugin, botcmd
from errbot.backends.base import Message
from errbot.templating import tenv

from watchstander.adapters.pager import PagerError, webhook_event, webhook_signed
from watchstander.services.oncall import OnCallError, RotationService
from watchstander.settings import Settings
from watchstander.web import WebServer


def now() -> datetime:
    return datetime.now(UTC)


class OnCall(BotPlugin):
    """Who is on call, the rotation, overrides and swaps; the iCalendar feed and PagerDuty's
    webhooks on the bot's web server."""

    def activate(self) -> None:
        self.settings = Settings.from_env()
        self.web: WebServer | None = None
        routes = {("GET", "/oncall.ics"): self._calendar, ("POST", "/pagerduty"): self._pagerduty}
        try:
            self.web = WebServer(self.settings.http_host, self.settings.http_port, routes).start()
            self.log.info("Calendar feed at %s/oncall.ics", self.web.address)
        except OSError as exc:  # a port in use must not stop the bot
            self.log.warning("the web server did not start: %s", exc)
        super().activate()

    def deactivate(self) -> None:
        if self.web is not None:
            self.web.stop()
        super().deactivate()

    def _feed(self) -> str | None:
        base = self.settings.public_url or (self.web.address if self.web is not None else "")
        return f"{base.rstrip('/')}/oncall.ics" if base else None

    def _calendar(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str, bytes]:
        return 200, "text/calendar; charset=utf-8", self._service().calendar(now())

    def _pagerduty(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str, bytes]:
        secret = self.settings.secrets.get("PAGERDUTY_WEBHOOK_SECRET", "")
        signature = next(
            (v for k, v in headers.items() if k.lower() == "x-pagerduty-signature"), None
        )
        if not webhook_signed(secret, body, signature):
            return 401, "text/plain", b"unsigned or wrongly signed\n"
        try:
            kind, key, agent = webhook_event(body)
        except PagerError as error:
            return 400, "text/plain", f"{error}\n".encode()
        self.get_plugin("Triage").triage.pagerduty_event(kind, key, agent, now())
        return 202, "text/plain", b""

    def _service(self) -> RotationService:
        # A method, not a property: Errbot inspects attributes while activating the plugin.
        service: RotationService = self.get_plugin("Triage").rotation
        return service

    @botcmd
    def oncall(self, msg: Message, args: str) -> None:
        """Who is on call now, until when, and who is next."""
        self._run(msg, "oncall", lambda user: self._service().summary(now()))

    @botcmd
    def oncall_override(self, msg: Message, args: str) -> None:
        """Put someone on call: !oncall override @person 2h (or from 18:00 to 22:00). Admins."""
        self._run(msg, "override", lambda user: self._service().override(user, args, now()))

    @botcmd
    def oncall_swap(self, msg: Message, args: str) -> None:
        """Swap two people's next shifts: !oncall swap @a @b. Admins."""
        self._run(msg, "swap", lambda user: self._service().swap(user, args, now()))

    @botcmd
    def rotation(self, msg: Message, args: str) -> None:
        """The rotation: order, shift length, handoff, and the next four weeks."""
        self._run(
            msg, "rotation", lambda user: {**self._service().show(now()), "feed": self._feed()}
        )

    @botcmd
    def rotation_set(self, msg: Message, args: str) -> None:
        """Set it: !rotation set @a @b @c [every 1w] [handoff mon 10:00]. Admins."""
        self._run(
            msg,
            "rotation",
            lambda user: {**self._service().set_rotation(user, args, now()), "feed": self._feed()},
        )

    def _run(self, msg: Message, template: str, action: Callable[[str], dict[str, Any]]) -> None:
        event = msg.extras.get("slack_event") or {}
        if event.get("subtype") == "message_changed":
            return  # an edited command is not run again
        user = getattr(msg.frm, "userid", None) or str(msg.frm)
        try:
            text = self._render(template, action(user))
        except OnCallError as error:
            text = f"⚠️ {error}"
        triage = self.get_plugin("Triage")
        thread_ts = event.get("thread_ts")
        if thread_ts and event.get("channel"):
            triage.post_in_thread(str(event["channel"]), str(thread_ts), text)
        else:
            self.send(msg.frm.room if hasattr(msg.frm, "room") else msg.frm, text)

    def _render(self, template: str, data: dict[str, Any]) -> str:
        return str(tenv().get_template(f"{template}.md").render(**data)).strip()
