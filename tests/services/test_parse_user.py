"""A person named in a command, as every door writes them in the core's markup."""

from __future__ import annotations

import pytest

from watchstander.services.commands import parse_user
from watchstander.services.effects import CommandError


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("<@U024BE7LH>", "U024BE7LH"),
        ("<@U024BE7LH|alice>", "U024BE7LH"),
        (f"<@{'a1' * 13}|dave>", "a1" * 13),  # Mattermost's 26 characters
        ("U024BE7LH", "U024BE7LH"),  # an id typed bare: the people port checks it
        (" <@W0ALICE> ", "W0ALICE"),
        (" U0ALICE99\n", "U0ALICE99"),
    ],
)
def test_a_person_from_a_mention_or_an_id(text: str, person: str) -> None:
    assert parse_user(text) == person


@pytest.mark.parametrize(
    "text",
    [
        "alice",
        "@alice",
        "alice1",  # too short for an id
        "&lt;@U024BE7LH&gt;",
        "<@U1> <@U2>",
        "",
        "<!here>",
        "x" * 500,
        "foo\nbar",
    ],
)
def test_anything_else_is_one_line_naming_what_was_typed(text: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_user(text)
    assert "\n" not in str(refused.value)
    assert "is not a person I know" in str(refused.value)
