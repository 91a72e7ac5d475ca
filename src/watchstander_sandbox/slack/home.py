"""The App Home tab, as Slack keeps it: ``views.publish`` stores one ``home`` view per person
(checked as Slack checks it: a known person, a view of type ``home`` with at most 100 blocks,
the ``hash`` of the last one if given), `home` reads it back, and `open_home` is a person
opening the tab: the ``app_home_opened`` event Slack sends, with the view published before."""

from __future__ import annotations

import copy
import itertools
import json
import time
from typing import Any

from watchstander_sandbox.slack.history import History
from watchstander_sandbox.slack.world import JSON, SlackError

MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000


class HomeTab(History):
    def __init__(self) -> None:
        super().__init__()
        self._homes: dict[str, JSON] = {}
        self._view_ids = itertools.count(1)

    def home(self, user: str) -> dict[str, Any] | None:
        """The Home tab view published for ``user`` (None before the first)."""
        with self._cond:
            found = self._homes.get(self._member(user).id)
            return copy.deepcopy(found)

    def open_home(self, user: str) -> str:
        """``user`` opens the bot's Home tab: the ``app_home_opened`` envelope's id."""
        with self._cond:
            who = self._member(user)
            event: JSON = {
                "type": "app_home_opened", "user": who.id,
                "channel": self.world.im_with(who.id).id, "tab": "home",
                "event_ts": self._next_ts(),
            }  # fmt: skip
            if who.id in self._homes:
                event["view"] = copy.deepcopy(self._homes[who.id])
            return self.push_event(event)

    def _api_views_publish(self, params: JSON) -> JSON:
        who = self._member(params.get("user_id"))
        raw = params.get("view")
        try:
            view = json.loads(raw) if isinstance(raw, str | bytes) else raw
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        blocks = view.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
            raise SlackError("invalid_arguments")
        if len(json.dumps(view).encode()) > MAX_VIEW_BYTES:
            raise SlackError("view_too_large")
        previous = self._homes.get(who.id)
        wanted = params.get("hash")
        if wanted and (previous is None or previous["hash"] != wanted):
            raise SlackError("hash_conflict")
        view_id = previous["id"] if previous else f"V0HOME{next(self._view_ids):05d}"
        bot = self.world.bot
        stored: JSON = {
            **copy.deepcopy(view), "id": view_id, "team_id": self._team,
            "private_metadata": str(view.get("private_metadata") or ""),
            "callback_id": str(view.get("callback_id") or ""),
            "external_id": str(view.get("external_id") or ""),
            "hash": f"{time.time():.6f}.{next(self._view_ids)}", "root_view_id": view_id,
            "app_id": bot.app_id, "bot_id": bot.bot_id, "app_installed_team_id": self._team,
            "clear_on_close": False, "notify_on_close": False,
        }  # fmt: skip
        self._homes[who.id] = stored
        self._changed()
        return {"view": copy.deepcopy(stored)}
