"""Replicas (issue 15): two Watchstander processes on one PostgreSQL database against one,
and the failover when the holder of the lease on scheduled work is killed.

Every bot is the real Errbot + Watchstander Slack backend in a subprocess, against a fresh
`LocalSlack` that gives each Socket Mode envelope to one of the app's connections in turn
and enforces Slack's limits (``chat.postMessage``: one a second per channel, a burst of
five); the bots keep their default pace (``WATCHSTANDER_SLACK_PACE`` unset). The schema is
emptied before each setup. Figures, in one run:

- Latency: urgent posts one at a time, each posted once the last is answered and at least
  ``--gap`` seconds after it (a little under Slack's pace, so the figure is the bots' work,
  not the pace's queue): post -> first threaded reply, median and p95.
- Burst: ``--burst`` urgent posts at once, until every one is answered (Slack's pace is the
  floor here): the drain, 429s, lost and duplicated replies, threads stored.
- The two setups alternate, one replica then two, ``--pairs`` times; the ratios two/one
  (target ≤ 1.1x for the median latency and the drain) pool the samples of each setup.
- Failover: two replicas; an urgent thread claimed so that its check-in falls due a few
  seconds later; the lease's holder killed with SIGKILL; the time from the kill to the
  check-in the survivor posts, as the server records it (target < 30 s with the default
  lease of 15 s). The killed one comes back as a follower, and the next round kills the
  holder again, ``--rounds`` times. Posts and the claim are dated in the past (as the
  end-to-end tests do), so the check-in is due without waiting 30 minutes.

    python -m bench.replicas [--postgres URL] [--pairs 2] [--posts 30] [--burst 40]
                             [--rounds 3] [--lease 15s]

``--postgres`` defaults to WATCHSTANDER_TEST_DATABASE_URL; its tables are dropped. Without
either, the bench says so and does nothing. Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.harness import (
    CONNECT_TIMEOUT,
    POSTER,
    ROOT,
    SUPPORT,
    Bot,
    BotFailed,
    begin,
    is_reply,
    wait_reply,
)
from bench.slack_scale import Burst, measure_burst
from bench.triage_latency import ONCALL_TAG, percentile, ratio, urgent_text
from watchstander.store import Base, Store
from watchstander_sandbox.slack import Call, LocalSlack

RESULTS = ROOT / "bench" / "results" / "replicas.json"
TARGET = 1.1  # two replicas / one: median latency and burst drain
FAILOVER_TARGET = 30.0  # seconds from the kill to the survivor's check-in
DEV = "U0DAVE"
CHECKIN = "how is it going"
UPDATE_INTERVAL = timedelta(minutes=30)  # the bots' default: a check-in 30 m after a claim
DUE_IN = 5.0  # the check-in falls due this long after the claim is sent
PAST = {"CLAIM_TARGET": "2h", "RESPONSE_TARGET": "3h"}  # no reminder before the check-in
REPLY_TIMEOUT = 30.0
IGNORED = {"type": "user_typing", "channel": SUPPORT, "user": POSTER}  # no handler: dropped
FAILOVER_TIMEOUT = 120.0


def empty_database(url: str) -> None:
    """Every table the bot makes dropped (as the tests do), so its migrations start afresh."""
    store = Store(url)
    with store.engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
    store.dispose()


def connections(count: int) -> Callable[[LocalSlack], bool]:
    return lambda slack: slack.connections >= count


@contextmanager
def replicas(
    data: Path, url: str, count: int, env: dict[str, str] | None = None
) -> Iterator[tuple[LocalSlack, list[Bot]]]:
    """A fresh server, the schema emptied, and ``count`` bots on ``url`` started one after
    the other; Slack's limits enforced once all answer. All stopped on the way out."""
    empty_database(url)
    slack = LocalSlack().start()
    full = {"WATCHSTANDER_DATABASE_URL": url, "WATCHSTANDER_SLACK_PACE": "", **(env or {})}
    bots = [
        Bot(slack, data / f"replica-{n}", None, full, label=f"replica-{n}")
        for n in range(1, count + 1)
    ]
    try:
        for n, bot in enumerate(bots, start=1):
            bot.data.mkdir(parents=True, exist_ok=True)
            bot.start()  # its probe may be answered by another replica: wait for its socket
            if not slack.wait_for(connections(n), CONNECT_TIMEOUT):
                raise BotFailed(f"{bot.name}: {slack.connections} connections, not {n}")
        slack.slack_limits()  # from here: the start-up's calls leave every bucket full
        yield slack, bots
        bots[0].settle()
    finally:
        try:
            for bot in bots:
                bot.stop()
        finally:
            slack.stop()


