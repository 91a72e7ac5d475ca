"""what resolved threads are about, as a sentence model's vectors (issue 14's meaning extra)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchstander.store

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

RESOLVED = "resolved_at IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "meanings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("resolved_at", watchstander.store.UTCDateTime(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thread_id"),
        sqlite_autoincrement=True,  # a replaced row's id is never given out again
    )
    op.create_index(
        "ix_threads_resolved",
        "threads",
        ["resolved_at"],
        sqlite_where=sa.text(RESOLVED),
        postgresql_where=sa.text(RESOLVED),
    )


def downgrade() -> None:
    op.drop_index("ix_threads_resolved", table_name="threads")
    op.drop_table("meanings")
