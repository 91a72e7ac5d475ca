from datetime import UTC, datetime

import pytest

from watchstander.domain.review import TaggedThread, marker, plan, tag_table
from watchstander.settings import Settings, SettingsError


def thread(
    ts: str,
    tags: set[str],
    text: str = "Export is broken",
    level: str = "urgent",
    resolved_at: datetime | None = None,
) -> TaggedThread:
    return TaggedThread(
        channel="C0SUPPORT",
        root_ts=ts,
        link=f"https://sandbox.slack.com/archives/C0SUPPORT/p{ts.replace('.', '')}",
        poster="U0CAROL",
        level=level,
        root_text=text,
        tags=frozenset(tags),
        resolved_at=resolved_at,
    )


def test_each_kind_makes_its_issue_and_counts_are_kept() -> None:
    threads = [
        thread("1.0", {"bug", "fire_engine"}),
        thread(
            "2.0",
            {"coffin", "bug"},
            level="emergency",
            resolved_at=datetime(2026, 11, 20, tzinfo=UTC),
        ),
        thread("3.0", {"necktie", "vhs", "unknown_emoji"}, level="general"),
        thread("4.0", {"evergreen_tree", "documentation"}),
        thread("5.0", set()),
    ]
    result = plan(threads, made=set())
    kinds = sorted((d.thread.root_ts, d.kind) for d in result.drafts)
    assert kinds == [
        ("1.0", "bug"),
        ("2.0", "bug"),
        ("2.0", "postmortem"),
        ("4.0", "documentation"),
        ("4.0", "onboarding"),
    ]
    labels = {(d.thread.root_ts, d.kind): d.labels for d in result.drafts}
    assert labels[("1.0", "bug")] == ("bug", "support")
    assert labels[("4.0", "onboarding")] == ("documentation", "onboarding")
    assert result.counts["bug"] == 2
    assert result.counts["necktie"] == 1
    assert "unknown_emoji" not in result.counts
    assert result.levels == {"urgent": 2, "emergency": 1, "general": 1}
    assert [t.root_ts for t in result.open_threads] == ["1.0", "3.0", "4.0"]


def test_what_was_made_before_is_never_drafted_again() -> None:
    threads = [thread("1.0", {"bug", "coffin"})]
    again = plan(threads, made={("C0SUPPORT/1.0", "bug")})
    assert [d.kind for d in again.drafts] == ["postmortem"]


def test_issue_text_quotes_without_mentions_and_carries_the_marker() -> None:
    text = "<!channel> <@U0BOB> the <!subteam^S1|@devs> export\nfails with 500"
    (draft,) = plan([thread("1.0", {"bug"}, text=text)], made=set()).drafts
    assert draft.marker == marker("C0SUPPORT/1.0", "bug")
    assert draft.body.endswith(draft.marker)
    quoted = [line for line in draft.body.splitlines() if line.startswith("> ")]
    assert quoted
    assert all("<" not in line for line in quoted)
    assert "@channel" not in draft.title
    assert len(draft.title) <= 80
    assert "https://sandbox.slack.com/archives/C0SUPPORT/p10" in draft.body


def test_a_title_drops_the_tags_the_post_opens_with() -> None:
    text = "<!subteam^S0DEVS|@devs> <!here> <@U0EVIL> <!channel> the export fails"
    bug, onboarding = plan(
        [thread("1.0", {"bug"}, text=text), thread("2.0", {"evergreen_tree"}, text=text)],
        made=set(),
    ).drafts
    assert bug.title == "the export fails"
    assert onboarding.title == "Onboarding: the export fails"
    only_tags = plan([thread("3.0", {"bug"}, text="<!here> <@U0EVIL>")], made=set()).drafts[0]
    assert only_tags.title == "(a #support thread with no text)"


def test_empty_and_huge_posts() -> None:
    empty, huge = plan(
        [thread("1.0", {"bug"}, text=""), thread("2.0", {"bug"}, text="x" * 50_000)], made=set()
    ).drafts
    assert empty.title
    assert "(empty)" in empty.body
    assert len(huge.body) < 5_000
    assert len(huge.title) <= 80


def test_the_team_can_rename_the_reactions() -> None:
    tags = tag_table("bug=beetle, :documentation:=memo")
    assert tags["beetle"].kind == "bug"
    assert tags["memo"].labels == ("documentation",)
    assert "bug" not in tags
    assert tags["coffin"].kind == "postmortem"
    made = plan([thread("1.0", {"beetle", "bug"})], set(), tags)
    assert [d.kind for d in made.drafts] == ["bug"]
    assert made.counts == {"beetle": 1}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("bugs=beetle", "'bugs' is not a review tag"),
        ("bug=", "write tag=emoji_name"),
        ("bug=two words", "write tag=emoji_name"),
        ("bug=coffin", "cannot share"),
    ],
)
def test_a_wrong_renaming_is_one_clear_line(value: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        tag_table(value)
    with pytest.raises(SettingsError, match=r"^REVIEW_REACTIONS: "):
        Settings.from_env({"REVIEW_REACTIONS": value})
