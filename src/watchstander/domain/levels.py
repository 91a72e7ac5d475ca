"""Read a #support post's level from the handles it tags, in the core's markup
(:mod:`watchstander.domain.markup`): a group (``<!subteam^ID|@handle>``, or bare with its
id), everyone (``<!here>``, ``<!channel>``, ``<!everyone>``), or a handle named in words
(``@oncall``). Pure: no I/O; group ids are resolved by the caller's map.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import IntEnum

from watchstander.domain.markup import CODE, EVERYONE, GROUP


class Level(IntEnum):
    """How loud a thread is. Levels only go up."""

    GENERAL = 0
    URGENT = 1
    EMERGENCY = 2

    @property
    def label(self) -> str:
        return self.name.lower()


_PLAIN = re.compile(r"(?<![\w<@!^|/.-])@([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Parsed:
    level: Level
    handles: frozenset[str]


def handles_in(text: str, group_handles: Mapping[str, str] | None = None) -> frozenset[str]:
    """Every group handle (lower case, no ``@``) that ``text`` mentions."""
    groups = group_handles or {}
    found: set[str] = set()
    for group_id, handle in GROUP.findall(text):
        name = handle.strip() or groups.get(group_id, "")
        if name:
            found.add(name.lstrip("@").lower())
    found.update(name.lower() for name in EVERYONE.findall(text))
    stripped = EVERYONE.sub(" ", GROUP.sub(" ", CODE.sub(" ", text)))
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
