"""Post-mortem drafts from the team's template, with the thread's timeline."""

from __future__ import annotations

import re
from pathlib import Path

from triage_helpers import CHANNEL, at, harness, post, react, reply, ts

from watchstander.services.effects import CommandContext
from watchstander.services.postmortem import PostmortemService
from watchstander.settings import Settings
from watchstander.store import Store

NAMES = {"U0CAROL": "Carol Diaz", "U0DAVE": "Dave Lee", "U0EVIL": "Eve Mallory"}


def service(store: Store, tmp_path: Path) -> PostmortemService:
    settings = Settings.from_env(
        {"POSTMORTEM_DIR": str(tmp_path), "WATCHSTANDER_TEMPLATES": str(tmp_path / "none")}
    )
    link = lambda c, t: f"https://slack/{c}/{t}"  # noqa: E731
    return PostmortemService(store, settings, link, lambda person: NAMES.get(person, person))


def test_the_draft_holds_the_timeline_with_durations(store: Store, tmp_path: Path) -> None:
    h = harness(store)
    h.service.handle_message(post(0, "U0CAROL", "<!here> checkout fails for everyone"), at(0))
    h.service.handle_reaction(react(4, 0, "U0DAVE", "eyes"), at(4))
    h.service.handle_message(reply(9, 0, "U0DAVE", "rolled back, need 30 minutes"), at(9))
    h.commands.resolve(CommandContext(CHANNEL, "U0DAVE", ts(40), ts(0)), "fixed", at(40))
    draft = service(store, tmp_path).write(CHANNEL, ts(0), at(60))
    assert draft is not None
    assert draft.path.parent == tmp_path
    assert draft.path.suffix == ".md"
    text = draft.path.read_text()
    assert text == draft.text
    assert text.startswith("# Post-mortem: checkout fails for everyone\n")  # no @here in it
    assert "- Posted by: Carol Diaz" in text
    assert "- Assignee: Dave Lee" in text
    assert "Time to claim: 4m · time to resolve: 40m" in text
    for what, offset in (
        ("posted by Carol Diaz", "0m"),
        ("claimed by Dave Lee", "4m"),
        ("status update", "9m"),
        ("resolved by Dave Lee", "40m"),
    ):
        assert f"| {what} | {offset} |" in text
    assert "> @here checkout fails for everyone" in text  # readable: a file pings nobody
    assert "U0CAROL" not in text
    assert "U0DAVE" not in text
    assert "&lt;" not in text
    again = service(store, tmp_path).write(CHANNEL, ts(0), at(61))
    assert again is not None
    assert again.path == draft.path  # rewritten in place, not a second file
    assert service(store, tmp_path).write(CHANNEL, "9.9", at(1)) is None


def test_the_draft_for_github_mentions_nobody(store: Store, tmp_path: Path) -> None:
    h = harness(store)
    hostile = (
        "<!channel> <!subteam^S0DEVS|@devs> <@U0EVIL> broke it, see "
        "<https://evil.example|the log> <script>alert(1)</script> ping @octocat"
    )
    h.service.handle_message(post(0, "U0CAROL", hostile), at(0))
    text = service(store, tmp_path).for_issue(CHANNEL, ts(0), at(1))
    assert text is not None
    bare = re.sub(r"`[^`]*`", "", text)  # what is not in a code span
    assert "@" not in bare, bare
    for mention in ("`@channel`", "`@devs`", "`@octocat`"):
        assert mention in text
    assert "Eve Mallory broke it, see the log (https://evil.example)" in text
    assert "<script>" not in text
    assert "U0EVIL" not in text


def test_the_team_can_edit_the_template(store: Store, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "postmortem.md").write_text("PM {{ title }} ({{ level }})\n")
    h = harness(store)
    h.service.handle_message(post(0, "U0CAROL", "report is wrong"), at(0))
    settings = Settings.from_env(
        {
            "POSTMORTEM_DIR": str(tmp_path / "out"),
            "WATCHSTANDER_TEMPLATES": str(tmp_path / "templates"),
        }
    )
    draft = PostmortemService(store, settings, lambda c, t: f"{c}/{t}").write(CHANNEL, ts(0), at(1))
    assert draft is not None
    assert draft.path.read_text() == "PM report is wrong (general)\n"
