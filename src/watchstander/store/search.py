"""Repeat topics: the root posts of a window of threads, and the database's full-text
search over them (SQLite FTS5, PostgreSQL tsvector), made by migration 0006."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Text, case, func, select, text

from watchstander.store.base import TxBase
from watchstander.store.models import ThreadRow, UTCDateTime

_NO_ID = 2**62  # above every thread id: "no upper bound" in an id range


def _term_search(
    terms: Sequence[str], dialect: str, columns: str, tail: str
) -> tuple[str, dict[str, Any]]:
    """SELECT term, <columns> over the full-text search of the root posts of threads ``:first``
    up to ``:last``, one row per (term, thread) that holds all the term's words. ``{id}`` and
    ``{term}`` in ``columns`` and ``tail`` name the thread id and the term.

    SQLite: the FTS5 table thread_search, its rowid range kept to the window. PostgreSQL: the
    tsvector column; a term with a word PostgreSQL counts as a stop-word would be searched
    without it (a pair as one word), so such a term finds nothing."""
    params: dict[str, Any] = {}
    if dialect == "postgresql":
        # the window's rows first (by id), then each term against their stored tsvectors: the
        # GIN index would walk each term's threads over the whole history instead
        names = {"id": "w.id", "term": "q.term"}
        params["terms"] = list(terms)
        sql = (
            "WITH q AS MATERIALIZED (SELECT term, plainto_tsquery('english', term) AS q "
            "FROM unnest(CAST(:terms AS text[])) AS t(term) "
            "WHERE numnode(plainto_tsquery('english', term)) "
            "= 2 * cardinality(string_to_array(term, ' ')) - 1), "
            "w AS MATERIALIZED (SELECT id, search FROM threads WHERE id >= :first AND id < :last) "
            f"SELECT q.term, {columns.format(**names)} FROM q JOIN w ON w.search @@ q.q "
            f"{tail.format(**names)}"
        )
        return sql, params
    names = {"id": "thread_search.rowid", "term": "terms.term"}
    rows = []
    for n, term in enumerate(terms):
        rows.append(f"(:t{n}, :q{n})")
        params[f"t{n}"] = term
        params[f"q{n}"] = " AND ".join('"' + w.replace('"', '""') + '"' for w in term.split())
    sql = (
        f"WITH terms(term, q) AS (VALUES {', '.join(rows)}) "
        f"SELECT terms.term, {columns.format(**names)} FROM terms "
        "JOIN thread_search ON thread_search MATCH terms.q "
        "AND thread_search.rowid >= :first AND thread_search.rowid < :last "
        f"{tail.format(**names)}"
    )
    return sql, params


# SQLite (migration 0007): the threads stored since the last search join the index first
SEARCH_CATCH_UP = (
    "INSERT INTO thread_search(rowid, root_text) SELECT id, root_text FROM threads "
    "WHERE id > (SELECT indexed_upto FROM thread_search_progress) ORDER BY id",
    "UPDATE thread_search_progress SET indexed_upto = "
    "(SELECT coalesce(max(id), indexed_upto) FROM threads)",
)


# SQLite: whether a resolved thread waits for the index (the threads after its mark, by id)
RESOLVED_UNINDEXED = (
    "SELECT 1 FROM threads WHERE id > (SELECT indexed_upto FROM thread_search_progress) "
    "AND resolved_at IS NOT NULL LIMIT 1"
)


class SearchTx(TxBase):
    """A transaction's repeat topics: root posts, and full-text searches of them."""

    _index_current = False  # SQLite: the full-text index was brought up to date in this tx

    def _searchable(self, resolved_only: bool = False) -> str:
        """Bring the full-text index up to date, once a transaction (SQLite: it is not written
        with each post); the dialect's name, for the search itself. A search for
        ``resolved_only`` threads writes to the index only when a resolved thread is not in it
        yet: the look for answers that follows each post in #support stays a read."""
        dialect = self._dialect_name
        if dialect == "sqlite" and not self._index_current:
            connection = self.connection
            if resolved_only and connection.exec_driver_sql(RESOLVED_UNINDEXED).first() is None:
                return dialect
            for statement in SEARCH_CATCH_UP:
                connection.exec_driver_sql(statement)
            self._index_current = True
        return dialect

    def root_texts(self, since: datetime) -> list[str]:
        """The root posts of the threads posted since ``since``."""
        query = select(ThreadRow.root_text).where(ThreadRow.posted_at >= since)
        return [root or "" for root in self.session.scalars(query)]

    def topic_window(self, since: datetime, week: datetime) -> tuple[int, int, int, int] | None:
        """(threads posted since ``since``, the first of their ids, the first id posted since
        ``week``, threads posted since ``week``). Thread ids follow the order the bot first saw
        the threads, so the full-text search keeps to the window and the week by id."""
        this_week = ThreadRow.posted_at >= week
        query = select(
            func.count(),
            func.min(ThreadRow.id),
            func.min(case((this_week, ThreadRow.id))),
            func.sum(case((this_week, 1), else_=0)),
        ).where(ThreadRow.posted_at >= since)
        count, first, week_first, week_count = self.session.execute(query).one()
        if first is None or week_first is None:
            return None
        return int(count), int(first), int(week_first), int(week_count)

    def term_counts(
        self, terms: Sequence[str], first: int, before: int | None = None
    ) -> dict[str, int]:
        """For each term: in how many root posts of threads ``first`` (up to ``before``) the
        database's full-text search finds all its words, stemmed. One statement for all the
        terms, counted by the database; terms found nowhere are left out."""
        if not terms:
            return {}
        sql, params = _term_search(terms, self._searchable(), "count(*)", "GROUP BY {term}")
        params |= {"first": first, "last": _NO_ID if before is None else before}
        return {str(term): int(n) for term, n in self.session.execute(text(sql), params)}

    def term_threads(
        self, terms: Sequence[str], first: int, per_term: int
    ) -> list[tuple[str, str, str, datetime]]:
        """(term, channel, root_ts, posted_at) of the newest ``per_term`` threads from thread
        ``first`` on whose root post holds the term: one statement for all the terms."""
        if not terms:
            return []
        inner, params = _term_search(
            terms,
            self._searchable(),
            "{id} AS id, row_number() OVER (PARTITION BY {term} ORDER BY {id} DESC) AS n",
            "",
        )
        sql = (
            f"SELECT hits.term, th.channel, th.root_ts, th.posted_at FROM ({inner}) AS hits "
            "JOIN threads th ON th.id = hits.id WHERE hits.n <= :per_term"
        )
        params |= {"first": first, "last": _NO_ID, "per_term": per_term}
        typed = text(sql).columns(term=Text, channel=String, root_ts=String, posted_at=UTCDateTime)
        found = self.session.execute(typed, params).all()
        return [(str(t), str(c), str(r), cast(datetime, p)) for t, c, r, p in found]
