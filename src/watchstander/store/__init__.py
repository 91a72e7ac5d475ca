"""The store: the only package that speaks SQLAlchemy (typed 2.0 ORM), with its migrations.

Idempotency lives here: a unique key per Slack event (``events.event_key``), per thread
(channel + root ts), per message ts and per timed bot action (thread + kind + due time), so a
duplicated or reordered event, or a job that runs twice, changes nothing twice.

SQLite (the default, in WAL mode) serialises writers in this process with one lock; PostgreSQL
takes a row lock on the thread (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

from watchstander.store.engine import MIGRATIONS, Store, StoreError, first_line
from watchstander.store.models import (
    ActionRow,
    AuditRow,
    Base,
    ClaimRow,
    EventRow,
    HandoffRow,
    IssueRow,
    MessageRow,
    OverrideRow,
    PageRow,
    RotationRow,
    ThreadRow,
    UTCDateTime,
)
from watchstander.store.replicas import ONE_PROCESS
from watchstander.store.tx import Tx

__all__ = [
    "MIGRATIONS",
    "ONE_PROCESS",
    "ActionRow",
    "AuditRow",
    "Base",
    "ClaimRow",
    "EventRow",
    "HandoffRow",
    "IssueRow",
    "MessageRow",
    "OverrideRow",
    "PageRow",
    "RotationRow",
    "Store",
    "StoreError",
    "ThreadRow",
    "Tx",
    "UTCDateTime",
    "first_line",
]
