"""Who runs the scheduled work: one process at a time.

On PostgreSQL any number of processes may share the database. Each handles the chat events it
receives; the scheduled work (timers, handoffs, the digest, the review, the polls) runs in
the one that holds a lease: a row in the database with its holder and an expiry, renewed
every third of its length. When the holder dies, the row expires and another takes it (and
the generation grows). A lease row, not a session's advisory lock: it can be read (who leads,
until when), it does not depend on one connection staying open (a paused process's connection
would keep an advisory lock forever; a connection pooler may hand the session to another), and
its generation fences a holder that was paused and woke up after losing it: every job first
asks `Lease.held`, which compares the holder, the generation and the expiry.

On SQLite the bot is one process: `hold_file` takes an exclusive lock on a file next to the
database, and a second process on the same file stops at start with one line.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from watchstander.store import Store, StoreError

log = logging.getLogger(__name__)

NAME = "scheduler"


class Lease:
    """This process's view of the lease on scheduled work.

    `tick` renews it (or takes it when free) and calls ``gained`` when this process begins to
    hold it, ``lost`` when it stops, ``kept`` on every renewal; `run` ticks every third of
    ``length`` until ``stopping`` is set. The clock is passed in: tests drive `tick`.
    """

    def __init__(
        self,
        store: Store,
        holder: str,
        length: timedelta,
        *,
        gained: Callable[[datetime], None],
        lost: Callable[[datetime], None],
        kept: Callable[[datetime], None] = lambda now: None,
        name: str = NAME,
    ) -> None:
        self.store, self.holder, self.length, self.name = store, holder[:128], length, name
        self._gained, self._lost, self._kept = gained, lost, kept
        self._lock = threading.Lock()
        self.generation: int | None = None  # while held
        self.expires_at: datetime | None = None

    @property
    def every(self) -> timedelta:
        return self.length / 3

    def tick(self, now: datetime) -> bool:
        """Renew or take the lease at ``now``; whether this process holds it after."""
        with self._lock:
            was = self.generation
            try:
                with self.store.transaction() as tx:  # alive (held or not), and the lease
                    tx.beat(self.holder, now, now + self.length)
                    generation = tx.take_lease(self.name, self.holder, now, now + self.length)
            except StoreError as exc:  # kept until its expiry, then given up
                log.warning("the lease could not be renewed: %s", str(exc).splitlines()[0])
                if was is not None and self.expires_at is not None and now < self.expires_at:
                    return True
                generation = None
            if generation is not None and (was is None or generation == was):
                self.generation, self.expires_at = generation, now + self.length
            else:
                self.generation, self.expires_at = None, None
        if was is not None and self.generation is None:
            log.warning("Lost the lease on scheduled work: the scheduler stops here")
            self._lost(now)
            if generation is not None:  # taken again in a new generation: begin afresh
                return self.tick(now)
            return False
        if was is None and self.generation is not None:
            log.info("Took the lease on scheduled work (generation %s)", self.generation)
            self._gained(now)
        elif self.generation is not None:
            self._kept(now)
        return self.generation is not None

    def held(self, now: datetime) -> bool:
        """The fence, asked before each job: whether this process still holds the lease it
        took (not expired at ``now``, same holder, same generation, as the database says)."""
        with self._lock:
            generation, expires_at = self.generation, self.expires_at
        if generation is None or expires_at is None or now >= expires_at:
            return False
        try:
            with self.store.transaction() as tx:
                found = tx.lease(self.name)
        except StoreError:
            return False
        return (
            found is not None
            and found.holder == self.holder
            and found.generation == generation
            and now < found.expires_at
        )

    def release(self, now: datetime) -> None:
        """Stopping: let the lease go at once, so that another need not wait for its expiry,
        and say this process is gone, so that another takes over at once what it left."""
        with self._lock:
            held, self.generation, self.expires_at = self.generation, None, None
        try:
            with self.store.transaction() as tx:
                tx.forget_replicas([self.holder])
                if held is not None:
                    tx.release_lease(self.name, self.holder, now)
        except StoreError as exc:
            log.warning("the lease could not be released: %s", str(exc).splitlines()[0])

    def run(self, clock: Callable[[], datetime], stopping: threading.Event) -> None:
        """Tick every third of the lease's length until ``stopping`` is set."""
        while not stopping.wait(self.every.total_seconds()):
            try:
                self.tick(clock())
            except Exception:  # a fault: logged, and the next tick tries again
                log.exception("the lease's tick failed")


def holder_id() -> str:
    """This process's name in the lease and on the work it takes: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def gone_here(holders: list[str], here: str | None = None) -> list[str]:
    """Of these holders (``host:pid:...``), those of this host whose process is not running:
    gone, whatever their heartbeat says (a process killed and started again at once)."""
    here, gone = here or socket.gethostname(), []
    for holder in holders:
        host, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        if host != here or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            gone.append(holder)
        except PermissionError:  # running, as another user
            continue
    return gone


class SecondProcess(Exception):
    """Another process runs on the same SQLite file."""


_held_files: dict[Path, IO[bytes]] = {}  # lock files this process holds, by path


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None: in memory, or not SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0] if "///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser().resolve()


def hold_file(url: str) -> Path | None:
    """SQLite is for one process: lock ``<database>.lock`` for as long as this process runs
    (again in the same process: nothing more). `SecondProcess` when another holds it; the
    lock file's path, or None when the URL names no file."""
    path = sqlite_path(url)
    if path is None:
        return None
    lock = path.with_name(path.name + ".lock")
    if lock in _held_files:
        return lock
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = lock.open("a+b")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SecondProcess(
            f"another Watchstander process uses {path}: SQLite is for one process "
            "(set WATCHSTANDER_DATABASE_URL to PostgreSQL to run several)"
        ) from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    _held_files[lock] = handle
    return lock


def holds_file(url: str) -> bool:
    """Whether this process holds ``hold_file``'s lock for ``url`` already."""
    path = sqlite_path(url)
    return path is not None and path.with_name(path.name + ".lock") in _held_files


def let_go_file(url: str) -> None:
    """Release ``hold_file``'s lock (tests; a process's exit releases it by itself)."""
    path = sqlite_path(url)
    if path is None:
        return
    handle = _held_files.pop(path.with_name(path.name + ".lock"), None)
    if handle is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
