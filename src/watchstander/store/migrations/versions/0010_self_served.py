"""self-served questions and things done once (issue 14)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchstander.store

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "self_served",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("at", watchstander.store.UTCDateTime(), nullable=False),
        sa.Column("user", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("answer_thread_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"]),
        sa.ForeignKeyConstraint(["answer_thread_id"], ["threads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_self_served_at"), "self_served", ["at"], unique=False)
    op.create_table(
        "once",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("at", watchstander.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("once")
    op.drop_index(op.f("ix_self_served_at"), table_name="self_served")
    op.drop_table("self_served")
