"""One composition root per process, shared by the plugins: the first plugin to activate
builds and starts it, the last to deactivate closes it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from watchstander.app import App
from watchstander.settings import Settings
from watchstander_errbot.platforms import platform_for

log = logging.getLogger(__name__)

_lock = threading.Lock()
_app: App | None = None
_holders: set[str] = set()


def acquire(holder: str, bot: Any) -> App:
    """The running :class:`App` (built and started on first use) for the plugin ``holder``."""
    global _app
    with _lock:
        if _app is None:
            _app = App(Settings.from_env(), platform_for(bot)).start()
        _holders.add(holder)
        return _app


def release(holder: str) -> None:
    """``holder`` no longer needs the App; the last one out closes it."""
    global _app
    with _lock:
        _holders.discard(holder)
        if _holders or _app is None:
            return
        app, _app = _app, None
    app.close()


def stopping() -> None:
    """The process is stopping: the App's work waiting on GitHub or PagerDuty lets go now,
    before the events being handled are waited for (see ``App.stopping``)."""
    with _lock:
        app = _app
    if app is not None:
        app.stopping.set()
