"""Mattermost's voice: people's text never mentions anyone, never links or shouts; the bot's
own markup names people by username."""

from __future__ import annotations

import pytest

from watchstander.render import MattermostVoice, SlackVoice
from watchstander.render.renderer import Renderer
from watchstander.render.voice import JOINER

ALICE = "a" * 26
VOICE = MattermostVoice(lambda user: "alice" if user == ALICE else None, lambda _c: "support")


@pytest.mark.parametrize("word", ["@channel", "@all", "@here", "@oncall", "@alice", "@everyone"])
def test_quoted_mentions_mention_nobody(word: str) -> None:
    quoted = VOICE.quote(f"hi {word}!")
    assert word not in quoted
    assert f"@{JOINER}{word[1:]}" in quoted


def test_quoted_markdown_is_shown_not_drawn() -> None:
    quoted = VOICE.quote("[x](http://evil.example) ![i](http://t.example/p.png) **b** # h `c`")
    assert "[x](" not in quoted.replace("\\[x\\](", "")
    assert "![" not in quoted.replace("\\!\\[", "")
    assert "**" not in quoted
    assert "`" not in quoted.replace("\\`", "")


def test_the_bots_own_markup() -> None:
    assert VOICE.mention(ALICE) == "@alice"
    assert VOICE.mention("z" * 26) == "z" * 26  # unknown: named, calling nobody
    assert VOICE.channel("c" * 26) == "~support"
    assert VOICE.tag("here") == "@here"
    assert VOICE.tag("everyone") == "@all"
    assert VOICE.tag("oncall") == "@oncall"
    assert VOICE.link("https://example.com/a", "the [page]") == (
        "[the \\[page\\]](https://example.com/a)"
    )
    assert VOICE.link("javascript:alert(1)", "x") == "x"
    assert VOICE.bold("@here") == f"**@{JOINER}here**"
    assert VOICE.code("a`b @all") == f"`aʼb @{JOINER}all`"


@pytest.mark.parametrize(("voice", "buttons"), [(VOICE, False), (SlackVoice(), True)])
def test_a_message_asks_for_a_press_only_where_buttons_are_drawn(
    voice: MattermostVoice | SlackVoice, buttons: bool
) -> None:
    renderer = Renderer(voice)
    card = renderer.render("card", {"level": "urgent", "oncall": ALICE})
    answers = renderer.render(
        "answers",
        {
            "alone": True,
            "suggestions": [{"link": "https://x.example/1", "line": "y"}],
            "question": "https://x.example/q",
        },
    )
    assert ("press Claim" in card) is buttons
    assert "react with 👀" in card
    assert ("This answered it" in answers) is buttons
    assert ("!answered" in answers) is not buttons
    assert ("https://x.example/q" in answers) is not buttons  # the thread to say it in
