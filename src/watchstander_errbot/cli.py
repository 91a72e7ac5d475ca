"""The `watchstander` command: run the bot, check an install, migrate its database, print the
Slack app manifest, or start the local sandbox.

    watchstander run                  the bot on Slack (SLACK_BOT_TOKEN and SLACK_APP_TOKEN), or
                                      on Mattermost (MATTERMOST_URL, _TOKEN and _TEAM)
    watchstander check [--people]     what is set, missing or wrong; whether services answer
    watchstander migrate              the database schema up to date (the bot does it at start)
    watchstander manifest [--private-channel]   the Slack app manifest, as JSON
    watchstander sandbox              the local sandbox (no Slack account needed)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

CONFIG = Path(__file__).resolve().parent / "config.py"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="watchstander", description="On-call and triage bot for a team's #support channel"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("run", help="the bot on Slack (Socket Mode) or Mattermost")
    check = commands.add_parser("check", help="settings and services, one line each")
    check.add_argument("--people", action="store_true", help="also list people and their ids")
    commands.add_parser("migrate", help="bring the database schema up to date")
    manifest = commands.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument(
        "--private-channel", action="store_true", help="#support is a private channel"
    )
    commands.add_parser("sandbox", help="the local sandbox, no Slack account needed")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run()
    if args.command == "check":
        return check_install(args.people)
    if args.command == "migrate":
        return migrate()
    if args.command == "manifest":
        from watchstander.adapters.slack_app import manifest_json

        sys.stdout.write(manifest_json(args.private_channel))
        return 0
    from watchstander_sandbox.__main__ import main as sandbox

    return sandbox()


def run() -> int:
    from watchstander.settings import chat_of

    chat = chat_of(os.environ)
    needed: tuple[str, ...] = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    if chat == "mattermost":
        needed = ("MATTERMOST_URL", "MATTERMOST_TOKEN", "MATTERMOST_TEAM")
    missing = [n for n in needed if not os.environ.get(n, "").strip()]
    if missing:
        where = "Mattermost" if chat == "mattermost" else "Slack"
        print(
            f"watchstander: {' and '.join(missing)} not set: see the README's 'Running it on "
            f"{where}' (`watchstander sandbox` runs the local sandbox instead)",
            file=sys.stderr,
        )
        return 2
    from errbot.cli import main as errbot

    sys.argv = ["errbot", "-c", str(CONFIG)]
    errbot()
    return 0


def check_install(people: bool) -> int:
    from watchstander.check import check

    lines = check(os.environ, people=people)
    for line in lines:
        print(line)
    wrong = sum(line.state == "wrong" for line in lines)
    print(f"{wrong} to fix" if wrong else "ready to run")
    return 1 if wrong else 0


def migrate() -> int:
    from watchstander.settings import Settings
    from watchstander.store import Store, StoreError

    settings, problems = Settings.read()
    if problems:
        print(f"watchstander: {problems[0]}", file=sys.stderr)
        return 2
    store = Store(settings.database_url)
    try:
        store.migrate()
        print(f"database schema up to date (revision {store.revision()})")
    except StoreError as exc:  # the database's own first line: no URL, no password
        print(f"watchstander: the database refused: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
