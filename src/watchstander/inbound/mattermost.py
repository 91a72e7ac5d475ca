"""Mattermost's WebSocket events (and posts read over REST) as the services' inbound records.

The services order and time a thread's events by a Slack-shaped ``ts`` (seconds, a dot, six
digits). A Mattermost post has an id and a creation time in milliseconds instead, so its ts
is made of both: the time's seconds and milliseconds, then three digits taken from the id, so
that two posts of the same millisecond keep apart (`post_ts`). The chat port finds the post
again from its channel and ts (`matches`).

A post's text is written in the core's markup (:mod:`watchstander.domain.markup`) before any
service reads it (`core_text`): ``<``, ``>`` and ``&`` are escaped, so words typed on
Mattermost that look like a token (``<!here>``, ``<@U1>``) stay words; a person named by
``@username`` becomes ``<@id|username>``, so the services know who was named (the nudge, a
command's person, a post-mortem's names). Other mentions are plain text on Mattermost
(``@oncall``, a custom group's ``@handle``, ``@here``, ``@channel``, ``@all``) and stay as
they are: the levels read a handle named in words.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from watchstander.domain.markup import CODE, escape
from watchstander.inbound import Ignored
from watchstander.services.inbound import MAX_TEXT, InboundMessage, InboundReaction

POST_EVENTS = ("posted", "post_edited")
REACTION_EVENTS = ("reaction_added", "reaction_removed")


def _digits(post_id: str) -> int:
    return int(hashlib.sha256(post_id.encode()).hexdigest()[:8], 16) % 1000


def post_ts(post_id: str, create_at: int) -> str:
    """The ts of a post: its creation time (ms) and three digits of its id."""
    return f"{create_at // 1000}.{create_at % 1000:03d}{_digits(post_id):03d}"


def ms_ts(ms: int) -> str:
    """A moment (ms) as a ts, for what has no post of its own (an edit, a reaction)."""
    return f"{ms // 1000}.{ms % 1000:03d}000"


def ts_ms(ts: str) -> int:
    """The millisecond a ts stands for (0 when it is not one)."""
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds) * 1000 + int((fraction + "000")[:3])
    except ValueError:
        return 0


def matches(post: Mapping[str, Any], ts: str) -> bool:
    """Whether ``post`` is the one whose ts is ``ts``."""
    return post_ts(str(post.get("id") or ""), _int(post.get("create_at"))) == ts


def payload(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An event's ``post`` or ``reaction``: Mattermost sends it as a JSON string."""
    raw = data.get(key)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Ignored(f"{key} is not JSON") from None
    if not isinstance(raw, Mapping):
        raise Ignored(f"no {key}")
    return raw


def message_from_mattermost(
    post: Mapping[str, Any],
    bot_user_id: str | None,
    root_ts: Callable[[str], str | None],
    *,
    edited: bool = False,
    person_id_of: Callable[[str], str | None] = lambda _name: None,
    handles: frozenset[str] = frozenset(),
) -> InboundMessage:
    """A post (``posted``; ``post_edited`` when ``edited``) -> InboundMessage. ``root_ts``
    gives the ts of a thread's root post from its id (None: not found); ``person_id_of`` a
    person's id from their username (None: nobody); ``handles``: the team's tags, never a
    person (see :func:`core_text`)."""
    post_id, channel = str(post.get("id") or ""), str(post.get("channel_id") or "")
    if not post_id or not channel:
        raise Ignored("a post without an id or a channel")
    kind = str(post.get("type") or "")
    if kind:  # system posts: joins, leaves, header changes...
        raise Ignored(f"post of type {kind[:40]}")
    if _int(post.get("delete_at")):
        raise Ignored("a deleted post")
    create_at = _int(post.get("create_at"))
    if not create_at:
        raise Ignored("a post without a creation time")
    thread_ts = None
    root_id = str(post.get("root_id") or "")
    if root_id and root_id != post_id:
        thread_ts = root_ts(root_id)
        if thread_ts is None:
            raise Ignored("a reply in a thread whose root was not found")
    edit_at = _int(post.get("edit_at"))
    if edited and not edit_at:
        raise Ignored("post_edited without an edit (a reaction, a pin)")
    user = str(post.get("user_id") or "") or None
    return InboundMessage(
        channel=channel,
        ts=post_ts(post_id, create_at),
        thread_ts=thread_ts,
        user=user,
        text=core_text(str(post.get("message") or "")[:MAX_TEXT], person_id_of, handles=handles),
        edited_ts=ms_ts(edit_at) if edited else None,
        from_bot=bool(bot_user_id and user == bot_user_id)
        or bool((post.get("props") or {}).get("from_bot") in (True, "true")),
    )


