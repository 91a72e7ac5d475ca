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
- Failover (bench/failover.py): SIGKILL of the lease's holder -> the check-in the survivor
  posts, ``--rounds`` times (target < 30 s, with the default lease of 15 s).

    python -m bench.replicas [--postgres URL] [--pairs 2] [--posts 30] [--burst 40]
                             [--rounds 5] [--lease 15s]

``--postgres`` defaults to WATCHSTANDER_TEST_DATABASE_URL; its tables are dropped. Without
either, the bench says so and does nothing. Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.failover import Failover, measure_failover, report_failover
from bench.harness import (
    POSTER,
    ROOT,
    SUPPORT,
    BotFailed,
    begin,
    is_reply,
    run_facts,
    running_replicas,
    wait_reply,
)
from bench.slack_scale import Burst, measure_burst
from bench.triage_latency import ONCALL_TAG, percentile, ratio, urgent_text
from watchstander.store import Store
from watchstander_sandbox.slack import LocalSlack

RESULTS = ROOT / "bench" / "results" / "replicas.json"
TARGET = 1.1  # two replicas / one: median latency and burst drain
REPLY_TIMEOUT = 30.0
IGNORED = {"type": "user_typing", "channel": SUPPORT, "user": POSTER}  # no handler: dropped


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
    with running_replicas(data, url, count) as (slack, bots):
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
    bursts = any(b.burst is not None for b in blocks)
    drain_ok = not bursts or (drain_x is not None and drain_x <= TARGET)
    add(
        f"verdict replicas latency {'PASS' if lat_ok else 'FAIL'}: two/one median {x(med_x)}"
        f" (target ≤ {TARGET}x); p95 {x(p95_x)}"
    )
    every = "every burst post answered once and stored" if ok else "posts LOST or DOUBLED"
    if bursts:
        add(
            f"verdict replicas burst {'PASS' if drain_ok and ok else 'FAIL'}: two/one drain"
            f" {x(drain_x)} (target ≤ {TARGET}x); {every}"
        )
    figures["blocks"] = [
        {**asdict(b), "ok": b.ok, "latency_ms": [round(s * 1000, 3) for s in b.latency_s]}
        for b in blocks
    ]
    return lines, figures, lat_ok and drain_ok and ok


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
    p.add_argument("--rounds", type=int, default=5, help="failovers (5)")
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
    figures.update(lines=lines, **run_facts(argv, started, load))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
