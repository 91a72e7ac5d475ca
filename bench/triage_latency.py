"""Triage latency and burst drain: Watchstander against a bare echo plugin on the same stack.

Both bots are the real Errbot + Watchstander Slack backend in a subprocess, each against a
fresh `LocalSlack`; only the plugin folder differs. The echo plugin is the baseline: what
Errbot, the backend and the Web API round trip cost before the triage plugin does anything.
The machine is noisy, so every figure is compared with the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    ECHO_PLUGINS,
    POSTER,
    ROOT,
    SUPPORT,
    Bot,
    BotFailed,
    begin,
    is_reply,
    prefill,
    run_facts,
    running_bot,
    wait_meant,
    wait_replies,
    wait_reply,
)
from watchstander_sandbox.slack import Call, LocalSlack

ONCALL_TAG = "<!subteam^S0ONCALL|@oncall>"
TARGET = 1.25  # Watchstander / echo, median latency
REPLY_TIMEOUT = 30.0  # one latency post
STALL = 1.0  # a latency sample this long is a Socket Mode delivery stall (see `Latency.stalls`)
DB_TIMEOUT = 60.0  # after the drain, for the last untagged posts to be committed
DB_POLL = 0.05
RESULTS = ROOT / "bench" / "results" / "triage.json"


def urgent_text(i: int) -> str:
    return f"{ONCALL_TAG} bench {i}: the revenue report does not tie out"


def question_text(i: int) -> str:
    return f"bench {i}: where is the export button?"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


# ---------------------------------------------------------------------------------- latency


@dataclass
class Latency:
    bot: str
    posts: int
    warmup: int
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p99(self) -> float:
        return percentile(self.seconds, 99)

    @property
    def p99_unstalled(self) -> float:
        """p99 of the samples under STALL: the tail that the bot itself makes."""
        kept = [s for s in self.seconds if s < STALL]
        return percentile(kept, 99) if kept else math.inf

    @property
    def stalls(self) -> int:
        """Samples over STALL: an envelope handed on seconds after the server sent it,
        whichever plugin runs. The local server's empty pings caused them (slack_sdk's
        builtin client waited on a two-byte frame, holding back the event read with it, see
        `SocketMode._ping`); its pings now carry words as Slack's do, and none is expected."""
        return sum(1 for s in self.seconds if s >= STALL)

    def summary(self) -> dict[str, Any]:
        return {
            "bot": self.bot,
            "posts": self.posts,
            "warmup": self.warmup,
            "median_ms": self.median * 1000,
            "p99_ms": self.p99 * 1000,
            "mean_ms": statistics.fmean(self.seconds) * 1000,
            "max_ms": max(self.seconds) * 1000,
            "p99_unstalled_ms": self.p99_unstalled * 1000,
            "stalls_over_1s": self.stalls,
            "samples_ms": [round(s * 1000, 3) for s in self.seconds],
        }


def measure_latency(runs: list[tuple[LocalSlack, Bot]], posts: int, warmup: int) -> list[Latency]:
    """Posts one at a time, each tagging @oncall: post() → the reply's arrival at the server.
    The bots take turns, post by post, so the machine's noise falls on each alike."""
    results = [Latency(bot.name, posts, warmup) for _, bot in runs]
    for i in range(warmup + posts):
        for (slack, bot), result in zip(runs, results, strict=True):
            since = len(slack.calls)
            start = time.time()
            ts = slack.post(POSTER, SUPPORT, urgent_text(i))
            reply = wait_reply(slack, ts, since, REPLY_TIMEOUT)
            if reply is None:
                raise BotFailed(f"{bot.name}: no reply to post {i} in {REPLY_TIMEOUT:.0f} s")
            if i >= warmup:
                result.seconds.append(reply.at - start)
    return results


# ------------------------------------------------------------------------------------ burst


