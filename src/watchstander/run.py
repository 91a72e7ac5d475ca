"""``make run``: the bot on Slack when tokens are set, else on the local Slack sandbox.

Without ``SLACK_BOT_TOKEN`` and ``SLACK_APP_TOKEN`` it starts the project's local
Slack-compatible server on 127.0.0.1, points the real SlackV3 backend at it, and reads
commands on standard input to act as people in #support (type ``help``).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from typing import TextIO

from watchstander.sandbox.bot_process import ROOT, bot_env, errbot_command, start_bot, stop_bot

HELP = """\
Act as someone in #support (people: alice (on call), bob, carol, dave, erin):
  post carol <text>              a new post; tag @oncall or @devs to raise it
  reply <n> dave <text>          a reply in thread n (n from the list below)
  react <n> dave eyes            a reaction on thread n's root (eyes, white_check_mark, bug...)
  unreact <n> dave eyes          remove it
  threads                        the threads posted here, numbered
  log <n>                        what the bot said in thread n
  quit                           stop the bot and the sandbox"""


def main() -> int:
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_APP_TOKEN"):
        print("Watchstander: connecting to Slack in Socket Mode", flush=True)
        return subprocess.call(errbot_command(), cwd=ROOT)
    return sandbox(sys.stdin, sys.stdout)


def sandbox(stdin: TextIO, stdout: TextIO) -> int:
    from watchstander.sandbox.slack_server import LocalSlack, World

    port = int(os.environ.get("WATCHSTANDER_SLACK_PORT", "0"))
    server = LocalSlack(port=port).start()
    world: World = server.world
    env = bot_env(server, ROTATION_ADMINS=os.environ.get("ROTATION_ADMINS") or "U0ALICE,U0BOB")
    stdout.write(
        f"Watchstander sandbox: no SLACK_BOT_TOKEN/SLACK_APP_TOKEN, so the bot runs against the\n"
        f"local Slack-compatible server at {server.api_url} (workspace '{world.team_name}').\n"
        f"Log: {ROOT / 'data' / 'errbot' / 'errbot.log'}\n\n{HELP}\n\n"
    )
    stdout.flush()
    bot = start_bot(env, None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if not server.wait_for(lambda s: s.connected, timeout=60):
        stdout.write("The bot did not connect within 60 s; see the log above.\n")
    else:
        stdout.write("The bot is connected. Type a command (help for the list).\n")
    stdout.flush()
    try:
        console(server, stdin, stdout, stop)
    finally:
        stop_bot(bot, timeout=15)
        server.stop()
    return 0


def console(server: object, stdin: TextIO, stdout: TextIO, stop: threading.Event) -> None:
    """A line-at-a-time stand-in for the Slack client; returns at EOF only when stopped."""
    from watchstander.sandbox.slack_server import LocalSlack

    assert isinstance(server, LocalSlack)
    world = server.world
    people = {m.name: m.id for m in world.people}
    support = world.channel("support")
    assert support is not None
    roots: list[str] = []
    for line in stdin:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            stdout.write(f"? {exc}\n")
            continue
        if not words:
            continue
        verb, rest = words[0].lower(), words[1:]
        try:
            if verb == "quit":
                return
            if verb == "post" and len(rest) >= 2:
                text = " ".join(rest[1:]).replace("@oncall", world.mention_group("oncall"))
                text = text.replace("@devs", world.mention_group("devs"))
                roots.append(server.post(people[rest[0]], support.id, text))
                stdout.write(f"thread {len(roots)} posted\n")
            elif verb == "reply" and len(rest) >= 3:
                server.post(
                    people[rest[1]], support.id, " ".join(rest[2:]), roots[int(rest[0]) - 1]
                )
            elif verb in ("react", "unreact") and len(rest) == 3:
                act = server.react if verb == "react" else server.unreact
                act(people[rest[1]], support.id, roots[int(rest[0]) - 1], rest[2])
            elif verb == "threads":
                texts = {m["ts"]: m.get("text", "") for m in server.messages(support.id)}
                for n, ts in enumerate(roots, 1):
                    stdout.write(f"{n}: {texts.get(ts, '')[:70]}\n")
            elif verb == "log" and rest:
                for message in server.messages(support.id, roots[int(rest[0]) - 1]):
                    who = "bot" if message.get("bot_id") else message.get("user")
                    stdout.write(f"  {who}: {message.get('text', '')}\n")
            else:
                stdout.write(HELP + "\n")
        except (KeyError, IndexError, ValueError):
            stdout.write("? unknown person or thread number: try 'threads' or 'help'\n")
        stdout.flush()
    stop.wait()


if __name__ == "__main__":
    raise SystemExit(main())
