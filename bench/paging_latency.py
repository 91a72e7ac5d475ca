"""Emergency post -> trigger received by the local PagerDuty server, against the echo bot's
post -> reply in the same run (issue 3: at most 1.5 times). Ratios only: the machine is noisy.

Emergencies go one at a time, as the echo posts do: the next is posted once the bot has said
everything about the last one (its announcement and "paged" line), so each figure is one
emergency's latency, not the tail of the one before.

    python -m bench.paging_latency [--posts N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import ECHO_PLUGINS, POSTER, SUPPORT, running_bot
from bench.triage_latency import RESULTS, measure_latency, percentile
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack

TARGET = 1.5
KEY = "R0UT1NGKEY0123456789abcdefABCDEF"
EMERGENCY = "<!subteam^S0DEVS|@devs> checkout is down (bench {i})"


def said(slack: LocalSlack, thread_ts: str) -> int:
    """How many messages the bot has posted in the thread."""
    return sum(c.params.get("thread_ts") == thread_ts for c in slack.calls_to("chat.postMessage"))


def said_twice(thread_ts: str) -> Callable[[LocalSlack], bool]:
    """The bot said two things in the thread ``thread_ts`` (the announcement, the page)."""
    return lambda slack: said(slack, thread_ts) >= 2


def triggered(dedup_key: str) -> Callable[[LocalPagerDuty], bool]:
    """The local PagerDuty received an event with ``dedup_key``."""
    return lambda pd: any(r[2] == dedup_key for r in pd.received)


def unstalled(values: list[float]) -> list[float]:
    """Without Socket Mode delivery stalls (≥ 1 s, slack_sdk's, with either plugin)."""
    return [v for v in values if v < 1.0] or values


def measure_paging(posts: int, warmup: int, data: Path) -> list[float]:
    pd = LocalPagerDuty().start()
    try:
        env = {"PAGERDUTY_ROUTING_KEY": KEY, "PAGERDUTY_EVENTS_URL": pd.url}
        with running_bot(data, None, env=env) as (slack, _bot):
            seconds = []
            for i in range(warmup + posts):
                start = time.time()
                ts = slack.post(POSTER, SUPPORT, EMERGENCY.format(i=i))
                key = f"watchstander/{SUPPORT}/{ts}"
                if not pd.wait_for(triggered(key), 30):
                    raise RuntimeError(f"no trigger for emergency {i} in 30 s")
                arrived = next(r[0] for r in pd.received if r[2] == key)
                if not slack.wait_for(said_twice(ts), 30):
                    raise RuntimeError(f"emergency {i}: the bot did not say it paged")
                if i >= warmup:
                    seconds.append(arrived - start)
            triggers = [r for r in pd.received if r[1] == "trigger"]
            if len(triggers) != warmup + posts:
                raise RuntimeError(f"{len(triggers)} triggers for {warmup + posts} emergencies")
            return seconds
    finally:
        pd.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paging_latency")
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="watchstander-bench-") as tmp:
        with running_bot(Path(tmp) / "echo", ECHO_PLUGINS) as run:
            echo = measure_latency([run], args.posts, args.warmup)[0].seconds
        paging = measure_paging(args.posts, args.warmup, Path(tmp) / "paging")

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.2f} ms"

    e_med, p_med = statistics.median(echo), statistics.median(paging)
    e_99, p_99 = percentile(unstalled(echo), 99), percentile(unstalled(paging), 99)
    n = len(paging)
    lines = [
        f"paging latency echo reply  median {ms(e_med)}  p99 w/o stalls {ms(e_99)}  (n={n})",
        f"paging latency trigger     median {ms(p_med)}  p99 w/o stalls {ms(p_99)}  (n={n})",
        f"paging latency ratio  median {p_med / e_med:.2f}x  p99 w/o stalls {p_99 / e_99:.2f}x",
    ]
    ok = p_med / e_med <= TARGET
    lines.append(
        f"verdict paging {'PASS' if ok else 'FAIL'}: emergency -> trigger / echo reply median "
        f"{p_med / e_med:.2f}x (target ≤ {TARGET}x); one trigger per emergency"
    )
    print("\n".join(lines))
    out = RESULTS.with_name("paging.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = {"echo_ms": [s * 1000 for s in echo], "trigger_ms": [s * 1000 for s in paging]}
    out.write_text(json.dumps({"lines": lines, **figures}, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
