"""End to end on Mattermost: the real bot (Errbot, the project's Mattermost backend, the
plugins) in a subprocess against the local Mattermost server in this process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from database_helpers import rename_table
from e2e_helpers import wait_until

from watchstander.inbound.mattermost import post_ts
from watchstander_sandbox.bot_process import log_tail, mattermost_env, start_bot, stop_bot
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.mattermost import LocalMattermost
from watchstander_sandbox.pagerduty_server import LocalPagerDuty

pytestmark = pytest.mark.e2e
WAIT = 60.0  # seconds: the bound on each wait for the bot; a miss fails loudly
JOINER = "\u2060"


@dataclass
class MattermostBot:
    server: LocalMattermost
    data: Path
    database: str = ""  # the bot's SQLAlchemy URL (SQLite in ``data`` when empty)
    process: subprocess.Popen[bytes] | None = None

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data / 'watchstander.db'}"

    def start(self, **env: str) -> None:
        full = mattermost_env(
            self.server,
            self.data,
            ROTATION_ADMINS=",".join(self.server.user_id(u) for u in ("alice", "bob")),
            WATCHSTANDER_LOG_LEVEL="DEBUG",
            WATCHSTANDER_DATABASE_URL=self.database_url,
            **env,
        )
        self.process = start_bot(full, self.data / "bot-output.log")
        ok = self.server.wait_for(lambda s: self.exited or s.connected, WAIT)
        assert ok, self.log_tail()
        assert not self.exited, self.log_tail()
        answered = len(self.top_level())
        self.server.post("carol", "support", "!threads")
        ok = self.server.wait_for(lambda s: self.exited or len(self.top_level()) > answered, WAIT)
        assert ok, self.log_tail()
        assert not self.exited, self.log_tail()

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def stop(self) -> None:
        stop_bot(self.process)
        self.process = None

    def posts(self, root_id: str | None = None) -> list[dict[str, Any]]:
        """The bot's posts in #support (in one thread, when given)."""
        bot = self.server.world.bot.id
        found = self.server.messages("support", root_id)
        return [p for p in found if p["user_id"] == bot]

    def top_level(self) -> list[dict[str, Any]]:
        return self.posts()

    def wait_replies(self, root_id: str, count: int) -> list[dict[str, Any]]:
        ok = self.server.wait_for(lambda s: len(self.posts(root_id)) >= count, WAIT)
        texts = [p["message"] for p in self.posts(root_id)]
        assert ok, f"wanted {count} in {root_id}: {texts}\n{self.log_tail()}"
        return self.posts(root_id)

    def log_tail(self, lines: int = 80) -> str:
        return log_tail(self.data, lines)

    def log(self) -> str:
        text = ""
        for path in (self.data / "bot-output.log", self.data / "errbot" / "errbot.log"):
            if path.exists():
                text += path.read_text(errors="replace")
        return text


@pytest.fixture
def mm_bot(
    mattermost: LocalMattermost, tmp_path: Path, bot_database: str
) -> Iterator[MattermostBot]:
    """The bot on SQLite, and on PostgreSQL too when WATCHSTANDER_TEST_DATABASE_URL is set."""
    bot = MattermostBot(mattermost, tmp_path, bot_database)
    bot.start()
    yield bot
    bot.stop()


def settle(bot: MattermostBot) -> None:
    """Everything sent so far has been handled: a command sent now is answered after it."""
    answered = len(bot.top_level())
    bot.server.post("carol", "support", "!threads")
    ok = bot.server.wait_for(lambda s: len(bot.top_level()) > answered, WAIT)
    assert ok, bot.log_tail()


