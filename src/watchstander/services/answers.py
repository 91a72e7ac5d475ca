"""Answers from past threads: for a question in #support, the earlier resolved threads that
answered one like it, each with the line that resolved it (issue 14). By their words (the
database's full-text search, then the words both hold), and with the meaning extra by what
they mean as well (see :mod:`watchstander.services.meanings`): then a thread is suggested
when it is near enough in meaning, whether its words matched or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from watchstander.domain.answers import (
    LEXICAL_GATE,
    MEANING_FLOOR,
    MIN_MATCHED,
    SUGGESTIONS,
    alike,
    question_terms,
    resolving_line,
    search_terms,
)
from watchstander.domain.likeness import asks, likeness
from watchstander.domain.review import STOPWORDS
from watchstander.services.meanings import Meanings
from watchstander.store import Store, ThreadRow

CANDIDATES = 5  # the database's best-ranked threads looked at per suggestion given


@dataclass(frozen=True)
class Suggestion:
    channel: str
    root_ts: str
    link: str
    line: str  # the line that resolved it ("" when none was said)
    score: float  # how close: the cosine with meanings, else the share of words both hold
    matched: int  # words of the question its root post or resolving line holds (0: by meaning)
    thread_id: int = 0  # the earlier thread's id


class AnswerService:
    """Suggests earlier resolved threads for a question; read only."""

    def __init__(
        self,
        store: Store,
        link: Callable[[str, str], str],
        stop: frozenset[str] = STOPWORDS,
        limit: int = SUGGESTIONS,
        meanings: Meanings | None = None,
    ) -> None:
        self.store = store
        self.link = link
        self.stop = stop
        self.limit = limit
        self.meanings = meanings

    def askable(self, text: str) -> bool:
        """Whether ``text`` holds words enough to look for (no database asked)."""
        return len(question_terms(text, self.stop)) >= MIN_MATCHED

    def suggest(self, text: str, now: datetime, thread_id: int | None = None) -> list[Suggestion]:
        """Up to ``limit`` earlier threads resolved before ``now`` (and before thread
        ``thread_id``, the question's own) alike enough to answer ``text``; none when none is."""
        terms = question_terms(text, self.stop)
        if not terms:
            return []
        asking = asks(text)
        meanings, vector, near = self.meanings, b"", {}
        if meanings is not None and not len(meanings.index):
            meanings = None  # no thread made into a vector yet: nothing to be near
        if meanings is not None:
            vector = meanings.vector(text)
            # more than it keeps: the nearest may be open, newer, or the question's own
            near = dict(meanings.nearest(vector, self.limit * CANDIDATES, MEANING_FLOOR))
        with self.store.transaction() as tx:
            found = tx.similar_resolved(
                search_terms(text, self.stop), self.limit * CANDIDATES, thread_id, now,
                count_held=False,
            )  # fmt: skip
            ids = list(dict.fromkeys([hit.id for hit in found] + list(near)))
            rows = tx.resolved_threads(ids)
            replies = tx.replies_until_resolved(ids)
        words: list[tuple[float, int, int]] = []  # (-share, rank, id) of those alike in words
        matched: dict[int, int] = {}
        share: dict[int, float] = {}
        for rank, hit in enumerate(found):
            row = rows.get(hit.id)
            if row is None:
                continue
            root_terms = question_terms(row.root_text or "", self.stop)
            line = question_terms(self._line(row, replies), self.stop)
            like = likeness(terms, root_terms, line)
            # a question that asks is matched like a report with a thread that asked too
            if alike(like, asking and not asks(row.root_text or "")):
                words.append((-like.share, rank, hit.id))
                matched[hit.id], share[hit.id] = like.matched, like.share
        best = [thread for _, _, thread in sorted(words)[: self.limit]]
        cosines = {} if meanings is None else meanings.closeness(vector, best)
        kept: dict[int, float] = {}  # how close each thread suggested is (higher: closer)
        for thread in best:  # with meanings, near enough in them too (when made already)
            cosine = cosines.get(thread)
            if cosine is None or cosine >= LEXICAL_GATE:
                kept[thread] = share[thread] if cosine is None else cosine
        eligible = [i for i in near if i in rows and _before(rows[i], now, thread_id)]
        for near_id in eligible[: self.limit]:  # the nearest first
            kept.setdefault(near_id, near[near_id])
        ranked = sorted(kept, key=lambda thread: -kept[thread])[: self.limit]  # ties: in order
        return [self._suggestion(rows[i], replies, kept[i], matched.get(i, 0)) for i in ranked]

    @staticmethod
    def _line(row: ThreadRow, replies: dict[int, list[tuple[str | None, str]]]) -> str:
        return resolving_line(row.resolve_note, replies.get(row.id, []), row.assignee, row.poster)

    def _suggestion(
        self,
        row: ThreadRow,
        replies: dict[int, list[tuple[str | None, str]]],
        closeness: float,
        matched: int,
    ) -> Suggestion:
        link = self.link(row.channel, row.root_ts)
        line = self._line(row, replies)
        return Suggestion(row.channel, row.root_ts, link, line, closeness, matched, row.id)


def _before(row: ThreadRow, now: datetime, thread_id: int | None) -> bool:
    """Whether ``row`` was resolved before ``now`` and began before thread ``thread_id``."""
    resolved = row.resolved_at is not None and row.resolved_at < now
    return resolved and (thread_id is None or row.id < thread_id)
