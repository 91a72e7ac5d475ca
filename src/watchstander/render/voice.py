"""How the bot writes on one chat platform: quoting that defuses every mention, and the few
pieces of markup it means (a person, a channel, a link, bold, code).

Every value that came from a person or an outside service reaches a message through
:meth:`Voice.quote`, unless the bot built it on purpose with one of the other methods, which
return :class:`Safe` text. Anything done to a ``Safe`` (joining, slicing, formatting) gives a
plain ``str`` again, which is quoted: safety is never inherited by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol


class Safe(str):
    """Text the bot means to send as it is: a mention it made, a link it built."""

    __slots__ = ()


class Voice(Protocol):
    name: str
    draws_controls: bool  # buttons and menus show on the bot's messages (else: emoji, commands)

    def quote(self, text: str) -> str:
        """``text`` as plain words: no mention, no link, no markup can come out of it."""
        ...

    def mention(self, user: str) -> Safe: ...

    def channel(self, channel: str) -> Safe: ...

    def link(self, url: str, text: str) -> Safe: ...

    def bold(self, text: str) -> Safe: ...

    def code(self, text: str) -> Safe: ...

    def tag(self, handle: str, group: str = "") -> Safe:
        """A tag that calls people on purpose: a group (by its id, where the platform has
        ids), or ``here``/``channel``/``everyone``."""
        ...


JOINER = "\u2060"  # a word joiner after "@": the name reads the same and mentions nobody
_AT = re.compile("@(?!\u2060)")
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,20}")
_URL = re.compile(r"https?://[^\s<>|\"`]{1,2000}")
_SLACK_GROUP = re.compile(r"S[A-Z0-9]{2,20}")
_HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
BROADCASTS = ("here", "channel", "everyone")


def _slack_escape(text: str) -> str:
    """Slack reads ``<`` as a token's start and ``&`` as an entity's: the three escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackVoice:
    """Slack's ``mrkdwn``. Slack reads ``<...>`` as a mention, a channel or a link, and
    ``&amp; &lt; &gt;`` as the three characters, so quoting escapes those three; a word joiner
    after every ``@`` keeps ``@here`` and ``@channel`` plain text even where a client or a
    setting (``link_names``) would link them."""

    name = "slack"
    draws_controls = True

    def quote(self, text: str) -> str:
        return _AT.sub("@" + JOINER, _slack_escape(text))

    def mention(self, user: str) -> Safe:
        if _SLACK_USER.fullmatch(user):
            return Safe(f"<@{user}>")
        return Safe(self.quote(user or "someone"))

    def channel(self, channel: str) -> Safe:
        if _SLACK_CHANNEL.fullmatch(channel):
            return Safe(f"<#{channel}>")
        return Safe("#" + self.quote(channel.lstrip("#")))

    def link(self, url: str, text: str) -> Safe:
        label = self.quote(" ".join(text.split())).replace("|", "¦") or "link"
        if _URL.fullmatch(url):
            return Safe(f"<{url}|{label}>")
        return Safe(label)

    def bold(self, text: str) -> Safe:
        quoted = self.quote(text).replace("*", "∗")
        return Safe(f"*{quoted}*") if quoted.strip() else Safe(quoted)

    def code(self, text: str) -> Safe:
        quoted = self.quote(text).replace("`", "ʼ")
        return Safe(f"`{quoted}`") if quoted else Safe("")

    def tag(self, handle: str, group: str = "") -> Safe:
        name = handle.lstrip("@").lower()
        if name in BROADCASTS:
            return Safe(f"<!{name}>")
        if _SLACK_GROUP.fullmatch(group) and _HANDLE.fullmatch(name):
            return Safe(f"<!subteam^{group}|@{name}>")
        return Safe("@" + self.quote(name))  # no id: named, calling nobody (no link_names)


class PlainVoice:
    """Plain text, for chat backends that know no markup (Errbot's text and test backends):
    people by their id after an ``@``, links as their address."""

    name = "plain"
    draws_controls = False

    def quote(self, text: str) -> str:
        return _AT.sub("@" + JOINER, text)

    def mention(self, user: str) -> Safe:
        return Safe("@" + (self.quote(user) if user else "someone"))

    def channel(self, channel: str) -> Safe:
        return Safe("#" + self.quote(channel.lstrip("#")))

    def link(self, url: str, text: str) -> Safe:
        label = self.quote(" ".join(text.split())) or "link"
        return Safe(f"{label} ({url})" if _URL.fullmatch(url) else label)

    def bold(self, text: str) -> Safe:
        return Safe(self.quote(text))

    def code(self, text: str) -> Safe:
        return Safe(self.quote(text))

    def tag(self, handle: str, group: str = "") -> Safe:
        name = handle.lstrip("@").lower()
        return Safe("@" + name) if _HANDLE.fullmatch(name) else Safe(self.quote("@" + name))


_MM_ID = re.compile(r"[a-z0-9]{26}")
_MM_MARKUP = re.compile(r"([\\`*_~\[\]<>#|!])")
_MM_BROADCASTS = {"here": "here", "channel": "channel", "everyone": "all", "all": "all"}


class MattermostVoice:
    """Mattermost's Markdown. Mentions are plain text there (``@name``, ``@here``,
    ``@channel``, ``@all``, a custom group's ``@handle``), so quoting puts a word joiner after
    every ``@``: Mattermost's server and apps split words on it, so nobody is mentioned, and
    the name reads the same. Markdown's own characters are escaped with a backslash. People
    are named by ``@username`` (``username_of`` finds it from their id), channels by
    ``~name``."""

    name = "mattermost"
    draws_controls = False  # no buttons: their callbacks need an address of the bot's

    def __init__(
        self,
        username_of: Callable[[str], str | None] = lambda _id: None,
        channel_name_of: Callable[[str], str | None] = lambda _id: None,
    ) -> None:
        self._username_of, self._channel_name_of = username_of, channel_name_of

    def quote(self, text: str) -> str:
        return _AT.sub("@" + JOINER, _MM_MARKUP.sub(r"\\\1", text))

    def mention(self, user: str) -> Safe:
        name = self._username_of(user) if _MM_ID.fullmatch(user) else None
        if name and _HANDLE.fullmatch(name.lower()):
            return Safe("@" + name)
        return Safe(self.quote(user or "someone"))

    def channel(self, channel: str) -> Safe:
        name = self._channel_name_of(channel) if _MM_ID.fullmatch(channel) else None
        if name and _HANDLE.fullmatch(name.lower()):
            return Safe("~" + name)
        return Safe("~" + self.quote(channel.lstrip("#~")))

    def link(self, url: str, text: str) -> Safe:
        label = self.quote(" ".join(text.split())) or "link"
        if _URL.fullmatch(url) and not any(c in url for c in "()[]"):
            return Safe(f"[{label}]({url})")
        return Safe(label)

    def bold(self, text: str) -> Safe:
        quoted = self.quote(text)
        return Safe(f"**{quoted}**") if quoted.strip() else Safe(quoted)

    def code(self, text: str) -> Safe:
        quoted = _AT.sub("@" + JOINER, text).replace("`", "ʼ")
        return Safe(f"`{quoted}`") if quoted else Safe("")

    def tag(self, handle: str, group: str = "") -> Safe:
        name = handle.lstrip("@").lower()
        if name in _MM_BROADCASTS:
            return Safe("@" + _MM_BROADCASTS[name])
        return Safe("@" + name) if _HANDLE.fullmatch(name) else Safe(self.quote("@" + name))
