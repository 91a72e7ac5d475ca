"""Watches #support: levels, 👀 claims, status check-ins. Parses Errbot's input, calls the
triage service, renders templates. Nothing else lives here."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from errbot import BotPlugin, botcmd
from errbot.backends.base import REACTION_ADDED, Message, Reaction
from errbot.templating import tenv

from watchstander import jobs
from watchstander.adapters.chat import EmailDirectory, GroupHandles, UserGroup
from watchstander.adapters.pager import Pager, Schedule
from watchstander.services.handoffs import HandoffService
from watchstander.services.inbound import Ignored, message_from_slack, reaction_from_slack
from watchstander.services.oncall import AdminsOnCall, RotationService, ScheduleOnCall
from watchstander.services.triage import CommandContext, CommandError, Effect, TriageService
from watchstander.settings import Settings
from watchstander.store import Store

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


class Triage(BotPlugin):
    """Watches the support channel: levels, claims and status check-ins."""

    def activate(self) -> None:
        self._ready = threading.Event()
        self._rooms: dict[str, Any] = {}
        settings = Settings.from_env()
        self.store = Store(settings.database_url)
        self.store.migrate()
        self.scheduler = jobs.Scheduler(self.store.engine, settings.tz, self.store.writer)
        web = getattr(self._bot, "slack_web", None)
        self.rotation = RotationService(self.store, settings, self._schedule(settings, web))
        key = settings.secrets.get("PAGERDUTY_ROUTING_KEY")
        self.pager = Pager(key, settings.pagerduty_events_url) if key else None
        self.triage = TriageService(
            self.store,
            settings,
            channel_id=self._channel_id(settings.support_channel),
            emit=self._emit,
            oncall=self.rotation,
            timers=self.scheduler,
            group_handles=GroupHandles(web) if web is not None else None,
            pager=self.pager,
            link=self._link,
        )
        group_id = settings.oncall_usergroup_id
        self.handoffs = HandoffService(
            self.store,
            settings,
            self.rotation,
            channel_id=self.triage.channel_id,
            emit=self._emit,
            group=UserGroup(web, group_id) if web is not None and group_id else None,
        )
        self.rotation.changed.append(self._rotation_changed)
        jobs.install(jobs.Runtime(self.triage, now, self.scheduler, self.handoffs))
        self.scheduler.start()
        self.scheduler.settle(self.triage.earliest_due())
        self._rotation_changed(now(), sync_group=True)
        threading.Thread(target=self.triage.resume_pages, args=(now(),), daemon=True).start()
        for line in settings.missing_integrations():
            log.info(line)
        log.info(
            "Watching #%s (%s); next timed action at %s",
            settings.support_channel,
            self.triage.channel_id,
            self.scheduler.armed_at,
        )
        super().activate()
        self._ready.set()

    def deactivate(self) -> None:
        jobs.install(None)
        self.scheduler.shutdown()
        if self.pager is not None:
            self.pager.close()
        self.store.dispose()
        super().deactivate()

    # --- events ---------------------------------------------------------------------------------

    def callback_message(self, msg: Message) -> None:
        event = msg.extras.get("slack_event")
        if not event or not self._ready.wait(30):
            return
        text = (event.get("message") or event).get("text") or ""
        if text.startswith(self._bot.bot_config.BOT_PREFIX):
            return  # a command: its handler records it, once
        try:
            inbound = message_from_slack(event, self._bot_user_id())
        except Ignored as why:
            log.debug("ignored message: %s", why)
            return
        self.triage.handle_message(inbound, now())

    def callback_reaction(self, reaction: Reaction) -> None:
        if not self._ready.wait(30):
            return
        try:
            inbound = reaction_from_slack(
                reaction.reacted_to or {},
                getattr(reaction.reactor, "userid", str(reaction.reactor)),
                reaction.reaction_name,
                reaction.action == REACTION_ADDED,
                str(reaction.timestamp),
            )
        except Ignored as why:
            log.debug("ignored reaction: %s", why)
            return
        self.triage.handle_reaction(inbound, now())

    # --- commands -------------------------------------------------------------------------------

    @botcmd
    def claim(self, msg: Message, args: str) -> None:
        """Claim this thread: you will be asked for updates (in a thread)."""
        self._run(msg, lambda ctx: self.triage.claim(ctx, now()))

    @botcmd
    def unclaim(self, msg: Message, args: str) -> None:
        """Release the thread you hold (in a thread)."""
        self._run(msg, lambda ctx: self.triage.unclaim(ctx, now()))

    @botcmd
    def handoff(self, msg: Message, args: str) -> None:
        """Pass this thread on: !handoff @person (in a thread)."""
        self._run(msg, lambda ctx: self.triage.handoff(ctx, args, now()))

    @botcmd
    def resolve(self, msg: Message, args: str) -> None:
        """Resolve this thread: !resolve [note] (in a thread)."""
        self._run(msg, lambda ctx: self.triage.resolve(ctx, args, now()))

    @botcmd
    def eta(self, msg: Message, args: str) -> None:
        """Set your next check-in: !eta 45m or !eta 15:30 (in a thread)."""
        self._run(msg, lambda ctx: self.triage.eta(ctx, args, now()))

    @botcmd(name="thread")
    def thread_(self, msg: Message, args: str) -> None:
        """Level, assignee, watchers and times of this thread (in a thread)."""
        self._run(msg, lambda ctx: self._render("thread", self.triage.thread_info(ctx, now())))

    @botcmd
    def threads(self, msg: Message, args: str) -> None:
        """Open threads: !threads [open|mine|breached]."""
        self._run(
            msg,
            lambda ctx: self._render("threads", self.triage.list_threads(args, ctx.user, now())),
            thread_needed=False,
        )

    # --- helpers --------------------------------------------------------------------------------

    def _run(self, msg: Message, action: Any, thread_needed: bool = True) -> None:
        event = msg.extras.get("slack_event") or {}
        if event.get("subtype") == "message_changed":
            return  # an edited command is not run again
        if not self._ready.wait(30):
            return
        ctx = CommandContext(
            channel=str(event.get("channel") or ""),
            user=getattr(msg.frm, "userid", None) or str(msg.frm),
            ts=str(event.get("ts") or f"{now().timestamp():.6f}"),
            thread_ts=event.get("thread_ts") if event.get("thread_ts") != event.get("ts") else None,
        )
        try:
            answer = action(ctx)
        except CommandError as error:
            answer = f"⚠️ {error}"
        if answer:
            self._answer(msg, ctx, answer)

    def _answer(self, msg: Message, ctx: CommandContext, text: str) -> None:
        if ctx.thread_ts and ctx.channel:
            self._post(ctx.channel, ctx.thread_ts, text)
        else:
            self.send(msg.frm.room if hasattr(msg.frm, "room") else msg.frm, text)

    def _emit(self, effect: Effect) -> None:
        self._post(effect.channel, effect.thread_ts, self._render(effect.template, effect.data))

    def post_in_thread(self, channel: str, thread_ts: str | None, text: str) -> str | None:
        """Post ``text`` in a thread (the root's ts), or in the channel: the new message's ts."""
        return self._post(channel, thread_ts, text)

    def channel_id(self, name: str) -> str:
        return self._channel_id(name)

    def _post(self, channel: str, thread_ts: str | None, text: str) -> str | None:
        out = self._bot.build_message(text)
        out.to = self._room(channel)
        out.frm = self._bot.bot_identifier
        out.extras["link_names"] = False
        if thread_ts:
            out.extras["thread_ts"] = thread_ts
        self._bot.send_message(out)
        sent = out.extras.get("ts") or [None]  # the backend keeps the ts of each part
        return sent[0] if isinstance(sent, list) else str(sent)

    def _render(self, template: str, data: Any) -> str:
        return str(tenv().get_template(f"{template}.md").render(**data)).strip()

    def _room(self, channel: str) -> Any:
        if channel not in self._rooms:
            ref = f"<@{channel[1:]}>" if channel.startswith("@") else f"<#{channel}>"
            self._rooms[channel] = self.build_identifier(ref)
        return self._rooms[channel]

    def _channel_id(self, name: str) -> str:
        lookup = getattr(self._bot, "channelname_to_channelid", None)
        if lookup is None or (name[:1] in ("C", "G") and name.upper() == name):
            return name
        return str(lookup(name))

    def _schedule(self, settings: Settings, web: Any) -> ScheduleOnCall | None:
        """With PAGERDUTY_SCHEDULE_ID and PAGERDUTY_API_TOKEN, PagerDuty says who is on call."""
        if settings.schedule() is None or web is None:
            return None
        token, schedule_id = settings.schedule() or ("", "")
        schedule = Schedule(token, schedule_id, settings.pagerduty_api_url)
        directory = EmailDirectory(web)
        fallback = AdminsOnCall(settings)
        return ScheduleOnCall(schedule, directory, fallback, email_of=directory.email_of)

    def _rotation_changed(self, at: datetime, sync_group: bool = False) -> None:
        self.scheduler.arm_handoff(self.handoffs.check(at, sync_group=sync_group))

    def link(self, channel: str, ts: str) -> str:
        """A thread's Slack address (the review's issues link to it)."""
        return self._link(channel, ts)

    def _link(self, channel: str, ts: str) -> str:
        base = str((getattr(self._bot, "auth", None) or {}).get("url") or "https://slack.com/")
        return f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"

    def _bot_user_id(self) -> str | None:
        return getattr(self._bot.bot_identifier, "userid", None)