def stored_threads(url: str, stamps: list[str]) -> int:
    store = Store(url)
    try:
        with store.transaction() as tx:
            return sum(tx.thread(SUPPORT, ts) is not None for ts in stamps)
    finally:
        store.dispose()


# ------------------------------------------------------------------- one replica against two


@dataclass
class Block:
    replicas: int
    latency_s: list[float] = field(default_factory=list)
    latency_429s: int = 0
    latency_split: list[int] = field(default_factory=list)  # posts to each connection
    burst: Burst | None = None
    burst_split: list[int] = field(default_factory=list)
    stored: int | None = None

    @property
    def ok(self) -> bool:
        b = self.burst
        return b is None or (b.ok and b.lost == 0 and self.stored == b.replied)


def measure_latency(slack: LocalSlack, posts: int, warmup: int, gap: float) -> list[float]:
    """Urgent posts one at a time, at most one per ``gap`` seconds: post -> first reply.

    The server gives envelopes to the connections in turn, and each post brings two (the
    post, then the echo of the bot's reply), so every post would reach the same replica: an
    event the bot ignores is pushed first when needed, so that the posts alternate between
    two connections. The one-replica setup gets the same events."""
    seconds: list[float] = []
    pause = threading.Event()
    last, previous = 0.0, -1
    for i in range(warmup + posts):
        pause.wait(max(0.0, last + gap - time.monotonic()))
        if (len(slack.envelopes) - previous) % 2 == 0:
            slack.push_event(IGNORED)
        previous = len(slack.envelopes)
        last = time.monotonic()
        since = len(slack.calls)
        start = time.time()
        ts = slack.post(POSTER, SUPPORT, urgent_text(i))
        reply = wait_reply(slack, ts, since, REPLY_TIMEOUT)
        if reply is None:
            raise BotFailed(f"no reply to post {i} in {REPLY_TIMEOUT:.0f} s")
        if i >= warmup:
            seconds.append(reply.at - start)
    return seconds


def split(slack: LocalSlack, since: int) -> list[int]:
    """How the urgent posts among the envelopes from ``since`` on were shared between two
    connections (the server's turn: envelope k to connection k mod 2)."""
    shares = [0, 0]
    for k, envelope in enumerate(slack.envelopes[since:], start=since):
        event = envelope["payload"].get("event") or {}
        if event.get("user") == POSTER and str(event.get("text")).startswith(ONCALL_TAG):
            shares[k % 2] += 1
    return shares


def measure_block(data: Path, url: str, count: int, args: argparse.Namespace) -> Block:
    block = Block(count)
    with replicas(data, url, count) as (slack, bots):
        limited, envelopes = len(slack.limited), len(slack.envelopes)
        block.latency_s = measure_latency(slack, args.posts, args.warmup, args.gap)
        bots[0].settle()
        block.latency_429s = len(slack.limited) - limited
        block.latency_split = split(slack, envelopes)
        if args.burst:
            before, envelopes = len(slack.calls), len(slack.envelopes)
            block.burst = measure_burst(slack, bots[0], args.burst, args.timeout)
            block.burst_split = split(slack, envelopes)
            # the burst's roots that were answered (the lost are counted by the burst)
            roots = {str(c.params["thread_ts"]) for c in slack.calls[before:] if is_reply(c)}
            block.stored = stored_threads(url, sorted(roots))
        if any(bot.exited for bot in bots):
            raise BotFailed(f"a replica exited\n{bots[0].log_tail()}")
    return block


