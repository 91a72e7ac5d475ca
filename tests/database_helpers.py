"""A PostgreSQL database made empty for a test: every table the bot makes dropped (its
schema, Alembic's version and APScheduler's jobs), so the next migration starts from nothing."""

from __future__ import annotations

from sqlalchemy import create_engine

from watchstander.store import Store


def empty_database(url: str) -> None:
    store = Store(url)
    try:
        store.drop_everything()
    finally:
        store.dispose()


def rename_table(url: str, old: str, new: str) -> None:
    """Rename a table of the database at ``url`` (a table taken away: every statement on it
    fails until it is renamed back)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER TABLE {old} RENAME TO {new}")
    finally:
        engine.dispose()
