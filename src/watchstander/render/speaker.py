"""The one way out: an effect's template rendered in the platform's voice, then posted."""

from __future__ import annotations

import logging
from datetime import datetime

from watchstander.render.renderer import Renderer
from watchstander.services.effects import ChatError, ChatPort, Effect, ThreadReader

log = logging.getLogger(__name__)


class ChatSpeaker:
    """Says effects (a :class:`~watchstander.services.effects.Speaker`): never raises; a
    message the platform refused is one line in the log."""

    def __init__(self, renderer: Renderer, chat: ChatPort) -> None:
        self.renderer = renderer
        self.chat = chat

    def __call__(self, effect: Effect) -> str | None:
        return self.text(effect, self.renderer.render(effect.template, effect.data))

    def text(self, effect: Effect, text: str) -> str | None:
        """Post text already rendered (an answer, a refusal) where ``effect`` says."""
        try:
            if effect.person is not None:
                return self.chat.direct(effect.person, text)
            if effect.alone is not None:
                place = (effect.channel, effect.thread_ts, effect.alone)
                self.chat.whisper(*place, text, controls=effect.controls)
                return None
            return self.chat.post(effect.channel, effect.thread_ts, text, controls=effect.controls)
        except ChatError as error:
            where = effect.person or f"{effect.channel}/{effect.thread_ts or '-'}"
            log.warning("could not say %s in %s: %s", effect.template, where, error)
            return None

    def said_already(self, effect: Effect, since: datetime) -> bool:
        """Whether ``effect`` (a message in a thread) was posted since ``since``, as the
        platform shows the thread; False when it cannot tell (a message to one person, a
        platform that cannot read its threads back, or no answer): said again, then."""
        if not isinstance(self.chat, ThreadReader) or effect.thread_ts is None:
            return False
        if effect.person is not None or effect.alone is not None:
            return False
        text = self.renderer.render(effect.template, effect.data)
        try:
            return self.chat.bot_said(effect.channel, effect.thread_ts, text, since)
        except ChatError as error:
            log.warning("could not read %s/%s back: %s", effect.channel, effect.thread_ts, error)
            return False

    def update(self, effect: Effect, ts: str) -> None:
        """Show ``effect`` in place of the bot's message ``ts``; a refusal is one log line."""
        text = self.renderer.render(effect.template, effect.data)
        try:
            self.chat.update(effect.channel, ts, text, controls=effect.controls)
        except ChatError as error:
            log.warning("could not update %s in %s: %s", effect.template, effect.channel, error)

    def whisper(self, channel: str, thread_ts: str | None, person: str, text: str) -> None:
        """Show text already rendered to one person alone; a refusal is one line in the log."""
        try:
            self.chat.whisper(channel, thread_ts, person, text)
        except ChatError as error:
            log.warning("could not answer %s alone in %s: %s", person, channel, error)

    def upload(
        self, channel: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> str | None:
        """Upload files; the reason in one line when the platform did not take them."""
        try:
            self.chat.upload(channel, thread_ts, files)
        except ChatError as error:
            log.warning("files not uploaded to %s: %s", channel, error)
            return str(error)
        return None
