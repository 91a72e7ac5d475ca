"""The nudge (SPEC section 1): a top-level post that answers another post, by the two signals
people give and nothing else: it quotes that post (a ``>`` line holding words of it), or it
begins by naming that post's poster within a minute of their post. Pure: the earlier posts
and the moment come in as arguments."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchstander.domain.markup import leading_person

MENTION_WINDOW = timedelta(minutes=1)  # a post naming a poster this soon after their post
QUOTE_LOOKBACK = timedelta(days=3)  # how far back a quoted post is looked for
MIN_QUOTED_WORDS = 3  # fewer quoted words match too much (unless they are the whole post)

_QUOTE = re.compile(r"^\s*(?:>|&gt;)\s?(.*)$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Earlier:
    """An earlier top-level post of the channel."""

    root_ts: str
    poster: str | None
    text: str
    at: datetime


def quoted(text: str) -> str:
    """The quoted lines of a post (the core's markup writes ``>`` as ``&gt;``), joined."""
    lines = (_QUOTE.match(line) for line in text.split("\n"))
    return " ".join(m.group(1) for m in lines if m is not None)


def leading_mention(text: str) -> str | None:
    """The person a post begins by naming (``<@ID>`` in the core's markup), if it does."""
    return leading_person(text)


def may_answer(text: str) -> bool:
    """Whether a post gives either signal at all (before anything is looked up)."""
    return bool(quoted(text).strip()) or leading_mention(text) is not None


def _words(text: str) -> list[str]:
    return _WORD.findall(html.unescape(text).lower())


def _holds(post: Sequence[str], quote: Sequence[str]) -> bool:
    """Whether ``quote``'s words come in ``post`` one after another (a quote of part of it)."""
    if not quote or (len(quote) < MIN_QUOTED_WORDS and list(quote) != list(post)):
        return False
    return f" {' '.join(quote)} " in f" {' '.join(post)} "


def answered_post(
    text: str, author: str, at: datetime, earlier: Sequence[Earlier]
) -> Earlier | None:
    """The earlier post (of someone else) that the post ``text`` by ``author`` at ``at``
    answers, newest first; None when it gives neither signal for any of them."""
    others = sorted(
        (e for e in earlier if e.poster and e.poster != author and e.at <= at),
        key=lambda e: e.at,
        reverse=True,
    )
    quote = _words(quoted(text))
    if quote:
        for post in others:
            if at - post.at <= QUOTE_LOOKBACK and _holds(_words(post.text), quote):
                return post
    named = leading_mention(text)
    if named is not None:
        for post in others:
            if post.poster == named and at - post.at <= MENTION_WINDOW:
                return post
    return None
