"""SQLite's full-text index is brought up to date when it is searched, not on every post

A new thread no longer writes to the FTS5 index in the transaction that stores it (that write
was the dearest part of answering a post in #support). ``thread_search_progress`` holds the
highest thread id the index holds; a search first adds the threads after it (one statement).
Threads up to it stay exact as before: an edit of their root post, or their deletion, updates
the index at once; an edit of a thread not indexed yet needs nothing (it is indexed as it is).
Deleting the newest threads brings the mark down, as SQLite may give their ids out again.

PostgreSQL: nothing changes (its tsvector column is kept by the database itself).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXED = "old.id <= (SELECT indexed_upto FROM thread_search_progress)"
HIGHEST = "(SELECT coalesce(max(id), 0) FROM threads)"
SQLITE_UP = (
    "CREATE TABLE thread_search_progress (one INTEGER PRIMARY KEY CHECK (one = 1), "
    "indexed_upto INTEGER NOT NULL)",
    "INSERT INTO thread_search_progress VALUES (1, (SELECT coalesce(max(id), 0) FROM threads))",
    "DROP TRIGGER threads_search_insert",
    "DROP TRIGGER threads_search_delete",
    "DROP TRIGGER threads_search_update",
    # SQLite gives a new row the highest id + 1: with the highest rows deleted, the mark comes
    # down to the highest id left (all indexed), so that a reused id is indexed again
    "CREATE TRIGGER threads_search_delete AFTER DELETE ON threads BEGIN "
    "INSERT INTO thread_search(thread_search, rowid, root_text) "
    f"SELECT 'delete', old.id, old.root_text WHERE {INDEXED}; "
    f"UPDATE thread_search_progress SET indexed_upto = {HIGHEST} WHERE indexed_upto > {HIGHEST}; "
    "END",
    "CREATE TRIGGER threads_search_update AFTER UPDATE OF root_text ON threads "
    f"WHEN old.root_text IS NOT new.root_text AND {INDEXED} BEGIN "
    "INSERT INTO thread_search(thread_search, rowid, root_text) "
    "VALUES ('delete', old.id, old.root_text); "
    "INSERT INTO thread_search(rowid, root_text) VALUES (new.id, new.root_text); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER threads_search_update",
    "DROP TRIGGER threads_search_delete",
    "DROP TABLE thread_search_progress",
    "CREATE TRIGGER threads_search_insert AFTER INSERT ON threads BEGIN "
    "INSERT INTO thread_search(rowid, root_text) VALUES (new.id, new.root_text); END",
    "CREATE TRIGGER threads_search_delete AFTER DELETE ON threads BEGIN "
    "INSERT INTO thread_search(thread_search, rowid, root_text) "
    "VALUES ('delete', old.id, old.root_text); END",
    "CREATE TRIGGER threads_search_update AFTER UPDATE OF root_text ON threads "
    "WHEN old.root_text IS NOT new.root_text BEGIN "
    "INSERT INTO thread_search(thread_search, rowid, root_text) "
    "VALUES ('delete', old.id, old.root_text); "
    "INSERT INTO thread_search(rowid, root_text) VALUES (new.id, new.root_text); END",
    "INSERT INTO thread_search(thread_search) VALUES ('rebuild')",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
