"""Post-mortem drafts from the team's template, with the thread's timeline."""

from __future__ import annotations

from pathlib import Path

from triage_helpers import CHANNEL, at, harness, post, react, reply, ts

from watchstander.services.effects import CommandContext
from watchstander.services.postmortem import PostmortemService
from watchstander.settings import Settings
from watchstander.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_the_draft_holds_the_timeline_with_durations(store: Store, tmp_path: Path) -> None:
    h = harness(store)
    h.service.handle_message(post(0, "U0CAROL", "<!here> checkout fails for everyone"), at(0))
    h.service.handle_reaction(react(4, 0, "U0DAVE", "eyes"), at(4))
    h.service.handle_message(reply(9, 0, "U0DAVE", "rolled back, need 30 minutes"), at(9))
    h.commands.resolve(CommandContext(CHANNEL, "U0DAVE", ts(40), ts(0)), "fixed", at(40))
    settings = Settings.from_env(
        {"POSTMORTEM_DIR": str(tmp_path), "WATCHSTANDER_TEMPLATES": str(ROOT / "data/templates")}
    )
    path = PostmortemService(store, settings, lambda c, t: f"https://slack/{c}/{t}").write(
        CHANNEL, ts(0), at(60)
    )
    assert path is not None
    assert path.parent == tmp_path
    assert path.suffix == ".md"
    text = path.read_text()
    assert text.startswith("# Post-mortem: checkout fails for everyone\n")  # no @here in it
    assert "Time to claim: 4m · time to resolve: 40m" in text
    for what, offset in (
        ("posted by U0CAROL", "0m"),
        ("claimed by U0DAVE", "4m"),
        ("status update", "9m"),
        ("resolved by U0DAVE", "40m"),
    ):
        assert f"| {what} | {offset} |" in text
    assert "> &lt;!here&gt; checkout fails" in text  # quoted, cannot mention
    again = PostmortemService(store, settings, lambda c, t: "x").write(CHANNEL, ts(0), at(61))
    assert again == path  # rewritten in place, not a second file
    assert (
        PostmortemService(store, settings, lambda c, t: f"{c}/{t}").write(CHANNEL, "9.9", at(1))
        is None
    )


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
    path = PostmortemService(store, settings, lambda c, t: f"{c}/{t}").write(CHANNEL, ts(0), at(1))
    assert path is not None
    assert path.read_text() == "PM report is wrong (general)\n"