@dataclass
class Burst:
    bot: str
    posts: int
    urgent: int
    expected_replies: int
    push_s: float = 0.0
    drain_s: float | None = None
    settled_s: float | None = None  # first post → the bot's last Web API call (all handled)
    replied: int = 0
    calls_in_window: int = 0
    calls_by_method: dict[str, int] = field(default_factory=dict)
    exactly_one: int = 0
    duplicates: int = 0
    missing: int = 0
    unexpected: int = 0  # replies to posts that should get none
    stored_threads: int | None = None
    stored_posts: int | None = None
    stored_after_drain_s: float | None = None

    @property
    def calls_per_post(self) -> float:
        return self.calls_in_window / self.posts

    @property
    def ok(self) -> bool:
        complete = {self.stored_threads, self.stored_posts} <= {None, self.posts}
        return (
            self.drain_s is not None
            and self.exactly_one == self.expected_replies
            and not (self.duplicates or self.missing or self.unexpected)
            and complete
        )

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        out["calls_per_post"] = self.calls_per_post
        out["ok"] = self.ok
        return out


def measure_burst(slack: LocalSlack, bot: Bot, posts: int, timeout: float) -> Burst:
    """Every post pushed at once (every 5th tagging @oncall); time to the last expected reply."""
    texts = [urgent_text(i) if i % 5 == 4 else question_text(i) for i in range(posts)]
    since = len(slack.calls)
    first_post = time.time()
    stamps = [slack.post(POSTER, SUPPORT, text) for text in texts]
    pushed = time.time()
    urgent = {ts for ts, text in zip(stamps, texts, strict=True) if text.startswith(ONCALL_TAG)}
    echo = bot.plugins is not None
    expected = set(stamps) if echo else urgent
    result = Burst(bot.name, posts, len(urgent), len(expected), push_s=pushed - first_post)

    replies = wait_replies(slack, expected, since, timeout)
    result.replied = len(replies)
    drained = max((c.at for c in replies.values()), default=None)
    if drained is not None and len(replies) == len(expected):
        result.drain_s = drained - first_post

    if not echo:
        stored_at = wait_stored(bot.database, stamps, result)
        if stored_at is not None and drained is not None:
            result.stored_after_drain_s = max(0.0, stored_at - drained)

    # Counted once the bot has handled everything, so late duplicates would show.
    last = bot.settle()
    if last is not None:
        result.settled_s = last.at - first_post
    calls = slack.calls[since:]
    count_replies(calls, stamps, expected, result)
    end = time.time() if drained is None or result.drain_s is None else drained
    window = [c for c in calls if c.at <= end]
    result.calls_in_window = len(window)
    result.calls_by_method = dict(Counter(c.method for c in window).most_common())
    return result


def count_replies(calls: list[Call], stamps: list[str], expected: set[str], into: Burst) -> None:
    per_ts = Counter(str(c.params.get("thread_ts")) for c in calls if is_reply(c))
    for ts in stamps:
        n = per_ts.get(ts, 0)
        if ts not in expected:
            into.unexpected += n
        elif n == 1:
            into.exactly_one += 1
        elif n == 0:
            into.missing += 1
        else:
            into.duplicates += n - 1


def stored(database: Path, stamps: list[str]) -> tuple[int, int]:
    """How many of `stamps` have a thread (as root) and a recorded post in Watchstander's DB."""
    wanted = set(stamps)
    uri = f"file:{database}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=10) as db:
        threads = db.execute("SELECT root_ts FROM threads WHERE channel = ?", [SUPPORT])
        roots = {str(r[0]) for r in threads}
        posts = db.execute(
            "SELECT item_ts FROM events WHERE channel = ? AND kind = 'post'", [SUPPORT]
        )
        tss = {str(r[0]) for r in posts}
    return len(wanted & roots), len(wanted & tss)


