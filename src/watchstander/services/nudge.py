"""The nudge (SPEC section 1): a top-level post in #support that answers another post (it
quotes it, or begins by naming its poster within a minute of their post) gets its author one
reminder, seen by them alone, to reply in that post's thread; at most once a day a person (a
day in TIMEZONE). The bot never moves the post and guesses nothing beyond the two signals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, tzinfo

from watchstander.domain.nudge import (
    MENTION_WINDOW,
    QUOTE_LOOKBACK,
    Earlier,
    answered_post,
    may_answer,
)
from watchstander.services.effects import Effect, Speaker
from watchstander.services.inbound import InboundMessage, ts_to_datetime
from watchstander.store import Store, StoreError, first_line

log = logging.getLogger(__name__)


def nudge_key(user: str, at: datetime, tz: tzinfo) -> str:
    return f"nudge:{user}:{at.astimezone(tz).date().isoformat()}"


class Nudges:
    def __init__(
        self,
        store: Store,
        *,
        channel_id: str,
        tz: tzinfo,
        emit: Speaker,
        link: Callable[[str, str], str],
    ) -> None:
        self.store = store
        self.channel_id = channel_id
        self.tz = tz
        self.say = emit
        self.link = link

    def answers_another(self, msg: InboundMessage, now: datetime) -> bool:
        """Whether a new top-level post answers another post; its author is reminded to reply
        in that thread (the first time today). Each post is looked at once: the caller hands
        over new posts only (not edits, not redeliveries)."""
        if msg.thread_ts or msg.is_edit or not msg.user or msg.channel != self.channel_id:
            return False
        if not may_answer(msg.text):
            return False
        at = ts_to_datetime(msg.ts)
        try:
            with self.store.transaction() as tx:
                since = at - max(QUOTE_LOOKBACK, MENTION_WINDOW)
                rows = tx.posts_between(msg.channel, since, at)
                earlier = [
                    Earlier(ts, who, body, when) for ts, who, body, when in rows if ts != msg.ts
                ]
                post = answered_post(msg.text, msg.user, at, earlier)
                if post is None:
                    return False
                first_today = tx.once(nudge_key(msg.user, at, self.tz), now)
        except StoreError as error:
            log.error(
                "the nudge for %s was not decided: the database failed: %s",
                msg.ts,
                first_line(error),
            )
            return False
        if first_today:
            data = {"link": self.link(msg.channel, post.root_ts)}
            self.say(Effect("nudge", msg.channel, None, data, alone=msg.user))
        return True
