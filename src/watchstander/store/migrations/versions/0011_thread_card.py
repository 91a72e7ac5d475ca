"""the bot's first reply in an urgent or emergency thread, updated in place (issue 14)

Threads announced before have no card: their first reply stays as it was said.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("threads", sa.Column("card_ts", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("threads") as batch:  # SQLite before 3.35 has no DROP COLUMN
        batch.drop_column("card_ts")
