import pytest

from watchstander.domain.levels import Level, handles_in, parse_level
from watchstander.domain.markup import escape, first_line, first_words

TAGS = ("devs", "here", "channel")


def level(text: str, groups: dict[str, str] | None = None) -> Level:
    return parse_level(
        text, oncall_handle="oncall", emergency_tags=TAGS, group_handles=groups
    ).level


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where do I find the export?", Level.GENERAL),
        ("<!subteam^S0ONCALL|@oncall> report numbers look off", Level.URGENT),
        ("<!subteam^S0ONCALL> report numbers look off", Level.URGENT),
        ("@oncall numbers look off", Level.URGENT),
        ("<!subteam^S0DEVS|@devs> app is down", Level.EMERGENCY),
        ("<!here> app is down", Level.EMERGENCY),
        ("<!channel|channel> app is down", Level.EMERGENCY),
        ("<!subteam^S0ONCALL|@oncall> and <!here>", Level.EMERGENCY),
        ("mail me at ops@oncall.example.com", Level.GENERAL),
        ("<@U0ALICE> can you look", Level.GENERAL),
        ("@oncallers is not a handle we know", Level.GENERAL),
    ],
)
def test_levels(text: str, expected: Level) -> None:
    assert level(text, {"S0ONCALL": "oncall", "S0DEVS": "devs"}) == expected


def test_bare_group_id_without_map_is_not_guessed() -> None:
    assert level("<!subteam^S0ONCALL> help") == Level.GENERAL


def test_handles_are_case_insensitive() -> None:
    assert handles_in("<!subteam^S1|@OnCall> and @Devs") == {"oncall", "devs"}


def test_quoted_text_cannot_mention() -> None:
    quoted = escape("<!channel> <@U1> & <!subteam^S1|@devs>")
    assert "<" not in quoted
    assert ">" not in quoted
    line = first_line("<!here> <@U1|bob> see <https://x.y|the page> and @channel")
    assert "<" not in line
    assert "@here" not in line
    assert "@channel" not in line
    assert "the page" in line


def test_odd_unicode_and_huge_posts() -> None:
    text = "🔥" * 20_000 + " <!subteam^S0ONCALL|@oncall> " + "\u202e\u0000ç" * 5_000
    assert level(text) == Level.URGENT
    assert len(first_line(text)) <= 80


def test_first_words_name_a_thread() -> None:
    post = "Where is the export button on the new reports page?\nI looked everywhere"
    assert first_words(post) == "Where is the export button on the new…"
    assert first_words("export broken") == "export broken"
    assert first_words("  \n ") == ""
    named = first_words("<!subteam^S0ONCALL|@oncall> <@U1|bob> the <https://x.y|report> is off")
    assert named == "@\u2060oncall @\u2060bob the report is off"
    assert len(first_words("x" * 500)) <= 80


def test_a_tag_in_code_calls_nobody() -> None:
    assert level("how do I stop `@here` notifications?") == Level.GENERAL
    assert level("```\nping @devs @oncall\n``` is what the script posts") == Level.GENERAL
    assert level("`@here` aside, @oncall the export is empty") == Level.URGENT


def test_a_summary_reads_the_characters_not_their_escapes() -> None:
    assert first_line("Q &amp; A &lt;b&gt; page") == "Q & A ‹b› page"
