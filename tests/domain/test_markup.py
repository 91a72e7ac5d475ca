"""The core's markup as people read it, for documents; and nothing on GitHub that notifies."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from watchstander.domain.markup import (
    escape,
    first_line,
    for_github,
    leading_person,
    readable,
    title_line,
)

NAMES = {"U0DAVE": "Dave Lee"}


def name_of(user: str) -> str:
    return NAMES.get(user, user)


def test_every_kind_of_token_reads_as_words() -> None:
    text = (
        "<!subteam^S0DEVS|@devs> <@U0DAVE> and <@U0NEW> say &lt;b&gt; &amp; co is broken: "
        "<https://x.io/a|the report>, <https://x.io/b>, <mailto:a@b.io|mail> in "
        "<#C0SUP|support> <!here> <!channel> <!everyone> <!subteam^S0X>"
    )
    assert readable(text, name_of) == (
        "@devs @Dave Lee and @U0NEW say <b> & co is broken: the report (https://x.io/a), "
        "https://x.io/b, mail (mailto:a@b.io) in #support @here @channel @everyone @group"
    )
    assert readable("<@U0DAVE> here", name_of, at_people=False) == "Dave Lee here"


def test_on_github_every_mention_is_in_a_code_span() -> None:
    text = for_github(
        readable("<!here> <@U0DAVE> cc @octocat, mail@b.io &lt;img src=x&gt;", name_of)
    )
    assert text == "`@here` `@Dave` Lee cc `@octocat`, mail@b.io &lt;img src=x>"


@given(st.text(alphabet=st.sampled_from(list("<>@!|^&;#:/ abcSU0-_.`")), max_size=60))
def test_nothing_left_on_github_could_notify_or_be_a_tag(text: str) -> None:
    out = for_github(readable(text, name_of, at_people=False))
    outside = re.sub(r"`@[\w.\-@]+`", " ", out)  # what GitHub reads outside code spans
    assert not re.search(r"(?<!\w)@[\w.\-]", outside), out
    assert "<" not in out


MM_DAVE = "d" * 26  # a Mattermost id: the core's markup names people by any platform's id


def test_people_of_any_platform_read_as_words_and_mention_nobody() -> None:
    text = f"<@{MM_DAVE}|dave> and <@U0DAVE> saw it"
    assert readable(text, name_of) == "@dave and @Dave Lee saw it"
    line = first_line(text)
    assert "<" not in line
    assert line == "@\u2060dave and @\u2060U0DAVE saw it"
    assert title_line(f"<@{MM_DAVE}|dave> <!here> export is empty") == "export is empty"


def test_the_person_a_post_begins_by_naming() -> None:
    assert leading_person(f"  <@{MM_DAVE}|dave>: see the guide") == MM_DAVE
    assert leading_person("<@U0DAVE> see the guide") == "U0DAVE"
    assert leading_person("see <@U0DAVE>") is None
    assert leading_person("&lt;@U0DAVE&gt; typed, not a mention") is None
    assert leading_person("@dave in words") is None


def test_escaped_words_cannot_become_tokens() -> None:
    typed = "<!here> <@U0DAVE> <https://x.io|y> & co"
    assert escape(typed) == "&lt;!here&gt; &lt;@U0DAVE&gt; &lt;https://x.io|y&gt; &amp; co"
    assert readable(escape(typed)) == typed  # read back as the words typed
    assert leading_person(escape(typed)) is None
