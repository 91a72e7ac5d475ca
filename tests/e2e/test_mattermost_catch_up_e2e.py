"""End to end on Mattermost: what the bot learns over REST after it was down. A 👀 taken away
meanwhile (Mattermost never sends that removal again) lets the thread go, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_mattermost_e2e import MattermostBot, settle

from watchstander_sandbox.mattermost import LocalMattermost

pytestmark = pytest.mark.e2e
LET_GO = "let go of this thread"


def claimed_by_dave(bot: MattermostBot, text: str, also: str = "") -> str:
    """An urgent post by carol, answered, and claimed by dave's 👀 (erin's ``also`` reaction
    beside it, one that stays): the post's id."""
    root = bot.server.post("carol", "support", text)
    bot.wait_replies(root, 1)
    bot.server.react("dave", root, "eyes")
    if also:
        bot.server.react("erin", root, also)
    assert "@dave has this" in bot.wait_replies(root, 2)[1]["message"]
    return root


def test_eyes_taken_away_while_the_bot_was_down_let_the_thread_go_once(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    bot = MattermostBot(mattermost, tmp_path)
    bot.start()
    try:
        root = claimed_by_dave(bot, "@oncall the invoices are blank", also="tada")
        bot.stop()
        mattermost.unreact("dave", root, "eyes")
        bot.start()
        texts = [p["message"] for p in bot.wait_replies(root, 3)]
        assert f"@dave {LET_GO}" in texts[2], texts
        bot.stop()  # and a second catch-up finds nothing more to let go
        bot.start()
        settle(bot)
        texts = [p["message"] for p in bot.posts(root)]
        assert [LET_GO in t for t in texts] == [False, False, True], texts
        assert "@dave has this" not in texts[0], texts  # the card says nobody has it
    finally:
        bot.stop()


def test_eyes_kept_while_the_bot_was_down_keep_the_claim(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    bot = MattermostBot(mattermost, tmp_path)
    bot.start()
    try:
        root = claimed_by_dave(bot, "@oncall the search is slow")
        bot.stop()
        mattermost.react("erin", root, "eyes")  # the post changed: read again, nothing let go
        mattermost.unreact("erin", root, "eyes")
        bot.start()
        settle(bot)
        texts = [p["message"] for p in bot.posts(root)]
        assert not [t for t in texts if LET_GO in t], texts
        assert "@dave has this" in texts[0], texts
    finally:
        bot.stop()
