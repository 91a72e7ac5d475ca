"""The core's markup: how the services keep a post's text, whatever chat it came from.

Each chat platform has a door (``watchstander.inbound.slack``, ``.mattermost``) that writes a
post's text in this one markup before any service reads it; the services and the domain read
nothing else. It is small, and it is Slack's ``mrkdwn`` tokens (Slack's door passes a post
through as it is; Mattermost's translates):

- a person: ``<@ID>`` or ``<@ID|name>`` (ID as the platform spells it);
- a group: ``<!subteam^ID|@handle>`` or bare ``<!subteam^ID>``;
- everyone: ``<!here>``, ``<!channel>``, ``<!everyone>``;
- a link ``<https://x|label>``, a channel ``<#ID|name>``;
- a plain ``@handle`` is a handle named in words (a group no platform knows, ``@oncall``),
  except in code (between backticks), where no platform calls anyone;
- ``&amp; &lt; &gt;`` are the three characters, so a person's ``<`` never starts a token.

This module reads it: a one-line summary that can mention nobody (:func:`first_line`), a title
(:func:`title_line`), the words people read (:func:`readable`), the same for GitHub
(:func:`for_github`), and the person a post begins by naming (:func:`leading_person`). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

PERSON = re.compile(r"<@([A-Za-z0-9._-]{1,64})(?:\|([^>]*))?>")  # id, name
PERSON_ID = re.compile(r"<@([A-Za-z0-9._-]{1,64})(?:\|[^>]*)?>")  # id alone (findall)
GROUP = re.compile(r"<!subteam\^([A-Za-z0-9]+)(?:\|@?([^>]*))?>")
EVERYONE = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")
CODE = re.compile(r"`{3}.*?`{3}|`[^`\n]*`", re.DOTALL)  # code: a name there calls nobody
_TOKEN = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"(?<!\w)@([\w.\-@]+)")  # "@a@b" whole: wrapping "@a" alone frees "@b"
_JOINER = "\u2060"  # a word joiner after "@" keeps a quoted name from mentioning anyone


def escape(text: str) -> str:
    """A person's words in the core's markup: no ``<`` of theirs can start a token."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def first_line(text: str, limit: int = 80) -> str:
    """A short, readable one-line summary of a post that can mention nobody."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = EVERYONE.sub(lambda m: "@" + _JOINER + m.group(1), line)
    line = GROUP.sub(lambda m: "@" + _JOINER + (m.group(2) or "group").lstrip("@"), line)
    line = PERSON.sub(lambda m: "@" + _JOINER + (m.group(2) or m.group(1)), line)
    line = LINK.sub(lambda m: m.group(2) or m.group(1), line)
    line = line.replace("<", "‹").replace(">", "›").replace("@", "@" + _JOINER)
    line = line.replace("@" + _JOINER + _JOINER, "@" + _JOINER)
    line = line.replace("&lt;", "‹").replace("&gt;", "›").replace("&amp;", "&")  # as read
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


# Tags a post opens with: groups, everyone, people, a plain @handle, and what separates them
# from the words.
_LEADING_TAGS = re.compile(
    r"^(?:\s|[,:;.\-–—]|<!subteam\^[^>]*>|<![a-z]+(?:\|[^>]*)?>|<@[A-Za-z0-9._-]+(?:\|[^>]*)?>"
    r"|@[A-Za-z0-9][A-Za-z0-9._-]*)+"
)
_LEADING_PERSON = re.compile(r"\s*" + PERSON.pattern)


def drop_leading_tags(text: str) -> str:
    """The post without the tags it opens with (for a title or a headline)."""
    return _LEADING_TAGS.sub("", text, count=1)


def title_line(text: str, limit: int = 80) -> str:
    """A title made from a post (an issue's, a page's summary, a post-mortem's): its first
    line without the tags the post opens with (they called people; a title names the
    problem), quoted as :func:`first_line` quotes. Empty when the post is only tags."""
    return first_line(drop_leading_tags(text), limit)


def leading_person(text: str) -> str | None:
    """The person a post begins by naming (their id), if it does."""
    found = _LEADING_PERSON.match(text)
    return found.group(1) if found else None


def readable(
    text: str, name_of: Callable[[str], str] = lambda user: user, *, at_people: bool = True
) -> str:
    """``text`` with its markup turned into plain words, for documents that leave the chat
    (post-mortem drafts, GitHub issue bodies): a person by name (``@Dave Lee`` through
    ``name_of``, or ``Dave Lee`` without ``at_people``), ``<https://x|the report>`` as
    ``the report (https://x)``, a group or everyone as ``@devs`` / ``@here``, ``&lt;`` as
    ``<`` again."""

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
