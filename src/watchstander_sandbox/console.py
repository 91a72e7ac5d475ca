"""The sandbox's terminal: act as people in #support, a line at a time. Every line gets an
answer and nothing a person types stops it: Slack's refusals (``already_reacted``), unknown
people, threads or reactions are one line each."""

from __future__ import annotations

import shlex
import threading
from typing import TextIO

from watchstander.domain.review import BY_REACTION
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.slack.world import SlackError

# what the bot acts on: claim, resolve, and the review's tags
REACTIONS = ("eyes", "white_check_mark", *BY_REACTION)

HELP = """\
Act as someone in #support (people: {people}):
  post carol <text>              a new post; tag @oncall or @devs to raise it
  reply <n> dave <text>          a reply in thread n (n from `threads`)
  react <n> dave eyes            a reaction on thread n's post ({reactions})
  unreact <n> dave eyes          remove it
  threads                        the threads of #support, numbered (the sample week's too)
  log <n>                        thread n: its replies, the bot's included
  quit                           stop the bot and the sandbox"""


def help_text(server: LocalSlack) -> str:
    people = ", ".join(m.name for m in server.world.people if not m.is_bot)
    return HELP.format(people=people, reactions=", ".join(REACTIONS))


def console(server: LocalSlack, stdin: TextIO, stdout: TextIO, stop: threading.Event) -> None:
    """Read commands until ``quit`` or the end of input; then wait until stopped."""
    for line in stdin:
        answer = command(server, line)
        if answer is None:
            return
        if answer:
            stdout.write(answer + "\n")
        stdout.flush()
    stop.wait()


def command(server: LocalSlack, line: str) -> str | None:
    """One line typed: what to say back (None: quit)."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return f"? {exc}"
    if not words:
        return ""
    verb, rest = words[0].lower(), words[1:]
    if verb == "quit":
        return None
    try:
        return _act(server, verb, rest)
    except SlackError as refused:
        return f"? Slack said {refused.error}{_why(refused.error)}"


def _why(error: str) -> str:
    return {
        "already_reacted": ": that person has that reaction there already",
        "no_reaction": ": that person has no such reaction there",
    }.get(error, "")


def _act(server: LocalSlack, verb: str, rest: list[str]) -> str:
    world = server.world
    support = world.channel("support")
    assert support is not None
    roots = [m["ts"] for m in server.messages(support.id)]
    if verb == "threads":
        texts = [m.get("text", "") for m in server.messages(support.id)]
        return "\n".join(f"{n}: {t[:70]}" for n, t in enumerate(texts, 1)) or "no threads yet"
    if verb == "post" and len(rest) >= 2:
        who = _person(server, rest[0])
        text = " ".join(rest[1:]).replace("@oncall", world.mention_group("oncall"))
        text = text.replace("@devs", world.mention_group("devs"))
        server.post(who, support.id, text)
        return f"thread {len(roots) + 1} posted"
    if verb == "reply" and len(rest) >= 3:
        root = _thread(roots, rest[0])
        server.post(_person(server, rest[1]), support.id, " ".join(rest[2:]), root)
        return "replied"
    if verb in ("react", "unreact") and len(rest) == 3:
        root, who, name = _thread(roots, rest[0]), _person(server, rest[1]), rest[2].strip(":")
        if name not in REACTIONS:
            return f"? '{name}' is not a reaction the sandbox knows: {', '.join(REACTIONS)}"
        (server.react if verb == "react" else server.unreact)(who, support.id, root, name)
        return "removed" if verb == "unreact" else "reacted"
    if verb == "log" and len(rest) == 1:
        replies = server.messages(support.id, _thread(roots, rest[0]))
        lines = []
        for message in replies:
            said = "bot" if message.get("bot_id") else message.get("user")
            lines.append(f"  {said}: {message.get('text', '')}")
        return "\n".join(lines) or "  (no replies yet)"
    return help_text(server)


def _person(server: LocalSlack, name: str) -> str:
    found = next((m.id for m in server.world.people if m.name == name and not m.is_bot), None)
    if found is None:
        people = ", ".join(m.name for m in server.world.people if not m.is_bot)
        raise SlackError(f"user_not_found: '{name}' is not one of {people}")
    return found


def _thread(roots: list[str], number: str) -> str:
    if not number.isdigit() or not 1 <= int(number) <= len(roots):
        raise SlackError(f"thread_not_found: {number!r} is not a thread number (see `threads`)")
    return roots[int(number) - 1]
