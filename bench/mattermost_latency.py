"""Mattermost: post -> threaded reply latency of Watchstander against a bare echo bot on the
same backend (the project's Mattermost backend, Errbot, a subprocess each, each against its
own `LocalMattermost`), and REST calls per answered post.

The two bots take turns post by post, so that the machine's noise falls on both; the figure
is the ratio of the medians (target at most 1.5x). REST calls per answered post are the calls
the Watchstander bot made while its urgent posts were answered, divided by their number
(target 1: the reply itself; people and channels are looked up once).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from watchstander_sandbox.bot_process import log_tail, mattermost_env, start_bot, stop_bot
from watchstander_sandbox.mattermost import LocalMattermost

ROOT = Path(__file__).resolve().parents[1]
ECHO_PLUGINS = ROOT / "bench" / "echo"
RESULTS = ROOT / "bench" / "results" / "mattermost.json"
TARGET_RATIO = 1.5
TARGET_CALLS = 1.0
WAIT = 60.0


class Running:
    def __init__(self, data: Path, plugins: Path | None) -> None:
        self.server = LocalMattermost().start()
        data.mkdir(parents=True, exist_ok=True)
        env = mattermost_env(self.server, data, WATCHSTANDER_ANSWERS="off")
        if plugins is not None:
            env["WATCHSTANDER_PLUGIN_DIR"] = str(plugins)
        self.data = data
        self.process = start_bot(env, data / "bot-output.log")
        self.bot = self.server.world.bot.id
        try:
            if not self.server.wait_for(lambda s: s.connected, WAIT):
                raise SystemExit(f"the bot did not connect\n{log_tail(data)}")
            self.reply("@oncall warm-up")  # the plugins are active, the caches warm
        except BaseException:
            self.stop()
            raise

    def reply(self, text: str) -> float:
        """Post ``text``; the seconds until the bot's first reply in its thread."""
        start = time.perf_counter()
        root = self.server.post("carol", "support", text)
        ok = self.server.wait_for(
            lambda s: any(p["user_id"] == self.bot for p in s.messages("support", root)), WAIT
        )
        if not ok:
            raise SystemExit(f"no reply to {text!r}\n{log_tail(self.data)}")
        return time.perf_counter() - start

    def stop(self) -> None:
        stop_bot(self.process)
        self.server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-mattermost-") as tmp:
        echo = Running(Path(tmp) / "echo", ECHO_PLUGINS)
        try:
            ours = Running(Path(tmp) / "watchstander", None)
        except BaseException:
            echo.stop()
            raise
        try:
            echo_s: list[float] = []
            ours_s: list[float] = []
            calls_before = len(ours.server.calls)
            for i in range(args.posts):
                echo_s.append(echo.reply(f"bench {i}: the revenue report does not tie out"))
                ours_s.append(ours.reply(f"@oncall bench {i}: the revenue report does not tie out"))
            # the card and the lock's work are done once the reply is there; let them finish
            ours.reply("@oncall the last one")
            calls = len(ours.server.calls) - calls_before
        finally:
            echo.stop()
            ours.stop()
    answered = args.posts + 1
    figures = {
        "posts": args.posts,
        "echo_median_s": statistics.median(echo_s),
        "watchstander_median_s": statistics.median(ours_s),
        "ratio": statistics.median(ours_s) / statistics.median(echo_s),
        "rest_calls_per_answered_post": calls / answered,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"Mattermost post -> threaded reply, median over {args.posts}: echo "
        f"{figures['echo_median_s'] * 1000:.1f} ms, Watchstander "
        f"{figures['watchstander_median_s'] * 1000:.1f} ms: {figures['ratio']:.2f}x "
        f"(target <= {TARGET_RATIO}x); REST calls per answered post "
        f"{figures['rest_calls_per_answered_post']:.2f} (target {TARGET_CALLS:.0f})"
    )
    ok = (
        figures["ratio"] <= TARGET_RATIO and figures["rest_calls_per_answered_post"] <= TARGET_CALLS
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