def wait_stored(database: Path, stamps: list[str], into: Burst) -> float | None:
    """When every post is in the DB (None if not within DB_TIMEOUT). Untagged posts cause no
    Web API call, and another process's SQLite commits signal nothing here, so this one wait
    polls (bounded, DB_POLL apart); it is a correctness check, not a timed figure."""
    deadline = time.monotonic() + DB_TIMEOUT
    while True:
        try:
            into.stored_threads, into.stored_posts = stored(database, stamps)
        except sqlite3.Error:
            into.stored_threads = into.stored_posts = 0
        if into.stored_threads == into.stored_posts == len(stamps):
            return time.time()
        if time.monotonic() > deadline:
            return None
        time.sleep(DB_POLL)


# ----------------------------------------------------------------------------------- report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def x(value: float | None) -> str:
    return "    n/a" if value is None else f"{value:6.2f}x"


def report(lat: list[Latency], bursts: list[Burst]) -> tuple[list[str], dict[str, Any]]:
    lines: list[str] = []
    figures: dict[str, Any] = {"target_latency_ratio": TARGET}
    add = lines.append
    if lat:
        echo, ws = lat
        for run in lat:
            add(
                f"triage latency {run.bot:<13} median {ms(run.median)}  p99 {ms(run.p99)}"
                f"  p99 w/o stalls {ms(run.p99_unstalled)}  stalls≥{STALL:.0f}s {run.stalls}"
                f"  max {ms(max(run.seconds))}  (n={len(run.seconds)}, warm-up {run.warmup})"
            )
        med, p99 = ratio(ws.median, echo.median), ratio(ws.p99, echo.p99)
        clean = ratio(ws.p99_unstalled, echo.p99_unstalled)
        add(
            f"triage latency ratio         median {x(med)}     p99 {x(p99)}"
            f"  p99 w/o stalls {x(clean)}  (watchstander/echo)"
        )
        figures["latency"] = {r.bot: r.summary() for r in lat}
        figures["latency"].update(ratio_median=med, ratio_p99=p99, ratio_p99_unstalled=clean)
    if bursts:
        for b in bursts:
            drain = "   n/a  " if b.drain_s is None else f"{b.drain_s:7.2f} s"
            settled = "   n/a  " if b.settled_s is None else f"{b.settled_s:7.2f} s"
            add(
                f"triage burst {b.bot:<15} drain {drain}  settled {settled}"
                f"  replies {b.replied}/{b.expected_replies}"
                f"  ({b.posts} posts, {b.urgent} urgent, pushed in {b.push_s:.2f} s)"
            )
        for b in bursts:
            add(
                f"triage burst calls {b.bot:<9} {b.calls_per_post:6.3f} per post"
                f" ({b.calls_in_window} calls, first post → drain)"
            )
            for method, n in b.calls_by_method.items():
                per = f"{n / b.posts:6.3f} per post ({n})"
                add(f"triage burst calls {b.bot:<9}   {method:<26} {per}")
        for b in bursts:
            line = (
                f"triage burst check {b.bot:<9} exactly-one {b.exactly_one}/{b.expected_replies}"
                f"  missing {b.missing}  duplicates {b.duplicates}  unexpected {b.unexpected}"
            )
            if b.stored_threads is not None:
                line += f"  stored threads {b.stored_threads}/{b.posts}"
                line += f" posts {b.stored_posts}/{b.posts}"
            if b.stored_after_drain_s is not None:
                line += f" (all in DB {b.stored_after_drain_s:.2f} s after the drain)"
            add(line)
        if len(bursts) == 2:
            drain_x = ratio(bursts[1].drain_s, bursts[0].drain_s)
            settled_x = ratio(bursts[1].settled_s, bursts[0].settled_s)
            calls_x = ratio(bursts[1].calls_per_post, bursts[0].calls_per_post)
            add(
                f"triage burst ratio           drain {x(drain_x)}  settled {x(settled_x)}"
                f"  calls/post {x(calls_x)}  (watchstander/echo)"
            )
            figures["burst_ratio_drain"], figures["burst_ratio_settled"] = drain_x, settled_x
            figures["burst_ratio_calls_per_post"] = calls_x
        figures["burst"] = {b.bot: b.summary() for b in bursts}
    return lines, figures


