"""Scheduled work: module-level job functions and the APScheduler that runs them.

Every thread keeps its next timed action (check-in, reminder, breach, escalation) in the
database (``threads.next_due_at``). APScheduler holds one job, kept in its SQLAlchemy job store
in the same database, armed at the earliest of those times: when it runs, :func:`due_timers`
takes every action that has come due and arms the job again at the next earliest time.

So a new thread whose first deadline is later than the armed one costs no job-store write,
and the database alone decides whether an action was already taken: a job that runs twice,
late, or after a restart does each action exactly once. APScheduler stores a *reference* to
the job function, so it is a plain module function that finds the running bot through
:data:`_host` (set by the composition root when it starts).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobSubmissionEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from watchstander.domain.durations import parse_schedule

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
JOB_ID = "watchstander:due-timers"
HANDOFF_JOB_ID = "watchstander:handoff"


class Host(Protocol):
    """What the jobs run: the running bot (the composition root)."""

    def may_run(self) -> bool: ...

    def due_timers(self) -> None: ...

    def handoff_due(self) -> None: ...

    def run_scheduled(self, job: str) -> None: ...


_host: Host | None = None


def install(host: Host | None) -> None:
    """Point the job functions at the running bot (None when it stops)."""
    global _host
    _host = host


def _running(what: str) -> Host | None:
    """The bot, if it is up and may run scheduled work now (it holds the lease: see
    :mod:`watchstander.lease`); None, said in the log, when not."""
    host = _host
    if host is None:
        log.warning("the %s job ran before the bot was ready", what)
        return None
    if not host.may_run():
        log.warning("the %s job did not run: this process no longer holds the lease", what)
        return None
    return host


def due_timers() -> None:
    """Take every timed action that has come due, then arm the job at the next one."""
    host = _running("timer")
    if host is not None:
        host.due_timers()


def scheduled(job: str) -> None:
    """A cron job (the weekly review, the daily digest, the GitHub poll), if the bot is up."""
    host = _running(job)
    if host is not None:
        host.run_scheduled(job)


def handoff_timer() -> None:
    """The person on call may have changed: announce it, then look again at the next one."""
    host = _running("handoff")
    if host is not None:
        host.handoff_due()


class Scheduler:
    """The APScheduler, with its jobs kept in the bot's own database.

    It runs only while this process leads (`lead`; on PostgreSQL: while it holds the lease);
    until then, and after `follow`, arming changes nothing and the cron jobs are only noted,
    to be set when it leads. A process that leads again gets a new APScheduler (one that
    was shut down cannot start again).
    """

    def __init__(
        self, engine: Engine, timezone: Any = UTC, writer: AbstractContextManager[Any] | None = None
    ) -> None:
        # On SQLite the job store's writes take the store's writer lock, so the next event's
        # transaction waits on a Python lock instead of SQLite's sleeping busy handler.
        self._writer = writer if writer is not None else contextlib.nullcontext()
        self._engine, self._timezone = engine, timezone
        self._lock = threading.Lock()
        self._armed_at: datetime | None = None
        self._leading = False
        self._cron: dict[str, tuple[str, Any]] = {}  # job -> (spec, time zone)
        self._every: dict[str, timedelta] = {}
        self._listeners: list[Callable[[], None]] = []
        self._scheduler = self._new()

    def _new(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self._engine, tablename=JOB_TABLE)},
            # Runs may overlap (an earlier deadline armed while a run is going): they are safe
            # together, and a run skipped for "max instances" would drop the armed time.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 4},
            timezone=self._timezone,
        )
        for callback in self._listeners:
            scheduler.add_listener(
                lambda _event, call=callback: call(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
            )
        return scheduler

    @property
    def leading(self) -> bool:
        return self._leading

    def lead(self) -> None:
        """Start running the jobs (this process leads), with the cron jobs noted so far."""
        with self._lock:
            if self._leading:
                return
            self._scheduler.start()
            self._leading, self._armed_at = True, None
        for job, (spec, timezone) in list(self._cron.items()):
            self._set_cron(job, spec, timezone)
        for job, every in list(self._every.items()):
            self._set_every(job, every)

    def follow(self) -> None:
        """Stop running the jobs (another process leads now, or this one stops)."""
        with self._lock:
            self._leading, self._armed_at = False, None
            scheduler, self._scheduler = self._scheduler, self._new()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    def start(self) -> None:
        self.lead()

    def shutdown(self) -> None:
        self.follow()

    def set(self, channel: str, root_ts: str, at: datetime | None) -> None:
        """A thread's next action is due at ``at``: arm the job if that comes first.

        A later time, or none, changes nothing here: the job runs at the earlier time, finds
        nothing due for that thread, and arms itself at the next time the database holds.
        """
        if at is not None:
            self.arm(at)

    def arm(self, at: datetime | None) -> None:
        """Run the job at ``at`` unless it is known to be armed at an earlier time."""
        if at is None:
            return
        with self._lock:
            if not self._leading:
                return
            if self._armed_at is not None and self._armed_at <= at:
                return
            self._add(at)

    def take_due(self, run: Callable[[], object], earliest: Callable[[], datetime | None]) -> None:
        """The timer job's work: ``run`` the due actions, then arm at the ``earliest`` next
        one the database holds (also when ``run`` failed: nothing may be left unarmed)."""
        self.disarm()
        try:
            run()
        finally:
            self.settle(earliest())

    def disarm(self) -> None:
        """Forget the armed time (the job is running): every ``arm`` until ``settle`` arms."""
        with self._lock:
            self._armed_at = None

    def settle(self, at: datetime | None) -> None:
        """After a run and at start-up: arm at ``at`` unless the job store holds an earlier
        run. The job store is read here, never on the hot path."""
        with self._lock:
            if not self._leading:
                return
            job = self._scheduler.get_job(JOB_ID)
            current: datetime | None = None if job is None else job.next_run_time
            if at is None or (current is not None and current <= at):
                self._armed_at = current
                return
            self._add(at)

    def _add(self, at: datetime) -> None:
        with self._writer:
            self._scheduler.add_job(
                due_timers, "date", run_date=at, id=JOB_ID, replace_existing=True
            )
        self._armed_at = at

    def arm_handoff(self, at: datetime | None) -> None:
        """Look at who is on call again at ``at`` (the next handoff or override edge)."""
        with self._lock:
            if not self._leading:
                return
            job = self._scheduler.get_job(HANDOFF_JOB_ID)
            if (None if job is None else job.next_run_time) == at:
                return  # armed there already: no write
            with self._writer:
                if at is None:
                    with contextlib.suppress(JobLookupError):
                        self._scheduler.remove_job(HANDOFF_JOB_ID)
                    return
                self._scheduler.add_job(
                    handoff_timer, "date", run_date=at, id=HANDOFF_JOB_ID, replace_existing=True
                )

    def set_cron(self, job: str, spec: str, timezone: Any) -> datetime | None:
        """Run :func:`scheduled` for ``job`` on ``spec`` (``mon 10:00``); its next run.
        Noted, and set when this process leads."""
        self._cron[job] = (spec, timezone)
        if self._leading:
            return self._set_cron(job, spec, timezone)
        return _trigger(spec, timezone).get_next_fire_time(None, datetime.now(UTC))  # type: ignore[no-any-return]

    def _set_cron(self, job: str, spec: str, timezone: Any) -> datetime | None:
        """The job as stored, when it is already there on the same schedule: a run that fell
        due while no process led is still due, and runs now (once: ``coalesce``)."""
        trigger, job_id = _trigger(spec, timezone), f"watchstander:{job}"
        stored = self._scheduler.get_job(job_id)
        if stored is not None and repr(stored.trigger) == repr(trigger):
            return stored.next_run_time  # type: ignore[no-any-return]
        with self._writer:
            made = self._scheduler.add_job(
                scheduled, trigger, args=[job], id=job_id, replace_existing=True
            )
        return made.next_run_time  # type: ignore[no-any-return]

    def catch_up(self, now: datetime, within: timedelta) -> list[str]:
        """Run at once the cron jobs whose time came in the ``within`` before ``now``: a
        holder that died or lost the lease may have let them pass (its APScheduler moves a
        job on before it runs it). Each runs once a day anyway (see ``App.run_scheduled``)."""
        due = []
        for job, (spec, timezone) in list(self._cron.items()):
            at = _trigger(spec, timezone).get_next_fire_time(None, now - within)
            if at is None or at > now or not self._leading:
                continue
            due.append(job)
            with self._writer:
                self._scheduler.add_job(
                    scheduled, "date", args=[job], id=f"watchstander:{job}:catch-up",
                    replace_existing=True,
                )  # fmt: skip
        return due

    def set_every(self, job: str, every: timedelta) -> None:
        """Run :func:`scheduled` for ``job`` every ``every`` (polls); set when this leads."""
        self._every[job] = every
        if self._leading:
            self._set_every(job, every)

    def _set_every(self, job: str, every: timedelta) -> None:
        with self._writer:
            self._scheduler.add_job(
                scheduled,
                "interval",
                seconds=int(every.total_seconds()),
                args=[job],
                id=f"watchstander:{job}",
                replace_existing=True,
            )

    def when_job_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each run of the job, whether it succeeded or failed."""
        self._listeners.append(callback)
        self._scheduler.add_listener(
            lambda _event: callback(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )

    def when_job_late(
        self, callback: Callable[[str, float], None], clock: Callable[[], datetime]
    ) -> None:
        """Call ``callback(job, seconds)`` as each job starts: how long after the time it was
        scheduled for (the earliest, when missed runs were coalesced)."""

        def submitted(event: JobSubmissionEvent) -> None:
            due = min(event.scheduled_run_times, default=None)
            if due is not None:
                job = str(event.job_id).removeprefix("watchstander:")
                callback(job, (clock() - due).total_seconds())

        self._scheduler.add_listener(submitted, EVENT_JOB_SUBMITTED)

    @property
    def armed_at(self) -> datetime | None:
        if not self._leading:
            return None
        job = self._scheduler.get_job(JOB_ID)
        return None if job is None else job.next_run_time


def _trigger(spec: str, timezone: Any) -> CronTrigger:
    days, hour, minute = parse_schedule(spec)
    return CronTrigger(day_of_week=days, hour=hour, minute=minute, timezone=timezone)
