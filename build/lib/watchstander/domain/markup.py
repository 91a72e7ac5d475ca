"""A post's Slack markup as people read it, for documents that leave the chat: post-mortem
drafts (a file in the thread, a GitHub issue) and GitHub issue bodies.

``<@U0DAVE>`` becomes ``@Dave Lee`` (through ``name_of``; on GitHub ``Dave Lee``),
``<!subteam^S0DEVS|@devs>`` ``@devs``, ``<!here>`` ``@here``, ``<https://x|the report>``
``the report (https://x)``, ``<#C0SUP|support>`` ``#support``, and ``&lt;`` ``<`` again.
On GitHub an ``@word`` would notify a person or a team of that name, so :func:`for_github`
puts every one in code spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"(?<!\w)@([\w.\-@]+)")  # "@a@b" whole: wrapping "@a" alone frees "@b"


def readable(
    text: str, name_of: Callable[[str], str] = lambda user: user, *, at_people: bool = True
) -> str:
    """``text`` (a Slack message's ``text``) with its markup turned into plain words; a
    person by name (``@Dave Lee``, or ``Dave Lee`` without ``at_people``)."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return ("@" if at_people else "") + (label.lstrip("@") or name_of(target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return "@" + (label.lstrip("@") or "group")
        if target.startswith("!"):
            return "@" + (label.lstrip("@") or target[1:].split("^")[0])
        if label and label != target:
            return f"{label} ({target})"
        return target

    plain = _TOKEN.sub(token, text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def for_github(text: str) -> str:
    """``text`` (already readable) with each ``@name`` in a code span (GitHub notifies
    nobody of a mention there), and no HTML tag."""
    return _MENTION.sub(lambda m: f"`@{m.group(1)}`", text).replace("<", "&lt;")
