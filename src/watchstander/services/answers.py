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
    search_terms,
)
from watchstander.domain.likeness import asks, likeness
from watchstander.domain.review import STOPWORDS
from watchstander.store import Store

CANDIDATES = 5  # the database's best-ranked threads looked at per suggestion given


@dataclass(frozen=True)
class Suggestion:
    channel: str
    root_ts: str
    link: str
    line: str  # the line that resolved it ("" when none was said)
    score: float  # the database's rank (not comparable across databases)
    matched: int  # words of the question its root post or resolving line holds
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
        asking = asks(text)
        ranked: list[tuple[float, int, Suggestion]] = []
        with self.store.transaction() as tx:
            found = tx.similar_resolved(
                search_terms(text, self.stop), self.limit * CANDIDATES, thread_id, now,
                count_held=False,
            )  # fmt: skip
            ids = [hit.id for hit in found]
            rows = tx.resolved_threads(ids)
            replies = tx.replies_until_resolved(ids)
        for rank, hit in enumerate(found):
            row = rows.get(hit.id)
            if row is None:
                continue
            line = resolving_line(
                row.resolve_note, replies.get(hit.id, []), row.assignee, row.poster
            )
            root_terms = question_terms(row.root_text or "", self.stop)
            like = likeness(terms, root_terms, question_terms(line, self.stop))
            # a question that asks is matched like a report with a thread that asked too
            if not alike(like, asking and not asks(row.root_text or "")):
                continue
            link = self.link(hit.channel, hit.root_ts)
            suggestion = Suggestion(
                hit.channel, hit.root_ts, link, line, hit.score, like.matched, hit.id
            )
            ranked.append((-like.share, rank, suggestion))
        return [suggestion for _, _, suggestion in sorted(ranked)[: self.limit]]
