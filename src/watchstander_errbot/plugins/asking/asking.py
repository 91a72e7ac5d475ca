"""Ask for help: the form's events (opened by a shortcut, a message shortcut or
``/support``; typed in, submitted, closed) to the help service, whose answer goes back to
the backend to draw."""

from __future__ import annotations

import logging

from watchstander.services.forms import FormAnswer, FormEvent, FormSubmit
from watchstander.stopping import Abandoned
from watchstander_errbot import plugin

log = logging.getLogger(__name__)
FAULT = "That did not work because of a fault of mine; it is in my log."


class Asking(plugin.WatchstanderPlugin):
    """Ask for help: a form that shows earlier answers, then posts in #support."""

    def callback_form(self, event: FormEvent) -> FormAnswer | None:
        """The help service's answer; None for a form that is not its own."""
        if not self.ready():
            return None
        try:
            return self.app.help.handle(event, self.app.clock())
        except Abandoned as why:
            log.info("Stopping: the form left %s to the next start", why)
        except Exception:  # the edge: a fault is logged, and said in the form when it can be
            log.exception("the help form failed")
        return FormAnswer(errors={"summary": FAULT}) if isinstance(event, FormSubmit) else None
