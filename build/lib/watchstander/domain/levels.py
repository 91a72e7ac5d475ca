"""Read a #support post: its level, the groups it tags, and safe quoting of its text.

Slack writes a group mention as ``<!subteam^ID|@handle>`` or bare ``<!subteam^ID>``, and
``@here`` / ``@channel`` as ``<!here>`` / ``<!channel>``. Other backends hand us plain text,
so a plain ``@handle`` counts too. Pure: no I/O; group ids are resolved by the caller's map.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    """How loud a thread is. Levels only go up."""

    GENERAL = 0
    URGENT = 1
    EMERGENCY = 2

    @property
    def label(self) -> str:
        return self.name.lower()


_SUBTEAM = re.compile(r"<!subteam\^([A-Za-z0-9]+)(?:\|@?([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_PLAIN = re.compile(r"(?<![\w<@!^|/.-])@([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Parsed:
    level: Level
    handles: frozenset[str]


def handles_in(text: str, group_handles: Mapping[str, str] | None = None) -> frozenset[str]:
    """Every group handle (lower case, no ``@``) that ``text`` mentions."""
    groups = group_handles or {}
    found: set[str] = set()
    for group_id, handle in _SUBTEAM.findall(text):
        name = handle.strip() or groups.get(group_id, "")
        if name:
            found.add(name.lstrip("@").lower())
    found.update(name.lower() for name in _SPECIAL.findall(text))
    stripped = _SPECIAL.sub(" ", _SUBTEAM.sub(" ", text))
    found.update(name.lower().rstrip("._-") for name in _PLAIN.findall(stripped))
    return frozenset(found)


def parse_level(
    text: str,
    *,
    oncall_handle: str,
    emergency_tags: Collection[str],
    group_handles: Mapping[str, str] | None = None,
) -> Parsed:
    """The level a text asks for: emergency tags beat the on-call handle beat nothing."""
    handles = handles_in(text, group_handles)
    emergency = {tag.lstrip("@").lower() for tag in emergency_tags}
    if handles & emergency:
        level = Level.EMERGENCY
    elif oncall_handle.lstrip("@").lower() in handles:
        level = Level.URGENT
    else:
        level = Level.GENERAL
    return Parsed(level, handles)


def escape_slack(text: str) -> str:
    """Quote user text so Slack cannot turn any of it into a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_JOINER = "\u2060"  # a word joiner after "@" keeps Slack from linking a quoted name
_USER_TOKEN = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_LINK_TOKEN = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")


def first_line(text: str, limit: int = 80) -> str:
    """A short, readable one-line summary of a post that can mention nobody."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = _SPECIAL.sub(lambda m: "@" + _JOINER + m.group(1), line)
    line = _SUBTEAM.sub(lambda m: "@" + _JOINER + (m.group(2) or "group").lstrip("@"), line)
    line = _USER_TOKEN.sub(lambda m: "@" + _JOINER + (m.group(2) or m.group(1)), line)
    line = _LINK_TOKEN.sub(lambda m: m.group(2) or m.group(1), line)
    line = line.replace("<", "‹").replace(">", "›").replace("@", "@" + _JOINER)
    line = line.replace("@" + _JOINER + _JOINER, "@" + _JOINER)
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def first_words(text: str, count: int = 8, limit: int = 80) -> str:
    """The first ``count`` words of a post's first line (as :func:`first_line` makes it
    harmless), with "…" when there is more: how a list names a thread."""
    words = first_line(text, 10_000).split()
    out = " ".join(words[:count])
    if len(out) > limit:
        return out[: limit - 1].rstrip() + "…"
    return out + ("…" if len(words) > count else "")


# Tags a post opens with: groups, @here/@channel/@everyone, people (Slack's markup, or a plain
# @handle from other backends), and what separates them from the words.
_LEADING_TAGS = re.compile(
    r"^(?:\s|[,:;.\-–—]|<!subteam\^[^>]*>|<![a-z]+(?:\|[^>]*)?>|<@[A-Z0-9]+(?:\|[^>]*)?>"
    r"|@[A-Za-z0-9][A-Za-z0-9._-]*)+"
)


def drop_leading_tags(text: str) -> str:
    """The post without the tags it opens with (for a title or a headline)."""
    return _LEADING_TAGS.sub("", text, count=1)


def title_line(text: str, limit: int = 80) -> str:
    """A title made from a post (an issue's, a page's summary, a post-mortem's): its first
    line without the tags the post opens with (they called people; a title names the
    problem), quoted as :func:`first_line` quotes. Empty when the post is only tags."""
    return first_line(drop_leading_tags(text), limit)