def reaction_from_mattermost(
    reaction: Mapping[str, Any], added: bool, post_ts_of: Callable[[str], str | None]
) -> InboundReaction:
    """A ``reaction_added`` or ``reaction_removed`` reaction -> InboundReaction.
    ``post_ts_of`` gives the ts of the post reacted to (None: not found)."""
    user, post_id = str(reaction.get("user_id") or ""), str(reaction.get("post_id") or "")
    name, channel = str(reaction.get("emoji_name") or ""), str(reaction.get("channel_id") or "")
    if not (user and post_id and name and channel):
        raise Ignored("a reaction without a person, a post, an emoji or a channel")
    item = post_ts_of(post_id)
    if item is None:
        raise Ignored("a reaction on a post that was not found")
    at = _int(reaction.get("delete_at") if not added else reaction.get("create_at"))
    at = at or _int(reaction.get("update_at")) or _int(reaction.get("create_at"))
    return InboundReaction(
        channel=channel, item_ts=item, user=user, name=name, added=added, event_ts=ms_ts(at)
    )


_NAMED = re.compile(r"(?<![\w@;/])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)
MOST_NAMES = 10  # usernames looked up in one post; more are left as words (no flood of calls)
EVERYONE = frozenset({"here", "channel", "all", "everyone"})  # never a person


def core_text(
    text: str,
    person_id_of: Callable[[str], str | None],
    *,
    handles: frozenset[str] = frozenset(),
) -> str:
    """A post's text in the core's markup: escaped, and each ``@username`` of a person (as
    ``person_id_of`` finds them) as ``<@id|username>``, outside code. A name that ends in
    ``.``, ``-`` or ``_`` is tried whole, then without them one by one (as Mattermost reads
    "@dave." or "@ops_"); ``@here``, ``@channel``, ``@all`` and the team's tags (``handles``:
    ``@oncall``, ``@devs``) are never looked up: they stay words, which the levels read."""
    escaped = escape(text)
    skip = EVERYONE | handles
    asked: dict[str, str | None] = {}

    def person(name: str) -> str | None:
        if name in skip:
            return None
        if name not in asked:
            asked[name] = person_id_of(name) if len(asked) < MOST_NAMES else None
        return asked[name]

    def named(match: re.Match[str]) -> str:
        written = match.group(1)
        name = written.lower()
        while name:
            found = person(name)
            if found:
                return f"<@{found}|{written[: len(name)]}>" + written[len(name) :]
            if name[-1] not in "._-":
                break
            name = name[:-1]
        return match.group(0)

    out: list[str] = []
    done = 0
    for code in CODE.finditer(escaped):  # a name in code calls nobody: left as typed
        out += (_NAMED.sub(named, escaped[done : code.start()]), code.group(0))
        done = code.end()
    return "".join(out) + _NAMED.sub(named, escaped[done:])


def event_key(event: Mapping[str, Any]) -> str | None:
    """What makes an event the same one when the socket sends it twice (None: no key)."""
    name, data = str(event.get("event") or ""), event.get("data") or {}
    try:
        if name in POST_EVENTS:
            post = payload(data, "post")
            return f"{name}:{post.get('id')}:{post.get('edit_at') or 0}"
        if name in REACTION_EVENTS:
            r = payload(data, "reaction")
            at = r.get("delete_at") or r.get("create_at")
            return f"{name}:{r.get('post_id')}:{r.get('user_id')}:{r.get('emoji_name')}:{at}"
    except Ignored:
        return None
    return None


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
