"""who took each piece of work, and the processes alive (issue 15: interrupted work is
finished, not waited out)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchstander.store

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TAKEN = ("issues", "pages", "once", "pending_questions")


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("started_at", watchstander.store.UTCDateTime(), nullable=False),
        sa.Column("expires_at", watchstander.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("holder"),
    )
    for table in TAKEN:  # NULL: taken before this version (by a process now gone)
        op.add_column(table, sa.Column("taken_by", sa.String(length=128), nullable=True))
    op.add_column("once", sa.Column("done_at", watchstander.store.UTCDateTime(), nullable=True))


def downgrade() -> None:  # SQLite before 3.35 has no DROP COLUMN: batches
    with op.batch_alter_table("once") as batch:
        batch.drop_column("done_at")
    for table in TAKEN:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("taken_by")
    op.drop_table("replicas")
