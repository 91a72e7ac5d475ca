"""A PostgreSQL database made empty for a test: every table the bot makes dropped (its
schema, Alembic's version and APScheduler's jobs), so the next migration starts from nothing."""

from __future__ import annotations

from sqlalchemy import text

from watchstander.store import Base, Store


def empty_database(url: str) -> None:
    store = Store(url)
    with store.engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    store.dispose()
