"""Slack at scale: the project's backend against upstream's plain ``SlackV3`` backend.

Both bots run the same Watchstander plugins in the real Errbot, each against a fresh
`LocalSlack`; only the backend differs (bench/plain is upstream's, given the local server's
address and nothing else). Three figures, each a ratio within one run:

- Web API calls per answered post, after warm-up, every call counted (the lookups for the
  post and for the echo of the bot's own reply included): the floor is 1, the reply itself.
- Post -> reply latency, one urgent post at a time, on a server without limits (the project's
  pacing is off there, so the figure is the bot's own work).
- A burst of urgent posts with the server enforcing Slack's per-method limits (429 with
  Retry-After): replies, lost, duplicated, outside their thread, and the time to drain.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import POSTER, ROOT, SUPPORT, Bot, begin, is_reply, running_bot
from bench.triage_latency import Latency, measure_latency, ms, ratio, stored, urgent_text, x
from watchstander_sandbox.slack import LocalSlack

PLAIN = {
    "WATCHSTANDER_BACKEND": "PlainSlack",
    "WATCHSTANDER_BACKEND_DIRS": str(ROOT / "bench" / "plain"),
}
CALLS_TARGET = 1.1  # Web API calls per answered post, the project's backend
LATENCY_TARGET = 1.1  # project / plain, median
QUIET = 15.0  # a burst is over once no Web API call (nor 429) came for this long
RESULTS = ROOT / "bench" / "results" / "slack_scale.json"


def backends() -> list[tuple[str, dict[str, str]]]:
    return [("plain", PLAIN), ("watchstander", {})]


# ------------------------------------------------------------------------- calls + latency


@dataclass
class Steady:
    latency: Latency
    answered: int = 0
    calls: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    @property
    def per_post(self) -> float:
        return self.calls / self.answered if self.answered else math.inf


def measure_steady(slack: LocalSlack, bot: Bot, posts: int, warmup: int) -> Steady:
    """One urgent post at a time; calls counted from the first post after warm-up until the
    bot is quiet after the last reply (the echo of its own reply handled too)."""
    measure_latency([(slack, bot)], 0, warmup)
    bot.settle()
    since = len(slack.calls)
    (latency,) = measure_latency([(slack, bot)], posts, 0)
    latency.warmup = warmup
    bot.settle()
    calls = slack.calls[since:]
    answered = {str(c.params.get("thread_ts")) for c in calls if is_reply(c)}
    by_method = dict(Counter(c.method for c in calls).most_common())
    return Steady(latency, len(answered), len(calls), by_method)


# ------------------------------------------------------------------------------------ burst


@dataclass
class Burst:
    bot: str
    posts: int
    replied: int = 0
    lost: int = 0
    duplicated: int = 0
    outside_thread: int = 0
    limited: int = 0  # 429s the server answered
    limited_by_method: dict[str, int] = field(default_factory=dict)
    drain_s: float | None = None  # first post -> last reply, if every post was answered
    last_reply_s: float | None = None
    stored_threads: int | None = None

    @property
    def ok(self) -> bool:
        return self.replied == self.posts and not (self.duplicated or self.outside_thread)


def more_activity_than(activity: int) -> Callable[[LocalSlack], bool]:
    """More Web API calls and 429s than ``activity`` so far."""
    return lambda slack: len(slack.calls) + len(slack.limited) > activity


def measure_burst(slack: LocalSlack, bot: Bot, posts: int, timeout: float) -> Burst:
    """Every post pushed at once, all urgent; waits for every reply or QUIET seconds of
    silence (a backend that lost posts will not answer them later), at most ``timeout``."""
    result = Burst(bot.name, posts)
    since, limited_since = len(slack.calls), len(slack.limited)
    first = time.time()
    stamps = [slack.post(POSTER, SUPPORT, urgent_text(i)) for i in range(posts)]
    wanted = set(stamps)
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline and not bot.exited:
        replies = {c.params.get("thread_ts") for c in slack.calls[since:] if is_reply(c)}
        if wanted <= replies:
            break
        activity = len(slack.calls) + len(slack.limited)
        if activity == seen:
            break  # QUIET seconds with no call and no 429: nothing more is coming
        seen = activity
        slack.wait_for(more_activity_than(activity), QUIET)
    bot.settle()  # late duplicates would show
    calls = slack.calls[since:]
    posted = [c for c in calls if c.method == "chat.postMessage"]
    per_root = Counter(str(c.params.get("thread_ts")) for c in posted if is_reply(c))
    result.replied = sum(1 for ts in stamps if per_root.get(ts))
    result.lost = posts - result.replied
    result.duplicated = sum(n - 1 for ts, n in per_root.items() if ts in wanted and n > 1)
    result.outside_thread = sum(
        1 for c in posted if not c.params.get("thread_ts") and c.params.get("channel") == SUPPORT
    )
    limited = slack.limited[limited_since:]
    result.limited = len(limited)
    result.limited_by_method = dict(Counter(c.method for c in limited).most_common())
    answers = [c.at for c in posted if str(c.params.get("thread_ts")) in wanted]
    if answers:
        result.last_reply_s = max(answers) - first
        if result.replied == posts:
            result.drain_s = result.last_reply_s
    if bot.database.exists():
        result.stored_threads = stored(bot.database, stamps)[0]
    return result


# ----------------------------------------------------------------------------------- report


def report(steady: list[Steady], bursts: list[Burst]) -> tuple[list[str], dict[str, Any], bool]:
    lines: list[str] = []
    add = lines.append
    figures: dict[str, Any] = {"calls_target": CALLS_TARGET, "latency_target": LATENCY_TARGET}
    ok = True
    if len(steady) == 2:
        plain, ours = steady
        for run in steady:
            lat = run.latency
            add(
                f"slack calls {lat.bot:<13} {run.per_post:6.3f} per answered post"
                f" ({run.calls} calls, {run.answered} answered, after {lat.warmup} warm-up)"
                f"  {', '.join(f'{m} {n}' for m, n in run.by_method.items())}"
            )
        for run in steady:
            lat = run.latency
            add(
                f"slack latency {lat.bot:<11} median {ms(lat.median)}  p99 {ms(lat.p99)}"
                f"  p99 w/o stalls {ms(lat.p99_unstalled)}  (n={len(lat.seconds)})"
            )
        calls_x = ratio(ours.per_post, plain.per_post)
        lat_x = ratio(ours.latency.median, plain.latency.median)
        add(f"slack ratio calls/post {x(calls_x)}  latency median {x(lat_x)}  (watchstander/plain)")
        calls_ok, lat_ok = ours.per_post <= CALLS_TARGET, (lat_x or math.inf) <= LATENCY_TARGET
        add(
            f"verdict slack calls {'PASS' if calls_ok else 'FAIL'}: {ours.per_post:.3f} per"
            f" answered post (target ≤ {CALLS_TARGET}; plain SlackV3 {plain.per_post:.3f})"
        )
        add(
            f"verdict slack latency {'PASS' if lat_ok else 'FAIL'}: median {lat_x or math.inf:.2f}x"
            f" the plain backend (target ≤ {LATENCY_TARGET}x)"
        )
        ok = ok and calls_ok and lat_ok
        figures.update(calls_ratio=calls_x, latency_ratio=lat_x)
        figures["steady"] = {
            r.latency.bot: {
                "per_post": r.per_post, "calls": r.calls, "answered": r.answered,
                "by_method": r.by_method, **r.latency.summary(),
            }
            for r in steady
        }  # fmt: skip
    for b in bursts:
        drain = "   n/a  " if b.drain_s is None else f"{b.drain_s:7.2f} s"
        last = "n/a" if b.last_reply_s is None else f"{b.last_reply_s:.2f} s"
        add(
            f"slack burst {b.bot:<13} drain {drain}  replied {b.replied}/{b.posts}  lost {b.lost}"
            f"  duplicated {b.duplicated}  outside thread {b.outside_thread}"
            f"  429s {b.limited} {b.limited_by_method or ''}  last reply {last}"
            + ("" if b.stored_threads is None else f"  stored {b.stored_threads}/{b.posts}")
        )
    if len(bursts) == 2:
        plain_b, ours_b = bursts
        drain_x = ratio(ours_b.drain_s, plain_b.drain_s)
        add(f"slack burst ratio drain {x(drain_x)}  (watchstander/plain; n/a: plain lost posts)")
        figures["burst_ratio_drain"] = drain_x
    if bursts:
        ours_b = bursts[-1]
        word = "PASS" if ours_b.ok and ours_b.stored_threads == ours_b.posts else "FAIL"
        add(
            f"verdict slack burst {word}: {ours_b.replied}/{ours_b.posts} answered in their"
            f" thread, {ours_b.lost} lost, {ours_b.duplicated} duplicated under Slack's limits"
        )
        ok = ok and word == "PASS"
        figures["burst"] = {b.bot: {**asdict(b), "ok": b.ok} for b in bursts}
    return lines, figures, ok


# ------------------------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.slack_scale", description=__doc__)
    p.add_argument("--posts", type=int, default=100, help="counted posts per backend (100)")
    p.add_argument("--warmup", type=int, default=10, help="uncounted posts first (10)")
    p.add_argument("--burst", type=int, default=300, help="burst posts per backend (300)")
    p.add_argument("--timeout", type=float, default=900.0, help="burst timeout, s (900)")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"JSON figures ({RESULTS})")
    args = p.parse_args(argv)
    if args.posts < 1 or args.burst < 0 or args.warmup < 1:
        p.error("--posts and --warmup must be ≥ 1, --burst ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load = begin("bench.slack_scale", argv)
    started = time.monotonic()
    steady: list[Steady] = []
    bursts: list[Burst] = []
    with tempfile.TemporaryDirectory(prefix="watchstander-bench-") as tmp:
        for name, env in backends():
            with running_bot(Path(tmp) / f"steady-{name}", None, label=name, env=env) as (s, bot):
                steady.append(measure_steady(s, bot, args.posts, args.warmup))
            print(f"# steady {name} done at {time.monotonic() - started:.0f} s", flush=True)
        if args.burst:
            for name, env in backends():
                # Slack's pace on: the server enforces Slack's limits here
                env = {**env, "WATCHSTANDER_SLACK_PACE": ""}
                data = Path(tmp) / f"burst-{name}"
                with running_bot(data, None, label=name, limits=True, env=env) as (s, bot):
                    bursts.append(measure_burst(s, bot, args.burst, args.timeout))
                print(f"# burst {name} done at {time.monotonic() - started:.0f} s", flush=True)
    lines, figures, ok = report(steady, bursts)
    print("\n".join(lines))
    print(f"# {time.monotonic() - started:.0f} s in all; figures in {args.out}")
    figures.update(argv=argv, wall_s=time.monotonic() - started, load_at_start=load)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
