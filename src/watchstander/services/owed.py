"""Messages owed to threads: what a transaction decided to say is kept in the same
transaction, and forgotten once said. A process killed in between (after the commit, before or
while posting) leaves them in the database; the next start, or the holder of the lease on
scheduled work, says them then, once.

A message posted and the process killed before its row was deleted (a few milliseconds) is
looked for in its thread first (Slack's ``chat.postMessage`` takes no idempotency key, but
the thread can be read back): found, it is not posted again. A message to one person alone
cannot be read back: in that window it would be said twice.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from watchstander.services.controls import Button, Control, Menu
from watchstander.services.effects import Effect
from watchstander.store import Store, StoreError, Tx, first_line

log = logging.getLogger(__name__)


def dumps(effect: Effect, at: datetime) -> str:
    """An effect decided ``at``, as JSON (its data are the words' values: text, numbers,
    flags, None)."""
    return json.dumps(
        {
            "at": at.isoformat(),
            "template": effect.template,
            "channel": effect.channel,
            "thread_ts": effect.thread_ts,
            "data": dict(effect.data),
            "person": effect.person,
            "alone": effect.alone,
            "controls": [_control(c) for c in effect.controls],
        },
        default=str,
    )


def loads(text: str) -> tuple[Effect, datetime]:
    """The effect ``dumps`` wrote and when it was decided; ValueError when it is not one."""
    try:
        raw = json.loads(text)
        at = datetime.fromisoformat(str(raw["at"]))
        effect = Effect(
            str(raw["template"]),
            str(raw["channel"]),
            None if raw["thread_ts"] is None else str(raw["thread_ts"]),
            dict(raw["data"]),
            person=raw.get("person"),
            alone=raw.get("alone"),
            controls=tuple(_from_control(c) for c in raw.get("controls") or ()),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a message the bot kept: {exc}") from exc
    return effect, at


def _control(control: Control) -> dict[str, Any]:
    if isinstance(control, Button):
        return {"button": [control.action_id, control.label, control.value, control.style]}
    return {"menu": [control.action_id, control.placeholder, [list(o) for o in control.options]]}


def _from_control(raw: dict[str, Any]) -> Control:
    if "button" in raw:
        action_id, label, value, style = raw["button"]
        return Button(str(action_id), str(label), str(value), str(style))
    action_id, placeholder, options = raw["menu"]
    return Menu(str(action_id), str(placeholder), tuple((str(v), str(k)) for v, k in options))


class Owed:
    """Keeps what a transaction decided to say until it is said.

    ``owe`` (in the deciding transaction) and ``paid`` (after saying) are the deciding
    process's; ``settle`` says what processes gone left (on SQLite, one process: every other
    taker is gone; on PostgreSQL, one whose heartbeat stopped).
    """

    def __init__(
        self, store: Store, holder: str, *, forget_after: float = 0.0, recheck: float = 2.0
    ) -> None:
        self.store = store
        self.holder = holder
        self.forget_after = forget_after  # seconds said rows wait to be deleted together
        self.recheck = recheck  # seconds between tries to give up rows in doubt
        self._said: list[int] = []
        self._doubted: list[int] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._doubt_timer: threading.Timer | None = None

    def owe(self, tx: Tx, effects: Sequence[Effect], now: datetime) -> list[int]:
        return tx.owe([dumps(e, now) for e in effects], self.holder, now) if effects else []

    def paid(self, ids: Sequence[int]) -> None:
        """Said: forgotten, together with those said in the next ``forget_after`` seconds
        (one statement, off the path of the next event; `flush` at a stop). Rows of this
        process are never taken by another while it lives; killed before they were
        forgotten, they are looked for in their threads before being said again."""
        if not ids:
            return
        if self.forget_after <= 0:
            self._forget(ids)
            return
        with self._lock:
            self._said.extend(ids)
            if self._timer is None:
                self._timer = threading.Timer(self.forget_after, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def doubt(self, ids: Sequence[int]) -> None:
        """The transaction that kept these rows failed, perhaps as it committed (the
        database went away): kept or not, this process will not say them (the event is left
        to Slack's retry, which finds it recorded). Those kept are given up (`disown`) as
        soon as the database answers, tried every ``recheck`` seconds: the lease's holder
        takes them over like the work of a process gone, and says each unless it is found
        in its thread."""
        if not ids:
            return
        with self._lock:
            self._doubted.extend(ids)
            if self._doubt_timer is None:
                self._doubt_timer = threading.Timer(self.recheck, self.give_up_doubted)
                self._doubt_timer.daemon = True
                self._doubt_timer.start()

    def give_up_doubted(self) -> None:
        """`doubt`'s rows given up now; kept in doubt (and tried again) when the database
        does not answer."""
        with self._lock:
            ids, self._doubted, self._doubt_timer = self._doubted, [], None
        try:
            with self.store.transaction() as tx:
                given = tx.disown(ids, self.holder)
        except StoreError as exc:
            log.debug("messages in doubt kept until the database answers: %s", first_line(exc))
            self.doubt(ids)
            return
        if given:
            log.warning("%d message(s) decided as the database went away: left to be said "
                        "by the lease's holder", given)  # fmt: skip

    def flush(self) -> None:
        """Forget at once the rows said and waiting to be forgotten."""
        with self._lock:
            ids, self._said = self._said, []
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self._forget(ids)

    def _forget(self, ids: Sequence[int]) -> None:
        """A database that does not answer now leaves them to `settle` (said twice, then:
        better than never)."""
        if not ids:
            return
        try:
            with self.store.transaction() as tx:
                tx.paid(ids)
        except StoreError as exc:
            log.warning("could not mark %d message(s) said: %s", len(ids), str(exc)[:200])

    def settle(
        self,
        now: datetime,
        say: Callable[[Effect], None],
        *,
        seen: Callable[[Effect, datetime], bool] = lambda effect, since: False,
    ) -> int:
        """Say what a process that died left owed (each taken first, so that two processes
        never both say it), oldest first, unless ``seen`` finds it said since it was
        decided; how many were said."""
        done = 0
        while True:
            with self.store.transaction() as tx:
                rows = tx.take_owed(self.holder, now)
            for row_id, text in rows:
                try:
                    effect, at = loads(text)
                except ValueError as exc:
                    log.warning("dropping message %d kept unsaid: %s", row_id, exc)
                else:
                    if seen(effect, at):
                        log.info("%s in %s was said before its process stopped",
                                 effect.template, effect.thread_ts)  # fmt: skip
                        self._forget([row_id])
                        continue
                    log.info("saying %s in %s, left unsaid by a stopped process",
                             effect.template, effect.thread_ts or effect.channel)  # fmt: skip
                    say(effect)
                    done += 1
                self._forget([row_id])
            if len(rows) < 100:
                return done
