"""One voice, end to end through the real Slack backend: hostile text in commands and from
PagerDuty is quoted back (nothing the bot posts can ping a channel, a group or a person it did
not mean), Errbot's own echo and "command not found" are gone, !help is Watchstander's, lines
stay lines, and two 👀 delivered out of Slack's order end with one truth."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.request
from collections.abc import Callable

import pytest
from e2e_helpers import DEV, DEV2, POSTER, SUPPORT, Bot, free_port, wait_until

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

URGENT = "<!subteam^S0ONCALL|@oncall> the revenue report does not tie out"
HOSTILE = ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S0DEVS|@devs>", "<@U0EVIL>"]


def pings(text: str) -> list[str]:
    """What in a posted text would notify someone: special mentions, groups, people."""
    return re.findall(r"<!\w[^>]*>|<@[^>]*>", text)


def eyes_recorded(bot: Bot, root: str) -> set[str]:
    """Who the bot recorded as having put 👀 on the thread ``root``."""
    with bot.store().transaction() as tx:
        thread = tx.thread(SUPPORT, root)
        events = [] if thread is None else tx.events(thread)
        return {
            e.actor or "" for e in events if e.kind == "reaction_added" and e.reaction == "eyes"
        }


def wait_answer(slack: LocalSlack, bot: Bot, before: int, thread: str | None = None) -> str:
    """The bot's next post (top level, or in ``thread``) after ``before`` of them."""

    def posts() -> list[str]:
        calls = bot.posts(thread) if thread else bot.top_level()
        return [str(c.params.get("text", "")) for c in calls]

    assert slack.wait_for(lambda s: len(posts()) > before, 30), bot.log_tail()
    return posts()[before]


def test_hostile_commands_are_answered_in_quotes(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)
    for command in ("!eta <!here>", "!handoff <!channel>", "!stats <!here>", "!threads <!channel>"):
        before = len(bot.posts(root))
        slack.post(DEV, SUPPORT, command, thread_ts=root)
        answer = wait_answer(slack, bot, before, root)
        assert answer.startswith("⚠️ "), answer
        assert "\n" not in answer, answer
        assert pings(answer) == [], answer
        assert "&lt;!" in answer, answer
    for command in ("!echo <!channel>", "!escalate <!channel> now", "!oncall <!here>"):
        before = len(bot.top_level())
        slack.post(DEV2, SUPPORT, command)
        answer = wait_answer(slack, bot, before)
        assert pings(answer) == [], answer
        assert answer.startswith(("🤷 I do not know", "⚠️ `!oncall` takes nothing")), answer
    before = len(bot.posts(root))
    slack.post(
        DEV, SUPPORT, "!resolve <!channel> fixed, <@U0EVIL> <!subteam^S0DEVS>", thread_ts=root
    )
    resolved = wait_answer(slack, bot, before, root)
    assert resolved == (
        f"✅ Resolved by <@{DEV}>: &lt;!channel&gt; fixed, &lt;@\u2060U0EVIL&gt; "
        "&lt;!subteam^S0DEVS&gt;. No more check-ins."
    )
    meant = {f"<@{p}>" for p in (DEV, "U0ALICE")}
    for call in bot.posts():
        assert set(pings(str(call.params.get("text", "")))) <= meant, call.params


def test_a_pagerduty_agent_name_cannot_ping(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    port, secret = free_port(), "whsec-voice"
    bot = make_bot(
        WATCHSTANDER_HTTP_PORT=str(port),
        PAGERDUTY_WEBHOOK_SECRET=secret,
        PAGERDUTY_ROUTING_KEY="R0UT1NGKEY0123456789abcdefABCDEF",
        PAGERDUTY_EVENTS_URL="http://127.0.0.1:9/",  # refused at once: the page fails
    )
    root = slack.post(POSTER, SUPPORT, "<!subteam^S0DEVS|@devs> checkout is down")
    bot.wait_posts(root, 2)
    body = json.dumps(
        {
            "event": {
                "event_type": "incident.acknowledged",
                "agent": {"summary": " ".join(HOSTILE)},
                "data": {"incident_key": f"watchstander/{SUPPORT}/{root}"},
            }
        }
    ).encode()
    signature = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/pagerduty",
        data=body,
        headers={"X-PagerDuty-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 202
    said = bot.wait_posts(root, 3)[2].params["text"]
    assert said.startswith("📟 PagerDuty: &lt;!channel&gt; &lt;!here&gt;")
    assert pings(said) == []


def test_help_is_watchstanders_own_and_lines_stay_lines(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    before = len(bot.top_level())
    slack.post(DEV, SUPPORT, "!help")
    lines = wait_answer(slack, bot, before).split("\n")
    assert "*In a #support thread*" in lines
    assert "*Review and figures*" in lines
    assert all(line.startswith("• `!") for line in lines[2:] if not line.startswith("*"))
    for internal in ("!repos", "!render", "!status", "!history", "!echo", "!plugin"):
        assert not any(internal in line for line in lines)
    before = len(bot.top_level())
    slack.post(DEV, SUPPORT, "!status")
    assert wait_answer(slack, bot, before).startswith("🤷 I do not know `!status`")

    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)
    slack.react(DEV, SUPPORT, root, "eyes")
    bot.wait_posts(root, 2)
    slack.post(DEV2, SUPPORT, "!thread", thread_ts=root)
    info = bot.wait_posts(root, 3)[2].params["text"].split("\n")
    assert info[0].startswith(f"*Urgent* thread from <@{POSTER}>: ")
    assert info[1] == f"• Assignee: <@{DEV}>"
    assert info[2].startswith("• Posted ")
    assert info[3].startswith("• Next check-in ")


@pytest.mark.parametrize("order", [[1, 0], [0, 1]], ids=["later-first", "earlier-first"])
def test_two_eyes_at_once_give_one_truth(
    slack: LocalSlack, make_bot: Callable[..., Bot], order: list[int]
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, URGENT)
    bot.wait_posts(root, 1)
    with slack.held() as held:
        slack.react(DEV, SUPPORT, root, "eyes")  # the earlier ts
        slack.react(DEV2, SUPPORT, root, "eyes")
    held.release(order=order)
    confirmed = bot.wait_posts(root, 2)[1].params["text"]
    holder = re.findall(r"<@(\w+)> has this", confirmed)
    assert len(holder) == 1, confirmed
    assert holder[0] in (DEV, DEV2), confirmed
    # The second 👀 gets no answer of its own: wait until the bot has recorded both.
    wait_until(lambda: eyes_recorded(bot, root) == {DEV, DEV2}, 30, "both 👀 recorded")
    slack.post(POSTER, SUPPORT, "!thread", thread_ts=root)
    posts = bot.wait_posts(root, 3)
    assert f"• Assignee: <@{holder[0]}>; watching: <@" in posts[2].params["text"]
    assert sum("has this" in str(c.params["text"]) for c in posts) == 1
    assert not any("handed this to" in str(c.params["text"]) for c in posts)
