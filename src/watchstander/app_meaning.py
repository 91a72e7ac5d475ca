"""The composition root's meaning extra: the sentence model and the index when the extra is
installed (``make meaning``) and not turned off (``WATCHSTANDER_MEANING=off``), and the thread
that keeps the index up to date while the bot runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime

from watchstander.adapters.minilm import MiniLM, NoModel
from watchstander.adapters.nearest import Nearest
from watchstander.services.meanings import Meanings
from watchstander.settings import Settings
from watchstander.store import Store

log = logging.getLogger("watchstander.app")


def meanings_of(settings: Settings, store: Store) -> Meanings | None:
    """The meanings of resolved threads, or None (one log line says why not)."""
    if settings.meaning == "off":
        log.info("Answers from past threads by their words alone (WATCHSTANDER_MEANING=off)")
        return None
    try:
        model = MiniLM()
    except NoModel as why:
        log.info("Answers from past threads by their words alone: %s", why)
        return None
    log.info("Answers from past threads by their words and their meaning (%s)", model.model)
    return Meanings(store, model, Nearest())


def keep_meanings(
    meanings: Meanings,
    clock: Callable[[], datetime],
    stopping: threading.Event,
    leading: Callable[[], bool],
    stack: ExitStack,
) -> None:
    """Load the kept vectors and, while this process leads, make the missing ones: in a
    thread of its own until ``stopping``, joined when ``stack`` closes."""
    keeper = threading.Thread(
        target=meanings.run, args=(clock, stopping, leading), name="meanings", daemon=True
    )
    keeper.start()
    stack.callback(keeper.join, 5.0)
