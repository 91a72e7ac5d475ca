"""What resolved threads are about, as a sentence model reads them (the optional meaning
extra, issue 14): each resolved thread's root post and resolving line made into one vector
once (by the process that leads), kept in the database, and loaded by every process into its
own index, where a question finds the threads nearest in meaning whatever words they use.

The model and the index are ports (``Meaning``, ``Index``); the adapters are in
``watchstander.adapters.minilm`` and ``watchstander.adapters.nearest``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from watchstander.domain.answers import resolving_line
from watchstander.store import Store, StoreError, ThreadRow, Tx, first_line

log = logging.getLogger(__name__)

BATCH = 128  # threads made into vectors a round (a few seconds of one core)
CHUNK = 32  # threads a call of the model (about a second; 10% slower than a whole batch, when
# of like lengths): a stop is seen between two calls
LOADS = 5000  # vectors loaded a transaction
OVERLAP = timedelta(minutes=10)  # resolutions looked at again: commits land after their time
WALK_EVERY = timedelta(hours=1)  # the whole history walked again (a resolution given a time
# far back, by a catch-up after a restart, is found then)
_TOP = 2**62  # above every thread id


class Meaning(Protocol):
    """A sentence model: vectors as bytes (float32, unit length) that compare by cosine."""

    model: str

    def questions(self, texts: Sequence[str]) -> list[bytes]: ...

    def threads(self, pairs: Sequence[tuple[str, str]]) -> list[bytes]:
        """One vector a thread, from its (root post, resolving line)."""
        ...


class Index(Protocol):
    def __len__(self) -> int: ...

    def put(self, rows: Sequence[tuple[int, bytes]]) -> None: ...

    def nearest(self, vector: bytes, limit: int, floor: float) -> list[tuple[int, float]]: ...

    def closeness(self, vector: bytes, ids: Sequence[int]) -> dict[int, float]: ...


class Meanings:
    """This process's index of resolved threads by meaning, kept up to date with the
    database; and, while this process leads, the vectors of threads resolved since made."""

    def __init__(self, store: Store, meaning: Meaning, index: Index) -> None:
        self.store = store
        self.meaning = meaning
        self.index = index
        self.model = meaning.model
        self._loaded = 0  # the last row of ``meanings`` loaded into the index
        self._below: int | None = _TOP  # the walk down the history: its next page's bound
        self._walked: datetime | None = None  # when the last walk began
        self._since: datetime | None = None  # resolutions since this are looked at

    def vector(self, text: str) -> bytes:
        """A question's vector."""
        return self.meaning.questions([text])[0]

    def nearest(self, vector: bytes, limit: int, floor: float) -> list[tuple[int, float]]:
        """(thread id, cosine) of the ``limit`` threads nearest ``vector`` at ``floor`` or
        nearer, the nearest first."""
        return self.index.nearest(vector, limit, floor)

    def closeness(self, vector: bytes, ids: Sequence[int]) -> dict[int, float]:
        """The cosine of ``vector`` with each of the threads ``ids`` the index holds."""
        return self.index.closeness(vector, ids)

    def load(self) -> int:
        """The vectors kept since the last load (by any process) into the index: how many."""
        loaded = 0
        while True:
            with self.store.transaction() as tx:
                rows = tx.meanings_after(self.model, self._loaded, LOADS)
            if not rows:
                return loaded
            self.index.put([(thread_id, vector) for _, thread_id, vector in rows])
            self._loaded = rows[-1][0]
            loaded += len(rows)

    def make(self, now: datetime, stopping: threading.Event | None = None) -> int:
        """One batch of resolved threads without a vector for their last resolution made
        into vectors and kept: the latest resolutions first, then a walk down the whole
        history (at start, and each ``WALK_EVERY``). How many; 0 when none is left. Once
        ``stopping`` is set, the batch ends after the model's current ``CHUNK``: what was
        made is kept, and the rest is made in a later round, by this process or the next to
        lead."""
        if self._below is None and (self._walked is None or now - self._walked >= WALK_EVERY):
            self._below = _TOP
        if self._below == _TOP:
            self._walked = now
        since = now - OVERLAP if self._since is None else self._since
        _, made = self._batch(stopping, resolved_since=since)
        if made or _stopped(stopping):  # stopped: these are looked at again next time
            return made
        self._since = now - OVERLAP
        if self._below is None:
            return 0
        rows, made = self._batch(stopping, below_id=self._below)
        if not _stopped(stopping):  # stopped: this page is walked again next time
            self._below = rows[-1].id if len(rows) == BATCH else None
        return made

    def _batch(
        self,
        stopping: threading.Event | None,
        *,
        below_id: int | None = None,
        resolved_since: datetime | None = None,
    ) -> tuple[list[ThreadRow], int]:
        """Up to ``BATCH`` threads without a vector (see ``Tx.unmeant``) made into vectors and
        kept: those threads, and how many were kept."""
        with self.store.transaction() as tx:
            rows = tx.unmeant(self.model, BATCH, below_id=below_id, resolved_since=resolved_since)
            pairs = self._pairs(tx, rows)
        return rows, self._keep(rows, pairs, stopping)

    @staticmethod
    def _pairs(tx: Tx, rows: list[ThreadRow]) -> list[tuple[str, str]]:
        """Each thread's (root post, resolving line)."""
        replies = tx.replies_until_resolved([row.id for row in rows]) if rows else {}
        return [
            (
                row.root_text or "",
                resolving_line(row.resolve_note, replies.get(row.id, []), row.assignee, row.poster),
            )
            for row in rows
        ]

    def _keep(
        self,
        rows: list[ThreadRow],
        pairs: list[tuple[str, str]],
        stopping: threading.Event | None,
    ) -> int:
        # the shortest first: a call of the model pads its texts to the longest it holds
        order = sorted(range(len(rows)), key=lambda n: len(pairs[n][0]) + len(pairs[n][1]))
        vectors: list[bytes] = []
        for start in range(0, len(order), CHUNK):
            if _stopped(stopping):
                break
            vectors += self.meaning.threads([pairs[n] for n in order[start : start + CHUNK]])
        made = [
            (rows[n].id, at, vector)
            for n, vector in zip(order, vectors, strict=False)  # fewer once stopped
            if (at := rows[n].resolved_at) is not None
        ]
        if not made:
            return 0
        with self.store.transaction() as tx:
            tx.keep_meanings(self.model, made)
        return len(made)

    def run(
        self,
        clock: Callable[[], datetime],
        stopping: threading.Event,
        leading: Callable[[], bool],
        every: float = 5.0,
    ) -> None:
        """Until ``stopping``: load what is new; while this process leads, make what is
        missing, a batch at a time; rest ``every`` seconds when there is nothing to do. A
        database that fails is one log line (anything else, one trace), and the round is tried
        again after ``every`` seconds."""
        failing = False
        while not stopping.is_set():
            try:
                done = self.load()
                if leading():
                    done += self.make(clock(), stopping)
                failing = False
            except StoreError as error:
                if not failing:
                    log.warning("Meanings not kept up to date: %s", first_line(error))
                failing, done = True, 0
            except Exception:  # not the database: the loop goes on, the trace said once
                if not failing:
                    log.exception("Meanings not kept up to date")
                failing, done = True, 0
            if not done:
                stopping.wait(every)


def _stopped(stopping: threading.Event | None) -> bool:
    return stopping is not None and stopping.is_set()
