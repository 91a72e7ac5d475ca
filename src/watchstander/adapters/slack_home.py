"""A person's Home (:class:`~watchstander.services.home.Home`) drawn as Slack's App Home tab:
a ``home`` view of Block Kit, published with ``views.publish``.

Every value that came from a person or an outside service (a post's first line, a person's
id, a link, the time zone's name) goes through the :class:`Voice`; headers and labels are the
code's own words. A Home tab holds at most 100 blocks: when a person's threads do not fit, the
last line says how many more there are.
"""

from __future__ import annotations

from typing import Any

from watchstander.adapters.slack_chat import SlackChat
from watchstander.render.voice import Voice
from watchstander.services.home import Home, HomeThread

MAX_BLOCKS = 100  # Slack's limit for a view
CALLBACK_ID = "ws_home"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text)}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def thread_line(thread: HomeThread, user: str, voice: Voice) -> str:
    """One thread: its level and link, then who posted and who holds it, its age and the
    next check-in."""
    first = f"{voice.bold(thread.level.capitalize())} · {voice.link(thread.link, thread.summary)}"
    if thread.posted:
        facts = ["you posted it"]
        if thread.assignee is None:
            facts.append("nobody holds it yet")
        elif thread.assignee == user:
            facts[0] = "you posted it and hold it"
        else:
            facts.append(f"held by {voice.mention(thread.assignee)}")
    else:
        facts = ["you hold it"]
        if thread.poster is not None:
            facts.append(f"posted by {voice.mention(thread.poster)}")
    facts.append(f"open for {voice.quote(thread.age)}")
    if thread.next_checkin is not None:
        facts.append(f"next check-in {voice.quote(thread.next_checkin)}")
    if thread.breached:
        facts.append("⚠️ a check-in was missed")
    return first + "\n" + " · ".join(facts)


def on_call_lines(home: Home, voice: Voice) -> str:
    if home.on_call is None:
        return (
            "Nobody is on call: no rotation is set (`!rotation set`) and ROTATION_ADMINS is empty."
        )
    lines = [f"*Now:* {voice.mention(home.on_call)}"]
    if home.source == "PagerDuty":
        lines[0] += " (from PagerDuty)"
    if home.next_person is not None:
        lines.append(f"*Next:* {voice.mention(home.next_person)}")
    if home.backup is not None and home.backup != home.next_person:
        lines.append(f"*Backup:* {voice.mention(home.backup)}")
    if home.handoff is not None:
        lines.append(f"*Next handoff:* {voice.quote(home.handoff)}")
    else:
        lines.append("*Next handoff:* none planned (no rotation is set: `!rotation set`)")
    return "\n".join(lines)


def draw(home: Home, voice: Voice) -> dict[str, Any]:
    """The ``home`` view of ``home``: never more than Slack's 100 blocks."""
    top = [_header("Your open threads")]
    bottom = [
        {"type": "divider"},
        _header("On call"),
        _section(on_call_lines(home, voice)),
        _context(f"As of {voice.quote(home.drawn)}: drawn each time you open this tab."),
    ]
    room = MAX_BLOCKS - len(top) - len(bottom)
    listed, hidden = list(home.threads), home.more
    if not listed and not hidden:
        middle = [_section("Nothing open that you posted or hold.")]
    else:
        if len(listed) > room or hidden:
            keep = min(len(listed), room - 1)
            hidden += len(listed) - keep
            listed = listed[:keep]
        middle = [_section(thread_line(t, home.user, voice)) for t in listed]
        if hidden:
            middle.append(_context(f"…and {hidden} more open threads of yours."))
    return {"type": "home", "callback_id": CALLBACK_ID, "blocks": top + middle + bottom}


class SlackHome:
    """The Home port on Slack: the Home drawn, and published to the person's App Home tab."""

    def __init__(self, chat: SlackChat, voice: Voice) -> None:
        self._chat = chat
        self._voice = voice

    def show(self, user: str, home: Home) -> None:
        self._chat.publish_home(user, draw(home, self._voice))
