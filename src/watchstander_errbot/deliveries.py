"""Which Slack events this process has handled, or is handling, by event id.

Slack sends an event again when its ack is late (after 3 seconds) or never came. A delivery
of an event handled here is acked at once and dropped. A delivery of an event still being
handled (its database hangs, say) is neither handled again nor acked now: it is acked with
the first once that one is handled, and not at all when the first could not be taken (then
Slack's next retry brings it again). Acking it at once would tell Slack an event was taken
that may still fail: it would be lost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

SEEN_EVENTS = 5000  # handled events remembered (recent ones: Slack retries within minutes)

Ack = Callable[[], None]
Delivery = Literal["new", "handled", "handling"]


class Deliveries:
    def __init__(self, remembered: int = SEEN_EVENTS) -> None:
        self._remembered = remembered
        self._lock = threading.Lock()
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._handling: dict[str, list[Ack]] = {}  # event id -> the acks of its redeliveries

    def take(self, event_id: str, ack: Ack) -> Delivery:
        """A delivery of ``event_id``: ``new``, to be handled now (the caller acks it once
        handled, see `handled`); or a redelivery, not handled again: acked now when the
        event was ``handled``, kept with the first while it is ``handling``."""
        with self._lock:
            waiting = self._handling.get(event_id)
            if waiting is not None:
                waiting.append(ack)
                return "handling"
            if event_id not in self._handled:
                self._handling[event_id] = []
                return "new"
        ack()
        return "handled"

    def handled(self, event_id: str) -> list[Ack]:
        """``event_id`` was handled: remembered; the acks of the redeliveries that came
        meanwhile, to send with its own."""
        with self._lock:
            waiting = self._handling.pop(event_id, [])
            self._handled[event_id] = None
            while len(self._handled) > self._remembered:
                self._handled.popitem(last=False)
        return waiting

    def refused(self, event_id: str) -> int:
        """``event_id`` could not be taken: forgotten, none of its deliveries acked, so that
        Slack's next retry is handled; how many redeliveries were waiting on it."""
        with self._lock:
            return len(self._handling.pop(event_id, []))