def verdicts(lat: list[Latency], bursts: list[Burst]) -> list[str]:
    out: list[str] = []
    if lat:
        med = ratio(lat[1].median, lat[0].median) or math.inf
        p99 = ratio(lat[1].p99, lat[0].p99) or math.inf
        clean = ratio(lat[1].p99_unstalled, lat[0].p99_unstalled) or math.inf
        stalls = f"{lat[0].stalls}+{lat[1].stalls} Socket Mode stalls"
        word = "PASS" if med <= TARGET else "FAIL"
        over = "" if med <= TARGET else f", {med / TARGET - 1:.0%} over the target"
        out.append(
            f"verdict latency {word}: watchstander/echo median {med:.2f}x (target ≤ {TARGET}x"
            f"{over}); p99 {p99:.2f}x, {clean:.2f}x without the {stalls}"
        )
    for b in bursts:
        word = "PASS" if b.ok else "FAIL"
        what = "every post replied once" if b.bot == "echo" else "every urgent post replied once"
        if b.stored_threads is not None:
            what += f", all {b.posts} stored"
        if b.drain_s is not None:
            what += f"; drained in {b.drain_s:.2f} s"
        out.append(f"verdict burst {b.bot} {word}: {what}" + ("" if b.ok else " — NOT MET"))
    return out


# ------------------------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--posts", type=int, default=200, help="latency posts per bot (200)")
    p.add_argument("--warmup", type=int, default=10, help="uncounted latency posts first (10)")
    p.add_argument("--burst", type=int, default=500, help="burst posts per bot (500)")
    p.add_argument("--timeout", type=float, default=300.0, help="burst drain timeout, s (300)")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"JSON figures ({RESULTS})")
    p.add_argument(
        "--history",
        type=int,
        default=0,
        help="resolved threads in Watchstander's database before it starts (0): each post then "
        "looks among them for answers (by meaning too, with the extra, once all have a vector)",
    )
    args = p.parse_args(argv)
    if args.posts < 1 or args.burst < 0 or args.warmup < 0 or args.history < 0:
        p.error("--posts must be ≥ 1, --burst, --warmup and --history ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load = begin("bench", argv)
    started = time.monotonic()
    lat: list[Latency] = []
    bursts: list[Burst] = []
    with tempfile.TemporaryDirectory(prefix="watchstander-bench-") as tmp:
        resolved = prefill(Path(tmp) / "latency-watchstander", args.history)
        with (
            running_bot(Path(tmp) / "latency-echo", ECHO_PLUGINS) as echo,
            running_bot(Path(tmp) / "latency-watchstander", None) as watchstander,
        ):
            if resolved:
                wait_meant(watchstander[1], resolved)
            lat = measure_latency([echo, watchstander], args.posts, args.warmup)
        print(f"# latency, both bots in turn, done at {time.monotonic() - started:.0f} s")
        if args.burst:
            for name, plugins in (("echo", ECHO_PLUGINS), ("watchstander", None)):
                with running_bot(Path(tmp) / f"burst-{name}", plugins) as (slack, bot):
                    bursts.append(measure_burst(slack, bot, args.burst, args.timeout))
                print(f"# burst {name} done at {time.monotonic() - started:.0f} s", flush=True)
    lines, figures = report(lat, bursts)
    final = verdicts(lat, bursts)
    figures.update(verdicts=final, **run_facts(argv, started, load))
    print("\n".join(lines + final))
    print(f"# {time.monotonic() - started:.0f} s in all; figures in {args.out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    latency_ok = not lat or (ratio(lat[1].median, lat[0].median) or math.inf) <= TARGET
    return 0 if latency_ok and all(b.ok for b in bursts) else 1


if __name__ == "__main__":
    sys.exit(main())
