"""Answers from past threads: for a question in #support, the earlier resolved threads that
answered one like it, each with the line that resolved it (issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from watchstander.domain.answers import (
    MIN_MATCHED,
    SUGGESTIONS,
    alike,
    question_terms,
    resolving_line,
)
from watchstander.domain.review import STOPWORDS
from watchstander.store import Store

CANDIDATES = 3  # the best-ranked threads looked at per suggestion given


@dataclass(frozen=True)
class Suggestion:
    channel: str
    root_ts: str
    link: str
    line: str  # the line that resolved it ("" when none was said)
    score: float  # the database's rank (not comparable across databases)
    matched: int  # words of the question its root post holds
    thread_id: int = 0  # the earlier thread's id


class AnswerService:
    """Suggests earlier resolved threads for a question; read only."""

    def __init__(
        self,
        store: Store,
        link: Callable[[str, str], str],
        stop: frozenset[str] = STOPWORDS,
        limit: int = SUGGESTIONS,
    ) -> None:
        self.store = store
        self.link = link
        self.stop = stop
        self.limit = limit

    def askable(self, text: str) -> bool:
        """Whether ``text`` holds words enough to look for (no database asked)."""
        return len(question_terms(text, self.stop)) >= MIN_MATCHED

    def suggest(self, text: str, now: datetime, thread_id: int | None = None) -> list[Suggestion]:
        """Up to ``limit`` earlier threads resolved before ``now`` (and before thread
        ``thread_id``, the question's own) alike enough to answer ``text``; none when none is."""
        terms = question_terms(text, self.stop)
        if not terms:
            return []
        out: list[Suggestion] = []
        with self.store.transaction() as tx:
            found = tx.similar_resolved(terms, self.limit * CANDIDATES, thread_id, now)
            for hit in found:
                row = tx.thread_by_id(hit.id)
                if row is None or row.resolved_at is None:
                    continue
                root_terms = len(question_terms(row.root_text or "", self.stop))
                if not alike(hit.matched, len(terms), root_terms):
                    continue
                replies = tx.replies(hit.id, row.resolved_at)
                line = resolving_line(row.resolve_note, replies, row.assignee, row.poster)
                link = self.link(hit.channel, hit.root_ts)
                out.append(
                    Suggestion(hit.channel, hit.root_ts, link, line, hit.score, hit.matched, hit.id)
                )
                if len(out) == self.limit:
                    break
        return out
