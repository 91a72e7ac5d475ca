"""messages decided and not yet said, kept until they are (issue 15)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import watchstander.store

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effect", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=128), nullable=False),
        sa.Column("taken_at", watchstander.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_owed_taken_at", "owed", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_owed_taken_at", table_name="owed")
    op.drop_table("owed")
