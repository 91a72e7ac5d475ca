"""answered general questions from before GENERAL_CLOSE_AFTER: looked at once by the timer

No schema change. A general thread someone answered now closes quietly after a quiet period,
a timed action whose time the replay stores in ``next_due_at``; threads stored before had none
there. They are given a due time in the past, so that the timer replays each once at the next
start: the quiet ones close (without a word), the others get their true time, or none.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE threads SET next_due_at = created_at, next_due_kind = 'quiet_close' "
            "WHERE level = 0 AND resolved_at IS NULL AND first_response_at IS NOT NULL "
            "AND next_due_at IS NULL"
        )
    )


def downgrade() -> None:
    """Nothing to undo: a due time with nothing due is replayed away by the timer."""
