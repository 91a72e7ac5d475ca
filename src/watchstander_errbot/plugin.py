"""What every Watchstander plugin does the same way: get the composition root, wait until it
is ready, skip edited commands, read who asked where, and answer through the one voice (in
the asker's thread when there is one). A plugin's own code is then: parse, call a service,
name the template."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from errbot import BotPlugin

from watchstander.app import App
from watchstander.domain.durations import DurationError
from watchstander.domain.figures import FiguresError
from watchstander.domain.rotation import RotationError
from watchstander.services import controls
from watchstander.services.effects import CommandContext, Effect, Note, Refusal, nothing_after
from watchstander.services.inbound import InboundMessage
from watchstander.stopping import Abandoned
from watchstander_errbot import runtime

log = logging.getLogger(__name__)

READY_WAIT = 30.0  # seconds an early event waits for the plugin to finish activating
# What a command may answer: nothing, a short note, or a template and its data.
Answer = Note | tuple[str, Mapping[str, Any]] | None
Action = Callable[[CommandContext, datetime], Answer]
REFUSALS = (Refusal, DurationError, FiguresError, RotationError)  # said in one line


def slack_event(msg: Any) -> Mapping[str, Any]:
    """The raw Slack event behind an Errbot message ({} on other backends)."""
    return (getattr(msg, "extras", None) or {}).get("slack_event") or {}


def inbound_of(msg: Any) -> InboundMessage | None:
    """The inbound record a backend already made of an Errbot message (the Mattermost
    backend's, from ``watchstander.inbound.mattermost``), or None."""
    found = (getattr(msg, "extras", None) or {}).get("inbound")
    return found if isinstance(found, InboundMessage) else None


class WatchstanderPlugin(BotPlugin):
    app: App

    def activate(self) -> None:
        self._ready = threading.Event()
        self.app = runtime.acquire(self.name, self._bot)
        super().activate()
        self._ready.set()

    def deactivate(self) -> None:
        self._ready.clear()
        runtime.release(self.name)
        super().deactivate()

    def ready(self) -> bool:
        """Wait (a bounded while) until the plugin is active: False if it never became so."""
        return self._ready.wait(READY_WAIT)

    def context(self, msg: Any) -> CommandContext:
        """Who gave the message and where: channel, ts, and the root of its thread."""
        inbound = inbound_of(msg)
        if inbound is not None and inbound.user:
            return CommandContext(
                channel=inbound.channel,
                user=inbound.user,
                ts=inbound.ts,
                thread_ts=inbound.thread_ts,
            )
        event = slack_event(msg)
        frm = msg.frm
        where = str(event.get("channel") or getattr(frm, "room", None) or frm)
        thread = event.get("thread_ts")
        return CommandContext(
            channel=where,
            user=str(getattr(frm, "userid", None) or frm),
            ts=str(event.get("ts") or f"{self.app.clock().timestamp():.6f}"),
            thread_ts=str(thread) if thread and thread != event.get("ts") else None,
        )

    def command(self, msg: Any, action: Action) -> None:
        """Run a command once (an edited command is not run again) and say its answer."""
        inbound = inbound_of(msg)
        edited = inbound.is_edit if inbound is not None else False
        if edited or slack_event(msg).get("subtype") == "message_changed" or not self.ready():
            return
        ctx = self.context(msg)
        try:
            answer = action(ctx, self.app.clock())
        except REFUSALS as refusal:
            self.answer(ctx, self.app.renderer.refusal(refusal))
            return
        except Abandoned as why:  # stopping: what it began is finished at the next start
            log.info("Stopping: %r left %s to the next start", msg.body[:100], why)
            return
        except Exception:  # the edge: a command's own fault is logged and said, never raised
            log.exception("the command %r failed", msg.body[:100])
            self.answer(ctx, "⚠️ That did not work because of a fault of mine; it is in my log.")
            return
        if isinstance(answer, Note):
            self.answer(ctx, self.app.renderer.note(answer))
        elif answer is not None:
            template, data = answer
            self.answer(ctx, self.app.renderer.render(template, data))

    def bare_command(
        self, msg: Any, args: str, command: str, action: Action, where: str = ""
    ) -> None:
        """A command that takes no words: words after it are refused in one line (with how
        ``command`` is given, and ``where``), and nothing is done."""

        def checked(ctx: CommandContext, now: datetime) -> Answer:
            nothing_after(command, args, where)
            return action(ctx, now)

        self.command(msg, checked)

    def control(
        self, action: controls.Action, do: Callable[[controls.Action, datetime], object]
    ) -> None:
        """Do what a control asks; a refusal (or a fault of ours) is said to the presser
        alone, where the control is, and changes nothing."""
        where = action.root_ts if action.message_ts else None
        try:
            do(action, self.app.clock())
        except REFUSALS as refusal:
            text = self.app.renderer.refusal(refusal)
            self.app.say.whisper(action.channel, where, action.user, text)
        except Abandoned as why:
            log.info("Stopping: the action %r left %s to the next start", action.action_id, why)
        except Exception:  # the edge: a fault is logged and said, never raised
            log.exception("the action %r failed", action.action_id[:60])
            text = "⚠️ That did not work because of a fault of mine; it is in my log."
            self.app.say.whisper(action.channel, where, action.user, text)

    def answer(self, ctx: CommandContext, text: str) -> str | None:
        """Say ``text`` where the command was given (in its thread, if it was in one)."""
        return self.app.say.text(Effect("answer", ctx.channel, ctx.thread_ts), text)
