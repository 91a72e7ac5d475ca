"""Answers from past threads: the earlier resolved threads whose root posts are most like a
question, ranked by the database's own full-text search (SQLite FTS5 ``bm25()``, PostgreSQL
``ts_rank_cd``), and the messages a resolving line is read from."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from watchstander.store.models import MessageRow, ThreadRow
from watchstander.store.search import _NO_ID, SearchTx

_PLAIN_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TERMS = 24  # a question's words searched for, at most
_WORD_LIMIT = 40  # characters of one word, at most
# A word more root posts than this hold finds threads only with another such word: alone, it
# would have the database rank every thread that holds it (most of a year, for a product's name)
COMMON = 2000
_PAIRED = 8  # common words paired, at most
# words the search syntax of either database would read as operators
_OPERATORS = frozenset({"and", "or", "not", "near"})


@dataclass(frozen=True)
class SimilarThread:
    id: int
    channel: str
    root_ts: str
    score: float  # the database's rank: higher is more alike (bm25 negated on SQLite)
    matched: int  # how many of the words searched for its root post holds (stemmed)


def search_words(terms: Sequence[str]) -> list[str]:
    """The plain words (letters and digits) of ``terms``, lower case, once each, in order:
    nothing a full-text query syntax could read as an operator, a column or a prefix."""
    seen: dict[str, None] = {}
    for term in terms:
        for match in _PLAIN_WORD.finditer(term.lower()):
            word = match.group(0)[:_WORD_LIMIT]
            if word not in _OPERATORS:
                seen.setdefault(word, None)
    return list(seen)[:_TERMS]


def _queries(words: list[str], common: set[str], dialect: str) -> list[str]:
    """The full-text queries (the dialect's syntax) for threads that hold any of the rare
    words, and those that hold two of the common ones (any one when all are common and only
    one is asked)."""
    postgres = dialect == "postgresql"
    quoted = {w: w if postgres else f'"{w}"' for w in words}
    rare = [quoted[w] for w in words if w not in common]
    paired = [quoted[w] for w in words if w in common][:_PAIRED]
    join, both = (" or ", "{} {}") if postgres else (" OR ", "({} AND {})")
    queries = [join.join(rare)] if rare else []
    if len(paired) >= 2:
        queries.append(join.join(both.format(a, b) for a, b in itertools.combinations(paired, 2)))
    elif paired and not rare:
        queries.append(paired[0])
    return queries


class AnswersTx(SearchTx):
    """A transaction's look for earlier resolved threads like a question."""

    def similar_resolved(
        self,
        terms: Sequence[str],
        limit: int = 3,
        before_id: int | None = None,
        resolved_before: datetime | None = None,
        count_held: bool = True,
        common: int = COMMON,
    ) -> list[SimilarThread]:
        """The resolved threads (before thread ``before_id``, resolved before
        ``resolved_before``) whose root posts hold any of ``terms`` (two, of the words in more
        than ``common`` posts), the most alike first (as ranked by the database): at most
        ``limit`` holding a rare word, then at most ``limit`` holding two common ones, each with
        how many of the words it holds (0 without ``count_held``, which saves a statement)."""
        words = search_words(terms)
        if not words or limit <= 0:
            return []
        dialect = self._searchable(resolved_only=True)
        params: dict[str, Any] = {
            "last": _NO_ID if before_id is None else before_id,
            "limit": limit,
            "resolved": resolved_before,
        }
        resolved = "t.resolved_at IS NOT NULL" + (
            " AND t.resolved_at < :resolved" if resolved_before is not None else ""
        )
        if dialect == "postgresql":
            sql = (
                "SELECT t.id, t.channel, t.root_ts, ts_rank_cd(t.search, q.q) AS score "
                "FROM threads t, websearch_to_tsquery('english', :q) AS q(q) "
                f"WHERE t.search @@ q.q AND t.id < :last AND {resolved} "
                "ORDER BY score DESC, t.id DESC LIMIT :limit"
            )
        else:
            sql = (
                "SELECT t.id, t.channel, t.root_ts, -bm25(thread_search) AS score "
                "FROM thread_search JOIN threads t ON t.id = thread_search.rowid "
                "WHERE thread_search MATCH :q AND thread_search.rowid < :last "
                f"AND {resolved} ORDER BY score DESC, t.id DESC LIMIT :limit"
            )
        found: dict[int, Any] = {}
        for query in _queries(words, self._common(words, common, dialect), dialect):
            for row in self.connection.execute(text(sql), params | {"q": query}):
                found.setdefault(int(row[0]), row)
        if not found:
            return []
        ids = list(found)
        matched = self._words_held(words, ids, dialect) if count_held else {}
        return [
            SimilarThread(int(i), str(c), str(r), float(s), matched.get(int(i), 0))
            for i, c, r, s in found.values()
        ]

    def _common(self, words: list[str], common: int, dialect: str) -> set[str]:
        """The words of ``words`` that more than ``common`` root posts hold (stemmed): one
        statement, each count stopping there."""
        params: dict[str, Any] = {"cap": common + 1}
        counts = []
        for n, word in enumerate(words):
            if dialect == "postgresql":
                params[f"w{n}"] = word
                hits = f"SELECT 1 FROM threads WHERE search @@ plainto_tsquery('english', :w{n})"
            else:
                params[f"w{n}"] = f'"{word}"'
                hits = f"SELECT rowid FROM thread_search WHERE thread_search MATCH :w{n}"
            counts.append(f"(SELECT count(*) FROM ({hits} LIMIT :cap) AS h{n})")
        row = self.connection.execute(text(f"SELECT {', '.join(counts)}"), params).one()
        return {word for word, count in zip(words, row, strict=True) if int(count) > common}

    def _words_held(self, words: list[str], ids: list[int], dialect: str) -> dict[int, int]:
        """For each of the threads ``ids``: how many of ``words`` its root post holds."""
        params: dict[str, Any] = {f"i{n}": i for n, i in enumerate(ids)}
        in_ids = ", ".join(f":i{n}" for n in range(len(ids)))
        if dialect == "postgresql":
            params["words"] = words
            sql = (
                "SELECT t.id, count(*) FROM threads t "
                "JOIN unnest(CAST(:words AS text[])) AS w(word) "
                "ON t.search @@ plainto_tsquery('english', w.word) "
                f"WHERE t.id IN ({in_ids}) GROUP BY t.id"
            )
        else:
            rows = []
            for n, word in enumerate(words):
                rows.append(f"(:w{n})")
                params[f"w{n}"] = f'"{word}"'
            sql = (
                f"WITH words(q) AS (VALUES {', '.join(rows)}) "
                "SELECT thread_search.rowid, count(*) FROM words JOIN thread_search "
                f"ON thread_search MATCH words.q AND thread_search.rowid IN ({in_ids}) "
                "GROUP BY thread_search.rowid"
            )
        return {int(i): int(n) for i, n in self.connection.execute(text(sql), params)}

    def resolved_threads(self, ids: Sequence[int]) -> dict[int, ThreadRow]:
        """The threads ``ids`` that are resolved, by id: one statement."""
        if not ids:
            return {}
        query = select(ThreadRow).where(ThreadRow.id.in_(ids), ThreadRow.resolved_at.is_not(None))
        return {row.id: row for row in self.session.scalars(query)}

    def replies_until_resolved(self, ids: Sequence[int]) -> dict[int, list[tuple[str | None, str]]]:
        """(user, text) of each of the threads ``ids``' replies posted up to its resolution,
        oldest first, by thread id: one statement."""
        if not ids:
            return {}
        query = (
            select(MessageRow.thread_id, MessageRow.user, MessageRow.text)
            .join(ThreadRow, ThreadRow.id == MessageRow.thread_id)
            .where(
                MessageRow.thread_id.in_(ids),
                MessageRow.is_root.is_(False),
                MessageRow.posted_at <= ThreadRow.resolved_at,
            )
            .order_by(MessageRow.thread_id, MessageRow.posted_at, MessageRow.id)
        )
        found: dict[int, list[tuple[str | None, str]]] = {}
        for thread_id, user, body in self.session.execute(query):
            found.setdefault(int(thread_id), []).append((user, body or ""))
        return found

    def replies(self, thread_id: int, before: datetime) -> list[tuple[str | None, str]]:
        """(user, text) of a thread's replies posted before ``before``, oldest first."""
        query = (
            select(MessageRow.user, MessageRow.text)
            .where(
                MessageRow.thread_id == thread_id,
                MessageRow.is_root.is_(False),
                MessageRow.posted_at <= before,
            )
            .order_by(MessageRow.posted_at, MessageRow.id)
        )
        return [(user, body or "") for user, body in self.session.execute(query)]
