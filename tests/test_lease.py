"""The lease on scheduled work, on a real database (SQLite, and PostgreSQL when set), driven by
a clock passed in: taken by one, renewed, taken over after its holder stops renewing, fenced
for a holder that wakes after losing it; and SQLite's one-process lock, across processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import NOW

from watchstander.lease import (
    Lease,
    SecondProcess,
    gone_here,
    hold_file,
    let_go_file,
    sqlite_path,
)
from watchstander.store import Store

LENGTH = timedelta(seconds=15)


class Seen:
    """What a lease told its process: gained, lost, kept (with when)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    def lease(self, store: Store, holder: str) -> Lease:
        return Lease(
            store,
            holder,
            LENGTH,
            gained=lambda now: self.calls.append(("gained", now)),
            lost=lambda now: self.calls.append(("lost", now)),
            kept=lambda now: self.calls.append(("kept", now)),
        )

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]


def s(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_one_holds_the_other_takes_over_after_expiry_and_the_old_one_is_fenced(
    store: Store,
) -> None:
    seen_a, seen_b = Seen(), Seen()
    a, b = seen_a.lease(store, "host-a:1"), seen_b.lease(store, "host-b:2")
    assert a.tick(s(0))
    assert not b.tick(s(0))
    assert (a.generation, b.generation) == (1, None)
    assert a.tick(s(5))
    assert a.held(s(6))
    assert not b.tick(s(10))
    assert not b.held(s(10))
    # a stops renewing (killed, or paused): at its expiry (5 + 15 s) b takes over
    assert not b.tick(s(19.9))
    assert b.tick(s(20))
    assert b.generation == 2
    assert seen_b.kinds() == ["gained"]
    # a wakes: before it ticks, each of its jobs asks the fence, which says no even by a
    # clock that is behind (the database holds another holder and generation)
    assert not a.held(s(19.9))
    assert not a.held(s(21))
    assert not a.tick(s(21))
    assert seen_a.kinds() == ["gained", "kept", "lost"]
    assert a.generation is None
    assert b.held(s(21))
    with store.transaction() as tx:
        found = tx.lease("scheduler")
    assert found is not None
    assert (found.holder, found.generation, found.expires_at) == ("host-b:2", 2, s(35))


def test_a_released_lease_is_taken_at_once_and_a_lease_never_held_is_not_released(
    store: Store,
) -> None:
    seen_a, seen_b = Seen(), Seen()
    a, b = seen_a.lease(store, "a"), seen_b.lease(store, "b")
    b.release(s(0))  # never held: nothing written
    assert a.tick(s(0))
    a.release(s(1))
    assert not a.held(s(1))
    assert b.tick(s(1))
    assert b.generation == 2
    assert seen_a.kinds() == ["gained"]  # a stopping is not a loss


def test_a_holder_that_lost_and_took_it_again_starts_afresh(store: Store) -> None:
    """Between two ticks of a (paused), b took the lease and let it go: a's next tick takes
    a new generation, so it says lost (what it armed is stale) and gained again."""
    seen_a, seen_b = Seen(), Seen()
    a, b = seen_a.lease(store, "a"), seen_b.lease(store, "b")
    assert a.tick(s(0))
    assert b.tick(s(15))
    b.release(s(16))
    assert a.tick(s(17))
    assert a.generation == 3
    assert seen_a.kinds() == ["gained", "lost", "gained"]


def test_the_renewal_loop_ends_when_stopping_is_set(store: Store) -> None:
    seen = Seen()
    lease = seen.lease(store, "a")
    stopping = threading.Event()
    stopping.set()
    lease.run(lambda: NOW, stopping)  # returns at once, without a tick
    assert seen.calls == []
    assert lease.every == timedelta(seconds=5)


HOLDER = """
import sys
from watchstander.lease import hold_file
hold_file(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


def test_sqlite_is_one_process_per_file(tmp_path: Path) -> None:
    """A second process on the same SQLite file is refused with one line; once the first
    is gone, the file is free again; a database in memory needs no lock."""
    url = f"sqlite:///{tmp_path / 'watchstander.db'}"
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert first.stdout is not None
        assert first.stdout.readline() == b"held\n"
        with pytest.raises(SecondProcess) as refused:
            hold_file(url)
        assert str(refused.value) == (
            f"another Watchstander process uses {tmp_path / 'watchstander.db'}: SQLite is for "
            "one process (set WATCHSTANDER_DATABASE_URL to PostgreSQL to run several)"
        )
    finally:
        first.communicate(b"", timeout=30)
    lock = hold_file(url)
    try:
        assert lock == tmp_path / "watchstander.db.lock"
        assert hold_file(url) == lock  # again in the same process: nothing more
        second = subprocess.run(
            [sys.executable, "-c", HOLDER, url], input=b"", capture_output=True, timeout=60
        )
        assert second.returncode == 1
        assert b"SecondProcess: another Watchstander process uses" in second.stderr
    finally:
        let_go_file(url)
    assert hold_file("sqlite://") is None
    assert hold_file("postgresql+psycopg2://root@127.0.0.1/x") is None
    assert sqlite_path("sqlite:///:memory:") is None


def test_every_process_renews_its_heartbeat_holder_or_not_and_a_stop_forgets_it(
    store: Store,
) -> None:
    seen = Seen()
    a, b = seen.lease(store, "host-a:1:x"), seen.lease(store, "host-b:2:y")
    assert a.tick(s(0))
    assert not b.tick(s(10))  # a standby: alive all the same
    with store.transaction() as tx:
        assert tx.live_replicas(s(14)) == ["host-a:1:x", "host-b:2:y"]
        assert tx.live_replicas(s(16)) == ["host-b:2:y"]  # a stopped renewing at 0
    b.release(s(11))  # b stops: gone at once, though it never held the lease
    with store.transaction() as tx:
        assert tx.live_replicas(s(11)) == ["host-a:1:x"]


def test_a_process_of_this_host_that_is_not_running_is_gone_whatever_its_heartbeat() -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    gone_pid = int(dead.stdout)  # ended: its pid runs nothing now (or something else's)
    here = socket.gethostname()
    mine = os.getpid()
    holders = [f"{here}:{gone_pid}:a", f"{here}:{mine}:b", f"{here}:1:c", f"far:{gone_pid}:d"]
    found = gone_here(holders)
    assert f"{here}:{mine}:b" not in found  # this process (another App in it)
    assert f"{here}:1:c" not in found  # running (init)
    assert f"far:{gone_pid}:d" not in found  # another host: its heartbeat says
    assert found in ([f"{here}:{gone_pid}:a"], [])  # [] only if the pid was given again