# ---------------------------------------------------------------------------------- failover


@dataclass
class Failover:
    round: int
    killed_pid: int
    kill_to_checkin_s: float | None = None
    kill_to_takeover_s: float | None = None  # the survivor's `taken_at`, by its clock
    due_to_checkin_s: float | None = None
    early: bool = False  # the check-in came before the kill: the round measured nothing
    checkins: int = 0


def lease_row(url: str) -> tuple[str, datetime] | None:
    """The scheduler lease's holder and when it took it."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT holder, taken_at FROM leases WHERE name = 'scheduler'")
            ).first()
    finally:
        store.dispose()
    if row is None:
        return None
    taken = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
    return str(row[0]), taken


def holder_pid(url: str, timeout: float = 30.0) -> int:
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while (row := lease_row(url)) is None:
        if time.monotonic() > deadline:
            raise BotFailed(f"no lease holder within {timeout:.0f} s")
        pause.wait(0.1)
    return int(row[0].split(":")[1])


def checkin_calls(slack: LocalSlack, root: str) -> list[Call]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("thread_ts") == root and CHECKIN in str(c.params.get("text"))
    ]


def said_in(slack: LocalSlack, root: str) -> int:
    return sum(c.params.get("thread_ts") == root for c in slack.calls_to("chat.postMessage"))


def failover_round(n: int, slack: LocalSlack, bots: list[Bot], url: str) -> Failover:
    pid = holder_pid(url)
    leader = next((b for b in bots if b.process is not None and b.process.pid == pid), None)
    if leader is None or leader.process is None:
        raise BotFailed(f"the lease holder (pid {pid}) is none of the bots")
    past = datetime.now(UTC) - timedelta(minutes=40)
    root = slack.post(POSTER, SUPPORT, f"{urgent_text(n)} (failover {n})", at=past)
    if not slack.wait_for(lambda s: said_in(s, root) >= 1, REPLY_TIMEOUT):
        raise BotFailed(f"failover {n}: the urgent post was not answered")
    claimed_at = datetime.now(UTC) - UPDATE_INTERVAL + timedelta(seconds=DUE_IN)
    slack.react(DEV, SUPPORT, root, "eyes", at=claimed_at)
    if not slack.wait_for(lambda s: said_in(s, root) >= 2, REPLY_TIMEOUT):
        raise BotFailed(f"failover {n}: the claim was not answered")
    killed = time.time()
    leader.process.send_signal(signal.SIGKILL)
    leader.process.wait(timeout=10)
    result = Failover(n, pid)
    if slack.wait_for(lambda s: bool(checkin_calls(s, root)), FAILOVER_TIMEOUT):
        sent = checkin_calls(slack, root)[0].at
        result.early = sent < killed
        result.kill_to_checkin_s = sent - killed
        result.due_to_checkin_s = sent - (claimed_at + UPDATE_INTERVAL).timestamp()
    row = lease_row(url)
    if row is not None and int(row[0].split(":")[1]) != pid:
        result.kill_to_takeover_s = row[1].timestamp() - killed
    leader.settle()
    result.checkins = len(checkin_calls(slack, root))
    leader.process = None
    leader.start()  # back, as a follower: the next round kills the other
    return result


def measure_failover(data: Path, url: str, rounds: int, lease: str) -> list[Failover]:
    env = {**PAST, **({"WATCHSTANDER_LEASE": lease} if lease else {})}
    with replicas(data, url, 2, env) as (slack, bots):
        return [failover_round(n, slack, bots, url) for n in range(rounds)]


# ------------------------------------------------------------------------------------ report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def shares(counts: list[int]) -> str:
    return "/".join(str(n) for n in counts)


def pooled(blocks: list[Block], count: int) -> list[float]:
    return [s for b in blocks if b.replicas == count for s in b.latency_s]


def drains(blocks: list[Block], count: int) -> list[float]:
    got = [b.burst.drain_s for b in blocks if b.replicas == count and b.burst is not None]
    return [d for d in got if d is not None]


def report_blocks(blocks: list[Block]) -> tuple[list[str], dict[str, Any], bool]:
    lines: list[str] = []
    add = lines.append
    for i, b in enumerate(blocks):
        line = (
            f"replicas block {i + 1} {b.replicas} replica{'s' if b.replicas > 1 else ' '}"
            f"  latency median {ms(statistics.median(b.latency_s))}"
            f"  p95 {ms(percentile(b.latency_s, 95))}  429s {b.latency_429s}"
            + (f"  split {shares(b.latency_split)}" if b.replicas > 1 else "")
        )
        if b.burst is not None:
            u = b.burst
            drain = "n/a" if u.drain_s is None else f"{u.drain_s:6.2f} s"
            line += (
                f"  | burst {u.posts}: drain {drain}  replied {u.replied}  lost {u.lost}"
                f"  duplicated {u.duplicated}  429s {u.limited}  stored {b.stored}/{u.replied}"
                + (f"  split {shares(b.burst_split)}" if b.replicas > 1 else "")
            )
        add(line)
    figures: dict[str, Any] = {"target": TARGET}
    ok = all(b.ok for b in blocks)
    for count in (1, 2):
        lat = pooled(blocks, count)
        d = drains(blocks, count)
        figures[f"replicas_{count}"] = {
            "median_ms": statistics.median(lat) * 1000,
            "p95_ms": percentile(lat, 95) * 1000,
            "drain_s": d,
            "drain_median_s": statistics.median(d) if d else None,
        }
        add(
            f"replicas latency {count} replica{'s' if count > 1 else ' '}"
            f"  median {ms(statistics.median(lat))}  p95 {ms(percentile(lat, 95))}"
            f"  (n={len(lat)})  burst drain median "
            + ("n/a" if not d else f"{statistics.median(d):.2f} s of {len(d)}")
        )
    one, two = figures["replicas_1"], figures["replicas_2"]
    med_x = ratio(two["median_ms"], one["median_ms"])
    p95_x = ratio(two["p95_ms"], one["p95_ms"])
    drain_x = ratio(two["drain_median_s"], one["drain_median_s"])
    figures.update(ratio_median=med_x, ratio_p95=p95_x, ratio_drain=drain_x)
    add(f"replicas ratio latency median {x(med_x)}  p95 {x(p95_x)}  drain {x(drain_x)}  (two/one)")
    lat_ok = med_x is not None and med_x <= TARGET
    drain_ok = drain_x is not None and drain_x <= TARGET
    add(
        f"verdict replicas latency {'PASS' if lat_ok else 'FAIL'}: two/one median {x(med_x)}"
        f" (target ≤ {TARGET}x); p95 {x(p95_x)}"
    )
    every = "every burst post answered once and stored" if ok else "posts LOST or DOUBLED"
    add(
        f"verdict replicas burst {'PASS' if drain_ok and ok else 'FAIL'}: two/one drain"
        f" {x(drain_x)} (target ≤ {TARGET}x); {every}"
    )
    figures["blocks"] = [
        {**asdict(b), "ok": b.ok, "latency_ms": [round(s * 1000, 3) for s in b.latency_s]}
        for b in blocks
    ]
    return lines, figures, lat_ok and drain_ok and ok


def report_failover(runs: list[Failover], lease: str) -> tuple[list[str], dict[str, Any], bool]:
    lines: list[str] = []
    shown = lease or "15s (the default)"
    for r in runs:
        got = "n/a" if r.kill_to_checkin_s is None else f"{r.kill_to_checkin_s:6.2f} s"
        take = "n/a" if r.kill_to_takeover_s is None else f"{r.kill_to_takeover_s:.2f} s"
        late = "n/a" if r.due_to_checkin_s is None else f"{r.due_to_checkin_s:+.2f} s"
        lines.append(
            f"replicas failover round {r.round + 1}  SIGKILL -> check-in {got}"
            f"  (lease taken over {take}; check-in due {DUE_IN:.0f} s after the claim, sent"
            f" {late} from due)  check-ins {r.checkins}  lease {shown}"
            + ("  EARLY: sent before the kill" if r.early else "")
        )
    times = [r.kill_to_checkin_s for r in runs if r.kill_to_checkin_s is not None]
    worst = max(times) if len(times) == len(runs) and times else None
    ok = worst is not None and worst < FAILOVER_TARGET
    ok = ok and all(r.checkins == 1 and not r.early for r in runs)
    lines.append(
        f"verdict replicas failover {'PASS' if ok else 'FAIL'}: SIGKILL of the lease holder ->"
        f" the survivor's check-in, max {'n/a' if worst is None else f'{worst:.2f} s'} of"
        f" {len(runs)} (target < {FAILOVER_TARGET:.0f} s), lease {shown}; one check-in each"
    )
    figures = {
        "lease": shown,
        "target_s": FAILOVER_TARGET,
        "max_s": worst,
        "rounds": [asdict(r) for r in runs],
    }
    return lines, figures, ok


# -------------------------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    p.add_argument(
        "--postgres",
        default=os.environ.get("WATCHSTANDER_TEST_DATABASE_URL", ""),
        help="a PostgreSQL URL, its tables dropped (WATCHSTANDER_TEST_DATABASE_URL)",
    )
    p.add_argument("--pairs", type=int, default=2, help="one replica, then two: times (2)")
    p.add_argument("--posts", type=int, default=30, help="counted latency posts a block (30)")
    p.add_argument("--warmup", type=int, default=4, help="uncounted latency posts first (4)")
    p.add_argument("--gap", type=float, default=1.1, help="least seconds between posts (1.1)")
    p.add_argument("--burst", type=int, default=40, help="urgent posts at once a block (40)")
    p.add_argument("--timeout", type=float, default=300.0, help="burst timeout, s (300)")
    p.add_argument("--rounds", type=int, default=3, help="failovers (3)")
    p.add_argument("--lease", default="", help="WATCHSTANDER_LEASE for the failover (15s)")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"JSON figures ({RESULTS})")
    args = p.parse_args(argv)
    if args.pairs < 1 or args.posts < 1 or args.burst < 0 or args.rounds < 0:
        p.error("--pairs and --posts must be ≥ 1, --burst and --rounds ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load = begin("bench.replicas", argv)
    if not args.postgres:
        print("replicas skipped: no PostgreSQL (--postgres or WATCHSTANDER_TEST_DATABASE_URL)")
        return 0
    started = time.monotonic()
    blocks: list[Block] = []
    runs: list[Failover] = []
    with tempfile.TemporaryDirectory(prefix="watchstander-replicas-") as tmp:
        for pair in range(args.pairs):
            for count in (1, 2):  # alternating, so the machine's noise falls on both alike
                data = Path(tmp) / f"block-{pair}-{count}"
                blocks.append(measure_block(data, args.postgres, count, args))
                done = time.monotonic() - started
                print(f"# {count} replica(s), pair {pair + 1}, done at {done:.0f} s", flush=True)
        if args.rounds:
            runs = measure_failover(Path(tmp) / "failover", args.postgres, args.rounds, args.lease)
            print(f"# failover done at {time.monotonic() - started:.0f} s", flush=True)
    lines, figures, ok = report_blocks(blocks)
    if args.rounds:
        more, figures["failover"], failover_ok = report_failover(runs, args.lease)
        lines += more
        ok = ok and failover_ok
    print("\n".join(lines))
    print(f"# {time.monotonic() - started:.0f} s in all; figures in {args.out}")
    figures.update(
        lines=lines,
        argv=argv if argv is not None else sys.argv[1:],
        wall_s=time.monotonic() - started,
        load_at_start=load,
        load_at_end=os.getloadavg(),
        cpus=os.cpu_count(),
        python=platform.python_version(),
        at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
