"""events: the orphan and reaction indexes hold only the rows they are for

Reactions waiting for their message (``thread_id IS NULL``) and reactions (``reaction <> ''``)
are few among the events; every post and reply wrote to both indexes all the same.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ORPHANS = "thread_id IS NULL"
REACTIONS = "reaction <> ''"


def upgrade() -> None:
    op.drop_index("ix_events_orphans", "events")
    op.create_index(
        "ix_events_orphans",
        "events",
        ["channel", "item_ts"],
        sqlite_where=sa.text(ORPHANS),
        postgresql_where=sa.text(ORPHANS),
    )
    op.drop_index("ix_events_reaction_at", "events")
    op.create_index(
        "ix_events_reaction_at",
        "events",
        ["reaction", "at"],
        sqlite_where=sa.text(REACTIONS),
        postgresql_where=sa.text(REACTIONS),
    )


def downgrade() -> None:
    op.drop_index("ix_events_reaction_at", "events")
    op.create_index("ix_events_reaction_at", "events", ["reaction", "at"])
    op.drop_index("ix_events_orphans", "events")
    op.create_index("ix_events_orphans", "events", ["channel", "item_ts"])