def test_urgent_post_answered_once_in_its_thread(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    root = server.post("carol", "support", "@oncall checkout is down for everyone")
    replies = mm_bot.wait_replies(root, 1)
    settle(mm_bot)
    assert len(mm_bot.posts(root)) == 1, [p["message"] for p in mm_bot.posts(root)]
    assert all(p["root_id"] == root for p in replies)
    assert "urgent" in replies[0]["message"].lower(), replies[0]["message"]


def bot_mentions(server: LocalMattermost) -> list[tuple[str, list[str]]]:
    """(message, who Mattermost says it mentions) of each of the bot's posts."""
    found = []
    for event in server.events:
        if event["event"] != "posted":
            continue
        post = json.loads(event["data"]["post"])
        if post["user_id"] == server.world.bot.id:
            found.append((post["message"], json.loads(event["data"].get("mentions", "[]"))))
    return found


def test_an_event_sent_twice_is_handled_once(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    server.send_twice("posted")
    root = server.post("carol", "support", "@oncall the export is empty")
    mm_bot.wait_replies(root, 1)
    server.send_twice("reaction_added")
    server.react("dave", root, "eyes")
    mm_bot.wait_replies(root, 2)
    settle(mm_bot)
    texts = [p["message"] for p in mm_bot.posts(root)]
    assert len(texts) == 2, texts
    assert "@dave has this" in texts[1], texts


def test_first_eyes_claims_the_thread(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    root = server.post("carol", "support", "@oncall login fails for SSO users")
    mm_bot.wait_replies(root, 1)
    server.react("dave", root, "eyes")
    server.react("erin", root, "eyes")
    mm_bot.wait_replies(root, 2)
    settle(mm_bot)
    texts = [p["message"] for p in mm_bot.posts(root)]
    claims = [t for t in texts[1:] if "has this" in t]  # the first is the card, kept current
    assert len(claims) == 1, texts
    assert "@dave" in claims[0], texts
    assert "@dave has this" in texts[0], texts
    server.post("erin", "support", "!thread", root_id=root)
    info = mm_bot.wait_replies(root, len(texts) + 1)[-1]["message"]
    assert "@dave" in info, info


def test_a_hostile_post_re_emitted_mentions_nobody(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    hostile = "@channel @all <!here> @here @erin [x](http://evil.example) **loud**"
    root = server.post("carol", "support", hostile + " @oncall payments fail")
    mm_bot.wait_replies(root, 1)
    server.post("dave", "support", "!thread", root_id=root)
    server.post("dave", "support", "!threads")
    settle(mm_bot)
    said = bot_mentions(server)
    assert any(f"@{JOINER}channel @{JOINER}all" in text for text, _ in said), said
    # named on purpose: who is on call (alice), and the poster
    named = {server.user_id("alice"), server.user_id("carol")}
    for text, mentioned in said:
        assert set(mentioned) <= named, (text, mentioned)
        for word in ("@channel", "@all", "@here", "@erin"):
            assert word not in text, text
        assert "[x](" not in text.replace("\\[x\\](", ""), text  # shown, not a link


def test_no_token_in_the_logs(mm_bot: MattermostBot) -> None:
    root = mm_bot.server.post("carol", "support", "@oncall invoices are late")
    mm_bot.wait_replies(root, 1)
    mm_bot.stop()
    assert mm_bot.server.bot_token not in mm_bot.log()
    assert "Verifying the Mattermost token" in mm_bot.log()  # the log was written


def refused_at_start(mattermost: LocalMattermost, tmp_path: Path, **env: str) -> str:
    """Start the bot with ``env`` it cannot run with: it exits with code 2; its output."""
    process = start_bot(mattermost_env(mattermost, tmp_path, **env), tmp_path / "bot-output.log")
    try:
        assert process.wait(timeout=WAIT) == 2
    finally:
        stop_bot(process)
    return (tmp_path / "bot-output.log").read_text(errors="replace")


def test_a_wrong_token_is_one_line_and_exit_code_2(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    said = refused_at_start(mattermost, tmp_path, MATTERMOST_TOKEN="wrongwrongwrongwrongwrong1")
    refusals = [line for line in said.splitlines() if "refused the token" in line]
    assert len(refusals) == 1, said[-3000:]
    assert "wrongwrongwrong" not in said


def test_a_dropped_link_loses_nothing(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    first = len(server.connection_ids)
    assert first == 1
    server.drop_websocket()
    root = server.post("carol", "support", "@oncall the dashboard is blank")
    mm_bot.wait_replies(root, 1)
    # a link Mattermost cannot resume: caught up over REST
    assert server.wait_for(lambda s: s.connected, WAIT)
    server.drop_websocket()
    server.expire_connections()
    later = server.post("carol", "support", "@oncall and now the API too")
    mm_bot.wait_replies(later, 1)
    settle(mm_bot)
    assert len(mm_bot.posts(root)) == 1
    assert len(mm_bot.posts(later)) == 1


def test_a_post_made_while_the_bot_was_down_is_answered_once_at_start(
    mm_bot: MattermostBot,
) -> None:
    server = mm_bot.server
    before = server.post("carol", "support", "@oncall search returns nothing")
    mm_bot.wait_replies(before, 1)
    mm_bot.stop()
    missed = server.post("carol", "support", "@oncall and the cart is empty")
    mm_bot.start()
    mm_bot.wait_replies(missed, 1)
    settle(mm_bot)
    assert len(mm_bot.posts(missed)) == 1
    assert len(mm_bot.posts(before)) == 1


def test_a_direct_message_command_is_answered_there(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    alice, bot = server.user_id("alice"), server.world.bot.id
    direct = server.world.direct(alice, bot)
    server.post("alice", direct.id, "!threads")
    ok = server.wait_for(lambda s: any(p["user_id"] == bot for p in s.messages(direct.id)), WAIT)
    assert ok, mm_bot.log_tail()


PAST = {"CLAIM_TARGET": "2h", "RESPONSE_TARGET": "3h"}  # no reminder before the check-in
CHECKIN = "how is it going"


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def test_a_checkin_due_while_the_bot_was_down_is_sent_once(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    bot = MattermostBot(mattermost, tmp_path)
    bot.start(**PAST)
    try:
        root = mattermost.post("carol", "support", "@oncall refunds fail", at=minutes_ago(40))
        bot.wait_replies(root, 1)
        bot.stop()
        # while the bot is down, Dave took the thread 35 minutes ago: its check-in is late
        mattermost.react("dave", root, "eyes", at=minutes_ago(35))
        bot.start(**PAST)
        posts = bot.wait_replies(root, 3)
        assert "@dave has this" in posts[1]["message"], posts
        assert CHECKIN in posts[2]["message"], posts
        mattermost.post("erin", "support", "!thread", root_id=root)
        texts = [p["message"] for p in bot.wait_replies(root, 4)]
        assert [CHECKIN in t for t in texts] == [False, False, True, False], texts
    finally:
        bot.stop()


def test_an_emergency_is_paged_once(mattermost: LocalMattermost, tmp_path: Path) -> None:
    pd = LocalPagerDuty().start()
    bot = MattermostBot(mattermost, tmp_path)
    try:
        bot.start(
            PAGERDUTY_ROUTING_KEY="R0UT1NGKEY0123456789abcdefABCDEF", PAGERDUTY_EVENTS_URL=pd.url
        )
        mattermost.send_twice("posted")
        root = mattermost.post("carol", "support", "@devs checkout is down")
        texts = [p["message"] for p in bot.wait_replies(root, 2)]
        assert "Emergency" in texts[0], texts
        assert "Paged the on-call" in texts[1], texts
        support = mattermost.channel_id("support")
        ts = post_ts(root, mattermost.post_by_id(root)["create_at"])
        key = f"watchstander/{support}/{ts}"
        mattermost.react("dave", root, "eyes")
        assert pd.wait_for(lambda p: p.actions(key) == ["trigger", "acknowledge"], WAIT)
        mattermost.react("carol", root, "white_check_mark")
        assert pd.wait_for(lambda p: p.actions(key)[-1:] == ["resolve"], WAIT)
        assert pd.actions(key) == ["trigger", "acknowledge", "resolve"]
    finally:
        bot.stop()
        pd.stop()


def test_the_review_makes_one_issue_per_thread(mattermost: LocalMattermost, tmp_path: Path) -> None:
    gh = LocalGitHub().start()
    bot = MattermostBot(mattermost, tmp_path)
    try:
        bot.start(GITHUB_TOKEN=gh.token, GITHUB_REPO=gh.repo, GITHUB_API_URL=gh.url)
        root = mattermost.post("carol", "support", "the CSV export drops the last row @channel")
        mattermost.post("erin", "support", "CSV export: drops rows again?")
        mattermost.react("dave", root, "bug")
        mattermost.react("erin", root, "necktie")
        # events are handled one at a time, in order: the review comes after the tags
        before = len(bot.top_level())
        mattermost.post("dave", "support", "!review")
        assert mattermost.wait_for(lambda s: len(bot.top_level()) > before, WAIT), bot.log_tail()
        digest = bot.top_level()[-1]["message"]
        assert "made bug" in digest, digest
        assert "https://github.com/acme/app/issues/1" in digest, digest
        (issue,) = gh.issues
        assert [label["name"] for label in issue["labels"]] == ["bug", "support"]
        assert f"/{mattermost.world.team.name}/pl/{root}" in issue["body"], issue["body"]
        mattermost.post("dave", "support", "!review")
        assert mattermost.wait_for(lambda s: len(bot.top_level()) > before + 1, WAIT)
        assert len(gh.issues) == 1
    finally:
        bot.stop()
        gh.stop()


def test_bad_input_is_handled_once_and_loses_nothing(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    # a post at Mattermost's limit, a reaction on a post in another channel, a reply in a
    # thread whose root the bot never saw (made before it started), a deactivated poster
    long_root = server.post("carol", "support", "@oncall " + "x" * 16_000)
    elsewhere = server.post("carol", "off-topic", "@oncall not for us")
    server.react("dave", elsewhere, "eyes")
    left = server.post("erin", "support", "@oncall from someone who has left since")
    server.deactivate("erin")
    replies = mm_bot.wait_replies(long_root, 1)
    assert all(len(p["message"]) <= 16_383 for p in replies)
    settle(mm_bot)
    assert not [p for p in server.messages("off-topic") if p["user_id"] == server.world.bot.id]
    assert len(mm_bot.posts(long_root)) == 1
    assert len(mm_bot.posts(left)) == 1  # the post was made: it is answered
    assert "Traceback" not in mm_bot.log()


def test_an_override_hands_off_in_the_channel_by_dm_and_in_the_group(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    bot = MattermostBot(mattermost, tmp_path)
    try:
        bot.start(ONCALL_USERGROUP_ID="oncall")
        urgent = mattermost.post("carol", "support", "@oncall the revenue report is off")
        bot.wait_replies(urgent, 1)
        before = len(bot.top_level())
        mattermost.post("alice", "support", "!oncall override @dave 1h")
        assert mattermost.wait_for(lambda s: len(bot.top_level()) >= before + 2, WAIT), (
            bot.log_tail()
        )
        texts = [p["message"] for p in bot.top_level()[before:]]
        assert any("@dave is on call now" in t and "from @alice" in t for t in texts), texts
        assert any("revenue report" in t for t in texts), texts
        dave = mattermost.user_id("dave")
        group = mattermost.world.group("oncall")
        assert group is not None
        assert mattermost.wait_for(lambda s: group.members == [dave], WAIT), bot.log_tail()
        direct = mattermost.world.direct(dave, mattermost.world.bot.id).id
        assert any("You are on call now" in p["message"] for p in mattermost.messages(direct))
    finally:
        bot.stop()


def test_a_post_the_database_refused_is_read_again_and_answered_once(
    mm_bot: MattermostBot,
) -> None:
    server = mm_bot.server
    url = mm_bot.database_url
    rename_table(url, "events", "events_away")  # every statement on events fails now
    try:
        root = server.post("carol", "support", "@oncall the export hangs")
        wait_until(lambda: "was not taken" in mm_bot.log(), WAIT, "the refusal logged")
        assert mm_bot.posts(root) == []
    finally:
        rename_table(url, "events_away", "events")
    mm_bot.wait_replies(root, 1)  # read again over REST, answered
    settle(mm_bot)
    assert len(mm_bot.posts(root)) == 1


def test_the_weeks_figures_come_with_their_pictures(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    root = server.post("carol", "support", "@oncall the figures are wrong")
    mm_bot.wait_replies(root, 1)
    before = len(mm_bot.top_level())
    server.post("dave", "support", "!stats this")
    assert server.wait_for(lambda s: len(mm_bot.top_level()) > before, WAIT), mm_bot.log_tail()
    stats = mm_bot.top_level()[-1]
    (pictures,) = mm_bot.wait_replies(stats["id"], 1)
    files = pictures["metadata"]["files"]
    assert [f["extension"] for f in files] == ["png", "png"], files
    for info in files:
        stored = server.stored_file(info["id"])
        assert stored is not None
        assert stored.content.startswith(b"\x89PNG")


def test_a_team_that_does_not_exist_is_one_line_and_exit_code_2(
    mattermost: LocalMattermost, tmp_path: Path
) -> None:
    said = refused_at_start(mattermost, tmp_path, MATTERMOST_TEAM="no-such-team")
    assert len([line for line in said.splitlines() if "has no team" in line]) == 1, said[-3000:]
