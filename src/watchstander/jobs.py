"""Scheduled work: module-level job functions and the APScheduler that runs them.

APScheduler stores a *reference* to each job function in its SQLAlchemy job store, so jobs are
plain module functions that find the running service through :data:`_runtime` (set when the
plugin activates). Each thread has at most one job, ``thread:<channel>:<root ts>``, due at the
thread's next timed action. The database decides whether the action was already taken, so a
job that runs twice, late, or after a restart does each action exactly once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from watchstander.services.triage import TriageService

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"


@dataclass
class Runtime:
    triage: TriageService
    clock: Callable[[], datetime]


_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Point the job functions at the running services (None when the plugin stops)."""
    global _runtime
    _runtime = runtime


def thread_timer(channel: str, root_ts: str) -> None:
    """Take the due timed actions of one thread (check-in, reminder, breach, escalation)."""
    runtime = _runtime
    if runtime is None:
        log.warning("thread timer for %s/%s ran before the bot was ready", channel, root_ts)
        return
    runtime.triage.on_timer(channel, root_ts, runtime.clock())


def job_id(channel: str, root_ts: str) -> str:
    return f"thread:{channel}:{root_ts}"


class Scheduler:
    """The APScheduler, with its jobs kept in the bot's own database."""

    def __init__(
        self, engine: Engine, timezone: Any = UTC, writer: AbstractContextManager[Any] | None = None
    ) -> None:
        # On SQLite the job store's writes take the store's writer lock, so the next event's
        # transaction waits on a Python lock instead of SQLite's sleeping busy handler.
        self._writer = writer if writer is not None else contextlib.nullcontext()
        self._scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=timezone,
        )

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def set(self, channel: str, root_ts: str, at: datetime | None) -> None:
        """Due at ``at`` (replacing the old time), or no job when ``at`` is None."""
        ident = job_id(channel, root_ts)
        with self._writer:
            if at is None:
                with contextlib.suppress(JobLookupError):
                    self._scheduler.remove_job(ident)
                return
            self._scheduler.add_job(
                thread_timer,
                "date",
                run_date=at,
                args=[channel, root_ts],
                id=ident,
                replace_existing=True,
            )

    def reconcile(self, pending: list[tuple[str, str, datetime]]) -> int:
        """Make every thread's job due when the database says (after a restart or a crash).

        The database is the truth: a job that is missing, or due at another time (the bot
        stopped between deciding and rescheduling), is set again.
        """
        fixed = 0
        for channel, root_ts, at in pending:
            job = self._scheduler.get_job(job_id(channel, root_ts))
            if job is None or job.next_run_time is None or job.next_run_time != at:
                fixed += 1
                self.set(channel, root_ts, at)
        return fixed

    def job_times(self) -> dict[str, datetime]:
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}
