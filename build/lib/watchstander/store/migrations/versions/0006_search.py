"""full-text search over root posts; threads by posting time and level, open urgent threads
by time, reactions by name and time

SQLite: an FTS5 table over threads.root_text (external content, kept by triggers that fire
only when the text changes). PostgreSQL: a stored tsvector column with a GIN index.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE thread_search USING fts5(root_text, content='threads', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
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
SQLITE_DOWN = (
    "DROP TRIGGER threads_search_update",
    "DROP TRIGGER threads_search_delete",
    "DROP TRIGGER threads_search_insert",
    "DROP TABLE thread_search",
)
POSTGRES_UP = (
    "ALTER TABLE threads ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, left(coalesce(root_text, ''), 20000))) STORED",
    "CREATE INDEX ix_threads_search ON threads USING gin (search)",
)
POSTGRES_DOWN = ("DROP INDEX ix_threads_search", "ALTER TABLE threads DROP COLUMN search")


def upgrade() -> None:
    # open threads by due time, as a partial index: the old (resolved_at, next_due_at) one
    # looked selective to SQLite (most resolved_at values are distinct) and was picked for
    # every "open" query, reading all the open general questions of a year
    op.drop_index("ix_threads_open_due", "threads")
    op.create_index(
        "ix_threads_open_due",
        "threads",
        ["next_due_at"],
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index("ix_threads_posted", "threads", ["posted_at", "level"])
    op.create_index(
        "ix_threads_open_loud",
        "threads",
        ["posted_at"],
        sqlite_where=sa.text("resolved_at IS NULL AND level >= 1"),
        postgresql_where=sa.text("resolved_at IS NULL AND level >= 1"),
    )
    op.create_index("ix_events_reaction_at", "events", ["reaction", "at"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UP if sqlite else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWN if sqlite else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_index("ix_events_reaction_at", "events")
    op.drop_index("ix_threads_open_due", "threads")
    op.create_index("ix_threads_open_due", "threads", ["resolved_at", "next_due_at"])
    op.drop_index("ix_threads_open_loud", "threads")
    op.drop_index("ix_threads_posted", "threads")
