"""Slack's posting pace: a burst of urgent posts in #support answered under Slack's limit for
``chat.postMessage`` (about one message a second per channel; the short burst it allows is
not documented, so the server is run allowing Slack's usual five and, the strictest reading,
none). Nothing may be lost, at most two messages refused (HTTP 429), and the burst drained
within 1.25x of the time the limit itself needs (the server's own arithmetic, measured in
the same run). The bot runs with its default pace (``WATCHSTANDER_SLACK_PACE`` unset)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.harness import ROOT, begin, running_bot
from bench.slack_scale import Burst, measure_burst

RESULTS = ROOT / "bench" / "results" / "slack_pace.json"
PER_MINUTE = 60  # Slack: about one message a second per channel
SERVER_BURSTS = (5, 1)
MAX_REFUSED = 2
TARGET = 1.25  # drain / the time the limit needs


@dataclass
class Pace:
    server_burst: int
    burst: Burst
    limit_s: float  # the least time the server's limit lets the replies take

    @property
    def ratio(self) -> float | None:
        drain = self.burst.drain_s
        return None if drain is None or not self.limit_s else drain / self.limit_s

    @property
    def ok(self) -> bool:
        return (
            self.burst.lost == 0
            and self.burst.limited <= MAX_REFUSED
            and self.ratio is not None
            and self.ratio <= TARGET
        )


def measure(posts: int, server_burst: int, data: Path, timeout: float) -> Pace:
    with running_bot(data, None, label="watchstander", env={"WATCHSTANDER_SLACK_PACE": ""}) as (
        slack,
        bot,
    ):
        slack.limit("chat.postMessage", PER_MINUTE, server_burst)  # from here, as Slack counts
        burst = measure_burst(slack, bot, posts, timeout)
    limit_s = max(0, posts - server_burst) * 60.0 / PER_MINUTE
    return Pace(server_burst, burst, limit_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_pace", description=__doc__)
    parser.add_argument("--posts", type=int, default=40, help="urgent posts at once (40)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per burst, s (300)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load = begin("bench.slack_pace", argv)
    started = time.monotonic()
    runs: list[Pace] = []
    with tempfile.TemporaryDirectory(prefix="watchstander-pace-") as tmp:
        for server_burst in SERVER_BURSTS:
            data = Path(tmp) / f"burst-{server_burst}"
            runs.append(measure(args.posts, server_burst, data, args.timeout))
    figures: dict[str, Any] = {"argv": argv, "load_at_start": load, "runs": []}
    for run in runs:
        b = run.burst
        drain = f"{b.drain_s:6.2f} s" if b.drain_s is not None else "   n/a  "
        ratio = f"{run.ratio:.2f}x" if run.ratio is not None else "n/a"
        print(
            f"slack pace server burst {run.server_burst}  drain {drain}  limit needs "
            f"{run.limit_s:5.1f} s  ratio {ratio}  replied {b.replied}/{b.posts}  lost {b.lost}"
            f"  429s {b.limited}  duplicated {b.duplicated}"
        )
        word = "PASS" if run.ok else "FAIL"
        print(
            f"verdict slack pace (server burst {run.server_burst}) {word}: {b.lost} lost "
            f"(target 0), {b.limited} refused (target ≤ {MAX_REFUSED}), drain {ratio} of "
            f"what the limit needs (target ≤ {TARGET}x)"
        )
        figures["runs"].append({**asdict(run), "ratio": run.ratio, "ok": run.ok})
    print(f"# {time.monotonic() - started:.0f} s in all; figures in {args.out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
